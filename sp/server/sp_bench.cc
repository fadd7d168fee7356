// sp_bench: remote system call cost through the rump_sp server, measured
// with the raw protocol client (sp/server/raw_client.h) and one call
// outstanding at a time. Prints calls per second and the latency median
// and 99th percentile per transport, for
//   getpid                     no user memory: one round trip
//   ioctl(SIOCGIFFLAGS, lo0)   COPYIN 144 + COPYOUT 144: two round trips
//
//   bazel run -c opt //sp/server:sp_bench -- [-n calls] [-spin us] [url ...]
//
// -spin sets the in-process server's worker spin (WorkerPoolOptions::spin).
//
// Without URLs it serves an in-process kernel (all components) on
// unix://, tcp://127.0.0.1, zmq+tcp:// and zmq+ipc:// in a temporary
// directory and measures each; with URLs it measures those servers (the
// ioctl row needs the network component there: -lrumpnet).
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "rump/abi/if.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "sp/server/bench_kernel.h"
#include "sp/server/raw_client.h"
#include "sp/server/server.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
  double per_sec = 0;
  double median_us = 0;
  double p99_us = 0;
};

template <typename Fn>
bool Measure(int n, Fn call, Row* row) {
  for (int i = 0; i < std::max(100, n / 20); ++i) {  // warm up
    if (!call()) return false;
  }
  std::vector<double> us(static_cast<size_t>(n));
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const Clock::time_point t0 = Clock::now();
    if (!call()) return false;
    us[size_t(i)] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(us.begin(), us.end());
  row->per_sec = n / total;
  row->median_us = us[us.size() / 2];
  row->p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return true;
}

void Bench(const std::string& label, const std::string& url, int n) {
  absl::StatusOr<std::unique_ptr<sp::testing::RawClient>> c =
      sp::testing::RawClient::Connect(url);
  if (!c.ok() || !(*c)->Handshake("sp_bench").ok()) {
    std::printf("%-10s cannot connect to %s: %s\n", label.c_str(), url.c_str(),
                std::string(c.status().message()).c_str());
    return;
  }
  sp::testing::RawClient& client = **c;
  Row getpid;
  const bool ok1 = Measure(
      n, [&] { return client.Syscall(rump::abi::kSysGetpid, {}).ok(); }, &getpid);
  if (ok1) {
    std::printf("%-10s %-8s %10.0f calls/s   median %7.1f us   p99 %7.1f us\n", label.c_str(),
                "getpid", getpid.per_sec, getpid.median_us, getpid.p99_us);
  }
  absl::StatusOr<sp::testing::RawClient::Result> s =
      client.Syscall(rump::abi::kSysSocket, {2, 2, 0});
  if (!s.ok() || s->error != 0) {
    std::printf("%-10s %-8s (no socket: the server has no network component)\n", label.c_str(),
                "ioctl");
    return;
  }
  const uint64_t fd = uint64_t(s->rv0);
  uint8_t ifr[rump::abi::kIfreqSize] = {};
  std::memcpy(ifr, "lo0", 3);
  Row ioctl;
  const bool ok2 = Measure(
      n,
      [&] {
        absl::StatusOr<sp::testing::RawClient::Result> r = client.Syscall(
            rump::abi::kSysIoctl,
            {fd, rump::abi::kSIOCGIFFLAGS, reinterpret_cast<uint64_t>(ifr)});
        return r.ok() && r->error == 0;
      },
      &ioctl);
  if (ok2) {
    std::printf("%-10s %-8s %10.0f calls/s   median %7.1f us   p99 %7.1f us\n", label.c_str(),
                "ioctl", ioctl.per_sec, ioctl.median_us, ioctl.p99_us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  int spin_us = -1;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &n) || n < 100) {
        std::fprintf(stderr, "sp_bench: -n needs a number >= 100\n");
        return 1;
      }
    } else if (std::strcmp(argv[i], "-spin") == 0 && i + 1 < argc) {
      if (!absl::SimpleAtoi(argv[++i], &spin_us) || spin_us < 0) {
        std::fprintf(stderr, "sp_bench: -spin needs microseconds >= 0\n");
        return 1;
      }
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: sp_bench [-n calls] [-spin us] [url ...]\n");
      return 1;
    } else {
      urls.push_back(argv[i]);
    }
  }
  if (!urls.empty()) {
    for (const std::string& u : urls) Bench(u, u, n);
    return 0;
  }

  absl::StatusOr<std::unique_ptr<sp::server::BenchKernel>> bench =
      sp::server::BenchKernel::Start("sp");
  if (!bench.ok()) {
    std::fprintf(stderr, "sp_bench: %s\n", std::string(bench.status().message()).c_str());
    return 1;
  }
  const std::string& dir = (*bench)->dir();
  std::printf("%d calls each, one outstanding; in-process server, %ld CPUs\n", n,
              sysconf(_SC_NPROCESSORS_ONLN));
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"unix", "unix://" + dir + "/sock"},
      {"tcp", "tcp://127.0.0.1:0/"},
      {"zmq+tcp", "zmq+tcp://127.0.0.1:0"},
      {"zmq+ipc", "zmq+ipc://" + dir + "/zsock"},
  };
  for (const auto& [label, url] : targets) {
    sp::server::ServerOptions so;
    if (spin_us >= 0) so.workers.spin = absl::Microseconds(spin_us);
    absl::StatusOr<std::unique_ptr<sp::server::Server>> server =
        sp::server::Server::Start((*bench)->kernel(), url, so);
    if (!server.ok()) {
      std::printf("%-10s %s\n", label.c_str(), std::string(server.status().message()).c_str());
      continue;
    }
    Bench(label, (*server)->url(), n);
  }
  return 0;
}
