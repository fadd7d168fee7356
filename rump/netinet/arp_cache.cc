#include "rump/netinet/arp_cache.h"

#include <arpa/inet.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace rump::inet {

ArpCache::Resolution ArpCache::Resolve(uint32_t ip, Packet& packet, absl::Time now) {
  Resolution r;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.resolved && now < e.expire) {
      r.kind = Resolution::kResolved;
      r.mac = e.mac;
      return r;
    }
    if (e.down && now < e.expire) {
      r.kind = Resolution::kHostDown;
      return r;
    }
    if (e.resolved || e.down) {  // expired: start over
      held_ -= e.hold.size();
      entries_.erase(it);
      it = entries_.end();
    }
  }
  if (it == entries_.end()) {
    if (entries_.size() >= config_.max_entries) EvictOneLocked();
    Entry e;
    e.created = now;
    it = entries_.emplace(ip, std::move(e)).first;
  }
  Entry& e = it->second;
  if (e.hold.size() >= config_.max_hold && !e.hold.empty()) {
    e.hold.pop_front();
    --held_;
    ++r.dropped;
  }
  if (config_.max_hold > 0) {
    e.hold.push_back(std::move(packet));
    ++held_;
  } else {
    ++r.dropped;
  }
  r.kind = Resolution::kQueued;
  if (e.tries == 0 || (now - e.last_request >= config_.retry_interval &&
                       e.tries < config_.max_tries)) {
    r.send_request = true;
    ++e.tries;
    e.last_request = now;
  }
  return r;
}

ArpCache::UpdateResult ArpCache::Update(uint32_t ip, const MacAddress& mac, bool create,
                                        absl::Time now) {
  UpdateResult u;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    if (!create) return u;
    if (entries_.size() >= config_.max_entries) EvictOneLocked();
    Entry e;
    e.created = now;
    it = entries_.emplace(ip, std::move(e)).first;
  }
  Entry& e = it->second;
  if (e.manual) return u;  // set by hand: ARP does not change it
  u.updated = true;
  u.changed = e.resolved && e.mac != mac;
  e.resolved = true;
  e.down = false;
  e.mac = mac;
  e.tries = 0;
  e.expire = now + config_.keep;
  held_ -= e.hold.size();
  u.released.assign(std::make_move_iterator(e.hold.begin()),
                    std::make_move_iterator(e.hold.end()));
  e.hold.clear();
  return u;
}

ArpCache::TickResult ArpCache::Tick(absl::Time now) {
  TickResult t;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if ((e.resolved || e.down) && now >= e.expire) {
      held_ -= e.hold.size();
      it = entries_.erase(it);
      continue;
    }
    if (!e.resolved && !e.down && now - e.last_request >= config_.retry_interval) {
      if (e.tries < config_.max_tries) {
        ++e.tries;
        e.last_request = now;
        t.requests.push_back(it->first);
      } else {
        e.down = true;
        e.expire = now + config_.down;
        t.dropped += e.hold.size();
        held_ -= e.hold.size();
        e.hold.clear();
        ++t.timeouts;
      }
    }
    ++it;
  }
  return t;
}

std::optional<MacAddress> ArpCache::Lookup(uint32_t ip, absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end() || !it->second.resolved || now >= it->second.expire) {
    return std::nullopt;
  }
  return it->second.mac;
}

std::vector<ArpCache::Known> ArpCache::Resolved(absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Known> out;
  for (const auto& [ip, e] : entries_) {
    if (e.resolved && e.expire > now) {
      out.push_back({ip, e.mac, e.expire, e.manual, e.is_static, e.published});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Known& a, const Known& b) { return ntohl(a.ip) < ntohl(b.ip); });
  return out;
}

std::optional<ArpCache::Known> ArpCache::Find(uint32_t ip, absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end() || !it->second.resolved || now >= it->second.expire) {
    return std::nullopt;
  }
  const Entry& e = it->second;
  return Known{ip, e.mac, e.expire, e.manual, e.is_static, e.published};
}

std::vector<ArpCache::Packet> ArpCache::SetManual(uint32_t ip, const Manual& m, absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    if (entries_.size() >= config_.max_entries) EvictOneLocked();
    it = entries_.emplace(ip, Entry{}).first;
  }
  Entry& e = it->second;
  std::vector<Packet> released(std::make_move_iterator(e.hold.begin()),
                               std::make_move_iterator(e.hold.end()));
  held_ -= e.hold.size();
  e = Entry{};
  e.created = now;
  e.resolved = true;
  e.mac = m.mac;
  e.expire = m.expire ? *m.expire : absl::InfiniteFuture();
  e.manual = true;
  e.is_static = m.is_static;
  e.published = m.published;
  return released;
}

bool ArpCache::Remove(uint32_t ip, size_t* dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (dropped != nullptr) *dropped = 0;
  if (it == entries_.end()) return false;
  if (dropped != nullptr) *dropped = it->second.hold.size();
  held_ -= it->second.hold.size();
  entries_.erase(it);
  return true;
}

std::optional<MacAddress> ArpCache::Published(uint32_t ip, absl::Time now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(ip);
  if (it == entries_.end() || !it->second.published || now >= it->second.expire) {
    return std::nullopt;
  }
  return it->second.mac;
}

size_t ArpCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

size_t ArpCache::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_;
}

size_t ArpCache::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = held_;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.manual ? std::next(it) : entries_.erase(it);
  }
  held_ = 0;  // manual entries hold nothing
  return n;
}

void ArpCache::EvictOneLocked() {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.manual) continue;  // only arp -d removes those
    if (victim == entries_.end()) {
      victim = it;
      continue;
    }
    // Prefer unresolved entries, then the oldest.
    const bool a = !it->second.resolved, b = !victim->second.resolved;
    if (a != b ? a : it->second.created < victim->second.created) victim = it;
  }
  if (victim != entries_.end()) {
    held_ -= victim->second.hold.size();
    entries_.erase(victim);
  }
}

}  // namespace rump::inet
