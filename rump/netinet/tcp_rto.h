// RtoEstimator: TCP's retransmission timeout (RFC 6298), from round-trip
// time samples.
//
// Promises, with the rule of RFC 6298 each follows:
//  * before any sample, rto() is `initial` (2.1: 1 second);
//  * the first sample R sets SRTT = R and RTTVAR = R/2 (2.2); every later
//    one sets RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| and then
//    SRTT = 7/8 SRTT + 1/8 R (2.3: RTTVAR first, with the old SRTT);
//  * after a sample, RTO = SRTT + max(G, 4 * RTTVAR) (2.2, 2.3), then
//    raised to `min` (2.4) and lowered to `max` (2.5);
//  * Backoff() doubles the RTO (5.5), never beyond `max`; a new sample
//    ends the backoff (the RTO is computed afresh from SRTT and RTTVAR, as
//    NetBSD's tcp_xmit_timer clears t_rxtshift);
//  * left to the caller: 5.7's return to 3 seconds after a SYN timed out,
//    and when to give up;
//  * Karn's rule (3) is the caller's: pass no sample taken from a segment
//    that was retransmitted (unless it was timed with RFC 7323 timestamps,
//    whose echo says which transmission is acknowledged). After a backoff
//    the doubled RTO stays until such a sample arrives (5.5, 5.6 keep the
//    backed-off value for the next transmissions).
// Arithmetic is exact in absl::Duration (no tick rounding). Not
// thread-safe: it belongs to one connection, under its lock.
#ifndef RUMP_NETINET_TCP_RTO_H_
#define RUMP_NETINET_TCP_RTO_H_

#include "absl/time/time.h"

namespace rump::inet {

struct RtoConfig {
  absl::Duration initial = absl::Seconds(1);  // RFC 6298 2.1; NetBSD's TCPTV_SRTTDFLT
  // RFC 6298 2.4's one second; NetBSD's TCPTV_MIN is 1 * PR_SLOWHZ slow
  // ticks, also one second.
  absl::Duration min = absl::Seconds(1);
  absl::Duration max = absl::Seconds(64);     // NetBSD's TCPTV_REXMTMAX
  // G, the clock granularity of 2.2 and 2.3. Our timers run on absl::Time,
  // not NetBSD's 500 ms slow ticks; a millisecond is below any RTO we arm.
  absl::Duration granularity = absl::Milliseconds(1);
};

class RtoEstimator {
 public:
  explicit RtoEstimator(RtoConfig config = RtoConfig());

  // A round-trip time measured on a segment that was not retransmitted
  // (Karn). A negative sample is taken as zero.
  void AddSample(absl::Duration rtt);
  // The retransmission timer expired: double the RTO (up to `max`).
  void Backoff();

  // The timeout to arm now.
  absl::Duration rto() const { return rto_; }
  bool has_sample() const { return has_sample_; }
  // SRTT and RTTVAR; zero before the first sample.
  absl::Duration srtt() const { return srtt_; }
  absl::Duration rttvar() const { return rttvar_; }
  // Backoffs since the last sample (NetBSD's t_rxtshift), also those at
  // the ceiling: a caller gives up after enough of them.
  int backoffs() const { return backoffs_; }

 private:
  absl::Duration Clamp(absl::Duration d) const;

  const RtoConfig config_;
  bool has_sample_ = false;
  absl::Duration srtt_;
  absl::Duration rttvar_;
  absl::Duration rto_;
  int backoffs_ = 0;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_RTO_H_
