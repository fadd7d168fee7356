// TCP through the system calls: one kernel over lo0, and two kernels (in
// this process) on one shmif bus.
#include <atomic>
#include <cstring>
#include <numeric>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/poll.h"
#include "rump/abi/resource.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/tcp.h"
#include "rump/net/impairment.h"
#include "rump/net/testing.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/tcp_socket.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Dotted;
using inet_testing::Host;
using inet_testing::Ip;
using inet_testing::ScratchDir;

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = uint8_t(x >> 16);
  }
  return v;
}

uint64_t Stat(Host& h, int index) { return h.inet().tcp().stats().Get(index); }

// A listener on `port` of `h`: its descriptor.
int Listener(Host& h, uint16_t port, int backlog = 5) {
  const int fd = h.Socket(abi::kSOCK_STREAM);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(h.Bind(fd, "0.0.0.0", port), 0);
  EXPECT_EQ(h.Listen(fd, backlog), 0);
  return fd;
}

// Sets net.inet.tcp.<leaf> (by number) in h.
void SetTcpSysctl(Host& h, int leaf, int value) {
  std::string out;
  size_t len = sizeof(int);
  ASSERT_EQ(testing::Sysctl(h.kernel(), {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_TCP, leaf},
                            &out, &len, false, &value, sizeof(value)),
            0);
}

class TcpTest : public ::testing::Test {
 protected:
  ScratchDir dir_;
  std::string bus_ = dir_.path() + "/bus";
};

TEST_F(TcpTest, ConnectAcceptEchoOverLoopback) {
  Host a(bus_, "10.0.0.1");
  const int l = Listener(a, 7000);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_GE(c, 0);
  ASSERT_EQ(a.Connect(c, "127.0.0.1", 7000), 0);
  uint32_t peer = 0;
  uint16_t pport = 0;
  const int s = a.Accept(l, &peer, &pport);
  ASSERT_GE(s, 0);
  EXPECT_EQ(Dotted(peer), "127.0.0.1");
  uint32_t caddr = 0;
  uint16_t cport = 0;
  ASSERT_EQ(a.SockName(c, &caddr, &cport), 0);
  EXPECT_EQ(pport, cport);
  EXPECT_GE(cport, abi::kIPPORT_ANONMIN);
  uint32_t paddr = 0;
  uint16_t pp = 0;
  ASSERT_EQ(a.PeerName(c, &paddr, &pp), 0);
  EXPECT_EQ(pp, 7000);

  const std::vector<uint8_t> hello = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_EQ(a.Send(c, hello), 5);
  EXPECT_EQ(a.RecvAll(s, 5), hello);
  const std::vector<uint8_t> back = {'w', 'o', 'r', 'l', 'd', '!'};
  ASSERT_EQ(a.Send(s, back), 6);
  EXPECT_EQ(a.RecvAll(c, 6), back);
  EXPECT_EQ(Stat(a, abi::kTcpStatConnattempt), 1u);
  EXPECT_EQ(Stat(a, abi::kTcpStatConnects), 1u);
  EXPECT_EQ(Stat(a, abi::kTcpStatAccepts), 1u);
  EXPECT_EQ(a.Close(c), 0);
  EXPECT_EQ(a.Close(s), 0);
  EXPECT_EQ(a.Close(l), 0);
}

// An accepted descriptor is read and written with read(2) and write(2), as
// the connecting one is (its access mode is O_RDWR, not O_RDONLY).
TEST_F(TcpTest, AcceptedSocketTakesReadAndWrite) {
  Host a(bus_, "10.0.0.1");
  const int l = Listener(a, 7000);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_GE(c, 0);
  ASSERT_EQ(a.Connect(c, "127.0.0.1", 7000), 0);
  const int s = a.Accept(l);
  ASSERT_GE(s, 0);
  const char out[] = "written";
  for (int fd : {s, c}) {
    inet_testing::SysResult w =
        a.Call(abi::kSysWrite, {uint64_t(fd), testing::P(out), sizeof(out), 0, 0, 0});
    EXPECT_EQ(w.error, 0) << "fd " << fd;
    EXPECT_EQ(w.rv, int64_t(sizeof(out))) << "fd " << fd;
    char in[sizeof(out)] = {};
    inet_testing::SysResult r =
        a.Call(abi::kSysRead, {uint64_t(fd == s ? c : s), testing::P(in), sizeof(in), 0, 0, 0});
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.rv, int64_t(sizeof(out)));
    EXPECT_STREQ(in, out);
  }
  EXPECT_EQ(a.Close(c), 0);
  EXPECT_EQ(a.Close(s), 0);
  EXPECT_EQ(a.Close(l), 0);
}

TEST_F(TcpTest, BulkBothWaysBetweenTwoKernelsOnOneBus) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8000);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8000), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  const size_t kBytes = 4 << 20;
  const std::vector<uint8_t> up = Pattern(kBytes, 1), down = Pattern(kBytes, 2);
  std::vector<uint8_t> got_up, got_down;
  std::thread reader_b([&] { got_up = b.RecvAll(s, kBytes); });
  std::thread reader_a([&] { got_down = a.RecvAll(c, kBytes); });
  std::thread writer_b([&] { EXPECT_EQ(b.SendAll(s, down), 0); });
  EXPECT_EQ(a.SendAll(c, up), 0);
  writer_b.join();
  reader_a.join();
  reader_b.join();
  EXPECT_TRUE(got_up == up) << got_up.size();
  EXPECT_TRUE(got_down == down) << got_down.size();
  a.Close(c);
  b.Close(s);
  b.Close(l);
}

TEST_F(TcpTest, HalfCloseDeliversEndOfFileAndDataStillFlowsBack) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8001);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8001), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a.Send(c, {1, 2, 3}), 3);
  ASSERT_EQ(a.Shutdown(c, abi::kSHUT_WR), 0);
  // b reads the data, then end of file.
  EXPECT_EQ(b.RecvAll(s, 100), (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(a.Send(c, {9}), -abi::kEPIPE);
  // b's direction is still open.
  const std::vector<uint8_t> reply = Pattern(300000, 3);
  std::vector<uint8_t> got;
  std::thread reader([&] { got = a.RecvAll(c, 1000000); });
  ASSERT_EQ(b.SendAll(s, reply), 0);
  ASSERT_EQ(b.Close(s), 0);
  reader.join();
  EXPECT_TRUE(got == reply) << got.size();
  a.Close(c);
  b.Close(l);
}

TEST_F(TcpTest, ConnectToAClosedPortIsRefused) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int c = a.Socket(abi::kSOCK_STREAM);
  EXPECT_EQ(a.Connect(c, "10.0.0.2", 9), abi::kECONNREFUSED);
  EXPECT_GE(Stat(b, abi::kTcpStatNoport), 1u);
  const int c2 = a.Socket(abi::kSOCK_STREAM);
  EXPECT_EQ(a.Connect(c2, "127.0.0.1", 9), abi::kECONNREFUSED);
}

TEST_F(TcpTest, NonBlockingConnectCompletesThroughPoll) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8002);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.SetNonBlocking(c), 0);
  EXPECT_EQ(a.Connect(c, "10.0.0.2", 8002), abi::kEINPROGRESS);
  EXPECT_EQ(a.Poll(c, abi::kPOLLOUT, 10000) & abi::kPOLLOUT, abi::kPOLLOUT);
  int err = -1;
  EXPECT_EQ(a.GetInt(c, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(a.Connect(c, "10.0.0.2", 8002), abi::kEISCONN);
  // And a refused one reports ECONNREFUSED through SO_ERROR.
  const int d = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.SetNonBlocking(d), 0);
  // The RST may come back before connect(2) returns: then connect itself
  // reports the error, as NetBSD's does; otherwise SO_ERROR holds it.
  const int e = a.Connect(d, "10.0.0.2", 4);
  if (e == abi::kEINPROGRESS) {
    EXPECT_NE(a.Poll(d, abi::kPOLLOUT, 10000), 0);
    EXPECT_EQ(a.GetInt(d, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
    EXPECT_EQ(err, abi::kECONNREFUSED);
  } else {
    EXPECT_EQ(e, abi::kECONNREFUSED);
  }
  b.Close(l);
}

TEST_F(TcpTest, ResetByPeerWithLingerZero) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8003);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8003), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  uint8_t linger[8] = {};
  const int32_t on = 1;
  std::memcpy(linger, &on, 4);
  ASSERT_EQ(b.Call(abi::kSysSetsockopt, {uint64_t(s), uint64_t(abi::kSOL_SOCKET),
                                         uint64_t(abi::kSO_LINGER), testing::P(linger), 8})
                .error,
            0);
  ASSERT_EQ(b.Close(s), 0);
  int err = 0;
  std::vector<uint8_t> got = a.RecvAll(c, 10, &err);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(err, abi::kECONNRESET);
  b.Close(l);
}

// SO_LINGER with a time: close(2) returns once the data and the FIN are
// acknowledged (NetBSD's soclose waits while the socket is connected), or
// when the time runs out if the peer never acknowledges.
TEST_F(TcpTest, LingerWithATimeHoldsCloseUntilTheDataIsAcknowledged) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8010);
  auto set_linger = [&](int fd, int32_t secs) {
    uint8_t linger[8] = {};
    const int32_t on = 1;
    std::memcpy(linger, &on, 4);
    std::memcpy(linger + 4, &secs, 4);
    return a.Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kSOL_SOCKET),
                                        uint64_t(abi::kSO_LINGER), testing::P(linger), 8})
        .error;
  };
  auto state = [&](uint16_t port) {
    // a's connection from `port`: its TCP state (CLOSED when gone).
    int st = abi::kTCPS_CLOSED;
    for (const auto& so : a.inet().tcp_pcbs().LookupConnected(a.addr(), port, b.addr(), 8010)) {
      st = std::static_pointer_cast<TcpSocket>(so)->tcp_state();
    }
    return st;
  };
  // Acknowledged: when close returns, the FIN has been (FIN_WAIT_2, or
  // TIME_WAIT once b closed too).
  {
    const int c = a.Socket(abi::kSOCK_STREAM);
    ASSERT_EQ(a.Connect(c, "10.0.0.2", 8010), 0);
    const int s = b.Accept(l);
    ASSERT_GE(s, 0);
    ASSERT_EQ(set_linger(c, 30), 0);
    uint32_t addr = 0;
    uint16_t port = 0;
    ASSERT_EQ(a.SockName(c, &addr, &port), 0);
    std::vector<uint8_t> got;
    std::thread reader([&] { got = b.RecvAll(s, 200001); });  // to end of file
    ASSERT_EQ(a.SendAll(c, std::vector<uint8_t>(200000, 'x')), 0);
    ASSERT_EQ(a.Close(c), 0);
    const int st = state(port);
    EXPECT_TRUE(st == abi::kTCPS_FIN_WAIT_2 || st == abi::kTCPS_TIME_WAIT) << st;
    reader.join();
    EXPECT_EQ(got.size(), 200000u);
    b.Close(s);
  }
  // Never acknowledged (b loses everything it sends): close returns after
  // the linger time, and the connection lives on, orphaned.
  {
    const int c = a.Socket(abi::kSOCK_STREAM);
    ASSERT_EQ(a.Connect(c, "10.0.0.2", 8010), 0);
    const int s = b.Accept(l);
    ASSERT_GE(s, 0);
    ASSERT_EQ(set_linger(c, 1), 0);
    ImpairmentConfig all;
    all.drop_ppm = ImpairmentConfig::kMillion;
    ASSERT_TRUE(b.ifp().impairment().Set(all).ok());
    ASSERT_EQ(a.Send(c, {1, 2, 3}), 3);
    const absl::Time t0 = absl::Now();
    ASSERT_EQ(a.Close(c), 0);
    EXPECT_GE(absl::Now() - t0, absl::Seconds(1));
    ASSERT_TRUE(b.ifp().impairment().Set(ImpairmentConfig{}).ok());
    b.Close(s);
  }
  b.Close(l);
}

TEST_F(TcpTest, TimeWaitHoldsThe4TupleForTwoMsl) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  SetTcpSysctl(a, abi::kTcpctlMsl, 1);
  const int l = Listener(b, 8004);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8004), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  // a closes first: a ends in TIME_WAIT, b in CLOSED once a's ACK of b's
  // FIN arrives.
  ASSERT_EQ(a.Close(c), 0);
  EXPECT_TRUE(b.RecvAll(s, 1).empty());
  ASSERT_EQ(b.Close(s), 0);
  // a's orphan lives on in TIME_WAIT, then goes.
  EXPECT_EQ(a.inet().tcp_pcbs().size(), 1u);
  EXPECT_TRUE(testing::Eventually([&] {
    return a.inet().tcp_pcbs().size() == 0 && a.inet().tcp().orphans() == 0;
  }));
  b.Close(l);
}

TEST_F(TcpTest, ListenBacklogOverflowDropsSynsUntilAcceptMakesRoom) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  // NetBSD's sonewconn admits a connection while at most 3 * backlog / 2
  // are queued: with a backlog of 2, the fourth still gets in.
  const int l = Listener(b, 8005, /*backlog=*/2);
  std::vector<int> clients;
  for (int i = 0; i < 6; ++i) {
    const int c = a.Socket(abi::kSOCK_STREAM);
    ASSERT_EQ(a.SetNonBlocking(c), 0);
    EXPECT_EQ(a.Connect(c, "10.0.0.2", 8005), abi::kEINPROGRESS);
    clients.push_back(c);
  }
  // Four get in; the others' SYNs are dropped (counted) and retried.
  EXPECT_TRUE(testing::Eventually([&] { return Stat(b, abi::kTcpStatScOverflowed) >= 2; }));
  auto connected = [&] {
    int n = 0;
    for (int c : clients) {
      if (a.Poll(c, abi::kPOLLOUT, 0) & abi::kPOLLOUT) ++n;
    }
    return n;
  };
  EXPECT_TRUE(testing::Eventually([&] { return connected() == 4; }));
  EXPECT_EQ(b.Call(abi::kSysListen, {uint64_t(l), 2}).error, 0);
  EXPECT_LE(connected(), 4);
  // Accepting makes room: every client gets in (SYN retransmission).
  int accepted = 0;
  while (accepted < 6) {
    const int s = b.Accept(l);
    ASSERT_GE(s, 0);
    ++accepted;
  }
  for (int c : clients) {
    EXPECT_EQ(a.Poll(c, abi::kPOLLOUT, 30000) & abi::kPOLLOUT, abi::kPOLLOUT);
    int err = -1;
    EXPECT_EQ(a.GetInt(c, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
    EXPECT_EQ(err, 0);
  }
}

TEST_F(TcpTest, KeepaliveDropsAConnectionWhosePeerVanished) {
  Host a(bus_, "10.0.0.1");
  auto b = std::make_unique<Host>(bus_, "10.0.0.2");
  const int l = Listener(*b, 8006);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.SetInt(c, abi::kSOL_SOCKET, abi::kSO_KEEPALIVE, 1), 0);
  ASSERT_EQ(a.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPIDLE, 1), 0);
  ASSERT_EQ(a.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPINTVL, 1), 0);
  ASSERT_EQ(a.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPCNT, 2), 0);
  // As NetBSD's kernel: the keepalive options are set, not read back, and
  // TCP_NODELAY reads as its flag bit.
  int v = 0;
  EXPECT_EQ(a.GetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPCNT, &v), abi::kENOPROTOOPT);
  EXPECT_EQ(a.GetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPIDLE, &v), abi::kENOPROTOOPT);
  ASSERT_EQ(a.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_NODELAY, 1), 0);
  EXPECT_EQ(a.GetInt(c, abi::kIPPROTO_TCP, abi::kTCP_NODELAY, &v), 0);
  EXPECT_EQ(v, abi::kTF_NODELAY);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8006), 0);
  ASSERT_GE(b->Accept(l), 0);
  // While the peer answers, probes keep the connection up.
  EXPECT_TRUE(testing::Eventually([&] { return Stat(a, abi::kTcpStatKeepprobe) >= 3; }));
  EXPECT_EQ(Stat(a, abi::kTcpStatKeepdrops), 0u);
  // The peer's kernel stops without a word (no FIN, no RST).
  b->kernel().Halt(0);
  int err = 0;
  EXPECT_TRUE(a.RecvAll(c, 1, &err).empty());
  EXPECT_EQ(err, abi::kETIMEDOUT);
  EXPECT_EQ(Stat(a, abi::kTcpStatKeepdrops), 1u);
}

TEST_F(TcpTest, AThousandConcurrentConnections) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8007, 128);
  constexpr int kConns = 1000;
  std::vector<int> servers;
  std::thread acceptor([&] {
    for (int i = 0; i < kConns; ++i) {
      const int s = b.Accept(l);
      if (s < 0) return;
      servers.push_back(s);
    }
  });
  std::vector<int> clients;
  for (int i = 0; i < kConns; ++i) {
    const int c = a.Socket(abi::kSOCK_STREAM);
    ASSERT_GE(c, 0) << i;
    ASSERT_EQ(a.Connect(c, "10.0.0.2", 8007), 0) << i;
    clients.push_back(c);
  }
  acceptor.join();
  ASSERT_EQ(servers.size(), size_t(kConns));
  // Every connection carries its own message, both ways, at once.
  for (int i = 0; i < kConns; ++i) {
    ASSERT_EQ(a.Send(clients[i], Pattern(100, uint32_t(i))), 100);
  }
  std::vector<std::vector<uint8_t>> got(kConns);
  for (int i = 0; i < kConns; ++i) got[i] = b.RecvAll(servers[i], 100);
  // The accept order is the connect order (one client, one at a time).
  for (int i = 0; i < kConns; ++i) EXPECT_TRUE(got[i] == Pattern(100, uint32_t(i))) << i;
  for (int i = 0; i < kConns; ++i) ASSERT_EQ(b.Send(servers[i], {uint8_t(i)}), 1);
  for (int i = 0; i < kConns; ++i) {
    EXPECT_EQ(a.RecvAll(clients[i], 1), std::vector<uint8_t>{uint8_t(i)});
  }
  EXPECT_EQ(a.inet().tcp_pcbs().size(), size_t(kConns));
  for (int c : clients) a.Close(c);
  for (int s : servers) b.Close(s);
}

TEST_F(TcpTest, ReuseAddrBindsAPortWhoseOldConnectionIsInTimeWait) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8008);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8008), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  // The server closes first: its side of the connection is in TIME_WAIT.
  ASSERT_EQ(b.Close(s), 0);
  EXPECT_TRUE(a.RecvAll(c, 1).empty());
  ASSERT_EQ(a.Close(c), 0);
  ASSERT_EQ(b.Close(l), 0);
  EXPECT_TRUE(testing::Eventually([&] { return b.inet().tcp().orphans() == 1u; }));
  // Without SO_REUSEADDR the port is taken; with it, a listener binds.
  const int l2 = b.Socket(abi::kSOCK_STREAM);
  EXPECT_EQ(b.Bind(l2, "0.0.0.0", 8008), abi::kEADDRINUSE);
  const int l3 = b.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(b.SetInt(l3, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1), 0);
  EXPECT_EQ(b.Bind(l3, "0.0.0.0", 8008), 0);
  EXPECT_EQ(b.Listen(l3, 5), 0);
  const int c2 = a.Socket(abi::kSOCK_STREAM);
  EXPECT_EQ(a.Connect(c2, "10.0.0.2", 8008), 0);
  EXPECT_GE(b.Accept(l3), 0);
}

TEST_F(TcpTest, PeekWaitAllAndDontWait) {
  Host a(bus_, "10.0.0.1");
  const int l = Listener(a, 8009);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "127.0.0.1", 8009), 0);
  const int s = a.Accept(l);
  ASSERT_GE(s, 0);
  std::vector<uint8_t> buf;
  EXPECT_EQ(a.RecvFrom(s, &buf, 10, nullptr, nullptr, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  ASSERT_EQ(a.Send(c, {1, 2, 3}), 3);
  EXPECT_EQ(a.RecvFrom(s, &buf, 10, nullptr, nullptr, abi::kMSG_PEEK), 3);
  EXPECT_EQ(buf, (std::vector<uint8_t>{1, 2, 3}));
  std::thread later([&] { EXPECT_EQ(a.Send(c, {4, 5}), 2); });
  // MSG_WAITALL waits for all five.
  EXPECT_EQ(a.RecvFrom(s, &buf, 5, nullptr, nullptr, abi::kMSG_WAITALL), 5);
  later.join();
  EXPECT_EQ(buf, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST_F(TcpTest, ConnectTimesOutToASilentHost) {
  Host a(bus_, "10.0.0.1");
  SetTcpSysctl(a, abi::kTcpctlKeepinit, 2);
  const int c = a.Socket(abi::kSOCK_STREAM);
  // 10.0.0.77 is on the bus's subnet but nobody answers ARP for it.
  EXPECT_EQ(a.Connect(c, "10.0.0.77", 80), abi::kETIMEDOUT);
  EXPECT_EQ(Stat(a, abi::kTcpStatKeeptimeo), 1u);
}

TEST_F(TcpTest, SysctlsHaveNetBsdNamesAndDefaults) {
  Host a(bus_, "10.0.0.1");
  auto get = [&](int leaf) {
    std::string out;
    size_t len = sizeof(int);
    EXPECT_EQ(testing::Sysctl(a.kernel(), {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_TCP, leaf},
                              &out, &len),
              0);
    int v = -1;
    if (out.size() == sizeof(v)) std::memcpy(&v, out.data(), sizeof(v));
    return v;
  };
  EXPECT_EQ(get(abi::kTcpctlSendspace), 32768);
  EXPECT_EQ(get(abi::kTcpctlRecvspace), 32768);
  EXPECT_EQ(get(abi::kTcpctlMssdflt), 536);
  EXPECT_EQ(get(abi::kTcpctlMsl), 30);
  EXPECT_EQ(get(abi::kTcpctlKeepcnt), 8);
  EXPECT_EQ(get(abi::kTcpctlSlowhz), 2);
  EXPECT_EQ(get(abi::kTcpctlRfc1323), 1);
  std::string stats;
  size_t len = 0;
  EXPECT_EQ(testing::Sysctl(a.kernel(),
                            {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_TCP, abi::kTcpctlStats},
                            &stats, &len, /*query_size=*/true),
            0);
  EXPECT_EQ(len, size_t(abi::kTcpStatNStats) * 8);
  // A new socket takes its buffer sizes from sendspace / recvspace.
  SetTcpSysctl(a, abi::kTcpctlRecvspace, 100000);
  const int s = a.Socket(abi::kSOCK_STREAM);
  int v = 0;
  EXPECT_EQ(a.GetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &v), 0);
  EXPECT_EQ(v, 100000);
}

TEST_F(TcpTest, BuffersGrowAutomaticallyUnlessTheUserSetsThem) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int l = Listener(b, 8010);
  const int c = a.Socket(abi::kSOCK_STREAM);
  const int fixed = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.SetInt(fixed, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 32768), 0);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8010), 0);
  ASSERT_EQ(a.Connect(fixed, "10.0.0.2", 8010), 0);
  const int s = b.Accept(l), s2 = b.Accept(l);
  ASSERT_GE(s, 0);
  ASSERT_GE(s2, 0);
  const std::vector<uint8_t> data = Pattern(8 << 20, 4);
  std::vector<uint8_t> got, got2;
  std::thread reader([&] { got = b.RecvAll(s, data.size()); });
  std::thread reader2([&] { got2 = b.RecvAll(s2, data.size()); });
  ASSERT_EQ(a.SendAll(c, data), 0);
  ASSERT_EQ(a.SendAll(fixed, data), 0);
  reader.join();
  reader2.join();
  EXPECT_TRUE(got == data);
  EXPECT_TRUE(got2 == data);
  int snd = 0, rcv = 0, fixed_snd = 0;
  EXPECT_EQ(a.GetInt(c, abi::kSOL_SOCKET, abi::kSO_SNDBUF, &snd), 0);
  EXPECT_EQ(b.GetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &rcv), 0);
  EXPECT_EQ(a.GetInt(fixed, abi::kSOL_SOCKET, abi::kSO_SNDBUF, &fixed_snd), 0);
  EXPECT_GT(snd, 32768);
  EXPECT_LE(snd, int(abi::kSbMaxAdj));
  EXPECT_GT(rcv, 32768);
  EXPECT_LE(rcv, int(abi::kSbMaxAdj));
  EXPECT_EQ(fixed_snd, 32768);
}

// --- RLIMIT_SBSIZE: TCP's buffers charged to processes

// What a TCP socket's buffers cost by default: sendspace + recvspace.
constexpr uint64_t kTcpCharge = 32768 + 32768;

void SetSbsize(Process& p, uint64_t limit) {
  ASSERT_TRUE(p.SetLimit(abi::kRlimitSbsize, abi::Rlimit{limit, limit}, true).ok());
}

// sonewconn charges the listener's process; accept(2) moves the charge to
// the process that accepts; the charges go back when the connection ends.
TEST_F(TcpTest, AcceptChargesTheAcceptingProcess) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  std::shared_ptr<Process> owner = a.kernel().NewProcess(1, "owner");
  // The acceptor shares the owner's descriptors (as after a fork with
  // RFFD_SHARE), so it can accept on the owner's listener.
  std::shared_ptr<Process> acceptor = a.kernel().NewProcess(1, "acceptor", owner->shared_fds());
  a.kernel().BindThread(owner);
  const int l = Listener(a, 8020);
  EXPECT_EQ(owner->sb_account()->used(), kTcpCharge);
  const int c = b.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(b.Connect(c, "10.0.0.1", 8020), 0);
  // The connection waiting on the queue is the listener owner's.
  EXPECT_TRUE(testing::Eventually([&] { return owner->sb_account()->used() == 2 * kTcpCharge; }));
  a.kernel().BindThread(acceptor);
  const int s = a.Accept(l);
  ASSERT_GE(s, 0);
  EXPECT_EQ(owner->sb_account()->used(), kTcpCharge);
  EXPECT_EQ(acceptor->sb_account()->used(), kTcpCharge);
  const std::vector<uint8_t> data = Pattern(100000, 9);
  std::vector<uint8_t> got;
  std::thread reader([&] { got = b.RecvAll(c, data.size()); });
  EXPECT_EQ(a.SendAll(s, data), 0);
  reader.join();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(a.Close(s), 0);
  a.kernel().BindThread(owner);
  EXPECT_EQ(a.Close(l), 0);
  a.kernel().BindThread(nullptr);
  EXPECT_EQ(owner->sb_account()->used(), 0u);
  EXPECT_EQ(b.Close(c), 0);
  // The accepted connection's charge goes back when it has ended.
  EXPECT_TRUE(testing::Eventually([&] { return acceptor->sb_account()->used() == 0; }));
  a.kernel().ReleaseProcess(acceptor->pid());
  a.kernel().ReleaseProcess(owner->pid());
}

// An incoming connection that does not fit its listener's budget is dropped
// as if the queue were full; the peer's retransmitted SYN gets in once the
// budget allows.
TEST_F(TcpTest, AConnectionBeyondTheListenersBudgetWaitsForRoom) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  SetSbsize(a.kernel().init(), kTcpCharge);  // the listener alone
  const int l = Listener(a, 8021);
  const int c = b.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(b.SetNonBlocking(c), 0);
  EXPECT_EQ(b.Connect(c, "10.0.0.1", 8021), abi::kEINPROGRESS);
  // The SYN reached a and was dropped (counted as a queue overflow): no
  // connection queued, nothing more charged.
  EXPECT_TRUE(testing::Eventually([&] { return Stat(a, abi::kTcpStatScOverflowed) > 0; }));
  EXPECT_EQ(a.Poll(l, abi::kPOLLIN, 0), 0);
  EXPECT_EQ(a.kernel().init().sb_account()->used(), kTcpCharge);
  SetSbsize(a.kernel().init(), 2 * kTcpCharge);
  const int s = a.Accept(l);
  ASSERT_GE(s, 0);
  EXPECT_EQ(a.kernel().init().sb_account()->used(), 2 * kTcpCharge);
  EXPECT_EQ(b.Poll(c, abi::kPOLLOUT, -1) & abi::kPOLLOUT, abi::kPOLLOUT);
  EXPECT_EQ(a.Close(s), 0);
  EXPECT_EQ(a.Close(l), 0);
  EXPECT_EQ(b.Close(c), 0);
  EXPECT_TRUE(
      testing::Eventually([&] { return a.kernel().init().sb_account()->used() == 0; }));
}

// Automatic sizing grows the buffers up to the budget and stops there
// without an error; the data still arrives whole.
TEST_F(TcpTest, AutomaticSizingStopsAtTheBudget) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  constexpr uint64_t kRoom = 16384;  // beyond the default buffers
  SetSbsize(a.kernel().init(), kTcpCharge + kRoom);      // the sender's socket
  SetSbsize(b.kernel().init(), 2 * kTcpCharge + kRoom);  // listener + connection
  const int l = Listener(b, 8022);
  const int c = a.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(a.Connect(c, "10.0.0.2", 8022), 0);
  const int s = b.Accept(l);
  ASSERT_GE(s, 0);
  const std::vector<uint8_t> data = Pattern(4 << 20, 5);
  std::vector<uint8_t> got;
  std::thread reader([&] { got = b.RecvAll(s, data.size()); });
  EXPECT_EQ(a.SendAll(c, data), 0);
  reader.join();
  EXPECT_TRUE(got == data);
  int snd = 0, rcv = 0;
  EXPECT_EQ(a.GetInt(c, abi::kSOL_SOCKET, abi::kSO_SNDBUF, &snd), 0);
  EXPECT_EQ(b.GetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &rcv), 0);
  EXPECT_GT(snd, 32768);  // it grew...
  EXPECT_LE(snd, int(32768 + kRoom));  // ...within the budget
  EXPECT_GT(rcv, 32768);
  EXPECT_LE(rcv, int(32768 + kRoom));
  EXPECT_LE(a.kernel().init().sb_account()->used(), kTcpCharge + kRoom);
  EXPECT_LE(b.kernel().init().sb_account()->used(), 2 * kTcpCharge + kRoom);
  // The sockets still work after the growth stopped.
  const std::vector<uint8_t> back = {'o', 'k'};
  ASSERT_EQ(b.Send(s, back), 2);
  EXPECT_EQ(a.RecvAll(c, 2), back);
  EXPECT_EQ(a.Close(c), 0);
  EXPECT_EQ(b.Close(s), 0);
  EXPECT_EQ(b.Close(l), 0);
  EXPECT_TRUE(testing::Eventually([&] {
    return a.kernel().init().sb_account()->used() == 0 &&
           b.kernel().init().sb_account()->used() == 0;
  }));
}

// The charge of a closed connection goes back when it ends: entering
// TIME_WAIT (the side that closed first), CLOSED (the other), or a RST.
TEST_F(TcpTest, ClosedConnectionsGiveTheirChargeBackWhenTheyEnd) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  SetTcpSysctl(a, abi::kTcpctlMsl, 30);  // TIME_WAIT outlasts the test
  Process& pa = a.kernel().init();
  Process& pb = b.kernel().init();
  const int l = Listener(b, 8023);
  const uint64_t listener = pb.sb_account()->used();
  for (const bool reset : {false, true}) {
    const int c = a.Socket(abi::kSOCK_STREAM);
    ASSERT_EQ(a.Connect(c, "10.0.0.2", 8023), 0);
    const int s = b.Accept(l);
    ASSERT_GE(s, 0);
    ASSERT_EQ(a.Send(c, std::vector<uint8_t>(1000, 'x')), 1000);
    EXPECT_EQ(b.RecvAll(s, 1000).size(), 1000u);
    EXPECT_EQ(pa.sb_account()->used(), kTcpCharge);
    if (reset) {
      uint8_t linger[8] = {};
      const int32_t on = 1;
      std::memcpy(linger, &on, 4);
      ASSERT_EQ(a.Call(abi::kSysSetsockopt, {uint64_t(c), uint64_t(abi::kSOL_SOCKET),
                                             uint64_t(abi::kSO_LINGER), testing::P(linger), 8})
                    .error,
                0);
    }
    ASSERT_EQ(a.Close(c), 0);
    if (!reset) {
      // a's orphan goes through FIN_WAIT to TIME_WAIT once b closes too.
      EXPECT_TRUE(b.RecvAll(s, 1).empty());
    }
    ASSERT_EQ(b.Close(s), 0);
    EXPECT_TRUE(testing::Eventually([&] { return pa.sb_account()->used() == 0; }));
    EXPECT_TRUE(testing::Eventually([&] { return pb.sb_account()->used() == listener; }));
    if (!reset) {
      EXPECT_EQ(a.inet().tcp().orphans(), 1u);  // still in TIME_WAIT, uncharged
    }
  }
  EXPECT_EQ(b.Close(l), 0);
  EXPECT_EQ(pb.sb_account()->used(), 0u);
}

}  // namespace
}  // namespace rump
