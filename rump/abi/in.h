// NetBSD IPv4 protocol numbers and layouts (sys/netinet/in.h, ip.h,
// ip_icmp.h, udp.h, if_ether.h, raw_ip.c, udp_usrreq.c; NetBSD 7.99.34):
// the IP header's fields and flags, ICMP types and codes, the IPPROTO_IP
// socket options, the control message of IP_RECVDSTADDR, the ephemeral
// port range, the protocols' default socket buffer sizes, and the index
// order of the statistics arrays that net.inet.*.stats return.
// (IPPROTO_* numbers and sockaddr_in live in socket.h.)
#ifndef RUMP_ABI_IN_H_
#define RUMP_ABI_IN_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- addresses (host-order values)
inline constexpr uint32_t kINADDR_ANY = 0x00000000;
inline constexpr uint32_t kINADDR_LOOPBACK = 0x7f000001;
inline constexpr uint32_t kINADDR_BROADCAST = 0xffffffff;
inline constexpr uint32_t kINADDR_ALLHOSTS_GROUP = 0xe0000001;
inline constexpr uint32_t kIN_LOOPBACKNET = 127;

// --- IPv4 address flags (netinet/in_var.h; SIOCGIFAFLAG_IN's ifr_addrflags)
inline constexpr int kIN_IFF_TENTATIVE = 0x01;
inline constexpr int kIN_IFF_DUPLICATED = 0x02;
inline constexpr int kIN_IFF_DETACHED = 0x04;  // the interface is down
inline constexpr int kIN_IFF_TRYTENTATIVE = 0x08;

// --- struct ip (20 bytes without options)
inline constexpr size_t kIpHeaderLen = 20;
inline constexpr size_t kIpMaxHeaderLen = 60;
inline constexpr uint16_t kIP_RF = 0x8000;
inline constexpr uint16_t kIP_DF = 0x4000;
inline constexpr uint16_t kIP_MF = 0x2000;
inline constexpr uint16_t kIP_OFFMASK = 0x1fff;
inline constexpr size_t kIP_MAXPACKET = 65535;
inline constexpr int kMAXTTL = 255;
inline constexpr int kIPDEFTTL = 64;
inline constexpr int kIP_DEFAULT_MULTICAST_TTL = 1;
// IPFRAGTTL: a reassembly queue lives 60 slow-timeout ticks of 500 ms.
inline constexpr int kIPFRAGTTL_SECONDS = 30;

// --- IPPROTO_IP level socket options
inline constexpr int kIP_OPTIONS = 1;
inline constexpr int kIP_HDRINCL = 2;
inline constexpr int kIP_TOS = 3;
inline constexpr int kIP_TTL = 4;
inline constexpr int kIP_RECVOPTS = 5;
inline constexpr int kIP_RECVRETOPTS = 6;
inline constexpr int kIP_RECVDSTADDR = 7;
inline constexpr int kIP_RETOPTS = 8;
inline constexpr int kIP_MULTICAST_IF = 9;
inline constexpr int kIP_MULTICAST_TTL = 10;
inline constexpr int kIP_MULTICAST_LOOP = 11;
inline constexpr int kIP_ADD_MEMBERSHIP = 12;
inline constexpr int kIP_DROP_MEMBERSHIP = 13;
inline constexpr int kIP_PORTRANGE = 19;
inline constexpr int kIP_RECVIF = 20;
inline constexpr int kIP_ERRORMTU = 21;
inline constexpr int kIP_IPSEC_POLICY = 22;
inline constexpr int kIP_RECVTTL = 23;
inline constexpr int kIP_MINTTL = 24;
inline constexpr int kIP_PKTINFO = 25;      // int: INP_PKTINFO (Linux's meaning)
inline constexpr int kIP_RECVPKTINFO = 26;  // int: INP_RECVPKTINFO

// --- struct in_pktinfo (8 bytes): the data of an IP_PKTINFO control
// message (the datagram's destination) and of an IP_RECVPKTINFO one (its
// source), with the index of the interface it came in on.
inline constexpr size_t kInPktinfoSize = 8;
inline constexpr size_t kIpiAddrOff = 0;     // struct in_addr
inline constexpr size_t kIpiIfindexOff = 4;  // unsigned int

// (struct cmsghdr, CmsgLen / CmsgSpace: socket.h)

// --- ports (IPPORT_*) and the default socket buffer sizes
inline constexpr int kIPPORT_RESERVED = 1024;
inline constexpr int kIPPORT_ANONMIN = 49152;
inline constexpr int kIPPORT_ANONMAX = 65535;
inline constexpr size_t kUdpSendSpace = 9216;             // udp_sendspace
inline constexpr size_t kUdpRecvSpace = 40 * (1024 + 16); // udp_recvspace, 41600
inline constexpr size_t kRipSendSpace = 8192;             // RIPSNDQ
inline constexpr size_t kRipRecvSpace = 8192;             // RIPRCVQ

// --- struct udphdr (8 bytes)
inline constexpr size_t kUdpHeaderLen = 8;

// --- ICMP (struct icmp; ICMP_MINLEN 8)
inline constexpr size_t kICMP_MINLEN = 8;
inline constexpr size_t kICMP_ADVLENMIN = 8 + 20 + 8;  // error: header + ip + 8
inline constexpr size_t kICMP_MASKLEN = 12;            // a mask request or reply
inline constexpr int kICMP_ECHOREPLY = 0;
inline constexpr int kICMP_UNREACH = 3;
inline constexpr int kICMP_SOURCEQUENCH = 4;
inline constexpr int kICMP_REDIRECT = 5;
inline constexpr int kICMP_ECHO = 8;
inline constexpr int kICMP_ROUTERADVERT = 9;
inline constexpr int kICMP_ROUTERSOLICIT = 10;
inline constexpr int kICMP_TIMXCEED = 11;
inline constexpr int kICMP_PARAMPROB = 12;
inline constexpr int kICMP_TSTAMP = 13;
inline constexpr int kICMP_TSTAMPREPLY = 14;
inline constexpr int kICMP_IREQ = 15;
inline constexpr int kICMP_IREQREPLY = 16;
inline constexpr int kICMP_MASKREQ = 17;
inline constexpr int kICMP_MASKREPLY = 18;
inline constexpr int kICMP_MAXTYPE = 40;
// ICMP_UNREACH codes
inline constexpr int kICMP_UNREACH_NET = 0;
inline constexpr int kICMP_UNREACH_HOST = 1;
inline constexpr int kICMP_UNREACH_PROTOCOL = 2;
inline constexpr int kICMP_UNREACH_PORT = 3;
inline constexpr int kICMP_UNREACH_NEEDFRAG = 4;
inline constexpr int kICMP_UNREACH_SRCFAIL = 5;
// ICMP_REDIRECT codes
inline constexpr int kICMP_REDIRECT_NET = 0;
inline constexpr int kICMP_REDIRECT_HOST = 1;
// ICMP_TIMXCEED codes
inline constexpr int kICMP_TIMXCEED_INTRANS = 0;
inline constexpr int kICMP_TIMXCEED_REASS = 1;
// icmperrppslim: ICMP errors sent per second at most (RFC 1122 4.3.2.8)
inline constexpr int kIcmpErrPpsLim = 100;

// --- ARP (if_arp.h, if_inarp.h)
inline constexpr int kArpMaxTries = 5;         // arp_maxtries
inline constexpr int kArptKeepSeconds = 1200;  // arpt_keep: 20 minutes
inline constexpr int kArptDownSeconds = 20;    // arpt_down: host down this long

// --- statistics arrays: net.inet.ip.stats (IP_STAT_*, ip_var.h), one
// uint64_t per counter in this order
enum IpStatIndex : int {
  kIpStatTotal = 0, kIpStatBadsum, kIpStatTooshort, kIpStatToosmall, kIpStatBadhlen,
  kIpStatBadlen, kIpStatFragments, kIpStatFragdropped, kIpStatFragtimeout,
  kIpStatForward, kIpStatFastforward, kIpStatCantforward, kIpStatRedirectsent,
  kIpStatNoproto, kIpStatDelivered, kIpStatLocalout, kIpStatOdropped,
  kIpStatReassembled, kIpStatFragmented, kIpStatOfragments, kIpStatCantfrag,
  kIpStatBadoptions, kIpStatNoroute, kIpStatBadvers, kIpStatRawout, kIpStatBadfrags,
  kIpStatRcvmemdrop, kIpStatToolong, kIpStatNogif, kIpStatBadaddr, kIpStatNStats
};
static_assert(kIpStatNStats == 30);
// net.inet.udp.stats (UDP_STAT_*, udp_var.h)
enum UdpStatIndex : int {
  kUdpStatIpackets = 0, kUdpStatHdrops, kUdpStatBadsum, kUdpStatBadlen,
  kUdpStatNoport, kUdpStatNoportbcast, kUdpStatFullsock, kUdpStatPcbhashmiss,
  kUdpStatOpackets, kUdpStatNStats
};
inline constexpr int kUdpctlChecksum = 1;   // UDPCTL_CHECKSUM
inline constexpr int kUdpctlSendspace = 2;  // UDPCTL_SENDSPACE
inline constexpr int kUdpctlRecvspace = 3;  // UDPCTL_RECVSPACE
inline constexpr int kUdpctlStats = 5;      // UDPCTL_STATS
// The PCB lists net.inet.udp.pcblist and net.inet.raw.pcblist: NetBSD
// numbers them dynamically (CTL_CREATE); we give them the fixed number
// tcp.h gives net.inet.tcp.pcblist, above NetBSD's static ones. Clients
// find them by name.
inline constexpr int kUdpctlPcblist = 0x102;
inline constexpr int kRawctlPcblist = 0x102;
// net.inet.icmp.stats (ICMP_STAT_*, icmp_var.h): 16 counters, then the
// output and the input histograms, one counter per type 0..ICMP_MAXTYPE.
enum IcmpStatIndex : int {
  kIcmpStatError = 0, kIcmpStatOldshort, kIcmpStatOldicmp, kIcmpStatBadcode,
  kIcmpStatTooshort, kIcmpStatChecksum, kIcmpStatBadlen, kIcmpStatReflect,
  kIcmpStatPmtuchg, kIcmpStatBmcastecho, kIcmpStatBmcasttstamp,
  kIcmpStatLast = 16,  // ICMP_STAT_LAST: spare counters up to here
  kIcmpStatOuthist = kIcmpStatLast,
  kIcmpStatInhist = kIcmpStatOuthist + kICMP_MAXTYPE + 1,
  kIcmpStatNStats = kIcmpStatInhist + kICMP_MAXTYPE + 1
};
static_assert(kIcmpStatNStats == 98);
inline constexpr int kIcmpctlMaskrepl = 1;         // ICMPCTL_MASKREPL
inline constexpr int kIcmpctlReturndatabytes = 3;  // ICMPCTL_RETURNDATABYTES
inline constexpr int kIcmpctlErrppslimit = 4;      // ICMPCTL_ERRPPSLIMIT
inline constexpr int kIcmpctlRediraccept = 5;      // ICMPCTL_REDIRACCEPT
inline constexpr int kIcmpctlRedirtimeout = 6;     // ICMPCTL_REDIRTIMEOUT
inline constexpr int kIcmpctlStats = 7;            // ICMPCTL_STATS
inline constexpr int kIcmpctlBmcastecho = 8;       // ICMPCTL_BMCASTECHO
// net.inet.arp.stats (ARP_STAT_*, if_inarp.h). NetBSD numbers net.inet.arp
// and its stats node dynamically; clients find them by name.
enum ArpStatIndex : int {
  kArpStatSndtotal = 0, kArpStatSndreply, kArpStatSendrequest, kArpStatRcvtotal,
  kArpStatRcvrequest, kArpStatRcvreply, kArpStatRcvmcast, kArpStatRcvbadproto,
  kArpStatRcvbadlen, kArpStatRcvzerotpa, kArpStatRcvzerospa, kArpStatRcvnoint,
  kArpStatRcvlocalsha, kArpStatRcvbcastsha, kArpStatRcvlocalspa, kArpStatRcvoverperm,
  kArpStatRcvoverint, kArpStatRcvover, kArpStatRcvlenchg, kArpStatDfrtotal,
  kArpStatDfrsent, kArpStatDfrdropped, kArpStatAllocfail, kArpStatNStats
};
static_assert(kArpStatNStats == 23);

}  // namespace rump::abi

#endif  // RUMP_ABI_IN_H_
