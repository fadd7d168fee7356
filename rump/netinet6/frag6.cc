#include "rump/netinet6/frag6.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace rump::inet6 {
namespace {

// What an ICMPv6 error may quote: the minimum MTU less its IPv6 and ICMPv6
// headers.
constexpr size_t kQuoteLen = abi::kIPV6_MMTU - abi::kIp6HeaderLen - abi::kIcmp6HeaderLen;

void SetPayloadLength(std::vector<uint8_t>& p) {
  const size_t plen = p.size() - abi::kIp6HeaderLen;
  p[4] = uint8_t(plen >> 8);
  p[5] = uint8_t(plen);
}

}  // namespace

void Frag6Reassembler::DropLocked(std::map<Key, Datagram>::iterator it) {
  bytes_ -= it->second.charged;
  fragments_ -= it->second.fragments;
  queues_.erase(it);
}

void Frag6Reassembler::AbandonLocked(std::map<Key, Datagram>::iterator it, absl::Time now) {
  // The tombstone lasts what the datagram had left to live.
  const absl::Time until = std::max(now, it->second.created + config_.timeout);
  while (!abandoned_.empty() && abandoned_.size() >= config_.max_datagrams) {
    auto soonest = abandoned_.begin();
    for (auto a = abandoned_.begin(); a != abandoned_.end(); ++a) {
      if (a->second < soonest->second) soonest = a;
    }
    abandoned_.erase(soonest);
  }
  if (config_.max_datagrams > 0) abandoned_[it->first] = until;
  DropLocked(it);
}

bool Frag6Reassembler::DropOldestLocked(const Key& keep, size_t* dropped) {
  auto oldest = queues_.end();
  for (auto it = queues_.begin(); it != queues_.end(); ++it) {
    if (it->first == keep) continue;
    if (oldest == queues_.end() || it->second.created < oldest->second.created) oldest = it;
  }
  if (oldest == queues_.end()) return false;
  *dropped += oldest->second.fragments;
  DropLocked(oldest);
  return true;
}

Frag6Reassembler::Result Frag6Reassembler::Add(absl::Span<const uint8_t> packet,
                                               const Ip6Chain& chain, absl::Time now) {
  Result r;
  auto drop = [&r](Frag6Drop why) {
    r.verdict = Result::kDropped;
    r.drop = why;
    r.dropped_fragments += 1;
    return r;
  };
  if (!chain.ok() || !chain.fragment.has_value()) return drop(Frag6Drop::kMalformed);
  const Ip6FragmentHeader& f = *chain.fragment;
  if (f.at < abi::kIp6HeaderLen || f.at + abi::kIp6FragHeaderLen > packet.size() ||
      chain.next_header_at >= f.at) {
    return drop(Frag6Drop::kMalformed);
  }
  const size_t data_at = f.at + abi::kIp6FragHeaderLen;
  const size_t len = packet.size() - data_at;
  const size_t start = f.offset;
  const size_t end = start + len;
  // RFC 8200 4.5: the two errors that earn a Parameter Problem.
  if (f.more && len % 8 != 0) {
    r.verdict = Result::kParamProblem;
    r.drop = Frag6Drop::kMalformed;
    r.code = abi::kICMP6_PARAMPROB_HEADER;
    r.pointer = 4;  // the payload length
    r.dropped_fragments = 1;
    return r;
  }
  if ((f.at - abi::kIp6HeaderLen) + end > abi::kIPV6_MAXPACKET) {
    r.verdict = Result::kParamProblem;
    r.drop = Frag6Drop::kTooLong;
    r.code = abi::kICMP6_PARAMPROB_HEADER;
    r.pointer = uint32_t(f.at + 2);  // the fragment offset
    r.dropped_fragments = 1;
    return r;
  }
  if (f.atomic()) {
    // RFC 6946: a whole datagram, whatever the queues hold.
    r.verdict = Result::kComplete;
    r.atomic = true;
    r.packet.assign(packet.begin(), packet.begin() + long(f.at));
    r.packet.insert(r.packet.end(), packet.begin() + long(data_at), packet.end());
    r.packet[chain.next_header_at] = f.next_header;
    SetPayloadLength(r.packet);
    r.resume_at = f.at;
    r.next_header_at = chain.next_header_at;
    return r;
  }
  if (f.more && len == 0) return drop(Frag6Drop::kMalformed);
  if (start == 0) {
    // RFC 7112: the first fragment holds every extension header.
    const Ip6Chain rest = WalkIp6ChainFrom(packet, data_at, f.next_header, f.at, false);
    if (rest.error == Ip6ChainError::kTruncated) return drop(Frag6Drop::kIncompleteChain);
  }

  std::lock_guard<std::mutex> lock(mu_);
  const Key key{In6Address::FromWire(packet.data() + 8), In6Address::FromWire(packet.data() + 24),
                f.id};
  if (auto a = abandoned_.find(key); a != abandoned_.end()) {
    if (now < a->second) return drop(Frag6Drop::kAbandoned);
    abandoned_.erase(a);
  }
  auto it = queues_.find(key);
  if (it == queues_.end()) {
    while (!queues_.empty() && queues_.size() >= config_.max_datagrams) {
      DropOldestLocked(key, &r.dropped_fragments);
    }
    if (config_.max_datagrams == 0) return drop(Frag6Drop::kNoRoom);
    Datagram d;
    d.created = now;
    it = queues_.emplace(key, std::move(d)).first;
  }
  Datagram& d = it->second;
  // Contradictions about the end of the datagram abandon it.
  const size_t known_end = d.pieces.empty() ? 0 : std::prev(d.pieces.end())->second;
  const bool last = !f.more;
  if ((last && d.total && *d.total != end) || (d.total && end > *d.total) ||
      (last && known_end > end)) {
    r.dropped_fragments += d.fragments;
    AbandonLocked(it, now);
    return drop(Frag6Drop::kContradiction);
  }
  // RFC 5722: any overlap abandons the datagram.
  bool overlap = d.pieces.count(start) > 0;
  auto next = d.pieces.lower_bound(start);
  if (next != d.pieces.end() && next->first < end) overlap = true;
  if (next != d.pieces.begin() && std::prev(next)->second > start) overlap = true;
  if (overlap) {
    r.dropped_fragments += d.fragments;
    AbandonLocked(it, now);
    return drop(Frag6Drop::kOverlap);
  }
  // Room: the fragment count and the data buffer growing to `end`.
  const size_t grow = end > d.data.size() ? end - d.data.size() : 0;
  while (fragments_ + 1 > config_.max_fragments || bytes_ + grow > config_.max_bytes) {
    if (!DropOldestLocked(key, &r.dropped_fragments)) break;
  }
  if (fragments_ + 1 > config_.max_fragments || bytes_ + grow > config_.max_bytes) {
    if (d.fragments == 0) DropLocked(it);
    return drop(Frag6Drop::kNoRoom);
  }
  if (grow > 0) {
    d.data.resize(end);
    d.charged += grow;
    bytes_ += grow;
  }
  if (len > 0) std::memcpy(d.data.data() + start, packet.data() + data_at, len);
  d.pieces.emplace(start, end);
  d.received += len;
  ++d.fragments;
  ++fragments_;
  if (last) d.total = end;
  if (start == 0) {
    d.unfragmentable.assign(packet.begin(), packet.begin() + long(f.at));
    d.unfragmentable[chain.next_header_at] = f.next_header;
    d.quote.assign(packet.begin(), packet.begin() + long(std::min(packet.size(), kQuoteLen)));
    d.next_header_at = chain.next_header_at;
  }
  if (!d.total || d.unfragmentable.empty() || d.received != *d.total) return r;

  // Complete.
  if (d.unfragmentable.size() - abi::kIp6HeaderLen + *d.total > abi::kIPV6_MAXPACKET) {
    r.dropped_fragments += d.fragments - 1;
    DropLocked(it);
    return drop(Frag6Drop::kTooLong);
  }
  r.verdict = Result::kComplete;
  r.packet = std::move(d.unfragmentable);
  r.resume_at = r.packet.size();
  r.next_header_at = d.next_header_at;
  r.packet.insert(r.packet.end(), d.data.begin(), d.data.begin() + long(*d.total));
  SetPayloadLength(r.packet);
  DropLocked(it);
  return r;
}

Frag6Reassembler::Expired Frag6Reassembler::Expire(absl::Time now) {
  std::lock_guard<std::mutex> lock(mu_);
  Expired e;
  for (auto it = queues_.begin(); it != queues_.end();) {
    auto next = std::next(it);
    if (now - it->second.created >= config_.timeout) {
      e.dropped_fragments += it->second.fragments;
      if (!it->second.quote.empty()) e.time_exceeded.push_back(std::move(it->second.quote));
      DropLocked(it);
    }
    it = next;
  }
  for (auto a = abandoned_.begin(); a != abandoned_.end();) {
    a = now >= a->second ? abandoned_.erase(a) : std::next(a);
  }
  return e;
}

size_t Frag6Reassembler::datagrams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queues_.size();
}

size_t Frag6Reassembler::fragments() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fragments_;
}

size_t Frag6Reassembler::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace rump::inet6
