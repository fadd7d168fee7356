// The socket layer's stream sockets, through the system calls, with a
// test-only loopback stream protocol (ToySocket) in a domain of its own:
// bind takes a name, connect to a listening name makes the server side with
// NewConnection (sonewconn) and connects both ends, bytes written on one
// end move into the peer's receive buffer as its space allows, and more
// move when the peer reads (ProtoRcvd), so flow control and blocking are
// real; shutdown(SHUT_WR) gives the peer end of file, close disconnects
// it. With `defer_handshake` a connect stays in progress until the test
// completes or fails the handshake.
//
// Covered: read/write/readv/writev/send/recv(from)/sendmsg/recvmsg,
// MSG_WAITALL, MSG_PEEK, MSG_DONTWAIT, O_NONBLOCK; a blocking write larger
// than both buffers; poll for read, write, accept and end of file; EPIPE;
// SO_SNDBUF / SO_RCVBUF / SO_SNDLOWAT / SO_RCVLOWAT; SO_SNDTIMEO /
// SO_RCVTIMEO; FIONREAD / FIONWRITE / FIONSPACE; connect states (blocking,
// EINPROGRESS, EALREADY, EISCONN, refused); listen / accept / paccept with
// the backlog and the peer address; interrupts; closing a listener with
// queued connections; datagram sockets refusing listen and accept.
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "rump/net/net_stack.h"
#include "rump/net/socket.h"
#include "rump/net/testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Eventually;
using testing::P;

// No NetBSD address family has this number: the toy protocol's own.
constexpr int kToyDomain = 200;

// The toy's socket address: [length, family, name bytes...].
std::vector<uint8_t> ToyAddr(const std::string& name) {
  std::vector<uint8_t> a(2 + name.size());
  a[0] = uint8_t(a.size());
  a[1] = uint8_t(kToyDomain);
  if (!name.empty()) std::memcpy(a.data() + 2, name.data(), name.size());
  return a;
}

class ToySocket;

// One connection: its two ends, and one mover of bytes at a time.
struct ToyConn {
  std::mutex mu;
  std::weak_ptr<ToySocket> end[2];
  bool fin_sent[2] = {false, false};
};

// The toy protocol's world: bound and listening names, and handshakes
// waiting for the test.
class ToyNet {
 public:
  std::mutex mu;
  std::map<std::string, std::weak_ptr<ToySocket>> bound;
  std::map<std::string, std::weak_ptr<ToySocket>> listeners;
  bool defer_handshake = false;
  struct Handshake {
    std::weak_ptr<ToySocket> client, server;
  };
  std::vector<Handshake> pending;
  int anonymous = 0;

  void set_defer_handshake(bool on) {
    std::lock_guard<std::mutex> l(mu);
    defer_handshake = on;
  }
  std::vector<Handshake> TakePending() {
    std::lock_guard<std::mutex> l(mu);
    return std::exchange(pending, {});
  }
  void CompleteHandshakes();
  void FailHandshakes(int netbsd_errno);
};

class ToySocket final : public Socket {
 public:
  static constexpr size_t kSendSpace = 4096;
  static constexpr size_t kRecvSpace = 4096;

  ToySocket(NetStack& net, ToyNet& toy, int flags)
      : Socket(net, kToyDomain, abi::kSOCK_STREAM, 0, flags), toy_(toy) {
    SetBufferLimits(kSendSpace, kRecvSpace);
  }

  std::shared_ptr<ToySocket> self() {
    return std::static_pointer_cast<ToySocket>(shared_from_this());
  }

  // Moves what fits from end `from` of `c` into the other end's receive
  // buffer, and the end of file once `from` is shut down and drained.
  static void Pump(ToyConn& c, int from) {
    std::lock_guard<std::mutex> l(c.mu);
    std::shared_ptr<ToySocket> src = c.end[from].lock();
    std::shared_ptr<ToySocket> dst = c.end[1 - from].lock();
    if (!src || !dst) return;
    const size_t n = std::min(src->send_buffer_bytes(), dst->receive_space());
    if (n > 0) {
      std::vector<uint8_t> buf(n);
      const size_t got = src->CopySendBuffer(0, absl::MakeSpan(buf));
      dst->AppendStream(absl::MakeConstSpan(buf).first(got));
      src->DropSendBuffer(got);
    }
    if (src->shut_wr_ && src->send_buffer_bytes() == 0 && !c.fin_sent[from]) {
      c.fin_sent[from] = true;
      dst->CantRecvMore();
    }
  }

 protected:
  absl::Status ProtoBind(const Credentials&, absl::Span<const uint8_t> addr) override {
    const std::string name(addr.begin() + 2, addr.end());
    if (name.empty()) return abi::Errno(abi::kEINVAL);
    std::lock_guard<std::mutex> l(toy_.mu);
    auto it = toy_.bound.find(name);
    if (it != toy_.bound.end() && !it->second.expired()) return abi::Errno(abi::kEADDRINUSE);
    std::lock_guard<std::mutex> m(mu_);
    if (!name_.empty()) return abi::Errno(abi::kEINVAL);
    toy_.bound[name] = self();
    name_ = name;
    return absl::OkStatus();
  }

  absl::Status ProtoListen() override {
    std::lock_guard<std::mutex> l(toy_.mu);
    std::lock_guard<std::mutex> m(mu_);
    if (name_.empty()) return abi::Errno(abi::kEDESTADDRREQ);
    toy_.listeners[name_] = self();
    return absl::OkStatus();
  }

  absl::Status ProtoConnect(absl::Span<const uint8_t> addr) override {
    const std::string name(addr.begin() + 2, addr.end());
    std::shared_ptr<ToySocket> listener;
    bool defer;
    std::string me;
    {
      std::lock_guard<std::mutex> l(toy_.mu);
      auto it = toy_.listeners.find(name);
      if (it != toy_.listeners.end()) listener = it->second.lock();
      defer = toy_.defer_handshake;
      std::lock_guard<std::mutex> m(mu_);
      me = name_.empty() ? "anon" + std::to_string(++toy_.anonymous) : name_;
    }
    if (!listener) return abi::Errno(abi::kECONNREFUSED);
    // Queued as incomplete, so that accept(2) cannot take the server end
    // before it is set up; SetConnected makes it acceptable.
    std::shared_ptr<Socket> made = listener->NewConnection(/*connected=*/false);
    if (!made) return abi::Errno(abi::kECONNREFUSED);  // the backlog is full
    auto server = std::static_pointer_cast<ToySocket>(made);
    auto conn = std::make_shared<ToyConn>();
    conn->end[0] = self();
    conn->end[1] = server;
    {
      std::lock_guard<std::mutex> m(mu_);
      conn_ = conn;
      side_ = 0;
      peer_ = name;
    }
    {
      std::lock_guard<std::mutex> m(server->mu_);
      server->conn_ = conn;
      server->side_ = 1;
      server->peer_ = me;
      server->name_ = name;
    }
    if (defer) {
      SetConnecting();
      std::lock_guard<std::mutex> l(toy_.mu);
      toy_.pending.push_back({self(), server});
    } else {
      server->SetConnected();
      SetConnected();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<Socket>> ProtoNewConnection() override {
    return std::make_shared<ToySocket>(net(), toy_, flags());
  }

  absl::StatusOr<std::string> ProtoSockName() const override {
    std::lock_guard<std::mutex> m(mu_);
    const std::vector<uint8_t> a = ToyAddr(name_);
    return std::string(a.begin(), a.end());
  }

  absl::StatusOr<std::string> ProtoPeerName() const override {
    std::lock_guard<std::mutex> m(mu_);
    if (!conn_) return abi::Errno(abi::kENOTCONN);
    const std::vector<uint8_t> a = ToyAddr(peer_);
    return std::string(a.begin(), a.end());
  }

  absl::Status ProtoOutput(int) override {
    if (std::shared_ptr<ToyConn> c = conn(); c) Pump(*c, side());
    return absl::OkStatus();
  }

  void ProtoRcvd(int) override {
    ++rcvd_calls_;
    if (std::shared_ptr<ToyConn> c = conn(); c) Pump(*c, 1 - side());
  }

  absl::Status ProtoShutdown() override {
    shut_wr_ = true;
    if (std::shared_ptr<ToyConn> c = conn(); c) Pump(*c, side());
    return absl::OkStatus();
  }

  void ProtoDetach() override {
    {
      std::lock_guard<std::mutex> l(toy_.mu);
      std::lock_guard<std::mutex> m(mu_);
      for (auto* names : {&toy_.bound, &toy_.listeners}) {
        auto it = names->find(name_);
        if (it != names->end() && it->second.lock().get() == this) names->erase(it);
      }
    }
    std::shared_ptr<ToyConn> c = conn();
    if (!c) return;
    Pump(*c, side());  // what still fits goes; the rest is lost
    std::shared_ptr<ToySocket> peer;
    {
      std::lock_guard<std::mutex> l(c->mu);
      peer = c->end[1 - side()].lock();
      c->end[side()].reset();
    }
    if (peer) peer->SetDisconnected();
  }

 public:
  std::atomic<int> rcvd_calls_{0};

 private:
  friend class ToyNet;
  std::shared_ptr<ToyConn> conn() const {
    std::lock_guard<std::mutex> m(mu_);
    return conn_;
  }
  int side() const {
    std::lock_guard<std::mutex> m(mu_);
    return side_;
  }

  ToyNet& toy_;
  std::atomic<bool> shut_wr_{false};
  mutable std::mutex mu_;
  std::string name_, peer_;
  std::shared_ptr<ToyConn> conn_;
  int side_ = 0;
};

void ToyNet::CompleteHandshakes() {
  for (const Handshake& h : TakePending()) {
    if (auto server = h.server.lock()) server->SetConnected();
    if (auto client = h.client.lock()) client->SetConnected();
  }
}

void ToyNet::FailHandshakes(int netbsd_errno) {
  for (const Handshake& h : TakePending()) {
    if (auto server = h.server.lock()) server->SetDisconnected();
    if (auto client = h.client.lock()) {
      client->SetError(netbsd_errno);
      client->SetDisconnected();
    }
  }
}

// The one place the toy protocol meets NetStack's registration API.
void RegisterToyProtocol(NetStack& net, ToyNet& toy) {
  AddressFamily f;
  f.family = kToyDomain;
  f.name = "toystream";
  f.socket_factory = [&toy](NetStack& n, int, int type, int protocol,
                            int flags) -> absl::StatusOr<std::shared_ptr<Socket>> {
    if (type != abi::kSOCK_STREAM) return abi::Errno(abi::kEPROTOTYPE);
    if (protocol != 0) return abi::Errno(abi::kEPROTONOSUPPORT);
    return std::make_shared<ToySocket>(n, toy, flags);
  };
  ASSERT_TRUE(net.RegisterFamily(std::move(f)).ok());
}

struct IoVec {
  uint64_t base;
  uint64_t len;
};

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

struct Timeval {
  int64_t sec;
  int32_t usec;
  int32_t pad;
};
static_assert(sizeof(Timeval) == abi::kTimevalSize);

struct PollFd {
  int32_t fd;
  int16_t events, revents;
};

constexpr int kIn = abi::kPOLLIN | abi::kPOLLRDNORM;
constexpr int kOut = abi::kPOLLOUT | abi::kPOLLWRNORM;

// The system calls of one process, as -errno or the result.
class Sys {
 public:
  Sys(Kernel& k, Process& p) : k_(k), p_(p) {}

  int64_t Call(int number, std::vector<uint64_t> args) {
    SyscallResult r = k_.Syscall(p_, DirectUserMemory::Get(), number, args);
    return r.error ? -r.error : r.rv0;
  }
  int Socket(uint32_t flags = 0, int domain = kToyDomain, uint32_t type = abi::kSOCK_STREAM) {
    return int(Call(abi::kSysSocket, {uint64_t(domain), type | flags, 0}));
  }
  int64_t Bind(int fd, const std::string& name) {
    std::vector<uint8_t> a = ToyAddr(name);
    return Call(abi::kSysBind, {uint64_t(fd), P(a.data()), a.size()});
  }
  int64_t Listen(int fd, int backlog) {
    return Call(abi::kSysListen, {uint64_t(fd), uint64_t(uint32_t(backlog))});
  }
  int64_t Connect(int fd, const std::string& name) {
    std::vector<uint8_t> a = ToyAddr(name);
    return Call(abi::kSysConnect, {uint64_t(fd), P(a.data()), a.size()});
  }
  int64_t Accept(int fd, void* name = nullptr, uint32_t* len = nullptr) {
    return Call(abi::kSysAccept, {uint64_t(fd), P(name), P(len)});
  }
  int64_t Paccept(int fd, uint32_t flags, void* name = nullptr, uint32_t* len = nullptr,
                  const void* mask = nullptr) {
    return Call(abi::kSysPaccept, {uint64_t(fd), P(name), P(len), P(mask), flags});
  }
  int64_t Write(int fd, const void* buf, size_t n) {
    return Call(abi::kSysWrite, {uint64_t(fd), P(buf), n});
  }
  int64_t Write(int fd, const std::string& s) { return Write(fd, s.data(), s.size()); }
  int64_t Read(int fd, void* buf, size_t n) {
    return Call(abi::kSysRead, {uint64_t(fd), P(buf), n});
  }
  int64_t Send(int fd, const void* buf, size_t n, int flags) {
    return Call(abi::kSysSendto, {uint64_t(fd), P(buf), n, uint64_t(flags), 0, 0});
  }
  int64_t Recv(int fd, void* buf, size_t n, int flags, void* from = nullptr,
               uint32_t* fromlen = nullptr) {
    return Call(abi::kSysRecvfrom, {uint64_t(fd), P(buf), n, uint64_t(flags), P(from), P(fromlen)});
  }
  // Reads exactly `n` bytes (or until end of file / error) as a string.
  std::string ReadString(int fd, size_t n, int flags = 0) {
    std::string s(n, '\0');
    const int64_t r = Recv(fd, s.data(), n, flags);
    s.resize(r > 0 ? size_t(r) : 0);
    return s;
  }
  int64_t Shutdown(int fd, int how) { return Call(abi::kSysShutdown, {uint64_t(fd), uint64_t(how)}); }
  int64_t Close(int fd) { return Call(abi::kSysClose, {uint64_t(fd)}); }
  // poll(2) on one descriptor: the revents, or -errno.
  int Poll(int fd, int events, int timeout_ms = 0) {
    PollFd pfd{fd, int16_t(events), 0};
    const int64_t r = Call(abi::kSysPoll, {P(&pfd), 1, uint64_t(uint32_t(timeout_ms))});
    return r < 0 ? int(r) : pfd.revents;
  }
  int64_t SetInt(int fd, int name, int value) {
    return Call(abi::kSysSetsockopt,
                {uint64_t(fd), abi::kSOL_SOCKET, uint64_t(name), P(&value), sizeof(value)});
  }
  int GetInt(int fd, int name) {
    int v = -1;
    uint32_t len = sizeof(v);
    const int64_t r =
        Call(abi::kSysGetsockopt, {uint64_t(fd), abi::kSOL_SOCKET, uint64_t(name), P(&v), P(&len)});
    return r < 0 ? int(r) : v;
  }
  int64_t SetTimeout(int fd, int name, int64_t usec) {
    Timeval tv{usec / 1000000, int32_t(usec % 1000000), 0};
    return Call(abi::kSysSetsockopt,
                {uint64_t(fd), abi::kSOL_SOCKET, uint64_t(name), P(&tv), sizeof(tv)});
  }
  // An int-valued ioctl (FIONREAD, FIONWRITE, FIONSPACE), or -errno.
  int IoctlInt(int fd, uint64_t cmd) {
    int v = -1;
    const int64_t r = Call(abi::kSysIoctl, {uint64_t(fd), cmd, P(&v)});
    return r < 0 ? int(r) : v;
  }
  int64_t SetNonblocking(int fd, bool on) {
    int v = on ? 1 : 0;
    return Call(abi::kSysIoctl, {uint64_t(fd), abi::kFIONBIO, P(&v)});
  }
  std::shared_ptr<ToySocket> Toy(int fd) {
    auto f = p_.fds().Get(fd);
    return f.ok() ? std::dynamic_pointer_cast<ToySocket>(*f) : nullptr;
  }

 private:
  Kernel& k_;
  Process& p_;
};

class StreamSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelOptions o;
    o.components.push_back([] { return std::make_unique<NetStack>(); });
    auto k = Kernel::Boot(std::move(o));
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
    RegisterToyProtocol(*k_->Find<NetStack>(), toy_);
    sys_ = std::make_unique<Sys>(*k_, k_->init());
  }

  // A listener bound to `name`, a client connected to it and the accepted
  // server end, all in `sys` (default: pid 1).
  struct Pair {
    int listener = -1, client = -1, server = -1;
  };
  Pair Connected(const std::string& name, Sys* sys = nullptr) {
    Sys& s = sys ? *sys : *sys_;
    Pair p;
    p.listener = s.Socket();
    EXPECT_EQ(s.Bind(p.listener, name), 0);
    EXPECT_EQ(s.Listen(p.listener, 5), 0);
    p.client = s.Socket();
    EXPECT_EQ(s.Connect(p.client, name), 0);
    p.server = int(s.Accept(p.listener));
    EXPECT_GE(p.server, 0);
    return p;
  }
  // Threads blocked in this kernel's system calls.
  bool Sleeping(int n) {
    return Eventually([&] { return k_->sleeping_threads() >= n; });
  }

  ToyNet toy_;  // outlives the kernel, whose sockets use it
  std::unique_ptr<Kernel> k_;
  std::unique_ptr<Sys> sys_;
};

// The bytes 0..n-1 of a recognisable pattern.
std::string Pattern(size_t n, size_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char((i * 131 + seed * 7 + i / 251) & 0xff);
  return s;
}

TEST_F(StreamSocketTest, ListenMarksTheSocketAndAcceptCopiesOutThePeer) {
  Sys& s = *sys_;
  const int l = s.Socket();
  ASSERT_GE(l, 0);
  EXPECT_EQ(s.GetInt(l, abi::kSO_TYPE), abi::kSOCK_STREAM);
  EXPECT_EQ(s.GetInt(l, abi::kSO_ACCEPTCONN), 0);
  EXPECT_EQ(s.Accept(l), -abi::kEINVAL);  // not listening
  EXPECT_EQ(s.Listen(l, 5), -abi::kEDESTADDRREQ);  // the protocol's answer: unbound
  EXPECT_EQ(s.GetInt(l, abi::kSO_ACCEPTCONN), 0);
  ASSERT_EQ(s.Bind(l, "service"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  EXPECT_EQ(s.GetInt(l, abi::kSO_ACCEPTCONN), 1);
  EXPECT_EQ(s.SetInt(l, abi::kSO_ACCEPTCONN, 0), -abi::kENOPROTOOPT);  // read-only
  EXPECT_EQ(s.Connect(l, "service"), -abi::kEOPNOTSUPP);  // a listener does not connect
  EXPECT_EQ(s.Poll(l, kIn | kOut), 0);  // nothing to accept, not writable
  s.SetNonblocking(l, true);
  EXPECT_EQ(s.Accept(l), -abi::kEAGAIN);
  s.SetNonblocking(l, false);

  const int c = s.Socket();
  ASSERT_EQ(s.Bind(c, "client-a"), 0);
  ASSERT_EQ(s.Connect(c, "service"), 0);
  EXPECT_EQ(s.Poll(l, kIn), kIn);  // a connection to accept
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 1u);
  uint8_t name[32];
  std::memset(name, 0xee, sizeof(name));
  uint32_t len = sizeof(name);
  const int a = int(s.Accept(l, name, &len));
  ASSERT_GE(a, 0);
  EXPECT_EQ(len, 10u);  // [len, family, "client-a"]
  EXPECT_EQ(std::vector<uint8_t>(name, name + len), ToyAddr("client-a"));
  EXPECT_EQ(name[10], 0xee);
  EXPECT_EQ(s.Poll(l, kIn), 0);
  EXPECT_EQ(s.GetInt(a, abi::kSO_ACCEPTCONN), 0);
  EXPECT_EQ(s.GetInt(a, abi::kSO_TYPE), abi::kSOCK_STREAM);
  // getpeername on both ends; getsockname of the accepted end.
  len = sizeof(name);
  ASSERT_EQ(s.Call(abi::kSysGetpeername, {uint64_t(c), P(name), P(&len)}), 0);
  EXPECT_EQ(std::vector<uint8_t>(name, name + len), ToyAddr("service"));
  len = sizeof(name);
  ASSERT_EQ(s.Call(abi::kSysGetsockname, {uint64_t(a), P(name), P(&len)}), 0);
  EXPECT_EQ(std::vector<uint8_t>(name, name + len), ToyAddr("service"));

  // The peer address is truncated to the caller's length, which is stored.
  const int c2 = s.Socket();
  ASSERT_EQ(s.Bind(c2, "client-b"), 0);
  ASSERT_EQ(s.Connect(c2, "service"), 0);
  std::memset(name, 0xee, sizeof(name));
  len = 4;
  const int a2 = int(s.Accept(l, name, &len));
  ASSERT_GE(a2, 0);
  EXPECT_NE(a2, a);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(std::vector<uint8_t>(name, name + 4),
            std::vector<uint8_t>({10, uint8_t(kToyDomain), 'c', 'l'}));
  EXPECT_EQ(name[4], 0xee);
  // No name buffer: nothing copied; a bad length pointer: EFAULT, and the
  // descriptor is closed again.
  ASSERT_EQ(s.Connect(s.Socket(), "service"), 0);
  const int a3 = int(s.Accept(l));
  EXPECT_GE(a3, 0);
  ASSERT_EQ(s.Connect(s.Socket(), "service"), 0);
  EXPECT_EQ(s.Accept(l, name, nullptr), -abi::kEFAULT);
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 0u);  // it was taken, then closed

  // A blocking accept waits for the connection.
  auto accepted = std::async(std::launch::async, [&] { return s.Accept(l); });
  ASSERT_TRUE(Sleeping(1));
  EXPECT_EQ(accepted.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  ASSERT_EQ(s.Connect(s.Socket(), "service"), 0);
  EXPECT_GE(accepted.get(), 0);
}

TEST_F(StreamSocketTest, BacklogLimitsTheQueuedConnections) {
  Sys& s = *sys_;
  const int l = s.Socket();
  ASSERT_EQ(s.Bind(l, "busy"), 0);
  // sonewconn admits connections while at most 3 * backlog / 2 are queued:
  // backlog 2 takes 4, the fifth is refused.
  ASSERT_EQ(s.Listen(l, 2), 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.Connect(s.Socket(), "busy"), 0) << i;
  EXPECT_EQ(s.Connect(s.Socket(), "busy"), -abi::kECONNREFUSED);
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 4u);
  // Accepting one makes room for one.
  ASSERT_GE(s.Accept(l), 0);
  EXPECT_EQ(s.Connect(s.Socket(), "busy"), 0);
  EXPECT_EQ(s.Connect(s.Socket(), "busy"), -abi::kECONNREFUSED);
  // listen again changes the backlog: 0 takes one (0 > 0 is false).
  const int l2 = s.Socket();
  ASSERT_EQ(s.Bind(l2, "tiny"), 0);
  ASSERT_EQ(s.Listen(l2, 0), 0);
  EXPECT_EQ(s.Connect(s.Socket(), "tiny"), 0);
  EXPECT_EQ(s.Connect(s.Socket(), "tiny"), -abi::kECONNREFUSED);
  ASSERT_EQ(s.Listen(l2, 10), 0);  // 15 queued at most now
  EXPECT_EQ(s.Connect(s.Socket(), "tiny"), 0);
  // A negative backlog is 0; a huge one is SOMAXCONN (128: 192 queued).
  const int l3 = s.Socket();
  ASSERT_EQ(s.Bind(l3, "wide"), 0);
  ASSERT_EQ(s.Listen(l3, 1 << 30), 0);
  int accepted = 0;
  while (s.Connect(s.Socket(), "wide") == 0) ++accepted;
  EXPECT_EQ(accepted, 193);
}

TEST_F(StreamSocketTest, DatagramSocketsCannotListenOrAccept) {
  Sys& s = *sys_;
  // A datagram socket of the generic layer.
  const int d = s.Socket(0, abi::kAF_LINK, abi::kSOCK_DGRAM);
  ASSERT_GE(d, 0);
  EXPECT_EQ(s.Listen(d, 5), -abi::kEOPNOTSUPP);
  EXPECT_EQ(s.Accept(d), -abi::kEOPNOTSUPP);
  EXPECT_EQ(s.Paccept(d, 0), -abi::kEOPNOTSUPP);
  EXPECT_EQ(s.GetInt(d, abi::kSO_ACCEPTCONN), 0);
  // The toy protocol is streams only.
  EXPECT_EQ(s.Socket(0, kToyDomain, abi::kSOCK_DGRAM), -abi::kEPROTOTYPE);
}

TEST_F(StreamSocketTest, ConnectionStatesOfTheGenericLayer) {
  Sys& s = *sys_;
  const int c = s.Socket();
  char buf[8];
  // Not connected: no sends, no receives, no peer.
  EXPECT_EQ(s.Write(c, "x"), -abi::kENOTCONN);
  EXPECT_EQ(s.Read(c, buf, sizeof(buf)), -abi::kENOTCONN);
  uint8_t name[16];
  uint32_t len = sizeof(name);
  EXPECT_EQ(s.Call(abi::kSysGetpeername, {uint64_t(c), P(name), P(&len)}), -abi::kENOTCONN);
  EXPECT_EQ(s.Poll(c, kIn | kOut), 0);
  EXPECT_EQ(s.Connect(c, "nobody"), -abi::kECONNREFUSED);
  Pair p = Connected("states");
  EXPECT_EQ(s.Connect(p.client, "states"), -abi::kEISCONN);
  uint8_t unspec[2] = {2, abi::kAF_UNSPEC};
  EXPECT_EQ(s.Call(abi::kSysConnect, {uint64_t(p.client), P(unspec), 2}), -abi::kEISCONN);
  EXPECT_EQ(s.Call(abi::kSysConnect, {uint64_t(c), P(unspec), 2}), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(s.Listen(p.client, 5), -abi::kEINVAL);  // connected
  EXPECT_TRUE(s.Toy(p.client)->connected());
  EXPECT_TRUE(s.Toy(p.server)->connected());
  EXPECT_EQ(s.Poll(p.client, kOut), kOut);
}

TEST_F(StreamSocketTest, ReadWriteReadvWritevSendRecvSendmsgRecvmsg) {
  Sys& s = *sys_;
  Pair p = Connected("rw");
  EXPECT_EQ(s.Write(p.client, "hello"), 5);
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 5);
  char buf[64] = {};
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  // writev of three pieces, readv into two: one byte stream.
  char a[] = "abc", b[] = "defgh", c[] = "ij";
  IoVec out[3] = {{P(a), 3}, {P(b), 5}, {P(c), 2}};
  EXPECT_EQ(s.Call(abi::kSysWritev, {uint64_t(p.server), P(out), 3}), 10);
  char x[4] = {}, y[16] = {};
  IoVec in[2] = {{P(x), 4}, {P(y), 16}};
  EXPECT_EQ(s.Call(abi::kSysReadv, {uint64_t(p.client), P(in), 2}), 10);
  EXPECT_EQ(std::string(x, 4) + std::string(y, 6), "abcdefghij");
  // send / recvfrom: a stream has no sender address (length 0).
  EXPECT_EQ(s.Send(p.client, "ping", 4, abi::kMSG_NOSIGNAL), 4);
  uint8_t from[16];
  std::memset(from, 0xee, sizeof(from));
  uint32_t fromlen = sizeof(from);
  EXPECT_EQ(s.Recv(p.server, buf, sizeof(buf), 0, from, &fromlen), 4);
  EXPECT_EQ(fromlen, 0u);
  EXPECT_EQ(from[0], 0xee);
  // A read smaller than what is there takes part of it.
  EXPECT_EQ(s.Write(p.client, "0123456789"), 10);
  EXPECT_EQ(s.Recv(p.server, buf, 3, 0), 3);
  EXPECT_EQ(std::string(buf, 3), "012");
  EXPECT_EQ(s.Recv(p.server, buf, sizeof(buf), 0), 7);
  EXPECT_EQ(std::string(buf, 7), "3456789");
  // sendmsg / recvmsg with the NetBSD msghdr.
  char m1[] = "scatter", m2[] = "/gather";
  IoVec mv[2] = {{P(m1), 7}, {P(m2), 7}};
  MsgHdr m{};
  m.iov = P(mv);
  m.iovlen = 2;
  EXPECT_EQ(s.Call(abi::kSysSendmsg, {uint64_t(p.server), P(&m), 0}), 14);
  char r1[5] = {}, r2[20] = {};
  IoVec rv[2] = {{P(r1), 5}, {P(r2), 20}};
  MsgHdr rm{};
  rm.name = P(from);
  rm.namelen = sizeof(from);
  rm.iov = P(rv);
  rm.iovlen = 2;
  rm.flags = 0x7fff;
  EXPECT_EQ(s.Call(abi::kSysRecvmsg, {uint64_t(p.client), P(&rm), 0}), 14);
  EXPECT_EQ(std::string(r1, 5) + std::string(r2, 9), "scatter/gather");
  EXPECT_EQ(rm.namelen, 0u);
  EXPECT_EQ(rm.flags, 0);
  // Control data on a stream: EINVAL.
  uint8_t control[24] = {20, 0, 0, 0};
  m.control = P(control);
  m.controllen = sizeof(control);
  EXPECT_EQ(s.Call(abi::kSysSendmsg, {uint64_t(p.server), P(&m), 0}), -abi::kEINVAL);
  // A zero-length write sends nothing and succeeds.
  EXPECT_EQ(s.Write(p.client, buf, 0), 0);
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 0);
}

TEST_F(StreamSocketTest, PeekLeavesTheBytesDontwaitTakesWhatIsThere) {
  Sys& s = *sys_;
  Pair p = Connected("peek");
  char buf[32];
  EXPECT_EQ(s.Recv(p.server, buf, sizeof(buf), abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  ASSERT_EQ(s.Write(p.client, "abcdef"), 6);
  EXPECT_EQ(s.Recv(p.server, buf, 4, abi::kMSG_PEEK), 4);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 6);
  EXPECT_EQ(s.Recv(p.server, buf, sizeof(buf), abi::kMSG_PEEK), 6);
  EXPECT_EQ(s.Toy(p.server)->rcvd_calls_.load(), 0);  // peeking takes nothing
  // MSG_DONTWAIT returns what is there rather than waiting for more.
  EXPECT_EQ(s.Recv(p.server, buf, sizeof(buf), abi::kMSG_DONTWAIT), 6);
  EXPECT_EQ(std::string(buf, 6), "abcdef");
  EXPECT_EQ(s.Toy(p.server)->rcvd_calls_.load(), 1);  // the read told the protocol
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 0);
  // O_NONBLOCK: EAGAIN when empty.
  ASSERT_EQ(s.SetNonblocking(p.server, true), 0);
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), -abi::kEAGAIN);
}

TEST_F(StreamSocketTest, WaitallWaitsForEverythingAndPeekWaitallForTheBytes) {
  Sys& s = *sys_;
  Pair p = Connected("waitall");
  ASSERT_EQ(s.Write(p.client, "1234"), 4);
  // MSG_PEEK | MSG_WAITALL waits until 8 bytes are there, takes none.
  auto peeked = std::async(std::launch::async,
                           [&] { return s.ReadString(p.server, 8, abi::kMSG_PEEK | abi::kMSG_WAITALL); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Write(p.client, "5678"), 4);
  EXPECT_EQ(peeked.get(), "12345678");
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 8);
  // MSG_WAITALL of 12 with 8 there sleeps for the rest.
  auto all = std::async(std::launch::async,
                        [&] { return s.ReadString(p.server, 12, abi::kMSG_WAITALL); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Write(p.client, "90"), 2);
  EXPECT_EQ(all.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  ASSERT_EQ(s.Write(p.client, "ab"), 2);
  EXPECT_EQ(all.get(), "1234567890ab");
  // Without MSG_WAITALL the same read returns what is there.
  ASSERT_EQ(s.Write(p.client, "xyz"), 3);
  EXPECT_EQ(s.ReadString(p.server, 12), "xyz");
  // End of file ends a MSG_WAITALL read with a short count.
  ASSERT_EQ(s.Write(p.client, "tail"), 4);
  auto short_read = std::async(std::launch::async,
                               [&] { return s.ReadString(p.server, 100, abi::kMSG_WAITALL); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Shutdown(p.client, abi::kSHUT_WR), 0);
  EXPECT_EQ(short_read.get(), "tail");
}

TEST_F(StreamSocketTest, BlockingWriteLargerThanBothBuffersCompletesWhileTheOtherSideReads) {
  Sys& s = *sys_;
  Pair p = Connected("bulk");
  const std::string data = Pattern(1 << 20);
  auto writer = std::async(std::launch::async, [&] { return s.Write(p.client, data); });
  // The writer fills both buffers and sleeps.
  ASSERT_TRUE(Sleeping(1));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONWRITE), int(ToySocket::kSendSpace));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 0);
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), int(ToySocket::kRecvSpace));
  EXPECT_EQ(s.Poll(p.client, kOut), 0);
  // Reading in odd pieces drains it all, in order.
  std::string got;
  std::vector<char> buf(7777);
  size_t piece = 1;
  while (got.size() < data.size()) {
    piece = piece * 3 % 7777 + 1;
    char* half = buf.data() + piece / 2;
    IoVec iov[2] = {{P(buf.data()), piece / 2}, {P(half), piece - piece / 2}};
    const int64_t n = s.Call(abi::kSysReadv, {uint64_t(p.server), P(iov), 2});
    if (n <= 0) {
      ADD_FAILURE() << "readv: " << n;
      s.Shutdown(p.client, abi::kSHUT_RDWR);  // releases the writer
      break;
    }
    got.append(buf.data(), size_t(n));
  }
  EXPECT_EQ(writer.get(), int64_t(data.size()));
  EXPECT_TRUE(got == data);
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONWRITE), 0);
  EXPECT_EQ(s.Poll(p.client, kOut), kOut);
}

TEST_F(StreamSocketTest, AHugeWriteCopiesInOnlyWhatFits) {
  Sys& s = *sys_;
  Pair p = Connected("huge");
  // 2^40 bytes asked for, 8192 real ones behind the pointer: the layer copies
  // at most the space there is (4096 + the peer's 4096), never the request.
  const std::string data = Pattern(ToySocket::kSendSpace + ToySocket::kRecvSpace);
  EXPECT_EQ(s.Send(p.client, data.data(), uint64_t{1} << 40, abi::kMSG_DONTWAIT),
            int64_t(data.size()));
  EXPECT_EQ(s.Send(p.client, data.data(), uint64_t{1} << 40, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  std::string got;
  while (got.size() < data.size()) {
    std::string part = s.ReadString(p.server, 3000);
    ASSERT_FALSE(part.empty());
    got += part;
  }
  EXPECT_TRUE(got == data);
}

TEST_F(StreamSocketTest, PollSeesReadWriteAcceptAndEndOfFile) {
  Sys& s = *sys_;
  Pair p = Connected("poll");
  EXPECT_EQ(s.Poll(p.client, kIn | kOut), kOut);
  EXPECT_EQ(s.Poll(p.server, kIn | kOut), kOut);
  EXPECT_EQ(s.Poll(p.listener, kIn | kOut), 0);
  // A write from another thread wakes a poll for reading.
  std::thread t([&] {
    EXPECT_TRUE(Sleeping(1));
    EXPECT_EQ(s.Write(p.client, "!"), 1);
  });
  EXPECT_EQ(s.Poll(p.server, kIn, 60000), kIn);
  t.join();
  char buf[8];
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), 1);
  EXPECT_EQ(s.Poll(p.server, kIn), 0);
  // A connection arriving wakes a poll on the listener.
  std::thread u([&] {
    EXPECT_TRUE(Sleeping(1));
    EXPECT_EQ(s.Connect(s.Socket(), "poll"), 0);
  });
  EXPECT_EQ(s.Poll(p.listener, kIn, 60000), kIn);
  u.join();
  // Full buffers: not writable; reading makes room and wakes the poller.
  const std::string fill = Pattern(ToySocket::kSendSpace + ToySocket::kRecvSpace);
  ASSERT_EQ(s.Send(p.client, fill.data(), fill.size(), abi::kMSG_DONTWAIT), int64_t(fill.size()));
  EXPECT_EQ(s.Poll(p.client, kOut), 0);
  std::thread v([&] {
    EXPECT_TRUE(Sleeping(1));
    EXPECT_EQ(s.ReadString(p.server, 4096).size(), 4096u);
  });
  EXPECT_EQ(s.Poll(p.client, kOut, 60000), kOut);
  v.join();
  // End of file: readable with nothing buffered once the peer shut down.
  EXPECT_EQ(s.ReadString(p.server, 8192).size(), 4096u);
  EXPECT_EQ(s.Poll(p.server, kIn), 0);
  std::thread w([&] {
    EXPECT_TRUE(Sleeping(1));
    EXPECT_EQ(s.Shutdown(p.client, abi::kSHUT_WR), 0);
  });
  EXPECT_EQ(s.Poll(p.server, kIn, 60000), kIn);
  w.join();
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), 0);
  // Shut down for writing: writable (the write fails at once).
  EXPECT_EQ(s.Poll(p.client, kOut), kOut);
}

TEST_F(StreamSocketTest, ShutdownForWritingGivesThePeerEndOfFileAndLaterSendsEpipe) {
  Sys& s = *sys_;
  Pair p = Connected("half");
  ASSERT_EQ(s.Write(p.client, "last words"), 10);
  ASSERT_EQ(s.Shutdown(p.client, abi::kSHUT_WR), 0);
  EXPECT_EQ(s.Write(p.client, "more"), -abi::kEPIPE);  // no SIGPIPE: no signals here
  EXPECT_EQ(s.Send(p.client, "more", 4, abi::kMSG_NOSIGNAL), -abi::kEPIPE);
  EXPECT_EQ(s.ReadString(p.server, 100), "last words");
  char buf[8];
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), 0);
  EXPECT_EQ(s.Read(p.server, buf, sizeof(buf)), 0);
  // Half closed: the other direction still works.
  EXPECT_EQ(s.Write(p.server, "reply"), 5);
  EXPECT_EQ(s.ReadString(p.client, 100), "reply");
  EXPECT_EQ(s.Shutdown(p.client, 7), -abi::kEINVAL);

  // SHUT_RD discards what is buffered and reads end of file.
  Pair q = Connected("half2");
  ASSERT_EQ(s.Write(q.client, "dropped"), 7);
  ASSERT_EQ(s.Shutdown(q.server, abi::kSHUT_RD), 0);
  EXPECT_EQ(s.IoctlInt(q.server, abi::kFIONREAD), 0);
  EXPECT_EQ(s.Read(q.server, buf, sizeof(buf)), 0);

  // The peer closing: the data sent before arrives, then end of file;
  // writes fail with EPIPE, and a blocked writer is woken with it.
  Pair r = Connected("gone");
  const std::string fill = Pattern(ToySocket::kSendSpace + ToySocket::kRecvSpace);
  ASSERT_EQ(s.Send(r.client, fill.data(), fill.size(), abi::kMSG_DONTWAIT), int64_t(fill.size()));
  auto blocked = std::async(std::launch::async, [&] { return s.Write(r.client, "wait"); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Write(r.server, "bye"), 3);
  ASSERT_EQ(s.Close(r.server), 0);
  EXPECT_EQ(blocked.get(), -abi::kEPIPE);
  EXPECT_EQ(s.Write(r.client, "x"), -abi::kEPIPE);
  EXPECT_EQ(s.ReadString(r.client, 100), "bye");
  EXPECT_EQ(s.Read(r.client, buf, sizeof(buf)), 0);
}

TEST_F(StreamSocketTest, BufferSizesAndLowWaterMarks) {
  Sys& s = *sys_;
  Pair p = Connected("marks");
  EXPECT_EQ(s.GetInt(p.client, abi::kSO_SNDBUF), int(ToySocket::kSendSpace));
  EXPECT_EQ(s.GetInt(p.server, abi::kSO_RCVBUF), int(ToySocket::kRecvSpace));
  ASSERT_EQ(s.SetInt(p.client, abi::kSO_SNDBUF, 1000), 0);
  ASSERT_EQ(s.SetInt(p.client, abi::kSO_SNDLOWAT, 600), 0);
  ASSERT_EQ(s.SetInt(p.server, abi::kSO_RCVBUF, 500), 0);
  EXPECT_EQ(s.GetInt(p.client, abi::kSO_SNDLOWAT), 600);
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 1000);
  // 1000 go into the send buffer, 500 of them on into the peer's; the
  // 500 of space left are under SO_SNDLOWAT, so the write stops there.
  const std::string data = Pattern(5000);
  EXPECT_EQ(s.Send(p.client, data.data(), data.size(), abi::kMSG_DONTWAIT), 1000);
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONWRITE), 500);
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 500);
  EXPECT_EQ(s.IoctlInt(p.server, abi::kFIONREAD), 500);
  EXPECT_EQ(s.Poll(p.client, kOut), 0);  // 500 < SO_SNDLOWAT
  // A write that fits whole goes even under the low water mark.
  EXPECT_EQ(s.Send(p.client, data.data() + 1000, 1000, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  EXPECT_EQ(s.Send(p.client, data.data() + 1000, 400, abi::kMSG_DONTWAIT), 400);
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 100);
  // The reader takes 300: 300 more move over, 400 of space (still under
  // 600); then 200: 600 of space, writable.
  EXPECT_EQ(s.ReadString(p.server, 300), data.substr(0, 300));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 400);
  EXPECT_EQ(s.Poll(p.client, kOut), 0);
  EXPECT_EQ(s.ReadString(p.server, 200), data.substr(300, 200));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 600);
  EXPECT_EQ(s.Poll(p.client, kOut), kOut);
  EXPECT_EQ(s.Send(p.client, data.data() + 1400, 1000, abi::kMSG_DONTWAIT), 600);
  // The rest (500..2000: 500 buffered at the reader, 1000 at the writer)
  // arrives in order.
  std::string got;
  while (got.size() < 1500) {
    std::string part = s.ReadString(p.server, 1500 - got.size());
    ASSERT_FALSE(part.empty());
    got += part;
  }
  EXPECT_TRUE(got == data.substr(500, 1500));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONWRITE), 0);

  // SO_RCVLOWAT: poll and a blocking read wait for that many bytes.
  Pair q = Connected("rcvlowat");
  ASSERT_EQ(s.SetInt(q.server, abi::kSO_RCVLOWAT, 10), 0);
  ASSERT_EQ(s.Write(q.client, "1234"), 4);
  EXPECT_EQ(s.Poll(q.server, kIn), 0);
  char buf[100];
  // O_NONBLOCK alone does not lower the mark (NetBSD): EAGAIN with 4 there;
  // MSG_DONTWAIT does.
  ASSERT_EQ(s.SetNonblocking(q.server, true), 0);
  EXPECT_EQ(s.Read(q.server, buf, sizeof(buf)), -abi::kEAGAIN);
  EXPECT_EQ(s.Recv(q.server, buf, sizeof(buf), abi::kMSG_DONTWAIT | abi::kMSG_PEEK), 4);
  ASSERT_EQ(s.SetNonblocking(q.server, false), 0);
  auto reader = std::async(std::launch::async, [&] { return s.ReadString(q.server, 100); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Write(q.client, "56789"), 5);
  EXPECT_EQ(s.Poll(q.server, kIn), 0);  // 9 < 10: the reader keeps sleeping
  EXPECT_EQ(reader.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  ASSERT_EQ(s.Write(q.client, "0"), 1);
  EXPECT_EQ(reader.get(), "1234567890");
  // A read asking for fewer bytes than the mark is not held back.
  ASSERT_EQ(s.Write(q.client, "ab"), 2);
  EXPECT_EQ(s.ReadString(q.server, 2), "ab");
  // The marks are capped at the buffer sizes.
  ASSERT_EQ(s.SetInt(q.server, abi::kSO_RCVBUF, 100), 0);
  ASSERT_EQ(s.SetInt(q.server, abi::kSO_RCVLOWAT, 1000), 0);
  EXPECT_EQ(s.GetInt(q.server, abi::kSO_RCVLOWAT), 100);
  ASSERT_EQ(s.SetInt(q.client, abi::kSO_SNDLOWAT, 100000), 0);
  EXPECT_EQ(s.GetInt(q.client, abi::kSO_SNDLOWAT), int(ToySocket::kSendSpace));
}

TEST_F(StreamSocketTest, SendAndReceiveTimeoutsExpire) {
  Sys& s = *sys_;
  Pair p = Connected("timeouts");
  ASSERT_EQ(s.SetInt(p.client, abi::kSO_SNDBUF, 1000), 0);  // SO_SNDLOWAT: 1000 too
  ASSERT_EQ(s.SetInt(p.server, abi::kSO_RCVBUF, 500), 0);
  const std::string data = Pattern(5000);
  ASSERT_EQ(s.Send(p.client, data.data(), data.size(), abi::kMSG_DONTWAIT), 1000);
  ASSERT_EQ(s.SetTimeout(p.client, abi::kSO_SNDTIMEO, 50000), 0);
  // Nothing fits (500 of space, under SO_SNDLOWAT): EAGAIN after the timeout.
  absl::Time start = absl::Now();
  EXPECT_EQ(s.Write(p.client, data.data(), 2000), -abi::kEAGAIN);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONWRITE), 500);
  // Part fits: the bytes sent before the timeout are the result.
  ASSERT_EQ(s.SetInt(p.client, abi::kSO_SNDLOWAT, 100), 0);
  start = absl::Now();
  EXPECT_EQ(s.Write(p.client, data.data(), 2000), 500);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(s.IoctlInt(p.client, abi::kFIONSPACE), 0);

  // SO_RCVTIMEO: EAGAIN after the timeout on an empty buffer.
  Pair q = Connected("rcvtimeo");
  ASSERT_EQ(s.SetTimeout(q.server, abi::kSO_RCVTIMEO, 50000), 0);
  char buf[16];
  start = absl::Now();
  EXPECT_EQ(s.Read(q.server, buf, sizeof(buf)), -abi::kEAGAIN);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  // MSG_WAITALL that could be met (it fits the buffer) waits from the
  // start: EAGAIN, and the bytes stay (NetBSD's soreceive).
  ASSERT_EQ(s.Write(q.client, "1234"), 4);
  start = absl::Now();
  EXPECT_EQ(s.Recv(q.server, buf, 10, abi::kMSG_WAITALL), -abi::kEAGAIN);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(s.IoctlInt(q.server, abi::kFIONREAD), 4);
  // Larger than the buffer, it takes what comes and returns the short
  // count when the timeout ends the wait for the rest.
  ASSERT_EQ(s.SetInt(q.server, abi::kSO_RCVBUF, 8), 0);
  start = absl::Now();
  EXPECT_EQ(s.Recv(q.server, buf, 10, abi::kMSG_WAITALL), 4);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(std::string(buf, 4), "1234");
}

TEST_F(StreamSocketTest, NonblockingConnectIsInProgressThenWritable) {
  Sys& s = *sys_;
  toy_.set_defer_handshake(true);
  const int l = s.Socket();
  ASSERT_EQ(s.Bind(l, "slow"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  const int c = s.Socket(abi::kSOCK_NONBLOCK);
  EXPECT_EQ(s.Connect(c, "slow"), -abi::kEINPROGRESS);
  EXPECT_EQ(s.Connect(c, "slow"), -abi::kEALREADY);
  EXPECT_TRUE(s.Toy(c)->connecting());
  EXPECT_EQ(s.Poll(c, kIn | kOut), 0);
  EXPECT_EQ(s.Write(c, "early"), -abi::kENOTCONN);
  // The server side waits on the incomplete queue: nothing to accept yet.
  EXPECT_EQ(s.Toy(l)->incomplete_queue_length(), 1u);
  EXPECT_EQ(s.Poll(l, kIn), 0);
  ASSERT_EQ(s.SetNonblocking(l, true), 0);
  EXPECT_EQ(s.Accept(l), -abi::kEAGAIN);
  ASSERT_EQ(s.SetNonblocking(l, false), 0);
  // The handshake completes: writable, no error, connected.
  std::thread t([&] {
    EXPECT_TRUE(Sleeping(1));
    toy_.CompleteHandshakes();
  });
  EXPECT_EQ(s.Poll(c, kOut, 60000), kOut);
  t.join();
  EXPECT_EQ(s.GetInt(c, abi::kSO_ERROR), 0);
  EXPECT_EQ(s.Connect(c, "slow"), -abi::kEISCONN);
  EXPECT_EQ(s.Poll(l, kIn), kIn);
  const int a = int(s.Accept(l));
  ASSERT_GE(a, 0);
  EXPECT_EQ(s.Write(c, "now"), 3);
  EXPECT_EQ(s.ReadString(a, 10), "now");

  // A failing handshake: writable with the error pending, and the
  // server side is gone from the listener's queue.
  const int c2 = s.Socket(abi::kSOCK_NONBLOCK);
  EXPECT_EQ(s.Connect(c2, "slow"), -abi::kEINPROGRESS);
  EXPECT_EQ(s.Toy(l)->incomplete_queue_length(), 1u);
  toy_.FailHandshakes(abi::kECONNREFUSED);
  EXPECT_EQ(s.Poll(c2, kOut), kOut);
  EXPECT_EQ(s.GetInt(c2, abi::kSO_ERROR), abi::kECONNREFUSED);
  EXPECT_EQ(s.Toy(l)->incomplete_queue_length(), 0u);
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 0u);
}

TEST_F(StreamSocketTest, BlockingConnectWaitsForTheHandshake) {
  Sys& s = *sys_;
  toy_.set_defer_handshake(true);
  const int l = s.Socket();
  ASSERT_EQ(s.Bind(l, "slow"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  const int c = s.Socket();
  auto connected = std::async(std::launch::async, [&] { return s.Connect(c, "slow"); });
  ASSERT_TRUE(Sleeping(1));
  EXPECT_EQ(connected.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  toy_.CompleteHandshakes();
  EXPECT_EQ(connected.get(), 0);
  EXPECT_EQ(s.Poll(c, kOut), kOut);
  // A refused one returns the error (and clears it).
  const int c2 = s.Socket();
  auto refused = std::async(std::launch::async, [&] { return s.Connect(c2, "slow"); });
  ASSERT_TRUE(Sleeping(1));
  toy_.FailHandshakes(abi::kECONNREFUSED);
  EXPECT_EQ(refused.get(), -abi::kECONNREFUSED);
  EXPECT_EQ(s.GetInt(c2, abi::kSO_ERROR), 0);
}

TEST_F(StreamSocketTest, BlockedCallsAreInterruptible) {
  std::shared_ptr<Process> proc = k_->NewProcess(1, "blocked");
  Sys s(*k_, *proc);
  Pair p = Connected("intr", &s);
  // A write that moved some bytes before it blocked returns their count.
  const std::string data = Pattern(20000);
  auto writer = std::async(std::launch::async, [&] { return s.Write(p.client, data); });
  // accept and connect sleep too.
  auto acceptor = std::async(std::launch::async, [&] { return s.Accept(p.listener); });
  toy_.set_defer_handshake(true);
  const int c = s.Socket();
  auto connector = std::async(std::launch::async, [&] { return s.Connect(c, "intr"); });
  ASSERT_TRUE(Sleeping(3));
  proc->Interrupt();
  EXPECT_EQ(writer.get(), int64_t(ToySocket::kSendSpace + ToySocket::kRecvSpace));
  EXPECT_EQ(acceptor.get(), -abi::kEINTR);
  EXPECT_EQ(connector.get(), -abi::kEINTR);
  EXPECT_EQ(s.Connect(c, "intr"), -abi::kEALREADY);  // still in progress
  // With nothing sent, a blocked write is EINTR; a blocked read too.
  EXPECT_EQ(s.Write(p.client, "x"), -abi::kEINTR);
  char buf[8];
  EXPECT_EQ(s.Read(p.client, buf, sizeof(buf)), -abi::kEINTR);
}

TEST_F(StreamSocketTest, PacceptFlagsAndAcceptInheritance) {
  Sys& s = *sys_;
  const int l = s.Socket(abi::kSOCK_NONBLOCK);
  ASSERT_EQ(s.Bind(l, "flags"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  auto fl = [&](int fd) { return s.Call(abi::kSysFcntl, {uint64_t(fd), abi::kF_GETFL, 0}); };
  auto fd_flags = [&](int fd) { return s.Call(abi::kSysFcntl, {uint64_t(fd), abi::kF_GETFD, 0}); };
  // accept(2): the new descriptor takes the listener's O_NONBLOCK.
  ASSERT_EQ(s.Connect(s.Socket(), "flags"), 0);
  const int a = int(s.Accept(l));
  ASSERT_GE(a, 0);
  EXPECT_NE(fl(a) & abi::kO_NONBLOCK, 0);
  char buf[4];
  EXPECT_EQ(s.Read(a, buf, sizeof(buf)), -abi::kEAGAIN);
  // paccept: only its own SOCK_NONBLOCK counts, and SOCK_CLOEXEC.
  ASSERT_EQ(s.Connect(s.Socket(), "flags"), 0);
  const int b = int(s.Paccept(l, 0));
  ASSERT_GE(b, 0);
  EXPECT_EQ(fl(b) & abi::kO_NONBLOCK, 0);
  EXPECT_EQ(fd_flags(b), 0);
  ASSERT_EQ(s.Connect(s.Socket(), "flags"), 0);
  uint32_t mask[4] = {~0u, ~0u, ~0u, ~0u};
  uint8_t name[16];
  uint32_t len = sizeof(name);
  const int c = int(s.Paccept(l, abi::kSOCK_NONBLOCK | abi::kSOCK_CLOEXEC, name, &len, mask));
  ASSERT_GE(c, 0);
  EXPECT_NE(fl(c) & abi::kO_NONBLOCK, 0);
  EXPECT_EQ(fd_flags(c), 1);  // FD_CLOEXEC
  EXPECT_EQ(len, 7u);         // "anon3"
  EXPECT_EQ(std::string(name + 2, name + len), "anon3");
  // An unreadable signal mask: EFAULT before anything is taken.
  ASSERT_EQ(s.Connect(s.Socket(), "flags"), 0);
  EXPECT_EQ(s.Paccept(l, 0, nullptr, nullptr, reinterpret_cast<void*>(uintptr_t{0} - 8)),
            -abi::kEFAULT);
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 1u);
}

TEST_F(StreamSocketTest, ClosingAListenerDropsItsQueuedConnections) {
  Sys& s = *sys_;
  const int l = s.Socket();
  ASSERT_EQ(s.Bind(l, "closing"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  const int c1 = s.Socket();
  const int c2 = s.Socket();
  ASSERT_EQ(s.Connect(c1, "closing"), 0);
  ASSERT_EQ(s.Connect(c2, "closing"), 0);
  ASSERT_EQ(s.Write(c1, "unheard"), 7);
  // Closing one of two descriptors changes nothing; the last one drops
  // the queued connections.
  const int l2 = int(s.Call(abi::kSysDup, {uint64_t(l)}));
  ASSERT_GE(l2, 0);
  ASSERT_EQ(s.Close(l2), 0);
  EXPECT_EQ(s.Toy(l)->accept_queue_length(), 2u);
  EXPECT_EQ(s.Write(c1, "heard?"), 6);
  ASSERT_EQ(s.Close(l), 0);
  // The clients see their connections dropped.
  char buf[8];
  EXPECT_EQ(s.Read(c1, buf, sizeof(buf)), 0);
  EXPECT_EQ(s.Write(c1, "x"), -abi::kEPIPE);
  EXPECT_EQ(s.Write(c2, "x"), -abi::kEPIPE);
  EXPECT_EQ(s.Connect(s.Socket(), "closing"), -abi::kECONNREFUSED);

  const int l3 = s.Socket();
  ASSERT_EQ(s.Bind(l3, "closing2"), 0);
  ASSERT_EQ(s.Listen(l3, 5), 0);
  auto accepted = std::async(std::launch::async, [&] { return s.Accept(l3); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Close(l3), 0);
  EXPECT_EQ(accepted.get(), -abi::kEBADF);
}

TEST_F(StreamSocketTest, ShutdownForReadingEndsAnAcceptWithConnaborted) {
  Sys& s = *sys_;
  const int l = s.Socket();
  ASSERT_EQ(s.Bind(l, "abort"), 0);
  ASSERT_EQ(s.Listen(l, 5), 0);
  auto accepted = std::async(std::launch::async, [&] { return s.Accept(l); });
  ASSERT_TRUE(Sleeping(1));
  ASSERT_EQ(s.Shutdown(l, abi::kSHUT_RD), 0);
  EXPECT_EQ(accepted.get(), -abi::kECONNABORTED);
  EXPECT_EQ(s.GetInt(l, abi::kSO_ERROR), 0);  // returned and cleared
}

TEST_F(StreamSocketTest, ManyThreadsStreamPollAndChangeOptionsAtOnce) {
  Sys& s = *sys_;
  Pair p = Connected("busy");
  ASSERT_EQ(s.SetInt(p.client, abi::kSO_SNDBUF, 1500), 0);
  ASSERT_EQ(s.SetInt(p.server, abi::kSO_RCVBUF, 700), 0);
  const std::string data = Pattern(300000, 3);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    size_t off = 0, step = 1;
    while (off < data.size()) {
      step = step * 7 % 3001 + 1;
      const size_t n = std::min(step, data.size() - off);
      IoVec iov[2] = {{P(data.data() + off), n / 3}, {P(data.data() + off + n / 3), n - n / 3}};
      const int64_t w = s.Call(abi::kSysWritev, {uint64_t(p.client), P(iov), 2});
      if (w <= 0) {
        ADD_FAILURE() << "writev: " << w;
        break;  // the shutdown below ends the reader
      }
      off += size_t(w);
    }
    EXPECT_EQ(s.Shutdown(p.client, abi::kSHUT_WR), 0);
  });
  std::thread poller([&] {
    while (!done.load()) {
      s.Poll(p.server, kIn | kOut);
      s.Poll(p.client, kIn | kOut);
      s.IoctlInt(p.server, abi::kFIONREAD);
      s.IoctlInt(p.client, abi::kFIONWRITE);
      s.SetInt(p.server, abi::kSO_RCVLOWAT, 1);
      s.SetInt(p.client, abi::kSO_SNDLOWAT, 512);
    }
  });
  std::string got;
  char buf[4096];
  for (;;) {
    const int64_t n = s.Recv(p.server, buf, 1000, abi::kMSG_WAITALL);
    EXPECT_GE(n, 0);
    if (n < 0) s.Shutdown(p.client, abi::kSHUT_RDWR);  // releases the writer
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  done = true;
  writer.join();
  poller.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

}  // namespace
}  // namespace rump
