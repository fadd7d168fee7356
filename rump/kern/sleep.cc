#include "rump/kern/sleep.h"

#include <algorithm>
#include <chrono>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/kern/kernel.h"
#include "rump/kern/process.h"
#include "trace/stages.h"

namespace rump {

// Registers one sleeping thread with its process (and its call's
// interrupt, if any) for the time of one wait, so that Process::Interrupt
// and CallInterrupt::Raise can wake it.
class SleepRegistration {
 public:
  SleepRegistration(Kernel& k, Process& p, CallInterrupt* call, std::mutex* mu,
                    std::condition_variable* cv)
      : k_(k), p_(p), call_(call), me_{mu, cv} {}

  // Called with the sleeper's mutex held (lock order: caller's mutex ->
  // process sleep lock, or the call interrupt's lock). False if the process
  // or the call is already interrupted.
  bool Add() {
    if (call_ != nullptr) {
      std::lock_guard<std::mutex> g(call_->mu_);
      if (call_->raised()) return false;
      call_->sleeper_mu_ = me_.mu;
      call_->sleeper_cv_ = me_.cv;
    }
    std::lock_guard<std::mutex> g(p_.sleep_mu_);
    if (p_.interrupted()) {
      if (call_ != nullptr) ForgetCall();
      return false;
    }
    p_.sleepers_.push_back(&me_);
    k_.sleeping_threads_.fetch_add(1, std::memory_order_release);
    return true;
  }
  // Called with `lock` (the sleeper's mutex) held; returns with it held. If
  // an Interrupt is walking the list it may be about to take our mutex, so
  // we let go of it until that Interrupt is done.
  void Remove(std::unique_lock<std::mutex>& lock) {
    std::unique_lock<std::mutex> g(p_.sleep_mu_);
    if (p_.interrupting_ > 0) {
      lock.unlock();
      p_.sleep_cv_.wait(g, [this] { return p_.interrupting_ == 0; });
    }
    auto it = std::find(p_.sleepers_.begin(), p_.sleepers_.end(), &me_);
    if (it != p_.sleepers_.end()) {
      p_.sleepers_.erase(it);
      k_.sleeping_threads_.fetch_sub(1, std::memory_order_release);
    }
    g.unlock();
    if (call_ != nullptr) {
      // The same for a Raise that may be about to take our mutex.
      std::unique_lock<std::mutex> c(call_->mu_);
      if (call_->raising_) {
        if (lock.owns_lock()) lock.unlock();
        call_->cv_.wait(c, [this] { return !call_->raising_; });
      }
      call_->sleeper_mu_ = nullptr;
      call_->sleeper_cv_ = nullptr;
    }
    if (!lock.owns_lock()) lock.lock();
  }

 private:
  void ForgetCall() {
    std::lock_guard<std::mutex> g(call_->mu_);
    call_->sleeper_mu_ = nullptr;
    call_->sleeper_cv_ = nullptr;
  }

  Kernel& k_;
  Process& p_;
  CallInterrupt* const call_;
  Process::Sleeper me_;
};

void CallInterrupt::Raise() {
  std::mutex* mu;
  std::condition_variable* cv;
  {
    std::lock_guard<std::mutex> g(mu_);
    raised_.store(true, std::memory_order_release);
    mu = sleeper_mu_;
    cv = sleeper_cv_;
    if (mu == nullptr) return;  // not asleep: the next sleep sees raised()
    raising_ = true;  // keeps the sleeper (and its mutex) in place
  }
  // The sleeper holds its mutex from its last look at raised() until it
  // waits: taking it here means it waits now (or went past), so the
  // notification cannot be lost.
  { std::lock_guard<std::mutex> g(*mu); }
  cv->notify_all();
  {
    std::lock_guard<std::mutex> g(mu_);
    raising_ = false;
  }
  cv_.notify_all();
}

namespace {

thread_local SleepNotifier tls_sleep_notifier = nullptr;

const absl::Status& TimeoutStatus() {
  static const absl::Status* const s =
      new absl::Status(absl::StatusCode::kDeadlineExceeded, "sleep timed out");
  return *s;
}

}  // namespace

SleepNotifier SetThreadSleepNotifier(SleepNotifier notifier) {
  SleepNotifier old = tls_sleep_notifier;
  tls_sleep_notifier = notifier;
  return old;
}

bool IsSleepTimeout(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDeadlineExceeded && s.message() == "sleep timed out";
}

absl::Status SleepUntil(SyscallContext& ctx, std::unique_lock<std::mutex>& lock,
                        std::condition_variable& cv, absl::Time deadline,
                        absl::FunctionRef<bool()> pred) {
  Process& p = ctx.process;
  CallInterrupt* const call = ctx.interrupt;
  auto interrupted = [&] { return p.interrupted() || (call != nullptr && call->raised()); };
  SleepRegistration reg(ctx.kernel, p, call, lock.mutex(), &cv);
  for (;;) {
    if (pred()) return absl::OkStatus();
    if (interrupted() || ctx.kernel.halted()) return abi::Errno(abi::kEINTR);
    const absl::Time now = absl::Now();
    if (now >= deadline) return TimeoutStatus();
    if (!reg.Add()) return abi::Errno(abi::kEINTR);
    auto woken = [&] { return pred() || interrupted(); };
    const int64_t slept_ns = trace::NowNanos();
    const SleepNotifier notifier = tls_sleep_notifier;
    if (notifier != nullptr) notifier(true);
    if (deadline == absl::InfiniteFuture()) {
      cv.wait(lock, woken);
    } else {
      // Sleep in bounded slices so that a far deadline cannot overflow the
      // clock arithmetic; the loop re-checks everything anyway.
      const absl::Duration left = std::min(deadline - now, absl::Hours(1));
      cv.wait_for(lock, absl::ToChronoNanoseconds(left), woken);
    }
    if (notifier != nullptr) notifier(false);
    // Latency stages: how long it slept, and, if a frame came in while it
    // slept, how long from that frame to running again.
    trace::RecordSince(trace::Stage::kKernSleep, slept_ns);
    if (const int64_t frame_ns = trace::LastFrameRead(); frame_ns > slept_ns) {
      trace::RecordSince(trace::Stage::kKernWake, frame_ns);
    }
    reg.Remove(lock);
  }
}

absl::Status SleepFor(SyscallContext& ctx, absl::Duration d) {
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  absl::Status s = SleepUntil(ctx, lock, cv, absl::Now() + d, [] { return false; });
  if (IsSleepTimeout(s)) return absl::OkStatus();
  return s;
}

}  // namespace rump
