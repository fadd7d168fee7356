#include "rump/kern/timer.h"

#include <atomic>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace rump {
namespace {

TEST(TimerQueueTest, RunsInDeadlineOrder) {
  TimerQueue q;
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> done{0};
  for (int i : {3, 1, 2}) {
    q.Schedule(absl::Milliseconds(10 * i), [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
      ++done;
    });
  }
  while (done < 3) absl::SleepFor(absl::Milliseconds(1));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueueTest, CancelledTimersNeverRun) {
  TimerQueue q;
  std::atomic<bool> ran{false};
  auto id = q.Schedule(absl::Milliseconds(20), [&] { ran = true; });
  EXPECT_TRUE(q.Cancel(id));
  EXPECT_FALSE(q.Cancel(id));
  absl::SleepFor(absl::Milliseconds(40));
  EXPECT_FALSE(ran);
}

TEST(TimerQueueTest, StopRunsNothingMore) {
  std::atomic<bool> ran{false};
  {
    TimerQueue q;
    q.Schedule(absl::Seconds(10), [&] { ran = true; });
  }  // destruction must not wait 10 s nor run it
  EXPECT_FALSE(ran);
}

TEST(TimerQueueTest, CallbacksMayScheduleAndCancelThemselves) {
  TimerQueue q;
  std::atomic<int> runs{0};
  std::atomic<TimerQueue::TimerId> id{0};
  std::function<void()> tick = [&] {
    if (++runs < 3) q.Schedule(absl::Milliseconds(1), tick);
    q.Cancel(id.load());  // cancelling itself while it runs must not block
  };
  id = q.Schedule(absl::Milliseconds(1), tick);
  while (runs < 3) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace rump
