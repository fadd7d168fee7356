// The ZeroMQ client transport against a scripted ROUTER: hello, banner,
// frames as messages, the server's close, a server that goes away, connect
// errors, malformed messages.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sp/client/connection.h"
#include "sp/client/errors.h"
#include "sp/client/fake_peer.h"
#include "sp/client/transport.h"
#include "sp/transport/url.h"
#include "sp/wire/banner.h"
#include "sp/wire/encode.h"

// libzmq is not built with ThreadSanitizer: its threads hand messages over
// through atomics TSan cannot see (as sp/transport's listener notes).
extern "C" __attribute__((weak)) const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so\ncalled_from_lib:libsodium.so\n";
}

namespace sp::client {
namespace {

using ::sp::client::testing::TempDir;

// A ROUTER the test drives; one client.
class FakeRouter {
 public:
  explicit FakeRouter(const std::string& endpoint) : router_(ctx_, zmq::socket_type::router) {
    router_.set(zmq::sockopt::linger, 0);
    router_.bind(endpoint);
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  }
  ~FakeRouter() { Close(); }

  // "tcp://127.0.0.1:port" -> "zmq+tcp://127.0.0.1:port"
  std::string ClientUrl() const { return absl::StrCat("zmq+", endpoint_); }

  // The next message from the client (its identity remembered); nullopt
  // after 10 s.
  std::optional<std::string> Recv() {
    zmq::pollitem_t item = {router_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0) return std::nullopt;
    zmq::message_t id, body;
    if (!router_.recv(id) || !id.more() || !router_.recv(body)) return std::nullopt;
    id_ = id.to_string();
    return body.to_string();
  }
  void Send(const std::string& body, bool more_parts = false) {
    router_.send(zmq::buffer(id_), zmq::send_flags::sndmore);
    router_.send(zmq::buffer(body), more_parts ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  void Close() {
    router_.close();
    ctx_.close();
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  std::string endpoint_;
  std::string id_;
};

ConnectionOptions Options() {
  ConnectionOptions o;
  o.progname = "zmq_test";
  o.transport.connect_timeout_ms = 5000;
  o.log = [](const std::string&) {};
  return o;
}

transport::Url Parse(const std::string& url) {
  auto u = transport::ParseUrl(url, transport::Role::kClient);
  EXPECT_TRUE(u.ok()) << u.status();
  return *u;
}

// Client connects; the router answers hello and the handshake.
std::unique_ptr<Connection> ConnectTo(FakeRouter& r, const std::string& url) {
  auto fut = std::async(std::launch::async, [&] { return Connection::Connect(Parse(url), Options()); });
  EXPECT_EQ(r.Recv(), "");  // hello
  r.Send(*wire::OurBanner().Format());
  auto hs = r.Recv();
  EXPECT_TRUE(hs);
  EXPECT_EQ(*hs, wire::HandshakeGuestRequest(0, "zmq_test"));
  r.Send(wire::HandshakeResponse(0));
  auto c = fut.get();
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

TEST(ZmqTransportTest, SyscallsWithCopiesOverTcpAndIpc) {
  TempDir dir;
  for (const std::string& ep : {std::string("tcp://127.0.0.1:*"), "ipc://" + dir.path() + "/z"}) {
    SCOPED_TRACE(ep);
    FakeRouter r(ep);
    auto conn = ConnectTo(r, r.ClientUrl());
    ASSERT_NE(conn, nullptr);
    EXPECT_TRUE(conn->peer_is_ours());
    EXPECT_EQ(conn->transport().fd(), -1);
    const char in[] = "abc";
    char out[4] = {};
    std::vector<uint64_t> slots = {uint64_t(uintptr_t(in)), uint64_t(uintptr_t(out))};
    auto call = std::async(std::launch::async, [&] { return conn->Syscall(4, slots); });
    auto req = r.Recv();
    ASSERT_TRUE(req);
    EXPECT_EQ(*req, *wire::SyscallRequest(1, 4, slots));
    r.Send(wire::CopyinRequest(0, 4, uintptr_t(in)));
    EXPECT_EQ(r.Recv(), wire::CopyinResponse(0, std::string("abc\0", 4)));
    r.Send(wire::CopyoutRequest(1, uintptr_t(out), "xyz"));
    r.Send(wire::SyscallResponse(1, 0, 3, 0));
    SyscallResult res = call.get();
    EXPECT_EQ(res.error, 0);
    EXPECT_EQ(res.rv0, 3);
    EXPECT_STREQ(out, "xyz");

    // Many calls from many threads.
    std::vector<std::future<SyscallResult>> calls;
    for (int i = 0; i < 16; ++i) {
      calls.push_back(std::async(std::launch::async, [&] { return conn->Syscall(20, {}); }));
    }
    for (int i = 0; i < 16; ++i) {
      auto q = r.Recv();
      ASSERT_TRUE(q);
      uint64_t reqno;
      std::memcpy(&reqno, q->data() + 8, 8);
      r.Send(wire::SyscallResponse(reqno, 0, int64_t(reqno), 1));
    }
    for (auto& c : calls) EXPECT_EQ(c.get().error, 0);

    // The server's close (an empty message).
    auto last = std::async(std::launch::async, [&] { return conn->Syscall(20, {}); });
    ASSERT_TRUE(r.Recv());
    r.Send("");
    res = last.get();
    EXPECT_EQ(res.error, ENOTCONN);
    EXPECT_TRUE(res.lost);
    EXPECT_EQ(conn->Syscall(20, {}).error, ENOTCONN);
  }
}

TEST(ZmqTransportTest, ServerGoneGivesEnotconnPromptly) {
  TempDir dir;
  for (const std::string& ep : {std::string("tcp://127.0.0.1:*"), "ipc://" + dir.path() + "/z"}) {
    SCOPED_TRACE(ep);
    auto r = std::make_unique<FakeRouter>(ep);
    auto conn = ConnectTo(*r, r->ClientUrl());
    ASSERT_NE(conn, nullptr);
    auto call = std::async(std::launch::async, [&] { return conn->Syscall(430, {}); });
    ASSERT_TRUE(r->Recv());
    r.reset();  // the server process "dies": its sockets close
    // The call is never answered: that it returns at all is the point.
    SyscallResult res = call.get();
    EXPECT_EQ(res.error, ENOTCONN);
  }
}

TEST(ZmqTransportTest, ConnectErrors) {
  TempDir dir;
  // Nobody there.
  int port;
  {
    FakeRouter r("tcp://127.0.0.1:*");
    port = std::stoi(r.ClientUrl().substr(r.ClientUrl().rfind(':') + 1));
  }
  auto c = Connection::Connect(Parse(absl::StrCat("zmq+tcp://127.0.0.1:", port)), Options());
  EXPECT_EQ(ErrnoOf(c.status()), ECONNREFUSED) << c.status();
  c = Connection::Connect(Parse("zmq+ipc://" + dir.path() + "/missing"), Options());
  EXPECT_EQ(ErrnoOf(c.status()), ENOENT) << c.status();

  // Closed without a banner (an empty answer to hello).
  FakeRouter r("tcp://127.0.0.1:*");
  auto fut = std::async(std::launch::async,
                        [&] { return Connection::Connect(Parse(r.ClientUrl()), Options()); });
  EXPECT_EQ(r.Recv(), "");
  r.Send("");
  EXPECT_EQ(ErrnoOf(fut.get().status()), ECONNRESET);

  // A banner without its newline.
  fut = std::async(std::launch::async,
                   [&] { return Connection::Connect(Parse(r.ClientUrl()), Options()); });
  EXPECT_EQ(r.Recv(), "");
  r.Send("RUMPSP-0.4");
  EXPECT_EQ(ErrnoOf(fut.get().status()), EPROTO);
}

TEST(ZmqTransportTest, MalformedMessagesCloseTheConnection) {
  std::string len_mismatch = wire::SyscallResponse(1, 0, 0, 0);
  len_mismatch += "extra";
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    FakeRouter r("tcp://127.0.0.1:*");
    auto conn = ConnectTo(r, r.ClientUrl());
    ASSERT_NE(conn, nullptr);
    auto call = std::async(std::launch::async, [&] { return conn->Syscall(20, {}); });
    ASSERT_TRUE(r.Recv());
    if (variant == 0) r.Send(len_mismatch);
    if (variant == 1) r.Send("short");
    if (variant == 2) {
      r.Send(wire::SyscallResponse(1, 0, 0, 0), /*more_parts=*/true);
      r.Send("x");
    }
    SyscallResult res = call.get();
    EXPECT_EQ(res.error, ENOTCONN);
    EXPECT_FALSE(conn->alive());
  }
}

}  // namespace
}  // namespace sp::client
