// The client connection against a scripted server on a socketpair: the
// protocol fact sheet's exchanges byte for byte, the server's requests,
// errors, hostile input, concurrency and connection loss.
#include "sp/client/connection.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sp/client/errors.h"
#include "sp/client/fake_peer.h"
#include "sp/client/transport.h"
#include "sp/wire/banner.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/spec_examples.h"
#include "sp/wire/xsyscall.h"

namespace sp::client {
namespace {

using ::sp::client::testing::FakePeer;
using ::sp::wire::testing::SpecFrame;
using ::testing::HasSubstr;

std::string OurBannerText() { return *wire::OurBanner().Format(); }

struct Logs {
  std::mutex mu;
  std::vector<std::string> lines;
  std::string All() {
    std::lock_guard<std::mutex> l(mu);
    std::string s;
    for (auto& x : lines) absl::StrAppend(&s, x, "\n");
    return s;
  }
};

ConnectionOptions Options(Logs* logs, std::string progname = "ping") {
  ConnectionOptions o;
  o.progname = std::move(progname);
  o.transport.connect_timeout_ms = 5000;
  if (logs != nullptr) {
    o.log = [logs](const std::string& line) {
      std::lock_guard<std::mutex> l(logs->mu);
      logs->lines.push_back(line);
    };
  }
  return o;
}

// A connection whose server end the test drives.
struct Pair {
  std::unique_ptr<Connection> conn;
  std::unique_ptr<FakePeer> server;
};

// Connects over a socketpair: banner, GUEST handshake (checked against
// `expect_handshake` if given), answer.
Pair Connect(const ConnectionOptions& options, const std::string& banner = OurBannerText(),
             const std::string* expect_handshake = nullptr) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Pair p;
  p.server = std::make_unique<FakePeer>(sv[1]);
  EXPECT_TRUE(p.server->Write(banner));
  auto fut = std::async(std::launch::async, [&] {
    std::string got;
    auto t = StreamTransportForTest(sv[0], &got, options.transport);
    EXPECT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(got, banner);
    return Connection::Start(*std::move(t), got, Connection::Handshake::kGuest, wire::Cookie{},
                             options);
  });
  std::optional<wire::Frame> hs = p.server->Read();
  EXPECT_TRUE(hs.has_value());
  if (hs) {
    EXPECT_EQ(hs->header.type, wire::kTypeHandshake);
    EXPECT_EQ(hs->header.reqno, 0u);
    if (expect_handshake != nullptr) {
      std::string bytes(24, '\0');
      wire::EncodeHeader(hs->header, reinterpret_cast<uint8_t*>(bytes.data()));
      EXPECT_EQ(bytes + hs->payload, *expect_handshake);
    }
  }
  p.server->Write(wire::HandshakeResponse(0));
  auto c = fut.get();
  EXPECT_TRUE(c.ok()) << c.status();
  if (c.ok()) p.conn = *std::move(c);
  return p;
}

std::string Bytes(const wire::Frame& f) {
  std::string bytes(24, '\0');
  wire::EncodeHeader(f.header, reinterpret_cast<uint8_t*>(bytes.data()));
  return bytes + f.payload;
}

uint64_t Addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

std::future<SyscallResult> AsyncSyscall(Connection* c, uint32_t num, std::vector<uint64_t> slots) {
  return std::async(std::launch::async,
                    [c, num, slots] { return c->Syscall(num, absl::MakeConstSpan(slots)); });
}

// The reference exchanges (spec_examples.h): handshake, getpid, sendto with
// two COPYINs, an error return, PREFORK, byte for byte where the bytes do
// not depend on this process's addresses.
TEST(ConnectionTest, SpecExchanges) {
  const std::string hs = SpecFrame("handshake.guest");
  Pair p = Connect(Options(nullptr, "ping"), wire::kNetbsdBanner, &hs);
  ASSERT_NE(p.conn, nullptr);
  EXPECT_FALSE(p.conn->peer_is_ours());

  // getpid (reqno 1).
  auto getpid = AsyncSyscall(p.conn.get(), 20, {});
  auto req = p.server->Read();
  ASSERT_TRUE(req);
  EXPECT_EQ(Bytes(*req), SpecFrame("getpid.request"));
  p.server->Write(SpecFrame("getpid.response"));
  SyscallResult r = getpid.get();
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 2);
  EXPECT_EQ(r.rv1, 1);

  // sendto(3, "hello", 5, 0, to, 16) (reqno 2).
  const unsigned char to[16] = {16, 2, 0, 7, 10, 0, 0, 2};
  const char buf[] = "hello";
  auto sendto = AsyncSyscall(p.conn.get(), 133, {3, Addr(buf), 5, 0, Addr(to), 16});
  req = p.server->Read();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header.reqno, 2u);
  EXPECT_EQ(req->header.u, 133u);
  EXPECT_EQ(req->payload.size(), 48u);
  p.server->Write(wire::CopyinRequest(0, 16, Addr(to)));
  auto resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(Bytes(*resp), SpecFrame("sendto.copyin1.response"));
  p.server->Write(wire::CopyinRequest(1, 5, Addr(buf)));
  resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(Bytes(*resp), SpecFrame("sendto.copyin2.response"));
  p.server->Write(SpecFrame("sendto.response"));
  r = sendto.get();
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 5);

  // __socket30(99, SOCK_DGRAM, 0) -> NetBSD EAFNOSUPPORT (reqno 3).
  auto sock = AsyncSyscall(p.conn.get(), 394, {99, 2, 0});
  req = p.server->Read();
  ASSERT_TRUE(req);
  EXPECT_EQ(Bytes(*req), SpecFrame("socket.request"));
  p.server->Write(SpecFrame("socket.response"));
  r = sock.get();
  EXPECT_EQ(r.error, 47);
  EXPECT_FALSE(r.lost);

  // PREFORK (reqno 4).
  auto cookie = std::async(std::launch::async, [&] { return p.conn->Prefork(); });
  req = p.server->Read();
  ASSERT_TRUE(req);
  EXPECT_EQ(Bytes(*req), SpecFrame("prefork.request"));
  p.server->Write(SpecFrame("prefork.response"));
  absl::StatusOr<wire::Cookie> c = cookie.get();
  ASSERT_TRUE(c.ok()) << c.status();
  for (int i = 0; i < 16; ++i) EXPECT_EQ((*c)[i], 0x10 + i);
}

TEST(ConnectionTest, CopyinstrFollowsNetbsdLengthRules) {
  Pair p = Connect(Options(nullptr));
  const char path[] = "shmif0";
  auto call = AsyncSyscall(p.conn.get(), 5, {Addr(path), 0, 0});
  ASSERT_TRUE(p.server->Read());
  // Room for the string: the string and its NUL.
  p.server->Write(wire::CopyinstrRequest(0, 64, Addr(path)));
  auto resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->header.cls, wire::kClassResponse);
  EXPECT_EQ(resp->header.type, wire::kTypeCopyin);  // NetBSD answers type 2
  EXPECT_EQ(resp->payload, std::string("shmif0\0", 7));
  // Exactly room for it.
  p.server->Write(wire::CopyinstrRequest(1, 7, Addr(path)));
  resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->payload, std::string("shmif0\0", 7));
  // Too little room: maxlen bytes, no NUL.
  p.server->Write(wire::CopyinstrRequest(2, 4, Addr(path)));
  resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->payload, "shmi");
  p.server->Write(wire::SyscallResponse(1, 0, 3, 0));
  EXPECT_EQ(call.get().rv0, 3);
}

TEST(ConnectionTest, CopyinstrStopsAtUnreadablePage) {
  Pair p = Connect(Options(nullptr));
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  char* m = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  ASSERT_EQ(mprotect(m + page, page, PROT_NONE), 0);
  std::memset(m + page - 3, 'x', 3);  // "xxx" then an unmapped page
  auto call = AsyncSyscall(p.conn.get(), 5, {Addr(m + page - 3), 0, 0});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::CopyinstrRequest(0, 100, Addr(m + page - 3)));
  auto resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->payload, "xxx");
  p.server->Write(wire::SyscallResponse(1, 63, -1, 0));  // ENAMETOOLONG
  EXPECT_EQ(call.get().error, 63);
  munmap(m, 2 * page);
}

TEST(ConnectionTest, CopyoutWritesMemoryBeforeTheResponse) {
  Pair p = Connect(Options(nullptr));
  uint32_t value = 0;
  char name[16] = {};
  auto call = AsyncSyscall(p.conn.get(), 54, {3, 0xc0906911, Addr(name)});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::CopyoutRequest(0, Addr(&value), std::string("\x2a\0\0\0", 4)));
  p.server->Write(wire::CopyoutstrRequest(1, Addr(name), std::string("lo0\0", 4)));
  p.server->Write(wire::SyscallResponse(1, 0, 0, 0));
  EXPECT_EQ(call.get().error, 0);
  EXPECT_EQ(value, 42u);
  EXPECT_STREQ(name, "lo0");
}

TEST(ConnectionTest, BadAddressesDoNotCrashTheClient) {
  Logs logs;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  void* hole = mmap(nullptr, page, PROT_NONE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  for (bool ours : {true, false}) {
    SCOPED_TRACE(ours ? "our server" : "NetBSD server");
    Pair p = Connect(Options(&logs), ours ? OurBannerText() : std::string(wire::kNetbsdBanner));
    EXPECT_EQ(p.conn->peer_is_ours(), ours);
    auto call = AsyncSyscall(p.conn.get(), 3, {3, Addr(hole), 8});
    ASSERT_TRUE(p.server->Read());
    p.server->Write(wire::CopyoutRequest(0, Addr(hole), "12345678"));
    p.server->Write(wire::CopyinRequest(1, 8, Addr(hole)));
    auto resp = p.server->Read();
    ASSERT_TRUE(resp);
    // Ours takes a short answer as EFAULT; NetBSD's would read past it.
    EXPECT_EQ(resp->payload, ours ? std::string() : std::string(8, '\0'));
    p.server->Write(wire::SyscallResponse(1, 14, -1, 0));
    EXPECT_EQ(call.get().error, 14);
    EXPECT_TRUE(p.conn->alive());
  }
  munmap(hole, page);
}

TEST(ConnectionTest, AnonmmapAnswersAWritableMapping) {
  Pair p = Connect(Options(nullptr));
  auto call = AsyncSyscall(p.conn.get(), 197, {});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::AnonmmapRequest(0, 65536));
  auto resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->header.type, wire::kTypeAnonmmap);
  absl::StatusOr<uint64_t> addr = wire::DecodeAnonmmapResponse(*resp);
  ASSERT_TRUE(addr.ok());
  ASSERT_NE(*addr, 0u);
  p.server->Write(wire::CopyoutRequest(1, *addr + 65532, "abcd"));
  p.server->Write(wire::SyscallResponse(1, 0, 0, 0));
  EXPECT_EQ(call.get().error, 0);
  EXPECT_EQ(std::memcmp(reinterpret_cast<char*>(*addr) + 65532, "abcd", 4), 0);
  munmap(reinterpret_cast<void*>(*addr), 65536);
  // A size no one can map is answered with 0.
  auto call2 = AsyncSyscall(p.conn.get(), 197, {});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::AnonmmapRequest(1, uint64_t{1} << 55));
  resp = p.server->Read();
  ASSERT_TRUE(resp);
  EXPECT_EQ(*wire::DecodeAnonmmapResponse(*resp), 0u);
  p.server->Write(wire::SyscallResponse(2, 12, -1, 0));
  EXPECT_EQ(call2.get().error, 12);
}

std::atomic<int> g_usr1{0};

TEST(ConnectionTest, RaiseDeliversTheHostSignal) {
  struct sigaction sa = {};
  sa.sa_handler = [](int) { g_usr1.fetch_add(1); };
  ASSERT_EQ(sigaction(SIGUSR1, &sa, nullptr), 0);
  Pair p = Connect(Options(nullptr));
  auto call = std::async(std::launch::async, [&] {
    // As the Client does: signals blocked for the call.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    SyscallResult r = p.conn->Syscall(4, {});
    const int during = g_usr1.load();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return std::make_pair(r, during);
  });
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::RaiseRequest(0xdeadbeef, 30));  // NetBSD SIGUSR1
  p.server->Write(wire::RaiseRequest(7, 7));           // EMT: no host signal, ignored
  p.server->Write(wire::SyscallResponse(1, 32, -1, 0));
  auto [r, during] = call.get();
  EXPECT_EQ(r.error, 32);
  EXPECT_EQ(during, 0);          // blocked during the call
  EXPECT_EQ(g_usr1.load(), 1);  // delivered when the mask came back
  signal(SIGUSR1, SIG_DFL);
}

TEST(ConnectionTest, ErrorFramesAndTryAgain) {
  Pair p = Connect(Options(nullptr));
  auto call = AsyncSyscall(p.conn.get(), 20, {});
  auto req = p.server->Read();
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header.reqno, 1u);
  p.server->Write(wire::ErrorFrame(1, wire::kErrTryAgain));
  req = p.server->Read();  // sent again, with a new number
  ASSERT_TRUE(req);
  EXPECT_EQ(req->header.reqno, 2u);
  EXPECT_EQ(req->header.u, 20u);
  p.server->Write(wire::SyscallResponse(2, 0, 9, 1));
  EXPECT_EQ(call.get().rv0, 9);

  const std::pair<uint32_t, int> codes[] = {
      {wire::kErrAuth, EPERM},        {wire::kErrInvalidPrefork, ESRCH},
      {wire::kErrRforkFailed, EIO},   {wire::kErrInExec, EBUSY},
      {wire::kErrNoMem, ENOMEM},      {wire::kErrMalformedRequest, EINVAL},
      {99, EPROTO},
  };
  for (auto [code, host] : codes) {
    auto c = AsyncSyscall(p.conn.get(), 20, {});
    req = p.server->Read();
    ASSERT_TRUE(req);
    p.server->Write(wire::ErrorFrame(req->header.reqno, code));
    SyscallResult r = c.get();
    EXPECT_EQ(r.error, host) << code;
    EXPECT_FALSE(r.lost);
  }
  auto pf = std::async(std::launch::async, [&] { return p.conn->Prefork(); });
  req = p.server->Read();
  ASSERT_TRUE(req);
  p.server->Write(wire::ErrorFrame(req->header.reqno, wire::kErrRforkFailed));
  EXPECT_EQ(ErrnoOf(pf.get().status()), EIO);
  EXPECT_TRUE(p.conn->alive());
}

TEST(ConnectionTest, UnknownRequestNumbersAreDropped) {
  Pair p = Connect(Options(nullptr));
  auto call = AsyncSyscall(p.conn.get(), 20, {});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::SyscallResponse(77, 0, 1, 1));
  p.server->Write(wire::CopyinResponse(0, "stray"));
  p.server->Write(wire::ErrorFrame(1000, wire::kErrAuth));
  p.server->Write(wire::SyscallResponse(1, 0, 5, 1));
  EXPECT_EQ(call.get().rv0, 5);
  EXPECT_TRUE(p.conn->alive());
}

TEST(ConnectionTest, HandshakeRefused) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  FakePeer server(sv[1]);
  server.Write(wire::kNetbsdBanner);
  auto fut = std::async(std::launch::async, [&] {
    std::string banner;
    auto t = StreamTransportForTest(sv[0], &banner);
    EXPECT_TRUE(t.ok());
    return Connection::Start(*std::move(t), banner, Connection::Handshake::kGuest, wire::Cookie{},
                             Options(nullptr));
  });
  ASSERT_TRUE(server.Read());
  server.Write(wire::ErrorFrame(0, wire::kErrAuth));
  server.Close();
  auto c = fut.get();
  EXPECT_EQ(ErrnoOf(c.status()), EPERM) << c.status();
}

TEST(ConnectionTest, BadBanners) {
  struct Case {
    std::string bytes;
    int error;
  };
  const Case cases[] = {
      {"RUMPSP-0.4-NetBSD-7.99.34/amd64", EPROTO},  // no newline
      {std::string(100, 'x') + "\n", EPROTO},       // the newline is past byte 95
      {"", ECONNRESET},                             // closed without a banner
  };
  for (const Case& c : cases) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    FakePeer server(sv[1]);
    server.Write(c.bytes);
    if (c.bytes.empty()) server.Close();
    std::string banner;
    auto t = StreamTransportForTest(sv[0], &banner);
    EXPECT_EQ(ErrnoOf(t.status()), c.error) << t.status();
    if (!t.ok()) close(sv[0]);
  }
  // Any banner with a newline is good enough; the content is not required.
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  FakePeer server(sv[1]);
  server.Write("hello\n");
  std::string banner;
  auto t = StreamTransportForTest(sv[0], &banner);
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(banner, "hello\n");
}

// Malformed input ends the connection with a log line and ENOTCONN for the
// calls in flight and later ones; never a crash.
TEST(ConnectionTest, MalformedFramesCloseTheConnection) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  (void)page;
  std::string tiny(24, '\0');
  tiny[0] = 10;  // len 10 < 24
  std::string huge = wire::EncodeFrame(0, 0, wire::kTypeCopyout, 0);
  huge[7] = 0x7f;  // len ~ 2^63
  const std::pair<std::string, std::string> cases[] = {
      {"short header length", tiny},
      {"huge length", huge},
      {"copyin with a 15-byte payload",
       wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeCopyin, 0, {std::string(15, '\1')})},
      {"copyin of address 0", wire::CopyinRequest(0, 8, 0)},
      {"copyin past the user address space", wire::CopyinRequest(0, 16, ~uint64_t{0} - 4)},
      {"copyout shorter than it says",
       wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeCopyout, 0,
                         {std::string("\x10\0\0\0\0\0\0\0\0\x10\0\0\0\0\0\0", 16), "abc"})},
      {"unknown class", wire::EncodeFrame(1, 9, wire::kTypeSyscall, 0)},
      {"request of a client-only type", wire::EncodeFrame(0, wire::kClassRequest,
                                                          wire::kTypeSyscall, 20)},
      {"request of an unknown type", wire::EncodeFrame(0, wire::kClassRequest, 77, 0)},
      {"syscall answer of the wrong size",
       wire::EncodeFrame(1, wire::kClassResponse, wire::kTypeSyscall, 0, {"abc"})},
      {"error frame with a payload",
       wire::EncodeFrame(1, wire::kClassError, 0, 1, {"x"})},
      {"anonmmap of 0 bytes", wire::AnonmmapRequest(0, 0)},
      {"raise with a payload", wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeRaise, 13, {"x"})},
  };
  for (const auto& [what, bytes] : cases) {
    SCOPED_TRACE(what);
    Logs logs;
    Pair p = Connect(Options(&logs));
    auto call = AsyncSyscall(p.conn.get(), 20, {});
    ASSERT_TRUE(p.server->Read());
    p.server->Write(bytes);
    SyscallResult r = call.get();
    EXPECT_EQ(r.error, ENOTCONN);
    EXPECT_TRUE(r.lost);
    EXPECT_FALSE(p.conn->alive());
    EXPECT_THAT(logs.All(), HasSubstr("malformed"));
    EXPECT_TRUE(p.server->SeesEof());
    // Later calls fail at once.
    r = p.conn->Syscall(20, {});
    EXPECT_EQ(r.error, ENOTCONN);
    EXPECT_TRUE(r.lost);
  }
}

TEST(ConnectionTest, ServerGoneGivesEnotconnPromptly) {
  Pair p = Connect(Options(nullptr));
  std::vector<std::future<SyscallResult>> calls;
  for (int i = 0; i < 4; ++i) calls.push_back(AsyncSyscall(p.conn.get(), 430, {}));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.server->Read());
  p.server->Close();
  // The calls are never answered: that they return at all is the point.
  for (auto& c : calls) {
    SyscallResult r = c.get();
    EXPECT_EQ(r.error, ENOTCONN);
    EXPECT_TRUE(r.lost);
  }
  EXPECT_FALSE(p.conn->alive());
  EXPECT_EQ(p.conn->Syscall(20, {}).error, ENOTCONN);
}

TEST(ConnectionTest, ServerGoneMidFrame) {
  Pair p = Connect(Options(nullptr));
  auto call = AsyncSyscall(p.conn.get(), 20, {});
  ASSERT_TRUE(p.server->Read());
  p.server->Write(wire::SyscallResponse(1, 0, 2, 1).substr(0, 30));
  p.server->Close();
  EXPECT_EQ(call.get().error, ENOTCONN);
}

// Many threads, many calls in flight on one connection; the server answers
// out of order and asks each call for its argument with a COPYIN first, so
// whichever thread is reading services requests for the others.
TEST(ConnectionTest, ManyThreadsManyCallsInFlight) {
  Pair p = Connect(Options(nullptr));
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 200;
  std::atomic<bool> server_ok{true};
  std::thread server([&] {
    uint64_t server_reqno = 0;
    std::map<uint64_t, uint64_t> copy_for;  // server reqno -> client reqno
    std::vector<wire::Frame> batch;
    int answered = 0;
    while (answered < kThreads * kCallsPerThread) {
      auto f = p.server->Read();
      if (!f) {
        server_ok = false;
        return;
      }
      if (f->header.cls == wire::kClassRequest && f->header.type == wire::kTypeSyscall) {
        // slot 0: address of the caller's 8-byte token.
        uint64_t addr;
        std::memcpy(&addr, f->payload.data(), 8);
        copy_for[server_reqno] = f->header.reqno;
        p.server->Write(wire::CopyinRequest(server_reqno++, 8, addr));
      } else if (f->header.cls == wire::kClassResponse) {
        auto it = copy_for.find(f->header.reqno);
        if (it == copy_for.end() || f->payload.size() != 8) {
          server_ok = false;
          return;
        }
        uint64_t token;
        std::memcpy(&token, f->payload.data(), 8);
        batch.push_back(wire::Frame{wire::Header{.reqno = it->second}, std::to_string(token)});
        copy_for.erase(it);
        // Answer in bursts, newest first.
        if (batch.size() >= 5 || copy_for.empty()) {
          for (auto b = batch.rbegin(); b != batch.rend(); ++b) {
            p.server->Write(wire::SyscallResponse(b->header.reqno, 0,
                                                  int64_t(std::stoull(b->payload)), 0));
            ++answered;
          }
          batch.clear();
        }
      }
    }
  });
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const uint64_t token = uint64_t(t) << 32 | uint64_t(i);
        SyscallResult r = p.conn->Syscall(4, {Addr(&token)});
        if (r.error != 0 || uint64_t(r.rv0) != token) wrong.fetch_add(1);
      }
    });
  }
  for (auto& c : clients) c.join();
  server.join();
  EXPECT_TRUE(server_ok.load());
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ConnectionTest, TooManySlots) {
  Pair p = Connect(Options(nullptr));
  std::vector<uint64_t> nine(9, 0);
  SyscallResult r = p.conn->Syscall(1, nine);
  EXPECT_EQ(r.error, EINVAL);
  EXPECT_FALSE(r.lost);
  EXPECT_TRUE(p.conn->alive());
}

TEST(ConnectionTest, DestroyingTheConnectionClosesIt) {
  Pair p = Connect(Options(nullptr));
  p.conn.reset();
  EXPECT_TRUE(p.server->SeesEof());
}

}  // namespace
}  // namespace sp::client

namespace sp::client {
namespace {

// ---------------------------------------------------- the one-round-trip extension

TEST(ConnectionXTest, SendtoGoesAsOneFrameWithItsBuffers) {
  Pair p = Connect(Options(nullptr));
  ASSERT_NE(p.conn, nullptr);
  EXPECT_TRUE(p.conn->uses_xbatch());
  std::string data(1024, 'd');
  const char sin[16] = {16, 2, 0, 7, 10, 0, 0, 2};
  auto call = AsyncSyscall(p.conn.get(), 133,
                           {3, Addr(data.data()), data.size(), 0, Addr(sin), sizeof(sin)});
  std::optional<wire::Frame> f = p.server->Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, wire::kTypeXSyscall);
  EXPECT_EQ(f->header.u, 133u);
  absl::StatusOr<wire::XSyscallCall> x = wire::DecodeXSyscallRequest(*f);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->nslots, 6u);
  ASSERT_EQ(x->inputs.size(), 2u);
  EXPECT_EQ(x->inputs[0].addr, Addr(data.data()));
  EXPECT_EQ(x->inputs[0].data, data);
  EXPECT_EQ(x->inputs[1].data, absl::string_view(sin, 16));
  EXPECT_TRUE(x->outputs.empty());
  p.server->Write(wire::XSyscallResponse(f->header.reqno, 0, 1024, 0, {}));
  SyscallResult r = call.get();
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 1024);
}

TEST(ConnectionXTest, AnswerSegmentsAreWrittenAfterCopyoutFrames) {
  Pair p = Connect(Options(nullptr));
  ASSERT_NE(p.conn, nullptr);
  char buf[32] = {};
  uint32_t fromlen = 16;
  char from[16] = {};
  // recvfrom(3, buf, 32, 0, from, &fromlen)
  auto call = AsyncSyscall(p.conn.get(), 29,
                           {3, Addr(buf), sizeof(buf), 0, Addr(from), Addr(&fromlen)});
  std::optional<wire::Frame> f = p.server->Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, wire::kTypeXSyscall);
  absl::StatusOr<wire::XSyscallCall> x = wire::DecodeXSyscallRequest(*f);
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_EQ(x->inputs.size(), 1u);  // fromlen
  EXPECT_EQ(x->inputs[0].addr, Addr(&fromlen));
  EXPECT_EQ(x->outputs.size(), 3u);  // buf, fromlen, from
  // A COPYOUT first (an earlier write), then the answer's segments, which
  // come later and win.
  p.server->Write(wire::CopyoutRequest(0, Addr(buf), "old!"));
  const uint32_t len = 5;
  p.server->Write(wire::XSyscallResponse(
      f->header.reqno, 0, 5, 0,
      {{Addr(buf), "hello"},
       {Addr(&fromlen), absl::string_view(reinterpret_cast<const char*>(&len), 4)}}));
  SyscallResult r = call.get();
  EXPECT_EQ(r.rv0, 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  EXPECT_EQ(fromlen, 5u);
}

TEST(ConnectionXTest, SegmentOutsideTheDeclaredBuffersEndsTheConnection) {
  Logs logs;
  Pair p = Connect(Options(&logs));
  ASSERT_NE(p.conn, nullptr);
  int64_t ts[2] = {};
  char other[8] = {};
  auto call = AsyncSyscall(p.conn.get(), 427, {0, Addr(ts)});  // clock_gettime
  std::optional<wire::Frame> f = p.server->Read();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->header.type, wire::kTypeXSyscall);
  p.server->Write(wire::XSyscallResponse(f->header.reqno, 0, 0, 0, {{Addr(other), "evil"}}));
  SyscallResult r = call.get();
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.error, ENOTCONN);
  EXPECT_EQ(std::string(other, 4), std::string(4, '\0'));
  EXPECT_FALSE(p.conn->alive());
  EXPECT_THAT(logs.All(), HasSubstr("outside the declared output buffers"));
}

TEST(ConnectionXTest, MalformedAnswerEndsTheConnection) {
  Logs logs;
  Pair p = Connect(Options(&logs));
  ASSERT_NE(p.conn, nullptr);
  int64_t ts[2] = {};
  auto call = AsyncSyscall(p.conn.get(), 427, {0, Addr(ts)});
  std::optional<wire::Frame> f = p.server->Read();
  ASSERT_TRUE(f);
  p.server->Write(wire::EncodeFrame(f->header.reqno, wire::kClassResponse, wire::kTypeXSyscall,
                                    0, {"short"}));
  EXPECT_TRUE(call.get().lost);
  EXPECT_THAT(logs.All(), HasSubstr("X_SYSCALL answer"));
}

TEST(ConnectionXTest, PlainFramesWhenOffOrNotOffered) {
  for (const bool offered : {true, false}) {
    ConnectionOptions o = Options(nullptr);
    o.xbatch = !offered;  // offered but off; or on but not offered
    Pair p = Connect(o, offered ? OurBannerText() : std::string(wire::kNetbsdBanner));
    ASSERT_NE(p.conn, nullptr);
    EXPECT_FALSE(p.conn->uses_xbatch());
    int64_t ts[2] = {};
    auto call = AsyncSyscall(p.conn.get(), 427, {0, Addr(ts)});
    std::optional<wire::Frame> f = p.server->Read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->header.type, wire::kTypeSyscall);
    p.server->Write(wire::SyscallResponse(f->header.reqno, 0, 0, 0));
    EXPECT_EQ(call.get().error, 0);
  }
}

TEST(ConnectionXTest, CallsWithoutKnownBuffersStayPlain) {
  Pair p = Connect(Options(nullptr));
  ASSERT_NE(p.conn, nullptr);
  auto call = AsyncSyscall(p.conn.get(), 20, {});  // getpid
  std::optional<wire::Frame> f = p.server->Read();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->header.type, wire::kTypeSyscall);
  p.server->Write(wire::SyscallResponse(f->header.reqno, 0, 2, 1));
  EXPECT_EQ(call.get().rv0, 2);
}

}  // namespace
}  // namespace sp::client
