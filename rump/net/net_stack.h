// NetStack: the kernel's network component ("net"; NetBSD's rumpnet and
// rumpnet_net). It owns the interface layer and nothing of any address
// family: the interfaces (lo0 exists from boot), their cloners, the
// interface ioctls common to every family, the socket(2) system call and
// the socket layer (rump/net/socket.h), and the net.route.0 sysctl
// (NET_RT_IFLIST) over every family's addresses.
//
// Address families (rump/netinet for IPv4, a future rump/netinet6) plug in
// through the seams below, the way NetBSD's domains do: RegisterFamily
// (the socket factory, the control routine for the family's interface
// ioctls, the input for packets looped back through lo), SetEtherTypeInput
// (received Ethernet frames by ethertype), Subscribe (interface events),
// the address records on each Interface, and the kernel's sysctl tree.
// Frames with no input for their ethertype or family are counted as
// noproto.
//
// Every interface's lossy-link impairment (rump/net/impairment.h) is in
// sysctl as net.link.impair.<ifname> (created with the interface, removed
// with it; dynamic numbers as NetBSD's CTL_CREATE gives them):
//   drop, duplicate, reorder   int, parts per million (0..1000000)
//   delay_us                   int, microseconds (0..10000000)
//   seed                       quad; writing it restarts the generator
//   dropped, duplicated, reordered, delayed   quad, read-only counters
// Out-of-range values are EINVAL. Held and delayed frames are discarded
// when the interface goes down or is destroyed.
//
// Thread-safe. Halt (Detach) stops every driver; no driver thread outlives
// it, and interfaces cannot be started again afterwards. Inputs and event
// observers run without NetStack locks held (inputs on driver threads, a
// shmif receive thread): they may configure interfaces and send, but must
// not stop or destroy the interface whose frame they are handling (its
// thread would join itself).
#ifndef RUMP_NET_NET_STACK_H_
#define RUMP_NET_NET_STACK_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/socket.h"

namespace rump {

class NetStack;

// What an address family's control routine works in: the interface's
// configuration lock is held (NetBSD's if_ioctl_lock), so changes to one
// interface are serialized. Events and deferred work run once it is
// released.
class InterfaceConfig {
 public:
  Interface& ifp() const { return ifp_; }
  // NetBSD's if_addr_init as in_ifinit uses it: marks the interface up and
  // starts an Ethernet driver that is not running (ENXIO from a shmif with
  // no bus, IFF_UP staying set as in NetBSD). Observers hear kUp.
  absl::Status BringUp();
  // The family changed the interface's address records: observers hear
  // kAddressesChanged once the lock is released.
  void AddressesChanged() { addresses_changed_ = true; }
  // Runs `fn` after the lock is released and the events are delivered (to
  // send frames, such as an address announcement).
  void AfterUnlock(std::function<void()> fn) { after_.push_back(std::move(fn)); }
  // The credentials of the process whose ioctl this is (root for the
  // kernel's own changes): for the checks a family makes itself after its
  // own lookups (in_control's SIOCDIFADDR: EADDRNOTAVAIL comes first).
  const Credentials& cred() const { return cred_; }

 private:
  friend class NetStack;
  InterfaceConfig(NetStack& net, Interface& ifp) : net_(net), ifp_(ifp) {}
  NetStack& net_;
  Interface& ifp_;
  Credentials cred_;
  bool addresses_changed_ = false;
  std::vector<std::function<void()>> after_;
};

// One entry of a family's routing table or neighbour (ARP) cache as the
// route sysctl reports it (an rt_msghdr of type RTM_GET and its
// sockaddrs). Sockaddrs are NetBSD's bytes; an empty one is absent, except
// that `netmask` is present whenever has_netmask (a zero-length netmask is
// the default route's).
struct RouteEntry {
  int flags = 0;      // RTF_*
  int index = 0;      // rtm_index: the interface the route goes out of
  std::string dst;
  // RTA_GATEWAY: `gateway`, or, with gateway_link set, a link-level
  // sockaddr of interface `gateway_link` that NetStack writes: bare (index
  // and type: "link#N"), named, or holding `gateway_lladdr` (a neighbour's
  // MAC address).
  std::string gateway;
  int gateway_link = 0;
  bool gateway_link_named = false;
  std::vector<uint8_t> gateway_lladdr;
  bool has_netmask = false;
  std::string netmask;
  int ifp = 0;        // RTA_IFP: that interface's link address (0: absent)
  std::string ifa;    // RTA_IFA
  uint64_t mtu = 0;   // rmx_mtu (0: the interface's)
  int64_t expire = 0;  // rmx_expire, seconds of the wall clock (0: never)
  std::string author;  // RTA_AUTHOR: who sent a redirect (RTM_REDIRECT)
};

// A request written to a routing socket, for the family of its
// destination: RTM_ADD, RTM_DELETE, RTM_CHANGE or RTM_GET, its rtm_flags,
// and its sockaddrs by RTAX_* index (empty: absent).
struct RouteCommand {
  int type = 0;
  int flags = 0;
  int inits = 0;        // rtm_inits: the RTV_* metrics the request sets
  int64_t expire = 0;   // rmx_expire (wall-clock seconds), when inits has RTV_EXPIRE
  std::vector<std::string> sa;  // kRTAX_MAX of them
};

// An address family as the interface layer sees it (NetBSD's struct
// domain). Every member may be empty.
struct AddressFamily {
  int family = 0;            // AF_*
  std::string name;          // "inet"
  // socket(family, type, protocol). Empty: EAFNOSUPPORT.
  SocketFactory socket_factory;
  // The family's interface ioctls (in_control) on its sockets, after the
  // driver and the common code answered ENOTTY. `data` is the copied-in
  // argument. Empty: EOPNOTSUPP.
  std::function<absl::Status(InterfaceConfig&, uint64_t cmd, absl::Span<uint8_t> data)>
      control;
  // The family's routes (neighbours: false) or neighbour cache entries
  // (true), in the order NetBSD's radix tree walks them, for the route
  // sysctl (NET_RT_DUMP, NET_RT_FLAGS).
  std::function<std::vector<RouteEntry>(bool neighbours)> route_entries;
  // Carries out a routing-socket request (route_output): the route added,
  // deleted, changed or found, or NetBSD's errno (EEXIST, ESRCH,
  // ENETUNREACH, EINVAL...).
  std::function<absl::StatusOr<RouteEntry>(const RouteCommand&)> route_command;
  // The routes an address of `ifp` brings with it (its local route, its
  // network's route), as route(8) monitor hears them come and go: RTM_ADD
  // after its RTM_NEWADDR, RTM_DELETE (in the reverse order) before its
  // RTM_DELADDR. Empty: none announced.
  std::function<std::vector<RouteEntry>(const Interface& ifp, const InterfaceAddress& a)>
      address_routes;
  // Packets of this family looped back through a loopback interface.
  std::function<void(Interface&, absl::Span<const uint8_t> packet)> loop_input;
};

class NetStack : public Component {
 public:
  NetStack();
  ~NetStack() override;

  const char* name() const override { return "net"; }
  // Registers the lo cloner and creates lo0 (up, no address), the AF_ROUTE
  // and AF_LINK domains, the socket system calls and net.route.
  absl::Status Attach(Kernel& kernel) override;
  // Stops every interface's driver (joining their threads).
  void Detach(Kernel& kernel) override;

  // --- cloners and interfaces
  // Adds a cloner (AlreadyExists for a taken name). SIOCIFGCLONERS lists the
  // newest first, as NetBSD does.
  absl::Status RegisterCloner(std::unique_ptr<InterfaceCloner> cloner);
  // SIOCIFCREATE: `name` is <cloner><unit>. EINVAL for no such cloner or a
  // bad unit, EEXIST if it exists.
  absl::StatusOr<std::shared_ptr<Interface>> CreateInterface(absl::string_view name);
  // A new unit of `cloner` numbered with the lowest free unit, given the
  // link string `linkstr` (nullptr: none), as rump_pub_shmif_create makes
  // shmif<N> for a bus path. ENXIO when there is no such cloner.
  absl::StatusOr<std::shared_ptr<Interface>> CreateNextInterface(absl::string_view cloner,
                                                                 const char* linkstr);
  // SIOCIFDESTROY: EINVAL for no such cloner, ENXIO for no such interface,
  // and whatever the cloner refuses with (EPERM for lo0).
  absl::Status DestroyInterface(absl::string_view name);

  // By name ("shmif0"; an all-digit name is an index, as NetBSD's ifunit)
  // or by index; nullptr if there is none.
  std::shared_ptr<Interface> FindInterface(absl::string_view name) const;
  std::shared_ptr<Interface> FindInterfaceByIndex(int index) const;
  // Every interface, in creation order.
  std::vector<std::shared_ptr<Interface>> Interfaces() const;

  // --- configuration (what the ioctls do; usable directly)
  // SIOCSIFFLAGS: IFF_CANTCHANGE bits are kept; UP transitions start / stop
  // the driver (ENXIO from a shmif without a bus, leaving IFF_UP set as
  // NetBSD does).
  absl::Status SetFlags(Interface& ifp, uint32_t flags);
  // Runs `fn` with the interface's configuration lock held (ENXIO if the
  // interface is being destroyed), then delivers the events it caused and
  // runs its deferred work. How families change addresses outside ioctls.
  absl::Status Configure(Interface& ifp,
                         const std::function<absl::Status(InterfaceConfig&)>& fn);
  // NetBSD's ifpromisc: a reference-counted IFF_PROMISC.
  absl::Status SetPromiscuous(Interface& ifp, bool on);

  // --- seams for the address families
  // AlreadyExists if the family is registered.
  absl::Status RegisterFamily(AddressFamily family);
  void UnregisterFamily(int family);
  // Receives every Ethernet frame of `ethertype` an interface passes up
  // (after counting, our own and other stations' unicast frames dropped):
  // the payload after the header, and whether the frame was sent to a
  // group address. An empty `input` removes it.
  using EtherTypeInput =
      std::function<void(Interface&, absl::Span<const uint8_t> payload, bool link_group)>;
  void SetEtherTypeInput(uint16_t ethertype, EtherTypeInput input);
  // Interface events, delivered to every subscriber in subscription order
  // after the change, without NetStack locks held.
  enum class InterfaceEvent { kUp, kDown, kAddressesChanged, kDestroyed };
  using InterfaceObserver = std::function<void(Interface&, InterfaceEvent)>;
  // Returns a handle for Unsubscribe. An observer may still be running
  // when Unsubscribe returns only if Unsubscribe is called from it.
  int Subscribe(InterfaceObserver observer);
  void Unsubscribe(int handle);

  // --- entry points for sockets and sysctl
  // An 'i'-group ioctl on a socket of `domain` (NetBSD's ifioctl: the
  // driver, the common code, then the domain's control routine).
  absl::Status InterfaceIoctl(SyscallContext& ctx, int domain, uint64_t cmd,
                              absl::Span<uint8_t> data);
  // net.route.0.<af>.<op>.<arg> for address family `af` (0: every
  // family): NET_RT_IFLIST (the interfaces and their addresses),
  // NET_RT_DUMP (the routes) and NET_RT_FLAGS (the routes with a flag of
  // `arg` set, and the neighbour caches when `arg` is 0 or has
  // RTF_LLINFO, as NetBSD's arp(8) reads them). A size query gets
  // NetBSD's estimate, 110% of the size.
  absl::StatusOr<std::string> RouteSysctl(const SysctlRequest& req) const;
  // The NET_RT_IFLIST messages for address family `af` (0: all) and
  // interface index `index` (0: all).
  std::string IfList(int af, int index) const;
  // A message written to a routing socket by process `pid` with `cred`
  // (route_output): checked (EINVAL for a short or inconsistent message or
  // sockaddr, EPROTONOSUPPORT for another version, EOPNOTSUPP for another
  // type, EACCES for a change by a process that is not root), carried out
  // by the destination's family, and the outcome sent to
  // every routing socket (with rtm_errno on failure) before its error is
  // returned.
  absl::Status RouteOutput(absl::Span<const uint8_t> msg, int pid, const Credentials& cred);
  // Queues `msg` on every routing socket listening to `family`.
  void RouteBroadcast(const std::string& msg, int family);
  void AddRouteSocket(const std::shared_ptr<Socket>& so);
  // The routing messages of an interface event (NetBSD's rt_ifmsg,
  // rt_newaddrmsg, rt_ifannouncemsg): RTM_IFINFO when it goes up or down,
  // RTM_NEWADDR / RTM_DELADDR for each address added or removed,
  // RTM_IFANNOUNCE when it is created (`arrival`) or destroyed.
  void RouteInterfaceEvent(Interface& ifp, InterfaceEvent event);
  void RouteAnnounce(const Interface& ifp, bool arrival);

  // The NET_RT_DUMP / NET_RT_FLAGS messages.
  std::string RouteDump(int af, bool flags_op, int flags) const;
  // One RTM_GET message for `e`.
  std::string RouteMessage(const RouteEntry& e) const;
  // A message about something the kernel did or refused on its own
  // (NetBSD's rt_missmsg): RTM_REDIRECT with the destination, the new
  // gateway and the redirect's author, `error` its NetBSD errno (0:
  // accepted), to every routing socket listening to `family`.
  void RouteMiss(int type, const RouteEntry& e, int error, int family);

  // The most a socket buffer may hold: kern.sbmax scaled as NetBSD's
  // sb_max_adj (SO_SNDBUF and SO_RCVBUF beyond it are ENOBUFS).
  size_t sb_max_adj() const { return abi::SbMaxAdj(sb_max_.load(std::memory_order_relaxed)); }

  // net.route.stats, NetBSD's struct rtstat (abi::kRtStat*): what the
  // families count of redirects and failed lookups.
  void CountRouteStat(int which) {
    route_stats_[size_t(which)].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t route_stat(int which) const {
    return route_stats_[size_t(which)].load(std::memory_order_relaxed);
  }

  bool halted() const { return halted_.load(); }

 private:
  friend class Interface;
  friend class InterfaceConfig;

  absl::StatusOr<std::shared_ptr<Interface>> Clone(InterfaceCloner& cloner, int unit,
                                                   const char* linkstr);
  InterfaceCloner* FindCloner(absl::string_view name) const;
  absl::Status StartLocked(Interface& ifp);   // ifp.ioctl_mu_ held
  void StopLocked(Interface& ifp);            // ifp.ioctl_mu_ held
  void SetUpLocked(Interface& ifp, bool up);  // ifp.ioctl_mu_ held
  absl::Status SetFlagsLocked(Interface& ifp, uint32_t flags);
  // ifioctl_common + ether_ioctl.
  absl::Status CommonIoctl(Interface& ifp, uint64_t cmd, absl::Span<uint8_t> data);
  // The AF_LINK domain's control routine (NetBSD's link_control):
  // SIOCGLIFADDR, the interface's link-level addresses. Ours have one,
  // both the active and the factory address.
  static absl::Status LinkControl(InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data);
  // Delivers the events of a configuration change and runs its deferred
  // work (no lock held).
  void Finish(Interface& ifp, uint32_t old_flags, InterfaceConfig& cfg);
  absl::Status IfConf(SyscallContext& ctx, absl::Span<uint8_t> data) const;
  absl::Status ClonerList(SyscallContext& ctx, absl::Span<uint8_t> data) const;
  void Notify(Interface& ifp, InterfaceEvent event);
  void DeliverEther(Interface& ifp, absl::Span<const uint8_t> frame);
  void DeliverLoopback(Interface& ifp, absl::Span<const uint8_t> frame);
  std::shared_ptr<const AddressFamily> FindFamily(int family) const;
  void StopAll();
  absl::StatusOr<SyscallReturn> SocketSyscall(SyscallContext& ctx, const SyscallArgs& args);
  absl::Status AddSysctlNodes(SysctlTree& tree);
  // net.link.impair.<name> for a new interface, and its removal.
  absl::Status AddImpairmentSysctl(const std::shared_ptr<Interface>& ifp);
  void RemoveImpairmentSysctl(Interface& ifp);

  std::atomic<bool> halted_{false};
  // Set by Attach, before any interface exists.
  TimerQueue* timers_ = nullptr;
  SysctlTree* sysctl_ = nullptr;
  int impair_sysctl_ = -1;  // net.link.impair's number
  std::atomic<int> sb_max_{abi::kSbMax};  // kern.sbmax
  std::array<std::atomic<uint64_t>, abi::kRtStatNStats> route_stats_{};

  // Serializes interface creation and destruction (if_clone_mtx).
  std::mutex clone_mu_;

  mutable std::mutex mu_;  // guards the members below
  std::vector<std::unique_ptr<InterfaceCloner>> cloners_;  // oldest first
  std::vector<std::shared_ptr<Interface>> interfaces_;     // creation order
  int next_index_ = 1;

  mutable std::mutex hooks_mu_;  // guards the seams
  std::map<int, std::shared_ptr<const AddressFamily>> families_;
  std::vector<std::weak_ptr<Socket>> route_sockets_;
  // By interface index: the addresses the routing sockets were last told of.
  std::map<int, std::vector<InterfaceAddress>> announced_;
  std::map<uint16_t, std::shared_ptr<const EtherTypeInput>> ether_inputs_;
  std::vector<std::pair<int, std::shared_ptr<const InterfaceObserver>>> observers_;
  int next_observer_ = 1;
};

}  // namespace rump

#endif  // RUMP_NET_NET_STACK_H_
