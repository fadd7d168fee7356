// NetBSD IPv6 numbers and layouts, as NetBSD 7.99.34 has them (the NetBSD
// peer's kernel; sys/netinet/ip6.h, icmp6.h, netinet6/in6.h, in6_var.h,
// nd6.h, ip6_var.h; RFC 8200, RFC 4443, RFC 4861): the IPv6 socket
// address, the fixed header and the extension headers, the IPPROTO_IPV6
// and IPPROTO_ICMPV6 socket options, ICMPv6 message types and codes,
// Neighbor Discovery's messages, options and constants, the interface
// address ioctls of an AF_INET6 socket with their request layouts, address
// flags, neighbour cache states, the net.inet6 sysctl numbers and the
// index order of its statistics arrays, and the reassembly defaults.
// (AF_INET6 and the transport IPPROTO_* numbers live in socket.h.)
//
// Layouts are given as sizes and byte offsets; in6_test.cc pins them.
#ifndef RUMP_ABI_IN6_H_
#define RUMP_ABI_IN6_H_

#include <cstddef>
#include <cstdint>

#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"

namespace rump::abi {

// --- struct sockaddr_in6: kSockaddrIn6Size (28, socket.h) bytes
inline constexpr size_t kSin6LenOff = 0;       // uint8_t, 28
inline constexpr size_t kSin6FamilyOff = 1;    // uint8_t, AF_INET6 (24)
inline constexpr size_t kSin6PortOff = 2;      // uint16_t, network order
inline constexpr size_t kSin6FlowinfoOff = 4;  // uint32_t
inline constexpr size_t kSin6AddrOff = 8;      // 16 address bytes
inline constexpr size_t kSin6ScopeIdOff = 24;  // uint32_t, interface index for link-local
inline constexpr size_t kIn6AddrSize = 16;
inline constexpr size_t kINET6_ADDRSTRLEN = 46;

// --- struct ip6_hdr (40 bytes) and the ICMPv6 message header
inline constexpr size_t kIp6HeaderLen = 40;
inline constexpr size_t kIcmp6HeaderLen = 8;  // type, code, checksum, id, sequence
inline constexpr uint8_t kIPV6_VERSION = 0x60;  // in the first byte
inline constexpr uint8_t kIPV6_VERSION_MASK = 0xf0;
inline constexpr size_t kIPV6_MAXPACKET = 65535;  // without jumbograms
inline constexpr size_t kIPV6_MMTU = 1280;        // the minimum link MTU
inline constexpr int kIPV6_DEFHLIM = 64;          // ip6_defhlim
inline constexpr int kIPV6_MAXHLIM = 255;

// --- extension headers and other next-header values (IPPROTO_*)
inline constexpr uint8_t kIPPROTO_HOPOPTS = 0;
inline constexpr uint8_t kIPPROTO_ROUTING = 43;
inline constexpr uint8_t kIPPROTO_FRAGMENT = 44;
inline constexpr uint8_t kIPPROTO_NONE = 59;
inline constexpr uint8_t kIPPROTO_DSTOPTS = 60;

// --- options of the hop-by-hop and destination options headers
inline constexpr uint8_t kIP6OPT_PAD1 = 0x00;
inline constexpr uint8_t kIP6OPT_PADN = 0x01;
inline constexpr uint8_t kIP6OPT_ROUTER_ALERT = 0x05;  // RFC 2711, 2 bytes of value
inline constexpr uint8_t kIP6OPT_JUMBO = 0xc2;          // RFC 2675 (not supported)
// The two high bits of an option type: what to do when it is unknown.
inline constexpr uint8_t kIP6OPT_TYPE_MASK = 0xc0;
inline constexpr uint8_t kIP6OPT_TYPE_SKIP = 0x00;
inline constexpr uint8_t kIP6OPT_TYPE_DISCARD = 0x40;
inline constexpr uint8_t kIP6OPT_TYPE_FORCEICMP = 0x80;
inline constexpr uint8_t kIP6OPT_TYPE_ICMP = 0xc0;

// --- struct ip6_frag (8 bytes); ip6f_offlg in host order
inline constexpr size_t kIp6FragHeaderLen = 8;
inline constexpr uint16_t kIP6F_OFF_MASK = 0xfff8;
inline constexpr uint16_t kIP6F_RESERVED_MASK = 0x0006;
inline constexpr uint16_t kIP6F_MORE_FRAG = 0x0001;
// IPV6_FRAGTTL: a reassembly queue lives 120 slow-timeout ticks of 500 ms.
inline constexpr int kIPV6_FRAGTTL_SECONDS = 60;
inline constexpr int kIp6MaxFragPackets = 200;  // ip6_maxfragpackets
inline constexpr int kIp6MaxFrags = 200;        // ip6_maxfrags

// --- IPPROTO_IPV6 level socket options
inline constexpr int kIPV6_UNICAST_HOPS = 4;
inline constexpr int kIPV6_MULTICAST_IF = 9;
inline constexpr int kIPV6_MULTICAST_HOPS = 10;
inline constexpr int kIPV6_MULTICAST_LOOP = 11;
inline constexpr int kIPV6_JOIN_GROUP = 12;
inline constexpr int kIPV6_LEAVE_GROUP = 13;
inline constexpr int kIPV6_PORTRANGE = 14;
inline constexpr int kIPV6_CHECKSUM = 26;
inline constexpr int kIPV6_V6ONLY = 27;
inline constexpr int kIPV6_RECVPKTINFO = 36;
inline constexpr int kIPV6_RECVHOPLIMIT = 37;
inline constexpr int kIPV6_USE_MIN_MTU = 42;
inline constexpr int kIPV6_PKTINFO = 46;   // also the control message type
inline constexpr int kIPV6_HOPLIMIT = 47;  // also the control message type
inline constexpr int kIPV6_TCLASS = 61;
inline constexpr int kIPV6_DONTFRAG = 62;

// struct in6_pktinfo: the address, then the interface index (20 bytes).
inline constexpr size_t kIn6PktinfoSize = 20;
inline constexpr size_t kIpi6AddrOff = 0;
inline constexpr size_t kIpi6IfindexOff = 16;

// --- IPPROTO_ICMPV6 level: which message types a raw socket receives.
// struct icmp6_filter is 256 bits, one per type, in eight 32-bit words; a
// set bit lets the type through (word type/32, bit type%32).
inline constexpr int kICMP6_FILTER = 18;
inline constexpr size_t kIcmp6FilterSize = 32;

// --- ICMPv6 message types
inline constexpr int kICMP6_DST_UNREACH = 1;
inline constexpr int kICMP6_PACKET_TOO_BIG = 2;
inline constexpr int kICMP6_TIME_EXCEEDED = 3;
inline constexpr int kICMP6_PARAM_PROB = 4;
inline constexpr int kICMP6_ECHO_REQUEST = 128;
inline constexpr int kICMP6_ECHO_REPLY = 129;
inline constexpr int kMLD_LISTENER_QUERY = 130;
inline constexpr int kMLD_LISTENER_REPORT = 131;
inline constexpr int kMLD_LISTENER_DONE = 132;
inline constexpr int kND_ROUTER_SOLICIT = 133;
inline constexpr int kND_ROUTER_ADVERT = 134;
inline constexpr int kND_NEIGHBOR_SOLICIT = 135;
inline constexpr int kND_NEIGHBOR_ADVERT = 136;
inline constexpr int kND_REDIRECT = 137;
// Codes of destination unreachable.
inline constexpr int kICMP6_DST_UNREACH_NOROUTE = 0;
inline constexpr int kICMP6_DST_UNREACH_ADMIN = 1;
inline constexpr int kICMP6_DST_UNREACH_BEYONDSCOPE = 2;
inline constexpr int kICMP6_DST_UNREACH_ADDR = 3;
inline constexpr int kICMP6_DST_UNREACH_NOPORT = 4;

// ICMP6_TIME_EXCEEDED codes
inline constexpr int kICMP6_TIME_EXCEED_TRANSIT = 0;
inline constexpr int kICMP6_TIME_EXCEED_REASSEMBLY = 1;
// ICMP6_PARAM_PROB codes
inline constexpr int kICMP6_PARAMPROB_HEADER = 0;      // erroneous header field
inline constexpr int kICMP6_PARAMPROB_NEXTHEADER = 1;  // unrecognized next header
inline constexpr int kICMP6_PARAMPROB_OPTION = 2;      // unrecognized option

// --- Neighbor Discovery messages (RFC 4861)
// Fixed parts, ICMPv6 header included (struct nd_router_solicit, ...).
inline constexpr size_t kNdRouterSolicitLen = 8;
inline constexpr size_t kNdRouterAdvertLen = 16;
inline constexpr size_t kNdNeighborSolicitLen = 24;
inline constexpr size_t kNdNeighborAdvertLen = 24;
inline constexpr size_t kNdRedirectLen = 40;
// nd_ra_flags_reserved and nd_na_flags_reserved (first byte)
inline constexpr uint8_t kND_RA_FLAG_MANAGED = 0x80;
inline constexpr uint8_t kND_RA_FLAG_OTHER = 0x40;
inline constexpr uint8_t kND_NA_FLAG_ROUTER = 0x80;
inline constexpr uint8_t kND_NA_FLAG_SOLICITED = 0x40;
inline constexpr uint8_t kND_NA_FLAG_OVERRIDE = 0x20;
// options (nd_opt_type); lengths in units of 8 bytes
inline constexpr uint8_t kND_OPT_SOURCE_LINKADDR = 1;
inline constexpr uint8_t kND_OPT_TARGET_LINKADDR = 2;
inline constexpr uint8_t kND_OPT_PREFIX_INFORMATION = 3;
inline constexpr uint8_t kND_OPT_REDIRECTED_HEADER = 4;
inline constexpr uint8_t kND_OPT_MTU = 5;
inline constexpr size_t kNdOptPrefixInfoLen = 32;
inline constexpr uint8_t kND_OPT_PI_FLAG_ONLINK = 0x80;
inline constexpr uint8_t kND_OPT_PI_FLAG_AUTO = 0x40;
inline constexpr int kNd6MaxNdOpt = 10;  // nd6_maxndopt: options looked at per message
// protocol constants (RFC 4861 10; nd6.h)
inline constexpr int kMAX_MULTICAST_SOLICIT = 3;
inline constexpr int kMAX_UNICAST_SOLICIT = 3;
inline constexpr int kRETRANS_TIMER_MS = 1000;
inline constexpr int kREACHABLE_TIME_MS = 30000;
inline constexpr int kDELAY_FIRST_PROBE_TIME_SECONDS = 5;
inline constexpr double kMIN_RANDOM_FACTOR = 0.5;
inline constexpr double kMAX_RANDOM_FACTOR = 1.5;
inline constexpr int kNd6MaxQueueLen = 1;  // nd6_maxqueuelen: packets held per entry

// --- struct in6_addrlifetime: 24 bytes (two 64-bit time_t, two uint32_t)
inline constexpr size_t kIn6AddrlifetimeSize = 24;
inline constexpr size_t kIa6tExpireOff = 0;
inline constexpr size_t kIa6tPreferredOff = 8;
inline constexpr size_t kIa6tVltimeOff = 16;
inline constexpr size_t kIa6tPltimeOff = 20;
inline constexpr uint32_t kND6_INFINITE_LIFETIME = 0xffffffff;

// --- struct in6_ifreq: the interface name, then a union whose largest
// member is the 34 counters of ICMPv6 per-interface statistics (288 bytes).
inline constexpr size_t kIn6IfreqSize = 288;
inline constexpr size_t kIn6IfrNameOff = 0;
inline constexpr size_t kIn6IfrAddrOff = 16;      // sockaddr_in6
inline constexpr size_t kIn6IfrFlags6Off = 16;    // int, IN6_IFF_*
inline constexpr size_t kIn6IfrLifetimeOff = 16;  // in6_addrlifetime

// --- struct in6_aliasreq: 128 bytes
inline constexpr size_t kIn6AliasreqSize = 128;
inline constexpr size_t kIfra6NameOff = 0;
inline constexpr size_t kIfra6AddrOff = 16;        // sockaddr_in6
inline constexpr size_t kIfra6DstaddrOff = 44;     // sockaddr_in6
inline constexpr size_t kIfra6PrefixmaskOff = 72;  // sockaddr_in6
inline constexpr size_t kIfra6FlagsOff = 100;      // int, IN6_IFF_*
inline constexpr size_t kIfra6LifetimeOff = 104;   // in6_addrlifetime

// --- struct in6_nbrinfo: 56 bytes
inline constexpr size_t kIn6NbrinfoSize = 56;
inline constexpr size_t kNbiIfnameOff = 0;
inline constexpr size_t kNbiAddrOff = 16;      // in6_addr (scope embedded for link-local)
inline constexpr size_t kNbiAskedOff = 32;     // long
inline constexpr size_t kNbiIsrouterOff = 40;  // int
inline constexpr size_t kNbiStateOff = 44;     // int, ND6_LLINFO_*
inline constexpr size_t kNbiExpireOff = 48;    // int, seconds (time_second based)

// --- struct in6_ndireq: the name, then struct nd_ifinfo (56 bytes): 72
inline constexpr size_t kIn6NdireqSize = 72;
inline constexpr size_t kNdiLinkmtuOff = 16;
inline constexpr size_t kNdiMaxmtuOff = 20;
inline constexpr size_t kNdiBasereachableOff = 24;
inline constexpr size_t kNdiReachableOff = 28;
inline constexpr size_t kNdiRetransOff = 32;
inline constexpr size_t kNdiFlagsOff = 36;  // ND6_IFF_*
inline constexpr size_t kNdiRecalctmOff = 40;
inline constexpr size_t kNdiChlimOff = 44;  // uint8_t
inline constexpr uint32_t kND6_IFF_PERFORMNUD = 0x01;
inline constexpr uint32_t kND6_IFF_ACCEPT_RTADV = 0x02;
inline constexpr uint32_t kND6_IFF_IFDISABLED = 0x08;
inline constexpr uint32_t kND6_IFF_AUTO_LINKLOCAL = 0x20;

// --- ioctls on an AF_INET6 socket
inline constexpr uint64_t kSIOCGIFADDR_IN6 = Iowr('i', 33, kIn6IfreqSize);
inline constexpr uint64_t kSIOCGIFDSTADDR_IN6 = Iowr('i', 34, kIn6IfreqSize);
inline constexpr uint64_t kSIOCGIFNETMASK_IN6 = Iowr('i', 37, kIn6IfreqSize);
inline constexpr uint64_t kSIOCDIFADDR_IN6 = Iow('i', 25, kIn6IfreqSize);
inline constexpr uint64_t kSIOCGIFAFLAG_IN6 = Iowr('i', 73, kIn6IfreqSize);
inline constexpr uint64_t kSIOCSNDFLUSH_IN6 = Iowr('i', 77, kIn6IfreqSize);
inline constexpr uint64_t kSIOCGNBRINFO_IN6 = Iowr('i', 78, kIn6NbrinfoSize);
inline constexpr uint64_t kSIOCSPFXFLUSH_IN6 = Iowr('i', 79, kIn6IfreqSize);
inline constexpr uint64_t kSIOCSRTRFLUSH_IN6 = Iowr('i', 80, kIn6IfreqSize);
inline constexpr uint64_t kSIOCGIFALIFETIME_IN6 = Iowr('i', 106, kIn6IfreqSize);
inline constexpr uint64_t kSIOCAIFADDR_IN6 = Iow('i', 107, kIn6AliasreqSize);
inline constexpr uint64_t kSIOCGIFINFO_IN6 = Iowr('i', 108, kIn6NdireqSize);
inline constexpr uint64_t kSIOCSIFINFO_IN6 = Iowr('i', 109, kIn6NdireqSize);

// --- address flags (in6_ifreq's flags6, in6_aliasreq's flags)
inline constexpr int kIN6_IFF_ANYCAST = 0x01;
inline constexpr int kIN6_IFF_TENTATIVE = 0x02;
inline constexpr int kIN6_IFF_DUPLICATED = 0x04;
inline constexpr int kIN6_IFF_DETACHED = 0x08;
inline constexpr int kIN6_IFF_DEPRECATED = 0x10;
inline constexpr int kIN6_IFF_NODAD = 0x20;
inline constexpr int kIN6_IFF_AUTOCONF = 0x40;
inline constexpr int kIN6_IFF_TEMPORARY = 0x80;

// --- neighbour cache states (in6_nbrinfo's state)
inline constexpr int kND6_LLINFO_PURGE = -3;
inline constexpr int kND6_LLINFO_NOSTATE = -2;
inline constexpr int kND6_LLINFO_INCOMPLETE = 0;
inline constexpr int kND6_LLINFO_REACHABLE = 1;
inline constexpr int kND6_LLINFO_STALE = 2;
inline constexpr int kND6_LLINFO_DELAY = 3;
inline constexpr int kND6_LLINFO_PROBE = 4;

// --- sysctl: net.inet6 is CTL_NET, PF_INET6 (24); net.inet6.ip6 is the
// IPPROTO_IPV6 (41) node below it, net.inet6.icmp6 the IPPROTO_ICMPV6 (58)
// node.
inline constexpr int kIPV6CTL_FORWARDING = 1;
inline constexpr int kIPV6CTL_SENDREDIRECTS = 2;
inline constexpr int kIPV6CTL_DEFHLIM = 3;
inline constexpr int kIPV6CTL_STATS = 6;
inline constexpr int kIPV6CTL_ACCEPT_RTADV = 12;
inline constexpr int kIPV6CTL_DAD_COUNT = 16;
inline constexpr int kIPV6CTL_DEFMCASTHLIM = 18;
inline constexpr int kIPV6CTL_V6ONLY = 24;
inline constexpr int kIPV6CTL_ANONPORTMIN = 28;
inline constexpr int kIPV6CTL_ANONPORTMAX = 29;
inline constexpr int kIPV6CTL_MAXFRAGS = 41;
inline constexpr int kICMPV6CTL_STATS = 1;

// --- net.inet6.ip6.stats: an array of 64-bit counters, by index. The
// peer's kernel returns kIp6StatCount of them (3216 bytes).
inline constexpr int kIp6StatTotal = 0;         // packets received
inline constexpr int kIp6StatTooShort = 1;
inline constexpr int kIp6StatTooSmall = 2;
inline constexpr int kIp6StatFragments = 3;     // fragments received
inline constexpr int kIp6StatFragDropped = 4;
inline constexpr int kIp6StatFragTimeout = 5;
inline constexpr int kIp6StatFragOverflow = 6;
inline constexpr int kIp6StatForward = 7;
inline constexpr int kIp6StatCantForward = 8;
inline constexpr int kIp6StatRedirectSent = 9;
inline constexpr int kIp6StatDelivered = 10;    // to an upper layer
inline constexpr int kIp6StatLocalOut = 11;     // generated here
inline constexpr int kIp6StatOutDropped = 12;
inline constexpr int kIp6StatReassembled = 13;
inline constexpr int kIp6StatFragmented = 14;
inline constexpr int kIp6StatOutFragments = 15;
inline constexpr int kIp6StatCantFrag = 16;
inline constexpr int kIp6StatBadOptions = 17;
inline constexpr int kIp6StatNoRoute = 18;
inline constexpr int kIp6StatBadVersion = 19;
inline constexpr int kIp6StatRawOut = 20;
inline constexpr int kIp6StatBadScope = 21;
inline constexpr int kIp6StatNotMember = 22;
inline constexpr int kIp6StatNextHeaderHist = 23;  // 256 counters, by next header
inline constexpr int kIp6StatOneMbuf = 279;
inline constexpr int kIp6StatTwoOrMoreMbufs = 280;  // 32 counters
inline constexpr int kIp6StatOneExtMbuf = 312;
inline constexpr int kIp6StatTwoOrMoreExtMbufs = 313;
inline constexpr int kIp6StatExtHeaderTooLong = 314;
inline constexpr int kIp6StatNoGif = 315;
inline constexpr int kIp6StatTooManyHeaders = 316;
// Source address selection: one counter, then five groups of 16 by scope.
inline constexpr int kIp6StatSourcesNone = 317;
inline constexpr int kIp6StatSourcesSameIf = 318;
inline constexpr int kIp6StatSourcesOtherIf = 334;
inline constexpr int kIp6StatSourcesSameScope = 350;
inline constexpr int kIp6StatSourcesOtherScope = 366;
inline constexpr int kIp6StatSourcesDeprecated = 382;
inline constexpr int kIp6StatForwardCacheHit = 398;
inline constexpr int kIp6StatForwardCacheMiss = 399;
inline constexpr int kIp6StatFastForward = 400;
inline constexpr int kIp6StatFastForwardFlows = 401;
inline constexpr int kIp6StatCount = 402;

// --- net.inet6.icmp6.stats: 64-bit counters by index (4336 bytes).
inline constexpr int kIcmp6StatError = 0;        // errors asked to be sent
inline constexpr int kIcmp6StatCantError = 1;
inline constexpr int kIcmp6StatTooFrequent = 2;
inline constexpr int kIcmp6StatOutHist = 3;      // 256 counters, by type sent
inline constexpr int kIcmp6StatBadCode = 259;
inline constexpr int kIcmp6StatTooShort = 260;
inline constexpr int kIcmp6StatChecksum = 261;
inline constexpr int kIcmp6StatBadLength = 262;
inline constexpr int kIcmp6StatReflect = 263;    // responses generated
inline constexpr int kIcmp6StatInHist = 264;     // 256 counters, by type received
inline constexpr int kIcmp6StatNdTooManyOptions = 520;
inline constexpr int kIcmp6StatOutErrorHist = 521;  // 13 counters, below
inline constexpr int kIcmp6StatPmtuChanged = 534;
inline constexpr int kIcmp6StatNdBadOption = 535;
inline constexpr int kIcmp6StatBadNs = 536;
inline constexpr int kIcmp6StatBadNa = 537;
inline constexpr int kIcmp6StatBadRs = 538;
inline constexpr int kIcmp6StatBadRa = 539;
inline constexpr int kIcmp6StatBadRedirect = 540;
inline constexpr int kIcmp6StatDroppedRaRoute = 541;
inline constexpr int kIcmp6StatCount = 542;
// The error histogram's slots (after kIcmp6StatOutErrorHist).
inline constexpr int kIcmp6ErrNoRoute = 0;
inline constexpr int kIcmp6ErrAdmin = 1;
inline constexpr int kIcmp6ErrBeyondScope = 2;
inline constexpr int kIcmp6ErrAddr = 3;
inline constexpr int kIcmp6ErrNoPort = 4;
inline constexpr int kIcmp6ErrPacketTooBig = 5;
inline constexpr int kIcmp6ErrTimeExceedTransit = 6;
inline constexpr int kIcmp6ErrTimeExceedReassembly = 7;
inline constexpr int kIcmp6ErrParamHeader = 8;
inline constexpr int kIcmp6ErrParamNextHeader = 9;
inline constexpr int kIcmp6ErrParamOption = 10;
inline constexpr int kIcmp6ErrRedirect = 11;
inline constexpr int kIcmp6ErrUnknown = 12;
static_assert(kIp6StatNextHeaderHist + 256 == kIp6StatOneMbuf);
static_assert(kIcmp6StatOutHist + 256 == kIcmp6StatBadCode);
static_assert(kIcmp6StatInHist + 256 == kIcmp6StatNdTooManyOptions);
static_assert(kIcmp6StatOutErrorHist + kIcmp6ErrUnknown + 1 == kIcmp6StatPmtuChanged);

// --- the Ethernet type of IPv6 (NetBSD's ETHERTYPE_IPV6, RFC 2464)
inline constexpr uint16_t kETHERTYPE_IPV6 = 0x86dd;

}  // namespace rump::abi

#endif  // RUMP_ABI_IN6_H_
