// ICMP (NetBSD's ip_icmp.c): input (echo replies, errors handed to the
// protocol table's control input, everything else but echo requests to raw
// ICMP sockets) and icmp_error.
#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_socket.h"
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
      if (broadcast && icmp_bmcastecho_.load() == 0) {
        icmp_stats_.c.Inc(inet::kIcmpBmcastEcho);
        break;
      }
      std::vector<uint8_t> reply(icmp.begin(), icmp.end());
      reply[0] = abi::kICMP_ECHOREPLY;
      IcmpReflect(ifp, h, std::move(reply));
      return true;  // echo requests are not passed to raw sockets
    }
    case abi::kICMP_MASKREQ: {
      if (icmp_maskrepl_.load() == 0) break;
      if (icmp.size() < abi::kICMP_MASKLEN) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      // The netmask of the receiving interface's address on the network
      // the request names (its destination, or its source when sent to
      // all hosts), else of the interface's first address.
      const uint32_t about = (h.dst == 0 || h.dst == 0xffffffffu) ? h.src : h.dst;
      auto snap = snapshot();
      const IfInfo* info = snap != nullptr ? FindIf(*snap, ifp.index()) : nullptr;
      if (info == nullptr || info->addrs.empty()) break;
      const inet::InAddress* a = &info->addrs.front();
      for (const inet::InAddress& x : info->addrs) {
        if ((about & x.netmask) == (x.addr & x.netmask)) {
          a = &x;
          break;
        }
      }
      std::vector<uint8_t> reply(icmp.begin(), icmp.end());
      reply[0] = abi::kICMP_MASKREPLY;
      inet::PutAddr(reply.data() + 8, a->netmask);
      IcmpReflect(ifp, h, std::move(reply));
      return true;
    }
    case abi::kICMP_REDIRECT: {
      if (code > 3) {
        icmp_stats_.c.Inc(inet::kIcmpBadCode);
        break;
      }
      if (icmp_rediraccept_.load() == 0) return true;  // dropped, as NetBSD does
      if (icmp.size() < abi::kICMP_ADVLENMIN) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      const absl::Span<const uint8_t> inner = icmp.subspan(abi::kICMP_MINLEN);
      const size_t ihl = size_t(inner[0] & 0xf) * 4;
      if (ihl < abi::kIpHeaderLen || ihl + 8 > inner.size()) {
        icmp_stats_.c.Inc(inet::kIcmpBadLen);
        break;
      }
      // Every code is taken as a host redirect (NetBSD's rtredirect with
      // RTF_HOST): the quoted datagram's destination through the gateway.
      (void)RedirectInput(h.src, PacketDst(inner), inet::GetAddr(icmp.data() + 4));
      break;  // and to the raw sockets (routing daemons)
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

int Inet::RedirectInput(uint32_t author, uint32_t dst, uint32_t gateway) {
  int error = 0;
  int flags = abi::kRTF_GATEWAY | abi::kRTF_HOST;
  int stat = -1;
  // The gateway's interface address: on a network we are directly on.
  const IfInfo* via = nullptr;
  uint32_t via_addr = 0;
  auto snap = snapshot();
  if (snap != nullptr) {
    for (const IfInfo& i : snap->ifs) {
      if (i.loopback || !(i.ifp->flags() & abi::kIFF_UP)) continue;
      for (const inet::InAddress& a : i.addrs) {
        if (via == nullptr && (gateway & a.netmask) == (a.addr & a.netmask)) {
          via = &i;
          via_addr = a.addr;
        }
      }
    }
  }
  const std::optional<inet::Route> rt = routes_.Lookup(dst);
  if (via == nullptr) {
    error = abi::kENETUNREACH;
  } else if (rt && (!rt->is_gateway || rt->gateway != author || rt->ifindex != via->index)) {
    error = abi::kEINVAL;  // not from the router we use for dst
  } else if (IsLocalAddress(gateway)) {
    error = abi::kEHOSTUNREACH;
  } else if (!rt || !rt->is_host) {
    // A host route of our own, rather than changing a network route.
    inet::Route r;
    r.dst = dst;
    r.netmask = 0xffffffffu;
    r.gateway = gateway;
    r.is_gateway = true;
    r.ifindex = via->index;
    r.ifaddr = via_addr;
    r.dynamic = true;
    const int timeout = icmp_redirtimeout_.load();
    if (timeout > 0) r.expires = absl::Now() + absl::Seconds(timeout);
    if (absl::Status s = routes_.Add(r); !s.ok()) {
      error = abi::ToErrno(s);
    } else {
      flags |= abi::kRTF_UP | abi::kRTF_DYNAMIC;
      stat = abi::kRtStatDynamic;
    }
  } else {
    // A host route through the old router: through the new one now.
    inet::Route r = *rt;
    r.gateway = gateway;
    r.modified = true;
    if (absl::Status s = routes_.Delete(rt->dst, rt->netmask); !s.ok()) {
      error = abi::ToErrno(s);
    } else if (absl::Status a = routes_.Add(r); !a.ok()) {
      error = abi::ToErrno(a);
    } else {
      flags |= abi::kRTF_UP | abi::kRTF_MODIFIED | (r.dynamic ? abi::kRTF_DYNAMIC : 0);
      stat = abi::kRtStatNewgateway;
    }
  }
  if (net_ == nullptr) return error;
  net_->CountRouteStat(error != 0 ? abi::kRtStatBadredirect : stat);
  RouteEntry e;
  e.flags = flags;
  e.dst = inet::SockaddrIn(dst, 0);
  e.gateway = inet::SockaddrIn(gateway, 0);
  e.author = inet::SockaddrIn(author, 0);
  net_->RouteMiss(abi::kRTM_REDIRECT, e, error, abi::kAF_INET);
  return error;
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
  icmp_limiter_.set_limit(icmp_errppslimit_.load());
  if (!icmp_limiter_.Allow(absl::Now())) {
    icmp_stats_.c.Inc(inet::kIcmpRateLimited);
    return;
  }
  // The message: type, code, checksum, 4 bytes (the next-hop MTU for
  // NEEDFRAG, the gateway for a redirect), then the offending header and
  // net.inet.icmp.returndatabytes (8) bytes of its data.
  const size_t quoted =
      std::min(offending.size(), size_t(oh.hlen) + size_t(icmp_returndatabytes_.load()));
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

void Inet::IcmpReflect(Interface& ifp, const IpHeader& h, std::vector<uint8_t> reply) {
  // The source: the address the request was sent to if it is ours, else
  // (a broadcast) our address whose broadcast address it was, else the
  // receiving interface's first usable address.
  uint32_t src = h.dst;
  if (!IsLocalAddress(src)) {
    src = 0;
    auto snap = snapshot();
    if (const IfInfo* info = snap != nullptr ? FindIf(*snap, ifp.index()) : nullptr) {
      for (const inet::InAddress& a : info->addrs) {
        if (a.broadaddr == h.dst) src = ReadyAddress(*info, a.addr);
      }
      if (src == 0) src = ReadyAddress(*info, 0);
    }
    if (src == 0) return;  // nothing to answer from
  }
  Put16(reply.data() + 2, 0);
  Put16(reply.data() + 2, inet::InetChecksum(reply));
  // The reply carries no IP options, and MAXTTL (icmp_reflect's TTL).
  std::vector<uint8_t> packet(abi::kIpHeaderLen + reply.size());
  IpHeader rh;
  rh.total_len = uint16_t(packet.size());
  rh.tos = h.tos;
  rh.id = NextIpId();
  rh.ttl = uint8_t(abi::kMAXTTL);
  rh.proto = abi::kIPPROTO_ICMP;
  rh.src = src;
  rh.dst = h.src;
  inet::WriteIpHeader(rh, packet.data());
  std::memcpy(packet.data() + abi::kIpHeaderLen, reply.data(), reply.size());
  icmp_stats_.c.Inc(inet::kIcmpReflect);
  icmp_stats_.outhist.Inc(reply[0]);
  ip_stats_.Inc(abi::kIpStatLocalout);
  (void)RouteAndSend(std::move(packet), false, false);
}

}  // namespace rump
