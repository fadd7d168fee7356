// BusImage against bus images written byte by byte (HandBuiltBus), never by
// the live ring code: an independent check of the format and of the walk,
// including wrap-around, version 2, foreign byte order and corrupt files.
#include "shmif/dumpbus/bus_image.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shmif/bus_format.h"
#include "shmif/dumpbus/hand_built_bus.h"
#include "shmif/demo/protocol_frames.h"

namespace shmif {
namespace {

using ::shmif::testing::ByteOrder;
using ::shmif::testing::ForeignByteOrder;
using ::shmif::testing::HandBuiltBus;
using ::shmif::testing::HostByteOrder;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// What the visitor saw for one frame.
struct SeenFrame {
  FrameHeader header;
  uint32_t payload_offset;
  std::vector<uint8_t> payload;
};

struct WalkResult {
  absl::Status status;
  std::vector<SeenFrame> frames;
};

WalkResult Walk(const BusImage& image) {
  WalkResult result;
  result.status =
      image.ForEachFrame([&](const FrameHeader& header, uint32_t payload_offset,
                             absl::Span<const uint8_t> payload) {
        result.frames.push_back(
            {header, payload_offset, {payload.begin(), payload.end()}});
      });
  return result;
}

// A payload of `n` bytes counting up from `seed`, so that a misplaced or
// torn byte shows.
std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i);
  return v;
}

// A bus as an attacher leaves it: magic, first = kDataSize ("empty").
HandBuiltBus FreshBus(ByteOrder order = HostByteOrder()) {
  HandBuiltBus bus(order);
  bus.SetFirst(kDataSize);
  bus.SetLast(0);
  return bus;
}

TEST(BusImageTest, FreshBusHasVersionZeroAndNoFrames) {
  HandBuiltBus bus = FreshBus();
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->header().version, 0u);
  EXPECT_EQ(image->frame_format(), 3);
  EXPECT_FALSE(image->foreign_endian());
  EXPECT_EQ(image->header().first, kDataSize);
  EXPECT_EQ(image->header().last, 0u);
  EXPECT_EQ(image->header().generation, 0u);
  EXPECT_EQ(image->header().lock, 0u);

  WalkResult walk = Walk(*image);
  EXPECT_TRUE(walk.status.ok()) << walk.status;
  EXPECT_THAT(walk.frames, IsEmpty());
}

TEST(BusImageTest, ReportsHeaderFieldsInHostOrder) {
  HandBuiltBus bus = FreshBus();
  bus.SetVersion(3);
  bus.SetLock(1);
  bus.SetGeneration(0x0102030405060708ull);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->header().version, 3u);
  EXPECT_EQ(image->header().lock, 1u);
  EXPECT_EQ(image->header().generation, 0x0102030405060708ull);
}

// Frames laid out as NetBSD writers leave them on a bus that has not
// wrapped: the all-zero entry at 0, then frames from offset 24 on.
TEST(BusImageTest, WalksFramesFromFirstToLast) {
  HandBuiltBus bus = FreshBus();
  bus.SetVersion(3);
  const std::vector<uint8_t> arp =
      demo::MakeArpRequest(demo::kMacA, demo::kIpA, demo::kIpB);
  const std::vector<uint8_t> udp =
      demo::MakeUdpFrame(demo::kMacB, demo::kMacA, demo::kIpA,
                            demo::kIpB, 1234, 5678, 1, "hello shmif");
  const std::vector<uint8_t> big = Pattern(kMaxFrameLen, 7);

  uint32_t off = kFrameHeaderSize;  // after the all-zero entry at 0
  const uint32_t arp_at = off;
  off = bus.PutFrame(off, arp, 100, 1, 0xaaaa);
  const uint32_t udp_at = off;
  off = bus.PutFrame(off, udp, 100, 250000, 0xbbbb);
  const uint32_t big_at = off;
  bus.PutFrame(off, big, 101, 999999, 0xaaaa);
  bus.SetLast(big_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 3u);

  EXPECT_EQ(walk.frames[0].payload_offset, arp_at + kFrameHeaderSize);
  EXPECT_EQ(walk.frames[0].payload_offset, 0x30u);
  EXPECT_EQ(walk.frames[0].header.len, arp.size());
  EXPECT_EQ(walk.frames[0].header.sec, 100u);
  EXPECT_EQ(walk.frames[0].header.usec, 1u);
  EXPECT_EQ(walk.frames[0].header.sender, 0xaaaau);
  EXPECT_EQ(walk.frames[0].payload, arp);

  EXPECT_EQ(walk.frames[1].payload_offset, udp_at + kFrameHeaderSize);
  EXPECT_EQ(walk.frames[1].header.usec, 250000u);
  EXPECT_EQ(walk.frames[1].header.sender, 0xbbbbu);
  EXPECT_EQ(walk.frames[1].payload, udp);

  EXPECT_EQ(walk.frames[2].payload_offset, big_at + kFrameHeaderSize);
  EXPECT_EQ(walk.frames[2].header.len, kMaxFrameLen);
  EXPECT_EQ(walk.frames[2].payload, big);
}

TEST(BusImageTest, SkipsZeroLengthEntriesButStillFollowsThem) {
  HandBuiltBus bus = FreshBus();
  uint32_t off = bus.PutFrame(0, {}, 1, 0, 0);  // a zero-length entry
  off = bus.PutFrame(off, {}, 2, 0, 0);         // and another
  const uint32_t frame_at = off;
  bus.PutFrame(off, Pattern(20, 1), 3, 0, 9);
  bus.SetFirst(0);
  bus.SetLast(frame_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 1u);
  EXPECT_EQ(walk.frames[0].header.sec, 3u);
  EXPECT_EQ(walk.frames[0].payload_offset, 2 * kFrameHeaderSize + 24);
}

// The newest frame's header is split by the end of the data area: 10 bytes
// at the end, 14 at the start; its payload starts at offset 14.
TEST(BusImageTest, FrameHeaderWrappingPastTheEnd) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(3);
  bus.SetGeneration(1);
  const std::vector<uint8_t> older = Pattern(50, 1);
  const std::vector<uint8_t> newer = Pattern(60, 2);
  const uint32_t older_at = kDataSize - 10 - 50 - kFrameHeaderSize;
  const uint32_t newer_at = bus.PutFrame(older_at, older, 5, 6, 1);
  ASSERT_EQ(newer_at, kDataSize - 10);
  bus.PutFrame(newer_at, newer, 7, 8, 2);
  bus.SetFirst(older_at);
  bus.SetLast(newer_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 2u);
  EXPECT_EQ(walk.frames[0].payload, older);
  EXPECT_EQ(walk.frames[1].payload_offset, kFrameHeaderSize - 10);
  EXPECT_EQ(walk.frames[1].header.sec, 7u);
  EXPECT_EQ(walk.frames[1].header.usec, 8u);
  EXPECT_EQ(walk.frames[1].header.sender, 2u);
  EXPECT_EQ(walk.frames[1].payload, newer);
}

// The newest frame's payload wraps. NetBSD's shmif_dumpbus keeps reading
// from the start of the data area here; the walk must stop after `last`,
// even though plausible-looking stale frames follow it.
TEST(BusImageTest, LastFramePayloadWrappingPastTheEndEndsTheWalk) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(3);
  bus.SetGeneration(4);
  const std::vector<uint8_t> older = Pattern(60, 3);
  const std::vector<uint8_t> newer = Pattern(150, 4);
  const uint32_t older_at = kDataSize - 200;
  const uint32_t newer_at = bus.PutFrame(older_at, older, 1, 0, 1);
  const uint32_t end = bus.PutFrame(newer_at, newer, 2, 0, 1);
  ASSERT_LT(end, newer_at);  // it did wrap
  // Stale frames from the previous lap after the newest one's end.
  uint32_t stale = bus.PutFrame(end, Pattern(40, 9), 99, 0, 3);
  bus.PutFrame(stale, Pattern(40, 9), 99, 0, 3);
  bus.SetFirst(older_at);
  bus.SetLast(newer_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 2u);
  EXPECT_EQ(walk.frames[0].payload, older);
  EXPECT_EQ(walk.frames[1].payload_offset, newer_at + kFrameHeaderSize);
  EXPECT_EQ(walk.frames[1].payload, newer);
}

// A frame header that ends exactly at the end of the data area: the
// payload offset is reported as 0, not kDataSize.
TEST(BusImageTest, PayloadStartingExactlyAtTheWrap) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(3);
  const uint32_t frame_at = kDataSize - kFrameHeaderSize;
  bus.PutFrame(frame_at, Pattern(30, 5), 1, 2, 3);
  bus.SetFirst(frame_at);
  bus.SetLast(frame_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 1u);
  EXPECT_EQ(walk.frames[0].payload_offset, 0u);
  EXPECT_EQ(walk.frames[0].payload, Pattern(30, 5));
}

TEST(BusImageTest, Version2UsesTwelveByteFrameHeaders) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(2);
  bus.SetFirst(0);
  uint32_t off = bus.PutFrame(0, Pattern(40, 1), 10, 20, 0, /*version=*/2);
  const uint32_t second_at = off;
  // The wrap applies to the 12-byte header too.
  bus.PutFrame(off, Pattern(14, 2), 30, 40, 0, /*version=*/2);
  bus.SetLast(second_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->header().version, 2u);
  EXPECT_EQ(image->frame_format(), 2);
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 2u);
  EXPECT_EQ(walk.frames[0].payload_offset, kFrameHeaderSizeV2);
  EXPECT_EQ(walk.frames[0].payload, Pattern(40, 1));
  EXPECT_EQ(walk.frames[0].header.sender, 0u);
  EXPECT_EQ(walk.frames[1].payload_offset, second_at + kFrameHeaderSizeV2);
  EXPECT_EQ(walk.frames[1].header.sec, 30u);
  EXPECT_EQ(walk.frames[1].header.usec, 40u);
  EXPECT_EQ(walk.frames[1].payload, Pattern(14, 2));
}

TEST(BusImageTest, Version2HeaderWrappingPastTheEnd) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(2);
  const uint32_t frame_at = kDataSize - 5;
  bus.PutFrame(frame_at, Pattern(20, 6), 1, 2, 0, /*version=*/2);
  bus.SetFirst(frame_at);
  bus.SetLast(frame_at);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 1u);
  EXPECT_EQ(walk.frames[0].payload_offset, kFrameHeaderSizeV2 - 5);
  EXPECT_EQ(walk.frames[0].payload, Pattern(20, 6));
}

// Every integer byte-swapped, as a bus written on the other byte order.
TEST(BusImageTest, ForeignEndianBusIsReadInHostOrder) {
  HandBuiltBus bus(ForeignByteOrder());
  bus.SetVersion(3);
  bus.SetLock(1);
  bus.SetGeneration(0x1122334455667788ull);
  const uint32_t older_at = kDataSize - 100;
  const uint32_t newer_at = bus.PutFrame(older_at, Pattern(70, 1), 0x01020304,
                                         0x00050607, 0x0102030405060708ull);
  bus.PutFrame(newer_at, Pattern(300, 2), 7, 999999, 42);
  bus.SetFirst(older_at);
  bus.SetLast(newer_at);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(image->foreign_endian());
  EXPECT_EQ(image->header().version, 3u);
  EXPECT_EQ(image->header().lock, 1u);
  EXPECT_EQ(image->header().generation, 0x1122334455667788ull);
  EXPECT_EQ(image->header().first, older_at);
  EXPECT_EQ(image->header().last, newer_at);

  WalkResult walk = Walk(*image);
  ASSERT_TRUE(walk.status.ok()) << walk.status;
  ASSERT_EQ(walk.frames.size(), 2u);
  EXPECT_EQ(walk.frames[0].header.len, 70u);
  EXPECT_EQ(walk.frames[0].header.sec, 0x01020304u);
  EXPECT_EQ(walk.frames[0].header.usec, 0x00050607u);
  EXPECT_EQ(walk.frames[0].header.sender, 0x0102030405060708ull);
  EXPECT_EQ(walk.frames[1].header.len, 300u);
  EXPECT_EQ(walk.frames[1].header.usec, 999999u);
  EXPECT_EQ(walk.frames[1].payload, Pattern(300, 2));
}

TEST(BusImageTest, ForeignEndianFreshBus) {
  HandBuiltBus bus = FreshBus(ForeignByteOrder());
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(image->foreign_endian());
  EXPECT_EQ(image->header().first, kDataSize);
  EXPECT_TRUE(Walk(*image).status.ok());
}

TEST(BusImageTest, AcceptsAndIgnoresBytesPastTheBusSize) {
  HandBuiltBus bus(HostByteOrder(), kBusSize + 4096);
  bus.SetFirst(kDataSize);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(Walk(*image).status.ok());
}

// ---- Files that are not buses --------------------------------------------

TEST(BusImageTest, BadMagicIsNotABus) {
  HandBuiltBus bus = FreshBus();
  bus.SetMagic(0xdeadbeef);
  auto image = BusImage::Parse(bus.bytes());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(image.status().message(), HasSubstr("not a shmif bus"));
}

TEST(BusImageTest, UninitialisedFileIsNotABus) {
  std::vector<uint8_t> zeros(kBusSize, 0);
  auto image = BusImage::Parse(zeros);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(image.status().message(), HasSubstr("not a shmif bus"));
}

TEST(BusImageTest, ShortTextFileIsNotABus) {
  const std::string text = "hello, world\n";
  auto image = BusImage::Parse(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BusImageTest, UnsupportedVersionIsRejected) {
  HandBuiltBus bus = FreshBus();
  bus.SetVersion(4);
  auto image = BusImage::Parse(bus.bytes());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(image.status().message(), HasSubstr("version 4"));
}

TEST(BusImageTest, EmptyFileIsShort) {
  std::vector<uint8_t> empty;
  auto image = BusImage::Parse(empty);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(image.status().message(), HasSubstr("0 bytes"));
}

TEST(BusImageTest, FileShorterThanTheHeaderIsDataLoss) {
  HandBuiltBus bus(HostByteOrder(), kBusHeaderSize - 1);  // magic only
  auto image = BusImage::Parse(bus.bytes());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(image.status().message(), HasSubstr("header"));
}

TEST(BusImageTest, FileShorterThanABusIsDataLoss) {
  HandBuiltBus bus(HostByteOrder(), kBusSize - 1);
  bus.SetFirst(kDataSize);
  auto image = BusImage::Parse(bus.bytes());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(image.status().message(), HasSubstr("0xfffdf"));
}

// ---- Corrupt rings: DataLoss naming the offset, earlier frames delivered --

TEST(BusImageTest, GarbageLengthStopsTheWalkAfterEarlierFrames) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetFirst(0);
  const uint32_t bad_at = bus.PutFrame(0, Pattern(40, 1), 1, 0, 0);
  const uint32_t after = bus.PutFrameHeader(bad_at, 0x7fffffff, 2, 0, 0);
  bus.PutFrame(after, Pattern(40, 1), 3, 0, 0);
  bus.SetLast(after);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk.status.message(), HasSubstr("offset 0x0040"));
  ASSERT_EQ(walk.frames.size(), 1u);
  EXPECT_EQ(walk.frames[0].header.sec, 1u);
}

TEST(BusImageTest, LengthJustOverTheMaximumIsRejected) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetFirst(0);
  bus.SetLast(0);
  bus.PutFrameHeader(0, kMaxFrameLen + 1, 0, 0, 0);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk.frames, IsEmpty());
}

TEST(BusImageTest, FirstOutOfRangeIsDataLoss) {
  HandBuiltBus bus = FreshBus();
  bus.SetFirst(kDataSize + 1);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();  // the header is still readable
  WalkResult walk = Walk(*image);
  EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk.status.message(), HasSubstr("first offset 0xfffe1"));
}

TEST(BusImageTest, LastOutOfRangeIsDataLoss) {
  for (uint32_t last : {kDataSize, kDataSize + 100, 0xffffffffu}) {
    HandBuiltBus bus = FreshBus();
    bus.SetLast(last);
    auto image = BusImage::Parse(bus.bytes());
    ASSERT_TRUE(image.ok()) << image.status();
    WalkResult walk = Walk(*image);
    EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss) << last;
    EXPECT_THAT(walk.status.message(), HasSubstr("last offset")) << last;
  }
}

// `last` points into the middle of a frame: the chain of lengths steps over
// it and the walk must notice instead of going round the ring.
TEST(BusImageTest, LastNotOnAFrameBoundaryIsDataLoss) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetFirst(0);
  const uint32_t second_at = bus.PutFrame(0, Pattern(40, 1), 1, 0, 0);
  bus.PutFrame(second_at, Pattern(40, 2), 2, 0, 0);
  bus.SetLast(second_at + 3);

  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(walk.status.message(), HasSubstr("0x0043"));
  EXPECT_EQ(walk.frames.size(), 2u);
}

// An all-zero ring walked from 0 to the farthest reachable 24-byte step:
// the longest legitimate walk (about 43690 empty entries) ends normally.
TEST(BusImageTest, LongestWalkOverEmptyEntriesTerminates) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetFirst(0);
  bus.SetLast((kDataSize - 1) / kFrameHeaderSize * kFrameHeaderSize);
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  WalkResult walk = Walk(*image);
  EXPECT_TRUE(walk.status.ok()) << walk.status;
  EXPECT_THAT(walk.frames, IsEmpty());
}

TEST(BusImageTest, UnreachableLastOverEmptyEntriesIsDataLoss) {
  HandBuiltBus bus(HostByteOrder());
  bus.SetFirst(0);
  bus.SetLast(kDataSize - 1);  // never a multiple of 24 steps from 0
  auto image = BusImage::Parse(bus.bytes());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(Walk(*image).status.code(), absl::StatusCode::kDataLoss);
}

// Random rings whose length words are mostly plausible, with random
// first/last: every walk must end (any status), stay inside the image
// (checked by the sanitizers), and deliver only frames within the limits.
TEST(BusImageTest, RandomGarbageNeverCrashesOrHangs) {
  std::mt19937 rng(20240601);
  HandBuiltBus bus(HostByteOrder());
  std::vector<uint8_t>& bytes = bus.bytes();
  for (int round = 0; round < 40; ++round) {
    for (size_t i = kBusHeaderSize; i + 4 <= bytes.size(); i += 4) {
      const uint32_t word = rng() % (round % 2 == 0 ? 1600u : 0xffffffffu);
      std::memcpy(&bytes[i], &word, 4);
    }
    bus.SetVersion(round % 3 == 0 ? 2 : 3);
    bus.SetFirst(rng() % (kDataSize + 1));
    bus.SetLast(rng() % kDataSize);
    auto image = BusImage::Parse(bytes);
    ASSERT_TRUE(image.ok()) << image.status();
    WalkResult walk = Walk(*image);
    for (const SeenFrame& frame : walk.frames) {
      ASSERT_LE(frame.header.len, kMaxFrameLen);
      ASSERT_LT(frame.payload_offset, kDataSize);
    }
    if (!walk.status.ok()) {
      EXPECT_EQ(walk.status.code(), absl::StatusCode::kDataLoss) << walk.status;
    }
  }
}

}  // namespace
}  // namespace shmif
