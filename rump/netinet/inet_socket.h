// InetSocket: what every AF_INET socket of a transport shares (NetBSD's
// inpcb side of a socket): its PCB in the transport's InPcbTable, the
// IPPROTO_IP options IP_TTL / IP_TOS / IP_RECVDSTADDR, its names, and
// leaving the PCB table on close. The transports subclass it: UdpSocket
// (udp_usrreq.h) and RawIpSocket (raw_ip.h); the socket factory is the
// protocol table's (protosw.h).
//
// The PCB table holds the socket as an InetSocket, so input reads what it
// needs (recv_dstaddr) from the socket it looked up, without a cast.
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
// The IP_RECVDSTADDR control message (CMSG_SPACE(4) bytes).
std::string DstAddrControl(uint32_t dst);

}  // namespace inet

class InetSocket : public Socket {
 public:
  InetSocket(Inet& inet, inet::InPcbTable& table, NetStack& net, int type, int protocol,
             int file_flags);
  // Enters the socket in its PCB table; the factory calls it once the
  // socket is owned by a shared_ptr.
  void AttachPcb(const std::shared_ptr<InetSocket>& self);

  bool recv_dstaddr() const { return recv_dstaddr_.load(std::memory_order_relaxed); }
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
  std::atomic<bool> recv_dstaddr_{false};
};

}  // namespace rump

#endif  // RUMP_NETINET_INET_SOCKET_H_
