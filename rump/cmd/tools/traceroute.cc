// rump.traceroute: NetBSD's traceroute(8) against the rump kernel named by
// RUMP_SERVER (usr.sbin/traceroute's syntax, output and exit status,
// written anew). Probes leave through a raw socket with IP_HDRINCL, one
// TTL after another: UDP datagrams to port `port + probe number` (base
// 33434), or ICMP echo requests with -I; a raw ICMP socket hears the time
// exceeded messages of the hops, and the port unreachable (or echo reply)
// of the destination, which ends the trace.
//
//   rump.traceroute [-dFIlnrvx] [-f first_ttl] [-m max_ttl] [-p port]
//       [-q nqueries] [-s src_addr] [-t tos] [-w waittime] [-z pausemsecs]
//       host [packetlen]
//
// Output: "rump.traceroute to H (A), M hops max, N byte packets" on stderr
// (as NetBSD's), then one line per TTL on stdout: " 1  10.0.0.254  0.512 ms
// 0.301 ms  0.288 ms", "*" for a probe with no answer within waittime
// (default 5 s), annotations after the time: "!" (the answer came with TTL
// <= 1), "!N", "!H", "!P", "!S", "!F-mtu", "!X", "!V", "!C", "!<code>" for
// unreachables. Exit 0 once the trace ends, 1 on errors (bad arguments
// print usage).
//
// A rump kernel has no name service: hosts are numeric addresses, and
// without -n each hop prints as "A (A)", what NetBSD prints when a lookup
// finds no name. The max_ttl default is the kernel's net.inet.ip.ttl.
// NetBSD's -a/-A (AS lookups), -D, -g (source routing), -i, -M and -P are
// not provided.
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

constexpr int kIpHdr = 20;
constexpr int kOutData = 12;  // seq, ttl, 2 pad bytes, send time (2 x int32)
constexpr int kMaxPacket = 32 * 1024;
constexpr int kMtus[] = {17914, 8166, 4464, 4352, 2048, 2002, 1536, 1500, 1492, 1480,
                         1280,  1006, 576,  552,  544,  512,  508,  296,  68,   0};

int nprobes = 3, max_ttl = 0, first_ttl = 1, waittime = 5, pausemsecs = 0;
int port = 32768 + 666;
bool useicmp = false, nflag = false, ttl_flag = false, doipcksum = true, debug = false,
     dontroute = false;
int verbose = 0;
int tos = 0;
bool settos = false;
uint16_t ip_off = 0;
uint16_t ident = 0;
int packlen = 0, minpacket = 0;
const int* mtuptr = kMtus;
int icmp_sock = -1, snd_sock = -1;
uint32_t to_addr = 0, from_addr = 0;  // network order
std::string hostname, source;
std::vector<uint8_t> outpacket;
uint8_t packet[512];  // the last ICMP packet received
bool printed_ttl = false;
int pmtu = 0;

[[noreturn]] void Usage() {
  std::fprintf(stderr, "Version 1.4a12\n");
  std::fprintf(stderr,
               "Usage: %s [-dFIlnrvx] [-f first_ttl] [-m max_ttl] [-p port]\n"
               "\t[-q nqueries] [-s src_addr] [-t tos] [-w waittime] [-z pausemsecs]\n"
               "\thost [packetlen]\n",
               tools::ProgName());
  std::exit(1);
}

// A number with optional bounds (-1: none), decimal or 0x hex, with
// NetBSD's messages.
int Str2Val(const char* str, const char* what, int mi, int ma) {
  errno = 0;
  char* ep = nullptr;
  long val;
  if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
    val = std::strtol(str + 2, &ep, 16);
  } else {
    val = std::strtol(str, &ep, 10);
  }
  if (errno != 0 || str[0] == '\0' || *ep != '\0') {
    tools::Errx(1, std::string("\"") + str + "\" bad value for " + what);
  }
  if (val < mi && mi >= 0) {
    if (mi == 0) tools::Errx(1, std::string(what) + " must be >= " + std::to_string(mi));
    tools::Errx(1, std::string(what) + " must be > " + std::to_string(mi - 1));
  }
  if (val > ma && ma >= 0) tools::Errx(1, std::string(what) + " must be <= " + std::to_string(ma));
  return int(val);
}

std::string Ntoa(uint32_t net) {
  char buf[INET_ADDRSTRLEN];
  in_addr a;
  a.s_addr = net;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

uint32_t HostAddr(const std::string& name) {
  in_addr a;
  if (inet_aton(name.c_str(), &a) == 0) tools::Errx(1, "unknown host " + name);
  return a.s_addr;
}

std::vector<uint8_t> SockaddrIn(uint32_t net, uint16_t port_host) {
  std::vector<uint8_t> sa(abi::kSockaddrInSize, 0);
  sa[abi::kSinLenOff] = uint8_t(abi::kSockaddrInSize);
  sa[abi::kSinFamilyOff] = uint8_t(abi::kAF_INET);
  const uint16_t p = htons(port_host);
  std::memcpy(sa.data() + abi::kSinPortOff, &p, 2);
  std::memcpy(sa.data() + abi::kSinAddrOff, &net, 4);
  return sa;
}

// The one's complement sum of `len` bytes, folded, not inverted.
uint32_t Sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (len & 1) sum += uint32_t(p[len - 1]) << 8;
  while (sum >> 16) sum = (sum >> 16) + (sum & 0xffff);
  return sum;
}
void PutCksum(uint8_t* at, uint32_t sum) {
  uint16_t c = uint16_t(~sum);
  if (c == 0) c = 0xffff;
  at[0] = uint8_t(c >> 8);
  at[1] = uint8_t(c);
}

double DeltaMs(const timeval& a, const timeval& b) {
  return double(b.tv_sec - a.tv_sec) * 1000.0 + double(b.tv_usec - a.tv_usec) / 1000.0;
}

// The address the kernel would send from to reach `to_addr`: a connected
// UDP socket's name.
uint32_t FindLocalIp() {
  const int s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
  if (s < 0) return 0;
  const std::vector<uint8_t> to = SockaddrIn(to_addr, uint16_t(port));
  uint32_t a = 0;
  if (rump_sys_connect(s, reinterpret_cast<const sockaddr*>(to.data()), unsigned(to.size())) == 0) {
    std::vector<uint8_t> me(abi::kSockaddrStorageSize, 0);
    unsigned len = unsigned(me.size());
    if (rump_sys_getsockname(s, reinterpret_cast<sockaddr*>(me.data()), &len) == 0) {
      std::memcpy(&a, me.data() + abi::kSinAddrOff, 4);
    }
  }
  rump_sys_close(s);
  return a;
}

// Lays out the probe for the current packlen (header fields that do not
// change from probe to probe).
void BuildPacket() {
  outpacket.assign(size_t(packlen), 0);
  uint8_t* ip = outpacket.data();
  ip[0] = 0x45;
  if (settos) ip[1] = uint8_t(tos);
  // IP_HDRINCL: ip_len and ip_off in host order (raw_ip.c).
  const uint16_t len = uint16_t(packlen);
  std::memcpy(ip + 2, &len, 2);
  std::memcpy(ip + 6, &ip_off, 2);
  ip[9] = uint8_t(useicmp ? abi::kIPPROTO_ICMP : abi::kIPPROTO_UDP);
  std::memcpy(ip + 12, &from_addr, 4);
  std::memcpy(ip + 16, &to_addr, 4);
  uint8_t* l4 = ip + kIpHdr;
  if (useicmp) {
    l4[0] = uint8_t(abi::kICMP_ECHO);
    l4[4] = uint8_t(ident >> 8);
    l4[5] = uint8_t(ident);
  } else {
    l4[0] = uint8_t(ident >> 8);
    l4[1] = uint8_t(ident);
    const uint16_t ulen = uint16_t(packlen - kIpHdr);
    l4[4] = uint8_t(ulen >> 8);
    l4[5] = uint8_t(ulen);
  }
}

void SendProbe(int seq, int ttl, const timeval& t1) {
  const int oldmtu = packlen;
  while (true) {
    uint8_t* ip = outpacket.data();
    ip[8] = uint8_t(ttl);
    const uint16_t id = uint16_t(ident + seq);
    ip[4] = uint8_t(id >> 8);
    ip[5] = uint8_t(id);
    ip[10] = ip[11] = 0;
    if (doipcksum) {
      // The kernel computes it again; it is here for the UDP checksum's
      // sake, as NetBSD's does it.
      uint8_t wire[kIpHdr];
      std::memcpy(wire, ip, kIpHdr);
      wire[2] = uint8_t(packlen >> 8);
      wire[3] = uint8_t(packlen);
      wire[6] = uint8_t(ip_off >> 8);
      wire[7] = uint8_t(ip_off);
      PutCksum(ip + 10, Sum(wire, kIpHdr));
    }
    uint8_t* l4 = ip + kIpHdr;
    uint8_t* out = l4 + 8;
    out[0] = uint8_t(seq);
    out[1] = uint8_t(ttl);
    const uint32_t sec = htonl(uint32_t(t1.tv_sec)), usec = htonl(uint32_t(t1.tv_usec));
    std::memcpy(out + 4, &sec, 4);
    std::memcpy(out + 8, &usec, 4);
    const size_t l4len = size_t(packlen - kIpHdr);
    if (useicmp) {
      l4[6] = uint8_t(seq >> 8);
      l4[7] = uint8_t(seq);
      l4[2] = l4[3] = 0;
      PutCksum(l4 + 2, Sum(l4, l4len));
    } else {
      const uint16_t dport = uint16_t(port + seq);
      l4[2] = uint8_t(dport >> 8);
      l4[3] = uint8_t(dport);
      l4[6] = l4[7] = 0;
      if (doipcksum) {
        uint8_t pseudo[12];
        std::memcpy(pseudo, ip + 12, 8);
        pseudo[8] = 0;
        pseudo[9] = uint8_t(abi::kIPPROTO_UDP);
        pseudo[10] = uint8_t(l4len >> 8);
        pseudo[11] = uint8_t(l4len);
        PutCksum(l4 + 6, Sum(l4, l4len, Sum(pseudo, sizeof(pseudo))));
      }
    }
    if (verbose > 1) {
      std::printf("[ %d bytes", packlen);
      int i = 0;
      for (int k = 0; k + 1 < packlen; k += 2, ++i) {
        if (i % 8 == 0) std::printf("\n\t");
        std::printf(" %04x", unsigned(outpacket[size_t(k)]) << 8 | outpacket[size_t(k) + 1]);
      }
      if (packlen & 1) {
        if (i % 8 == 0) std::printf("\n\t");
        std::printf(" %02x", outpacket[size_t(packlen) - 1]);
      }
      std::printf("]\n");
    }
    const std::vector<uint8_t> to = SockaddrIn(to_addr, 0);
    const ssize_t cc = rump_sys_sendto(snd_sock, outpacket.data(), size_t(packlen), 0,
                                       reinterpret_cast<const sockaddr*>(to.data()),
                                       unsigned(to.size()));
    if (cc < 0 || cc != packlen) {
      if (cc < 0) {
        // Too big for the interface with DF set: try the next smaller MTU.
        if (errno == abi::kEMSGSIZE && *mtuptr != 0) {
          packlen = *mtuptr++;
          if (packlen < minpacket) packlen = minpacket;
          BuildPacket();
          continue;
        }
        tools::Warn(errno, "sendto");
      }
      std::printf("%s: wrote %s %d chars, ret=%d\n", tools::ProgName(), hostname.c_str(), packlen,
                  int(cc));
      std::fflush(stdout);
    }
    break;
  }
  if (oldmtu != packlen) {
    std::printf("message too big, trying new MTU = %d\n", packlen);
    printed_ttl = false;
  }
  if (!printed_ttl) {
    std::printf("%2d ", ttl);
    printed_ttl = true;
  }
}

// Waits until `t1 + waittime` for an ICMP packet; its length, 0 when none
// came, -1 when reading it failed.
ssize_t WaitForReply(const timeval& t1, uint32_t* from) {
  timeval now;
  gettimeofday(&now, nullptr);
  long long ms = (long long)(t1.tv_sec + waittime - now.tv_sec) * 1000 +
                 (t1.tv_usec - now.tv_usec) / 1000;
  if (ms < 0) ms = 0;
  struct pollfd pfd;
  pfd.fd = icmp_sock;
  pfd.events = abi::kPOLLIN;
  pfd.revents = 0;
  const int r = rump_sys_poll(&pfd, 1, int(ms));
  if (r < 0) tools::Err(1, errno, "poll");
  if (r == 0) return 0;
  std::vector<uint8_t> sa(abi::kSockaddrStorageSize, 0);
  unsigned salen = unsigned(sa.size());
  const ssize_t cc = rump_sys_recvfrom(icmp_sock, packet, sizeof(packet), 0,
                                       reinterpret_cast<sockaddr*>(sa.data()), &salen);
  if (cc < 0) return -1;
  std::memcpy(from, sa.data() + abi::kSinAddrOff, 4);
  return cc;
}

const char* PrType(unsigned t) {
  static const char* const kTypes[] = {
      "Echo Reply",    "ICMP 1",    "ICMP 2",          "Dest Unreachable", "Source Quench",
      "Redirect",      "ICMP 6",    "ICMP 7",          "Echo",             "ICMP 9",
      "ICMP 10",       "Time Exceeded", "Param Problem", "Timestamp",      "Timestamp Reply",
      "Info Request",  "Info Reply"};
  return t > 16 ? "OUT-OF-RANGE" : kTypes[t];
}

// Whether the packet answers probe `seq`: -2 the destination's echo reply,
// -1 time exceeded in transit, code + 1 an unreachable, 0 not ours.
int PacketOk(ssize_t cc, uint32_t from, int seq) {
  const int hlen = (packet[0] & 0x0f) << 2;
  if (cc < hlen + int(abi::kICMP_MINLEN)) {
    if (verbose) std::printf("packet too short (%zd bytes) from %s\n", cc, Ntoa(from).c_str());
    return 0;
  }
  const uint8_t* icp = packet + hlen;
  const int icmplen = int(cc) - hlen;
  const unsigned type = icp[0], code = icp[1];
  pmtu = code == abi::kICMP_UNREACH_NEEDFRAG ? (icp[6] << 8 | icp[7]) : 0;
  if ((type == abi::kICMP_TIMXCEED && code == abi::kICMP_TIMXCEED_INTRANS) ||
      type == abi::kICMP_UNREACH || type == abi::kICMP_ECHOREPLY) {
    const uint8_t* hip = icp + 8;  // the quoted header
    const int room = icmplen - 8;
    const int ihl = room > 0 ? (hip[0] & 0x0f) << 2 : 0;
    const int answer = type == abi::kICMP_TIMXCEED ? -1 : int(code) + 1;
    if (useicmp) {
      if (type == abi::kICMP_ECHOREPLY && (icp[4] << 8 | icp[5]) == ident &&
          (icp[6] << 8 | icp[7]) == (seq & 0xffff)) {
        return -2;
      }
      if (type != abi::kICMP_ECHOREPLY && room >= 20 && ihl + 8 <= room &&
          hip[9] == abi::kIPPROTO_ICMP && (hip[ihl + 4] << 8 | hip[ihl + 5]) == ident &&
          (hip[ihl + 6] << 8 | hip[ihl + 7]) == (seq & 0xffff)) {
        return answer;
      }
    } else if (type != abi::kICMP_ECHOREPLY && room >= 20 && ihl + 4 <= room &&
               hip[9] == abi::kIPPROTO_UDP && (hip[ihl] << 8 | hip[ihl + 1]) == ident &&
               (hip[ihl + 2] << 8 | hip[ihl + 3]) == ((port + seq) & 0xffff)) {
      return answer;
    }
  }
  if (verbose) {
    uint32_t dst;
    std::memcpy(&dst, packet + 16, 4);
    std::printf("\n%zd bytes from %s to ", ssize_t(icmplen), Ntoa(from).c_str());
    std::printf("%s: icmp type %u (%s) code %u\n", Ntoa(dst).c_str(), type, PrType(type), code);
    for (int i = 4; i < icmplen; i += 4) {
      uint32_t w = 0;
      std::memcpy(&w, icp + 8 + (i - 4), size_t(std::min(4, icmplen - i)));
      std::printf("%2d: x%8.8x\n", i, w);
    }
  }
  return 0;
}

void Print(ssize_t cc, uint32_t from) {
  const int hlen = (packet[0] & 0x0f) << 2;
  const std::string addr = Ntoa(from);
  if (nflag) {
    std::printf(" %s", addr.c_str());
  } else {
    // No name service in a rump kernel: the name is the address.
    std::printf(" %s (%s)", addr.c_str(), addr.c_str());
  }
  if (verbose) {
    uint32_t dst;
    std::memcpy(&dst, packet + 16, 4);
    std::printf(" %d bytes to %s", int(cc) - hlen, Ntoa(dst).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  bool max_ttl_set = false;
  opterr = 0;  // NetBSD's traceroute prints only its usage
  int op;
  while ((op = getopt(argc, argv, "+dFIlnrvxf:m:p:q:s:t:w:z:")) != -1) {
    switch (op) {
      case 'd':
        debug = true;
        break;
      case 'f':
        first_ttl = Str2Val(optarg, "first ttl", 1, 255);
        break;
      case 'F':
        ip_off = 0x4000;  // IP_DF
        break;
      case 'I':
        useicmp = true;
        break;
      case 'l':
        ttl_flag = true;
        break;
      case 'm':
        max_ttl = Str2Val(optarg, "max ttl", 1, 255);
        max_ttl_set = true;
        break;
      case 'n':
        nflag = true;
        break;
      case 'p':
        port = Str2Val(optarg, "port", 1, (1 << 16) - 1);
        break;
      case 'q':
        nprobes = Str2Val(optarg, "nprobes", 1, -1);
        break;
      case 'r':
        dontroute = true;
        break;
      case 's':
        source = optarg;
        break;
      case 't':
        tos = Str2Val(optarg, "tos", 0, 255);
        settos = true;
        break;
      case 'v':
        ++verbose;
        break;
      case 'x':
        doipcksum = !doipcksum;
        break;
      case 'w':
        waittime = Str2Val(optarg, "wait time", 2, 24 * 60 * 60);
        break;
      case 'z':
        pausemsecs = Str2Val(optarg, "pause msecs", 0, 60 * 60 * 1000);
        break;
      default:
        Usage();
    }
  }
  if (max_ttl_set && first_ttl > max_ttl) {
    tools::Errx(1, "first ttl (" + std::to_string(first_ttl) + ") may not be greater than max ttl (" +
                       std::to_string(max_ttl) + ")");
  }
  minpacket = kIpHdr + kOutData + 8;  // and a UDP or ICMP header
  packlen = minpacket;
  switch (argc - optind) {
    case 2:
      packlen = Str2Val(argv[optind + 1], "packet length", minpacket, kMaxPacket);
      [[fallthrough]];
    case 1:
      hostname = argv[optind];
      to_addr = HostAddr(hostname);
      break;
    default:
      Usage();
  }
  if (!source.empty()) from_addr = HostAddr(source);
  if (!doipcksum) tools::Warnx("ip checksums disabled");
  setvbuf(stdout, nullptr, _IOLBF, 0);

  tools::InitClient("init failed");
  icmp_sock = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_ICMP);
  if (icmp_sock < 0) tools::Err(1, errno, "icmp socket");
  snd_sock = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_RAW);
  if (snd_sock < 0) tools::Err(1, errno, "raw socket");
  if (!max_ttl_set) {
    // The kernel's default TTL, as NetBSD's reads net.inet.ip.ttl.
    int ttl = 0;
    size_t len = sizeof(ttl);
    const std::vector<int> mib = {4 /* CTL_NET */, rump::abi::kAF_INET, rump::abi::kIPPROTO_IP,
                                  3 /* IPCTL_DEFTTL */};
    max_ttl = tools::Sysctl(mib, &ttl, &len, nullptr, 0) == 0 && ttl > 0 ? ttl : 30;
    if (first_ttl > max_ttl) {
      tools::Errx(1, "first ttl (" + std::to_string(first_ttl) +
                         ") may not be greater than max ttl (" + std::to_string(max_ttl) + ")");
    }
  }
  int on = 1;
  if (debug) {
    (void)rump_sys_setsockopt(icmp_sock, RUMP_SOL_SOCKET, RUMP_SO_DEBUG, &on, sizeof(on));
  }
  if (rump_sys_setsockopt(snd_sock, RUMP_SOL_SOCKET, RUMP_SO_SNDBUF, &packlen, sizeof(packlen)) <
      0) {
    tools::Err(1, errno, "SO_SNDBUF");
  }
  if (rump_sys_setsockopt(snd_sock, RUMP_IPPROTO_IP, RUMP_IP_HDRINCL, &on, sizeof(on)) < 0) {
    tools::Err(1, errno, "IP_HDRINCL");
  }
  if (debug &&
      rump_sys_setsockopt(snd_sock, RUMP_SOL_SOCKET, RUMP_SO_DEBUG, &on, sizeof(on)) < 0) {
    tools::Err(1, errno, "setsockopt debug " + std::to_string(tos));
  }
  if (dontroute &&
      rump_sys_setsockopt(snd_sock, RUMP_SOL_SOCKET, RUMP_SO_DONTROUTE, &on, sizeof(on)) < 0) {
    tools::Err(1, errno, "setsockopt dontroute " + std::to_string(tos));
  }
  if (source.empty()) from_addr = FindLocalIp();

  std::random_device rd;
  ident = uint16_t((rd() & 0xffff) | 0x8000);
  BuildPacket();

  std::fflush(stdout);
  std::fprintf(stderr, "%s to %s (%s)", tools::ProgName(), hostname.c_str(), Ntoa(to_addr).c_str());
  if (!source.empty()) std::fprintf(stderr, " from %s", source.c_str());
  std::fprintf(stderr, ", %d hops max, %d byte packets\n", max_ttl, packlen);
  std::fflush(stderr);

  int seq = 0;
  for (int ttl = first_ttl; ttl <= max_ttl; ++ttl) {
    uint32_t lastaddr = 0;
    bool gotlastaddr = false;
    int got_there = 0, unreachable = 0;
    bool sentfirst = false;
    printed_ttl = false;
    for (int probe = 0; probe < nprobes; ++probe) {
      if (sentfirst && pausemsecs > 0) usleep(useconds_t(pausemsecs) * 1000);
      timeval t1;
      gettimeofday(&t1, nullptr);
      if (!useicmp && ((port + seq + 1) & 0xffff) == 0) ++seq;  // never port 0
      SendProbe(++seq, ttl, t1);
      sentfirst = true;
      ssize_t cc;
      uint32_t from = 0;
      while ((cc = WaitForReply(t1, &from)) != 0) {
        timeval t2;
        gettimeofday(&t2, nullptr);
        // Other ICMP traffic may keep arriving: the wait has a deadline.
        if (t2.tv_sec - t1.tv_sec > waittime) {
          cc = 0;
          break;
        }
        if (cc < 0) continue;
        const int i = PacketOk(cc, from, seq);
        if (i == 0) continue;
        if (!gotlastaddr || from != lastaddr) {
          if (gotlastaddr) std::printf("\n   ");
          Print(cc, from);
          lastaddr = from;
          gotlastaddr = true;
        }
        const int rttl = packet[8];
        std::printf("  %.3f ms", DeltaMs(t1, t2));
        if (ttl_flag) std::printf(" (ttl = %d)", rttl);
        if (i == -2) {
          if (rttl <= 1) std::printf(" !");
          ++got_there;
          break;
        }
        if (i == -1) break;  // time exceeded in transit
        const int code = i - 1;
        switch (code) {
          case rump::abi::kICMP_UNREACH_PORT:
            if (rttl <= 1) std::printf(" !");
            ++got_there;
            break;
          case rump::abi::kICMP_UNREACH_NET:
            ++unreachable;
            std::printf(" !N");
            break;
          case rump::abi::kICMP_UNREACH_HOST:
            ++unreachable;
            std::printf(" !H");
            break;
          case rump::abi::kICMP_UNREACH_PROTOCOL:
            ++got_there;
            std::printf(" !P");
            break;
          case rump::abi::kICMP_UNREACH_NEEDFRAG:
            ++unreachable;
            std::printf(" !F-%d", pmtu);
            break;
          case rump::abi::kICMP_UNREACH_SRCFAIL:
            ++unreachable;
            std::printf(" !S");
            break;
          case 13:  // ICMP_UNREACH_FILTER_PROHIB
            ++unreachable;
            std::printf(" !X");
            break;
          case 14:  // ICMP_UNREACH_HOST_PRECEDENCE
            ++unreachable;
            std::printf(" !V");
            break;
          case 15:  // ICMP_UNREACH_PRECEDENCE_CUTOFF
            ++unreachable;
            std::printf(" !C");
            break;
          default:
            ++unreachable;
            std::printf(" !<%d>", code);
            break;
        }
        break;
      }
      if (cc == 0) std::printf(" *");
      std::fflush(stdout);
    }
    std::putchar('\n');
    std::fflush(stdout);
    if (got_there || (unreachable > 0 && unreachable >= (nprobes + 1) / 2)) break;
  }
  return 0;
}
