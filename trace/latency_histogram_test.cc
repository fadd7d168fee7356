#include "trace/latency_histogram.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "trace/stages.h"

namespace trace {
namespace {

TEST(LatencyHistogramTest, EmptyHasNoSamples) {
  LatencyHistogram h;
  EXPECT_EQ(h.Summarize().count, 0u);
}

TEST(LatencyHistogramTest, PercentilesWithinOneStep) {
  LatencyHistogram h;
  // 1..1000 us, one sample each: median 500 us, p90 900, p99 990.
  for (int us = 1; us <= 1000; ++us) h.Add(int64_t(us) * 1000);
  const LatencyHistogram::Summary s = h.Summarize();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_NEAR(s.p50_us, 500, 500 * 0.125);
  EXPECT_NEAR(s.p90_us, 900, 900 * 0.125);
  EXPECT_NEAR(s.p99_us, 990, 990 * 0.125);
  EXPECT_DOUBLE_EQ(s.avg_us, 500.5);
  EXPECT_DOUBLE_EQ(s.max_us, 1000);
}

TEST(LatencyHistogramTest, TailShowsInP99NotMedian) {
  LatencyHistogram h;
  for (int i = 0; i < 98; ++i) h.Add(10'000);
  h.Add(5'000'000);
  h.Add(5'000'000);
  const LatencyHistogram::Summary s = h.Summarize();
  EXPECT_NEAR(s.p50_us, 10, 10 * 0.125);
  EXPECT_NEAR(s.p99_us, 5000, 5000 * 0.125);
  EXPECT_DOUBLE_EQ(s.max_us, 5000);
}

TEST(LatencyHistogramTest, ExtremesAndReset) {
  LatencyHistogram h;
  h.Add(-5);                    // counts as 0
  h.Add(int64_t{1} << 50);      // past the last bucket: clamped, max exact
  LatencyHistogram::Summary s = h.Summarize();
  EXPECT_EQ(s.count, 2u);
  EXPECT_DOUBLE_EQ(s.max_us, double(int64_t{1} << 50) / 1e3);
  h.Reset();
  EXPECT_EQ(h.Summarize().count, 0u);
}

TEST(LatencyHistogramTest, ConcurrentAddsAllCounted) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.Add(1000 * (t + 1));
    });
  }
  for (auto& t : threads) t.join();
  const LatencyHistogram::Summary s = h.Summarize();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.avg_us, 2.5);
  EXPECT_DOUBLE_EQ(s.max_us, 4);
}

TEST(StagesTest, FormatListsOnlyRecordedStages) {
  EXPECT_EQ(FormatStages().find("kern.wake"), std::string::npos);
  RecordSince(Stage::kKernWake, NowNanos() - 20'000);
  const std::string out = FormatStages();
  EXPECT_NE(out.find("kern.wake"), std::string::npos) << out;
  EXPECT_NE(out.find("median"), std::string::npos) << out;
  EXPECT_EQ(out.find("sp.call"), std::string::npos) << out;
}

}  // namespace
}  // namespace trace
