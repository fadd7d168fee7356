// inet::ProtocolTable: the IPv4 protocol switch, in the spirit of NetBSD's
// inetsw and ip_protox (sys/netinet/in_proto.c, sys/sys/protosw.h).
//
// An entry (ProtoSwitch) says what the stack does for one socket type and
// protocol number:
//
//   input         the protocol's input (pr_input): IP input calls it with
//                 every datagram for us that carries its protocol number;
//   ctlinput      its control input (pr_ctlinput): ICMP input calls it with
//                 every ICMP error that quotes a packet of its protocol, so
//                 that the transport notifies its own PCBs;
//   slow_timeout  pr_slowtimo, every 500 ms; fast_timeout: pr_fasttimo,
//                 every 200 ms (the component runs them; IP reassembly and
//                 ARP keep their own timers);
//   make_socket   the factory for socket(AF_INET, type, protocol) (the
//                 attach of pr_usrreqs).
//
// Any of them may be left empty. The raw IP entry is the wildcard: protocol
// 0 with SOCK_RAW. It makes the socket for socket(AF_INET, SOCK_RAW, p) for
// every p that no SOCK_RAW entry names, and its input and ctlinput serve
// every protocol number that no entry with an input claims (NetBSD's
// default inetsw entry).
//
// Promises:
//  * FindForSocket follows NetBSD's socreate: a non-zero protocol finds the
//    entry with that type and protocol, or for SOCK_RAW the wildcard
//    (pffindproto); protocol 0 finds the first entry registered with that
//    type (pffindtype). When nothing is found: EPROTOTYPE if the protocol is
//    0 and the type is not, EPROTONOSUPPORT otherwise; an entry found with
//    no make_socket is EPROTONOSUPPORT too. MakeSocket calls the factory of
//    what FindForSocket finds with the caller's type and protocol.
//  * ForInput(p) is the entry whose input serves protocol number p (the one
//    registered with an input for p, else the wildcard, else nullptr). It is
//    a lock-free read, made for every packet. CtlInput(c) calls the ctlinput
//    of ForInput(the quoted packet's protocol), if it has one.
//  * Entries may be registered at any time, also while packets flow, and are
//    never changed or removed: a pointer the table hands out stays valid as
//    long as the table. Register refuses (AlreadyExists) a second entry with
//    the same type and protocol or a second input for one protocol number,
//    and (InvalidArgument) a type of 0, a protocol outside 1..255 except the
//    wildcard's 0 with SOCK_RAW, and a ctlinput without an input.
//  * Thread-safe. The table calls its entries' functions only in CtlInput,
//    MakeSocket, SlowTimeout and FastTimeout, never with its own lock held,
//    so an entry may call back into the table.
#ifndef RUMP_NETINET_PROTOSW_H_
#define RUMP_NETINET_PROTOSW_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/net/interface.h"
#include "rump/net/socket.h"
#include "rump/netinet/ip_header.h"

namespace rump {

class NetStack;

namespace inet {

// An ICMP error about a packet we sent, as a transport's ctlinput gets it
// (NetBSD passes the PRC_ command and the quoted header; we pass the ICMP
// type and code and the errno inetctlerrmap makes of them).
struct ControlInput {
  int type = 0;      // ICMP_UNREACH, ICMP_TIMXCEED, ICMP_PARAMPROB, ICMP_SOURCEQUENCH
  int code = 0;
  int error = 0;     // the NetBSD errno for sockets (ECONNREFUSED for port
                     // unreachable, ...); 0 when it means none (source
                     // quench, time exceeded)
  int mtu = 0;       // ICMP_UNREACH_NEEDFRAG: the next-hop MTU (0: not given)
  uint32_t reporter = 0;  // who sent the ICMP error (network order)
  // The quoted packet: an IPv4 header (version and header length checked)
  // and at least 8 bytes after it.
  absl::Span<const uint8_t> inner;

  size_t inner_hlen() const { return size_t(inner[0] & 0xf) * 4; }
  uint8_t inner_protocol() const { return inner[9]; }
  uint32_t inner_src() const { return GetAddr(inner.data() + 12); }
  uint32_t inner_dst() const { return GetAddr(inner.data() + 16); }
  // What follows the quoted header (at least 8 bytes: a transport's ports).
  absl::Span<const uint8_t> inner_payload() const { return inner.subspan(inner_hlen()); }
};

// One protocol's entry (struct protosw).
struct ProtoSwitch {
  // `packet` is the whole datagram (reassembled, link padding trimmed),
  // starting with its header; `h` is that header, parsed and checked;
  // `broadcast` is true when it came as a link-level broadcast or to an IP
  // broadcast or multicast address. Returns false when nothing took the
  // packet (raw IP input with no matching socket): IP input then counts it
  // as noproto and answers protocol unreachable.
  using InputFn = std::function<bool(Interface& ifp, absl::Span<const uint8_t> packet,
                                     const IpHeader& h, bool broadcast)>;
  using CtlInputFn = std::function<void(const ControlInput& c)>;
  using TimerFn = std::function<void()>;
  // socket(AF_INET, type, protocol) with the caller's type and protocol;
  // `file_flags` as SocketFactory's.
  using SocketMaker = std::function<absl::StatusOr<std::shared_ptr<Socket>>(
      NetStack& net, int type, int protocol, int file_flags)>;

  int type = 0;        // SOCK_DGRAM, SOCK_STREAM, SOCK_RAW
  int protocol = 0;    // IPPROTO_*; 0 only in the wildcard (SOCK_RAW) entry
  std::string name;    // for messages ("udp")
  InputFn input;
  CtlInputFn ctlinput;
  TimerFn slow_timeout;
  TimerFn fast_timeout;
  SocketMaker make_socket;
};

class ProtocolTable {
 public:
  ProtocolTable() = default;
  ProtocolTable(const ProtocolTable&) = delete;
  ProtocolTable& operator=(const ProtocolTable&) = delete;

  absl::Status Register(ProtoSwitch entry);

  // pffindproto / pffindtype, with socreate's errors (NetBSD errno statuses).
  absl::StatusOr<const ProtoSwitch*> FindForSocket(int type, int protocol) const;
  // socket(AF_INET, type, protocol) through FindForSocket's entry.
  absl::StatusOr<std::shared_ptr<Socket>> MakeSocket(NetStack& net, int type, int protocol,
                                                     int file_flags) const;

  // ip_protox: the entry whose input serves protocol number `protocol`.
  const ProtoSwitch* ForInput(uint8_t protocol) const {
    const ProtoSwitch* p = protox_[protocol].load(std::memory_order_acquire);
    return p != nullptr ? p : wildcard_.load(std::memory_order_acquire);
  }
  // Hands an ICMP error to the ctlinput of the quoted packet's protocol.
  void CtlInput(const ControlInput& c) const;

  // Every entry's slow / fast timeout, in registration order.
  void SlowTimeout() const;
  void FastTimeout() const;
  bool has_fast_timeout() const;

  // The entries in registration order.
  std::vector<const ProtoSwitch*> entries() const;

 private:
  mutable std::mutex mu_;  // guards entries_ (registration and searches)
  std::vector<std::unique_ptr<const ProtoSwitch>> entries_;
  std::array<std::atomic<const ProtoSwitch*>, 256> protox_{};
  std::atomic<const ProtoSwitch*> wildcard_{nullptr};
};

}  // namespace inet
}  // namespace rump

#endif  // RUMP_NETINET_PROTOSW_H_
