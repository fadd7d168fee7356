// TcpSocket: a TCP socket and its connection (NetBSD's tcpcb behind an
// inpcb behind a socket).
//
// The connection follows RFC 9293's state machine, with every transition:
// active and passive open, simultaneous open and close, half-close
// (shutdown(SHUT_WR) sends a FIN, data still flows in), TIME_WAIT for
// 2 * net.inet.tcp.msl, and the RST rules of RFC 5961 (a RST or SYN
// that is in the window but not exact draws a challenge ACK). On top:
//  * retransmission with RFC 6298's RTO (Karn's rule; RFC 7323 timestamps
//    give samples even for retransmitted segments), backed off up to
//    TCP_MAXRXTSHIFT (12) times, then ETIMEDOUT (or the ICMP error a
//    connection heard meanwhile, NetBSD's soft error);
//  * RFC 5681 congestion control, fast retransmit and NewReno fast
//    recovery (RFC 6582); with SACK (RFC 2018), recovery resends the holes
//    the peer reports first (RFC 6675's scoreboard);
//  * the MSS option (our MSS from the route's interface MTU), window
//    scaling and timestamps with PAWS (RFC 7323), SACK-permitted, delayed
//    ACKs (every second full segment, else after net.inet.tcp.delack_ticks),
//    Nagle (off with TCP_NODELAY), zero-window probes (the persist timer),
//    keepalive (SO_KEEPALIVE, with TCP_KEEPIDLE / TCP_KEEPINTVL /
//    TCP_KEEPCNT or the net.inet.tcp.keep* sysctls), a connection timeout
//    (TCP_KEEPINIT);
//  * socket semantics from the socket layer (rump/net/socket.h): connect
//    (EINPROGRESS when non-blocking; ECONNREFUSED on a RST; ETIMEDOUT),
//    listen and accept, SO_LINGER with a zero time (close sends a RST).
//
// Thread-safe: one mutex per connection guards its state; input, timers
// and system calls take it in turn. The connection calls the socket
// layer's protocol-facing methods with it held (they take only the
// socket's own locks) and hands segments to IP output with it held (IP
// output never calls back into TCP: looped-back packets are queued).
#ifndef RUMP_NETINET_TCP_SOCKET_H_
#define RUMP_NETINET_TCP_SOCKET_H_

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/abi/tcp.h"
#include "rump/netinet/inet_socket.h"
#include "rump/netinet/protosw.h"
#include "rump/netinet/tcp.h"
#include "rump/netinet/tcp_header.h"
#include "rump/netinet/tcp_reass.h"
#include "rump/netinet/tcp_rto.h"
#include "rump/netinet/tcp_sack.h"
#include "rump/netinet/tcp_seq.h"

namespace rump {

class TcpSocket final : public InetSocket {
 public:
  TcpSocket(Inet& inet, inet::Tcp& tcp, NetStack& net, int file_flags);
  ~TcpSocket() override;

  // A segment for this socket (its 4-tuple, or a listener's port) that
  // came from `src` to `dst`. Returns false when the socket can no longer
  // take segments (it reached CLOSED meanwhile): the caller looks again.
  bool Input(const inet::TcpSegment& seg, uint32_t src, uint32_t dst);
  // An ICMP error about a segment of this connection.
  void CtlInput(const inet::ControlInput& c);

  // The connection's state (abi::TcpFsmState), as pcblist reports it.
  int tcp_state() const;
  // One line for a person debugging a stalled connection: the state, the
  // sequence variables, windows, buffers, recovery and the armed timers
  // (seconds from now). Not a stable format.
  std::string DebugString() const;

 protected:
  absl::Status ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) override;
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override;
  absl::Status ProtoListen() override;
  absl::StatusOr<std::shared_ptr<Socket>> ProtoNewConnection() override;
  absl::Status ProtoOutput(int flags) override;
  void ProtoRcvd(int flags) override;
  absl::Status ProtoShutdown() override;
  void ProtoAbort() override;
  void ProtoDetach() override;
  absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) override;
  absl::StatusOr<std::string> ProtoGetOption(int level, int name) override;

 private:
  enum Timer { kRexmt = 0, kPersist, kKeep, k2Msl, kDelack, kTimerCount };
  using State = abi::TcpFsmState;
  using TcpSeq = inet::TcpSeq;

  std::shared_ptr<TcpSocket> self() {
    return std::static_pointer_cast<TcpSocket>(shared_from_this());
  }

  // --- input (tcp_input.cc), all with mu_ held
  bool InputLocked(const inet::TcpSegment& seg, uint32_t src, uint32_t dst);
  void InputListen(const inet::TcpSegment& seg, uint32_t src, uint32_t dst);
  void InputSynSent(const inet::TcpSegment& seg);
  // A SYN on a listener made this connection: take it (SYN_RECEIVED).
  void AcceptSyn(const inet::TcpSegment& seg, uint32_t src, uint32_t dst);
  void ProcessOptionsOnSyn(const inet::TcpOptions& o);
  bool ProcessAck(const inet::TcpSegment& seg, uint32_t tiwin);
  void ProcessData(const inet::TcpSegment& seg, absl::Span<const uint8_t> data, bool fin);
  void ProcessFin();
  void NewAck(TcpSeq ack, uint32_t acked, const inet::TcpSegment& seg);
  // A duplicate ACK (its SACK blocks already on the scoreboard): limited
  // transmit, fast retransmit, or more of the recovery.
  void DupAck();
  // In SACK recovery: resends the segment at SND.UNA again if segments
  // sent after its retransmission have been SACKed (the retransmission was
  // lost as well), instead of waiting for the retransmission timer.
  void RetransmitLostRetransmission();
  void SendChallengeAck();
  // Automatic buffer sizing (NetBSD's tcp_do_autorcvbuf / autosndbuf):
  // `received` in-order bytes just arrived.
  void AutoSizeReceive(size_t received);
  void AutoSizeSend();
  // Resends the first segment at `seq` (fast retransmit, partial ACKs).
  void RetransmitAt(TcpSeq seq);

  // --- output (tcp_output.cc), with mu_ held
  // tcp_output: sends what the windows, Nagle and the flags allow.
  void OutputLocked();
  // One segment at snd_nxt with `len` bytes of the send buffer at `off`.
  absl::Status SendSegment(uint8_t flags, TcpSeq seq, size_t off, size_t len,
                           bool retransmit);
  void SendKeepaliveProbe();
  void SendRstAndDrop(int error);
  // The window to advertise now (unscaled bytes).
  uint32_t ReceiveWindow() const;
  size_t segment_size() const;  // t_segsz: the MSS less our option bytes

  // --- state changes, with mu_ held
  void SetState(State s);
  void Established();
  // TIME_WAIT for 2 * net.inet.tcp.msl.
  void EnterTimeWait();
  // tcp_close: CLOSED; leaves the PCB table; lets go of the orphan.
  void CloseLocked();
  // tcp_drop: a RST if synchronized, then CLOSED with `error` posted.
  void DropLocked(int error);
  // tcp_usrclosed: the user will send no more.
  void UserClosed();

  // --- timers (tcp_timer.cc)
  void ArmTimer(Timer t, absl::Duration d);
  void CancelTimer(Timer t) { deadlines_[t] = absl::InfiniteFuture(); }
  bool TimerArmed(Timer t) const { return deadlines_[t] != absl::InfiniteFuture(); }
  void RescheduleLocked();
  void OnTimer(absl::Time target);
  void RexmtTimeout();
  void PersistTimeout();
  void KeepTimeout();
  absl::Duration KeepIdle() const;
  absl::Duration KeepIntvl() const;
  int KeepCount() const;
  absl::Duration PersistInterval() const;

  inet::Tcp& tcp_;
  mutable std::mutex mu_;

  // Everything below is guarded by mu_.
  State state_ = abi::kTCPS_CLOSED;
  bool detached_ = false;   // the last descriptor is closed
  bool orphaned_ = false;   // Tcp holds us (Adopt) until CLOSED
  bool closed_ = false;     // reached CLOSED after being used: no reuse

  // Send sequence space (RFC 9293 3.3.1).
  TcpSeq iss_, snd_una_, snd_nxt_, snd_max_, snd_wl1_, snd_wl2_;
  uint32_t snd_wnd_ = 0;       // scaled
  uint32_t max_sndwnd_ = 0;
  bool fin_pending_ = false;   // the user closed: a FIN follows the data
  bool fin_sent_ = false;
  TcpSeq fin_seq_;             // where our FIN is, once sent
  // Receive sequence space.
  TcpSeq irs_, rcv_nxt_, rcv_adv_;
  TcpSeq last_ack_sent_;
  bool fin_received_ = false;

  // Options.
  uint16_t peer_mss_ = abi::kTCP_MSS;
  uint16_t our_mss_ = abi::kTCP_MSS;
  int user_maxseg_ = 0;        // TCP_MAXSEG, 0: none
  uint16_t pmtu_mss_ = 0;      // from ICMP "fragmentation needed", 0: none
  bool request_scale_ = false, request_ts_ = false, request_sack_ = false;
  uint8_t snd_scale_ = 0, rcv_scale_ = 0;
  bool scale_ok_ = false, ts_ok_ = false, sack_ok_ = false;
  uint32_t ts_recent_ = 0;
  absl::Time ts_recent_age_;
  bool nodelay_ = false, nopush_ = false;
  int keepidle_ = 0, keepintvl_ = 0, keepcnt_ = 0, keepinit_ = 0;  // 0: the sysctl's

  // Congestion control.
  uint32_t cwnd_ = 0, ssthresh_ = 0;
  int dupacks_ = 0;
  bool in_recovery_ = false;
  TcpSeq recover_;
  bool recover_set_ = false;
  TcpSeq sack_next_;           // next hole byte to resend in recovery
  static constexpr int kDupThresh = 3;
  // The holes retransmitted in this recovery, in sequence order, with
  // SND.MAX when each last went.
  struct Retransmission {
    TcpSeq seq, snd_max;
  };
  static constexpr size_t kMaxRetransmissionRecords = 64;
  std::deque<Retransmission> retransmissions_;
  inet::RtoEstimator rto_;
  int rxtshift_ = 0;
  bool rtt_timing_ = false;
  TcpSeq rtt_seq_;
  absl::Time rtt_start_;
  int soft_error_ = 0;
  int keep_probes_ = 0;
  int persist_shift_ = 0;
  bool force_ = false;         // the persist timer sends what the window allows
  absl::Time last_input_;

  // Automatic receive buffer sizing: bytes received since `rfbuf_ts_`.
  absl::Time rfbuf_ts_ = absl::InfinitePast();
  size_t rfbuf_cnt_ = 0;

  // ACK policy.
  bool ack_now_ = false;
  int unacked_segments_ = 0;

  inet::TcpReassemblyQueue reass_;
  inet::SackScoreboard scoreboard_;
  inet::SackReport sack_report_;

  std::array<absl::Time, kTimerCount> deadlines_;
  absl::Time armed_at_ = absl::InfiniteFuture();  // earliest callback queued
};

}  // namespace rump

#endif  // RUMP_NETINET_TCP_SOCKET_H_
