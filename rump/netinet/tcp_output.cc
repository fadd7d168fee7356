// TcpSocket: sending (NetBSD's tcp_output.c): what may go now, and the
// segments themselves.
#include <algorithm>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
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
using inet::TcpSeq;

size_t TcpSocket::segment_size() const {
  size_t mss = std::min(peer_mss_, our_mss_);
  if (pmtu_mss_ != 0) mss = std::min<size_t>(mss, pmtu_mss_);
  if (user_maxseg_ > 0) mss = std::min<size_t>(mss, size_t(user_maxseg_));
  if (ts_ok_) mss -= inet::kTcpOptLenTimestamps + 2;  // NOP NOP TS on every segment
  return std::max<size_t>(mss, 64);
}

uint32_t TcpSocket::ReceiveWindow() const {
  size_t space = receive_space();
  const size_t most = size_t(65535) << rcv_scale_;
  // Receiver-side silly window avoidance (RFC 9293 3.8.6.2.2): no window
  // smaller than a segment or a quarter of the buffer is offered.
  if (space < recv_buffer_limit() / 4 && space < segment_size()) space = 0;
  space = std::min(space, most);
  // Never shrink what was offered.
  if (rcv_adv_ > rcv_nxt_) space = std::max<size_t>(space, SeqLength(rcv_nxt_, rcv_adv_));
  return uint32_t(std::min(space, most));
}

void TcpSocket::AutoSizeSend() {
  // NetBSD's rule: grow while the buffer is 7/8 full, holds less than the
  // peer's window, and the window is at least 4/5 of the buffer.
  inet::TcpTunables& t = tcp_.tunables();
  if (t.sendbuf_auto.load() == 0) return;
  const size_t hiwat = send_buffer_limit();
  const size_t buffered = send_buffer_bytes();
  const size_t most =
      std::min<size_t>(size_t(std::max(0, t.sendbuf_max.load())), net().sb_max_adj());
  if (hiwat < most && size_t(snd_wnd_) / 4 * 5 >= hiwat && buffered >= hiwat / 8 * 7 &&
      buffered < snd_wnd_) {
    GrowSendBuffer(std::min(hiwat + size_t(std::max(1, t.sendbuf_inc.load())), most));
  }
}

void TcpSocket::OutputLocked() {
  if (state_ == abi::kTCPS_CLOSED || state_ == abi::kTCPS_LISTEN) return;
  if (state_ >= abi::kTCPS_ESTABLISHED) AutoSizeSend();
  OutputBurst burst;  // the segments below wake the medium once
  for (int rounds = 0; rounds < 4096 && !closed_; ++rounds) {
    const bool syn_state =
        state_ == abi::kTCPS_SYN_SENT || state_ == abi::kTCPS_SYN_RECEIVED;
    const size_t buffered = send_buffer_bytes();
    uint8_t flags = state_ == abi::kTCPS_SYN_SENT ? 0 : kTcpAck;
    const bool send_syn = syn_state && snd_nxt_ == iss_;
    if (send_syn) flags |= kTcpSyn;

    // What of the send buffer may go: from SND.NXT up to the smaller of
    // the peer's window and the congestion window.
    size_t off = 0, len = 0;
    bool more = false;
    const size_t seg = segment_size();
    if (!syn_state) {
      off = snd_nxt_ > snd_una_ ? SeqLength(snd_una_, snd_nxt_) : 0;
      const size_t win = std::min(snd_wnd_, cwnd_);
      const size_t avail = std::min(buffered, win);
      len = avail > off ? avail - off : 0;
      if (len > seg) {
        len = seg;
        more = true;
      }
    }
    // A FIN goes after the last byte, once (again after a timeout).
    bool send_fin = false;
    if (fin_pending_ && !syn_state && off + len == buffered &&
        (!fin_sent_ || snd_nxt_ == fin_seq_)) {
      send_fin = true;
    }

    if (len > 0) {
      const bool idle = snd_max_ == snd_una_;
      bool data_ok = len == seg;                                       // a full segment
      if ((idle || nodelay_) && !nopush_ && off + len >= buffered) data_ok = true;  // Nagle
      if (max_sndwnd_ > 0 && len >= max_sndwnd_ / 2) data_ok = true;
      if (snd_nxt_ < snd_max_) data_ok = true;                         // a retransmission
      if (force_) data_ok = true;                                      // the persist timer
      if (!data_ok) {
        len = 0;
        more = false;
        send_fin = false;  // the FIN waits for the data before it
      }
    }
    bool go = send_syn || send_fin || ack_now_ || len > 0;
    // A window update, when reading opened the window by two segments or
    // half the buffer (RFC 9293 3.8.6.2.2).
    bool window_update = false;
    if (!go && !syn_state && !fin_received_) {
      const uint32_t win = ReceiveWindow();
      const TcpSeq edge = rcv_nxt_ + win;
      if (edge > rcv_adv_) {
        const size_t opened = SeqLength(rcv_adv_, edge);
        if (opened >= 2 * seg || 2 * opened >= recv_buffer_limit()) {
          go = true;
          window_update = true;
        }
      }
    }
    if (!go) {
      // Data waits for a window that is shut: probe it (the persist timer).
      // Data waits with nothing in flight and no timer running (a shut or
      // small window): the persist timer makes sure it goes eventually.
      if (buffered > off && !TimerArmed(kRexmt) && !TimerArmed(kPersist) &&
          snd_nxt_ == snd_una_) {
        ArmTimer(kPersist, PersistInterval());
      }
      return;
    }

    if (len > 0 && off + len == buffered) flags |= kTcpPsh;
    if (send_fin) flags |= kTcpFin;
    const TcpSeq seq = send_syn ? iss_ : snd_nxt_;
    const bool retransmit = seq < snd_max_ && (len > 0 || send_syn || send_fin);
    if (len > 0) {
      if (retransmit) {
        tcp_.stats().Inc(abi::kTcpStatSndrexmitpack);
        tcp_.stats().Inc(abi::kTcpStatSndrexmitbyte, len);
      } else {
        tcp_.stats().Inc(abi::kTcpStatSndpack);
        tcp_.stats().Inc(abi::kTcpStatSndbyte, len);
      }
    } else if (flags & (kTcpSyn | kTcpFin)) {
      tcp_.stats().Inc(abi::kTcpStatSndctrl);
    } else if (window_update) {
      tcp_.stats().Inc(abi::kTcpStatSndwinup);
    } else {
      tcp_.stats().Inc(abi::kTcpStatSndacks);
    }
    const absl::Status sent = SendSegment(flags, seq, off, len, retransmit);
    if (!sent.ok()) {
      const int e = abi::ToErrno(sent);
      if (e == abi::kENOBUFS) tcp_.stats().Inc(abi::kTcpStatSelfquench);
      // Routing trouble is a soft error: the retransmission timer tries
      // again and reports it if the connection times out.
      soft_error_ = e;
    }
    const uint32_t consumed = uint32_t(len) + (send_syn ? 1 : 0) + (send_fin ? 1 : 0);
    if (send_fin) {
      fin_sent_ = true;
      fin_seq_ = seq + uint32_t(len);
    }
    if (consumed > 0) {
      snd_nxt_ = seq + consumed;
      if (snd_nxt_ > snd_max_) {
        snd_max_ = snd_nxt_;
        if (!rtt_timing_ && !retransmit) {
          rtt_timing_ = true;
          rtt_seq_ = seq;
          rtt_start_ = absl::Now();
          tcp_.stats().Inc(abi::kTcpStatSegstimed);
        }
      }
      if (!TimerArmed(kRexmt) && snd_nxt_ != snd_una_) {
        CancelTimer(kPersist);
        ArmTimer(kRexmt, rto_.rto());
      }
    }
    if (!more) return;
  }
}

absl::Status TcpSocket::SendSegment(uint8_t flags, TcpSeq seq, size_t off, size_t len,
                                    bool retransmit) {
  (void)retransmit;
  const inet::PcbAddrs a = addrs();
  inet::TcpHeader th;
  th.sport = a.lport;
  th.dport = a.fport;
  th.seq = seq;
  th.flags = flags;
  if (flags & kTcpAck) th.ack = rcv_nxt_;
  inet::TcpOptions opts;
  uint32_t win = (flags & kTcpRst) ? 0 : ReceiveWindow();
  if (flags & kTcpSyn) {
    opts.mss = our_mss_;
    if (request_scale_) opts.window_shift = rcv_scale_;
    opts.sack_permitted = request_sack_;
    if (request_ts_) {
      opts.timestamps = inet::TcpTimestamps{tcp_.TimestampNow(),
                                            (flags & kTcpAck) ? ts_recent_ : 0};
    }
    th.window = uint16_t(std::min<uint32_t>(win, 65535));  // never scaled
  } else {
    if (ts_ok_ && !(flags & kTcpRst)) {
      opts.timestamps = inet::TcpTimestamps{tcp_.TimestampNow(), ts_recent_};
    }
    if (sack_ok_ && !sack_report_.empty() && !(flags & kTcpRst)) {
      opts.sack_blocks = sack_report_.Blocks(ts_ok_ ? 3 : 4);
    }
    th.window = uint16_t(std::min<uint32_t>(win >> rcv_scale_, 65535));
  }
  std::vector<uint8_t> payload(len);
  if (len > 0) {
    const size_t got = CopySendBuffer(off, absl::MakeSpan(payload));
    payload.resize(got);
  }
  absl::StatusOr<std::vector<uint8_t>> bytes =
      inet::BuildTcpSegment(th, opts, payload, a.laddr, a.faddr);
  if (!bytes.ok()) return abi::Errno(abi::kEMSGSIZE, bytes.status().message());
  if (flags & kTcpAck) {
    const TcpSeq edge = rcv_nxt_ + (uint32_t(th.window) << ((flags & kTcpSyn) ? 0 : rcv_scale_));
    if (edge > rcv_adv_) rcv_adv_ = edge;
    last_ack_sent_ = rcv_nxt_;
    ack_now_ = false;
    unacked_segments_ = 0;
    CancelTimer(kDelack);
  }
  Inet::OutputRequest out;
  out.src = a.laddr;
  out.dst = a.faddr;
  out.proto = abi::kIPPROTO_TCP;
  out.ttl = ttl();
  out.tos = tos();
  out.dont_route = dont_route();
  out.payload = *bytes;
  tcp_.stats().Inc(abi::kTcpStatSndtotal);
  return inet_.Output(out);
}

void TcpSocket::SendKeepaliveProbe() {
  // SND.UNA - 1 with no data: the peer answers with an ACK (RFC 9293
  // 3.8.4).
  SendSegment(kTcpAck, snd_una_ - 1, 0, 0, false).IgnoreError();
}

}  // namespace rump
