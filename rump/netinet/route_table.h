// RouteTable: the IPv4 routing table (NetBSD's rtable for AF_INET, without
// the radix tree): destination/netmask entries with a gateway or a direct
// interface, looked up by longest-prefix match.
//
// Interface routes (kInterface) are owned by the IPv4 component, which
// replaces an interface's set whenever its addresses or up/down state
// change (SetInterfaceRoutes); static routes (the default route, host
// routes, gateways: what the routing socket and route(8) will add) are
// added and deleted through Add/Delete and survive address changes, but
// go when their interface is destroyed.
//
// Promises: Lookup picks the entry with the longest netmask that matches;
// among equal netmasks, a static route wins over an interface route and an
// older one over a newer one. Thread-safe; lookups take a shared lock.
// Addresses and netmasks are in network order.
#ifndef RUMP_NETINET_ROUTE_TABLE_H_
#define RUMP_NETINET_ROUTE_TABLE_H_

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "absl/status/status.h"

namespace rump::inet {

struct Route {
  uint32_t dst = 0;       // network order, already masked
  uint32_t netmask = 0;   // network order; 0xffffffff for a host route
  uint32_t gateway = 0;   // next hop (network order) for RTF_GATEWAY routes
  int ifindex = 0;        // the outgoing interface
  uint32_t ifaddr = 0;    // the source address of that interface (rt_ifa)
  bool is_gateway = false;
  bool is_host = false;
  bool is_interface = false;  // made from an interface address (not static)
};

class RouteTable {
 public:
  // Adds a static route. `route.dst` is masked with the netmask. With
  // is_gateway, ifindex/ifaddr may be 0: they are taken from the route that
  // reaches the gateway directly (ENETUNREACH if none). EEXIST for an entry
  // with the same destination and netmask; EINVAL for a non-contiguous mask.
  absl::Status Add(Route route);
  // Deletes the static route for dst/netmask (ESRCH if none).
  absl::Status Delete(uint32_t dst, uint32_t netmask);
  // The best route to `dst`, or nullopt.
  std::optional<Route> Lookup(uint32_t dst) const;
  // Replaces interface `ifindex`'s interface routes with `routes`.
  void SetInterfaceRoutes(int ifindex, std::vector<Route> routes);
  // Removes every route through `ifindex` (the interface is gone).
  void RemoveInterface(int ifindex);
  // Every entry, most specific first.
  std::vector<Route> Entries() const;

  // Whether `mask` (network order) is a contiguous netmask, and its length.
  static bool MaskLength(uint32_t mask, int* len);

 private:
  struct Entry {
    Route route;
    int prefix_len = 0;
    uint64_t seq = 0;
  };
  void SortLocked();

  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;  // sorted: longest prefix, static, oldest
  uint64_t next_seq_ = 1;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_ROUTE_TABLE_H_
