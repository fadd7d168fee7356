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

#include <condition_variable>
#include <mutex>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "rump/kern/syscall.h"

namespace rump {

// Waits on `cv` until pred() is true. `lock` holds the mutex that guards
// the condition and that wakers hold while changing it (they notify `cv`
// after the change); it is held on entry and on return, and released while
// sleeping. pred() is evaluated with `lock` held, first on entry.
//
// Returns OK when pred() is true (even if the process was interrupted too);
// otherwise EINTR (abi::Errno) when the calling process is interrupted or
// the kernel has halted, and a timeout status (IsSleepTimeout; not a NetBSD
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

// True for the status SleepUntil returns at its deadline.
bool IsSleepTimeout(const absl::Status& s);

}  // namespace rump

#endif  // RUMP_KERN_SLEEP_H_
