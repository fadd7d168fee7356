// NetBSD IPv6 numbers (sys/netinet/ip6.h, icmp6.h, netinet6/in6.h,
// ip6_var.h, in6_proto.c; RFC 8200, RFC 4443): the fixed header's layout
// and defaults, the extension header protocol numbers and option types,
// ICMPv6 parameter problem codes, and the reassembly defaults.
// (IPPROTO_IPV6, IPPROTO_ICMPV6 and AF_INET6 live in socket.h.)
#ifndef RUMP_ABI_IN6_H_
#define RUMP_ABI_IN6_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- struct ip6_hdr (40 bytes)
inline constexpr size_t kIp6HeaderLen = 40;
inline constexpr uint8_t kIPV6_VERSION = 0x60;      // in the first byte
inline constexpr uint8_t kIPV6_VERSION_MASK = 0xf0;
inline constexpr int kIPV6_DEFHLIM = 64;             // ip6_defhlim
inline constexpr int kIPV6_MAXHLIM = 255;
inline constexpr size_t kIPV6_MAXPACKET = 65535;     // without jumbograms
inline constexpr size_t kIPV6_MMTU = 1280;           // the minimum link MTU

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

// --- ICMPv6 (struct icmp6_hdr, 8 bytes)
inline constexpr size_t kIcmp6HeaderLen = 8;
inline constexpr int kICMP6_DST_UNREACH = 1;
inline constexpr int kICMP6_PACKET_TOO_BIG = 2;
inline constexpr int kICMP6_TIME_EXCEEDED = 3;
inline constexpr int kICMP6_PARAM_PROB = 4;
inline constexpr int kICMP6_ECHO_REQUEST = 128;
inline constexpr int kICMP6_ECHO_REPLY = 129;
// ICMP6_TIME_EXCEEDED codes
inline constexpr int kICMP6_TIME_EXCEED_TRANSIT = 0;
inline constexpr int kICMP6_TIME_EXCEED_REASSEMBLY = 1;
// ICMP6_PARAM_PROB codes
inline constexpr int kICMP6_PARAMPROB_HEADER = 0;      // erroneous header field
inline constexpr int kICMP6_PARAMPROB_NEXTHEADER = 1;  // unrecognized next header
inline constexpr int kICMP6_PARAMPROB_OPTION = 2;      // unrecognized option

// --- Neighbor Discovery (netinet/icmp6.h, netinet6/nd6.h; RFC 4861)
inline constexpr int kND_ROUTER_SOLICIT = 133;
inline constexpr int kND_ROUTER_ADVERT = 134;
inline constexpr int kND_NEIGHBOR_SOLICIT = 135;
inline constexpr int kND_NEIGHBOR_ADVERT = 136;
inline constexpr int kND_REDIRECT = 137;
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

}  // namespace rump::abi

#endif  // RUMP_ABI_IN6_H_
