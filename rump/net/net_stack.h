// NetStack: the kernel's network component ("net"; NetBSD's rumpnet and
// rumpnet_net). It owns the interface layer: the interfaces (lo0 exists from
// boot with 127.0.0.1/8), their cloners, the interface ioctls, the socket
// system calls (socket(2) makes its Socket through the SocketFactory of the
// domain; the socket layer itself is rump/net/socket.h), the net.inet.ip
// sysctls and the net.route.0 (NET_RT_IFLIST) sysctl.
//
// Drivers only move frames; received frames are counted and handed to the
// protocol input installed with SetEtherInput / SetLoopbackInput. The inet
// component (rump/netinet/inet.h) installs both, and its AF_INET socket
// factory, when it attaches, and puts the defaults back when it detaches.
// Without it, received frames are counted as noproto and AF_INET sockets
// are plain Sockets with no protocol behind them (MakeBasicSocket).
//
// Thread-safe. Halt (Detach) stops every driver; no driver thread outlives
// it, and interfaces cannot be started again afterwards. The input hooks run
// on driver threads (a shmif receive thread) without NetStack locks held:
// they may configure interfaces and send, but must not stop or destroy the
// interface whose frame they are handling (its thread would join itself).
#ifndef RUMP_NET_NET_STACK_H_
#define RUMP_NET_NET_STACK_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/socket.h"

namespace rump {

class NetStack : public Component {
 public:
  NetStack();
  ~NetStack() override;

  const char* name() const override { return "net"; }
  // Registers the lo cloner and creates lo0 (127.0.0.1/8, up), the socket
  // syscall and the net.* sysctl nodes.
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
  // SIOCIFDESTROY: EINVAL for no such cloner, ENXIO for no such interface,
  // and whatever the cloner refuses with (EPERM for lo0).
  absl::Status DestroyInterface(absl::string_view name);
  // rump_pub_shmif_create: a new shmif<N> with N the lowest free unit,
  // attached to the bus at `path` (nullptr: no bus). Returns N.
  absl::StatusOr<int> CreateShmif(const char* path);

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
  // Adds or changes an IPv4 address as SIOCAIFADDR does: `netmask` 0 means
  // "not given" (the class netmask is used for a new address), `broadaddr`
  // 0 means "not given" (computed from the netmask).
  absl::Status AddIpv4Address(Interface& ifp, uint32_t addr, uint32_t netmask,
                              uint32_t broadaddr);
  // Removes an IPv4 address (EADDRNOTAVAIL if the interface lacks it).
  absl::Status DeleteIpv4Address(Interface& ifp, uint32_t addr);
  // NetBSD's ifpromisc: a reference-counted IFF_PROMISC.
  absl::Status SetPromiscuous(Interface& ifp, bool on);

  // --- seams for the protocol layers (the IPv4 component)
  using FrameInput = std::function<void(Interface&, absl::Span<const uint8_t>)>;
  // Receives every Ethernet frame an interface passes up (after counting).
  void SetEtherInput(FrameInput input);
  // Receives every packet the loopback driver loops back.
  void SetLoopbackInput(FrameInput input);
  // Announces an IPv4 address on an Ethernet interface when it is added to
  // an interface that is up, or when the interface comes up. The default
  // sends a gratuitous ARP request (as NetBSD's arp_ifinit).
  using AddressAnnouncer = std::function<void(Interface&, const Ipv4Address&)>;
  void SetAddressAnnouncer(AddressAnnouncer announcer);
  // Called after an interface goes up or down, changes addresses, or is
  // destroyed (without NetStack locks held).
  enum class InterfaceEvent { kUp, kDown, kAddressesChanged, kDestroyed };
  using InterfaceObserver = std::function<void(Interface&, InterfaceEvent)>;
  void SetInterfaceObserver(InterfaceObserver observer);
  // Replaces the socket(2) implementation of one domain (AF_INET, ...).
  void SetSocketFactory(int domain, SocketFactory factory);

  // --- sysctl values (net.inet.ip.*)
  int ip_forwarding() const { return ip_forwarding_.load(); }
  int ip_ttl() const { return ip_ttl_.load(); }
  int ip_dad_count() const { return ip_dad_count_.load(); }

  // --- entry points for sockets and sysctl
  // An 'i'-group ioctl on a socket of `domain` (NetBSD's ifioctl plus the
  // protocol's control routine).
  absl::Status InterfaceIoctl(SyscallContext& ctx, int domain, uint64_t cmd,
                              absl::Span<uint8_t> data);
  // net.route.0.<af>.<op>.<arg>: NET_RT_IFLIST output; EOPNOTSUPP for
  // NET_RT_DUMP and NET_RT_FLAGS (the routing table is the inet component's,
  // rump/netinet/route_table.h, and is not exported here). A size query gets
  // NetBSD's estimate, 110% of the size.
  absl::StatusOr<std::string> RouteSysctl(const SysctlRequest& req) const;
  // The NET_RT_IFLIST messages for address family `af` (0: all) and
  // interface index `index` (0: all).
  std::string IfList(int af, int index) const;

  bool halted() const { return halted_.load(); }

 private:
  absl::StatusOr<std::shared_ptr<Interface>> Clone(InterfaceCloner& cloner, int unit,
                                                   const char* linkstr);
  InterfaceCloner* FindCloner(absl::string_view name) const;
  absl::Status StartLocked(Interface& ifp);   // ifp.ioctl_mu_ held
  void StopLocked(Interface& ifp);            // ifp.ioctl_mu_ held
  void SetUpLocked(Interface& ifp, bool up);  // ifp.ioctl_mu_ held
  absl::Status SetFlagsLocked(Interface& ifp, uint32_t flags, bool* announce);
  // SIOCAIFADDR's core (in_control + in_ifinit), ifp.ioctl_mu_ held.
  struct AliasRequest;
  absl::Status AddAddressLocked(Interface& ifp, const AliasRequest& req,
                                std::vector<Ipv4Address>* announce);
  // ifioctl_common + ether_ioctl; InetIoctl is in_control (AF_INET sockets).
  absl::Status CommonIoctl(Interface& ifp, uint64_t cmd, absl::Span<uint8_t> data,
                           bool* announce_all);
  absl::Status InetIoctl(Interface& ifp, uint64_t cmd, absl::Span<uint8_t> data,
                         std::vector<Ipv4Address>* announce);
  absl::Status IfConf(SyscallContext& ctx, absl::Span<uint8_t> data) const;
  absl::Status ClonerList(SyscallContext& ctx, absl::Span<uint8_t> data) const;
  void Announce(Interface& ifp, const std::vector<Ipv4Address>& addrs);
  void Notify(Interface& ifp, InterfaceEvent event);
  void DeliverEther(Interface& ifp, absl::Span<const uint8_t> frame);
  void DeliverLoopback(Interface& ifp, absl::Span<const uint8_t> packet);
  void StopAll();
  absl::StatusOr<SyscallReturn> SocketSyscall(SyscallContext& ctx, const SyscallArgs& args);
  absl::Status AddSysctlNodes(SysctlTree& tree);

  friend class Interface;

  std::atomic<bool> halted_{false};
  std::atomic<int> ip_forwarding_{1};
  std::atomic<int> ip_ttl_{64};
  std::atomic<int> ip_dad_count_{3};

  // Serializes interface creation and destruction (if_clone_mtx).
  std::mutex clone_mu_;

  mutable std::mutex mu_;  // guards the members below
  std::vector<std::unique_ptr<InterfaceCloner>> cloners_;  // oldest first
  std::vector<std::shared_ptr<Interface>> interfaces_;     // creation order
  int next_index_ = 1;

  mutable std::mutex hooks_mu_;  // guards the hooks
  std::shared_ptr<const FrameInput> ether_input_;
  std::shared_ptr<const FrameInput> loop_input_;
  std::shared_ptr<const AddressAnnouncer> announcer_;
  std::shared_ptr<const InterfaceObserver> observer_;
  std::map<int, SocketFactory> socket_factories_;
};

}  // namespace rump

#endif  // RUMP_NET_NET_STACK_H_
