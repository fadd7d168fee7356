// Ethernet output for IPv4 and ARP, and ARP (NetBSD's if_arp.c and the
// IPv4 half of if_ethersubr.c): requests and replies, the gratuitous ARP of
// a new address and of every address when an interface comes up. The
// generic part of Ethernet input (ether_input) is rump/net's; it hands
// IPv4 and ARP payloads to IpInput and ArpInput by ethertype. Requests for
// an address published by hand (arp -s ... pub) are answered (proxy ARP). Resolution itself (ArpCache) is
// called from SendOnInterface (ip_output.cc); its retries from the slow
// timer (inet.cc).
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/if.h"
#include "rump/netinet/inet.h"

namespace rump {

using inet::Get16;
using inet::MacAddress;

// --- output

absl::Status Inet::EtherOutput(const IfInfo& info, const MacAddress& dst, uint16_t type,
                               absl::Span<const uint8_t> payload) {
  std::vector<uint8_t> frame(inet::kEtherHeaderLen + payload.size());
  inet::WriteEtherHeader(frame.data(), dst, info.mac, type);
  if (!payload.empty()) {
    std::memcpy(frame.data() + inet::kEtherHeaderLen, payload.data(), payload.size());
  }
  return info.ifp->Output(frame);
}

void Inet::SendArp(const IfInfo& info, uint16_t op, const MacAddress& dst_mac,
                   const MacAddress& tha, uint32_t spa, uint32_t tpa, const MacAddress* sha) {
  inet::ArpPacket a;
  a.op = op;
  a.sha = sha != nullptr ? *sha : info.mac;
  a.spa = spa;
  a.tha = tha;
  a.tpa = tpa;
  const std::vector<uint8_t> frame = inet::BuildArpFrame(dst_mac, info.mac, a);
  if (info.ifp->Output(frame).ok()) {
    arp_stats_.Inc(inet::kArpSndTotal);
    arp_stats_.Inc(op == inet::kArpOpRequest ? inet::kArpSndRequest : inet::kArpSndReply);
  }
}

void Inet::AnnounceAll(Interface& ifp) {
  for (const inet::InAddress& a : inet::InAddresses(ifp)) Announce(ifp, a);
}

void Inet::Announce(Interface& ifp, const inet::InAddress& a) {
  if (!ifp.is_ethernet() || ifp.lladdr().size() != 6 || a.addr == 0) return;
  if (!ifp.up_and_running() || (ifp.flags() & abi::kIFF_NOARP)) return;
  IfInfo info;
  info.ifp = net_->FindInterfaceByIndex(ifp.index());
  if (info.ifp == nullptr) return;
  info.index = ifp.index();
  info.ethernet = true;
  std::copy(ifp.lladdr().begin(), ifp.lladdr().end(), info.mac.begin());
  // The gratuitous ARP of arp_ifinit: a request for our own address.
  SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{}, a.addr, a.addr);
}

// --- input

void Inet::ArpInput(Interface& ifp, absl::Span<const uint8_t> arp, bool link_broadcast) {
  arp_stats_.Inc(inet::kArpRcvTotal);
  inet::ArpPacket a;
  switch (inet::ParseArp(arp, &a)) {
    case inet::ArpParseError::kNone:
      break;
    case inet::ArpParseError::kTooShort:
      arp_stats_.Inc(inet::kArpRcvBadLen);
      return;
    default:
      arp_stats_.Inc(inet::kArpRcvBadProto);
      return;
  }
  if (link_broadcast) arp_stats_.Inc(inet::kArpRcvMcast);
  auto snap = snapshot();
  const IfInfo* info = snap ? FindIf(*snap, ifp.index()) : nullptr;
  if (info == nullptr || !info->ethernet) {
    arp_stats_.Inc(inet::kArpRcvNoInt);
    return;
  }
  if (a.sha == info->mac) {
    arp_stats_.Inc(inet::kArpRcvLocalSha);
    return;
  }
  if (a.sha == inet::kBroadcastMac) {
    arp_stats_.Inc(inet::kArpRcvBcastSha);
    return;
  }
  if (a.tpa == 0) {
    arp_stats_.Inc(inet::kArpRcvZeroTpa);
    return;
  }
  bool itsme = false, spa_is_mine = false;
  for (const inet::InAddress& x : info->addrs) {
    itsme = itsme || x.addr == a.tpa;
    spa_is_mine = spa_is_mine || x.addr == a.spa;
  }
  if (spa_is_mine) {  // another station claims our address
    arp_stats_.Inc(inet::kArpRcvLocalSpa);
    return;
  }
  if (a.op == inet::kArpOpRequest) {
    arp_stats_.Inc(inet::kArpRcvRequest);
  } else {
    arp_stats_.Inc(inet::kArpRcvReply);
  }
  std::shared_ptr<inet::ArpCache> cache = arp_cache(ifp.index());
  if (cache == nullptr) return;
  const absl::Time now = absl::Now();
  if (a.spa == 0) {
    arp_stats_.Inc(inet::kArpRcvZeroSpa);  // a probe: answer, learn nothing
  } else {
    // An entry is made only by ARP for us; others only refresh theirs.
    inet::ArpCache::UpdateResult u = cache->Update(a.spa, a.sha, itsme, now);
    if (u.changed) arp_stats_.Inc(inet::kArpRcvOver);
    for (std::vector<uint8_t>& p : u.released) {
      if (EtherOutput(*info, a.sha, inet::kEtherTypeIp, p).ok()) {
        arp_stats_.Inc(inet::kArpDfrSent);
      }
    }
  }
  if (!itsme) {
    // Proxy ARP: a request for an address published with arp -s ... pub
    // is answered with the published hardware address.
    if (a.op == inet::kArpOpRequest) {
      if (const std::optional<MacAddress> pub = cache->Published(a.tpa, now)) {
        SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.tpa, a.spa, &*pub);
        return;
      }
    }
    arp_stats_.Inc(inet::kArpRcvOtherHost);
    return;
  }
  if (a.op == inet::kArpOpRequest) {
    SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.tpa, a.spa);
  }
}

}  // namespace rump
