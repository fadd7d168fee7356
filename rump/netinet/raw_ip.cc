#include "rump/netinet/raw_ip.h"

#include <cstring>
#include <utility>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet.h"

namespace rump {
namespace inet {

RawIp::RawIp(Inet& inet) : inet_(inet) {}

ProtoSwitch RawIp::Switch() {
  ProtoSwitch pr;
  pr.type = abi::kSOCK_RAW;
  pr.protocol = 0;  // the wildcard
  pr.name = "rawip";
  pr.input = [this](Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
                    bool broadcast) { return Input(ifp, packet, h, broadcast); };
  pr.ctlinput = [this](const ControlInput& c) { CtlInput(c); };
  pr.make_socket = [this](NetStack& net, int type, int protocol, int file_flags) {
    return MakeSocket(net, type, protocol, file_flags);
  };
  return pr;
}

bool RawIp::Input(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h, bool) {
  const std::vector<std::shared_ptr<InetSocket>> socks = pcbs_.LookupRaw(h.proto, h.src, h.dst);
  for (const std::shared_ptr<InetSocket>& s : socks) {
    Datagram d;
    d.from = SockaddrIn(h.src, 0);
    d.data.assign(packet.begin(), packet.end());
    // NetBSD's rip_input hands up ip_len in host order without the header
    // length and ip_off in host order (what raw IP programs expect).
    const uint16_t len = uint16_t(h.total_len - h.hlen);
    const uint16_t off = h.off;
    std::memcpy(d.data.data() + 2, &len, 2);
    std::memcpy(d.data.data() + 6, &off, 2);
    d.control = s->InputControl(h, ifp.index());
    (void)s->DeliverDatagram(std::move(d));
  }
  return !socks.empty();
}

void RawIp::CtlInput(const ControlInput& c) {
  // Redirects and dead hosts, which notify every PCB of a destination, are
  // not passed up by our ICMP; other errors with no errno mean nothing.
  if (c.error == 0) return;
  // rip_pcbnotify with in_rtchange: the matching PCBs drop their cached
  // route (we keep none), and no error is posted.
  const std::vector<std::shared_ptr<InetSocket>> socks =
      pcbs_.LookupRawNotify(c.inner_protocol(), c.inner_src(), c.inner_dst());
  notified_.fetch_add(socks.size(), std::memory_order_relaxed);
}

absl::StatusOr<std::shared_ptr<Socket>> RawIp::MakeSocket(NetStack& net, int, int protocol,
                                                          int file_flags) {
  if (protocol < 0 || protocol > 255) return abi::Errno(abi::kEPROTONOSUPPORT);
  auto s = std::make_shared<RawIpSocket>(inet_, *this, net, protocol, file_flags);
  s->AttachPcb(s);
  return s;
}

}  // namespace inet

// --- RawIpSocket

RawIpSocket::RawIpSocket(Inet& inet, inet::RawIp& raw, NetStack& net, int protocol,
                         int file_flags)
    : InetSocket(inet, raw.pcbs(), net, abi::kSOCK_RAW, protocol, file_flags) {
  SetBufferLimits(abi::kRipSendSpace, abi::kRipRecvSpace);
}

absl::Status RawIpSocket::ProtoBind(const Credentials&, absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  if (sin->addr != 0 && !inet_.IsLocalAddress(sin->addr)) {
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  table_.SetRaw(pcb_, true, sin->addr);
  return absl::OkStatus();
}

absl::Status RawIpSocket::ProtoConnect(absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  table_.SetRaw(pcb_, false, sin->addr);
  return absl::OkStatus();
}

absl::Status RawIpSocket::ProtoDisconnect() {
  if (addrs().faddr == 0) return abi::Errno(abi::kENOTCONN);
  table_.SetRaw(pcb_, false, 0);
  return absl::OkStatus();
}

bool RawIpSocket::ExtraSetOption(int name, int value, absl::Status* status) {
  if (name != abi::kIP_HDRINCL) return false;
  hdrincl_.store(value != 0);
  *status = absl::OkStatus();
  return true;
}

bool RawIpSocket::ExtraGetOption(int name, absl::StatusOr<std::string>* out) {
  if (name != abi::kIP_HDRINCL) return false;
  *out = inet::IntOptionValue(hdrincl_.load() ? 1 : 0);
  return true;
}

absl::StatusOr<size_t> RawIpSocket::ProtoSend(const SendRequest& req) {
  const bool dont_route = (req.flags & abi::kMSG_DONTROUTE) != 0 || this->dont_route();
  const inet::PcbAddrs a = addrs();
  uint32_t dst;
  if (!req.to.empty()) {
    if (a.faddr != 0) return abi::Errno(abi::kEISCONN);
    absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(req.to);
    if (!sin.ok()) return sin.status();
    dst = sin->addr;
  } else {
    if (a.faddr == 0) return abi::Errno(abi::kENOTCONN);
    dst = a.faddr;
  }
  if (!hdrincl_.load()) {
    if (req.data.size() + abi::kIpHeaderLen > abi::kIP_MAXPACKET) {
      return abi::Errno(abi::kEMSGSIZE);
    }
    Inet::OutputRequest out;
    out.src = a.laddr;
    out.dst = dst;
    out.proto = uint8_t(protocol());
    out.ttl = ttl();
    out.tos = tos();
    out.allow_broadcast = broadcast_allowed();
    out.dont_route = dont_route;
    out.payload = req.data;
    if (absl::Status s = inet_.Output(out); !s.ok()) return s;
    return req.data.size();
  }
  // IP_HDRINCL: the caller's header, ip_len and ip_off in host order.
  if (req.data.size() < abi::kIpHeaderLen || req.data.size() > abi::kIP_MAXPACKET) {
    return abi::Errno(abi::kEINVAL);
  }
  std::vector<uint8_t> packet(req.data.begin(), req.data.end());
  const size_t hlen = size_t(packet[0] & 0xf) * 4;
  uint16_t len, off;
  std::memcpy(&len, packet.data() + 2, 2);
  std::memcpy(&off, packet.data() + 6, 2);
  if (hlen < abi::kIpHeaderLen || hlen > packet.size() || len != packet.size()) {
    return abi::Errno(abi::kEINVAL);
  }
  inet::Put16(packet.data() + 2, len);
  inet::Put16(packet.data() + 6, off);
  if (inet::GetAddr(packet.data() + 16) == 0) inet::PutAddr(packet.data() + 16, dst);
  if (absl::Status s = inet_.OutputPacket(std::move(packet), broadcast_allowed(), dont_route);
      !s.ok()) {
    return s;
  }
  return req.data.size();
}

}  // namespace rump
