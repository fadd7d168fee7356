// Byte-level checks of the bus format against docs/bus-format.md, and
// ring states computed by hand after known sequences of writes.
#include "shmif/bus_format.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "shmif/bus_ring.h"

namespace shmif {
namespace {

uint32_t U32At(const std::vector<uint8_t>& m, size_t off) {
  uint32_t v;
  std::memcpy(&v, m.data() + off, 4);
  return v;
}

uint64_t U64At(const std::vector<uint8_t>& m, size_t off) {
  uint64_t v;
  std::memcpy(&v, m.data() + off, 8);
  return v;
}

TEST(BusFormatTest, SizesAndOffsetsAreNetBsds) {
  EXPECT_EQ(kBusSize, 1048576u);
  EXPECT_EQ(kBusHeaderSize, 32u);
  EXPECT_EQ(kDataSize, 1048544u);
  EXPECT_EQ(kFrameHeaderSize, 24u);
  EXPECT_EQ(kFrameHeaderSizeV2, 12u);
  EXPECT_EQ(kMagicOffset, 0u);
  EXPECT_EQ(kVersionOffset, 4u);
  EXPECT_EQ(kGenOffset, 8u);
  EXPECT_EQ(kFirstOffset, 16u);
  EXPECT_EQ(kLastOffset, 20u);
  EXPECT_EQ(kLockOffset, 24u);
  EXPECT_EQ(kSpareOffset, 28u);
  EXPECT_EQ(kBusMagic, 0xca11d054u);
  EXPECT_EQ(kMaxFrameLen, 1514u);
}

TEST(BusFormatTest, FrameHeaderBytes) {
  FrameHeader h{0x0102, 0x11223344, 0x00055667, 0x8877665544332211ull};
  uint8_t raw[kFrameHeaderSize];
  std::memset(raw, 0xee, sizeof(raw));
  EncodeFrameHeader(h, raw);
  const uint8_t want[24] = {0x02, 0x01, 0, 0,                 // len
                            0x44, 0x33, 0x22, 0x11,           // sec
                            0x67, 0x56, 0x05, 0x00,           // usec
                            0, 0, 0, 0,                       // padding
                            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  EXPECT_EQ(0, std::memcmp(raw, want, sizeof(want)));
  FrameHeader back = DecodeFrameHeader(raw, 3, false);
  EXPECT_EQ(back.len, h.len);
  EXPECT_EQ(back.sec, h.sec);
  EXPECT_EQ(back.usec, h.usec);
  EXPECT_EQ(back.sender, h.sender);
  // Version 2: 12 bytes, no sender. Foreign byte order: every field swapped.
  FrameHeader v2 = DecodeFrameHeader(raw, 2, false);
  EXPECT_EQ(v2.len, 0x0102u);
  EXPECT_EQ(v2.sender, 0u);
  FrameHeader swapped = DecodeFrameHeader(raw, 3, true);
  EXPECT_EQ(swapped.len, 0x02010000u);
  EXPECT_EQ(swapped.sender, 0x1122334455667788ull);
}

TEST(BusFormatTest, RingReadWrapsAndReportsTheWrap) {
  std::vector<uint8_t> data(kDataSize);
  for (uint32_t i = 0; i < 4; ++i) data[kDataSize - 4 + i] = uint8_t(i);
  data[0] = 0xa0;
  data[1] = 0xa1;
  uint8_t out[6];
  bool wrapped = false;
  EXPECT_EQ(RingRead(data.data(), kDataSize - 4, out, 6, &wrapped), 2u);
  EXPECT_TRUE(wrapped);
  const uint8_t want[6] = {0, 1, 2, 3, 0xa0, 0xa1};
  EXPECT_EQ(0, std::memcmp(out, want, 6));
  // Ending exactly at the end of the data area is a wrap, as in NetBSD.
  wrapped = false;
  EXPECT_EQ(RingRead(data.data(), kDataSize - 4, out, 4, &wrapped), 0u);
  EXPECT_TRUE(wrapped);
  wrapped = false;
  EXPECT_EQ(RingRead(data.data(), 100, out, 4, &wrapped), 104u);
  EXPECT_FALSE(wrapped);
}

class HandComputedRingTest : public ::testing::Test {
 protected:
  HandComputedRingTest() : mem_(kBusSize, 0), ring_(mem_.data()) {
    ring_.InitializeIfNew();
  }
  void Append(uint32_t len, uint8_t fill) {
    std::vector<uint8_t> p(len, fill);
    ASSERT_TRUE(ring_.Append(FrameHeader{len, 1, 2, 3}, p).ok());
  }
  std::vector<uint8_t> mem_;
  BusRing ring_;
};

TEST_F(HandComputedRingTest, NewBus) {
  EXPECT_EQ(U32At(mem_, 0), kBusMagic);
  EXPECT_EQ(U32At(mem_, 4), 0u);  // version: written by the first wakeup
  EXPECT_EQ(U64At(mem_, 8), 0u);
  EXPECT_EQ(U32At(mem_, 16), kDataSize);  // the "empty" marker
  EXPECT_EQ(U32At(mem_, 20), 0u);
}

TEST_F(HandComputedRingTest, FirstFramesGoAfterTheEmptyFrameAtZero) {
  Append(100, 0xaa);
  // The all-zero header at 0 is a frame of length 0: the first frame is at 24.
  EXPECT_EQ(U32At(mem_, 20), 24u);
  EXPECT_EQ(U32At(mem_, 16), kDataSize);
  EXPECT_EQ(U32At(mem_, kBusHeaderSize + 24), 100u);
  EXPECT_EQ(U32At(mem_, kBusHeaderSize + 24 + 16), 3u);  // sender, low half
  EXPECT_EQ(mem_[kBusHeaderSize + 48], 0xaa);
  EXPECT_EQ(mem_[kBusHeaderSize + 48 + 99], 0xaa);
  Append(60, 0xbb);
  EXPECT_EQ(U32At(mem_, 20), 24u + 24 + 100);
  EXPECT_EQ(U32At(mem_, kBusHeaderSize + 148), 60u);
  EXPECT_EQ(U64At(mem_, 8), 0u);
}

// 682 frames of 1514 bytes (1538 with header) from offset 24: frame 681
// starts at 24 + 681 * 1538 = 1047402; its payload runs from 1047426 to the
// end (1118 bytes) and wraps for 396 bytes to [0, 396). Filling the end
// pushes the empty marker `first` to the zero frame at 0 and past it to 24;
// writing [0, 396) then pushes it past frame 0 to 24 + 1538 = 1562.
TEST_F(HandComputedRingTest, PayloadWrap) {
  for (int i = 0; i < 682; ++i) Append(1514, uint8_t(i));
  EXPECT_EQ(U32At(mem_, 20), 1047402u);
  EXPECT_EQ(U32At(mem_, 16), 1562u);
  EXPECT_EQ(U64At(mem_, 8), 1u);
  EXPECT_EQ(mem_[kBusHeaderSize + kDataSize - 1], uint8_t(681));
  EXPECT_EQ(mem_[kBusHeaderSize + 0], uint8_t(681));
  EXPECT_EQ(mem_[kBusHeaderSize + 395], uint8_t(681));
  EXPECT_EQ(mem_[kBusHeaderSize + 396], 0u);  // frame 0's old header bytes
  // The next frame goes at 396; its payload [420, 1934) overlaps frame 1 at
  // 1562, so `first` moves to frame 2 at 3100.
  Append(1514, 0xcc);
  EXPECT_EQ(U32At(mem_, 20), 396u);
  EXPECT_EQ(U32At(mem_, 16), 3100u);
  EXPECT_EQ(U64At(mem_, 8), 1u);
}

// A first frame of 1108 bytes, then frames of 1514: frame k >= 1 starts at
// 48 + 1108 + 1538 (k - 1), so frame 682 starts at 1048534, 10 bytes before
// the end: its header wraps (10 bytes at the end, 14 at [0, 14)), its payload
// is [14, 1528). `first` goes DATASIZE -> 24 (end filled) -> 1156 -> 2694.
TEST_F(HandComputedRingTest, HeaderWrap) {
  Append(1108, 0x11);
  for (int i = 1; i <= 682; ++i) Append(1514, uint8_t(i));
  EXPECT_EQ(U32At(mem_, 20), 1048534u);
  EXPECT_EQ(U32At(mem_, 16), 2694u);
  EXPECT_EQ(U64At(mem_, 8), 1u);
  uint8_t raw[kFrameHeaderSize];
  std::memcpy(raw, mem_.data() + kBusHeaderSize + 1048534, 10);
  std::memcpy(raw + 10, mem_.data() + kBusHeaderSize, 14);
  EXPECT_EQ(DecodeFrameHeader(raw, 3, false).len, 1514u);
  EXPECT_EQ(mem_[kBusHeaderSize + 14], uint8_t(682));
  EXPECT_EQ(mem_[kBusHeaderSize + 1527], uint8_t(682));

  // A reader that was attached at the start reads everything in order across
  // both wraps... except what was overwritten: it was lapped.
  ReadCursor behind{24, 0};
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto r = ring_.Read(behind, absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->overrun);
  EXPECT_EQ(r->header.len, 1514u);
  EXPECT_EQ(buf[0], uint8_t(2));  // frame 2 is the oldest whole frame
  // A reader right behind the wrapping frame gets it whole.
  ReadCursor near{1048534 - 1538, 0};
  r = ring_.Read(near, absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->overrun);
  EXPECT_EQ(buf[0], uint8_t(681));
  r = ring_.Read(near, absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.len, 1514u);
  EXPECT_EQ(buf[0], uint8_t(682));
  EXPECT_EQ(buf[1513], uint8_t(682));
  EXPECT_EQ(near.next, 1528u);
  EXPECT_EQ(near.devgen, 1u);
  r = ring_.Read(near, absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->frame);  // caught up
}

TEST_F(HandComputedRingTest, ResetMakesEveryReaderResync) {
  Append(100, 1);
  ReadCursor cur = *ring_.NewFramesCursor();
  const uint64_t gen = ring_.gen();
  ring_.Reset();
  EXPECT_EQ(ring_.first(), kDataSize);
  EXPECT_EQ(ring_.last(), 0u);
  EXPECT_EQ(ring_.gen(), gen + 2);
  Append(70, 2);
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto r = ring_.Read(cur, absl::MakeSpan(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->overrun);
  if (r->header.len == 0) r = ring_.Read(cur, absl::MakeSpan(buf));  // zero frame
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.len, 70u);
}

TEST_F(HandComputedRingTest, CorruptionIsReportedNeverFollowed) {
  Append(100, 1);
  ReadCursor cur = *ring_.NewFramesCursor();
  Append(100, 2);
  std::vector<uint8_t> buf(kMaxFrameLen);
  // Garbage length in the newest frame's header.
  const uint32_t garbage = 0xfffffff0;
  std::memcpy(mem_.data() + kBusHeaderSize + ring_.last(), &garbage, 4);
  EXPECT_TRUE(absl::IsDataLoss(ring_.Read(cur, absl::MakeSpan(buf)).status()));
  EXPECT_TRUE(absl::IsDataLoss(ring_.Append(FrameHeader{20, 0, 0, 0},
                                            std::vector<uint8_t>(20))));
  // `first` and `last` out of range.
  ring_.Reset();
  const uint32_t far = kDataSize + 5;
  std::memcpy(mem_.data() + kFirstOffset, &far, 4);
  EXPECT_TRUE(absl::IsDataLoss(ring_.Read(cur, absl::MakeSpan(buf)).status()));
  ring_.Reset();
  std::memcpy(mem_.data() + kLastOffset, &far, 4);
  EXPECT_TRUE(absl::IsDataLoss(ring_.Read(cur, absl::MakeSpan(buf)).status()));
  EXPECT_FALSE(ring_.NewFramesCursor().ok());
  // A `first` pointing at garbage stops the writer's walk, not loops it.
  ring_.Reset();
  Append(100, 3);
  const uint32_t into_payload = 24 + 24 + 10;
  std::memcpy(mem_.data() + kFirstOffset, &into_payload, 4);
  std::memset(mem_.data() + kBusHeaderSize + into_payload, 0x7f, 4);
  for (int i = 0; i < 2000; ++i) {
    absl::Status s = ring_.Append(FrameHeader{1000, 0, 0, 0}, std::vector<uint8_t>(1000));
    if (!s.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(s));
      break;
    }
  }
}

}  // namespace
}  // namespace shmif
