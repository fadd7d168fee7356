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
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/tcp.h"
#include "rump/net/testing.h"
#include "rump/netinet/inet_testing.h"
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
  EXPECT_EQ(a.Connect(d, "10.0.0.2", 4), abi::kEINPROGRESS);
  EXPECT_NE(a.Poll(d, abi::kPOLLOUT, 10000), 0);
  EXPECT_EQ(a.GetInt(d, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, abi::kECONNREFUSED);
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
  EXPECT_TRUE(testing::Eventually([&] { return a.inet().tcp_pcbs().size() == 0; }));
  EXPECT_EQ(a.inet().tcp().orphans(), 0u);
  b.Close(l);
}

}  // namespace
}  // namespace rump
