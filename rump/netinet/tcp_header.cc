#include "rump/netinet/tcp_header.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet {
namespace {

constexpr uint8_t kTcpProtocol = abi::kIPPROTO_TCP;

// The longest segment whose length the pseudo-header can carry.
constexpr size_t kMaxSegmentLen = 0xffff;
// The longest that fits in an IPv4 datagram with a 20-byte header.
constexpr size_t kMaxBuiltSegmentLen = 0xffff - 20;
constexpr size_t kChecksumOffset = 16;

// Reads one option of kind `kind` whose bytes are `opt` (kind and length
// bytes included, length already checked to be >= 2 and to fit).
void ReadOption(uint8_t kind, absl::Span<const uint8_t> opt, TcpOptions* out) {
  const uint8_t* p = opt.data();
  const size_t len = opt.size();
  switch (kind) {
    case kTcpOptMss:
      if (len == kTcpOptLenMss) out->mss = Get16(p + 2);
      break;
    case kTcpOptWindowScale:
      if (len == kTcpOptLenWindowScale) out->window_shift = std::min(p[2], kTcpMaxWindowShift);
      break;
    case kTcpOptSackPermitted:
      if (len == kTcpOptLenSackPermitted) out->sack_permitted = true;
      break;
    case kTcpOptTimestamps:
      if (len == kTcpOptLenTimestamps) out->timestamps = TcpTimestamps{Get32(p + 2), Get32(p + 6)};
      break;
    case kTcpOptSack: {
      // 2 + 8n bytes; n is at most 4 because options are at most 40 bytes.
      // A second SACK option adds its blocks (NetBSD processes each one);
      // together they cannot exceed 4 either.
      if (len < 10 || (len - 2) % 8 != 0) break;
      for (size_t off = 2; off + 8 <= len; off += 8) {
        out->sack_blocks.push_back(SackBlock{TcpSeq(Get32(p + off)), TcpSeq(Get32(p + off + 4))});
      }
      break;
    }
    default:
      break;  // unknown: skipped by its length
  }
}

}  // namespace

TcpOptions ParseTcpOptions(absl::Span<const uint8_t> options) {
  TcpOptions out;
  size_t at = 0;
  while (at < options.size()) {
    const uint8_t kind = options[at];
    if (kind == kTcpOptEol) break;
    if (kind == kTcpOptNop) {
      ++at;
      continue;
    }
    const size_t left = options.size() - at;
    if (left < 2 || options[at + 1] < 2 || options[at + 1] > left) {
      out.truncated = true;
      break;
    }
    const size_t len = options[at + 1];
    ReadOption(kind, options.subspan(at, len), &out);
    at += len;
  }
  return out;
}

uint16_t TcpChecksum(uint32_t src, uint32_t dst, absl::Span<const uint8_t> segment) {
  uint64_t sum = PseudoHeaderSum(src, dst, kTcpProtocol, uint16_t(segment.size()));
  if (segment.size() < kChecksumOffset + 2) return ChecksumFinish(ChecksumAdd(sum, segment));
  sum = ChecksumAdd(sum, segment.subspan(0, kChecksumOffset));
  sum = ChecksumAdd(sum, segment.subspan(kChecksumOffset + 2));
  return ChecksumFinish(sum);
}

absl::StatusOr<TcpSegment> ParseTcpSegment(absl::Span<const uint8_t> segment, uint32_t src,
                                           uint32_t dst) {
  if (segment.size() < kTcpHeaderLen) {
    return absl::InvalidArgumentError(absl::StrCat("tcp: segment of ", segment.size(),
                                                   " bytes is shorter than the 20-byte header"));
  }
  if (segment.size() > kMaxSegmentLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp: segment of ", segment.size(), " bytes is longer than 65535"));
  }
  const uint8_t* p = segment.data();
  const size_t header_len = size_t(p[12] >> 4) * 4;
  if (header_len < kTcpHeaderLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp: data offset ", header_len / 4, " is below 5 words"));
  }
  if (header_len > segment.size()) {
    return absl::InvalidArgumentError(absl::StrCat("tcp: data offset of ", header_len,
                                                   " bytes reaches past the ", segment.size(),
                                                   "-byte segment"));
  }
  const uint64_t sum =
      ChecksumAdd(PseudoHeaderSum(src, dst, kTcpProtocol, uint16_t(segment.size())), segment);
  if (ChecksumFinish(sum) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tcp: bad checksum 0x", absl::Hex(Get16(p + kChecksumOffset)), ", expected 0x",
        absl::Hex(TcpChecksum(src, dst, segment))));
  }
  TcpSegment out;
  TcpHeader& h = out.header;
  h.sport = Get16(p);
  h.dport = Get16(p + 2);
  h.seq = TcpSeq(Get32(p + 4));
  h.ack = TcpSeq(Get32(p + 8));
  h.header_len = uint8_t(header_len);
  h.flags = p[13];
  h.window = Get16(p + 14);
  h.checksum = Get16(p + kChecksumOffset);
  h.urgent = Get16(p + 18);
  out.options = ParseTcpOptions(segment.subspan(kTcpHeaderLen, header_len - kTcpHeaderLen));
  out.payload = segment.subspan(header_len);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> EncodeTcpOptions(const TcpOptions& options) {
  if (options.window_shift && *options.window_shift > kTcpMaxWindowShift) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp: window shift ", *options.window_shift, " is above 14"));
  }
  if (options.sack_blocks.size() > kTcpMaxSackBlocks) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp: ", options.sack_blocks.size(), " SACK blocks, at most 4 fit"));
  }
  std::vector<uint8_t> out;
  auto put16 = [&out](uint16_t v) {
    out.push_back(uint8_t(v >> 8));
    out.push_back(uint8_t(v));
  };
  auto put32 = [&out](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(v >> shift));
  };
  if (options.mss) {
    out.insert(out.end(), {kTcpOptMss, uint8_t(kTcpOptLenMss)});
    put16(*options.mss);
  }
  if (options.window_shift) {
    out.insert(out.end(), {kTcpOptNop, kTcpOptWindowScale, uint8_t(kTcpOptLenWindowScale),
                           *options.window_shift});
  }
  if (options.sack_permitted) {
    out.insert(out.end(),
               {kTcpOptNop, kTcpOptNop, kTcpOptSackPermitted, uint8_t(kTcpOptLenSackPermitted)});
  }
  if (options.timestamps) {
    out.insert(out.end(),
               {kTcpOptNop, kTcpOptNop, kTcpOptTimestamps, uint8_t(kTcpOptLenTimestamps)});
    put32(options.timestamps->value);
    put32(options.timestamps->echo);
  }
  if (!options.sack_blocks.empty()) {
    out.insert(out.end(), {kTcpOptNop, kTcpOptNop, kTcpOptSack,
                           uint8_t(2 + 8 * options.sack_blocks.size())});
    for (const SackBlock& b : options.sack_blocks) {
      put32(b.start.value());
      put32(b.end.value());
    }
  }
  while (out.size() % 4 != 0) out.push_back(kTcpOptEol);
  if (out.size() > kTcpMaxOptionsLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("tcp: options need ", out.size(), " bytes, at most 40 fit"));
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> BuildTcpSegment(const TcpHeader& header,
                                                     const TcpOptions& options,
                                                     absl::Span<const uint8_t> payload,
                                                     uint32_t src, uint32_t dst) {
  absl::StatusOr<std::vector<uint8_t>> opts = EncodeTcpOptions(options);
  if (!opts.ok()) return opts.status();
  const size_t header_len = kTcpHeaderLen + opts->size();
  if (header_len + payload.size() > kMaxBuiltSegmentLen) {
    return absl::InvalidArgumentError(absl::StrCat("tcp: a segment of ",
                                                   header_len + payload.size(),
                                                   " bytes does not fit in an IPv4 datagram"));
  }
  std::vector<uint8_t> seg(header_len + payload.size());
  uint8_t* p = seg.data();
  Put16(p, header.sport);
  Put16(p + 2, header.dport);
  Put32(p + 4, header.seq.value());
  Put32(p + 8, header.ack.value());
  p[12] = uint8_t((header_len / 4) << 4);
  p[13] = header.flags;
  Put16(p + 14, header.window);
  Put16(p + 18, header.urgent);
  if (!opts->empty()) std::memcpy(p + kTcpHeaderLen, opts->data(), opts->size());
  if (!payload.empty()) std::memcpy(p + header_len, payload.data(), payload.size());
  Put16(p + kChecksumOffset, TcpChecksum(src, dst, seg));
  return seg;
}

}  // namespace rump::inet
