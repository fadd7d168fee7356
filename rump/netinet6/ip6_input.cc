// IPv6 input and output on Ethernet, ICMPv6 echo and Neighbor Discovery's
// address resolution (NetBSD's ip6_input, icmp6_input, nd6_ns_input,
// nd6_na_input, nd6_resolve, in their simplest on-link form).
#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/net/ether.h"
#include "rump/netinet6/inet6.h"
#include "rump/netinet6/nd6_header.h"

namespace rump {

using inet6::In6Address;

namespace {

bool InterfaceMac(const Interface& ifp, MacAddress* mac) {
  if (!ifp.is_ethernet() || ifp.lladdr().size() != 6) return false;
  std::copy(ifp.lladdr().begin(), ifp.lladdr().end(), mac->begin());
  return true;
}

// A source for packets to `dst` out of `ifp`: an address sharing the
// longest prefix with `dst`, of link-local scope for link-local
// destinations (a much simplified RFC 6724).
std::optional<In6Address> SourceFor(const Interface& ifp, const In6Address& dst) {
  std::optional<In6Address> best;
  int best_len = -1;
  const bool want_ll = dst.IsLinkLocal() || dst.IsMulticast();
  for (const In6IfAddress& a : Inet6::Addresses(ifp)) {
    if (a.flags & (abi::kIN6_IFF_ANYCAST | abi::kIN6_IFF_TENTATIVE | abi::kIN6_IFF_DUPLICATED)) {
      continue;
    }
    int len = inet6::MatchPrefixLen(a.addr, dst);
    if (want_ll && a.addr.IsLinkLocal()) len += 256;
    if (len > best_len) {
      best = a.addr;
      best_len = len;
    }
  }
  return best;
}

}  // namespace

std::shared_ptr<inet6::Nd6Cache> Inet6::cache(int ifindex, bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  if (detached_) return nullptr;
  auto it = caches_.find(ifindex);
  if (it != caches_.end()) return it->second;
  if (!create) return nullptr;
  auto c = std::make_shared<inet6::Nd6Cache>();
  caches_[ifindex] = c;
  return c;
}

std::optional<inet6::Nd6Cache::Entry> Inet6::Neighbor(int ifindex,
                                                      const In6Address& neighbor) const {
  std::shared_ptr<inet6::Nd6Cache> c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = caches_.find(ifindex);
    if (it == caches_.end()) return std::nullopt;
    c = it->second;
  }
  return c->Lookup(neighbor, absl::Now());
}

void Inet6::ScheduleTick() {
  std::lock_guard<std::mutex> lock(mu_);
  if (detached_ || kernel_ == nullptr) return;
  kernel_->timers().Schedule(absl::Seconds(1), [this] { Tick(); });
}

void Inet6::Tick() {
  std::vector<std::pair<int, std::shared_ptr<inet6::Nd6Cache>>> caches;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (detached_) return;
    for (const auto& [index, c] : caches_) caches.emplace_back(index, c);
  }
  const absl::Time now = absl::Now();
  for (auto& [index, c] : caches) {
    std::shared_ptr<Interface> ifp = net_->FindInterfaceByIndex(index);
    std::vector<inet6::Nd6Cache::Action> actions = c->Tick(now);
    if (ifp != nullptr) RunActions(*ifp, std::move(actions));
  }
  ScheduleTick();
}

// --- input

void Inet6::Ip6Input(Interface& ifp, absl::Span<const uint8_t> packet, bool /*link_group*/) {
  inet6::Ip6Header h;
  if (inet6::ParseIp6Header(packet, &h) != inet6::Ip6ParseError::kNone) {
    dropped_.fetch_add(1);
    return;
  }
  packet = packet.subspan(0, 40 + size_t(h.payload_len));  // link padding off
  // Ours: an address of the interface, all-nodes, a solicited-node group
  // of one of its addresses.
  const std::vector<In6IfAddress> addrs = Addresses(ifp);
  bool ours = h.dst == inet6::kIn6AllNodes;
  for (const In6IfAddress& a : addrs) {
    if (a.addr == h.dst || inet6::SolicitedNodeMulticast(a.addr) == h.dst) ours = true;
  }
  // Never from a multicast source; loopback addresses never on the wire.
  if (!ours || h.src.IsMulticast() || h.src.IsLoopback() || h.dst.IsLoopback()) {
    dropped_.fetch_add(1);
    return;
  }
  const inet6::Ip6Chain chain = inet6::WalkIp6Chain(packet);
  if (!chain.ok() || chain.protocol != abi::kIPPROTO_ICMPV6) {
    dropped_.fetch_add(1);
    return;
  }
  absl::Span<const uint8_t> msg = packet.subspan(chain.offset);
  if (msg.size() < 4 ||
      inet6::UpperLayerChecksum(h.src, h.dst, abi::kIPPROTO_ICMPV6, msg) != 0) {
    dropped_.fetch_add(1);
    return;
  }
  RawInput(ifp, h, msg);
  Icmp6Input(ifp, h, msg, h.dst.IsMulticast());
}

void Inet6::Icmp6Input(Interface& ifp, const inet6::Ip6Header& h,
                       absl::Span<const uint8_t> msg, bool to_multicast) {
  switch (msg[0]) {
    case abi::kICMP6_ECHO_REQUEST: {
      if (msg.size() < 8 || msg[1] != 0 || h.src.IsUnspecified()) return;
      std::vector<uint8_t> reply(msg.begin(), msg.end());
      reply[0] = abi::kICMP6_ECHO_REPLY;
      reply[2] = reply[3] = 0;
      // Answered from the address it was sent to, or, for a group, from
      // the interface's address for the sender.
      std::optional<In6Address> src = h.dst;
      if (to_multicast) src = SourceFor(ifp, h.src);
      if (!src) return;
      if (Output(&ifp, *src, h.src, abi::kIPPROTO_ICMPV6, reply).ok()) {
        echo_replies_.fetch_add(1);
      }
      return;
    }
    case abi::kND_NEIGHBOR_SOLICIT:
      NeighborSolicitInput(ifp, h, msg);
      return;
    case abi::kND_NEIGHBOR_ADVERT:
      NeighborAdvertInput(ifp, h, msg);
      return;
    default:
      return;
  }
}

void Inet6::NeighborSolicitInput(Interface& ifp, const inet6::Ip6Header& h,
                                 absl::Span<const uint8_t> msg) {
  absl::StatusOr<inet6::NdMessage> ns = inet6::ParseNdMessage(h.src, h.dst, h.hop_limit, msg);
  if (!ns.ok()) {
    dropped_.fetch_add(1);
    return;
  }
  MacAddress mac;
  if (!InterfaceMac(ifp, &mac)) return;
  bool target_ours = false;
  for (const In6IfAddress& a : Addresses(ifp)) {
    if (a.addr == ns->target && !(a.flags & abi::kIN6_IFF_DUPLICATED)) target_ours = true;
  }
  if (!target_ours) return;
  std::shared_ptr<inet6::Nd6Cache> c = cache(ifp.index(), true);
  if (c == nullptr) return;
  if (!h.src.IsUnspecified() && ns->options.source_lla) {
    RunActions(ifp, c->LinkLayerHint(h.src, *ns->options.source_lla, absl::Now()));
  }
  // The advertisement (RFC 4861 7.2.4): to the sender, or to all nodes for
  // a solicitation from the unspecified address (not solicited then).
  inet6::NdMessage na;
  na.type = abi::kND_NEIGHBOR_ADVERT;
  na.target = ns->target;
  na.solicited = !h.src.IsUnspecified();
  na.override_flag = true;
  na.options.target_lla = mac;
  const In6Address dst = h.src.IsUnspecified() ? inet6::kIn6AllNodes : h.src;
  const std::vector<uint8_t> body = inet6::BuildNdMessage(na, ns->target, dst);
  std::vector<uint8_t> packet(40 + body.size());
  inet6::Ip6Header out;
  out.payload_len = uint16_t(body.size());
  out.next_header = abi::kIPPROTO_ICMPV6;
  out.hop_limit = 255;
  out.src = ns->target;
  out.dst = dst;
  inet6::WriteIp6Header(out, packet.data());
  std::memcpy(packet.data() + 40, body.data(), body.size());
  if (dst.IsMulticast()) {
    (void)EtherOutput(ifp, inet6::MulticastMac(dst), packet);
  } else if (ns->options.source_lla) {
    (void)EtherOutput(ifp, *ns->options.source_lla, packet);
  } else {
    (void)SendPacket(ifp, dst, std::move(packet));
  }
}

void Inet6::NeighborAdvertInput(Interface& ifp, const inet6::Ip6Header& h,
                                absl::Span<const uint8_t> msg) {
  absl::StatusOr<inet6::NdMessage> na = inet6::ParseNdMessage(h.src, h.dst, h.hop_limit, msg);
  if (!na.ok()) {
    dropped_.fetch_add(1);
    return;
  }
  std::shared_ptr<inet6::Nd6Cache> c = cache(ifp.index(), false);
  if (c == nullptr) return;
  RunActions(ifp, c->NeighborAdvertisement(na->target, na->options.target_lla, na->solicited,
                                           na->override_flag, na->router, absl::Now()));
}

// --- output

absl::StatusOr<Inet6::Route6> Inet6::SelectRoute(const In6Address& dst, int zone) const {
  Route6 r;
  if (dst.IsLinkLocal() || dst.IsMulticast()) {
    if (zone == 0) return abi::Errno(abi::kEHOSTUNREACH);
    r.ifp = net_->FindInterfaceByIndex(zone);
    if (r.ifp == nullptr) return abi::Errno(abi::kENXIO);
  } else {
    for (const std::shared_ptr<Interface>& i : net_->Interfaces()) {
      for (const In6IfAddress& a : Addresses(*i)) {
        if (a.addr == dst || (!a.addr.IsLinkLocal() && i->is_ethernet() &&
                              inet6::InPrefix(dst, a.addr, a.prefix_len))) {
          r.ifp = i;
        }
      }
      if (r.ifp != nullptr) break;
    }
    if (r.ifp == nullptr) return abi::Errno(abi::kEHOSTUNREACH);
  }
  std::optional<In6Address> src = SourceFor(*r.ifp, dst);
  if (!src) return abi::Errno(abi::kEADDRNOTAVAIL);
  r.src = *src;
  return r;
}

absl::Status Inet6::Output(Interface* ifp, const In6Address& src, const In6Address& dst,
                           uint8_t next_header, absl::Span<const uint8_t> payload,
                           int hop_limit) {
  std::shared_ptr<Interface> held;
  if (ifp == nullptr) {
    // On link: on the prefix of one of an Ethernet interface's addresses.
    if (dst.IsLinkLocal() || dst.IsMulticast()) return abi::Errno(abi::kEHOSTUNREACH);
    for (const std::shared_ptr<Interface>& i : net_->Interfaces()) {
      if (!i->is_ethernet()) continue;
      for (const In6IfAddress& a : Addresses(*i)) {
        if (!a.addr.IsLinkLocal() && inet6::InPrefix(dst, a.addr, a.prefix_len)) held = i;
      }
      if (held != nullptr) break;
    }
    if (held == nullptr) return abi::Errno(abi::kEHOSTUNREACH);
    ifp = held.get();
  }
  if (!ifp->up_and_running()) return abi::Errno(abi::kENETDOWN);
  std::optional<In6Address> source = src;
  if (src.IsUnspecified()) source = SourceFor(*ifp, dst);
  if (!source) return abi::Errno(abi::kEADDRNOTAVAIL);
  if (40 + payload.size() > size_t(ifp->mtu())) return abi::Errno(abi::kEMSGSIZE);
  std::vector<uint8_t> packet(40 + payload.size());
  inet6::Ip6Header h;
  h.payload_len = uint16_t(payload.size());
  h.next_header = next_header;
  h.hop_limit = uint8_t(hop_limit >= 0 ? hop_limit : abi::kIPV6_DEFHLIM);
  h.src = *source;
  h.dst = dst;
  inet6::WriteIp6Header(h, packet.data());
  std::memcpy(packet.data() + 40, payload.data(), payload.size());
  if (next_header == abi::kIPPROTO_ICMPV6 && payload.size() >= 4) {
    packet[42] = packet[43] = 0;
    const uint16_t sum = inet6::UpperLayerChecksum(
        h.src, h.dst, abi::kIPPROTO_ICMPV6, absl::MakeConstSpan(packet).subspan(40));
    packet[42] = uint8_t(sum >> 8);
    packet[43] = uint8_t(sum);
  }
  return SendPacket(*ifp, dst, std::move(packet));
}

absl::Status Inet6::SendPacket(Interface& ifp, const In6Address& next_hop,
                               std::vector<uint8_t> packet) {
  if (next_hop.IsMulticast()) return EtherOutput(ifp, inet6::MulticastMac(next_hop), packet);
  std::shared_ptr<inet6::Nd6Cache> c = cache(ifp.index(), true);
  if (c == nullptr) return abi::Errno(abi::kENETDOWN);
  inet6::Nd6Cache::Resolution r = c->Resolve(next_hop, packet, absl::Now());
  if (r.resolved) {
    absl::Status s = EtherOutput(ifp, r.mac, packet);
    RunActions(ifp, std::move(r.actions));
    return s;
  }
  RunActions(ifp, std::move(r.actions));
  return absl::OkStatus();  // held until resolved, as nd6_resolve
}

absl::Status Inet6::EtherOutput(Interface& ifp, const MacAddress& dst,
                                absl::Span<const uint8_t> packet) {
  MacAddress src;
  if (!InterfaceMac(ifp, &src)) return abi::Errno(abi::kENETDOWN);
  std::vector<uint8_t> frame(kEtherHeaderLen + packet.size());
  WriteEtherHeader(frame.data(), dst, src, abi::kETHERTYPE_IPV6);
  std::memcpy(frame.data() + kEtherHeaderLen, packet.data(), packet.size());
  return ifp.Output(frame);
}

void Inet6::SendNeighborSolicit(Interface& ifp, const In6Address& target,
                                const std::optional<MacAddress>& unicast_to) {
  MacAddress mac;
  if (!InterfaceMac(ifp, &mac)) return;
  std::optional<In6Address> src = SourceFor(ifp, target);
  if (!src) return;
  const In6Address dst = unicast_to ? target : inet6::SolicitedNodeMulticast(target);
  inet6::NdMessage ns;
  ns.type = abi::kND_NEIGHBOR_SOLICIT;
  ns.target = target;
  ns.options.source_lla = mac;
  const std::vector<uint8_t> body = inet6::BuildNdMessage(ns, *src, dst);
  std::vector<uint8_t> packet(40 + body.size());
  inet6::Ip6Header h;
  h.payload_len = uint16_t(body.size());
  h.next_header = abi::kIPPROTO_ICMPV6;
  h.hop_limit = 255;
  h.src = *src;
  h.dst = dst;
  inet6::WriteIp6Header(h, packet.data());
  std::memcpy(packet.data() + 40, body.data(), body.size());
  (void)EtherOutput(ifp, unicast_to ? *unicast_to : inet6::MulticastMac(dst), packet);
}

void Inet6::RunActions(Interface& ifp, std::vector<inet6::Nd6Cache::Action> actions) {
  for (inet6::Nd6Cache::Action& a : actions) {
    switch (a.kind) {
      case inet6::Nd6Cache::Action::kSendMulticastNs:
        SendNeighborSolicit(ifp, a.neighbor, std::nullopt);
        break;
      case inet6::Nd6Cache::Action::kSendUnicastNs:
        SendNeighborSolicit(ifp, a.neighbor, a.mac);
        break;
      case inet6::Nd6Cache::Action::kDeliver:
        for (const auto& p : a.packets) (void)EtherOutput(ifp, a.mac, p);
        break;
      case inet6::Nd6Cache::Action::kUnreachable:
        dropped_.fetch_add(a.packets.size());
        break;
    }
  }
}

}  // namespace rump
