// TimerQueue: the kernel's timers (NetBSD's callouts). Callbacks run on one
// thread per kernel, in deadline order, never concurrently with each other.
//
// Promises: a callback runs at or after its deadline, at most once; Cancel
// returns only when the callback is neither running nor going to run (unless
// called from that very callback); Stop (or destruction) runs no further
// callbacks and joins the thread.
#ifndef RUMP_KERN_TIMER_H_
#define RUMP_KERN_TIMER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"

namespace rump {

class TimerQueue {
 public:
  using TimerId = uint64_t;

  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` once, `delay` from now. Returns an id for Cancel (never 0).
  TimerId Schedule(absl::Duration delay, std::function<void()> fn);
  // Cancels a pending timer; true if it had not run yet.
  bool Cancel(TimerId id);
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> queue_;
  std::map<TimerId, absl::Time> deadlines_;
  TimerId next_id_ = 1;
  TimerId running_ = 0;
  std::thread::id runner_id_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rump

#endif  // RUMP_KERN_TIMER_H_
