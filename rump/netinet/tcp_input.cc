// TcpSocket: segment arrival (RFC 9293 3.10.7, NetBSD's tcp_input.c).
#include <algorithm>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/tcp_socket.h"

namespace rump {

using inet::kTcpAck;
using inet::kTcpFin;
using inet::kTcpPsh;
using inet::kTcpRst;
using inet::kTcpSyn;
using inet::SeqLength;
using inet::SeqMax;
using inet::TcpSegment;
using inet::TcpSeq;

bool TcpSocket::Input(const TcpSegment& seg, uint32_t src, uint32_t dst) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return false;
  if (state_ == abi::kTCPS_LISTEN) {
    lock.unlock();  // NewConnection calls back into ProtoNewConnection
    InputListen(seg, src, dst);
    return true;
  }
  return InputLocked(seg, src, dst);
}

void TcpSocket::InputListen(const TcpSegment& seg, uint32_t src, uint32_t dst) {
  const inet::TcpHeader& th = seg.header;
  if (th.has(kTcpRst)) return;
  if (th.has(kTcpAck)) {  // nothing was sent from here: RST (RFC 9293 3.10.7.2)
    tcp_.SendReset(src, dst, seg);
    return;
  }
  if (!th.has(kTcpSyn)) return;
  std::shared_ptr<Socket> child = NewConnection(false);
  if (child == nullptr) {
    // The queues are full, the listener's RLIMIT_SBSIZE budget has no room
    // for the connection's buffers, or the listener just closed: drop the
    // SYN, the peer sends it again (NetBSD's listen queue overflow).
    tcp_.stats().Inc(abi::kTcpStatScOverflowed);
    return;
  }
  auto c = std::static_pointer_cast<TcpSocket>(child);
  std::lock_guard<std::mutex> lock(c->mu_);
  c->AcceptSyn(seg, src, dst);
}

void TcpSocket::AcceptSyn(const TcpSegment& seg, uint32_t src, uint32_t dst) {
  const inet::TcpHeader& th = seg.header;
  if (!table_.SetConnected(pcb_, dst, th.dport, src, th.sport).ok()) {
    CloseLocked();
    return;
  }
  tcp_.stats().Inc(abi::kTcpStatScAdded);
  inet::TcpTunables& t = tcp_.tunables();
  const bool rfc1323 = t.rfc1323.load() != 0;
  request_scale_ = rfc1323 && t.win_scale.load() != 0;
  request_ts_ = rfc1323 && t.timestamps.load() != 0;
  request_sack_ = t.sack.load() != 0;
  rcv_scale_ = 0;
  if (request_scale_) {
    const size_t most = std::max(recv_buffer_limit(), abi::kTcpAutoBufMax);
    while (rcv_scale_ < inet::kTcpMaxWindowShift && (size_t(65535) << rcv_scale_) < most) {
      ++rcv_scale_;
    }
  }
  const int mtu = inet_.RouteMtu(src);
  our_mss_ = uint16_t(std::clamp(mtu > 40 ? mtu - 40 : t.mssdflt.load(), abi::kTcpMinMss,
                                 65535 - 40));
  ProcessOptionsOnSyn(seg.options);
  // A passive open offers only what the SYN offered.
  request_scale_ = scale_ok_;
  request_ts_ = ts_ok_;
  request_sack_ = sack_ok_;
  irs_ = th.seq;
  rcv_nxt_ = irs_ + 1;
  rcv_adv_ = rcv_nxt_;
  iss_ = tcp_.NewIss(dst, th.dport, src, th.sport);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  snd_wnd_ = th.window;  // a SYN's window is never scaled
  snd_wl1_ = th.seq;
  snd_wl2_ = iss_;
  max_sndwnd_ = snd_wnd_;
  last_input_ = absl::Now();
  SetState(abi::kTCPS_SYN_RECEIVED);
  ArmTimer(kKeep,
           keepinit_ > 0 ? absl::Seconds(keepinit_) : inet::SlowTicks(t.keepinit.load()));
  OutputLocked();  // the SYN-ACK
}

void TcpSocket::ProcessOptionsOnSyn(const inet::TcpOptions& o) {
  const int dflt = tcp_.tunables().mssdflt.load();
  peer_mss_ = uint16_t(std::clamp(o.mss ? int(*o.mss) : dflt, abi::kTcpMinMss, 65535 - 40));
  if (request_scale_ && o.window_shift) {
    scale_ok_ = true;
    snd_scale_ = *o.window_shift;
  } else {
    scale_ok_ = false;
    snd_scale_ = 0;
    rcv_scale_ = 0;
  }
  if (request_ts_ && o.timestamps) {
    ts_ok_ = true;
    ts_recent_ = o.timestamps->value;
    ts_recent_age_ = absl::Now();
  } else {
    ts_ok_ = false;
  }
  sack_ok_ = request_sack_ && o.sack_permitted;
}

void TcpSocket::InputSynSent(const TcpSegment& seg) {
  const inet::TcpHeader& th = seg.header;
  if (th.has(kTcpAck) && (th.ack <= iss_ || th.ack > snd_max_)) {
    if (!th.has(kTcpRst)) {
      // Unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>.
      SendSegment(kTcpRst, th.ack, 0, 0, false).IgnoreError();
    }
    return;
  }
  if (th.has(kTcpRst)) {
    if (th.has(kTcpAck)) DropLocked(abi::kECONNREFUSED);
    return;
  }
  if (!th.has(kTcpSyn)) return;
  irs_ = th.seq;
  rcv_nxt_ = irs_ + 1;
  rcv_adv_ = rcv_nxt_;
  ProcessOptionsOnSyn(seg.options);
  if (th.has(kTcpAck)) {
    // Our SYN is acknowledged: established.
    const absl::Time now = absl::Now();
    if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->echo != 0) {
      rto_.AddSample(absl::Milliseconds(tcp_.TimestampNow() - seg.options.timestamps->echo));
      tcp_.stats().Inc(abi::kTcpStatRttupdated);
    } else if (rtt_timing_ && rxtshift_ == 0) {
      rto_.AddSample(now - rtt_start_);
      tcp_.stats().Inc(abi::kTcpStatRttupdated);
    }
    rtt_timing_ = false;
    rxtshift_ = 0;
    snd_una_ = th.ack;
    if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
    snd_wnd_ = th.window;
    snd_wl1_ = th.seq;
    snd_wl2_ = th.ack;
    max_sndwnd_ = snd_wnd_;
    CancelTimer(kRexmt);
    tcp_.stats().Inc(abi::kTcpStatConnects);
    last_input_ = now;
    Established();
    ack_now_ = true;
    // Data or a FIN with the SYN-ACK is rare; take it as any later segment.
    if (!seg.payload.empty() || th.has(kTcpFin)) {
      ProcessData(seg, seg.payload, th.has(kTcpFin));
    }
    OutputLocked();
    return;
  }
  // Simultaneous open: SYN_RECEIVED, and our SYN again with an ACK. That
  // SYN-ACK offers only what the peer's SYN offered (RFC 7323 1.3 and 2.2,
  // NetBSD's TF_RCVD_SCALE / TF_RCVD_TSTMP tests in tcp_output).
  request_scale_ = scale_ok_;
  request_ts_ = ts_ok_;
  request_sack_ = sack_ok_;
  SetState(abi::kTCPS_SYN_RECEIVED);
  snd_wnd_ = th.window;
  snd_wl1_ = th.seq;
  snd_nxt_ = iss_;
  CancelTimer(kRexmt);
  ack_now_ = true;
  OutputLocked();
}

bool TcpSocket::InputLocked(const TcpSegment& seg, uint32_t src, uint32_t dst) {
  (void)src;
  (void)dst;
  if (state_ == abi::kTCPS_CLOSED) return false;
  if (state_ == abi::kTCPS_SYN_SENT) {
    InputSynSent(seg);
    return true;
  }
  const inet::TcpHeader& th = seg.header;
  const absl::Time now = absl::Now();
  absl::Span<const uint8_t> data = seg.payload;
  bool fin = th.has(kTcpFin);
  TcpSeq seq = th.seq;

  // A new SYN for a connection in TIME_WAIT may start a new incarnation
  // (RFC 9293 3.10.7.4, NetBSD): close this one and let the caller look
  // again (it finds the listener, if any).
  if (state_ == abi::kTCPS_TIME_WAIT && th.has(kTcpSyn) && !th.has(kTcpAck) &&
      !th.has(kTcpRst) && seq > rcv_nxt_) {
    CloseLocked();
    return false;
  }
  // A retransmitted SYN while the SYN-ACK is out: send the SYN-ACK again.
  if (state_ == abi::kTCPS_SYN_RECEIVED && th.has(kTcpSyn) && !th.has(kTcpAck) &&
      seq == irs_) {
    snd_nxt_ = iss_;
    OutputLocked();
    return true;
  }
  // Simultaneous open: the peer's SYN-ACK repeats its SYN, already taken,
  // and acknowledges ours. NetBSD trims the old SYN and goes on with the
  // segment from IRS + 1 (RFC 793's figure 8 ends ESTABLISHED here).
  bool syn = th.has(kTcpSyn);
  if (state_ == abi::kTCPS_SYN_RECEIVED && syn && th.has(kTcpAck) && !th.has(kTcpRst) &&
      seq == irs_) {
    syn = false;
    seq = irs_ + 1;
  }

  last_input_ = now;
  keep_probes_ = 0;
  if (state_ >= abi::kTCPS_ESTABLISHED && keep_alive()) ArmTimer(kKeep, KeepIdle());

  // PAWS (RFC 7323 5.3): a timestamp older than the last one in order.
  const bool has_ts = ts_ok_ && seg.options.timestamps.has_value();
  if (has_ts && !th.has(kTcpRst) && TcpSeq(seg.options.timestamps->value) < TcpSeq(ts_recent_)) {
    if (now - ts_recent_age_ > absl::Hours(24 * 24)) {
      ts_recent_ = 0;  // idle for 24 days: the old timestamp means nothing
    } else {
      tcp_.stats().Inc(abi::kTcpStatPawsdrop);
      ack_now_ = true;
      OutputLocked();
      return true;
    }
  }

  // 1. Is the segment acceptable (RFC 9293 3.10.7.4 first)?
  const uint32_t rcv_wnd = rcv_adv_ > rcv_nxt_ ? SeqLength(rcv_nxt_, rcv_adv_) : 0;
  const uint32_t seglen = uint32_t(data.size()) + (syn ? 1 : 0) + (fin ? 1 : 0);
  bool acceptable;
  if (seglen == 0) {
    acceptable = rcv_wnd == 0 ? seq == rcv_nxt_ : (seq >= rcv_nxt_ && seq < rcv_nxt_ + rcv_wnd);
  } else if (rcv_wnd == 0) {
    // A zero-window probe: its ACK, RST and SYN are still looked at; its
    // data is not (RFC 9293's special allowance).
    acceptable = seq == rcv_nxt_;
    if (acceptable) {
      tcp_.stats().Inc(abi::kTcpStatRcvwinprobe);
      data = {};
      fin = false;
      ack_now_ = true;
    }
  } else {
    const TcpSeq last = seq + (seglen - 1);
    acceptable = (seq >= rcv_nxt_ && seq < rcv_nxt_ + rcv_wnd) ||
                 (last >= rcv_nxt_ && last < rcv_nxt_ + rcv_wnd);
  }
  if (!acceptable) {
    if (th.has(kTcpRst)) return true;
    if (seq + seglen <= rcv_nxt_) {
      tcp_.stats().Inc(abi::kTcpStatRcvduppack);
      tcp_.stats().Inc(abi::kTcpStatRcvdupbyte, data.size());
    } else {
      tcp_.stats().Inc(abi::kTcpStatRcvpackafterwin);
      tcp_.stats().Inc(abi::kTcpStatRcvbyteafterwin, data.size());
    }
    if (state_ == abi::kTCPS_TIME_WAIT) {  // a retransmitted FIN: ACK it again
      ArmTimer(k2Msl, absl::Seconds(2 * std::max(1, tcp_.tunables().msl.load())));
    }
    ack_now_ = true;
    OutputLocked();
    return true;
  }

  // 2. RST (RFC 5961 3.2): exactly RCV.NXT resets, elsewhere in the window
  // draws a challenge ACK.
  if (th.has(kTcpRst)) {
    if (seq != rcv_nxt_) {
      SendChallengeAck();
      return true;
    }
    switch (state_) {
      case abi::kTCPS_SYN_RECEIVED:
        // A passive open goes quietly; an active one (simultaneous open)
        // was refused.
        if (!detached_ && connecting()) SetError(abi::kECONNREFUSED);
        break;
      case abi::kTCPS_ESTABLISHED:
      case abi::kTCPS_FIN_WAIT_1:
      case abi::kTCPS_FIN_WAIT_2:
      case abi::kTCPS_CLOSE_WAIT:
        SetError(abi::kECONNRESET);
        tcp_.stats().Inc(abi::kTcpStatDrops);
        break;
      default:
        break;
    }
    CloseLocked();
    return true;
  }

  // 4. A SYN in a synchronized state (RFC 5961 4.2): a challenge ACK.
  if (syn) {
    SendChallengeAck();
    return true;
  }

  // 5. No ACK, no processing.
  if (!th.has(kTcpAck)) return true;

  // Trim what lies before RCV.NXT and beyond the window.
  if (seq < rcv_nxt_) {
    const uint32_t todrop = SeqLength(seq, rcv_nxt_);
    if (todrop >= data.size()) {
      if (!data.empty()) {
        tcp_.stats().Inc(abi::kTcpStatRcvduppack);
        tcp_.stats().Inc(abi::kTcpStatRcvdupbyte, data.size());
        ack_now_ = true;  // duplicate data: say where we are at once
      }
      if (fin && todrop > data.size()) fin = false;  // that FIN came before
      data = {};
    } else {
      tcp_.stats().Inc(abi::kTcpStatRcvpartduppack);
      tcp_.stats().Inc(abi::kTcpStatRcvpartdupbyte, todrop);
      data = data.subspan(todrop);
    }
    seq = rcv_nxt_;
  }
  if (!data.empty() && rcv_wnd < SeqLength(rcv_nxt_, seq) + data.size()) {
    const size_t keep = SeqLength(rcv_nxt_, seq) >= rcv_wnd
                            ? 0
                            : rcv_wnd - SeqLength(rcv_nxt_, seq);
    tcp_.stats().Inc(abi::kTcpStatRcvpackafterwin);
    tcp_.stats().Inc(abi::kTcpStatRcvbyteafterwin, data.size() - keep);
    data = data.subspan(0, keep);
    fin = false;
    ack_now_ = true;
  }
  // Data for a socket nobody can read any more (closed, past CLOSE_WAIT):
  // the peer must learn at once (NetBSD's rcvafterclose).
  if (detached_ && !data.empty() && state_ > abi::kTCPS_CLOSE_WAIT) {
    tcp_.stats().Inc(abi::kTcpStatRcvafterclose);
    DropLocked(0);
    return true;
  }

  // RFC 7323 4.3: remember the timestamp of the segment that covers the
  // last ACK we sent (its appendix D rule: SEG.SEQ <= Last.ACK.sent and a
  // timestamp not older than the one held).
  if (has_ts && th.seq <= last_ack_sent_ &&
      TcpSeq(seg.options.timestamps->value) >= TcpSeq(ts_recent_)) {
    ts_recent_ = seg.options.timestamps->value;
    ts_recent_age_ = now;
  }

  uint32_t tiwin = uint32_t(th.window) << snd_scale_;
  if (state_ == abi::kTCPS_SYN_RECEIVED) {
    if (th.ack <= snd_una_ || th.ack > snd_max_) {
      SendSegment(kTcpRst, th.ack, 0, 0, false).IgnoreError();
      return true;
    }
    tcp_.stats().Inc(abi::kTcpStatScCompleted);
    tcp_.stats().Inc(abi::kTcpStatAccepts);
    snd_wnd_ = tiwin;
    snd_wl1_ = seq;
    snd_wl2_ = th.ack;
    max_sndwnd_ = std::max(max_sndwnd_, snd_wnd_);
    Established();
    if (fin_pending_) SetState(abi::kTCPS_FIN_WAIT_1);  // closed before it came up
  }
  if (!ProcessAck(seg, tiwin)) return true;
  if (closed_) return true;

  // 7. The segment text, and 8. the FIN.
  switch (state_) {
    case abi::kTCPS_ESTABLISHED:
    case abi::kTCPS_FIN_WAIT_1:
    case abi::kTCPS_FIN_WAIT_2:
      ProcessData(seg, data, fin);
      break;
    default:
      // After the peer's FIN no data can come; a FIN again is answered.
      if (fin) ack_now_ = true;
      if (state_ == abi::kTCPS_TIME_WAIT && fin) {
        ArmTimer(k2Msl, absl::Seconds(2 * std::max(1, tcp_.tunables().msl.load())));
      }
      break;
  }
  if (!closed_) OutputLocked();
  return true;
}

bool TcpSocket::ProcessAck(const TcpSegment& seg, uint32_t tiwin) {
  const inet::TcpHeader& th = seg.header;
  const TcpSeq ack = th.ack;
  if (ack > snd_max_) {  // acknowledges what was never sent
    tcp_.stats().Inc(abi::kTcpStatRcvacktoomuch);
    ack_now_ = true;
    OutputLocked();
    return false;
  }
  // RFC 5961 5.2: far below SND.UNA - MAX.SND.WND is a blind guess.
  if (ack < snd_una_ - std::max<uint32_t>(max_sndwnd_, 1)) {
    SendChallengeAck();
    return false;
  }
  if (ack <= snd_una_) {
    if (ack == snd_una_ && snd_una_ != snd_max_ && seg.payload.empty() && !th.has(kTcpFin)) {
      // A duplicate ACK: RFC 5681's (nothing new, the same window), or
      // with SACK one that brings new SACK information (RFC 6675 2): the
      // window of a reading receiver changes with every ACK.
      size_t newly_sacked = 0;
      if (sack_ok_ && !seg.options.sack_blocks.empty()) {
        newly_sacked = scoreboard_.AddBlocks(seg.options.sack_blocks, snd_max_).newly_sacked;
      }
      if (tiwin == snd_wnd_ || newly_sacked > 0) {
        DupAck();
      } else {
        dupacks_ = 0;
      }
    } else if (ack == snd_una_) {
      dupacks_ = 0;
    }
  } else {
    NewAck(ack, SeqLength(snd_una_, ack), seg);
  }
  // The send window (RFC 9293 3.10.7.4, fifth check's update rule).
  if (snd_wl1_ < th.seq || (snd_wl1_ == th.seq && (snd_wl2_ < ack ||
                                                   (snd_wl2_ == ack && tiwin > snd_wnd_)))) {
    if (seg.payload.empty() && snd_wl2_ == ack && tiwin > snd_wnd_) {
      tcp_.stats().Inc(abi::kTcpStatRcvwinupd);
    }
    snd_wnd_ = tiwin;
    snd_wl1_ = th.seq;
    snd_wl2_ = ack;
    max_sndwnd_ = std::max(max_sndwnd_, snd_wnd_);
    if (snd_wnd_ > 0) {
      CancelTimer(kPersist);
      persist_shift_ = 0;
    }
  }
  const bool our_fin_acked = fin_sent_ && snd_una_ > fin_seq_;
  switch (state_) {
    case abi::kTCPS_FIN_WAIT_1:
      if (our_fin_acked) {
        SetState(abi::kTCPS_FIN_WAIT_2);
        if (detached_) {
          // Nobody can read: do not wait forever for the peer's FIN.
          SetDisconnected();
          ArmTimer(k2Msl, KeepIntvl() * KeepCount());
        }
      }
      break;
    case abi::kTCPS_CLOSING:
      if (our_fin_acked) {
        EnterTimeWait();
        return false;
      }
      break;
    case abi::kTCPS_LAST_ACK:
      if (our_fin_acked) {
        CloseLocked();
        return false;
      }
      break;
    default:
      break;
  }
  return true;
}

void TcpSocket::NewAck(TcpSeq ack, uint32_t acked, const TcpSegment& seg) {
  tcp_.stats().Inc(abi::kTcpStatRcvackpack);
  tcp_.stats().Inc(abi::kTcpStatRcvackbyte, acked);
  const absl::Time now = absl::Now();
  // A round-trip sample: from the timestamp echo (RFC 7323 4), else from
  // the timed segment if it was not retransmitted (Karn).
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->echo != 0) {
    rto_.AddSample(absl::Milliseconds(int32_t(tcp_.TimestampNow() - seg.options.timestamps->echo)));
    tcp_.stats().Inc(abi::kTcpStatRttupdated);
    rtt_timing_ = false;
  } else if (rtt_timing_ && ack > rtt_seq_) {
    rto_.AddSample(now - rtt_start_);
    tcp_.stats().Inc(abi::kTcpStatRttupdated);
    rtt_timing_ = false;
  }
  rxtshift_ = 0;

  const uint32_t seg_size = uint32_t(segment_size());
  if (in_recovery_) {
    if (ack >= recover_) {
      // A full ACK ends fast recovery (RFC 6582 3.2 step 3).
      const uint32_t flight = SeqLength(ack, snd_max_);
      cwnd_ = std::min(ssthresh_, std::max(flight, seg_size) + seg_size);
      in_recovery_ = false;
      dupacks_ = 0;
      retransmissions_.clear();
    } else {
      // A partial ACK: resend the next hole, deflate the window by what
      // was acknowledged (RFC 6582 3.2 step 4).
      cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
      cwnd_ += seg_size;
    }
  } else {
    dupacks_ = 0;
    if (cwnd_ < ssthresh_) {
      cwnd_ += std::min(acked, seg_size);                        // slow start
    } else {
      cwnd_ += std::max<uint32_t>(1, seg_size * seg_size / std::max(cwnd_, 1u));  // CA
    }
    cwnd_ = std::min<uint32_t>(cwnd_, uint32_t(65535) << inet::kTcpMaxWindowShift);
  }

  // Drop what the ACK covers from the send buffer: not our SYN or FIN.
  uint32_t data_acked = acked;
  if (snd_una_ == iss_ && data_acked > 0) --data_acked;  // the SYN
  if (fin_sent_ && ack > fin_seq_ && data_acked > 0) --data_acked;  // the FIN
  DropSendBuffer(data_acked);
  snd_una_ = ack;
  if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
  scoreboard_.Acknowledge(ack);
  if (sack_ok_ && !seg.options.sack_blocks.empty()) {
    scoreboard_.AddBlocks(seg.options.sack_blocks, snd_max_);
  }
  if (in_recovery_) {
    if (sack_ok_) {
      RetransmitLostRetransmission();
      RetransmitAt(SeqMax(sack_next_, ack));
    } else {
      RetransmitAt(ack);
    }
  }
  if (snd_una_ == snd_max_) {
    CancelTimer(kRexmt);
  } else {
    ArmTimer(kRexmt, rto_.rto());
  }
}

void TcpSocket::DupAck() {
  tcp_.stats().Inc(abi::kTcpStatRcvdupack);
  const uint32_t seg_size = uint32_t(segment_size());
  ++dupacks_;
  if (in_recovery_) {
    cwnd_ += seg_size;  // each dup ACK says a segment left the network
    if (sack_ok_) {
      RetransmitLostRetransmission();
      RetransmitAt(sack_next_);
    }
    return;
  }
  // A segment is lost after DupThresh duplicate ACKs, or with SACK when
  // more than DupThresh - 1 segments' worth above it are SACKed (RFC 6675
  // IsLost): ACKs that change the window or are themselves lost do not
  // hold recovery back.
  const bool lost = dupacks_ >= kDupThresh ||
                    (sack_ok_ && scoreboard_.sacked_bytes() > (kDupThresh - 1) * seg_size);
  // RFC 6582 3.2 step 2: no second fast retransmit for data sent before
  // the last one (or before the last timeout).
  const bool fresh = !recover_set_ || snd_una_ >= recover_;
  if (!lost || !fresh) {
    // Limited transmit (RFC 3042): the first two duplicate ACKs each let
    // one new segment go beyond the congestion window, so that a small
    // window still produces the duplicate ACKs that reveal a loss.
    if (dupacks_ < kDupThresh && snd_nxt_ == snd_max_) {
      const uint32_t saved = cwnd_;
      cwnd_ = std::max(cwnd_, SeqLength(snd_una_, snd_max_) + seg_size);
      OutputLocked();
      cwnd_ = saved;
    }
    return;
  }
  const uint32_t flight = SeqLength(snd_una_, snd_max_);
  ssthresh_ = std::max(std::min(flight, snd_wnd_) / 2, 2 * seg_size);
  recover_ = snd_max_;
  recover_set_ = true;
  in_recovery_ = true;
  sack_next_ = snd_una_;
  retransmissions_.clear();
  rtt_timing_ = false;
  RetransmitAt(snd_una_);
  cwnd_ = ssthresh_ + 3 * seg_size;
}

void TcpSocket::RetransmitLostRetransmission() {
  // The record of the segment at SND.UNA: retransmissions below it are
  // acknowledged.
  while (!retransmissions_.empty() && retransmissions_.front().seq < snd_una_) {
    retransmissions_.pop_front();
  }
  if (retransmissions_.empty() || retransmissions_.front().seq != snd_una_) return;
  const std::optional<TcpSeq> highest = scoreboard_.highest_sacked();
  const TcpSeq sent_after = retransmissions_.front().snd_max;
  // DupThresh segments sent after the retransmission have arrived, and
  // it has not: it was lost too (as Linux's lost-retransmit detection).
  if (!highest || *highest <= sent_after ||
      SeqLength(sent_after, *highest) < kDupThresh * segment_size()) {
    return;
  }
  const TcpSeq next = sack_next_;
  RetransmitAt(snd_una_);
  sack_next_ = SeqMax(next, sack_next_);
}

void TcpSocket::RetransmitAt(TcpSeq seq) {
  // With SACK, the next hole at or after `seq`; without, `seq` itself.
  TcpSeq start = SeqMax(seq, snd_una_);
  uint32_t len = uint32_t(segment_size());
  if (sack_ok_) {
    std::optional<inet::SackBlock> hole = scoreboard_.NextHole(start);
    if (!hole) {
      if (start != snd_una_ || scoreboard_.sacked_bytes() > 0) return;
    } else {
      start = hole->start;
      len = std::min(len, SeqLength(hole->start, hole->end));
    }
  }
  if (start >= snd_max_) return;
  const size_t off = SeqLength(snd_una_, start);
  const size_t buffered = send_buffer_bytes();
  if (off >= buffered) return;  // only the FIN is left: the timer resends it
  len = uint32_t(std::min<size_t>(len, buffered - off));
  tcp_.stats().Inc(abi::kTcpStatSndrexmitpack);
  tcp_.stats().Inc(abi::kTcpStatSndrexmitbyte, len);
  SendSegment(kTcpAck, start, off, len, true).IgnoreError();
  sack_next_ = start + len;
  if (in_recovery_) {
    // What was sent before this retransmission (RetransmitLostRetransmission).
    auto it = std::find_if(retransmissions_.begin(), retransmissions_.end(),
                           [&](const Retransmission& r) { return r.seq == start; });
    if (it != retransmissions_.end()) {
      it->snd_max = snd_max_;
    } else if (retransmissions_.size() < kMaxRetransmissionRecords &&
               (retransmissions_.empty() || retransmissions_.back().seq < start)) {
      retransmissions_.push_back({start, snd_max_});
    }
  }
}

void TcpSocket::ProcessData(const TcpSegment& seg, absl::Span<const uint8_t> data, bool fin) {
  if (data.empty() && !fin) return;
  TcpSeq seq = SeqMax(seg.header.seq, rcv_nxt_);
  if (data.empty() && fin) seq = seg.header.seq + uint32_t(seg.payload.size());
  if (seq == rcv_nxt_ && reass_.empty()) {
    if (!data.empty()) {
      AutoSizeReceive(data.size());
      AppendStream(data);
      rcv_nxt_ += uint32_t(data.size());
      tcp_.stats().Inc(abi::kTcpStatRcvpack);
      tcp_.stats().Inc(abi::kTcpStatRcvbyte, data.size());
    }
    if (fin) ProcessFin();
    ++unacked_segments_;
    const int delack = tcp_.tunables().delack_ticks.load();
    if (fin || unacked_segments_ >= 2 || delack <= 0 ||
        (seg.header.has(kTcpPsh) && tcp_.tunables().ack_on_push.load() != 0)) {
      ack_now_ = true;
    } else if (!TimerArmed(kDelack)) {
      ArmTimer(kDelack, absl::Milliseconds(delack * 1000 / abi::kHz));
    }
    return;
  }
  // Out of order, or filling a hole: through the reassembly queue, with
  // an immediate ACK (RFC 5681 4.2).
  ack_now_ = true;
  const inet::TcpReassemblyQueue::Insertion ins = reass_.Insert(rcv_nxt_, seq, data, fin);
  if (ins.dropped) tcp_.stats().Inc(abi::kTcpStatRcvmemdrop);
  if (seq > rcv_nxt_) {
    tcp_.stats().Inc(abi::kTcpStatRcvoopack);
    tcp_.stats().Inc(abi::kTcpStatRcvoobyte, ins.new_bytes);
    if (sack_ok_ && !data.empty()) {
      for (const auto& [start, end] : reass_.ranges()) {
        if (start <= seq && seq < end) sack_report_.Received(start, end);
      }
    }
  }
  inet::TcpReassemblyQueue::Run run = reass_.TakeContiguous(rcv_nxt_);
  if (!run.data.empty()) {
    AutoSizeReceive(run.data.size());
    AppendStream(run.data);
    rcv_nxt_ += uint32_t(run.data.size());
    tcp_.stats().Inc(abi::kTcpStatRcvpack);
    tcp_.stats().Inc(abi::kTcpStatRcvbyte, run.data.size());
  }
  sack_report_.Advance(rcv_nxt_);
  if (run.fin) ProcessFin();
}

void TcpSocket::AutoSizeReceive(size_t received) {
  // NetBSD grows the receive buffer when nearly a buffer's worth arrives
  // within a round trip: the window, not the reader, limits the flow. Our
  // round trips on a bus are microseconds where NetBSD counts 500 ms
  // ticks, so the interval is at least 10 ms.
  inet::TcpTunables& t = tcp_.tunables();
  if (t.recvbuf_auto.load() == 0) return;
  const absl::Time now = absl::Now();
  const absl::Duration rtt = std::max(rto_.has_sample() ? rto_.srtt() : absl::ZeroDuration(),
                                      absl::Milliseconds(10));
  if (now - rfbuf_ts_ > rtt) {
    rfbuf_ts_ = now;
    rfbuf_cnt_ = 0;
  }
  rfbuf_cnt_ += received;
  const size_t hiwat = recv_buffer_limit();
  const size_t most =
      std::min<size_t>(size_t(std::max(0, t.recvbuf_max.load())), net().sb_max_adj());
  if (rfbuf_cnt_ > hiwat / 8 * 7 && hiwat < most) {
    GrowRecvBuffer(std::min(hiwat + size_t(std::max(1, t.recvbuf_inc.load())), most));
    rfbuf_ts_ = now;
    rfbuf_cnt_ = 0;
  }
}

void TcpSocket::ProcessFin() {
  if (fin_received_) return;
  fin_received_ = true;
  rcv_nxt_ += 1;
  ack_now_ = true;
  CantRecvMore();
  switch (state_) {
    case abi::kTCPS_SYN_RECEIVED:
    case abi::kTCPS_ESTABLISHED:
      SetState(abi::kTCPS_CLOSE_WAIT);
      break;
    case abi::kTCPS_FIN_WAIT_1:
      SetState(abi::kTCPS_CLOSING);  // simultaneous close
      break;
    case abi::kTCPS_FIN_WAIT_2:
      EnterTimeWait();
      break;
    default:
      break;
  }
}

void TcpSocket::SendChallengeAck() {
  if (!tcp_.AllowChallengeAck()) return;
  ack_now_ = true;
  OutputLocked();
}

void TcpSocket::CtlInput(const inet::ControlInput& c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || state_ == abi::kTCPS_LISTEN) return;
  const absl::Span<const uint8_t> quoted = c.inner_payload();
  const TcpSeq seq(inet::Get32(quoted.data() + 4));
  // RFC 5927 4.1: only about a segment still in flight.
  if (seq < snd_una_ || seq >= snd_max_) return;
  if (c.type == abi::kICMP_UNREACH && c.code == abi::kICMP_UNREACH_NEEDFRAG) {
    if (c.mtu > 40 && c.mtu - 40 < int(segment_size())) {
      pmtu_mss_ = uint16_t(std::max(abi::kTcpMinMss, c.mtu - 40));
      snd_nxt_ = snd_una_;  // resend in smaller pieces now
      OutputLocked();
    }
    return;
  }
  if (c.error == 0) return;
  // tcp_notify: an established connection ignores host and network
  // unreachables (routes may come back); a connection still opening after
  // a few retransmissions gives up with the error; otherwise it is kept as
  // the soft error a timeout reports.
  if (state_ == abi::kTCPS_ESTABLISHED &&
      (c.error == abi::kEHOSTUNREACH || c.error == abi::kENETUNREACH ||
       c.error == abi::kEHOSTDOWN)) {
    return;
  }
  if (state_ < abi::kTCPS_ESTABLISHED && rxtshift_ > 3 && soft_error_ != 0) {
    DropLocked(c.error);
    return;
  }
  soft_error_ = c.error;
}

}  // namespace rump
