// virt_bench: TCP between Linux and a rump kernel through a virt interface
// on a tap, in a network namespace of the process's own (needs root).
//
//   bazel run -c opt //rump/dev/virt/bench:virt_bench [-- MIB [ROUNDS [MTU]]]
//
// The kernel runs in this process (in-process system calls) with virt0 on
// the tap rvbench0 at 10.96.0.2; Linux has 10.96.0.1 on the tap's side.
// Measures:
//  * bulk throughput on one connection, MIB mebibytes (default 256) each
//    way, Linux -> kernel and kernel -> Linux, 64 KiB writes;
//  * 1-byte request/response round trips with TCP_NODELAY on both ends
//    (ROUNDS, default 20000), Linux asking and the kernel echoing: median,
//    p99 and average in microseconds.
// MTU (default 1500) is set on both sides of the tap first.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/dev/virt/linux_side.h"
#include "rump/netinet/inet_testing.h"

namespace {

using rump::inet_testing::Host;
using Clock = std::chrono::steady_clock;

constexpr uint16_t kBulkUpPort = 5001;
constexpr uint16_t kBulkDownPort = 5002;
constexpr uint16_t kEchoPort = 5003;
constexpr size_t kChunk = 64 * 1024;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A Linux TCP connection to the kernel's port, or -1.
int LinuxConnect(uint16_t port) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in to {};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "10.96.0.2", &to.sin_addr);
  for (int i = 0; i < 600; ++i) {  // the kernel's listen may still be coming
    if (connect(s, reinterpret_cast<struct sockaddr*>(&to), sizeof(to)) == 0) return s;
    if (errno != ECONNREFUSED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::perror("connect");
  close(s);
  return -1;
}

int KernelListen(Host& h, uint16_t port) {
  const int fd = h.Socket(rump::abi::kSOCK_STREAM);
  if (fd < 0 || h.Bind(fd, "10.96.0.2", port) != 0 || h.Listen(fd, 4) != 0) {
    std::fprintf(stderr, "kernel listen on %u failed\n", port);
    std::exit(1);
  }
  return fd;
}

// Linux sends `bytes`; the kernel reads them all. Gbit/s.
double BulkUp(Host& h, size_t bytes) {
  const int lfd = KernelListen(h, kBulkUpPort);
  std::thread sender([bytes] {
    const int s = LinuxConnect(kBulkUpPort);
    if (s < 0) std::exit(1);
    std::vector<uint8_t> chunk(kChunk, 0x5a);
    for (size_t left = bytes; left > 0;) {
      const ssize_t n = write(s, chunk.data(), std::min(left, chunk.size()));
      if (n <= 0) {
        std::perror("write");
        std::exit(1);
      }
      left -= size_t(n);
    }
    close(s);
  });
  const int fd = h.Accept(lfd);
  const auto start = Clock::now();
  size_t got = 0;
  std::vector<uint8_t> buf;
  for (;;) {
    const int64_t n = h.RecvFrom(fd, &buf, kChunk);
    if (n <= 0) break;
    got += size_t(n);
  }
  const double s = Seconds(Clock::now() - start);
  sender.join();
  h.Close(fd);
  h.Close(lfd);
  if (got != bytes) {
    std::fprintf(stderr, "kernel received %zu of %zu bytes\n", got, bytes);
    std::exit(1);
  }
  return double(bytes) * 8 / s / 1e9;
}

// The kernel sends `bytes`; Linux reads them all. Gbit/s.
double BulkDown(Host& h, size_t bytes) {
  const int lfd = KernelListen(h, kBulkDownPort);
  size_t got = 0;
  Clock::time_point start, end;
  std::thread receiver([&] {
    const int s = LinuxConnect(kBulkDownPort);
    if (s < 0) std::exit(1);
    std::vector<uint8_t> buf(kChunk);
    start = Clock::now();
    for (;;) {
      const ssize_t n = read(s, buf.data(), buf.size());
      if (n <= 0) break;
      got += size_t(n);
    }
    end = Clock::now();
    close(s);
  });
  const int fd = h.Accept(lfd);
  const std::vector<uint8_t> chunk(kChunk, 0xa5);
  for (size_t left = bytes; left > 0;) {
    const size_t n = std::min(left, chunk.size());
    if (h.SendAll(fd, n == chunk.size() ? chunk : std::vector<uint8_t>(n, 0xa5)) != 0) {
      std::fprintf(stderr, "kernel send failed\n");
      std::exit(1);
    }
    left -= n;
  }
  h.Close(fd);
  receiver.join();
  h.Close(lfd);
  if (got != bytes) {
    std::fprintf(stderr, "Linux received %zu of %zu bytes\n", got, bytes);
    std::exit(1);
  }
  return double(bytes) * 8 / Seconds(end - start) / 1e9;
}

void RoundTrips(Host& h, int rounds) {
  const int lfd = KernelListen(h, kEchoPort);
  std::thread echo([&] {
    const int fd = h.Accept(lfd);
    h.SetInt(fd, rump::abi::kIPPROTO_TCP, rump::abi::kTCP_NODELAY, 1);
    std::vector<uint8_t> b;
    for (;;) {
      if (h.RecvFrom(fd, &b, 1) != 1) break;
      if (h.SendAll(fd, b) != 0) break;
    }
    h.Close(fd);
  });
  const int s = LinuxConnect(kEchoPort);
  if (s < 0) std::exit(1);
  const int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::vector<double> us;
  us.reserve(size_t(rounds));
  uint8_t c = 'x';
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    if (write(s, &c, 1) != 1 || read(s, &c, 1) != 1) {
      std::fprintf(stderr, "round trip %d failed\n", i);
      std::exit(1);
    }
    us.push_back(Seconds(Clock::now() - t0) * 1e6);
  }
  close(s);
  echo.join();
  h.Close(lfd);
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("1-byte request/response, Linux <-> kernel: median %.1f us, p99 %.1f us, "
              "average %.1f us (%d rounds)\n",
              us[us.size() / 2], us[us.size() * 99 / 100], sum / double(us.size()), rounds);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? size_t(std::atoi(argv[1])) : 256;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 20000;
  const int mtu = argc > 3 ? std::atoi(argv[3]) : 1500;
  if (const std::string& why = rump::virt_testing::EnterOwnNetworkNamespace(); !why.empty()) {
    std::fprintf(stderr, "virt_bench: %s\n", why.c_str());
    return 1;
  }
  // The tap exists once the kernel's virt0 has it; then Linux's side.
  Host h(rump::inet_testing::Link{"virt", "rvbench0"}, "10.96.0.2");
  if (absl::Status s = rump::virt_testing::HostSetAddress("rvbench0", "10.96.0.1", "255.255.255.0");
      !s.ok()) {
    std::fprintf(stderr, "virt_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (mtu != 1500) {
    if (absl::Status s = rump::virt_testing::HostSetMtu("rvbench0", mtu); !s.ok()) {
      std::fprintf(stderr, "virt_bench: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    // SIOCSIFMTU on virt0, through the kernel's ioctl.
    std::vector<uint8_t> ifr(rump::abi::kIfreqSize, 0);
    std::memcpy(ifr.data(), "virt0", 5);
    std::memcpy(ifr.data() + rump::abi::kIfrMtuOff, &mtu, sizeof(mtu));
    const int fd = h.Socket(rump::abi::kSOCK_DGRAM);
    if (h.Call(rump::abi::kSysIoctl, {uint64_t(fd), rump::abi::kSIOCSIFMTU,
                                      uint64_t(reinterpret_cast<uintptr_t>(ifr.data()))})
            .error != 0) {
      std::fprintf(stderr, "virt_bench: SIOCSIFMTU %d on virt0 refused\n", mtu);
      return 1;
    }
    h.Close(fd);
  }
  if (absl::Status s = rump::virt_testing::HostSetUp("rvbench0", true); !s.ok()) {
    std::fprintf(stderr, "virt_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("virt_bench: Linux 10.96.0.1 <-> rump kernel 10.96.0.2 over tap rvbench0, MTU %d\n",
              mtu);
  const size_t bytes = mib << 20;
  std::printf("bulk Linux -> kernel: %.2f Gbit/s (%zu MiB)\n", BulkUp(h, bytes), mib);
  std::printf("bulk kernel -> Linux: %.2f Gbit/s (%zu MiB)\n", BulkDown(h, bytes), mib);
  if (rounds > 0) RoundTrips(h, rounds);
  return 0;
}
