// Kernel: one rump kernel instance. It owns its processes, its syscall table,
// its sysctl tree and its components (the network stack, interface drivers).
//
// Kernel is an object, not a global: one host process may run several, each
// with its own pid space, interfaces and sysctl values (tests rely on it).
// rump_init() makes the one that the C API and rump_server use.
//
// Every public method is thread-safe.
#ifndef RUMP_KERN_KERNEL_H_
#define RUMP_KERN_KERNEL_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rump/kern/process.h"
#include "rump/kern/syscall.h"
#include "rump/kern/sysctl.h"
#include "rump/kern/timer.h"

namespace rump {

class Kernel;

// A part of the kernel added at boot (NetBSD's rump components: the network
// base, IPv4, shmif, ...). Attach registers its syscalls, sysctl nodes and
// anything else with the kernel; Detach undoes what must be undone at halt.
class Component {
 public:
  virtual ~Component() = default;
  virtual const char* name() const = 0;
  virtual absl::Status Attach(Kernel& kernel) = 0;
  virtual void Detach(Kernel&) {}
};

struct KernelOptions {
  // kern.hostname; empty means NetBSD's rump default "rump-<pid>.<host name>".
  std::string hostname;
  int ncpu = 2;
  // Components, attached in order at boot.
  std::vector<std::function<std::unique_ptr<Component>()>> components;
};

class Kernel {
 public:
  // Boots a kernel: creates pid 1 ("rumplocal", descriptors 0-2 on the
  // console), the base syscalls and sysctl nodes, then attaches components.
  static absl::StatusOr<std::unique_ptr<Kernel>> Boot(KernelOptions options);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // --- system calls
  // Runs NetBSD syscall `number` for `process`. Never aborts: an unknown
  // number is ENOSYS.
  // `interrupt`, if given, ends the call's sleeps with EINTR once raised.
  SyscallResult Syscall(Process& process, UserMemory& mem, int number,
                        absl::Span<const uint64_t> args, CallInterrupt* interrupt = nullptr);
  // The same for the process this thread is bound to (pid 1 by default).
  SyscallResult Syscall(int number, absl::Span<const uint64_t> args);
  SyscallTable& syscalls() { return syscalls_; }
  SysctlTree& sysctl() { return *sysctl_; }
  // The kernel's timers; stopped when the kernel is destroyed.
  TimerQueue& timers() { return *timers_; }

  // --- processes
  // A new process with ppid `parent` and a fresh descriptor table with 0-2
  // on the console, or sharing `fds` (another process's table) if given.
  // It starts with the parent's resource limits and credentials (fork), or
  // the default limits and root when there is no such process.
  std::shared_ptr<Process> NewProcess(pid_t parent, std::string comm,
                                      std::shared_ptr<FdTable> fds = nullptr);
  std::shared_ptr<Process> FindProcess(pid_t pid) const;
  // Every process, by increasing pid.
  std::vector<std::shared_ptr<Process>> Processes() const;
  // Removes a process and closes its descriptors (unless another process
  // still shares the table).
  void ReleaseProcess(pid_t pid);
  Process& init() { return *init_; }
  // The process of the calling thread in this kernel (pid 1 unless bound).
  Process& CurrentProcess();
  // Binds the calling thread to `process` in this kernel (nullptr: pid 1).
  void BindThread(std::shared_ptr<Process> process);

  // --- components
  template <typename T>
  T* Find() const {
    auto it = components_by_type_.find(std::type_index(typeid(T)));
    return it == components_by_type_.end() ? nullptr : static_cast<T*>(it->second);
  }
  bool HasComponent(const std::string& name) const;

  // --- halting (reboot(2), SIGTERM in rump_server)
  // Halts once: detaches components in reverse order and wakes WaitHalted.
  void Halt(int howto);
  bool halted() const;
  // Blocks until Halt has run; returns its `howto`.
  int WaitHalted();

  // --- observing blocked calls
  // How many threads are asleep in SleepUntil (rump/kern/sleep.h) on behalf
  // of a system call of this kernel right now. A thread counts from the
  // moment it registers as a sleeper, with the mutex guarding its condition
  // still held, until it wakes; so once a test sees the count rise, any
  // change made under that mutex wakes the sleeper (no lost wake-up). This
  // is how tests and rump_server's status line know that a call is blocked,
  // instead of sleeping and hoping.
  int sleeping_threads() const { return sleeping_threads_.load(std::memory_order_acquire); }

  // --- the kernel's messages (NetBSD's log(9) and kernel printf)
  // Writes one line (a newline is added) to the console, the host
  // process's standard output, and keeps it: the most recent 64 KiB of
  // messages stay readable through messages(), as NetBSD's message buffer.
  void Log(absl::string_view line);
  // How much of the latest messages() keeps (kern.msgbufsize).
  static constexpr size_t kMessageBufferBytes = 64 * 1024;
  std::string messages() const;

  const std::string& hostname_default() const { return default_hostname_; }
  int ncpu() const { return ncpu_; }

 private:
  Kernel(KernelOptions options);
  absl::Status Start(KernelOptions& options);
  void AddComponent(std::unique_ptr<Component> c);

  const int ncpu_;
  std::string default_hostname_;
  SyscallTable syscalls_;
  std::unique_ptr<SysctlTree> sysctl_;
  std::unique_ptr<TimerQueue> timers_;

  mutable std::mutex procs_mu_;
  std::map<pid_t, std::shared_ptr<Process>> procs_;
  pid_t next_pid_ = 2;
  std::shared_ptr<Process> init_;

  std::vector<std::unique_ptr<Component>> components_;
  std::map<std::type_index, Component*> components_by_type_;

  friend class SleepRegistration;  // sleep.cc keeps sleeping_threads_
  std::atomic<int> sleeping_threads_{0};

  mutable std::mutex log_mu_;
  std::string messages_;  // guarded by log_mu_

  mutable std::mutex halt_mu_;
  std::condition_variable halt_cv_;
  bool halted_ = false;
  int halt_howto_ = 0;
};

}  // namespace rump

#endif  // RUMP_KERN_KERNEL_H_
