// RouteTable: the IPv4 routing table (NetBSD's rtable for AF_INET, without
// the radix tree): destination/netmask entries with a gateway or a direct
// interface, looked up by longest-prefix match. Entries are kept in one hash
// table per prefix length, so a lookup costs at most 33 probes however many
// routes there are (a router with 10,000 routes forwards as fast as one
// with 10).
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

#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

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
  // Made by an ICMP redirect (RTF_DYNAMIC), or a route whose gateway a
  // redirect changed (RTF_MODIFIED); either may expire.
  bool dynamic = false;
  bool modified = false;
  absl::Time expires = absl::InfiniteFuture();
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
  // The entry for exactly dst/netmask (the one Lookup would prefer among
  // them; with static_only, the static one), or nullopt.
  std::optional<Route> Find(uint32_t dst, uint32_t netmask, bool static_only) const;
  // Replaces interface `ifindex`'s interface routes with `routes`.
  void SetInterfaceRoutes(int ifindex, std::vector<Route> routes);
  // Removes every route through `ifindex` (the interface is gone).
  void RemoveInterface(int ifindex);
  // Removes the routes whose `expires` is at or before `now` (the ICMP
  // redirects' routes, after net.inet.icmp.redirtimeout); how many. Before
  // the earliest expiry in the table it returns at once under a shared
  // lock, so the slow timer's call does not stall lookups of a large table.
  size_t RemoveExpired(absl::Time now);
  // Every entry, most specific first (then static before interface routes,
  // then oldest first).
  std::vector<Route> Entries() const;
  size_t size() const;

  // Whether `mask` (network order) is a contiguous netmask, and its length.
  static bool MaskLength(uint32_t mask, int* len);

 private:
  struct Entry {
    Route route;
    uint64_t seq = 0;  // age: smaller is older
  };
  // The entries for one destination and netmask: static routes before
  // interface routes, each oldest first (the first is the one used).
  using Bucket = std::vector<Entry>;
  using Level = std::unordered_map<uint32_t, Bucket>;  // by masked destination

  static uint32_t MaskOf(int len);  // network order
  // The best entry for `dst`; with direct_only, the best that is not
  // through a gateway (where a gateway is reached).
  const Entry* BestLocked(uint32_t dst, bool direct_only) const;
  void InsertLocked(int len, Entry e);
  // Removes the entries `drop` picks, wherever they are.
  template <typename Pred>
  void RemoveIfLocked(Pred drop);

  mutable std::shared_mutex mu_;
  std::array<Level, 33> by_len_;  // index: prefix length
  size_t size_ = 0;
  uint64_t next_seq_ = 1;
  // No entry expires before this (it may be earlier than the true earliest
  // after removals; RemoveExpired then walks once and corrects it).
  absl::Time earliest_expiry_ = absl::InfiniteFuture();
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_ROUTE_TABLE_H_
