// Interruptible sleeps: the one way kernel code blocks on behalf of a system
// call (NetBSD's tsleep/cv_timedwait_sig with PCATCH).
//
// A sleep ends when its condition holds, its deadline passes, the calling
// process is interrupted (Process::Interrupt: the process is being torn
// down, e.g. its remote client went away) or the kernel halts. Socket
// receives, poll/select and nanosleep all sleep through SleepUntil, so
// interrupting a process or halting the kernel releases every thread
// blocked in a system call.
#ifndef RUMP_KERN_SLEEP_H_
#define RUMP_KERN_SLEEP_H_

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rump/kern/syscall.h"

namespace rump {

// A signal for one system call in progress: what NetBSD does when a caught
// signal without SA_RESTART is posted to the thread running the call. Once
// raised, the call's interruptible sleeps (SleepUntil) end with EINTR, the
// one under way and every later one; a call that does not sleep is
// unaffected. Raise is thread-safe and may come at any time: before the
// call sleeps, while it sleeps, or after it returned (then it changes
// nothing). A remote client raises it for a call of its own (sp's
// X_INTERRUPT); the call passes it to Kernel::Syscall.
class CallInterrupt {
 public:
  void Raise();
  bool raised() const { return raised_.load(std::memory_order_acquire); }

 private:
  friend class SleepRegistration;  // sleep.cc
  std::atomic<bool> raised_{false};
  std::mutex mu_;                  // guards the three below
  std::condition_variable cv_;     // raising_ went back to false
  std::mutex* sleeper_mu_ = nullptr;  // the sleeping call's mutex and cv
  std::condition_variable* sleeper_cv_ = nullptr;
  bool raising_ = false;           // Raise is about to notify the sleeper
};

// Waits on `cv` until pred() is true. `lock` holds the mutex that guards
// the condition and that wakers hold while changing it (they notify `cv`
// after the change); it is held on entry and on return, and released while
// sleeping. pred() is evaluated with `lock` held, first on entry.
//
// Returns OK when pred() is true (even if the process was interrupted too);
// otherwise EINTR (abi::Errno) when the calling process is interrupted, the
// call's CallInterrupt (ctx.interrupt) is raised or the kernel has halted,
// and a timeout status (IsSleepTimeout; not a NetBSD
// errno: each caller maps it, e.g. EAGAIN for SO_RCVTIMEO, 0 for poll) when
// `deadline` has passed. absl::InfiniteFuture() never times out; a deadline
// in the past makes it a non-blocking check.
//
// Lock order: the caller's mutex is taken before the process's internal
// sleep lock; never call this holding another mutex that an interrupter or
// a waker might need.
absl::Status SleepUntil(SyscallContext& ctx, std::unique_lock<std::mutex>& lock,
                        std::condition_variable& cv, absl::Time deadline,
                        absl::FunctionRef<bool()> pred);

// Sleeps for `d` (nanosleep): OK when the time has passed, EINTR when
// interrupted first.
absl::Status SleepFor(SyscallContext& ctx, absl::Duration d);

// Told by SleepUntil, on the sleeping thread, that the thread is about to
// block (asleep = true) and that it runs again (false); the two come in
// pairs, with the caller's mutex held, so a notifier must be quick and
// must not call into the kernel. For thread pools that run system calls: a
// call asleep in the kernel needs no CPU (sp's WorkerPool then lets its
// client's next call start).
using SleepNotifier = void (*)(bool asleep);
// Installs `notifier` for the calling thread (nullptr: none) and returns the
// one it replaces.
SleepNotifier SetThreadSleepNotifier(SleepNotifier notifier);

// True for the status SleepUntil returns at its deadline.
bool IsSleepTimeout(const absl::Status& s);

}  // namespace rump

#endif  // RUMP_KERN_SLEEP_H_
