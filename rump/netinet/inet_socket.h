// InetSocket: what every AF_INET socket of a transport shares (NetBSD's
// inpcb side of a socket): its PCB in the transport's InPcbTable, the
// IPPROTO_IP options (IP_TTL, IP_TOS, and the receive options that make
// input hand control messages up with each datagram), its names, and
// leaving the PCB table on close. The transports subclass it: UdpSocket
// (udp_usrreq.h) and RawIpSocket (raw_ip.h); the socket factory is the
// protocol table's (protosw.h).
//
// The PCB table holds the socket as an InetSocket, so input reads what it
// needs (InputControl) from the socket it looked up, without a cast.
#ifndef RUMP_NETINET_INET_SOCKET_H_
#define RUMP_NETINET_INET_SOCKET_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/net/socket.h"
#include "rump/netinet/in_pcb.h"

namespace rump {

class Inet;

namespace inet {

struct IpHeader;

// sockaddr_in bytes (16, NetBSD layout) for addr (network order), port.
std::string SockaddrIn(uint32_t addr, uint16_t port);
struct SockIn {
  uint32_t addr = 0;  // network order
  uint16_t port = 0;  // host order
};
// A sockaddr_in from the caller: 16 bytes (EINVAL), AF_INET (EAFNOSUPPORT).
absl::StatusOr<SockIn> ParseSockaddrIn(absl::Span<const uint8_t> sa);
// An int option's value as getsockopt returns it (4 bytes, host order).
std::string IntOptionValue(int v);

}  // namespace inet

class InetSocket : public Socket {
 public:
  InetSocket(Inet& inet, inet::InPcbTable& table, NetStack& net, int type, int protocol,
             int file_flags);
  // Enters the socket in its PCB table; the factory calls it once the
  // socket is owned by a shared_ptr.
  void AttachPcb(const std::shared_ptr<InetSocket>& self);

  // The receive options that are on, as the PCB flags NetBSD's kinfo_pcb
  // reports them (INP_RECVDSTADDR, INP_RECVIF, INP_RECVTTL, INP_PKTINFO,
  // INP_RECVPKTINFO).
  uint32_t input_options() const { return input_options_.load(std::memory_order_relaxed); }
  // The control messages a datagram `h` that came in on interface
  // `ifindex` carries to this socket, in NetBSD's order: SCM_TIMESTAMP
  // (SO_TIMESTAMP), IP_RECVDSTADDR (the destination), IP_RECVPKTINFO
  // (in_pktinfo of the source), IP_PKTINFO (in_pktinfo of the
  // destination), IP_RECVIF (a sockaddr_dl with the index), IP_RECVTTL
  // (one byte). Empty when none is on.
  std::string InputControl(const inet::IpHeader& h, int ifindex) const;
  // IP_HDRINCL is on (raw sockets only).
  virtual bool header_included() const { return false; }
  inet::PcbAddrs addrs() const;
  // The TTL this socket sends with (IP_TTL, or net.inet.ip.ttl).
  int ttl() const;
  uint8_t tos() const { return uint8_t(tos_.load(std::memory_order_relaxed)); }

 protected:
  absl::StatusOr<std::string> ProtoSockName() const override;
  absl::StatusOr<std::string> ProtoPeerName() const override;
  absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) override;
  absl::StatusOr<std::string> ProtoGetOption(int level, int name) override;
  void ProtoDetach() override;
  // The protocol's own IPPROTO_IP options (IP_HDRINCL for raw sockets):
  // return true after handling `name`.
  virtual bool ExtraSetOption(int, int, absl::Status*) { return false; }
  virtual bool ExtraGetOption(int, absl::StatusOr<std::string>*) { return false; }

  Inet& inet_;
  inet::InPcbTable& table_;
  inet::InPcbTable::PcbRef pcb_;

 private:
  std::atomic<int> ttl_{-1};  // -1: the default
  std::atomic<int> tos_{0};
  std::atomic<uint32_t> input_options_{0};
};

}  // namespace rump

#endif  // RUMP_NETINET_INET_SOCKET_H_
