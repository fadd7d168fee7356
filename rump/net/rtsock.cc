// The net.route.0 sysctl (NetBSD's sysctl_rtable in sys/net/rtsock.c):
// NET_RT_IFLIST, what getifaddrs() reads.
#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/net/bytes.h"
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
    case abi::kNET_RT_FLAGS:
      // Not served yet: the routing tables and neighbour caches belong to
      // the address families (rump/netinet: RouteTable, ArpCache), and
      // none of them turns its table into routing messages yet.
      return abi::Errno(abi::kEOPNOTSUPP, "no routing table yet");
    default:
      return abi::Errno(abi::kEINVAL);
  }
  // sysctl_rtable answers a size query with 110% of the need.
  if (req.size_query) out.resize(11 * out.size() / 10);
  return out;
}

}  // namespace rump
