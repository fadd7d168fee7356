// rump.route: NetBSD's route(8) against the rump kernel named by
// RUMP_SERVER (sbin/route's command syntax, messages, output and exit
// status as NetBSD 7.99.34's, written anew for IPv4).
//
//   rump.route [-dfLnqSsTtv] show [-inet | -inet6 | -atalk | -mpls] [-host]
//   rump.route [-dfLnqSsTtv] flush [-inet | -link | ...] [-host]
//   rump.route [-dfLnqSsTtv] flushall ...
//   rump.route [-dfLnqSsTtv] add|change|delete|get [-net | -host]
//              DEST [GATEWAY [NETMASK]] [-netmask M] [-prefixlen N]
//              [-interface | -iface] [-ifp IF] [-ifa A] [-gateway G]
//              [-dst D] [-genmask M] [-static | -nostatic] [-reject ...]
//              [-mtu N ...] [-lock | -lockrest]
//   rump.route [-d] monitor [-c count]
//
// DEST is "default", an IPv4 address (a host when its host part is not
// zero, else a network with its class's mask), or ADDR/LEN. The requests
// are rt_msghdr version 4 messages written to a PF_ROUTE socket; "get"
// reads the answer carrying our pid and sequence number. "show" and
// "flush" read the table with the net.route NET_RT_DUMP sysctl; "flush"
// writes each gateway or static route back as RTM_DELETE. "monitor"
// prints each message the routing socket receives ("got message of size
// N on DATE" and the decoded message).
//
// Names are not resolved: NetBSD's route, run as a remote client, reads
// /etc/hosts and asks DNS through the rump kernel, which has no files, so
// it prints numbers too. Beyond NetBSD 7, "monitor -c N" stops after N
// messages (NetBSD 8's syntax).
#include <arpa/inet.h>
#include <poll.h>
#include <rump/rump_syscalls.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in6.h"
#include "rump/abi/poll.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

// ---- options

bool debugonly = false, doflush = false, nflag = false, qflag = false, shortoutput = false,
     Tflag = false, tflag = false, verbose = false;

int g_sock = -1;
int g_pid = 0;

constexpr char kOpts[] = "dfLnqSsTtv";

[[noreturn]] void Usage(const char* botched) {
  if (botched != nullptr) tools::Warnx(std::string("botched keyword: ") + botched);
  std::fflush(stdout);
  std::fprintf(stderr, "Usage: %s [-%s] cmd [[-<qualifers>] args]\n", tools::ProgName(), kOpts);
  std::exit(1);
}

// ---- bytes

template <typename T>
T Get(const uint8_t* p, size_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof(T));
  return v;
}
template <typename T>
void Put(uint8_t* p, size_t off, T v) {
  std::memcpy(p + off, &v, sizeof(T));
}

// A sockaddr as found in a message: its bytes up to the next one (sa_len
// rounded up, as far as the message goes), so that a reader looking past
// sa_len sees the padding, as NetBSD's does. At least 2 bytes.
struct Sa {
  std::vector<uint8_t> b;
  size_t len() const { return b[0]; }
  int family() const { return b[1]; }
  uint8_t at(size_t i) const { return i < b.size() ? b[i] : 0; }
};

// The sockaddrs of a message's `addrs` bits, from `p` to `end`.
std::array<std::optional<Sa>, abi::kRTAX_MAX> ExtractAddrs(const uint8_t* p, const uint8_t* end,
                                                           int addrs) {
  std::array<std::optional<Sa>, abi::kRTAX_MAX> sa;
  for (int i = 0; i < abi::kRTAX_MAX; ++i) {
    if ((addrs & (1 << i)) == 0) continue;
    if (p >= end) break;
    const size_t step = abi::RtRoundup(*p);
    const size_t take = std::min<size_t>(std::max<size_t>(step, 2), size_t(end - p));
    Sa s;
    s.b.assign(p, p + take);
    if (s.b.size() < 2) s.b.resize(2, 0);
    sa[size_t(i)] = std::move(s);
    p += std::min<size_t>(step, size_t(end - p));
  }
  return sa;
}

// ---- names of things

std::string InetNtoa(uint32_t net_order) {
  char buf[INET_ADDRSTRLEN];
  in_addr a;
  a.s_addr = net_order;
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// sin_addr of a sockaddr_in (what lies there, whatever sa_len says).
uint32_t SinAddr(const Sa& sa) {
  uint8_t b[4];
  for (size_t i = 0; i < 4; ++i) b[i] = sa.at(abi::kSinAddrOff + i);
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

// sin_addr as far as sa_len goes, zero beyond (a netmask copied by length).
uint32_t SinAddrByLen(const Sa& sa) {
  uint8_t b[4] = {};
  for (size_t i = 0; i < 4 && abi::kSinAddrOff + i < sa.len(); ++i) {
    b[i] = sa.at(abi::kSinAddrOff + i);
  }
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

constexpr char kHex[] = "0123456789abcdef";

// "Q" and the sa_data bytes in hex, dot-separated (at least one byte).
std::string AnyNtoa(const Sa& sa) {
  std::string out = "Q";
  int len = int(sa.len()) - 2;
  size_t i = 2;
  do {
    const uint8_t c = sa.at(i++);
    out += kHex[c >> 4];
    out += kHex[c & 15];
    out += '.';
  } while (--len > 0 && out.size() + 3 < 239);
  out.pop_back();
  return out;
}

// The name, then ':' and the address bytes in hex without leading zeros,
// dot-separated (NetBSD's link_ntoa).
std::string LinkNtoa(const Sa& sa) {
  const size_t nlen = sa.at(abi::kSdlNlenOff), alen = sa.at(abi::kSdlAlenOff);
  std::string out;
  for (size_t i = 0; i < nlen; ++i) out += char(sa.at(abi::kSdlDataOff + i));
  if (nlen != 0 && alen != 0) out += ':';
  for (size_t i = 0; i < alen; ++i) {
    if (i != 0) out += '.';
    const uint8_t c = sa.at(abi::kSdlDataOff + nlen + i);
    if (c > 0xf) out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// A link-level sockaddr: "link#N" when bare, an Ethernet address, or
// link_ntoa's form.
std::string LinkPrint(const Sa& sa) {
  const size_t nlen = sa.at(abi::kSdlNlenOff);
  if (nlen == 0 && sa.at(abi::kSdlAlenOff) == 0 && sa.at(abi::kSdlSlenOff) == 0) {
    return "link#" + std::to_string(sa.at(abi::kSdlIndexOff) | sa.at(abi::kSdlIndexOff + 1) << 8);
  }
  if (sa.at(abi::kSdlTypeOff) == abi::kIFT_ETHER) {
    char buf[32];
    const size_t o = abi::kSdlDataOff + nlen;
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", sa.at(o), sa.at(o + 1),
                  sa.at(o + 2), sa.at(o + 3), sa.at(o + 4), sa.at(o + 5));
    return buf;
  }
  return LinkNtoa(sa);
}

std::string IfIndexToName(int index);

// An IPv6 address of a (possibly shortened) sockaddr_in6; a link-local
// unicast or multicast one may carry its zone in bytes 2-3 (the kernel's
// embedded form): cleared here, and returned in `zone`.
std::array<uint8_t, 16> Inet6Bytes(const Sa& sa, int* zone) {
  std::array<uint8_t, 16> a{};
  for (size_t i = 0; i < 16 && abi::kSin6AddrOff + i < sa.len(); ++i) {
    a[i] = sa.at(abi::kSin6AddrOff + i);
  }
  *zone = 0;
  if ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (a[0] == 0xff && (a[1] & 0x0f) == 0x02)) {
    *zone = a[2] << 8 | a[3];
    a[2] = a[3] = 0;
  }
  return a;
}

std::string Inet6Ntop(const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  return buf;
}

// A network: "ADDR[%IF]/LEN" (no "/128"), "default" for ::/0.
std::string Netname6(const Sa& sa, const Sa* mask) {
  int zone = 0, mask_zone = 0;
  std::array<uint8_t, 16> a = Inet6Bytes(sa, &zone);
  int plen = 128;
  if (mask != nullptr) {
    const std::array<uint8_t, 16> m = Inet6Bytes(*mask, &mask_zone);
    plen = 0;
    if (mask->len() > abi::kSin6AddrOff) {
      while (plen < 128 && (m[size_t(plen / 8)] & (0x80 >> (plen % 8)))) ++plen;
    }
  }
  for (int i = plen; i < 128; ++i) a[size_t(i / 8)] &= uint8_t(~(0x80 >> (i % 8)));
  bool zero = true;
  for (uint8_t b : a) zero = zero && b == 0;
  if (plen == 0 && zero) return "default";
  std::string s = Inet6Ntop(a);
  if (zone != 0) s += "%" + IfIndexToName(zone);
  if (plen != 128) s += "/" + std::to_string(plen);
  return s;
}

std::string Routename4(uint32_t net_order) {
  if (net_order == 0) return "default";
  return InetNtoa(net_order);
}

// NetBSD's routename (numeric: see the top of the file).
std::string Routename(const Sa& sa) {
  if (sa.len() == 0) return "default";
  switch (sa.family()) {
    case abi::kAF_INET:
      return Routename4(SinAddr(sa));
    case abi::kAF_LINK:
      return LinkPrint(sa);
    case abi::kAF_INET6: {
      // Hosts and gateways without their zone, as NetBSD 7's route prints them.
      int zone = 0;
      return Inet6Ntop(Inet6Bytes(sa, &zone));
    }
    default:
      return "(" + std::to_string(sa.family()) + ") " + AnyNtoa(sa);
  }
}

// A network's name: "default", or the bytes its mask covers and the
// mask's length ("10.7.0/24"); without a mask, "/0".
std::string Netname4(const Sa& sa, const Sa* mask) {
  int mbits = 0;
  if (mask != nullptr) {
    const uint32_t m = ntohl(SinAddr(*mask));
    mbits = m != 0 ? 33 - __builtin_ffs(int(m)) : 0;
  }
  const uint32_t in = ntohl(SinAddr(sa));
  if (in == 0 && mbits == 0) return "default";
  char buf[32];
  auto c = [&](int shift) { return unsigned((in >> shift) & 0xff); };
  if (mbits < 9) {
    std::snprintf(buf, sizeof buf, "%u/%d", c(24), mbits);
  } else if (mbits < 17) {
    std::snprintf(buf, sizeof buf, "%u.%u/%d", c(24), c(16), mbits);
  } else if (mbits < 25) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u/%d", c(24), c(16), c(8), mbits);
  } else {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%d", c(24), c(16), c(8), c(0), mbits);
  }
  return buf;
}

std::string Netname(const Sa& sa, const Sa* mask) {
  switch (sa.family()) {
    case abi::kAF_INET:
      return Netname4(sa, mask);
    case abi::kAF_LINK:
      return LinkPrint(sa);
    case abi::kAF_INET6:
      return Netname6(sa, mask);
    default:
      return "af " + std::to_string(sa.family()) + ": " + AnyNtoa(sa);
  }
}

// A netmask in a message, read as a sockaddr of family `family`.
std::string NetmaskString(const Sa& mask, int family) {
  if (family == abi::kAF_INET) return InetNtoa(SinAddrByLen(mask));
  return AnyNtoa(mask);
}

// ---- flag names, in the order route(8) prints them

struct BitName {
  int bit;
  const char* name;
};

constexpr BitName kRouteFlags[] = {
    {abi::kRTF_UP, "UP"},           {abi::kRTF_GATEWAY, "GATEWAY"},
    {abi::kRTF_HOST, "HOST"},       {abi::kRTF_REJECT, "REJECT"},
    {abi::kRTF_DYNAMIC, "DYNAMIC"}, {abi::kRTF_MODIFIED, "MODIFIED"},
    {abi::kRTF_DONE, "DONE"},       {abi::kRTF_MASK, "MASK_PRESENT"},
    {abi::kRTF_CONNECTED, "CONNECTED"}, {abi::kRTF_XRESOLVE, "XRESOLVE"},
    {abi::kRTF_LLINFO, "LLINFO"},   {abi::kRTF_STATIC, "STATIC"},
    {abi::kRTF_BLACKHOLE, "BLACKHOLE"}, {abi::kRTF_CLONED, "CLONED"},
    {abi::kRTF_PROTO2, "PROTO2"},   {abi::kRTF_PROTO1, "PROTO1"},
    {abi::kRTF_LOCAL, "LOCAL"},     {abi::kRTF_BROADCAST, "BROADCAST"},
};

// NetBSD 7's route prints IFF_PROMISC as "PPROMISC".
constexpr BitName kIfFlags[] = {
    {int(abi::kIFF_UP), "UP"},           {int(abi::kIFF_BROADCAST), "BROADCAST"},
    {int(abi::kIFF_DEBUG), "DEBUG"},     {int(abi::kIFF_LOOPBACK), "LOOPBACK"},
    {int(abi::kIFF_POINTOPOINT), "PTP"}, {int(abi::kIFF_NOTRAILERS), "NOTRAILERS"},
    {int(abi::kIFF_RUNNING), "RUNNING"}, {int(abi::kIFF_NOARP), "NOARP"},
    {int(abi::kIFF_PROMISC), "PPROMISC"}, {int(abi::kIFF_ALLMULTI), "ALLMULTI"},
    {int(abi::kIFF_OACTIVE), "OACTIVE"}, {int(abi::kIFF_SIMPLEX), "SIMPLEX"},
    {int(abi::kIFF_LINK0), "LINK0"},     {int(abi::kIFF_LINK1), "LINK1"},
    {int(abi::kIFF_LINK2), "LINK2"},     {int(abi::kIFF_MULTICAST), "MULTICAST"},
};

constexpr BitName kAddrNames[] = {
    {abi::kRTA_DST, "DST"},         {abi::kRTA_GATEWAY, "GATEWAY"}, {abi::kRTA_NETMASK, "NETMASK"},
    {abi::kRTA_GENMASK, "GENMASK"}, {abi::kRTA_IFP, "IFP"},         {abi::kRTA_IFA, "IFA"},
    {abi::kRTA_AUTHOR, "AUTHOR"},   {abi::kRTA_BRD, "BRD"},         {abi::kRTA_TAG, "TAG"},
};

constexpr BitName kMetricNames[] = {
    {0x100, "pksent"},           {abi::kRTV_RTTVAR, "rttvar"},     {abi::kRTV_RTT, "rtt"},
    {abi::kRTV_SSTHRESH, "ssthresh"}, {abi::kRTV_SPIPE, "sendpipe"}, {abi::kRTV_RPIPE, "recvpipe"},
    {abi::kRTV_EXPIRE, "expire"}, {abi::kRTV_HOPCOUNT, "hopcount"}, {abi::kRTV_MTU, "mtu"},
};

// "<A,B>", or "none" for no bits.
template <size_t N>
std::string Bits(int b, const BitName (&names)[N]) {
  if (b == 0) return "none";
  std::string out;
  for (const BitName& n : names) {
    if ((b & n.bit) == 0) continue;
    out += out.empty() ? '<' : ',';
    out += n.name;
  }
  if (!out.empty()) out += '>';
  return out;
}

// The one-letter flags of "show".
struct FlagChar {
  int bit;
  char c;
};
constexpr FlagChar kFlagChars[] = {
    {abi::kRTF_UP, 'U'},        {abi::kRTF_GATEWAY, 'G'},   {abi::kRTF_HOST, 'H'},
    {abi::kRTF_REJECT, 'R'},    {abi::kRTF_BLACKHOLE, 'B'}, {abi::kRTF_DYNAMIC, 'D'},
    {abi::kRTF_MODIFIED, 'M'},  {abi::kRTF_DONE, 'd'},      {abi::kRTF_MASK, 'm'},
    {abi::kRTF_CLONING, 'C'},   {abi::kRTF_STATIC, 'S'},    {abi::kRTF_PROTO1, '1'},
    {abi::kRTF_PROTO2, '2'},    {abi::kRTF_ANNOUNCE, 'p'},  {abi::kRTF_LOCAL, 'l'},
    {abi::kRTF_BROADCAST, 'b'},
};

const char* MsgType(int type) {
  switch (type) {
    case abi::kRTM_ADD: return "RTM_ADD: Add Route";
    case abi::kRTM_DELETE: return "RTM_DELETE: Delete Route";
    case abi::kRTM_CHANGE: return "RTM_CHANGE: Change Metrics, Flags or Gateway";
    case abi::kRTM_GET: return "RTM_GET: Report Metrics";
    case abi::kRTM_LOSING: return "RTM_LOSING: Kernel Suspects Partitioning";
    case abi::kRTM_REDIRECT: return "RTM_REDIRECT: Told to use different route";
    case abi::kRTM_MISS: return "RTM_MISS: Lookup failed on this address";
    case abi::kRTM_LOCK: return "RTM_LOCK: fix specified metrics";
    case abi::kRTM_OLDADD: return "RTM_OLDADD: caused by SIOCADDRT";
    case abi::kRTM_OLDDEL: return "RTM_OLDDEL: caused by SIOCDELRT";
    case abi::kRTM_NEWADDR: return "RTM_NEWADDR: address being added to iface";
    case abi::kRTM_DELADDR: return "RTM_DELADDR: address being removed from iface";
    case abi::kRTM_OOIFINFO: return "RTM_OOIFINFO: iface status change (pre-1.5)";
    case abi::kRTM_OIFINFO: return "RTM_OIFINFO: iface status change (pre-64bit time)";
    case abi::kRTM_IFANNOUNCE: return "RTM_IFANNOUNCE: iface arrival/departure";
    case abi::kRTM_IEEE80211: return "RTM_IEEE80211: IEEE80211 wireless event";
    case abi::kRTM_IFINFO: return "RTM_IFINFO: iface status change";
    case abi::kRTM_CHGADDR: return "RTM_CHGADDR: address being changed on iface";
    default: return nullptr;
  }
}

// ---- printing routing messages (route -v, monitor, flush -v)

// "\nsockaddrs: <...>\n" and each sockaddr, then a newline.
void PrintAddrs(const uint8_t* p, const uint8_t* end, int addrs) {
  if (addrs != 0) {
    std::printf("\nsockaddrs: %s\n", Bits(addrs, kAddrNames).c_str());
    const auto sa = ExtractAddrs(p, end, addrs);
    int nmf = -1;  // the netmask's family: the destination's or the address's
    for (int i = 0; i < abi::kRTAX_MAX; ++i) {
      if (sa[size_t(i)] && (i == abi::kRTAX_DST || i == abi::kRTAX_IFA) && nmf == -1) {
        nmf = sa[size_t(i)]->family();
      }
    }
    for (int i = 0; i < abi::kRTAX_MAX; ++i) {
      if (!sa[size_t(i)]) continue;
      const Sa& s = *sa[size_t(i)];
      if (i == abi::kRTAX_NETMASK && s.len() != 0) {
        std::printf(" %s", NetmaskString(s, nmf).c_str());
      } else {
        std::printf(" %s", Routename(s).c_str());
      }
    }
  }
  std::putchar('\n');
  std::fflush(stdout);
}

// "\nlocks: ... inits: ..." and the sockaddrs of an rt_msghdr.
void PrintCommon(const uint8_t* m, size_t n) {
  const int64_t locks = Get<int64_t>(m, abi::kRtmRmxOff + abi::kRmxLocksOff);
  const int inits = Get<int32_t>(m, abi::kRtmInitsOff);
  std::printf("\nlocks: %s", Bits(int(locks), kMetricNames).c_str());
  std::printf(" inits: %s", Bits(inits, kMetricNames).c_str());
  PrintAddrs(m + abi::kRtMsghdrSize, m + std::max(n, abi::kRtMsghdrSize),
             Get<int32_t>(m, abi::kRtmAddrsOff));
}

const char* LinkState(int state) {
  static char buf[64];
  switch (state) {
    case abi::kLinkStateUnknown: return "carrier: unknown";
    case abi::kLinkStateDown: return "carrier: no carrier";
    case abi::kLinkStateUp: return "carrier: active";
    default:
      std::snprintf(buf, sizeof buf, "carrier: 0x%x", unsigned(state));
      return buf;
  }
}

// One routing message of `n` bytes (those read; the message's own length
// may differ), decoded as route(8) decodes it.
void PrintRtmsg(const uint8_t* in, size_t n) {
  // A copy at least as long as the largest header, zero beyond what came.
  std::vector<uint8_t> buf(std::max<size_t>(n, abi::kIfMsghdrSize), 0);
  std::memcpy(buf.data(), in, n);
  const uint8_t* m = buf.data();
  const uint8_t* end = m + n;
  if (m[abi::kRtmVersionOff] != abi::kRTM_VERSION) {
    std::printf("routing message version %d not understood\n", m[abi::kRtmVersionOff]);
    return;
  }
  const int type = m[abi::kRtmTypeOff];
  if (const char* name = MsgType(type)) {
    std::printf("%s: ", name);
  } else {
    std::printf("#%d: ", type);
  }
  std::printf("len %d, ", Get<uint16_t>(m, abi::kRtmMsglenOff));
  switch (type) {
    case abi::kRTM_IFINFO:
      std::printf("if# %d, %s, flags: ", Get<uint16_t>(m, abi::kIfmIndexOff),
                  LinkState(Get<int32_t>(m, abi::kIfmDataOff + abi::kIfiLinkStateOff)));
      std::printf("%s", Bits(Get<int32_t>(m, abi::kIfmFlagsOff), kIfFlags).c_str());
      PrintAddrs(m + abi::kIfMsghdrSize, std::max(end, m + abi::kIfMsghdrSize),
                 Get<int32_t>(m, abi::kIfmAddrsOff));
      break;
    case abi::kRTM_NEWADDR:
    case abi::kRTM_DELADDR:
    case abi::kRTM_CHGADDR:
      std::printf("metric %d, flags: ", Get<int32_t>(m, abi::kIfamMetricOff));
      std::printf("%s", Bits(Get<int32_t>(m, abi::kIfamFlagsOff), kRouteFlags).c_str());
      PrintAddrs(m + abi::kIfaMsghdrSize, std::max(end, m + abi::kIfaMsghdrSize),
                 Get<int32_t>(m, abi::kIfamAddrsOff));
      break;
    case abi::kRTM_IEEE80211:
    case abi::kRTM_IFANNOUNCE: {
      std::printf("if# %d, what: ", Get<uint16_t>(m, abi::kIfanIndexOff));
      const int what = Get<uint16_t>(m, abi::kIfanWhatOff);
      if (type == abi::kRTM_IFANNOUNCE && what == abi::kIFAN_ARRIVAL) {
        std::printf("arrival");
      } else if (type == abi::kRTM_IFANNOUNCE && what == abi::kIFAN_DEPARTURE) {
        std::printf("departure");
      } else {
        std::printf("#%d", what);
      }
      std::printf("\n");
      break;
    }
    default:
      std::printf("pid %d, seq %d, errno %d, flags: ", Get<int32_t>(m, abi::kRtmPidOff),
                  Get<int32_t>(m, abi::kRtmSeqOff), Get<int32_t>(m, abi::kRtmErrnoOff));
      std::printf("%s", Bits(Get<int32_t>(m, abi::kRtmFlagsOff), kRouteFlags).c_str());
      PrintCommon(m, n);
      break;
  }
}

// ---- the routing socket and the route sysctl

// The messages NET_RT_DUMP (or NET_RT_IFLIST) gives for family `af`.
std::vector<uint8_t> RouteSysctl(int af, int op, const char* estimate_what,
                                 const char* retrieve_what) {
  const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, af, op, 0};
  for (int attempt = 0;; ++attempt) {
    size_t needed = 0;
    if (int e = tools::Sysctl(mib, nullptr, &needed, nullptr, 0); e != 0) {
      tools::Err(1, e, estimate_what);
    }
    if (needed == 0) return {};
    std::vector<uint8_t> buf(needed);
    const int e = tools::Sysctl(mib, buf.data(), &needed, nullptr, 0);
    if (e == 0) {
      buf.resize(needed);
      return buf;
    }
    // The table grew between the two calls: ask again.
    if (e != abi::kENOMEM || attempt > 4) tools::Err(1, e, retrieve_what);
  }
}

// Walks the messages of a sysctl answer: f(message, length).
template <typename F>
void ForEachMessage(const std::vector<uint8_t>& buf, F f) {
  size_t off = 0;
  while (off + 4 <= buf.size()) {
    const uint16_t len = Get<uint16_t>(buf.data(), off);
    if (len < 4 || off + len > buf.size()) break;
    f(buf.data() + off, size_t(len));
    off += len;
  }
}

// if_indextoname: the interfaces' names by index (NET_RT_IFLIST, as libc's
// getifaddrs reads them).
std::string IfIndexToName(int index) {
  static std::map<int, std::string> names;
  static bool loaded = false;
  if (!loaded) {
    loaded = true;
    const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0};
    std::vector<uint8_t> buf;
    for (int attempt = 0; attempt < 5; ++attempt) {
      size_t needed = 0;
      if (tools::Sysctl(mib, nullptr, &needed, nullptr, 0) != 0) break;
      buf.assign(needed, 0);
      if (tools::Sysctl(mib, buf.data(), &needed, nullptr, 0) == 0) {
        buf.resize(needed);
        break;
      }
      buf.clear();
    }
    ForEachMessage(buf, [](const uint8_t* m, size_t len) {
      if (m[abi::kIfmTypeOff] != abi::kRTM_IFINFO || len < abi::kIfMsghdrSize) return;
      const auto sa = ExtractAddrs(m + abi::kIfMsghdrSize, m + len, Get<int32_t>(m, abi::kIfmAddrsOff));
      const auto& sdl = sa[abi::kRTAX_IFP];
      if (!sdl || sdl->family() != abi::kAF_LINK) return;
      std::string name;
      for (size_t i = 0; i < sdl->at(abi::kSdlNlenOff); ++i) {
        name += char(sdl->at(abi::kSdlDataOff + i));
      }
      names[Get<uint16_t>(m, abi::kIfmIndexOff)] = name;
    });
  }
  auto it = names.find(index);
  return it != names.end() ? it->second : "(null)";
}

const char* RouteStrerror(int error) {
  static std::string text;
  switch (error) {
    case abi::kESRCH: return "not in table";
    case abi::kEBUSY: return "entry in use";
    case abi::kENOBUFS: return "routing table overflow";
    default:
      text = tools::ErrorText(error);
      return text.c_str();
  }
}

// ---- keywords

enum Key {
  K_NONE,
  K_ADD, K_ATALK, K_BLACKHOLE, K_CHANGE, K_CLONING, K_CONNECTED, K_DELETE, K_DST, K_EXPIRE,
  K_FLUSH, K_FLUSHALL, K_GATEWAY, K_GENMASK, K_GET, K_HOST, K_HOPCOUNT, K_IFACE, K_INTERFACE,
  K_IFA, K_IFP, K_INET, K_INET6, K_LINK, K_LOCK, K_LOCKREST, K_MONITOR, K_MPLS,
  K_MTU, K_NET, K_NETMASK, K_NOBLACKHOLE, K_NOCLONING, K_NOCONNECTED, K_NOREJECT,
  K_NOSTATIC, K_PREFIXLEN, K_PROTO1, K_PROTO2, K_PROXY, K_RECVPIPE, K_REJECT, K_RTT,
  K_RTTVAR, K_SENDPIPE, K_SHOW, K_SSTHRESH, K_STATIC,
};

Key Keyword(const char* s) {
  static const std::map<std::string, Key> keys = {
      {"add", K_ADD},         {"atalk", K_ATALK},       {"blackhole", K_BLACKHOLE},
      {"change", K_CHANGE},   {"cloning", K_CLONING},   {"connected", K_CONNECTED},
      {"delete", K_DELETE},   {"dst", K_DST},           {"expire", K_EXPIRE},
      {"flush", K_FLUSH},     {"flushall", K_FLUSHALL}, {"gateway", K_GATEWAY},
      {"genmask", K_GENMASK}, {"get", K_GET},           {"host", K_HOST},
      {"hopcount", K_HOPCOUNT}, {"iface", K_IFACE},     {"interface", K_INTERFACE},
      {"ifa", K_IFA},         {"ifp", K_IFP},           {"inet", K_INET},
      {"inet6", K_INET6},     {"link", K_LINK},
      {"lock", K_LOCK},       {"lockrest", K_LOCKREST}, {"monitor", K_MONITOR},
      {"mpls", K_MPLS},       {"mtu", K_MTU},           {"net", K_NET},
      {"netmask", K_NETMASK}, {"noblackhole", K_NOBLACKHOLE}, {"nocloning", K_NOCLONING},
      {"noconnected", K_NOCONNECTED}, {"noreject", K_NOREJECT}, {"nostatic", K_NOSTATIC},
      {"prefixlen", K_PREFIXLEN}, {"proto1", K_PROTO1}, {"proto2", K_PROTO2},
      {"proxy", K_PROXY},     {"recvpipe", K_RECVPIPE}, {"reject", K_REJECT},
      {"rtt", K_RTT},         {"rttvar", K_RTTVAR},     {"sendpipe", K_SENDPIPE},
      {"show", K_SHOW},       {"ssthresh", K_SSTHRESH}, {"static", K_STATIC},
  };
  auto it = keys.find(s);
  return it != keys.end() ? it->second : K_NONE;
}

// The family and flag qualifiers of show and flush ("-inet", "-host", ...),
// read from the last argument back. argv[0] is the command.
void ParseShowOpts(int argc, char* const* argv, int* afp, int* flagsp, std::string* afname,
                   bool nolink) {
  int af = abi::kAF_UNSPEC, flags = 0;
  std::string name = "unspec";
  for (; argc >= 2; --argc) {
    const char* a = argv[argc - 1];
    if (*a != '-') Usage(a);
    switch (Keyword(a + 1)) {
      case K_HOST:
        flags |= abi::kRTF_HOST;
        break;
      case K_INET:
        af = abi::kAF_INET;
        name = a + 1;
        break;
      case K_INET6:
        af = abi::kAF_INET6;
        name = a + 1;
        break;
      case K_ATALK:
        af = 16;  // AF_APPLETALK: we have none
        name = a + 1;
        break;
      case K_MPLS:
        af = 33;  // AF_MPLS: we have none
        name = a + 1;
        break;
      case K_LINK:
        if (nolink) Usage(a);
        af = abi::kAF_LINK;
        name = a + 1;
        break;
      default:
        Usage(a);
    }
  }
  if (afname != nullptr) *afname = name;
  *afp = af;
  *flagsp = flags;
}

// ---- show

// The address columns; IPv6 ones are wider with -n, as NetBSD's.
int wid_dst = 18, wid_gw = 18;

void PrintSockaddr(const Sa* sa, const Sa* mask, int rflags, int width) {
  std::string cp;
  if (sa != nullptr) {
    cp = (rflags & abi::kRTF_HOST) != 0 || mask == nullptr ? Routename(*sa) : Netname(*sa, mask);
  }
  if (nflag) {
    std::printf("%-*s ", width, cp.c_str());
  } else {
    std::printf("%-*.*s ", width, width, cp.c_str());
  }
}

void PrintRmx(const uint8_t* m) {
  const uint8_t* r = m + abi::kRtmRmxOff;
  const uint64_t locks = Get<uint64_t>(r, abi::kRmxLocksOff);
  auto l = [&](int bit) { return (locks & uint64_t(bit)) != 0 ? 'L' : ' '; };
  std::printf("\texpire   %10" PRId64 "%c  recvpipe %10" PRIu64 "%c  sendpipe %10" PRIu64 "%c\n",
              Get<int64_t>(r, abi::kRmxExpireOff), l(abi::kRTV_EXPIRE),
              Get<uint64_t>(r, abi::kRmxRecvpipeOff), l(abi::kRTV_RPIPE),
              Get<uint64_t>(r, abi::kRmxSendpipeOff), l(abi::kRTV_SPIPE));
  std::printf("\tssthresh %10" PRIu64 "%c  rtt      %10" PRIu64 "%c  rttvar   %10" PRIu64 "%c\n",
              Get<uint64_t>(r, abi::kRmxSsthreshOff), l(abi::kRTV_SSTHRESH),
              Get<uint64_t>(r, abi::kRmxRttOff), l(abi::kRTV_RTT),
              Get<uint64_t>(r, abi::kRmxRttvarOff), l(abi::kRTV_RTTVAR));
  std::printf("\thopcount %10" PRIu64 "%c\n", Get<uint64_t>(r, abi::kRmxHopcountOff),
              l(abi::kRTV_HOPCOUNT));
}

void PrintRtentry(const uint8_t* m, size_t len) {
  static int old_af = -1;
  if (len < abi::kRtMsghdrSize + 2) return;
  const int family = m[abi::kRtMsghdrSize + 1];
  if (old_af != family) {
    old_af = family;
    wid_dst = family == abi::kAF_INET6 && nflag ? 39 : 18;
    wid_gw = family == abi::kAF_INET6 && nflag ? 30 : 18;
    switch (family) {
      case abi::kAF_INET: std::printf("\nInternet:\n"); break;
      case abi::kAF_INET6: std::printf("\nInternet6:\n"); break;
      default: std::printf("\nProtocol Family %d:\n", family); break;
    }
    if (Tflag) {
      std::printf("%-*.*s %-*.*s %-6.6s %6.6s %8.8s %6.6s %7.7s %s\n", wid_dst, wid_dst,
                  "Destination", wid_gw, wid_gw, "Gateway", "Flags", "Refs", "Use", "Mtu", "Tag",
                  "Interface");
    } else {
      std::printf("%-*.*s %-*.*s %-6.6s %6.6s %8.8s %6.6s %s\n", wid_dst, wid_dst, "Destination",
                  wid_gw, wid_gw, "Gateway", "Flags", "Refs", "Use", "Mtu", "Interface");
    }
  }
  const int flags = Get<int32_t>(m, abi::kRtmFlagsOff);
  const auto sa = ExtractAddrs(m + abi::kRtMsghdrSize, m + len, Get<int32_t>(m, abi::kRtmAddrsOff));
  const auto& dst = sa[abi::kRTAX_DST];
  if (!dst) return;
  const auto& mask = sa[abi::kRTAX_NETMASK];
  const auto& gw = sa[abi::kRTAX_GATEWAY];
  PrintSockaddr(&*dst, mask ? &*mask : nullptr, flags, wid_dst);
  PrintSockaddr(gw ? &*gw : nullptr, nullptr, abi::kRTF_HOST, wid_gw);
  constexpr int kInteresting = abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_HOST | abi::kRTF_REJECT |
                               abi::kRTF_LLINFO | abi::kRTF_LOCAL | abi::kRTF_BROADCAST;
  std::string f;
  for (const FlagChar& c : kFlagChars) {
    if ((flags & kInteresting & c.bit) != 0) f += c.c;
  }
  std::printf("%-6.6s ", f.c_str());
  std::printf("%6s %8s ", "-", "-");
  const int64_t mtu = Get<int64_t>(m, abi::kRtmRmxOff + abi::kRmxMtuOff);
  if (mtu != 0) {
    std::printf("%6" PRId64, mtu);
  } else {
    std::printf("%6s", "-");
  }
  std::putchar((Get<uint64_t>(m, abi::kRtmRmxOff + abi::kRmxLocksOff) & abi::kRTV_MTU) ? 'L' : ' ');
  if (Tflag) std::printf("%7s", "-");
  std::printf(" %.16s\n", IfIndexToName(Get<uint16_t>(m, abi::kRtmIndexOff)).c_str());
  if (verbose) PrintRmx(m);
}

void Show(int argc, char* const* argv) {
  int af = 0, rflags = 0;
  ParseShowOpts(argc, argv, &af, &rflags, nullptr, true);
  const std::vector<uint8_t> buf =
      RouteSysctl(af, abi::kNET_RT_DUMP, "route-sysctl-estimate", "sysctl of routing table");
  std::printf("Routing tables\n");
  ForEachMessage(buf, [&](const uint8_t* m, size_t len) {
    if (len < abi::kRtMsghdrSize) return;
    if ((Get<int32_t>(m, abi::kRtmFlagsOff) & rflags) != rflags) return;
    const int family = len >= abi::kRtMsghdrSize + 2 ? m[abi::kRtMsghdrSize + 1] : 0;
    if (af != abi::kAF_UNSPEC && family != af) return;
    PrintRtentry(m, len);
  });
}

// ---- flush

int FlushRoutes(int argc, char* const* argv, bool doall) {
  rump_sys_shutdown(g_sock, abi::kSHUT_RD);  // we do not read our own messages back
  int af = 0, flags = 0;
  std::string afname;
  ParseShowOpts(argc, argv, &af, &flags, &afname, false);
  std::vector<uint8_t> buf = RouteSysctl(0, abi::kNET_RT_DUMP, "route-sysctl-estimate",
                                         "actual retrieval of routing table");
  if (verbose) {
    std::printf("Examining routing table from sysctl\n");
    if (af != abi::kAF_UNSPEC) std::printf("(address family %s)\n", afname.c_str());
  }
  int seqno = 0;
  size_t off = 0;
  while (off + abi::kRtMsghdrSize <= buf.size()) {
    uint8_t* m = buf.data() + off;
    const uint16_t len = Get<uint16_t>(m, abi::kRtmMsglenOff);
    if (len < abi::kRtMsghdrSize || off + len > buf.size()) break;
    off += len;
    if (verbose) PrintRtmsg(m, len);
    const int rflags = Get<int32_t>(m, abi::kRtmFlagsOff);
    if ((rflags & flags) != flags) continue;
    if (!(rflags & (abi::kRTF_GATEWAY | abi::kRTF_STATIC)) && !doall) continue;
    const int family = len >= abi::kRtMsghdrSize + 2 ? m[abi::kRtMsghdrSize + 1] : 0;
    if (af != abi::kAF_UNSPEC && family != af) continue;
    if (debugonly) continue;
    m[abi::kRtmTypeOff] = abi::kRTM_DELETE;
    Put<int32_t>(m, abi::kRtmSeqOff, seqno);
    if (rump_sys_write(g_sock, m, len) < 0) {
      tools::Warnx(std::string("writing to routing socket: ") + RouteStrerror(errno));
      return 1;
    }
    ++seqno;
    if (qflag) continue;
    if (verbose) {
      PrintRtmsg(m, len);
    } else {
      // The destination (with no mask: "10/0") and the sockaddr after it.
      const uint8_t* end = m + len;
      const uint8_t* p = m + abi::kRtMsghdrSize;
      const auto first = ExtractAddrs(p, end, 1);
      const Sa dst = first[0] ? *first[0] : Sa{{0, 0}};
      const uint8_t* q = p + std::min<size_t>(abi::RtRoundup(dst.len()), size_t(end - p));
      const auto second = ExtractAddrs(q, end, 1);
      const Sa next = second[0] ? *second[0] : Sa{{0, 0}};
      std::printf("%-20.20s ", Netname(dst, nullptr).c_str());
      std::printf("%-20.20s ", Routename(next).c_str());
      std::printf("done\n");
    }
  }
  return 0;
}

// ---- add, change, delete, get

// The sockaddrs of a request, each a sockaddr_storage as route(8) keeps
// them (a message copies RT_ROUNDUP(sa_len) bytes of each).
using SockUnion = std::array<uint8_t, abi::kSockaddrStorageSize>;

struct Request {
  SockUnion dst{}, gate{}, mask{}, genmask{}, ifp{}, ifa{};
  int addrs = 0;
  int af = abi::kAF_UNSPEC;
  size_t aflen = abi::kSockaddrInSize;
  int forcehost = 0, forcenet = 0, iflag = 0;
  bool locking = false, lockrest = false;
  uint8_t rmx[abi::kRtMetricsSize] = {};
  int inits = 0;
};

void SetIn(SockUnion& su, uint32_t net_order) { Put<uint32_t>(su.data(), abi::kSinAddrOff, net_order); }

// inet_makenetandmask: the network address of `net` (a number as
// inet_network gives it) and its class's mask, the mask cut after its
// last non-zero byte.
void InetMakeNetAndMask(uint32_t net, SockUnion& dst, Request& r) {
  r.addrs |= abi::kRTA_NETMASK;
  uint32_t addr = 0, mask = 0;
  constexpr uint32_t kA = 0xff000000u, kB = 0xffff0000u, kC = 0xffffff00u, kD = 0xf0000000u;
  if (net == 0) {
    addr = mask = 0;
  } else if (net < 128) {
    addr = net << 24;
    mask = kA;
  } else if (net < 192) {
    addr = net << 24;
    mask = kB;
  } else if (net < 224) {
    addr = net << 24;
    mask = kC;
  } else if (net < 256) {
    addr = net << 24;
    mask = kD;
  } else if (net < 49152) {
    addr = net << 16;
    mask = kB;
  } else if (net < 57344) {
    addr = net << 16;
    mask = kC;
  } else if (net < 65536) {
    addr = net << 16;
    mask = kB;
  } else if (net < 14680064u) {
    addr = net << 8;
    mask = kC;
  } else if (net < 16777216u) {
    addr = net << 8;
    mask = kD;
  } else {
    addr = net;
    if ((addr & ~kA) == 0) {
      mask = kA;
    } else if ((addr & ~kB) == 0) {
      mask = kB;
    } else if ((addr & ~kC) == 0) {
      mask = kC;
    } else {
      mask = 0xffffffffu;
    }
  }
  SetIn(dst, htonl(addr));
  SockUnion& m = r.mask;
  SetIn(m, htonl(mask));
  m[0] = 0;
  m[1] = 0;
  size_t last = abi::kSinAddrOff + 4;
  while (last > 1 && m[last - 1] == 0) --last;
  m[0] = uint8_t(std::max<size_t>(last, 1));
  m[1] = uint8_t(abi::kAF_INET);
}

// "-prefixlen N" or the N of ADDR/N: a 16-byte mask of N bits. Returns
// whether it is a host's (32).
int PrefixLen(const char* s, Request& r) {
  const int len = std::atoi(s);
  if (r.af != abi::kAF_INET) {
    tools::Errx(1, "prefixlen is not supported with af " + std::to_string(r.af));
  }
  r.addrs |= abi::kRTA_NETMASK;
  if (len < -1 || len > 32) tools::Errx(1, std::string(s) + ": bad value");
  r.mask.fill(0);
  r.mask[abi::kSinFamilyOff] = uint8_t(abi::kAF_INET);
  r.mask[abi::kSinLenOff] = uint8_t(abi::kSockaddrInSize);
  // As NetBSD's compiled shift does on amd64: the count modulo 32 (so /-1
  // is /31).
  SetIn(r.mask, len == 0 ? 0 : htonl(0xffffffffu << ((32 - len) & 31)));
  return len == 32;
}

// inet_lnaof: the host part of an address by its class.
uint32_t Lnaof(uint32_t net_order) {
  const uint32_t a = ntohl(net_order);
  if ((a & 0x80000000u) == 0) return a & 0x00ffffffu;
  if ((a & 0xc0000000u) == 0x80000000u) return a & 0x0000ffffu;
  return a & 0x000000ffu;
}

// link_addr(3), as NetBSD's libc reads a link-level address: letters and
// digits up to the first delimiter are the name, then hex bytes separated
// by delimiters; what does not fit in sa_len is dropped. (NetBSD's reads
// on past the end of a bare name, taking what follows in memory as
// delimiters or digits; here everything past the end is a delimiter.)
void LinkAddr(const char* s, SockUnion& su) {
  constexpr int kNaming = 0, kGotOne = 1, kGotTwo = 2, kReset = 3;
  constexpr int kDigit = 0, kEnd = 4, kDelim = 8, kLetter = 12;
  const size_t limit = std::min<size_t>(su[0], su.size());
  std::fill(su.begin() + 1, su.begin() + std::max<size_t>(limit, 1), 0);
  su[abi::kSdlFamilyOff] = uint8_t(abi::kAF_LINK);
  size_t cp = abi::kSdlDataOff;
  int byte = 0, state = kNaming, value = 0;
  bool past_end = false;
  do {
    state &= ~kLetter;
    const char c = past_end ? '-' : *s;
    if (c >= '0' && c <= '9') {
      value = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      value = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      value = c - 'A' + 10;
    } else if (c == '\0') {
      state |= kEnd;
    } else if (state == kNaming && std::isalpha(static_cast<unsigned char>(c))) {
      state |= kLetter;
    } else {
      state |= kDelim;
    }
    if (c == '\0') past_end = true;
    if (!past_end) ++s;
    bool done = false;
    switch (state) {
      case kNaming | kDigit:
      case kNaming | kLetter:
        su[cp++] = uint8_t(c);
        break;
      case kNaming | kDelim:
        state = kReset;
        su[abi::kSdlNlenOff] = uint8_t(cp - abi::kSdlDataOff);
        break;
      case kGotTwo | kDigit:
        su[cp++] = uint8_t(byte);
        state = kGotOne;
        byte = value;
        break;
      case kReset | kDigit:
        state = kGotOne;
        byte = value;
        break;
      case kGotOne | kDigit:
        state = kGotTwo;
        byte = value + (byte << 4);
        break;
      case kGotOne | kEnd:
      case kGotTwo | kEnd:
        su[cp++] = uint8_t(byte);
        done = true;
        break;
      case kReset | kEnd:
        done = true;
        break;
      default:  // a delimiter (and the end while naming)
        state = kReset;
        su[cp++] = uint8_t(byte);
        byte = 0;
        break;
    }
    if (done) break;
  } while (cp < limit);
  su[abi::kSdlAlenOff] = uint8_t(cp - abi::kSdlDataOff - su[abi::kSdlNlenOff]);
  if (cp > abi::kSockaddrDlSize) su[0] = uint8_t(cp);
}

// getaddr: reads `s` into the sockaddr of `which`; returns 1 for a host,
// 0 for a network.
int GetAddr(int which, const char* arg, Request& r) {
  if (r.af == abi::kAF_UNSPEC) {
    r.af = abi::kAF_INET;
    r.aflen = abi::kSockaddrInSize;
  }
  int afamily = r.af;
  r.addrs |= which;
  SockUnion* su = nullptr;
  switch (which) {
    case abi::kRTA_DST: su = &r.dst; break;
    case abi::kRTA_GATEWAY: su = &r.gate; break;
    case abi::kRTA_NETMASK: su = &r.mask; break;
    case abi::kRTA_GENMASK: su = &r.genmask; break;
    case abi::kRTA_IFP:
      su = &r.ifp;
      afamily = abi::kAF_LINK;
      break;
    case abi::kRTA_IFA: su = &r.ifa; break;
    default: Usage("Internal Error");
  }
  (*su)[0] = uint8_t(r.aflen);
  (*su)[1] = uint8_t(afamily);
  if (std::strcmp(arg, "default") == 0) {
    switch (which) {
      case abi::kRTA_DST:
        r.forcenet++;
        GetAddr(abi::kRTA_NETMASK, arg, r);
        break;
      case abi::kRTA_NETMASK:
      case abi::kRTA_GENMASK:
        (*su)[0] = 0;
        break;
    }
    return 0;
  }
  if (afamily == abi::kAF_LINK) {
    LinkAddr(arg, *su);
    return 1;
  }
  std::string s = arg;
  const size_t slash = s.find('/');
  if (slash != std::string::npos && which == abi::kRTA_DST) {
    const std::string head = s.substr(0, slash);
    const char* len = arg + slash + 1;
    if (r.forcenet == 0) {
      const in_addr_t val = inet_addr(head.c_str());
      if (val != INADDR_NONE) {
        InetMakeNetAndMask(ntohl(val), *su, r);
        return PrefixLen(len, r);
      }
    } else {
      const in_addr_t val = inet_network(head.c_str());
      if (val != INADDR_NONE) {
        InetMakeNetAndMask(val, *su, r);
        return PrefixLen(len, r);
      }
    }
  }
  in_addr a;
  const bool aton = inet_aton(s.c_str(), &a) != 0;
  if (aton) SetIn(*su, a.s_addr);
  if (aton && (which != abi::kRTA_DST || r.forcenet == 0)) {
    if (Lnaof(a.s_addr) != 0) return 1;
    if (which == abi::kRTA_DST) InetMakeNetAndMask(ntohl(a.s_addr), *su, r);
    return 0;
  }
  const in_addr_t val = inet_network(s.c_str());
  if (val != INADDR_NONE) {
    if (which == abi::kRTA_DST) InetMakeNetAndMask(val, *su, r);
    return 0;
  }
  // No name lookups (see the top of the file).
  tools::Errx(1, s + ": bad value");
}

void SetMetric(const char* value, Key key, Request& r) {
  int flag = 0;
  size_t off = 0;
  switch (key) {
    case K_MTU: flag = abi::kRTV_MTU; off = abi::kRmxMtuOff; break;
    case K_HOPCOUNT: flag = abi::kRTV_HOPCOUNT; off = abi::kRmxHopcountOff; break;
    case K_EXPIRE: flag = abi::kRTV_EXPIRE; off = abi::kRmxExpireOff; break;
    case K_RECVPIPE: flag = abi::kRTV_RPIPE; off = abi::kRmxRecvpipeOff; break;
    case K_SENDPIPE: flag = abi::kRTV_SPIPE; off = abi::kRmxSendpipeOff; break;
    case K_SSTHRESH: flag = abi::kRTV_SSTHRESH; off = abi::kRmxSsthreshOff; break;
    case K_RTT: flag = abi::kRTV_RTT; off = abi::kRmxRttOff; break;
    case K_RTTVAR: flag = abi::kRTV_RTTVAR; off = abi::kRmxRttvarOff; break;
    default: return;
  }
  r.inits |= flag;
  if (r.lockrest || r.locking) {
    Put<uint64_t>(r.rmx, abi::kRmxLocksOff, Get<uint64_t>(r.rmx, abi::kRmxLocksOff) | uint64_t(flag));
  }
  r.locking = false;
  Put<uint64_t>(r.rmx, off, uint64_t(std::strtoul(value, nullptr, 0)));
}

// mask_addr: the netmask cut after its last non-zero byte.
void MaskAddr(Request& r) {
  const size_t olen = r.mask[0];
  r.mask[0] = 0;
  size_t len = 0;
  for (size_t i = std::min(olen, r.mask.size()); i > 0; --i) {
    if (r.mask[i - 1] != 0) {
      len = i;
      break;
    }
  }
  r.mask[0] = uint8_t(len);
}

// sodump: one sockaddr of a request as -v shows it.
void SoDump(const SockUnion& su, const char* which) {
  Sa sa;
  sa.b.assign(su.begin(), su.end());
  switch (su[1]) {
    case abi::kAF_INET:
      std::printf("%s: inet %s; ", which, InetNtoa(SinAddr(sa)).c_str());
      break;
    case abi::kAF_LINK:
      std::printf("%s: link %s; ", which, LinkNtoa(sa).c_str());
      break;
    default:
      std::printf("%s: (%d) %s; ", which, su[1], AnyNtoa(sa).c_str());
      break;
  }
  std::fflush(stdout);
}

// print_getmsg: the answer to RTM_GET. Returns the exit status.
int PrintGetMsg(const uint8_t* in, size_t n, const Request& r) {
  std::vector<uint8_t> buf(std::max(n, abi::kRtMsghdrSize), 0);
  std::memcpy(buf.data(), in, n);
  const uint8_t* m = buf.data();
  Sa so_dst;
  so_dst.b.assign(r.dst.begin(), r.dst.end());
  if (!shortoutput) std::printf("   route to: %s\n", Routename(so_dst).c_str());
  if (m[abi::kRtmVersionOff] != abi::kRTM_VERSION) {
    tools::Warnx("routing message version " + std::to_string(m[abi::kRtmVersionOff]) +
                 " not understood");
    return 1;
  }
  const int msglen = Get<uint16_t>(m, abi::kRtmMsglenOff);
  if (msglen > int(n)) {
    tools::Warnx("message length mismatch, in packet " + std::to_string(msglen) + ", returned " +
                 std::to_string(n));
  }
  const int error = Get<int32_t>(m, abi::kRtmErrnoOff);
  if (error != 0) {
    tools::Warnx("RTM_GET: " + tools::ErrorText(error) + " (errno " + std::to_string(error) + ")");
    return 1;
  }
  const int addrs = Get<int32_t>(m, abi::kRtmAddrsOff);
  const int flags = Get<int32_t>(m, abi::kRtmFlagsOff);
  auto sa = ExtractAddrs(m + abi::kRtMsghdrSize, m + buf.size(), addrs);
  auto& dst = sa[abi::kRTAX_DST];
  auto& mask = sa[abi::kRTAX_NETMASK];
  auto& gate = sa[abi::kRTAX_GATEWAY];
  auto& ifa = sa[abi::kRTAX_IFA];
  std::optional<Sa> ifp = sa[abi::kRTAX_IFP];
  if (ifp && (ifp->family() != abi::kAF_LINK || ifp->at(abi::kSdlNlenOff) == 0)) ifp.reset();
  if (dst && mask) mask->b[1] = uint8_t(dst->family());
  if (dst && !shortoutput) std::printf("destination: %s\n", Routename(*dst).c_str());
  if (mask && !shortoutput) std::printf("       mask: %s\n", Routename(*mask).c_str());
  if (gate && (flags & abi::kRTF_GATEWAY) != 0) {
    const std::string name = Routename(*gate);
    if (shortoutput) {
      if (name.empty()) return 1;
      std::printf("%s\n", name.c_str());
    } else {
      std::printf("    gateway: %s\n", name.c_str());
    }
  }
  if (ifa && !shortoutput) std::printf(" local addr: %s\n", Routename(*ifa).c_str());
  if (ifp && !shortoutput) {
    std::string name;
    for (size_t i = 0; i < ifp->at(abi::kSdlNlenOff); ++i) name += char(ifp->at(abi::kSdlDataOff + i));
    std::printf("  interface: %s\n", name.c_str());
  }
  if (!shortoutput) {
    std::printf("      flags: %s", Bits(flags, kRouteFlags).c_str());
    const uint8_t* x = m + abi::kRtmRmxOff;
    const uint64_t locks = Get<uint64_t>(x, abi::kRmxLocksOff);
    auto l = [&](int bit) { return (locks & uint64_t(bit)) != 0 ? 'L' : ' '; };
    auto msec = [](int64_t u) { return (u + 500) / 1000; };
    std::printf("\n%s\n",
                " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire");
    std::printf("%8" PRId64 "%c ", Get<int64_t>(x, abi::kRmxRecvpipeOff), l(abi::kRTV_RPIPE));
    std::printf("%8" PRId64 "%c ", Get<int64_t>(x, abi::kRmxSendpipeOff), l(abi::kRTV_SPIPE));
    std::printf("%8" PRId64 "%c ", Get<int64_t>(x, abi::kRmxSsthreshOff), l(abi::kRTV_SSTHRESH));
    std::printf("%8" PRId64 "%c ", msec(Get<int64_t>(x, abi::kRmxRttOff)), l(abi::kRTV_RTT));
    std::printf("%8" PRId64 "%c ", msec(Get<int64_t>(x, abi::kRmxRttvarOff)), l(abi::kRTV_RTTVAR));
    std::printf("%8" PRId64 "%c ", Get<int64_t>(x, abi::kRmxHopcountOff), l(abi::kRTV_HOPCOUNT));
    std::printf("%8" PRId64 "%c ", Get<int64_t>(x, abi::kRmxMtuOff), l(abi::kRTV_MTU));
    int64_t expire = Get<int64_t>(x, abi::kRmxExpireOff);
    if (expire != 0) expire -= int64_t(std::time(nullptr));
    std::printf("%8" PRId64 "%c\n", expire, l(abi::kRTV_EXPIRE));
  }
  constexpr int kIgnored = abi::kRTA_DST | abi::kRTA_GATEWAY | abi::kRTA_NETMASK | abi::kRTA_IFP |
                           abi::kRTA_IFA | abi::kRTA_BRD;
  if (shortoutput) return (addrs & abi::kRTF_GATEWAY) == 0;
  if (verbose) {
    PrintCommon(m, n);
  } else if ((addrs & ~kIgnored) != 0) {
    std::printf("sockaddrs: %s\n", Bits(addrs, kAddrNames).c_str());
  }
  return 0;
}

// rtmsg: builds and writes the request; for "get", reads and prints the
// answer. 0 on success; on failure errno holds the error.
int RtMsg(char cmd, int flags, Request& r) {
  static int seq = 0;
  errno = 0;
  uint8_t type = abi::kRTM_DELETE;
  if (cmd == 'a') {
    type = abi::kRTM_ADD;
  } else if (cmd == 'c') {
    type = abi::kRTM_CHANGE;
  } else if (cmd == 'g') {
    type = abi::kRTM_GET;
    if (r.ifp[1] == abi::kAF_UNSPEC) {
      r.ifp[1] = uint8_t(abi::kAF_LINK);
      r.ifp[0] = uint8_t(abi::kSockaddrDlSize);
      r.addrs |= abi::kRTA_IFP;
    }
  }
  std::vector<uint8_t> msg(abi::kRtMsghdrSize, 0);
  msg[abi::kRtmTypeOff] = type;
  Put<int32_t>(msg.data(), abi::kRtmFlagsOff, flags);
  msg[abi::kRtmVersionOff] = abi::kRTM_VERSION;
  Put<int32_t>(msg.data(), abi::kRtmSeqOff, ++seq);
  Put<int32_t>(msg.data(), abi::kRtmAddrsOff, r.addrs);
  std::memcpy(msg.data() + abi::kRtmRmxOff, r.rmx, sizeof r.rmx);
  Put<int32_t>(msg.data(), abi::kRtmInitsOff, r.inits);
  if (r.addrs & abi::kRTA_NETMASK) MaskAddr(r);
  const struct {
    int bit;
    const SockUnion* su;
    const char* name;
  } order[] = {
      {abi::kRTA_DST, &r.dst, "soup->so_dst"},       {abi::kRTA_GATEWAY, &r.gate, "soup->so_gate"},
      {abi::kRTA_NETMASK, &r.mask, "soup->so_mask"}, {abi::kRTA_GENMASK, &r.genmask, "soup->so_genmask"},
      {abi::kRTA_IFP, &r.ifp, "soup->so_ifp"},       {abi::kRTA_IFA, &r.ifa, "soup->so_ifa"},
  };
  for (const auto& o : order) {
    if ((r.addrs & o.bit) == 0) continue;
    const size_t l = std::min(abi::RtRoundup((*o.su)[0]), o.su->size());
    msg.insert(msg.end(), o.su->begin(), o.su->begin() + l);
    if (verbose && !shortoutput) SoDump(*o.su, o.name);
  }
  Put<uint16_t>(msg.data(), abi::kRtmMsglenOff, uint16_t(msg.size()));
  if (verbose && !shortoutput) {
    if (r.addrs != 0) std::putchar('\n');
    PrintRtmsg(msg.data(), msg.size());
  }
  if (debugonly) return 0;
  const ssize_t rlen = rump_sys_write(g_sock, msg.data(), msg.size());
  if (rlen < 0) {
    const int e = errno;
    tools::Warnx(std::string("writing to routing socket: ") + RouteStrerror(e));
    errno = e;
    return -1;
  }
  if (size_t(rlen) < msg.size()) {
    tools::Warnx("write to routing socket, got " + std::to_string(rlen) + " for rlen");
    return 1;
  }
  if (type == abi::kRTM_GET) {
    std::vector<uint8_t> in(abi::kRtMsghdrSize + 512);
    ssize_t l;
    do {
      l = rump_sys_read(g_sock, in.data(), in.size());
    } while (l > 0 && (size_t(l) < abi::kRtMsghdrSize ||
                       Get<int32_t>(in.data(), abi::kRtmSeqOff) != seq ||
                       Get<int32_t>(in.data(), abi::kRtmPidOff) != g_pid));
    if (l < 0) tools::Err(1, errno, "read from routing socket");
    return PrintGetMsg(in.data(), size_t(l), r);
  }
  return 0;
}

// A destination as the messages name it: an ADDR/LEN that was read (it
// would have been "bad value" otherwise) without its "/LEN".
std::string DestName(const char* d) {
  std::string s = d;
  if (const size_t slash = s.find('/'); slash != std::string::npos) s.resize(slash);
  return s;
}

int NewRoute(int argc, char* const* argv) {
  Request r;
  const char* cmd = argv[0];
  std::string dest, gateway;
  int ishost = 0, flags = abi::kRTF_STATIC;
  if (*cmd != 'g') rump_sys_shutdown(g_sock, abi::kSHUT_RD);  // we do not read our own messages
  while (--argc > 0) {
    const char* a = *++argv;
    if (*a == '-') {
      const Key key = Keyword(a + 1);
      auto need = [&]() -> const char* {
        if (--argc == 0) Usage(a + 1);
        return *++argv;
      };
      switch (key) {
        case K_INET:
          r.af = abi::kAF_INET;
          r.aflen = abi::kSockaddrInSize;
          break;
        case K_IFACE:
        case K_INTERFACE:
          r.iflag++;
          break;
        case K_NOSTATIC: flags &= ~abi::kRTF_STATIC; break;
        case K_LOCK: r.locking = true; break;
        case K_LOCKREST: r.lockrest = true; break;
        case K_HOST: r.forcehost++; break;
        case K_REJECT: flags |= abi::kRTF_REJECT; break;
        case K_NOREJECT: flags &= ~abi::kRTF_REJECT; break;
        case K_BLACKHOLE: flags |= abi::kRTF_BLACKHOLE; break;
        case K_NOBLACKHOLE: flags &= ~abi::kRTF_BLACKHOLE; break;
        case K_PROTO1: flags |= abi::kRTF_PROTO1; break;
        case K_PROTO2: flags |= abi::kRTF_PROTO2; break;
        case K_PROXY: flags |= abi::kRTF_ANNOUNCE; break;
        case K_CLONING:
        case K_CONNECTED:
          flags |= abi::kRTF_CONNECTED;
          break;
        case K_NOCLONING:
        case K_NOCONNECTED:
          flags &= ~abi::kRTF_CONNECTED;
          break;
        case K_STATIC: flags |= abi::kRTF_STATIC; break;
        case K_IFA: GetAddr(abi::kRTA_IFA, need(), r); break;
        case K_IFP: GetAddr(abi::kRTA_IFP, need(), r); break;
        case K_GENMASK: GetAddr(abi::kRTA_GENMASK, need(), r); break;
        case K_GATEWAY: GetAddr(abi::kRTA_GATEWAY, need(), r); break;
        case K_DST: {
          const char* d = need();
          ishost = GetAddr(abi::kRTA_DST, d, r);
          dest = DestName(d);
          break;
        }
        case K_NETMASK:
          GetAddr(abi::kRTA_NETMASK, need(), r);
          r.forcenet++;
          break;
        case K_NET: r.forcenet++; break;
        case K_PREFIXLEN: ishost = PrefixLen(need(), r); break;
        case K_MTU:
        case K_HOPCOUNT:
        case K_EXPIRE:
        case K_RECVPIPE:
        case K_SENDPIPE:
        case K_SSTHRESH:
        case K_RTT:
        case K_RTTVAR:
          SetMetric(need(), key, r);
          break;
        default:
          Usage(a + 1);
      }
    } else if ((r.addrs & abi::kRTA_DST) == 0) {
      ishost = GetAddr(abi::kRTA_DST, a, r);
      dest = DestName(a);
    } else if ((r.addrs & abi::kRTA_GATEWAY) == 0) {
      gateway = a;
      GetAddr(abi::kRTA_GATEWAY, a, r);
    } else {
      // A third operand: a netmask, or the old trailing metric.
      const int ret = std::atoi(a);
      if (ret == 0) {
        if (std::strcmp(a, "0") != 0) Usage(nullptr);
        if (!qflag) tools::Warnx("old usage of trailing 0, assuming route to if");
        r.iflag = 1;
        continue;
      } else if (ret > 0 && ret < 10) {
        if (!qflag) tools::Warnx("old usage of trailing digit, assuming route via gateway");
        r.iflag = 0;
        continue;
      }
      GetAddr(abi::kRTA_NETMASK, a, r);
    }
  }
  if ((r.addrs & abi::kRTA_DST) == 0) tools::Errx(1, "missing destination specification");
  if (*cmd == 'a' && (r.addrs & abi::kRTA_GATEWAY) == 0) {
    tools::Errx(1, "missing gateway specification");
  }
  if (r.forcehost && r.forcenet) {
    tools::Errx(1, "-host and -net conflict");
  } else if (r.forcehost) {
    ishost = 1;
  } else if (r.forcenet) {
    ishost = 0;
  }
  flags |= abi::kRTF_UP;
  if (ishost) flags |= abi::kRTF_HOST;
  if (r.iflag == 0) flags |= abi::kRTF_GATEWAY;
  errno = 0;
  const int ret = RtMsg(*cmd, flags, r);
  const int oerrno = errno;
  if (*cmd == 'g' || qflag) return ret != 0;
  std::printf("%s %s %s", cmd, ishost ? "host" : "net", dest.c_str());
  if (!gateway.empty()) std::printf(": gateway %s", gateway.c_str());
  if (ret == 0) {
    std::printf("\n");
  } else {
    std::printf(": %s\n", RouteStrerror(oerrno));
  }
  return ret != 0;
}

// ---- monitor

void Interfaces() {
  const std::vector<uint8_t> buf = RouteSysctl(0, abi::kNET_RT_IFLIST, "route-sysctl-estimate",
                                               "actual retrieval of interface table");
  ForEachMessage(buf, [](const uint8_t* m, size_t len) { PrintRtmsg(m, len); });
}

void Monitor(int argc, char* const* argv) {
  long count = 0;
  if (argc > 1) {
    if (argc != 3 || std::strcmp(argv[1], "-c") != 0) Usage(argv[1]);
    count = std::atol(argv[2]);
  }
  verbose = true;
  if (debugonly) {
    Interfaces();
    std::exit(0);
  }
  std::vector<uint8_t> buf(2048);
  for (long i = 0; count <= 0 || i < count; ++i) {
    // librumpclient holds signals back while a call is in the kernel, as
    // NetBSD's does: wait in short polls, so that a SIGTERM or SIGINT ends
    // the monitor between two of them.
    while (true) {
      struct pollfd pfd;
      pfd.fd = g_sock;
      pfd.events = abi::kPOLLIN;
      pfd.revents = 0;
      const int ready = rump_sys_poll(&pfd, 1, 250);
      if (ready < 0 && errno != abi::kEINTR) tools::Err(1, errno, "poll");
      if (ready > 0) break;
    }
    const ssize_t n = rump_sys_read(g_sock, buf.data(), buf.size());
    if (n < 0) tools::Err(1, errno, "read from routing socket");
    const std::time_t now = std::time(nullptr);
    char date[64];
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
    std::printf("got message of size %zd on %s\n", n, date);
    PrintRtmsg(buf.data(), size_t(n));
    std::fflush(stdout);
  }
}

int Main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  if (argc < 2) Usage(nullptr);
  int ch;
  while ((ch = tools::GetOpt(argc, argv, kOpts)) != -1) {
    switch (ch) {
      case 'd': debugonly = true; break;
      case 'f': doflush = true; break;
      case 'L': break;  // NetBSD 7 lists the same routes with it
      case 'n': nflag = true; break;
      case 'q': qflag = true; break;
      case 'S': break;
      case 's': shortoutput = true; break;
      case 'T': Tflag = true; break;
      case 't': tflag = true; break;
      case 'v': verbose = true; break;
      default: Usage(nullptr);
    }
  }
  argc -= optind;
  argv += optind;
  tools::InitClient("init failed");
  g_pid = rump_sys_getpid();
  if (tflag) {
    g_sock = rump_sys_open("/dev/null", 1 /* O_WRONLY */);
  } else {
    g_sock = rump_sys_socket(abi::kAF_ROUTE, abi::kSOCK_RAW, 0);
  }
  if (g_sock < 0) tools::Err(1, errno, "socket");
  Key key = K_NONE;
  if (*argv == nullptr) {
    if (!doflush) Usage(nullptr);
    key = K_FLUSH;
  } else {
    key = Keyword(*argv);
  }
  switch (key) {
    case K_GET:
    case K_CHANGE:
    case K_ADD:
    case K_DELETE:
      if (doflush) FlushRoutes(1, argv, false);
      return NewRoute(argc, argv);
    case K_SHOW:
      Show(argc, argv);
      return 0;
    case K_MONITOR:
      Monitor(argc, argv);
      return 0;
    case K_FLUSH:
      return FlushRoutes(argc, argv, false);
    case K_FLUSHALL:
      return FlushRoutes(argc, argv, true);
    default:
      Usage(*argv);
  }
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
