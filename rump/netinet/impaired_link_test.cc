// TCP's recovery over a lossy link: two kernels on one shmif bus whose
// interfaces drop, duplicate, reorder and delay what they send
// (rump/net/impairment.h, seeded). The data must come through whole and in
// order, and the counters must show that the link did impair it and that
// TCP did recover (retransmissions, duplicates and out-of-order segments
// received).
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/net/impairment.h"
#include "rump/netinet/inet_testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::ScratchDir;

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = uint8_t(x >> 16);
  }
  return v;
}

uint64_t Stat(Host& h, int index) { return h.inet().tcp().stats().Get(index); }

ImpairmentConfig Lossy(uint64_t seed) {
  ImpairmentConfig c;
  c.drop_ppm = 20000;       // 2%
  c.duplicate_ppm = 10000;  // 1%
  c.reorder_ppm = 20000;    // 2%
  c.delay = absl::Milliseconds(1);
  c.seed = seed;
  return c;
}

class ImpairedLinkTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  std::string bus_ = dir_.path() + "/bus";
};

TEST_F(ImpairedLinkTest, TcpDeliversEverythingOverALossyLink) {
  // a sends, b only acknowledges: every frame a sends is a data segment
  // (or its FIN), so the seeded decisions below fall on data.
  constexpr uint64_t kSeedA = 35, kSeedB = 2;
  constexpr int kFirstFrames = 60;  // a sends about 180 segments
  {
    // What the link does to a's first frames, by the generator's rule
    // (three draws a frame): some of each, or the test proves nothing.
    SplitMix64 r(kSeedA);
    const ImpairmentConfig c = Lossy(kSeedA);
    int drops = 0, dups = 0, holds = 0;
    for (int i = 0; i < kFirstFrames; ++i) {
      const bool drop = r.Chance(c.drop_ppm);
      const bool dup = r.Chance(c.duplicate_ppm);
      const bool hold = r.Chance(c.reorder_ppm);
      drops += drop;
      dups += !drop && dup;
      holds += !drop && hold;
    }
    ASSERT_GT(drops, 0);
    ASSERT_GT(dups, 0);
    ASSERT_GT(holds, 0);
  }
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = b.Socket(abi::kSOCK_STREAM);
  ASSERT_GE(l, 0);
  ASSERT_EQ(b.Bind(l, "0.0.0.0", 9000), 0);
  ASSERT_EQ(b.Listen(l, 5), 0);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 9000), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);

  ASSERT_TRUE(a.ifp().impairment().Set(Lossy(kSeedA)).ok());
  ASSERT_TRUE(b.ifp().impairment().Set(Lossy(kSeedB)).ok());
  const size_t kBytes = 256 << 10;
  const std::vector<uint8_t> up = Pattern(kBytes, 1);
  std::vector<uint8_t> got;
  std::thread reader([&] { got = b.RecvAll(s, kBytes + 1); });  // to end of file
  EXPECT_EQ(a.SendAll(c, up), 0);
  EXPECT_EQ(a.Close(c), 0);
  reader.join();
  EXPECT_TRUE(got == up) << got.size();

  // The link impaired a's segments (and b's acknowledgements), and TCP
  // made up for it.
  const ImpairmentCounters ia = a.ifp().impairment().counters();
  EXPECT_GT(ia.dropped, 0u);
  EXPECT_GT(ia.duplicated, 0u);
  EXPECT_GT(ia.reordered, 0u);
  EXPECT_GT(ia.delayed, 0u);
  EXPECT_GT(Stat(a, abi::kTcpStatSndrexmitpack), 0u);
  EXPECT_GT(Stat(b, abi::kTcpStatRcvduppack) + Stat(b, abi::kTcpStatRcvpartduppack), 0u);
  EXPECT_GT(Stat(b, abi::kTcpStatRcvoopack), 0u);
  EXPECT_EQ(b.Close(s), 0);
  EXPECT_EQ(b.Close(l), 0);
}

TEST_F(ImpairedLinkTest, ConnectSurvivesALostSyn) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = b.Socket(abi::kSOCK_STREAM);
  ASSERT_GE(l, 0);
  ASSERT_EQ(b.Bind(l, "0.0.0.0", 9001), 0);
  ASSERT_EQ(b.Listen(l, 5), 0);
  // A datagram first, so that each has the other's MAC address: a's next
  // frame is its SYN, not an ARP request.
  const int ub = b.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(b.Bind(ub, "0.0.0.0", 9100), 0);
  ASSERT_EQ(b.SetRecvTimeout(ub, absl::Seconds(60)), 0);
  const int ua = a.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(a.SendTo(ua, {7}, "10.0.0.2", 9100), 1);
  std::vector<uint8_t> dgram;
  ASSERT_EQ(b.RecvFrom(ub, &dgram, 16), 1);

  // a loses everything it sends until its first SYN is gone.
  ImpairmentConfig all;
  all.drop_ppm = ImpairmentConfig::kMillion;
  ASSERT_TRUE(a.ifp().impairment().Set(all).ok());
  const uint64_t syns_before = Stat(a, abi::kTcpStatConnattempt);
  const int c = a.Socket(abi::kSOCK_STREAM);
  int error = -1;
  std::thread connector([&] { error = a.Connect(c, "10.0.0.2", 9001); });
  // The SYN has been dropped once the connect is under way and a frame is
  // counted.
  ASSERT_TRUE(testing::Eventually([&] {
    return Stat(a, abi::kTcpStatConnattempt) > syns_before &&
           a.ifp().impairment().counters().dropped > 0;
  }));
  ASSERT_TRUE(a.ifp().impairment().Set(ImpairmentConfig{}).ok());
  connector.join();
  EXPECT_EQ(error, 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a.Send(c, {1, 2, 3}), 3);
  EXPECT_EQ(b.RecvAll(s, 3), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_GE(Stat(a, abi::kTcpStatRexmttimeo), 1u);
  a.Close(c);
  a.Close(ua);
  b.Close(s);
  b.Close(l);
  b.Close(ub);
}

}  // namespace
}  // namespace rump
