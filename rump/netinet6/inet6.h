// Inet6: the IPv6 component ("inet6"; NetBSD's rumpnet_netinet6), first
// slice. Attached after NetStack (and after "inet" when both are there), it
// registers the AF_INET6 family on the interface layer's seams
// (rump/net/net_stack.h), as rump/netinet/inet.h does for IPv4:
//
//  * the AF_INET6 domain: socket(AF_INET6, SOCK_DGRAM or SOCK_RAW with
//    IPPROTO_ICMPV6) gives a socket that carries the address ioctls and
//    nothing more yet (EPROTONOSUPPORT for the rest); its control routine
//    (in6_control.cc) handles SIOCAIFADDR_IN6, SIOCDIFADDR_IN6,
//    SIOCGIFADDR_IN6, SIOCGIFNETMASK_IN6, SIOCGIFAFLAG_IN6 and
//    SIOCGIFALIFETIME_IN6 (lifetimes are always infinite);
//  * addresses live in the interfaces' address records (InterfaceAddress,
//    family AF_INET6): 28-byte sockaddr_in6 with a link-local address's
//    zone (the interface index) embedded in bytes 2-3 of the address and
//    sin6_scope_id 0, as NetBSD's kernel keeps them and its routing
//    messages (NET_RT_IFLIST) carry them; the ioctls answer with the zone
//    in sin6_scope_id instead, as NetBSD's do. family_flags are IN6_IFF_*;
//  * lo0 gets ::1/128 and fe80::1%lo0/64 when the component attaches; an
//    Ethernet interface gets fe80::<modified EUI-64 of its MAC>/64 when it
//    comes up (no duplicate address detection yet);
//  * IPv6 input on Ethernet (ethertype 0x86dd; ip6_input.cc): the header
//    and extension chain checked (rump/netinet6/ip6_header.h), packets not
//    for us dropped (ours: the interface's addresses, ff02::1, and the
//    solicited-node groups of its addresses); ICMPv6 with a good checksum:
//    echo requests answered, Neighbor Solicitations for our addresses
//    answered with solicited, override Advertisements carrying our MAC,
//    their source link-layer address learnt; Advertisements update the
//    interface's Nd6Cache;
//  * IPv6 output to on-link destinations (an address on the prefix of one
//    of the interface's addresses, or a link-local or multicast address on
//    a given interface), next hops resolved by the interface's Nd6Cache
//    (multicast solicitations to the solicited-node group, retried from a
//    1 s timer on the kernel's timer queue);
//  * raw ICMPv6 sockets (socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
//    raw_ip6.cc, Icmp6Socket): sendto a sockaddr_in6 (a link-local or
//    multicast destination needs sin6_scope_id, the interface index) sends
//    the ICMPv6 message with the kernel's checksum; every ICMPv6 message
//    received with a good checksum is delivered, without its IPv6 header,
//    to each such socket whose ICMP6_FILTER passes its type (all by
//    default), from the sender's sockaddr_in6 (zone in sin6_scope_id).
//
// Thread-safe. Input runs on driver threads; the timer on the kernel's
// timer thread.
#ifndef RUMP_NETINET6_INET6_H_
#define RUMP_NETINET6_INET6_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/netinet6/in6_addr.h"
#include "rump/netinet6/ip6_header.h"
#include "rump/netinet6/nd6_cache.h"

namespace rump {

// One IPv6 address of an interface, as this family reads its records:
// `addr` without the embedded zone.
struct In6IfAddress {
  inet6::In6Address addr;
  int prefix_len = 128;
  int flags = 0;  // IN6_IFF_*
};

class Icmp6Socket;

class Inet6 : public Component {
 public:
  Inet6();
  ~Inet6() override;

  const char* name() const override { return "inet6"; }
  absl::Status Attach(Kernel& kernel) override;
  void Detach(Kernel& kernel) override;

  // --- addresses (what SIOCAIFADDR_IN6 and SIOCDIFADDR_IN6 do). A
  // link-local `addr` belongs to `ifp`'s zone. EINVAL for a bad prefix
  // length, EADDRNOTAVAIL for removing an address the interface lacks.
  absl::Status AddAddress(Interface& ifp, const inet6::In6Address& addr, int prefix_len,
                          int flags = 0);
  absl::Status RemoveAddress(Interface& ifp, const inet6::In6Address& addr);
  // The interface's IPv6 addresses, in the order they were added.
  static std::vector<In6IfAddress> Addresses(const Interface& ifp);

  // --- output
  // Sends an IPv6 packet with `next_header` and `payload` to `dst` from
  // `src` (unspecified: chosen among the interface's addresses) out of
  // `ifp`, or (ifp null) the interface on whose prefix `dst` is.
  // EHOSTUNREACH when `dst` is not on link, ENETDOWN when the interface is
  // down, EADDRNOTAVAIL without a source.
  absl::Status Output(Interface* ifp, const inet6::In6Address& src,
                      const inet6::In6Address& dst, uint8_t next_header,
                      absl::Span<const uint8_t> payload, int hop_limit = -1);

  // The interface and source address for packets to `dst` (a link-local
  // or multicast one on interface `zone`): EHOSTUNREACH off link or
  // without a zone, EADDRNOTAVAIL without an address to send from.
  struct Route6 {
    std::shared_ptr<Interface> ifp;
    inet6::In6Address src;
  };
  absl::StatusOr<Route6> SelectRoute(const inet6::In6Address& dst, int zone) const;

  // --- input (what the ethertype seam calls; public for tests)
  void Ip6Input(Interface& ifp, absl::Span<const uint8_t> packet, bool link_group);

  // The interface's neighbour cache entry for `neighbor`, if any.
  std::optional<inet6::Nd6Cache::Entry> Neighbor(int ifindex,
                                                 const inet6::In6Address& neighbor) const;

  // The interface with index `index` (nullptr if none).
  std::shared_ptr<Interface> FindInterface(int index) const {
    return net_ != nullptr ? net_->FindInterfaceByIndex(index) : nullptr;
  }

  // Counters, for tests.
  uint64_t echo_replies() const { return echo_replies_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  absl::Status Control(InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data);
  absl::Status AddAddressLocked(InterfaceConfig& cfg, const inet6::In6Address& addr,
                                int prefix_len, int flags);
  absl::Status RegisterWithNet();
  void UnregisterFromNet();
  void InterfaceEvent(Interface& ifp, NetStack::InterfaceEvent e);

  // ip6_input.cc
  void Icmp6Input(Interface& ifp, const inet6::Ip6Header& h, absl::Span<const uint8_t> msg,
                  bool to_multicast);
  void NeighborSolicitInput(Interface& ifp, const inet6::Ip6Header& h,
                            absl::Span<const uint8_t> msg);
  void NeighborAdvertInput(Interface& ifp, const inet6::Ip6Header& h,
                           absl::Span<const uint8_t> msg);
  // The packet (header included) out of `ifp` to next hop `next_hop`.
  absl::Status SendPacket(Interface& ifp, const inet6::In6Address& next_hop,
                          std::vector<uint8_t> packet);
  absl::Status EtherOutput(Interface& ifp, const MacAddress& dst,
                           absl::Span<const uint8_t> packet);
  void SendNeighborSolicit(Interface& ifp, const inet6::In6Address& target,
                           const std::optional<MacAddress>& unicast_to);
  void RunActions(Interface& ifp, std::vector<inet6::Nd6Cache::Action> actions);
  std::shared_ptr<inet6::Nd6Cache> cache(int ifindex, bool create);
  void Tick();
  void ScheduleTick();

  Kernel* kernel_ = nullptr;
  NetStack* net_ = nullptr;
  int subscription_ = 0;
  std::atomic<uint64_t> echo_replies_{0};
  std::atomic<uint64_t> dropped_{0};

  // raw_ip6.cc: a copy of `msg` (an ICMPv6 message from `h`) to every raw
  // ICMPv6 socket whose filter passes it.
  void RawInput(Interface& ifp, const inet6::Ip6Header& h, absl::Span<const uint8_t> msg);
  absl::StatusOr<std::shared_ptr<Socket>> MakeIcmp6Socket(NetStack& net, int file_flags);

  mutable std::mutex mu_;  // guards the members below
  std::vector<std::weak_ptr<Icmp6Socket>> raw_sockets_;
  std::map<int, std::shared_ptr<inet6::Nd6Cache>> caches_;
  bool detached_ = false;
};

// A raw ICMPv6 socket (see Inet6).
class Icmp6Socket final : public Socket {
 public:
  Icmp6Socket(Inet6& inet6, NetStack& net, int file_flags);
  // Whether the filter passes ICMPv6 type `type`.
  bool Passes(uint8_t type) const;

 protected:
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;
  absl::Status ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) override;
  absl::StatusOr<std::string> ProtoSockName() const override;
  absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) override;
  absl::StatusOr<std::string> ProtoGetOption(int level, int name) override;

 private:
  friend class Inet6;
  Inet6& inet6_;
  mutable std::mutex mu_;  // guards the members below
  uint32_t filter_[8];  // ICMP6_FILTER: bit set = pass
  inet6::In6Address local_;  // bind(2); unspecified: none
  int local_zone_ = 0;
  bool recv_pktinfo_ = false;   // IPV6_RECVPKTINFO
  bool recv_hoplimit_ = false;  // IPV6_RECVHOPLIMIT
};

// socket(AF_INET6, SOCK_DGRAM): no UDP yet, only what a program needs to
// learn its source address for a destination (connect, then getsockname:
// NetBSD's ping6 does it) and to carry the address ioctls. Sends are
// EOPNOTSUPP.
class Udp6StubSocket final : public Socket {
 public:
  Udp6StubSocket(Inet6& inet6, NetStack& net, int protocol, int file_flags);

 protected:
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::StatusOr<std::string> ProtoSockName() const override;
  absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) override;

 private:
  Inet6& inet6_;
  mutable std::mutex mu_;
  std::string local_;  // after connect: the source's sockaddr_in6
};

// A sockaddr_in6 (28 bytes) of `addr`, its zone embedded in bytes 2-3 of
// the address when it is link-local (NetBSD's kernel form) and `zone` is
// not 0.
std::string SockaddrIn6Embedded(const inet6::In6Address& addr, int zone);

}  // namespace rump

#endif  // RUMP_NETINET6_INET6_H_
