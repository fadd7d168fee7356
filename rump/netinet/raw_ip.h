// Raw IP (NetBSD's raw_ip.c): the protocol, inet::RawIp, with its PCB table,
// its input, control input and socket factory, which the Inet component
// registers in its protocol table (protosw.h) as the wildcard entry and
// behind ICMP's; and the socket, RawIpSocket.
//
// Input (rip_input): a copy of the packet, with its IP header, to every raw
// socket whose protocol is 0 or the packet's and whose bound and connected
// addresses (when set) match it. It is the input of every protocol number
// no other protocol claims, and ICMP input hands it every ICMP message but
// the echo requests the kernel answers. As NetBSD's rip_input does (and
// programs written for it expect), ip_len is delivered in host byte order
// with the header length subtracted, and ip_off in host byte order; the
// header checksum is left as received.
//
// Control input (rip_ctlinput): for an ICMP error that means an errno for
// sockets, the raw sockets of the quoted packet's protocol (or 0) bound to
// exactly its source and connected to exactly its destination
// (rip_pcbnotify) are notified as NetBSD notifies them, with in_rtchange:
// their cached route is dropped. That is all: no SO_ERROR is posted (a raw
// socket learns of ICMP errors by reading them from a raw ICMP socket).
// We cache no routes in PCBs, so the only trace is ctlinput_notified().
//
// RawIpSocket: socket(AF_INET, SOCK_RAW, proto) receives what rip_input
// gives it. Sending without IP_HDRINCL prefixes a header (protocol proto,
// IP_TTL / IP_TOS); with IP_HDRINCL the caller's header is sent, its ip_len
// and ip_off given in host byte order (ip_len must equal the bytes written,
// else EINVAL); a zero ip_id or ip_src is filled in and the checksum is
// always computed. Buffers default to 8192 / 8192 (RIPSNDQ / RIPRCVQ).
//
// Thread-safe: input runs on driver threads and the loopback thread,
// sockets on callers' threads.
#ifndef RUMP_NETINET_RAW_IP_H_
#define RUMP_NETINET_RAW_IP_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/net/interface.h"
#include "rump/netinet/in_pcb.h"
#include "rump/netinet/inet_socket.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/protosw.h"

namespace rump {

namespace inet {

class RawIp {
 public:
  explicit RawIp(Inet& inet);
  RawIp(const RawIp&) = delete;
  RawIp& operator=(const RawIp&) = delete;

  // The protocol table's wildcard entry: SOCK_RAW, protocol 0, with
  // everything below.
  ProtoSwitch Switch();

  // rip_input; false when no socket took a copy.
  bool Input(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
             bool broadcast);
  // rip_ctlinput.
  void CtlInput(const ControlInput& c);
  // socket(AF_INET, SOCK_RAW, protocol): EPROTONOSUPPORT outside 0..255.
  absl::StatusOr<std::shared_ptr<Socket>> MakeSocket(NetStack& net, int type, int protocol,
                                                     int file_flags);

  InPcbTable& pcbs() { return pcbs_; }
  // How many raw PCBs rip_ctlinput has notified (rip_pcbnotify's matches).
  uint64_t ctlinput_notified() const { return notified_.load(std::memory_order_relaxed); }

 private:
  Inet& inet_;
  InPcbTable pcbs_;
  std::atomic<uint64_t> notified_{0};
};

}  // namespace inet

class RawIpSocket final : public InetSocket {
 public:
  RawIpSocket(Inet& inet, inet::RawIp& raw, NetStack& net, int protocol, int file_flags);
  bool header_included() const override { return hdrincl_.load(); }

 protected:
  absl::Status ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoDisconnect() override;
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override;
  bool ExtraSetOption(int name, int value, absl::Status* status) override;
  bool ExtraGetOption(int name, absl::StatusOr<std::string>* out) override;

 private:
  std::atomic<bool> hdrincl_{false};
};

}  // namespace rump

#endif  // RUMP_NETINET_RAW_IP_H_
