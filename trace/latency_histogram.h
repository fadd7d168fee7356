// LatencyHistogram: a distribution of durations that any thread may add to
// without a lock, cheap enough to stay compiled into hot paths (one
// clock read by the caller, four relaxed atomic adds here).
//
// Buckets are logarithmic with eight steps per power of two, so a
// percentile read back is within 12.5% of the true value, from nanoseconds
// to about 18 minutes (longer durations land in the last bucket).
#ifndef RUMP_TRACE_LATENCY_HISTOGRAM_H_
#define RUMP_TRACE_LATENCY_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace trace {

class LatencyHistogram {
 public:
  // Adds one duration in nanoseconds (negative counts as 0).
  void Add(int64_t ns);

  struct Summary {
    uint64_t count = 0;
    double avg_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  };
  // A consistent-enough view while others add (each field is read once).
  Summary Summarize() const;

  // Forgets everything added so far.
  void Reset();

 private:
  static constexpr int kSteps = 8;      // buckets per power of two
  static constexpr int kBuckets = 328;  // up to 2^40 ns
  static int BucketOf(uint64_t ns);
  // The middle of bucket `b`, in nanoseconds.
  static double BucketMid(int b);

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> max_ns_{0};
};

}  // namespace trace

#endif  // RUMP_TRACE_LATENCY_HISTOGRAM_H_
