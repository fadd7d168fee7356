// getpid_bench: the cost of an in-process system call through the C API,
// rump_sys_getpid() (the NetBSD symbol rump___sysimpl_getpid), in ns per
// call. The goal is < 100 ns.
//
//   bazel run -c opt //capi:getpid_bench [-- calls]
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumperr.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

// ns per call of `calls` rump_sys_getpid() calls on this thread.
double Measure(long calls) {
  const auto start = std::chrono::steady_clock::now();
  long sum = 0;
  for (long i = 0; i < calls; ++i) sum += rump_sys_getpid();
  const auto end = std::chrono::steady_clock::now();
  if (sum != calls) {  // every call must say pid 1
    std::fprintf(stderr, "getpid_bench: unexpected pid sum %ld\n", sum);
    std::exit(1);
  }
  return std::chrono::duration<double, std::nano>(end - start).count() / double(calls);
}

}  // namespace

int main(int argc, char** argv) {
  long calls = 10'000'000;
  if (argc > 2 || (argc == 2 && (calls = std::atol(argv[1])) <= 0)) {
    std::fprintf(stderr, "usage: getpid_bench [calls]\n");
    return 1;
  }
  if (const int e = rump_init(); e != 0) {
    std::fprintf(stderr, "getpid_bench: rump_init: %s\n", rump_strerror(e));
    return 1;
  }
  Measure(calls / 10);  // warm up
  std::vector<double> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(Measure(calls));
  std::sort(runs.begin(), runs.end());
  std::printf("rump_sys_getpid: %.1f ns/call (median of 5 runs of %ld calls; min %.1f, max %.1f)\n",
              runs[2], calls, runs[0], runs[4]);

  // The same on several threads at once, one per CPU (at most 4), each
  // making its own calls: per-call cost should stay flat.
  const int kThreads = int(std::clamp(std::thread::hardware_concurrency(), 2u, 4u));
  std::vector<double> per_thread(size_t(kThreads), 0.0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t, calls] { per_thread[t] = Measure(calls); });
  }
  for (auto& t : threads) t.join();
  std::sort(per_thread.begin(), per_thread.end());
  std::printf("rump_sys_getpid, %d threads concurrently: %.1f ns/call (slowest thread %.1f)\n",
              kThreads, per_thread[kThreads / 2], per_thread[kThreads - 1]);
  return 0;
}
