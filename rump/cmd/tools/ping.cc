// rump.ping: NetBSD's ping(8) against the rump kernel named by RUMP_SERVER
// (sbin/ping's syntax, output and exit status, written anew): ICMP echo
// requests through a raw socket with IP_HDRINCL, replies read with poll and
// recvfrom.
//
//   rump.ping [-Dnqv] [-c count] [-i wait] [-s packetsize] [-T ttl]
//             [-w maxwait] [-W waittime] host
//
//   -c  stop after sending (and receiving) count packets
//   -D  set the Don't Fragment bit (a router whose next hop is too small
//       answers "frag needed and DF set.  Next MTU=N")
//   -i  seconds between packets (default 1)
//   -n  numeric output only
//   -q  quiet: only the first line and the statistics
//   -s  data bytes per packet (default 56; 8 of them carry the send time)
//   -T  the packets' TTL (default 255)
//   -v  verbose: also ICMP errors not about our packets
//   -w  give up after maxwait seconds in all
//   -W  after the last packet, wait this many seconds for its reply
//       (default: the larger of twice the longest round trip and ten
//       intervals, as NetBSD's)
//
// Output: "PING host (a.b.c.d): N data bytes", one "N bytes from a.b.c.d:
// icmp_seq=S ttl=T time=X.XXX ms" per reply, then "----host PING
// Statistics----", "S packets transmitted, R packets received, L% packet
// loss" and "round-trip min/avg/max/stddev = ... ms". Exit 0 if any reply
// arrived, 2 if none, 1 on errors (bad arguments print usage).
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
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

// The ICMP echo header: type, code, checksum, id, sequence (ICMP_MINLEN).
constexpr size_t kIcmpHdr = abi::kICMP_MINLEN;
constexpr int kMaxPacket = int(abi::kIP_MAXPACKET - abi::kIpMaxHeaderLen - kIcmpHdr);
constexpr int kPhdrLen = 8;  // the send time: two big-endian int32 (sec, usec)

bool nflag = false, qflag = false, verbose = false;
int npackets = INT_MAX;
int ntransmitted = 0, nreceived = 0, nrepeats = 0;
double interval = 1.0, maxwait = 0.0, waittime = -1.0;
double tmin = 999999999.0, tmax = 0.0, tsum = 0.0, tsumsq = 0.0;
int datalen = 64 - kPhdrLen;
int ttl = abi::kMAXTTL;
bool dont_fragment = false;  // -D
uint16_t ident = 0;
int sock = -1;
std::string hostname;
uint32_t dst_addr = 0;  // network order
std::vector<uint8_t> out_pack;  // IP header + ICMP
std::vector<uint8_t> received_seq(65536 / 8, 0);
bool lastrcvd = true;
volatile sig_atomic_t interrupted = 0;
timespec last_tx{}, next_tx{};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: \n%s [-Dnqv] [-c count] [-i wait] [-s packetsize] [-T ttl]\n"
               "    [-w maxwait] [-W waittime] host\n",
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

uint16_t Cksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += uint32_t(p[i]) << 8 | p[i + 1];
  if (len & 1) sum += uint32_t(p[len - 1]) << 8;
  while (sum >> 16) sum = (sum >> 16) + (sum & 0xffff);
  return htons(uint16_t(~sum));
}

std::string Ntoa(uint32_t net) {
  char buf[INET_ADDRSTRLEN];
  in_addr a;
  a.s_addr = net;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// A NetBSD struct sockaddr_in.
std::vector<uint8_t> NetbsdSockaddrIn(uint32_t net) {
  std::vector<uint8_t> sa(abi::kSockaddrInSize, 0);
  sa[abi::kSinLenOff] = uint8_t(abi::kSockaddrInSize);
  sa[abi::kSinFamilyOff] = uint8_t(abi::kAF_INET);
  std::memcpy(sa.data() + abi::kSinAddrOff, &net, 4);
  return sa;
}

void Summary() {
  std::printf("\n----%s PING Statistics----\n", hostname.c_str());
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
  if (nreceived && datalen >= kPhdrLen) {
    const double n = nreceived + nrepeats;
    const double avg = tsum / n;
    double variance = 0.0;
    if (n > 1) variance = (tsumsq - n * avg * avg) / (n - 1);
    if (variance < 0) variance = 0;
    std::printf("round-trip min/avg/max/stddev = %.3f/%.3f/%.3f/%.3f ms\n", tmin * 1000.0,
                avg * 1000.0, tmax * 1000.0, std::sqrt(variance) * 1000.0);
  }
  std::fflush(stdout);
}

[[noreturn]] void Finish() {
  Summary();
  std::exit(nreceived > 0 ? 0 : 2);
}

void Pinger(const timespec& now) {
  uint8_t* ip = out_pack.data();
  uint8_t* icmp = ip + abi::kIpHeaderLen;
  const size_t icmplen = size_t(std::max<int>(datalen, int(abi::kICMP_MINLEN))) + kIcmpHdr;
  icmp[0] = uint8_t(abi::kICMP_ECHO);
  icmp[1] = 0;
  icmp[2] = icmp[3] = 0;
  const uint16_t id = htons(ident), seq = htons(uint16_t(ntransmitted));
  std::memcpy(icmp + 4, &id, 2);
  std::memcpy(icmp + 6, &seq, 2);
  if (datalen >= kPhdrLen) {
    const uint32_t sec = htonl(uint32_t(now.tv_sec)), usec = htonl(uint32_t(now.tv_nsec / 1000));
    std::memcpy(icmp + kIcmpHdr, &sec, 4);
    std::memcpy(icmp + kIcmpHdr + 4, &usec, 4);
  }
  const uint16_t ck = Cksum(icmp, icmplen);
  std::memcpy(icmp + 2, &ck, 2);
  const size_t cc = abi::kIpHeaderLen + icmplen;
  // IP_HDRINCL: ip_len and ip_off in host order (raw_ip.c).
  const uint16_t len = uint16_t(cc);
  std::memcpy(ip + 2, &len, 2);
  const std::vector<uint8_t> to = NetbsdSockaddrIn(dst_addr);
  const ssize_t i = rump_sys_sendto(sock, ip, cc, 0, reinterpret_cast<const sockaddr*>(to.data()),
                                    unsigned(to.size()));
  if (i != ssize_t(cc)) {
    if (i < 0) {
      tools::Warn(errno, "sendto");
    } else {
      tools::Warnx("wrote " + hostname + " " + std::to_string(cc) + " chars, ret=" +
                   std::to_string(i));
    }
  }
  lastrcvd = false;
  received_seq[(ntransmitted & 0xffff) / 8] &= uint8_t(~(1 << (ntransmitted & 7)));
  ++ntransmitted;
  last_tx = now;
  if (next_tx.tv_sec == 0) next_tx = now;
  // Keep the sending times regular; skip ahead when far behind.
  const double late = Diff(next_tx, now);
  auto add = [](timespec& t, double sec) {
    const long long ns = t.tv_nsec + (long long)(sec * 1e9);
    t.tv_sec += ns / 1000000000;
    t.tv_nsec = ns % 1000000000;
  };
  if (late < -1.0) {
    next_tx = now;
    add(next_tx, interval);
  } else {
    do {
      add(next_tx, interval);
    } while (Diff(next_tx, now) < -0.1);
  }
}

const char* UnreachText(int code) {
  switch (code) {
    case 0: return "Destination Net Unreachable";
    case 1: return "Destination Host Unreachable";
    case 2: return "Destination Protocol Unreachable";
    case 3: return "Destination Port Unreachable";
    case 4: return "frag needed and DF set";  // "." and the MTU follow when known
    case 5: return "Source Route Failed";
    default: return "Bad Destination Unreachable Code";
  }
}

void PrPack(const uint8_t* buf, int tot_len, uint32_t from) {
  if (tot_len < 1) return;
  const int hlen = (buf[0] & 0x0f) << 2;
  if (tot_len < hlen + int(abi::kICMP_MINLEN)) {
    if (verbose) std::printf("packet too short (%d bytes) from %s\n", tot_len, Ntoa(from).c_str());
    return;
  }
  const int net_len = tot_len - hlen;
  const uint8_t* icp = buf + hlen;
  uint16_t id, seqn;
  std::memcpy(&id, icp + 4, 2);
  std::memcpy(&seqn, icp + 6, 2);
  const int seq = ntohs(seqn);
  if (icp[0] == abi::kICMP_ECHOREPLY && ntohs(id) == ident) {
    const timespec now = Now();
    if (seq == ((ntransmitted - 1) & 0xffff)) lastrcvd = true;
    ++nreceived;
    double triptime = 0.0;
    if (datalen >= kPhdrLen && net_len >= 16) {
      uint32_t sec, usec;
      std::memcpy(&sec, icp + kIcmpHdr, 4);
      std::memcpy(&usec, icp + kIcmpHdr + 4, 4);
      timespec tv;
      tv.tv_sec = time_t(ntohl(sec));
      tv.tv_nsec = long(ntohl(usec)) * 1000;
      // The seconds went out as 32 bits; put back the high ones.
      tv.tv_sec |= now.tv_sec & ~time_t(0xffffffff);
      triptime = Diff(now, tv);
      if (triptime < 0) triptime = 0;
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
    if (qflag) return;
    std::printf("%d bytes from %s: icmp_seq=%u", net_len, Ntoa(from).c_str(), unsigned(seq));
    if (dup) std::printf(" DUP!");
    std::printf(" ttl=%d", buf[8]);
    if (datalen >= kPhdrLen) std::printf(" time=%.3f ms", triptime * 1000.0);
    // The data must come back as it went out.
    const uint8_t* sent = out_pack.data() + abi::kIpHeaderLen + kIcmpHdr;
    if (net_len >= int(kIcmpHdr) + datalen) {
      for (int i = kPhdrLen; i < datalen; ++i) {
        if (icp[kIcmpHdr + size_t(i)] != sent[i]) {
          std::printf("\nwrong data byte #%d should have been %#x but was %#x", i - kPhdrLen,
                      sent[i], icp[kIcmpHdr + size_t(i)]);
          break;
        }
      }
    }
    std::printf("\n");
    std::fflush(stdout);
    return;
  }
  // ICMP errors about our packets (the offending header follows).
  if (icp[0] == abi::kICMP_UNREACH || icp[0] == abi::kICMP_TIMXCEED ||
      icp[0] == abi::kICMP_SOURCEQUENCH || icp[0] == abi::kICMP_PARAMPROB) {
    const uint8_t* inner = icp + kIcmpHdr;  // the offending IP header
    const int room = net_len - int(kIcmpHdr);
    if (room < 20) return;
    const int ihl = (inner[0] & 0x0f) << 2;
    bool ours = false;
    int oseq = -1;
    if (inner[9] == abi::kIPPROTO_ICMP && ihl + int(kIcmpHdr) <= room) {
      uint16_t iid, iseq;
      std::memcpy(&iid, inner + ihl + 4, 2);
      std::memcpy(&iseq, inner + ihl + 6, 2);
      ours = ntohs(iid) == ident;
      oseq = ntohs(iseq);
    }
    if (!ours && !verbose) return;
    if (qflag) return;
    std::printf("%d bytes from %s: ", net_len, Ntoa(from).c_str());
    if (icp[0] == abi::kICMP_UNREACH) {
      std::printf("%s", UnreachText(icp[1]));
      const int next_mtu = (icp[6] << 8) | icp[7];
      if (icp[1] == abi::kICMP_UNREACH_NEEDFRAG && next_mtu != 0) {
        std::printf(".  Next MTU=%d", next_mtu);
      }
    } else if (icp[0] == abi::kICMP_TIMXCEED) {
      std::printf(icp[1] == 0 ? "Time To Live exceeded" : "Frag reassembly time exceeded");
    } else if (icp[0] == abi::kICMP_SOURCEQUENCH) {
      std::printf("Source Quench");
    } else {
      std::printf("Parameter problem: pointer = 0x%02x", icp[4]);
    }
    if (oseq >= 0) std::printf(" for icmp_seq=%d", oseq);
    std::printf("\n");
    std::fflush(stdout);
  }
}

void OnSigint(int) { interrupted = 1; }

[[noreturn]] void Run() {
  const timespec start = Now();
  const double last = maxwait != 0 ? maxwait : 0.0;
  std::vector<uint8_t> packet(size_t(datalen) + 60 + 76 + 64);
  while (true) {
    if (interrupted) Finish();
    const timespec now = Now();
    double d_last = last != 0 ? last - Diff(now, start) : 365.0 * 24 * 3600;
    double sec;
    if (ntransmitted < npackets && d_last > 0) {
      sec = next_tx.tv_sec == 0 ? -1.0 : Diff(next_tx, now);
      if (sec <= 0.0001) {
        Pinger(now);
        sec = Diff(next_tx, now);
      }
      if (sec < 0) sec = 0;
      if (d_last < sec) sec = d_last;
    } else {
      const double wait = waittime >= 0 ? waittime : std::max(2 * tmax, 10 * interval);
      sec = wait - Diff(now, last_tx);
      if (d_last < sec) sec = d_last;
      if (sec <= 0) break;
    }
    struct pollfd pfd;
    pfd.fd = sock;
    pfd.events = abi::kPOLLIN;
    pfd.revents = 0;
    const int cc = rump_sys_poll(&pfd, 1, int(sec * 1000));
    if (cc < 0) {
      if (errno == abi::kEINTR) continue;
      tools::Err(1, errno, "poll");
    }
    if (cc == 0) continue;
    std::vector<uint8_t> from(abi::kSockaddrStorageSize, 0);
    unsigned fromlen = unsigned(from.size());
    const ssize_t n = rump_sys_recvfrom(sock, packet.data(), packet.size(), 0,
                                        reinterpret_cast<sockaddr*>(from.data()), &fromlen);
    if (n < 0) {
      if (errno != abi::kEINTR) tools::Warn(errno, "recvfrom");
      continue;
    }
    uint32_t src = 0;
    std::memcpy(&src, from.data() + abi::kSinAddrOff, 4);
    PrPack(packet.data(), int(n), src);
    if (nreceived >= npackets) break;
  }
  Finish();
}

double ParseSeconds(const char* arg, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(arg, &end);
  if (*end != '\0' || !(v > 0) || !std::isfinite(v)) {
    tools::Errx(1, std::string("Bad/invalid ") + what + ": " + arg);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  int ch;
  long l;
  char* p;
  while ((ch = tools::GetOpt(argc, argv, "c:Di:nqs:T:vw:W:")) != -1) {
    switch (ch) {
      case 'c':
        l = std::strtol(optarg, &p, 0);
        if (*p != '\0' || l <= 0) tools::Errx(1, std::string("Bad/invalid number of packets: ") + optarg);
        if (l > INT_MAX) tools::Errx(1, "Too many packets to count: " + std::to_string(l));
        npackets = int(l);
        break;
      case 'i':
        interval = ParseSeconds(optarg, "interval");
        if (interval >= INT_MAX / 1000.0 - 1.0) {
          tools::Errx(1, std::string("Timing interval ") + optarg + " too large");
        }
        break;
      case 'D':
        dont_fragment = true;
        break;
      case 'n':
        nflag = true;
        break;
      case 'q':
        qflag = true;
        break;
      case 's':
        l = std::strtol(optarg, &p, 0);
        if (*p != '\0' || l < 0) tools::Errx(1, std::string("Bad/invalid packet size: ") + optarg);
        if (l > kMaxPacket) tools::Errx(1, "packet size is too large");
        datalen = int(l);
        break;
      case 'T':
        l = std::strtol(optarg, &p, 0);
        if (*p != '\0' || l > 255 || l <= 0) tools::Errx(1, std::string("ttl out of range: ") + optarg);
        ttl = int(l);
        break;
      case 'v':
        verbose = true;
        break;
      case 'w':
        maxwait = ParseSeconds(optarg, "maxwait time");
        break;
      case 'W':
        waittime = ParseSeconds(optarg, "waittime");
        break;
      default:
        Usage();
    }
  }
  if (optind != argc - 1) Usage();
  const char* host = argv[optind];
  in_addr a;
  if (inet_aton(host, &a) != 0) {
    dst_addr = a.s_addr;
    hostname = host;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* res = nullptr;
    if (getaddrinfo(host, nullptr, &hints, &res) != 0 || res == nullptr) {
      tools::Errx(1, std::string("Cannot resolve \"") + host + "\" (Unknown host)");
    }
    dst_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr.s_addr;
    hostname = res->ai_canonname ? res->ai_canonname : host;
    freeaddrinfo(res);
  }

  tools::InitClient("init failed");
  if (interval < 1.0 && rump_sys_getuid() != 0) {
    tools::Errx(1, "Must be superuser to use < 1 sec ping interval");
  }
  sock = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_ICMP);
  if (sock < 0) tools::Err(1, errno, "Cannot create socket");
  int on = 1;
  if (rump_sys_setsockopt(sock, RUMP_IPPROTO_IP, RUMP_IP_HDRINCL, &on, sizeof(on)) < 0) {
    tools::Err(1, errno, "Can't set special IP header");
  }

  // The packet: IP header (ours, IP_HDRINCL) then the echo request.
  out_pack.assign(rump::abi::kIpHeaderLen + kIcmpHdr + size_t(std::max<int>(datalen, int(rump::abi::kICMP_MINLEN))),
                  0);
  uint8_t* ip = out_pack.data();
  ip[0] = uint8_t(0x40 | (rump::abi::kIpHeaderLen >> 2));  // version 4, header words
  ip[8] = uint8_t(ttl);
  ip[9] = uint8_t(rump::abi::kIPPROTO_ICMP);
  if (dont_fragment) {  // ip_off, in host order as ip_len (IP_HDRINCL)
    const uint16_t off = rump::abi::kIP_DF;
    std::memcpy(ip + 6, &off, 2);
  }
  std::memcpy(ip + 16, &dst_addr, 4);
  for (int i = kPhdrLen; i < datalen; ++i) out_pack[rump::abi::kIpHeaderLen + kIcmpHdr + size_t(i)] = uint8_t(i);
  ident = uint16_t(getpid() ^ (Now().tv_nsec >> 10));

  std::printf("PING %s (%s): %d data bytes\n", hostname.c_str(), Ntoa(dst_addr).c_str(), datalen);
  std::fflush(stdout);
  int bufspace = int(rump::abi::kIP_MAXPACKET);
  while (rump_sys_setsockopt(sock, RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &bufspace,
                             sizeof(bufspace)) < 0) {
    if ((bufspace -= 4096) <= 0) tools::Err(1, errno, "Cannot set the receive buffer size");
  }
  (void)rump_sys_setsockopt(sock, RUMP_SOL_SOCKET, RUMP_SO_SNDBUF, &bufspace, sizeof(bufspace));

  struct sigaction sa {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  Run();
}
