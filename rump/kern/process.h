// Process: a kernel process (NetBSD's struct proc): identity, credentials,
// command name and descriptor table. Remote clients get one each; in-process
// callers use pid 1 unless they bind their thread to another.
#ifndef RUMP_KERN_PROCESS_H_
#define RUMP_KERN_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "rump/kern/fd_table.h"

namespace rump {

struct Credentials {
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;  // root for now
};

class Process {
 public:
  // A process with its own new descriptor table, or sharing `fds` with
  // other processes (NetBSD's RFFD_SHARE).
  Process(pid_t pid, pid_t ppid, std::string comm,
          std::shared_ptr<FdTable> fds = nullptr)
      : pid_(pid),
        ppid_(ppid),
        comm_(std::move(comm)),
        fds_(fds ? std::move(fds) : std::make_shared<FdTable>()) {}

  pid_t pid() const { return pid_; }
  pid_t ppid() const { return ppid_; }
  const std::string& comm() const { return comm_; }
  FdTable& fds() { return *fds_; }
  // The descriptor table as a shared object, to share it with a new process.
  const std::shared_ptr<FdTable>& shared_fds() const { return fds_; }

  Credentials credentials() const;
  void set_credentials(const Credentials& c);

 private:
  const pid_t pid_;
  const pid_t ppid_;
  const std::string comm_;
  std::atomic<uint64_t> uids_{0};  // uid | euid << 32
  std::atomic<uint64_t> gids_{0};
  const std::shared_ptr<FdTable> fds_;
};

}  // namespace rump

#endif  // RUMP_KERN_PROCESS_H_
