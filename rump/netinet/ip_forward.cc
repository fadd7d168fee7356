// IPv4 forwarding (NetBSD's ip_forward): a packet for another host, taken
// in by a kernel with net.inet.ip.forwarding set, goes out again one hop
// nearer, or comes back to its sender as the ICMP error that says why not.
#include <arpa/inet.h>

#include <optional>
#include <utility>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_var.h"

namespace rump {

namespace {

constexpr uint8_t kTtlDecrement = 1;  // IPTTLDEC

// in_canforward: never a class D or E (or all-ones) destination, nor one on
// network 0 or the loopback network.
bool CanForward(uint32_t dst) {
  const uint32_t h = ntohl(dst);
  if ((h & 0xe0000000u) == 0xe0000000u) return false;  // IN_EXPERIMENTAL, IN_MULTICAST
  if ((h & 0x80000000u) == 0) {                        // class A
    const uint32_t net = h >> 24;
    if (net == 0 || net == abi::kIN_LOOPBACKNET) return false;
  }
  return true;
}

}  // namespace

void Inet::IpForward(Interface& ifp, absl::Span<const uint8_t> packet, const inet::IpHeader& h,
                     bool link_broadcast) {
  // Nor from a source that names no single host (RFC 1812 5.3.7).
  // A packet from one of our own addresses did not come from us: spoofed.
  if (!ip_forwarding() || link_broadcast || !CanForward(h.dst) || h.src == 0 ||
      IsBroadcastAddress(h.src) || IsLocalAddress(h.src)) {
    ip_stats_.Inc(abi::kIpStatCantforward);
    return;
  }
  if (h.ttl <= kTtlDecrement) {
    SendIcmpError(packet, abi::kICMP_TIMXCEED, abi::kICMP_TIMXCEED_INTRANS);
    return;
  }
  const std::optional<inet::Route> route = routes_.Lookup(h.dst);
  if (!route) {
    if (net_ != nullptr) net_->CountRouteStat(abi::kRtStatUnreach);
    SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_NET);
    return;
  }
  // A sender on the network the packet leaves by could have sent it to the
  // next hop itself: tell it so with a host redirect (RFC 1812 5.2.7.2),
  // unless the route is the default one. The packet goes on all the same.
  uint32_t redirect_to = 0;
  if (route->ifindex == ifp.index() && route->dst != 0 && ip_redirect_.load() != 0) {
    auto snap = snapshot();
    const IfInfo* info = snap != nullptr ? FindIf(*snap, ifp.index()) : nullptr;
    if (info != nullptr) {
      for (const inet::InAddress& a : info->addrs) {
        if (a.addr == route->ifaddr && (h.src & a.netmask) == (a.addr & a.netmask)) {
          redirect_to = route->is_gateway ? route->gateway : h.dst;
        }
      }
    }
  }
  std::vector<uint8_t> out(packet.begin(), packet.end());
  out[8] = uint8_t(h.ttl - kTtlDecrement);  // RouteAndSend writes the checksum
  const absl::Status sent =
      RouteAndSend(std::move(out), ip_directed_broadcast_.load() != 0, false);
  if (sent.ok()) {
    ip_stats_.Inc(abi::kIpStatForward);
    if (redirect_to != 0) {
      ip_stats_.Inc(abi::kIpStatRedirectsent);
      SendIcmpError(packet, abi::kICMP_REDIRECT, abi::kICMP_REDIRECT_HOST, redirect_to);
    }
    return;
  }
  ip_stats_.Inc(abi::kIpStatCantforward);
  switch (abi::ToErrno(sent)) {
    case abi::kENOBUFS:  // no source quench (RFC 1812 4.3.3.3)
      return;
    case abi::kEMSGSIZE: {  // DF and bigger than the next hop's MTU
      auto snap = snapshot();
      const IfInfo* out_if = snap != nullptr ? FindIf(*snap, route->ifindex) : nullptr;
      const int mtu = out_if != nullptr ? out_if->ifp->mtu() : 0;
      SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_NEEDFRAG, uint32_t(mtu));
      return;
    }
    default:
      SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_HOST);
      return;
  }
}

}  // namespace rump
