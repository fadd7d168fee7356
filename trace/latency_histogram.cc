#include "trace/latency_histogram.h"

#include <algorithm>

namespace trace {

int LatencyHistogram::BucketOf(uint64_t ns) {
  if (ns < uint64_t(kSteps)) return int(ns);
  const int k = 63 - __builtin_clzll(ns);  // >= 3
  const int step = int((ns >> (k - 3)) & (kSteps - 1));
  return std::min(kBuckets - 1, kSteps + (k - 3) * kSteps + step);
}

double LatencyHistogram::BucketMid(int b) {
  if (b < kSteps) return b;
  const int k = (b - kSteps) / kSteps + 3;
  const int step = (b - kSteps) % kSteps;
  const double low = double(uint64_t(kSteps + step) << (k - 3));
  const double width = double(uint64_t{1} << (k - 3));
  return low + width / 2;
}

void LatencyHistogram::Add(int64_t ns) {
  const uint64_t v = ns < 0 ? 0 : uint64_t(ns);
  buckets_[size_t(BucketOf(v))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(v, std::memory_order_relaxed);
  uint64_t max = max_ns_.load(std::memory_order_relaxed);
  while (v > max && !max_ns_.compare_exchange_weak(max, v, std::memory_order_relaxed)) {
  }
}

LatencyHistogram::Summary LatencyHistogram::Summarize() const {
  std::array<uint64_t, kBuckets> b;
  uint64_t total = 0;
  for (int i = 0; i < kBuckets; ++i) {
    b[size_t(i)] = buckets_[size_t(i)].load(std::memory_order_relaxed);
    total += b[size_t(i)];
  }
  Summary s;
  if (total == 0) return s;
  s.count = total;
  const uint64_t n = std::max<uint64_t>(1, count_.load(std::memory_order_relaxed));
  s.avg_us = double(sum_ns_.load(std::memory_order_relaxed)) / double(n) / 1e3;
  s.max_us = double(max_ns_.load(std::memory_order_relaxed)) / 1e3;
  // The bucket holding the rank-th smallest value, for rank = ceil(q * total).
  auto at = [&](double q) {
    const uint64_t rank = std::max<uint64_t>(1, uint64_t(q * double(total) + 0.999999));
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += b[size_t(i)];
      if (seen >= rank) return std::min(BucketMid(i) / 1e3, s.max_us);
    }
    return s.max_us;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  return s;
}

void LatencyHistogram::Reset() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_ns_.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
}

}  // namespace trace
