#include "rump/netinet/reassembly.h"

#include <algorithm>
#include <cstring>

#include "rump/abi/in.h"

namespace rump::inet {

void Reassembler::DropLocked(std::map<Key, Datagram>::iterator it) {
  bytes_ -= it->second.charged;
  queues_.erase(it);
}

void Reassembler::MakeRoomLocked(size_t need, const Key& keep, size_t* dropped) {
  while (bytes_ + need > config_.max_bytes) {
    auto oldest = queues_.end();
    for (auto it = queues_.begin(); it != queues_.end(); ++it) {
      if (it->first == keep) continue;
      if (oldest == queues_.end() || it->second.created < oldest->second.created) oldest = it;
    }
    if (oldest == queues_.end()) return;
    *dropped += oldest->second.fragments;
    DropLocked(oldest);
  }
}

Reassembler::Result Reassembler::Add(const IpHeader& h, absl::Span<const uint8_t> packet,
                                     absl::Time now) {
  Result r;
  const size_t hlen = h.hlen;
  if (packet.size() < hlen || h.total_len != packet.size()) {
    r.bad_fragment = true;
    r.dropped_fragments = 1;
    return r;
  }
  const absl::Span<const uint8_t> payload = packet.subspan(hlen);
  const size_t start = h.frag_offset_bytes();
  const size_t end = start + payload.size();
  const bool last = !h.more_fragments();
  // RFC 791: every fragment but the last carries a multiple of 8 bytes;
  // nothing may lie beyond 65535 bytes of datagram; empty fragments that
  // are not the last say nothing.
  if ((!last && (payload.empty() || payload.size() % 8 != 0)) ||
      hlen + end > abi::kIP_MAXPACKET) {
    r.bad_fragment = true;
    r.dropped_fragments = 1;
    return r;
  }
  std::lock_guard<std::mutex> lock(mu_);
  const Key key{h.src, h.dst, h.id, h.proto};
  auto it = queues_.find(key);
  if (it == queues_.end()) {
    while (!queues_.empty() && queues_.size() >= config_.max_datagrams) {
      auto oldest = queues_.begin();
      for (auto q = queues_.begin(); q != queues_.end(); ++q) {
        if (q->second.created < oldest->second.created) oldest = q;
      }
      r.dropped_fragments += oldest->second.fragments;
      DropLocked(oldest);
    }
    if (config_.max_datagrams == 0) {
      r.dropped_fragments += 1;
      return r;
    }
    Datagram d;
    d.created = now;
    it = queues_.emplace(key, std::move(d)).first;
  }
  Datagram& d = it->second;
  // Contradictions about the end of the datagram drop it all.
  if ((last && d.total && *d.total != end) || (d.total && end > *d.total) ||
      (last && !d.have.empty() && std::prev(d.have.end())->second > end)) {
    r.dropped_fragments += d.fragments + 1;
    r.bad_fragment = true;
    DropLocked(it);
    return r;
  }
  // Memory: the data buffer grows to `end`.
  const size_t grow = end > d.data.size() ? end - d.data.size() : 0;
  if (bytes_ + grow > config_.max_bytes) {
    MakeRoomLocked(grow, key, &r.dropped_fragments);
    if (bytes_ + grow > config_.max_bytes) {
      r.dropped_fragments += d.fragments + 1;
      DropLocked(it);
      return r;
    }
  }
  if (grow > 0) {
    d.data.resize(end);
    d.charged += grow;
    bytes_ += grow;
  }
  if (last) d.total = end;
  if (start == 0 && d.header.empty()) d.header.assign(packet.begin(), packet.begin() + hlen);
  ++d.fragments;
  // Copy in only the bytes not yet received; merge the ranges.
  size_t pos = start;
  auto hole_it = d.have.upper_bound(start);
  if (hole_it != d.have.begin()) {
    auto prev = std::prev(hole_it);
    if (prev->second > pos) {
      r.overlap = true;
      pos = std::min(prev->second, end);
    }
  }
  for (auto nx = hole_it; pos < end;) {
    const size_t stop = (nx != d.have.end()) ? std::min(nx->first, end) : end;
    if (stop > pos) std::memcpy(d.data.data() + pos, payload.data() + (pos - start), stop - pos);
    if (nx == d.have.end() || nx->first >= end) break;
    r.overlap = true;
    pos = std::max(stop, nx->second);
    ++nx;
  }
  // Merge [start, end) into the range set.
  size_t ns = start, ne = end;
  auto lo = d.have.upper_bound(ns);
  if (lo != d.have.begin() && std::prev(lo)->second >= ns) --lo;
  while (lo != d.have.end() && lo->first <= ne) {
    ns = std::min(ns, lo->first);
    ne = std::max(ne, lo->second);
    lo = d.have.erase(lo);
  }
  d.have.emplace(ns, ne);
  // Complete?
  if (d.total && !d.header.empty() && d.have.size() == 1 && d.have.begin()->first == 0 &&
      d.have.begin()->second == *d.total) {
    std::vector<uint8_t> out;
    out.reserve(d.header.size() + *d.total);
    out.insert(out.end(), d.header.begin(), d.header.end());
    out.insert(out.end(), d.data.begin(), d.data.begin() + *d.total);
    Put16(out.data() + 2, uint16_t(out.size()));
    Put16(out.data() + 6, uint16_t(Get16(out.data() + 6) & ~(abi::kIP_MF | abi::kIP_OFFMASK)));
    SetIpChecksum(out.data(), d.header.size());
    DropLocked(it);
    r.packet = std::move(out);
  }
  return r;
}

size_t Reassembler::Expire(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t dropped = 0;
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto next = std::next(it);
    if (now - it->second.created >= config_.timeout) {
      dropped += it->second.fragments;
      DropLocked(it);
    }
    it = next;
  }
  return dropped;
}

size_t Reassembler::datagrams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queues_.size();
}

size_t Reassembler::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace rump::inet
