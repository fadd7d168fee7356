// TcpSeq: modular comparison and arithmetic, in particular across the wrap
// from 0xffffffff to 0.
#include "rump/netinet/tcp_seq.h"

#include <sstream>

#include "gtest/gtest.h"

namespace rump::inet {
namespace {

constexpr TcpSeq kTop(0xffffffffu);
constexpr TcpSeq kZero(0);

// Usable at compile time.
static_assert(TcpSeq(1) < TcpSeq(2));
static_assert(kTop < kZero);
static_assert(kTop + 1 == kZero);
static_assert(kZero - kTop == 1);
static_assert(SeqLength(kTop, TcpSeq(9)) == 10);

TEST(TcpSeqTest, OrdersWithoutWrap) {
  const TcpSeq a(1000), b(2000);
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(a <= b);
  EXPECT_FALSE(a > b);
  EXPECT_FALSE(a >= b);
  EXPECT_TRUE(b > a);
  EXPECT_TRUE(b >= a);
  EXPECT_TRUE(a <= a);
  EXPECT_TRUE(a >= a);
  EXPECT_FALSE(a < a);
  EXPECT_FALSE(a > a);
  EXPECT_EQ(a, TcpSeq(1000));
  EXPECT_NE(a, b);
}

TEST(TcpSeqTest, AdditionWrapsAtTheTop) {
  EXPECT_EQ(kTop + 1, kZero);
  EXPECT_EQ((kTop + 5).value(), 4u);
  EXPECT_EQ(kZero - 1, kTop);
  EXPECT_EQ((TcpSeq(3) - 10).value(), 0xfffffff9u);
  TcpSeq s = kTop;
  s += 2;
  EXPECT_EQ(s.value(), 1u);
  s -= 3;
  EXPECT_EQ(s, kTop - 1);
}

TEST(TcpSeqTest, ComparesAcrossTheWrap) {
  // 0xfffffff0 comes before 0x10: 32 numbers apart, not 2^32 - 32.
  const TcpSeq before(0xfffffff0u), after(0x10);
  EXPECT_TRUE(before < after);
  EXPECT_TRUE(before <= after);
  EXPECT_TRUE(after > before);
  EXPECT_TRUE(after >= before);
  EXPECT_FALSE(after < before);
  EXPECT_FALSE(before > after);
  EXPECT_TRUE(kTop < kZero);
  EXPECT_TRUE(kZero > kTop);
  EXPECT_EQ(SeqMax(before, after), after);
  EXPECT_EQ(SeqMin(before, after), before);
  EXPECT_EQ(SeqMax(after, before), after);
  EXPECT_EQ(SeqMin(after, before), before);
}

TEST(TcpSeqTest, DistancesAreSigned) {
  const TcpSeq before(0xfffffff0u), after(0x10);
  EXPECT_EQ(after - before, 32);
  EXPECT_EQ(before - after, -32);
  EXPECT_EQ(before + uint32_t(after - before), after);
  EXPECT_EQ(SeqLength(before, after), 32u);
  EXPECT_EQ(TcpSeq(5) - TcpSeq(5), 0);
}

TEST(TcpSeqTest, HalfTheSpaceIsTheLimit) {
  const TcpSeq a(100);
  // 2^31 - 1 ahead is still ahead; one more and it is behind.
  EXPECT_TRUE(a < a + 0x7fffffffu);
  EXPECT_EQ((a + 0x7fffffffu) - a, 0x7fffffff);
  EXPECT_TRUE(a > a + 0x80000001u);
  EXPECT_EQ((a + 0x80000001u) - a, -0x7fffffff);
  // Exactly 2^31 apart: undefined by RFC 1982; answered as NetBSD's SEQ_LT
  // and SEQ_GT do (the difference is INT32_MIN whichever way).
  EXPECT_TRUE(a < a + 0x80000000u);
  EXPECT_TRUE(a + 0x80000000u < a);
  EXPECT_FALSE(a > a + 0x80000000u);
  EXPECT_FALSE(a + 0x80000000u > a);
}

TEST(TcpSeqTest, EveryOffsetAroundTheWrapAgrees) {
  // For every start near the top and every small distance, a + d is after a
  // and the distance comes back.
  for (uint32_t start = 0xffffff00u; start != 0x100; ++start) {
    const TcpSeq a(start);
    for (uint32_t d : {1u, 2u, 255u, 256u, 65535u, 1u << 30}) {
      const TcpSeq b = a + d;
      ASSERT_TRUE(a < b) << start << " " << d;
      ASSERT_TRUE(b > a) << start << " " << d;
      ASSERT_EQ(b - a, int32_t(d));
      ASSERT_EQ(b - d, a);
    }
  }
}

TEST(TcpSeqTest, PrintsItsValue) {
  std::ostringstream os;
  os << kTop;
  EXPECT_EQ(os.str(), "4294967295");
}

}  // namespace
}  // namespace rump::inet
