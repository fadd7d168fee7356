// TcpSocket: the user requests (tcp_usrreq.c), state changes and timers
// (tcp_timer.c). Input is in tcp_input.cc, output in tcp_output.cc.
#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/kern/timer.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/tcp_socket.h"

namespace rump {

namespace {

absl::StatusOr<int> IntValue(absl::Span<const uint8_t> value) {
  if (value.size() != sizeof(int32_t)) return abi::Errno(abi::kEINVAL);
  int32_t v;
  std::memcpy(&v, value.data(), sizeof(v));
  return v;
}

}  // namespace

TcpSocket::TcpSocket(Inet& inet, inet::Tcp& tcp, NetStack& net, int file_flags)
    : InetSocket(inet, tcp.pcbs(), net, abi::kSOCK_STREAM, abi::kIPPROTO_TCP, file_flags),
      tcp_(tcp),
      scoreboard_(inet::TcpSeq(0)) {
  SetBufferLimits(size_t(std::max(1, tcp.tunables().sendspace.load())),
                  size_t(std::max(1, tcp.tunables().recvspace.load())));
  deadlines_.fill(absl::InfiniteFuture());
}

TcpSocket::~TcpSocket() = default;

int TcpSocket::tcp_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

std::string TcpSocket::DebugString() const {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::Time now = absl::Now();
  std::string timers;
  static constexpr const char* kTimerNames[kTimerCount] = {"rexmt", "persist", "keep", "2msl",
                                                           "delack"};
  for (int t = 0; t < kTimerCount; ++t) {
    if (deadlines_[t] == absl::InfiniteFuture()) continue;
    absl::StrAppend(&timers, " ", kTimerNames[t], "=",
                    absl::StrFormat("%.3f", absl::ToDoubleSeconds(deadlines_[t] - now)));
  }
  if (armed_at_ != absl::InfiniteFuture()) {
    absl::StrAppend(&timers, " callback=",
                    absl::StrFormat("%.3f", absl::ToDoubleSeconds(armed_at_ - now)));
  }
  return absl::StrFormat(
      "state=%d snd_una=%u snd_nxt=%u snd_max=%u snd_wnd=%u cwnd=%u ssthresh=%u sndbuf=%zu "
      "fin_pending=%d fin_sent=%d rcv_nxt=%u rcv_adv=%u fin_received=%d reass=%zu "
      "recovery=%d dupacks=%d rxtshift=%d soft_error=%d timers:%s",
      int(state_), snd_una_.value(), snd_nxt_.value(), snd_max_.value(), snd_wnd_, cwnd_,
      ssthresh_, send_buffer_bytes(), int(fin_pending_), int(fin_sent_), rcv_nxt_.value(),
      rcv_adv_.value(), int(fin_received_), reass_.segments(), int(in_recovery_), dupacks_,
      rxtshift_, soft_error_, timers.empty() ? " none" : timers);
}

// --- user requests

absl::Status TcpSocket::ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  if (sin->addr != 0 && !inet_.IsLocalAddress(sin->addr)) {
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != abi::kTCPS_CLOSED || closed_) return abi::Errno(abi::kEINVAL);
  }
  return table_.Bind(pcb_, sin->addr, sin->port, reuse_addr(), reuse_port(), &cred);
}

absl::Status TcpSocket::ProtoConnect(absl::Span<const uint8_t> addr) {
  absl::StatusOr<inet::SockIn> sin = inet::ParseSockaddrIn(addr);
  if (!sin.ok()) return sin.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != abi::kTCPS_CLOSED || closed_) return abi::Errno(abi::kEINVAL);
  if (sin->port == 0) return abi::Errno(abi::kEADDRNOTAVAIL);
  const uint32_t faddr = inet_.MapConnectAddress(sin->addr);
  if (faddr == 0 || inet::IsMulticast(faddr) || faddr == 0xffffffffu ||
      inet_.IsBroadcastAddress(faddr)) {
    return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  inet::PcbAddrs a = addrs();
  uint32_t src = a.laddr;
  if (src == 0) {
    absl::StatusOr<uint32_t> s = inet_.SelectSource(faddr, dont_route());
    if (!s.ok()) return s.status();
    src = *s;
  }
  if (absl::Status s = table_.Connect(pcb_, src, faddr, sin->port); !s.ok()) return s;
  a = addrs();
  inet::TcpTunables& t = tcp_.tunables();
  const bool rfc1323 = t.rfc1323.load() != 0;
  request_scale_ = rfc1323 && t.win_scale.load() != 0;
  request_ts_ = rfc1323 && t.timestamps.load() != 0;
  request_sack_ = t.sack.load() != 0;
  iss_ = tcp_.NewIss(a.laddr, a.lport, a.faddr, a.fport);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  const int mtu = inet_.RouteMtu(faddr);
  our_mss_ = uint16_t(std::clamp(mtu > 40 ? mtu - 40 : t.mssdflt.load(), abi::kTcpMinMss,
                                 65535 - 40));
  rcv_scale_ = 0;
  if (request_scale_) {
    // The smallest shift that lets the largest receive buffer be offered.
    const size_t most = std::max(recv_buffer_limit(), abi::kTcpAutoBufMax);
    while (rcv_scale_ < inet::kTcpMaxWindowShift && (size_t(65535) << rcv_scale_) < most) {
      ++rcv_scale_;
    }
  }
  SetState(abi::kTCPS_SYN_SENT);
  SetConnecting();
  tcp_.stats().Inc(abi::kTcpStatConnattempt);
  ArmTimer(kKeep,
           keepinit_ > 0 ? absl::Seconds(keepinit_) : inet::SlowTicks(t.keepinit.load()));
  OutputLocked();
  return absl::OkStatus();
}

absl::Status TcpSocket::ProtoListen() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || (state_ != abi::kTCPS_CLOSED && state_ != abi::kTCPS_LISTEN)) {
      return abi::Errno(abi::kEINVAL);
    }
  }
  if (addrs().lport == 0) {
    if (absl::Status s = table_.Bind(pcb_, 0, 0, reuse_addr(), reuse_port()); !s.ok()) {
      return s;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SetState(abi::kTCPS_LISTEN);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Socket>> TcpSocket::ProtoNewConnection() {
  // Readable and writable, as every socket (0 would be O_RDONLY, and write(2)
  // on the accepted descriptor would fail with EBADF).
  auto child = std::make_shared<TcpSocket>(inet_, tcp_, net(), abi::kO_RDWR);
  child->AttachPcb(child);
  std::lock_guard<std::mutex> lock(mu_);
  // What a connection inherits from its listener (tcp_newtcpcb copies the
  // listener's flags and keepalive values in syn_cache_get).
  child->nodelay_ = nodelay_;
  child->nopush_ = nopush_;
  child->user_maxseg_ = user_maxseg_;
  child->keepidle_ = keepidle_;
  child->keepintvl_ = keepintvl_;
  child->keepcnt_ = keepcnt_;
  child->keepinit_ = keepinit_;
  return std::shared_ptr<Socket>(child);
}

absl::Status TcpSocket::ProtoOutput(int) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == abi::kTCPS_CLOSED) return abi::Errno(abi::kEPIPE);
  OutputLocked();
  return absl::OkStatus();
}

void TcpSocket::ProtoRcvd(int) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == abi::kTCPS_CLOSED || state_ == abi::kTCPS_LISTEN) return;
  OutputLocked();  // a window update, if the read opened the window enough
}

absl::Status TcpSocket::ProtoShutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  UserClosed();
  if (state_ != abi::kTCPS_CLOSED) OutputLocked();
  return absl::OkStatus();
}

void TcpSocket::ProtoAbort() {
  std::lock_guard<std::mutex> lock(mu_);
  detached_ = true;
  DropLocked(abi::kECONNABORTED);
}

void TcpSocket::ProtoDetach() {
  std::lock_guard<std::mutex> lock(mu_);
  detached_ = true;
  switch (state_) {
    case abi::kTCPS_CLOSED:
      table_.Detach(pcb_);
      return;
    case abi::kTCPS_LISTEN:
    case abi::kTCPS_SYN_SENT:
      CloseLocked();
      return;
    default:
      break;
  }
  if (linger_seconds() == 0) {  // SO_LINGER with no time: a RST, no FIN
    DropLocked(0);
    return;
  }
  UserClosed();
  if (state_ == abi::kTCPS_CLOSED) return;
  orphaned_ = true;
  tcp_.Adopt(self());
  OutputLocked();
  if (state_ == abi::kTCPS_FIN_WAIT_2) ArmTimer(k2Msl, KeepIntvl() * KeepCount());
}

absl::Status TcpSocket::ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) {
  if (level == abi::kSOL_SOCKET) {
    if (name == abi::kSO_KEEPALIVE) {
      std::lock_guard<std::mutex> lock(mu_);
      if (keep_alive() && state_ >= abi::kTCPS_ESTABLISHED && !TimerArmed(kKeep)) {
        ArmTimer(kKeep, KeepIdle());
      }
    }
    return InetSocket::ProtoSetOption(level, name, value);
  }
  if (level != abi::kIPPROTO_TCP) return InetSocket::ProtoSetOption(level, name, value);
  absl::StatusOr<int> v = IntValue(value);
  std::lock_guard<std::mutex> lock(mu_);
  switch (name) {
    case abi::kTCP_NODELAY:
      if (!v.ok()) return v.status();
      nodelay_ = *v != 0;
      if (nodelay_) OutputLocked();
      return absl::OkStatus();
    case abi::kTCP_MAXSEG:
      if (!v.ok()) return v.status();
      if (*v <= 0 || *v > int(peer_mss_)) return abi::Errno(abi::kEINVAL);
      user_maxseg_ = *v;
      return absl::OkStatus();
    case abi::kTCP_KEEPIDLE:
    case abi::kTCP_KEEPINTVL:
    case abi::kTCP_KEEPCNT:
    case abi::kTCP_KEEPINIT: {
      if (!v.ok()) return v.status();
      if (*v <= 0) return abi::Errno(abi::kEINVAL);
      int& field = name == abi::kTCP_KEEPIDLE    ? keepidle_
                   : name == abi::kTCP_KEEPINTVL ? keepintvl_
                   : name == abi::kTCP_KEEPCNT   ? keepcnt_
                                                 : keepinit_;
      field = *v;
      if (name == abi::kTCP_KEEPIDLE && TimerArmed(kKeep) && keep_probes_ == 0 &&
          state_ >= abi::kTCPS_ESTABLISHED) {
        ArmTimer(kKeep, KeepIdle());
      }
      return absl::OkStatus();
    }
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

absl::StatusOr<std::string> TcpSocket::ProtoGetOption(int level, int name) {
  if (level != abi::kIPPROTO_TCP) return InetSocket::ProtoGetOption(level, name);
  std::lock_guard<std::mutex> lock(mu_);
  switch (name) {
    case abi::kTCP_NODELAY:
      return inet::IntOptionValue(nodelay_ ? abi::kTF_NODELAY : 0);
    case abi::kTCP_MAXSEG:
      return inet::IntOptionValue(user_maxseg_ > 0 ? user_maxseg_ : int(peer_mss_));
    default:
      // NetBSD 7.99.34 sets TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and
      // TCP_KEEPINIT but does not read them back (its kernel, our oracle,
      // answers ENOPROTOOPT).
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

// --- state changes

void TcpSocket::SetState(State s) { state_ = s; }

void TcpSocket::Established() {
  SetState(abi::kTCPS_ESTABLISHED);
  CancelTimer(kKeep);
  if (keep_alive()) ArmTimer(kKeep, KeepIdle());
  // RFC 5681 3.1 / RFC 3390: the initial window.
  const uint32_t seg = uint32_t(segment_size());
  const int iw = std::max(1, tcp_.tunables().init_win.load());
  cwnd_ = std::min<uint32_t>(uint32_t(iw) * seg, std::max<uint32_t>(2 * seg, 4380));
  ssthresh_ = uint32_t(65535) << inet::kTcpMaxWindowShift;
  scoreboard_ = inet::SackScoreboard(snd_una_);
  SetConnected();
}

void TcpSocket::EnterTimeWait() {
  SetState(abi::kTCPS_TIME_WAIT);
  for (int t = 0; t < kTimerCount; ++t) CancelTimer(Timer(t));
  ArmTimer(k2Msl, absl::Seconds(2 * std::max(1, tcp_.tunables().msl.load())));
  SetDisconnected();
}

void TcpSocket::CloseLocked() {
  if (closed_) return;
  closed_ = true;
  SetState(abi::kTCPS_CLOSED);
  for (int t = 0; t < kTimerCount; ++t) CancelTimer(Timer(t));
  table_.Detach(pcb_);
  reass_.Clear();
  tcp_.stats().Inc(abi::kTcpStatClosed);
  SetDisconnected();
  if (orphaned_) {
    orphaned_ = false;
    tcp_.Release(this);  // the caller holds a reference: we live on until it returns
  }
}

void TcpSocket::DropLocked(int error) {
  if (closed_) return;
  if (state_ >= abi::kTCPS_SYN_RECEIVED) {
    SendSegment(inet::kTcpRst | inet::kTcpAck, snd_max_, 0, 0, false).IgnoreError();
    tcp_.stats().Inc(abi::kTcpStatDrops);
  } else if (state_ != abi::kTCPS_LISTEN) {
    tcp_.stats().Inc(abi::kTcpStatConndrops);
  }
  if (error == abi::kETIMEDOUT && soft_error_ != 0) error = soft_error_;
  if (error != 0) SetError(error);
  CloseLocked();
}

void TcpSocket::UserClosed() {
  switch (state_) {
    case abi::kTCPS_CLOSED:
    case abi::kTCPS_LISTEN:
    case abi::kTCPS_SYN_SENT:
      CloseLocked();
      return;
    case abi::kTCPS_SYN_RECEIVED:
    case abi::kTCPS_ESTABLISHED:
      SetState(abi::kTCPS_FIN_WAIT_1);
      fin_pending_ = true;
      return;
    case abi::kTCPS_CLOSE_WAIT:
      SetState(abi::kTCPS_LAST_ACK);
      fin_pending_ = true;
      return;
    default:
      return;
  }
}

// --- timers

absl::Duration TcpSocket::KeepIdle() const {
  return keepidle_ > 0 ? absl::Seconds(keepidle_)
                       : inet::SlowTicks(tcp_.tunables().keepidle.load());
}
absl::Duration TcpSocket::KeepIntvl() const {
  return keepintvl_ > 0 ? absl::Seconds(keepintvl_)
                        : inet::SlowTicks(tcp_.tunables().keepintvl.load());
}
int TcpSocket::KeepCount() const {
  return std::max(1, keepcnt_ > 0 ? keepcnt_ : tcp_.tunables().keepcnt.load());
}

absl::Duration TcpSocket::PersistInterval() const {
  // tcp_setpersist: the RTO backed off, between TCPTV_PERSMIN (5 s) and
  // TCPTV_PERSMAX (60 s).
  absl::Duration d = rto_.rto() * (1 << std::min(persist_shift_, 12));
  return std::clamp(d, absl::Seconds(5), absl::Seconds(60));
}

void TcpSocket::ArmTimer(Timer t, absl::Duration d) {
  deadlines_[t] = absl::Now() + d;
  RescheduleLocked();
}

void TcpSocket::RescheduleLocked() {
  const absl::Time earliest = *std::min_element(deadlines_.begin(), deadlines_.end());
  if (earliest == absl::InfiniteFuture() || earliest >= armed_at_) return;
  TimerQueue* q = inet_.timers();
  if (q == nullptr) return;
  armed_at_ = earliest;
  std::weak_ptr<Socket> weak = weak_from_this();
  q->Schedule(std::max(absl::ZeroDuration(), earliest - absl::Now()), [weak, earliest] {
    if (std::shared_ptr<Socket> s = weak.lock()) {
      static_cast<TcpSocket&>(*s).OnTimer(earliest);
    }
  });
}

void TcpSocket::OnTimer(absl::Time target) {
  std::lock_guard<std::mutex> lock(mu_);
  if (target == armed_at_) armed_at_ = absl::InfiniteFuture();
  const absl::Time now = absl::Now();
  for (int t = 0; t < kTimerCount && !closed_; ++t) {
    if (deadlines_[t] > now) continue;
    deadlines_[t] = absl::InfiniteFuture();
    switch (Timer(t)) {
      case kRexmt:
        RexmtTimeout();
        break;
      case kPersist:
        PersistTimeout();
        break;
      case kKeep:
        KeepTimeout();
        break;
      case k2Msl:
        CloseLocked();
        break;
      case kDelack:
        tcp_.stats().Inc(abi::kTcpStatDelack);
        ack_now_ = true;
        OutputLocked();
        break;
      case kTimerCount:
        break;
    }
  }
  if (!closed_) RescheduleLocked();
}

void TcpSocket::RexmtTimeout() {
  if (snd_una_ == snd_max_) return;  // nothing outstanding any more
  if (++rxtshift_ > abi::kTcpMaxRxtShift) {
    tcp_.stats().Inc(abi::kTcpStatTimeoutdrop);
    DropLocked(abi::kETIMEDOUT);
    return;
  }
  tcp_.stats().Inc(abi::kTcpStatRexmttimeo);
  rto_.Backoff();
  // RFC 5681 3.1 (7.3 of RFC 6298): one segment, half the flight as the
  // threshold; RFC 6675 5.1: forget the SACK scoreboard.
  const uint32_t seg = uint32_t(segment_size());
  const uint32_t flight = uint32_t(SeqLength(snd_una_, snd_max_));
  ssthresh_ = std::max(std::min(flight, snd_wnd_) / 2, 2 * seg);
  cwnd_ = seg;
  dupacks_ = 0;
  in_recovery_ = false;
  retransmissions_.clear();
  // The duplicate ACKs that the resent old data brings must not start a
  // fast retransmit (RFC 6582 4.1, NetBSD's snd_recover).
  recover_ = snd_max_;
  recover_set_ = true;
  scoreboard_.Clear();
  rtt_timing_ = false;  // Karn: never time a retransmitted segment
  snd_nxt_ = snd_una_;
  OutputLocked();
}

void TcpSocket::PersistTimeout() {
  tcp_.stats().Inc(abi::kTcpStatPersisttimeo);
  if (snd_wnd_ > 0 && send_buffer_bytes() > 0) {
    // A small window held data back (Nagle, silly window avoidance): send
    // what it allows now (NetBSD's t_force).
    force_ = true;
    OutputLocked();
    force_ = false;
    return;
  }
  if (snd_wnd_ == 0 && send_buffer_bytes() > 0 && snd_una_ == snd_nxt_) {
    // A one-byte probe into the closed window (RFC 9293 3.8.6.1).
    tcp_.stats().Inc(abi::kTcpStatSndprobe);
    SendSegment(inet::kTcpAck, snd_una_, 0, 1, snd_max_ > snd_una_).IgnoreError();
    if (snd_max_ < snd_una_ + 1) snd_max_ = snd_una_ + 1;
    ++persist_shift_;
  }
  if (snd_wnd_ == 0 && send_buffer_bytes() > 0) ArmTimer(kPersist, PersistInterval());
}

void TcpSocket::KeepTimeout() {
  if (state_ < abi::kTCPS_ESTABLISHED) {  // the connection never came up
    tcp_.stats().Inc(abi::kTcpStatKeeptimeo);
    DropLocked(abi::kETIMEDOUT);
    return;
  }
  if (!keep_alive() || state_ > abi::kTCPS_CLOSING) return;
  tcp_.stats().Inc(abi::kTcpStatKeeptimeo);
  if (keep_probes_ >= KeepCount()) {
    tcp_.stats().Inc(abi::kTcpStatKeepdrops);
    DropLocked(abi::kETIMEDOUT);
    return;
  }
  ++keep_probes_;
  tcp_.stats().Inc(abi::kTcpStatKeepprobe);
  SendKeepaliveProbe();
  ArmTimer(kKeep, KeepIntvl());
}

}  // namespace rump
