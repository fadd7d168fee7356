#include "rump/kern/timer.h"

#include "absl/time/clock.h"

namespace rump {

TimerQueue::TimerQueue() : thread_([this] { Run(); }) {}

TimerQueue::~TimerQueue() { Stop(); }

TimerQueue::TimerId TimerQueue::Schedule(absl::Duration delay,
                                         std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  const TimerId id = next_id_++;
  const absl::Time when = absl::Now() + delay;
  queue_.emplace(std::make_pair(when, id), std::move(fn));
  deadlines_.emplace(id, when);
  cv_.notify_one();
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = deadlines_.find(id);
  if (it != deadlines_.end()) {
    queue_.erase(std::make_pair(it->second, id));
    deadlines_.erase(it);
    return true;
  }
  // Already running: wait for it, unless we are that callback.
  if (running_ == id && std::this_thread::get_id() != runner_id_) {
    idle_cv_.wait(lock, [&] { return running_ != id; });
  }
  return false;
}

void TimerQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
    deadlines_.clear();
    cv_.notify_all();
  }
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) {
    thread_.join();
  }
}

void TimerQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  runner_id_ = std::this_thread::get_id();
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = queue_.begin();
    const absl::Time when = first->first.first;
    const absl::Time now = absl::Now();
    if (when > now) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(when - now));
      continue;
    }
    const TimerId id = first->first.second;
    std::function<void()> fn = std::move(first->second);
    queue_.erase(first);
    deadlines_.erase(id);
    running_ = id;
    lock.unlock();
    fn();
    lock.lock();
    running_ = 0;
    idle_cv_.notify_all();
  }
}

}  // namespace rump
