// rump.ping6: NetBSD's ping6(8) against the rump kernel named by
// RUMP_SERVER (its common options, output and exit status, written anew):
// ICMPv6 echo requests through a raw ICMPv6 socket whose filter passes
// only echo replies; replies are read with poll and recvmsg, the hop limit
// from the IPV6_HOPLIMIT control message.
//
//   rump.ping6 [-nqv] [-c count] [-h hoplimit] [-I interface] [-i wait]
//              [-S sourceaddr] [-s packetsize] [-X deadline] host
//
//   -c  stop after sending (and receiving) count packets
//   -h  the packets' hop limit (unicast and multicast)
//   -I  the outgoing interface (and the zone of a link-local host)
//   -i  seconds between packets (default 1)
//   -n  numeric output only (addresses are always printed numerically)
//   -q  quiet: only the first line and the statistics
//   -S  the source address
//   -s  data bytes per packet (default 8; 8 of them carry the send time)
//   -v  verbose: each reply also shows the address it was sent to (dst=)
//   -X  give up after deadline seconds in all
//
// host is an IPv6 address, optionally with a zone ("fe80::1%shmif0"), or a
// name the host's resolver turns into one.
//
// Output, as NetBSD's: "PING6(T=40+8+N bytes) SRC --> DST", one "N bytes
// from ADDR, icmp_seq=S hlim=H time=X.XXX ms" per reply, then "---
// host ping6 statistics ---", "S packets transmitted, R packets received,
// L% packet loss" and "round-trip min/avg/max/std-dev = ... ms". After the
// last packet it waits for replies twice the longest round trip (at least
// a second), or 10 s when none came. Exit 0 if any reply arrived, 1
// otherwise and on errors (bad arguments print usage).
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <rump/rump_syscalls.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in6.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

constexpr int kDefaultDataLen = 8;  // the send time only
constexpr int kTimeLen = 8;         // two 32-bit words: seconds, microseconds
constexpr int kMaxDataLen = abi::kIPV6_MAXPACKET - int(abi::kIp6HeaderLen) -
                            int(abi::kIcmp6HeaderLen);
constexpr double kMaxWaitNoReply = 10.0;  // seconds after the last packet

bool quiet = false, verbose = false;
int npackets = INT_MAX;
int ntransmitted = 0, nreceived = 0, nrepeats = 0;
double interval = 1.0, deadline = 0.0;
double tmin = 1e12, tmax = 0.0, tsum = 0.0, tsumsq = 0.0;
int datalen = kDefaultDataLen;
int hoplimit = -1;
uint16_t ident = 0;
int sock = -1;
std::string hostname;
std::vector<uint8_t> dst_sa;  // NetBSD sockaddr_in6
std::vector<uint8_t> out_packet;
std::vector<uint8_t> received_seq(65536 / 8, 0);
std::vector<tools::InterfaceIndex> interfaces;
volatile sig_atomic_t interrupted = 0;
timespec last_tx{}, next_tx{};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: %s [-nqv] [-c count] [-h hoplimit] [-I interface] [-i wait]\n"
               "\t[-S sourceaddr] [-s packetsize] [-X deadline] host\n",
               tools::ProgName());
  std::exit(1);
}

timespec Now() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t;
}

double Diff(const timespec& a, const timespec& b) {
  return double(a.tv_sec - b.tv_sec) + double(a.tv_nsec - b.tv_nsec) / 1e9;
}

void Add(timespec& t, double sec) {
  const long long ns = t.tv_nsec + (long long)(sec * 1e9);
  t.tv_sec += ns / 1000000000;
  t.tv_nsec = ns % 1000000000;
}

bool IsLinkLocal(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
bool IsMulticastLinkLocal(const uint8_t* a) { return a[0] == 0xff && (a[1] & 0x0f) == 0x02; }

int IndexOf(const std::string& name) {
  for (const auto& i : interfaces) {
    if (i.name == name) return i.index;
  }
  return 0;
}

std::string NameOf(int index) {
  for (const auto& i : interfaces) {
    if (i.index == index) return i.name;
  }
  return std::to_string(index);
}

std::vector<uint8_t> SockaddrIn6(const uint8_t* addr, uint32_t scope) {
  std::vector<uint8_t> sa(abi::kSockaddrIn6Size, 0);
  sa[abi::kSin6LenOff] = uint8_t(abi::kSockaddrIn6Size);
  sa[abi::kSin6FamilyOff] = uint8_t(abi::kAF_INET6);
  std::memcpy(sa.data() + abi::kSin6AddrOff, addr, abi::kIn6AddrSize);
  std::memcpy(sa.data() + abi::kSin6ScopeIdOff, &scope, 4);
  return sa;
}

uint32_t ScopeOf(const std::vector<uint8_t>& sa) {
  uint32_t s = 0;
  std::memcpy(&s, sa.data() + abi::kSin6ScopeIdOff, 4);
  return s;
}

// The address as getnameinfo(NI_NUMERICHOST) prints it: "%zone" for a
// scoped address.
std::string AddrText(const std::vector<uint8_t>& sa) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, sa.data() + abi::kSin6AddrOff, buf, sizeof(buf));
  std::string s = buf;
  if (const uint32_t scope = ScopeOf(sa); scope != 0) s += "%" + NameOf(int(scope));
  return s;
}

void Summary() {
  std::printf("\n--- %s ping6 statistics ---\n", hostname.c_str());
  std::printf("%d packets transmitted, ", ntransmitted);
  std::printf("%d packets received, ", nreceived);
  if (nrepeats) std::printf("+%d duplicates, ", nrepeats);
  if (ntransmitted) {
    if (nreceived > ntransmitted) {
      std::printf("-- somebody's duplicating packets!");
    } else {
      std::printf("%.1f%% packet loss", (ntransmitted - nreceived) * 100.0 / ntransmitted);
    }
  }
  std::printf("\n");
  if (nreceived && datalen >= kTimeLen) {
    const double n = nreceived + nrepeats;
    const double avg = tsum / n;
    double variance = n > 1 ? (tsumsq - n * avg * avg) / (n - 1) : 0.0;
    if (variance < 0) variance = 0;
    std::printf("round-trip min/avg/max/std-dev = %.3f/%.3f/%.3f/%.3f ms\n", tmin * 1000.0,
                avg * 1000.0, tmax * 1000.0, std::sqrt(variance) * 1000.0);
  }
  std::fflush(stdout);
}

[[noreturn]] void Finish() {
  Summary();
  std::exit(nreceived > 0 ? 0 : 1);
}

void Pinger(const timespec& now) {
  uint8_t* icmp = out_packet.data();
  icmp[0] = uint8_t(abi::kICMP6_ECHO_REQUEST);
  icmp[1] = 0;
  icmp[2] = icmp[3] = 0;  // the kernel computes the checksum
  const uint16_t id = htons(ident), seq = htons(uint16_t(ntransmitted));
  std::memcpy(icmp + 4, &id, 2);
  std::memcpy(icmp + 6, &seq, 2);
  if (datalen >= kTimeLen) {
    const uint32_t sec = htonl(uint32_t(now.tv_sec)), usec = htonl(uint32_t(now.tv_nsec / 1000));
    std::memcpy(icmp + abi::kIcmp6HeaderLen, &sec, 4);
    std::memcpy(icmp + abi::kIcmp6HeaderLen + 4, &usec, 4);
  }
  const ssize_t n = rump_sys_sendto(sock, out_packet.data(), out_packet.size(), 0,
                                    reinterpret_cast<const sockaddr*>(dst_sa.data()),
                                    unsigned(dst_sa.size()));
  if (n != ssize_t(out_packet.size())) {
    if (n < 0) {
      tools::Warn(errno, "sendmsg");
    } else {
      tools::Warnx("wrote " + hostname + " " + std::to_string(out_packet.size()) +
                   " chars, ret=" + std::to_string(n));
    }
  }
  received_seq[size_t(ntransmitted & 0xffff) / 8] &= uint8_t(~(1 << (ntransmitted & 7)));
  ++ntransmitted;
  last_tx = now;
  if (next_tx.tv_sec == 0 && next_tx.tv_nsec == 0) next_tx = now;
  if (Diff(next_tx, now) < -1.0) {
    next_tx = now;
    Add(next_tx, interval);
  } else {
    do {
      Add(next_tx, interval);
    } while (Diff(next_tx, now) < -0.1);
  }
}

// One received message: the ICMPv6 message, the sender, and the control
// messages (hop limit; with -v the destination address).
void PrPack(const uint8_t* icmp, int cc, const std::vector<uint8_t>& from, int hlim,
            const std::optional<std::vector<uint8_t>>& dst) {
  if (cc < int(abi::kIcmp6HeaderLen)) {
    if (verbose) {
      std::printf("packet too short (%d bytes) from %s\n", cc, AddrText(from).c_str());
    }
    return;
  }
  if (icmp[0] != abi::kICMP6_ECHO_REPLY) return;
  uint16_t id, seqn;
  std::memcpy(&id, icmp + 4, 2);
  std::memcpy(&seqn, icmp + 6, 2);
  if (ntohs(id) != ident) return;
  const int seq = ntohs(seqn);
  const timespec now = Now();
  ++nreceived;
  double triptime = 0.0;
  const bool timing = datalen >= kTimeLen && cc >= int(abi::kIcmp6HeaderLen) + kTimeLen;
  if (timing) {
    uint32_t sec, usec;
    std::memcpy(&sec, icmp + abi::kIcmp6HeaderLen, 4);
    std::memcpy(&usec, icmp + abi::kIcmp6HeaderLen + 4, 4);
    timespec tv;
    tv.tv_sec = time_t(ntohl(sec)) | (now.tv_sec & ~time_t(0xffffffff));
    tv.tv_nsec = long(ntohl(usec)) * 1000;
    triptime = std::max(0.0, Diff(now, tv));
    tsum += triptime;
    tsumsq += triptime * triptime;
    tmin = std::min(tmin, triptime);
    tmax = std::max(tmax, triptime);
  }
  bool dup = false;
  uint8_t& byte = received_seq[size_t(seq) / 8];
  if (byte & (1 << (seq & 7))) {
    ++nrepeats;
    --nreceived;
    dup = true;
  } else {
    byte |= uint8_t(1 << (seq & 7));
  }
  if (quiet) return;
  std::printf("%d bytes from %s, icmp_seq=%u", cc, AddrText(from).c_str(), unsigned(seq));
  if (hlim != -1) std::printf(" hlim=%d", hlim);
  if (verbose && dst) std::printf(" dst=%s", AddrText(*dst).c_str());
  if (timing) std::printf(" time=%.3f ms", triptime * 1000.0);
  if (dup) std::printf("(DUP!)");
  // The data must come back as it went out.
  for (int i = kTimeLen; i < datalen && int(abi::kIcmp6HeaderLen) + i < cc; ++i) {
    const uint8_t got = icmp[abi::kIcmp6HeaderLen + size_t(i)];
    const uint8_t want = out_packet[abi::kIcmp6HeaderLen + size_t(i)];
    if (got != want) {
      std::printf("\nwrong data byte #%d should be 0x%x but was 0x%x", i, want, got);
      break;
    }
  }
  std::printf("\n");
  std::fflush(stdout);
}

void OnSigint(int) { interrupted = 1; }

// Reads one message with recvmsg and hands it to PrPack.
void Receive(std::vector<uint8_t>& packet) {
  std::vector<uint8_t> from(abi::kSockaddrStorageSize, 0);
  std::vector<uint8_t> control(256, 0);
  struct iovec iov;
  iov.iov_base = packet.data();
  iov.iov_len = packet.size();
  // A NetBSD struct msghdr, laid out by hand (Linux's differs).
  uint8_t msg[abi::kMsghdrSize] = {};
  const uint64_t name_ptr = uint64_t(reinterpret_cast<uintptr_t>(from.data()));
  const uint32_t namelen = uint32_t(from.size());
  const uint64_t iov_ptr = uint64_t(reinterpret_cast<uintptr_t>(&iov));
  const int32_t iovlen = 1;
  const uint64_t control_ptr = uint64_t(reinterpret_cast<uintptr_t>(control.data()));
  const uint32_t controllen = uint32_t(control.size());
  std::memcpy(msg + abi::kMsgNameOff, &name_ptr, 8);
  std::memcpy(msg + abi::kMsgNamelenOff, &namelen, 4);
  std::memcpy(msg + abi::kMsgIovOff, &iov_ptr, 8);
  std::memcpy(msg + abi::kMsgIovlenOff, &iovlen, 4);
  std::memcpy(msg + abi::kMsgControlOff, &control_ptr, 8);
  std::memcpy(msg + abi::kMsgControllenOff, &controllen, 4);
  const ssize_t n = rump_sys_recvmsg(sock, reinterpret_cast<struct msghdr*>(msg), 0);
  if (n < 0) {
    if (errno != abi::kEINTR) tools::Warn(errno, "recvmsg");
    return;
  }
  uint32_t got_controllen = 0;
  std::memcpy(&got_controllen, msg + abi::kMsgControllenOff, 4);
  got_controllen = std::min<uint32_t>(got_controllen, uint32_t(control.size()));
  int hlim = -1;
  std::optional<std::vector<uint8_t>> dst;
  const size_t data_off = (abi::kCmsghdrSize + abi::kCmsgAlign - 1) & ~(abi::kCmsgAlign - 1);
  for (size_t off = 0; off + abi::kCmsghdrSize <= got_controllen;) {
    uint32_t len;
    int32_t level, type;
    std::memcpy(&len, control.data() + off, 4);
    std::memcpy(&level, control.data() + off + 4, 4);
    std::memcpy(&type, control.data() + off + 8, 4);
    if (len < abi::kCmsghdrSize || off + len > got_controllen) break;
    const uint8_t* data = control.data() + off + data_off;
    const size_t dlen = len >= data_off ? len - data_off : 0;
    if (level == abi::kIPPROTO_IPV6 && type == abi::kIPV6_HOPLIMIT && dlen >= 4) {
      int32_t h;
      std::memcpy(&h, data, 4);
      hlim = h;
    } else if (level == abi::kIPPROTO_IPV6 && type == abi::kIPV6_PKTINFO &&
               dlen >= abi::kIn6PktinfoSize) {
      uint32_t ifindex;
      std::memcpy(&ifindex, data + abi::kIpi6IfindexOff, 4);
      const uint8_t* a = data + abi::kIpi6AddrOff;
      dst = SockaddrIn6(a, IsLinkLocal(a) || IsMulticastLinkLocal(a) ? ifindex : 0);
    }
    off += (len + abi::kCmsgAlign - 1) & ~(abi::kCmsgAlign - 1);
  }
  PrPack(packet.data(), int(n), from, hlim, dst);
}

[[noreturn]] void Run() {
  const timespec start = Now();
  std::vector<uint8_t> packet(size_t(datalen) + abi::kIcmp6HeaderLen + 512);
  while (true) {
    if (interrupted) Finish();
    const timespec now = Now();
    const double d_last = deadline != 0 ? deadline - Diff(now, start) : 365.0 * 24 * 3600;
    if (d_last <= 0) break;
    double sec;
    if (ntransmitted < npackets) {
      sec = ntransmitted == 0 ? -1.0 : Diff(next_tx, now);
      if (sec <= 0.0001) {
        Pinger(now);
        sec = Diff(next_tx, now);
      }
      if (ntransmitted >= npackets) continue;  // the last one: wait as below
      sec = std::max(sec, 0.0);
    } else {
      const double wait = nreceived ? std::max(1.0, std::floor(2 * tmax)) : kMaxWaitNoReply;
      sec = wait - Diff(now, last_tx);
      if (sec <= 0) break;
    }
    sec = std::min(sec, d_last);
    struct pollfd pfd;
    pfd.fd = sock;
    pfd.events = abi::kPOLLIN;
    pfd.revents = 0;
    const int cc = rump_sys_poll(&pfd, 1, int(std::ceil(sec * 1000)));
    if (cc < 0) {
      if (errno == abi::kEINTR) continue;
      tools::Err(1, errno, "poll");
    }
    if (cc == 0) continue;
    Receive(packet);
    if (nreceived >= npackets) break;
  }
  Finish();
}

double ParseSeconds(const char* arg, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(arg, &end);
  if (*end != '\0' || !(v > 0) || !std::isfinite(v) || v > INT_MAX / 1000.0) {
    tools::Errx(1, std::string("illegal ") + what + " -- " + arg);
  }
  return v;
}

long ParseLong(const char* arg, long lo, long hi, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
    tools::Errx(1, std::string("illegal ") + what + " -- " + arg);
  }
  return v;
}

// ADDR or ADDR%ZONE (the zone is resolved once connected); names through
// the host's resolver. Fills the address and the zone's name.
void ParseHost(const std::string& host, uint8_t* addr, std::string* zone) {
  std::string a = host;
  if (const size_t pct = a.find('%'); pct != std::string::npos) {
    *zone = a.substr(pct + 1);
    a = a.substr(0, pct);
  }
  if (inet_pton(AF_INET6, a.c_str(), addr) == 1) return;
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_RAW;
  addrinfo* res = nullptr;
  if (const int e = getaddrinfo(a.c_str(), nullptr, &hints, &res); e != 0 || res == nullptr) {
    tools::Errx(1, e != 0 ? gai_strerror(e) : "no address");
  }
  std::memcpy(addr, &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, 16);
  freeaddrinfo(res);
}

int Main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  int ch;
  std::string ifname, source;
  while ((ch = tools::GetOpt(argc, argv, "c:h:I:i:nqS:s:vX:")) != -1) {
    switch (ch) {
      case 'c':
        npackets = int(ParseLong(optarg, 1, INT_MAX, "number of packets"));
        break;
      case 'h':
        hoplimit = int(ParseLong(optarg, 0, abi::kIPV6_MAXHLIM, "hoplimit"));
        break;
      case 'I':
        ifname = optarg;
        break;
      case 'i':
        interval = ParseSeconds(optarg, "timing interval");
        break;
      case 'n':
        break;  // addresses are printed numerically anyway
      case 'q':
        quiet = true;
        break;
      case 'S':
        source = optarg;
        break;
      case 's':
        datalen = int(ParseLong(optarg, 0, kMaxDataLen, "datalen value"));
        break;
      case 'v':
        verbose = true;
        break;
      case 'X':
        deadline = double(ParseLong(optarg, 1, INT_MAX, "deadline"));
        break;
      default:
        Usage();
    }
  }
  if (optind != argc - 1) Usage();
  hostname = argv[optind];
  uint8_t dst_addr[16] = {};
  std::string zone;
  ParseHost(hostname, dst_addr, &zone);
  uint8_t src_addr[16] = {};
  std::string src_zone;
  if (!source.empty()) ParseHost(source, src_addr, &src_zone);

  tools::InitClient("init failed");
  if (int e = tools::InterfaceIndexes(&interfaces); e != 0) tools::Err(1, e, "getifaddrs");
  uint32_t scope = 0;
  if (!zone.empty()) {
    scope = uint32_t(IndexOf(zone));
    if (scope == 0) tools::Errx(1, zone + ": invalid interface name");
  }
  uint32_t out_index = 0;
  if (!ifname.empty()) {
    out_index = uint32_t(IndexOf(ifname));
    if (out_index == 0) tools::Errx(1, ifname + ": invalid interface name");
  }
  dst_sa = SockaddrIn6(dst_addr, scope);
  const std::string dst_text = AddrText(dst_sa);
  // -I gives a scoped destination without a zone its zone.
  if (scope == 0 && out_index != 0 && (IsLinkLocal(dst_addr) || IsMulticastLinkLocal(dst_addr))) {
    std::memcpy(dst_sa.data() + abi::kSin6ScopeIdOff, &out_index, 4);
  }

  sock = rump_sys_socket(abi::kAF_INET6, abi::kSOCK_RAW, abi::kIPPROTO_ICMPV6);
  if (sock < 0) tools::Err(1, errno, "socket");

  // The source: -S, or what the kernel would choose (a connected UDP
  // socket's local address).
  std::vector<uint8_t> src_sa;
  if (!source.empty()) {
    uint32_t src_scope = src_zone.empty() ? 0 : uint32_t(IndexOf(src_zone));
    if (src_scope == 0 && IsLinkLocal(src_addr)) src_scope = out_index ? out_index : scope;
    src_sa = SockaddrIn6(src_addr, src_scope);
    if (rump_sys_bind(sock, reinterpret_cast<const sockaddr*>(src_sa.data()),
                      unsigned(src_sa.size())) < 0) {
      tools::Err(1, errno, "bind");
    }
  } else {
    const int probe = rump_sys_socket(abi::kAF_INET6, abi::kSOCK_DGRAM, 0);
    if (probe < 0) tools::Err(1, errno, "UDP socket");
    std::vector<uint8_t> to = dst_sa;
    const uint16_t port = htons(1025);
    std::memcpy(to.data() + abi::kSin6PortOff, &port, 2);
    if (rump_sys_connect(probe, reinterpret_cast<const sockaddr*>(to.data()),
                         unsigned(to.size())) < 0) {
      tools::Err(1, errno, "UDP connect");
    }
    src_sa.assign(abi::kSockaddrIn6Size, 0);
    unsigned len = unsigned(src_sa.size());
    if (rump_sys_getsockname(probe, reinterpret_cast<sockaddr*>(src_sa.data()), &len) < 0) {
      tools::Err(1, errno, "getsockname");
    }
    rump_sys_close(probe);
  }

  // Only echo replies reach the socket (every type with -v).
  uint32_t filter[abi::kIcmp6FilterSize / 4] = {};
  if (verbose) {
    std::fill(std::begin(filter), std::end(filter), 0xffffffffu);
  } else {
    filter[abi::kICMP6_ECHO_REPLY >> 5] |= 1u << (abi::kICMP6_ECHO_REPLY & 31);
  }
  if (rump_sys_setsockopt(sock, abi::kIPPROTO_ICMPV6, abi::kICMP6_FILTER, filter,
                          sizeof(filter)) < 0) {
    tools::Err(1, errno, "setsockopt(ICMP6_FILTER)");
  }
  const int on = 1;
  if (rump_sys_setsockopt(sock, abi::kIPPROTO_IPV6, abi::kIPV6_RECVHOPLIMIT, &on, sizeof(on)) <
      0) {
    tools::Err(1, errno, "setsockopt(IPV6_RECVHOPLIMIT)");
  }
  if (verbose && rump_sys_setsockopt(sock, abi::kIPPROTO_IPV6, abi::kIPV6_RECVPKTINFO, &on,
                                     sizeof(on)) < 0) {
    tools::Err(1, errno, "setsockopt(IPV6_RECVPKTINFO)");
  }
  if (hoplimit != -1) {
    if (rump_sys_setsockopt(sock, abi::kIPPROTO_IPV6, abi::kIPV6_UNICAST_HOPS, &hoplimit,
                            sizeof(hoplimit)) < 0) {
      tools::Err(1, errno, "IPV6_UNICAST_HOPS");
    }
    if (rump_sys_setsockopt(sock, abi::kIPPROTO_IPV6, abi::kIPV6_MULTICAST_HOPS, &hoplimit,
                            sizeof(hoplimit)) < 0) {
      tools::Err(1, errno, "IPV6_MULTICAST_HOPS");
    }
  }
  if (out_index != 0) {
    // The outgoing interface for every packet (a sticky IPV6_PKTINFO).
    uint8_t pktinfo[abi::kIn6PktinfoSize] = {};
    std::memcpy(pktinfo + abi::kIpi6IfindexOff, &out_index, 4);
    if (rump_sys_setsockopt(sock, abi::kIPPROTO_IPV6, abi::kIPV6_PKTINFO, pktinfo,
                            sizeof(pktinfo)) < 0) {
      tools::Err(1, errno, "setsockopt(IPV6_PKTINFO)");
    }
  }
  int bufspace = abi::kIPV6_MAXPACKET;
  (void)rump_sys_setsockopt(sock, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &bufspace,
                            sizeof(bufspace));

  out_packet.assign(abi::kIcmp6HeaderLen + size_t(datalen), 0);
  for (int i = kTimeLen; i < datalen; ++i) out_packet[abi::kIcmp6HeaderLen + size_t(i)] = uint8_t(i);
  ident = uint16_t(getpid() ^ (Now().tv_nsec >> 10));

  std::printf("PING6(%zu=%zu+%zu+%d bytes) %s --> %s\n",
              abi::kIp6HeaderLen + abi::kIcmp6HeaderLen + size_t(datalen), abi::kIp6HeaderLen,
              abi::kIcmp6HeaderLen, datalen, AddrText(src_sa).c_str(), dst_text.c_str());
  std::fflush(stdout);

  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  Run();
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
