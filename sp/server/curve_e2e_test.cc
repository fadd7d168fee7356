// CURVE end to end: sp/client's Connection (what librumpclient uses)
// against a real Server with a CURVE key, over zmq+tcp:// and zmq+ipc://.
// An allowed key is served (and mapped by the policy's `curve KEY` rule);
// an unknown key, no CURVE at all, and a wrong server key are refused at
// once with a message that says which, while the server keeps serving the
// others; an allow-list swap admits newcomers by the new list and keeps the
// clients already connected.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/client/connection.h"
#include "sp/server/credential_policy.h"
#include "sp/server/server.h"
#include "sp/testing/server_fixture.h"
#include "sp/transport/curve_keys.h"
#include "sp/transport/url.h"
#include "tests/support/eventually.h"

namespace sp::server {
namespace {

using transport::CurveKeyPair;

CurveKeyPair NewKeys() {
  absl::StatusOr<CurveKeyPair> k = transport::GenerateCurveKeyPair();
  EXPECT_TRUE(k.ok()) << k.status();
  return k.ok() ? *k : CurveKeyPair{};
}

class CurveTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    rump::KernelOptions ko;
    ko.components = rump::AllComponents();
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = *std::move(k);
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop());
    }
    server_.reset();
    kernel_.reset();
  }

  // Serves with CURVE; `allowed` public keys on the allow-list.
  void Serve(const std::vector<std::string>& allowed, const std::string& policy = "") {
    ServerOptions so;
    so.curve_secret_key = server_keys_.secret_key;
    auto allow = std::make_shared<transport::CurveAllowList>();
    for (const std::string& k : allowed) (*allow)[k] = "";
    so.curve_allow = allow;
    so.session.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    if (!policy.empty()) {
      absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(policy);
      ASSERT_TRUE(p.ok()) << p.status();
      so.policy = std::make_shared<const CredentialPolicy>(*std::move(p));
    }
    std::string url = GetParam();
    if (url == "zmq+ipc:") url = absl::StrCat("zmq+ipc://", dir_.path(), "/s");
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(*kernel_, url, so);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  // A connection with the server key `server_pub` ("" : no CURVE) and our
  // keys (empty: ephemeral).
  absl::StatusOr<std::unique_ptr<client::Connection>> Connect(const std::string& server_pub,
                                                              const CurveKeyPair& ours) {
    absl::StatusOr<transport::Url> url =
        transport::ParseUrl(server_->url(), transport::Role::kClient);
    if (!url.ok()) return url.status();
    client::ConnectionOptions co;
    co.progname = "curve_test";
    co.log = [](const std::string&) {};
    co.transport.curve_server_key = server_pub;
    co.transport.curve_public_key = ours.public_key;
    co.transport.curve_secret_key = ours.secret_key;
    return client::Connection::Connect(*url, co);
  }

  // getuid over `c`: "uid/euid", or "error N".
  static std::string Uid(client::Connection& c) {
    const client::SyscallResult r = c.Syscall(rump::abi::kSysGetuid, {});
    if (r.error != 0) return absl::StrCat("error ", r.error);
    return absl::StrCat(r.rv0, "/", r.rv1);
  }

  int LogCount(absl::string_view what) {
    std::lock_guard<std::mutex> lock(log_mu_);
    int n = 0;
    for (const std::string& l : log_) n += absl::StrContains(l, what) ? 1 : 0;
    return n;
  }
  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::string all;
    for (const std::string& l : log_) absl::StrAppend(&all, l, "\n");
    return all;
  }

  sp::testing::ScratchDir dir_{/*make_cwd=*/false};
  std::unique_ptr<rump::Kernel> kernel_;
  std::unique_ptr<Server> server_;
  const CurveKeyPair server_keys_ = NewKeys();
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_P(CurveTest, AnAllowedKeyIsServedAndMappedByThePolicy) {
  const CurveKeyPair alice = NewKeys();
  const CurveKeyPair bob = NewKeys();
  Serve({alice.public_key, bob.public_key},
        absl::StrCat("curve ", alice.public_key, " uid=1000 gid=1000\ncurve * root\n"));
  auto a = Connect(server_keys_.public_key, alice);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Uid(**a), "1000/1000");
  auto b = Connect(server_keys_.public_key, bob);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Uid(**b), "0/0");
  EXPECT_EQ(Uid(**a), "1000/1000");
}

TEST_P(CurveTest, RefusedClientsGetAClearErrorAndOthersAreStillServed) {
  const CurveKeyPair alice = NewKeys();
  const CurveKeyPair mallory = NewKeys();
  Serve({alice.public_key});
  auto held = Connect(server_keys_.public_key, alice);
  ASSERT_TRUE(held.ok()) << held.status();

  // An unknown key, twice: refused, logged once.
  for (int i = 0; i < 2; ++i) {
    auto m = Connect(server_keys_.public_key, mallory);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(transport::UrlErrno(m.status()), EACCES) << m.status();
    EXPECT_TRUE(absl::StrContains(m.status().message(), "the server refused our CURVE key"))
        << m.status();
  }
  // An ephemeral key is unknown too.
  auto e = Connect(server_keys_.public_key, CurveKeyPair{});
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(absl::StrContains(e.status().message(), "refused our CURVE key")) << e.status();

  // No CURVE at all.
  auto plain = Connect("", CurveKeyPair{});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(transport::UrlErrno(plain.status()), ECONNREFUSED) << plain.status();
  EXPECT_TRUE(absl::StrContains(plain.status().message(), "require"))
      << plain.status();

  // A wrong server key, twice.
  const CurveKeyPair impostor = NewKeys();
  for (int i = 0; i < 2; ++i) {
    auto w = Connect(impostor.public_key, alice);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(transport::UrlErrno(w.status()), ECONNREFUSED) << w.status();
    EXPECT_TRUE(absl::StrContains(w.status().message(), "CURVE handshake failed (wrong server key?)"))
        << w.status();
  }

  // The held client and a new one with the right key are served. (The
  // new one's connection is seen after the failures before it.)
  EXPECT_EQ(Uid(**held), "0/0");
  auto again = Connect(server_keys_.public_key, alice);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Uid(**again), "0/0");

  EXPECT_EQ(LogCount(absl::StrCat("(curve ", mallory.public_key,
                                  "): refused: the key is not on the CURVE allow-list")),
            1)
      << Log();
  EXPECT_TRUE(rump::testing::Eventually([&] { return LogCount("wrong server public key") >= 1; }))
      << Log();
  EXPECT_EQ(server_->clients(), 2);
}

TEST_P(CurveTest, AnAllowListSwapJudgesNewcomersOnly) {
  const CurveKeyPair alice = NewKeys();
  const CurveKeyPair bob = NewKeys();
  Serve({alice.public_key});
  auto a = Connect(server_keys_.public_key, alice);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_FALSE(Connect(server_keys_.public_key, bob).ok());

  server_->SetCurveAllowList(std::make_shared<const transport::CurveAllowList>(
      transport::CurveAllowList{{bob.public_key, "bob"}}));
  auto b = Connect(server_keys_.public_key, bob);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Uid(**b), "0/0");
  EXPECT_EQ(Uid(**a), "0/0");  // alice stays connected
  auto a2 = Connect(server_keys_.public_key, alice);
  ASSERT_FALSE(a2.ok());
  EXPECT_TRUE(absl::StrContains(a2.status().message(), "refused our CURVE key")) << a2.status();

  // No list: every key.
  server_->SetCurveAllowList(nullptr);
  auto any = Connect(server_keys_.public_key, CurveKeyPair{});
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(Uid(**any), "0/0");
}

INSTANTIATE_TEST_SUITE_P(Transports, CurveTest,
                         ::testing::Values("zmq+tcp://127.0.0.1:0", "zmq+ipc:"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.rfind("zmq+tcp", 0) == 0 ? std::string("zmq_tcp")
                                                                      : std::string("zmq_ipc");
                         });

TEST(CurveOptionsTest, CurveIsForZeroMqUrlsOnly) {
  rump::KernelOptions ko;
  absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
  ASSERT_TRUE(k.ok());
  ServerOptions so;
  so.curve_secret_key = NewKeys().secret_key;
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(**k, "tcp://127.0.0.1:0/", so);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(),
                                "CURVE applies to zmq+tcp:// and zmq+ipc:// URLs only"))
      << s.status();
  // And the client refuses a server key with a stream URL.
  absl::StatusOr<transport::Url> url =
      transport::ParseUrl("tcp://127.0.0.1:1/", transport::Role::kClient);
  ASSERT_TRUE(url.ok());
  client::ConnectionOptions co;
  co.transport.curve_server_key = NewKeys().public_key;
  auto c = client::Connection::Connect(*url, co);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "CURVE needs a zmq+tcp:// or zmq+ipc:// URL"))
      << c.status();
}

}  // namespace
}  // namespace sp::server
