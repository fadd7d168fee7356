// The generic socket layer and the socket system calls, with a fake datagram
// protocol (FakeSocket) standing in for UDP: the receive queue and its byte
// limit, drops, MSG_PEEK / MSG_TRUNC / MSG_DONTWAIT, O_NONBLOCK, SO_RCVTIMEO,
// wake-ups (datagram, SHUT_RD, close, interrupt), SO_ERROR, option sizes
// and values, the msghdr / sockaddr / socklen_t handling of every socket
// call, readiness for poll, and EBADF / ENOTSOCK.
#include "rump/net/socket.h"

#include <arpa/inet.h>

#include <cstring>
#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/resource.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Buf;
using testing::Eventually;
using testing::P;

// A datagram protocol that records what it is asked to do and, when
// `loop` is set, delivers what it sends to itself.
class FakeSocket final : public Socket {
 public:
  static constexpr size_t kSendSpace = 9216;
  static constexpr size_t kRecvSpace = 1000;

  FakeSocket(NetStack& net, int domain, int type, int protocol, int flags)
      : Socket(net, domain, type, protocol, flags) {
    SetBufferLimits(kSendSpace, kRecvSpace);
  }

  struct Sent {
    std::string to, data, control;
    int flags;
  };
  std::mutex mu;
  std::string bound, peer;
  std::vector<Sent> sent;
  bool loop = false;
  int detached = 0;
  int ip_opt = 7;
  std::vector<std::pair<int, int>> options_seen;

  void Deliver(size_t n, const std::string& from = std::string(16, 'f'), char fill = 'x') {
    Datagram d;
    d.from = from;
    d.data.assign(n, uint8_t(fill));
    DeliverDatagram(std::move(d));
  }

 protected:
  absl::Status ProtoBind(const Credentials&, absl::Span<const uint8_t> addr) override {
    if (addr[1] != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);
    std::lock_guard<std::mutex> l(mu);
    bound.assign(addr.begin(), addr.end());
    return absl::OkStatus();
  }
  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override {
    if (addr[1] != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);
    std::lock_guard<std::mutex> l(mu);
    peer.assign(addr.begin(), addr.end());
    return absl::OkStatus();
  }
  absl::Status ProtoDisconnect() override {
    std::lock_guard<std::mutex> l(mu);
    if (peer.empty()) return abi::Errno(abi::kENOTCONN);
    peer.clear();
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> ProtoSend(const SendRequest& req) override {
    bool self;
    std::string from;
    {
      std::lock_guard<std::mutex> l(mu);
      if (req.to.empty() && peer.empty()) return abi::Errno(abi::kEDESTADDRREQ);
      sent.push_back(Sent{std::string(req.to.begin(), req.to.end()),
                          std::string(req.data.begin(), req.data.end()),
                          std::string(req.control.begin(), req.control.end()), req.flags});
      self = loop;
      from = bound;
    }
    if (self) {
      Datagram d;
      d.from = from;
      d.data.assign(req.data.begin(), req.data.end());
      d.control.assign(req.control.begin(), req.control.end());
      DeliverDatagram(std::move(d));
    }
    return req.data.size();
  }
  absl::StatusOr<std::string> ProtoSockName() const override {
    std::lock_guard<std::mutex> l(const_cast<std::mutex&>(mu));
    if (bound.empty()) {
      std::string s(16, '\0');
      s[0] = 16;
      s[1] = abi::kAF_INET;
      return s;
    }
    return bound;
  }
  absl::StatusOr<std::string> ProtoPeerName() const override {
    std::lock_guard<std::mutex> l(const_cast<std::mutex&>(mu));
    if (peer.empty()) return abi::Errno(abi::kENOTCONN);
    return peer;
  }
  absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> v) override {
    std::lock_guard<std::mutex> l(mu);
    options_seen.push_back({level, name});
    if (level == abi::kIPPROTO_IP && name == 1 && v.size() == 4) {
      std::memcpy(&ip_opt, v.data(), 4);
      return absl::OkStatus();
    }
    return abi::Errno(abi::kENOPROTOOPT);
  }
  absl::StatusOr<std::string> ProtoGetOption(int level, int name) override {
    std::lock_guard<std::mutex> l(mu);
    if (level == abi::kIPPROTO_IP && name == 1) {
      return std::string(reinterpret_cast<const char*>(&ip_opt), 4);
    }
    return abi::Errno(abi::kENOPROTOOPT);
  }
  void ProtoDetach() override {
    std::lock_guard<std::mutex> l(mu);
    ++detached;
  }
};

// A sockaddr_in for 10.0.0.<host>:<port>.
std::vector<uint8_t> Sin(int host, int port, uint8_t len = 16) {
  std::vector<uint8_t> s(16, 0);
  s[0] = len;
  s[1] = abi::kAF_INET;
  const uint16_t p = htons(uint16_t(port));
  std::memcpy(&s[2], &p, 2);
  s[4] = 10;
  s[7] = uint8_t(host);
  return s;
}

struct Timeval {
  int64_t sec;
  int32_t usec;
  int32_t pad;
};
static_assert(sizeof(Timeval) == abi::kTimevalSize);

struct MsgHdr {  // NetBSD amd64 layout
  uint64_t name;
  uint32_t namelen;
  uint32_t pad0;
  uint64_t iov;
  int32_t iovlen;
  uint32_t pad1;
  uint64_t control;
  uint32_t controllen;
  int32_t flags;
};
static_assert(sizeof(MsgHdr) == abi::kMsghdrSize);
static_assert(offsetof(MsgHdr, namelen) == abi::kMsgNamelenOff);
static_assert(offsetof(MsgHdr, iovlen) == abi::kMsgIovlenOff);
static_assert(offsetof(MsgHdr, controllen) == abi::kMsgControllenOff);
static_assert(offsetof(MsgHdr, flags) == abi::kMsgFlagsOff);

struct IoVec {
  uint64_t base;
  uint64_t len;
};

class SocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelOptions o;
    o.components.push_back([] { return std::make_unique<NetStack>(); });
    auto k = Kernel::Boot(std::move(o));
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
    net_ = k_->Find<NetStack>();
    AddressFamily inet;  // a stand-in for AF_INET whose sockets are FakeSockets
    inet.family = abi::kAF_INET;
    inet.socket_factory = [](NetStack& net, int domain, int type, int protocol,
                             int flags) -> absl::StatusOr<std::shared_ptr<Socket>> {
      if (type != abi::kSOCK_DGRAM && type != abi::kSOCK_STREAM) {
        return abi::Errno(abi::kEPROTONOSUPPORT);
      }
      return std::make_shared<FakeSocket>(net, domain, type, protocol, flags);
    };
    ASSERT_TRUE(net_->RegisterFamily(std::move(inet)).ok());
    fd_ = NewSocket(&so_);
  }

  int NewSocket(std::shared_ptr<FakeSocket>* out, uint32_t type = abi::kSOCK_DGRAM,
                Process* p = nullptr) {
    const uint64_t args[] = {abi::kAF_INET, type, 0};
    SyscallResult r = p ? k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSocket, args)
                        : k_->Syscall(abi::kSysSocket, args);
    EXPECT_EQ(r.error, 0);
    auto f = (p ? *p : k_->init()).fds().Get(int(r.rv0));
    EXPECT_TRUE(f.ok());
    *out = std::dynamic_pointer_cast<FakeSocket>(*f);
    EXPECT_NE(*out, nullptr);
    return int(r.rv0);
  }

  SyscallResult Call(int number, std::initializer_list<uint64_t> args) {
    return k_->Syscall(number, std::vector<uint64_t>(args));
  }

  // setsockopt with `value` at the start of a buffer of `len` bytes.
  int SetInt(int fd, int level, int name, int value, uint32_t len = 4) {
    std::vector<uint8_t> buf(std::max<uint32_t>(len, 4), 0);
    std::memcpy(buf.data(), &value, 4);
    return Call(abi::kSysSetsockopt,
                {uint64_t(fd), uint64_t(uint32_t(level)), uint64_t(name), P(buf.data()), len})
        .error;
  }
  // getsockopt into an int; *len in/out.
  int GetInt(int fd, int level, int name, int* value, uint32_t* len) {
    return Call(abi::kSysGetsockopt,
                {uint64_t(fd), uint64_t(uint32_t(level)), uint64_t(name), P(value), P(len)})
        .error;
  }
  int GetInt(int fd, int name) {
    int v = -1;
    uint32_t len = 4;
    EXPECT_EQ(GetInt(fd, abi::kSOL_SOCKET, name, &v, &len), 0) << name;
    EXPECT_EQ(len, 4u);
    return v;
  }
  // recvfrom into `buf`; returns -errno or the byte count.
  int64_t Recvfrom(int fd, void* buf, size_t len, int flags, void* from = nullptr,
                   uint32_t* fromlen = nullptr) {
    SyscallResult r =
        Call(abi::kSysRecvfrom, {uint64_t(fd), P(buf), len, uint64_t(flags), P(from), P(fromlen)});
    return r.error ? -r.error : r.rv0;
  }
  SyscallContext Ctx() { return SyscallContext{*k_, k_->init(), DirectUserMemory::Get()}; }

  std::unique_ptr<Kernel> k_;
  NetStack* net_ = nullptr;
  std::shared_ptr<FakeSocket> so_;
  int fd_ = -1;
};

TEST_F(SocketTest, ReceiveQueueChargesAgainstRcvbufAndCountsDrops) {
  // 100 bytes of data + a 16-byte address = 116 charged; 8 fit in 1000.
  for (int i = 0; i < 8; ++i) so_->Deliver(100);
  EXPECT_EQ(so_->receive_queue_bytes(), 928u);
  EXPECT_EQ(so_->receive_drops(), 0u);
  so_->Deliver(100);
  EXPECT_EQ(so_->receive_drops(), 1u);
  EXPECT_EQ(GetInt(fd_, abi::kSO_OVERFLOWED), 1);
  so_->Deliver(56);  // 72 bytes still fit exactly
  EXPECT_EQ(so_->receive_queue_bytes(), 1000u);
  so_->Deliver(0, "");  // charges nothing, so it still fits
  EXPECT_EQ(so_->receive_drops(), 1u);
  // FIONREAD: NetBSD's sb_cc, addresses included.
  int n = -1;
  EXPECT_EQ(testing::Ioctl(*k_, fd_, abi::kFIONREAD, P(&n)), 0);
  EXPECT_EQ(n, 1000);
  char buf[200];
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 100);
  EXPECT_EQ(so_->receive_queue_bytes(), 1000u - 116);
  so_->Deliver(100);
  EXPECT_EQ(so_->receive_drops(), 1u);
  // A bigger SO_RCVBUF makes room; a smaller one drops everything new.
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 100), 0);
  so_->Deliver(1);
  EXPECT_EQ(so_->receive_drops(), 2u);
  EXPECT_EQ(so_->recv_buffer_limit(), 100u);
}

TEST_F(SocketTest, PeekLeavesTheDatagramTruncationSetsMsgTrunc) {
  Datagram d;
  d.from = std::string(reinterpret_cast<const char*>(Sin(9, 53).data()), 16);
  for (int i = 0; i < 20; ++i) d.data.push_back(uint8_t('a' + i));
  ASSERT_TRUE(so_->DeliverDatagram(d));
  char buf[10] = {};
  uint8_t from[16] = {};
  uint32_t fromlen = sizeof(from);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_PEEK, from, &fromlen), 10);
  EXPECT_EQ(std::string(buf, 10), "abcdefghij");
  EXPECT_EQ(fromlen, 16u);
  EXPECT_EQ(from[7], 9);
  // recvmsg: the rest of the datagram is dropped and MSG_TRUNC reported.
  char a[4], b[3];
  IoVec iov[2] = {{P(a), sizeof(a)}, {P(b), sizeof(b)}};
  MsgHdr m{};
  m.iov = P(iov);
  m.iovlen = 2;
  m.flags = 0x7fff;  // ignored on input
  SyscallResult r = Call(abi::kSysRecvmsg, {uint64_t(fd_), P(&m), 0});
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 7);
  EXPECT_EQ(std::string(a, 4) + std::string(b, 3), "abcdefg");
  EXPECT_EQ(m.flags, abi::kMSG_TRUNC);
  EXPECT_EQ(so_->receive_queue_bytes(), 0u);
  // MSG_PEEK with a short buffer reports MSG_TRUNC too (NetBSD does).
  so_->Deliver(5);
  m.iovlen = 1;
  r = Call(abi::kSysRecvmsg, {uint64_t(fd_), P(&m), abi::kMSG_PEEK});
  EXPECT_EQ(r.rv0, 4);
  EXPECT_EQ(m.flags, abi::kMSG_PEEK | abi::kMSG_TRUNC);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 5);
}

TEST_F(SocketTest, NonblockingReceivesFailWithEagain) {
  char buf[8];
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  EXPECT_EQ(abi::kEAGAIN, 35);
  int on = 1;
  EXPECT_EQ(testing::Ioctl(*k_, fd_, abi::kFIONBIO, P(&on)), 0);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), -abi::kEAGAIN);
  EXPECT_EQ(Call(abi::kSysRead, {uint64_t(fd_), P(buf), sizeof(buf)}).error, abi::kEAGAIN);
  on = 0;
  EXPECT_EQ(testing::Ioctl(*k_, fd_, abi::kFIONBIO, P(&on)), 0);
  // SOCK_NONBLOCK at creation.
  std::shared_ptr<FakeSocket> nb;
  const int fd = NewSocket(&nb, abi::kSOCK_DGRAM | abi::kSOCK_NONBLOCK);
  EXPECT_EQ(Recvfrom(fd, buf, sizeof(buf), 0), -abi::kEAGAIN);
  nb->Deliver(3);
  EXPECT_EQ(Recvfrom(fd, buf, sizeof(buf), 0), 3);
}

TEST_F(SocketTest, RcvtimeoEndsABlockedReceiveWithEagain) {
  Timeval tv{0, 50000, 0};
  ASSERT_EQ(Call(abi::kSysSetsockopt,
                 {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_RCVTIMEO, P(&tv), sizeof(tv)})
                .error,
            0);
  char buf[8];
  const absl::Time start = absl::Now();
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), -abi::kEAGAIN);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  // A datagram arriving during the wait is returned instead.
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the receive sleeps
    so_->Deliver(6);
  });
  tv = {30, 0, 0};
  Call(abi::kSysSetsockopt,
       {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_RCVTIMEO, P(&tv), sizeof(tv)});
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 6);
  t.join();
}

TEST_F(SocketTest, TimeoutOptionsAreKeptInTicks) {
  Timeval tv{2, 345678, 0};
  auto set = [&](int name, uint32_t len = sizeof(Timeval)) {
    return Call(abi::kSysSetsockopt, {uint64_t(fd_), abi::kSOL_SOCKET, uint64_t(name), P(&tv), len})
        .error;
  };
  EXPECT_EQ(set(abi::kSO_SNDTIMEO), 0);
  Timeval out{-1, -1, 0};
  uint32_t len = sizeof(out);
  ASSERT_EQ(Call(abi::kSysGetsockopt,
                 {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_SNDTIMEO, P(&out), P(&len)})
                .error,
            0);
  EXPECT_EQ(len, 16u);
  EXPECT_EQ(out.sec, 2);
  EXPECT_EQ(out.usec, 340000);  // rounded down to 10 ms
  tv = {0, 1, 0};               // rounds up to one tick rather than to "no timeout"
  EXPECT_EQ(set(abi::kSO_RCVTIMEO), 0);
  ASSERT_EQ(Call(abi::kSysGetsockopt,
                 {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_RCVTIMEO, P(&out), P(&len)})
                .error,
            0);
  EXPECT_EQ(out.sec, 0);
  EXPECT_EQ(out.usec, 10000);
  tv = {0, 1000000, 0};
  EXPECT_EQ(set(abi::kSO_RCVTIMEO), abi::kEDOM);
  tv = {-1, 0, 0};
  EXPECT_EQ(set(abi::kSO_RCVTIMEO), abi::kEDOM);
  tv = {int64_t{1} << 40, 0, 0};
  EXPECT_EQ(set(abi::kSO_RCVTIMEO), abi::kEDOM);
  tv = {1, 0, 0};
  EXPECT_EQ(set(abi::kSO_RCVTIMEO, 8), abi::kEINVAL);  // a Linux-sized timeval
}

TEST_F(SocketTest, ShutdownForReadingWakesABlockedReaderWithEndOfFile) {
  so_->Deliver(4);
  auto reader = std::async(std::launch::async, [&] {
    char buf[8];
    return Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_PEEK) == 4 &&
                   Recvfrom(fd_, buf, sizeof(buf), 0) == 4
               ? Recvfrom(fd_, buf, sizeof(buf), 0)
               : -1000;
  });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the reader sleeps
  EXPECT_EQ(Call(abi::kSysShutdown, {uint64_t(fd_), abi::kSHUT_RD}).error, 0);
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(reader.get(), 0);
  // Later datagrams are dropped; reads keep returning 0.
  so_->Deliver(4);
  EXPECT_EQ(so_->receive_drops(), 1u);
  char buf[8];
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 0);
  EXPECT_EQ(Call(abi::kSysShutdown, {uint64_t(fd_), 3}).error, abi::kEINVAL);
}

TEST_F(SocketTest, CloseWakesABlockedReader) {
  auto reader = std::async(std::launch::async, [&] {
    char buf[8];
    return Recvfrom(fd_, buf, sizeof(buf), 0);
  });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the reader sleeps
  EXPECT_EQ(Call(abi::kSysClose, {uint64_t(fd_)}).error, 0);
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  const int64_t r = reader.get();
  // Closed under the sleeping reader: EBADF.
  EXPECT_EQ(r, -abi::kEBADF);
  EXPECT_EQ(so_->detached, 1);
  so_->Deliver(4);  // a late delivery is harmless
  EXPECT_EQ(so_->receive_queue_bytes(), 0u);
}

TEST_F(SocketTest, InterruptWakesABlockedReaderWithEintr) {
  std::shared_ptr<Process> p = k_->NewProcess(1, "reader");
  std::shared_ptr<FakeSocket> so;
  const int fd = NewSocket(&so, abi::kSOCK_DGRAM, p.get());
  // Three threads of the process asleep on the same socket (one lock).
  std::vector<std::future<int>> readers;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(std::async(std::launch::async, [&] {
      char buf[8];
      const uint64_t args[] = {uint64_t(fd), P(buf), sizeof(buf), 0, 0, 0};
      return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysRecvfrom, args).error;
    }));
  }
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 3; }));  // all three sleep
  p->Interrupt();
  for (auto& reader : readers) {
    ASSERT_EQ(reader.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_EQ(reader.get(), abi::kEINTR);
  }
  // A non-blocking receive is not a sleep: still EAGAIN.
  char buf[8];
  const uint64_t args[] = {uint64_t(fd), P(buf), sizeof(buf), abi::kMSG_DONTWAIT, 0, 0};
  EXPECT_EQ(k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysRecvfrom, args).error, abi::kEAGAIN);
  // The socket itself is unaffected: a datagram still queues.
  so->Deliver(1);
  EXPECT_EQ(so->receive_queue_bytes(), 17u);
}

TEST_F(SocketTest, SoErrorIsReturnedOnceByGetsockoptRecvAndSend) {
  so_->SetError(abi::kECONNREFUSED);
  EXPECT_EQ(GetInt(fd_, abi::kSO_ERROR), abi::kECONNREFUSED);
  EXPECT_EQ(GetInt(fd_, abi::kSO_ERROR), 0);  // reading cleared it

  so_->SetError(abi::kECONNREFUSED);
  char buf[8];
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_PEEK), -abi::kECONNREFUSED);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), -abi::kECONNREFUSED);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_DONTWAIT), -abi::kEAGAIN);

  // A queued datagram comes before the error.
  so_->Deliver(2);
  so_->SetError(abi::kEHOSTUNREACH);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 2);
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), -abi::kEHOSTUNREACH);

  // Send: the pending error first, then the send goes through.
  std::vector<uint8_t> to = Sin(1, 7);
  so_->SetError(abi::kECONNREFUSED);
  SyscallResult r = Call(abi::kSysSendto, {uint64_t(fd_), P(buf), 3, 0, P(to.data()), to.size()});
  EXPECT_EQ(r.error, abi::kECONNREFUSED);
  r = Call(abi::kSysSendto, {uint64_t(fd_), P(buf), 3, 0, P(to.data()), to.size()});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 3);

  // An error wakes a blocked reader.
  auto reader = std::async(std::launch::async, [&] { return Recvfrom(fd_, buf, sizeof(buf), 0); });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the reader sleeps
  so_->SetError(abi::kENETUNREACH);
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(reader.get(), -abi::kENETUNREACH);
}

TEST_F(SocketTest, SocketOptionsHaveNetbsdSizesAndValues) {
  EXPECT_EQ(GetInt(fd_, abi::kSO_TYPE), abi::kSOCK_DGRAM);
  EXPECT_EQ(GetInt(fd_, abi::kSO_REUSEADDR), 0);
  EXPECT_EQ(GetInt(fd_, abi::kSO_SNDBUF), int(FakeSocket::kSendSpace));
  EXPECT_EQ(GetInt(fd_, abi::kSO_RCVBUF), int(FakeSocket::kRecvSpace));
  EXPECT_EQ(GetInt(fd_, abi::kSO_RCVLOWAT), 1);
  EXPECT_EQ(GetInt(fd_, abi::kSO_SNDLOWAT), 2048);
  for (int opt : {abi::kSO_REUSEADDR, abi::kSO_REUSEPORT, abi::kSO_BROADCAST, abi::kSO_KEEPALIVE,
                  abi::kSO_DONTROUTE, abi::kSO_DEBUG, abi::kSO_OOBINLINE, abi::kSO_TIMESTAMP,
                  abi::kSO_NOSIGPIPE, abi::kSO_USELOOPBACK}) {
    EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, opt, 5), 0) << opt;
    EXPECT_EQ(GetInt(fd_, opt), 1) << opt;  // read back as 0 / 1
  }
  EXPECT_TRUE(so_->reuse_addr());
  EXPECT_TRUE(so_->reuse_port());
  EXPECT_TRUE(so_->broadcast_allowed());
  EXPECT_TRUE(so_->dont_route());
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_BROADCAST, 0), 0);
  EXPECT_FALSE(so_->broadcast_allowed());
  // Sizes: exactly an int.
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1, 2), abi::kEINVAL);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1, 0), abi::kEINVAL);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1, 8), abi::kEINVAL);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1, 4096), abi::kEINVAL);
  // Buffer sizes: at least 1, at most sb_max_adj.
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 0), abi::kEINVAL);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_SNDBUF, -5), abi::kEINVAL);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 209716), abi::kENOBUFS);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 209715), 0);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 65535), 0);  // what ping asks
  EXPECT_EQ(GetInt(fd_, abi::kSO_RCVBUF), 65535);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 65536), 0);
  EXPECT_EQ(so_->send_buffer_limit(), 65536u);
  // Read-only and unknown options.
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_TYPE, 1), abi::kENOPROTOOPT);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_ERROR, 1), abi::kENOPROTOOPT);
  EXPECT_EQ(SetInt(fd_, abi::kSOL_SOCKET, 0x4242, 1), abi::kENOPROTOOPT);
  int v = 0;
  uint32_t len = 4;
  EXPECT_EQ(GetInt(fd_, abi::kSOL_SOCKET, 0x4242, &v, &len), abi::kENOPROTOOPT);
  // getsockopt copies min(length, size) and stores that length.
  v = 0;
  len = 2;
  EXPECT_EQ(GetInt(fd_, abi::kSOL_SOCKET, abi::kSO_TYPE, &v, &len), 0);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(v, abi::kSOCK_DGRAM);  // little-endian: the low bytes
  int64_t big = -1;
  len = 8;
  EXPECT_EQ(GetInt(fd_, abi::kSOL_SOCKET, abi::kSO_TYPE, reinterpret_cast<int*>(&big), &len), 0);
  EXPECT_EQ(len, 4u);
  // SO_LINGER: struct linger.
  int32_t linger[2] = {1, 30};
  EXPECT_EQ(
      Call(abi::kSysSetsockopt, {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_LINGER, P(linger), 8})
          .error,
      0);
  int32_t lout[2] = {};
  len = 8;
  EXPECT_EQ(Call(abi::kSysGetsockopt,
                 {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_LINGER, P(lout), P(&len)})
                .error,
            0);
  EXPECT_EQ(lout[0], 1);
  EXPECT_EQ(lout[1], 30);
  linger[1] = 70000;
  EXPECT_EQ(
      Call(abi::kSysSetsockopt, {uint64_t(fd_), abi::kSOL_SOCKET, abi::kSO_LINGER, P(linger), 8})
          .error,
      abi::kEDOM);
  // Other levels go to the protocol; SOL_SOCKET ones are shown to it too.
  EXPECT_EQ(SetInt(fd_, abi::kIPPROTO_IP, 1, 64), 0);
  EXPECT_EQ(SetInt(fd_, abi::kIPPROTO_IP, 2, 64), abi::kENOPROTOOPT);
  v = 0;
  len = 4;
  EXPECT_EQ(GetInt(fd_, abi::kIPPROTO_IP, 1, &v, &len), 0);
  EXPECT_EQ(v, 64);
  std::lock_guard<std::mutex> l(so_->mu);
  EXPECT_NE(std::find(so_->options_seen.begin(), so_->options_seen.end(),
                      std::make_pair(int(abi::kSOL_SOCKET), int(abi::kSO_BROADCAST))),
            so_->options_seen.end());
}

TEST_F(SocketTest, SendChecksShutdownSizeAndDestination) {
  std::vector<uint8_t> big(FakeSocket::kSendSpace + 1, 'b');
  std::vector<uint8_t> to = Sin(1, 7, /*len=*/0);  // sa_len is set from tolen
  SyscallResult r =
      Call(abi::kSysSendto, {uint64_t(fd_), P(big.data()), big.size(), 0, P(to.data()), 16});
  EXPECT_EQ(r.error, abi::kEMSGSIZE);
  r = Call(abi::kSysSendto,
           {uint64_t(fd_), P(big.data()), big.size() - 1, abi::kMSG_DONTROUTE, P(to.data()), 16});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, int64_t(FakeSocket::kSendSpace));
  {
    std::lock_guard<std::mutex> l(so_->mu);
    ASSERT_EQ(so_->sent.size(), 1u);
    EXPECT_EQ(so_->sent[0].to.size(), 16u);
    EXPECT_EQ(so_->sent[0].to[0], 16);  // sockargs: sa_len = the given length
    EXPECT_EQ(so_->sent[0].flags, abi::kMSG_DONTROUTE);
  }
  // Addresses longer than 255 or shorter than 2 bytes.
  std::vector<uint8_t> huge(300, 0);
  EXPECT_EQ(Call(abi::kSysSendto, {uint64_t(fd_), P(big.data()), 1, 0, P(huge.data()), 300}).error,
            abi::kEINVAL);
  EXPECT_EQ(Call(abi::kSysSendto, {uint64_t(fd_), P(big.data()), 1, 0, P(huge.data()), 1}).error,
            abi::kEINVAL);
  // write(2) without a destination: the protocol's EDESTADDRREQ.
  EXPECT_EQ(Call(abi::kSysWrite, {uint64_t(fd_), P(big.data()), 10}).error, abi::kEDESTADDRREQ);
  // After connect, write goes to the peer.
  std::vector<uint8_t> peer = Sin(2, 9);
  EXPECT_EQ(Call(abi::kSysConnect, {uint64_t(fd_), P(peer.data()), peer.size()}).error, 0);
  r = Call(abi::kSysWrite, {uint64_t(fd_), P(big.data()), 10});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 10);
  // A datagram too big for SO_SNDBUF through write / writev: EMSGSIZE.
  EXPECT_EQ(Call(abi::kSysWrite, {uint64_t(fd_), P(big.data()), big.size()}).error, abi::kEMSGSIZE);
  // shutdown(SHUT_WR): EPIPE.
  EXPECT_EQ(Call(abi::kSysShutdown, {uint64_t(fd_), abi::kSHUT_WR}).error, 0);
  EXPECT_EQ(Call(abi::kSysWrite, {uint64_t(fd_), P(big.data()), 10}).error, abi::kEPIPE);
  EXPECT_EQ(Call(abi::kSysSendto, {uint64_t(fd_), P(big.data()), 1, 0, P(to.data()), 16}).error,
            abi::kEPIPE);
  // A wild length never allocates: EMSGSIZE first.
  EXPECT_EQ(Call(abi::kSysSendto, {uint64_t(fd_), P(big.data()), uint64_t{1} << 60, 0, 0, 0}).error,
            abi::kEPIPE);
}

TEST_F(SocketTest, ConnectToAfUnspecDisconnects) {
  std::vector<uint8_t> peer = Sin(2, 9);
  uint8_t name[16];
  uint32_t len = sizeof(name);
  EXPECT_EQ(Call(abi::kSysGetpeername, {uint64_t(fd_), P(name), P(&len)}).error, abi::kENOTCONN);
  EXPECT_EQ(Call(abi::kSysConnect, {uint64_t(fd_), P(peer.data()), peer.size()}).error, 0);
  EXPECT_EQ(Call(abi::kSysGetpeername, {uint64_t(fd_), P(name), P(&len)}).error, 0);
  EXPECT_EQ(len, 16u);
  EXPECT_EQ(name[7], 2);
  uint8_t unspec[16] = {16, abi::kAF_UNSPEC};
  EXPECT_EQ(Call(abi::kSysConnect, {uint64_t(fd_), P(unspec), sizeof(unspec)}).error,
            abi::kEAFNOSUPPORT);
  EXPECT_EQ(Call(abi::kSysGetpeername, {uint64_t(fd_), P(name), P(&len)}).error, abi::kENOTCONN);
  // Not connected: the same answer, nothing else happens.
  EXPECT_EQ(Call(abi::kSysConnect, {uint64_t(fd_), P(unspec), sizeof(unspec)}).error,
            abi::kEAFNOSUPPORT);
}

TEST_F(SocketTest, SocknameIsTruncatedToTheCallersLength) {
  std::vector<uint8_t> me = Sin(5, 1234);
  ASSERT_EQ(Call(abi::kSysBind, {uint64_t(fd_), P(me.data()), me.size()}).error, 0);
  uint8_t name[32];
  std::memset(name, 0xee, sizeof(name));
  uint32_t len = 4;
  ASSERT_EQ(Call(abi::kSysGetsockname, {uint64_t(fd_), P(name), P(&len)}).error, 0);
  EXPECT_EQ(len, 4u);  // NetBSD stores the truncated length
  EXPECT_EQ(name[0], 16);
  EXPECT_EQ(name[4], 0xee);
  len = sizeof(name);
  ASSERT_EQ(Call(abi::kSysGetsockname, {uint64_t(fd_), P(name), P(&len)}).error, 0);
  EXPECT_EQ(len, 16u);
  EXPECT_EQ(std::memcmp(name, me.data(), 16), 0);
  len = 0x80000000u;  // negative as an int
  EXPECT_EQ(Call(abi::kSysGetsockname, {uint64_t(fd_), P(name), P(&len)}).error, abi::kEINVAL);
  len = 16;
  EXPECT_EQ(Call(abi::kSysGetsockname, {uint64_t(fd_), 0, P(&len)}).error, 0);  // no buffer
  EXPECT_EQ(Call(abi::kSysGetsockname, {uint64_t(fd_), P(name), 0}).error, abi::kEFAULT);
  uint8_t bad_family[16] = {16, abi::kAF_INET6};
  EXPECT_EQ(Call(abi::kSysBind, {uint64_t(fd_), P(bad_family), 16}).error, abi::kEAFNOSUPPORT);
}

TEST_F(SocketTest, SendmsgAndRecvmsgUseTheNetbsdMsghdr) {
  so_->loop = true;
  std::vector<uint8_t> me = Sin(5, 1234);
  ASSERT_EQ(Call(abi::kSysBind, {uint64_t(fd_), P(me.data()), me.size()}).error, 0);
  char p1[] = "hello, ", p2[] = "world";
  IoVec out_iov[2] = {{P(p1), 7}, {P(p2), 5}};
  std::vector<uint8_t> to = Sin(5, 1234);
  uint8_t control[24] = {20, 0, 0, 0};  // CMSG_SPACE(4): a cmsghdr and an int
  MsgHdr m{};
  m.name = P(to.data());
  m.namelen = 16;
  m.iov = P(out_iov);
  m.iovlen = 2;
  m.control = P(control);
  m.controllen = sizeof(control);
  SyscallResult r = Call(abi::kSysSendmsg, {uint64_t(fd_), P(&m), 0});
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 12);
  {
    std::lock_guard<std::mutex> l(so_->mu);
    ASSERT_EQ(so_->sent.size(), 1u);
    EXPECT_EQ(so_->sent[0].data, "hello, world");
    EXPECT_EQ(so_->sent[0].control.size(), 24u);
  }
  // Receive into three pieces with a short control buffer.
  char a[5], b[3], c[10];
  IoVec in_iov[3] = {{P(a), 5}, {P(b), 3}, {P(c), 10}};
  uint8_t from[32];
  uint8_t cbuf[16];
  MsgHdr in{};
  in.name = P(from);
  in.namelen = sizeof(from);
  in.iov = P(in_iov);
  in.iovlen = 3;
  in.control = P(cbuf);
  in.controllen = sizeof(cbuf);
  r = Call(abi::kSysRecvmsg, {uint64_t(fd_), P(&in), 0});
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 12);
  EXPECT_EQ(std::string(a, 5) + std::string(b, 3) + std::string(c, 4), "hello, world");
  EXPECT_EQ(in.namelen, 16u);
  EXPECT_EQ(std::memcmp(from, me.data(), 16), 0);
  EXPECT_EQ(in.controllen, 16u);
  EXPECT_EQ(in.flags, abi::kMSG_CTRUNC);
  // msg_iovlen over IOV_MAX: EMSGSIZE; negative too.
  in.iovlen = abi::kIOV_MAX + 1;
  EXPECT_EQ(Call(abi::kSysRecvmsg, {uint64_t(fd_), P(&in), 0}).error, abi::kEMSGSIZE);
  in.iovlen = -1;
  EXPECT_EQ(Call(abi::kSysRecvmsg, {uint64_t(fd_), P(&in), 0}).error, abi::kEMSGSIZE);
  m.iovlen = abi::kIOV_MAX + 1;
  EXPECT_EQ(Call(abi::kSysSendmsg, {uint64_t(fd_), P(&m), 0}).error, abi::kEMSGSIZE);
  // A control buffer shorter than a cmsghdr: EINVAL.
  m.iovlen = 2;
  m.controllen = 8;
  EXPECT_EQ(Call(abi::kSysSendmsg, {uint64_t(fd_), P(&m), 0}).error, abi::kEINVAL);
  // Bad pointers: EFAULT, never a crash.
  EXPECT_EQ(Call(abi::kSysSendmsg, {uint64_t(fd_), 0, 0}).error, abi::kEFAULT);
  EXPECT_EQ(Call(abi::kSysRecvmsg, {uint64_t(fd_), 0, 0}).error, abi::kEFAULT);
  m.controllen = sizeof(control);
  m.iov = 0;
  EXPECT_EQ(Call(abi::kSysSendmsg, {uint64_t(fd_), P(&m), 0}).error, abi::kEFAULT);
}

TEST_F(SocketTest, ReadAndWriteAreRecvAndSendWithoutAddresses) {
  so_->loop = true;
  std::vector<uint8_t> peer = Sin(2, 9);
  ASSERT_EQ(Call(abi::kSysConnect, {uint64_t(fd_), P(peer.data()), peer.size()}).error, 0);
  char msg[] = "datagram";
  EXPECT_EQ(Call(abi::kSysWrite, {uint64_t(fd_), P(msg), 8}).rv0, 8);
  char buf[4];
  SyscallResult r = Call(abi::kSysRead, {uint64_t(fd_), P(buf), sizeof(buf)});
  EXPECT_EQ(r.rv0, 4);  // one datagram, the rest discarded
  EXPECT_EQ(std::string(buf, 4), "data");
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  // readv across buffers.
  EXPECT_EQ(Call(abi::kSysWrite, {uint64_t(fd_), P(msg), 8}).rv0, 8);
  char x[3], y[10];
  IoVec iov[2] = {{P(x), 3}, {P(y), 10}};
  r = Call(abi::kSysReadv, {uint64_t(fd_), P(iov), 2});
  EXPECT_EQ(r.rv0, 8);
  EXPECT_EQ(std::string(x, 3) + std::string(y, 5), "datagram");
}

TEST_F(SocketTest, PollSeesDatagramsErrorsAndShutdown) {
  struct PollFd {
    int32_t fd;
    int16_t events, revents;
  } pfd{fd_, abi::kPOLLIN | abi::kPOLLRDNORM | abi::kPOLLOUT | abi::kPOLLWRNORM, 0};
  auto poll = [&](int timeout) {
    return Call(abi::kSysPoll, {P(&pfd), 1, uint64_t(uint32_t(timeout))});
  };
  ASSERT_EQ(poll(0).rv0, 1);
  EXPECT_EQ(pfd.revents, abi::kPOLLOUT);  // datagram sockets are always writable
  pfd.events = abi::kPOLLIN;
  EXPECT_EQ(poll(0).rv0, 0);
  // A datagram from another thread wakes the poll.
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the poll sleeps
    so_->Deliver(1);
  });
  EXPECT_EQ(poll(20000).rv0, 1);
  t.join();
  EXPECT_EQ(pfd.revents, abi::kPOLLIN);
  char buf[4];
  EXPECT_EQ(Recvfrom(fd_, buf, sizeof(buf), 0), 1);
  EXPECT_EQ(poll(0).rv0, 0);
  // A pending error makes it readable (the read returns the error).
  so_->SetError(abi::kECONNREFUSED);
  EXPECT_EQ(poll(0).rv0, 1);
  EXPECT_EQ(GetInt(fd_, abi::kSO_ERROR), abi::kECONNREFUSED);
  EXPECT_EQ(poll(0).rv0, 0);
  // select on the socket, woken by shutdown(SHUT_RD) from another thread.
  uint32_t in[8] = {};
  in[fd_ / 32] |= 1u << (fd_ % 32);
  std::thread s([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));  // the select sleeps
    EXPECT_TRUE(so_->Shutdown(abi::kSHUT_RD).ok());
  });
  SyscallResult r = Call(abi::kSysSelect, {uint64_t(fd_ + 1), P(in), 0, 0, 0});
  s.join();
  EXPECT_EQ(r.rv0, 1);
  EXPECT_EQ(poll(0).rv0, 1);
}

TEST_F(SocketTest, NonSocketsAndBadDescriptors) {
  uint8_t buf[64] = {};
  uint32_t len = 16;
  MsgHdr m{};
  const std::vector<std::pair<int, std::vector<uint64_t>>> calls = {
      {abi::kSysBind, {P(buf), 16}},
      {abi::kSysConnect, {P(buf), 16}},
      {abi::kSysListen, {5}},
      {abi::kSysAccept, {0, 0}},
      {abi::kSysSendto, {P(buf), 1, 0, 0, 0}},
      {abi::kSysSendmsg, {P(&m), 0}},
      {abi::kSysRecvfrom, {P(buf), 1, abi::kMSG_DONTWAIT, 0, 0}},
      {abi::kSysRecvmsg, {P(&m), abi::kMSG_DONTWAIT}},
      {abi::kSysGetsockname, {P(buf), P(&len)}},
      {abi::kSysGetpeername, {P(buf), P(&len)}},
      {abi::kSysSetsockopt, {abi::kSOL_SOCKET, abi::kSO_DEBUG, P(buf), 4}},
      {abi::kSysGetsockopt, {abi::kSOL_SOCKET, abi::kSO_DEBUG, P(buf), P(&len)}},
      {abi::kSysShutdown, {abi::kSHUT_RD}},
  };
  for (const auto& [number, rest] : calls) {
    for (auto [fd, want] :
         {std::pair{1, abi::kENOTSOCK}, std::pair{99, abi::kEBADF}, std::pair{-1, abi::kEBADF}}) {
      std::vector<uint64_t> args = {uint64_t(uint32_t(fd))};
      args.insert(args.end(), rest.begin(), rest.end());
      EXPECT_EQ(k_->Syscall(number, args).error, want) << number << " fd " << fd;
    }
  }
  // listen / accept on a datagram socket.
  EXPECT_EQ(Call(abi::kSysListen, {uint64_t(fd_), 5}).error, abi::kEOPNOTSUPP);
  EXPECT_EQ(Call(abi::kSysAccept, {uint64_t(fd_), 0, 0}).error, abi::kEOPNOTSUPP);
}

TEST_F(SocketTest, ManyThreadsSendReceiveAndChangeOptionsAtOnce) {
  so_->loop = true;
  std::vector<uint8_t> me = Sin(5, 1);
  ASSERT_EQ(Call(abi::kSysBind, {uint64_t(fd_), P(me.data()), me.size()}).error, 0);
  ASSERT_EQ(SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 200000), 0);
  constexpr int kPerThread = 300;
  std::atomic<int> received{0};
  std::vector<std::thread> senders, others;
  for (int i = 0; i < 2; ++i) {
    senders.emplace_back([&] {
      char b[32] = "x";
      for (int j = 0; j < kPerThread; ++j) {
        Call(abi::kSysSendto, {uint64_t(fd_), P(b), 8, 0, P(me.data()), 16});
      }
    });
    others.emplace_back([&] {
      char b[32];
      // Until shutdown(SHUT_RD) ends it with end of file.
      while (Recvfrom(fd_, b, sizeof(b), 0) == 8) received++;
    });
    others.emplace_back([&] {
      for (int j = 0; j < kPerThread; ++j) {
        SetInt(fd_, abi::kSOL_SOCKET, abi::kSO_BROADCAST, j % 2);
        GetInt(fd_, abi::kSO_ERROR);
      }
    });
  }
  for (auto& t : senders) t.join();
  Eventually([&] { return received.load() + int(so_->receive_drops()) >= 2 * kPerThread; });
  EXPECT_EQ(received.load() + int(so_->receive_drops()), 2 * kPerThread);
  EXPECT_TRUE(so_->Shutdown(abi::kSHUT_RD).ok());
  for (auto& t : others) t.join();
}

// --- RLIMIT_SBSIZE: socket buffer memory charged to the process

// What one FakeSocket's buffers cost: SO_SNDBUF + SO_RCVBUF.
constexpr uint64_t kFakeCharge = FakeSocket::kSendSpace + FakeSocket::kRecvSpace;

class SbsizeTest : public SocketTest {
 protected:
  // A new process whose soft and hard RLIMIT_SBSIZE are `limit`, set with
  // setrlimit(2).
  std::shared_ptr<Process> ProcessWithLimit(uint64_t limit) {
    std::shared_ptr<Process> p = k_->NewProcess(1, "sbsize");
    const abi::Rlimit rl{limit, limit};
    const uint64_t args[] = {abi::kRlimitSbsize, P(&rl)};
    EXPECT_EQ(k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSetrlimit, args).error, 0);
    return p;
  }
  // socket(2) in `p`: the descriptor, or -errno.
  int SocketIn(Process& p, uint32_t type = abi::kSOCK_DGRAM) {
    const uint64_t args[] = {abi::kAF_INET, type, 0};
    SyscallResult r = k_->Syscall(p, DirectUserMemory::Get(), abi::kSysSocket, args);
    return r.error != 0 ? -r.error : int(r.rv0);
  }
  int CloseIn(Process& p, int fd) {
    const uint64_t args[] = {uint64_t(fd)};
    return k_->Syscall(p, DirectUserMemory::Get(), abi::kSysClose, args).error;
  }
  // setsockopt(fd, SOL_SOCKET, name, value) in `p`: 0 or errno.
  int SetBufIn(Process& p, int fd, int name, int value) {
    const uint64_t args[] = {uint64_t(fd), uint64_t(uint32_t(abi::kSOL_SOCKET)), uint64_t(name),
                             P(&value), 4};
    return k_->Syscall(p, DirectUserMemory::Get(), abi::kSysSetsockopt, args).error;
  }
  int GetBufIn(Process& p, int fd, int name) {
    int v = -1;
    uint32_t len = 4;
    const uint64_t args[] = {uint64_t(fd), uint64_t(uint32_t(abi::kSOL_SOCKET)), uint64_t(name),
                             P(&v), P(&len)};
    EXPECT_EQ(k_->Syscall(p, DirectUserMemory::Get(), abi::kSysGetsockopt, args).error, 0);
    return v;
  }
};

TEST_F(SbsizeTest, SocketsUntilEnobufsThenCloseMakesRoom) {
  std::shared_ptr<Process> p = ProcessWithLimit(3 * kFakeCharge + 100);
  const std::shared_ptr<SocketBufferAccount> account = p->sb_account();
  EXPECT_EQ(account->limit(), 3 * kFakeCharge + 100);
  std::vector<int> fds;
  for (int i = 0; i < 3; ++i) {
    fds.push_back(SocketIn(*p));
    ASSERT_GE(fds.back(), 0) << i;
    EXPECT_EQ(account->used(), (i + 1) * kFakeCharge);
  }
  // The fourth does not fit: ENOBUFS, and no descriptor, nothing charged.
  EXPECT_EQ(SocketIn(*p), -abi::kENOBUFS);
  EXPECT_EQ(SocketIn(*p, abi::kSOCK_STREAM), -abi::kENOBUFS);
  EXPECT_EQ(account->used(), 3 * kFakeCharge);
  // Another process is not affected (its own account).
  std::shared_ptr<Process> other = ProcessWithLimit(3 * kFakeCharge + 100);
  const int ofd = SocketIn(*other);
  EXPECT_GE(ofd, 0);
  EXPECT_EQ(other->sb_account()->used(), kFakeCharge);
  // close(2) gives the charge back at once: a new socket fits again.
  ASSERT_EQ(CloseIn(*p, fds[1]), 0);
  EXPECT_EQ(account->used(), 2 * kFakeCharge);
  fds[1] = SocketIn(*p);
  EXPECT_GE(fds[1], 0);
  EXPECT_EQ(account->used(), 3 * kFakeCharge);
  for (int fd : fds) EXPECT_EQ(CloseIn(*p, fd), 0);
  EXPECT_EQ(account->used(), 0u);
  EXPECT_EQ(CloseIn(*other, ofd), 0);
  EXPECT_EQ(other->sb_account()->used(), 0u);
}

TEST_F(SbsizeTest, SoSndbufAndSoRcvbufBeyondTheBudgetFailWithEnobufs) {
  std::shared_ptr<Process> p = ProcessWithLimit(2 * kFakeCharge);
  const int a = SocketIn(*p);
  ASSERT_GE(a, 0);
  const size_t room = 2 * kFakeCharge - kFakeCharge;  // what is left
  // One byte more than fits: ENOBUFS, the old size stays.
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_SNDBUF, int(FakeSocket::kSendSpace + room + 1)),
            abi::kENOBUFS);
  EXPECT_EQ(GetBufIn(*p, a, abi::kSO_SNDBUF), int(FakeSocket::kSendSpace));
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_RCVBUF, int(FakeSocket::kRecvSpace + room + 1)),
            abi::kENOBUFS);
  EXPECT_EQ(GetBufIn(*p, a, abi::kSO_RCVBUF), int(FakeSocket::kRecvSpace));
  EXPECT_EQ(p->sb_account()->used(), kFakeCharge);
  // Exactly what fits is accepted; the difference is charged.
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_RCVBUF, int(FakeSocket::kRecvSpace + room)), 0);
  EXPECT_EQ(p->sb_account()->used(), 2 * kFakeCharge);
  EXPECT_EQ(SocketIn(*p), -abi::kENOBUFS);
  // Lowering a buffer gives the difference back.
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_SNDBUF, 1000), 0);
  EXPECT_EQ(p->sb_account()->used(), 2 * kFakeCharge - (FakeSocket::kSendSpace - 1000));
  EXPECT_EQ(CloseIn(*p, a), 0);
  EXPECT_EQ(p->sb_account()->used(), 0u);
}

TEST_F(SbsizeTest, LoweringTheLimitBelowTheUsageKeepsExistingSockets) {
  std::shared_ptr<Process> p = ProcessWithLimit(abi::kRlimInfinity);
  const int a = SocketIn(*p), b = SocketIn(*p);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // Now a limit below what the two hold (setrlimit lowers soft and hard).
  const abi::Rlimit rl{kFakeCharge, kFakeCharge};
  const uint64_t args[] = {abi::kRlimitSbsize, P(&rl)};
  ASSERT_EQ(k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSetrlimit, args).error, 0);
  EXPECT_EQ(p->sb_account()->limit(), kFakeCharge);
  EXPECT_EQ(p->sb_account()->used(), 2 * kFakeCharge);
  // New reservations fail; decreases and the sockets themselves work.
  EXPECT_EQ(SocketIn(*p), -abi::kENOBUFS);
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_RCVBUF, int(FakeSocket::kRecvSpace + 1)), abi::kENOBUFS);
  EXPECT_EQ(SetBufIn(*p, a, abi::kSO_RCVBUF, 100), 0);
  auto f = p->fds().Get(a);
  ASSERT_TRUE(f.ok());
  auto so = std::dynamic_pointer_cast<FakeSocket>(*f);
  so->loop = true;
  const char msg[] = "hi";
  const std::vector<uint8_t> to = Sin(1, 7);
  const uint64_t send[] = {uint64_t(a), P(msg), 2, 0, P(to.data()), to.size()};
  EXPECT_EQ(k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSendto, send).error, 0);
  EXPECT_EQ(so->receive_queue_bytes(), 2u);  // the loop delivered it (no address bound)
  EXPECT_EQ(CloseIn(*p, a), 0);
  EXPECT_EQ(CloseIn(*p, b), 0);
  EXPECT_EQ(p->sb_account()->used(), 0u);
  // Under the limit again: a socket fits.
  const int c = SocketIn(*p);
  EXPECT_GE(c, 0);
  EXPECT_EQ(CloseIn(*p, c), 0);
}

TEST_F(SbsizeTest, TheAccountOutlivesItsProcessWhileASocketIsCharged) {
  std::shared_ptr<Process> maker = ProcessWithLimit(abi::kRlimInfinity);
  // A second process sharing the descriptor table keeps the socket open.
  std::shared_ptr<Process> heir = k_->NewProcess(1, "heir", maker->shared_fds());
  const int fd = SocketIn(*maker);
  ASSERT_GE(fd, 0);
  std::weak_ptr<SocketBufferAccount> account = maker->sb_account();
  k_->ReleaseProcess(maker->pid());
  maker.reset();
  // The socket still holds its account, charged.
  std::shared_ptr<SocketBufferAccount> held = account.lock();
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->used(), kFakeCharge);
  held.reset();
  EXPECT_EQ(CloseIn(*heir, fd), 0);
  // Closed: charge back, and the account went with the last socket.
  EXPECT_EQ(account.lock(), nullptr);
  k_->ReleaseProcess(heir->pid());
}

TEST_F(SbsizeTest, AForkedProcessHasItsOwnAccountWithTheParentsLimit) {
  std::shared_ptr<Process> parent = ProcessWithLimit(kFakeCharge);
  ASSERT_GE(SocketIn(*parent), 0);
  EXPECT_EQ(SocketIn(*parent), -abi::kENOBUFS);
  std::shared_ptr<Process> child = k_->NewProcess(parent->pid(), "child");
  EXPECT_NE(child->sb_account(), parent->sb_account());
  EXPECT_EQ(child->sb_account()->limit(), kFakeCharge);
  const int fd = SocketIn(*child);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(SocketIn(*child), -abi::kENOBUFS);
  k_->ReleaseProcess(child->pid());
  k_->ReleaseProcess(parent->pid());
  EXPECT_EQ(child->sb_account()->used(), 0u);
  EXPECT_EQ(parent->sb_account()->used(), 0u);
}

TEST_F(SbsizeTest, ChargesNeverLeakUnderConcurrentSocketsAndOptions) {
  std::shared_ptr<Process> p = ProcessWithLimit(8 * kFakeCharge);
  std::vector<std::thread> threads;
  std::atomic<int> enobufs{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int fd = SocketIn(*p);
        if (fd < 0) {
          EXPECT_EQ(fd, -abi::kENOBUFS);
          ++enobufs;
          continue;
        }
        const int e = SetBufIn(*p, fd, (i + t) % 2 ? abi::kSO_SNDBUF : abi::kSO_RCVBUF,
                               int(kFakeCharge * (1 + i % 3)));
        EXPECT_TRUE(e == 0 || e == abi::kENOBUFS) << e;
        EXPECT_LE(p->sb_account()->used(), 8 * kFakeCharge);
        EXPECT_EQ(CloseIn(*p, fd), 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(p->sb_account()->used(), 0u);
}

}  // namespace
}  // namespace rump
