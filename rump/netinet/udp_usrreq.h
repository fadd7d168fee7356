// UDP (NetBSD's udp_usrreq.c): UdpSocket here; the component's UDP input
// and control input (Inet::UdpInput, Inet::UdpCtlInput) in udp_usrreq.cc.
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
#ifndef RUMP_NETINET_UDP_USRREQ_H_
#define RUMP_NETINET_UDP_USRREQ_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/netinet/inet_socket.h"

namespace rump {

class UdpSocket final : public InetSocket {
 public:
  UdpSocket(Inet& inet, NetStack& net, int file_flags);

 protected:
  absl::Status ProtoBind(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoDisconnect() override;
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;
};

}  // namespace rump

#endif  // RUMP_NETINET_UDP_USRREQ_H_
