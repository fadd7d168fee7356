// Inet::RouteEntries: the IPv4 routing table and ARP caches as the route
// sysctl (NET_RT_DUMP, NET_RT_FLAGS) shows them, laid out as NetBSD
// 7.99.34's kernel shows its own, so that NetBSD's route(8), netstat(1)
// and arp(8) print the same lines for both:
//  * an interface's network route is RTF_CLONING with a bare link-level
//    gateway ("link#N"); a route added by hand is RTF_STATIC;
//  * each of our addresses has a local host route (RTF_LOCAL) through the
//    loopback interface, with RTF_LLINFO on an Ethernet interface, where
//    the address is also a permanent ARP entry;
//  * netmasks are in the radix tree's form: the sockaddr cut after its
//    last non-zero byte, with the family and port bytes all ones; the
//    default route's is empty;
//  * entries come in the radix tree's walk order: by destination, the
//    shorter netmask first.
#include <arpa/inet.h>

#include <algorithm>
#include <tuple>

#include "absl/time/clock.h"
#include "rump/abi/route.h"
#include "rump/abi/in.h"
#include "rump/netinet/arp_cache.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_socket.h"
#include "rump/netinet/route_table.h"

namespace rump {
namespace {

using inet::SockaddrIn;

// The radix tree's netmask sockaddr for `mask` (network order).
std::string RadixMask(uint32_t mask) {
  const uint32_t m = ntohl(mask);
  int bytes = 0;
  for (int i = 0; i < 4; ++i) {
    if (((m >> (24 - 8 * i)) & 0xff) != 0) bytes = i + 1;
  }
  if (bytes == 0) return std::string();
  std::string s(abi::kSinAddrOff + size_t(bytes), char(0xff));
  s[abi::kSinLenOff] = char(s.size());
  for (int i = 0; i < bytes; ++i) s[abi::kSinAddrOff + size_t(i)] = char((m >> (24 - 8 * i)) & 0xff);
  return s;
}

}  // namespace

std::vector<RouteEntry> Inet::RouteEntries(bool neighbours) const {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  int loopback = 0;
  for (const IfInfo& i : snap->ifs) {
    if (i.loopback) {
      loopback = i.index;
      break;
    }
  }
  // (destination, prefix length) in host order: the walk order.
  std::vector<std::tuple<uint32_t, int, RouteEntry>> out;

  if (neighbours) {
    const absl::Time now = absl::Now();
    const int64_t wall = absl::ToUnixSeconds(now);
    for (const IfInfo& i : snap->ifs) {
      if (!i.ethernet) continue;
      auto add = [&](uint32_t ip, const inet::MacAddress& mac, int flags, int64_t expire) {
        RouteEntry e;
        e.flags = flags;
        e.index = i.index;
        e.dst = SockaddrIn(ip, 0);
        e.gateway_link = i.index;
        e.gateway_lladdr.assign(mac.begin(), mac.end());
        e.expire = expire;
        out.emplace_back(ntohl(ip), 32, std::move(e));
      };
      for (const inet::InAddress& a : i.addrs) {
        if (a.addr != 0) add(a.addr, i.mac, abi::kRTF_HOST | abi::kRTF_LLINFO | abi::kRTF_STATIC, 0);
      }
      std::shared_ptr<inet::ArpCache> cache = arp_cache(i.index);
      if (cache == nullptr) continue;
      for (const inet::ArpCache::Known& k : cache->Resolved(now)) {
        add(k.ip, k.mac, abi::kRTF_HOST | abi::kRTF_LLINFO,
            wall + std::max<int64_t>(1, absl::ToInt64Seconds(k.expire - now)));
      }
    }
  } else {
    for (const inet::Route& r : routes_.Entries()) {
      const IfInfo* i = FindIf(*snap, r.ifindex);
      RouteEntry e;
      e.flags = abi::kRTF_UP | (r.is_gateway ? abi::kRTF_GATEWAY : 0) |
                (r.is_host ? abi::kRTF_HOST : 0) |
                (r.is_interface ? abi::kRTF_CLONING : abi::kRTF_STATIC);
      e.index = r.ifindex;
      e.dst = SockaddrIn(r.dst, 0);
      if (r.is_gateway) {
        e.gateway = SockaddrIn(r.gateway, 0);
      } else {
        e.gateway_link = r.ifindex;
      }
      e.has_netmask = !r.is_host;
      if (e.has_netmask) e.netmask = RadixMask(r.netmask);
      e.ifp = r.ifindex;
      e.ifa = SockaddrIn(r.ifaddr, 0);
      int len = 32;
      inet::RouteTable::MaskLength(r.netmask, &len);
      // A loopback interface has only the local routes of its addresses
      // (NetBSD adds no network route for it).
      if (r.is_interface && i != nullptr && i->loopback) continue;
      out.emplace_back(ntohl(r.dst), r.is_host ? 32 : len, std::move(e));
    }
    // The local route of each of our addresses.
    for (const IfInfo& i : snap->ifs) {
      if (!(i.ifp->flags() & abi::kIFF_UP)) continue;
      for (const inet::InAddress& a : i.addrs) {
        if (a.addr == 0) continue;
        RouteEntry e;
        e.flags = abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LOCAL |
                  (i.ethernet ? abi::kRTF_LLINFO : 0);
        e.index = loopback != 0 ? loopback : i.index;
        e.dst = SockaddrIn(a.addr, 0);
        e.gateway_link = i.index;
        e.gateway_link_named = i.loopback;
        e.ifp = e.index;
        e.ifa = SockaddrIn(a.addr, 0);
        if (i.loopback) e.mtu = uint64_t(i.ifp->mtu());
        out.emplace_back(ntohl(a.addr), 33, std::move(e));  // after a host route of its own
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<RouteEntry> entries;
  entries.reserve(out.size());
  for (auto& t : out) entries.push_back(std::move(std::get<2>(t)));
  return entries;
}

}  // namespace rump
