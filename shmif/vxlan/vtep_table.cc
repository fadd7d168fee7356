#include "shmif/vxlan/vtep_table.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace shmif_vxlan {

std::string VtepAddress::ToString() const {
  return absl::StrFormat("%d.%d.%d.%d:%d", (ip >> 24) & 0xff, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
                         ip & 0xff, port);
}

std::string MacToString(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

MacAddress MacAt(const uint8_t* p) {
  MacAddress m;
  for (size_t i = 0; i < m.size(); ++i) m[i] = p[i];
  return m;
}

VtepTable::VtepTable(absl::Duration ageing_time, size_t capacity)
    : ageing_time_(ageing_time), capacity_(capacity) {}

VtepTable::Learned VtepTable::LearnRemote(const MacAddress& mac, const VtepAddress& remote,
                                          absl::Time now) {
  StationPlace place;
  place.kind = StationPlace::kRemote;
  place.remote = remote;
  return Learn(mac, place, now);
}

VtepTable::Learned VtepTable::LearnLocal(const MacAddress& mac, absl::Time now) {
  StationPlace place;
  place.kind = StationPlace::kLocal;
  return Learn(mac, place, now);
}

VtepTable::Learned VtepTable::Learn(const MacAddress& mac, const StationPlace& place,
                                    absl::Time now) {
  if (IsGroupMac(mac)) return Learned::kIgnored;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(mac);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) {
      ++refused_;
      return Learned::kIgnored;
    }
    entries_.emplace(mac, Entry{place, now});
    return Learned::kNew;
  }
  Entry& e = it->second;
  // An entry that had aged out (Age not run yet) is new again.
  const bool expired = now - e.last_seen > ageing_time_;
  const bool moved = e.place.kind != place.kind ||
                     (place.kind == StationPlace::kRemote && e.place.remote != place.remote);
  e.place = place;
  e.last_seen = now;
  if (expired) return Learned::kNew;
  return moved ? Learned::kMoved : Learned::kRefreshed;
}

StationPlace VtepTable::Lookup(const MacAddress& mac, absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(mac);
  if (it == entries_.end() || now - it->second.last_seen > ageing_time_) return StationPlace{};
  return it->second.place;
}

std::vector<VtepTable::AgedStation> VtepTable::Age(absl::Time now) {
  std::vector<AgedStation> aged;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.last_seen > ageing_time_) {
      aged.push_back(AgedStation{it->first, it->second.place});
      entries_.erase(it++);
    } else {
      ++it;
    }
  }
  return aged;
}

size_t VtepTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

size_t VtepTable::remote_stations() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [mac, e] : entries_) {
    if (e.place.kind == StationPlace::kRemote) ++n;
  }
  return n;
}

uint64_t VtepTable::refused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refused_;
}

}  // namespace shmif_vxlan
