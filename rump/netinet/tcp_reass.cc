#include "rump/netinet/tcp_reass.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

namespace rump::inet {
namespace {

// RFC 7323 2.2: a window never exceeds 2^30.
constexpr uint32_t kMaxWindow = uint32_t{1} << 30;

}  // namespace

void TcpReassemblyQueue::DropBefore(TcpSeq rcv_nxt) {
  auto it = blocks_.begin();
  while (it != blocks_.end() && it->start < rcv_nxt) {
    if (it->end() <= rcv_nxt) {
      bytes_ -= it->data.size();
      it = blocks_.erase(it);
      continue;
    }
    const size_t cut = SeqLength(it->start, rcv_nxt);
    it->data.erase(it->data.begin(), it->data.begin() + cut);
    it->start = rcv_nxt;
    bytes_ -= cut;
    break;
  }
  if (fin_ && *fin_ < rcv_nxt) fin_.reset();
}

void TcpReassemblyQueue::DropFrom(TcpSeq end) {
  while (!blocks_.empty() && blocks_.back().end() > end) {
    Block& b = blocks_.back();
    if (b.start >= end) {
      bytes_ -= b.data.size();
      blocks_.pop_back();
      continue;
    }
    const size_t keep = SeqLength(b.start, end);
    bytes_ -= b.data.size() - keep;
    b.data.resize(keep);
    break;
  }
}

TcpReassemblyQueue::Insertion TcpReassemblyQueue::Insert(TcpSeq rcv_nxt, TcpSeq seq,
                                                         absl::Span<const uint8_t> data,
                                                         bool fin) {
  Insertion result;
  DropBefore(rcv_nxt);
  TcpSeq start = seq;
  TcpSeq end = seq + uint32_t(data.size());
  // Old bytes, before RCV.NXT.
  if (start < rcv_nxt) {
    const size_t old = std::min<size_t>(SeqLength(start, rcv_nxt), data.size());
    result.duplicate_bytes += old;
    data.remove_prefix(old);
    start = start + uint32_t(old);
  }
  if (end < rcv_nxt) {
    // Wholly old (the FIN too, if any): nothing more to learn.
    return result;
  }
  if (SeqLength(rcv_nxt, end) > kMaxWindow) {
    result.out_of_window = true;
    return result;
  }
  // The first FIN fixes the end: cut what lies beyond it.
  std::optional<TcpSeq> new_fin;
  if (fin_) {
    if (end > *fin_) {
      const size_t beyond = std::min<size_t>(SeqLength(*fin_, end), data.size());
      data.remove_suffix(beyond);
      end = end - uint32_t(beyond);
    }
  } else if (fin) {
    new_fin = end;
  }

  // The held blocks this one overlaps or touches, [first, last).
  auto first = std::find_if(blocks_.begin(), blocks_.end(),
                            [&](const Block& b) { return b.end() >= start; });
  auto last = std::find_if(first, blocks_.end(), [&](const Block& b) { return b.start > end; });
  size_t held = 0;  // of [start, end)
  for (auto it = first; it != last; ++it) {
    held += SeqLength(SeqMax(it->start, start), SeqMin(it->end(), end));
  }
  result.duplicate_bytes += held;
  const size_t fresh = data.size() - held;

  if (fresh > 0 && start != rcv_nxt) {
    const size_t blocks_after = blocks_.size() + 1 - size_t(last - first);
    if (bytes_ + fresh > config_.max_bytes || blocks_after > config_.max_segments) {
      result.dropped = true;
      return result;
    }
  }
  if (new_fin) {
    fin_ = new_fin;
    DropFrom(*fin_);
    // DropFrom may have shortened or removed blocks in [first, last).
    first = std::find_if(blocks_.begin(), blocks_.end(),
                         [&](const Block& b) { return b.end() >= start; });
    last = std::find_if(first, blocks_.end(), [&](const Block& b) { return b.start > end; });
  }
  if (fresh == 0) return result;
  result.new_bytes = fresh;

  // The usual case: segments after a hole arrive in order and extend one
  // held block at its end. Append without copying the block.
  if (last - first == 1 && first->start <= start) {
    const size_t skip = SeqLength(start, first->end());
    first->data.insert(first->data.end(), data.begin() + skip, data.end());
    bytes_ += fresh;
    return result;
  }

  // One block from the earliest to the latest byte of the newcomer and
  // the blocks it meets: the newcomer's bytes first, the held ones over
  // them (the first copy wins).
  TcpSeq merged_start = start;
  TcpSeq merged_end = end;
  if (first != last) {
    merged_start = SeqMin(first->start, start);
    merged_end = SeqMax(std::prev(last)->end(), end);
  }
  Block merged{merged_start, std::vector<uint8_t>(SeqLength(merged_start, merged_end))};
  if (!data.empty()) {
    std::memcpy(merged.data.data() + SeqLength(merged_start, start), data.data(), data.size());
  }
  size_t replaced = 0;
  for (auto it = first; it != last; ++it) {
    std::memcpy(merged.data.data() + SeqLength(merged_start, it->start), it->data.data(),
                it->data.size());
    replaced += it->data.size();
  }
  bytes_ = bytes_ - replaced + merged.data.size();
  auto at = blocks_.erase(first, last);
  blocks_.insert(at, std::move(merged));
  return result;
}

TcpReassemblyQueue::Run TcpReassemblyQueue::TakeContiguous(TcpSeq rcv_nxt) {
  Run run;
  DropBefore(rcv_nxt);
  if (!blocks_.empty() && blocks_.front().start == rcv_nxt) {
    run.data = std::move(blocks_.front().data);
    bytes_ -= run.data.size();
    blocks_.erase(blocks_.begin());
  }
  if (fin_ && *fin_ == rcv_nxt + uint32_t(run.data.size())) {
    run.fin = true;
    fin_.reset();
  }
  return run;
}

std::vector<std::pair<TcpSeq, TcpSeq>> TcpReassemblyQueue::ranges() const {
  std::vector<std::pair<TcpSeq, TcpSeq>> out;
  out.reserve(blocks_.size());
  for (const Block& b : blocks_) out.emplace_back(b.start, b.end());
  return out;
}

void TcpReassemblyQueue::Clear() {
  blocks_.clear();
  bytes_ = 0;
  fin_.reset();
}

}  // namespace rump::inet
