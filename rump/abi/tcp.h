// NetBSD's TCP numbers (sys/netinet/tcp.h, tcp_var.h, tcp_timer.h,
// tcp_usrreq.c, tcp_subr.c; NetBSD 7.99.34): the IPPROTO_TCP socket
// options, the net.inet.tcp sysctl numbers and defaults, and the index
// order of the counters net.inet.tcp.stats returns.
// (The segment's own layout, flags and option kinds: netinet/tcp_header.h.)
#ifndef RUMP_ABI_TCP_H_
#define RUMP_ABI_TCP_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- IPPROTO_TCP level socket options (int values)
inline constexpr int kTCP_NODELAY = 1;
inline constexpr int kTCP_MAXSEG = 2;
inline constexpr int kTCP_KEEPIDLE = 3;
inline constexpr int kTCP_NOPUSH = 4;
inline constexpr int kTCP_KEEPINTVL = 5;
inline constexpr int kTCP_KEEPCNT = 6;
inline constexpr int kTCP_KEEPINIT = 7;
inline constexpr int kTCP_INFO = 9;
// getsockopt(TCP_NODELAY) answers the t_flags bit itself, as NetBSD's
// tcp_ctloutput does: TF_NODELAY (4), not 1.
inline constexpr int kTF_NODELAY = 0x0004;

// --- segment sizes
inline constexpr int kTCP_MSS = 536;       // tcp_mssdflt
inline constexpr int kTCP_MAXWIN = 65535;  // the largest unscaled window
inline constexpr int kTcpMinMss = 216;     // tcp_minmss

// --- protocol timers, in seconds (tcp_timer.h counts PR_SLOWHZ = 2 ticks
// a second; net.inet.tcp.keepinit, keepidle and keepintvl show those
// ticks, msl seconds)
inline constexpr int kPR_SLOWHZ = 2;
inline constexpr int kTcpMslSeconds = 30;            // TCPTV_MSL
inline constexpr int kTcpKeepInitSeconds = 75;       // TCPTV_KEEP_INIT
inline constexpr int kTcpKeepIdleSeconds = 2 * 3600; // TCPTV_KEEP_IDLE
inline constexpr int kTcpKeepIntvlSeconds = 75;      // TCPTV_KEEPINTVL
inline constexpr int kTcpKeepCount = 8;              // TCPTV_KEEPCNT
inline constexpr int kTcpMaxRxtShift = 12;           // TCP_MAXRXTSHIFT
inline constexpr int kTcpDelackMs = 200;             // hz / PR_FASTHZ ticks

// --- default socket buffers (tcp_sendspace, tcp_recvspace) and their
// automatic growth (tcp_autosndbuf_*, tcp_autorcvbuf_*)
inline constexpr size_t kTcpSendSpace = 32 * 1024;
inline constexpr size_t kTcpRecvSpace = 32 * 1024;
inline constexpr size_t kTcpAutoSndBufInc = 8 * 1024;   // tcp_autosndbuf_inc
inline constexpr size_t kTcpAutoRcvBufInc = 16 * 1024;  // tcp_autorcvbuf_inc
inline constexpr size_t kTcpAutoBufMax = 256 * 1024;

// --- net.inet.tcp (TCPCTL_*)
inline constexpr int kTcpctlRfc1323 = 1;
inline constexpr int kTcpctlSendspace = 2;
inline constexpr int kTcpctlRecvspace = 3;
inline constexpr int kTcpctlMssdflt = 4;
inline constexpr int kTcpctlSynCacheLimit = 5;
inline constexpr int kTcpctlSynBucketLimit = 6;
inline constexpr int kTcpctlInitWin = 8;
inline constexpr int kTcpctlMssIfmtu = 9;
inline constexpr int kTcpctlSack = 10;
inline constexpr int kTcpctlWscale = 11;
inline constexpr int kTcpctlTstamp = 12;
inline constexpr int kTcpctlCwm = 14;
inline constexpr int kTcpctlCwmBurstsize = 15;
inline constexpr int kTcpctlAckOnPush = 16;
inline constexpr int kTcpctlKeepidle = 17;
inline constexpr int kTcpctlKeepintvl = 18;
inline constexpr int kTcpctlKeepcnt = 19;
inline constexpr int kTcpctlSlowhz = 20;
inline constexpr int kTcpctlLogRefused = 22;
inline constexpr int kTcpctlRstppslimit = 24;
inline constexpr int kTcpctlDelackTicks = 25;
inline constexpr int kTcpctlInitWinLocal = 26;
inline constexpr int kTcpctlIdent = 27;
inline constexpr int kTcpctlAckdropratelimit = 28;
inline constexpr int kTcpctlLoopbackcksum = 29;
inline constexpr int kTcpctlStats = 30;
inline constexpr int kTcpctlDebug = 31;
inline constexpr int kTcpctlDebx = 32;
inline constexpr int kTcpctlDrop = 33;
inline constexpr int kTcpctlMsl = 34;
// Nodes NetBSD numbers dynamically (CTL_CREATE): we give them fixed
// numbers above NetBSD's static ones; clients find them by name.
inline constexpr int kTcpctlKeepinit = 0x100;
inline constexpr int kTcpctlSackNode = 0x101;     // net.inet.tcp.sack
inline constexpr int kTcpctlSackEnable = 1;       // net.inet.tcp.sack.enable
inline constexpr int kTcpctlPcblist = 0x102;      // net.inet.tcp.pcblist
inline constexpr int kTcpctlSendbufAuto = 0x103;  // net.inet.tcp.sendbuf_auto
inline constexpr int kTcpctlSendbufInc = 0x104;
inline constexpr int kTcpctlSendbufMax = 0x105;
inline constexpr int kTcpctlRecvbufAuto = 0x106;  // net.inet.tcp.recvbuf_auto
inline constexpr int kTcpctlRecvbufInc = 0x107;
inline constexpr int kTcpctlRecvbufMax = 0x108;

inline constexpr int kTcpInitWin = 4;       // tcp_init_win (segments)
inline constexpr int kTcpRstPpsLimit = 100; // tcp_rst_ppslim

// --- net.inet.tcp.stats (TCP_STAT_*, tcp_var.h)
enum TcpStatIndex : int {
  kTcpStatConnattempt = 0, kTcpStatAccepts, kTcpStatConnects, kTcpStatDrops,
  kTcpStatConndrops, kTcpStatClosed, kTcpStatSegstimed, kTcpStatRttupdated,
  kTcpStatDelack, kTcpStatTimeoutdrop, kTcpStatRexmttimeo, kTcpStatPersisttimeo,
  kTcpStatKeeptimeo, kTcpStatKeepprobe, kTcpStatKeepdrops, kTcpStatPersistdrops,
  kTcpStatConnsdrained, kTcpStatPmtublackhole, kTcpStatSndtotal, kTcpStatSndpack,
  kTcpStatSndbyte, kTcpStatSndrexmitpack, kTcpStatSndrexmitbyte, kTcpStatSndacks,
  kTcpStatSndprobe, kTcpStatSndurg, kTcpStatSndwinup, kTcpStatSndctrl,
  kTcpStatRcvtotal, kTcpStatRcvpack, kTcpStatRcvbyte, kTcpStatRcvbadsum,
  kTcpStatRcvbadoff, kTcpStatRcvmemdrop, kTcpStatRcvshort, kTcpStatRcvduppack,
  kTcpStatRcvdupbyte, kTcpStatRcvpartduppack, kTcpStatRcvpartdupbyte, kTcpStatRcvoopack,
  kTcpStatRcvoobyte, kTcpStatRcvpackafterwin, kTcpStatRcvbyteafterwin,
  kTcpStatRcvafterclose, kTcpStatRcvwinprobe, kTcpStatRcvdupack, kTcpStatRcvacktoomuch,
  kTcpStatRcvackpack, kTcpStatRcvackbyte, kTcpStatRcvwinupd, kTcpStatPawsdrop,
  kTcpStatPredack, kTcpStatPreddat, kTcpStatPcbhashmiss, kTcpStatNoport,
  kTcpStatBadsyn, kTcpStatDelayedFree, kTcpStatScAdded, kTcpStatScCompleted,
  kTcpStatScTimedOut, kTcpStatScOverflowed, kTcpStatScReset, kTcpStatScUnreach,
  kTcpStatScBucketoverflow, kTcpStatScAborted, kTcpStatScDupesyn, kTcpStatScDropped,
  kTcpStatScCollisions, kTcpStatScRetransmitted, kTcpStatScDelayedFree,
  kTcpStatSelfquench, kTcpStatBadsig, kTcpStatGoodsig, kTcpStatEcnShs, kTcpStatEcnCe,
  kTcpStatEcnEct,
  kTcpStatNStats  // TCP_NSTATS, 76
};
static_assert(kTcpStatNStats == 76);

// --- connection states (TCPS_*, tcp_fsm.h), as struct kinfo_pcb's
// ki_tstate reports them
enum TcpFsmState : int {
  kTCPS_CLOSED = 0, kTCPS_LISTEN, kTCPS_SYN_SENT, kTCPS_SYN_RECEIVED, kTCPS_ESTABLISHED,
  kTCPS_CLOSE_WAIT, kTCPS_FIN_WAIT_1, kTCPS_CLOSING, kTCPS_LAST_ACK, kTCPS_FIN_WAIT_2,
  kTCPS_TIME_WAIT,
  kTcpNStates
};

}  // namespace rump::abi

#endif  // RUMP_ABI_TCP_H_
