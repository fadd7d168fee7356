// TCP between two kernels in two processes on one shmif bus: each test
// forks a responder process (its own kernel at 10.0.9.2) before the test's
// kernel (10.0.9.1) exists, and stops it by PID at the end.
//
// The responder's services:
//   port 7   echo: each connection is served in turn, echoing until end of
//            file, then closed
//   port 8   half-close: reads until the client's FIN, answers the count as
//            8 bytes, then sends 1 MiB of pattern and closes
//   port 9   1000 connections: accepts kConns connections, then for each in
//            order reads 100 bytes and sends them back
//   port 10  a listener with backlog 1 that accepts only when a byte
//            arrives on a pipe from the test
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"
#include "rump/kern/process.h"
#include "rump/netinet/inet_testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::ScratchDir;

constexpr int kConns = 1000;

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 7;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    v[i] = uint8_t(x >> 16);
  }
  return v;
}

int Listen(Host& h, uint16_t port, int backlog) {
  const int fd = h.Socket(abi::kSOCK_STREAM);
  if (fd < 0 || h.Bind(fd, "0.0.0.0", port) != 0 || h.Listen(fd, backlog) != 0) return -1;
  return fd;
}

[[noreturn]] void Responder(const std::string& bus, int ready_fd, int go_fd) {
  Host h(bus, "10.0.9.2");
  const int echo = Listen(h, 7, 16), half = Listen(h, 8, 16), many = Listen(h, 9, 128),
            slow = Listen(h, 10, 1);
  if (echo < 0 || half < 0 || many < 0 || slow < 0) _exit(1);
  std::thread([&] {
    for (;;) {
      const int s = h.Accept(echo);
      if (s < 0) return;
      for (;;) {
        std::vector<uint8_t> buf;
        const int64_t n = h.RecvFrom(s, &buf, 65536);
        if (n <= 0 || h.SendAll(s, buf) != 0) break;
      }
      h.Close(s);
    }
  }).detach();
  std::thread([&] {
    for (;;) {
      const int s = h.Accept(half);
      if (s < 0) return;
      const uint64_t n = h.RecvAll(s, size_t(1) << 30).size();
      std::vector<uint8_t> count(8);
      std::memcpy(count.data(), &n, 8);
      h.SendAll(s, count);
      h.SendAll(s, Pattern(1 << 20, 8));
      h.Close(s);
    }
  }).detach();
  std::thread([&] {
    std::vector<int> conns;
    for (int i = 0; i < kConns; ++i) {
      const int s = h.Accept(many);
      if (s < 0) return;
      conns.push_back(s);
    }
    for (int s : conns) {
      std::vector<uint8_t> got = h.RecvAll(s, 100);
      h.SendAll(s, got);
    }
  }).detach();
  std::thread([&] {
    char c;
    while (read(go_fd, &c, 1) == 1) {
      if (h.Accept(slow) < 0) return;
    }
  }).detach();
  (void)!write(ready_fd, "r", 1);
  for (;;) pause();  // until the test kills us
}

class TcpTwoProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int ready[2], go[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(go), 0);
    child_ = fork();  // before this process has a kernel (or any thread)
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(ready[0]);
      close(go[1]);
      Responder(bus_, ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    go_ = go[1];
    char c;
    ASSERT_EQ(read(ready[0], &c, 1), 1) << "the responder did not start";
    close(ready[0]);
    host_ = std::make_unique<Host>(bus_, "10.0.9.1");
  }
  void TearDown() override {
    host_.reset();
    StopResponder();
    if (go_ >= 0) close(go_);
  }
  void StopResponder() {
    if (child_ > 0) {
      kill(child_, SIGKILL);
      int status;
      waitpid(child_, &status, 0);
      child_ = -1;
    }
  }
  int Connect(uint16_t port) {
    const int c = host_->Socket(abi::kSOCK_STREAM);
    EXPECT_GE(c, 0);
    EXPECT_EQ(host_->Connect(c, "10.0.9.2", port), 0);
    return c;
  }

  ScratchDir dir_;
  std::string bus_ = dir_.path() + "/bus";
  pid_t child_ = -1;
  int go_ = -1;
  std::unique_ptr<Host> host_;
};

TEST_F(TcpTwoProcessTest, ConnectAcceptEcho) {
  Host& h = *host_;
  const int c = Connect(7);
  for (size_t size : {size_t{1}, size_t{1000}, size_t{100000}}) {
    const std::vector<uint8_t> msg = Pattern(size, uint32_t(size));
    ASSERT_EQ(h.SendAll(c, msg), 0);
    EXPECT_TRUE(h.RecvAll(c, size) == msg) << size;
  }
  ASSERT_EQ(h.Shutdown(c, abi::kSHUT_WR), 0);
  EXPECT_TRUE(h.RecvAll(c, 1).empty());  // the responder closes after our FIN
  h.Close(c);
}

TEST_F(TcpTwoProcessTest, HalfCloseBothWays) {
  Host& h = *host_;
  const int c = Connect(8);
  const std::vector<uint8_t> up = Pattern(3 << 20, 1);
  ASSERT_EQ(h.SendAll(c, up), 0);
  ASSERT_EQ(h.Shutdown(c, abi::kSHUT_WR), 0);
  EXPECT_EQ(h.Send(c, {1}), -abi::kEPIPE);
  std::vector<uint8_t> count = h.RecvAll(c, 8);
  ASSERT_EQ(count.size(), 8u);
  uint64_t n = 0;
  std::memcpy(&n, count.data(), 8);
  EXPECT_EQ(n, up.size());
  // Our direction is closed; theirs still carries a mebibyte, then its FIN.
  EXPECT_TRUE(h.RecvAll(c, 2 << 20) == Pattern(1 << 20, 8));
  h.Close(c);
}

TEST_F(TcpTwoProcessTest, ClosedPortIsRefused) {
  Host& h = *host_;
  const int c = h.Socket(abi::kSOCK_STREAM);
  EXPECT_EQ(h.Connect(c, "10.0.9.2", 4444), abi::kECONNREFUSED);
}

TEST_F(TcpTwoProcessTest, AThousandConcurrentConnections) {
  Host& h = *host_;
  std::vector<int> cs;
  // A process holds 1024 descriptors: the second half of the connections
  // belongs to a second process of the test's kernel.
  std::shared_ptr<Process> more = h.kernel().NewProcess(1, "more", nullptr);
  for (int i = 0; i < kConns; ++i) {
    if (i == kConns / 2) h.kernel().BindThread(more);
    const int c = h.Socket(abi::kSOCK_STREAM);
    ASSERT_GE(c, 0) << i;
    ASSERT_EQ(h.Connect(c, "10.0.9.2", 9), 0) << i;
    cs.push_back(c);
  }
  // The responder reads connection i in accept order, which is our
  // connect order: each must get its own 100 bytes back.
  h.kernel().BindThread(nullptr);
  for (int i = 0; i < kConns; ++i) {
    if (i == kConns / 2) h.kernel().BindThread(more);
    ASSERT_EQ(h.Send(cs[i], Pattern(100, uint32_t(i))), 100) << i;
  }
  h.kernel().BindThread(nullptr);
  for (int i = 0; i < kConns; ++i) {
    if (i == kConns / 2) h.kernel().BindThread(more);
    EXPECT_TRUE(h.RecvAll(cs[i], 100) == Pattern(100, uint32_t(i))) << i;
  }
  h.kernel().BindThread(nullptr);
}

TEST_F(TcpTwoProcessTest, ListenBacklogOverflow) {
  Host& h = *host_;
  // Backlog 1: NetBSD admits while at most 3 * 1 / 2 = 1 is queued, so two
  // connections get in; the third waits (its SYNs are dropped) until the
  // responder accepts.
  std::vector<int> cs;
  for (int i = 0; i < 3; ++i) {
    const int c = h.Socket(abi::kSOCK_STREAM);
    ASSERT_EQ(h.SetNonBlocking(c), 0);
    EXPECT_EQ(h.Connect(c, "10.0.9.2", 10), abi::kEINPROGRESS);
    cs.push_back(c);
  }
  auto connected = [&] {
    int n = 0;
    for (int c : cs) n += (h.Poll(c, abi::kPOLLOUT, 0) & abi::kPOLLOUT) ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(testing::Eventually([&] { return connected() == 2; }));
  // Our third SYN was retransmitted at least once without an answer.
  EXPECT_TRUE(testing::Eventually(
      [&] { return h.inet().tcp().stats().Get(abi::kTcpStatRexmttimeo) >= 1; }));
  EXPECT_EQ(connected(), 2);
  ASSERT_EQ(write(go_, "a", 1), 1);  // the responder accepts one
  EXPECT_TRUE(testing::Eventually([&] { return connected() == 3; }));
}

TEST_F(TcpTwoProcessTest, KeepaliveNoticesThePeerProcessDied) {
  Host& h = *host_;
  const int c = h.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(h.SetInt(c, abi::kSOL_SOCKET, abi::kSO_KEEPALIVE, 1), 0);
  ASSERT_EQ(h.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPIDLE, 1), 0);
  ASSERT_EQ(h.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPINTVL, 1), 0);
  ASSERT_EQ(h.SetInt(c, abi::kIPPROTO_TCP, abi::kTCP_KEEPCNT, 3), 0);
  ASSERT_EQ(h.Connect(c, "10.0.9.2", 7), 0);
  // SIGKILL: the peer's kernel sends neither FIN nor RST.
  StopResponder();
  int err = 0;
  EXPECT_TRUE(h.RecvAll(c, 1, &err).empty());
  EXPECT_EQ(err, abi::kETIMEDOUT);
  EXPECT_EQ(h.inet().tcp().stats().Get(abi::kTcpStatKeepdrops), 1u);
}

}  // namespace
}  // namespace rump
