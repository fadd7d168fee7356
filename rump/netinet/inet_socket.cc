#include "rump/netinet/inet_socket.h"

#include <cstring>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_header.h"

namespace rump {
namespace inet {

std::string SockaddrIn(uint32_t addr, uint16_t port) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(abi::kSockaddrInSize);
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  s[abi::kSinPortOff] = char(port >> 8);
  s[abi::kSinPortOff + 1] = char(port);
  std::memcpy(s.data() + abi::kSinAddrOff, &addr, 4);
  return s;
}

absl::StatusOr<SockIn> ParseSockaddrIn(absl::Span<const uint8_t> sa) {
  if (sa.size() != abi::kSockaddrInSize) return abi::Errno(abi::kEINVAL);
  if (sa[abi::kSinFamilyOff] != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);
  SockIn s;
  s.port = Get16(sa.data() + abi::kSinPortOff);
  s.addr = GetAddr(sa.data() + abi::kSinAddrOff);
  return s;
}

std::string DstAddrControl(uint32_t dst) {
  std::string c(abi::CmsgSpace(4), '\0');
  const uint32_t len = uint32_t(abi::CmsgLen(4));
  const int32_t level = abi::kIPPROTO_IP, type = abi::kIP_RECVDSTADDR;
  std::memcpy(c.data(), &len, 4);
  std::memcpy(c.data() + 4, &level, 4);
  std::memcpy(c.data() + 8, &type, 4);
  std::memcpy(c.data() + abi::CmsgLen(0), &dst, 4);
  return c;
}

}  // namespace inet

namespace {

absl::StatusOr<int> IntOption(absl::Span<const uint8_t> value) {
  if (value.size() != sizeof(int32_t)) return abi::Errno(abi::kEINVAL);
  int32_t v;
  std::memcpy(&v, value.data(), sizeof(v));
  return v;
}

std::string IntBytes(int v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

}  // namespace

// --- InetSocket

InetSocket::InetSocket(Inet& inet, inet::InPcbTable& table, NetStack& net, int type,
                       int protocol, int file_flags)
    : Socket(net, abi::kAF_INET, type, protocol, file_flags), inet_(inet), table_(table) {}

void InetSocket::AttachPcb(const std::shared_ptr<InetSocket>& self) {
  pcb_ = table_.Attach(self, type() == abi::kSOCK_RAW ? protocol() : 0);
}

inet::PcbAddrs InetSocket::addrs() const { return table_.Addrs(pcb_); }

int InetSocket::ttl() const {
  const int t = ttl_.load(std::memory_order_relaxed);
  return t >= 0 ? t : inet_.default_ttl();
}

absl::StatusOr<std::string> InetSocket::ProtoSockName() const {
  const inet::PcbAddrs a = addrs();
  return inet::SockaddrIn(a.laddr, a.lport);
}

absl::StatusOr<std::string> InetSocket::ProtoPeerName() const {
  const inet::PcbAddrs a = addrs();
  if (a.faddr == 0) return abi::Errno(abi::kENOTCONN);
  return inet::SockaddrIn(a.faddr, a.fport);
}

absl::Status InetSocket::ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) {
  if (level == abi::kSOL_SOCKET) return absl::OkStatus();  // the socket layer's
  if (level != abi::kIPPROTO_IP) return abi::Errno(abi::kENOPROTOOPT);
  switch (name) {
    case abi::kIP_TTL:
    case abi::kIP_TOS:
    case abi::kIP_RECVDSTADDR:
    case abi::kIP_HDRINCL: {
      absl::StatusOr<int> v = IntOption(value);
      if (!v.ok()) return v.status();
      absl::Status s;
      if (ExtraSetOption(name, *v, &s)) return s;
      if (name == abi::kIP_HDRINCL) return abi::Errno(abi::kENOPROTOOPT);
      if (name == abi::kIP_TTL) {
        ttl_.store(*v & 0xff);  // ip_ttl is a u_char
      } else if (name == abi::kIP_TOS) {
        tos_.store(*v & 0xff);
      } else {
        recv_dstaddr_.store(*v != 0);
      }
      return absl::OkStatus();
    }
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

absl::StatusOr<std::string> InetSocket::ProtoGetOption(int level, int name) {
  if (level != abi::kIPPROTO_IP) return abi::Errno(abi::kENOPROTOOPT);
  absl::StatusOr<std::string> out;
  if (ExtraGetOption(name, &out)) return out;
  switch (name) {
    case abi::kIP_TTL:
      return IntBytes(ttl());
    case abi::kIP_TOS:
      return IntBytes(tos());
    case abi::kIP_RECVDSTADDR:
      return IntBytes(recv_dstaddr() ? 1 : 0);
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

void InetSocket::ProtoDetach() {
  if (pcb_ != nullptr) table_.Detach(pcb_);
}

// --- UdpSocket

UdpSocket::UdpSocket(Inet& inet, NetStack& net, int file_flags)
    : InetSocket(inet, inet.udp_pcbs(), net, abi::kSOCK_DGRAM, abi::kIPPROTO_UDP, file_flags) {
  SetBufferLimits(abi::kUdpSendSpace, abi::kUdpRecvSpace);
}

absl::Status UdpSocket::ProtoBind(absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  if (sin->addr != 0 && !inet::IsMulticast(sin->addr) && !inet_.IsLocalAddress(sin->addr) &&
      !(sin->addr != 0xffffffffu && inet_.IsBroadcastAddress(sin->addr))) {
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  return table_.Bind(pcb_, sin->addr, sin->port, reuse_addr(), reuse_port());
}

absl::Status UdpSocket::ProtoConnect(absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  if (sin->port == 0) return abi::Errno(abi::kEADDRNOTAVAIL);
  const inet::PcbAddrs a = addrs();
  if (a.faddr != 0) return abi::Errno(abi::kEISCONN);
  const uint32_t faddr = inet_.MapConnectAddress(sin->addr);
  uint32_t src = a.laddr;
  if (src == 0) {
    absl::StatusOr<uint32_t> s = inet_.SelectSource(faddr, false);
    if (!s.ok()) return s.status();
    src = *s;
  }
  return table_.Connect(pcb_, src, faddr, sin->port);
}

absl::Status UdpSocket::ProtoDisconnect() { return table_.Disconnect(pcb_); }

absl::StatusOr<size_t> UdpSocket::ProtoSend(const SendRequest& req) {
  if (req.data.size() + abi::kIpHeaderLen + abi::kUdpHeaderLen > abi::kIP_MAXPACKET) {
    return abi::Errno(abi::kEMSGSIZE);
  }
  const bool dont_route = (req.flags & abi::kMSG_DONTROUTE) != 0 || this->dont_route();
  inet::PcbAddrs a = addrs();
  uint32_t dst, src;
  uint16_t dport;
  if (!req.to.empty()) {
    if (a.faddr != 0) return abi::Errno(abi::kEISCONN);
    absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(req.to);
    if (!sin.ok()) return sin.status();
    if (sin->port == 0) return abi::Errno(abi::kEADDRNOTAVAIL);
    dst = inet_.MapConnectAddress(sin->addr);
    dport = sin->port;
    src = a.laddr;
    if (src == 0) {
      absl::StatusOr<uint32_t> s = inet_.SelectSource(dst, dont_route);
      if (!s.ok()) return s.status();
      src = *s;
    }
    if (a.lport == 0) {  // the implicit bind of the temporary connect
      absl::Status s = table_.Bind(pcb_, 0, 0, reuse_addr(), reuse_port());
      if (!s.ok() && abi::ToErrno(s) != abi::kEINVAL) return s;
      a = addrs();
    }
  } else {
    if (a.faddr == 0) return abi::Errno(abi::kENOTCONN);
    dst = a.faddr;
    dport = a.fport;
    src = a.laddr;
  }
  std::vector<uint8_t> seg(abi::kUdpHeaderLen + req.data.size());
  inet::Put16(seg.data(), a.lport);
  inet::Put16(seg.data() + 2, dport);
  inet::Put16(seg.data() + 4, uint16_t(seg.size()));
  if (!req.data.empty()) {
    std::memcpy(seg.data() + abi::kUdpHeaderLen, req.data.data(), req.data.size());
  }
  inet::Put16(seg.data() + 6, inet::UdpChecksum(src, dst, seg));
  Inet::OutputRequest out;
  out.src = src;
  out.dst = dst;
  out.proto = abi::kIPPROTO_UDP;
  out.ttl = ttl();
  out.tos = tos();
  out.allow_broadcast = broadcast_allowed();
  out.dont_route = dont_route;
  out.payload = seg;
  if (absl::Status s = inet_.Output(out); !s.ok()) return s;
  inet_.mutable_udp_stats().Inc(abi::kUdpStatOpackets);
  return req.data.size();
}

// --- RawIpSocket

RawIpSocket::RawIpSocket(Inet& inet, NetStack& net, int protocol, int file_flags)
    : InetSocket(inet, inet.raw_pcbs(), net, abi::kSOCK_RAW, protocol, file_flags) {
  SetBufferLimits(abi::kRipSendSpace, abi::kRipRecvSpace);
}

absl::Status RawIpSocket::ProtoBind(absl::Span<const uint8_t> addr) {
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
  *out = IntBytes(hdrincl_.load() ? 1 : 0);
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

// --- the factory

absl::StatusOr<std::shared_ptr<Socket>> MakeInetSocket(Inet& inet, NetStack& net, int domain,
                                                       int type, int protocol, int file_flags) {
  if (type == abi::kSOCK_DGRAM && (protocol == 0 || protocol == abi::kIPPROTO_UDP)) {
    auto s = std::make_shared<UdpSocket>(inet, net, file_flags);
    s->AttachPcb(s);
    return s;
  }
  if (type == abi::kSOCK_RAW) {
    if (protocol < 0 || protocol > 255) return abi::Errno(abi::kEPROTONOSUPPORT);
    auto s = std::make_shared<RawIpSocket>(inet, net, protocol, file_flags);
    s->AttachPcb(s);
    return s;
  }
  return MakeBasicSocket(net, domain, type, protocol, file_flags);
}

}  // namespace rump
