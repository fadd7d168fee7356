#include "rump/netinet/fuzz/tcp_segment_fuzz.h"

#include <arpa/inet.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "rump/netinet/tcp_header.h"

namespace rump::inet_fuzz {
namespace {

using inet::TcpHeader;
using inet::TcpOptions;
using inet::TcpSegment;

[[noreturn]] __attribute__((format(printf, 1, 2))) void Violation(const char* fmt, ...) {
  std::fprintf(stderr, "tcp segment fuzzer: property violated: ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  std::abort();
}

const uint32_t kSrc = htonl(0x0a000002);
const uint32_t kDst = htonl(0x0a000001);

uint16_t Get16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// Whether the segment's sum with the pseudo-header (RFC 9293 3.1) is
// right: computed here, independently of the codec.
bool SumsToZero(const std::vector<uint8_t>& seg) {
  const uint32_t src = ntohl(kSrc), dst = ntohl(kDst);
  uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 6 + seg.size();
  for (size_t i = 0; i < seg.size(); i += 2) {
    sum += uint32_t(seg[i] << 8) | (i + 1 < seg.size() ? seg[i + 1] : 0);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

void CheckOptionBounds(const TcpOptions& o, const char* what) {
  if (o.window_shift && *o.window_shift > inet::kTcpMaxWindowShift) {
    Violation("%s: window shift %u", what, *o.window_shift);
  }
  if (o.sack_blocks.size() > inet::kTcpMaxSackBlocks) {
    Violation("%s: %zu SACK blocks", what, o.sack_blocks.size());
  }
}

bool SameFields(const TcpHeader& a, const TcpHeader& b) {
  return a.sport == b.sport && a.dport == b.dport && a.seq == b.seq && a.ack == b.ack &&
         a.flags == b.flags && a.window == b.window && a.urgent == b.urgent;
}

// Builds from (header, options, payload), then parses: the same again.
void CheckBuildParses(const TcpHeader& h, const TcpOptions& o, absl::Span<const uint8_t> payload,
                      const char* what) {
  const bool encodable = inet::EncodeTcpOptions(o).ok();
  absl::StatusOr<std::vector<uint8_t>> built = inet::BuildTcpSegment(h, o, payload, kSrc, kDst);
  if (built.ok() != encodable) {
    Violation("%s: BuildTcpSegment %s options EncodeTcpOptions %s", what,
              built.ok() ? "accepts" : "refuses", encodable ? "accepts" : "refuses");
  }
  if (!built.ok()) return;
  absl::StatusOr<TcpSegment> again = inet::ParseTcpSegment(*built, kSrc, kDst);
  if (!again.ok()) {
    Violation("%s: a built segment does not parse: %s", what, again.status().ToString().c_str());
  }
  if (!SameFields(again->header, h)) Violation("%s: header fields differ after a round trip", what);
  if (!(again->options == o)) Violation("%s: options differ after a round trip", what);
  if (again->payload.size() != payload.size() ||
      (!payload.empty() &&
       std::memcmp(again->payload.data(), payload.data(), payload.size()) != 0)) {
    Violation("%s: payload differs after a round trip", what);
  }
}

void CheckWire(absl::Span<const uint8_t> bytes, bool fix_checksum) {
  std::vector<uint8_t> seg(bytes.begin(), bytes.end());
  if (fix_checksum && seg.size() >= inet::kTcpHeaderLen) {
    seg[16] = seg[17] = 0;
    const uint16_t sum = inet::TcpChecksum(kSrc, kDst, seg);
    seg[16] = uint8_t(sum >> 8);
    seg[17] = uint8_t(sum);
  }
  if (seg.size() >= inet::kTcpHeaderLen) {
    // An option area is at most 40 bytes (the data offset's 4 bits); the
    // bounds are promised for those. Longer spans must still parse safely.
    const absl::Span<const uint8_t> rest = absl::MakeConstSpan(seg).subspan(inet::kTcpHeaderLen);
    CheckOptionBounds(inet::ParseTcpOptions(rest.subspan(0, inet::kTcpMaxOptionsLen)), "options");
    inet::ParseTcpOptions(rest);
  }
  absl::StatusOr<TcpSegment> parsed = inet::ParseTcpSegment(seg, kSrc, kDst);
  // What must be refused.
  bool bad = seg.size() < inet::kTcpHeaderLen;
  size_t offset = 0;
  if (!bad) {
    offset = size_t(seg[12] >> 4) * 4;
    bad = offset < inet::kTcpHeaderLen || offset > seg.size();
  }
  if (!bad) bad = !SumsToZero(seg);
  if (!bad && !parsed.ok()) {
    Violation("a well-formed segment of %zu bytes refused: %s", seg.size(),
              parsed.status().ToString().c_str());
  }
  if (bad && parsed.ok()) {
    Violation("a %zu-byte segment with data offset %zu accepted (checksum 0x%04x)", seg.size(),
              offset, Get16(&seg[16]));
  }
  if (!parsed.ok()) return;
  const TcpHeader& h = parsed->header;
  if (h.sport != Get16(&seg[0]) || h.dport != Get16(&seg[2]) || h.seq.value() != Get32(&seg[4]) ||
      h.ack.value() != Get32(&seg[8]) || h.header_len != offset || h.flags != seg[13] ||
      h.window != Get16(&seg[14]) || h.checksum != Get16(&seg[16]) || h.urgent != Get16(&seg[18])) {
    Violation("parsed header fields are not the wire's");
  }
  if (parsed->payload.data() != seg.data() + offset || parsed->payload.size() != seg.size() - offset) {
    Violation("the payload is not what follows the header");
  }
  const TcpOptions direct = inet::ParseTcpOptions(
      absl::MakeConstSpan(seg).subspan(inet::kTcpHeaderLen, offset - inet::kTcpHeaderLen));
  if (!(direct == parsed->options)) Violation("the segment's options are not ParseTcpOptions'");
  CheckOptionBounds(parsed->options, "segment options");
  TcpOptions o = parsed->options;
  o.truncated = false;
  CheckBuildParses(h, o, parsed->payload, "wire round trip");
}

// The "build" mode's description, read from `in`.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> in) : in_(in) {}
  uint8_t U8() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  uint16_t U16() { return uint16_t((U8() << 8) | U8()); }
  uint32_t U32() { return (uint32_t(U16()) << 16) | U16(); }
  absl::Span<const uint8_t> Rest() { return in_.subspan(std::min(pos_, in_.size())); }

 private:
  absl::Span<const uint8_t> in_;
  size_t pos_ = 0;
};

void CheckBuild(absl::Span<const uint8_t> bytes) {
  Reader r(bytes);
  const uint8_t what = r.U8();
  TcpOptions o;
  if (what & 1) o.mss = r.U16();
  if (what & 2) o.window_shift = r.U8() % 20;  // now and then above 14
  o.sack_permitted = (what & 4) != 0;
  if (what & 8) {
    o.timestamps = inet::TcpTimestamps{};
    o.timestamps->value = r.U32();
    o.timestamps->echo = r.U32();
  }
  const size_t blocks = (what >> 4) % 6;  // now and then above 4
  for (size_t i = 0; i < blocks; ++i) {
    const uint32_t start = r.U32();
    o.sack_blocks.push_back({inet::TcpSeq(start), inet::TcpSeq(r.U32())});
  }
  TcpHeader h;
  h.sport = r.U16();
  h.dport = r.U16();
  h.seq = inet::TcpSeq(r.U32());
  h.ack = inet::TcpSeq(r.U32());
  h.flags = r.U8();
  h.window = r.U16();
  h.urgent = r.U16();
  CheckBuildParses(h, o, r.Rest(), "build");
}

}  // namespace

void CheckTcpSegmentCodec(absl::Span<const uint8_t> input) {
  if (input.empty()) return;
  const uint8_t control = input[0];
  if (control & 2) {
    CheckBuild(input.subspan(1));
  } else {
    CheckWire(input.subspan(1), (control & 1) != 0);
  }
}

std::vector<TcpSegmentSeed> TcpSegmentSeeds() {
  std::vector<TcpSegmentSeed> seeds;
  const auto wire = [&seeds](const char* name, const TcpOptions& o, uint8_t flags,
                             std::vector<uint8_t> payload) {
    TcpHeader h;
    h.sport = 40000;
    h.dport = 8000;
    h.seq = inet::TcpSeq(0x10000001);
    h.ack = inet::TcpSeq(0x70000001);
    h.flags = flags;
    h.window = 0x4000;
    absl::StatusOr<std::vector<uint8_t>> s = inet::BuildTcpSegment(h, o, payload, kSrc, kDst);
    if (!s.ok()) Violation("seed %s: %s", name, s.status().ToString().c_str());
    std::vector<uint8_t> in = {1};
    in.insert(in.end(), s->begin(), s->end());
    seeds.push_back({name, std::move(in)});
  };
  TcpOptions all;
  all.mss = 1460;
  all.window_shift = 7;
  all.sack_permitted = true;
  all.timestamps = inet::TcpTimestamps{1000, 0};
  wire("syn_all_options", all, inet::kTcpSyn, {});
  TcpOptions sack;
  sack.timestamps = inet::TcpTimestamps{1001, 77};
  sack.sack_blocks = {{inet::TcpSeq(100), inet::TcpSeq(200)}, {inet::TcpSeq(300), inet::TcpSeq(400)},
                      {inet::TcpSeq(500), inet::TcpSeq(600)}};
  wire("ack_sack", sack, inet::kTcpAck, {});
  wire("data", TcpOptions(), inet::kTcpAck | inet::kTcpPsh, std::vector<uint8_t>(100, 'd'));
  wire("fin_rst", TcpOptions(), inet::kTcpFin | inet::kTcpRst | inet::kTcpAck, {});
  // Hand-made option areas: odd lengths, a bad length byte, truncation,
  // everything packed without alignment (too long to rebuild).
  const auto raw = [&seeds](const char* name, std::vector<uint8_t> opts, uint8_t control) {
    std::vector<uint8_t> seg(20, 0);
    seg[13] = inet::kTcpSyn;
    seg.insert(seg.end(), opts.begin(), opts.end());
    while (seg.size() % 4 != 0) seg.push_back(0);
    seg[12] = uint8_t((seg.size() / 4) << 4);
    seg.push_back('x');
    std::vector<uint8_t> in = {control};
    in.insert(in.end(), seg.begin(), seg.end());
    seeds.push_back({name, std::move(in)});
  };
  raw("odd_lengths", {2, 3, 5, 3, 4, 9, 4, 3, 0, 8, 6, 1, 2, 3, 4}, 1);
  raw("length_below_two", {1, 2, 1, 7, 7, 7}, 1);
  raw("length_past_end", {1, 1, 8, 30, 1, 2}, 1);
  raw("packed_everything", {2, 4, 5, 180, 3, 3, 14, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
                            5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4},
      1);
  raw("bad_checksum", {2, 4, 5, 180}, 0);
  seeds.push_back({"short", {1, 0, 1, 2, 3}});
  seeds.push_back({"offset_too_small", {1, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x40, 2, 0, 0,
                                        0, 0, 0, 0}});
  seeds.push_back({"build_all", {2, 0x4f, 5, 180, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0,
                                 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0x9c, 0x40,
                                 0x1f, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 0x18, 0x40, 0, 0, 5, 'h'}});
  seeds.push_back({"build_too_many_blocks", {2, 0x58, 0, 0, 0, 1, 0, 0, 0, 2}});
  return seeds;
}

}  // namespace rump::inet_fuzz
