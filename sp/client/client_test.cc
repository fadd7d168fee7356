// The process-level client: real unix and tcp sockets, connect errors, the
// reconnect policy, fork and exec hand-over, and the small helpers.
#include "sp/client/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sp/client/errors.h"
#include "sp/client/fake_peer.h"
#include "sp/client/signals.h"
#include "sp/transport/url.h"
#include "sp/wire/banner.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"

namespace sp::client {
namespace {

using ::sp::client::testing::FakePeer;
using ::sp::client::testing::TempDir;
using ::testing::ElementsAre;

ConnectionOptions Options() {
  ConnectionOptions o;
  o.progname = "client_test";
  o.transport.connect_timeout_ms = 5000;
  return o;
}

// A listening socket the test accepts on by hand.
class Listener {
 public:
  // unix socket at `path`.
  explicit Listener(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof(sun.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    url_ = absl::StrCat("unix://", path);
  }
  // tcp on loopback, IPv4 or IPv6, any port.
  explicit Listener(bool v6) {
    fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss = {};
    socklen_t len;
    if (v6) {
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
      s6->sin6_family = AF_INET6;
      s6->sin6_addr = in6addr_loopback;
      len = sizeof(*s6);
    } else {
      auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
      s4->sin_family = AF_INET;
      s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*s4);
    }
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0 && listen(fd_, 16) == 0;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    const int port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                              : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    url_ = v6 ? absl::StrCat("tcp://[::1]:", port, "/") : absl::StrCat("tcp://127.0.0.1:", port, "/");
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool ok() const { return ok_; }
  const std::string& url() const { return url_; }
  transport::Url Parsed() const { return *transport::ParseUrl(url_, transport::Role::kClient); }

  void AcceptAndClose() {
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) close(c);
  }

  // Accepts one client, sends the banner and answers its handshake (checked
  // to be of `kind`).
  std::unique_ptr<FakePeer> AcceptAndGreet(uint32_t kind = wire::kHandshakeGuest,
                                           wire::Frame* handshake = nullptr) {
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return nullptr;
    auto peer = std::make_unique<FakePeer>(c);
    peer->Write(*wire::OurBanner().Format());
    auto hs = peer->Read();
    EXPECT_TRUE(hs);
    if (!hs) return nullptr;
    EXPECT_EQ(hs->header.type, wire::kTypeHandshake);
    EXPECT_EQ(hs->header.u, kind);
    EXPECT_EQ(hs->header.reqno, 0u);
    if (handshake != nullptr) *handshake = *hs;
    if (kind != wire::kHandshakeFork || hs->payload.size() < 20 || hs->payload[16] == 0) {
      peer->Write(wire::HandshakeResponse(0));
    }
    return peer;
  }

 private:
  int fd_ = -1;
  bool ok_ = true;
  std::string url_;
};

// Serves one getpid on `peer`: returns the reqno it answered.
uint64_t ServeGetpid(FakePeer& peer, int64_t pid) {
  auto req = peer.Read();
  EXPECT_TRUE(req);
  if (!req) return ~uint64_t{0};
  EXPECT_EQ(req->header.u, 20u);
  peer.Write(wire::SyscallResponse(req->header.reqno, 0, pid, 1));
  return req->header.reqno;
}

TEST(ClientTest, ConnectsOverUnixTcpAndTcp6) {
  TempDir dir;
  std::vector<std::unique_ptr<Listener>> listeners;
  listeners.push_back(std::make_unique<Listener>(dir.path() + "/sock"));
  listeners.push_back(std::make_unique<Listener>(false));
  auto v6 = std::make_unique<Listener>(true);
  if (v6->ok()) {
    listeners.push_back(std::move(v6));
  } else {
    std::fprintf(stderr, "no IPv6 loopback here; tcp://[::1] not tested\n");
  }
  for (auto& l : listeners) {
    SCOPED_TRACE(l->url());
    auto fut = std::async(std::launch::async,
                          [&] { return Client::Connect(l->Parsed(), Options()); });
    wire::Frame hs;
    auto peer = l->AcceptAndGreet(wire::kHandshakeGuest, &hs);
    ASSERT_NE(peer, nullptr);
    EXPECT_EQ(hs.payload, std::string("client_test\0", 12));
    auto client = fut.get();
    ASSERT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE((*client)->connection()->peer_is_ours());
    EXPECT_GT((*client)->SocketFd(), 2);
    EXPECT_EQ(fcntl((*client)->SocketFd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    auto call = std::async(std::launch::async, [&] { return (*client)->Syscall(20, {}); });
    EXPECT_EQ(ServeGetpid(*peer, 7), 1u);
    EXPECT_EQ(call.get().rv0, 7);
  }
}

TEST(ClientTest, ConnectErrors) {
  TempDir dir;
  // No such socket file.
  auto url = transport::ParseUrl(absl::StrCat("unix://", dir.path(), "/missing"),
                                 transport::Role::kClient);
  ASSERT_TRUE(url.ok());
  auto c = Client::Connect(*url, Options());
  EXPECT_EQ(ErrnoOf(c.status()), ENOENT) << c.status();
  // Nobody listening on the port.
  int port;
  {
    Listener l(false);
    port = std::stoi(l.url().substr(l.url().rfind(':') + 1));
  }
  url = transport::ParseUrl(absl::StrCat("tcp://127.0.0.1:", port, "/"), transport::Role::kClient);
  c = Client::Connect(*url, Options());
  EXPECT_EQ(ErrnoOf(c.status()), ECONNREFUSED) << c.status();
  // Accepted and closed at once (a full server): no banner.
  Listener l(dir.path() + "/full");
  auto fut = std::async(std::launch::async, [&] { return Client::Connect(l.Parsed(), Options()); });
  l.AcceptAndClose();
  c = fut.get();
  EXPECT_EQ(ErrnoOf(c.status()), ECONNRESET) << c.status();
}

TEST(ClientTest, NoReconnectByDefault) {
  SetConnRetry(0);
  TempDir dir;
  Listener l(dir.path() + "/s");
  auto fut = std::async(std::launch::async, [&] { return Client::Connect(l.Parsed(), Options()); });
  auto peer = l.AcceptAndGreet();
  auto client = fut.get();
  ASSERT_TRUE(client.ok());
  auto call = std::async(std::launch::async, [&] { return (*client)->Syscall(20, {}); });
  ASSERT_TRUE(peer->Read());
  peer->Close();
  SyscallResult r = call.get();
  EXPECT_EQ(r.error, ENOTCONN);
  EXPECT_EQ((*client)->Syscall(20, {}).error, ENOTCONN);
}

TEST(ClientTest, ReconnectsAndResendsTheCall) {
  for (int64_t policy : {kRetryConnOnce, int64_t{5}, kRetryConnInfTime}) {
    SCOPED_TRACE(policy);
    SetConnRetry(policy);
    TempDir dir;
    Listener l(dir.path() + "/s");
    auto fut =
        std::async(std::launch::async, [&] { return Client::Connect(l.Parsed(), Options()); });
    auto peer = l.AcceptAndGreet();
    auto client = fut.get();
    ASSERT_TRUE(client.ok());
    auto call = std::async(std::launch::async, [&] { return (*client)->Syscall(20, {}); });
    ASSERT_TRUE(peer->Read());
    peer->Close();  // lost after the call was sent
    // A brand new GUEST connection, and the call again on it.
    auto peer2 = l.AcceptAndGreet(wire::kHandshakeGuest);
    ASSERT_NE(peer2, nullptr);
    EXPECT_EQ(ServeGetpid(*peer2, 11), 1u);
    SyscallResult r = call.get();
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(r.rv0, 11);
  }
  SetConnRetry(0);
}

TEST(ClientTest, ReconnectGivesUp) {
  SetConnRetry(kRetryConnOnce);
  TempDir dir;
  auto l = std::make_unique<Listener>(dir.path() + "/s");
  auto fut = std::async(std::launch::async, [&] { return Client::Connect(l->Parsed(), Options()); });
  auto peer = l->AcceptAndGreet();
  auto client = fut.get();
  ASSERT_TRUE(client.ok());
  l.reset();  // the server is gone for good
  unlink((dir.path() + "/s").c_str());
  peer->Close();
  // It gives up (two attempts, 100 ms apart) rather than retrying for ever.
  SyscallResult r = (*client)->Syscall(20, {});
  EXPECT_EQ(r.error, ENOTCONN);

  SetConnRetry(1);
  const absl::Time t1 = absl::Now();
  r = (*client)->Syscall(20, {});
  EXPECT_EQ(r.error, ENOTCONN);
  EXPECT_GE(absl::Now() - t1, absl::Milliseconds(900));
  SetConnRetry(0);
}

TEST(ClientTest, RetryDieExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        // TCP on loopback, not a unix socket in a TempDir: the child ends
        // in _exit, which would leave the directory behind.
        Listener l(/*v6=*/false);
        auto fut = std::async(std::launch::async,
                              [&] { return Client::Connect(l.Parsed(), Options()); });
        auto peer = l.AcceptAndGreet();
        auto client = fut.get();
        SetConnRetry(kRetryConnDie);
        peer->Close();
        (*client)->Syscall(20, {});
        std::exit(3);
      },
      ::testing::ExitedWithCode(1), "connection to kernel lost");
}

TEST(ClientTest, PolicyValuesBelowDieAreIgnored) {
  SetConnRetry(7);
  SetConnRetry(-4);
  EXPECT_EQ(ConnRetry(), 7);
  SetConnRetry(kRetryConnDie);
  EXPECT_EQ(ConnRetry(), kRetryConnDie);
  SetConnRetry(0);
}

TEST(ClientTest, Backoff) {
  EXPECT_EQ(ReconnectBackoff(1), absl::Milliseconds(100));
  EXPECT_EQ(ReconnectBackoff(9), absl::Milliseconds(900));
  EXPECT_EQ(ReconnectBackoff(10), absl::Seconds(1));
  EXPECT_EQ(ReconnectBackoff(15), absl::Seconds(6));
  EXPECT_EQ(ReconnectBackoff(19), absl::Seconds(10));
  EXPECT_EQ(ReconnectBackoff(500), absl::Seconds(10));
}

TEST(ClientTest, ForkHandshakeAndCancel) {
  TempDir dir;
  Listener l(dir.path() + "/s");
  wire::Cookie cookie;
  for (int i = 0; i < 16; ++i) cookie[i] = uint8_t(0xa0 + i);
  auto fut = std::async(std::launch::async,
                        [&] { return Client::ConnectForked(l.Parsed(), cookie, Options()); });
  wire::Frame hs;
  auto peer = l.AcceptAndGreet(wire::kHandshakeFork, &hs);
  auto decoded = wire::DecodeHandshakeFork(hs);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->cookie, cookie);
  EXPECT_EQ(decoded->cancel, 0);
  ASSERT_TRUE(fut.get().ok());

  auto cancel = std::async(std::launch::async, [&] {
    return Connection::CancelFork(l.Parsed(), cookie, Options());
  });
  auto peer2 = l.AcceptAndGreet(wire::kHandshakeFork, &hs);
  decoded = wire::DecodeHandshakeFork(hs);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->cancel, 1);
  EXPECT_TRUE(cancel.get().ok());
  EXPECT_TRUE(peer2->SeesEof());
}

TEST(ClientTest, ResumeAfterExec) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  FakePeer peer(sv[1]);
  auto fut = std::async(std::launch::async,
                        [&] { return Client::ResumeAfterExec(sv[0], std::nullopt, Options()); });
  auto hs = peer.Read();
  ASSERT_TRUE(hs);
  EXPECT_EQ(hs->header.u, wire::kHandshakeExec);
  EXPECT_EQ(hs->header.reqno, 0u);
  EXPECT_EQ(hs->payload, std::string("client_test\0", 12));
  peer.Write(wire::HandshakeResponse(0));
  auto client = fut.get();
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  auto call = std::async(std::launch::async, [&] { return (*client)->Syscall(20, {}); });
  EXPECT_EQ(ServeGetpid(peer, 4), 1u);
  EXPECT_EQ(call.get().rv0, 4);

  // Not a socket; not open.
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_EQ(ErrnoOf(Client::ResumeAfterExec(p[0], std::nullopt, Options()).status()), ENOTSOCK);
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(ErrnoOf(Client::ResumeAfterExec(p[0], std::nullopt, Options()).status()), EBADF);
}

// A forked child closes its copy of the socket: the parent's connection
// keeps working, and the server sees EOF once the parent closes its own.
TEST(ClientTest, CloseAfterForkLeavesTheParentsConnection) {
  TempDir dir;
  Listener l(dir.path() + "/s");
  auto fut = std::async(std::launch::async, [&] { return Client::Connect(l.Parsed(), Options()); });
  auto peer = l.AcceptAndGreet();
  auto client = *fut.get();
  const pid_t pid = fork();
  if (pid == 0) {
    client->CloseAfterFork();
    // Still open here would keep the server's end alive after the parent.
    _exit(fcntl(client->SocketFd(), F_GETFD) == -1 && errno == EBADF ? 0 : 1);
  }
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto call = std::async(std::launch::async, [&] { return client->Syscall(20, {}); });
  ServeGetpid(*peer, 3);
  EXPECT_EQ(call.get().rv0, 3);
  client.reset();
  EXPECT_TRUE(peer->SeesEof());
}

TEST(ClientTest, ExecEnvironment) {
  const char* env[] = {"A=1", "RUMPCLIENT__EXECFD=9,9", "RUMP__PARSEDSERVER=unix:///old", "B=2",
                       nullptr};
  auto url = transport::ParseUrl("unix:///tmp/x/sock", transport::Role::kClient);
  ASSERT_TRUE(url.ok());
  EXPECT_THAT(ExecEnvironment(env, 5, *url),
              ElementsAre("A=1", "B=2", "RUMPCLIENT__EXECFD=5,-1",
                          "RUMP__PARSEDSERVER=unix:///tmp/x/sock"));
  EXPECT_THAT(ExecEnvironment(nullptr, 3, std::nullopt), ElementsAre("RUMPCLIENT__EXECFD=3,-1"));
  EXPECT_EQ(*ParseExecFd("7,8"), 7);
  EXPECT_EQ(*ParseExecFd("12"), 12);
  EXPECT_FALSE(ParseExecFd("x,1").ok());
  EXPECT_FALSE(ParseExecFd("-1,1").ok());
  EXPECT_FALSE(ParseExecFd(nullptr).ok());
}

TEST(ClientTest, ProgramName) {
  // /proc/self/comm: at most 15 characters of the executable's name.
  EXPECT_EQ(ProgramName(), "client_test");
}

TEST(ClientTest, NetbsdSignals) {
  EXPECT_EQ(NetbsdToHostSignal(13), SIGPIPE);
  EXPECT_EQ(NetbsdToHostSignal(10), SIGBUS);
  EXPECT_EQ(NetbsdToHostSignal(12), SIGSYS);
  EXPECT_EQ(NetbsdToHostSignal(16), SIGURG);
  EXPECT_EQ(NetbsdToHostSignal(17), SIGSTOP);
  EXPECT_EQ(NetbsdToHostSignal(19), SIGCONT);
  EXPECT_EQ(NetbsdToHostSignal(20), SIGCHLD);
  EXPECT_EQ(NetbsdToHostSignal(23), SIGIO);
  EXPECT_EQ(NetbsdToHostSignal(30), SIGUSR1);
  EXPECT_EQ(NetbsdToHostSignal(31), SIGUSR2);
  EXPECT_EQ(NetbsdToHostSignal(32), SIGPWR);
  EXPECT_EQ(NetbsdToHostSignal(7), -1);
  EXPECT_EQ(NetbsdToHostSignal(29), -1);
  EXPECT_EQ(NetbsdToHostSignal(0), -1);
  EXPECT_EQ(NetbsdToHostSignal(33), -1);
  EXPECT_EQ(NetbsdToHostSignal(0xffffffffu), -1);
}

}  // namespace
}  // namespace sp::client
