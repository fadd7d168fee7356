// Routing sockets and the net.route.0 sysctl (NetBSD's sys/net/rtsock.c):
// requests written to PF_ROUTE sockets and the messages they receive;
// NET_RT_IFLIST (what getifaddrs() reads), NET_RT_DUMP and NET_RT_FLAGS.
#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>

#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/kern/privilege.h"
#include "rump/net/bytes.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/net/sockaddr.h"

namespace rump {
namespace {

// A routing message: `header` bytes of header, then the sockaddrs in
// address-bit order, each RT_ROUNDUP-packed; the length is stored first.
std::string Message(size_t header, uint8_t type, const std::vector<std::string>& sas) {
  std::string m(header, '\0');
  for (const std::string& sa : sas) AppendRtSockaddr(m, sa);
  bytes::Store<uint16_t>(m, abi::kIfmMsglenOff, uint16_t(m.size()));
  m[abi::kIfmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kIfmTypeOff] = char(type);
  return m;
}

// A PF_ROUTE socket: what it is sent is a request, what it receives the
// routing messages of the changes (DeliverDatagram, by RouteBroadcast).
class RouteSocket : public Socket {
 public:
  RouteSocket(NetStack& net, int protocol, int file_flags)
      : Socket(net, abi::kAF_ROUTE, abi::kSOCK_RAW, protocol, file_flags) {}

 protected:
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override {
    if (absl::Status s = net().RouteOutput(req.data, req.pid, req.cred); !s.ok()) return s;
    return req.data.size();
  }
};

// The sockaddr at `at` of a routing message of `size` bytes: its bytes
// (sa_len of them), or nullopt when it does not fit or is shorter than its
// own header.
std::optional<std::string> SockaddrAt(absl::Span<const uint8_t> msg, size_t at) {
  if (at >= msg.size()) return std::nullopt;
  const size_t len = msg[at];
  if (len == 0) return std::string();  // an empty (default route) netmask
  if (len < 2 || at + len > msg.size()) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(msg.data()) + at, len);
}

}  // namespace

std::shared_ptr<Socket> MakeRouteSocket(NetStack& net, int protocol, int file_flags) {
  auto so = std::make_shared<RouteSocket>(net, protocol, file_flags);
  net.AddRouteSocket(so);
  return so;
}

void NetStack::AddRouteSocket(const std::shared_ptr<Socket>& so) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  route_sockets_.erase(std::remove_if(route_sockets_.begin(), route_sockets_.end(),
                                      [](const std::weak_ptr<Socket>& w) { return w.expired(); }),
                       route_sockets_.end());
  route_sockets_.push_back(so);
}

void NetStack::RouteBroadcast(const std::string& msg, int family) {
  std::vector<std::shared_ptr<Socket>> to;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const std::weak_ptr<Socket>& w : route_sockets_) {
      std::shared_ptr<Socket> so = w.lock();
      if (so != nullptr && (so->protocol() == 0 || family == 0 || so->protocol() == family)) {
        to.push_back(std::move(so));
      }
    }
  }
  for (const std::shared_ptr<Socket>& so : to) {
    Datagram d;
    d.from = std::string(2, '\0');  // NetBSD's route_src: an empty PF_ROUTE sockaddr
    d.from[0] = 2;
    d.from[1] = char(abi::kAF_ROUTE);
    d.data.assign(msg.begin(), msg.end());
    so->DeliverDatagram(std::move(d));
  }
}

absl::Status NetStack::RouteOutput(absl::Span<const uint8_t> msg, int pid,
                                   const Credentials& cred) {
  if (msg.size() < abi::kRtMsghdrSize) return abi::Errno(abi::kEINVAL, "short routing message");
  if (bytes::Load<uint16_t>(msg, abi::kRtmMsglenOff) != msg.size()) {
    return abi::Errno(abi::kEINVAL, "routing message length");
  }
  if (msg[abi::kRtmVersionOff] != abi::kRTM_VERSION) {
    return abi::Errno(abi::kEPROTONOSUPPORT, "routing message version");
  }
  RouteCommand cmd;
  cmd.type = msg[abi::kRtmTypeOff];
  cmd.flags = bytes::Load<int32_t>(msg, abi::kRtmFlagsOff);
  const int addrs = bytes::Load<int32_t>(msg, abi::kRtmAddrsOff);
  const int seq = bytes::Load<int32_t>(msg, abi::kRtmSeqOff);
  if (cmd.type != abi::kRTM_ADD && cmd.type != abi::kRTM_DELETE &&
      cmd.type != abi::kRTM_CHANGE && cmd.type != abi::kRTM_GET) {
    return abi::Errno(abi::kEOPNOTSUPP, "routing message type");
  }
  if ((addrs & ~((1 << abi::kRTAX_MAX) - 1)) != 0) return abi::Errno(abi::kEINVAL);
  cmd.sa.assign(abi::kRTAX_MAX, std::string());
  cmd.inits = int(bytes::Load<uint64_t>(msg, abi::kRtmInitsOff));
  cmd.expire = bytes::Load<int64_t>(msg, abi::kRtmRmxOff + abi::kRmxExpireOff);
  size_t at = abi::kRtMsghdrSize;
  for (int i = 0; i < abi::kRTAX_MAX; ++i) {
    if ((addrs & (1 << i)) == 0) continue;
    // rt_xaddrs: address bits past the end of the message name nothing
    // (arp(8) asks for RTA_IFP with no sockaddr for it).
    if (at >= msg.size()) break;
    std::optional<std::string> sa = SockaddrAt(msg, at);
    if (!sa) return abi::Errno(abi::kEINVAL, "routing message sockaddr");
    cmd.sa[size_t(i)] = *sa;
    at += abi::RtRoundup(sa->size());
  }
  if (at > msg.size()) return abi::Errno(abi::kEINVAL, "routing message sockaddr");
  // The destination's family does the work.
  const std::string& dst = cmd.sa[0];
  if (dst.size() < 2) return abi::Errno(abi::kEINVAL, "no destination");
  const int family = uint8_t(dst[1]);
  std::shared_ptr<const AddressFamily> f;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    auto it = families_.find(family);
    if (it != families_.end()) f = it->second;
  }
  // Only root may change routes; the refusal is answered like any failed
  // request (the message back with its errno).
  absl::StatusOr<RouteEntry> done = abi::Errno(abi::kEAFNOSUPPORT);
  if (absl::Status allowed = privilege::RouteMessage(cred, cmd.type); !allowed.ok()) {
    done = allowed;
  } else if (f != nullptr && f->route_command) {
    done = f->route_command(cmd);
  }
  // The answer, to every routing socket: the route, or the request with
  // its error.
  std::string reply;
  int reply_flags = 0;
  if (done.ok()) {
    // As NetBSD's route_output reports: the interface (RTA_IFP, RTA_IFA)
    // only to a request that asked for it; a deleted route is no longer
    // up.
    RouteEntry e = *done;
    if ((addrs & (abi::kRTA_IFP | abi::kRTA_IFA)) == 0) {
      e.ifp = 0;
      e.ifa.clear();
    }
    if (cmd.type == abi::kRTM_DELETE) e.flags &= ~abi::kRTF_UP;
    reply_flags = e.flags | abi::kRTF_DONE;
    reply = RouteMessage(e);
  } else {
    reply.assign(reinterpret_cast<const char*>(msg.data()), msg.size());
    bytes::Store<int32_t>(reply, abi::kRtmErrnoOff, abi::ToErrno(done.status()));
  }
  reply[abi::kRtmTypeOff] = char(cmd.type);
  bytes::Store<int32_t>(reply, abi::kRtmPidOff, pid);
  bytes::Store<int32_t>(reply, abi::kRtmSeqOff, seq);
  if (done.ok()) {
    bytes::Store<int32_t>(reply, abi::kRtmFlagsOff, reply_flags);
  }
  RouteBroadcast(reply, family);
  return done.status();
}

void NetStack::RouteAnnounce(const Interface& ifp, bool arrival) {
  std::string m(abi::kIfAnnounceMsghdrSize, '\0');
  bytes::Store<uint16_t>(m, abi::kIfmMsglenOff, uint16_t(m.size()));
  m[abi::kIfmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kIfmTypeOff] = char(abi::kRTM_IFANNOUNCE);
  bytes::Store<uint16_t>(m, abi::kIfanIndexOff, uint16_t(ifp.index()));
  m.replace(abi::kIfanNameOff, std::min<size_t>(ifp.name().size(), abi::kIfNameSize - 1),
            ifp.name());
  bytes::Store<uint16_t>(m, abi::kIfanWhatOff, arrival ? abi::kIFAN_ARRIVAL : abi::kIFAN_DEPARTURE);
  RouteBroadcast(m, 0);
}

void NetStack::RouteInterfaceEvent(Interface& ifp, InterfaceEvent event) {
  auto ifinfo = [&] {
    std::string m = Message(abi::kIfMsghdrSize, abi::kRTM_IFINFO, {});
    bytes::Store<int32_t>(m, abi::kIfmFlagsOff, int32_t(int16_t(ifp.flags())));
    bytes::Store<uint16_t>(m, abi::kIfmIndexOff, uint16_t(ifp.index()));
    const std::string data = ifp.IfDataBytes();
    m.replace(abi::kIfmDataOff, data.size(), data);
    RouteBroadcast(m, 0);
  };
  auto addr_msg = [&](uint8_t type, const InterfaceAddress& a) {
    const bool has_brd = !a.broadaddr.empty();
    std::vector<std::string> sas = {a.netmask, LinkSockaddr(ifp), a.addr};
    if (has_brd) sas.push_back(a.broadaddr);
    std::string m = Message(abi::kIfaMsghdrSize, type, sas);
    bytes::Store<int32_t>(m, abi::kIfamAddrsOff, abi::kRTA_NETMASK | abi::kRTA_IFP |
                                                     abi::kRTA_IFA |
                                                     (has_brd ? abi::kRTA_BRD : 0));
    bytes::Store<int32_t>(m, abi::kIfamFlagsOff, a.flags);
    bytes::Store<int32_t>(m, abi::kIfamMetricOff, ifp.metric());
    bytes::Store<uint16_t>(m, abi::kIfamIndexOff, uint16_t(ifp.index()));
    RouteBroadcast(m, a.family);
  };
  // The routes an address brings, announced as NetBSD's kernel announces
  // them (rt_newmsg): pid and seq 0, the network route without RTF_UP
  // once deleted.
  auto route_msgs = [&](uint8_t type, const InterfaceAddress& a) {
    std::shared_ptr<const AddressFamily> f;
    {
      std::lock_guard<std::mutex> lock(hooks_mu_);
      auto it = families_.find(a.family);
      if (it != families_.end()) f = it->second;
    }
    if (f == nullptr || !f->address_routes) return;
    std::vector<RouteEntry> routes = f->address_routes(ifp, a);
    if (type == abi::kRTM_DELETE) std::reverse(routes.begin(), routes.end());
    for (RouteEntry& e : routes) {
      if (type == abi::kRTM_DELETE && (e.flags & abi::kRTF_LOCAL) == 0) {
        e.flags = (e.flags & ~abi::kRTF_UP) | abi::kRTF_DONE;
      } else if (type == abi::kRTM_DELETE) {
        e.flags |= abi::kRTF_DONE;
      }
      std::string m = RouteMessage(e);
      m[abi::kRtmTypeOff] = char(type);
      RouteBroadcast(m, a.family);
    }
  };
  auto same = [](const InterfaceAddress& x, const InterfaceAddress& y) {
    return x.family == y.family && x.addr == y.addr && x.netmask == y.netmask &&
           x.broadaddr == y.broadaddr;
  };
  switch (event) {
    case InterfaceEvent::kUp:
    case InterfaceEvent::kDown:
      ifinfo();
      break;
    case InterfaceEvent::kAddressesChanged: {
      std::vector<InterfaceAddress> now = ifp.addresses(0), before;
      {
        std::lock_guard<std::mutex> lock(hooks_mu_);
        before = std::exchange(announced_[ifp.index()], now);
      }
      for (const InterfaceAddress& a : before) {
        if (std::none_of(now.begin(), now.end(), [&](const auto& b) { return same(a, b); })) {
          route_msgs(abi::kRTM_DELETE, a);
          addr_msg(abi::kRTM_DELADDR, a);
        }
      }
      // New addresses, and those whose family state changed (NetBSD
      // announces the end of duplicate address detection so).
      for (const InterfaceAddress& a : now) {
        if (std::none_of(before.begin(), before.end(), [&](const auto& b) {
              return same(a, b) && a.family_flags == b.family_flags;
            })) {
          addr_msg(abi::kRTM_NEWADDR, a);
          if (std::none_of(before.begin(), before.end(),
                           [&](const auto& b) { return same(a, b); })) {
            route_msgs(abi::kRTM_ADD, a);
          }
        }
      }
      break;
    }
    case InterfaceEvent::kDestroyed: {
      std::vector<InterfaceAddress> gone;
      {
        std::lock_guard<std::mutex> lock(hooks_mu_);
        auto it = announced_.find(ifp.index());
        if (it != announced_.end()) {
          gone = std::move(it->second);
          announced_.erase(it);
        }
      }
      for (const InterfaceAddress& a : gone) {
        route_msgs(abi::kRTM_DELETE, a);
        addr_msg(abi::kRTM_DELADDR, a);
      }
      RouteAnnounce(ifp, false);
      break;
    }
  }
}

std::string NetStack::IfList(int af, int index) const {
  std::string out;
  for (const std::shared_ptr<Interface>& ifp : Interfaces()) {
    if (index != 0 && index != ifp->index()) continue;
    // RTM_IFINFO with the interface's link address.
    std::string m = Message(abi::kIfMsghdrSize, abi::kRTM_IFINFO, {LinkSockaddr(*ifp)});
    bytes::Store<int32_t>(m, abi::kIfmAddrsOff, abi::kRTA_IFP);
    // NetBSD's if_flags is a short, sign-extended into ifm_flags.
    bytes::Store<int32_t>(m, abi::kIfmFlagsOff, int32_t(int16_t(uint16_t(ifp->flags()))));
    bytes::Store<uint16_t>(m, abi::kIfmIndexOff, uint16_t(ifp->index()));
    const std::string data = ifp->IfDataBytes();
    m.replace(abi::kIfmDataOff, data.size(), data);
    out += m;

    // RTM_NEWADDR per address: the link-level one, then every family's.
    auto add = [&](int addrs, const std::vector<std::string>& sas, int metric, int flags) {
      std::string a = Message(abi::kIfaMsghdrSize, abi::kRTM_NEWADDR, sas);
      bytes::Store<int32_t>(a, abi::kIfamAddrsOff, addrs);
      bytes::Store<int32_t>(a, abi::kIfamFlagsOff, flags);
      bytes::Store<int32_t>(a, abi::kIfamMetricOff, metric);
      bytes::Store<uint16_t>(a, abi::kIfamIndexOff, uint16_t(ifp->index()));
      out += a;
    };
    if (af == 0 || af == abi::kAF_LINK) {
      add(abi::kRTA_NETMASK | abi::kRTA_IFA, {LinkMaskSockaddr(*ifp), LinkSockaddr(*ifp)}, 0, 0);
    }
    const bool has_brd = (ifp->flags() & (abi::kIFF_BROADCAST | abi::kIFF_LOOPBACK)) != 0;
    for (const InterfaceAddress& a : ifp->addresses(af)) {
      add(abi::kRTA_NETMASK | abi::kRTA_IFA | abi::kRTA_BRD,
          {a.netmask, a.addr, has_brd ? a.broadaddr : std::string()}, ifp->metric(), a.flags);
    }
  }
  return out;
}

std::string NetStack::RouteMessage(const RouteEntry& e) const {
  // The link-level gateway: bare ("link#N", a whole sockaddr_dl of 20
  // bytes as NetBSD's interface routes hold it), named, or a neighbour's
  // address without a name.
  std::string gateway = e.gateway;
  if (e.gateway_link != 0) {
    std::shared_ptr<Interface> gw = FindInterfaceByIndex(e.gateway_link);
    if (gw != nullptr && e.gateway_link_named) {
      gateway = LinkSockaddr(*gw);
    } else {
      const size_t alen = e.gateway_lladdr.size();
      // Bare: the whole struct sockaddr_dl (its sdl_data is 12 bytes).
      gateway.assign(alen != 0 ? abi::SockaddrDlLen(0, alen) : abi::SockaddrDlLen(0, 12), '\0');
      gateway[abi::kSdlLenOff] = char(gateway.size());
      gateway[abi::kSdlFamilyOff] = char(abi::kAF_LINK);
      bytes::Store<uint16_t>(gateway, abi::kSdlIndexOff, uint16_t(e.gateway_link));
      gateway[abi::kSdlTypeOff] = char(gw != nullptr ? gw->type() : 0);
      gateway[abi::kSdlAlenOff] = char(alen);
      gateway.replace(abi::kSdlDataOff, alen,
                      std::string(e.gateway_lladdr.begin(), e.gateway_lladdr.end()));
    }
  }
  std::string ifp;
  if (e.ifp != 0) {
    if (std::shared_ptr<Interface> i = FindInterfaceByIndex(e.ifp)) ifp = LinkSockaddr(*i);
  }
  // The sockaddrs in RTAX order: dst, gateway, netmask, (genmask), ifp, ifa.
  int addrs = 0;
  std::string m(abi::kRtMsghdrSize, '\0');
  auto add = [&](int bit, const std::string& sa, bool present) {
    if (!present) return;
    addrs |= bit;
    AppendRtSockaddr(m, sa);
  };
  add(abi::kRTA_DST, e.dst, !e.dst.empty());
  add(abi::kRTA_GATEWAY, gateway, !gateway.empty());
  add(abi::kRTA_NETMASK, e.netmask, e.has_netmask);
  add(abi::kRTA_IFP, ifp, !ifp.empty());
  add(abi::kRTA_IFA, e.ifa, !e.ifa.empty());
  add(abi::kRTA_AUTHOR, e.author, !e.author.empty());
  bytes::Store<uint16_t>(m, abi::kRtmMsglenOff, uint16_t(m.size()));
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kRtmTypeOff] = char(abi::kRTM_GET);
  bytes::Store<uint16_t>(m, abi::kRtmIndexOff, uint16_t(e.index));
  bytes::Store<int32_t>(m, abi::kRtmFlagsOff, e.flags);
  bytes::Store<int32_t>(m, abi::kRtmAddrsOff, addrs);
  bytes::Store<uint64_t>(m, abi::kRtmRmxOff + abi::kRmxMtuOff, e.mtu);
  bytes::Store<int64_t>(m, abi::kRtmRmxOff + abi::kRmxExpireOff, e.expire);
  return m;
}

void NetStack::RouteMiss(int type, const RouteEntry& e, int error, int family) {
  std::string m = RouteMessage(e);
  m[abi::kRtmTypeOff] = char(type);
  bytes::Store<int32_t>(m, abi::kRtmFlagsOff, e.flags | abi::kRTF_DONE);
  bytes::Store<int32_t>(m, abi::kRtmErrnoOff, error);
  RouteBroadcast(m, family);
}

std::string NetStack::RouteDump(int af, bool flags_op, int flags) const {
  std::vector<std::shared_ptr<const AddressFamily>> families;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const auto& [family, f] : families_) {
      if ((af == 0 || af == family) && f->route_entries) families.push_back(f);
    }
  }
  std::string out;
  for (const std::shared_ptr<const AddressFamily>& f : families) {
    // NET_RT_DUMP: every route; NET_RT_FLAGS: the routes with one of
    // `flags`, and the neighbour caches unless `flags` excludes them.
    // NET_RT_FLAGS with 0 or RTF_LLINFO is a dump of the neighbour caches
    // alone (sysctl_rtable's lltable_sysctl_dump), not of routes.
    if (flags_op && (flags == 0 || (flags & abi::kRTF_LLINFO) != 0)) {
      for (const RouteEntry& e : f->route_entries(true)) out += RouteMessage(e);
      continue;
    }
    for (const RouteEntry& e : f->route_entries(false)) {
      if (!flags_op || (e.flags & flags) != 0) out += RouteMessage(e);
    }
  }
  return out;
}

absl::StatusOr<std::string> NetStack::RouteSysctl(const SysctlRequest& req) const {
  if (req.writing) return abi::Errno(abi::kEPERM);
  if (req.rest.size() != 3) return abi::Errno(abi::kEINVAL);
  const int af = uint8_t(req.rest[0]);  // NetBSD keeps it in a u_char
  std::string out;
  switch (req.rest[1]) {
    case abi::kNET_RT_IFLIST:
      out = IfList(af, req.rest[2]);
      break;
    case abi::kNET_RT_DUMP:
      out = RouteDump(af, false, 0);
      break;
    case abi::kNET_RT_FLAGS:
      // The neighbour caches are per family: NetBSD wants one named.
      if (af == 0 && (req.rest[2] == 0 || (req.rest[2] & abi::kRTF_LLINFO) != 0)) {
        return abi::Errno(abi::kEINVAL);
      }
      out = RouteDump(af, true, req.rest[2]);
      break;
    default:
      return abi::Errno(abi::kEINVAL);
  }
  // sysctl_rtable answers a size query with 110% of the need.
  if (req.size_query) out.resize(11 * out.size() / 10);
  return out;
}

}  // namespace rump
