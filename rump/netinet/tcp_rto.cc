#include "rump/netinet/tcp_rto.h"

#include <algorithm>

namespace rump::inet {

RtoEstimator::RtoEstimator(RtoConfig config) : config_(config), rto_(Clamp(config.initial)) {}

absl::Duration RtoEstimator::Clamp(absl::Duration d) const {
  return std::min(std::max(d, config_.min), config_.max);
}

void RtoEstimator::AddSample(absl::Duration rtt) {
  rtt = std::max(rtt, absl::ZeroDuration());
  if (!has_sample_) {
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    // beta = 1/4, alpha = 1/8; RTTVAR uses the SRTT from before this sample.
    rttvar_ = rttvar_ * 3 / 4 + absl::AbsDuration(srtt_ - rtt) / 4;
    srtt_ = srtt_ * 7 / 8 + rtt / 8;
  }
  backoffs_ = 0;
  rto_ = Clamp(srtt_ + std::max(config_.granularity, 4 * rttvar_));
}

void RtoEstimator::Backoff() {
  rto_ = std::min(rto_ * 2, config_.max);
  ++backoffs_;
}

}  // namespace rump::inet
