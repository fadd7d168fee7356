#include "rump/netinet/inet.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <utility>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet_socket.h"

namespace rump {

using inet::Get16;
using inet::GetAddr;
using inet::IpHeader;
using inet::IpParseError;
using inet::MacAddress;
using inet::Put16;
using inet::PutAddr;

namespace {

constexpr uint32_t kUpRunning = abi::kIFF_UP | abi::kIFF_RUNNING;
const uint32_t kAllHosts = htonl(abi::kINADDR_ALLHOSTS_GROUP);
constexpr uint32_t kBroadcastAll = 0xffffffffu;

// inetctlerrmap: the errno an ICMP error means for a socket (0: none).
int IcmpErrno(int type, int code) {
  switch (type) {
    case abi::kICMP_UNREACH:
      switch (code) {
        case abi::kICMP_UNREACH_PROTOCOL:
        case abi::kICMP_UNREACH_PORT:
          return abi::kECONNREFUSED;
        case abi::kICMP_UNREACH_NEEDFRAG:
          return abi::kEMSGSIZE;
        default:
          return abi::kEHOSTUNREACH;
      }
    case abi::kICMP_PARAMPROB:
      return abi::kENOPROTOOPT;
    default:
      return 0;  // source quench, time exceeded: no socket error
  }
}

// ICMP_INFOTYPE: queries and replies, about which errors may be sent.
bool IcmpInfoType(int type) {
  switch (type) {
    case abi::kICMP_ECHOREPLY:
    case abi::kICMP_ECHO:
    case abi::kICMP_ROUTERADVERT:
    case abi::kICMP_ROUTERSOLICIT:
    case abi::kICMP_TSTAMP:
    case abi::kICMP_TSTAMPREPLY:
    case abi::kICMP_IREQ:
    case abi::kICMP_IREQREPLY:
    case abi::kICMP_MASKREQ:
    case abi::kICMP_MASKREPLY:
      return true;
    default:
      return false;
  }
}

// The header fields of a packet this component built or validated.
uint32_t PacketDst(absl::Span<const uint8_t> p) { return GetAddr(p.data() + 16); }
uint32_t PacketSrc(absl::Span<const uint8_t> p) { return GetAddr(p.data() + 12); }
size_t PacketHlen(absl::Span<const uint8_t> p) { return size_t(p[0] & 0xf) * 4; }

}  // namespace

Inet::Inet() : Inet(Config()) {}

Inet::Inet(Config config)
    : config_(config),
      ip_id_(std::random_device()()),
      reass_(config.reassembly),
      icmp_limiter_(config.icmp_error_pps) {}

Inet::~Inet() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    loop_stop_ = true;
  }
  loop_cv_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
  bool detached;
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    detached = detached_;
  }
  if (net_ != nullptr && !detached) {
    net_->SetEtherInput(nullptr);
    net_->SetLoopbackInput(nullptr);
    net_->SetAddressAnnouncer(nullptr);
    net_->SetInterfaceObserver(nullptr);
    net_->SetSocketFactory(abi::kAF_INET, MakeBasicSocket);
  }
}

absl::Status Inet::Attach(Kernel& kernel) {
  net_ = kernel.Find<NetStack>();
  if (net_ == nullptr) {
    return absl::FailedPreconditionError(
        "inet needs the net component (rumpnet_net) attached before it");
  }
  kernel_ = &kernel;
  Resync();
  net_->SetInterfaceObserver(
      [this](Interface& ifp, NetStack::InterfaceEvent e) { OnInterfaceEvent(ifp, e); });
  net_->SetEtherInput([this](Interface& ifp, absl::Span<const uint8_t> f) { EtherInput(ifp, f); });
  net_->SetLoopbackInput(
      [this](Interface& ifp, absl::Span<const uint8_t> p) { LoopbackEnqueue(ifp, p); });
  net_->SetAddressAnnouncer([this](Interface& ifp, const Ipv4Address& a) { Announce(ifp, a); });
  net_->SetSocketFactory(abi::kAF_INET, [this](NetStack& net, int domain, int type,
                                               int protocol, int file_flags) {
    return MakeInetSocket(*this, net, domain, type, protocol, file_flags);
  });
  loop_thread_ = std::thread([this] { LoopbackThread(); });
  ScheduleSlowTimer();
  return AddSysctlNodes(kernel.sysctl());
}

void Inet::Detach(Kernel&) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    detached_ = true;
  }
  if (net_ != nullptr) {
    net_->SetEtherInput(nullptr);
    net_->SetLoopbackInput(nullptr);
    net_->SetAddressAnnouncer(nullptr);
    net_->SetInterfaceObserver(nullptr);
    net_->SetSocketFactory(abi::kAF_INET, MakeBasicSocket);
  }
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    loop_stop_ = true;
    loop_q_.clear();
  }
  loop_cv_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
}

int Inet::default_ttl() const { return net_ != nullptr ? net_->ip_ttl() : abi::kIPDEFTTL; }

// --- interfaces

std::shared_ptr<const Inet::Snapshot> Inet::snapshot() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return snap_;
}

void Inet::OnInterfaceEvent(Interface&, NetStack::InterfaceEvent) { Resync(); }

void Inet::Resync() {
  std::lock_guard<std::mutex> resync_lock(resync_mu_);
  auto snap = std::make_shared<Snapshot>();
  std::vector<int> live;
  for (const std::shared_ptr<Interface>& ifp : net_->Interfaces()) {
    IfInfo info;
    info.ifp = ifp;
    info.index = ifp->index();
    info.loopback = ifp->is_loopback();
    info.ethernet = ifp->is_ethernet() && ifp->lladdr().size() == 6;
    info.broadcast = (ifp->flags() & abi::kIFF_BROADCAST) != 0;
    if (info.ethernet) std::copy(ifp->lladdr().begin(), ifp->lladdr().end(), info.mac.begin());
    info.addrs = ifp->ipv4_addresses();
    live.push_back(info.index);
    // Interface routes: each address's network, while the interface is up.
    std::vector<inet::Route> routes;
    if (ifp->flags() & abi::kIFF_UP) {
      for (const Ipv4Address& a : info.addrs) {
        if (a.addr == 0) continue;
        inet::Route r;
        r.dst = a.addr & a.netmask;
        r.netmask = a.netmask;
        r.ifaddr = a.addr;
        routes.push_back(r);
      }
    }
    routes_.SetInterfaceRoutes(info.index, std::move(routes));
    if (info.ethernet) {
      std::lock_guard<std::mutex> lock(arp_mu_);
      auto& c = arp_[info.index];
      if (c == nullptr) c = std::make_shared<inet::ArpCache>(config_.arp);
      if (!(ifp->flags() & abi::kIFF_UP)) {
        arp_stats_.Inc(inet::kArpDfrDropped, c->Flush());
      }
    }
    snap->ifs.push_back(std::move(info));
  }
  const std::shared_ptr<const Snapshot> old = snapshot();
  if (old != nullptr) {
    for (const IfInfo& i : old->ifs) {
      if (std::find(live.begin(), live.end(), i.index) != live.end()) continue;
      routes_.RemoveInterface(i.index);
      std::lock_guard<std::mutex> lock(arp_mu_);
      arp_.erase(i.index);
    }
  }
  std::lock_guard<std::mutex> lock(snap_mu_);
  snap_ = std::move(snap);
}

std::shared_ptr<inet::ArpCache> Inet::arp_cache(int ifindex) {
  std::lock_guard<std::mutex> lock(arp_mu_);
  auto it = arp_.find(ifindex);
  return it == arp_.end() ? nullptr : it->second;
}

const Inet::IfInfo* Inet::FindIf(const Snapshot& snap, int index) {
  for (const IfInfo& i : snap.ifs) {
    if (i.index == index) return &i;
  }
  return nullptr;
}

bool Inet::IsLocalIn(const Snapshot& snap, uint32_t addr) {
  for (const IfInfo& i : snap.ifs) {
    for (const Ipv4Address& a : i.addrs) {
      if (a.addr == addr) return true;
    }
  }
  return false;
}

bool Inet::IsBroadcastOn(const IfInfo& info, uint32_t addr) {
  if (addr == kBroadcastAll || addr == 0) return true;  // in_broadcast
  if (!info.broadcast) return false;
  for (const Ipv4Address& a : info.addrs) {
    if (a.netmask == kBroadcastAll) continue;
    // The directed broadcast, and the network address itself
    // (ip_hostzerobroadcast, on by default).
    if (addr == a.broadaddr || addr == (a.addr & a.netmask)) return true;
  }
  return false;
}

bool Inet::IsLocalAddress(uint32_t addr) const {
  auto snap = snapshot();
  return snap != nullptr && IsLocalIn(*snap, addr);
}

bool Inet::IsBroadcastAddress(uint32_t addr) const {
  if (addr == kBroadcastAll) return true;
  auto snap = snapshot();
  if (snap == nullptr) return false;
  for (const IfInfo& i : snap->ifs) {
    if (addr != 0 && IsBroadcastOn(i, addr)) return true;
  }
  return false;
}

uint32_t Inet::MapConnectAddress(uint32_t addr) const {
  auto snap = snapshot();
  if (snap == nullptr) return addr;
  if (addr == 0) {  // our first address (lo0's, most likely)
    for (const IfInfo& i : snap->ifs) {
      if (!i.addrs.empty()) return i.addrs.front().addr;
    }
  } else if (addr == kBroadcastAll) {
    for (const IfInfo& i : snap->ifs) {
      if (i.broadcast && !i.addrs.empty()) return i.addrs.front().broadaddr;
    }
  }
  return addr;
}

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
        out.ifaddr = i.addrs.front().addr;
        out.link_broadcast = true;
        return out;
      }
    }
    return abi::Errno(abi::kEHOSTUNREACH, "no broadcast interface");
  }
  if (dont_route) {  // IP_ROUTETOIF: a directly connected network only
    for (const IfInfo& i : snap.ifs) {
      for (const Ipv4Address& a : i.addrs) {
        if ((dst & a.netmask) == (a.addr & a.netmask) && (i.ifp->flags() & abi::kIFF_UP)) {
          out.info = &i;
          out.ifaddr = a.addr;
          out.link_broadcast = IsBroadcastOn(i, dst);
          return out;
        }
      }
    }
    return abi::Errno(abi::kENETUNREACH);
  }
  std::optional<inet::Route> r = routes_.Lookup(dst);
  if (!r) return abi::Errno(abi::kEHOSTUNREACH, "no route to host");
  out.info = FindIf(snap, r->ifindex);
  if (out.info == nullptr) return abi::Errno(abi::kEHOSTUNREACH, "route's interface is gone");
  out.ifaddr = r->ifaddr;
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
      if (!i.loopback && !i.addrs.empty()) return i.addrs.front().addr;
    }
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  absl::StatusOr<OutRoute> r = ResolveOutput(*snap, dst, dont_route);
  if (!r.ok()) return r.status();
  if (r->ifaddr == 0) return abi::Errno(abi::kEADDRNOTAVAIL);
  return r->ifaddr;
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
  ip_stats_.Inc(abi::kIpStatRawout);
  ip_stats_.Inc(abi::kIpStatLocalout);
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
        route.ifaddr = i.addrs.front().addr;
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
  if (PacketSrc(packet) == 0) PutAddr(packet.data() + 12, route.ifaddr);
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
  if (!info.ethernet) return ifp.Output(packet);  // lo0: the packet itself
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
    // The source address: ours on the next hop's network, else the first.
    uint32_t spa = info.addrs.empty() ? 0 : info.addrs.front().addr;
    for (const Ipv4Address& a : info.addrs) {
      if ((a.addr & a.netmask) == (next_hop & a.netmask)) spa = a.addr;
    }
    SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{}, spa, next_hop);
  }
  return absl::OkStatus();  // held until resolved, as arpresolve
}

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
                   const MacAddress& tha, uint32_t spa, uint32_t tpa) {
  inet::ArpPacket a;
  a.op = op;
  a.sha = info.mac;
  a.spa = spa;
  a.tha = tha;
  a.tpa = tpa;
  const std::vector<uint8_t> frame = inet::BuildArpFrame(dst_mac, info.mac, a);
  if (info.ifp->Output(frame).ok()) {
    arp_stats_.Inc(inet::kArpSndTotal);
    arp_stats_.Inc(op == inet::kArpOpRequest ? inet::kArpSndRequest : inet::kArpSndReply);
  }
}

void Inet::Announce(Interface& ifp, const Ipv4Address& a) {
  if (!ifp.is_ethernet() || ifp.lladdr().size() != 6 || a.addr == 0) return;
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

void Inet::EtherInput(Interface& ifp, absl::Span<const uint8_t> frame) {
  if (frame.size() < inet::kEtherHeaderLen) {  // a runt
    ifp.CountInputError();
    return;
  }
  const auto& mac = ifp.lladdr();
  const bool group = (frame[0] & 1) != 0;
  if (mac.size() == 6) {
    // Frames for other stations (seen when promiscuous) are not ours, and
    // our own frames coming back are ignored.
    if (!group && std::memcmp(frame.data(), mac.data(), 6) != 0) return;
    if (std::memcmp(frame.data() + 6, mac.data(), 6) == 0) return;
  }
  const uint16_t type = Get16(frame.data() + 12);
  const absl::Span<const uint8_t> payload = frame.subspan(inet::kEtherHeaderLen);
  switch (type) {
    case inet::kEtherTypeIp:
      IpInput(ifp, payload, group);
      break;
    case inet::kEtherTypeArp:
      ArpInput(ifp, payload, group);
      break;
    default:
      ifp.CountNoProto();
      break;
  }
}

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
  for (const Ipv4Address& x : info->addrs) {
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
    arp_stats_.Inc(inet::kArpRcvOtherHost);
    return;
  }
  if (a.op == inet::kArpOpRequest) {
    SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.tpa, a.spa);
  }
}

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
  const bool local = IsLocalIn(*snap, h.dst);
  const bool multicast = inet::IsMulticast(h.dst);
  const bool broadcast = !local && !multicast && info != nullptr && IsBroadcastOn(*info, h.dst);
  if (multicast && h.dst != kAllHosts) {  // not a group we are in
    ip_stats_.Inc(abi::kIpStatCantforward);
    return;
  }
  if (!local && !broadcast && !multicast) {
    // Not for us. Forwarding is not implemented yet; as a router would,
    // tell the sender when the TTL has run out (RFC 1812 5.3.1).
    ip_stats_.Inc(abi::kIpStatCantforward);
    if (!link_broadcast && net_->ip_forwarding() && h.ttl <= 1) {
      SendIcmpError(packet, abi::kICMP_TIMXCEED, abi::kICMP_TIMXCEED_INTRANS);
    }
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
  switch (h.proto) {
    case abi::kIPPROTO_ICMP:
      ip_stats_.Inc(abi::kIpStatDelivered);
      IcmpInput(ifp, packet, h, bcast_or_mcast);
      break;
    case abi::kIPPROTO_UDP:
      ip_stats_.Inc(abi::kIpStatDelivered);
      UdpInput(ifp, packet, h, bcast_or_mcast);
      break;
    default:
      if (RawInput(packet, h)) {
        ip_stats_.Inc(abi::kIpStatDelivered);
      } else {
        ip_stats_.Inc(abi::kIpStatNoproto);
        if (!bcast_or_mcast) {
          SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_PROTOCOL);
        }
      }
      break;
  }
}

void Inet::IcmpInput(Interface&, absl::Span<const uint8_t> packet, const IpHeader& h,
                     bool broadcast) {
  const absl::Span<const uint8_t> icmp = packet.subspan(h.hlen);
  if (icmp.size() < abi::kICMP_MINLEN) {
    icmp_stats_.c.Inc(inet::kIcmpTooShort);
    return;
  }
  if (inet::InetChecksum(icmp) != 0) {
    icmp_stats_.c.Inc(inet::kIcmpChecksum);
    return;
  }
  const int type = icmp[0], code = icmp[1];
  if (type <= abi::kICMP_MAXTYPE) icmp_stats_.inhist.Inc(type);
  switch (type) {
    case abi::kICMP_ECHO: {
      if (broadcast) {  // icmpbmcastecho is off, as in NetBSD
        icmp_stats_.c.Inc(inet::kIcmpBmcastEcho);
        break;
      }
      // icmp_reflect: back to the sender from the address it used; the
      // reply carries no IP options.
      std::vector<uint8_t> reply(abi::kIpHeaderLen + icmp.size());
      IpHeader rh;
      rh.total_len = uint16_t(reply.size());
      rh.tos = h.tos;
      rh.id = NextIpId();
      rh.ttl = uint8_t(default_ttl());
      rh.proto = abi::kIPPROTO_ICMP;
      rh.src = h.dst;
      rh.dst = h.src;
      inet::WriteIpHeader(rh, reply.data());
      uint8_t* ri = reply.data() + abi::kIpHeaderLen;
      std::memcpy(ri, icmp.data(), icmp.size());
      ri[0] = abi::kICMP_ECHOREPLY;
      Put16(ri + 2, 0);
      Put16(ri + 2, inet::InetChecksum(absl::MakeConstSpan(ri, icmp.size())));
      icmp_stats_.c.Inc(inet::kIcmpReflect);
      icmp_stats_.outhist.Inc(abi::kICMP_ECHOREPLY);
      ip_stats_.Inc(abi::kIpStatLocalout);
      (void)RouteAndSend(std::move(reply), false, false);
      return;  // echo requests are not passed to raw sockets
    }
    case abi::kICMP_UNREACH:
    case abi::kICMP_TIMXCEED:
    case abi::kICMP_PARAMPROB:
    case abi::kICMP_SOURCEQUENCH: {
      if ((type == abi::kICMP_UNREACH && code > 15) || (type == abi::kICMP_TIMXCEED && code > 1)) {
        icmp_stats_.c.Inc(inet::kIcmpBadCode);
        break;
      }
      // The quoted header must be there, whole, with 8 bytes after it.
      if (icmp.size() < abi::kICMP_ADVLENMIN) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      const absl::Span<const uint8_t> inner = icmp.subspan(abi::kICMP_MINLEN);
      const size_t ihl = size_t(inner[0] & 0xf) * 4;
      if ((inner[0] >> 4) != 4 || ihl < abi::kIpHeaderLen || ihl + 8 > inner.size()) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      const int err = IcmpErrno(type, code);
      if (err != 0 && inner[9] == abi::kIPPROTO_UDP) UdpCtlInput(err, inner);
      break;
    }
    default:
      break;
  }
  RawInput(packet, h);
}

void Inet::UdpCtlInput(int netbsd_errno, absl::Span<const uint8_t> inner) {
  const size_t ihl = size_t(inner[0] & 0xf) * 4;
  const uint32_t src = GetAddr(inner.data() + 12), dst = GetAddr(inner.data() + 16);
  const uint16_t sport = Get16(inner.data() + ihl), dport = Get16(inner.data() + ihl + 2);
  // in_pcbnotify: connected sockets with exactly this 4-tuple.
  for (const std::shared_ptr<InetSocket>& s :
       udp_pcbs_.LookupConnected(src, sport, dst, dport)) {
    s->SetError(netbsd_errno);
  }
}

void Inet::UdpInput(Interface&, absl::Span<const uint8_t> packet, const IpHeader& h,
                    bool broadcast) {
  udp_stats_.Inc(abi::kUdpStatIpackets);
  absl::Span<const uint8_t> seg = packet.subspan(h.hlen);
  inet::UdpHeader uh;
  if (!inet::ParseUdpHeader(seg, &uh)) {
    udp_stats_.Inc(abi::kUdpStatHdrops);
    return;
  }
  if (uh.len < abi::kUdpHeaderLen || uh.len > seg.size()) {
    udp_stats_.Inc(abi::kUdpStatBadlen);
    return;
  }
  seg = seg.subspan(0, uh.len);
  if (uh.sum != 0) {
    const uint64_t sum = inet::ChecksumAdd(
        inet::PseudoHeaderSum(h.src, h.dst, abi::kIPPROTO_UDP, uh.len), seg);
    if (inet::ChecksumFinish(sum) != 0) {
      udp_stats_.Inc(abi::kUdpStatBadsum);
      return;
    }
  }
  const bool group = broadcast || inet::IsMulticast(h.dst);
  std::vector<std::shared_ptr<InetSocket>> socks =
      udp_pcbs_.LookupDatagram(h.src, uh.sport, h.dst, uh.dport, group);
  if (socks.empty()) {
    if (group) {
      udp_stats_.Inc(abi::kUdpStatNoportbcast);
    } else {
      udp_stats_.Inc(abi::kUdpStatNoport);
      SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_PORT);
    }
    return;
  }
  const absl::Span<const uint8_t> data = seg.subspan(abi::kUdpHeaderLen);
  for (const std::shared_ptr<InetSocket>& s : socks) {
    Datagram d;
    d.from = inet::SockaddrIn(h.src, uh.sport);
    d.data.assign(data.begin(), data.end());
    if (s->recv_dstaddr()) d.control = inet::DstAddrControl(h.dst);
    if (!s->DeliverDatagram(std::move(d))) udp_stats_.Inc(abi::kUdpStatFullsock);
  }
}

bool Inet::RawInput(absl::Span<const uint8_t> packet, const IpHeader& h) {
  std::vector<std::shared_ptr<InetSocket>> socks = raw_pcbs_.LookupRaw(h.proto, h.src, h.dst);
  for (const std::shared_ptr<InetSocket>& s : socks) {
    Datagram d;
    d.from = inet::SockaddrIn(h.src, 0);
    d.data.assign(packet.begin(), packet.end());
    // NetBSD's rip_input hands up ip_len in host order without the header
    // length and ip_off in host order (what raw IP programs expect).
    const uint16_t len = uint16_t(h.total_len - h.hlen);
    const uint16_t off = h.off;
    std::memcpy(d.data.data() + 2, &len, 2);
    std::memcpy(d.data.data() + 6, &off, 2);
    if (s->recv_dstaddr()) d.control = inet::DstAddrControl(h.dst);
    (void)s->DeliverDatagram(std::move(d));
  }
  return !socks.empty();
}

void Inet::SendIcmpError(absl::Span<const uint8_t> offending, int type, int code, int mtu,
                         bool link_broadcast) {
  icmp_stats_.c.Inc(inet::kIcmpError);
  IpHeader oh;
  if (offending.size() < abi::kIpHeaderLen) return;
  oh.hlen = uint8_t(PacketHlen(offending));
  if (oh.hlen < abi::kIpHeaderLen || oh.hlen > offending.size()) {
    icmp_stats_.c.Inc(inet::kIcmpOldShort);
    return;
  }
  oh.off = Get16(offending.data() + 6);
  oh.proto = offending[9];
  oh.src = PacketSrc(offending);
  oh.dst = PacketDst(offending);
  // RFC 1122 3.2.2: not about a non-first fragment, an ICMP error, a
  // link-level or IP broadcast or multicast, or a source that does not
  // name one host.
  if ((oh.off & abi::kIP_OFFMASK) != 0) {
    icmp_stats_.c.Inc(inet::kIcmpNoError);
    return;
  }
  if (oh.proto == abi::kIPPROTO_ICMP && type != abi::kICMP_REDIRECT) {
    if (offending.size() < oh.hlen + abi::kICMP_MINLEN) {
      icmp_stats_.c.Inc(inet::kIcmpOldShort);
      return;
    }
    if (!IcmpInfoType(offending[oh.hlen])) {
      icmp_stats_.c.Inc(inet::kIcmpOldIcmp);
      return;
    }
  }
  if (link_broadcast || inet::IsMulticast(oh.dst) || IsBroadcastAddress(oh.dst) ||
      oh.src == 0 || inet::IsMulticast(oh.src) || IsBroadcastAddress(oh.src)) {
    icmp_stats_.c.Inc(inet::kIcmpNoError);
    return;
  }
  if (!icmp_limiter_.Allow(absl::Now())) {
    icmp_stats_.c.Inc(inet::kIcmpRateLimited);
    return;
  }
  // The message: type, code, checksum, 4 bytes (the next-hop MTU for
  // NEEDFRAG), then the offending header and 8 bytes of its data.
  const size_t quoted = std::min(offending.size(), size_t(oh.hlen) + 8);
  std::vector<uint8_t> msg(abi::kICMP_MINLEN + quoted, 0);
  msg[0] = uint8_t(type);
  msg[1] = uint8_t(code);
  if (type == abi::kICMP_UNREACH && code == abi::kICMP_UNREACH_NEEDFRAG) {
    Put16(msg.data() + 6, uint16_t(mtu));
  }
  std::memcpy(msg.data() + abi::kICMP_MINLEN, offending.data(), quoted);
  Put16(msg.data() + 2, inet::InetChecksum(msg));
  OutputRequest req;
  req.src = IsLocalAddress(oh.dst) ? oh.dst : 0;
  req.dst = oh.src;
  req.proto = abi::kIPPROTO_ICMP;
  req.payload = msg;
  if (type <= abi::kICMP_MAXTYPE) icmp_stats_.outhist.Inc(type);
  (void)Output(req);
}

// --- loopback queue

void Inet::LoopbackEnqueue(Interface& ifp, absl::Span<const uint8_t> packet) {
  std::shared_ptr<Interface> ref = net_->FindInterfaceByIndex(ifp.index());
  if (ref == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    if (loop_stop_ || loop_q_.size() >= config_.loopback_queue_max) {
      ifp.CountInputDrop();
      return;
    }
    loop_q_.emplace_back(std::move(ref), std::vector<uint8_t>(packet.begin(), packet.end()));
  }
  loop_cv_.notify_one();
}

void Inet::LoopbackThread() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  for (;;) {
    loop_cv_.wait(lock, [this] { return loop_stop_ || !loop_q_.empty(); });
    if (loop_stop_) return;
    auto item = std::move(loop_q_.front());
    loop_q_.pop_front();
    lock.unlock();
    IpInput(*item.first, item.second, false);
    lock.lock();
  }
}

// --- timers

void Inet::ScheduleSlowTimer() {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (detached_ || kernel_ == nullptr) return;
  kernel_->timers().Schedule(config_.slow_timer, [this] { SlowTimer(); });
}

void Inet::SlowTimer() {
  const absl::Time now = absl::Now();
  ip_stats_.Inc(abi::kIpStatFragtimeout, reass_.Expire(now));
  auto snap = snapshot();
  if (snap != nullptr) {
    for (const IfInfo& info : snap->ifs) {
      if (!info.ethernet) continue;
      std::shared_ptr<inet::ArpCache> cache = arp_cache(info.index);
      if (cache == nullptr) continue;
      inet::ArpCache::TickResult t = cache->Tick(now);
      arp_stats_.Inc(inet::kArpDfrDropped, t.dropped);
      arp_stats_.Inc(inet::kArpTimeouts, t.timeouts);
      for (uint32_t ip : t.requests) {
        uint32_t spa = info.addrs.empty() ? 0 : info.addrs.front().addr;
        for (const Ipv4Address& a : info.addrs) {
          if ((a.addr & a.netmask) == (ip & a.netmask)) spa = a.addr;
        }
        SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{}, spa, ip);
      }
    }
  }
  ScheduleSlowTimer();
}

// --- sysctl

absl::Status Inet::AddSysctlNodes(SysctlTree& tree) {
  const int net = abi::kCtlNet, inet = abi::kAF_INET;
  std::vector<absl::StatusOr<int>> results;
  results.push_back(tree.AddNode({net}, inet, "inet", "PF_INET related settings"));
  results.push_back(tree.AddNode({net, inet}, abi::kIPPROTO_IP, "ip", "IPv4 related settings"));
  SysctlLeaf ip;
  ip.type = SysctlType::kStruct;
  ip.description = "IP statistics";
  ip.read = [this] { return ip_stats_.Bytes(); };
  ip.size = size_t(abi::kIpStatNStats) * sizeof(uint64_t);
  results.push_back(tree.AddLeaf({net, inet, abi::kIPPROTO_IP}, abi::kIpctlStats, "stats", ip));
  results.push_back(
      tree.AddNode({net, inet}, abi::kIPPROTO_UDP, "udp", "UDPv4 related settings"));
  SysctlLeaf udp;
  udp.type = SysctlType::kStruct;
  udp.description = "UDP statistics";
  udp.read = [this] { return udp_stats_.Bytes(); };
  udp.size = size_t(abi::kUdpStatNStats) * sizeof(uint64_t);
  results.push_back(
      tree.AddLeaf({net, inet, abi::kIPPROTO_UDP}, abi::kUdpctlStats, "stats", udp));
  for (const absl::StatusOr<int>& r : results) {
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace rump
