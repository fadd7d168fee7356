#include "rump/netinet6/nd6_cache.h"

#include <iterator>
#include <utility>

namespace rump::inet6 {

Nd6Cache::Nd6Cache(Nd6Config config) : config_(std::move(config)) { DrawReachableTimeLocked(); }

void Nd6Cache::DrawReachableTimeLocked() {
  const double r = config_.random ? config_.random() : 0.5;
  const double factor =
      abi::kMIN_RANDOM_FACTOR + (abi::kMAX_RANDOM_FACTOR - abi::kMIN_RANDOM_FACTOR) * r;
  reachable_time_ = config_.base_reachable_time * factor;
}

void Nd6Cache::AgeLocked(Neighbor& n, absl::Time now) const {
  if (n.state == NdState::kReachable && now >= n.reachable_until) n.state = NdState::kStale;
}

void Nd6Cache::MakeReachableLocked(Neighbor& n, absl::Time now) {
  n.state = NdState::kReachable;
  n.reachable_until = now + reachable_time_;
  n.probes = 0;
}

Nd6Cache::Action Nd6Cache::Deliver(const In6Address& neighbor, Neighbor& n) {
  Action a;
  a.kind = Action::kDeliver;
  a.neighbor = neighbor;
  a.mac = n.mac;
  a.packets.assign(std::make_move_iterator(n.queue.begin()), std::make_move_iterator(n.queue.end()));
  n.queue.clear();
  return a;
}

Nd6Cache::Map::iterator Nd6Cache::CreateLocked(const In6Address& neighbor, absl::Time now) {
  while (!entries_.empty() && entries_.size() >= config_.max_entries) {
    // The oldest INCOMPLETE entry, else the least recently used.
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      const bool inc = it->second.state == NdState::kIncomplete;
      if (victim == entries_.end()) {
        victim = it;
        continue;
      }
      const bool vinc = victim->second.state == NdState::kIncomplete;
      if ((inc && !vinc) || (inc == vinc && it->second.used < victim->second.used)) victim = it;
    }
    entries_.erase(victim);
  }
  Neighbor n;
  n.used = now;
  return entries_.insert_or_assign(neighbor, std::move(n)).first;
}

Nd6Cache::Resolution Nd6Cache::Resolve(const In6Address& neighbor, Packet& packet,
                                       absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Resolution r;
  auto it = entries_.find(neighbor);
  if (it == entries_.end()) {
    if (config_.max_entries == 0) {
      r.dropped = 1;
      return r;
    }
    it = CreateLocked(neighbor, now);
    Neighbor& n = it->second;
    n.state = NdState::kIncomplete;
    n.probes = 1;
    n.timer = now + config_.retrans_timer;
    Action ns;
    ns.kind = Action::kSendMulticastNs;
    ns.neighbor = neighbor;
    r.actions.push_back(std::move(ns));
  }
  Neighbor& n = it->second;
  AgeLocked(n, now);
  n.used = now;
  switch (n.state) {
    case NdState::kIncomplete:
      n.queue.push_back(std::move(packet));
      while (n.queue.size() > config_.max_queue) {
        n.queue.pop_front();
        ++r.dropped;
      }
      return r;
    case NdState::kStale:
      n.state = NdState::kDelay;
      n.timer = now + config_.delay_first_probe;
      n.probes = 0;
      break;
    case NdState::kReachable:
    case NdState::kDelay:
    case NdState::kProbe:
      break;
  }
  r.resolved = true;
  r.mac = n.mac;
  return r;
}

std::vector<Nd6Cache::Action> Nd6Cache::NeighborAdvertisement(
    const In6Address& target, const std::optional<MacAddress>& target_lla, bool solicited,
    bool override_flag, bool router, absl::Time now, bool* was_router) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Action> actions;
  if (was_router != nullptr) *was_router = false;
  auto it = entries_.find(target);
  if (it == entries_.end()) return actions;  // advertisements never create
  Neighbor& n = it->second;
  AgeLocked(n, now);
  if (n.state == NdState::kIncomplete) {
    if (!target_lla) return actions;
    n.mac = *target_lla;
    n.has_mac = true;
    if (solicited) {
      MakeReachableLocked(n, now);
    } else {
      n.state = NdState::kStale;
    }
    n.is_router = router;
    actions.push_back(Deliver(target, n));
    return actions;
  }
  const bool differs = target_lla && *target_lla != n.mac;
  if (!override_flag && differs) {
    // Keep the address; doubt it if it was reachable.
    if (n.state == NdState::kReachable) n.state = NdState::kStale;
    return actions;
  }
  if (differs) n.mac = *target_lla;
  if (solicited) {
    MakeReachableLocked(n, now);
  } else if (differs) {
    n.state = NdState::kStale;
  }
  if (n.is_router && !router && was_router != nullptr) *was_router = true;
  n.is_router = router;
  return actions;
}

std::vector<Nd6Cache::Action> Nd6Cache::LinkLayerHint(const In6Address& neighbor,
                                                      const MacAddress& lla, absl::Time now,
                                                      std::optional<bool> is_router) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Action> actions;
  auto it = entries_.find(neighbor);
  if (it == entries_.end()) {
    if (config_.max_entries == 0) return actions;
    it = CreateLocked(neighbor, now);
    Neighbor& n = it->second;
    n.state = NdState::kStale;
    n.mac = lla;
    n.has_mac = true;
    if (is_router) n.is_router = *is_router;
    return actions;
  }
  Neighbor& n = it->second;
  AgeLocked(n, now);
  if (is_router) n.is_router = *is_router;
  if (n.state == NdState::kIncomplete) {
    n.mac = lla;
    n.has_mac = true;
    n.state = NdState::kStale;
    actions.push_back(Deliver(neighbor, n));
    return actions;
  }
  if (lla != n.mac) {
    n.mac = lla;
    n.state = NdState::kStale;
  }
  return actions;
}

void Nd6Cache::ConfirmReachable(const In6Address& neighbor, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(neighbor);
  if (it == entries_.end() || !it->second.has_mac) return;
  MakeReachableLocked(it->second, now);
}

std::vector<Nd6Cache::Action> Nd6Cache::Tick(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Action> actions;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Neighbor& n = it->second;
    AgeLocked(n, now);
    Action a;
    a.neighbor = it->first;
    a.mac = n.mac;
    bool act = false, erase = false;
    switch (n.state) {
      case NdState::kIncomplete:
        if (now < n.timer) break;
        act = true;
        if (n.probes < config_.max_multicast_solicit) {
          ++n.probes;
          n.timer = now + config_.retrans_timer;
          a.kind = Action::kSendMulticastNs;
        } else {
          a.kind = Action::kUnreachable;
          a.packets.assign(std::make_move_iterator(n.queue.begin()),
                           std::make_move_iterator(n.queue.end()));
          erase = true;
        }
        break;
      case NdState::kDelay:
        if (now < n.timer) break;
        act = true;
        n.state = NdState::kProbe;
        n.probes = 1;
        n.timer = now + config_.retrans_timer;
        a.kind = Action::kSendUnicastNs;
        break;
      case NdState::kProbe:
        if (now < n.timer) break;
        act = true;
        if (n.probes < config_.max_unicast_solicit) {
          ++n.probes;
          n.timer = now + config_.retrans_timer;
          a.kind = Action::kSendUnicastNs;
        } else {
          a.kind = Action::kUnreachable;
          erase = true;
        }
        break;
      case NdState::kReachable:
      case NdState::kStale:
        break;
    }
    if (act) actions.push_back(std::move(a));
    it = erase ? entries_.erase(it) : std::next(it);
  }
  return actions;
}

std::optional<Nd6Cache::Entry> Nd6Cache::Lookup(const In6Address& neighbor,
                                                absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(neighbor);
  if (it == entries_.end()) return std::nullopt;
  const Neighbor& n = it->second;
  Entry e;
  e.state = n.state;
  if (e.state == NdState::kReachable && now >= n.reachable_until) e.state = NdState::kStale;
  if (n.has_mac) e.mac = n.mac;
  e.is_router = n.is_router;
  e.queued = n.queue.size();
  return e;
}

bool Nd6Cache::Remove(const In6Address& neighbor, size_t* dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(neighbor);
  if (it == entries_.end()) return false;
  if (dropped != nullptr) *dropped = it->second.queue.size();
  entries_.erase(it);
  return true;
}

size_t Nd6Cache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

size_t Nd6Cache::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t dropped = 0;
  for (const auto& [addr, n] : entries_) dropped += n.queue.size();
  entries_.clear();
  return dropped;
}

void Nd6Cache::set_base_reachable_time(absl::Duration base) {
  std::lock_guard<std::mutex> lock(mu_);
  config_.base_reachable_time = base;
  DrawReachableTimeLocked();
}

void Nd6Cache::set_retrans_timer(absl::Duration retrans) {
  std::lock_guard<std::mutex> lock(mu_);
  config_.retrans_timer = retrans;
}

absl::Duration Nd6Cache::reachable_time() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reachable_time_;
}

}  // namespace rump::inet6
