#include "sp/server/worker_pool.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace sp::server {
namespace {

// Waits for a count to reach a value.
class Counter {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++n_;
    cv_.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return n_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

TEST(WorkerPoolTest, RunsEveryJob) {
  WorkerPool pool;
  Counter done;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.Submit([&] { done.Add(); }));
  EXPECT_TRUE(done.WaitFor(100));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
  EXPECT_FALSE(pool.Submit([] {}));
}

// RunNextHere: the first job submitted inside it runs on the same thread,
// after the submitting job has returned; a second one is queued as usual.
TEST(WorkerPoolTest, RunNextHereKeepsTheFirstJobForThisThread) {
  WorkerPool pool;
  std::mutex mu;
  std::thread::id first_thread, kept_thread;
  bool first_returned = false, kept_saw_return = false;
  Counter done;
  ASSERT_TRUE(pool.Submit([&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      first_thread = std::this_thread::get_id();
    }
    {
      RunNextHere claim;
      EXPECT_TRUE(pool.Submit([&] {
        std::lock_guard<std::mutex> lock(mu);
        kept_thread = std::this_thread::get_id();
        kept_saw_return = first_returned;
        done.Add();
      }));
      EXPECT_TRUE(pool.Submit([&] { done.Add(); }));  // queued: any thread
    }
    std::lock_guard<std::mutex> lock(mu);
    first_returned = true;
  }));
  ASSERT_TRUE(done.WaitFor(2));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(kept_thread, first_thread);
  EXPECT_TRUE(kept_saw_return);
}

// Outside a pool thread, and after its scope, RunNextHere changes nothing.
TEST(WorkerPoolTest, RunNextHereElsewhereIsANoOp) {
  WorkerPool pool;
  Counter done;
  {
    RunNextHere claim;  // not a pool thread
    ASSERT_TRUE(pool.Submit([&] { done.Add(); }));
  }
  EXPECT_TRUE(done.WaitFor(1));
  // A job that used RunNextHere and submitted nothing: the next job it
  // submits after the scope is queued (it runs even though this job waits).
  Counter inner;
  ASSERT_TRUE(pool.Submit([&] {
    { RunNextHere claim; }
    EXPECT_TRUE(pool.Submit([&] { inner.Add(); }));
    EXPECT_TRUE(inner.WaitFor(1));
    done.Add();
  }));
  EXPECT_TRUE(done.WaitFor(2));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
}

}  // namespace
}  // namespace sp::server
