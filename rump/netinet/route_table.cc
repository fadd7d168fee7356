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

uint32_t RouteTable::MaskOf(int len) {
  return len == 0 ? 0 : htonl(~uint32_t{0} << (32 - len));
}

void RouteTable::InsertLocked(int len, Entry e) {
  Bucket& b = by_len_[size_t(len)][e.route.dst];
  // Static routes first; within each kind, in age order (e is the newest).
  auto at = b.end();
  if (!e.route.is_interface) {
    at = std::find_if(b.begin(), b.end(), [](const Entry& x) { return x.route.is_interface; });
  }
  earliest_expiry_ = std::min(earliest_expiry_, e.route.expires);
  b.insert(at, std::move(e));
  ++size_;
}

template <typename Pred>
void RouteTable::RemoveIfLocked(Pred drop) {
  for (Level& level : by_len_) {
    for (auto it = level.begin(); it != level.end();) {
      Bucket& b = it->second;
      const size_t before = b.size();
      b.erase(std::remove_if(b.begin(), b.end(), drop), b.end());
      size_ -= before - b.size();
      it = b.empty() ? level.erase(it) : std::next(it);
    }
  }
}

const RouteTable::Entry* RouteTable::BestLocked(uint32_t dst, bool direct_only) const {
  for (int len = 32; len >= 0; --len) {
    const Level& level = by_len_[size_t(len)];
    if (level.empty()) continue;
    auto it = level.find(dst & MaskOf(len));
    if (it == level.end()) continue;
    for (const Entry& e : it->second) {
      if (!direct_only || !e.route.is_gateway) return &e;
    }
  }
  return nullptr;
}

absl::Status RouteTable::Add(Route route) {
  int len = 0;
  if (!MaskLength(route.netmask, &len)) return abi::Errno(abi::kEINVAL, "bad netmask");
  route.dst &= route.netmask;
  route.is_interface = false;
  route.is_host = route.netmask == 0xffffffffu;
  std::unique_lock<std::shared_mutex> lock(mu_);
  const Level& level = by_len_[size_t(len)];
  if (auto it = level.find(route.dst); it != level.end()) {
    for (const Entry& e : it->second) {
      if (!e.route.is_interface) return abi::Errno(abi::kEEXIST);
    }
  }
  if (route.is_gateway && (route.ifindex == 0 || route.ifaddr == 0)) {
    const Entry* via = BestLocked(route.gateway, /*direct_only=*/true);
    if (via == nullptr) return abi::Errno(abi::kENETUNREACH, "gateway unreachable");
    if (route.ifindex == 0) route.ifindex = via->route.ifindex;
    if (route.ifaddr == 0) route.ifaddr = via->route.ifaddr;
  }
  InsertLocked(len, Entry{route, next_seq_++});
  return absl::OkStatus();
}

absl::Status RouteTable::Delete(uint32_t dst, uint32_t netmask) {
  int len = 0;
  if (!MaskLength(netmask, &len)) return abi::Errno(abi::kESRCH);
  std::unique_lock<std::shared_mutex> lock(mu_);
  Level& level = by_len_[size_t(len)];
  auto it = level.find(dst & netmask);
  if (it == level.end()) return abi::Errno(abi::kESRCH);
  Bucket& b = it->second;
  auto e = std::find_if(b.begin(), b.end(), [](const Entry& x) { return !x.route.is_interface; });
  if (e == b.end()) return abi::Errno(abi::kESRCH);
  b.erase(e);
  --size_;
  if (b.empty()) level.erase(it);
  return absl::OkStatus();
}

std::optional<Route> RouteTable::Lookup(uint32_t dst) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Entry* e = BestLocked(dst, /*direct_only=*/false);
  if (e == nullptr) return std::nullopt;
  return e->route;
}

std::optional<Route> RouteTable::Find(uint32_t dst, uint32_t netmask, bool static_only) const {
  int len = 0;
  if (!MaskLength(netmask, &len)) return std::nullopt;
  std::shared_lock<std::shared_mutex> lock(mu_);
  const Level& level = by_len_[size_t(len)];
  auto it = level.find(dst & netmask);
  if (it == level.end()) return std::nullopt;
  for (const Entry& e : it->second) {
    if (!static_only || !e.route.is_interface) return e.route;
  }
  return std::nullopt;
}

void RouteTable::SetInterfaceRoutes(int ifindex, std::vector<Route> routes) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  RemoveIfLocked(
      [ifindex](const Entry& e) { return e.route.is_interface && e.route.ifindex == ifindex; });
  for (Route& r : routes) {
    int len = 0;
    if (!MaskLength(r.netmask, &len)) continue;
    r.dst &= r.netmask;
    r.ifindex = ifindex;
    r.is_interface = true;
    r.is_host = r.netmask == 0xffffffffu;
    InsertLocked(len, Entry{r, next_seq_++});
  }
}

void RouteTable::RemoveInterface(int ifindex) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  RemoveIfLocked([ifindex](const Entry& e) { return e.route.ifindex == ifindex; });
}

size_t RouteTable::RemoveExpired(absl::Time now) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (now < earliest_expiry_) return 0;
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  const size_t before = size_;
  absl::Time next = absl::InfiniteFuture();
  RemoveIfLocked([now, &next](const Entry& e) {
    if (e.route.expires <= now) return true;
    next = std::min(next, e.route.expires);
    return false;
  });
  earliest_expiry_ = next;
  return before - size_;
}

std::vector<Route> RouteTable::Entries() const {
  std::vector<std::pair<int, Entry>> all;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    all.reserve(size_);
    for (int len = 32; len >= 0; --len) {
      for (const auto& [dst, bucket] : by_len_[size_t(len)]) {
        for (const Entry& e : bucket) all.emplace_back(len, e);
      }
    }
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    if (a.second.route.is_interface != b.second.route.is_interface) {
      return !a.second.route.is_interface;
    }
    return a.second.seq < b.second.seq;
  });
  std::vector<Route> out;
  out.reserve(all.size());
  for (const auto& [len, e] : all) out.push_back(e.route);
  return out;
}

size_t RouteTable::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return size_;
}

}  // namespace rump::inet
