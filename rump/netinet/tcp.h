// TCP (NetBSD's tcp_input.c, tcp_output.c, tcp_subr.c, tcp_usrreq.c):
// the protocol, inet::Tcp, and its sockets, TcpSocket (tcp_socket.h).
//
// inet::Tcp is what the Inet component registers in its protocol table:
// the PCB table of every TCP socket, the counters of net.inet.tcp.stats,
// the net.inet.tcp tunables, the ISN generator (RFC 6528), input, control
// input and the socket factory. Its input demultiplexes a segment to the
// connection with its exact 4-tuple, else to a socket bound to its port
// (a listener), and answers a segment that finds neither with a RST
// (RFC 9293 3.10.7.1; at most net.inet.tcp.rstppslimit a second). Each
// connection's own processing lives in TcpSocket.
//
// A connection outlives the descriptor that made it: after close(2) the
// socket stays in the PCB table, held here (an "orphan"), until its state
// machine reaches CLOSED (the FIN exchange done, TIME_WAIT over, or a RST).
// Detach (the kernel halting) lets go of every orphan.
//
// Thread-safe: input runs on driver threads and the loopback thread,
// timers on the kernel's timer thread, sockets on callers' threads.
#ifndef RUMP_NETINET_TCP_H_
#define RUMP_NETINET_TCP_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/kern/sysctl.h"
#include "rump/net/interface.h"
#include "rump/netinet/in_pcb.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/protosw.h"
#include "rump/netinet/rate_limit.h"
#include "rump/netinet/stats.h"
#include "rump/netinet/tcp_header.h"
#include "rump/netinet/tcp_isn.h"

namespace rump {

class Inet;
class TcpSocket;

namespace inet {

using TcpStats = Counters<abi::kTcpStatNStats>;

// The net.inet.tcp tunables, read by every connection as it needs them.
// Times are in seconds, as the sysctls show them, except the keepalive
// ones.
// The time of `ticks` PR_SLOWHZ ticks.
inline absl::Duration SlowTicks(int ticks) {
  return absl::Milliseconds(int64_t(ticks) * 1000 / abi::kPR_SLOWHZ);
}

struct TcpTunables {
  std::atomic<int> rfc1323{1};        // window scaling and timestamps
  std::atomic<int> win_scale{1};
  std::atomic<int> timestamps{1};
  std::atomic<int> sack{1};
  std::atomic<int> sendspace{int(abi::kTcpSendSpace)};
  std::atomic<int> recvspace{int(abi::kTcpRecvSpace)};
  std::atomic<int> mssdflt{abi::kTCP_MSS};
  std::atomic<int> mss_ifmtu{0};
  std::atomic<int> init_win{abi::kTcpInitWin};
  std::atomic<int> init_win_local{abi::kTcpInitWin};
  std::atomic<int> ack_on_push{0};
  // In PR_SLOWHZ ticks, as NetBSD's sysctls show them (SlowTicks).
  std::atomic<int> keepinit{abi::kTcpKeepInitSeconds * abi::kPR_SLOWHZ};
  std::atomic<int> keepidle{abi::kTcpKeepIdleSeconds * abi::kPR_SLOWHZ};
  std::atomic<int> keepintvl{abi::kTcpKeepIntvlSeconds * abi::kPR_SLOWHZ};
  std::atomic<int> keepcnt{abi::kTcpKeepCount};
  std::atomic<int> delack_ticks{abi::kTcpDelackMs * abi::kHz / 1000};
  std::atomic<int> msl{abi::kTcpMslSeconds};
  std::atomic<int> rstppslimit{abi::kTcpRstPpsLimit};
  std::atomic<int> ackdropppslimit{abi::kTcpRstPpsLimit};
  std::atomic<int> do_loopback_cksum{0};
  std::atomic<int> log_refused{0};
  // Automatic socket buffer sizing (tcp_do_autosndbuf, tcp_autosndbuf_inc,
  // tcp_autosndbuf_max and the receive side's).
  std::atomic<int> sendbuf_auto{1};
  std::atomic<int> sendbuf_inc{int(abi::kTcpAutoSndBufInc)};
  std::atomic<int> sendbuf_max{int(abi::kTcpAutoBufMax)};
  std::atomic<int> recvbuf_auto{1};
  std::atomic<int> recvbuf_inc{int(abi::kTcpAutoRcvBufInc)};
  std::atomic<int> recvbuf_max{int(abi::kTcpAutoBufMax)};
};

class Tcp {
 public:
  explicit Tcp(Inet& inet);
  ~Tcp();
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;

  // The protocol table entry: SOCK_STREAM, IPPROTO_TCP.
  ProtoSwitch Switch();

  bool Input(Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
             bool broadcast);
  void CtlInput(const ControlInput& c);
  absl::StatusOr<std::shared_ptr<Socket>> MakeSocket(NetStack& net, int type, int protocol,
                                                     int file_flags);
  // net.inet.tcp.
  absl::Status AddSysctlNodes(SysctlTree& tree);
  // The kernel halts: every orphaned connection is let go.
  void Detach();

  // --- for TcpSocket
  Inet& inet() { return inet_; }
  InPcbTable& pcbs() { return pcbs_; }
  TcpStats& stats() { return stats_; }
  const TcpStats& stats() const { return stats_; }
  TcpTunables& tunables() { return tunables_; }
  TcpSeq NewIss(uint32_t laddr, uint16_t lport, uint32_t faddr, uint16_t fport) const {
    return isn_.Next(laddr, lport, faddr, fport);
  }
  // The RFC 7323 timestamp clock: milliseconds, wrapping.
  uint32_t TimestampNow() const;
  // Keeps a closed socket's connection until it reaches CLOSED / lets it go.
  void Adopt(std::shared_ptr<TcpSocket> s);
  void Release(const TcpSocket* s);
  size_t orphans() const;
  // TcpSocket::DebugString of every connection in the PCB table, then of
  // the orphans, one per line.
  std::string DebugConnections() const;
  // tcp_respond for a segment no connection takes (or that a connection
  // answers with a RST), within net.inet.tcp.rstppslimit: RFC 9293's rule
  // for the RST's sequence numbers.
  void SendReset(uint32_t src, uint32_t dst, const TcpSegment& seg);
  // RFC 5961's challenge ACKs share net.inet.tcp.ackdropppslimit.
  bool AllowChallengeAck();

 private:
  Inet& inet_;
  InPcbTable pcbs_;
  TcpStats stats_;
  TcpTunables tunables_;
  TcpIsnGenerator isn_;
  const absl::Time epoch_;
  RateLimiter rst_limiter_;
  RateLimiter ack_limiter_;

  mutable std::mutex orphans_mu_;
  std::unordered_map<const TcpSocket*, std::shared_ptr<TcpSocket>> orphans_;
  bool detached_ = false;  // guarded by orphans_mu_
};

}  // namespace inet
}  // namespace rump

#endif  // RUMP_NETINET_TCP_H_
