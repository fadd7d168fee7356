// The TCP segment codec: a known checksum, round trips, every malformed
// header, and option parsing (good, bad lengths, truncation, caps).
#include "rump/netinet/tcp_header.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rump::inet {
namespace {

using ::testing::HasSubstr;

uint32_t A(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return a.s_addr;
}

const uint32_t kSrc = A("192.168.0.1");
const uint32_t kDst = A("192.168.0.2");

// A SYN from 192.168.0.1:49152 to 192.168.0.2:80, seq 0x01020304, window
// 65535, MSS 1460. Its checksum (0x527c) was computed independently and
// `tcpdump -vv` reports it "correct".
const std::vector<uint8_t> kSyn = {0xc0, 0x00, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04,
                                   0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff,
                                   0x52, 0x7c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4};

// A segment with `option_bytes` as its options (a multiple of 4 long) and
// `payload`, with a correct checksum.
std::vector<uint8_t> RawSegment(const std::vector<uint8_t>& option_bytes,
                                const std::vector<uint8_t>& payload = {}) {
  std::vector<uint8_t> seg(20, 0);
  seg[1] = 7;
  seg[3] = 9;
  seg[12] = uint8_t(((20 + option_bytes.size()) / 4) << 4);
  seg[13] = kTcpAck;
  seg.insert(seg.end(), option_bytes.begin(), option_bytes.end());
  seg.insert(seg.end(), payload.begin(), payload.end());
  const uint16_t sum = TcpChecksum(kSrc, kDst, seg);
  seg[16] = uint8_t(sum >> 8);
  seg[17] = uint8_t(sum);
  return seg;
}

TEST(TcpChecksumTest, KnownVector) {
  EXPECT_EQ(TcpChecksum(kSrc, kDst, kSyn), 0x527c);
  // The field's own value is ignored.
  std::vector<uint8_t> zeroed = kSyn;
  zeroed[16] = zeroed[17] = 0;
  EXPECT_EQ(TcpChecksum(kSrc, kDst, zeroed), 0x527c);
}

TEST(TcpChecksumTest, BuilderReproducesTheKnownVector) {
  TcpHeader h;
  h.sport = 49152;
  h.dport = 80;
  h.seq = TcpSeq(0x01020304);
  h.flags = kTcpSyn;
  h.window = 65535;
  TcpOptions o;
  o.mss = 1460;
  absl::StatusOr<std::vector<uint8_t>> seg = BuildTcpSegment(h, o, {}, kSrc, kDst);
  ASSERT_TRUE(seg.ok()) << seg.status();
  EXPECT_EQ(*seg, kSyn);
}

TEST(TcpHeaderTest, ParsesTheKnownVector) {
  absl::StatusOr<TcpSegment> s = ParseTcpSegment(kSyn, kSrc, kDst);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->header.sport, 49152);
  EXPECT_EQ(s->header.dport, 80);
  EXPECT_EQ(s->header.seq, TcpSeq(0x01020304));
  EXPECT_EQ(s->header.ack, TcpSeq(0));
  EXPECT_EQ(s->header.header_len, 24);
  EXPECT_EQ(s->header.flags, kTcpSyn);
  EXPECT_TRUE(s->header.has(kTcpSyn));
  EXPECT_FALSE(s->header.has(kTcpAck));
  EXPECT_EQ(s->header.window, 65535);
  EXPECT_EQ(s->header.checksum, 0x527c);
  EXPECT_EQ(s->options.mss, 1460);
  EXPECT_FALSE(s->options.truncated);
  EXPECT_TRUE(s->payload.empty());
}

TEST(TcpHeaderTest, FlagsHaveNetBsdValues) {
  EXPECT_EQ(kTcpFin, 0x01);
  EXPECT_EQ(kTcpSyn, 0x02);
  EXPECT_EQ(kTcpRst, 0x04);
  EXPECT_EQ(kTcpPsh, 0x08);
  EXPECT_EQ(kTcpAck, 0x10);
  EXPECT_EQ(kTcpUrg, 0x20);
  EXPECT_EQ(kTcpEce, 0x40);
  EXPECT_EQ(kTcpCwr, 0x80);
}

TEST(TcpHeaderTest, RoundTripsEveryFieldAndOption) {
  TcpHeader h;
  h.sport = 1234;
  h.dport = 65535;
  h.seq = TcpSeq(0xfffffff0u);
  h.ack = TcpSeq(0x80000001u);
  h.flags = kTcpAck | kTcpPsh | kTcpUrg | kTcpEce | kTcpCwr | kTcpFin;
  h.window = 4321;
  h.urgent = 7;
  const std::vector<uint8_t> payload = {'h', 'e', 'l', 'l', 'o'};  // odd length
  TcpOptions o;
  o.timestamps = TcpTimestamps{0xdeadbeef, 0x01020304};
  o.sack_blocks = {{TcpSeq(100), TcpSeq(200)},
                   {TcpSeq(0xfffffff0u), TcpSeq(0x10)},
                   {TcpSeq(300), TcpSeq(400)}};
  absl::StatusOr<std::vector<uint8_t>> seg = BuildTcpSegment(h, o, payload, kSrc, kDst);
  ASSERT_TRUE(seg.ok()) << seg.status();
  EXPECT_EQ(seg->size(), 20u + 40u + payload.size());
  absl::StatusOr<TcpSegment> s = ParseTcpSegment(*seg, kSrc, kDst);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->header.sport, h.sport);
  EXPECT_EQ(s->header.dport, h.dport);
  EXPECT_EQ(s->header.seq, h.seq);
  EXPECT_EQ(s->header.ack, h.ack);
  EXPECT_EQ(s->header.flags, h.flags);
  EXPECT_EQ(s->header.window, h.window);
  EXPECT_EQ(s->header.urgent, h.urgent);
  EXPECT_EQ(s->header.header_len, 60);
  EXPECT_EQ(s->options, o);
  EXPECT_EQ(std::vector<uint8_t>(s->payload.begin(), s->payload.end()), payload);
}

TEST(TcpHeaderTest, RoundTripsSynOptions) {
  TcpHeader h;
  h.flags = kTcpSyn;
  TcpOptions o;
  o.mss = 1460;
  o.window_shift = 14;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{1, 0};
  absl::StatusOr<std::vector<uint8_t>> seg = BuildTcpSegment(h, o, {}, kSrc, kDst);
  ASSERT_TRUE(seg.ok()) << seg.status();
  EXPECT_EQ(seg->size() % 4, 0u);
  absl::StatusOr<TcpSegment> s = ParseTcpSegment(*seg, kSrc, kDst);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->options, o);
  // No options: a bare 20-byte header.
  seg = BuildTcpSegment(h, TcpOptions{}, {}, kSrc, kDst);
  ASSERT_TRUE(seg.ok());
  EXPECT_EQ(seg->size(), 20u);
  s = ParseTcpSegment(*seg, kSrc, kDst);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->options, TcpOptions{});
}

TEST(TcpHeaderTest, BuilderRefusesWhatCannotBeEncoded) {
  TcpHeader h;
  TcpOptions o;
  o.window_shift = 15;
  EXPECT_EQ(BuildTcpSegment(h, o, {}, kSrc, kDst).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = TcpOptions{};
  o.sack_blocks.assign(5, SackBlock{TcpSeq(1), TcpSeq(2)});
  EXPECT_EQ(BuildTcpSegment(h, o, {}, kSrc, kDst).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Four SACK blocks and timestamps: 36 + 12 bytes.
  o.sack_blocks.resize(4);
  o.timestamps = TcpTimestamps{};
  absl::Status st = BuildTcpSegment(h, o, {}, kSrc, kDst).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("at most 40"));
  // Three SACK blocks and timestamps fit exactly.
  o.sack_blocks.resize(3);
  EXPECT_TRUE(BuildTcpSegment(h, o, {}, kSrc, kDst).ok());
  // Payload too big for an IPv4 datagram.
  std::vector<uint8_t> big(65535 - 40 + 1);
  EXPECT_EQ(BuildTcpSegment(h, TcpOptions{}, big, kSrc, kDst).status().code(),
            absl::StatusCode::kInvalidArgument);
  big.pop_back();
  EXPECT_TRUE(BuildTcpSegment(h, TcpOptions{}, big, kSrc, kDst).ok());
}

// --- malformed segments

void ExpectRefused(absl::Span<const uint8_t> seg, const std::string& why) {
  absl::StatusOr<TcpSegment> s = ParseTcpSegment(seg, kSrc, kDst);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(why));
}

TEST(TcpHeaderTest, RefusesShortSegments) {
  for (size_t n = 0; n < 20; ++n) {
    // Exact-size copies so that a sanitizer sees any read past the end.
    std::vector<uint8_t> cut(kSyn.begin(), kSyn.begin() + n);
    ExpectRefused(cut, "shorter than the 20-byte header");
  }
}

TEST(TcpHeaderTest, RefusesDataOffsetBelowFive) {
  for (uint8_t off = 0; off < 5; ++off) {
    std::vector<uint8_t> seg = RawSegment({});
    seg[12] = uint8_t(off << 4);
    ExpectRefused(seg, "below 5 words");
  }
}

TEST(TcpHeaderTest, RefusesDataOffsetPastTheSegment) {
  // 24 bytes, data offset 7 (28 bytes), and 15 (60 bytes).
  for (uint8_t off : {7, 15}) {
    std::vector<uint8_t> seg = kSyn;
    seg[12] = uint8_t(off << 4);
    ExpectRefused(seg, "reaches past");
  }
  // 15 words with exactly 60 bytes is fine.
  std::vector<uint8_t> opts(40, kTcpOptNop);
  EXPECT_TRUE(ParseTcpSegment(RawSegment(opts), kSrc, kDst).ok());
}

TEST(TcpHeaderTest, RefusesBadChecksums) {
  std::vector<uint8_t> seg = kSyn;
  seg[16] ^= 0x01;
  ExpectRefused(seg, "bad checksum");
  // A flipped bit anywhere in header or payload.
  const std::vector<uint8_t> good = RawSegment({}, {1, 2, 3});
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> bad = good;
    bad[i] ^= 0x40;
    if (i == 12) continue;  // changes the data offset instead
    ExpectRefused(bad, "bad checksum");
  }
  // The pseudo-header counts: the same bytes between other addresses.
  // (Swapping source and destination keeps the sum, so change one.)
  EXPECT_TRUE(ParseTcpSegment(kSyn, kDst, kSrc).ok());
  EXPECT_FALSE(ParseTcpSegment(kSyn, A("10.0.0.1"), kDst).ok());
}

TEST(TcpHeaderTest, RefusesOversizedSegments) {
  std::vector<uint8_t> seg(65536, 0);
  seg[12] = 5 << 4;
  ExpectRefused(seg, "longer than 65535");
}

// --- options

TcpOptions Options(std::vector<uint8_t> bytes) {
  // Through a whole segment, so that the header path is exercised too.
  while (bytes.size() % 4) bytes.push_back(kTcpOptEol);
  std::vector<uint8_t> seg = RawSegment(bytes, {0xaa});
  absl::StatusOr<TcpSegment> s = ParseTcpSegment(seg, kSrc, kDst);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  EXPECT_EQ(s->payload.size(), 1u);
  // The bare parser reads the same bytes the same way.
  EXPECT_EQ(ParseTcpOptions(bytes), s->options);
  return s->options;
}

TEST(TcpOptionsTest, NopsAndEol) {
  TcpOptions o = Options({kTcpOptNop, kTcpOptNop, kTcpOptNop, kTcpOptEol,
                          // after EOL nothing is read, even a valid MSS
                          kTcpOptMss, 4, 0x05, 0xb4});
  EXPECT_EQ(o, TcpOptions{});
}

TEST(TcpOptionsTest, WindowShiftIsCappedAt14) {
  EXPECT_EQ(Options({kTcpOptWindowScale, 3, 7}).window_shift, 7);
  EXPECT_EQ(Options({kTcpOptWindowScale, 3, 14}).window_shift, 14);
  EXPECT_EQ(Options({kTcpOptWindowScale, 3, 15}).window_shift, 14);
  EXPECT_EQ(Options({kTcpOptWindowScale, 3, 255}).window_shift, 14);
}

TEST(TcpOptionsTest, KnownOptionsWithTheWrongLengthAreSkipped) {
  // Each bad option is skipped by its own length and the MSS after it is
  // still read.
  const std::vector<std::vector<uint8_t>> bad = {
      {kTcpOptMss, 3, 0},
      {kTcpOptMss, 6, 0, 0, 0, 0},
      {kTcpOptWindowScale, 2},
      {kTcpOptWindowScale, 4, 1, 2},
      {kTcpOptSackPermitted, 3, 0},
      {kTcpOptTimestamps, 9, 0, 0, 0, 0, 0, 0, 0},
      {kTcpOptTimestamps, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {kTcpOptSack, 2},
      {kTcpOptSack, 9, 0, 0, 0, 0, 0, 0, 0},
      {kTcpOptSack, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0},
  };
  for (const auto& b : bad) {
    std::vector<uint8_t> bytes = b;
    bytes.insert(bytes.end(), {kTcpOptMss, 4, 0x02, 0x18});
    TcpOptions o = Options(bytes);
    EXPECT_FALSE(o.truncated) << int(b[0]) << "/" << int(b[1]);
    EXPECT_EQ(o.mss, 536) << int(b[0]) << "/" << int(b[1]);
    EXPECT_FALSE(o.window_shift.has_value());
    EXPECT_FALSE(o.sack_permitted);
    EXPECT_FALSE(o.timestamps.has_value());
    EXPECT_TRUE(o.sack_blocks.empty());
  }
}

TEST(TcpOptionsTest, UnknownOptionsAreSkippedByLength) {
  TcpOptions o = Options({19, 6, 1, 2, 3, 4, kTcpOptSackPermitted, 2, 253, 2});
  EXPECT_TRUE(o.sack_permitted);
  EXPECT_FALSE(o.truncated);
}

TEST(TcpOptionsTest, BadLengthBytesEndParsing) {
  // Length 0 and 1 cannot advance; what came before is kept.
  for (uint8_t len : {0, 1}) {
    TcpOptions o = Options({kTcpOptMss, 4, 0x05, 0xb4, 30, len, kTcpOptSackPermitted, 2});
    EXPECT_TRUE(o.truncated);
    EXPECT_EQ(o.mss, 1460);
    EXPECT_FALSE(o.sack_permitted);
  }
  // A length past the options.
  TcpOptions o = Options({kTcpOptSackPermitted, 2, kTcpOptTimestamps, 10, 0, 0, 0, 0});
  EXPECT_TRUE(o.truncated);
  EXPECT_TRUE(o.sack_permitted);
  EXPECT_FALSE(o.timestamps.has_value());
  // A kind in the very last byte, with no room for its length.
  o = Options({kTcpOptNop, kTcpOptNop, kTcpOptNop, kTcpOptMss});
  EXPECT_TRUE(o.truncated);
  EXPECT_FALSE(o.mss.has_value());
}

TEST(TcpOptionsTest, BareParserNeverReadsPastItsSpan) {
  // Exact-size buffers, every prefix of a full option list: under ASan any
  // read beyond the span fails.
  TcpOptions full;
  full.mss = 1460;
  full.window_shift = 3;
  full.sack_permitted = true;
  full.timestamps = TcpTimestamps{5, 6};
  absl::StatusOr<std::vector<uint8_t>> bytes = EncodeTcpOptions(full);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(ParseTcpOptions(*bytes), full);
  for (size_t n = 0; n < bytes->size(); ++n) {
    std::vector<uint8_t> cut(bytes->begin(), bytes->begin() + n);
    TcpOptions o = ParseTcpOptions(cut);
    if (n < 4) {
      EXPECT_FALSE(o.mss.has_value());
    }
    EXPECT_NE(o, full);
  }
  // Every two-byte pattern.
  for (int kind = 0; kind < 256; ++kind) {
    for (int len = 0; len < 256; ++len) {
      const uint8_t b[2] = {uint8_t(kind), uint8_t(len)};
      ParseTcpOptions(b);
    }
  }
}

TEST(TcpOptionsTest, SackBlocks) {
  TcpOptions o = Options({kTcpOptNop, kTcpOptNop, kTcpOptSack, 18,
                          0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10});
  ASSERT_EQ(o.sack_blocks.size(), 2u);
  EXPECT_EQ(o.sack_blocks[0], (SackBlock{TcpSeq(1), TcpSeq(2)}));
  EXPECT_EQ(o.sack_blocks[1], (SackBlock{TcpSeq(0xfffffff0u), TcpSeq(0x10)}));
  // Four blocks fill 34 of the 40 bytes.
  std::vector<uint8_t> four = {kTcpOptSack, 34};
  for (int i = 0; i < 32; ++i) four.push_back(uint8_t(i));
  EXPECT_EQ(Options(four).sack_blocks.size(), 4u);
}

TEST(TcpOptionsTest, TwoSackOptionsAddUp) {
  TcpOptions o = Options({kTcpOptSack, 10, 0, 0, 0, 1, 0, 0, 0, 2,
                          kTcpOptSack, 10, 0, 0, 0, 5, 0, 0, 0, 6});
  EXPECT_EQ(o.sack_blocks,
            (std::vector<SackBlock>{{TcpSeq(1), TcpSeq(2)}, {TcpSeq(5), TcpSeq(6)}}));
}

TEST(TcpOptionsTest, LinuxSynLayout) {
  // What a Linux SYN carries: MSS, SACK-permitted, timestamps, NOP, window
  // scale; 20 bytes, no padding.
  TcpOptions o = Options({0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x0f, 0x42, 0x40,
                          0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07});
  EXPECT_EQ(o.mss, 1460);
  EXPECT_TRUE(o.sack_permitted);
  ASSERT_TRUE(o.timestamps.has_value());
  EXPECT_EQ(o.timestamps->value, 1000000u);
  EXPECT_EQ(o.timestamps->echo, 0u);
  EXPECT_EQ(o.window_shift, 7);
  EXPECT_FALSE(o.truncated);
}

TEST(TcpOptionsTest, TimestampsAndMss) {
  TcpOptions o = Options({kTcpOptMss, 4, 0xff, 0xff, kTcpOptNop, kTcpOptNop, kTcpOptTimestamps, 10,
                          0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
  EXPECT_EQ(o.mss, 65535);
  ASSERT_TRUE(o.timestamps.has_value());
  EXPECT_EQ(o.timestamps->value, 0x11223344u);
  EXPECT_EQ(o.timestamps->echo, 0x55667788u);
}

}  // namespace
}  // namespace rump::inet
