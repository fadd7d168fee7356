// Selective acknowledgment (RFC 2018) bookkeeping for both ends of a
// connection:
//
// SackScoreboard, the sender's record of what the peer's SACK blocks said
// it holds above SND.UNA (the scoreboard of RFC 6675 section 3). Promises:
//  * it holds disjoint, merged ranges within [SND.UNA, SND.MAX], in
//    sequence order; Acknowledge() trims everything the cumulative ACK
//    covers;
//  * a received block is ignored when it is empty or reversed, lies wholly
//    at or below SND.UNA (old, or a D-SACK of RFC 2883), or reaches beyond
//    SND.MAX (the peer cannot hold what was never sent); a block that
//    starts below SND.UNA is cut there;
//  * at most `max_ranges` ranges are held (NetBSD bounds its holes per
//    connection, tcp_sack_tp_maxholes, 32): a block that would need one
//    more is ignored, and counted as such. Losing SACK information is
//    safe: those bytes are merely retransmitted;
//  * NextHole(from) is the first range of un-SACKed bytes at or after
//    `from` (and SND.UNA) that lies below the highest SACKed byte: the
//    next candidate to retransmit (RFC 6675 NextSeg rule 1, without its
//    IsLost test, which needs the caller's DupThresh and MSS). The caller
//    keeps its own retransmission pointer, as NetBSD's hole->rxmit;
//  * Clear() empties it (after a retransmission timeout, RFC 6675 5.1).
//
// SackReport, the receiver's list of blocks to send (RFC 2018 section 4).
// Promises:
//  * the first block holds the most recently received out-of-order data,
//    merged with any held block it overlaps or touches; the others follow
//    most recent first; at most kTcpMaxSackBlocks (4) are kept;
//  * Advance(rcv_nxt) forgets what RCV.NXT has passed;
//  * Blocks(n) gives at most n of them (n is 3 when timestamps share the
//    40 option bytes, 4 otherwise).
//
// Both are wrap-aware (TcpSeq) and not thread-safe: they belong to one
// connection, under its lock.
#ifndef RUMP_NETINET_TCP_SACK_H_
#define RUMP_NETINET_TCP_SACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "rump/netinet/tcp_header.h"
#include "rump/netinet/tcp_seq.h"

namespace rump::inet {

class SackScoreboard {
 public:
  static constexpr size_t kDefaultMaxRanges = 32;

  explicit SackScoreboard(TcpSeq snd_una, size_t max_ranges = kDefaultMaxRanges)
      : snd_una_(snd_una), max_ranges_(max_ranges) {}

  // The cumulative acknowledgment reached `ack` (a value at or before
  // SND.UNA changes nothing).
  void Acknowledge(TcpSeq ack);

  struct Update {
    size_t recorded = 0;       // blocks taken (fully or cut at SND.UNA)
    size_t ignored = 0;        // blocks refused by the rules above
    size_t newly_sacked = 0;   // bytes SACKed now and not before
  };
  // The SACK blocks of one ACK (after its Acknowledge), `snd_max` the
  // highest sequence number sent so far.
  Update AddBlocks(absl::Span<const SackBlock> blocks, TcpSeq snd_max);

  // Whether every byte of [start, end) is SACKed (false for an empty range).
  bool IsSacked(TcpSeq start, TcpSeq end) const;
  std::optional<SackBlock> NextHole(TcpSeq from) const;
  // The number of SACKed bytes above SND.UNA.
  size_t sacked_bytes() const { return sacked_bytes_; }
  // The end of the highest SACKed range, if any.
  std::optional<TcpSeq> highest_sacked() const;
  TcpSeq snd_una() const { return snd_una_; }
  const std::vector<SackBlock>& ranges() const { return ranges_; }
  void Clear();

 private:
  TcpSeq snd_una_;
  size_t max_ranges_;
  std::vector<SackBlock> ranges_;  // disjoint, not adjacent, in order
  size_t sacked_bytes_ = 0;
};

class SackReport {
 public:
  // Out-of-order data [start, end) was received and queued above RCV.NXT.
  // Passing the whole queued block that holds it (TcpReassemblyQueue's
  // ranges()) keeps the report exact even after older blocks were dropped.
  void Received(TcpSeq start, TcpSeq end);
  // RCV.NXT moved to `rcv_nxt`.
  void Advance(TcpSeq rcv_nxt);
  // At most `max_blocks` blocks to send, most recent first.
  std::vector<SackBlock> Blocks(size_t max_blocks) const;
  bool empty() const { return blocks_.empty(); }
  void Clear() { blocks_.clear(); }

 private:
  std::vector<SackBlock> blocks_;  // most recent first, disjoint
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_SACK_H_
