// IPv4 output (NetBSD's ip_output.c and in_selectsrc): routing, source
// address selection, fragmentation, and the hand-off to an interface (ARP
// resolution on Ethernet, the packet itself on lo0).
#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/net/loopback.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_var.h"

namespace rump {

using inet::Get16;
using inet::IpHeader;
using inet::kBroadcastAll;
using inet::kUpRunning;
using inet::MacAddress;
using inet::PacketDst;
using inet::PacketHlen;
using inet::PacketSrc;
using inet::Put16;
using inet::PutAddr;

absl::StatusOr<Inet::OutRoute> Inet::ResolveOutput(const Snapshot& snap, uint32_t dst,
                                                   bool dont_route) const {
  OutRoute out;
  out.next_hop = dst;
  if (IsLocalIn(snap, dst)) {
    // Our own address: through the loopback interface, from itself.
    for (const IfInfo& i : snap.ifs) {
      if (i.loopback && (i.ifp->flags() & abi::kIFF_UP)) {
        out.info = &i;
        out.ifaddr = dst;
        return out;
      }
    }
    return abi::Errno(abi::kEHOSTUNREACH, "no loopback interface");
  }
  if (dst == kBroadcastAll) {
    for (const IfInfo& i : snap.ifs) {
      if (i.broadcast && !i.addrs.empty() && (i.ifp->flags() & abi::kIFF_UP)) {
        out.info = &i;
        out.ifaddr = ReadyAddress(i, 0);
        out.link_broadcast = true;
        return out;
      }
    }
    return abi::Errno(abi::kEHOSTUNREACH, "no broadcast interface");
  }
  if (dont_route) {  // IP_ROUTETOIF: a directly connected network only
    for (const IfInfo& i : snap.ifs) {
      for (const inet::InAddress& a : i.addrs) {
        if ((dst & a.netmask) == (a.addr & a.netmask) && (i.ifp->flags() & abi::kIFF_UP)) {
          out.info = &i;
          out.ifaddr = ReadyAddress(i, a.addr);
          out.source_not_ready = out.ifaddr == 0;
          out.link_broadcast = IsBroadcastOn(i, dst);
          return out;
        }
      }
    }
    return abi::Errno(abi::kENETUNREACH);
  }
  std::optional<inet::Route> r = routes_.Lookup(dst);
  if (!r) {
    if (net_ != nullptr) net_->CountRouteStat(abi::kRtStatUnreach);
    return abi::Errno(abi::kEHOSTUNREACH, "no route to host");
  }
  out.info = FindIf(snap, r->ifindex);
  if (out.info == nullptr) return abi::Errno(abi::kEHOSTUNREACH, "route's interface is gone");
  // A tentative or duplicated address is no source (ip_ifaddrvalid):
  // another usable one of the interface's, or none.
  out.ifaddr = ReadyAddress(*out.info, r->ifaddr);
  out.source_not_ready = out.ifaddr == 0 && r->ifaddr != 0;
  if (r->is_gateway) {
    out.next_hop = r->gateway;
    out.via_gateway = true;
  } else {
    out.link_broadcast = IsBroadcastOn(*out.info, dst);
  }
  return out;
}

absl::StatusOr<uint32_t> Inet::SelectSource(uint32_t dst, bool dont_route) const {
  auto snap = snapshot();
  if (snap == nullptr) return abi::Errno(abi::kEADDRNOTAVAIL);
  if (inet::IsMulticast(dst)) {
    // The first address of a multicast-capable, non-loopback interface.
    for (const IfInfo& i : snap->ifs) {
      if (i.loopback) continue;
      if (const uint32_t a = ReadyAddress(i, 0); a != 0) return a;
    }
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  absl::StatusOr<OutRoute> r = ResolveOutput(*snap, dst, dont_route);
  if (!r.ok()) return r.status();
  if (r->ifaddr == 0) return abi::Errno(abi::kEADDRNOTAVAIL);
  return r->ifaddr;
}

int Inet::RouteMtu(uint32_t dst) const {
  auto snap = snapshot();
  if (snap == nullptr) return 0;
  absl::StatusOr<OutRoute> r = ResolveOutput(*snap, dst, false);
  if (!r.ok() || r->info == nullptr) return 0;
  return r->info->ifp->mtu();
}

// --- output

absl::Status Inet::Output(const OutputRequest& req) {
  const size_t total = abi::kIpHeaderLen + req.payload.size();
  if (total > abi::kIP_MAXPACKET) return abi::Errno(abi::kEMSGSIZE);
  std::vector<uint8_t> packet(total);
  IpHeader h;
  h.tos = req.tos;
  h.total_len = uint16_t(total);
  h.id = NextIpId();
  h.off = req.dont_fragment ? abi::kIP_DF : 0;
  h.ttl = uint8_t(req.ttl >= 0 ? req.ttl
                               : (inet::IsMulticast(req.dst) ? abi::kIP_DEFAULT_MULTICAST_TTL
                                                             : default_ttl()));
  h.proto = req.proto;
  h.src = req.src;
  h.dst = req.dst;
  inet::WriteIpHeader(h, packet.data());
  if (!req.payload.empty()) {
    std::memcpy(packet.data() + abi::kIpHeaderLen, req.payload.data(), req.payload.size());
  }
  ip_stats_.Inc(abi::kIpStatLocalout);
  return RouteAndSend(std::move(packet), req.allow_broadcast, req.dont_route);
}

absl::Status Inet::OutputPacket(std::vector<uint8_t> packet, bool allow_broadcast,
                                bool dont_route) {
  if (packet.size() < abi::kIpHeaderLen || packet.size() > abi::kIP_MAXPACKET) {
    return abi::Errno(abi::kEINVAL);
  }
  const size_t hlen = PacketHlen(packet);
  if (hlen < abi::kIpHeaderLen || hlen > packet.size()) return abi::Errno(abi::kEINVAL);
  packet[0] = uint8_t(0x40 | (packet[0] & 0xf));
  if (Get16(packet.data() + 4) == 0) Put16(packet.data() + 4, NextIpId());
  // Counted as raw output only: NetBSD's ip_output counts "sent from this
  // host" for the headers it builds itself, not for IP_RAWOUTPUT packets.
  ip_stats_.Inc(abi::kIpStatRawout);
  return RouteAndSend(std::move(packet), allow_broadcast, dont_route);
}

absl::Status Inet::RouteAndSend(std::vector<uint8_t> packet, bool allow_broadcast,
                                bool dont_route) {
  auto snap = snapshot();
  if (snap == nullptr) return abi::Errno(abi::kENETDOWN);
  const uint32_t dst = PacketDst(packet);
  OutRoute route;
  if (inet::IsMulticast(dst)) {
    // Multicast: the first up, multicast-capable Ethernet interface (no
    // IP_MULTICAST_IF yet).
    for (const IfInfo& i : snap->ifs) {
      if (i.ethernet && !i.addrs.empty() && (i.ifp->flags() & abi::kIFF_UP)) {
        route.info = &i;
        route.ifaddr = ReadyAddress(i, 0);
        break;
      }
    }
    if (route.info == nullptr) {
      ip_stats_.Inc(abi::kIpStatNoroute);
      return abi::Errno(abi::kEHOSTUNREACH);
    }
    route.next_hop = dst;
  } else {
    absl::StatusOr<OutRoute> r = ResolveOutput(*snap, dst, dont_route);
    if (!r.ok()) {
      ip_stats_.Inc(abi::kIpStatNoroute);
      return r.status();
    }
    route = *r;
  }
  const size_t hlen = PacketHlen(packet);
  // Only from a usable address (ip_ifaddrvalid): never from one of ours
  // that is tentative or duplicated.
  const uint32_t src = PacketSrc(packet);
  if (src == 0 ? route.source_not_ready
               : OwnershipIn(*snap, src) == Ownership::kNotReady) {
    ip_stats_.Inc(abi::kIpStatOdropped);
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  if (src == 0) PutAddr(packet.data() + 12, route.ifaddr);
  if (route.link_broadcast) {
    if (!route.info->broadcast && !route.info->loopback) {
      return abi::Errno(abi::kEADDRNOTAVAIL);
    }
    if (!allow_broadcast) return abi::Errno(abi::kEACCES);
  }
  inet::SetIpChecksum(packet.data(), hlen);
  const size_t mtu = size_t(std::max(route.info->ifp->mtu(), 68));
  if (packet.size() <= mtu) {
    return SendOnInterface(*route.info, route.next_hop, route.link_broadcast,
                           std::move(packet), route.via_gateway);
  }
  // Fragmentation (ip_fragment). Broadcasts and DF packets are not cut.
  const uint16_t off0 = Get16(packet.data() + 6);
  if (route.link_broadcast || (off0 & abi::kIP_DF)) {
    ip_stats_.Inc(abi::kIpStatCantfrag);
    return abi::Errno(abi::kEMSGSIZE);
  }
  const size_t first_chunk = ((mtu - hlen) / 8) * 8;
  const size_t chunk = ((mtu - abi::kIpHeaderLen) / 8) * 8;
  const size_t payload = packet.size() - hlen;
  const size_t base = size_t(off0 & abi::kIP_OFFMASK) * 8;
  absl::Status first_error;
  size_t pos = 0;
  bool first = true;
  while (pos < payload) {
    const size_t fhlen = first ? hlen : abi::kIpHeaderLen;
    const size_t n = std::min(first ? first_chunk : chunk, payload - pos);
    std::vector<uint8_t> frag(fhlen + n);
    std::memcpy(frag.data(), packet.data(), abi::kIpHeaderLen);
    // Options ride in the first fragment only (none we send are copied).
    if (first) std::memcpy(frag.data(), packet.data(), hlen);
    frag[0] = uint8_t(0x40 | (fhlen / 4));
    std::memcpy(frag.data() + fhlen, packet.data() + hlen + pos, n);
    const bool more = pos + n < payload || (off0 & abi::kIP_MF);
    Put16(frag.data() + 2, uint16_t(frag.size()));
    Put16(frag.data() + 6,
          uint16_t(((base + pos) / 8) | (more ? abi::kIP_MF : 0)));
    inet::SetIpChecksum(frag.data(), fhlen);
    ip_stats_.Inc(abi::kIpStatOfragments);
    absl::Status s = SendOnInterface(*route.info, route.next_hop, false, std::move(frag),
                                     route.via_gateway);
    if (!s.ok() && first_error.ok()) first_error = s;
    pos += n;
    first = false;
  }
  if (first_error.ok()) ip_stats_.Inc(abi::kIpStatFragmented);
  return first_error;
}

absl::Status Inet::SendOnInterface(const IfInfo& info, uint32_t next_hop, bool link_broadcast,
                                   std::vector<uint8_t> packet, bool via_gateway) {
  Interface& ifp = *info.ifp;
  if ((ifp.flags() & kUpRunning) != kUpRunning) return abi::Errno(abi::kENETDOWN);
  if (!info.ethernet) return LoopOutput(ifp, abi::kAF_INET, packet);  // lo0
  if (link_broadcast) return EtherOutput(info, inet::kBroadcastMac, inet::kEtherTypeIp, packet);
  if (inet::IsMulticast(next_hop)) {
    return EtherOutput(info, inet::MulticastMac(next_hop), inet::kEtherTypeIp, packet);
  }
  std::shared_ptr<inet::ArpCache> cache = arp_cache(info.index);
  if (cache == nullptr) return abi::Errno(abi::kENETDOWN);
  const absl::Time now = absl::Now();
  inet::ArpCache::Resolution r = cache->Resolve(next_hop, packet, now);
  switch (r.kind) {
    case inet::ArpCache::Resolution::kResolved:
      return EtherOutput(info, r.mac, inet::kEtherTypeIp, packet);
    case inet::ArpCache::Resolution::kHostDown:
      ip_stats_.Inc(abi::kIpStatOdropped);
      return abi::Errno(via_gateway ? abi::kEHOSTUNREACH : abi::kEHOSTDOWN);
    case inet::ArpCache::Resolution::kQueued:
      break;
  }
  arp_stats_.Inc(inet::kArpDfrTotal);
  arp_stats_.Inc(inet::kArpDfrDropped, r.dropped);
  if (r.send_request) {
    SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{},
            ArpSourceFor(info, next_hop), next_hop);
  }
  return absl::OkStatus();  // held until resolved, as arpresolve
}

}  // namespace rump
