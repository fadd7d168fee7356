#include "rump/kern/poll.h"

#include <algorithm>

#include "rump/kern/sleep.h"

namespace rump {

void Poller::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void Poller::Arm() {
  std::lock_guard<std::mutex> lock(mu_);
  notified_ = false;
}

absl::Status Poller::Wait(SyscallContext& ctx, absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return SleepUntil(ctx, lock, cv_, deadline, [this] { return notified_; });
}

void PollWaiters::Add(Poller* p) {
  std::lock_guard<std::mutex> lock(mu_);
  pollers_.push_back(p);
}

void PollWaiters::Remove(Poller* p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(pollers_.begin(), pollers_.end(), p);
  if (it != pollers_.end()) pollers_.erase(it);
}

void PollWaiters::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Poller* p : pollers_) p->Notify();
}

}  // namespace rump
