// ICMP (NetBSD's ip_icmp.c): input (echo replies, errors handed to the
// protocol table's control input, everything else but echo requests to raw
// ICMP sockets) and icmp_error.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_var.h"

namespace rump {

using inet::Get16;
using inet::IpHeader;
using inet::PacketDst;
using inet::PacketHlen;
using inet::PacketSrc;
using inet::Put16;

namespace {

// inetctlerrmap: the errno an ICMP error means for a socket (0: none).
int IcmpErrno(int type, int code) {
  switch (type) {
    case abi::kICMP_UNREACH:
      switch (code) {
        case abi::kICMP_UNREACH_PROTOCOL:
        case abi::kICMP_UNREACH_PORT:
          return abi::kECONNREFUSED;
        case abi::kICMP_UNREACH_NEEDFRAG:
          return abi::kEMSGSIZE;
        default:
          return abi::kEHOSTUNREACH;
      }
    case abi::kICMP_PARAMPROB:
      return abi::kENOPROTOOPT;
    default:
      return 0;  // source quench, time exceeded: no socket error
  }
}

// ICMP_INFOTYPE: queries and replies, about which errors may be sent.
bool IcmpInfoType(int type) {
  switch (type) {
    case abi::kICMP_ECHOREPLY:
    case abi::kICMP_ECHO:
    case abi::kICMP_ROUTERADVERT:
    case abi::kICMP_ROUTERSOLICIT:
    case abi::kICMP_TSTAMP:
    case abi::kICMP_TSTAMPREPLY:
    case abi::kICMP_IREQ:
    case abi::kICMP_IREQREPLY:
    case abi::kICMP_MASKREQ:
    case abi::kICMP_MASKREPLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool Inet::IcmpInput(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
                     bool broadcast) {
  const absl::Span<const uint8_t> icmp = packet.subspan(h.hlen);
  if (icmp.size() < abi::kICMP_MINLEN) {
    icmp_stats_.c.Inc(inet::kIcmpTooShort);
    return true;
  }
  if (inet::InetChecksum(icmp) != 0) {
    icmp_stats_.c.Inc(inet::kIcmpChecksum);
    return true;
  }
  const int type = icmp[0], code = icmp[1];
  if (type <= abi::kICMP_MAXTYPE) icmp_stats_.inhist.Inc(type);
  switch (type) {
    case abi::kICMP_ECHO: {
      if (broadcast) {  // icmpbmcastecho is off, as in NetBSD
        icmp_stats_.c.Inc(inet::kIcmpBmcastEcho);
        break;
      }
      // icmp_reflect: back to the sender from the address it used; the
      // reply carries no IP options.
      std::vector<uint8_t> reply(abi::kIpHeaderLen + icmp.size());
      IpHeader rh;
      rh.total_len = uint16_t(reply.size());
      rh.tos = h.tos;
      rh.id = NextIpId();
      rh.ttl = uint8_t(abi::kMAXTTL);  // icmp_reflect sends with MAXTTL
      rh.proto = abi::kIPPROTO_ICMP;
      rh.src = h.dst;
      rh.dst = h.src;
      inet::WriteIpHeader(rh, reply.data());
      uint8_t* ri = reply.data() + abi::kIpHeaderLen;
      std::memcpy(ri, icmp.data(), icmp.size());
      ri[0] = abi::kICMP_ECHOREPLY;
      Put16(ri + 2, 0);
      Put16(ri + 2, inet::InetChecksum(absl::MakeConstSpan(ri, icmp.size())));
      icmp_stats_.c.Inc(inet::kIcmpReflect);
      icmp_stats_.outhist.Inc(abi::kICMP_ECHOREPLY);
      ip_stats_.Inc(abi::kIpStatLocalout);
      (void)RouteAndSend(std::move(reply), false, false);
      return true;  // echo requests are not passed to raw sockets
    }
    case abi::kICMP_UNREACH:
    case abi::kICMP_TIMXCEED:
    case abi::kICMP_PARAMPROB:
    case abi::kICMP_SOURCEQUENCH: {
      if ((type == abi::kICMP_UNREACH && code > 15) || (type == abi::kICMP_TIMXCEED && code > 1)) {
        icmp_stats_.c.Inc(inet::kIcmpBadCode);
        break;
      }
      // The quoted header must be there, whole, with 8 bytes after it.
      if (icmp.size() < abi::kICMP_ADVLENMIN) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      const absl::Span<const uint8_t> inner = icmp.subspan(abi::kICMP_MINLEN);
      const size_t ihl = size_t(inner[0] & 0xf) * 4;
      if ((inner[0] >> 4) != 4 || ihl < abi::kIpHeaderLen || ihl + 8 > inner.size()) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      // To the control input of the quoted packet's protocol, which
      // notifies its own PCBs.
      inet::ControlInput c;
      c.type = type;
      c.code = code;
      c.error = IcmpErrno(type, code);
      if (type == abi::kICMP_UNREACH && code == abi::kICMP_UNREACH_NEEDFRAG) {
        c.mtu = Get16(icmp.data() + 6);
      }
      c.reporter = h.src;
      c.inner = inner;
      protocols_.CtlInput(c);
      break;
    }
    default:
      break;
  }
  // Everything but the echo requests answered above, to raw ICMP sockets.
  (void)raw_.Input(ifp, packet, h, broadcast);
  return true;
}

void Inet::SendIcmpError(absl::Span<const uint8_t> offending, int type, int code, uint32_t word,
                         bool link_broadcast) {
  icmp_stats_.c.Inc(inet::kIcmpError);
  IpHeader oh;
  if (offending.size() < abi::kIpHeaderLen) return;
  oh.hlen = uint8_t(PacketHlen(offending));
  if (oh.hlen < abi::kIpHeaderLen || oh.hlen > offending.size()) {
    icmp_stats_.c.Inc(inet::kIcmpOldShort);
    return;
  }
  oh.off = Get16(offending.data() + 6);
  oh.proto = offending[9];
  oh.src = PacketSrc(offending);
  oh.dst = PacketDst(offending);
  // RFC 1122 3.2.2: not about a non-first fragment, an ICMP error, a
  // link-level or IP broadcast or multicast, or a source that does not
  // name one host.
  if ((oh.off & abi::kIP_OFFMASK) != 0) {
    icmp_stats_.c.Inc(inet::kIcmpNoError);
    return;
  }
  // (NetBSD's icmp_error lets redirects through here; RFC 1122 3.2.2 does
  // not, nor do we: no redirect about an ICMP error either.)
  if (oh.proto == abi::kIPPROTO_ICMP) {
    if (offending.size() < oh.hlen + abi::kICMP_MINLEN) {
      icmp_stats_.c.Inc(inet::kIcmpOldShort);
      return;
    }
    if (!IcmpInfoType(offending[oh.hlen])) {
      icmp_stats_.c.Inc(inet::kIcmpOldIcmp);
      return;
    }
  }
  if (link_broadcast || inet::IsMulticast(oh.dst) || IsBroadcastAddress(oh.dst) ||
      oh.src == 0 || inet::IsMulticast(oh.src) || IsBroadcastAddress(oh.src)) {
    icmp_stats_.c.Inc(inet::kIcmpNoError);
    return;
  }
  if (!icmp_limiter_.Allow(absl::Now())) {
    icmp_stats_.c.Inc(inet::kIcmpRateLimited);
    return;
  }
  // The message: type, code, checksum, 4 bytes (the next-hop MTU for
  // NEEDFRAG, the gateway for a redirect), then the offending header and 8
  // bytes of its data.
  const size_t quoted = std::min(offending.size(), size_t(oh.hlen) + 8);
  std::vector<uint8_t> msg(abi::kICMP_MINLEN + quoted, 0);
  msg[0] = uint8_t(type);
  msg[1] = uint8_t(code);
  if (type == abi::kICMP_UNREACH && code == abi::kICMP_UNREACH_NEEDFRAG) {
    Put16(msg.data() + 6, uint16_t(word));
  } else if (type == abi::kICMP_REDIRECT) {
    inet::PutAddr(msg.data() + 4, word);
  }
  std::memcpy(msg.data() + abi::kICMP_MINLEN, offending.data(), quoted);
  Put16(msg.data() + 2, inet::InetChecksum(msg));
  OutputRequest req;
  req.src = IsLocalAddress(oh.dst) ? oh.dst : 0;
  req.dst = oh.src;
  req.proto = abi::kIPPROTO_ICMP;
  req.ttl = abi::kMAXTTL;  // errors are reflected too, with MAXTTL
  req.payload = msg;
  if (type <= abi::kICMP_MAXTYPE) icmp_stats_.outhist.Inc(type);
  (void)Output(req);
}

}  // namespace rump
