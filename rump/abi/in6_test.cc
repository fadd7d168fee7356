// Pins the IPv6 layouts of in6.h: each is declared here as a plain
// structure with NetBSD's member types on amd64 (64-bit time_t and long),
// and its size and member offsets must equal the constants; the ioctl
// numbers must equal NetBSD's amd64 values.
#include "rump/abi/in6.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "rump/abi/socket.h"

namespace rump::abi {
namespace {

struct SockaddrIn6 {
  uint8_t len;
  uint8_t family;
  uint16_t port;
  uint32_t flowinfo;
  uint8_t addr[16];
  uint32_t scope_id;
};
static_assert(sizeof(SockaddrIn6) == kSockaddrIn6Size);
static_assert(offsetof(SockaddrIn6, len) == kSin6LenOff);
static_assert(offsetof(SockaddrIn6, family) == kSin6FamilyOff);
static_assert(offsetof(SockaddrIn6, port) == kSin6PortOff);
static_assert(offsetof(SockaddrIn6, flowinfo) == kSin6FlowinfoOff);
static_assert(offsetof(SockaddrIn6, addr) == kSin6AddrOff);
static_assert(offsetof(SockaddrIn6, scope_id) == kSin6ScopeIdOff);

struct AddrLifetime {
  int64_t expire;
  int64_t preferred;
  uint32_t vltime;
  uint32_t pltime;
};
static_assert(sizeof(AddrLifetime) == kIn6AddrlifetimeSize);
static_assert(offsetof(AddrLifetime, expire) == kIa6tExpireOff);
static_assert(offsetof(AddrLifetime, preferred) == kIa6tPreferredOff);
static_assert(offsetof(AddrLifetime, vltime) == kIa6tVltimeOff);
static_assert(offsetof(AddrLifetime, pltime) == kIa6tPltimeOff);

// The union's largest member: 34 64-bit ICMPv6 counters.
struct In6Ifreq {
  char name[16];
  union {
    SockaddrIn6 addr;
    int flags6;
    AddrLifetime lifetime;
    uint64_t icmp6_counters[34];
  } u;
};
static_assert(sizeof(In6Ifreq) == kIn6IfreqSize);
static_assert(offsetof(In6Ifreq, u.addr) == kIn6IfrAddrOff);
static_assert(offsetof(In6Ifreq, u.flags6) == kIn6IfrFlags6Off);
static_assert(offsetof(In6Ifreq, u.lifetime) == kIn6IfrLifetimeOff);

struct In6Aliasreq {
  char name[16];
  SockaddrIn6 addr;
  SockaddrIn6 dstaddr;
  SockaddrIn6 prefixmask;
  int flags;
  AddrLifetime lifetime;
};
static_assert(sizeof(In6Aliasreq) == kIn6AliasreqSize);
static_assert(offsetof(In6Aliasreq, name) == kIfra6NameOff);
static_assert(offsetof(In6Aliasreq, addr) == kIfra6AddrOff);
static_assert(offsetof(In6Aliasreq, dstaddr) == kIfra6DstaddrOff);
static_assert(offsetof(In6Aliasreq, prefixmask) == kIfra6PrefixmaskOff);
static_assert(offsetof(In6Aliasreq, flags) == kIfra6FlagsOff);
static_assert(offsetof(In6Aliasreq, lifetime) == kIfra6LifetimeOff);

struct NbrInfo {
  char ifname[16];
  uint8_t addr[16];
  int64_t asked;  // long
  int isrouter;
  int state;
  int expire;
};
static_assert(sizeof(NbrInfo) == kIn6NbrinfoSize);
static_assert(offsetof(NbrInfo, ifname) == kNbiIfnameOff);
static_assert(offsetof(NbrInfo, addr) == kNbiAddrOff);
static_assert(offsetof(NbrInfo, asked) == kNbiAskedOff);
static_assert(offsetof(NbrInfo, isrouter) == kNbiIsrouterOff);
static_assert(offsetof(NbrInfo, state) == kNbiStateOff);
static_assert(offsetof(NbrInfo, expire) == kNbiExpireOff);

struct NdIfinfo {
  uint32_t linkmtu, maxmtu, basereachable, reachable, retrans, flags;
  int recalctm;
  uint8_t chlim;
  uint8_t initialized;
  uint8_t randomseed0[8], randomseed1[8], randomid[8];
};
struct NdiReq {
  char ifname[16];
  NdIfinfo ndi;
};
static_assert(sizeof(NdiReq) == kIn6NdireqSize);
static_assert(offsetof(NdiReq, ndi.linkmtu) == kNdiLinkmtuOff);
static_assert(offsetof(NdiReq, ndi.maxmtu) == kNdiMaxmtuOff);
static_assert(offsetof(NdiReq, ndi.basereachable) == kNdiBasereachableOff);
static_assert(offsetof(NdiReq, ndi.reachable) == kNdiReachableOff);
static_assert(offsetof(NdiReq, ndi.retrans) == kNdiRetransOff);
static_assert(offsetof(NdiReq, ndi.flags) == kNdiFlagsOff);
static_assert(offsetof(NdiReq, ndi.recalctm) == kNdiRecalctmOff);
static_assert(offsetof(NdiReq, ndi.chlim) == kNdiChlimOff);

struct PktInfo {
  uint8_t addr[16];
  unsigned int ifindex;
};
static_assert(sizeof(PktInfo) == kIn6PktinfoSize);
static_assert(offsetof(PktInfo, ifindex) == kIpi6IfindexOff);

TEST(In6Test, IoctlNumbersAreNetbsdAmd64s) {
  EXPECT_EQ(kSIOCAIFADDR_IN6, 0x8080696bu);
  EXPECT_EQ(kSIOCDIFADDR_IN6, 0x81206919u);
  EXPECT_EQ(kSIOCGIFADDR_IN6, 0xc1206921u);
  EXPECT_EQ(kSIOCGIFNETMASK_IN6, 0xc1206925u);
  EXPECT_EQ(kSIOCGIFAFLAG_IN6, 0xc1206949u);
  EXPECT_EQ(kSIOCSNDFLUSH_IN6, 0xc120694du);
  EXPECT_EQ(kSIOCGNBRINFO_IN6, 0xc038694eu);
  EXPECT_EQ(kSIOCSPFXFLUSH_IN6, 0xc120694fu);
  EXPECT_EQ(kSIOCSRTRFLUSH_IN6, 0xc1206950u);
  EXPECT_EQ(kSIOCGIFALIFETIME_IN6, 0xc120696au);
  EXPECT_EQ(kSIOCGIFINFO_IN6, 0xc048696cu);
  EXPECT_EQ(kSIOCSIFINFO_IN6, 0xc048696du);
}

// The sizes of the statistics arrays NetBSD 7.99.34's kernel returns
// (measured against the peer: 3216 and 4336 bytes).
TEST(In6Test, StatisticsArrays) {
  EXPECT_EQ(kIp6StatCount * 8, 3216);
  EXPECT_EQ(kIcmp6StatCount * 8, 4336);
  EXPECT_EQ(kIcmp6StatDroppedRaRoute + 1, kIcmp6StatCount);
  EXPECT_EQ(kIp6StatFastForwardFlows + 1, kIp6StatCount);
}

TEST(In6Test, FamilyAndProtocols) {
  EXPECT_EQ(kAF_INET6, 24);
  EXPECT_EQ(kIPPROTO_IPV6, 41);
  EXPECT_EQ(kIPPROTO_ICMPV6, 58);
}

}  // namespace
}  // namespace rump::abi
