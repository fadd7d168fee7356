// virt_bench: TCP between Linux and a rump kernel through a virt interface
// on a tap, in a network namespace of the process's own (needs root).
//
//   bazel run -c opt //rump/dev/virt/bench:virt_bench [-- MIB [ROUNDS [MTU [virt|bridge]]]]
//
// The kernel runs in this process (in-process system calls) with virt0 on
// the tap rvbench0 at 10.96.0.2; Linux has 10.96.0.1 on the tap's side.
// Measures:
//  * bulk throughput on one connection, MIB mebibytes (default 256) each
//    way, Linux -> kernel and kernel -> Linux, 64 KiB writes;
//  * 1-byte request/response round trips with TCP_NODELAY on both ends
//    (ROUNDS, default 20000), Linux asking and the kernel echoing: median,
//    p99 and average in microseconds.
// MTU (default 1500) is set on both sides of the tap first. With "bridge"
// as the fourth argument the kernel has shmif0 on a bus instead, and
// shmif_tapbridge (started from the runfiles) joins the bus and the tap.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
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

// The bridge's binary: in the runfiles next to this program.
std::string BridgePath(const char* argv0) {
  const char* dir = std::getenv("RUNFILES_DIR");
  const std::string root = dir != nullptr ? dir : std::string(argv0) + ".runfiles";
  return root + "/rump/shmif/tapbridge/shmif_tapbridge";
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "virt_bench: %s\n", what.c_str());
  std::exit(1);
}

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? size_t(std::atoi(argv[1])) : 256;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 20000;
  const int mtu = argc > 3 ? std::atoi(argv[3]) : 1500;
  const bool bridge = argc > 4 && std::string(argv[4]) == "bridge";
  if (argc > 4 && !bridge && std::string(argv[4]) != "virt") Die("the mode is virt or bridge");
  if (bridge && mtu != 1500) Die("a bus carries 1500-byte frames: no MTU with bridge");
  if (const std::string& why = rump::virt_testing::EnterOwnNetworkNamespace(); !why.empty()) {
    Die(why);
  }
  std::unique_ptr<Host> host;
  pid_t bridge_pid = -1;
  char dir[] = "/tmp/virt_bench.XXXXXX";
  if (bridge) {
    // The kernel on a bus, and the bridge between the bus and the tap.
    if (mkdtemp(dir) == nullptr) Die("mkdtemp");
    const std::string bus = std::string(dir) + "/bus";
    host = std::make_unique<Host>(bus, "10.96.0.2");
    const std::string path = BridgePath(argv[0]);
    bridge_pid = fork();
    if (bridge_pid == 0) {
      execl(path.c_str(), "shmif_tapbridge", "-f", bus.c_str(), "rvbench0", nullptr);
      std::perror(path.c_str());
      _exit(127);
    }
    for (int i = 0; i < 6000 && !rump::virt_testing::HostHas("rvbench0"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!rump::virt_testing::HostHas("rvbench0")) Die("the bridge did not open rvbench0");
  } else {
    // The tap exists once the kernel's virt0 has it; then Linux's side.
    host = std::make_unique<Host>(rump::inet_testing::Link{"virt", "rvbench0"}, "10.96.0.2");
  }
  Host& h = *host;
  if (absl::Status s = rump::virt_testing::HostSetAddress("rvbench0", "10.96.0.1", "255.255.255.0");
      !s.ok()) {
    Die(std::string(s.message()));
  }
  if (mtu != 1500) {
    if (absl::Status s = rump::virt_testing::HostSetMtu("rvbench0", mtu); !s.ok()) {
      Die(std::string(s.message()));
    }
    // SIOCSIFMTU on virt0, through the kernel's ioctl.
    std::vector<uint8_t> ifr(rump::abi::kIfreqSize, 0);
    std::memcpy(ifr.data(), "virt0", 5);
    std::memcpy(ifr.data() + rump::abi::kIfrMtuOff, &mtu, sizeof(mtu));
    const int fd = h.Socket(rump::abi::kSOCK_DGRAM);
    if (h.Call(rump::abi::kSysIoctl, {uint64_t(fd), rump::abi::kSIOCSIFMTU,
                                      uint64_t(reinterpret_cast<uintptr_t>(ifr.data()))})
            .error != 0) {
      Die("SIOCSIFMTU on virt0 refused");
    }
    h.Close(fd);
  }
  if (absl::Status s = rump::virt_testing::HostSetUp("rvbench0", true); !s.ok()) {
    Die(std::string(s.message()));
  }
  std::printf("virt_bench: Linux 10.96.0.1 <-> rump kernel 10.96.0.2 over tap rvbench0, MTU %d, %s\n",
              mtu, bridge ? "through shmif_tapbridge and a bus (shmif0)" : "virt0");
  const size_t bytes = mib << 20;
  std::printf("bulk Linux -> kernel: %.2f Gbit/s (%zu MiB)\n", BulkUp(h, bytes), mib);
  std::printf("bulk kernel -> Linux: %.2f Gbit/s (%zu MiB)\n", BulkDown(h, bytes), mib);
  if (rounds > 0) RoundTrips(h, rounds);
  if (bridge_pid > 0) {
    kill(bridge_pid, SIGTERM);
    waitpid(bridge_pid, nullptr, 0);
    unlink((std::string(dir) + "/bus").c_str());
    rmdir(dir);
  }
  return 0;
}
