#include "sp/server/worker_pool.h"

#include <atomic>
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

// A gate jobs wait at until it opens. Waiting, a pool thread's job is
// blocked, and tells the pool so, as a call asleep in the kernel does.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    WorkerPool::NoteBlocked(true);
    cv_.wait(lock, [&] { return open_; });
    WorkerPool::NoteBlocked(false);
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// An owner whose jobs block cannot take the reserved threads: another
// owner's job still runs while the first one's extra jobs wait, and they
// run once the blocked ones end.
TEST(WorkerPoolTest, AnOwnerThatBlocksLeavesTheReserveToOthers) {
  WorkerPoolOptions o;
  o.max_threads = 8;
  o.reserved_threads = 4;
  o.light_owner_jobs = 2;
  WorkerPool pool(o);
  Gate gate;
  Counter started, done;
  // Owner 1 may hold 8 - 4 = 4 threads; its other 6 jobs wait.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.SubmitFor(1, [&] {
      started.Add();
      gate.Wait();
      done.Add();
    }));
  }
  ASSERT_TRUE(started.WaitFor(4));
  // Owner 2's jobs run although owner 1 has work waiting.
  Counter other;
  ASSERT_TRUE(pool.SubmitFor(2, [&] { other.Add(); }));
  ASSERT_TRUE(pool.SubmitFor(2, [&] { other.Add(); }));
  EXPECT_TRUE(other.WaitFor(2));
  gate.Open();
  EXPECT_TRUE(done.WaitFor(10));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
}

// Without a reserve, the same owner takes every thread and the other's job
// waits for one (what the reserve prevents).
TEST(WorkerPoolTest, WithoutTheReserveOneOwnerCanHoldEveryThread) {
  WorkerPoolOptions o;
  o.max_threads = 4;
  o.reserved_threads = 0;
  WorkerPool pool(o);
  Gate gate;
  Counter started, done;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(pool.SubmitFor(1, [&] {
      started.Add();
      gate.Wait();
    }));
  }
  ASSERT_TRUE(started.WaitFor(4));
  std::atomic<bool> ran{false};
  ASSERT_TRUE(pool.SubmitFor(2, [&] {
    ran = true;
    done.Add();
  }));
  EXPECT_EQ(pool.threads(), 4u);
  EXPECT_FALSE(ran.load());  // no thread is free, and none may start
  gate.Open();
  EXPECT_TRUE(done.WaitFor(1));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
}

// Waiting jobs are taken owner by owner: a job submitted after another
// owner's long backlog runs second, not last.
TEST(WorkerPoolTest, WaitingJobsAreTakenInTurnByOwner) {
  WorkerPoolOptions o;
  o.max_threads = 1;
  o.spin = absl::ZeroDuration();
  WorkerPool pool(o);
  Gate gate;
  Counter started, done;
  std::mutex mu;
  std::vector<int> order;
  ASSERT_TRUE(pool.SubmitFor(1, [&] {
    started.Add();
    gate.Wait();
  }));
  ASSERT_TRUE(started.WaitFor(1));  // the only thread is busy from here on
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.SubmitFor(1, [&, i] {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(10 + i);
      done.Add();
    }));
  }
  ASSERT_TRUE(pool.SubmitFor(2, [&] {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(20);
    done.Add();
  }));
  gate.Open();
  ASSERT_TRUE(done.WaitFor(6));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(order, (std::vector<int>{10, 20, 11, 12, 13, 14}));
}

// Jobs of one owner that need a CPU run at most runnable_per_owner at once;
// another owner's job is not held up by them.
TEST(WorkerPoolTest, AnOwnersRunnableJobsAreBounded) {
  WorkerPoolOptions o;
  o.runnable_per_owner = 2;
  WorkerPool pool(o);
  std::atomic<bool> release{false};
  std::atomic<int> running{0}, most{0};
  Counter started, done;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(pool.SubmitFor(1, [&] {
      const int now = ++running;
      for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
      }
      started.Add();
      while (!release.load()) std::this_thread::yield();  // busy, not blocked
      --running;
      done.Add();
    }));
  }
  ASSERT_TRUE(started.WaitFor(2));
  Counter other;
  ASSERT_TRUE(pool.SubmitFor(2, [&] { other.Add(); }));
  EXPECT_TRUE(other.WaitFor(1));
  EXPECT_EQ(running.load(), 2);
  release = true;
  EXPECT_TRUE(done.WaitFor(6));
  EXPECT_EQ(most.load(), 2);
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
}

// Blocked jobs (NoteBlocked) do not count against the bound: all of them
// start, and each one that blocks lets the next one in.
TEST(WorkerPoolTest, BlockedJobsLeaveTheirOwnersShareToItsNextJobs) {
  WorkerPoolOptions o;
  o.runnable_per_owner = 1;
  WorkerPool pool(o);
  Gate gate;
  Counter started, done;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(pool.SubmitFor(1, [&] {
      started.Add();
      gate.Wait();
      done.Add();
    }));
  }
  EXPECT_TRUE(started.WaitFor(8));
  gate.Open();
  EXPECT_TRUE(done.WaitFor(8));
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(30)));
}

// Jobs still waiting at shutdown run once threads are free, the reserve
// notwithstanding (and Shutdown waits for them).
TEST(WorkerPoolTest, ShutdownRunsWaitingJobs) {
  WorkerPoolOptions o;
  o.max_threads = 4;
  o.reserved_threads = 2;
  o.light_owner_jobs = 1;
  WorkerPool pool(o);
  Gate gate;
  Counter started, done;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(pool.SubmitFor(7, [&] {
      started.Add();
      gate.Wait();
      done.Add();
    }));
  }
  ASSERT_TRUE(started.WaitFor(2));
  std::thread opener([&] { gate.Open(); });
  EXPECT_TRUE(pool.Shutdown(absl::Seconds(60)));
  opener.join();
  EXPECT_TRUE(done.WaitFor(6));
}

}  // namespace
}  // namespace sp::server
