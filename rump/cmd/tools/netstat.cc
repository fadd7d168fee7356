// rump.netstat: NetBSD's netstat(1) against the rump kernel named by
// RUMP_SERVER (usr.bin/netstat's command syntax and output, written anew;
// the reference is the NetBSD 7 netstat of the test peer, run against the
// same server). Everything is read through sysctl, as NetBSD's netstat
// does when it has no kernel memory to read:
//
//   rump.netstat [-Aan] [-f family[,family...]]   active sockets:
//                     net.inet.{tcp,udp}.pcblist (struct kinfo_pcb)
//   rump.netstat -r[n] [-f family]      routes: net.route.0.<af>.NET_RT_DUMP
//                     (IPv4 and IPv6)
//   rump.netstat -i[bn] [-I ifname]     interfaces and their counters:
//                     net.route.0.0.NET_RT_IFLIST
//   rump.netstat -s[s] [-f family]      protocol statistics: net.inet.<p>.stats
//   rump.netstat -p proto [-s]          one protocol's statistics
//
// Numbers are always numeric: names would come from files and the resolver
// inside the rump kernel, which has neither (NetBSD's netstat falls back to
// numbers there too). Families this kernel lacks (inet6, local) are skipped
// when not asked for; asked for with -f, they fail as NetBSD's netstat
// fails. Bad options print NetBSD's usage and exit 1.
#include <arpa/inet.h>
#include <rump/rump_syscalls.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/in6.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/tcp.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

// --- options
bool Aflag = false, aflag = false, bflag = false, iflag = false, nflag = false;
bool pflag = false, rflag = false;
int sflag = 0;
std::string interface_name;  // -I
std::string proto_name;      // -p
int af = abi::kAF_UNSPEC;    // -f, the first family
std::vector<int> families;   // -f, all of them
bool unknown_family = false;

constexpr int kAF_LOCAL = 1;
constexpr int kAF_INET6 = 24;

[[noreturn]] void Usage() {
  const char* p = tools::ProgName();
  std::fprintf(stderr,
               "usage: %s [-Aan] [-f address_family[,family ...]] [-M core] [-N system]\n"
               "       %s [-bdgiLmnqrsSv] [-f address_family[,family ...]] [-M core] [-N system]\n"
               "       %s [-dn] [-I interface] [-M core] [-N system] [-w wait]\n"
               "       %s [-p protocol] [-M core] [-N system]\n"
               "       %s [-p protocol] [-M core] [-N system] -P pcbaddr\n"
               "       %s [-p protocol] [-i] [-I Interface] \n"
               "       %s [-s] [-f address_family[,family ...]] [-i] [-I Interface]\n"
               "       %s [-s] [-B] [-I interface]\n",
               p, p, p, p, p, p, p, p);
  std::exit(1);
}

// --- small helpers

uint16_t Get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// An IPv4 address (host order) as dotted quads.
std::string Dotted(uint32_t a) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                a & 0xff);
  return buf;
}

// The IPv4 address of a sockaddr_in of `len` bytes, host order; bytes past
// the sockaddr's length are zero (the radix tree's short netmasks).
uint32_t SinAddr(const uint8_t* sa, size_t len) {
  uint8_t b[4] = {};
  for (size_t i = 0; i < 4; ++i) {
    if (4 + i < len) b[i] = sa[4 + i];
  }
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

// A whole sysctl answer: size query, then the data (retried while it grows).
int FetchAll(std::vector<int> mib, std::string* out) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    size_t need = 0;
    int e = tools::Sysctl(mib, nullptr, &need, nullptr, 0);
    if (e != 0) return e;
    std::string buf(need, '\0');
    size_t len = need;
    e = tools::Sysctl(mib, need ? buf.data() : nullptr, &len, nullptr, 0);
    if (e == abi::kENOMEM) continue;
    if (e != 0) return e;
    buf.resize(std::min(len, need));
    *out = std::move(buf);
    return 0;
  }
  return abi::kENOMEM;
}

// sysctlbyname for a counter array: false when the kernel has no such node.
bool Counters(const std::string& name, size_t n, std::vector<uint64_t>* out) {
  tools::MibInfo info;
  if (tools::ResolveName(name, &info) != 0) return false;
  out->assign(n, 0);
  size_t len = n * sizeof(uint64_t);
  if (tools::Sysctl(info.mib, out->data(), &len, nullptr, 0) != 0) return false;
  return true;
}

bool HasNode(const std::string& name) {
  tools::MibInfo info;
  return tools::ResolveName(name, &info) == 0;
}

// --- active sockets (NetBSD's protopr)

const char* const kTcpStates[] = {"CLOSED",     "LISTEN",     "SYN_SENT",  "SYN_RCVD",
                                  "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1", "CLOSING",
                                  "LAST_ACK",   "FIN_WAIT_2", "TIME_WAIT"};
const char* const kTcpShortStates[] = {"CLOSED", "LISTEN", "SYNSEN", "SYSRCV", "ESTABL", "CLWAIT",
                                       "FWAIT1", "CLOSNG", "LASTAK", "FWAIT2", "TMWAIT"};

bool header_done = false;  // one header for every protocol, as NetBSD's

// The host part of an address by its old class (inet_lnaof).
uint32_t HostPart(uint32_t a) {
  if ((a & 0x80000000u) == 0) return a & 0x00ffffffu;
  if ((a & 0xc0000000u) == 0x80000000u) return a & 0x0000ffffu;
  return a & 0x000000ffu;
}

void PrintEndpoint(const uint8_t* sa, int width) {
  const uint32_t addr = SinAddr(sa, 16);
  const uint16_t port = uint16_t(sa[2] << 8 | sa[3]);
  std::string s = addr == 0 ? "*" : Dotted(addr);
  const size_t keep = (Aflag && !nflag) ? 12 : 16;
  if (s.size() > keep) s.resize(keep);
  s += ".";
  s += port == 0 ? std::string("*") : std::to_string(port);
  std::printf(" %-*.*s", width, width, s.c_str());
}

// Lists net.inet.<proto>.pcblist (or fails as NetBSD's netstat does).
void ListPcbs(const std::string& family_node, const std::string& proto) {
  const std::string name = "net." + family_node + "." + proto + ".pcblist";
  tools::MibInfo info;
  if (int e = tools::ResolveName(name, &info); e != 0) {
    tools::Err(1, e, "sysctlnametomib: " + name);
  }
  std::vector<int> mib = info.mib;
  mib.insert(mib.end(), {abi::kPcbAll, 0, 0, 0});
  size_t size = 0;
  if (int e = tools::Sysctl(mib, nullptr, &size, nullptr, 0); e != 0) {
    tools::Err(1, e, "sysctl (query)");
  }
  std::vector<abi::KinfoPcb> pcbs(size / sizeof(abi::KinfoPcb));
  mib[mib.size() - 2] = int(sizeof(abi::KinfoPcb));
  mib[mib.size() - 1] = int(pcbs.size());
  size = pcbs.size() * sizeof(abi::KinfoPcb);
  if (int e = tools::Sysctl(mib, pcbs.data(), &size, nullptr, 0); e != 0) {
    tools::Err(1, e, "sysctl (copy)");
  }
  pcbs.resize(size / sizeof(abi::KinfoPcb));

  bool compact = false;
  int width = 22;
  if (Aflag) {
    width = nflag ? 21 : 18;
    compact = nflag;
  }
  const bool tcp = proto == "tcp";
  for (const abi::KinfoPcb& k : pcbs) {
    if (!aflag && HostPart(SinAddr(k.dst, 16)) == 0) continue;
    if (!header_done) {
      header_done = true;
      std::printf("Active Internet connections%s\n", aflag ? " (including servers)" : "");
      if (Aflag) std::printf("%-8.8s ", "PCB");
      std::printf("%-5.5s %-6.6s %-6.6s %s%-*.*s %-*.*s %s\n", "Proto", "Recv-Q", "Send-Q",
                  compact ? "" : " ", width, width, "Local Address", width, width,
                  "Foreign Address", "State");
    }
    if (Aflag) std::printf("%8" PRIx64 " ", k.ppcbaddr);
    std::printf("%-5.5s %6" PRIu64 " %6" PRIu64 "%s", proto.c_str(), k.rcvq, k.sndq,
                compact ? "" : " ");
    PrintEndpoint(k.src, width);
    PrintEndpoint(k.dst, width);
    if (tcp) {
      if (k.tstate < 0 || k.tstate > abi::kTCPS_TIME_WAIT) {
        std::printf(" %d", k.tstate);
      } else {
        std::printf(" %s", compact ? kTcpShortStates[k.tstate] : kTcpStates[k.tstate]);
      }
    }
    std::printf("\n");
  }
}

// --- interface names (if_indextoname) and records (NET_RT_IFLIST)

struct Sockaddrs {
  const uint8_t* sa[abi::kRTAX_MAX] = {};
};

// The sockaddrs after a routing message header, by RTAX_* index.
Sockaddrs SplitAddrs(const uint8_t* p, const uint8_t* end, int addrs) {
  Sockaddrs out;
  for (int i = 0; i < abi::kRTAX_MAX; ++i) {
    if (!(addrs & (1 << i))) continue;
    if (p >= end) break;
    out.sa[i] = p;
    p += abi::RtRoundup(p[0]);
  }
  return out;
}

// One routing message of a sysctl answer; false at the end or on garbage.
bool NextMessage(const std::string& buf, size_t* off, const uint8_t** msg, size_t* len) {
  if (*off + 4 > buf.size()) return false;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(buf.data()) + *off;
  const size_t l = Get16(p);
  if (l < 4 || *off + l > buf.size()) return false;
  *msg = p;
  *len = l;
  *off += l;
  return true;
}

std::string LinkName(const uint8_t* sdl) {
  const size_t nlen = sdl[abi::kSdlNlenOff];
  if (sdl[0] < abi::kSdlDataOff + nlen) return "";
  return std::string(reinterpret_cast<const char*>(sdl + abi::kSdlDataOff), nlen);
}

std::map<int, std::string> InterfaceNames() {
  std::map<int, std::string> names;
  std::string buf;
  if (FetchAll({abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0}, &buf) != 0) {
    return names;
  }
  size_t off = 0, len = 0;
  const uint8_t* m = nullptr;
  while (NextMessage(buf, &off, &m, &len)) {
    if (m[abi::kIfmTypeOff] != abi::kRTM_IFINFO || len < abi::kIfMsghdrSize) continue;
    const Sockaddrs s = SplitAddrs(m + abi::kIfMsghdrSize, m + len, int(Get32(m + abi::kIfmAddrsOff)));
    if (s.sa[abi::kRTAX_IFP] != nullptr) {
      names[Get16(m + abi::kIfmIndexOff)] = LinkName(s.sa[abi::kRTAX_IFP]);
    }
  }
  return names;
}

// link_ntoa(3): "name:aa.bb.cc" (name alone without an address).
std::string LinkNtoa(const uint8_t* sdl) {
  std::string s = LinkName(sdl);
  const size_t nlen = sdl[abi::kSdlNlenOff], alen = sdl[abi::kSdlAlenOff];
  const uint8_t* a = sdl + abi::kSdlDataOff + nlen;
  if (alen > 0 && sdl[0] >= abi::kSdlDataOff + nlen + alen) {
    if (!s.empty()) s += ":";
    for (size_t i = 0; i < alen; ++i) {
      char h[4];
      std::snprintf(h, sizeof h, "%s%x", i ? "." : "", a[i]);
      s += h;
    }
  }
  return s;
}

// A link-level gateway as route(8) and netstat -r show it.
std::string LinkPrint(const uint8_t* sdl) {
  if (sdl[0] < abi::kSdlDataOff) return "link#0";
  const size_t nlen = sdl[abi::kSdlNlenOff], alen = sdl[abi::kSdlAlenOff];
  if (nlen == 0 && alen == 0 && sdl[abi::kSdlSlenOff] == 0) {
    return "link#" + std::to_string(Get16(sdl + abi::kSdlIndexOff));
  }
  if (sdl[abi::kSdlTypeOff] == abi::kIFT_ETHER && alen == 6 &&
      sdl[0] >= abi::kSdlDataOff + nlen + alen) {
    const uint8_t* a = sdl + abi::kSdlDataOff + nlen;
    char buf[24];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
                  a[5]);
    return buf;
  }
  return LinkNtoa(sdl);
}

// --- routing tables (NetBSD's p_rttables)

// netname: a network by address and mask bits (classful digits).
std::string NetName(uint32_t in, uint32_t mask) {
  const int bits = mask ? 33 - __builtin_ffs(int(mask)) : 0;
  if (in == 0 && bits == 0) return "default";
  char buf[32];
  if (bits < 9) {
    std::snprintf(buf, sizeof buf, "%u/%d", in >> 24, bits);
  } else if (bits < 17) {
    std::snprintf(buf, sizeof buf, "%u.%u/%d", in >> 24, (in >> 16) & 0xff, bits);
  } else if (bits < 25) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u/%d", in >> 24, (in >> 16) & 0xff, (in >> 8) & 0xff,
                  bits);
  } else {
    std::snprintf(buf, sizeof buf, "%s/%d", Dotted(in).c_str(), bits);
  }
  return buf;
}

std::string AnyNtoa(const uint8_t* sa) {
  std::string s = "Q";
  const int len = int(sa[0]) - 2;
  int i = 0;
  do {
    char h[4];
    std::snprintf(h, sizeof h, "%02x.", len > 0 ? sa[2 + i] : 0);
    s += h;
    ++i;
  } while (i < len);
  s.pop_back();
  return s;
}

// --- IPv6 route addresses (NetBSD's routename6 and netname6)

std::map<int, std::string> g_route_ifnames;  // for zones, set by RoutingTables

// The 16 address bytes of a (possibly shortened) sockaddr_in6 and its
// zone: a link-local unicast or multicast address may carry the zone in
// bytes 2-3 (the kernel's embedded form), which are then cleared.
struct Inet6Route {
  uint8_t addr[16] = {};
  uint32_t zone = 0;
};
Inet6Route Inet6Of(const uint8_t* sa) {
  Inet6Route r;
  const size_t len = sa[0];
  for (size_t i = 0; i < 16; ++i) {
    if (abi::kSin6AddrOff + i < len) r.addr[i] = sa[abi::kSin6AddrOff + i];
  }
  if (len >= abi::kSockaddrIn6Size) std::memcpy(&r.zone, sa + abi::kSin6ScopeIdOff, 4);
  const bool link_local = (r.addr[0] == 0xfe && (r.addr[1] & 0xc0) == 0x80) ||
                          (r.addr[0] == 0xff && (r.addr[1] & 0x0f) == 0x02);
  if (link_local) {
    if (r.zone == 0) r.zone = uint32_t(r.addr[2]) << 8 | r.addr[3];
    r.addr[2] = r.addr[3] = 0;
  }
  return r;
}

std::string Inet6Text(const Inet6Route& r) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, r.addr, buf, sizeof buf);
  std::string s = buf;
  if (r.zone != 0) {
    const auto it = g_route_ifnames.find(int(r.zone));
    s += "%" + (it != g_route_ifnames.end() ? it->second : std::to_string(r.zone));
  }
  return s;
}

// A network: the address masked to the mask's length, "/LEN" unless 128;
// "default" for ::/0.
std::string NetName6(const uint8_t* sa, const uint8_t* mask) {
  Inet6Route r = Inet6Of(sa);
  int plen = 128;
  if (mask != nullptr) {
    const Inet6Route m = Inet6Of(mask);
    plen = 0;
    for (int i = 0; i < 128 && (m.addr[i / 8] & (0x80 >> (i % 8))); ++i) ++plen;
    // A mask of fewer bytes than a sockaddr_in6 has a zero tail.
    if (mask[0] <= abi::kSin6AddrOff) plen = 0;
  }
  for (int i = plen; i < 128; ++i) r.addr[i / 8] &= uint8_t(~(0x80 >> (i % 8)));
  bool zero = true;
  for (uint8_t b : r.addr) zero = zero && b == 0;
  if (plen == 0 && zero) return "default";
  std::string s = Inet6Text(r);
  if (plen != 128) s += "/" + std::to_string(plen);
  return s;
}

// routename: a host (or gateway) address.
std::string RouteName(const uint8_t* sa) {
  if (sa[0] == 0) return "default";
  switch (sa[1]) {
    case abi::kAF_INET: {
      const uint32_t a = SinAddr(sa, sa[0]);
      return a == 0 ? "default" : Dotted(a);
    }
    case abi::kAF_LINK:
      return LinkPrint(sa);
    case abi::kAF_INET6: {
      // Hosts and gateways print without their zone, as NetBSD 7's do.
      Inet6Route r = Inet6Of(sa);
      r.zone = 0;
      return Inet6Text(r);
    }
    default:
      return "(" + std::to_string(sa[1]) + ") " + AnyNtoa(sa);
  }
}

std::string SockaddrText(const uint8_t* sa, const uint8_t* mask, int flags) {
  if (sa[1] == abi::kAF_INET6 && !(flags & abi::kRTF_HOST)) return NetName6(sa, mask);
  if ((flags & abi::kRTF_HOST) || mask == nullptr || sa[1] != abi::kAF_INET) {
    if (sa[1] == abi::kAF_INET || (flags & abi::kRTF_HOST) || mask == nullptr) return RouteName(sa);
    if (sa[1] == abi::kAF_LINK) return LinkPrint(sa);
    return "af " + std::to_string(sa[1]) + ": " + AnyNtoa(sa);
  }
  return NetName(SinAddr(sa, sa[0]), SinAddr(mask, mask[0]));
}

void PrintColumn(const std::string& s, int width) {
  if (nflag) {
    std::printf("%-*s ", width, s.c_str());
  } else {
    std::printf("%-*.*s ", width, width, s.c_str());
  }
}

std::string FlagLetters(int f) {
  static const struct {
    int mask;
    char c;
  } kBits[] = {{abi::kRTF_UP, 'U'},        {abi::kRTF_GATEWAY, 'G'},   {abi::kRTF_HOST, 'H'},
               {abi::kRTF_REJECT, 'R'},    {abi::kRTF_BLACKHOLE, 'B'}, {abi::kRTF_DYNAMIC, 'D'},
               {abi::kRTF_MODIFIED, 'M'},  {abi::kRTF_DONE, 'd'},      {abi::kRTF_MASK, 'm'},
               {abi::kRTF_CLONING, 'C'},   {abi::kRTF_STATIC, 'S'},    {abi::kRTF_PROTO1, '1'},
               {abi::kRTF_PROTO2, '2'},    {abi::kRTF_ANNOUNCE, 'p'},  {abi::kRTF_LOCAL, 'l'},
               {abi::kRTF_BROADCAST, 'b'}};
  std::string s;
  for (const auto& b : kBits) {
    if (f & b.mask) s += b.c;
  }
  return s;
}

void RoutingTables(int paf) {
  std::string buf;
  std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, paf, abi::kNET_RT_DUMP, 0};
  size_t need = 0;
  if (int e = tools::Sysctl(mib, nullptr, &need, nullptr, 0); e != 0) {
    tools::Err(1, e, "route-sysctl-estimate");
  }
  if (need > 0) {
    buf.assign(need, '\0');
    if (int e = tools::Sysctl(mib, buf.data(), &need, nullptr, 0); e != 0) {
      tools::Err(1, e, "sysctl of routing table");
    }
    buf.resize(std::min(need, buf.size()));
  }
  std::printf("Routing tables\n");
  const std::map<int, std::string> names = InterfaceNames();
  g_route_ifnames = names;
  int old_af = -1;
  int wid_dst = 18, wid_gw = 18;
  size_t off = 0, len = 0;
  const uint8_t* m = nullptr;
  while (NextMessage(buf, &off, &m, &len)) {
    if (len < abi::kRtMsghdrSize) continue;
    const uint8_t* first = m + abi::kRtMsghdrSize;
    const int family = first < m + len ? first[1] : 0;
    if (paf != abi::kAF_UNSPEC && family != paf) continue;
    if (family != old_af) {
      old_af = family;
      if (family == abi::kAF_INET) {
        std::printf("\nInternet:\n");
      } else if (family == kAF_INET6) {
        std::printf("\nInternet6:\n");
      } else {
        std::printf("\nProtocol Family %d:\n", family);
      }
      // IPv6 addresses get wider columns with -n, as NetBSD's.
      wid_dst = family == kAF_INET6 && nflag ? 39 : 18;
      wid_gw = family == kAF_INET6 && nflag ? 30 : 18;
      std::printf("%-*.*s %-*.*s %-6.6s %6.6s %8.8s %6.6s %s\n", wid_dst, wid_dst, "Destination",
                  wid_gw, wid_gw, "Gateway", "Flags", "Refs", "Use", "Mtu", "Interface");
    }
    const int flags = int(Get32(m + abi::kRtmFlagsOff));
    const Sockaddrs s = SplitAddrs(first, m + len, int(Get32(m + abi::kRtmAddrsOff)));
    if (s.sa[abi::kRTAX_DST] == nullptr) continue;
    PrintColumn(SockaddrText(s.sa[abi::kRTAX_DST], s.sa[abi::kRTAX_NETMASK], flags), wid_dst);
    if (s.sa[abi::kRTAX_GATEWAY] != nullptr) {
      PrintColumn(SockaddrText(s.sa[abi::kRTAX_GATEWAY], nullptr, abi::kRTF_HOST), wid_gw);
    } else {
      PrintColumn("", wid_gw);
    }
    std::printf("%-6.6s ", FlagLetters(flags).c_str());
    std::printf("%6s %8s ", "-", "-");
    const uint64_t mtu = Get64(m + abi::kRtmRmxOff + abi::kRmxMtuOff);
    const uint64_t locks = Get64(m + abi::kRtmRmxOff);
    if (mtu != 0) {
      std::printf("%6" PRIu64, mtu);
    } else {
      std::printf("%6s", "-");
    }
    std::printf("%c", (locks & 0x1) ? 'L' : ' ');  // RTV_MTU
    const auto it = names.find(Get16(m + abi::kRtmIndexOff));
    std::printf(" %.16s\n", it != names.end() ? it->second.c_str() : "");
  }
}

// --- interfaces (NetBSD's intpr, the sysctl way)

void InterfaceCounters(const uint8_t* ifdata) {
  if (bflag) {
    std::printf("%10" PRIu64 " %10" PRIu64, Get64(ifdata + abi::kIfiIbytesOff),
                Get64(ifdata + abi::kIfiObytesOff));
  } else {
    std::printf("%8" PRIu64 " %5" PRIu64 " %8" PRIu64 " %5" PRIu64 " %5" PRIu64,
                Get64(ifdata + abi::kIfiIpacketsOff), Get64(ifdata + abi::kIfiIerrorsOff),
                Get64(ifdata + abi::kIfiOpacketsOff), Get64(ifdata + abi::kIfiOerrorsOff),
                Get64(ifdata + abi::kIfiCollisionsOff));
  }
  std::printf("\n");
}

// "<Link>" and the link address, padded to 32 columns.
void LinkColumns(const uint8_t* sdl) {
  int n = std::printf("%-13.13s ", "<Link>");
  if (sdl != nullptr && sdl[0] >= abi::kSdlDataOff) {
    const size_t nlen = sdl[abi::kSdlNlenOff];
    size_t alen = sdl[abi::kSdlAlenOff];
    if (abi::kSdlDataOff + nlen + alen > sdl[0]) alen = 0;
    const bool ether = sdl[abi::kSdlTypeOff] == abi::kIFT_ETHER;
    const uint8_t* a = sdl + abi::kSdlDataOff + nlen;
    for (size_t i = 0; i < alen; ++i) {
      n += std::printf(ether ? "%02x%c" : "%x%c", a[i], i + 1 < alen ? (ether ? ':' : '.') : ' ');
    }
  }
  for (; n < 32; ++n) std::putchar(' ');
}

void Interfaces() {
  std::string buf;
  if (int e = FetchAll({abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0}, &buf);
      e != 0) {
    tools::Err(1, e, "sysctl");
  }
  if (!sflag && !pflag) {
    if (bflag) {
      std::printf("%-5.5s %-5.5s %-13.13s %-17.17s %10.10s %10.10s\n", "Name", "Mtu", "Network",
                  "Address", "Ibytes", "Obytes");
    } else {
      std::printf("%-5.5s %-5.5s %-13.13s %-17.17s %8.8s %5.5s %8.8s %5.5s %5.5s\n", "Name",
                  "Mtu", "Network", "Address", "Ipkts", "Ierrs", "Opkts", "Oerrs", "Colls");
    }
  }
  std::string name;
  const uint8_t* ifdata = nullptr;
  bool wanted = false;
  size_t off = 0, len = 0;
  const uint8_t* m = nullptr;
  while (NextMessage(buf, &off, &m, &len)) {
    const uint8_t type = m[abi::kIfmTypeOff];
    if (type == abi::kRTM_IFINFO && len >= abi::kIfMsghdrSize) {
      const Sockaddrs s =
          SplitAddrs(m + abi::kIfMsghdrSize, m + len, int(Get32(m + abi::kIfmAddrsOff)));
      const uint8_t* sdl = s.sa[abi::kRTAX_IFP];
      name = sdl != nullptr ? LinkName(sdl) : "";
      wanted = interface_name.empty() || interface_name == name;
      if (!(Get32(m + abi::kIfmFlagsOff) & abi::kIFF_UP)) name += "*";
      ifdata = m + abi::kIfmDataOff;
      if (!wanted) continue;
      std::printf("%-5.16s %-5" PRIu64, name.c_str(), Get64(ifdata + abi::kIfiMtuOff));
      LinkColumns(sdl);
      InterfaceCounters(ifdata);
    } else if (type == abi::kRTM_NEWADDR && len >= abi::kIfaMsghdrSize && ifdata != nullptr) {
      if (!wanted) continue;
      const Sockaddrs s =
          SplitAddrs(m + abi::kIfaMsghdrSize, m + len, int(Get32(m + abi::kIfamAddrsOff)));
      const uint8_t* ifa = s.sa[abi::kRTAX_IFA];
      if (ifa == nullptr) continue;
      if (ifa[1] == abi::kAF_INET) {
        std::printf("%-5.16s %-5" PRIu64, name.c_str(), Get64(ifdata + abi::kIfiMtuOff));
        const uint32_t addr = SinAddr(ifa, ifa[0]);
        const uint8_t* nm = s.sa[abi::kRTAX_NETMASK];
        const uint32_t mask = nm != nullptr ? SinAddr(nm, nm[0]) : 0xffffffffu;
        std::printf("%-13.13s ", NetName(addr & mask, mask).c_str());
        std::printf("%-17.17s ", Dotted(addr).c_str());
        InterfaceCounters(ifdata);
      } else if (ifa[1] == abi::kAF_LINK) {
        std::printf("%-5.16s %-5" PRIu64, name.c_str(), Get64(ifdata + abi::kIfiMtuOff));
        LinkColumns(ifa);
        InterfaceCounters(ifdata);
      }
    }
  }
}

// --- statistics (NetBSD's *_stats): each line prints when one of its
// counters is not zero, or always with a single -s. In a template, '#' is
// the next counter, '@' the plural "s" of the last one, '%' its "es".

struct Line {
  std::vector<int> idx;
  const char* text;
};

void Print(const std::vector<uint64_t>& v, const Line& l) {
  bool any = sflag <= 1;
  for (int i : l.idx) any = any || v[size_t(i)] != 0;
  if (!any) return;
  std::string out;
  size_t next = 0;
  uint64_t last = 0;
  for (const char* p = l.text; *p; ++p) {
    if (*p == '#') {
      last = next < l.idx.size() ? v[size_t(l.idx[next++])] : 0;
      out += std::to_string(last);
    } else if (*p == '@') {
      if (last != 1) out += "s";
    } else if (*p == '%') {
      if (last != 1) out += "es";
    } else {
      out += *p;
    }
  }
  std::fputs(out.c_str(), stdout);
}

void PrintAll(const std::vector<uint64_t>& v, const std::vector<Line>& lines) {
  for (const Line& l : lines) Print(v, l);
}

void TcpStats(const char* name) {
  std::vector<uint64_t> v;
  if (!Counters("net.inet.tcp.stats", abi::kTcpStatNStats, &v)) return;
  std::printf("%s:\n", name);
  PrintAll(v, {
      {{abi::kTcpStatSndtotal}, "\t# packet@ sent\n"},
      {{abi::kTcpStatSndpack, abi::kTcpStatSndbyte}, "\t\t# data packet@ (# byte@)\n"},
      {{abi::kTcpStatSndrexmitpack, abi::kTcpStatSndrexmitbyte},
       "\t\t# data packet@ (# byte@) retransmitted\n"},
      {{abi::kTcpStatSndacks, abi::kTcpStatDelack}, "\t\t# ack-only packet@ (# delayed)\n"},
      {{abi::kTcpStatSndurg}, "\t\t# URG only packet@\n"},
      {{abi::kTcpStatSndprobe}, "\t\t# window probe packet@\n"},
      {{abi::kTcpStatSndwinup}, "\t\t# window update packet@\n"},
      {{abi::kTcpStatSndctrl}, "\t\t# control packet@\n"},
      {{abi::kTcpStatSelfquench}, "\t\t# send attempt@ resulted in self-quench\n"},
      {{abi::kTcpStatRcvtotal}, "\t# packet@ received\n"},
      {{abi::kTcpStatRcvackpack, abi::kTcpStatRcvackbyte}, "\t\t# ack@ (for # byte@)\n"},
      {{abi::kTcpStatRcvdupack}, "\t\t# duplicate ack@\n"},
      {{abi::kTcpStatRcvacktoomuch}, "\t\t# ack@ for unsent data\n"},
      {{abi::kTcpStatRcvpack, abi::kTcpStatRcvbyte}, "\t\t# packet@ (# byte@) received in-sequence\n"},
      {{abi::kTcpStatRcvduppack, abi::kTcpStatRcvdupbyte},
       "\t\t# completely duplicate packet@ (# byte@)\n"},
      {{abi::kTcpStatPawsdrop}, "\t\t# old duplicate packet@\n"},
      {{abi::kTcpStatRcvpartduppack, abi::kTcpStatRcvpartdupbyte},
       "\t\t# packet@ with some dup. data (# byte@ duped)\n"},
      {{abi::kTcpStatRcvoopack, abi::kTcpStatRcvoobyte}, "\t\t# out-of-order packet@ (# byte@)\n"},
      {{abi::kTcpStatRcvpackafterwin, abi::kTcpStatRcvbyteafterwin},
       "\t\t# packet@ (# byte@) of data after window\n"},
      {{abi::kTcpStatRcvwinprobe}, "\t\t# window probe@\n"},
      {{abi::kTcpStatRcvwinupd}, "\t\t# window update packet@\n"},
      {{abi::kTcpStatRcvafterclose}, "\t\t# packet@ received after close\n"},
      {{abi::kTcpStatRcvbadsum}, "\t\t# discarded for bad checksum@\n"},
      {{abi::kTcpStatRcvbadoff}, "\t\t# discarded for bad header offset field@\n"},
      {{abi::kTcpStatRcvshort}, "\t\t# discarded because packet too short\n"},
      {{abi::kTcpStatConnattempt}, "\t# connection request@\n"},
      {{abi::kTcpStatAccepts}, "\t# connection accept@\n"},
      {{abi::kTcpStatConnects}, "\t# connection@ established (including accepts)\n"},
      {{abi::kTcpStatClosed, abi::kTcpStatDrops}, "\t# connection@ closed (including # drop@)\n"},
      {{abi::kTcpStatConndrops}, "\t# embryonic connection@ dropped\n"},
      {{abi::kTcpStatDelayedFree}, "\t# delayed free@ of tcpcb\n"},
      {{abi::kTcpStatRttupdated, abi::kTcpStatSegstimed},
       "\t# segment@ updated rtt (of # attempt@)\n"},
      {{abi::kTcpStatRexmttimeo}, "\t# retransmit timeout@\n"},
      {{abi::kTcpStatTimeoutdrop}, "\t\t# connection@ dropped by rexmit timeout\n"},
      {{abi::kTcpStatPersisttimeo, abi::kTcpStatPersistdrops},
       "\t# persist timeout@ (resulting in # dropped connection@)\n"},
      {{abi::kTcpStatKeeptimeo}, "\t# keepalive timeout@\n"},
      {{abi::kTcpStatKeepprobe}, "\t\t# keepalive probe@ sent\n"},
      {{abi::kTcpStatKeepdrops}, "\t\t# connection@ dropped by keepalive\n"},
      {{abi::kTcpStatPredack}, "\t# correct ACK header prediction@\n"},
      {{abi::kTcpStatPreddat}, "\t# correct data packet header prediction@\n"},
      {{abi::kTcpStatPcbhashmiss}, "\t# PCB hash miss%\n"},
      {{abi::kTcpStatNoport}, "\t# dropped due to no socket\n"},
      {{abi::kTcpStatConnsdrained}, "\t# connection@ drained due to memory shortage\n"},
      {{abi::kTcpStatPmtublackhole}, "\t# PMTUD blackhole@ detected\n"},
      {{abi::kTcpStatBadsyn}, "\t# bad connection attempt@\n"},
      {{abi::kTcpStatScAdded}, "\t# SYN cache entries added\n"},
      {{abi::kTcpStatScCollisions}, "\t\t# hash collision@\n"},
      {{abi::kTcpStatScCompleted}, "\t\t# completed\n"},
      {{abi::kTcpStatScAborted}, "\t\t# aborted (no space to build PCB)\n"},
      {{abi::kTcpStatScTimedOut}, "\t\t# timed out\n"},
      {{abi::kTcpStatScOverflowed}, "\t\t# dropped due to overflow\n"},
      {{abi::kTcpStatScBucketoverflow}, "\t\t# dropped due to bucket overflow\n"},
      {{abi::kTcpStatScReset}, "\t\t# dropped due to RST\n"},
      {{abi::kTcpStatScUnreach}, "\t\t# dropped due to ICMP unreachable\n"},
      {{abi::kTcpStatScDelayedFree}, "\t\t# delayed free of SYN cache entries\n"},
      {{abi::kTcpStatScRetransmitted}, "\t# SYN,ACK@ retransmitted\n"},
      {{abi::kTcpStatScDupesyn}, "\t# duplicate SYN@ received for entries already in the cache\n"},
      {{abi::kTcpStatScDropped}, "\t# SYN@ dropped (no route or no space)\n"},
      {{abi::kTcpStatBadsig}, "\t# packet@ with bad signature\n"},
      {{abi::kTcpStatGoodsig}, "\t# packet@ with good signature\n"},
      {{abi::kTcpStatEcnShs}, "\t# successful ECN handshake@\n"},
      {{abi::kTcpStatEcnCe}, "\t# packet@ with ECN CE bit\n"},
      {{abi::kTcpStatEcnEct}, "\t# packet@ ECN ECT(0) bit\n"},
  });
}

void UdpStats(const char* name) {
  std::vector<uint64_t> v;
  if (!Counters("net.inet.udp.stats", abi::kUdpStatNStats, &v)) return;
  std::printf("%s:\n", name);
  PrintAll(v, {
      {{abi::kUdpStatIpackets}, "\t# datagram@ received\n"},
      {{abi::kUdpStatHdrops}, "\t# with incomplete header\n"},
      {{abi::kUdpStatBadlen}, "\t# with bad data length field\n"},
      {{abi::kUdpStatBadsum}, "\t# with bad checksum\n"},
      {{abi::kUdpStatNoport}, "\t# dropped due to no socket\n"},
      {{abi::kUdpStatNoportbcast}, "\t# broadcast/multicast datagram@ dropped due to no socket\n"},
      {{abi::kUdpStatFullsock}, "\t# dropped due to full socket buffers\n"},
  });
  // What was neither dropped nor malformed reached a socket.
  uint64_t delivered = v[abi::kUdpStatIpackets];
  for (int i : {abi::kUdpStatHdrops, abi::kUdpStatBadlen, abi::kUdpStatBadsum, abi::kUdpStatNoport,
                abi::kUdpStatNoportbcast, abi::kUdpStatFullsock}) {
    delivered -= v[size_t(i)];
  }
  if (delivered != 0 || sflag <= 1) std::printf("\t%" PRIu64 " delivered\n", delivered);
  PrintAll(v, {
      {{abi::kUdpStatPcbhashmiss}, "\t# PCB hash miss%\n"},
      {{abi::kUdpStatOpackets}, "\t# datagram@ output\n"},
  });
}

void IpStats(const char* name) {
  std::vector<uint64_t> v;
  if (!Counters("net.inet.ip.stats", abi::kIpStatNStats, &v)) return;
  std::printf("%s:\n", name);
  PrintAll(v, {
      {{abi::kIpStatTotal}, "\t# total packet@ received\n"},
      {{abi::kIpStatBadsum}, "\t# bad header checksum@\n"},
      {{abi::kIpStatToosmall}, "\t# with size smaller than minimum\n"},
      {{abi::kIpStatTooshort}, "\t# with data size < data length\n"},
      {{abi::kIpStatToolong}, "\t# with length > max ip packet size\n"},
      {{abi::kIpStatBadhlen}, "\t# with header length < data size\n"},
      {{abi::kIpStatBadlen}, "\t# with data length < header length\n"},
      {{abi::kIpStatBadoptions}, "\t# with bad options\n"},
      {{abi::kIpStatBadvers}, "\t# with incorrect version number\n"},
      {{abi::kIpStatFragments}, "\t# fragment@ received\n"},
      {{abi::kIpStatFragdropped}, "\t# fragment@ dropped (dup or out of space)\n"},
      {{abi::kIpStatRcvmemdrop}, "\t# fragment@ dropped (out of ipqent)\n"},
      {{abi::kIpStatBadfrags}, "\t# malformed fragment@ dropped\n"},
      {{abi::kIpStatFragtimeout}, "\t# fragment@ dropped after timeout\n"},
      {{abi::kIpStatReassembled}, "\t# packet@ reassembled ok\n"},
      {{abi::kIpStatDelivered}, "\t# packet@ for this host\n"},
      {{abi::kIpStatNoproto}, "\t# packet@ for unknown/unsupported protocol\n"},
      {{abi::kIpStatForward}, "\t# packet@ forwarded"},
      {{abi::kIpStatFastforward}, " (# packet@ fast forwarded)"},
  });
  if (v[abi::kIpStatForward] != 0 || sflag <= 1) std::printf("\n");
  PrintAll(v, {
      {{abi::kIpStatCantforward}, "\t# packet@ not forwardable\n"},
      {{abi::kIpStatRedirectsent}, "\t# redirect@ sent\n"},
      {{abi::kIpStatNogif}, "\t# packet@ no matching gif found\n"},
      {{abi::kIpStatLocalout}, "\t# packet@ sent from this host\n"},
      {{abi::kIpStatRawout}, "\t# packet@ sent with fabricated ip header\n"},
      {{abi::kIpStatOdropped}, "\t# output packet@ dropped due to no bufs, etc.\n"},
      {{abi::kIpStatNoroute}, "\t# output packet@ discarded due to no route\n"},
      {{abi::kIpStatFragmented}, "\t# output datagram@ fragmented\n"},
      {{abi::kIpStatOfragments}, "\t# fragment@ created\n"},
      {{abi::kIpStatCantfrag}, "\t# datagram@ that can't be fragmented\n"},
      {{abi::kIpStatBadaddr}, "\t# datagram@ with bad address in header\n"},
  });
}

// net.inet.icmp.stats: NetBSD's layout (ICMP_STAT_*): 16 counters, then
// the output and the input histograms, 41 types each.
constexpr int kIcmpNTypes = abi::kICMP_MAXTYPE + 1;
static_assert(kIcmpNTypes == 41);

const char* const kIcmpNames[kIcmpNTypes] = {
    "echoreply",       "unassigned_1",     "unassigned_2",      "unreach",
    "sourcequench",    "redirect",         "althostaddr",       "unassigned_7",
    "echo",            "routeradvert",     "routersolicit",     "timxceed",
    "paramprob",       "tstamp",           "tstampreply",       "ireq",
    "ireqreply",       "maskreq",          "maskreply",         "reserved_19",
    "reserved_20",     "reserved_21",      "reserved_22",       "reserved_23",
    "reserved_24",     "reserved_25",      "reserved_26",       "reserved_27",
    "reserved_28",     "reserved_29",      "traceroute",        "dataconverr",
    "mobile_redirect", "ipv6_whereareyou", "ipv6_iamhere",      "mobile_regrequest",
    "mobile_regreply", "reserved_37",      "reserved_38",       "skip",
    "photuris"};

void IcmpHistogram(const std::vector<uint64_t>& v, int base, const char* title) {
  bool first = true;
  for (int i = 0; i < kIcmpNTypes; ++i) {
    const uint64_t n = v[size_t(base + i)];
    if (n == 0) continue;
    if (first) std::printf("\t%s histogram:\n", title);
    first = false;
    std::printf("\t\t%s: %" PRIu64 "\n", kIcmpNames[i], n);
  }
}

void IcmpStats(const char* name) {
  std::vector<uint64_t> v;
  if (!Counters("net.inet.icmp.stats", abi::kIcmpStatNStats, &v)) return;
  std::printf("%s:\n", name);
  PrintAll(v, {
      {{abi::kIcmpStatError}, "\t# call@ to icmp_error\n"},
      {{abi::kIcmpStatOldicmp}, "\t# error@ not generated because old message was icmp\n"},
  });
  IcmpHistogram(v, abi::kIcmpStatOuthist, "Output");
  PrintAll(v, {
      {{abi::kIcmpStatBadcode}, "\t# message@ with bad code fields\n"},
      {{abi::kIcmpStatTooshort}, "\t# message@ < minimum length\n"},
      {{abi::kIcmpStatChecksum}, "\t# bad checksum@\n"},
      {{abi::kIcmpStatBadlen}, "\t# message@ with bad length\n"},
      {{abi::kIcmpStatBmcastecho}, "\t# multicast echo request@ ignored\n"},
      {{abi::kIcmpStatBmcasttstamp}, "\t# multicast timestamp request@ ignored\n"},
  });
  IcmpHistogram(v, abi::kIcmpStatInhist, "Input");
  PrintAll(v, {
      {{abi::kIcmpStatReflect}, "\t# message response@ generated\n"},
      {{abi::kIcmpStatPmtuchg}, "\t# path MTU change@\n"},
  });
}

// net.inet.arp.stats: NetBSD's layout (ARP_STAT_*, 23 counters).
void ArpStats(const char* name) {
  std::vector<uint64_t> v;
  if (!Counters("net.inet.arp.stats", abi::kArpStatNStats, &v)) return;
  std::printf("%s:\n", name);
  PrintAll(v, {
      {{0}, "\t# packet@ sent\n"},
      {{1}, "\t\t# reply packet@\n"},
      {{2}, "\t\t# request packet@\n"},
      {{3}, "\t# packet@ received\n"},
      {{5}, "\t\t# reply packet@\n"},
      {{4}, "\t\t# valid request packet@\n"},
      {{6}, "\t\t# broadcast/multicast packet@\n"},
      {{7}, "\t\t# packet@ with unknown protocol type\n"},
      {{8}, "\t\t# packet@ with bad (short) length\n"},
      {{9}, "\t\t# packet@ with null target IP address\n"},
      {{10}, "\t\t# packet@ with null source IP address\n"},
      {{11}, "\t\t# could not be mapped to an interface\n"},
      {{12}, "\t\t# packet@ sourced from a local hardware address\n"},
      {{13}, "\t\t# packet@ with a broadcast source hardware address\n"},
      {{14}, "\t\t# duplicate@ for a local IP address\n"},
      {{15}, "\t\t# attempt@ to overwrite a static entry\n"},
      {{16}, "\t\t# packet@ received on wrong interface\n"},
      {{17}, "\t\t# entry@ overwritten\n"},
      {{18}, "\t\t# change@ in hardware address length\n"},
      {{19}, "\t# packet@ deferred pending ARP resolution\n"},
      {{20}, "\t\t# sent\n"},
      {{21}, "\t\t# dropped\n"},
      {{22}, "\t# failure@ to allocate llinfo\n"},
  });
}

// NetBSD's protocol table, as far as this kernel can answer: the protocols
// with connection lists and statistics, in netstat's order. The names it
// knows but this kernel has no statistics for print nothing.
struct Proto {
  const char* name;
  bool inet6;       // listed with the inet6 family
  bool pcbs;        // has a connection list
  void (*stats)(const char*);
};
const Proto kProtos[] = {
    {"tcp", false, true, TcpStats},   {"udp", false, true, UdpStats},
    {"ip", false, false, IpStats},    {"icmp", false, false, IcmpStats},
    {"igmp", false, false, nullptr},  {"carp", false, false, nullptr},
    {"pfsync", false, false, nullptr}, {"pim", false, false, nullptr},
    {"ip6", true, false, nullptr},    {"icmp6", true, false, nullptr},
    {"tcp6", true, false, TcpStats},  {"udp6", true, false, nullptr},
    {"pim6", true, false, nullptr},   {"rip6", true, false, nullptr},
    {"arp", false, false, ArpStats},
};

const Proto* FindProto(const std::string& name) {
  for (const Proto& p : kProtos) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

bool Wants(int family) {
  if (unknown_family) return false;
  if (families.empty()) return true;
  for (int f : families) {
    if (f == family) return true;
  }
  return false;
}

// The statistics of every protocol of the families asked for.
void AllStats() {
  const bool inet = Wants(abi::kAF_INET);
  // An explicit -f inet6 prints NetBSD's inet6 sections (tcp6 is TCP's
  // counters there too); without -f, only when the kernel has IPv6.
  const bool inet6 = families.empty() ? HasNode("net.inet6") : Wants(kAF_INET6);
  for (const Proto& p : kProtos) {
    if (p.stats == nullptr) continue;
    // NetBSD's netstat shows ARP only when no family is named.
    if (std::strcmp(p.name, "arp") == 0 && !families.empty()) continue;
    if (p.inet6 ? inet6 : inet) p.stats(p.name);
  }
}

// The connection lists of the families asked for.
void AllConnections() {
  for (int f : families.empty() ? std::vector<int>{abi::kAF_INET, kAF_INET6, kAF_LOCAL}
                                : families) {
    const bool asked = !families.empty();
    if (f == abi::kAF_INET) {
      ListPcbs("inet", "tcp");
      ListPcbs("inet", "udp");
    } else if (f == kAF_INET6 && (asked || HasNode("net.inet6"))) {
      ListPcbs("inet6", "tcp6");
      ListPcbs("inet6", "udp6");
    } else if (f == kAF_LOCAL && (asked || HasNode("net.local"))) {
      ListPcbs("local", "stream");
    }
  }
}

void ParseFamilies(const char* arg) {
  std::string s = arg;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    const std::string f = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (f == "inet") {
      families.push_back(abi::kAF_INET);
    } else if (f == "inet6") {
      families.push_back(kAF_INET6);
    } else if (f == "local" || f == "unix") {
      families.push_back(kAF_LOCAL);
    } else {
      // NetBSD's netstat warns and goes on with nothing to show.
      tools::Warnx(f + ": unknown address family");
      unknown_family = true;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!families.empty()) af = families.front();
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  int ch;
  while ((ch = tools::GetOpt(argc, argv, "AabBdf:ghI:LliM:mN:nP:p:qrsStTuVvw:X")) != -1) {
    switch (ch) {
      case 'A':
        Aflag = true;
        break;
      case 'a':
        aflag = true;
        break;
      case 'b':
        bflag = true;
        break;
      case 'f':
        ParseFamilies(optarg);
        break;
      case 'I':
        iflag = true;
        interface_name = optarg;
        break;
      case 'i':
        iflag = true;
        break;
      case 'n':
        nflag = true;
        break;
      case 'p':
        if (FindProto(optarg) == nullptr) {
          tools::Errx(1, std::string(optarg) + ": unknown or uninstrumented protocol");
        }
        proto_name = optarg;
        pflag = true;
        break;
      case 'r':
        rflag = true;
        break;
      case 's':
        ++sflag;
        break;
      case 'u':
        families.assign(1, kAF_LOCAL);
        af = kAF_LOCAL;
        break;
      case 'l':
      case 'v':
        break;  // IPv6 address details and verbosity: nothing to change here
      case 'B':
      case 'd':
      case 'g':
      case 'h':
      case 'L':
      case 'M':
      case 'm':
      case 'N':
      case 'P':
      case 'q':
      case 'S':
      case 't':
      case 'T':
      case 'V':
      case 'w':
      case 'X':
        tools::Errx(1, std::string("-") + char(ch) + ": not supported by this netstat");
      default:
        Usage();
    }
  }
  argc -= optind;
  argv += optind;
  // An interval operand (BSD's old syntax) repeats -i forever: not here.
  if (argc > 0) {
    if (argv[0][0] >= '0' && argv[0][0] <= '9') {
      tools::Errx(1, "an interval: not supported by this netstat");
    }
    Usage();  // no kernel or core files to name
  }

  tools::InitClient("prog init failed");

  if (pflag) {
    const Proto* p = FindProto(proto_name);
    if (p->stats != nullptr) p->stats(p->name);
    return 0;
  }
  if (iflag && !sflag && families.empty() && !unknown_family) {
    Interfaces();
    return 0;
  }
  if (iflag && sflag) {
    // NetBSD's -s -i: the interface lines without their header.
    Interfaces();
    return 0;
  }
  if (rflag) {
    if (sflag) tools::Err(1, rump::abi::kENOENT, "rt_stats: sysctl");
    if (unknown_family) {
      std::printf("Routing tables\n");
      return 0;
    }
    RoutingTables(af);
    return 0;
  }
  if (sflag) {
    AllStats();
    return 0;
  }
  if (!unknown_family) AllConnections();
  return 0;
}
