// UDP (NetBSD's udp_usrreq.c): the protocol, inet::Udp, with its PCB table
// and counters, its input and control input and its socket factory, which
// the Inet component registers in its protocol table (protosw.h); and the
// socket, UdpSocket.
//
// Input (udp_input): the header and length checked (hdrops, badlen), the
// checksum verified unless it is 0 (badsum); the datagram goes to the
// sockets InPcbTable::LookupDatagram picks (with IP_RECVDSTADDR, the
// destination address as control data; fullsock counts a full queue).
// With no socket: a broadcast or multicast is counted (noportbcast), a
// unicast counted (noport) and answered with ICMP port unreachable.
//
// Control input (udp_ctlinput): an ICMP error that means an errno for
// sockets (see ControlInput::error) is posted as SO_ERROR on the connected
// sockets whose 4-tuple is the quoted datagram's (in_pcbnotify);
// unconnected sockets are not told.
//
// UdpSocket follows NetBSD: bind to INADDR_ANY, one of our addresses, a
// broadcast or multicast address (EADDRNOTAVAIL otherwise) with the port
// rules of InPcbTable (SO_REUSEADDR / SO_REUSEPORT; port 0 picks an
// ephemeral port in 49152-65535); connect fixes the peer (EISCONN when
// connected; AF_UNSPEC disconnects) and the source address; sendto on a
// connected socket is EISCONN, send on an unconnected one ENOTCONN;
// broadcast needs SO_BROADCAST (EACCES); checksums are always computed;
// buffers default to udp_sendspace 9216 / udp_recvspace 41600.
//
// Thread-safe: input runs on driver threads and the loopback thread,
// sockets on callers' threads.
#ifndef RUMP_NETINET_UDP_USRREQ_H_
#define RUMP_NETINET_UDP_USRREQ_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/abi/in.h"
#include "rump/net/interface.h"
#include "rump/netinet/in_pcb.h"
#include "rump/netinet/inet_socket.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/protosw.h"
#include "rump/netinet/stats.h"

namespace rump {

namespace inet {

class Udp {
 public:
  explicit Udp(Inet& inet);
  Udp(const Udp&) = delete;
  Udp& operator=(const Udp&) = delete;

  // The protocol table entry: SOCK_DGRAM, IPPROTO_UDP, with everything below.
  ProtoSwitch Switch();

  bool Input(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
             bool broadcast);
  void CtlInput(const ControlInput& c);
  absl::StatusOr<std::shared_ptr<Socket>> MakeSocket(NetStack& net, int type, int protocol,
                                                     int file_flags);

  InPcbTable& pcbs() { return pcbs_; }
  UdpStats& stats() { return stats_; }
  const UdpStats& stats() const { return stats_; }

  // net.inet.udp.*: a new socket's buffer sizes, and whether datagrams
  // sent carry a checksum (0: the field is 0, "none").
  std::atomic<int> sendspace{int(abi::kUdpSendSpace)};
  std::atomic<int> recvspace{int(abi::kUdpRecvSpace)};
  std::atomic<int> checksum{1};

 private:
  Inet& inet_;
  InPcbTable pcbs_;
  UdpStats stats_;
};

}  // namespace inet

class UdpSocket final : public InetSocket {
 public:
  UdpSocket(Inet& inet, inet::Udp& udp, NetStack& net, int file_flags);

 protected:
  absl::Status ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoDisconnect() override;
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;

 private:
  inet::Udp& udp_;
};

}  // namespace rump

#endif  // RUMP_NETINET_UDP_USRREQ_H_
