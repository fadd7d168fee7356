// RateLimiter: at most N events per second (NetBSD's ppsratecheck, used
// for icmperrppslim: RFC 1122 4.3.2.8 asks that ICMP errors be limited).
// A negative limit means no limit, 0 allows nothing. Thread-safe.
#ifndef RUMP_NETINET_RATE_LIMIT_H_
#define RUMP_NETINET_RATE_LIMIT_H_

#include <mutex>

#include "absl/time/time.h"

namespace rump::inet {

class RateLimiter {
 public:
  explicit RateLimiter(int per_second) : limit_(per_second) {}
  // Whether one more event may happen at `now`.
  bool Allow(absl::Time now) {
    std::lock_guard<std::mutex> lock(mu_);
    if (limit_ < 0) return true;
    if (now - window_start_ >= absl::Seconds(1) || now < window_start_) {
      window_start_ = now;
      count_ = 0;
    }
    if (count_ >= limit_) return false;
    ++count_;
    return true;
  }
  void set_limit(int per_second) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = per_second;
  }

 private:
  std::mutex mu_;
  int limit_;
  absl::Time window_start_ = absl::InfinitePast();
  int count_ = 0;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_RATE_LIMIT_H_
