// inet_bench: IPv4 between two kernels in two processes on one shmif bus.
//
//   bazel run -c opt //rump/netinet/bench:inet_bench [-- ROUNDS]
//
// Measures, from the first process (10.0.5.1) to the second (10.0.5.2):
//  * ICMP echo round trips through a raw ICMP socket (the kernel answers);
//  * UDP request/response round trips (64 bytes, an echo loop in the
//    second process);
//  * UDP one-way datagrams per second at 64 and 1472 bytes of payload
//    (sent as fast as sendto returns for one second; counted by the
//    receiver), sent and received rates;
//  * duplicate address detection with the default dad_count (3): the time
//    from adding a free address until it is usable, and until an address
//    the second process holds is found duplicated.
// Round trips are reported as median, p99 and average in microseconds.
#include <sys/prctl.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"

namespace {

using rump::inet_testing::EchoRequest;
using rump::inet_testing::Host;
namespace abi = rump::abi;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kEchoPort = 7, kSinkPort = 9;

void Report(const char* what, std::vector<double> us) {
  if (us.empty()) {
    std::printf("%-28s no samples\n", what);
    return;
  }
  std::sort(us.begin(), us.end());
  const double avg = std::accumulate(us.begin(), us.end(), 0.0) / us.size();
  std::printf("%-28s n=%zu median %.1f us  p99 %.1f us  avg %.1f us  min %.1f us\n", what,
              us.size(), us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)],
              avg, us.front());
}

// The second process: echoes UDP on port 7, counts datagrams on port 9;
// "count" on port 7 answers the count so far, "quit" ends.
int Responder(const std::string& bus, int ready_fd) {
  Host h(bus, "10.0.5.2");
  const int echo = h.Socket(abi::kSOCK_DGRAM), sink = h.Socket(abi::kSOCK_DGRAM);
  if (h.Bind(echo, "0.0.0.0", kEchoPort) != 0 || h.Bind(sink, "0.0.0.0", kSinkPort) != 0) return 1;
  h.SetInt(sink, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 200000);
  h.SetRecvTimeout(sink, absl::Milliseconds(200));
  std::atomic<uint64_t> count{0};
  std::atomic<bool> stop{false};
  std::thread counter([&] {
    std::vector<uint8_t> buf;
    while (!stop.load()) {
      if (h.RecvFrom(sink, &buf, 2048) >= 0) count.fetch_add(1);
    }
  });
  (void)!write(ready_fd, "r", 1);
  std::vector<uint8_t> buf;
  for (;;) {
    uint32_t from;
    uint16_t port;
    const int64_t n = h.RecvFrom(echo, &buf, 2048, &from, &port);
    if (n < 0) continue;
    const std::string msg(buf.begin(), buf.end());
    if (msg == "quit") break;
    if (msg == "count") {
      const std::string c = std::to_string(count.exchange(0));
      h.SendTo(echo, std::vector<uint8_t>(c.begin(), c.end()), rump::inet_testing::Dotted(from),
               port);
      continue;
    }
    h.SendTo(echo, buf, rump::inet_testing::Dotted(from), port);
  }
  stop.store(true);
  counter.join();
  return 0;
}

int Run(const std::string& bus, int rounds) {
  Host h(bus, "10.0.5.1");
  std::vector<uint8_t> buf;

  // ICMP echo through a raw socket.
  const int icmp = h.Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP);
  h.SetRecvTimeout(icmp, absl::Seconds(2));
  std::vector<double> rtt;
  for (int i = 0; i < rounds + 100; ++i) {
    const std::vector<uint8_t> req = EchoRequest(0x1234, uint16_t(i), 56);
    const auto t0 = Clock::now();
    if (h.SendTo(icmp, req, "10.0.5.2", 0) < 0) continue;
    bool ok = false;
    while (h.RecvFrom(icmp, &buf, 2048) > 28) {
      if (buf[20] == abi::kICMP_ECHOREPLY && buf[26] == uint8_t(i >> 8) &&
          buf[27] == uint8_t(i)) {
        ok = true;
        break;
      }
    }
    const auto t1 = Clock::now();
    if (ok && i >= 100) rtt.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  Report("ICMP echo (56 bytes)", rtt);

  // UDP request/response.
  const int u = h.Socket(abi::kSOCK_DGRAM);
  h.SetRecvTimeout(u, absl::Seconds(2));
  if (h.Connect(u, "10.0.5.2", kEchoPort) != 0) return 1;
  rtt.clear();
  const std::vector<uint8_t> req(64, 'x');
  for (int i = 0; i < rounds + 100; ++i) {
    const auto t0 = Clock::now();
    if (h.Send(u, req) < 0) continue;
    const int64_t n = h.RecvFrom(u, &buf, 2048);
    const auto t1 = Clock::now();
    if (n == 64 && i >= 100) rtt.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  Report("UDP request/response (64 B)", rtt);

  // One-way datagrams per second.
  const int s = h.Socket(abi::kSOCK_DGRAM);
  if (h.Connect(s, "10.0.5.2", kSinkPort) != 0) return 1;
  for (size_t size : {size_t{64}, size_t{1472}}) {
    const std::vector<uint8_t> d(size, 'd');
    (void)h.Send(u, std::vector<uint8_t>{'c', 'o', 'u', 'n', 't'});  // reset the count
    (void)h.RecvFrom(u, &buf, 2048);
    h.SetRecvTimeout(u, absl::Milliseconds(500));
    uint64_t sent = 0;
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::seconds(1)) {
      if (h.Send(s, d) > 0) ++sent;
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    absl::SleepFor(absl::Milliseconds(300));  // let the receiver drain
    (void)h.Send(u, std::vector<uint8_t>{'c', 'o', 'u', 'n', 't'});
    uint64_t got = 0;
    // Skip stray echoes until the count (digits only) comes back.
    for (int tries = 0; tries < 100 && h.RecvFrom(u, &buf, 2048) > 0; ++tries) {
      const std::string m(buf.begin(), buf.end());
      if (!m.empty() && m.size() < 20 &&
          std::all_of(m.begin(), m.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        got = std::stoull(m);
        break;
      }
    }
    std::printf("UDP one-way %4zu B: sent %.0f/s, received %.0f/s (%.1f%% of sent)\n", size,
                sent / secs, got / secs, sent ? 100.0 * got / sent : 0.0);
  }
  // Duplicate address detection with NetBSD's default net.inet.ip.dad_count
  // (3): from SIOCAIFADDR (Inet::AddAddress) until the address is usable,
  // for free addresses; then one the second process holds.
  h.inet().set_ip_dad_count(3);
  std::vector<double> dad;
  for (int i = 0; i < 20; ++i) {
    const uint32_t a = rump::inet_testing::Ip("10.0.5." + std::to_string(100 + i));
    const auto t0 = Clock::now();
    if (!h.inet().AddAddress(h.ifp(), a, 0, 0).ok()) continue;
    const absl::Status st = h.inet().WaitForDad(h.ifp(), a, absl::Seconds(30));
    const auto t1 = Clock::now();
    if (st.ok()) dad.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    (void)h.inet().DeleteAddress(h.ifp(), a);
  }
  Report("DAD, address free", dad);
  const uint32_t taken = rump::inet_testing::Ip("10.0.5.2");
  const auto t0 = Clock::now();
  const absl::Status st = h.inet().AddAddress(h.ifp(), taken, 0, 0).ok()
                              ? h.inet().WaitForDad(h.ifp(), taken, absl::Seconds(30))
                              : absl::InternalError("AddAddress failed");
  const auto t1 = Clock::now();
  std::printf("DAD, address in use         %s after %.1f us\n",
              st.ok() ? "NOT DETECTED" : st.ToString().c_str(),
              std::chrono::duration<double, std::micro>(t1 - t0).count());
  (void)h.Send(u, std::vector<uint8_t>{'q', 'u', 'i', 't'});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int rounds = argc > 1 ? std::max(10, std::atoi(argv[1])) : 5000;
  char dir[] = "/tmp/inetbenchXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string bus = std::string(dir) + "/bus";
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  const pid_t child = fork();  // before any kernel (and thread) exists
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the measuring process
    close(pipefd[0]);
    _exit(Responder(bus, pipefd[1]));
  }
  close(pipefd[1]);
  char c;
  int rc = 1;
  if (read(pipefd[0], &c, 1) == 1) rc = Run(bus, rounds);
  int status = 0;
  if (rc != 0) kill(child, SIGKILL);
  waitpid(child, &status, 0);
  unlink(bus.c_str());
  rmdir(dir);
  return rc;
}
