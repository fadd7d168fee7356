// The TCP segment codec (RFC 9293 3.1): parsing that validates every byte
// it reads, and a builder.
//
// Parsing promises:
//  * a segment is refused (InvalidArgument, with a message that names the
//    fault) when it is shorter than 20 bytes, when its data offset is below
//    5 words or reaches past the segment, or when its checksum over the
//    IPv4 pseudo-header (RFC 9293 3.1) and the whole segment is wrong;
//  * nothing outside the given span is ever read;
//  * options are read as NetBSD's tcp_dooptions reads them. EOL ends them;
//    NOP is one byte. Any other option needs a length byte of at least 2
//    that fits in what is left; when it has none, option parsing stops
//    there (TcpOptions::truncated), what was parsed before is kept and the
//    segment is still accepted: the length byte can no longer be trusted
//    to find the next option, and refusing the segment would let a bad
//    option cost the peer its data. A known option whose length is not
//    its own (MSS other than 4, window scale other than 3, SACK-permitted
//    other than 2, timestamps other than 10, SACK other than 2 + 8n with n
//    in 1..4) is skipped by its length and parsing goes on, as NetBSD
//    ignores it. Unknown options are skipped by their length;
//  * a window shift above 14 is taken as 14 (RFC 7323 2.3, NetBSD's
//    TCP_MAX_WINSHIFT);
//  * options are reported whatever the flags; that MSS, window scale and
//    SACK-permitted count only on a SYN is the caller's rule.
//
// Building promises a segment that this parser accepts: the 20-byte header,
// the options (each present one once, in a fixed order, NOP-aligned as
// RFC 7323 appendix A suggests, padded with EOL to a multiple of 4 bytes),
// the payload, and the checksum.
//
// Ports, sequence numbers, windows are in host order in the structures;
// IPv4 addresses in network order (as ip_header.h keeps them).
#ifndef RUMP_NETINET_TCP_HEADER_H_
#define RUMP_NETINET_TCP_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/netinet/tcp_seq.h"

namespace rump::inet {

// Flags (NetBSD's TH_*, RFC 9293 3.1, RFC 3168 for ECE and CWR).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

// Option kinds and lengths (NetBSD's TCPOPT_*, TCPOLEN_*).
inline constexpr uint8_t kTcpOptEol = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;
inline constexpr uint8_t kTcpOptWindowScale = 3;
inline constexpr uint8_t kTcpOptSackPermitted = 4;
inline constexpr uint8_t kTcpOptSack = 5;
inline constexpr uint8_t kTcpOptTimestamps = 8;
inline constexpr size_t kTcpOptLenMss = 4;
inline constexpr size_t kTcpOptLenWindowScale = 3;
inline constexpr size_t kTcpOptLenSackPermitted = 2;
inline constexpr size_t kTcpOptLenTimestamps = 10;

inline constexpr size_t kTcpHeaderLen = 20;       // without options
inline constexpr size_t kTcpMaxOptionsLen = 40;   // MAX_TCPOPTLEN
inline constexpr uint8_t kTcpMaxWindowShift = 14; // TCP_MAX_WINSHIFT
inline constexpr size_t kTcpMaxSackBlocks = 4;    // what fits in 40 bytes

// A range [start, end) of sequence numbers, as a SACK block carries it
// (RFC 2018: left edge, right edge).
struct SackBlock {
  TcpSeq start;
  TcpSeq end;
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
  uint32_t value = 0;  // TSval
  uint32_t echo = 0;   // TSecr
  friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_shift;  // at most 14
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  std::vector<SackBlock> sack_blocks;   // at most 4, in the order received
  // Parsing stopped at an option whose length byte was missing, below 2
  // or beyond the options (never set by a builder's input).
  bool truncated = false;

  friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

struct TcpHeader {
  uint16_t sport = 0;
  uint16_t dport = 0;
  TcpSeq seq;
  TcpSeq ack;
  uint8_t header_len = kTcpHeaderLen;  // data offset in bytes (20..60)
  uint8_t flags = 0;                   // kTcp* bits
  uint16_t window = 0;                 // as sent: not yet scaled
  uint16_t checksum = 0;               // as received (the builder computes it)
  uint16_t urgent = 0;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

// A parsed segment; `payload` points into the span given to the parser.
struct TcpSegment {
  TcpHeader header;
  TcpOptions options;
  absl::Span<const uint8_t> payload;
};

// Parses and checks `segment` (the whole TCP segment: what follows the IP
// header, link padding already trimmed) that came from `src` to `dst`.
absl::StatusOr<TcpSegment> ParseTcpSegment(absl::Span<const uint8_t> segment, uint32_t src,
                                           uint32_t dst);

// Parses the option bytes between the fixed header and the data. Never
// fails: see the rules at the top.
TcpOptions ParseTcpOptions(absl::Span<const uint8_t> options);

// The option bytes for `options`, padded to a multiple of 4. InvalidArgument
// when they would exceed 40 bytes, when a window shift is above 14, or
// when there are more than 4 SACK blocks.
absl::StatusOr<std::vector<uint8_t>> EncodeTcpOptions(const TcpOptions& options);

// A whole segment from `src` to `dst` (network order): `header` (its
// header_len and checksum are ignored and computed), `options`, `payload`.
// InvalidArgument when the options cannot be encoded or the segment would
// not fit in an IPv4 datagram.
absl::StatusOr<std::vector<uint8_t>> BuildTcpSegment(const TcpHeader& header,
                                                     const TcpOptions& options,
                                                     absl::Span<const uint8_t> payload,
                                                     uint32_t src, uint32_t dst);

// The checksum to store in `segment` (its checksum field taken as zero)
// between `src` and `dst`.
uint16_t TcpChecksum(uint32_t src, uint32_t dst, absl::Span<const uint8_t> segment);

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_HEADER_H_
