// rump.ndp: NetBSD's ndp(8) against the rump kernel named by RUMP_SERVER
// (its neighbour cache commands, output and exit status as in NetBSD 7,
// written anew). The cache is read with the route sysctl
// {CTL_NET, PF_ROUTE, 0, AF_INET6, NET_RT_FLAGS, RTF_LLINFO}, each
// entry's state and expiry with SIOCGNBRINFO_IN6; entries are deleted
// through a routing socket (RTM_GET, then RTM_DELETE), as NetBSD's ndp does.
//
//   rump.ndp [-n] hostname        the entry of one host (exit 1: no entry)
//   rump.ndp [-n] -a              every entry
//   rump.ndp [-n] -c              deletes every entry (the kernel's own
//                                 addresses' too, as NetBSD 7's ndp)
//   rump.ndp [-n] -d hostname     deletes one entry
//
// Output: the header "Neighbor  Linklayer Address  Netif Expire  S Flags",
// then per entry the address (link-local ones with "%interface"), the
// link-level address or "(incomplete)", the interface, the time left
// ("23h59m58s", "permanent", "expired"), the state letter (N no state,
// I incomplete, R reachable, S stale, D delay, P probe) and the flags (R a
// router, p published). Times are the kernel's clock. Hosts are numeric
// (names through the host's resolver); -n changes nothing, as addresses
// are never looked up.
#include <arpa/inet.h>
#include <netdb.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in6.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

constexpr int kAddrWidth = 36;
constexpr int kLlWidth = 17;
constexpr int kIfWidth = 6;

std::vector<tools::InterfaceIndex> interfaces;
int rtsock = -1;
int rtseq = 0;
int sock6 = -1;

[[noreturn]] void Usage() {
  const char* p = tools::ProgName();
  std::fprintf(stderr, "Usage: %s [-n] hostname\n", p);
  std::fprintf(stderr, "       %s [-n] -a | -c\n", p);
  std::fprintf(stderr, "       %s [-n] -d hostname\n", p);
  std::exit(1);
}

template <typename T>
T Load(const std::string& b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}
template <typename T>
void Store(std::string& b, size_t off, T v) {
  if (off + sizeof(T) <= b.size()) std::memcpy(&b[off], &v, sizeof(T));
}

bool IsLinkLocal(const uint8_t* a) {
  return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] == 0xff && (a[1] & 0x0f) == 0x02);
}

std::string IfName(int index) {
  for (const auto& i : interfaces) {
    if (i.index == index) return i.name;
  }
  return "?";
}

// The sockaddrs of a routing message by RTAX index (empty: absent).
std::vector<std::string> Sockaddrs(const std::string& m) {
  std::vector<std::string> out(abi::kRTAX_MAX);
  const int addrs = Load<int32_t>(m, abi::kRtmAddrsOff);
  size_t at = abi::kRtMsghdrSize;
  for (int i = 0; i < abi::kRTAX_MAX && at < m.size(); ++i) {
    if ((addrs & (1 << i)) == 0) continue;
    const size_t len = uint8_t(m[at]);
    out[size_t(i)] = m.substr(at, len);
    at += abi::RtRoundup(len);
  }
  return out;
}

// A neighbour's address: 16 bytes (zone not embedded) and its zone.
struct Neighbor {
  std::array<uint8_t, 16> addr{};
  uint32_t zone = 0;
};

std::string Text(const Neighbor& n) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, n.addr.data(), buf, sizeof(buf));
  std::string s = buf;
  if (n.zone != 0) s += "%" + IfName(int(n.zone));
  return s;
}

// The kernel's form of a sockaddr_in6 for a routing request: a link-local
// address carries its zone in bytes 2-3 (KAME's embedded form).
std::string KernelSockaddr(const Neighbor& n) {
  std::string sa(abi::kSockaddrIn6Size, '\0');
  sa[abi::kSin6LenOff] = char(abi::kSockaddrIn6Size);
  sa[abi::kSin6FamilyOff] = char(abi::kAF_INET6);
  std::memcpy(&sa[abi::kSin6AddrOff], n.addr.data(), 16);
  if (IsLinkLocal(n.addr.data()) && n.zone != 0) {
    sa[abi::kSin6AddrOff + 2] = char(n.zone >> 8);
    sa[abi::kSin6AddrOff + 3] = char(n.zone & 0xff);
  }
  return sa;
}

// A host argument: ADDR or ADDR%IF, or a name for the host's resolver.
std::optional<Neighbor> Resolve(const std::string& host) {
  Neighbor n;
  std::string a = host, zone;
  if (const size_t pct = a.find('%'); pct != std::string::npos) {
    zone = a.substr(pct + 1);
    a = a.substr(0, pct);
  }
  if (inet_pton(AF_INET6, a.c_str(), n.addr.data()) != 1) {
    addrinfo hints{};
    hints.ai_family = AF_INET6;
    addrinfo* res = nullptr;
    if (const int e = getaddrinfo(a.c_str(), nullptr, &hints, &res); e != 0 || res == nullptr) {
      tools::Warnx(host + ": " + (e != 0 ? gai_strerror(e) : "no address"));
      return std::nullopt;
    }
    std::memcpy(n.addr.data(), &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, 16);
    freeaddrinfo(res);
  }
  if (!zone.empty()) {
    for (const auto& i : interfaces) {
      if (i.name == zone) n.zone = uint32_t(i.index);
    }
    if (n.zone == 0) {
      tools::Warnx(host + ": no such interface " + zone);
      return std::nullopt;
    }
  }
  return n;
}

// Neighbour information from SIOCGNBRINFO_IN6; nullopt after a warning.
struct NbrInfo {
  int64_t asked = 0;
  int isrouter = 0, state = 0, expire = 0;
};
std::optional<NbrInfo> GetNbrInfo(const Neighbor& n) {
  if (sock6 < 0) {
    sock6 = rump_sys_socket(abi::kAF_INET6, abi::kSOCK_DGRAM, 0);
    if (sock6 < 0) tools::Err(1, errno, "socket");
  }
  std::string req(abi::kIn6NbrinfoSize, '\0');
  const std::string ifname = IfName(int(n.zone));
  std::memcpy(&req[abi::kNbiIfnameOff], ifname.data(), std::min<size_t>(ifname.size(), 15));
  const std::string sa = KernelSockaddr(n);
  std::memcpy(&req[abi::kNbiAddrOff], &sa[abi::kSin6AddrOff], 16);
  if (rump_sys_ioctl(sock6, static_cast<unsigned long>(abi::kSIOCGNBRINFO_IN6), &req[0]) < 0) {
    tools::Warn(errno, "ioctl(SIOCGNBRINFO_IN6)");
    return std::nullopt;
  }
  NbrInfo out;
  out.asked = Load<int64_t>(req, abi::kNbiAskedOff);
  out.isrouter = Load<int32_t>(req, abi::kNbiIsrouterOff);
  out.state = Load<int32_t>(req, abi::kNbiStateOff);
  out.expire = Load<int32_t>(req, abi::kNbiExpireOff);
  return out;
}

// "1d2h3m4s" without the leading zero units.
std::string SecText(long total) {
  const long days = total / 86400, hours = total / 3600 % 24, mins = total / 60 % 60,
             secs = total % 60;
  std::string s;
  bool first = true;
  if (days) {
    s += std::to_string(days) + "d";
    first = false;
  }
  if (!first || hours) {
    s += std::to_string(hours) + "h";
    first = false;
  }
  if (!first || mins) s += std::to_string(mins) + "m";
  s += std::to_string(secs) + "s";
  return s;
}

char StateLetter(int state) {
  switch (state) {
    case abi::kND6_LLINFO_NOSTATE: return 'N';
    case abi::kND6_LLINFO_INCOMPLETE: return 'I';
    case abi::kND6_LLINFO_REACHABLE: return 'R';
    case abi::kND6_LLINFO_STALE: return 'S';
    case abi::kND6_LLINFO_DELAY: return 'D';
    case abi::kND6_LLINFO_PROBE: return 'P';
    default: return '?';
  }
}

void GetRouteSocket() {
  if (rtsock >= 0) return;
  rtsock = rump_sys_socket(RUMP_PF_ROUTE, RUMP_SOCK_RAW, 0);
  if (rtsock < 0) tools::Err(1, errno, "socket");
}

// Sends a routing message and returns the kernel's answer (matched by
// sequence number and pid); 0 or the NetBSD errno.
int RtRequest(std::string m, std::string* reply) {
  GetRouteSocket();
  const int seq = ++rtseq;
  const int pid = rump_sys_getpid();
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  Store<int32_t>(m, abi::kRtmSeqOff, seq);
  Store<uint16_t>(m, abi::kRtmMsglenOff, uint16_t(m.size()));
  if (rump_sys_write(rtsock, m.data(), m.size()) < 0) return errno;
  std::string got(2048, '\0');
  for (;;) {
    const ssize_t n = rump_sys_read(rtsock, &got[0], got.size());
    if (n < 0) return errno;
    std::string msg = got.substr(0, size_t(n));
    if (Load<int32_t>(msg, abi::kRtmSeqOff) == seq && Load<int32_t>(msg, abi::kRtmPidOff) == pid) {
      *reply = msg;
      return 0;
    }
  }
}

// Deletes the neighbour entry of `host`; exit status contribution.
int Delete(const std::string& host) {
  const std::optional<Neighbor> n = Resolve(host);
  if (!n) return 1;
  std::string m(abi::kRtMsghdrSize, '\0');
  m[abi::kRtmTypeOff] = char(abi::kRTM_GET);
  Store<int32_t>(m, abi::kRtmFlagsOff, abi::kRTF_LLINFO);
  Store<int32_t>(m, abi::kRtmAddrsOff, abi::kRTA_DST);
  std::string sa = KernelSockaddr(*n);
  sa.resize(abi::RtRoundup(sa.size()), '\0');
  m += sa;
  std::string reply;
  if (int e = RtRequest(m, &reply); e != 0 && e != abi::kESRCH) {
    tools::Warn(e, "writing to routing socket");
    return 1;
  } else if (e == abi::kESRCH) {
    tools::Warnx("cannot locate " + host);
    return 1;
  }
  const std::vector<std::string> sas = Sockaddrs(reply);
  const std::string& gw = sas[abi::kRTAX_GATEWAY];
  const int flags = Load<int32_t>(reply, abi::kRtmFlagsOff);
  if (gw.size() <= abi::kSdlFamilyOff || uint8_t(gw[abi::kSdlFamilyOff]) != abi::kAF_LINK ||
      !(flags & abi::kRTF_LLINFO) || (flags & abi::kRTF_GATEWAY)) {
    tools::Warnx("cannot locate " + host);
    return 1;
  }
  reply[abi::kRtmTypeOff] = char(abi::kRTM_DELETE);
  std::string ignored;
  if (int e = RtRequest(reply, &ignored); e != 0) {
    tools::Warn(e, "writing to routing socket");
    return 1;
  }
  Neighbor shown = *n;
  if (shown.zone == 0 && IsLinkLocal(shown.addr.data())) {
    shown.zone = Load<uint16_t>(gw, abi::kSdlIndexOff);
  }
  std::printf("%s (%s) deleted\n", host.c_str(), Text(shown).c_str());
  return 0;
}

// Lists the cache (only `only` when given) or, with `clear`, deletes its
// learned entries. Returns whether `only` was found.
bool Dump(const std::optional<Neighbor>& only, bool clear) {
  const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, abi::kAF_INET6,
                                abi::kNET_RT_FLAGS, abi::kRTF_LLINFO};
  std::string buf;
  for (int attempt = 0;; ++attempt) {
    size_t len = 0;
    if (int e = tools::Sysctl(mib, nullptr, &len, nullptr, 0); e != 0) {
      tools::Err(1, e, "sysctl(PF_ROUTE estimate)");
    }
    buf.assign(len + 1024, '\0');
    len = buf.size();
    const int e = tools::Sysctl(mib, &buf[0], &len, nullptr, 0);
    if (e == 0) {
      buf.resize(len);
      break;
    }
    if (e != abi::kENOMEM || attempt > 4) tools::Err(1, e, "sysctl(PF_ROUTE, NET_RT_FLAGS)");
  }
  if (!clear) {
    std::printf("%-*.*s %-*.*s %*.*s %-9.9s %1s %5s\n", kAddrWidth, kAddrWidth, "Neighbor",
                kLlWidth, kLlWidth, "Linklayer Address", kIfWidth, kIfWidth, "Netif", "Expire",
                "S", "Flags");
  }
  timespec now{};
  rump_sys_clock_gettime(CLOCK_REALTIME, &now);
  bool found = false;
  size_t off = 0;
  while (off + abi::kRtMsghdrSize <= buf.size()) {
    const uint16_t msglen = Load<uint16_t>(buf, off + abi::kRtmMsglenOff);
    if (msglen < abi::kRtMsghdrSize || off + msglen > buf.size()) break;
    const std::string m = buf.substr(off, msglen);
    off += msglen;
    const std::vector<std::string> sas = Sockaddrs(m);
    const std::string& dst = sas[abi::kRTAX_DST];
    const std::string& sdl = sas[abi::kRTAX_GATEWAY];
    if (dst.size() < abi::kSin6AddrOff + 16 || uint8_t(dst[abi::kSin6FamilyOff]) != abi::kAF_INET6) {
      continue;
    }
    if (sdl.size() < abi::kSdlDataOff || uint8_t(sdl[abi::kSdlFamilyOff]) != abi::kAF_LINK) {
      continue;
    }
    Neighbor n;
    std::memcpy(n.addr.data(), &dst[abi::kSin6AddrOff], 16);
    if (dst.size() >= abi::kSockaddrIn6Size) n.zone = Load<uint32_t>(dst, abi::kSin6ScopeIdOff);
    const int sdl_index = Load<uint16_t>(sdl, abi::kSdlIndexOff);
    if (IsLinkLocal(n.addr.data())) {
      if (n.zone == 0) n.zone = uint32_t(sdl_index);
      n.addr[2] = n.addr[3] = 0;
    } else {
      n.zone = 0;
    }
    if (only) {
      if (only->addr != n.addr) continue;
      found = true;
    } else if (n.addr[0] == 0xff) {
      continue;  // multicast
    }
    const int rtflags = Load<int32_t>(m, abi::kRtmFlagsOff);
    if (clear) {
      // NetBSD 7's ndp deletes every entry, the kernel's own included.
      Delete(Text(n));
      continue;
    }
    std::string ll;
    const size_t nlen = uint8_t(sdl[abi::kSdlNlenOff]), alen = uint8_t(sdl[abi::kSdlAlenOff]);
    if (alen == 0 || abi::kSdlDataOff + nlen + alen > sdl.size()) {
      ll = "(incomplete)";
    } else {
      for (size_t i = 0; i < alen; ++i) {
        char b[4];
        std::snprintf(b, sizeof(b), "%s%02x", i ? ":" : "",
                      uint8_t(sdl[abi::kSdlDataOff + nlen + i]));
        ll += b;
      }
    }
    const std::string text = Text(n);
    const std::string ifname = IfName(sdl_index);
    std::printf("%-*.*s %-*.*s %*s", kAddrWidth, kAddrWidth, text.c_str(), kLlWidth, kLlWidth,
                ll.c_str(), kIfWidth, ifname.c_str());
    bool isrouter = false;
    int64_t probes = 0;
    Neighbor asked = n;
    if (asked.zone == 0) asked.zone = uint32_t(sdl_index);
    if (const std::optional<NbrInfo> nbi = GetNbrInfo(asked)) {
      std::string exp;
      if (nbi->expire > now.tv_sec) {
        exp = SecText(long(nbi->expire - now.tv_sec));
      } else {
        exp = nbi->expire == 0 ? "permanent" : "expired";
      }
      std::printf(" %-9.9s %c", exp.c_str(), StateLetter(nbi->state));
      isrouter = nbi->isrouter != 0;
      probes = nbi->asked;
    } else {
      tools::Warnx("failed to get neighbor information");
      std::printf("  ");
    }
    std::string flags;
    if (isrouter) flags += 'R';
    if (rtflags & abi::kRTF_ANNOUNCE) flags += 'p';
    std::printf(" %s", flags.c_str());
    if (probes) std::printf(" %lld", static_cast<long long>(probes));
    std::printf("\n");
  }
  std::fflush(stdout);
  return found;
}

int Main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  int ch;
  char mode = 0;
  while ((ch = tools::GetOpt(argc, argv, "acdn")) != -1) {
    switch (ch) {
      case 'a':
      case 'c':
      case 'd':
        if (mode != 0) Usage();
        mode = char(ch);
        break;
      case 'n':
        break;  // addresses are never looked up
      default:
        Usage();
    }
  }
  const int rest = argc - optind;
  if ((mode == 'a' || mode == 'c') ? rest != 0 : rest != 1) Usage();
  tools::InitClient("init failed");
  if (int e = tools::InterfaceIndexes(&interfaces); e != 0) tools::Err(1, e, "getifaddrs");
  switch (mode) {
    case 'a':
      Dump(std::nullopt, false);
      return 0;
    case 'c':
      Dump(std::nullopt, true);
      return 0;
    case 'd':
      return Delete(argv[optind]);
    default: {
      const std::string host = argv[optind];
      const std::optional<Neighbor> n = Resolve(host);
      if (!n) return 1;
      if (!Dump(n, false)) {
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, n->addr.data(), buf, sizeof(buf));
        tools::Warnx(host + " (" + buf + ") -- no entry");
        return 1;
      }
      return 0;
    }
  }
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
