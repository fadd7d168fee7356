// soak_client: the remote clients of scripts/soak, one short-lived
// connection per run (RUMP_SERVER names the kernel), plus the two
// long-running helpers the script starts.
//
//   soak_client getpid COUNT         COUNT getpid calls; the pid must not change
//   soak_client sysctl               kern.hostname, hw.ncpu, net.inet.ip.stats
//                                    and net.inet.udp.stats by MIB
//   soak_client udp ADDR SIZE        a SIZE-byte datagram (fragmented when
//                                    SIZE > 1472) to ADDR:7, the echo awaited
//                                    (5 s) and compared byte for byte
//   soak_client bcast ADDR           a datagram to the broadcast address
//                                    ADDR:7 (SO_BROADCAST); counts the echoes
//                                    arriving within 2 s
//   soak_client stats                one line of counters: IP and UDP
//                                    statistics (net.inet.{ip,udp}.stats)
//   soak_client echo-server          UDP echo on port 7 of every address
//                                    until the connection is lost; prints
//                                    "ready" once bound
//   soak_client watch-bus BUS FILE   no kernel: attaches to the shmif bus
//                                    file BUS as one more receiver and every
//                                    second rewrites FILE with "frames N
//                                    laps L resets R recoveries C" (what
//                                    shmif::BusStats counts for it)
//
// Exit status (what scripts/soak classifies): 0 success; 1 a system call
// failed with a NetBSD errno (message "FAIL <call>: <text> (errno N)");
// 2 the connection failed or was lost (a host errno, ENOTCONN, ECONNREFUSED,
// ...); 3 no answer in time (UDP echo or broadcast); 4 a wrong answer
// (corrupt echo, changing pid, short sysctl); 64 bad arguments. Every
// failure prints one line on stderr starting with "FAIL".
#include <poll.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumperr.h>
#include <signal.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "shmif/bus.h"

namespace {

namespace abi = rump::abi;

constexpr int kExitSyscall = 1;
constexpr int kExitConnection = 2;
constexpr int kExitTimeout = 3;
constexpr int kExitWrongAnswer = 4;
constexpr int kExitUsage = 64;

constexpr int kEchoPort = 7;
constexpr int kNetbsdLastErrno = 96;  // ELAST: larger numbers are host errnos
constexpr uint32_t kPayloadMagic = 0x736f616b;  // "soak"
constexpr size_t kPayloadHeader = 16;           // magic, pid, nonce, size
// NetBSD refuses more than sb_max * MCLBYTES / (MSIZE + MCLBYTES), 233016.
constexpr int kSocketBufferBytes = 200 * 1024;
// How long an answer may take: generous, because a soak runs on a machine
// it keeps busy, and a late answer must not pass for a lost frame.
constexpr auto kEchoWait = std::chrono::seconds(5);
constexpr auto kBroadcastWait = std::chrono::seconds(2);

using Clock = std::chrono::steady_clock;

std::string ErrorText(int error) {
  if (error > kNetbsdLastErrno) return std::strerror(error);  // host errno
  return rump_strerror(error);
}

// A failed rump_sys_* call: a NetBSD errno is the kernel's answer; a host
// errno means the connection itself failed.
[[noreturn]] void FailCall(const std::string& call, int error) {
  const int status = error > kNetbsdLastErrno ? kExitConnection : kExitSyscall;
  std::fprintf(stderr, "FAIL %s: %s (errno %d%s)\n", call.c_str(), ErrorText(error).c_str(),
               error, status == kExitConnection ? ", host" : "");
  std::exit(status);
}

[[noreturn]] void Fail(int status, const std::string& message) {
  std::fprintf(stderr, "FAIL %s\n", message.c_str());
  std::exit(status);
}

void Connect() {
  if (rumpclient_init() == -1) {
    const int error = errno;
    Fail(kExitConnection, std::string("rumpclient_init: ") + std::strerror(error) +
                              " (errno " + std::to_string(error) + ", host)");
  }
}

// A NetBSD struct sockaddr_in; `addr_net` and `port` in network order.
std::vector<uint8_t> SockaddrIn(uint32_t addr_net, uint16_t port_net) {
  std::vector<uint8_t> sa(abi::kSockaddrInSize, 0);
  sa[abi::kSinLenOff] = uint8_t(abi::kSockaddrInSize);
  sa[abi::kSinFamilyOff] = uint8_t(abi::kAF_INET);
  std::memcpy(sa.data() + abi::kSinPortOff, &port_net, 2);
  std::memcpy(sa.data() + abi::kSinAddrOff, &addr_net, 4);
  return sa;
}

uint32_t ParseAddress(const char* text) {
  in_addr a{};
  if (inet_pton(AF_INET, text, &a) != 1) Fail(kExitUsage, std::string("bad address ") + text);
  return a.s_addr;
}

std::string AddressText(uint32_t addr_net) {
  char buf[INET_ADDRSTRLEN];
  in_addr a{};
  a.s_addr = addr_net;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

void SetIntOption(int sock, int name, int value, const char* what) {
  if (rump_sys_setsockopt(sock, abi::kSOL_SOCKET, name, &value, sizeof(value)) == -1) {
    FailCall(std::string("setsockopt ") + what, errno);
  }
}

int UdpSocket() {
  const int sock = rump_sys_socket(abi::kAF_INET, abi::kSOCK_DGRAM, 0);
  if (sock == -1) FailCall("socket", errno);
  SetIntOption(sock, abi::kSO_SNDBUF, kSocketBufferBytes, "SO_SNDBUF");
  SetIntOption(sock, abi::kSO_RCVBUF, kSocketBufferBytes, "SO_RCVBUF");
  return sock;
}

void Put32(uint8_t* p, uint32_t v) {
  const uint32_t n = htonl(v);
  std::memcpy(p, &n, 4);
}

uint32_t Get32(const uint8_t* p) {
  uint32_t n;
  std::memcpy(&n, p, 4);
  return ntohl(n);
}

// The datagram a client sends: a header naming it, then a pattern.
std::vector<uint8_t> MakePayload(size_t size, uint32_t nonce) {
  std::vector<uint8_t> p(std::max(size, kPayloadHeader));
  Put32(p.data(), kPayloadMagic);
  Put32(p.data() + 4, uint32_t(getpid()));
  Put32(p.data() + 8, nonce);
  Put32(p.data() + 12, uint32_t(p.size()));
  for (size_t i = kPayloadHeader; i < p.size(); ++i) p[i] = uint8_t(nonce + i * 7);
  return p;
}

bool IsOurs(const uint8_t* data, size_t len, uint32_t nonce) {
  return len >= kPayloadHeader && Get32(data) == kPayloadMagic &&
         Get32(data + 4) == uint32_t(getpid()) && Get32(data + 8) == nonce;
}

int MillisecondsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : int(left);
}

struct Datagram {
  std::vector<uint8_t> bytes;
  uint32_t from_net = 0;
};

// Waits for one datagram until `deadline`; false on timeout.
bool ReceiveBefore(int sock, Clock::time_point deadline, Datagram* out) {
  for (;;) {
    const int wait_ms = MillisecondsLeft(deadline);
    pollfd pfd{};
    pfd.fd = sock;
    pfd.events = abi::kPOLLIN;
    const int ready = rump_sys_poll(&pfd, 1, wait_ms);
    if (ready == -1) {
      if (errno == abi::kEINTR) continue;
      FailCall("poll", errno);
    }
    if (ready == 0) return false;
    out->bytes.resize(65536);
    std::vector<uint8_t> from(abi::kSockaddrStorageSize, 0);
    unsigned from_len = unsigned(from.size());
    const ssize_t n = rump_sys_recvfrom(sock, out->bytes.data(), out->bytes.size(), 0,
                                        reinterpret_cast<sockaddr*>(from.data()), &from_len);
    if (n == -1) FailCall("recvfrom", errno);
    out->bytes.resize(size_t(n));
    std::memcpy(&out->from_net, from.data() + abi::kSinAddrOff, 4);
    return true;
  }
}

uint32_t RandomNonce() {
  std::random_device rd;
  return rd();
}

int RunGetpid(int argc, char** argv) {
  if (argc != 1) Fail(kExitUsage, "usage: soak_client getpid COUNT");
  const int count = std::atoi(argv[0]);
  Connect();
  const pid_t first = rump_sys_getpid();
  if (first == -1) FailCall("getpid", errno);
  if (first <= 0) Fail(kExitWrongAnswer, "getpid returned " + std::to_string(first));
  for (int i = 1; i < count; ++i) {
    const pid_t pid = rump_sys_getpid();
    if (pid == -1) FailCall("getpid", errno);
    if (pid != first) {
      Fail(kExitWrongAnswer,
           "getpid changed from " + std::to_string(first) + " to " + std::to_string(pid));
    }
  }
  std::printf("getpid %d x%d\n", int(first), count);
  return 0;
}

std::vector<uint64_t> StatsArray(int protocol, int node, size_t count, const char* name) {
  const int mib[4] = {abi::kCtlNet, abi::kAF_INET, protocol, node};
  std::vector<uint64_t> values(count, 0);
  size_t len = values.size() * sizeof(uint64_t);
  if (rump_sys___sysctl(mib, 4, values.data(), &len, nullptr, 0) == -1) {
    FailCall(std::string("sysctl ") + name, errno);
  }
  if (len != count * sizeof(uint64_t)) {
    Fail(kExitWrongAnswer, std::string("sysctl ") + name + ": " + std::to_string(len) +
                               " bytes, expected " + std::to_string(count * sizeof(uint64_t)));
  }
  return values;
}

std::vector<uint64_t> IpStats() {
  return StatsArray(abi::kIPPROTO_IP, abi::kIpctlStats, abi::kIpStatNStats, "net.inet.ip.stats");
}
std::vector<uint64_t> UdpStats() {
  return StatsArray(abi::kIPPROTO_UDP, abi::kUdpctlStats, abi::kUdpStatNStats,
                    "net.inet.udp.stats");
}

int RunSysctl(int argc, char**) {
  if (argc != 0) Fail(kExitUsage, "usage: soak_client sysctl");
  Connect();
  char hostname[256] = {};
  size_t len = sizeof(hostname) - 1;
  const int hostname_mib[2] = {abi::kCtlKern, abi::kKernHostname};
  if (rump_sys___sysctl(hostname_mib, 2, hostname, &len, nullptr, 0) == -1) {
    FailCall("sysctl kern.hostname", errno);
  }
  if (len == 0 || hostname[0] == '\0') Fail(kExitWrongAnswer, "kern.hostname is empty");
  int ncpu = 0;
  len = sizeof(ncpu);
  const int ncpu_mib[2] = {abi::kCtlHw, abi::kHwNcpu};
  if (rump_sys___sysctl(ncpu_mib, 2, &ncpu, &len, nullptr, 0) == -1) {
    FailCall("sysctl hw.ncpu", errno);
  }
  if (len != sizeof(ncpu) || ncpu < 1) {
    Fail(kExitWrongAnswer, "hw.ncpu = " + std::to_string(ncpu) + " (" + std::to_string(len) +
                               " bytes)");
  }
  const std::vector<uint64_t> ip = IpStats();
  (void)UdpStats();
  std::printf("sysctl %s ncpu %d ip.total %llu\n", hostname, ncpu,
              static_cast<unsigned long long>(ip[abi::kIpStatTotal]));
  return 0;
}

int RunStats(int argc, char**) {
  if (argc != 0) Fail(kExitUsage, "usage: soak_client stats");
  Connect();
  const std::vector<uint64_t> ip = IpStats();
  const std::vector<uint64_t> udp = UdpStats();
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "ip_total %llu ip_fragments %llu ip_fragdropped %llu ip_fragtimeout %llu "
      "ip_reassembled %llu ip_odropped %llu ip_badsum %llu udp_ipackets %llu "
      "udp_fullsock %llu udp_noport %llu udp_hdrops %llu udp_badsum %llu\n",
      u(ip[abi::kIpStatTotal]), u(ip[abi::kIpStatFragments]), u(ip[abi::kIpStatFragdropped]),
      u(ip[abi::kIpStatFragtimeout]), u(ip[abi::kIpStatReassembled]),
      u(ip[abi::kIpStatOdropped]), u(ip[abi::kIpStatBadsum]), u(udp[abi::kUdpStatIpackets]),
      u(udp[abi::kUdpStatFullsock]), u(udp[abi::kUdpStatNoport]), u(udp[abi::kUdpStatHdrops]),
      u(udp[abi::kUdpStatBadsum]));
  return 0;
}

int RunUdp(int argc, char** argv) {
  if (argc != 2) Fail(kExitUsage, "usage: soak_client udp ADDR SIZE");
  const uint32_t peer = ParseAddress(argv[0]);
  const long size = std::atol(argv[1]);
  if (size < long(kPayloadHeader) || size > 65507) Fail(kExitUsage, "bad size");
  Connect();
  const int sock = UdpSocket();
  const uint32_t nonce = RandomNonce();
  const std::vector<uint8_t> payload = MakePayload(size_t(size), nonce);
  const std::vector<uint8_t> to = SockaddrIn(peer, htons(kEchoPort));
  const auto start = Clock::now();
  if (rump_sys_sendto(sock, payload.data(), payload.size(), 0,
                      reinterpret_cast<const sockaddr*>(to.data()), unsigned(to.size())) == -1) {
    FailCall("sendto " + AddressText(peer), errno);
  }
  const auto deadline = start + kEchoWait;
  Datagram reply;
  while (ReceiveBefore(sock, deadline, &reply)) {
    if (!IsOurs(reply.bytes.data(), reply.bytes.size(), nonce)) continue;  // a stray echo
    if (reply.from_net != peer) {
      Fail(kExitWrongAnswer, "echo of " + std::to_string(size) + " bytes to " +
                                 AddressText(peer) + " came from " + AddressText(reply.from_net));
    }
    if (reply.bytes != payload) {
      size_t first_bad = 0;
      while (first_bad < std::min(reply.bytes.size(), payload.size()) &&
             reply.bytes[first_bad] == payload[first_bad]) {
        ++first_bad;
      }
      Fail(kExitWrongAnswer, "echo from " + AddressText(peer) + ": " +
                                 std::to_string(reply.bytes.size()) + " bytes for " +
                                 std::to_string(payload.size()) + ", first difference at " +
                                 std::to_string(first_bad));
    }
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::printf("udp %s %ld bytes %.3f ms\n", AddressText(peer).c_str(), size, ms);
    return 0;
  }
  Fail(kExitTimeout, "no echo of " + std::to_string(size) + " bytes from " + AddressText(peer) +
                         " in " + std::to_string(kEchoWait.count()) + " s");
}

int RunBroadcast(int argc, char** argv) {
  if (argc != 1) Fail(kExitUsage, "usage: soak_client bcast ADDR");
  const uint32_t broadcast = ParseAddress(argv[0]);
  Connect();
  const int sock = UdpSocket();
  SetIntOption(sock, abi::kSO_BROADCAST, 1, "SO_BROADCAST");
  const uint32_t nonce = RandomNonce();
  const std::vector<uint8_t> payload = MakePayload(64, nonce);
  const std::vector<uint8_t> to = SockaddrIn(broadcast, htons(kEchoPort));
  if (rump_sys_sendto(sock, payload.data(), payload.size(), 0,
                      reinterpret_cast<const sockaddr*>(to.data()), unsigned(to.size())) == -1) {
    FailCall("sendto " + AddressText(broadcast), errno);
  }
  const auto deadline = Clock::now() + kBroadcastWait;
  std::vector<uint32_t> responders;
  Datagram reply;
  while (ReceiveBefore(sock, deadline, &reply)) {
    if (!IsOurs(reply.bytes.data(), reply.bytes.size(), nonce)) continue;
    if (reply.bytes != payload) {
      Fail(kExitWrongAnswer, "corrupt broadcast echo from " + AddressText(reply.from_net));
    }
    for (uint32_t seen : responders) {
      if (seen == reply.from_net) {
        Fail(kExitWrongAnswer, "two broadcast echoes from " + AddressText(reply.from_net));
      }
    }
    responders.push_back(reply.from_net);
  }
  if (responders.empty()) {
    Fail(kExitTimeout, "no echo of a broadcast to " + AddressText(broadcast) + " in " +
                           std::to_string(kBroadcastWait.count()) + " s");
  }
  std::printf("bcast %s replies %zu:", AddressText(broadcast).c_str(), responders.size());
  for (uint32_t r : responders) std::printf(" %s", AddressText(r).c_str());
  std::printf("\n");
  return 0;
}

int RunEchoServer(int argc, char**) {
  if (argc != 0) Fail(kExitUsage, "usage: soak_client echo-server");
  Connect();
  const int sock = UdpSocket();
  const std::vector<uint8_t> any = SockaddrIn(htonl(abi::kINADDR_ANY), htons(kEchoPort));
  if (rump_sys_bind(sock, reinterpret_cast<const sockaddr*>(any.data()), unsigned(any.size())) ==
      -1) {
    FailCall("bind port 7", errno);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  std::vector<uint8_t> buf(65536);
  uint64_t echoed = 0, send_errors = 0;
  for (;;) {
    // librumpclient blocks every signal while a call waits for the server,
    // so a recvfrom blocked for good would leave SIGTERM pending for good:
    // wait in poll for a second at a time instead.
    pollfd pfd{};
    pfd.fd = sock;
    pfd.events = abi::kPOLLIN;
    const int ready = rump_sys_poll(&pfd, 1, 1000);
    if (ready == -1 && errno != abi::kEINTR) FailCall("poll", errno);
    if (ready <= 0) continue;
    std::vector<uint8_t> from(abi::kSockaddrStorageSize, 0);
    unsigned from_len = unsigned(from.size());
    const ssize_t n = rump_sys_recvfrom(sock, buf.data(), buf.size(), 0,
                                        reinterpret_cast<sockaddr*>(from.data()), &from_len);
    if (n == -1) {
      if (errno == abi::kEINTR) continue;
      std::fprintf(stderr, "echo-server: %llu echoed, %llu send errors\n",
                   static_cast<unsigned long long>(echoed),
                   static_cast<unsigned long long>(send_errors));
      FailCall("recvfrom", errno);
    }
    if (rump_sys_sendto(sock, buf.data(), size_t(n), 0,
                        reinterpret_cast<const sockaddr*>(from.data()), from_len) == -1) {
      const int error = errno;
      if (error > kNetbsdLastErrno) FailCall("sendto", error);
      // A peer that went away (EHOSTDOWN...) is not the echo's problem.
      if (send_errors++ < 20) {
        std::fprintf(stderr, "echo-server: sendto: %s (errno %d)\n", ErrorText(error).c_str(),
                     error);
      }
      continue;
    }
    ++echoed;
  }
}

int RunWatchBus(int argc, char** argv) {
  if (argc != 2) Fail(kExitUsage, "usage: soak_client watch-bus BUS STATSFILE");
  const std::string bus_path = argv[0], stats_path = argv[1];
  absl::StatusOr<std::unique_ptr<shmif::Bus>> bus = shmif::Bus::Attach(bus_path);
  if (!bus.ok()) Fail(kExitSyscall, "attach " + bus_path + ": " + bus.status().ToString());
  std::vector<uint8_t> frame(shmif::kMaxFrameLen);
  auto next_write = Clock::now();
  for (;;) {
    absl::StatusOr<shmif::ReceivedFrame> r =
        (*bus)->Receive(absl::MakeSpan(frame), absl::Milliseconds(200));
    (void)r;  // counted in stats(); DataLoss counted as a reset
    if (Clock::now() < next_write) continue;
    next_write += std::chrono::seconds(1);
    const shmif::BusStats s = (*bus)->stats();
    const std::string tmp = stats_path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) Fail(kExitSyscall, "cannot write " + tmp);
    std::fprintf(f, "frames %llu laps %llu resets %llu recoveries %llu\n",
                 static_cast<unsigned long long>(s.frames_received),
                 static_cast<unsigned long long>(s.overruns),
                 static_cast<unsigned long long>(s.corrupt_resets),
                 static_cast<unsigned long long>(s.lock_recoveries));
    std::fclose(f);
    std::rename(tmp.c_str(), stats_path.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: soak_client getpid COUNT | sysctl | udp ADDR SIZE | bcast ADDR | "
                 "stats | echo-server | watch-bus BUS STATSFILE\n");
    return kExitUsage;
  }
  // A write to a connection the server dropped must be an error, not death.
  signal(SIGPIPE, SIG_IGN);
  const std::string mode = argv[1];
  if (mode == "getpid") return RunGetpid(argc - 2, argv + 2);
  if (mode == "sysctl") return RunSysctl(argc - 2, argv + 2);
  if (mode == "stats") return RunStats(argc - 2, argv + 2);
  if (mode == "udp") return RunUdp(argc - 2, argv + 2);
  if (mode == "bcast") return RunBroadcast(argc - 2, argv + 2);
  if (mode == "echo-server") return RunEchoServer(argc - 2, argv + 2);
  if (mode == "watch-bus") return RunWatchBus(argc - 2, argv + 2);
  std::fprintf(stderr, "soak_client: unknown mode %s\n", mode.c_str());
  return kExitUsage;
}
