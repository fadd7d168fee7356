// TcpReassemblyQueue: the out-of-order data of one TCP connection, held
// until the bytes before it arrive (NetBSD's tcp_reass; RFC 9293 3.10.7.4
// "process the segment text").
//
// The caller owns RCV.NXT and passes it in; the queue holds bytes at or
// after it and hands back the run that starts there.
//
// Promises:
//  * bytes already held are never overwritten: where a segment overlaps
//    held data or another segment, the first copy wins; bytes before
//    RCV.NXT are old and ignored; adjacent and overlapping data is merged
//    into one block (as NetBSD collapses its queue entries), so "segments"
//    below counts disjoint blocks, i.e. holes the peer left;
//  * bounds: the held bytes never exceed `max_bytes` and the blocks never
//    exceed `max_segments`, with one exception. A segment that would break
//    either is dropped whole (its FIN too) and Insert says so (NetBSD drops
//    it and counts rcvmemdrop); the peer sends it again. The exception is a
//    segment that starts at or before RCV.NXT: it is always taken, because
//    it is what lets the queue drain (the caller's next TakeContiguous
//    removes at least it);
//  * a segment that reaches more than 2^30 (the largest window, RFC 7323
//    2.2) past RCV.NXT is refused as out of window and never held (the
//    caller trims segments to its window before; this guards the modular
//    comparisons);
//  * a FIN occupies the sequence number after its segment's data. The
//    first FIN seen fixes the end of the stream: data beyond it (and a
//    later FIN elsewhere) is ignored, and held data beyond it is trimmed.
//    TakeContiguous reports the FIN with the run that reaches it;
//  * every comparison is TcpSeq's, so the queue works across the wrap of
//    the sequence space.
// Not thread-safe: it belongs to one connection, under its lock.
#ifndef RUMP_NETINET_TCP_REASS_H_
#define RUMP_NETINET_TCP_REASS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "rump/netinet/tcp_seq.h"

namespace rump::inet {

struct TcpReassemblyConfig {
  size_t max_bytes = 256 * 1024;  // a receive buffer's worth (tcp_autorcvbuf_max)
  size_t max_segments = 100;      // NetBSD's tcp_reass_maxqueuelen
};

class TcpReassemblyQueue {
 public:
  explicit TcpReassemblyQueue(TcpReassemblyConfig config = TcpReassemblyConfig())
      : config_(config) {}

  struct Insertion {
    size_t new_bytes = 0;        // held now and not before
    size_t duplicate_bytes = 0;  // held already, or before RCV.NXT
    bool dropped = false;        // refused at a bound: nothing of it was kept
    bool out_of_window = false;  // refused: beyond RCV.NXT + 2^30
  };
  // Offers the segment whose data starts at `seq`; `fin` says it carries a
  // FIN (after its data). `rcv_nxt` is the connection's RCV.NXT now.
  // `data` is at most a segment (below 2^30 bytes).
  Insertion Insert(TcpSeq rcv_nxt, TcpSeq seq, absl::Span<const uint8_t> data, bool fin);

  struct Run {
    std::vector<uint8_t> data;  // the bytes from RCV.NXT on
    bool fin = false;           // a FIN follows them
  };
  // Removes and returns what starts at `rcv_nxt`: the caller then advances
  // RCV.NXT by data.size() (plus one for a FIN). Empty when the first byte
  // at RCV.NXT has not arrived.
  Run TakeContiguous(TcpSeq rcv_nxt);

  size_t bytes() const { return bytes_; }
  size_t segments() const { return blocks_.size(); }
  bool empty() const { return blocks_.empty() && !fin_; }
  // Where the stream ends, once a FIN is held.
  std::optional<TcpSeq> fin() const { return fin_; }
  // The held ranges, in sequence order (for the receiver's SACK blocks).
  std::vector<std::pair<TcpSeq, TcpSeq>> ranges() const;
  void Clear();

 private:
  struct Block {
    TcpSeq start;
    std::vector<uint8_t> data;
    TcpSeq end() const { return start + uint32_t(data.size()); }
  };
  // Forgets what lies before `rcv_nxt` (the caller may have moved it).
  void DropBefore(TcpSeq rcv_nxt);
  // Forgets what lies at or after `end`.
  void DropFrom(TcpSeq end);

  const TcpReassemblyConfig config_;
  std::vector<Block> blocks_;  // disjoint, not adjacent, in sequence order
  size_t bytes_ = 0;
  std::optional<TcpSeq> fin_;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_REASS_H_
