// The sender's SACK scoreboard and the receiver's SACK report.
#include "rump/netinet/tcp_sack.h"

#include <vector>

#include "gtest/gtest.h"

namespace rump::inet {
namespace {

SackBlock B(uint32_t start, uint32_t end) { return SackBlock{TcpSeq(start), TcpSeq(end)}; }

std::vector<SackBlock> Ranges(const SackScoreboard& s) { return s.ranges(); }

// --- SackScoreboard

TEST(SackScoreboardTest, RecordsAndMergesBlocks) {
  SackScoreboard sb(TcpSeq(1000));
  const TcpSeq snd_max(10000);
  std::vector<SackBlock> blocks = {B(3000, 4000), B(2000, 2500)};
  SackScoreboard::Update u = sb.AddBlocks(blocks, snd_max);
  EXPECT_EQ(u.recorded, 2u);
  EXPECT_EQ(u.ignored, 0u);
  EXPECT_EQ(u.newly_sacked, 1500u);
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(2000, 2500), B(3000, 4000)}));
  EXPECT_EQ(sb.sacked_bytes(), 1500u);
  // A block that bridges the two, overlapping both.
  blocks = {B(2400, 3100)};
  u = sb.AddBlocks(blocks, snd_max);
  EXPECT_EQ(u.newly_sacked, 500u);
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(2000, 4000)}));
  EXPECT_EQ(sb.sacked_bytes(), 2000u);
  // Touching blocks merge too; repeats add nothing.
  blocks = {B(4000, 4100), B(2000, 4000)};
  u = sb.AddBlocks(blocks, snd_max);
  EXPECT_EQ(u.recorded, 2u);
  EXPECT_EQ(u.newly_sacked, 100u);
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(2000, 4100)}));
  EXPECT_EQ(sb.highest_sacked(), TcpSeq(4100));
}

TEST(SackScoreboardTest, IgnoresBadBlocks) {
  SackScoreboard sb(TcpSeq(1000));
  const TcpSeq snd_max(5000);
  std::vector<SackBlock> blocks = {
      B(2000, 2000),  // empty
      B(3000, 2000),  // reversed
      B(500, 900),    // below SND.UNA (a D-SACK)
      B(500, 1000),   // ends at SND.UNA
      B(4000, 5001),  // beyond SND.MAX
  };
  SackScoreboard::Update u = sb.AddBlocks(blocks, snd_max);
  EXPECT_EQ(u.recorded, 0u);
  EXPECT_EQ(u.ignored, 5u);
  EXPECT_TRUE(sb.ranges().empty());
  // One that starts below SND.UNA is cut there; one up to SND.MAX is fine.
  blocks = {B(900, 1200), B(4000, 5000)};
  u = sb.AddBlocks(blocks, snd_max);
  EXPECT_EQ(u.recorded, 2u);
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(1000, 1200), B(4000, 5000)}));
}

TEST(SackScoreboardTest, CumulativeAckTrims) {
  SackScoreboard sb(TcpSeq(1000));
  std::vector<SackBlock> blocks = {B(2000, 3000), B(4000, 5000)};
  sb.AddBlocks(blocks, TcpSeq(6000));
  sb.Acknowledge(TcpSeq(2500));  // inside the first range
  EXPECT_EQ(sb.snd_una(), TcpSeq(2500));
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(2500, 3000), B(4000, 5000)}));
  EXPECT_EQ(sb.sacked_bytes(), 1500u);
  sb.Acknowledge(TcpSeq(2000));  // backwards: nothing
  EXPECT_EQ(sb.snd_una(), TcpSeq(2500));
  sb.Acknowledge(TcpSeq(4000));  // past the first, up to the second
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(4000, 5000)}));
  EXPECT_EQ(sb.sacked_bytes(), 1000u);
  sb.Acknowledge(TcpSeq(5500));
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_FALSE(sb.highest_sacked().has_value());
}

TEST(SackScoreboardTest, IsSacked) {
  SackScoreboard sb(TcpSeq(1000));
  std::vector<SackBlock> blocks = {B(2000, 3000), B(4000, 5000)};
  sb.AddBlocks(blocks, TcpSeq(6000));
  EXPECT_TRUE(sb.IsSacked(TcpSeq(2000), TcpSeq(3000)));
  EXPECT_TRUE(sb.IsSacked(TcpSeq(2100), TcpSeq(2200)));
  EXPECT_TRUE(sb.IsSacked(TcpSeq(4999), TcpSeq(5000)));
  EXPECT_FALSE(sb.IsSacked(TcpSeq(1999), TcpSeq(2100)));
  EXPECT_FALSE(sb.IsSacked(TcpSeq(2900), TcpSeq(4100)));  // spans a hole
  EXPECT_FALSE(sb.IsSacked(TcpSeq(1000), TcpSeq(1500)));
  EXPECT_FALSE(sb.IsSacked(TcpSeq(5000), TcpSeq(5100)));
  EXPECT_FALSE(sb.IsSacked(TcpSeq(2500), TcpSeq(2500)));  // empty
}

TEST(SackScoreboardTest, NextHole) {
  SackScoreboard sb(TcpSeq(1000));
  EXPECT_FALSE(sb.NextHole(TcpSeq(1000)).has_value());  // nothing SACKed: no known hole
  std::vector<SackBlock> blocks = {B(2000, 3000), B(4000, 5000)};
  sb.AddBlocks(blocks, TcpSeq(6000));
  EXPECT_EQ(sb.NextHole(TcpSeq(1000)), B(1000, 2000));
  EXPECT_EQ(sb.NextHole(TcpSeq(0)), B(1000, 2000));     // never below SND.UNA
  EXPECT_EQ(sb.NextHole(TcpSeq(1500)), B(1500, 2000));  // the caller's pointer
  EXPECT_EQ(sb.NextHole(TcpSeq(2000)), B(3000, 4000));
  EXPECT_EQ(sb.NextHole(TcpSeq(2500)), B(3000, 4000));
  EXPECT_EQ(sb.NextHole(TcpSeq(3500)), B(3500, 4000));
  // Above the highest SACKed byte nothing is known to be missing.
  EXPECT_FALSE(sb.NextHole(TcpSeq(4000)).has_value());
  EXPECT_FALSE(sb.NextHole(TcpSeq(5500)).has_value());
}

TEST(SackScoreboardTest, AcrossTheWrap) {
  SackScoreboard sb(TcpSeq(0xfffffc00u));  // 1024 before the top
  std::vector<SackBlock> blocks = {B(0xfffffe00u, 0x100), B(0x200, 0x300)};
  SackScoreboard::Update u = sb.AddBlocks(blocks, TcpSeq(0x1000));
  EXPECT_EQ(u.recorded, 2u);
  EXPECT_EQ(sb.sacked_bytes(), 0x300u + 0x100u);
  EXPECT_EQ(sb.NextHole(TcpSeq(0)), B(0x100, 0x200));
  EXPECT_EQ(sb.NextHole(sb.snd_una()), B(0xfffffc00u, 0xfffffe00u));
  EXPECT_TRUE(sb.IsSacked(TcpSeq(0xffffff00u), TcpSeq(0x80)));
  sb.Acknowledge(TcpSeq(0x10));
  EXPECT_EQ(Ranges(sb), (std::vector<SackBlock>{B(0x10, 0x100), B(0x200, 0x300)}));
  EXPECT_EQ(sb.sacked_bytes(), 0xf0u + 0x100u);
}

TEST(SackScoreboardTest, BoundedRanges) {
  SackScoreboard sb(TcpSeq(0), /*max_ranges=*/3);
  std::vector<SackBlock> blocks = {B(100, 110), B(200, 210), B(300, 310), B(400, 410)};
  SackScoreboard::Update u = sb.AddBlocks(blocks, TcpSeq(1000));
  EXPECT_EQ(u.recorded, 3u);
  EXPECT_EQ(u.ignored, 1u);
  EXPECT_EQ(sb.ranges().size(), 3u);
  EXPECT_FALSE(sb.IsSacked(TcpSeq(400), TcpSeq(410)));
  // One that extends a held range needs no new one.
  blocks = {B(310, 320)};
  EXPECT_EQ(sb.AddBlocks(blocks, TcpSeq(1000)).recorded, 1u);
  EXPECT_EQ(sb.ranges().size(), 3u);
}

TEST(SackScoreboardTest, Clear) {
  SackScoreboard sb(TcpSeq(0));
  std::vector<SackBlock> blocks = {B(100, 110)};
  sb.AddBlocks(blocks, TcpSeq(1000));
  sb.Clear();
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.snd_una(), TcpSeq(0));
}

// --- SackReport

TEST(SackReportTest, MostRecentFirst) {
  SackReport r;
  EXPECT_TRUE(r.Blocks(4).empty());
  r.Received(TcpSeq(100), TcpSeq(200));
  r.Received(TcpSeq(300), TcpSeq(400));
  r.Received(TcpSeq(500), TcpSeq(600));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(500, 600), B(300, 400), B(100, 200)}));
  // A segment in an older block brings that block to the front.
  r.Received(TcpSeq(150), TcpSeq(160));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(100, 200), B(500, 600), B(300, 400)}));
}

TEST(SackReportTest, MergesWhatItTouches) {
  SackReport r;
  r.Received(TcpSeq(100), TcpSeq(200));
  r.Received(TcpSeq(300), TcpSeq(400));
  r.Received(TcpSeq(500), TcpSeq(600));
  // Fills the hole between the first two: one block, at the front.
  r.Received(TcpSeq(200), TcpSeq(300));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(100, 400), B(500, 600)}));
  // Overlapping on both sides.
  r.Received(TcpSeq(350), TcpSeq(550));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(100, 600)}));
}

TEST(SackReportTest, AtMostTheCountAsked) {
  SackReport r;
  for (uint32_t i = 0; i < 6; ++i) r.Received(TcpSeq(100 * i + 100), TcpSeq(100 * i + 150));
  // At most four are kept: the most recent.
  EXPECT_EQ(r.Blocks(10), (std::vector<SackBlock>{B(600, 650), B(500, 550), B(400, 450),
                                                   B(300, 350)}));
  // With timestamps there is room for three.
  EXPECT_EQ(r.Blocks(3), (std::vector<SackBlock>{B(600, 650), B(500, 550), B(400, 450)}));
  EXPECT_TRUE(r.Blocks(0).empty());
}

TEST(SackReportTest, AdvanceForgetsWhatRcvNxtPassed) {
  SackReport r;
  r.Received(TcpSeq(100), TcpSeq(200));
  r.Received(TcpSeq(300), TcpSeq(400));
  r.Advance(TcpSeq(200));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(300, 400)}));
  r.Advance(TcpSeq(350));  // (cannot happen in order, but is safe)
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(350, 400)}));
  r.Advance(TcpSeq(400));
  EXPECT_TRUE(r.empty());
}

TEST(SackReportTest, AcrossTheWrapAndIgnoringEmpty) {
  SackReport r;
  r.Received(TcpSeq(0xffffff00u), TcpSeq(0x10));
  r.Received(TcpSeq(0x10), TcpSeq(0x20));
  r.Received(TcpSeq(0x30), TcpSeq(0x30));  // empty: ignored
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(0xffffff00u, 0x20)}));
  r.Advance(TcpSeq(0xffffff80u));
  EXPECT_EQ(r.Blocks(4), (std::vector<SackBlock>{B(0xffffff80u, 0x20)}));
  r.Clear();
  EXPECT_TRUE(r.empty());
}

}  // namespace
}  // namespace rump::inet
