#include "sp/server/worker_pool.h"

#include <atomic>
#include <chrono>
#include <thread>

namespace sp::server {

struct WorkerPool::State {
  explicit State(WorkerPoolOptions o) : options(o) {}
  const WorkerPoolOptions options;
  std::mutex mu;
  std::condition_variable work_cv;  // jobs or shutdown, for idle threads
  std::condition_variable done_cv;  // a thread exited, for Shutdown
  std::deque<std::function<void()>> queue;
  size_t threads = 0;
  size_t idle = 0;
  size_t spinning = 0;
  std::atomic<size_t> queued{0};  // queue.size(), readable without the lock
  bool shut = false;
};

namespace {

// The pool whose thread this is, and where RunNextHere keeps a job for it.
thread_local const void* tls_pool = nullptr;
thread_local std::function<void()>* tls_next = nullptr;
thread_local bool tls_claim = false;

}  // namespace

RunNextHere::RunNextHere() { tls_claim = tls_next != nullptr; }
RunNextHere::~RunNextHere() { tls_claim = false; }

WorkerPool::WorkerPool(WorkerPoolOptions options)
    : state_(std::make_shared<State>(options)) {
  if (state_->options.max_threads == 0) {
    // At least one thread, or nothing would ever run.
    WorkerPoolOptions o = options;
    o.max_threads = 1;
    state_ = std::make_shared<State>(o);
  }
}

WorkerPool::~WorkerPool() { Shutdown(absl::InfiniteDuration()); }

bool WorkerPool::Submit(std::function<void()> job) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.shut) return false;
  if (tls_claim && tls_pool == &s && *tls_next == nullptr) {
    // RunNextHere: this thread runs it when its current job returns.
    tls_claim = false;
    *tls_next = std::move(job);
    return true;
  }
  if (s.queue.size() >= s.options.max_queue) return false;
  s.queue.push_back(std::move(job));
  s.queued.store(s.queue.size(), std::memory_order_release);
  // Each waiting thread takes one job; start a thread when the jobs
  // outnumber them.
  const bool spawn =
      s.queue.size() > s.idle + s.spinning && s.threads < s.options.max_threads;
  if (spawn) ++s.threads;
  lock.unlock();
  if (spawn) {
    std::thread(&WorkerPool::Run, state_).detach();
  } else {
    s.work_cv.notify_one();
  }
  return true;
}

void WorkerPool::Run(std::shared_ptr<State> state) {
  State& s = *state;
  std::function<void()> next;  // a job kept for this thread (RunNextHere)
  tls_pool = &s;
  tls_next = &next;
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    if (!s.queue.empty()) {
      std::function<void()> job = std::move(s.queue.front());
      s.queue.pop_front();
      s.queued.store(s.queue.size(), std::memory_order_release);
      lock.unlock();
      job();
      job = nullptr;  // destroy what it captured outside the lock
      while (next != nullptr) {
        job = std::move(next);
        next = nullptr;
        job();
        job = nullptr;
      }
      lock.lock();
      continue;
    }
    if (s.shut) break;
    if (s.options.spin > absl::ZeroDuration() && s.spinning < 1) {
      // One thread at a time watches the queue for a moment, lock-free.
      ++s.spinning;
      lock.unlock();
      const auto until =
          std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(s.options.spin);
      while (s.queued.load(std::memory_order_acquire) == 0 &&
             std::chrono::steady_clock::now() < until) {
        std::this_thread::yield();  // give way to whoever has work
      }
      lock.lock();
      --s.spinning;
      if (!s.queue.empty()) continue;
      if (s.shut) break;
    }
    ++s.idle;
    const bool extra = s.idle > s.options.idle_threads;
    bool got = true;
    if (extra) {
      got = s.work_cv.wait_for(lock, absl::ToChronoNanoseconds(s.options.idle_timeout),
                               [&] { return !s.queue.empty() || s.shut; });
    } else {
      s.work_cv.wait(lock, [&] { return !s.queue.empty() || s.shut; });
    }
    --s.idle;
    if (!got) break;  // an extra thread idle for too long leaves
  }
  tls_next = nullptr;
  tls_pool = nullptr;
  --s.threads;
  s.done_cv.notify_all();
}

bool WorkerPool::Shutdown(absl::Duration timeout) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  s.shut = true;
  s.work_cv.notify_all();
  if (timeout == absl::InfiniteDuration()) {
    s.done_cv.wait(lock, [&] { return s.threads == 0; });
    return true;
  }
  return s.done_cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                            [&] { return s.threads == 0; });
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

}  // namespace sp::server
