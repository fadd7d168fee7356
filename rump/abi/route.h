// NetBSD routing-socket and route-sysctl ABI (sys/net/route.h, sys/net/if.h,
// sys/net/rtsock.c; NetBSD 7.99.34, amd64): message types, address bits,
// the NET_RT_* operations of the net.route.0 sysctl, the byte layouts of
// the message headers (rt_msghdr, if_msghdr, ifa_msghdr), and RT_ROUNDUP,
// the 8-byte packing of the sockaddrs that follow a header.
#ifndef RUMP_ABI_ROUTE_H_
#define RUMP_ABI_ROUTE_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

inline constexpr uint8_t kRTM_VERSION = 4;

// --- message types
inline constexpr uint8_t kRTM_ADD = 0x1;
inline constexpr uint8_t kRTM_DELETE = 0x2;
inline constexpr uint8_t kRTM_CHANGE = 0x3;
inline constexpr uint8_t kRTM_GET = 0x4;
inline constexpr uint8_t kRTM_LOSING = 0x5;
inline constexpr uint8_t kRTM_REDIRECT = 0x6;
inline constexpr uint8_t kRTM_MISS = 0x7;
inline constexpr uint8_t kRTM_LOCK = 0x8;
inline constexpr uint8_t kRTM_OLDADD = 0x9;
inline constexpr uint8_t kRTM_OLDDEL = 0xa;
inline constexpr uint8_t kRTM_NEWADDR = 0xc;
inline constexpr uint8_t kRTM_DELADDR = 0xd;
inline constexpr uint8_t kRTM_OOIFINFO = 0xe;
inline constexpr uint8_t kRTM_OIFINFO = 0xf;
inline constexpr uint8_t kRTM_IFANNOUNCE = 0x10;
inline constexpr uint8_t kRTM_IEEE80211 = 0x11;
inline constexpr uint8_t kRTM_IFINFO = 0x14;
inline constexpr uint8_t kRTM_CHGADDR = 0x15;

// --- route flags (rtm_flags), and the interface address flags (ifa_flags,
// ifam_flags) that share their values
inline constexpr int kRTF_UP = 0x1;
inline constexpr int kRTF_GATEWAY = 0x2;
inline constexpr int kRTF_HOST = 0x4;
inline constexpr int kRTF_REJECT = 0x8;
inline constexpr int kRTF_DYNAMIC = 0x10;
inline constexpr int kRTF_MODIFIED = 0x20;
inline constexpr int kRTF_DONE = 0x40;
inline constexpr int kRTF_MASK = 0x80;
inline constexpr int kRTF_CLONING = 0x100;  // an interface's network route; ARP interfaces' addresses
inline constexpr int kRTF_CONNECTED = kRTF_CLONING;  // its later name (route(8) prints CONNECTED)
inline constexpr int kRTF_XRESOLVE = 0x200;
inline constexpr int kRTF_LLINFO = 0x400;   // a neighbour (ARP) entry; RTF_LLDATA
inline constexpr int kRTF_STATIC = 0x800;   // added by hand
inline constexpr int kRTF_BLACKHOLE = 0x1000;
inline constexpr int kRTF_CLONED = 0x2000;
inline constexpr int kRTF_PROTO2 = 0x4000;
inline constexpr int kRTF_PROTO1 = 0x8000;
inline constexpr int kRTF_SRC = 0x10000;
inline constexpr int kRTF_ANNOUNCE = 0x20000;
inline constexpr int kRTF_LOCAL = 0x40000;  // a route to one of our own addresses
inline constexpr int kRTF_BROADCAST = 0x80000;
inline constexpr int kIFA_ROUTE = kRTF_UP;  // the address's prefix route is installed

// --- address bits (rtm_addrs) and their indices
inline constexpr int kRTA_DST = 0x1;
inline constexpr int kRTA_GATEWAY = 0x2;
inline constexpr int kRTA_NETMASK = 0x4;
inline constexpr int kRTA_GENMASK = 0x8;
inline constexpr int kRTA_IFP = 0x10;
inline constexpr int kRTA_IFA = 0x20;
inline constexpr int kRTA_AUTHOR = 0x40;
inline constexpr int kRTA_BRD = 0x80;
inline constexpr int kRTA_TAG = 0x100;
inline constexpr int kRTAX_DST = 0;
inline constexpr int kRTAX_GATEWAY = 1;
inline constexpr int kRTAX_NETMASK = 2;
inline constexpr int kRTAX_GENMASK = 3;
inline constexpr int kRTAX_IFP = 4;
inline constexpr int kRTAX_IFA = 5;
inline constexpr int kRTAX_AUTHOR = 6;
inline constexpr int kRTAX_BRD = 7;
inline constexpr int kRTAX_TAG = 8;
inline constexpr int kRTAX_MAX = 9;

// --- which metrics a request sets (rtm_inits) or locks (rmx_locks)
inline constexpr int kRTV_MTU = 0x1;
inline constexpr int kRTV_HOPCOUNT = 0x2;
inline constexpr int kRTV_EXPIRE = 0x4;
inline constexpr int kRTV_RPIPE = 0x8;
inline constexpr int kRTV_SPIPE = 0x10;
inline constexpr int kRTV_SSTHRESH = 0x20;
inline constexpr int kRTV_RTT = 0x40;
inline constexpr int kRTV_RTTVAR = 0x80;

// struct sockaddr_inarp (16 bytes, netinet/if_inarp.h): a sockaddr_in
// whose last two bytes are sin_other; arp(8) reads SIN_PROXY there as
// "published (proxy only)".
inline constexpr size_t kSinOtherOff = 14;  // u16
inline constexpr uint16_t kSIN_PROXY = 1;

// --- net.route.0 (the "rtable" node): {CTL_NET, PF_ROUTE, 0, af, op, arg}
inline constexpr int kNET_RT_DUMP = 1;
inline constexpr int kNET_RT_FLAGS = 2;
inline constexpr int kNET_RT_OOIFLIST = 3;
inline constexpr int kNET_RT_OIFLIST = 4;
inline constexpr int kNET_RT_IFLIST = 5;

// A sockaddr of length `len` takes RtRoundup(len) bytes after a header:
// rounded up to 8, and a zero-length one still takes 8 (RT_ROUNDUP).
constexpr size_t RtRoundup(size_t len) {
  return len == 0 ? sizeof(uint64_t) : ((len - 1) | (sizeof(uint64_t) - 1)) + 1;
}
static_assert(RtRoundup(0) == 8 && RtRoundup(5) == 8 && RtRoundup(16) == 16 &&
              RtRoundup(20) == 24 && RtRoundup(28) == 32);

// --- struct rt_msghdr (120 bytes)
// struct rtstat (net.route.stats): five uint64_t counters in this order.
inline constexpr int kRtStatBadredirect = 0;  // redirects refused
inline constexpr int kRtStatDynamic = 1;      // routes created by redirects
inline constexpr int kRtStatNewgateway = 2;   // routes changed by redirects
inline constexpr int kRtStatUnreach = 3;      // lookups that found no route
inline constexpr int kRtStatWildcard = 4;     // lookups answered by a wildcard
inline constexpr int kRtStatNStats = 5;

inline constexpr size_t kRtMsghdrSize = 120;
inline constexpr size_t kRtmMsglenOff = 0;   // u16: whole message
inline constexpr size_t kRtmVersionOff = 2;  // u8
inline constexpr size_t kRtmTypeOff = 3;     // u8
inline constexpr size_t kRtmIndexOff = 4;    // u16
inline constexpr size_t kRtmFlagsOff = 8;    // int
inline constexpr size_t kRtmAddrsOff = 12;   // int
inline constexpr size_t kRtmPidOff = 16;
inline constexpr size_t kRtmSeqOff = 20;
inline constexpr size_t kRtmErrnoOff = 24;
inline constexpr size_t kRtmUseOff = 28;
inline constexpr size_t kRtmInitsOff = 32;
inline constexpr size_t kRtmRmxOff = 40;     // struct rt_metrics (80)
// struct rt_metrics: u64 locks, mtu, hopcount, recvpipe, sendpipe,
// ssthresh, rtt, rttvar, then time_t expire and pksent.
inline constexpr size_t kRtMetricsSize = 80;
inline constexpr size_t kRmxLocksOff = 0;
inline constexpr size_t kRmxMtuOff = 8;
inline constexpr size_t kRmxHopcountOff = 16;
inline constexpr size_t kRmxRecvpipeOff = 24;
inline constexpr size_t kRmxSendpipeOff = 32;
inline constexpr size_t kRmxSsthreshOff = 40;
inline constexpr size_t kRmxRttOff = 48;
inline constexpr size_t kRmxRttvarOff = 56;
inline constexpr size_t kRmxExpireOff = 64;
inline constexpr size_t kRmxPksentOff = 72;

// --- struct if_msghdr (RTM_IFINFO; 152 bytes)
inline constexpr size_t kIfMsghdrSize = 152;
inline constexpr size_t kIfmMsglenOff = 0;   // u16
inline constexpr size_t kIfmVersionOff = 2;  // u8
inline constexpr size_t kIfmTypeOff = 3;     // u8
inline constexpr size_t kIfmAddrsOff = 4;    // int
inline constexpr size_t kIfmFlagsOff = 8;    // int
inline constexpr size_t kIfmIndexOff = 12;   // u16
inline constexpr size_t kIfmDataOff = 16;    // struct if_data (136)

// --- struct ifa_msghdr (RTM_NEWADDR / DELADDR / CHGADDR; 24 bytes)
inline constexpr size_t kIfaMsghdrSize = 24;
inline constexpr size_t kIfamMsglenOff = 0;   // u16
inline constexpr size_t kIfamVersionOff = 2;  // u8
inline constexpr size_t kIfamTypeOff = 3;     // u8
inline constexpr size_t kIfamAddrsOff = 4;    // int
inline constexpr size_t kIfamFlagsOff = 8;    // int
inline constexpr size_t kIfamMetricOff = 12;  // int
inline constexpr size_t kIfamIndexOff = 16;   // u16

// --- struct if_announcemsghdr (RTM_IFANNOUNCE; 24 bytes)
inline constexpr size_t kIfAnnounceMsghdrSize = 24;
inline constexpr size_t kIfanMsglenOff = 0;  // u16
inline constexpr size_t kIfanIndexOff = 4;   // u16
inline constexpr size_t kIfanNameOff = 6;    // char[IFNAMSIZ]
inline constexpr size_t kIfanWhatOff = 22;   // u16
inline constexpr uint16_t kIFAN_ARRIVAL = 0;
inline constexpr uint16_t kIFAN_DEPARTURE = 1;

}  // namespace rump::abi

#endif  // RUMP_ABI_ROUTE_H_
