// TCP's state machine segment by segment: one kernel (10.0.0.1) driven
// through its system calls, and a ScriptedPeer (10.0.0.2) on the same bus
// that sends hand-made segments and checks every segment the kernel sends
// (flags, sequence numbers, window, options). RFC 9293's transitions, the
// RST and SYN rules of RFC 5961, the receive path (reassembly, SACK,
// trimming, PAWS, window scaling) and retransmission, as NetBSD behaves.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/net/testing.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/tcp_header.h"
#include "rump/netinet/tcp_peer_testing.h"
#include "rump/netinet/tcp_socket.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet::kTcpAck;
using inet::kTcpFin;
using inet::kTcpPsh;
using inet::kTcpRst;
using inet::kTcpSyn;
using inet::TcpHeader;
using inet::TcpOptions;
using inet::TcpSeq;
using inet_testing::Host;
using inet_testing::Ip;
using inet_testing::PeerSegment;
using inet_testing::ScratchDir;
using inet_testing::ScriptedPeer;

const MacAddress kPeerMac = {0x02, 0, 0, 0, 0, 0x42};
constexpr uint16_t kListenPort = 7000;
constexpr uint16_t kPeerPort = 40000;
constexpr uint32_t kPeerIss = 1000000;
constexpr uint16_t kMss = 1460;       // shmif's MTU less 40
constexpr uint8_t kOurShift = 3;      // 65535 << 3 covers the 256 KiB buffer limit
constexpr uint32_t kRecvSpace = 32 * 1024;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

TcpOptions MssOnly() {
  TcpOptions o;
  o.mss = kMss;
  return o;
}

TcpOptions AllOptions(uint32_t tsval) {
  TcpOptions o;
  o.mss = kMss;
  o.window_shift = 2;
  o.sack_permitted = true;
  o.timestamps = inet::TcpTimestamps{tsval, 0};
  return o;
}

TcpOptions Ts(uint32_t value, uint32_t echo) {
  TcpOptions o;
  o.timestamps = inet::TcpTimestamps{value, echo};
  return o;
}

// One connection between the kernel and the peer, as the peer sees it.
struct Conn {
  int fd = -1;
  int listener = -1;
  uint16_t kport = 0;  // the kernel's port
  uint16_t pport = kPeerPort;
  TcpSeq pnxt;         // the peer's next sequence number
  TcpSeq knxt;         // the kernel's next sequence number (what the peer acks)
  uint32_t ts_echo = 0;  // the kernel's last TSval (timestamps negotiated)
};

#define EXPECT_SEG(s, want_flags, want_seq, want_ack)                    \
  do {                                                                   \
    EXPECT_EQ((s).header.flags, (want_flags)) << (s).ToString();         \
    EXPECT_EQ((s).header.seq, (want_seq)) << (s).ToString();             \
    EXPECT_EQ((s).header.ack, (want_ack)) << (s).ToString();             \
  } while (0)

class TcpFsmTest : public ::testing::Test {
 protected:
  TcpFsmTest() {
    host_ = std::make_unique<Host>(bus_, "10.0.0.1");
    MacAddress kmac{};
    std::copy(host_->ifp().lladdr().begin(), host_->ifp().lladdr().end(), kmac.begin());
    peer_ = std::make_unique<ScriptedPeer>(bus_, Ip("10.0.0.2"), kPeerMac, host_->addr(), kmac);
  }

  // The next segment from the kernel (a failure, and an empty segment,
  // when none comes).
  PeerSegment NextAny() {
    absl::StatusOr<PeerSegment> s = peer_->Expect();
    if (!s.ok()) {
      ADD_FAILURE() << s.status();
      return PeerSegment{};
    }
    Saw(*s);
    return *std::move(s);
  }
  // The next one that is not a retransmission: a loaded machine may delay
  // the peer's answer beyond the kernel's RTO, and the SYN, FIN or data
  // sent again then is none of the test's business. A retransmission is a
  // segment whose sequence space (SYN, data, FIN) was all seen before.
  PeerSegment Next() {
    absl::StatusOr<PeerSegment> s = peer_->Expect([this](const PeerSegment& seg) {
      const uint32_t len = SeqLen(seg);
      if (len > 0 && seen_ && seg.header.seq + len <= kernel_max_) return false;
      return true;
    });
    if (!s.ok()) {
      ADD_FAILURE() << s.status();
      return PeerSegment{};
    }
    Saw(*s);
    return *std::move(s);
  }
  static uint32_t SeqLen(const PeerSegment& s) {
    return uint32_t(s.payload.size()) + (s.has(kTcpSyn) ? 1 : 0) + (s.has(kTcpFin) ? 1 : 0);
  }
  void Saw(const PeerSegment& s) {
    if (s.has(kTcpRst)) return;
    const TcpSeq end = s.header.seq + SeqLen(s);
    if (!seen_ || end > kernel_max_) kernel_max_ = end;
    seen_ = true;
  }
  // The first RST the kernel sends from now on (other segments skipped).
  PeerSegment NextRst() {
    absl::StatusOr<PeerSegment> s =
        peer_->Expect([](const PeerSegment& seg) { return seg.has(kTcpRst); });
    if (!s.ok()) {
      ADD_FAILURE() << s.status();
      return PeerSegment{};
    }
    return *std::move(s);
  }

  TcpHeader H(const Conn& c, uint8_t flags, TcpSeq seq, TcpSeq ack, uint16_t window = 65535) {
    TcpHeader h;
    h.sport = c.pport;
    h.dport = c.kport;
    h.flags = flags;
    h.seq = seq;
    h.ack = ack;
    h.window = window;
    return h;
  }
  void Send(const TcpHeader& h, const TcpOptions& o = {}, const std::vector<uint8_t>& data = {}) {
    ASSERT_TRUE(peer_->Send(h, o, data).ok());
  }

  // The kernel's state of connection `c` (CLOSED when it is gone).
  int State(const Conn& c) {
    auto socks = host_->inet().tcp_pcbs().LookupConnected(host_->addr(), c.kport, peer_->ip(),
                                                          c.pport);
    if (socks.empty()) return abi::kTCPS_CLOSED;
    return std::static_pointer_cast<TcpSocket>(socks.front())->tcp_state();
  }
  bool EventuallyState(const Conn& c, int state) {
    return testing::Eventually([&] { return State(c) == state; });
  }

  int Listen(uint16_t port) {
    const int l = host_->Socket(abi::kSOCK_STREAM);
    EXPECT_GE(l, 0);
    EXPECT_EQ(host_->Bind(l, "0.0.0.0", port), 0);
    EXPECT_EQ(host_->Listen(l, 5), 0);
    return l;
  }

  // A passive open with `syn_opts` in the peer's SYN, through to accept.
  // *synack gets the kernel's SYN-ACK. The peer's SYN and ACK advertise
  // `window`.
  Conn PassiveOpen(const TcpOptions& syn_opts, PeerSegment* synack = nullptr,
                   uint16_t window = 65535) {
    Conn c;
    c.kport = kListenPort;
    c.listener = Listen(kListenPort);
    Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0), window), syn_opts);
    PeerSegment sa = NextAny();
    EXPECT_EQ(sa.header.flags, kTcpSyn | kTcpAck) << sa.ToString();
    EXPECT_EQ(sa.header.ack, TcpSeq(kPeerIss + 1)) << sa.ToString();
    EXPECT_EQ(State(c), abi::kTCPS_SYN_RECEIVED);
    c.pnxt = TcpSeq(kPeerIss + 1);
    c.knxt = sa.header.seq + 1;
    TcpOptions ack_opts;
    if (sa.options.timestamps) {
      c.ts_echo = sa.options.timestamps->value;
      ack_opts = Ts(syn_opts.timestamps->value + 1, c.ts_echo);
    }
    Send(H(c, kTcpAck, c.pnxt, c.knxt, window), ack_opts);
    EXPECT_EQ(host_->Poll(c.listener, abi::kPOLLIN, 30000) & abi::kPOLLIN, abi::kPOLLIN);
    uint32_t addr = 0;
    uint16_t port = 0;
    c.fd = host_->Accept(c.listener, &addr, &port);
    EXPECT_GE(c.fd, 0);
    EXPECT_EQ(addr, peer_->ip());
    EXPECT_EQ(port, kPeerPort);
    EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
    if (synack != nullptr) *synack = sa;
    return c;
  }

  // A non-blocking connect to the peer: returns once the SYN is seen
  // (SYN_SENT), *syn gets it.
  Conn StartConnect(PeerSegment* syn, int rcvbuf = 0) {
    Conn c;
    c.fd = host_->Socket(abi::kSOCK_STREAM);
    EXPECT_GE(c.fd, 0);
    if (rcvbuf > 0) {
      EXPECT_EQ(host_->SetInt(c.fd, abi::kSOL_SOCKET, abi::kSO_RCVBUF, rcvbuf), 0);
    }
    EXPECT_EQ(host_->SetNonBlocking(c.fd), 0);
    EXPECT_EQ(host_->Connect(c.fd, "10.0.0.2", kPeerPort), abi::kEINPROGRESS);
    *syn = NextAny();
    c.kport = syn->header.sport;
    c.knxt = syn->header.seq + 1;
    c.pnxt = TcpSeq(kPeerIss + 1);
    EXPECT_EQ(syn->header.dport, kPeerPort);
    return c;
  }

  // An active open with `synack_opts` (and `window`) in the peer's SYN-ACK.
  Conn ActiveOpen(const TcpOptions& synack_opts, uint16_t window = 65535, int rcvbuf = 0) {
    PeerSegment syn;
    Conn c = StartConnect(&syn, rcvbuf);
    Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt, window), synack_opts);
    PeerSegment ack = Next();
    EXPECT_SEG(ack, kTcpAck, c.knxt, c.pnxt);
    EXPECT_EQ(host_->Poll(c.fd, abi::kPOLLOUT, 30000) & abi::kPOLLOUT, abi::kPOLLOUT);
    EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
    return c;
  }

  // Reads what is there (the descriptor may be blocking: polls first).
  std::vector<uint8_t> Read(const Conn& c, size_t max, int64_t* rv = nullptr) {
    EXPECT_NE(host_->Poll(c.fd, abi::kPOLLIN, 30000) & (abi::kPOLLIN | abi::kPOLLHUP), 0);
    std::vector<uint8_t> got;
    const int64_t n = host_->RecvFrom(c.fd, &got, max);
    if (rv != nullptr) *rv = n;
    return got;
  }

  uint64_t Stat(int index) { return host_->inet().tcp().stats().Get(index); }

  void SetTcpSysctl(int leaf, int value) {
    std::string out;
    size_t len = sizeof(int);
    ASSERT_EQ(testing::Sysctl(host_->kernel(),
                              {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_TCP, leaf}, &out, &len,
                              false, &value, sizeof(value)),
              0);
  }

  ScratchDir dir_;
  std::string bus_ = dir_.path() + "/bus";
  std::unique_ptr<Host> host_;
  std::unique_ptr<ScriptedPeer> peer_;
  bool seen_ = false;   // kernel_max_ is set
  TcpSeq kernel_max_;   // the end of the kernel's sequence space seen so far
};

// --- passive open

TEST_F(TcpFsmTest, PassiveOpenOffersEveryOptionTheSynOffered) {
  PeerSegment sa;
  Conn c = PassiveOpen(AllOptions(500), &sa);
  EXPECT_EQ(sa.header.window, kRecvSpace) << sa.ToString();  // a SYN's window is not scaled
  EXPECT_EQ(sa.options.mss, kMss);
  EXPECT_EQ(sa.options.window_shift, kOurShift);
  EXPECT_TRUE(sa.options.sack_permitted);
  ASSERT_TRUE(sa.options.timestamps.has_value());
  EXPECT_EQ(sa.options.timestamps->echo, 500u);
  EXPECT_TRUE(sa.options.sack_blocks.empty());
  // Data from the kernel: its window is scaled now, timestamps on.
  ASSERT_EQ(host_->Send(c.fd, Bytes("hi")), 2);
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt, c.pnxt);
  EXPECT_EQ(d.payload, Bytes("hi"));
  EXPECT_EQ(d.header.window, kRecvSpace >> kOurShift) << d.ToString();
  ASSERT_TRUE(d.options.timestamps.has_value());
  EXPECT_EQ(d.options.timestamps->echo, 501u);  // the handshake's ACK
}

TEST_F(TcpFsmTest, PassiveOpenOffersNothingTheSynDidNotOffer) {
  PeerSegment sa;
  Conn c = PassiveOpen(MssOnly(), &sa);
  EXPECT_EQ(sa.header.window, kRecvSpace);
  EXPECT_EQ(sa.options.mss, kMss);
  EXPECT_FALSE(sa.options.window_shift.has_value());
  EXPECT_FALSE(sa.options.sack_permitted);
  EXPECT_FALSE(sa.options.timestamps.has_value());
  ASSERT_EQ(host_->Send(c.fd, Bytes("hi")), 2);
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt, c.pnxt);
  EXPECT_EQ(d.header.window, kRecvSpace) << d.ToString();  // no scaling
  EXPECT_FALSE(d.options.timestamps.has_value());
}

TEST_F(TcpFsmTest, ARetransmittedSynDrawsTheSynAckAgain) {
  Conn c;
  c.kport = kListenPort;
  c.listener = Listen(kListenPort);
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment a = NextAny();
  ASSERT_EQ(a.header.flags, kTcpSyn | kTcpAck) << a.ToString();
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment b = NextAny();
  EXPECT_SEG(b, kTcpSyn | kTcpAck, a.header.seq, TcpSeq(kPeerIss + 1));
  EXPECT_EQ(b.options.mss, kMss);
  EXPECT_EQ(State(c), abi::kTCPS_SYN_RECEIVED);
  Send(H(c, kTcpAck, TcpSeq(kPeerIss + 1), a.header.seq + 1));
  EXPECT_EQ(host_->Poll(c.listener, abi::kPOLLIN, 30000) & abi::kPOLLIN, abi::kPOLLIN);
  EXPECT_GE(host_->Accept(c.listener), 0);
}

TEST_F(TcpFsmTest, SynReceivedAnswersAnUnacceptableAckWithRst) {
  Conn c;
  c.kport = kListenPort;
  c.listener = Listen(kListenPort);
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment sa = NextAny();
  ASSERT_EQ(sa.header.flags, kTcpSyn | kTcpAck) << sa.ToString();
  c.pnxt = TcpSeq(kPeerIss + 1);
  c.knxt = sa.header.seq + 1;
  Send(H(c, kTcpAck, c.pnxt, c.knxt + 100));
  PeerSegment r = Next();
  EXPECT_SEG(r, kTcpRst, c.knxt + 100, TcpSeq(0));
  EXPECT_EQ(State(c), abi::kTCPS_SYN_RECEIVED);
  Send(H(c, kTcpAck, c.pnxt, c.knxt));
  EXPECT_EQ(host_->Poll(c.listener, abi::kPOLLIN, 30000) & abi::kPOLLIN, abi::kPOLLIN);
  EXPECT_GE(host_->Accept(c.listener), 0);
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
}

TEST_F(TcpFsmTest, RstInSynReceivedEndsThePassiveOpenQuietly) {
  Conn c;
  c.kport = kListenPort;
  c.listener = Listen(kListenPort);
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment sa = NextAny();
  ASSERT_EQ(sa.header.flags, kTcpSyn | kTcpAck) << sa.ToString();
  Send(H(c, kTcpRst, TcpSeq(kPeerIss + 1), TcpSeq(0)));
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_CLOSED));
  // The listener goes on; accept returns the next connection, not the
  // reset one.
  Conn d;
  d.kport = kListenPort;
  d.pport = kPeerPort + 1;
  Send(H(d, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  sa = NextAny();
  ASSERT_EQ(sa.header.flags, kTcpSyn | kTcpAck) << sa.ToString();
  EXPECT_EQ(sa.header.dport, kPeerPort + 1);
  Send(H(d, kTcpAck, TcpSeq(kPeerIss + 1), sa.header.seq + 1));
  EXPECT_EQ(host_->Poll(c.listener, abi::kPOLLIN, 30000) & abi::kPOLLIN, abi::kPOLLIN);
  uint16_t port = 0;
  EXPECT_GE(host_->Accept(c.listener, nullptr, &port), 0);
  EXPECT_EQ(port, kPeerPort + 1);
}

TEST_F(TcpFsmTest, AckToAListenerDrawsARstAndARstIsIgnored) {
  Conn c;
  c.kport = kListenPort;
  c.listener = Listen(kListenPort);
  Send(H(c, kTcpAck, TcpSeq(5), TcpSeq(777)));
  PeerSegment r = Next();
  EXPECT_SEG(r, kTcpRst, TcpSeq(777), TcpSeq(0));
  EXPECT_EQ(r.header.sport, kListenPort);
  EXPECT_EQ(r.header.dport, kPeerPort);
  // A RST is never answered and changes nothing: the next segment the
  // kernel sends answers the SYN after it.
  Send(H(c, kTcpRst, TcpSeq(5), TcpSeq(0)));
  Send(H(c, kTcpRst | kTcpAck, TcpSeq(5), TcpSeq(778)));
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment sa = NextAny();
  EXPECT_EQ(sa.header.flags, kTcpSyn | kTcpAck) << sa.ToString();
  EXPECT_EQ(sa.header.ack, TcpSeq(kPeerIss + 1));
}

TEST_F(TcpFsmTest, SegmentToAClosedPortDrawsRstAck) {
  Conn c;
  c.kport = 4;  // nobody listens
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  PeerSegment r = Next();
  EXPECT_SEG(r, kTcpRst | kTcpAck, TcpSeq(0), TcpSeq(kPeerIss + 1));
  EXPECT_EQ(r.header.window, 0);
  // Data without an ACK: the RST acknowledges all of it; with a FIN too.
  Send(H(c, kTcpPsh, TcpSeq(kPeerIss), TcpSeq(0)), {}, Bytes("0123456789"));
  r = Next();
  EXPECT_SEG(r, kTcpRst | kTcpAck, TcpSeq(0), TcpSeq(kPeerIss + 10));
  Send(H(c, kTcpFin, TcpSeq(kPeerIss), TcpSeq(0)), {}, Bytes("abc"));
  r = Next();
  EXPECT_SEG(r, kTcpRst | kTcpAck, TcpSeq(0), TcpSeq(kPeerIss + 4));
  // With an ACK: a bare RST at that sequence number.
  Send(H(c, kTcpAck, TcpSeq(kPeerIss), TcpSeq(4242)), {}, Bytes("x"));
  r = Next();
  EXPECT_SEG(r, kTcpRst, TcpSeq(4242), TcpSeq(0));
  EXPECT_GE(Stat(abi::kTcpStatNoport), 4u);
}

// --- active open

TEST_F(TcpFsmTest, ActiveOpenSendsEveryOptionAndCompletes) {
  PeerSegment syn;
  Conn c = StartConnect(&syn);
  EXPECT_EQ(syn.header.flags, kTcpSyn) << syn.ToString();
  EXPECT_EQ(syn.header.ack, TcpSeq(0));
  EXPECT_EQ(syn.header.window, kRecvSpace);
  EXPECT_EQ(syn.options.mss, kMss);
  EXPECT_EQ(syn.options.window_shift, kOurShift);
  EXPECT_TRUE(syn.options.sack_permitted);
  ASSERT_TRUE(syn.options.timestamps.has_value());
  EXPECT_EQ(syn.options.timestamps->echo, 0u);
  EXPECT_EQ(State(c), abi::kTCPS_SYN_SENT);
  TcpOptions o = AllOptions(900);
  o.timestamps->echo = syn.options.timestamps->value;
  Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt), o);
  PeerSegment ack = Next();
  EXPECT_SEG(ack, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(ack.header.window, kRecvSpace >> kOurShift) << ack.ToString();
  ASSERT_TRUE(ack.options.timestamps.has_value());
  EXPECT_EQ(ack.options.timestamps->echo, 900u);
  EXPECT_EQ(host_->Poll(c.fd, abi::kPOLLOUT, 30000) & abi::kPOLLOUT, abi::kPOLLOUT);
  int err = -1;
  EXPECT_EQ(host_->GetInt(c.fd, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
}

TEST_F(TcpFsmTest, SynSentRefusedByRstWithAnAcceptableAck) {
  PeerSegment syn;
  Conn c = StartConnect(&syn);
  // A RST without an ACK is ignored in SYN_SENT (RFC 9293 3.10.7.3); so is
  // one whose ACK is not for our SYN (it draws nothing: a RST is never
  // answered).
  Send(H(c, kTcpRst, TcpSeq(kPeerIss), TcpSeq(0)));
  Send(H(c, kTcpRst | kTcpAck, TcpSeq(kPeerIss), c.knxt + 10));
  EXPECT_EQ(State(c), abi::kTCPS_SYN_SENT);
  Send(H(c, kTcpRst | kTcpAck, TcpSeq(0), c.knxt));
  EXPECT_NE(host_->Poll(c.fd, abi::kPOLLOUT, 30000), 0);
  int err = -1;
  EXPECT_EQ(host_->GetInt(c.fd, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, abi::kECONNREFUSED);
  EXPECT_EQ(State(c), abi::kTCPS_CLOSED);
  // None of the RSTs was answered: the first RST the kernel sends is the
  // one for this later segment to the port, now closed.
  Send(H(c, kTcpAck, c.pnxt, TcpSeq(4242)));
  PeerSegment r = NextRst();
  EXPECT_SEG(r, kTcpRst, TcpSeq(4242), TcpSeq(0));
}

TEST_F(TcpFsmTest, SynSentAnswersAnUnacceptableAckWithRst) {
  PeerSegment syn;
  Conn c = StartConnect(&syn);
  Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt + 100), MssOnly());
  PeerSegment r = Next();
  EXPECT_SEG(r, kTcpRst, c.knxt + 100, TcpSeq(0));
  EXPECT_EQ(State(c), abi::kTCPS_SYN_SENT);
  // The right SYN-ACK still completes the connection.
  Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt), MssOnly());
  PeerSegment ack = Next();
  EXPECT_SEG(ack, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(host_->Poll(c.fd, abi::kPOLLOUT, 30000) & abi::kPOLLOUT, abi::kPOLLOUT);
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
}

TEST_F(TcpFsmTest, SimultaneousOpen) {
  PeerSegment syn;
  Conn c = StartConnect(&syn);
  // The peer's own SYN crosses ours: SYN_RECEIVED, our SYN again with an ACK.
  Send(H(c, kTcpSyn, TcpSeq(kPeerIss), TcpSeq(0)), MssOnly());
  absl::StatusOr<PeerSegment> got =
      peer_->Expect([](const PeerSegment& s) { return s.has(kTcpAck); });
  ASSERT_TRUE(got.ok()) << got.status();
  const PeerSegment& sa = *got;
  EXPECT_SEG(sa, kTcpSyn | kTcpAck, syn.header.seq, c.pnxt);
  EXPECT_EQ(sa.options.mss, kMss);
  EXPECT_FALSE(sa.options.window_shift.has_value());  // the peer offered none
  EXPECT_FALSE(sa.options.timestamps.has_value());
  EXPECT_EQ(State(c), abi::kTCPS_SYN_RECEIVED);
  // The peer's SYN-ACK (its SYN again, acknowledging ours): ESTABLISHED.
  Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt), MssOnly());
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_ESTABLISHED));
  EXPECT_EQ(host_->Poll(c.fd, abi::kPOLLOUT, 30000) & abi::kPOLLOUT, abi::kPOLLOUT);
  int err = -1;
  EXPECT_EQ(host_->GetInt(c.fd, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
  // Data flows.
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), {}, Bytes("simul"));
  EXPECT_EQ(Read(c, 100), Bytes("simul"));
}

// --- close

TEST_F(TcpFsmTest, ActiveCloseThroughFinWait2AndTimeWaitForTwoMsl) {
  SetTcpSysctl(abi::kTcpctlMsl, 1);
  Conn c = PassiveOpen(MssOnly());
  ASSERT_EQ(host_->Shutdown(c.fd, abi::kSHUT_WR), 0);
  PeerSegment fin = Next();
  EXPECT_SEG(fin, kTcpFin | kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(State(c), abi::kTCPS_FIN_WAIT_1);
  Send(H(c, kTcpAck, c.pnxt, c.knxt + 1));
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_FIN_WAIT_2));
  // Data still flows in; then the peer's FIN.
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt + 1), {}, Bytes("late"));
  EXPECT_EQ(Read(c, 100), Bytes("late"));
  c.pnxt += 4;
  PeerSegment a = Next();  // the delayed ACK of the data
  EXPECT_SEG(a, kTcpAck, c.knxt + 1, c.pnxt);
  const absl::Time fin_sent = absl::Now();
  Send(H(c, kTcpFin | kTcpAck, c.pnxt, c.knxt + 1));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt + 1, c.pnxt + 1);
  EXPECT_EQ(State(c), abi::kTCPS_TIME_WAIT);
  int64_t rv = -1;
  EXPECT_TRUE(Read(c, 100, &rv).empty());
  EXPECT_EQ(rv, 0);
  // The FIN again (our ACK was lost): ACKed again, still TIME_WAIT, for
  // 2 * MSL from then.
  const absl::Time refin = absl::Now();
  Send(H(c, kTcpFin | kTcpAck, c.pnxt, c.knxt + 1));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt + 1, c.pnxt + 1);
  EXPECT_EQ(State(c), abi::kTCPS_TIME_WAIT);
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_CLOSED));
  EXPECT_GE(absl::Now() - refin, absl::Seconds(2));
  EXPECT_GE(absl::Now() - fin_sent, absl::Seconds(2));
  EXPECT_EQ(host_->Close(c.fd), 0);
}

TEST_F(TcpFsmTest, PassiveCloseThroughCloseWaitAndLastAck) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpFin | kTcpAck, c.pnxt, c.knxt));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt + 1);
  EXPECT_EQ(State(c), abi::kTCPS_CLOSE_WAIT);
  int64_t rv = -1;
  EXPECT_TRUE(Read(c, 100, &rv).empty());
  EXPECT_EQ(rv, 0);
  // We may still send.
  ASSERT_EQ(host_->Send(c.fd, Bytes("bye")), 3);
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt, c.pnxt + 1);
  EXPECT_EQ(d.payload, Bytes("bye"));
  c.knxt += 3;
  Send(H(c, kTcpAck, c.pnxt + 1, c.knxt));
  ASSERT_EQ(host_->Close(c.fd), 0);
  PeerSegment fin = Next();
  EXPECT_SEG(fin, kTcpFin | kTcpAck, c.knxt, c.pnxt + 1);
  EXPECT_EQ(State(c), abi::kTCPS_LAST_ACK);
  EXPECT_EQ(host_->inet().tcp().orphans(), 1u);
  Send(H(c, kTcpAck, c.pnxt + 1, c.knxt + 1));
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_CLOSED));
  EXPECT_TRUE(testing::Eventually([&] { return host_->inet().tcp().orphans() == 0; }));
}

TEST_F(TcpFsmTest, SimultaneousCloseThroughClosing) {
  Conn c = PassiveOpen(MssOnly());
  ASSERT_EQ(host_->Shutdown(c.fd, abi::kSHUT_WR), 0);
  PeerSegment fin = Next();
  EXPECT_SEG(fin, kTcpFin | kTcpAck, c.knxt, c.pnxt);
  // The peer's FIN, sent before ours arrived (it does not acknowledge it).
  Send(H(c, kTcpFin | kTcpAck, c.pnxt, c.knxt));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt + 1, c.pnxt + 1);
  EXPECT_EQ(State(c), abi::kTCPS_CLOSING);
  Send(H(c, kTcpAck, c.pnxt + 1, c.knxt + 1));
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_TIME_WAIT));
}

// --- RFC 5961

TEST_F(TcpFsmTest, RstAtRcvNxtResetsTheConnection) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpRst, c.pnxt, TcpSeq(0)));
  EXPECT_TRUE(EventuallyState(c, abi::kTCPS_CLOSED));
  int64_t rv = 0;
  Read(c, 100, &rv);
  EXPECT_EQ(rv, -abi::kECONNRESET);
  // The RST was not answered: the first RST the kernel sends is the one
  // for this later segment to the 4-tuple, now closed.
  Send(H(c, kTcpAck, c.pnxt, TcpSeq(4242)));
  PeerSegment r = NextRst();
  EXPECT_SEG(r, kTcpRst, TcpSeq(4242), TcpSeq(0));
}

TEST_F(TcpFsmTest, RstInTheWindowDrawsAChallengeAck) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpRst, c.pnxt + 1000, TcpSeq(0)));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), {}, Bytes("alive"));
  EXPECT_EQ(Read(c, 100), Bytes("alive"));
}

TEST_F(TcpFsmTest, RstOutsideTheWindowIsIgnored) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpRst, c.pnxt + 1000000, TcpSeq(0)));
  Send(H(c, kTcpRst, c.pnxt - 1, TcpSeq(0)));
  // The next segment the kernel sends is the ACK of this data: the RSTs
  // drew nothing and changed nothing.
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), {}, Bytes("alive"));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt + 5);
  EXPECT_EQ(Read(c, 100), Bytes("alive"));
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
}

TEST_F(TcpFsmTest, SynInEstablishedDrawsAChallengeAck) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpSyn, c.pnxt + 10, TcpSeq(0)), MssOnly());
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  // Even one at RCV.NXT (RFC 5961 4.2: whatever its sequence number).
  Send(H(c, kTcpSyn, c.pnxt, TcpSeq(0)), MssOnly());
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), {}, Bytes("alive"));
  EXPECT_EQ(Read(c, 100), Bytes("alive"));
}

TEST_F(TcpFsmTest, AckBeyondSndMaxIsAnsweredAndTheSegmentDropped) {
  Conn c = PassiveOpen(MssOnly());
  const uint64_t toomuch = Stat(abi::kTcpStatRcvacktoomuch);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt + 1000), {}, Bytes("bad!"));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);  // the data was not taken
  EXPECT_EQ(Stat(abi::kTcpStatRcvacktoomuch), toomuch + 1);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), {}, Bytes("good"));
  EXPECT_EQ(Read(c, 100), Bytes("good"));
  EXPECT_EQ(State(c), abi::kTCPS_ESTABLISHED);
}

// --- data

TEST_F(TcpFsmTest, OutOfOrderDataDrawsADuplicateAckWithSack) {
  TcpOptions o = MssOnly();
  o.sack_permitted = true;
  Conn c = PassiveOpen(o);
  const std::vector<uint8_t> first(100, 'a'), second(100, 'b'), third(100, 'c');
  Send(H(c, kTcpAck, c.pnxt + 200, c.knxt), {}, third);
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  ASSERT_EQ(a.options.sack_blocks.size(), 1u) << a.ToString();
  EXPECT_EQ(a.options.sack_blocks[0], (inet::SackBlock{c.pnxt + 200, c.pnxt + 300}));
  Send(H(c, kTcpAck, c.pnxt + 100, c.knxt), {}, second);
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  ASSERT_EQ(a.options.sack_blocks.size(), 1u) << a.ToString();
  EXPECT_EQ(a.options.sack_blocks[0], (inet::SackBlock{c.pnxt + 100, c.pnxt + 300}));
  // Filling the hole: everything delivered in order, at once acknowledged.
  Send(H(c, kTcpAck, c.pnxt, c.knxt), {}, first);
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt + 300);
  EXPECT_TRUE(a.options.sack_blocks.empty()) << a.ToString();
  std::vector<uint8_t> want = first;
  want.insert(want.end(), second.begin(), second.end());
  want.insert(want.end(), third.begin(), third.end());
  EXPECT_EQ(host_->RecvAll(c.fd, 300), want);
}

TEST_F(TcpFsmTest, OutOfOrderDataWithoutSackDrawsAPlainDuplicateAck) {
  Conn c = PassiveOpen(MssOnly());
  Send(H(c, kTcpAck, c.pnxt + 10, c.knxt), {}, Bytes("world"));
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_TRUE(a.options.sack_blocks.empty());
  Send(H(c, kTcpAck, c.pnxt, c.knxt), {}, Bytes("hello, the"));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt + 15);
  EXPECT_EQ(host_->RecvAll(c.fd, 15), Bytes("hello, theworld"));
}

TEST_F(TcpFsmTest, DataBeyondTheWindowIsTrimmedAndAZeroWindowHoldsData) {
  // A 1000-byte receive buffer, no window scaling: the window is 1000.
  PeerSegment syn;
  Conn c = StartConnect(&syn, 1000);
  EXPECT_EQ(syn.header.window, 1000);
  Send(H(c, kTcpSyn | kTcpAck, TcpSeq(kPeerIss), c.knxt), MssOnly());
  PeerSegment a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(a.header.window, 1000);
  const std::vector<uint8_t> big(1400, 'x');
  Send(H(c, kTcpAck, c.pnxt, c.knxt), {}, big);
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt + 1000);  // at once, only what fits
  EXPECT_EQ(a.header.window, 0);
  c.pnxt += 1000;
  // A zero window: one byte beyond it is not taken, the ACK repeats.
  Send(H(c, kTcpAck, c.pnxt, c.knxt), {}, Bytes("y"));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(a.header.window, 0);
  // Reading opens the window: a window update.
  EXPECT_EQ(Read(c, 2000), std::vector<uint8_t>(1000, 'x'));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(a.header.window, 1000);
}

TEST_F(TcpFsmTest, ThePeersWindowScaleIsApplied) {
  // The peer offers shift 2 and a window of 100: 100 bytes in the SYN (a
  // SYN's window is never scaled), 400 from the ACK that completes the
  // handshake on.
  TcpOptions o = MssOnly();
  o.window_shift = 2;
  Conn c = PassiveOpen(o, nullptr, 100);
  ASSERT_EQ(host_->SetInt(c.fd, abi::kIPPROTO_TCP, abi::kTCP_NODELAY, 1), 0);
  ASSERT_EQ(host_->Send(c.fd, std::vector<uint8_t>(1000, 'z')), 1000);
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(d.payload.size(), 400u) << d.ToString();
  EXPECT_EQ(d.header.window, kRecvSpace >> kOurShift);
  // Acknowledged with a bigger window: the rest.
  Send(H(c, kTcpAck, c.pnxt, c.knxt + 400, 1000));
  d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt + 400, c.pnxt);
  EXPECT_EQ(d.payload.size(), 600u) << d.ToString();
}

TEST_F(TcpFsmTest, PawsDropsASegmentWithAnOldTimestamp) {
  Conn c = PassiveOpen(AllOptions(1000));
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), Ts(2000, c.ts_echo), Bytes("one"));
  EXPECT_EQ(Read(c, 100), Bytes("one"));
  c.pnxt += 3;
  PeerSegment a = Next();  // its (delayed) ACK
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);
  ASSERT_TRUE(a.options.timestamps.has_value());
  EXPECT_EQ(a.options.timestamps->echo, 2000u);
  const uint64_t paws = Stat(abi::kTcpStatPawsdrop);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), Ts(1500, c.ts_echo), Bytes("old"));
  a = Next();
  EXPECT_SEG(a, kTcpAck, c.knxt, c.pnxt);  // not taken
  ASSERT_TRUE(a.options.timestamps.has_value());
  EXPECT_EQ(a.options.timestamps->echo, 2000u);
  EXPECT_EQ(Stat(abi::kTcpStatPawsdrop), paws + 1);
  Send(H(c, kTcpAck | kTcpPsh, c.pnxt, c.knxt), Ts(2001, c.ts_echo), Bytes("new"));
  EXPECT_EQ(Read(c, 100), Bytes("new"));
}

// --- loss recovery (SACK negotiated; the initial window is three
// segments, RFC 3390's 4380 bytes)

class TcpLossRecoveryTest : public TcpFsmTest {
 protected:
  // Connects with SACK and writes `n` full segments; the kernel's first
  // three go out (the initial window) and are checked.
  void Start(int n) {
    TcpOptions o = MssOnly();
    o.sack_permitted = true;
    c_ = PassiveOpen(o);
    const std::vector<uint8_t> data(size_t(n) * kMss, 'x');
    ASSERT_EQ(host_->Send(c_.fd, data), int64_t(data.size()));
    for (int i = 0; i < 3; ++i) ExpectSegment(i);
  }
  // Where the kernel's segment i (from 0) starts.
  TcpSeq At(int i) const { return c_.knxt + uint32_t(i) * kMss; }
  // The next segment the kernel sends is its segment i, whole.
  void ExpectSegment(int i) {
    PeerSegment s = NextAny();
    EXPECT_EQ(s.header.seq, At(i)) << "want segment " << i << ": " << s.ToString();
    EXPECT_EQ(s.payload.size(), size_t(kMss)) << s.ToString();
  }
  // A duplicate ACK: segment 0 is missing, segments 1 to last arrived.
  void DupAck(int last) {
    TcpOptions o;
    o.sack_blocks = {inet::SackBlock{At(1), At(last + 1)}};
    Send(H(c_, kTcpAck, c_.pnxt, c_.knxt), o);
  }
  // Segment 0 was lost. Each of the first two duplicate ACKs lets one new
  // segment go beyond the three-segment window (RFC 3042: segments 3 and
  // 4); without them the window would allow nothing, and only the timer
  // could recover. The third brings the fast retransmit of segment 0.
  void LoseTheFirstSegment() {
    DupAck(1);
    ExpectSegment(3);
    DupAck(2);
    ExpectSegment(4);
    DupAck(3);
    ExpectSegment(0);
  }
  Conn c_;
};

TEST_F(TcpLossRecoveryTest, LimitedTransmitLetsASmallWindowReachFastRetransmit) {
  Start(8);
  LoseTheFirstSegment();
  EXPECT_EQ(Stat(abi::kTcpStatRexmttimeo), 0u);
  EXPECT_EQ(Stat(abi::kTcpStatSndrexmitpack), 1u);
  // The hole filled: everything is acknowledged and the rest goes.
  Send(H(c_, kTcpAck, c_.pnxt, At(5)));
  ExpectSegment(5);
}

TEST_F(TcpLossRecoveryTest, ALostFastRetransmissionIsSentAgainWithoutTheTimer) {
  Start(12);
  LoseTheFirstSegment();  // limited transmit of 3 and 4, fast retransmit of 0
  // In recovery each duplicate ACK lets a new segment go. Segments 5, 6
  // and 7, sent after the retransmission, arrive; the retransmission does
  // not: it was lost too, and goes again at once.
  DupAck(4);
  ExpectSegment(5);
  DupAck(5);
  ExpectSegment(6);
  DupAck(6);
  ExpectSegment(7);
  DupAck(7);
  ExpectSegment(0);
  ExpectSegment(8);
  EXPECT_EQ(Stat(abi::kTcpStatRexmttimeo), 0u);
  EXPECT_EQ(Stat(abi::kTcpStatSndrexmitpack), 2u);
  // It arrives this time: recovery ends with everything sent acknowledged.
  Send(H(c_, kTcpAck, c_.pnxt, At(9)));
  ExpectSegment(9);
}

TEST_F(TcpFsmTest, UnacknowledgedDataIsRetransmittedAfterTheRto) {
  Conn c = PassiveOpen(MssOnly());
  const absl::Time sent = absl::Now();
  ASSERT_EQ(host_->Send(c.fd, Bytes("again")), 5);
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt, c.pnxt);
  // The same segment after at least the minimum RTO (one second), then
  // after at least twice that (the backoff).
  PeerSegment r1 = NextAny();
  const absl::Time t1 = absl::Now();
  EXPECT_SEG(r1, kTcpAck | kTcpPsh, c.knxt, c.pnxt);
  EXPECT_EQ(r1.payload, Bytes("again"));
  EXPECT_GE(t1 - sent, absl::Seconds(1));
  PeerSegment r2 = NextAny();
  EXPECT_SEG(r2, kTcpAck | kTcpPsh, c.knxt, c.pnxt);
  EXPECT_GE(absl::Now() - sent, absl::Seconds(3));
  EXPECT_GE(Stat(abi::kTcpStatRexmttimeo), 2u);
  // Acknowledged: the retransmissions stop, and new data goes at once.
  Send(H(c, kTcpAck, c.pnxt, c.knxt + 5));
  ASSERT_EQ(host_->Send(c.fd, Bytes("next")), 4);
  d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt + 5, c.pnxt);
  EXPECT_EQ(d.payload, Bytes("next"));
}

TEST_F(TcpFsmTest, AZeroWindowIsProbed) {
  Conn c = ActiveOpen(MssOnly(), 0);
  const absl::Time sent = absl::Now();
  ASSERT_EQ(host_->Send(c.fd, Bytes("probe")), 5);
  // No data goes into a shut window; a one-byte probe after at least
  // TCPTV_PERSMIN (5 s).
  PeerSegment p = Next();
  EXPECT_SEG(p, kTcpAck, c.knxt, c.pnxt);
  EXPECT_EQ(p.payload, Bytes("p")) << p.ToString();
  EXPECT_GE(absl::Now() - sent, absl::Seconds(5));
  // The window opens (the probe byte acknowledged): the rest.
  Send(H(c, kTcpAck, c.pnxt, c.knxt + 1, 1000));
  PeerSegment d = Next();
  EXPECT_SEG(d, kTcpAck | kTcpPsh, c.knxt + 1, c.pnxt);
  EXPECT_EQ(d.payload, Bytes("robe"));
}

}  // namespace
}  // namespace rump
