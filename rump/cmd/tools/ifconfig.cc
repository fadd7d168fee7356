// rump.ifconfig: NetBSD's ifconfig(8) against the rump kernel named by
// RUMP_SERVER (sbin/ifconfig's command syntax, messages and output format,
// written anew for the interfaces this kernel has).
//
//   rump.ifconfig IF create [commands] | IF destroy
//   rump.ifconfig IF [inet] [ADDR[/LEN] [DST|NETMASK] [BRD]] [netmask M]
//                 [broadcast B] [prefixlen N] [alias | -alias | delete]
//                 [up] [down] [mtu N] [metric N] [media none|auto|...]
//                 [linkstr PATH] [-linkstr] [arp | -arp] [debug | -debug]
//                 [link0 | -link0 ...]
//                 [impair [drop P] [duplicate P] [reorder P] [delay D]
//                         [seed N]] [-impair]
//   rump.ifconfig IF inet6 ADDR[%ZONE][/LEN] [prefixlen N]
//                 [alias | -alias | delete] [anycast] [deprecated]
//                 [tentative]
//   rump.ifconfig [-mvz] IF [inet|inet6]     the interface's status
//   rump.ifconfig -a [-bdmsuvz] [inet|inet6] every interface's status
//   rump.ifconfig -l [-bdsu]           the interface names
//   rump.ifconfig -C                   the interface cloners
//   rump.ifconfig -w SECS              waits until no IPv4 address is
//                                      tentative (0: as long as it takes;
//                                      "timed out", exit 1, after SECS)
//
// A new address of an Ethernet interface is tentative while the kernel's
// duplicate address detection probes for it, and so is every address of
// an interface that comes up. Beyond NetBSD, setting an address or "up"
// waits (10 s at most) until detection ends, so that the address is
// usable once rump.ifconfig returns, and warns when another station
// holds it (the address then stays unused; exit 0, as NetBSD's).
//
// Commands run in the order given (flags, mtu, link string at once; media
// and the address last), as NetBSD's do. The status shows the flags line,
// "address:", "linkstr:", "media:"/"status:", with -v the counters and
// (beyond NetBSD) "linkstate: up|down|unknown", then "inet A/L broadcast B
// flags 0x0" lines, then "inet6 A[%IF]/L flags 0x0 [scopeid 0xN]" lines
// (the flags from SIOCGIFAFLAG_IN6, NetBSD 8's form of the line).
// Addresses are read with the NET_RT_IFLIST sysctl, as NetBSD's
// getifaddrs() does. Exit 0, or 1 with NetBSD's messages.
//
// inet6 adds an address beside the others (SIOCAIFADDR_IN6; prefix length
// 64 unless given, lifetimes infinite) or removes one (-alias, delete:
// SIOCDIFADDR_IN6); a link-local address without a zone is on IF. As for
// IPv4, setting an address or "up" waits (10 s at most) until IPv6
// duplicate address detection ends. A kernel without IPv6 is asked
// nothing about it unless an inet6 command is given.
//
// Beyond NetBSD, the lossy-link impairment of the interface's transmitted
// frames (the kernel's net.link.impair.<ifname> sysctl nodes): `impair`
// sets the parameters given and keeps the others; P is a percentage with
// up to four decimals ("1%", "0.5%") or parts per million ("10000ppm");
// D is a delay of at most 10s ("0", "250us", "5ms", "1.5s"); N a 64-bit
// seed, written last, which restarts the decisions. `-impair` sets all
// four parameters to 0 (the seed stays). With -v, an interface whose
// impairment is set shows "impair: drop P duplicate P reorder P delay D
// seed N" and "impaired: N dropped, N duplicated, N reordered, N delayed".
#include <arpa/inet.h>
#include <rump/rump_syscalls.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/in6.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

bool aflag = false, bflag = false, Cflag = false, dflag = false, lflag = false,
     mflag = false, sflag = false, uflag = false, vflag = false, zflag = false;

// ---- bytes

template <typename T>
void Put(uint8_t* buf, size_t off, T v) {
  std::memcpy(buf + off, &v, sizeof(T));
}
template <typename T>
T Get(const uint8_t* buf, size_t off) {
  T v;
  std::memcpy(&v, buf + off, sizeof(T));
  return v;
}

using Ifreq = std::array<uint8_t, abi::kIfreqSize>;

void SetName(uint8_t* buf, const std::string& name) {
  std::memset(buf, 0, abi::kIfNameSize);
  std::memcpy(buf, name.data(), std::min(name.size(), abi::kIfNameSize - 1));
}

// A sockaddr_in as 16 bytes (address in network order).
std::array<uint8_t, 16> SockaddrIn(uint32_t addr_net) {
  std::array<uint8_t, 16> sa{};
  sa[abi::kSinLenOff] = uint8_t(abi::kSockaddrInSize);
  sa[abi::kSinFamilyOff] = uint8_t(abi::kAF_INET);
  std::memcpy(sa.data() + abi::kSinAddrOff, &addr_net, 4);
  return sa;
}

// ---- the socket and ioctls

int g_sock = -1;

int Sock() {
  if (g_sock == -1) {
    g_sock = rump_sys_socket(abi::kAF_INET, abi::kSOCK_DGRAM, 0);
    if (g_sock == -1) tools::Err(1, errno, "main: getsock");
  }
  return g_sock;
}

// 0 or the NetBSD errno.
int Ioctl(uint64_t cmd, void* data) {
  if (rump_sys_ioctl(Sock(), static_cast<unsigned long>(cmd), data) == -1) return errno;
  return 0;
}

int GetFlags(const std::string& ifname, uint32_t* flags) {
  Ifreq ifr{};
  SetName(ifr.data(), ifname);
  if (int e = Ioctl(abi::kSIOCGIFFLAGS, ifr.data()); e != 0) return e;
  *flags = Get<uint16_t>(ifr.data(), abi::kIfrFlagsOff);
  return 0;
}

// ---- getifaddrs() over NET_RT_IFLIST

struct IfAddr {
  std::string name;
  uint32_t flags = 0;  // the interface's
  int family = 0;
  std::vector<uint8_t> addr, netmask, brd;  // raw sockaddrs (may be empty)
};

std::vector<IfAddr> GetIfAddrs() {
  const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0};
  std::vector<uint8_t> buf;
  for (int attempt = 0;; ++attempt) {
    size_t len = 0;
    if (int e = tools::Sysctl(mib, nullptr, &len, nullptr, 0); e != 0) {
      tools::Err(1, e, "getifaddrs");
    }
    buf.assign(len + 1024, 0);
    len = buf.size();
    const int e = tools::Sysctl(mib, buf.data(), &len, nullptr, 0);
    if (e == 0) {
      buf.resize(len);
      break;
    }
    if (e != abi::kENOMEM || attempt > 4) tools::Err(1, e, "getifaddrs");
  }
  std::vector<IfAddr> out;
  struct Known {
    int index;
    std::string name;
    uint32_t flags;
  };
  std::vector<Known> known;
  size_t off = 0;
  while (off + 4 <= buf.size()) {
    const uint16_t msglen = Get<uint16_t>(buf.data(), off);
    if (msglen < 4 || off + msglen > buf.size()) break;
    const uint8_t* m = buf.data() + off;
    const uint8_t type = m[abi::kIfmTypeOff];
    size_t hdr = 0;
    int addrs = 0, index = 0;
    if (type == abi::kRTM_IFINFO && msglen >= abi::kIfMsghdrSize) {
      hdr = abi::kIfMsghdrSize;
      addrs = Get<int32_t>(m, abi::kIfmAddrsOff);
      index = Get<uint16_t>(m, abi::kIfmIndexOff);
    } else if (type == abi::kRTM_NEWADDR && msglen >= abi::kIfaMsghdrSize) {
      hdr = abi::kIfaMsghdrSize;
      addrs = Get<int32_t>(m, abi::kIfamAddrsOff);
      index = Get<uint16_t>(m, abi::kIfamIndexOff);
    } else {
      off += msglen;
      continue;
    }
    std::vector<uint8_t> sas[abi::kRTAX_MAX];
    size_t p = hdr;
    for (int i = 0; i < abi::kRTAX_MAX; ++i) {
      if (!(addrs & (1 << i))) continue;
      if (p >= msglen) break;
      const size_t salen = m[p];
      const size_t take = std::min<size_t>(salen, msglen - p);
      sas[i].assign(m + p, m + p + take);
      p += abi::RtRoundup(salen);
    }
    if (type == abi::kRTM_IFINFO) {
      std::string name;
      const std::vector<uint8_t>& sdl = sas[abi::kRTAX_IFP];
      if (sdl.size() >= abi::kSdlDataOff) {
        const size_t nlen = std::min<size_t>(sdl[abi::kSdlNlenOff], sdl.size() - abi::kSdlDataOff);
        name.assign(reinterpret_cast<const char*>(sdl.data() + abi::kSdlDataOff), nlen);
      }
      known.push_back({index, name, uint32_t(Get<int32_t>(m, abi::kIfmFlagsOff))});
    } else {
      auto it = std::find_if(known.begin(), known.end(),
                             [&](const Known& k) { return k.index == index; });
      const std::vector<uint8_t>& ifa = sas[abi::kRTAX_IFA];
      if (it != known.end() && ifa.size() >= 2) {
        IfAddr a;
        a.name = it->name;
        a.flags = it->flags;
        a.family = ifa[abi::kSaFamilyOff];
        a.addr = ifa;
        a.netmask = sas[abi::kRTAX_NETMASK];
        a.brd = sas[abi::kRTAX_BRD];
        out.push_back(std::move(a));
      }
    }
    off += msglen;
  }
  return out;
}

uint32_t InAddrOf(const std::vector<uint8_t>& sa) {
  uint8_t b[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < 4; ++i) {
    if (abi::kSinAddrOff + i < sa.size()) b[i] = sa[abi::kSinAddrOff + i];
  }
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;  // network order
}

std::string Ntoa(uint32_t net) {
  char buf[INET_ADDRSTRLEN];
  in_addr a;
  a.s_addr = net;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// ---- status

// snprintb(3) with a "\020\1NAME..." style table, given as (bit, name).
std::string Snprintb(uint32_t v, const std::vector<std::pair<int, const char*>>& bits) {
  char head[32];
  std::snprintf(head, sizeof(head), "0x%x", v);
  std::string s = head;
  bool any = false;
  for (const auto& [bit, name] : bits) {
    if (v & (1u << (bit - 1))) {
      s += any ? "," : "<";
      s += name;
      any = true;
    }
  }
  if (any) s += ">";
  return s;
}

const std::vector<std::pair<int, const char*>> kIffBits = {
    {1, "UP"},       {2, "BROADCAST"},  {3, "DEBUG"},    {4, "LOOPBACK"},
    {5, "POINTOPOINT"}, {6, "NOTRAILERS"}, {7, "RUNNING"}, {8, "NOARP"},
    {9, "PROMISC"},  {10, "ALLMULTI"},  {11, "OACTIVE"}, {12, "SIMPLEX"},
    {13, "LINK0"},   {14, "LINK1"},     {15, "LINK2"},   {16, "MULTICAST"}};
const std::vector<std::pair<int, const char*>> kInIffBits = {
    {1, "TENTATIVE"}, {2, "DUPLICATED"}, {3, "DETACHED"}, {4, "TRYTENTATIVE"}};

const char* MediaTypeString(uint32_t word) {
  return (word & abi::kIFM_NMASK) == abi::kIFM_ETHER ? "Ethernet" : "unknown type";
}

const char* MediaSubtypeString(uint32_t word) {
  switch (word & abi::kIFM_TMASK) {
    case abi::kIFM_AUTO:
      return "autoselect";
    case abi::kIFM_MANUAL:
      return "manual";
    case abi::kIFM_NONE:
      return "none";
    default:
      return "unknown subtype";
  }
}

// The subtype for a word given on the command line, or -1.
int MediaSubtype(const std::string& word) {
  if (word == "autoselect" || word == "auto") return int(abi::kIFM_AUTO);
  if (word == "manual") return int(abi::kIFM_MANUAL);
  if (word == "none") return int(abi::kIFM_NONE);
  return -1;
}

std::string LinkStateWord(int state) {
  switch (state) {
    case abi::kLinkStateUp:
      return "up";
    case abi::kLinkStateDown:
      return "down";
    default:
      return "unknown";
  }
}

// The "status:" text for a link state (LINK_STATE_DESCRIPTIONS).
std::string LinkStatus(uint8_t ift, int state) {
  if (state == abi::kLinkStateDown && ift == abi::kIFT_ETHER) return "no carrier";
  if (state == abi::kLinkStateUp) return "active";
  if (state == abi::kLinkStateDown) return "down";
  return "unknown";
}

std::string Plural(uint64_t n, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%" PRIu64 " %s%s", n, unit, n == 1 ? "" : "s");
  return buf;
}

void MediaStatus(const std::string& ifname) {
  uint8_t ifm[abi::kIfmediareqSize] = {};
  SetName(ifm, ifname);
  if (Ioctl(abi::kSIOCGIFMEDIA, ifm) != 0) {
    uint8_t ifdr[abi::kIfdatareqSize] = {};
    SetName(ifdr, ifname);
    if (int e = Ioctl(abi::kSIOCGIFDATA, ifdr); e != 0) tools::Err(1, e, "media_status: SIOCGIFDATA");
    const int state = Get<int32_t>(ifdr, abi::kIfdrDataOff + abi::kIfiLinkStateOff);
    if (state != abi::kLinkStateUnknown) {
      std::printf("\tstatus: %s\n",
                  LinkStatus(ifdr[abi::kIfdrDataOff + abi::kIfiTypeOff], state).c_str());
    }
    return;
  }
  const int count = Get<int32_t>(ifm, abi::kIfmCountOff);
  if (count <= 0) {
    tools::Warnx(ifname + ": no media types?");
    return;
  }
  std::vector<int32_t> list(size_t(std::min(count, 64)));
  Put<int32_t>(ifm, abi::kIfmCountOff, int32_t(list.size()));
  Put<uint64_t>(ifm, abi::kIfmUlistOff, uint64_t(reinterpret_cast<uintptr_t>(list.data())));
  if (int e = Ioctl(abi::kSIOCGIFMEDIA, ifm); e != 0 && e != abi::kE2BIG) {
    tools::Err(1, e, "SIOCGIFMEDIA");
  }
  const uint32_t current = Get<uint32_t>(ifm, abi::kIfmCurrentOff);
  const uint32_t active = Get<uint32_t>(ifm, abi::kIfmActiveOff);
  const uint32_t status = Get<uint32_t>(ifm, abi::kIfmStatusOff);
  std::printf("\tmedia: %s %s", MediaTypeString(current), MediaSubtypeString(current));
  if (active != current) std::printf(" (%s)", MediaSubtypeString(active));
  std::printf("\n");
  if (status & abi::kIFM_AVALID) {
    std::printf("\tstatus: %s\n", (status & abi::kIFM_ACTIVE) ? "active" : "no carrier");
  }
  if (mflag) {
    std::printf("\tsupported %s media:\n", MediaTypeString(current));
    for (int32_t w : list) std::printf("\t\tmedia %s\n", MediaSubtypeString(uint32_t(w)));
  }
}

int PrefixLen(uint32_t mask_net) {
  const uint32_t mask = ntohl(mask_net);
  if (mask == 0) return 0;
  const int cidr = 33 - __builtin_ffs(int(mask));
  if (cidr < 32 && (mask ^ (((1u << cidr) - 1) << (32 - cidr))) != 0) return -1;
  return cidr;
}

// The IN_IFF_* flags of `addr` on `ifname` (errno on failure).
int InetAddrFlags(const std::string& ifname, uint32_t addr_net, int32_t* flags) {
  Ifreq ifr{};
  SetName(ifr.data(), ifname);
  const std::array<uint8_t, 16> sa = SockaddrIn(addr_net);
  std::memcpy(ifr.data() + abi::kIfrAddrOff, sa.data(), sa.size());
  if (int e = Ioctl(abi::kSIOCGIFAFLAG_IN, ifr.data()); e != 0) return e;
  *flags = Get<int32_t>(ifr.data(), abi::kIfrAddrflagsOff);
  return 0;
}

// The poll period of the waits for duplicate address detection (NetBSD's
// ifconfig -w polls too; the kernel has no event for "detection ended"
// that an ioctl client could sleep on).
constexpr useconds_t kDadPollUs = 10000;

// -w secs: waits until no IPv4 address of a running interface is tentative;
// secs 0 waits as long as it takes. Exits 1 ("timed out") when secs pass
// first.
bool AnyInet6Tentative(const std::string& ifname);

[[noreturn]] void WaitForAllDad(long secs) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    bool tentative = false;
    for (const IfAddr& a : GetIfAddrs()) {
      if (a.family != abi::kAF_INET) continue;
      int32_t f = 0;
      // An address of an interface that is not running is detached:
      // its detection waits for the link, not for this.
      if (InetAddrFlags(a.name, InAddrOf(a.addr), &f) == 0 && (f & abi::kIN_IFF_TENTATIVE) &&
          !(f & abi::kIN_IFF_DETACHED)) {
        tentative = true;
      }
    }
    if (!tentative && !AnyInet6Tentative("")) std::exit(0);
    if (secs > 0 && std::chrono::steady_clock::now() - start >= std::chrono::seconds(secs)) {
      tools::Errx(1, "timed out waiting for duplicate address detection");
    }
    usleep(kDadPollUs);
  }
}

// After an address is set: waits (10 s at most) while detection holds it
// tentative, so that the address is usable when rump.ifconfig returns (a
// convenience beyond NetBSD's ifconfig, which returns at once and leaves
// the waiting to -w); warns when another station holds it.
void WaitForAddressDad(const std::string& ifname, uint32_t addr_net) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    int32_t f = 0;
    if (InetAddrFlags(ifname, addr_net, &f) != 0) return;
    if (f & abi::kIN_IFF_DUPLICATED) {
      tools::Warnx(ifname + ": " + Ntoa(addr_net) +
                   ": duplicate address detected (in use by another station); the address "
                   "stays unused");
      return;
    }
    if (!(f & abi::kIN_IFF_TENTATIVE)) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      tools::Warnx(ifname + ": " + Ntoa(addr_net) +
                   ": still tentative (duplicate address detection has not ended)");
      return;
    }
    usleep(kDadPollUs);
  }
}

void InetStatus(const std::string& ifname, const std::vector<IfAddr>& addrs) {
  for (const IfAddr& a : addrs) {
    if (a.name != ifname || a.family != abi::kAF_INET || lflag) continue;
    std::printf("\tinet %s", Ntoa(InAddrOf(a.addr)).c_str());
    const uint32_t mask = InAddrOf(a.netmask);
    const int plen = PrefixLen(mask);
    if (plen >= 0) std::printf("/%d", plen);
    if (a.flags & abi::kIFF_POINTOPOINT) std::printf(" -> %s", Ntoa(InAddrOf(a.brd)).c_str());
    if (plen < 0) std::printf(" netmask %#x", ntohl(mask));
    if (a.flags & abi::kIFF_BROADCAST) std::printf(" broadcast %s", Ntoa(InAddrOf(a.brd)).c_str());
    // The address's flags (tentative, duplicated, detached).
    int32_t aflags = 0;
    if (InetAddrFlags(ifname, InAddrOf(a.addr), &aflags) != 0) aflags = 0;
    std::printf(" flags %s\n", Snprintb(uint32_t(aflags), kInIffBits).c_str());
  }
}

// ---- IPv6 addresses

int g_sock6 = -1;

// The AF_INET6 socket for the *_IN6 ioctls, opened when first needed (a
// kernel without IPv6 never sees it). 0 or the NetBSD errno.
int Ioctl6(uint64_t cmd, void* data) {
  if (g_sock6 == -1) {
    g_sock6 = rump_sys_socket(abi::kAF_INET6, abi::kSOCK_DGRAM, 0);
    if (g_sock6 == -1) return errno;
  }
  if (rump_sys_ioctl(g_sock6, static_cast<unsigned long>(cmd), data) == -1) return errno;
  return 0;
}

// An IPv6 address as the user writes it: 16 bytes and the zone (the
// interface index of a link-local address, 0 for none).
struct Inet6Addr {
  std::array<uint8_t, 16> bytes{};
  uint32_t zone = 0;
};

bool IsLinkLocal6(const std::array<uint8_t, 16>& a) {
  return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] == 0xff && (a[1] & 0x0f) == 0x02);
}

// A sockaddr_in6 from the kernel: the zone may be embedded in bytes 2-3 of
// a link-local address (KAME's form) instead of in sin6_scope_id; both
// give the same Inet6Addr.
Inet6Addr Inet6Of(const std::vector<uint8_t>& sa) {
  Inet6Addr a;
  for (size_t i = 0; i < 16 && abi::kSin6AddrOff + i < sa.size(); ++i) {
    a.bytes[i] = sa[abi::kSin6AddrOff + i];
  }
  if (sa.size() >= abi::kSockaddrIn6Size) a.zone = Get<uint32_t>(sa.data(), abi::kSin6ScopeIdOff);
  if (IsLinkLocal6(a.bytes)) {
    const uint32_t embedded = uint32_t(a.bytes[2]) << 8 | a.bytes[3];
    if (a.zone == 0) a.zone = embedded;
    a.bytes[2] = a.bytes[3] = 0;
  }
  return a;
}

std::array<uint8_t, abi::kSockaddrIn6Size> SockaddrIn6(const Inet6Addr& a) {
  std::array<uint8_t, abi::kSockaddrIn6Size> sa{};
  sa[abi::kSin6LenOff] = uint8_t(abi::kSockaddrIn6Size);
  sa[abi::kSin6FamilyOff] = uint8_t(abi::kAF_INET6);
  std::memcpy(sa.data() + abi::kSin6AddrOff, a.bytes.data(), 16);
  Put<uint32_t>(sa.data(), abi::kSin6ScopeIdOff, a.zone);
  return sa;
}

// The prefix length of a (possibly shortened) netmask sockaddr, or -1 when
// its bits are not contiguous.
int PrefixLen6(const std::vector<uint8_t>& mask) {
  int len = 0;
  bool ended = false;
  for (size_t i = 0; i < 16; ++i) {
    const size_t off = abi::kSin6AddrOff + i;
    const uint8_t b = off < mask.size() ? mask[off] : 0;
    for (int bit = 7; bit >= 0; --bit) {
      if (b & (1 << bit)) {
        if (ended) return -1;
        ++len;
      } else {
        ended = true;
      }
    }
  }
  return len;
}

std::string Ntop6(const Inet6Addr& a, const std::string& zone_name) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
  std::string s = buf;
  if (a.zone != 0) s += "%" + zone_name;
  return s;
}

// The IN6_IFF_* flags of `a` on `ifname` (errno on failure).
int Inet6AddrFlags(const std::string& ifname, const Inet6Addr& a, int32_t* flags) {
  uint8_t ifr[abi::kIn6IfreqSize] = {};
  SetName(ifr, ifname);
  const auto sa = SockaddrIn6(a);
  std::memcpy(ifr + abi::kIn6IfrAddrOff, sa.data(), sa.size());
  if (int e = Ioctl6(abi::kSIOCGIFAFLAG_IN6, ifr); e != 0) return e;
  *flags = Get<int32_t>(ifr, abi::kIn6IfrFlags6Off);
  return 0;
}

const std::vector<std::pair<int, const char*>> kIn6IffBits = {
    {1, "ANYCAST"},    {2, "TENTATIVE"}, {3, "DUPLICATED"}, {4, "DETACHED"},
    {5, "DEPRECATED"}, {6, "NODAD"},     {7, "AUTOCONF"},   {8, "TEMPORARY"}};

// "inet6 ADDR[%IF]/LEN [-> DST] flags 0x..<...> [scopeid 0x..]" lines.
void Inet6Status(const std::string& ifname, const std::vector<IfAddr>& addrs) {
  for (const IfAddr& ia : addrs) {
    if (ia.name != ifname || ia.family != abi::kAF_INET6 || lflag) continue;
    const Inet6Addr a = Inet6Of(ia.addr);
    std::printf("\tinet6 %s", Ntop6(a, ifname).c_str());
    if (const int plen = PrefixLen6(ia.netmask); plen >= 0) std::printf("/%d", plen);
    if ((ia.flags & abi::kIFF_POINTOPOINT) && ia.brd.size() >= abi::kSockaddrIn6Size) {
      std::printf(" -> %s", Ntop6(Inet6Of(ia.brd), ifname).c_str());
    }
    int32_t aflags = 0;
    if (Inet6AddrFlags(ifname, a, &aflags) != 0) aflags = 0;
    std::printf(" flags %s", Snprintb(uint32_t(aflags), kIn6IffBits).c_str());
    if (a.zone != 0) std::printf(" scopeid 0x%x", a.zone);
    std::printf("\n");
  }
}

// Whether some IPv6 address of `ifname` (every interface when empty) is
// still tentative: duplicate address detection has not ended.
bool AnyInet6Tentative(const std::string& ifname) {
  for (const IfAddr& ia : GetIfAddrs()) {
    if (ia.family != abi::kAF_INET6 || (!ifname.empty() && ia.name != ifname)) continue;
    if (!(ia.flags & abi::kIFF_UP)) continue;
    int32_t f = 0;
    if (Inet6AddrFlags(ia.name, Inet6Of(ia.addr), &f) == 0 && (f & abi::kIN6_IFF_TENTATIVE) &&
        !(f & abi::kIN6_IFF_DUPLICATED)) {
      return true;
    }
  }
  return false;
}

// After an IPv6 address is set or the interface comes up: waits (10 s at
// most) while detection holds IPv6 addresses of the interface tentative
// (beyond NetBSD, as for IPv4); warns about a duplicated `a`.
void WaitForInet6Dad(const std::string& ifname, const std::optional<Inet6Addr>& a) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (AnyInet6Tentative(ifname)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      tools::Warnx(ifname + ": IPv6 addresses still tentative (duplicate address detection "
                            "has not ended)");
      return;
    }
    usleep(kDadPollUs);
  }
  int32_t f = 0;
  if (a && Inet6AddrFlags(ifname, *a, &f) == 0 && (f & abi::kIN6_IFF_DUPLICATED)) {
    tools::Warnx(ifname + ": " + Ntop6(*a, ifname) +
                 ": duplicate address detected (in use by another station); the address "
                 "stays unused");
  }
}

void ImpairStatus(const std::string& ifname);

void Status(const std::string& ifname, int family) {
  uint32_t flags = 0;
  if (int e = GetFlags(ifname, &flags); e != 0) tools::Err(1, e, "SIOCGIFFLAGS " + ifname);
  std::printf("%s: flags=%s", ifname.c_str(), Snprintb(flags, kIffBits).c_str());
  Ifreq ifr{};
  SetName(ifr.data(), ifname);
  if (int e = Ioctl(abi::kSIOCGIFMETRIC, ifr.data()); e != 0) {
    tools::Warn(e, "SIOCGIFMETRIC " + ifname);
  } else if (int metric = Get<int32_t>(ifr.data(), abi::kIfrMetricOff); metric != 0) {
    std::printf(" metric %d", metric);
  }
  SetName(ifr.data(), ifname);
  if (Ioctl(abi::kSIOCGIFMTU, ifr.data()) == 0) {
    const int mtu = Get<int32_t>(ifr.data(), abi::kIfrMtuOff);
    if (mtu != 0) std::printf(" mtu %d", mtu);
  }
  std::printf("\n");

  const std::vector<IfAddr> addrs = GetIfAddrs();
  // The link-level address.
  for (const IfAddr& a : addrs) {
    if (a.name != ifname || a.family != abi::kAF_LINK) continue;
    if (a.addr.size() < abi::kSdlDataOff) continue;
    const size_t nlen = a.addr[abi::kSdlNlenOff], alen = a.addr[abi::kSdlAlenOff];
    if (alen == 0 || abi::kSdlDataOff + nlen + alen > a.addr.size()) continue;
    std::string text;
    for (size_t i = 0; i < alen; ++i) {
      char b[4];
      std::snprintf(b, sizeof(b), "%s%02x", i ? ":" : "", a.addr[abi::kSdlDataOff + nlen + i]);
      text += b;
    }
    std::printf("\taddress: %s\n", text.c_str());
  }
  // The link string, where the driver has one.
  {
    uint8_t ifd[abi::kIfdrvSize] = {};
    SetName(ifd, ifname);
    Put<uint64_t>(ifd, abi::kIfdCmdOff, abi::kIFLINKSTR_QUERYLEN);
    if (Ioctl(abi::kSIOCGLINKSTR, ifd) == 0) {
      const uint64_t len = Get<uint64_t>(ifd, abi::kIfdLenOff);
      std::vector<char> str(size_t(std::min<uint64_t>(len, abi::kMaxPathLen)) + 1, '\0');
      Put<uint64_t>(ifd, abi::kIfdCmdOff, 0);
      Put<uint64_t>(ifd, abi::kIfdLenOff, str.size() - 1);
      Put<uint64_t>(ifd, abi::kIfdDataOff, uint64_t(reinterpret_cast<uintptr_t>(str.data())));
      if (int e = Ioctl(abi::kSIOCGLINKSTR, ifd); e != 0) {
        tools::Err(1, e, "failed to query linkstr");
      }
      std::printf("\tlinkstr: %s\n", str.data());
    }
  }
  MediaStatus(ifname);
  if (vflag || zflag) {
    uint8_t ifdr[abi::kIfdatareqSize] = {};
    SetName(ifdr, ifname);
    if (int e = Ioctl(zflag ? abi::kSIOCZIFDATA : abi::kSIOCGIFDATA, ifdr); e != 0) {
      tools::Err(1, e, zflag ? "SIOCZIFDATA" : "SIOCGIFDATA");
    }
    const uint8_t* d = ifdr + abi::kIfdrDataOff;
    auto u64 = [&](size_t off) { return Get<uint64_t>(d, off); };
    std::string in = "\tinput: " + Plural(u64(abi::kIfiIpacketsOff), "packet") + ", " +
                     Plural(u64(abi::kIfiIbytesOff), "byte");
    if (u64(abi::kIfiImcastsOff)) in += ", " + Plural(u64(abi::kIfiImcastsOff), "multicast");
    if (u64(abi::kIfiIerrorsOff)) in += ", " + Plural(u64(abi::kIfiIerrorsOff), "error");
    if (u64(abi::kIfiIqdropsOff)) in += ", " + Plural(u64(abi::kIfiIqdropsOff), "queue drop");
    if (u64(abi::kIfiNoprotoOff)) {
      in += ", " + std::to_string(u64(abi::kIfiNoprotoOff)) + " unknown protocol";
    }
    std::string out = "\toutput: " + Plural(u64(abi::kIfiOpacketsOff), "packet") + ", " +
                      Plural(u64(abi::kIfiObytesOff), "byte");
    if (u64(abi::kIfiOmcastsOff)) out += ", " + Plural(u64(abi::kIfiOmcastsOff), "multicast");
    if (u64(abi::kIfiOerrorsOff)) out += ", " + Plural(u64(abi::kIfiOerrorsOff), "error");
    if (u64(abi::kIfiCollisionsOff)) {
      out += ", " + Plural(u64(abi::kIfiCollisionsOff), "collision");
    }
    std::printf("%s\n%s\n", in.c_str(), out.c_str());
    if (vflag) {
      std::printf("\tlinkstate: %s\n",
                  LinkStateWord(Get<int32_t>(d, abi::kIfiLinkStateOff)).c_str());
      ImpairStatus(ifname);
    }
  }
  if (family == 0 || family == abi::kAF_INET) InetStatus(ifname, addrs);
  if (family == 0 || family == abi::kAF_INET6) Inet6Status(ifname, addrs);
}

// The interface's link state (0 unknown, 1 down, 2 up), for -s.
int LinkState(const std::string& ifname) {
  uint8_t ifdr[abi::kIfdatareqSize] = {};
  SetName(ifdr, ifname);
  if (Ioctl(abi::kSIOCGIFDATA, ifdr) != 0) return abi::kLinkStateUnknown;
  return Get<int32_t>(ifdr, abi::kIfdrDataOff + abi::kIfiLinkStateOff);
}

void PrintAll(const std::optional<std::string>& only, int family) {
  const std::vector<IfAddr> addrs = GetIfAddrs();
  std::vector<std::string> names;
  for (const IfAddr& a : addrs) {
    if (std::find(names.begin(), names.end(), a.name) == names.end()) names.push_back(a.name);
  }
  int idx = 0;
  for (const std::string& name : names) {
    if (only && *only != name) continue;
    uint32_t flags = 0;
    for (const IfAddr& a : addrs) {
      if (a.name == name) flags = a.flags;
    }
    if (bflag && !(flags & abi::kIFF_BROADCAST)) continue;
    if (dflag && (flags & abi::kIFF_UP)) continue;
    if (uflag && !(flags & abi::kIFF_UP)) continue;
    if (sflag && LinkState(name) == abi::kLinkStateDown) continue;
    ++idx;
    if (lflag) {
      std::printf("%s%s", idx > 1 ? " " : "", name.c_str());
      continue;
    }
    Status(name, family);
  }
  if (lflag) std::printf("\n");
}

void ListCloners() {
  uint8_t ifcr[abi::kIfClonereqSize] = {};
  if (int e = Ioctl(abi::kSIOCIFGCLONERS, ifcr); e != 0) {
    tools::Err(1, e, "SIOCIFGCLONERS for count");
  }
  const int total = std::max(0, Get<int32_t>(ifcr, abi::kIfcrTotalOff));
  std::vector<char> buf(size_t(total) * abi::kIfNameSize + 1, '\0');
  Put<int32_t>(ifcr, abi::kIfcrCountOff, total);
  Put<uint64_t>(ifcr, abi::kIfcrBufferOff, uint64_t(reinterpret_cast<uintptr_t>(buf.data())));
  if (int e = Ioctl(abi::kSIOCIFGCLONERS, ifcr); e != 0) {
    tools::Err(1, e, "SIOCIFGCLONERS for names");
  }
  const int n = std::min(total, Get<int32_t>(ifcr, abi::kIfcrTotalOff));
  for (int i = 0; i < n; ++i) {
    std::string name(buf.data() + size_t(i) * abi::kIfNameSize,
                     strnlen(buf.data() + size_t(i) * abi::kIfNameSize, abi::kIfNameSize));
    std::printf("%s%s", i ? " " : "", name.c_str());
  }
  std::printf("\n");
}

// ---- usage

[[noreturn]] void Usage() {
  const char* p = tools::ProgName();
  std::fprintf(stderr,
               "usage: %s [-m] [-v] [-z] interface\n"
               "\t[ af [ address [ dest_addr ] ] [ netmask mask ] [ prefixlen n ]\n"
               "\t\t[ alias | -alias ] ]\n"
               "\t[ anycast | -anycast ] [ deprecated | -deprecated ]\n"
               "\t[ tentative | -tentative ]\n"
               "\t[ up ] [ down ] [ metric n ] [ mtu n ]\n"
               "\t[ media type ]\n"
               "\t[ arp | -arp ]\n"
               "\t[ link0 | -link0 ] [ link1 | -link1 ] [ link2 | -link2 ]\n"
               "\t[ linkstr str | -linkstr ]\n"
               "\t[ impair [ drop %%|ppm ] [ duplicate %%|ppm ] [ reorder %%|ppm ]\n"
               "\t\t[ delay us|ms|s ] [ seed n ] | -impair ]\n"
               "       %s -a [-b] [-d] [-m] [-u] [-v] [-z] [ af ]\n"
               "       %s -l [-b] [-d] [-s] [-u]\n"
               "       %s -w secs\n"
               "       %s -C\n"
               "       %s interface create\n"
               "       %s interface destroy\n",
               p, p, p, p, p, p, p);
  std::exit(1);
}

// ---- the lossy-link impairment (net.link.impair.<ifname>; beyond NetBSD)

constexpr uint32_t kMillion = 1000000;
constexpr uint64_t kMaxDelayUs = 10000000;  // 10 s, the kernel's limit

// The leaves of an interface's impairment node, in the order they are
// written (the seed last: it restarts the decisions).
const char* const kImpairParams[] = {"drop", "duplicate", "reorder", "delay_us", "seed"};

struct ImpairNode {
  std::vector<int> mib;
  std::vector<abi::SysctlNode> leaves;
  // The leaf's MIB, or empty.
  std::vector<int> Leaf(const std::string& name) const {
    for (const abi::SysctlNode& n : leaves) {
      if (name == n.name) {
        std::vector<int> m = mib;
        m.push_back(n.num);
        return m;
      }
    }
    return {};
  }
};

// 0 or a NetBSD errno (ENOENT: the server has no impairment node for it).
int FindImpair(const std::string& ifname, ImpairNode* out) {
  tools::MibInfo info;
  if (int e = tools::ResolveName("net.link.impair." + ifname, &info); e != 0) return e;
  if (tools::NodeType(info.node) != abi::kCtlTypeNode) return abi::kENOTDIR;
  out->mib = info.mib;
  return tools::QueryChildren(info.mib, &out->leaves);
}

// An int or quad leaf as a number; 0 or a NetBSD errno.
int ReadImpair(const ImpairNode& node, const std::string& name, uint64_t* v) {
  const std::vector<int> mib = node.Leaf(name);
  if (mib.empty()) return abi::kENOENT;
  uint8_t buf[8] = {};
  size_t len = sizeof(buf);
  if (int e = tools::Sysctl(mib, buf, &len, nullptr, 0); e != 0) return e;
  *v = len == 4 ? uint64_t(Get<uint32_t>(buf, 0)) : Get<uint64_t>(buf, 0);
  return 0;
}

int WriteImpair(const ImpairNode& node, const std::string& name, uint64_t v) {
  const std::vector<int> mib = node.Leaf(name);
  if (mib.empty()) return abi::kENOENT;
  if (name == "seed") return tools::Sysctl(mib, nullptr, nullptr, &v, sizeof(v));
  const int32_t i = int32_t(v);
  return tools::Sysctl(mib, nullptr, nullptr, &i, sizeof(i));
}

// 10000 -> "1%", 5000 -> "0.5%", 1 -> "0.0001%".
std::string PercentText(uint64_t ppm) {
  std::string s = std::to_string(ppm / 10000);
  if (const uint64_t frac = ppm % 10000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), ".%04u", unsigned(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s + "%";
}

// 5000 -> "5ms", 2000000 -> "2s", 250 -> "250us", 0 -> "0ms".
std::string DelayText(uint64_t us) {
  if (us != 0 && us % 1000000 == 0) return std::to_string(us / 1000000) + "s";
  if (us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

// "DIGITS[.DIGITS]" times 10^scale_digits, exactly: false for anything
// else, for more (non-zero) decimals than that, or for a huge number.
bool ParseScaled(const std::string& s, int scale_digits, uint64_t* out) {
  size_t i = 0;
  uint64_t whole = 0;
  int wdigits = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    if (++wdigits > 12) return false;
    whole = whole * 10 + uint64_t(s[i] - '0');
  }
  if (wdigits == 0) return false;
  uint64_t frac = 0;
  int fdigits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int after = 0;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, ++after) {
      if (fdigits < scale_digits) {
        frac = frac * 10 + uint64_t(s[i] - '0');
        ++fdigits;
      } else if (s[i] != '0') {
        return false;  // finer than the unit
      }
    }
    if (after == 0) return false;
  }
  if (i != s.size()) return false;
  uint64_t scale = 1;
  for (int d = 0; d < scale_digits; ++d) scale *= 10;
  for (int d = fdigits; d < scale_digits; ++d) frac *= 10;
  *out = whole * scale + frac;
  return true;
}

[[noreturn]] void ImpairUsage(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: impair: %s\n", tools::ProgName(), what.c_str());
  Usage();
}

// A probability: "1%", "0.25%", "100%", or "10000ppm". Parts per million.
uint32_t ParseProbability(const std::string& param, const std::string& v) {
  uint64_t ppm = 0;
  bool ok = false;
  if (v.size() > 1 && v.back() == '%') {
    ok = ParseScaled(v.substr(0, v.size() - 1), 4, &ppm);
  } else if (v.size() > 3 && v.compare(v.size() - 3, 3, "ppm") == 0) {
    ok = ParseScaled(v.substr(0, v.size() - 3), 0, &ppm);
  }
  if (!ok || ppm > kMillion) {
    ImpairUsage(param + " '" + v +
                "': want a percentage from 0% to 100% with at most four decimals (1%, "
                "0.5%) or parts per million (10000ppm)");
  }
  return uint32_t(ppm);
}

// A delay: "0", "250us", "5ms", "1.5s" (at most 10s). Microseconds.
uint64_t ParseDelay(const std::string& v) {
  uint64_t us = 0;
  bool ok = false;
  if (v == "0") {
    ok = true;
  } else if (v.size() > 2 && v.compare(v.size() - 2, 2, "us") == 0) {
    ok = ParseScaled(v.substr(0, v.size() - 2), 0, &us);
  } else if (v.size() > 2 && v.compare(v.size() - 2, 2, "ms") == 0) {
    ok = ParseScaled(v.substr(0, v.size() - 2), 3, &us);
  } else if (v.size() > 1 && v.back() == 's') {
    ok = ParseScaled(v.substr(0, v.size() - 1), 6, &us);
  }
  if (!ok || us > kMaxDelayUs) {
    ImpairUsage("delay '" + v + "': want 0 to 10s in us, ms or s (250us, 5ms, 1.5s)");
  }
  return us;
}

uint64_t ParseSeed(const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long q = std::strtoull(v.c_str(), &end, 0);
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])) || *end != '\0' ||
      errno != 0) {
    ImpairUsage("seed '" + v + "': want an unsigned 64-bit number");
  }
  return uint64_t(q);
}

// Sets the parameters in `values` (name -> value; the seed last).
void SetImpairment(const std::string& ifname, const std::vector<std::pair<std::string, uint64_t>>& values) {
  ImpairNode node;
  if (int e = FindImpair(ifname, &node); e != 0) {
    uint32_t flags = 0;
    if (int fe = GetFlags(ifname, &flags); fe != 0) tools::Err(1, fe, "SIOCGIFFLAGS " + ifname);
    tools::Err(1, e, "impair: net.link.impair." + ifname);
  }
  for (const char* param : kImpairParams) {
    for (const auto& [name, v] : values) {
      if (name != param) continue;
      const std::string leaf = "net.link.impair." + ifname + "." + name;
      if (int e = WriteImpair(node, name, v); e != 0) tools::Err(1, e, "impair: " + leaf);
    }
  }
}

// The -v lines, when the interface's impairment is set.
void ImpairStatus(const std::string& ifname) {
  ImpairNode node;
  if (FindImpair(ifname, &node) != 0) return;  // a kernel without it
  uint64_t v[5] = {};
  for (size_t i = 0; i < 5; ++i) {
    if (ReadImpair(node, kImpairParams[i], &v[i]) != 0) return;
  }
  if (v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0) return;
  std::printf("\timpair: drop %s duplicate %s reorder %s delay %s seed %" PRIu64 "\n",
              PercentText(v[0]).c_str(), PercentText(v[1]).c_str(), PercentText(v[2]).c_str(),
              DelayText(v[3]).c_str(), v[4]);
  uint64_t c[4] = {};
  const char* const kCounters[] = {"dropped", "duplicated", "reordered", "delayed"};
  for (size_t i = 0; i < 4; ++i) {
    if (ReadImpair(node, kCounters[i], &c[i]) != 0) return;
  }
  std::printf("\timpaired: %" PRIu64 " dropped, %" PRIu64 " duplicated, %" PRIu64
              " reordered, %" PRIu64 " delayed\n",
              c[0], c[1], c[2], c[3]);
}

// ---- commands

struct Address {
  uint32_t addr = 0;  // network order
  int plen = -1;
};

// ADDR or ADDR/LEN (NetBSD's paddr parser: numeric, inet_aton forms too).
std::optional<Address> ParseAddress(const std::string& arg, bool allow_prefix) {
  std::string a = arg;
  Address out;
  if (allow_prefix) {
    if (const size_t slash = a.rfind('/'); slash != std::string::npos) {
      const std::string p = a.substr(slash + 1);
      a = a.substr(0, slash);
      char* end = nullptr;
      errno = 0;
      const long len = std::strtol(p.c_str(), &end, 10);
      if (p.empty() || *end != '\0' || errno != 0 || len < 0 || len > 32) return std::nullopt;
      out.plen = int(len);
    }
  }
  in_addr in;
  if (inet_aton(a.c_str(), &in) == 0) return std::nullopt;
  out.addr = in.s_addr;
  return out;
}

uint32_t MaskOf(int plen) {
  if (plen == 0 || plen == 32) return 0xffffffffu;  // as prefixlen_to_mask
  return htonl(~uint32_t(0) << (32 - plen));
}

bool ParseInt(const std::string& s, long lo, long hi, long* out);

// An inet6 command's address: ADDR[%ZONE][/LEN].
struct Address6 {
  Inet6Addr addr;
  std::string zone_name;
  int plen = -1;
};

std::optional<Address6> ParseAddress6(const std::string& arg) {
  std::string a = arg;
  Address6 out;
  if (const size_t slash = a.rfind('/'); slash != std::string::npos) {
    long len = 0;
    if (!ParseInt(a.substr(slash + 1), 0, 128, &len)) {
      tools::Errx(1, "bad prefix length in " + arg);
    }
    out.plen = int(len);
    a = a.substr(0, slash);
  }
  if (const size_t pct = a.find('%'); pct != std::string::npos) {
    out.zone_name = a.substr(pct + 1);
    a = a.substr(0, pct);
  }
  if (inet_pton(AF_INET6, a.c_str(), out.addr.bytes.data()) != 1) return std::nullopt;
  return out;
}

struct Commands {
  std::string ifname;
  int family = 0;  // kAF_INET6 after "inet6"
  std::optional<Address6> address6;
  int prefixlen6 = -1;  // "prefixlen N" for inet6
  int flags6 = 0;       // anycast, tentative
  bool deprecated6 = false;
  std::optional<Address> address, dst_or_mask, broadcast, netmask;
  std::optional<bool> alias;  // alias / -alias, delete
  std::optional<uint32_t> media_subtype;
};

using Action = std::function<void()>;

// setifflags: SIOCGIFFLAGS, change, SIOCSIFFLAGS; NetBSD reports a failure
// as the failed exec of the parsed commands.
void SetIfFlags(const std::string& ifname, int value) {
  Ifreq ifr{};
  SetName(ifr.data(), ifname);
  int e = Ioctl(abi::kSIOCGIFFLAGS, ifr.data());
  bool came_up = false;
  if (e == 0) {
    uint16_t f = Get<uint16_t>(ifr.data(), abi::kIfrFlagsOff);
    came_up = value > 0 && (value & abi::kIFF_UP) && !(f & abi::kIFF_UP);
    if (value < 0) {
      f &= uint16_t(~uint32_t(-value));
    } else {
      f |= uint16_t(value);
    }
    Put<uint16_t>(ifr.data(), abi::kIfrFlagsOff, f);
    e = Ioctl(abi::kSIOCSIFFLAGS, ifr.data());
  }
  if (e != 0) tools::Err(1, e, "exec_matches");
  // Coming up starts detection for every address again (NetBSD's
  // in_if_link_up); as after setting an address, wait until they are
  // usable (beyond NetBSD).
  if (came_up) {
    for (const IfAddr& a : GetIfAddrs()) {
      if (a.name != ifname || a.family != abi::kAF_INET) continue;
      int32_t af = 0;
      if (InetAddrFlags(ifname, InAddrOf(a.addr), &af) == 0 && !(af & abi::kIN_IFF_DETACHED)) {
        WaitForAddressDad(ifname, InAddrOf(a.addr));
      }
    }
    WaitForInet6Dad(ifname, std::nullopt);
  }
}

// inet6: SIOCAIFADDR_IN6 adds (beside the interface's other addresses, as
// NetBSD's), -alias/delete removes with SIOCDIFADDR_IN6. The prefix length
// is ADDR/LEN, "prefixlen N" or 64; lifetimes are infinite (the preferred
// one 0 with "deprecated").
void CommitAddress6(const Commands& c) {
  if (!c.address6) {
    if (c.alias.has_value() && !*c.alias) tools::Errx(1, "inet6 delete needs an address");
    return;
  }
  Inet6Addr a = c.address6->addr;
  if (!c.address6->zone_name.empty() || IsLinkLocal6(a.bytes)) {
    std::vector<tools::InterfaceIndex> ifs;
    if (int e = tools::InterfaceIndexes(&ifs); e != 0) tools::Err(1, e, "getifaddrs");
    const std::string zone = c.address6->zone_name.empty() ? c.ifname : c.address6->zone_name;
    for (const auto& i : ifs) {
      if (i.name == zone) a.zone = uint32_t(i.index);
    }
    if (a.zone == 0) tools::Errx(1, zone + ": no such interface");
  }
  const auto sa = SockaddrIn6(a);
  if (c.alias.has_value() && !*c.alias) {
    uint8_t ifr[abi::kIn6IfreqSize] = {};
    SetName(ifr, c.ifname);
    std::memcpy(ifr + abi::kIn6IfrAddrOff, sa.data(), sa.size());
    if (int e = Ioctl6(abi::kSIOCDIFADDR_IN6, ifr); e != 0) tools::Err(1, e, "SIOCDIFADDR_IN6");
    return;
  }
  const int plen = c.prefixlen6 >= 0 ? c.prefixlen6 : (c.address6->plen >= 0 ? c.address6->plen : 64);
  uint8_t ifra[abi::kIn6AliasreqSize] = {};
  SetName(ifra, c.ifname);
  std::memcpy(ifra + abi::kIfra6AddrOff, sa.data(), sa.size());
  uint8_t* mask = ifra + abi::kIfra6PrefixmaskOff;
  mask[abi::kSin6LenOff] = uint8_t(abi::kSockaddrIn6Size);
  mask[abi::kSin6FamilyOff] = uint8_t(abi::kAF_INET6);
  for (int i = 0; i < plen; ++i) mask[abi::kSin6AddrOff + size_t(i / 8)] |= uint8_t(0x80 >> (i % 8));
  Put<int32_t>(ifra, abi::kIfra6FlagsOff, c.flags6);
  uint8_t* lifetime = ifra + abi::kIfra6LifetimeOff;
  Put<uint32_t>(lifetime, abi::kIa6tVltimeOff, abi::kND6_INFINITE_LIFETIME);
  Put<uint32_t>(lifetime, abi::kIa6tPltimeOff, c.deprecated6 ? 0 : abi::kND6_INFINITE_LIFETIME);
  if (int e = Ioctl6(abi::kSIOCAIFADDR_IN6, ifra); e != 0) tools::Err(1, e, "SIOCAIFADDR_IN6");
  // An anycast address has no detection; a tentative one was asked for.
  uint32_t flags = 0;
  if ((c.flags6 & (abi::kIN6_IFF_ANYCAST | abi::kIN6_IFF_TENTATIVE)) == 0 &&
      GetFlags(c.ifname, &flags) == 0 && (flags & abi::kIFF_UP)) {
    WaitForInet6Dad(c.ifname, a);
  }
}

void CommitAddress(const Commands& c) {
  if (c.family == abi::kAF_INET6) {
    CommitAddress6(c);
    return;
  }
  Ifreq ridreq{};
  SetName(ridreq.data(), c.ifname);
  if (!c.address) {
    // "delete" alone removes the first address.
    if (!c.alias.has_value() || *c.alias) return;
    if (int e = Ioctl(abi::kSIOCGIFADDR, ridreq.data()); e != 0) tools::Err(1, e, "SIOCGIFADDR");
    if (int e = Ioctl(abi::kSIOCDIFADDR, ridreq.data()); e != 0) tools::Err(1, e, "SIOCDIFADDR");
    return;
  }
  uint32_t flags = 0;
  if (int e = GetFlags(c.ifname, &flags); e != 0) tools::Err(1, e, "commit_address: getifflags");
  const bool replace = !c.alias.has_value();
  const bool del = c.alias.has_value() && !*c.alias;

  uint8_t ifra[abi::kIfaliasreqSize] = {};
  SetName(ifra, c.ifname);
  const std::array<uint8_t, 16> addr = SockaddrIn(c.address->addr);
  std::memcpy(ifra + abi::kIfraAddrOff, addr.data(), addr.size());
  // The netmask: ADDR/LEN, then "netmask M" or the second address on a
  // broadcast interface.
  std::optional<uint32_t> mask;
  if (c.address->plen >= 0) mask = MaskOf(c.address->plen);
  std::optional<Address> second = c.netmask ? c.netmask : c.dst_or_mask;
  if (second) mask = second->addr;
  const uint32_t bp = flags & (abi::kIFF_BROADCAST | abi::kIFF_POINTOPOINT);
  if (bp == (abi::kIFF_BROADCAST | abi::kIFF_POINTOPOINT)) {
    tools::Errx(1, "unsupported interface flags");
  }
  if (bp == abi::kIFF_POINTOPOINT && c.broadcast) {
    tools::Errx(1, c.ifname + " is not a broadcast interface");
  }
  if (bp == abi::kIFF_BROADCAST && c.broadcast) {
    const std::array<uint8_t, 16> b = SockaddrIn(c.broadcast->addr);
    std::memcpy(ifra + abi::kIfraBroadaddrOff, b.data(), b.size());
  }
  if (bp == abi::kIFF_POINTOPOINT && c.dst_or_mask) {
    const std::array<uint8_t, 16> d = SockaddrIn(c.dst_or_mask->addr);
    std::memcpy(ifra + abi::kIfraBroadaddrOff, d.data(), d.size());
    mask = c.netmask ? std::optional<uint32_t>(c.netmask->addr) :
                       (c.address->plen >= 0 ? std::optional<uint32_t>(MaskOf(c.address->plen))
                                             : std::nullopt);
  }
  if (mask) {
    std::array<uint8_t, 16> m = SockaddrIn(*mask);
    std::memcpy(ifra + abi::kIfraMaskOff, m.data(), m.size());
  }
  if (replace) {
    if (int e = Ioctl(abi::kSIOCGIFADDR, ridreq.data()); e == 0) {
      if (int e2 = Ioctl(abi::kSIOCDIFADDR, ridreq.data()); e2 != 0) {
        tools::Err(1, e2, "SIOCDIFADDR");
      }
    } else if (e != abi::kEADDRNOTAVAIL) {
      tools::Err(1, e, "SIOCGIFADDR");
    }
  } else if (del) {
    std::memcpy(ridreq.data() + abi::kIfrAddrOff, addr.data(), addr.size());
    if (int e = Ioctl(abi::kSIOCDIFADDR, ridreq.data()); e != 0) tools::Err(1, e, "SIOCDIFADDR");
    return;
  }
  if (int e = Ioctl(abi::kSIOCAIFADDR, ifra); e != 0) tools::Err(1, e, "SIOCAIFADDR");
  // An address of an interface that is not running stays tentative until
  // it runs: nothing to wait for now.
  int32_t f = 0;
  if (InetAddrFlags(c.ifname, c.address->addr, &f) == 0 && !(f & abi::kIN_IFF_DETACHED)) {
    WaitForAddressDad(c.ifname, c.address->addr);
  }
}

bool IsFlagWord(const std::string& w, int* value) {
  struct {
    const char* word;
    int value;
  } const kWords[] = {
      {"up", int(abi::kIFF_UP)},        {"down", -int(abi::kIFF_UP)},
      {"arp", -int(abi::kIFF_NOARP)},   {"-arp", int(abi::kIFF_NOARP)},
      {"debug", int(abi::kIFF_DEBUG)},  {"-debug", -int(abi::kIFF_DEBUG)},
      {"link0", int(abi::kIFF_LINK0)},  {"-link0", -int(abi::kIFF_LINK0)},
      {"link1", int(abi::kIFF_LINK1)},  {"-link1", -int(abi::kIFF_LINK1)},
      {"link2", int(abi::kIFF_LINK2)},  {"-link2", -int(abi::kIFF_LINK2)},
  };
  for (const auto& k : kWords) {
    if (w == k.word) {
      *value = k.value;
      return true;
    }
  }
  return false;
}

bool ParseInt(const std::string& s, long lo, long hi, long* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// The parsed commands: what runs in order, then media and the address.
struct Parsed {
  Commands c;
  std::vector<Action> actions;
  bool media_given = false;
};

// Parses the commands after the interface (and family). Bad syntax prints
// usage, before anything is done (and before connecting), as NetBSD's.
void ParseCommands(const std::string& ifname, const std::vector<std::string>& args,
                   Parsed* parsed) {
  Commands& c = parsed->c;
  c.ifname = ifname;
  std::vector<Action>& actions = parsed->actions;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    auto next = [&]() -> const std::string& {
      if (i + 1 >= args.size()) Usage();
      return args[++i];
    };
    int flagval = 0;
    long n = 0;
    if (IsFlagWord(w, &flagval)) {
      actions.push_back([ifname, flagval] { SetIfFlags(ifname, flagval); });
    } else if (w == "mtu" || w == "metric") {
      if (!ParseInt(next(), INT32_MIN, INT32_MAX, &n)) Usage();
      const bool mtu = w == "mtu";
      actions.push_back([ifname, n, mtu] {
        Ifreq ifr{};
        SetName(ifr.data(), ifname);
        Put<int32_t>(ifr.data(), mtu ? abi::kIfrMtuOff : abi::kIfrMetricOff, int32_t(n));
        if (int e = Ioctl(mtu ? abi::kSIOCSIFMTU : abi::kSIOCSIFMETRIC, ifr.data()); e != 0) {
          tools::Warn(e, mtu ? "SIOCSIFMTU" : "SIOCSIFMETRIC");
        }
      });
    } else if (w == "linkstr") {
      const std::string path = next();
      if (path.size() >= 128) Usage();  // NetBSD's pstr buffer
      actions.push_back([ifname, path] {
        uint8_t ifd[abi::kIfdrvSize] = {};
        SetName(ifd, ifname);
        Put<uint64_t>(ifd, abi::kIfdCmdOff, 0);
        Put<uint64_t>(ifd, abi::kIfdLenOff, path.size() + 1);
        Put<uint64_t>(ifd, abi::kIfdDataOff, uint64_t(reinterpret_cast<uintptr_t>(path.c_str())));
        if (int e = Ioctl(abi::kSIOCSLINKSTR, ifd); e != 0) tools::Err(1, e, "SIOCSLINKSTR");
      });
    } else if (w == "-linkstr") {
      actions.push_back([ifname] {
        uint8_t ifd[abi::kIfdrvSize] = {};
        SetName(ifd, ifname);
        Put<uint64_t>(ifd, abi::kIfdCmdOff, abi::kIFLINKSTR_UNSET);
        if (int e = Ioctl(abi::kSIOCSLINKSTR, ifd); e != 0) tools::Err(1, e, "SIOCSLINKSTR");
      });
    } else if (w == "media") {
      if (c.media_subtype) Usage();
      const std::string m = next();
      actions.push_back([&c, ifname, m] {
        // init_current_media, then the new word (applied after the others).
        uint8_t ifm[abi::kIfmediareqSize] = {};
        SetName(ifm, ifname);
        if (int e = Ioctl(abi::kSIOCGIFMEDIA, ifm); e != 0 && e != abi::kE2BIG) {
          tools::Err(1, e, "SIOCGIFMEDIA");
        }
        const uint32_t current = Get<uint32_t>(ifm, abi::kIfmCurrentOff);
        if ((current & abi::kIFM_NMASK) == 0) tools::Errx(1, ifname + ": no link type?");
        const int sub = MediaSubtype(m);
        if (sub < 0) {
          tools::Errx(1, std::string("unknown ") + MediaTypeString(current) +
                             " media subtype: " + m);
        }
        c.media_subtype = (current & abi::kIFM_NMASK) | uint32_t(sub);
      });
      c.media_subtype = 0;  // "given"; the value is set when it runs
    } else if (c.family == abi::kAF_INET6 && (w == "anycast" || w == "-anycast" ||
                                               w == "tentative" || w == "-tentative" ||
                                               w == "deprecated" || w == "-deprecated")) {
      if (w == "anycast") c.flags6 |= abi::kIN6_IFF_ANYCAST;
      if (w == "tentative") c.flags6 |= abi::kIN6_IFF_TENTATIVE;
      if (w == "deprecated") c.deprecated6 = true;
      if (w == "-anycast") c.flags6 &= ~abi::kIN6_IFF_ANYCAST;
      if (w == "-tentative") c.flags6 &= ~abi::kIN6_IFF_TENTATIVE;
      if (w == "-deprecated") c.deprecated6 = false;
    } else if (c.family == abi::kAF_INET6 && w == "prefixlen") {
      if (!ParseInt(next(), 0, 128, &n)) Usage();
      c.prefixlen6 = int(n);
    } else if (c.family == abi::kAF_INET6 && (w == "netmask" || w == "broadcast")) {
      Usage();
    } else if (w == "alias") {
      c.alias = true;
    } else if (w == "-alias" || w == "delete") {
      c.alias = false;
    } else if (w == "netmask") {
      c.netmask = ParseAddress(next(), false);
      if (!c.netmask) Usage();
    } else if (w == "broadcast") {
      c.broadcast = ParseAddress(next(), false);
      if (!c.broadcast) Usage();
    } else if (w == "prefixlen") {
      if (!ParseInt(next(), 0, 32, &n)) Usage();
      c.netmask = Address{MaskOf(int(n)), -1};
    } else if (w == "impair") {
      // Pairs of parameter and value, at least one.
      std::vector<std::pair<std::string, uint64_t>> values;
      auto given = [&](const std::string& name) {
        for (const auto& v : values) {
          if (v.first == name) return true;
        }
        return false;
      };
      while (i + 1 < args.size()) {
        const std::string& p = args[i + 1];
        if (p != "drop" && p != "duplicate" && p != "reorder" && p != "delay" && p != "seed") {
          break;
        }
        ++i;
        if (i + 1 >= args.size()) ImpairUsage(p + ": missing value");
        const std::string& v = args[++i];
        const std::string leaf = p == "delay" ? "delay_us" : p;
        if (given(leaf)) ImpairUsage(p + " given twice");
        if (p == "delay") {
          values.emplace_back(leaf, ParseDelay(v));
        } else if (p == "seed") {
          values.emplace_back(leaf, ParseSeed(v));
        } else {
          values.emplace_back(leaf, ParseProbability(p, v));
        }
      }
      if (values.empty()) {
        ImpairUsage("want one or more of drop P, duplicate P, reorder P, delay D, seed N");
      }
      actions.push_back([ifname, values] { SetImpairment(ifname, values); });
    } else if (w == "-impair") {
      actions.push_back([ifname] {
        SetImpairment(ifname, {{"drop", 0}, {"duplicate", 0}, {"reorder", 0}, {"delay_us", 0}});
      });
    } else if (w == "create" || w == "destroy") {
      Usage();  // only right after the interface name
    } else if (c.family == abi::kAF_INET6) {
      if (c.address6) Usage();  // no destination addresses here
      c.address6 = ParseAddress6(w);
      if (!c.address6) Usage();
    } else if (!c.address) {
      c.address = ParseAddress(w, true);
      if (!c.address) Usage();
    } else if (!c.dst_or_mask) {
      c.dst_or_mask = ParseAddress(w, false);
      if (!c.dst_or_mask) Usage();
    } else if (!c.broadcast) {
      c.broadcast = ParseAddress(w, false);
      if (!c.broadcast) Usage();
    } else {
      Usage();
    }
  }
  parsed->media_given = c.media_subtype.has_value();
  c.media_subtype.reset();
}

// Runs them in NetBSD's order.
void RunCommands(Parsed& p) {
  Commands& c = p.c;
  const std::string& ifname = c.ifname;
  for (const Action& a : p.actions) a();
  if (p.media_given && c.media_subtype) {
    Ifreq ifr{};
    SetName(ifr.data(), ifname);
    Put<int32_t>(ifr.data(), abi::kIfrMediaOff, int32_t(*c.media_subtype));
    if (int e = Ioctl(abi::kSIOCSIFMEDIA, ifr.data()); e != 0) tools::Err(1, e, "SIOCSIFMEDIA");
  }
  CommitAddress(c);
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  const bool noargs = argc == 1;
  int ch;
  std::optional<long> wait_secs;
  while ((ch = tools::GetOpt(argc, argv, "abCdlmsuvw:z")) != -1) {
    switch (ch) {
      case 'w': {
        long n = 0;
        if (!ParseInt(optarg, 0, INT32_MAX, &n)) Usage();
        wait_secs = n;
        break;
      }
      case 'a': aflag = true; break;
      case 'b': bflag = true; break;
      case 'C': Cflag = true; break;
      case 'd': dflag = true; break;
      case 'l': lflag = true; break;
      case 'm': mflag = true; break;
      case 's': sflag = true; break;
      case 'u': uflag = true; break;
      case 'v': vflag = true; break;
      case 'z': zflag = true; break;
      default: Usage();
    }
  }
  std::vector<std::string> args(argv + optind, argv + argc);
  if (wait_secs) {
    // -w secs stands alone, as in NetBSD's usage.
    if (!args.empty() || aflag || bflag || Cflag || dflag || lflag || mflag || sflag ||
        uflag || vflag || zflag) {
      Usage();
    }
    tools::InitClient("rump client init");
    WaitForAllDad(*wait_secs);
  }
  if (noargs) aflag = true;
  if ((lflag || Cflag) && (aflag || mflag || vflag || zflag)) Usage();
  if (lflag && Cflag) Usage();

  // Syntax first, as NetBSD parses before it connects.
  int family = 0;
  if (Cflag || lflag) {
    if (!args.empty()) Usage();
  } else if (aflag) {
    if (args.size() > 1) Usage();
    if (args.size() == 1) {
      if (args[0] == "inet") {
        family = rump::abi::kAF_INET;
      } else if (args[0] == "inet6") {
        family = rump::abi::kAF_INET6;
      } else {
        Usage();
      }
    }
  } else {
    if (args.empty()) Usage();
    if (args[0].size() > rump::abi::kIfNameSize) Usage();
    if (args.size() >= 2 && args[1] == "destroy" && args.size() != 2) Usage();
  }

  // Parse the commands before connecting.
  std::string ifname;
  bool create = false, destroy = false, status_only = false;
  Parsed parsed;
  if (!Cflag && !lflag && !aflag) {
    ifname = args[0];
    args.erase(args.begin());
    if (!args.empty() && (args[0] == "create" || args[0] == "destroy")) {
      (args[0] == "create" ? create : destroy) = true;
      args.erase(args.begin());
    }
    if (!args.empty() && (args[0] == "inet" || args[0] == "inet6")) {
      family = args[0] == "inet" ? rump::abi::kAF_INET : rump::abi::kAF_INET6;
      args.erase(args.begin());
    }
    parsed.c.family = family;
    status_only = args.empty() && !create && !destroy;
    ParseCommands(ifname, args, &parsed);
  }

  tools::InitClient("rump client init");

  if (Cflag) {
    ListCloners();
    return 0;
  }
  if (lflag || aflag) {
    PrintAll(std::nullopt, family);
    return 0;
  }
  if (create || destroy) {
    Ifreq ifr{};
    SetName(ifr.data(), ifname);
    if (int e = Ioctl(create ? rump::abi::kSIOCIFCREATE : rump::abi::kSIOCIFDESTROY, ifr.data());
        e != 0) {
      tools::Warn(e, "clone_command");
      tools::Err(1, e, "exec_matches");
    }
    if (destroy) return 0;
  }
  if (status_only) {
    uint32_t flags = 0;
    if (int e = GetFlags(ifname, &flags); e != 0) tools::Err(1, e, "SIOCGIFFLAGS " + ifname);
    Status(ifname, family);
    return 0;
  }
  RunCommands(parsed);
  return 0;
}
