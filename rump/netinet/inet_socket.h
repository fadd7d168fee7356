// The AF_INET sockets: InetSocket (what UDP and raw IP share: the PCB, the
// IPPROTO_IP options IP_TTL / IP_TOS / IP_RECVDSTADDR, names, detaching),
// UdpSocket (SOCK_DGRAM, udp_usrreq.c) and RawIpSocket (SOCK_RAW,
// raw_ip.c), and the socket factory the Inet component installs.
//
// UdpSocket follows NetBSD: bind to INADDR_ANY, one of our addresses, a
// broadcast or multicast address (EADDRNOTAVAIL otherwise) with the port
// rules of InPcbTable (SO_REUSEADDR / SO_REUSEPORT; port 0 picks an
// ephemeral port in 49152-65535); connect fixes the peer (EISCONN when
// connected; AF_UNSPEC disconnects) and the source address; sendto on a
// connected socket is EISCONN, send on an unconnected one ENOTCONN;
// broadcast needs SO_BROADCAST (EACCES); checksums are always computed;
// buffers default to udp_sendspace 9216 / udp_recvspace 41600. An ICMP
// error about a datagram sent from a connected socket is posted as its
// SO_ERROR (ECONNREFUSED for port unreachable).
//
// The PCB tables hold the sockets as InetSockets, so input reads what it
// needs (recv_dstaddr) from the socket it looked up, without a cast.
//
// RawIpSocket: socket(AF_INET, SOCK_RAW, proto) receives a copy of every
// incoming packet of that protocol (0: all) that reaches rip_input (ICMP
// other than the echo requests the kernel answers, IGMP, unknown
// protocols; not UDP), with its IP header. As NetBSD's rip_input does
// (and programs written for it expect), ip_len is delivered in host byte
// order with the header length subtracted, and ip_off in host byte order;
// the header checksum is left as received. Sending without IP_HDRINCL
// prefixes a header (protocol proto, IP_TTL / IP_TOS); with IP_HDRINCL the
// caller's header is sent, its ip_len and ip_off given in host byte order
// (ip_len must equal the bytes written, else EINVAL); a zero ip_id or
// ip_src is filled in and the checksum is always computed. Buffers
// default to 8192 / 8192 (RIPSNDQ / RIPRCVQ).
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

class UdpSocket final : public InetSocket {
 public:
  UdpSocket(Inet& inet, NetStack& net, int file_flags);

 protected:
  absl::Status ProtoBind(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoDisconnect() override;
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;
};

class RawIpSocket final : public InetSocket {
 public:
  RawIpSocket(Inet& inet, NetStack& net, int protocol, int file_flags);

 protected:
  absl::Status ProtoBind(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoDisconnect() override;
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;
  bool ExtraSetOption(int name, int value, absl::Status* status) override;
  bool ExtraGetOption(int name, absl::StatusOr<std::string>* out) override;

 private:
  std::atomic<bool> hdrincl_{false};
};

// socket(AF_INET, type, protocol): UDP and raw IP sockets here; other
// types as MakeBasicSocket answers them.
absl::StatusOr<std::shared_ptr<Socket>> MakeInetSocket(Inet& inet, NetStack& net, int domain,
                                                       int type, int protocol, int file_flags);

}  // namespace rump

#endif  // RUMP_NETINET_INET_SOCKET_H_
