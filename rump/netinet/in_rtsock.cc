// IPv4's side of the routing socket and the route sysctl.
//
// Inet::RouteRequest carries out what route(8) writes to a routing socket:
// RTM_ADD, RTM_DELETE and RTM_CHANGE of static routes (a route without a
// netmask, or with RTF_HOST, is a host route; the gateway is a next hop
// with RTF_GATEWAY, else the interface holding that address, or a
// link-level sockaddr naming the interface), and RTM_GET (the exact entry
// when a netmask is given, else the longest match).
//
// Inet::ArpRequest answers arp(8), whose requests carry RTF_LLINFO: an
// RTM_GET of an on-link address is its ARP entry (dst the address itself,
// gateway a link-level sockaddr with the MAC address, or none yet, as
// NetBSD 7's cloning route answers), RTM_ADD with a link-level gateway
// sets an entry by hand (permanent, or until rmx_expire with RTV_EXPIRE;
// RTF_ANNOUNCE publishes it for proxy ARP), RTM_DELETE removes one. Our
// own addresses' entries cannot be removed (EPERM) nor replaced (EEXIST).
//
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
#include <cstring>
#include <optional>
#include <tuple>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/net/bytes.h"
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

// The IPv4 address of a routing message's sockaddr_in.
std::optional<uint32_t> InAddrOf(const std::string& sa) {
  if (sa.size() < abi::kSinAddrOff + 4 || uint8_t(sa[abi::kSinFamilyOff]) != abi::kAF_INET) {
    return std::nullopt;
  }
  uint32_t a;
  std::memcpy(&a, sa.data() + abi::kSinAddrOff, 4);
  return a;
}

// A netmask as route(8) sends it or the radix tree keeps it: the address
// bytes up to sa_len, zero beyond.
uint32_t MaskOf(const std::string& sa) {
  uint8_t b[4] = {};
  for (size_t i = 0; i < 4 && abi::kSinAddrOff + i < sa.size(); ++i) {
    b[i] = uint8_t(sa[abi::kSinAddrOff + i]);
  }
  uint32_t m;
  std::memcpy(&m, b, 4);
  return m;
}

RouteEntry ToRouteEntry(const inet::Route& r) {
  RouteEntry e;
  e.flags = abi::kRTF_UP | (r.is_gateway ? abi::kRTF_GATEWAY : 0) |
            (r.is_host ? abi::kRTF_HOST : 0) |
            (r.is_interface ? abi::kRTF_CLONING
                            : r.dynamic ? abi::kRTF_DYNAMIC : abi::kRTF_STATIC) |
            (r.modified ? abi::kRTF_MODIFIED : 0);
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
  return e;
}

}  // namespace

std::optional<absl::StatusOr<RouteEntry>> Inet::ArpRequest(const RouteCommand& cmd,
                                                           uint32_t dst) {
  const std::shared_ptr<const Snapshot> snap = snapshot();
  const std::string& gw = cmd.sa[abi::kRTAX_GATEWAY];
  const bool link_gw = gw.size() >= abi::kSdlDataOff && uint8_t(gw[abi::kSdlFamilyOff]) == abi::kAF_LINK;
  // The Ethernet interface `dst` is on: the one a link-level gateway names,
  // else the one its route leads out of directly.
  const IfInfo* info = nullptr;
  const int named = link_gw ? (uint8_t(gw[abi::kSdlIndexOff]) | uint8_t(gw[abi::kSdlIndexOff + 1]) << 8) : 0;
  if (named != 0) {
    info = FindIf(*snap, named);
    if (info == nullptr) return abi::Errno(abi::kENETUNREACH, "no interface of that index");
  } else {
    const std::optional<inet::Route> r = routes_.Lookup(dst);
    if (!r || r->is_gateway) {
      if (cmd.type == abi::kRTM_GET) return std::nullopt;  // route get's answer
      return abi::Errno(abi::kENETUNREACH, "not on a directly connected network");
    }
    info = FindIf(*snap, r->ifindex);
    if (info == nullptr) return abi::Errno(abi::kENETUNREACH);
  }
  if (!info->ethernet) {
    if (cmd.type == abi::kRTM_GET) return std::nullopt;
    return abi::Errno(abi::kEINVAL, "no ARP on this interface");
  }
  // Our address on that network (the entry's RTA_IFA), and whether `dst`
  // is one of ours.
  uint32_t ifaddr = info->addrs.empty() ? 0 : info->addrs.front().addr;
  bool ours = false, on_link = false;
  for (const inet::InAddress& a : info->addrs) {
    if (a.addr == dst) ours = true;
    if (a.addr != 0 && (a.addr & a.netmask) == (dst & a.netmask)) {
      on_link = true;
      ifaddr = a.addr;
    }
  }
  if (!on_link && cmd.type != abi::kRTM_GET) {
    return abi::Errno(abi::kENETUNREACH, "not on a network of that interface");
  }
  const std::shared_ptr<inet::ArpCache> cache = arp_cache(info->index);
  if (cache == nullptr) return abi::Errno(abi::kENETUNREACH);
  const absl::Time now = absl::Now();
  auto entry = [&](int flags, const inet::MacAddress* mac, int64_t expire, bool published) {
    RouteEntry e;
    e.flags = flags;
    e.index = info->index;
    e.dst = SockaddrIn(dst, 0);
    if (published) bytes::Store<uint16_t>(e.dst, abi::kSinOtherOff, abi::kSIN_PROXY);
    e.gateway_link = info->index;
    if (mac != nullptr) e.gateway_lladdr.assign(mac->begin(), mac->end());
    e.expire = expire;
    e.ifp = info->index;
    e.ifa = SockaddrIn(ifaddr, 0);
    return e;
  };
  auto expire_of = [&](const inet::ArpCache::Known& k) -> int64_t {
    if (k.expire == absl::InfiniteFuture()) return 0;
    return absl::ToUnixSeconds(now) + std::max<int64_t>(1, absl::ToInt64Seconds(k.expire - now));
  };
  auto known_flags = [](const inet::ArpCache::Known& k) {
    return abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LLINFO |
           (k.is_static ? abi::kRTF_STATIC : 0) | (k.published ? abi::kRTF_ANNOUNCE : 0);
  };

  switch (cmd.type) {
    case abi::kRTM_GET: {
      if (ours) {
        return entry(abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LLINFO | abi::kRTF_STATIC |
                         abi::kRTF_LOCAL,
                     &info->mac, 0, false);
      }
      if (const std::optional<inet::ArpCache::Known> k = cache->Find(dst, now)) {
        return entry(known_flags(*k), &k->mac, expire_of(*k), k->published);
      }
      // Nothing known yet: the neighbour as NetBSD's cloning route answers
      // it, with no link address (arp -s takes the interface from it).
      return entry(abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LLINFO, nullptr, 0, false);
    }
    case abi::kRTM_ADD: {
      const size_t nlen = uint8_t(gw[abi::kSdlNlenOff]);
      const size_t alen = uint8_t(gw[abi::kSdlAlenOff]);
      if (alen != 6 || abi::kSdlDataOff + nlen + alen > gw.size()) {
        return abi::Errno(abi::kEINVAL, "not an Ethernet address");
      }
      if (ours) return abi::Errno(abi::kEEXIST, "one of our own addresses");
      inet::ArpCache::Manual m;
      std::copy_n(gw.begin() + std::ptrdiff_t(abi::kSdlDataOff + nlen), 6, m.mac.begin());
      if ((cmd.inits & abi::kRTV_EXPIRE) != 0 && cmd.expire != 0) {
        m.expire = absl::FromUnixSeconds(cmd.expire);
      }
      m.is_static = (cmd.flags & abi::kRTF_STATIC) != 0;
      m.published = (cmd.flags & abi::kRTF_ANNOUNCE) != 0;
      for (const std::vector<uint8_t>& p : cache->SetManual(dst, m, now)) {
        if (EtherOutput(*info, m.mac, inet::kEtherTypeIp, p).ok()) {
          arp_stats_.Inc(inet::kArpDfrSent);
        }
      }
      return entry(cmd.flags, &m.mac, m.expire ? cmd.expire : 0, m.published);
    }
    case abi::kRTM_DELETE: {
      if (ours) return abi::Errno(abi::kEPERM, "one of our own addresses");
      const std::optional<inet::ArpCache::Known> k = cache->Find(dst, now);
      size_t dropped = 0;
      // (NetBSD's lltable answers ENOENT, which arp(8) reports.)
      if (!cache->Remove(dst, &dropped)) return abi::Errno(abi::kENOENT);
      arp_stats_.Inc(inet::kArpDfrDropped, dropped);
      return entry(cmd.flags, k ? &k->mac : nullptr, k ? expire_of(*k) : 0,
                   k && k->published);
    }
    default:
      return std::nullopt;
  }
}

absl::StatusOr<RouteEntry> Inet::RouteRequest(const RouteCommand& cmd) {
  const std::optional<uint32_t> dst = InAddrOf(cmd.sa[abi::kRTAX_DST]);
  if (!dst) return abi::Errno(abi::kEINVAL, "destination is not an IPv4 sockaddr");
  // arp(8): RTF_LLINFO on a lookup, or with a link-level gateway on an
  // add or delete, is about the ARP cache.
  if ((cmd.flags & abi::kRTF_LLINFO) != 0) {
    const std::string& gw = cmd.sa[abi::kRTAX_GATEWAY];
    const bool link_gw = gw.size() >= 2 && uint8_t(gw[abi::kSdlFamilyOff]) == abi::kAF_LINK;
    if (cmd.type == abi::kRTM_GET ||
        (link_gw && (cmd.type == abi::kRTM_ADD || cmd.type == abi::kRTM_DELETE))) {
      if (std::optional<absl::StatusOr<RouteEntry>> r = ArpRequest(cmd, *dst)) return *r;
    }
  }
  const std::string& mask_sa = cmd.sa[abi::kRTAX_NETMASK];
  const bool has_mask = (cmd.flags & abi::kRTF_HOST) == 0 && !mask_sa.empty();
  // A netmask of sa_len 0 (the default route's) is present but empty:
  // RouteOutput keeps it as an empty string, as an absent one.
  const uint32_t netmask = has_mask ? MaskOf(mask_sa) : 0xffffffffu;
  int prefix = 0;
  if (!inet::RouteTable::MaskLength(netmask, &prefix)) {
    return abi::Errno(abi::kEINVAL, "netmask is not contiguous");
  }
  const bool default_route = *dst == 0 && (cmd.flags & abi::kRTF_HOST) == 0;
  const uint32_t mask = default_route && !has_mask ? 0 : netmask;

  switch (cmd.type) {
    case abi::kRTM_GET: {
      // One of our own addresses, looked up: its local route, unless a
      // host route of its own is there.
      if (!has_mask && !default_route && !routes_.Find(*dst, 0xffffffffu, false)) {
        const std::shared_ptr<const Snapshot> snap = snapshot();
        int loopback = 0;
        for (const IfInfo& i : snap->ifs) {
          if (i.loopback && loopback == 0) loopback = i.index;
        }
        for (const IfInfo& i : snap->ifs) {
          if (!(i.ifp->flags() & abi::kIFF_UP)) continue;
          for (const inet::InAddress& a : i.addrs) {
            if (a.addr != 0 && a.addr == *dst) return LocalRouteEntry(i, a.addr, loopback);
          }
        }
      }
      std::optional<inet::Route> r = has_mask || default_route
                                         ? routes_.Find(*dst, mask, false)
                                         : routes_.Lookup(*dst);
      if (!r) return abi::Errno(abi::kESRCH);
      return ToRouteEntry(*r);
    }
    case abi::kRTM_DELETE: {
      std::optional<inet::Route> r = routes_.Find(*dst, mask, true);
      if (!r) return abi::Errno(abi::kESRCH);
      if (absl::Status s = routes_.Delete(r->dst, r->netmask); !s.ok()) return s;
      return ToRouteEntry(*r);
    }
    case abi::kRTM_ADD:
    case abi::kRTM_CHANGE: {
      inet::Route r;
      r.dst = *dst & mask;
      r.netmask = mask;
      r.is_host = mask == 0xffffffffu;
      const std::string& gw = cmd.sa[abi::kRTAX_GATEWAY];
      const std::shared_ptr<const Snapshot> snap = snapshot();
      if (gw.size() >= 2 && uint8_t(gw[1]) == abi::kAF_LINK) {
        // A link-level gateway: the interface of that index (sdl_index).
        const int index = gw.size() >= 4 ? (uint8_t(gw[2]) | uint8_t(gw[3]) << 8) : 0;
        const IfInfo* i = FindIf(*snap, index);
        if (i == nullptr || i->addrs.empty()) return abi::Errno(abi::kENETUNREACH);
        r.ifindex = i->index;
        r.ifaddr = i->addrs.front().addr;
      } else if (std::optional<uint32_t> g = InAddrOf(gw)) {
        if (cmd.flags & abi::kRTF_GATEWAY) {
          r.is_gateway = true;
          r.gateway = *g;
        } else {
          // "-interface": the interface that holds the address.
          for (const IfInfo& i : snap->ifs) {
            for (const inet::InAddress& a : i.addrs) {
              if (a.addr == *g) {
                r.ifindex = i.index;
                r.ifaddr = a.addr;
              }
            }
          }
          if (r.ifindex == 0) return abi::Errno(abi::kENETUNREACH);
        }
      } else {
        return abi::Errno(abi::kEINVAL, "no usable gateway");
      }
      std::optional<inet::Route> old;
      if (cmd.type == abi::kRTM_CHANGE) {
        old = routes_.Find(*dst, mask, true);
        if (!old) return abi::Errno(abi::kESRCH);
        if (absl::Status s = routes_.Delete(old->dst, old->netmask); !s.ok()) return s;
      }
      if (absl::Status s = routes_.Add(r); !s.ok()) {
        if (old) routes_.Add(*old).IgnoreError();  // a failed change changes nothing
        return s;
      }
      std::optional<inet::Route> added = routes_.Find(r.dst, r.netmask, true);
      return ToRouteEntry(added ? *added : r);
    }
    default:
      return abi::Errno(abi::kEOPNOTSUPP);
  }
}

std::vector<RouteEntry> Inet::AddressRoutes(const Interface& ifp, const InterfaceAddress& a) {
  const std::optional<uint32_t> addr = InAddrOf(a.addr);
  if (!addr || *addr == 0) return {};
  std::vector<RouteEntry> out;
  RouteEntry local;
  local.flags = abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LOCAL |
                (ifp.is_ethernet() ? abi::kRTF_LLINFO : 0);
  local.index = ifp.index();
  local.dst = SockaddrIn(*addr, 0);
  local.gateway_link = ifp.index();
  out.push_back(std::move(local));
  const uint32_t mask = MaskOf(a.netmask);
  if (!(ifp.flags() & abi::kIFF_LOOPBACK) && mask != 0xffffffffu) {
    RouteEntry net;
    net.flags = abi::kRTF_UP | abi::kRTF_DONE | abi::kRTF_CLONING;
    net.index = ifp.index();
    net.dst = SockaddrIn(*addr & mask, 0);
    net.gateway_link = ifp.index();
    net.has_netmask = true;
    net.netmask = RadixMask(mask);
    net.ifp = ifp.index();
    net.ifa = SockaddrIn(*addr, 0);
    out.push_back(std::move(net));
  }
  return out;
}

RouteEntry Inet::LocalRouteEntry(const IfInfo& i, uint32_t addr, int loopback) {
  RouteEntry e;
  e.flags = abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LOCAL | (i.ethernet ? abi::kRTF_LLINFO : 0);
  e.index = loopback != 0 ? loopback : i.index;
  e.dst = SockaddrIn(addr, 0);
  e.gateway_link = i.index;
  e.gateway_link_named = i.loopback;
  e.ifp = e.index;
  e.ifa = SockaddrIn(addr, 0);
  if (i.loopback) e.mtu = uint64_t(i.ifp->mtu());
  return e;
}

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
      auto add = [&](uint32_t ip, const inet::MacAddress& mac, int flags, int64_t expire,
                     bool published = false) {
        RouteEntry e;
        e.flags = flags;
        e.index = i.index;
        e.dst = SockaddrIn(ip, 0);
        if (published) bytes::Store<uint16_t>(e.dst, abi::kSinOtherOff, abi::kSIN_PROXY);
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
        // Entries set by hand: RTF_STATIC if asked for, rmx_expire 0 when
        // permanent; published ones marked SIN_PROXY, as NetBSD's are.
        add(k.ip, k.mac,
            abi::kRTF_HOST | abi::kRTF_LLINFO | (k.is_static ? abi::kRTF_STATIC : 0) |
                (k.published ? abi::kRTF_ANNOUNCE : 0),
            k.expire == absl::InfiniteFuture()
                ? 0
                : wall + std::max<int64_t>(1, absl::ToInt64Seconds(k.expire - now)),
            k.published);
      }
    }
  } else {
    for (const inet::Route& r : routes_.Entries()) {
      // A loopback interface has only the local routes of its addresses
      // (NetBSD adds no network route for it).
      const IfInfo* i = FindIf(*snap, r.ifindex);
      if (r.is_interface && i != nullptr && i->loopback) continue;
      int len = 32;
      inet::RouteTable::MaskLength(r.netmask, &len);
      out.emplace_back(ntohl(r.dst), r.is_host ? 32 : len, ToRouteEntry(r));
    }
    // The local route of each of our addresses.
    for (const IfInfo& i : snap->ifs) {
      if (!(i.ifp->flags() & abi::kIFF_UP)) continue;
      for (const inet::InAddress& a : i.addrs) {
        if (a.addr == 0) continue;
        // After a host route of its own.
        out.emplace_back(ntohl(a.addr), 33, LocalRouteEntry(i, a.addr, loopback));
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
