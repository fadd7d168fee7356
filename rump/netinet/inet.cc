#include "rump/netinet/inet.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/netinet/in_pcblist.h"
#include "rump/netinet/ip_var.h"

namespace rump {

using inet::kBroadcastAll;
using inet::MacAddress;

namespace {


}  // namespace

Inet::Inet() : Inet(Config()) {}

Inet::Inet(Config config)
    : config_(config),
      anon_ports_(),
      arp_keep_(int(absl::ToInt64Seconds(config.arp.keep))),
      arp_down_(int(absl::ToInt64Seconds(config.arp.down))),
      icmp_errppslimit_(config.icmp_error_pps),
      ip_id_(std::random_device()()),
      reass_(config.reassembly),
      icmp_limiter_(config.icmp_error_pps),
      udp_(*this),
      raw_(*this),
      tcp_(*this) {
  udp_.pcbs().set_anon_range(&anon_ports_);
  tcp_.pcbs().set_anon_range(&anon_ports_);
  RegisterProtocols();
}

void Inet::RegisterProtocols() {
  // In NetBSD's inetsw order, which decides what socket(AF_INET, SOCK_RAW,
  // 0) finds (ICMP's entry, whose sockets are raw IP's).
  inet::ProtoSwitch icmp;
  icmp.type = abi::kSOCK_RAW;
  icmp.protocol = abi::kIPPROTO_ICMP;
  icmp.name = "icmp";
  icmp.input = [this](Interface& ifp, absl::Span<const uint8_t> packet, const inet::IpHeader& h,
                      bool broadcast) { return IcmpInput(ifp, packet, h, broadcast); };
  // ICMP errors about ICMP messages go to raw sockets, as rip_ctlinput.
  icmp.ctlinput = [this](const inet::ControlInput& c) { raw_.CtlInput(c); };
  icmp.make_socket = [this](NetStack& net, int type, int protocol, int file_flags) {
    return raw_.MakeSocket(net, type, protocol, file_flags);
  };

  register_status_.Update(protocols_.Register(std::move(icmp)));
  register_status_.Update(protocols_.Register(udp_.Switch()));
  register_status_.Update(protocols_.Register(tcp_.Switch()));
  register_status_.Update(protocols_.Register(raw_.Switch()));
}

absl::Status Inet::RegisterProtocol(inet::ProtoSwitch entry) {
  if (absl::Status s = protocols_.Register(std::move(entry)); !s.ok()) return s;
  ScheduleFastTimer();
  return absl::OkStatus();
}

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
  if (!detached) UnregisterFromNet();
}

absl::Status Inet::Attach(Kernel& kernel) {
  if (!register_status_.ok()) return register_status_;  // a bug in RegisterProtocols
  net_ = kernel.Find<NetStack>();
  if (net_ == nullptr) {
    return absl::FailedPreconditionError(
        "inet needs the net component (rumpnet_net) attached before it");
  }
  kernel_ = &kernel;
  Resync();
  if (absl::Status s = RegisterWithNet(); !s.ok()) return s;
  loop_thread_ = std::thread([this] { LoopbackThread(); });
  ScheduleSlowTimer();
  ScheduleFastTimer();
  // What NetBSD's netinet component does at boot: 127.0.0.1/8 on lo0,
  // which also brings lo0 up.
  if (std::shared_ptr<Interface> lo0 = net_->FindInterface("lo0"); lo0 != nullptr) {
    if (absl::Status s = AddAddress(*lo0, htonl(0x7f000001u), htonl(0xff000000u),
                                    htonl(0x7fffffffu));
        !s.ok()) {
      return s;
    }
  }
  return AddSysctlNodes(kernel.sysctl());
}

absl::Status Inet::RegisterWithNet() {
  subscription_ = net_->Subscribe([this](Interface& ifp, NetStack::InterfaceEvent e) {
    Resync();
    if (e == NetStack::InterfaceEvent::kUp) InterfaceUp(ifp);
  });
  net_->SetEtherTypeInput(inet::kEtherTypeIp,
                          [this](Interface& ifp, absl::Span<const uint8_t> p, bool group) {
                            IpInput(ifp, p, group);
                          });
  net_->SetEtherTypeInput(inet::kEtherTypeArp,
                          [this](Interface& ifp, absl::Span<const uint8_t> p, bool group) {
                            ArpInput(ifp, p, group);
                          });
  AddressFamily f;
  f.family = abi::kAF_INET;
  f.name = "inet";
  f.socket_factory = [this](NetStack& net, int, int type, int protocol, int file_flags) {
    return protocols_.MakeSocket(net, type, protocol, file_flags);
  };
  f.control = [this](InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data) {
    return Control(cfg, cmd, data);
  };
  f.route_entries = [this](bool neighbours) { return RouteEntries(neighbours); };
  f.route_command = [this](const RouteCommand& cmd) { return RouteRequest(cmd); };
  f.address_routes = [](const Interface& ifp, const InterfaceAddress& a) {
    return AddressRoutes(ifp, a);
  };
  f.loop_input = [this](Interface& ifp, absl::Span<const uint8_t> p) {
    LoopbackEnqueue(ifp, p);
  };
  return net_->RegisterFamily(std::move(f));
}

void Inet::UnregisterFromNet() {
  if (net_ == nullptr) return;
  net_->UnregisterFamily(abi::kAF_INET);
  net_->SetEtherTypeInput(inet::kEtherTypeIp, nullptr);
  net_->SetEtherTypeInput(inet::kEtherTypeArp, nullptr);
  if (subscription_ != 0) net_->Unsubscribe(subscription_);
  subscription_ = 0;
}

void Inet::Detach(Kernel&) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    detached_ = true;
  }
  UnregisterFromNet();
  tcp_.Detach();
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    loop_stop_ = true;
    loop_q_.clear();
  }
  loop_cv_.notify_all();
  if (loop_thread_.joinable()) loop_thread_.join();
}

int Inet::default_ttl() const { return ip_ttl_.load(); }

// --- interfaces

std::shared_ptr<const Inet::Snapshot> Inet::snapshot() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return snap_;
}


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
    info.addrs = inet::InAddresses(*ifp);
    live.push_back(info.index);
    // Interface routes: each address's network, while the interface is up.
    std::vector<inet::Route> routes;
    if (ifp->flags() & abi::kIFF_UP) {
      for (const inet::InAddress& a : info.addrs) {
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
      if (c == nullptr) {
        inet::ArpConfig arp = config_.arp;
        arp.keep = absl::Seconds(arp_keep_.load());
        arp.down = absl::Seconds(arp_down_.load());
        c = std::make_shared<inet::ArpCache>(arp);
      }
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

std::shared_ptr<inet::ArpCache> Inet::arp_cache(int ifindex) const {
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

Inet::Ownership Inet::OwnershipIn(const Snapshot& snap, uint32_t addr) {
  Ownership o = Ownership::kNotOurs;
  for (const IfInfo& i : snap.ifs) {
    for (const inet::InAddress& a : i.addrs) {
      if (a.addr != addr) continue;
      if (inet::IsReady(a)) return Ownership::kReady;
      o = Ownership::kNotReady;
    }
  }
  return o;
}

uint32_t Inet::ReadyAddress(const IfInfo& info, uint32_t preferred) {
  uint32_t first = 0;
  for (const inet::InAddress& a : info.addrs) {
    if (!inet::IsReady(a)) continue;
    if (a.addr == preferred) return preferred;
    if (first == 0) first = a.addr;
  }
  return first;
}

bool Inet::IsBroadcastOn(const IfInfo& info, uint32_t addr) {
  if (addr == kBroadcastAll || addr == 0) return true;  // in_broadcast
  if (!info.broadcast) return false;
  for (const inet::InAddress& a : info.addrs) {
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
  if (addr == 0) {  // our first usable address (lo0's, most likely)
    for (const IfInfo& i : snap->ifs) {
      if (const uint32_t a = ReadyAddress(i, 0); a != 0) return a;
    }
  } else if (addr == kBroadcastAll) {
    for (const IfInfo& i : snap->ifs) {
      if (i.broadcast && !i.addrs.empty()) return i.addrs.front().broadaddr;
    }
  }
  return addr;
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
  routes_.RemoveExpired(now);  // the redirects' routes
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
        SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{},
                ArpSourceFor(info, ip), ip);
      }
    }
  }
  protocols_.SlowTimeout();
  ScheduleSlowTimer();
}

void Inet::ScheduleFastTimer() {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (detached_ || kernel_ == nullptr || fast_timer_scheduled_) return;
  if (!protocols_.has_fast_timeout()) return;  // no 200 ms wakeups for nothing
  fast_timer_scheduled_ = true;
  kernel_->timers().Schedule(config_.fast_timer, [this] { FastTimer(); });
}

void Inet::FastTimer() {
  protocols_.FastTimeout();
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    fast_timer_scheduled_ = false;
  }
  ScheduleFastTimer();
}

// --- sysctl

absl::Status Inet::AddSysctlNodes(SysctlTree& tree) {
  const int net = abi::kCtlNet, inet = abi::kAF_INET;
  std::vector<absl::StatusOr<int>> results;
  results.push_back(tree.AddNode({net}, inet, "inet", "PF_INET related settings"));
  results.push_back(tree.AddNode({net, inet}, abi::kIPPROTO_IP, "ip", "IPv4 related settings"));
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlForwarding, "forwarding",
      SysctlIntLeaf(&ip_forwarding_, "Enable forwarding of INET datagrams")));
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlSendredirects, "redirect",
      SysctlIntLeaf(&ip_redirect_, "Enable sending of ICMP redirect messages")));
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlDirectedbcast, "directed-broadcast",
      SysctlIntLeaf(&ip_directed_broadcast_, "Enable forwarding of broadcast datagrams")));
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlDefttl, "ttl",
      SysctlIntLeaf(&ip_ttl_, "Default TTL for an INET datagram",
              [](int v) { return v >= 1 && v <= 255; })));
  // (NetBSD's check: a port number, and min below max.)
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlAnonportmin, "anonportmin",
      SysctlIntLeaf(&anon_ports_.min, "Lowest ephemeral port number to assign",
                    [this](int v) { return v > 0 && v < anon_ports_.max.load(); })));
  results.push_back(tree.AddLeaf(
      {net, inet, abi::kIPPROTO_IP}, abi::kIpctlAnonportmax, "anonportmax",
      SysctlIntLeaf(&anon_ports_.max, "Highest ephemeral port number to assign",
                    [this](int v) { return v <= 65535 && v > anon_ports_.min.load(); })));
  results.push_back(tree.AddLeaf({net, inet, abi::kIPPROTO_IP}, abi::kIpctlDadCount,
                                 "dad_count",
                                 SysctlIntLeaf(&ip_dad_count_, "Number of probes to send")));
  SysctlLeaf ip;
  ip.type = SysctlType::kStruct;
  ip.description = "IP statistics";
  ip.read = [this] { return ip_stats_.Bytes(); };
  ip.size = size_t(abi::kIpStatNStats) * sizeof(uint64_t);
  results.push_back(tree.AddLeaf({net, inet, abi::kIPPROTO_IP}, abi::kIpctlStats, "stats", ip));
  results.push_back(
      tree.AddNode({net, inet}, abi::kIPPROTO_UDP, "udp", "UDPv4 related settings"));
  const std::vector<int> udp_node = {net, inet, abi::kIPPROTO_UDP};
  results.push_back(tree.AddLeaf(udp_node, abi::kUdpctlChecksum, "checksum",
                                 SysctlIntLeaf(&udp_.checksum, "Compute UDP checksums")));
  auto bufsize = [this](int v) { return v > 0 && size_t(v) <= net_->sb_max_adj(); };
  results.push_back(tree.AddLeaf(
      udp_node, abi::kUdpctlSendspace, "sendspace",
      SysctlIntLeaf(&udp_.sendspace, "Default UDP send buffer size", bufsize)));
  results.push_back(tree.AddLeaf(
      udp_node, abi::kUdpctlRecvspace, "recvspace",
      SysctlIntLeaf(&udp_.recvspace, "Default UDP receive buffer size", bufsize)));
  SysctlLeaf udp;
  udp.type = SysctlType::kStruct;
  udp.description = "UDP statistics";
  udp.read = [this] { return udp_.stats().Bytes(); };
  udp.size = size_t(abi::kUdpStatNStats) * sizeof(uint64_t);
  results.push_back(
      tree.AddLeaf({net, inet, abi::kIPPROTO_UDP}, abi::kUdpctlStats, "stats", udp));
  results.push_back(
      tree.AddNode({net, inet}, abi::kIPPROTO_RAW, "raw", "Raw IPv4 settings"));
  // net.inet.icmp.stats and net.inet.arp.stats in NetBSD's layouts (what
  // netstat -s reads); our own extra counters (rate-limited errors, ARP for
  // other hosts, resolution timeouts) have no place there.
  results.push_back(
      tree.AddNode({net, inet}, abi::kIPPROTO_ICMP, "icmp", "ICMPv4 related settings"));
  const std::vector<int> icmp_node = {net, inet, abi::kIPPROTO_ICMP};
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlMaskrepl, "maskrepl",
      SysctlIntLeaf(&icmp_maskrepl_, "Respond to ICMP_MASKREQ messages")));
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlReturndatabytes, "returndatabytes",
      SysctlIntLeaf(&icmp_returndatabytes_, "Number of bytes to return in an ICMP error message",
                    [](int v) { return v >= 8 && v <= 512; })));
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlErrppslimit, "errppslimit",
      SysctlIntLeaf(&icmp_errppslimit_,
                    "Maximum number of outgoing ICMP error messages per second")));
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlRediraccept, "rediraccept",
      SysctlIntLeaf(&icmp_rediraccept_, "Accept ICMP_REDIRECT messages")));
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlRedirtimeout, "redirtimeout",
      SysctlIntLeaf(&icmp_redirtimeout_, "Lifetime of ICMP_REDIRECT generated routes",
                    [](int v) { return v >= 0; })));
  results.push_back(tree.AddLeaf(
      icmp_node, abi::kIcmpctlBmcastecho, "bmcastecho",
      SysctlIntLeaf(&icmp_bmcastecho_, "Respond to ICMP_ECHO or ICMP_TIMESTAMP message to the "
                                       "broadcast or multicast")));
  SysctlLeaf icmp;
  icmp.type = SysctlType::kStruct;
  icmp.description = "ICMP statistics";
  icmp.read = [this] {
    std::vector<uint64_t> v(abi::kIcmpStatNStats, 0);
    const inet::Counters<inet::kIcmpStatCount>& c = icmp_stats_.c;
    v[abi::kIcmpStatError] = c.Get(inet::kIcmpError);
    v[abi::kIcmpStatOldshort] = c.Get(inet::kIcmpOldShort);
    v[abi::kIcmpStatOldicmp] = c.Get(inet::kIcmpOldIcmp);
    v[abi::kIcmpStatBadcode] = c.Get(inet::kIcmpBadCode);
    v[abi::kIcmpStatTooshort] = c.Get(inet::kIcmpTooShort);
    v[abi::kIcmpStatChecksum] = c.Get(inet::kIcmpChecksum);
    v[abi::kIcmpStatBadlen] = c.Get(inet::kIcmpBadLen);
    v[abi::kIcmpStatReflect] = c.Get(inet::kIcmpReflect);
    v[abi::kIcmpStatBmcastecho] = c.Get(inet::kIcmpBmcastEcho);
    for (int t = 0; t <= abi::kICMP_MAXTYPE; ++t) {
      v[size_t(abi::kIcmpStatOuthist + t)] = icmp_stats_.outhist.Get(t);
      v[size_t(abi::kIcmpStatInhist + t)] = icmp_stats_.inhist.Get(t);
    }
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(uint64_t));
  };
  icmp.size = size_t(abi::kIcmpStatNStats) * sizeof(uint64_t);
  results.push_back(
      tree.AddLeaf({net, inet, abi::kIPPROTO_ICMP}, abi::kIcmpctlStats, "stats", icmp));
  absl::StatusOr<int> arp_node = tree.AddNode({net, inet}, SysctlTree::kDynamicNumber, "arp",
                                              "Address Resolution Protocol");
  results.push_back(arp_node);
  if (arp_node.ok()) {
    SysctlLeaf arp;
    arp.type = SysctlType::kStruct;
    arp.description = "ARP statistics";
    arp.read = [this] {
      static constexpr struct {
        int ours, netbsd;
      } kMap[] = {
          {inet::kArpSndTotal, abi::kArpStatSndtotal},
          {inet::kArpSndReply, abi::kArpStatSndreply},
          {inet::kArpSndRequest, abi::kArpStatSendrequest},
          {inet::kArpRcvTotal, abi::kArpStatRcvtotal},
          {inet::kArpRcvRequest, abi::kArpStatRcvrequest},
          {inet::kArpRcvReply, abi::kArpStatRcvreply},
          {inet::kArpRcvMcast, abi::kArpStatRcvmcast},
          {inet::kArpRcvBadProto, abi::kArpStatRcvbadproto},
          {inet::kArpRcvBadLen, abi::kArpStatRcvbadlen},
          {inet::kArpRcvZeroTpa, abi::kArpStatRcvzerotpa},
          {inet::kArpRcvZeroSpa, abi::kArpStatRcvzerospa},
          {inet::kArpRcvNoInt, abi::kArpStatRcvnoint},
          {inet::kArpRcvLocalSha, abi::kArpStatRcvlocalsha},
          {inet::kArpRcvBcastSha, abi::kArpStatRcvbcastsha},
          {inet::kArpRcvLocalSpa, abi::kArpStatRcvlocalspa},
          {inet::kArpRcvOver, abi::kArpStatRcvover},
          {inet::kArpDfrTotal, abi::kArpStatDfrtotal},
          {inet::kArpDfrSent, abi::kArpStatDfrsent},
          {inet::kArpDfrDropped, abi::kArpStatDfrdropped},
      };
      std::vector<uint64_t> v(abi::kArpStatNStats, 0);
      for (const auto& m : kMap) v[size_t(m.netbsd)] = arp_stats_.Get(m.ours);
      return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(uint64_t));
    };
    arp.size = size_t(abi::kArpStatNStats) * sizeof(uint64_t);
    results.push_back(tree.AddLeaf({net, inet, *arp_node}, SysctlTree::kDynamicNumber, "stats", arp));
    // The lifetimes, applied to every cache as they are written.
    auto lifetime = [this](std::atomic<int>* v, const char* description) {
      SysctlLeaf leaf = SysctlIntLeaf(v, description, [](int x) { return x > 0; });
      leaf.write = [this, write = std::move(leaf.write)](absl::string_view value) {
        absl::Status s = write(value);
        if (!s.ok()) return s;
        std::lock_guard<std::mutex> lock(arp_mu_);
        for (const auto& [index, cache] : arp_) {
          cache->set_lifetimes(absl::Seconds(arp_keep_.load()), absl::Seconds(arp_down_.load()));
        }
        return s;
      };
      return leaf;
    };
    results.push_back(tree.AddLeaf({net, inet, *arp_node}, SysctlTree::kDynamicNumber, "keep",
                                   lifetime(&arp_keep_, "Valid ARP entry lifetime in seconds")));
    results.push_back(tree.AddLeaf({net, inet, *arp_node}, SysctlTree::kDynamicNumber, "down",
                                   lifetime(&arp_down_, "Failed ARP entry lifetime in seconds")));
  }
  for (const absl::StatusOr<int>& r : results) {
    if (!r.ok()) return r.status();
  }
  if (absl::Status s = tcp_.AddSysctlNodes(tree); !s.ok()) return s;
  // The PCB lists. A raw socket's record shows the protocol of the switch
  // entry that made it (NetBSD's so_proto->pr_protocol), not its own.
  if (absl::Status s = inet::AddPcblistNode(tree, {net, inet, abi::kIPPROTO_UDP},
                                            abi::kUdpctlPcblist, udp_.pcbs(), abi::kSOCK_DGRAM,
                                            abi::kIPPROTO_UDP, nullptr,
                                            "UDP protocol control block list");
      !s.ok()) {
    return s;
  }
  return inet::AddPcblistNode(
      tree, {net, inet, abi::kIPPROTO_RAW}, abi::kRawctlPcblist, raw_.pcbs(), abi::kSOCK_RAW, 0,
      [this](const inet::PcbRow& row, abi::KinfoPcb& k) {
        absl::StatusOr<const inet::ProtoSwitch*> e =
            protocols_.FindForSocket(abi::kSOCK_RAW, row.socket->protocol());
        if (e.ok()) k.protocol = uint32_t((*e)->protocol);
      },
      "Raw IPv4 control block list");
}

}  // namespace rump
