// TcpReassemblyQueue: order, overlaps, duplicates, old data, the sequence
// wrap, FIN, and the bounds.
#include "rump/netinet/tcp_reass.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rump::inet {
namespace {

// The stream's bytes: byte i of the stream is Byte(i), so any slice can be
// checked against its position.
uint8_t Byte(uint32_t i) { return uint8_t(i * 7 + 3); }
std::vector<uint8_t> Slice(uint32_t from, uint32_t len) {
  std::vector<uint8_t> v(len);
  for (uint32_t i = 0; i < len; ++i) v[i] = Byte(from + i);
  return v;
}

// A connection's receive side: RCV.NXT, the queue, and what was delivered.
struct Receiver {
  explicit Receiver(uint32_t isn, TcpReassemblyConfig config = TcpReassemblyConfig())
      : irs(isn), rcv_nxt(isn), queue(config) {}

  // Offers stream bytes [from, from + len) (offsets from the initial
  // sequence number), then delivers what became contiguous.
  TcpReassemblyQueue::Insertion Offer(uint32_t from, uint32_t len, bool fin = false) {
    std::vector<uint8_t> data = Slice(from, len);
    TcpReassemblyQueue::Insertion ins = queue.Insert(rcv_nxt, irs + from, data, fin);
    Drain();
    return ins;
  }
  void Drain() {
    TcpReassemblyQueue::Run run = queue.TakeContiguous(rcv_nxt);
    delivered.insert(delivered.end(), run.data.begin(), run.data.end());
    rcv_nxt += uint32_t(run.data.size());
    if (run.fin) {
      EXPECT_FALSE(fin_seen);
      fin_seen = true;
      rcv_nxt += 1;
    }
  }
  bool DeliveredIsStream(uint32_t len) const { return delivered == Slice(0, len); }

  TcpSeq irs;
  TcpSeq rcv_nxt;
  TcpReassemblyQueue queue;
  std::vector<uint8_t> delivered;
  bool fin_seen = false;
};

TEST(TcpReassTest, InOrder) {
  Receiver r(1000);
  for (uint32_t i = 0; i < 10; ++i) {
    TcpReassemblyQueue::Insertion ins = r.Offer(i * 100, 100);
    EXPECT_EQ(ins.new_bytes, 100u);
    EXPECT_EQ(ins.duplicate_bytes, 0u);
    EXPECT_FALSE(ins.dropped);
    EXPECT_TRUE(r.queue.empty());
  }
  EXPECT_TRUE(r.DeliveredIsStream(1000));
  EXPECT_EQ(r.rcv_nxt, TcpSeq(2000));
}

TEST(TcpReassTest, Reversed) {
  Receiver r(1000);
  for (uint32_t i = 10; i-- > 1;) {
    r.Offer(i * 100, 100);
    EXPECT_TRUE(r.delivered.empty());
    // Adjacent blocks merge into one.
    EXPECT_EQ(r.queue.segments(), 1u);
    EXPECT_EQ(r.queue.bytes(), (10 - i) * 100u);
  }
  r.Offer(0, 100);
  EXPECT_TRUE(r.DeliveredIsStream(1000));
  EXPECT_TRUE(r.queue.empty());
  EXPECT_EQ(r.queue.bytes(), 0u);
}

TEST(TcpReassTest, HolesAreSegments) {
  Receiver r(0);
  r.Offer(100, 10);
  r.Offer(300, 10);
  r.Offer(200, 10);
  EXPECT_EQ(r.queue.segments(), 3u);
  EXPECT_EQ(r.queue.bytes(), 30u);
  auto ranges = r.queue.ranges();
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0], std::make_pair(TcpSeq(100), TcpSeq(110)));
  EXPECT_EQ(ranges[1], std::make_pair(TcpSeq(200), TcpSeq(210)));
  EXPECT_EQ(ranges[2], std::make_pair(TcpSeq(300), TcpSeq(310)));
  // One segment spanning the holes between the first two joins them.
  TcpReassemblyQueue::Insertion ins = r.Offer(105, 100);
  EXPECT_EQ(ins.new_bytes, 90u);        // 110..200
  EXPECT_EQ(ins.duplicate_bytes, 10u);  // 105..110 and 200..205
  EXPECT_EQ(r.queue.segments(), 2u);
  r.Offer(0, 400);
  EXPECT_TRUE(r.DeliveredIsStream(400));
}

TEST(TcpReassTest, OverlapsOnBothSidesKeepTheFirstCopy) {
  Receiver r(0);
  r.Offer(100, 100);  // held: [100, 200)
  // A different copy of [50, 250): the held middle must survive.
  std::vector<uint8_t> other(200, 0xee);
  TcpReassemblyQueue::Insertion ins = r.queue.Insert(r.rcv_nxt, TcpSeq(50), other, false);
  EXPECT_EQ(ins.new_bytes, 100u);
  EXPECT_EQ(ins.duplicate_bytes, 100u);
  EXPECT_EQ(r.queue.segments(), 1u);
  EXPECT_EQ(r.queue.bytes(), 200u);
  r.Offer(0, 50);
  ASSERT_EQ(r.delivered.size(), 250u);
  for (uint32_t i = 0; i < 250; ++i) {
    const uint8_t want = (i >= 100 && i < 200) || i < 50 ? Byte(i) : 0xee;
    ASSERT_EQ(r.delivered[i], want) << i;
  }
}

TEST(TcpReassTest, OverlapOnOneSide) {
  Receiver r(0);
  r.Offer(100, 100);
  TcpReassemblyQueue::Insertion left = r.Offer(60, 50);    // [60, 110)
  EXPECT_EQ(left.new_bytes, 40u);
  EXPECT_EQ(left.duplicate_bytes, 10u);
  TcpReassemblyQueue::Insertion right = r.Offer(190, 30);  // [190, 220)
  EXPECT_EQ(right.new_bytes, 20u);
  EXPECT_EQ(right.duplicate_bytes, 10u);
  EXPECT_EQ(r.queue.segments(), 1u);
  EXPECT_EQ(r.queue.bytes(), 160u);
  r.Offer(0, 60);
  EXPECT_TRUE(r.DeliveredIsStream(220));
}

TEST(TcpReassTest, InOrderAfterAHole) {
  // The common case: one segment lost, the following ones extend one block.
  Receiver r(0);
  for (uint32_t i = 1; i < 50; ++i) {
    TcpReassemblyQueue::Insertion ins = r.Offer(i * 100, 100);
    ASSERT_EQ(ins.new_bytes, 100u);
    ASSERT_EQ(r.queue.segments(), 1u);
  }
  // A partial overlap with the block's tail.
  TcpReassemblyQueue::Insertion ins = r.Offer(4950, 100);
  EXPECT_EQ(ins.new_bytes, 50u);
  EXPECT_EQ(ins.duplicate_bytes, 50u);
  EXPECT_EQ(r.queue.bytes(), 4950u);
  r.Offer(0, 100);
  EXPECT_TRUE(r.DeliveredIsStream(5050));
}

TEST(TcpReassTest, Duplicates) {
  Receiver r(0);
  r.Offer(100, 100);
  TcpReassemblyQueue::Insertion ins = r.Offer(100, 100);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(ins.duplicate_bytes, 100u);
  ins = r.Offer(120, 10);  // inside
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(ins.duplicate_bytes, 10u);
  EXPECT_EQ(r.queue.segments(), 1u);
  EXPECT_EQ(r.queue.bytes(), 100u);
}

TEST(TcpReassTest, OldData) {
  Receiver r(0);
  r.Offer(0, 100);
  EXPECT_EQ(r.rcv_nxt, TcpSeq(100));
  // Wholly old.
  TcpReassemblyQueue::Insertion ins = r.Offer(0, 100);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(ins.duplicate_bytes, 100u);
  EXPECT_TRUE(r.queue.empty());
  // Partly old: the new tail is delivered.
  ins = r.Offer(50, 100);
  EXPECT_EQ(ins.new_bytes, 50u);
  EXPECT_EQ(ins.duplicate_bytes, 50u);
  EXPECT_TRUE(r.DeliveredIsStream(150));
  // Partly old and out of order: never delivered twice.
  r.Offer(200, 50);
  r.Offer(100, 120);
  EXPECT_TRUE(r.DeliveredIsStream(250));
}

TEST(TcpReassTest, CallerMovedRcvNxtPastHeldData) {
  // The caller delivered [0, 150) itself; held [100, 200) is trimmed.
  TcpReassemblyQueue q;
  std::vector<uint8_t> data = Slice(100, 100);
  q.Insert(TcpSeq(0), TcpSeq(100), data, false);
  TcpReassemblyQueue::Run run = q.TakeContiguous(TcpSeq(150));
  EXPECT_EQ(run.data, Slice(150, 50));
  EXPECT_TRUE(q.empty());
}

TEST(TcpReassTest, AcrossTheWrap) {
  // The stream starts 250 before the top of the sequence space.
  Receiver r(0xffffffffu - 249);
  r.Offer(300, 100);  // past the wrap
  r.Offer(200, 100);  // across it
  r.Offer(100, 100);  // before it
  EXPECT_EQ(r.queue.segments(), 1u);
  auto ranges = r.queue.ranges();
  ASSERT_EQ(ranges.size(), 1u);
  EXPECT_EQ(ranges[0].first, r.irs + 100);
  EXPECT_EQ(ranges[0].second, TcpSeq(150));
  r.Offer(0, 100);
  EXPECT_TRUE(r.DeliveredIsStream(400));
  EXPECT_EQ(r.rcv_nxt, TcpSeq(150));
}

TEST(TcpReassTest, RandomOrderAcrossTheWrap) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    Receiver r(0xffffffffu - uint32_t(rng() % 3000));
    std::vector<std::pair<uint32_t, uint32_t>> pieces;
    for (uint32_t at = 0; at < 5000;) {
      const uint32_t len = 1 + rng() % 300;
      pieces.emplace_back(at, std::min(len, 5000 - at));
      at += len;
    }
    // Overlapping extras and duplicates.
    for (int i = 0; i < 20; ++i) pieces.emplace_back(rng() % 4900, 1 + rng() % 100);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    for (auto [at, len] : pieces) r.Offer(at, len);
    ASSERT_TRUE(r.DeliveredIsStream(5000)) << round;
    ASSERT_TRUE(r.queue.empty());
    ASSERT_EQ(r.queue.bytes(), 0u);
  }
}

TEST(TcpReassTest, OutOfWindowIsRefused) {
  Receiver r(0);
  TcpReassemblyQueue::Insertion ins = r.Offer((1u << 30) - 10, 100);
  EXPECT_TRUE(ins.out_of_window);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_TRUE(r.queue.empty());
  // Right at the edge is fine.
  ins = r.Offer((1u << 30) - 100, 100);
  EXPECT_FALSE(ins.out_of_window);
  EXPECT_EQ(ins.new_bytes, 100u);
}

// --- FIN

TEST(TcpReassTest, FinInOrder) {
  Receiver r(0);
  r.Offer(0, 100, /*fin=*/true);
  EXPECT_TRUE(r.fin_seen);
  EXPECT_EQ(r.rcv_nxt, TcpSeq(101));
  EXPECT_TRUE(r.queue.empty());
}

TEST(TcpReassTest, FinAloneAtRcvNxt) {
  Receiver r(0);
  r.Offer(0, 100);
  r.Offer(100, 0, /*fin=*/true);
  EXPECT_TRUE(r.fin_seen);
  EXPECT_EQ(r.rcv_nxt, TcpSeq(101));
}

TEST(TcpReassTest, FinOutOfOrderWaitsForTheData) {
  Receiver r(0);
  r.Offer(200, 100, /*fin=*/true);
  EXPECT_FALSE(r.fin_seen);
  EXPECT_EQ(r.queue.fin(), TcpSeq(300));
  r.Offer(100, 100);
  EXPECT_FALSE(r.fin_seen);
  r.Offer(0, 100);
  EXPECT_TRUE(r.fin_seen);
  EXPECT_TRUE(r.DeliveredIsStream(300));
  EXPECT_EQ(r.rcv_nxt, TcpSeq(301));
  EXPECT_TRUE(r.queue.empty());
}

TEST(TcpReassTest, FinWithoutDataOutOfOrder) {
  Receiver r(0);
  r.Offer(100, 0, /*fin=*/true);
  EXPECT_FALSE(r.queue.empty());
  EXPECT_EQ(r.queue.segments(), 0u);
  r.Offer(0, 100);
  EXPECT_TRUE(r.fin_seen);
  EXPECT_EQ(r.rcv_nxt, TcpSeq(101));
}

TEST(TcpReassTest, NothingBeyondTheFirstFin) {
  Receiver r(0);
  r.Offer(300, 100);                 // held [300, 400)
  r.Offer(200, 50, /*fin=*/true);    // the stream ends at 250
  EXPECT_EQ(r.queue.fin(), TcpSeq(250));
  EXPECT_EQ(r.queue.bytes(), 50u);   // [300, 400) trimmed away
  // Data beyond the FIN and a second FIN elsewhere are ignored.
  TcpReassemblyQueue::Insertion ins = r.Offer(240, 100, /*fin=*/true);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(r.queue.fin(), TcpSeq(250));
  r.Offer(0, 240);
  EXPECT_TRUE(r.fin_seen);
  EXPECT_TRUE(r.DeliveredIsStream(250));
  EXPECT_EQ(r.rcv_nxt, TcpSeq(251));
}

TEST(TcpReassTest, RetransmittedFinAfterTheDataIsOld) {
  Receiver r(0);
  r.Offer(0, 100, /*fin=*/true);
  ASSERT_TRUE(r.fin_seen);
  r.fin_seen = false;
  TcpReassemblyQueue::Insertion ins = r.Offer(0, 100, /*fin=*/true);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(ins.duplicate_bytes, 100u);
  EXPECT_TRUE(r.queue.empty());
  EXPECT_FALSE(r.fin_seen);
}

// --- bounds

TEST(TcpReassTest, SegmentBoundDropsTheNewcomer) {
  TcpReassemblyConfig config;
  config.max_segments = 3;
  Receiver r(0, config);
  EXPECT_FALSE(r.Offer(100, 10).dropped);
  EXPECT_FALSE(r.Offer(200, 10).dropped);
  EXPECT_FALSE(r.Offer(300, 10).dropped);
  TcpReassemblyQueue::Insertion ins = r.Offer(400, 10, /*fin=*/true);
  EXPECT_TRUE(ins.dropped);
  EXPECT_EQ(ins.new_bytes, 0u);
  EXPECT_EQ(r.queue.segments(), 3u);
  EXPECT_EQ(r.queue.bytes(), 30u);
  EXPECT_FALSE(r.queue.fin().has_value());  // its FIN went with it
  // One that joins held blocks needs no new one.
  EXPECT_FALSE(r.Offer(110, 90).dropped);
  EXPECT_EQ(r.queue.segments(), 2u);
  EXPECT_FALSE(r.Offer(400, 10).dropped);
  // One at RCV.NXT is always taken, and drains the queue.
  EXPECT_FALSE(r.Offer(0, 100).dropped);
  EXPECT_EQ(r.queue.segments(), 2u);  // [300,310) [400,410)
  EXPECT_TRUE(r.DeliveredIsStream(210));
}

TEST(TcpReassTest, ByteBoundDropsTheNewcomer) {
  TcpReassemblyConfig config;
  config.max_bytes = 250;
  Receiver r(0, config);
  EXPECT_FALSE(r.Offer(100, 200).dropped);
  TcpReassemblyQueue::Insertion ins = r.Offer(400, 51);
  EXPECT_TRUE(ins.dropped);
  EXPECT_EQ(r.queue.bytes(), 200u);
  EXPECT_FALSE(r.Offer(400, 50).dropped);  // exactly at the bound
  EXPECT_EQ(r.queue.bytes(), 250u);
  // Pure duplicates cost nothing, so they are not "dropped".
  EXPECT_FALSE(r.Offer(100, 50).dropped);
  // A segment at RCV.NXT goes past the bound, then drains everything
  // contiguous.
  ins = r.Offer(0, 100);
  EXPECT_FALSE(ins.dropped);
  EXPECT_EQ(ins.new_bytes, 100u);
  EXPECT_TRUE(r.DeliveredIsStream(300));
  EXPECT_EQ(r.queue.bytes(), 50u);
}

TEST(TcpReassTest, ClearForgetsEverything) {
  Receiver r(0);
  r.Offer(100, 10, /*fin=*/true);
  r.queue.Clear();
  EXPECT_TRUE(r.queue.empty());
  EXPECT_EQ(r.queue.bytes(), 0u);
  EXPECT_FALSE(r.queue.fin().has_value());
}

}  // namespace
}  // namespace rump::inet
