#include "rump/netinet/route_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <mutex>

#include "rump/abi/errno.h"

namespace rump::inet {

bool RouteTable::MaskLength(uint32_t mask, int* len) {
  const uint32_t m = ntohl(mask);
  const uint32_t inv = ~m;
  if ((inv & (inv + 1)) != 0) return false;  // ones then zeros only
  *len = __builtin_popcount(m);
  return true;
}

void RouteTable::SortLocked() {
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.prefix_len != b.prefix_len) return a.prefix_len > b.prefix_len;
    if (a.route.is_interface != b.route.is_interface) return !a.route.is_interface;
    return a.seq < b.seq;
  });
}

absl::Status RouteTable::Add(Route route) {
  int len = 0;
  if (!MaskLength(route.netmask, &len)) return abi::Errno(abi::kEINVAL, "bad netmask");
  route.dst &= route.netmask;
  route.is_interface = false;
  route.is_host = route.netmask == 0xffffffffu;
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const Entry& e : entries_) {
    if (e.route.dst == route.dst && e.route.netmask == route.netmask &&
        !e.route.is_interface) {
      return abi::Errno(abi::kEEXIST);
    }
  }
  if (route.is_gateway && (route.ifindex == 0 || route.ifaddr == 0)) {
    const Entry* via = nullptr;
    for (const Entry& e : entries_) {  // sorted: the first match is the best
      if (!e.route.is_gateway && (route.gateway & e.route.netmask) == e.route.dst) {
        via = &e;
        break;
      }
    }
    if (via == nullptr) return abi::Errno(abi::kENETUNREACH, "gateway unreachable");
    if (route.ifindex == 0) route.ifindex = via->route.ifindex;
    if (route.ifaddr == 0) route.ifaddr = via->route.ifaddr;
  }
  entries_.push_back(Entry{route, len, next_seq_++});
  SortLocked();
  return absl::OkStatus();
}

absl::Status RouteTable::Delete(uint32_t dst, uint32_t netmask) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return !e.route.is_interface && e.route.dst == (dst & netmask) &&
           e.route.netmask == netmask;
  });
  if (it == entries_.end()) return abi::Errno(abi::kESRCH);
  entries_.erase(it);
  return absl::OkStatus();
}

std::optional<Route> RouteTable::Lookup(uint32_t dst) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  for (const Entry& e : entries_) {
    if ((dst & e.route.netmask) == e.route.dst) return e.route;
  }
  return std::nullopt;
}

void RouteTable::SetInterfaceRoutes(int ifindex, std::vector<Route> routes) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) {
                                  return e.route.is_interface && e.route.ifindex == ifindex;
                                }),
                 entries_.end());
  for (Route& r : routes) {
    int len = 0;
    if (!MaskLength(r.netmask, &len)) continue;
    r.dst &= r.netmask;
    r.ifindex = ifindex;
    r.is_interface = true;
    r.is_host = r.netmask == 0xffffffffu;
    entries_.push_back(Entry{r, len, next_seq_++});
  }
  SortLocked();
}

void RouteTable::RemoveInterface(int ifindex) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.route.ifindex == ifindex; }),
                 entries_.end());
}

std::vector<Route> RouteTable::Entries() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<Route> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.route);
  return out;
}

}  // namespace rump::inet
