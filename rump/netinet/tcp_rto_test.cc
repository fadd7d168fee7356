// RtoEstimator against RFC 6298, rule by rule, with the numbers worked out
// by hand in the comments.
#include "rump/netinet/tcp_rto.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace rump::inet {
namespace {

absl::Duration Ms(double ms) { return absl::Microseconds(ms * 1000); }

// The RFC's formula without the one-second floor, so that small numbers
// show through.
RtoConfig NoFloor() {
  RtoConfig c;
  c.min = absl::ZeroDuration();
  return c;
}

TEST(RtoEstimatorTest, InitialRtoIsOneSecond) {  // 2.1
  RtoEstimator rto;
  EXPECT_FALSE(rto.has_sample());
  EXPECT_EQ(rto.rto(), absl::Seconds(1));
  EXPECT_EQ(rto.srtt(), absl::ZeroDuration());
  EXPECT_EQ(rto.rttvar(), absl::ZeroDuration());
  EXPECT_EQ(rto.backoffs(), 0);
}

TEST(RtoEstimatorTest, FirstSample) {  // 2.2
  RtoEstimator rto(NoFloor());
  rto.AddSample(Ms(100));
  EXPECT_TRUE(rto.has_sample());
  EXPECT_EQ(rto.srtt(), Ms(100));   // SRTT = R
  EXPECT_EQ(rto.rttvar(), Ms(50));  // RTTVAR = R/2
  EXPECT_EQ(rto.rto(), Ms(300));    // 100 + max(G, 4 * 50)
}

TEST(RtoEstimatorTest, LaterSamplesUpdateRttvarFirst) {  // 2.3
  RtoEstimator rto(NoFloor());
  rto.AddSample(Ms(100));
  rto.AddSample(Ms(200));
  // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 37.5 + 25 = 62.5 (with the old
  // SRTT: with the new one it would be 37.5 + 1/4 * 87.5 = 59.375).
  EXPECT_EQ(rto.rttvar(), Ms(62.5));
  // SRTT = 7/8 * 100 + 1/8 * 200 = 87.5 + 25 = 112.5
  EXPECT_EQ(rto.srtt(), Ms(112.5));
  EXPECT_EQ(rto.rto(), Ms(362.5));  // 112.5 + 4 * 62.5
  rto.AddSample(Ms(100));
  // RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 100| = 46.875 + 3.125 = 50
  EXPECT_EQ(rto.rttvar(), Ms(50));
  // SRTT = 7/8 * 112.5 + 1/8 * 100 = 98.4375 + 12.5 = 110.9375
  EXPECT_EQ(rto.srtt(), Ms(110.9375));
  EXPECT_EQ(rto.rto(), Ms(310.9375));
}

TEST(RtoEstimatorTest, RoundsUpToOneSecond) {  // 2.4
  RtoEstimator rto;
  rto.AddSample(Ms(100));  // 300 ms by the formula
  EXPECT_EQ(rto.rto(), absl::Seconds(1));
  EXPECT_EQ(rto.srtt(), Ms(100));  // the estimate itself is not rounded
  rto.AddSample(Ms(400));
  // RTTVAR = 37.5 + 75 = 112.5; SRTT = 87.5 + 50 = 137.5; RTO = 587.5 ms
  EXPECT_EQ(rto.rto(), absl::Seconds(1));
  RtoEstimator slow;
  slow.AddSample(absl::Seconds(2));
  EXPECT_EQ(slow.rto(), absl::Seconds(6));  // 2 + 4 * 1, above the floor
}

TEST(RtoEstimatorTest, CapsAtTheMaximum) {  // 2.5
  RtoEstimator rto;
  rto.AddSample(absl::Seconds(30));  // 30 + 4 * 15 = 90 s
  EXPECT_EQ(rto.rto(), absl::Seconds(64));
}

TEST(RtoEstimatorTest, GranularityIsTheLeastVarianceTerm) {  // 2.2, 2.3: max(G, K*RTTVAR)
  RtoEstimator rto(NoFloor());
  // A steady 500 ms: SRTT stays 500, RTTVAR shrinks by 3/4 each time, from
  // 250 ms; after 40 samples 4 * RTTVAR is far below G = 1 ms.
  for (int i = 0; i < 41; ++i) rto.AddSample(Ms(500));
  EXPECT_EQ(rto.srtt(), Ms(500));
  EXPECT_LT(4 * rto.rttvar(), absl::Milliseconds(1));
  EXPECT_EQ(rto.rto(), Ms(501));
  // A coarser clock shows.
  RtoConfig coarse = NoFloor();
  coarse.granularity = Ms(500);
  RtoEstimator c(coarse);
  for (int i = 0; i < 41; ++i) c.AddSample(Ms(500));
  EXPECT_EQ(c.rto(), absl::Seconds(1));
}

TEST(RtoEstimatorTest, BackoffDoublesUpToTheMaximum) {  // 5.5
  RtoEstimator rto;
  const int64_t expected_s[] = {2, 4, 8, 16, 32, 64, 64, 64};
  for (int64_t s : expected_s) {
    rto.Backoff();
    EXPECT_EQ(rto.rto(), absl::Seconds(s));
  }
  EXPECT_EQ(rto.backoffs(), 8);  // counted at the ceiling too
  // Without a sample SRTT is still unknown.
  EXPECT_FALSE(rto.has_sample());
}

TEST(RtoEstimatorTest, BackoffOfAComputedRto) {
  RtoEstimator rto(NoFloor());
  rto.AddSample(Ms(100));  // RTO 300 ms
  rto.Backoff();
  EXPECT_EQ(rto.rto(), Ms(600));
  rto.Backoff();
  EXPECT_EQ(rto.rto(), Ms(1200));
  // The estimate is untouched by backoff.
  EXPECT_EQ(rto.srtt(), Ms(100));
  EXPECT_EQ(rto.rttvar(), Ms(50));
}

TEST(RtoEstimatorTest, NewSampleEndsTheBackoff) {  // 5.5, 5.7 (Karn: the sample is from new data)
  RtoEstimator rto;
  rto.AddSample(absl::Seconds(2));  // RTO 6 s
  rto.Backoff();
  rto.Backoff();
  EXPECT_EQ(rto.rto(), absl::Seconds(24));
  EXPECT_EQ(rto.backoffs(), 2);
  rto.AddSample(absl::Seconds(2));
  // RTTVAR = 3/4 * 1 + 1/4 * 0 = 0.75; SRTT = 2; RTO = 2 + 3 = 5 s.
  EXPECT_EQ(rto.backoffs(), 0);
  EXPECT_EQ(rto.rttvar(), Ms(750));
  EXPECT_EQ(rto.rto(), absl::Seconds(5));
}

TEST(RtoEstimatorTest, NegativeSampleIsZero) {
  RtoEstimator rto(NoFloor());
  rto.AddSample(-absl::Seconds(1));
  EXPECT_EQ(rto.srtt(), absl::ZeroDuration());
  EXPECT_EQ(rto.rttvar(), absl::ZeroDuration());
  EXPECT_EQ(rto.rto(), absl::Milliseconds(1));  // G
}

TEST(RtoEstimatorTest, ConfigurableBounds) {
  RtoConfig c;
  c.initial = absl::Seconds(3);
  c.min = absl::Milliseconds(200);
  c.max = absl::Seconds(10);
  RtoEstimator rto(c);
  EXPECT_EQ(rto.rto(), absl::Seconds(3));
  rto.Backoff();
  rto.Backoff();
  EXPECT_EQ(rto.rto(), absl::Seconds(10));
  rto.AddSample(Ms(10));  // 10 + 20 = 30 ms, raised to 200
  EXPECT_EQ(rto.rto(), Ms(200));
}

}  // namespace
}  // namespace rump::inet
