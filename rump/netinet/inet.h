// Inet: the IPv4 component ("inet"; NetBSD's rumpnet_netinet). Attached
// after NetStack, it registers the AF_INET family on the interface layer's
// seams (rump/net/net_stack.h) the way any family does:
//
//  * the AF_INET domain: its socket factory, its control routine (the
//    IPv4 address ioctls, in_control: SIOCAIFADDR, SIOCDIFADDR,
//    SIOCGIFALIAS, SIOCGIFADDR, ...; in_control.cc) and its loopback
//    input; the addresses live in the interfaces' address records
//    (in_ifaddr.h); lo0 gets 127.0.0.1/8 when the component attaches;
//  * the IPv4 and ARP ethertypes, and interface events (routes and ARP
//    caches follow interfaces; addresses are announced when an interface
//    comes up);
//  * ARP:
//    one ArpCache per Ethernet interface, requests and replies answered
//    for our own addresses only, gratuitous ARP when an address is added
//    (if_arp.cc);
//  * IPv4 input (ip_input.cc): every header field checked (bad packets
//    counted in net.inet.ip.stats and dropped), link padding trimmed,
//    options skipped, reassembly, local delivery to our addresses, directed
//    and limited broadcast. Delivery goes through the protocol table
//    (protosw.h) to the input registered for the packet's protocol, raw IP
//    for those no one registered; a packet no one takes is counted
//    (noproto) and, unless it came as a broadcast or multicast, answered
//    with ICMP protocol unreachable;
//  * forwarding (ip_forward.cc), while net.inet.ip.forwarding is set (1 by
//    default, as in NetBSD's rump kernels): a packet for another host goes
//    on with its TTL one less, fragmented to the next hop's MTU; the sender
//    hears ICMP time exceeded (TTL run out), net unreachable (no route),
//    host unreachable (no way out), or frag-needed with the next hop's MTU
//    (DF and too big), and a host redirect when it could have reached the
//    next hop itself (net.inet.ip.redirect). Link-level broadcasts,
//    multicasts, and packets for network 0 or 127 are never forwarded
//    (counted as cantforward); directed broadcasts only with
//    net.inet.ip.directed-broadcast;
//  * IPv4 output (ip_output.cc): route lookup (RouteTable, longest prefix;
//    interface routes follow addresses), source address selection,
//    broadcast only with SO_BROADCAST (EACCES), fragmentation to the
//    interface MTU (EMSGSIZE with DF), ARP resolution, local destinations
//    looped through lo0;
//  * ICMP (ip_icmp.cc): echo replies; port / protocol unreachable and time
//    exceeded sent per RFC 1122 (never about ICMP errors, broadcasts or
//    non-first fragments; at most icmperrppslim 100 a second); a received
//    error is handed, through the protocol table, to the control input of
//    the protocol of the packet it quotes (UDP: ECONNREFUSED and friends on
//    the connected socket; raw IP: NetBSD's rip_ctlinput), and the message
//    itself to raw ICMP sockets;
//  * the protocol table, in which the component registers ICMP, UDP
//    (udp_usrreq.h), TCP (tcp.h) and raw IP (raw_ip.h, the wildcard);
//    socket(AF_INET, ...) is answered from it;
//  * the net.inet sysctl subtree: net.inet.ip.forwarding, redirect,
//    directed-broadcast, ttl, dad_count
//    and stats, net.inet.udp.stats, net.inet.tcp (tcp.h), and the PCB lists
//    net.inet.udp.pcblist and net.inet.raw.pcblist (in_pcblist.h; what
//    netstat -a and sockstat read); and C++ getters for every protocol's
//    counters.
//
// Threads: input runs on the drivers' receive threads; packets looped back
// through lo0 are queued and handled on the component's own thread (as
// NetBSD's ipintr softint), so a sender never re-enters its own input; ARP
// retries, reassembly timeouts and the protocols' slow and fast timeouts
// run on the kernel's timer thread. No lock is held while a frame is
// handed to Interface::Output, a datagram to Socket::DeliverDatagram or a
// packet to a protocol's input.
#ifndef RUMP_NETINET_INET_H_
#define RUMP_NETINET_INET_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/abi/in.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/arp_cache.h"
#include "rump/netinet/in_ifaddr.h"
#include "rump/netinet/in_pcb.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/protosw.h"
#include "rump/netinet/rate_limit.h"
#include "rump/netinet/raw_ip.h"
#include "rump/netinet/reassembly.h"
#include "rump/netinet/route_table.h"
#include "rump/netinet/stats.h"
#include "rump/netinet/tcp.h"
#include "rump/netinet/udp_usrreq.h"

namespace rump {

class Inet : public Component {
 public:
  struct Config {
    inet::ArpConfig arp;
    inet::ReassemblyConfig reassembly;
    int icmp_error_pps = abi::kIcmpErrPpsLim;   // icmperrppslim
    absl::Duration slow_timer = absl::Milliseconds(500);  // ip_slowtimo, pr_slowtimo
    absl::Duration fast_timer = absl::Milliseconds(200);  // pr_fasttimo
    size_t loopback_queue_max = 256;           // ipqmaxlen
    // Duplicate address detection: the time between probes, and after the
    // last one before the address is declared unique. NetBSD waits 1-2 s
    // between probes and 2 s after them (RFC 5227's constants, made for
    // real wires); a bus answers within microseconds.
    absl::Duration dad_interval = absl::Milliseconds(100);
  };

  Inet();
  explicit Inet(Config config);
  ~Inet() override;

  const char* name() const override { return "inet"; }
  // FailedPrecondition without a NetStack.
  absl::Status Attach(Kernel& kernel) override;
  void Detach(Kernel& kernel) override;

  // --- addresses (what SIOCAIFADDR / SIOCDIFADDR do; usable directly)
  // Adds or changes an address as SIOCAIFADDR does: `netmask` 0 means "not
  // given" (the class netmask is used for a new address), `broadaddr` 0
  // means "not given" (computed from the netmask).
  absl::Status AddAddress(Interface& ifp, uint32_t addr, uint32_t netmask,
                          uint32_t broadaddr);
  // Removes an address (EADDRNOTAVAIL if the interface lacks it).
  absl::Status DeleteAddress(Interface& ifp, uint32_t addr);

  // --- sysctl values (net.inet.ip.*)
  int ip_forwarding() const { return ip_forwarding_.load(); }
  int ip_ttl() const { return ip_ttl_.load(); }
  int ip_dad_count() const { return ip_dad_count_.load(); }
  // Sets net.inet.ip.dad_count (test fixtures turn detection off with 0).
  void set_ip_dad_count(int n) { ip_dad_count_.store(n); }

  // --- duplicate address detection (if_arp.cc; RFC 5227, NetBSD's
  // arp_dad_*). A new address of an Ethernet interface (SIOCAIFADDR or
  // AddAddress) starts tentative (IN_IFF_TENTATIVE): it is neither a source
  // nor a destination and ARP does not answer for it, while
  // net.inet.ip.dad_count probes (ARP requests from 0.0.0.0) go out
  // Config::dad_interval apart. If another station answers, probes for the
  // same address or uses it as its sender, the address becomes
  // IN_IFF_DUPLICATED for good (a console message says so); otherwise it
  // becomes usable one interval after the last probe and is announced with
  // a gratuitous ARP. Either end is announced as RTM_NEWADDR.
  //
  // Blocks until `addr` of `ifp` is no longer tentative or `timeout`
  // passes: OK once usable, EADDRINUSE if duplicated, EADDRNOTAVAIL if the
  // interface has no such address, ETIMEDOUT.
  absl::Status WaitForDad(const Interface& ifp, uint32_t addr, absl::Duration timeout);

  // --- output
  struct OutputRequest {
    uint32_t src = 0;   // 0: chosen from the route
    uint32_t dst = 0;
    uint8_t proto = 0;
    int ttl = -1;       // -1: net.inet.ip.ttl (1 for multicast)
    uint8_t tos = 0;
    bool allow_broadcast = false;  // SO_BROADCAST
    bool dont_route = false;       // SO_DONTROUTE / MSG_DONTROUTE
    bool dont_fragment = false;
    absl::Span<const uint8_t> payload;  // after the IP header
  };
  // ip_output for a packet built here. Errors as NetBSD's: EHOSTUNREACH (no
  // route), ENETUNREACH (dont_route and not on a connected network),
  // EACCES (broadcast without SO_BROADCAST), EMSGSIZE (too big: broadcast
  // or DF), EHOSTDOWN / EHOSTUNREACH (ARP gave up), ENETDOWN.
  absl::Status Output(const OutputRequest& req);
  // ip_output for a whole packet whose header the caller wrote (IP_HDRINCL,
  // ICMP replies): fields in network order, checksum and a zero ip_id or
  // ip_src filled in here.
  absl::Status OutputPacket(std::vector<uint8_t> packet, bool allow_broadcast, bool dont_route);

  // in_selectsrc: our address on the way to `dst` (EHOSTUNREACH without a
  // route; EADDRNOTAVAIL with no address at all).
  absl::StatusOr<uint32_t> SelectSource(uint32_t dst, bool dont_route) const;
  // One of our addresses (any interface)?
  bool IsLocalAddress(uint32_t addr) const;
  // A broadcast address of one of our broadcast interfaces, or
  // 255.255.255.255?
  bool IsBroadcastAddress(uint32_t addr) const;
  // connect()'s mapping: INADDR_ANY -> our first address; INADDR_BROADCAST
  // -> the broadcast address of the first broadcast interface.
  uint32_t MapConnectAddress(uint32_t addr) const;
  // The MTU of the interface a packet to `dst` leaves through (what
  // TCP's MSS follows); 0 when there is no route.
  int RouteMtu(uint32_t dst) const;
  // The kernel's timers; nullptr before Attach.
  TimerQueue* timers() const { return kernel_ != nullptr ? &kernel_->timers() : nullptr; }
  uint16_t NextIpId() { return uint16_t(ip_id_.fetch_add(1, std::memory_order_relaxed)); }
  int default_ttl() const;

  // --- input (what the NetStack seams call; public for tests)
  void IpInput(Interface& ifp, absl::Span<const uint8_t> packet, bool link_broadcast);
  // Sends the ICMP error (type, code) about `offending` (a whole IP packet)
  // as icmp_error does, if RFC 1122 and the rate limit allow. `word` is the
  // next-hop MTU for ICMP_UNREACH_NEEDFRAG and the gateway (network order)
  // for ICMP_REDIRECT.
  void SendIcmpError(absl::Span<const uint8_t> offending, int type, int code, uint32_t word = 0,
                     bool link_broadcast = false);
  // rtredirect: router `author` says `dst` is better reached through
  // `gateway`. Accepted when `gateway` is on a directly connected network
  // and not ours, and the route to `dst` now goes through `author`: a host
  // route through `gateway` is made (RTF_DYNAMIC, living
  // net.inet.icmp.redirtimeout seconds), or an existing gateway host route
  // changed (RTF_MODIFIED). Counted in net.route.stats and announced with
  // RTM_REDIRECT either way. Returns the NetBSD errno of a refusal, or 0.
  int RedirectInput(uint32_t author, uint32_t dst, uint32_t gateway);
  // ip_forward: `packet` (whole, checked; `h` its header) came in on `ifp`
  // for another host.
  void IpForward(Interface& ifp, absl::Span<const uint8_t> packet, const inet::IpHeader& h,
                 bool link_broadcast);

  // --- protocols
  // The protocol switch: ICMP, UDP, TCP and raw IP
  // are registered at construction.
  const inet::ProtocolTable& protocols() const { return protocols_; }
  // Adds a protocol (ProtocolTable::Register's errors), before or after
  // Attach; its fast timeout, if it has one, starts the 200 ms fast timer.
  absl::Status RegisterProtocol(inet::ProtoSwitch entry);
  inet::Udp& udp() { return udp_; }
  inet::RawIp& raw_ip() { return raw_; }
  inet::Tcp& tcp() { return tcp_; }

  // --- tables and counters
  inet::RouteTable& routes() { return routes_; }
  inet::InPcbTable& udp_pcbs() { return udp_.pcbs(); }
  inet::InPcbTable& tcp_pcbs() { return tcp_.pcbs(); }
  inet::InPcbTable& raw_pcbs() { return raw_.pcbs(); }
  // The interface's ARP cache (nullptr for non-Ethernet or unknown ones).
  std::shared_ptr<inet::ArpCache> arp_cache(int ifindex) const;
  const inet::IpStats& ip_stats() const { return ip_stats_; }
  const inet::IcmpStats& icmp_stats() const { return icmp_stats_; }
  const inet::UdpStats& udp_stats() const { return udp_.stats(); }
  const inet::ArpStats& arp_stats() const { return arp_stats_; }
  inet::IpStats& mutable_ip_stats() { return ip_stats_; }
  inet::UdpStats& mutable_udp_stats() { return udp_.stats(); }
  const inet::Reassembler& reassembler() const { return reass_; }
  NetStack& net() const { return *net_; }

 private:
  // What input and output need to know about an interface, rebuilt on
  // every interface event (NetStack::Subscribe).
  struct IfInfo {
    std::shared_ptr<Interface> ifp;
    int index = 0;
    bool loopback = false, ethernet = false, broadcast = false;
    inet::MacAddress mac{};
    std::vector<inet::InAddress> addrs;
  };
  struct Snapshot {
    std::vector<IfInfo> ifs;
  };
  std::shared_ptr<const Snapshot> snapshot() const;
  void Resync();  // rebuilds the snapshot and the interface routes
  // The route sysctl's view (in_route_dump.cc): the routing table with
  // NetBSD's local routes to our own addresses, or the ARP caches with our
  // own addresses as permanent entries.
  std::vector<RouteEntry> RouteEntries(bool neighbours) const;
  // A routing-socket request (in_rtsock.cc).
  absl::StatusOr<RouteEntry> RouteRequest(const RouteCommand& cmd);
  // The local route of our address `addr` of `info` (RTF_LOCAL, through
  // the loopback interface `loopback`, 0: none), as NetBSD lists it.
  static RouteEntry LocalRouteEntry(const IfInfo& info, uint32_t addr, int loopback);
  // The routes an address brings, as the routing messages of its arrival
  // and departure show them: its local route and (but on a loopback
  // interface) its network's.
  static std::vector<RouteEntry> AddressRoutes(const Interface& ifp, const InterfaceAddress& a);
  // The requests of arp(8) (RTF_LLINFO): RTM_GET of a neighbour, RTM_ADD
  // and RTM_DELETE of an entry set by hand. nullopt: not one of them (an
  // off-link destination), a route request after all.
  std::optional<absl::StatusOr<RouteEntry>> ArpRequest(const RouteCommand& cmd, uint32_t dst);
  // Where a packet to `dst` leaves: the interface, next hop, source
  // address, and whether it is a link-level broadcast.
  struct OutRoute {
    const IfInfo* info = nullptr;
    uint32_t next_hop = 0;
    uint32_t ifaddr = 0;
    bool link_broadcast = false;
    bool via_gateway = false;
    // The interface's addresses are all tentative or duplicated: nothing
    // may be sent from it with a source chosen here (EADDRNOTAVAIL).
    bool source_not_ready = false;
  };
  absl::StatusOr<OutRoute> ResolveOutput(const Snapshot& snap, uint32_t dst,
                                         bool dont_route) const;
  static const IfInfo* FindIf(const Snapshot& snap, int index);
  // Whether `addr` is one of ours, and usable (not tentative, not
  // duplicated): one walk over the addresses answers both.
  enum class Ownership { kNotOurs, kNotReady, kReady };
  static Ownership OwnershipIn(const Snapshot& snap, uint32_t addr);
  static bool IsLocalIn(const Snapshot& snap, uint32_t addr) {
    return OwnershipIn(snap, addr) == Ownership::kReady;
  }
  // `preferred` if it is a usable address of `info`, else the interface's
  // first usable address, else 0.
  static uint32_t ReadyAddress(const IfInfo& info, uint32_t preferred);
  // The sender address of an ARP request for `target` on `info`: our usable
  // address on target's network, else our first usable one, else 0.
  static uint32_t ArpSourceFor(const IfInfo& info, uint32_t target);
  static bool IsBroadcastOn(const IfInfo& info, uint32_t addr);

  // Output below routing: to `next_hop` on interface `info`.
  absl::Status SendOnInterface(const IfInfo& info, uint32_t next_hop, bool link_broadcast,
                               std::vector<uint8_t> packet, bool via_gateway);
  absl::Status EtherOutput(const IfInfo& info, const inet::MacAddress& dst, uint16_t type,
                           absl::Span<const uint8_t> payload);
  absl::Status RouteAndSend(std::vector<uint8_t> packet, bool allow_broadcast,
                            bool dont_route);
  void ArpInput(Interface& ifp, absl::Span<const uint8_t> arp, bool link_broadcast);
  // `sha`: the sender's hardware address when not the interface's (a
  // proxy ARP reply).
  void SendArp(const IfInfo& info, uint16_t op, const inet::MacAddress& dst_mac,
               const inet::MacAddress& tha, uint32_t spa, uint32_t tpa,
               const inet::MacAddress* sha = nullptr);
  // The gratuitous ARP of arp_ifinit for a new address `a`.
  void Announce(Interface& ifp, const inet::InAddress& a);
  // An interface came up (NetBSD's in_if_link_up): with detection on, each
  // of its addresses is tentative again (a duplicated one gets a new try)
  // and detection runs, announcing it at the end; with detection off, or on
  // an interface without ARP, nothing is sent.
  void InterfaceUp(Interface& ifp);
  // Duplicate address detection. DadBegin registers a run for a new
  // tentative address (inside the interface's Configure); DadTick sends
  // the probes on the timer thread; DadEnd makes the address usable or
  // duplicated (through Configure, so never from an input thread: ARP
  // input schedules it on the timer thread).
  struct DadRun {
    uint64_t id = 0;
    int count = 0;  // probes to send
    int sent = 0;
    // The flags are final; the message or announcement is on its way and
    // the run goes once it is out (WaitForDad waits for that).
    bool ending = false;
  };
  uint64_t DadBegin(int ifindex, uint32_t addr);
  void DadScheduleTick(int ifindex, uint32_t addr, uint64_t id, absl::Duration delay);
  void DadTick(int ifindex, uint32_t addr, uint64_t id);
  void DadEnd(int ifindex, uint32_t addr, uint64_t id, bool duplicated,
              const inet::MacAddress& claimant);
  void DadForget(int ifindex, uint32_t addr);  // the address is gone
  // in_control (in_control.cc).
  struct AliasRequest;
  absl::Status Control(InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data);
  absl::Status AddAddressLocked(InterfaceConfig& cfg, const AliasRequest& req);
  // Takes the seams of NetStack, and gives them back.
  absl::Status RegisterWithNet();
  void UnregisterFromNet();
  // The protocol entries the component starts with.
  void RegisterProtocols();
  // icmp_input: the ICMP entry's input.
  bool IcmpInput(Interface& ifp, absl::Span<const uint8_t> packet, const inet::IpHeader& h,
                 bool broadcast);
  // icmp_reflect: `reply` (an ICMP message, checksum not yet set) back to
  // the sender of `h`, which came in on `ifp`, from the address it was
  // sent to, or, for a broadcast, from the receiving interface's address.
  void IcmpReflect(Interface& ifp, const inet::IpHeader& h, std::vector<uint8_t> reply);
  void LoopbackEnqueue(Interface& ifp, absl::Span<const uint8_t> packet);
  void LoopbackThread();
  void SlowTimer();
  void ScheduleSlowTimer();
  void FastTimer();
  void ScheduleFastTimer();  // if some protocol has a fast timeout
  absl::Status AddSysctlNodes(SysctlTree& tree);

  const Config config_;
  Kernel* kernel_ = nullptr;
  NetStack* net_ = nullptr;
  int subscription_ = 0;  // NetStack::Subscribe handle; 0: none
  std::atomic<int> ip_forwarding_{1};
  std::atomic<int> ip_redirect_{1};            // net.inet.ip.redirect
  std::atomic<int> ip_directed_broadcast_{0};  // net.inet.ip.directed-broadcast
  std::atomic<int> ip_ttl_{abi::kIPDEFTTL};
  std::atomic<int> ip_dad_count_{3};
  inet::AnonPortRange anon_ports_;  // net.inet.ip.anonportmin, anonportmax
  std::atomic<int> arp_keep_;  // net.inet.arp.keep (s), for every ARP cache
  std::atomic<int> arp_down_;  // net.inet.arp.down (s)
  // net.inet.icmp.*, with NetBSD's defaults.
  std::atomic<int> icmp_maskrepl_{0};          // answer address mask requests
  std::atomic<int> icmp_returndatabytes_{8};   // datagram bytes quoted in errors
  std::atomic<int> icmp_errppslimit_;          // errors sent per second (-1: any)
  std::atomic<int> icmp_rediraccept_{1};       // act on redirects
  std::atomic<int> icmp_redirtimeout_{600};    // seconds a redirect's route lives (0: ever)
  std::atomic<int> icmp_bmcastecho_{0};        // answer broadcast/multicast echo requests
  std::atomic<uint32_t> ip_id_;

  std::mutex resync_mu_;  // serializes Resync
  mutable std::mutex snap_mu_;
  std::shared_ptr<const Snapshot> snap_;

  mutable std::mutex arp_mu_;
  std::map<int, std::shared_ptr<inet::ArpCache>> arp_;

  inet::RouteTable routes_;
  inet::Reassembler reass_;
  inet::RateLimiter icmp_limiter_;

  inet::IpStats ip_stats_;
  inet::IcmpStats icmp_stats_;
  inet::ArpStats arp_stats_;

  // The transports, and the table through which input reaches them.
  inet::Udp udp_;
  inet::RawIp raw_;
  inet::Tcp tcp_;
  inet::ProtocolTable protocols_;
  absl::Status register_status_;  // RegisterProtocols' (Attach returns it)

  // The loopback queue (ipintrq) and its thread.
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  std::deque<std::pair<std::shared_ptr<Interface>, std::vector<uint8_t>>> loop_q_;
  bool loop_stop_ = false;
  std::thread loop_thread_;

  // Running detections by (interface index, address). Lock order: an
  // interface's configuration lock, then dad_mu_.
  std::mutex dad_mu_;
  std::condition_variable dad_cv_;  // a detection ended
  std::map<std::pair<int, uint32_t>, DadRun> dad_;
  uint64_t dad_next_id_ = 1;

  std::mutex timer_mu_;
  bool detached_ = false;
  bool fast_timer_scheduled_ = false;
};

}  // namespace rump

#endif  // RUMP_NETINET_INET_H_
