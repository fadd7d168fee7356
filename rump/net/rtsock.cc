// The net.route.0 sysctl (NetBSD's sysctl_rtable in sys/net/rtsock.c):
// NET_RT_IFLIST, what getifaddrs() reads.
#include <algorithm>
#include <mutex>

#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
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

}  // namespace

std::string NetStack::IfList(int af, int index) const {
  std::string out;
  for (const std::shared_ptr<Interface>& ifp : Interfaces()) {
    if (index != 0 && index != ifp->index()) continue;
    // RTM_IFINFO with the interface's link address.
    std::string m = Message(abi::kIfMsghdrSize, abi::kRTM_IFINFO, {LinkSockaddr(*ifp)});
    bytes::Store<int32_t>(m, abi::kIfmAddrsOff, abi::kRTA_IFP);
    bytes::Store<int32_t>(m, abi::kIfmFlagsOff, int32_t(ifp->flags()));
    bytes::Store<uint16_t>(m, abi::kIfmIndexOff, uint16_t(ifp->index()));
    const std::string data = ifp->IfDataBytes();
    m.replace(abi::kIfmDataOff, data.size(), data);
    out += m;

    // RTM_NEWADDR per address: the link-level one, then every family's.
    auto add = [&](int addrs, const std::vector<std::string>& sas, int metric) {
      std::string a = Message(abi::kIfaMsghdrSize, abi::kRTM_NEWADDR, sas);
      bytes::Store<int32_t>(a, abi::kIfamAddrsOff, addrs);
      bytes::Store<int32_t>(a, abi::kIfamFlagsOff, 0);
      bytes::Store<int32_t>(a, abi::kIfamMetricOff, metric);
      bytes::Store<uint16_t>(a, abi::kIfamIndexOff, uint16_t(ifp->index()));
      out += a;
    };
    if (af == 0 || af == abi::kAF_LINK) {
      add(abi::kRTA_NETMASK | abi::kRTA_IFA, {LinkMaskSockaddr(*ifp), LinkSockaddr(*ifp)}, 0);
    }
    const bool has_brd = (ifp->flags() & (abi::kIFF_BROADCAST | abi::kIFF_LOOPBACK)) != 0;
    for (const InterfaceAddress& a : ifp->addresses(af)) {
      add(abi::kRTA_NETMASK | abi::kRTA_IFA | abi::kRTA_BRD,
          {a.netmask, a.addr, has_brd ? a.broadaddr : std::string()}, ifp->metric());
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

std::string NetStack::RouteDump(int af, bool flags_op, int flags) const {
  std::vector<std::shared_ptr<const AddressFamily>> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [family, f] : families_) {
      if ((af == 0 || af == family) && f->route_entries) families.push_back(f);
    }
  }
  std::string out;
  for (const std::shared_ptr<const AddressFamily>& f : families) {
    // NET_RT_DUMP: every route; NET_RT_FLAGS: the routes with one of
    // `flags`, and the neighbour caches unless `flags` excludes them.
    for (const RouteEntry& e : f->route_entries(false)) {
      if (!flags_op || (e.flags & flags) != 0) out += RouteMessage(e);
    }
    if (flags_op && (flags == 0 || (flags & abi::kRTF_LLINFO) != 0)) {
      for (const RouteEntry& e : f->route_entries(true)) out += RouteMessage(e);
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
