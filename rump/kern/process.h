// Process: a kernel process (NetBSD's struct proc): identity, credentials,
// command name, resource limits and descriptor table. Remote clients get one each; in-process
// callers use pid 1 unless they bind their thread to another.
#ifndef RUMP_KERN_PROCESS_H_
#define RUMP_KERN_PROCESS_H_

#include <sys/types.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "rump/abi/resource.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/credentials.h"
#include "rump/kern/fd_table.h"
#include "rump/kern/resource_limits.h"
#include "rump/kern/socket_buffer_account.h"

namespace rump {

class Process {
 public:
  // A process with its own new descriptor table, or sharing `fds` with
  // other processes (NetBSD's RFFD_SHARE), and `limits` (its parent's, as
  // fork copies them); the table takes its RLIMIT_NOFILE.
  Process(pid_t pid, pid_t ppid, std::string comm,
          std::shared_ptr<FdTable> fds = nullptr,
          const ResourceLimits& limits = ResourceLimits::Defaults());
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  pid_t ppid() const { return ppid_; }
  // The command name (p_comm). Thread-safe; returns a copy.
  std::string comm() const;
  // Changes the command name (exec). Thread-safe.
  void set_comm(std::string comm);
  FdTable& fds() { return *fds_; }
  // The descriptor table as a shared object, to share it with a new process.
  const std::shared_ptr<FdTable>& shared_fds() const { return fds_; }

  Credentials credentials() const;
  // A change marks the process as having changed its ids (issetugid);
  // `mark_set_ugid` marks it even when nothing changed (setgroups does).
  void set_credentials(const Credentials& c, bool mark_set_ugid = false);
  bool set_ugid() const { return sugid_.load(std::memory_order_relaxed); }
  // The credentials a new process starts with, and its issetugid flag:
  // its parent's (fork), or a remote client's from the server's policy.
  // Unlike set_credentials, not a change of ids.
  void InitCredentials(const Credentials& c, bool set_ugid = false);

  // --- resource limits (getrlimit/setrlimit, proc.curproc)
  const ResourceLimits& limits() const { return limits_; }
  // ResourceLimits::Set, with the caller's privilege; a new RLIMIT_NOFILE
  // soft limit applies to the descriptor table at once, a new
  // RLIMIT_SBSIZE soft limit to the socket buffer account (later
  // reservations only).
  absl::Status SetLimit(int which, abi::Rlimit value, bool privileged);
  absl::Status SetCorename(std::string name) { return limits_.SetCorename(std::move(name)); }
  // Takes `from`'s limits (the second step of a remote fork, whose process
  // is a child of init).
  void InheritLimits(const Process& from);
  // The account the socket buffers of the sockets this process makes or
  // accepts are charged to, bounded by the soft RLIMIT_SBSIZE. Each
  // process has its own (a fork starts a new, empty one); it outlives the
  // process while a socket charged to it lives.
  const std::shared_ptr<SocketBufferAccount>& sb_account() const { return sb_account_; }

  // proc.curproc.stopfork/stopexec/stopexit (NetBSD's PS_STOPFORK...): kept
  // and reported; a rump kernel never stops a process, so they act on
  // nothing. `which` is abi::kProcPidStop*.
  bool stop_flag(int which) const;
  void set_stop_flag(int which, bool on);

  // --- interruption
  // Marks the process as being torn down (its remote client disconnected
  // in the middle of a call, or the kernel is halting). Every interruptible
  // sleep (SleepUntil in rump/kern/sleep.h: socket receives, poll, pollts,
  // select, nanosleep) that a thread of this process is in returns EINTR
  // promptly, and every later one returns EINTR at once, so no system call
  // of the process stays blocked. Calls that do not sleep are unaffected.
  // Permanent (there is no way to clear it); idempotent; thread-safe and
  // callable from any thread, including while threads of the process are
  // inside system calls. It does not close descriptors or release the
  // process: the caller still calls Kernel::ReleaseProcess afterwards.
  void Interrupt();
  bool interrupted() const { return interrupted_.load(std::memory_order_acquire); }

 private:
  friend class SleepRegistration;  // sleep.cc
  // One thread sleeping in SleepUntil: the mutex and condition variable an
  // Interrupt must lock and notify.
  struct Sleeper {
    std::mutex* mu;
    std::condition_variable* cv;
  };

  const pid_t pid_;
  const pid_t ppid_;
  mutable std::mutex comm_mu_;
  std::string comm_;  // guarded by comm_mu_
  mutable std::mutex cred_mu_;
  Credentials cred_;  // guarded by cred_mu_
  std::atomic<bool> sugid_{false};  // NetBSD's PK_SUGID
  const std::shared_ptr<FdTable> fds_;
  ResourceLimits limits_;
  const std::shared_ptr<SocketBufferAccount> sb_account_;
  std::atomic<uint32_t> stop_flags_{0};  // bit (which - kProcPidStopfork)

  std::atomic<bool> interrupted_{false};
  std::mutex sleep_mu_;             // guards sleepers_, interrupting_
  std::condition_variable sleep_cv_;  // interrupting_ dropped to 0
  std::vector<Sleeper*> sleepers_;
  int interrupting_ = 0;            // Interrupt calls walking sleepers_
};

}  // namespace rump

#endif  // RUMP_KERN_PROCESS_H_
