// tcp_bench: TCP between two kernels in two processes on one shmif bus,
// through the in-process system call API.
//
//   bazel run -c opt //rump/netinet/bench:tcp_bench [-- MIB [ROUNDS [CONNS [IDLE [LOSS]]]]]
//
// Measures, from the first process (10.0.6.1) to the second (10.0.6.2):
//  * bulk throughput on one connection, MIB mebibytes each way (default
//    256), written in 64 KiB sends; the receiver checks every byte;
//  * 1-byte request/response round trips over one connection with
//    TCP_NODELAY (ROUNDS, default 20000): median, p99, average;
//  * connection setup and teardown (connect, accept, close on both ends):
//    CONNS connections (default 5000), per second;
//  * IDLE idle established connections (default 10000) in the first
//    kernel: its resident memory growth beyond the socket buffers (which
//    are empty: idle connections hold no buffered bytes).
//
// With LOSS (a percentage, e.g. 1 or 0.5), both kernels' interfaces drop,
// duplicate and reorder LOSS% of the frames they send each (the lossy link
// of rump/net/impairment.h, fixed seeds), and after the bulk transfers the
// first kernel prints what its link did and its TCP retransmission
// counters from net.inet.tcp.stats. ROUNDS, CONNS and IDLE may be 0.
//
// A stall watchdog runs in both processes: if neither bytes nor steps move
// for 300 s (TCP_BENCH_STALL_SECONDS), the process prints what it was doing and every TCP
// connection of its kernel (TcpSocket::DebugString) and aborts, so that a
// hung run (a test's) ends with the state that explains it.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/tcp.h"
#include "rump/net/impairment.h"
#include "rump/netinet/inet_testing.h"

namespace {

using rump::inet_testing::Host;
namespace abi = rump::abi;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kSinkPort = 9, kSourcePort = 19, kEchoPort = 7, kAcceptPort = 13,
                   kHoldPort = 20000;
constexpr int kHolders = 12;  // up to 12000 idle connections
constexpr size_t kChunk = 64 * 1024;
// TCP_BENCH_STALL_SECONDS overrides it (to see the watchdog's report).
std::chrono::seconds StallLimit() {
  static const std::chrono::seconds limit = [] {
    const char* e = std::getenv("TCP_BENCH_STALL_SECONDS");
    const int v = e != nullptr ? std::atoi(e) : 0;
    return std::chrono::seconds(v > 0 ? v : 300);
  }();
  return limit;
}

// What the process is doing, and a count that moves with every chunk,
// round trip, connection and step (the watchdog's evidence of progress).
std::atomic<const char*> g_phase{"starting"};
std::atomic<uint64_t> g_progress{0};

void Progress() { g_progress.fetch_add(1, std::memory_order_relaxed); }
void Phase(const char* what) {
  g_phase.store(what);
  Progress();
}

// Aborts the process, after printing its phase and (once Attach has named
// it) its kernel's TCP connections, when nothing has moved for
// StallLimit(). Stopped and joined when it goes: declare it after the Host.
class StallWatchdog {
 public:
  explicit StallWatchdog(const char* who) : who_(who), thread_([this] { Watch(); }) {}
  ~StallWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Attach(Host* h) { host_.store(h); }

 private:
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t last = g_progress.load();
    auto since = Clock::now();
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      const uint64_t now = g_progress.load();
      if (now != last) {
        last = now;
        since = Clock::now();
      } else if (Clock::now() - since >= StallLimit()) {
        Host* h = host_.load();
        std::fprintf(stderr,
                     "tcp_bench %s (pid %d): nothing moved for %lld s in \"%s\"; "
                     "its TCP connections:\n%s",
                     who_, int(getpid()),
                     (long long)StallLimit().count(),
                     g_phase.load(),
                     h != nullptr ? h->inet().tcp().DebugConnections().c_str() : "(no kernel yet)\n");
        std::abort();
      }
    }
  }

  const char* const who_;
  std::atomic<Host*> host_{nullptr};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: it starts with the members above ready
};

// The lossy link both kernels' interfaces get with LOSS set.
rump::ImpairmentConfig Loss(double percent, uint64_t seed) {
  rump::ImpairmentConfig c;
  const uint32_t ppm = uint32_t(percent * 10000);
  c.drop_ppm = c.duplicate_ppm = c.reorder_ppm = ppm;
  c.seed = seed;
  return c;
}

// The byte stream sent is a fixed pseudo-random table repeated; its odd
// length keeps every 64 KiB write different from the last. Checking is a
// memcmp against the table, so the check costs the benchmark little.
constexpr size_t kPatternLen = (1 << 20) + 7;

const std::vector<uint8_t>& PatternTable() {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> t(kPatternLen);
    uint32_t x = 12345;
    for (uint8_t& b : t) {
      x = x * 1103515245u + 12345u;
      b = uint8_t(x >> 16);
    }
    return t;
  }();
  return table;
}

// Calls fn(pattern_part, buffer_offset, n) over the pattern bytes that
// belong at stream offsets [offset, offset + len).
template <typename Fn>
void ForPattern(uint64_t offset, size_t len, Fn fn) {
  const std::vector<uint8_t>& t = PatternTable();
  size_t done = 0;
  while (done < len) {
    const size_t at = size_t((offset + done) % kPatternLen);
    const size_t n = std::min(len - done, kPatternLen - at);
    fn(t.data() + at, done, n);
    done += n;
  }
}

void FillPattern(std::vector<uint8_t>& buf, uint64_t offset) {
  ForPattern(offset, buf.size(),
             [&](const uint8_t* p, size_t at, size_t n) { std::memcpy(buf.data() + at, p, n); });
}

// Reads everything until end of file; returns the bytes, and whether all
// matched the pattern.
uint64_t Drain(Host& h, int fd, bool* ok) {
  std::vector<uint8_t> buf(kChunk);
  uint64_t total = 0;
  *ok = true;
  for (;;) {
    rump::inet_testing::SysResult r =
        h.Call(abi::kSysRecvfrom, {uint64_t(fd), reinterpret_cast<uint64_t>(buf.data()),
                                   buf.size(), 0, 0, 0});
    if (r.error != 0 || r.rv <= 0) break;
    Progress();
    ForPattern(total, size_t(r.rv), [&](const uint8_t* p, size_t at, size_t n) {
      if (std::memcmp(buf.data() + at, p, n) != 0) *ok = false;
    });
    total += uint64_t(r.rv);
  }
  return total;
}

int Source(Host& h, int fd, uint64_t bytes) {
  std::vector<uint8_t> buf(kChunk);
  for (uint64_t off = 0; off < bytes; off += buf.size()) {
    buf.resize(size_t(std::min<uint64_t>(kChunk, bytes - off)));
    FillPattern(buf, off);
    if (h.SendAll(fd, buf) != 0) return 1;
    Progress();
  }
  return h.Shutdown(fd, abi::kSHUT_WR);
}

int Listen(Host& h, uint16_t port) {
  const int fd = h.Socket(abi::kSOCK_STREAM);
  h.SetInt(fd, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1);
  if (h.Bind(fd, "0.0.0.0", port) != 0 || h.Listen(fd, 128) != 0) return -1;
  return fd;
}

// The second process: a sink on 9 (reports bytes and check by a one-line
// answer after end of file), a source on 19 (sends the number of bytes the
// client asks for), an echo on 7, and on 13 accepts and closes.
int Responder(const std::string& bus, int ready_fd, double loss) {
  StallWatchdog watchdog("responder");  // never destroyed: the process _exits
  Phase("responder: booting its kernel");
  Host h(bus, "10.0.6.2");
  watchdog.Attach(&h);
  Phase("responder: listening");
  if (loss > 0 && !h.ifp().impairment().Set(Loss(loss, 2)).ok()) return 1;
  const int sink = Listen(h, kSinkPort), source = Listen(h, kSourcePort),
            echo = Listen(h, kEchoPort), acc = Listen(h, kAcceptPort);
  if (sink < 0 || source < 0 || echo < 0 || acc < 0) return 1;
  std::thread sinker([&] {
    for (;;) {
      const int s = h.Accept(sink);
      if (s < 0) return;
      bool ok = false;
      const uint64_t n = Drain(h, s, &ok);
      const std::string a = std::to_string(n) + (ok ? " ok" : " BAD") + "\n";
      h.SendAll(s, std::vector<uint8_t>(a.begin(), a.end()));
      h.Close(s);
    }
  });
  std::thread sourcer([&] {
    for (;;) {
      const int s = h.Accept(source);
      if (s < 0) return;
      uint64_t want = 0;
      std::vector<uint8_t> b = h.RecvAll(s, 8);
      if (b.size() == 8) std::memcpy(&want, b.data(), 8);
      Source(h, s, want);
      std::vector<uint8_t> rest = h.RecvAll(s, 1);  // until the client closes
      h.Close(s);
    }
  });
  std::thread acceptor([&] {
    for (;;) {
      const int s = h.Accept(acc);
      if (s < 0) return;
      Progress();
      h.Close(s);
    }
  });
  // Idle connections: a process holds at most 1024 descriptors, so each
  // of these listeners (ports 20000, 20001, ...) runs in a process of its
  // own, accepting and keeping at most 1000 connections.
  std::vector<std::thread> holders;
  std::atomic<int> listening{0};
  for (int k = 0; k < kHolders; ++k) {
    holders.emplace_back([&h, &listening, k] {
      h.kernel().BindThread(h.kernel().NewProcess(1, "holder", nullptr));
      const int l = Listen(h, uint16_t(kHoldPort + k));
      listening.fetch_add(1);
      while (l >= 0 && h.Accept(l) >= 0) Progress();
    });
  }
  Phase("responder: waiting for its listeners");
  while (listening.load() < kHolders) std::this_thread::yield();
  Phase("responder: ready, serving");
  (void)!write(ready_fd, "r", 1);
  // The echo loop runs here; its first connection's end ends the process.
  const int e = h.Accept(echo);
  if (e >= 0) {
    h.SetInt(e, abi::kIPPROTO_TCP, abi::kTCP_NODELAY, 1);
    std::vector<uint8_t> buf(1);
    for (;;) {
      std::vector<uint8_t> got = h.RecvAll(e, 1);
      if (got.empty()) break;
      Progress();
      if (h.Send(e, got) != 1) break;
    }
    h.Close(e);
  }
  // Wait for "quit": a last connection to the echo port.
  const int q = h.Accept(echo);
  if (q >= 0) h.Close(q);
  _exit(0);  // the kernel's threads end with the process
}

size_t RssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

int Run(const std::string& bus, uint64_t mib, int rounds, int conns, int idle, double loss) {
  Phase("booting its kernel");
  Host h(bus, "10.0.6.1");
  StallWatchdog watchdog("client");
  watchdog.Attach(&h);
  if (loss > 0 && !h.ifp().impairment().Set(Loss(loss, 1)).ok()) return 1;
  int rc = 0;
  const uint64_t bytes = mib << 20;

  // Bulk, client to server.
  Phase("bulk 10.0.6.1 -> 10.0.6.2");
  {
    const int c = h.Socket(abi::kSOCK_STREAM);
    if (h.Connect(c, "10.0.6.2", kSinkPort) != 0) return 1;
    const auto t0 = Clock::now();
    if (Source(h, c, bytes) != 0) return 1;
    std::vector<uint8_t> answer = h.RecvAll(c, 64);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string a(answer.begin(), answer.end());
    std::printf("bulk 10.0.6.1 -> 10.0.6.2: %llu MiB in %.2f s = %.2f Gbit/s (receiver: %s)\n",
                (unsigned long long)mib, secs, bytes * 8 / secs / 1e9,
                a.substr(0, a.find('\n')).c_str());
    if (a.find(" ok") == std::string::npos || std::stoull(a) != bytes) rc = 1;
    h.Close(c);
  }
  // Bulk, server to client.
  Phase("bulk 10.0.6.2 -> 10.0.6.1");
  {
    const int c = h.Socket(abi::kSOCK_STREAM);
    if (h.Connect(c, "10.0.6.2", kSourcePort) != 0) return 1;
    std::vector<uint8_t> want(8);
    std::memcpy(want.data(), &bytes, 8);
    const auto t0 = Clock::now();
    h.SendAll(c, want);
    bool ok = false;
    const uint64_t n = Drain(h, c, &ok);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("bulk 10.0.6.2 -> 10.0.6.1: %llu MiB in %.2f s = %.2f Gbit/s (%s)\n",
                (unsigned long long)(n >> 20), secs, n * 8 / secs / 1e9,
                ok && n == bytes ? "every byte checked" : "MISMATCH");
    if (!ok || n != bytes) rc = 1;
    h.Close(c);
  }
  if (loss > 0) {
    const rump::ImpairmentCounters ic = h.ifp().impairment().counters();
    std::printf("link 10.0.6.1 at %.2f%%: %llu dropped, %llu duplicated, %llu reordered\n", loss,
                (unsigned long long)ic.dropped, (unsigned long long)ic.duplicated,
                (unsigned long long)ic.reordered);
    const rump::inet::TcpStats& st = h.inet().tcp().stats();
    std::printf("tcp 10.0.6.1: %llu segments retransmitted, %llu retransmit timeouts, "
                "%llu duplicate segments received, %llu out-of-order segments received\n",
                (unsigned long long)st.Get(abi::kTcpStatSndrexmitpack),
                (unsigned long long)st.Get(abi::kTcpStatRexmttimeo),
                (unsigned long long)st.Get(abi::kTcpStatRcvduppack),
                (unsigned long long)st.Get(abi::kTcpStatRcvoopack));
  }
  // 1-byte request/response.
  const int e = h.Socket(abi::kSOCK_STREAM);
  if (h.Connect(e, "10.0.6.2", kEchoPort) != 0) return 1;
  h.SetInt(e, abi::kIPPROTO_TCP, abi::kTCP_NODELAY, 1);
  std::vector<double> us;
  const std::vector<uint8_t> one = {'x'};
  Phase("1-byte request/response");
  for (int i = 0; rounds > 0 && i < rounds + 200; ++i) {
    Progress();
    const auto t0 = Clock::now();
    if (h.Send(e, one) != 1) break;
    if (h.RecvAll(e, 1).size() != 1) break;
    if (i >= 200) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  if (!us.empty()) {
    std::sort(us.begin(), us.end());
    std::printf("1-byte request/response: n=%zu median %.1f us  p99 %.1f us  avg %.1f us\n",
                us.size(), us[us.size() / 2], us[us.size() * 99 / 100],
                std::accumulate(us.begin(), us.end(), 0.0) / us.size());
  }
  h.Close(e);
  // Connection setup and teardown.
  if (conns > 0) {
    const auto t0 = Clock::now();
    int done = 0;
    Phase("connect+accept+close");
    for (int i = 0; i < conns; ++i) {
      Progress();
      const int c = h.Socket(abi::kSOCK_STREAM);
      if (h.Connect(c, "10.0.6.2", kAcceptPort) != 0) {
        h.Close(c);
        break;
      }
      h.RecvAll(c, 1);  // the server's close
      h.Close(c);
      ++done;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("connect+accept+close: %d in %.2f s = %.0f per second\n", done, secs,
                done / secs);
  }
  // Idle connections.
  if (idle > 0) {
    const size_t before = RssKiB();
    std::vector<int> fds;
    Phase("idle connections");
    for (int i = 0; i < idle && i < kHolders * 1000; ++i) {
      Progress();
      if (i % 1000 == 0) h.kernel().BindThread(h.kernel().NewProcess(1, "idle", nullptr));
      const int c = h.Socket(abi::kSOCK_STREAM);
      if (c < 0 || h.Connect(c, "10.0.6.2", uint16_t(kHoldPort + i / 1000)) != 0) {
        break;
      }
      fds.push_back(c);
    }
    h.kernel().BindThread(nullptr);
    const size_t after = RssKiB();
    std::printf("%zu idle connections: RSS +%.1f MiB (%.0f bytes each; their buffers are empty)\n",
                fds.size(), (after - before) / 1024.0,
                fds.empty() ? 0.0 : (after - before) * 1024.0 / fds.size());
  }
  const int q = h.Socket(abi::kSOCK_STREAM);
  h.Connect(q, "10.0.6.2", kEchoPort);
  h.Close(q);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const uint64_t mib = argc > 1 ? std::max(1, std::atoi(argv[1])) : 256;
  const int rounds = argc > 2 ? std::max(0, std::atoi(argv[2])) : 20000;
  const int conns = argc > 3 ? std::max(0, std::atoi(argv[3])) : 5000;
  const int idle = argc > 4 ? std::max(0, std::atoi(argv[4])) : 10000;
  const double loss = argc > 5 ? std::atof(argv[5]) : 0;
  if (loss < 0 || loss > 100) {
    std::fprintf(stderr, "tcp_bench: LOSS must be a percentage from 0 to 100\n");
    return 2;
  }
  char dir[] = "/tmp/tcpbenchXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string bus = std::string(dir) + "/bus";
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  const pid_t child = fork();  // before any kernel (and thread) exists
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(pipefd[0]);
    _exit(Responder(bus, pipefd[1], loss));
  }
  close(pipefd[1]);
  char c;
  int rc = 1;
  if (read(pipefd[0], &c, 1) == 1) rc = Run(bus, mib, rounds, conns, idle, loss);
  int status = 0;
  waitpid(child, &status, 0);
  unlink(bus.c_str());
  rmdir(dir);
  return rc;
}
