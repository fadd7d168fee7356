// Raw IP (NetBSD's raw_ip.c): RawIpSocket here; the component's raw input
// (Inet::RawInput, rip_input) in raw_ip.cc.
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
#ifndef RUMP_NETINET_RAW_IP_H_
#define RUMP_NETINET_RAW_IP_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/netinet/inet_socket.h"

namespace rump {

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

}  // namespace rump

#endif  // RUMP_NETINET_RAW_IP_H_
