#include "sp/server/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace sp::server {

struct WorkerPool::State {
  explicit State(WorkerPoolOptions o)
      : options(o),
        reserve(std::min(o.reserved_threads, o.max_threads / 2)),
        runnable_cap(o.runnable_per_owner > 0
                         ? o.runnable_per_owner
                         : std::max<size_t>(2, std::thread::hardware_concurrency())) {}

  // One owner's waiting jobs, how many of its jobs run, and how many of
  // those are blocked.
  struct Owner {
    std::deque<std::function<void()>> jobs;
    size_t running = 0;
    size_t blocked = 0;
  };

  const WorkerPoolOptions options;
  const size_t reserve;  // reserved_threads, at most half the pool
  const size_t runnable_cap;  // runnable_per_owner, resolved
  std::mutex mu;
  std::condition_variable work_cv;  // jobs or shutdown, for idle threads
  std::condition_variable done_cv;  // a thread exited, for Shutdown
  std::unordered_map<uint64_t, Owner> owners;  // with jobs waiting or running
  std::deque<uint64_t> ready;  // owners with waiting jobs, in turn
  size_t waiting = 0;          // jobs in all queues
  size_t running = 0;          // jobs running
  size_t threads = 0;
  size_t idle = 0;
  size_t spinning = 0;
  std::atomic<size_t> queued{0};  // `waiting`, readable without the lock
  bool shut = false;

  // May a job of `o` start now? (Once shut down, every waiting job may:
  // they are run to the end.) Requires mu.
  bool Allowed(const Owner& o) const {
    if (shut) return true;
    if (o.running - o.blocked >= runnable_cap) return false;
    return reserve == 0 || o.running < options.light_owner_jobs ||
           running + reserve < options.max_threads;
  }
  // Some waiting job may start now. Requires mu.
  bool Runnable() const {
    for (uint64_t id : ready) {
      if (Allowed(owners.at(id))) return true;
    }
    return false;
  }
  // Takes the next job that may start, owners in turn, and counts it as
  // running. False if none may. Requires mu.
  bool Take(std::function<void()>* job, uint64_t* owner) {
    for (size_t n = ready.size(); n > 0; --n) {
      const uint64_t id = ready.front();
      ready.pop_front();
      Owner& o = owners.at(id);
      if (!Allowed(o)) {
        ready.push_back(id);
        continue;
      }
      *job = std::move(o.jobs.front());
      o.jobs.pop_front();
      if (!o.jobs.empty()) ready.push_back(id);
      --waiting;
      queued.store(waiting, std::memory_order_release);
      ++o.running;
      ++running;
      *owner = id;
      return true;
    }
    return false;
  }
  // A job of `id` ended. Requires mu.
  void Finished(uint64_t id) {
    auto it = owners.find(id);
    --it->second.running;
    --running;
    if (it->second.running == 0 && it->second.jobs.empty()) owners.erase(it);
  }
};

namespace {

// The pool whose thread this is, and where RunNextHere keeps a job (and
// its owner) for it.
thread_local const void* tls_pool = nullptr;
// NoteBlocked for the job this pool thread runs.
thread_local const std::function<void(bool)>* tls_note_blocked = nullptr;
thread_local std::function<void()>* tls_next = nullptr;
thread_local uint64_t* tls_next_owner = nullptr;
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

bool WorkerPool::SubmitFor(uint64_t owner, std::function<void()> job) {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  if (s.shut) return false;
  if (tls_claim && tls_pool == &s && *tls_next == nullptr) {
    // RunNextHere: this thread runs it when its current job returns.
    tls_claim = false;
    *tls_next = std::move(job);
    *tls_next_owner = owner;
    return true;
  }
  if (s.waiting >= s.options.max_queue) return false;
  State::Owner& o = s.owners[owner];
  if (o.jobs.empty()) s.ready.push_back(owner);
  o.jobs.push_back(std::move(job));
  ++s.waiting;
  s.queued.store(s.waiting, std::memory_order_release);
  // Each waiting thread takes one job; start a thread when the jobs
  // outnumber them (and this one may start at all).
  const bool spawn = s.Allowed(o) && s.waiting > s.idle + s.spinning &&
                     s.threads < s.options.max_threads;
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
  uint64_t next_owner = 0;
  if (s.options.on_thread_start) s.options.on_thread_start();
  uint64_t owner = 0;  // whose job this thread runs
  // A job of `owner` blocks or runs again. Once blocked, a waiting job of
  // its owner may be allowed to start: an idle thread takes it, or a new
  // one when none is idle (this one is busy).
  const std::function<void(bool)> note_blocked = [&s, &state, &owner](bool blocked) {
    std::unique_lock<std::mutex> lock(s.mu);
    auto it = s.owners.find(owner);
    if (it == s.owners.end()) return;
    if (!blocked) {
      if (it->second.blocked > 0) --it->second.blocked;
      return;
    }
    ++it->second.blocked;
    if (!s.Runnable()) return;
    const bool spawn = s.idle + s.spinning == 0 && s.threads < s.options.max_threads;
    if (spawn) ++s.threads;
    lock.unlock();
    if (spawn) {
      std::thread(&WorkerPool::Run, state).detach();
    } else {
      s.work_cv.notify_one();
    }
  };
  tls_pool = &s;
  tls_next = &next;
  tls_next_owner = &next_owner;
  tls_note_blocked = &note_blocked;
  std::unique_lock<std::mutex> lock(s.mu);
  for (;;) {
    std::function<void()> job;
    if (s.Take(&job, &owner)) {
      for (;;) {
        lock.unlock();
        job();
        job = nullptr;  // destroy what it captured outside the lock
        lock.lock();
        s.Finished(owner);
        if (next == nullptr) break;
        // The kept job starts at once, whatever the reserve says: it is
        // its owner's next request, read by the job that just ended.
        job = std::move(next);
        next = nullptr;
        owner = next_owner;
        ++s.owners[owner].running;
        ++s.running;
      }
      continue;
    }
    if (s.shut && s.waiting == 0) break;
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
      if (s.Runnable()) continue;
      if (s.shut && s.waiting == 0) break;
    }
    ++s.idle;
    const bool extra = s.idle > s.options.idle_threads;
    bool got = true;
    if (extra) {
      got = s.work_cv.wait_for(lock, absl::ToChronoNanoseconds(s.options.idle_timeout),
                               [&] { return s.Runnable() || s.shut; });
    } else {
      s.work_cv.wait(lock, [&] { return s.Runnable() || s.shut; });
    }
    --s.idle;
    if (!got) break;  // an extra thread idle for too long leaves
  }
  tls_note_blocked = nullptr;
  tls_next = nullptr;
  tls_next_owner = nullptr;
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

void WorkerPool::NoteBlocked(bool blocked) {
  if (tls_note_blocked != nullptr) (*tls_note_blocked)(blocked);
}

size_t WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

}  // namespace sp::server
