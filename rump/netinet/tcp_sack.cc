#include "rump/netinet/tcp_sack.h"

#include <algorithm>
#include <utility>

namespace rump::inet {

// --- SackScoreboard

void SackScoreboard::Acknowledge(TcpSeq ack) {
  if (ack <= snd_una_) return;
  snd_una_ = ack;
  auto it = ranges_.begin();
  while (it != ranges_.end() && it->start < ack) {
    if (it->end <= ack) {
      sacked_bytes_ -= SeqLength(it->start, it->end);
      it = ranges_.erase(it);
      continue;
    }
    sacked_bytes_ -= SeqLength(it->start, ack);
    it->start = ack;
    break;
  }
}

SackScoreboard::Update SackScoreboard::AddBlocks(absl::Span<const SackBlock> blocks,
                                                 TcpSeq snd_max) {
  Update update;
  for (const SackBlock& b : blocks) {
    if (!(b.start < b.end) || b.end <= snd_una_ || b.end > snd_max) {
      ++update.ignored;
      continue;
    }
    const TcpSeq start = SeqMax(b.start, snd_una_);
    const TcpSeq end = b.end;
    // The held ranges this one overlaps or touches: [first, last).
    auto first = std::find_if(ranges_.begin(), ranges_.end(),
                              [&](const SackBlock& r) { return r.end >= start; });
    auto last = std::find_if(first, ranges_.end(),
                             [&](const SackBlock& r) { return r.start > end; });
    if (first == last && ranges_.size() >= max_ranges_) {
      ++update.ignored;
      continue;
    }
    SackBlock merged{start, end};
    size_t held = 0;
    for (auto it = first; it != last; ++it) {
      merged.start = SeqMin(merged.start, it->start);
      merged.end = SeqMax(merged.end, it->end);
      held += SeqLength(it->start, it->end);
    }
    const size_t fresh = SeqLength(merged.start, merged.end) - held;
    sacked_bytes_ += fresh;
    update.newly_sacked += fresh;
    ++update.recorded;
    auto at = ranges_.erase(first, last);
    ranges_.insert(at, merged);
  }
  return update;
}

bool SackScoreboard::IsSacked(TcpSeq start, TcpSeq end) const {
  if (!(start < end)) return false;
  for (const SackBlock& r : ranges_) {
    if (r.start <= start && end <= r.end) return true;
    if (start < r.start) break;
  }
  return false;
}

std::optional<SackBlock> SackScoreboard::NextHole(TcpSeq from) const {
  TcpSeq at = SeqMax(from, snd_una_);
  for (const SackBlock& r : ranges_) {
    if (at < r.start) return SackBlock{at, r.start};
    at = SeqMax(at, r.end);
  }
  return std::nullopt;
}

std::optional<TcpSeq> SackScoreboard::highest_sacked() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.back().end;
}

void SackScoreboard::Clear() {
  ranges_.clear();
  sacked_bytes_ = 0;
}

// --- SackReport

void SackReport::Received(TcpSeq start, TcpSeq end) {
  if (!(start < end)) return;
  SackBlock first{start, end};
  std::vector<SackBlock> rest;
  rest.reserve(blocks_.size());
  for (const SackBlock& b : blocks_) {
    if (b.end < first.start || first.end < b.start) {
      rest.push_back(b);
    } else {
      first.start = SeqMin(first.start, b.start);
      first.end = SeqMax(first.end, b.end);
    }
  }
  blocks_.clear();
  blocks_.push_back(first);
  for (const SackBlock& b : rest) {
    if (blocks_.size() == kTcpMaxSackBlocks) break;
    blocks_.push_back(b);
  }
}

void SackReport::Advance(TcpSeq rcv_nxt) {
  std::vector<SackBlock> kept;
  for (SackBlock b : blocks_) {
    if (b.end <= rcv_nxt) continue;
    b.start = SeqMax(b.start, rcv_nxt);
    kept.push_back(b);
  }
  blocks_ = std::move(kept);
}

std::vector<SackBlock> SackReport::Blocks(size_t max_blocks) const {
  const size_t n = std::min(max_blocks, blocks_.size());
  return std::vector<SackBlock>(blocks_.begin(), blocks_.begin() + n);
}

}  // namespace rump::inet
