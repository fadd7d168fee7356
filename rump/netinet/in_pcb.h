// InPcbTable: the protocol control blocks of one IPv4 protocol's sockets
// (NetBSD's inpcbtable): local and foreign address and port of each
// socket, NetBSD's bind rules (in_pcbbind: SO_REUSEADDR / SO_REUSEPORT,
// wildcards, the ephemeral range 49152-65535 searched downwards from the
// last port handed out) and the lookups input uses.
//
// Thread-safe: one mutex guards every PCB's fields; lookups return the
// sockets (strong references, typed as what input needs: InetSocket, whose
// per-socket IP options such as IP_RECVDSTADDR input reads) so that
// delivery happens without the lock. Addresses are in network order, ports
// in host order.
//
// Each PCB has an object id and a state (attached, bound, connected) for
// the PCB lists of sysctl (in_pcblist.h): Bind makes it bound, Connect
// and SetConnected connected, Disconnect bound again; SetRaw leaves it as
// it is.
#ifndef RUMP_NETINET_IN_PCB_H_
#define RUMP_NETINET_IN_PCB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "rump/abi/in.h"
#include "rump/kern/process.h"

namespace rump {
class InetSocket;  // inet_socket.h
}  // namespace rump

namespace rump::inet {

// What Bind and Connect have made of a PCB (NetBSD's inp_state). Raw
// sockets stay kAttached whatever their addresses, as in NetBSD, whose raw
// bind and connect only set the addresses.
enum class PcbState { kAttached, kBound, kConnected };

struct InPcb {
  uint64_t id = 0;              // object id (rump/kern/object_id.h)
  uint32_t laddr = 0, faddr = 0;
  uint16_t lport = 0, fport = 0;
  int protocol = 0;             // raw sockets: the IP protocol (0: all)
  bool reuse_addr = false;      // so_options at bind time
  bool reuse_port = false;
  PcbState state = PcbState::kAttached;
  bool anon_port = false;       // the local port was picked here (INP_ANONPORT)
  std::weak_ptr<InetSocket> socket;
  bool connected() const { return faddr != 0; }
};

// A copy of a PCB's addresses.
struct PcbAddrs {
  uint32_t laddr = 0, faddr = 0;
  uint16_t lport = 0, fport = 0;
};

// A copy of one PCB for the PCB lists (in_pcblist.h), with a reference
// to its socket.
struct PcbRow {
  uint64_t id = 0;
  PcbAddrs addrs;
  int protocol = 0;
  PcbState state = PcbState::kAttached;
  bool anon_port = false;
  std::shared_ptr<InetSocket> socket;  // never null
};

// net.inet.ip.anonportmin and anonportmax: the ports an unbound socket
// gets (searched downwards from the last one given), shared by a kernel's
// PCB tables.
struct AnonPortRange {
  std::atomic<int> min{abi::kIPPORT_ANONMIN};
  std::atomic<int> max{abi::kIPPORT_ANONMAX};
};

class InPcbTable {
 public:
  using PcbRef = std::shared_ptr<InPcb>;

  // Where ephemeral ports come from (NetBSD's defaults, 49152-65535,
  // until set); `range` outlives the table.
  void set_anon_range(const AnonPortRange* range) { anon_range_ = range; }

  PcbRef Attach(std::weak_ptr<InetSocket> socket, int protocol = 0);
  void Detach(const PcbRef& pcb);

  PcbAddrs Addrs(const PcbRef& pcb) const;

  // in_pcbbind. `laddr_ok` has already checked that laddr is 0, multicast
  // or one of ours. EINVAL if already bound, EACCES for a reserved port
  // that `cred` may not bind (privilege::BindPort; null: the kernel's own
  // binding, not checked), EADDRINUSE on conflict, EAGAIN when no
  // ephemeral port is free.
  absl::Status Bind(const PcbRef& pcb, uint32_t laddr, uint16_t lport, bool reuse_addr,
                    bool reuse_port, const Credentials* cred = nullptr);
  // The local part of in_pcbconnect: binds an ephemeral port if unbound,
  // takes `src` as the local address if it is still wildcard, checks the
  // 4-tuple is free (EADDRINUSE), records the peer.
  absl::Status Connect(const PcbRef& pcb, uint32_t src, uint32_t faddr, uint16_t fport);
  // A connection accepted on a listener's port (TCP's SYN on a listening
  // socket): all four fields at once, without port rules; EADDRINUSE when
  // another PCB has exactly this 4-tuple.
  absl::Status SetConnected(const PcbRef& pcb, uint32_t laddr, uint16_t lport, uint32_t faddr,
                            uint16_t fport);
  // Forgets the peer (ENOTCONN if none); the local address becomes the
  // wildcard again if it was set by Connect, as NetBSD's udp disconnect.
  absl::Status Disconnect(const PcbRef& pcb);
  // For raw sockets: set the addresses without port rules.
  void SetRaw(const PcbRef& pcb, bool local, uint32_t addr);

  // UDP demultiplexing (udp4_realinput): the sockets a datagram from
  // src:sport to dst:dport goes to. Unicast: the connected match, else the
  // best bound match (exact address before wildcard). Broadcast or
  // multicast: every match, stopping after the first one without
  // SO_REUSEADDR / SO_REUSEPORT. `not_connected`, if given, is set when a
  // unicast datagram has no connected match (NetBSD's PCB hash miss).
  std::vector<std::shared_ptr<InetSocket>> LookupDatagram(uint32_t src, uint16_t sport,
                                                          uint32_t dst, uint16_t dport,
                                                          bool broadcast,
                                                          bool* not_connected = nullptr) const;
  // The connected sockets with exactly this 4-tuple (in_pcbnotify).
  std::vector<std::shared_ptr<InetSocket>> LookupConnected(uint32_t laddr, uint16_t lport,
                                                           uint32_t faddr, uint16_t fport) const;
  // Raw sockets (rip_input): protocol 0 or `proto`, local address unset or
  // `dst`, foreign address unset or `src`.
  std::vector<std::shared_ptr<InetSocket>> LookupRaw(uint8_t proto, uint32_t src,
                                                     uint32_t dst) const;
  // Raw sockets an ICMP error about a packet from laddr to faddr of
  // protocol `proto` concerns (rip_pcbnotify): protocol 0 or `proto`, and
  // exactly these local and foreign addresses.
  std::vector<std::shared_ptr<InetSocket>> LookupRawNotify(uint8_t proto, uint32_t laddr,
                                                           uint32_t faddr) const;

  size_t size() const;
  // Every PCB whose socket still exists, newest first (the order of
  // NetBSD's inpt_queue, which netstat shows), copied in one critical
  // section.
  std::vector<PcbRow> Rows() const;

 private:
  // in_pcblookup_port: a PCB bound to `lport` that conflicts with `laddr`
  // (wildcards match when `wildcard`), preferring exact matches.
  const InPcb* LookupPortLocked(uint32_t laddr, uint16_t lport, bool wildcard) const;
  absl::Status PickEphemeralLocked(InPcb& pcb);

  // The lookup indexes (NetBSD's inpt_hashtbl and inpt_porthashtbl), kept
  // by every change of a PCB's addresses: connected PCBs by 4-tuple, bound
  // unconnected ones by local port. Raw PCBs are in neither.
  struct TupleKey {
    uint32_t laddr, faddr;
    uint16_t lport, fport;
    bool operator==(const TupleKey&) const = default;
  };
  struct TupleHash {
    size_t operator()(const TupleKey& k) const {
      uint64_t h = (uint64_t(k.laddr) << 32 | k.faddr) * 0x9e3779b97f4a7c15ull;
      h ^= (uint64_t(k.lport) << 16 | k.fport) + (h >> 29);
      return size_t(h * 0xbf58476d1ce4e5b9ull);
    }
  };
  void IndexLocked(InPcb* p);
  void UnindexLocked(InPcb* p);

  mutable std::mutex mu_;
  std::list<PcbRef> pcbs_;  // newest first, as NetBSD's hash chains
  std::unordered_map<TupleKey, InPcb*, TupleHash> connected_;
  std::multimap<uint16_t, InPcb*> bound_;  // in order of binding
  uint16_t last_port_ = 65535;
  const AnonPortRange* anon_range_ = nullptr;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_IN_PCB_H_
