// Where a session runs its system calls. The server uses a WorkerPool (a
// bounded set of threads with a queue, as NetBSD's: at most 128 threads, 16
// kept idle); tests and the fuzzer may run calls inline.
#ifndef RUMP_SP_SERVER_WORKER_POOL_H_
#define RUMP_SP_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "absl/time/time.h"

namespace sp::server {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `job` some time later (or now). False if it cannot take the job
  // (queue full, shut down); the job is then dropped unrun.
  virtual bool Submit(std::function<void()> job) = 0;
  // The same for a job of `owner` (a client: its jobs are scheduled
  // fairly against other owners' where the executor does that). By
  // default, Submit.
  virtual bool SubmitFor(uint64_t owner, std::function<void()> job) {
    (void)owner;
    return Submit(std::move(job));
  }
};

// Runs every job at once, in the caller's thread (deterministic; for tests
// and the fuzzer, where the "client" answers copyin requests re-entrantly).
class InlineExecutor final : public Executor {
 public:
  bool Submit(std::function<void()> job) override {
    job();
    return true;
  }
};

struct WorkerPoolOptions {
  size_t max_threads = 128;   // NetBSD's MAXWORKER
  size_t idle_threads = 16;   // kept waiting when there is no work (IDLEWORKER)
  size_t max_queue = 65536;   // jobs waiting for a thread; Submit fails beyond
  absl::Duration idle_timeout = absl::Seconds(10);  // extra idle threads exit after
  // A thread that finished a job watches the queue this long before it
  // sleeps: the next request of a busy client is picked up without a
  // wake-up (which costs more than the whole of a getpid).
  absl::Duration spin = absl::Microseconds(50);
  // Fairness between owners (SubmitFor). Waiting jobs are taken round
  // robin by owner, so one owner's backlog does not delay another's next
  // job. And the last `reserved_threads` threads run only jobs of owners
  // with fewer than `light_owner_jobs` jobs running: an owner whose jobs
  // block in the kernel can hold at most max_threads - reserved_threads
  // threads, and the others still get theirs (its further jobs wait until
  // one of its own ends or the pool has room). 0 turns the reserve off.
  size_t reserved_threads = 16;
  size_t light_owner_jobs = 4;
  // At most this many jobs of one owner run at once that are not blocked
  // (WorkerPool::NoteBlocked): an owner that pipelines many quick requests
  // can keep every CPU busy, but not fill the machine's run queue with
  // threads that every other client's calls must then queue behind. Its
  // jobs that block in the kernel do not count, so it can still hold many
  // blocking calls at once. 0: the number of CPUs, at least 2.
  size_t runnable_per_owner = 0;
  // Runs first on every pool thread (e.g. to install the kernel's sleep
  // notifier: rump::SetThreadSleepNotifier(&WorkerPool::NoteBlocked)).
  std::function<void()> on_thread_start;
};

// While one of these lives on a WorkerPool thread (inside a job), the first
// job that thread submits is not queued: it is kept for that thread, which
// runs it as soon as the current job returns, with no hand-off to another
// thread and no wake-up. Elsewhere (not a pool thread) it does nothing.
// For a job that reads its client's next request just before it ends.
class RunNextHere {
 public:
  RunNextHere();
  ~RunNextHere();
  RunNextHere(const RunNextHere&) = delete;
  RunNextHere& operator=(const RunNextHere&) = delete;
};

// Threads start on demand (a job that finds no idle thread starts one, up to
// max_threads; beyond that it waits in the queue). Jobs submitted without
// an owner share owner 0. Thread-safe.
class WorkerPool final : public Executor {
 public:
  explicit WorkerPool(WorkerPoolOptions options = {});
  // Shutdown(infinite).
  ~WorkerPool() override;

  bool Submit(std::function<void()> job) override { return SubmitFor(0, std::move(job)); }
  bool SubmitFor(uint64_t owner, std::function<void()> job) override;

  // Refuses new jobs, lets queued and running ones finish and the threads
  // exit, for at most `timeout`. False if some job was still running then:
  // the threads are left to finish on their own (they own what they use).
  bool Shutdown(absl::Duration timeout);

  size_t threads() const;

  // Tells the pool whose thread this is that the job it runs is blocked
  // (waiting for something other than a CPU) or runs again; calls come in
  // pairs. A blocked job does not count against its owner's
  // runnable_per_owner, so the owner's next job may start. Does nothing on
  // a thread that is not a pool's. Quick and lock-order safe: it takes
  // only the pool's own lock, which the pool never holds while running a
  // job.
  static void NoteBlocked(bool blocked);

 private:
  struct State;
  static void Run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_WORKER_POOL_H_
