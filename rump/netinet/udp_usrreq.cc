#include "rump/netinet/udp_usrreq.h"

#include <cstring>
#include <utility>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"

namespace rump {
namespace inet {

Udp::Udp(Inet& inet) : inet_(inet) {}

ProtoSwitch Udp::Switch() {
  ProtoSwitch pr;
  pr.type = abi::kSOCK_DGRAM;
  pr.protocol = abi::kIPPROTO_UDP;
  pr.name = "udp";
  pr.input = [this](Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
                    bool broadcast) { return Input(ifp, packet, h, broadcast); };
  pr.ctlinput = [this](const ControlInput& c) { CtlInput(c); };
  pr.make_socket = [this](NetStack& net, int type, int protocol, int file_flags) {
    return MakeSocket(net, type, protocol, file_flags);
  };
  return pr;
}

bool Udp::Input(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
                bool broadcast) {
  stats_.Inc(abi::kUdpStatIpackets);
  absl::Span<const uint8_t> seg = packet.subspan(h.hlen);
  UdpHeader uh;
  if (!ParseUdpHeader(seg, &uh)) {
    stats_.Inc(abi::kUdpStatHdrops);
    return true;
  }
  if (uh.len < abi::kUdpHeaderLen || uh.len > seg.size()) {
    stats_.Inc(abi::kUdpStatBadlen);
    return true;
  }
  seg = seg.subspan(0, uh.len);
  if (uh.sum != 0) {
    const uint64_t sum =
        ChecksumAdd(PseudoHeaderSum(h.src, h.dst, abi::kIPPROTO_UDP, uh.len), seg);
    if (ChecksumFinish(sum) != 0) {
      stats_.Inc(abi::kUdpStatBadsum);
      return true;
    }
  }
  const bool group = broadcast || IsMulticast(h.dst);
  bool hash_miss = false;
  const std::vector<std::shared_ptr<InetSocket>> socks =
      pcbs_.LookupDatagram(h.src, uh.sport, h.dst, uh.dport, group, &hash_miss);
  if (hash_miss) stats_.Inc(abi::kUdpStatPcbhashmiss);  // no connected socket's
  if (socks.empty()) {
    if (group) {
      stats_.Inc(abi::kUdpStatNoportbcast);
    } else {
      // NetBSD's kernels are built with INET6, and udp_input then looks a
      // datagram no socket took up once more, as a v4-mapped IPv6 one
      // (udp6_realinput): a second miss, which NetBSD's counters show.
      stats_.Inc(abi::kUdpStatPcbhashmiss);
      stats_.Inc(abi::kUdpStatNoport);
      inet_.SendIcmpError(packet, abi::kICMP_UNREACH, abi::kICMP_UNREACH_PORT);
    }
    return true;
  }
  const absl::Span<const uint8_t> data = seg.subspan(abi::kUdpHeaderLen);
  for (const std::shared_ptr<InetSocket>& s : socks) {
    Datagram d;
    d.from = SockaddrIn(h.src, uh.sport);
    d.data.assign(data.begin(), data.end());
    d.control = s->InputControl(h, ifp.index());
    if (!s->DeliverDatagram(std::move(d))) stats_.Inc(abi::kUdpStatFullsock);
  }
  return true;
}

void Udp::CtlInput(const ControlInput& c) {
  if (c.error == 0) return;  // source quench, time exceeded: nothing to say
  const absl::Span<const uint8_t> ports = c.inner_payload();
  const uint16_t sport = Get16(ports.data()), dport = Get16(ports.data() + 2);
  // in_pcbnotify: connected sockets with exactly this 4-tuple.
  for (const std::shared_ptr<InetSocket>& s :
       pcbs_.LookupConnected(c.inner_src(), sport, c.inner_dst(), dport)) {
    s->SetError(c.error);
  }
}

absl::StatusOr<std::shared_ptr<Socket>> Udp::MakeSocket(NetStack& net, int, int,
                                                        int file_flags) {
  auto s = std::make_shared<UdpSocket>(inet_, *this, net, file_flags);
  s->AttachPcb(s);
  return s;
}

}  // namespace inet

// --- UdpSocket

UdpSocket::UdpSocket(Inet& inet, inet::Udp& udp, NetStack& net, int file_flags)
    : InetSocket(inet, udp.pcbs(), net, abi::kSOCK_DGRAM, abi::kIPPROTO_UDP, file_flags),
      udp_(udp) {
  SetBufferLimits(size_t(std::max(1, udp.sendspace.load())),
                  size_t(std::max(1, udp.recvspace.load())));
}

absl::Status UdpSocket::ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  if (sin->addr != 0 && !inet::IsMulticast(sin->addr) && !inet_.IsLocalAddress(sin->addr) &&
      !(sin->addr != 0xffffffffu && inet_.IsBroadcastAddress(sin->addr))) {
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  return table_.Bind(pcb_, sin->addr, sin->port, reuse_addr(), reuse_port(), &cred);
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
  if (udp_.checksum.load() != 0) inet::Put16(seg.data() + 6, inet::UdpChecksum(src, dst, seg));
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
  udp_.stats().Inc(abi::kUdpStatOpackets);
  return req.data.size();
}

}  // namespace rump
