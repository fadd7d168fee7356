// IPv4 input (NetBSD's ip_input.c): header checks, the local, broadcast
// and multicast decisions, reassembly, and delivery through the protocol
// table.
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_var.h"

namespace rump {

using inet::IpHeader;
using inet::IpParseError;
using inet::kBroadcastAll;

void Inet::IpInput(Interface& ifp, absl::Span<const uint8_t> packet, bool link_broadcast) {
  ip_stats_.Inc(abi::kIpStatTotal);
  IpHeader h;
  switch (inet::ParseIpHeader(packet, &h)) {
    case IpParseError::kNone:
      break;
    case IpParseError::kTooSmall:
      ip_stats_.Inc(abi::kIpStatToosmall);
      return;
    case IpParseError::kBadVersion:
      ip_stats_.Inc(abi::kIpStatBadvers);
      return;
    case IpParseError::kBadHeaderLen:
      ip_stats_.Inc(abi::kIpStatBadhlen);
      return;
    case IpParseError::kBadChecksum:
      ip_stats_.Inc(abi::kIpStatBadsum);
      return;
    case IpParseError::kBadLength:
      ip_stats_.Inc(abi::kIpStatBadlen);
      return;
    case IpParseError::kTooShort:
      ip_stats_.Inc(abi::kIpStatTooshort);
      return;
  }
  packet = packet.subspan(0, h.total_len);  // trim link padding
  // RFC 1122 3.2.1.3: no loopback addresses on the wire; a multicast or
  // limited broadcast source is never valid.
  if ((!ifp.is_loopback() && (inet::IsLoopbackNet(h.src) || inet::IsLoopbackNet(h.dst))) ||
      inet::IsMulticast(h.src) || h.src == kBroadcastAll) {
    ip_stats_.Inc(abi::kIpStatBadaddr);
    return;
  }
  auto snap = snapshot();
  if (snap == nullptr) return;
  const IfInfo* info = FindIf(*snap, ifp.index());
  const Ownership dst_ownership = OwnershipIn(*snap, h.dst);
  const bool local = dst_ownership == Ownership::kReady;
  const bool multicast = inet::IsMulticast(h.dst);
  const bool broadcast = !local && !multicast && info != nullptr && IsBroadcastOn(*info, h.dst);
  if (multicast && h.dst != inet::AllHostsGroup()) {  // not a group we are in
    ip_stats_.Inc(abi::kIpStatCantforward);
    return;
  }
  if (!local && !broadcast && !multicast) {
    // For one of our addresses that is not usable yet (or any more): no
    // one's (ip_input's IN_IFF_NOTREADY check).
    if (dst_ownership == Ownership::kNotReady) {
      ip_stats_.Inc(abi::kIpStatCantforward);
      return;
    }
    IpForward(ifp, packet, h, link_broadcast);  // for another host
    return;
  }
  std::vector<uint8_t> whole;  // a reassembled datagram
  if (h.is_fragment()) {
    ip_stats_.Inc(abi::kIpStatFragments);
    inet::Reassembler::Result r = reass_.Add(h, packet, absl::Now());
    if (r.bad_fragment) ip_stats_.Inc(abi::kIpStatBadfrags);
    ip_stats_.Inc(abi::kIpStatFragdropped, r.dropped_fragments);
    if (!r.packet) return;
    ip_stats_.Inc(abi::kIpStatReassembled);
    whole = std::move(*r.packet);
    packet = whole;
    if (inet::ParseIpHeader(packet, &h) != IpParseError::kNone) return;
  }
  const bool bcast_or_mcast = broadcast || multicast || link_broadcast;
  // Up to the protocol (ip_protox), counted as delivered first, as
  // ip_input does; raw IP's input, standing in for a protocol no one
  // registered, may answer that nothing took the packet (rip_input).
  const inet::ProtoSwitch* pr = protocols_.ForInput(h.proto);
  ip_stats_.Inc(abi::kIpStatDelivered);
  if (pr != nullptr && pr->input && pr->input(ifp, packet, h, bcast_or_mcast)) return;
  ip_stats_.Dec(abi::kIpStatDelivered);
  ip_stats_.Inc(abi::kIpStatNoproto);
  if (!bcast_or_mcast) SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_PROTOCOL);
}

}  // namespace rump
