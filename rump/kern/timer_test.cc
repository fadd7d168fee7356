#include "rump/kern/timer.h"

#include <atomic>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Eventually;

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
  ASSERT_TRUE(Eventually([&] { return done == 3; }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueueTest, CancelledTimersNeverRun) {
  TimerQueue q;
  std::atomic<bool> ran{false};
  std::atomic<bool> later_ran{false};
  auto id = q.Schedule(absl::Milliseconds(20), [&] { ran = true; });
  q.Schedule(absl::Milliseconds(30), [&] { later_ran = true; });
  EXPECT_TRUE(q.Cancel(id));
  EXPECT_FALSE(q.Cancel(id));
  // Timers run in deadline order: once the later one has run, the cancelled
  // one would have.
  ASSERT_TRUE(Eventually([&] { return later_ran.load(); }));
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
  ASSERT_TRUE(Eventually([&] { return runs >= 3; }));
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace rump
