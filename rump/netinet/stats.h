// Protocol statistics as netstat -s shows them: arrays of 64-bit counters,
// incremented (and rarely decremented) from any thread without locks, read
// as a snapshot. The IP and UDP arrays are in NetBSD's order
// (abi::IpStatIndex, UdpStatIndex) so net.inet.ip.stats / net.inet.udp.stats
// return them as they are.
#ifndef RUMP_NETINET_STATS_H_
#define RUMP_NETINET_STATS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "rump/abi/in.h"

namespace rump::inet {

template <size_t N>
class Counters {
 public:
  void Inc(int i, uint64_t n = 1) {
    if (i >= 0 && size_t(i) < N) c_[i].fetch_add(n, std::memory_order_relaxed);
  }
  // Takes back an Inc (NetBSD's *_STATDEC).
  void Dec(int i, uint64_t n = 1) {
    if (i >= 0 && size_t(i) < N) c_[i].fetch_sub(n, std::memory_order_relaxed);
  }
  uint64_t Get(int i) const {
    return (i >= 0 && size_t(i) < N) ? c_[i].load(std::memory_order_relaxed) : 0;
  }
  std::vector<uint64_t> Snapshot() const {
    std::vector<uint64_t> v(N);
    for (size_t i = 0; i < N; ++i) v[i] = c_[i].load(std::memory_order_relaxed);
    return v;
  }
  // The counters as NetBSD's sysctl returns a stats array (host order).
  std::string Bytes() const {
    const std::vector<uint64_t> v = Snapshot();
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(uint64_t));
  }

 private:
  std::array<std::atomic<uint64_t>, N> c_{};
};

using IpStats = Counters<abi::kIpStatNStats>;
using UdpStats = Counters<abi::kUdpStatNStats>;

// ICMP (NetBSD's icmpstat): counters plus per-type histograms.
enum IcmpStat : int {
  kIcmpError = 0,     // icmp_error calls (errors we were asked to send)
  kIcmpOldShort,      // no error: the offending packet was too short
  kIcmpOldIcmp,       // no error: the offending packet was an ICMP error
  kIcmpBadCode,
  kIcmpTooShort,      // received ICMP shorter than 8 bytes
  kIcmpChecksum,      // bad checksum
  kIcmpBadLen,        // an error message too short for its inner header
  kIcmpReflect,       // replies sent
  kIcmpBmcastEcho,    // echo requests to broadcast/multicast ignored
  kIcmpRateLimited,   // errors not sent because of icmperrppslim
  kIcmpNoError,       // no error: broadcast/multicast/fragment/bad source
  kIcmpStatCount
};
struct IcmpStats {
  Counters<kIcmpStatCount> c;
  Counters<abi::kICMP_MAXTYPE + 1> inhist, outhist;
};

// ARP (NetBSD's arpstat names).
enum ArpStat : int {
  kArpSndTotal = 0, kArpSndReply, kArpSndRequest, kArpRcvTotal, kArpRcvRequest,
  kArpRcvReply, kArpRcvMcast, kArpRcvBadProto, kArpRcvBadLen, kArpRcvZeroTpa,
  kArpRcvZeroSpa, kArpRcvNoInt, kArpRcvLocalSha, kArpRcvBcastSha, kArpRcvLocalSpa,
  kArpRcvOtherHost,   // requests and replies for addresses that are not ours
  kArpRcvOver,        // an entry's link address changed
  kArpDfrTotal,       // packets held waiting for resolution
  kArpDfrSent,        // held packets sent after resolution
  kArpDfrDropped,     // held packets dropped (queue full, timeout, host down)
  kArpTimeouts,       // resolutions given up after arp_maxtries requests
  kArpStatCount
};
using ArpStats = Counters<kArpStatCount>;

}  // namespace rump::inet

#endif  // RUMP_NETINET_STATS_H_
