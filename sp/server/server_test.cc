// Server tests in one process: a kernel, a Server on every transport, and
// raw protocol clients on real sockets.
#include "sp/server/server.h"

#include <stdlib.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/server/raw_client.h"
#include "sp/testing/server_fixture.h"
#include "sp/transport/curve_keys.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "tests/support/eventually.h"

namespace sp::server {
namespace {

using rump::testing::Eventually;
using sp::testing::RawClient;

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

using sp::testing::kOurBanner;

class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<sp::testing::ScratchDir>();
    ASSERT_TRUE(dir_->ok());
    rump::KernelOptions ko;
    ko.components = rump::AllComponents();
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = *std::move(k);
  }
  void TearDown() override {
    server_.reset();
    kernel_.reset();
    dir_.reset();
  }

  // `param` is a URL, or a ZeroMQ URL with "#curve": the server then has a
  // CURVE key and admits only this fixture's client key, with which
  // Connect() authenticates.
  void StartServer(const std::string& param, ServerOptions o = {}) {
    o.session.log = log_.Sink();
    std::string url = param;
    curve_ = {};
    if (const size_t hash = url.find("#curve"); hash != std::string::npos) {
      url.resize(hash);
      absl::StatusOr<transport::CurveKeyPair> server = transport::GenerateCurveKeyPair();
      absl::StatusOr<transport::CurveKeyPair> client = transport::GenerateCurveKeyPair();
      ASSERT_TRUE(server.ok() && client.ok());
      o.curve_secret_key = server->secret_key;
      auto allow = std::make_shared<transport::CurveAllowList>();
      (*allow)[client->public_key] = "test client";
      o.curve_allow = allow;
      curve_ = {server->public_key, client->public_key, client->secret_key};
    }
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(*kernel_, url, o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  std::unique_ptr<RawClient> Connect() {
    absl::StatusOr<std::unique_ptr<RawClient>> c =
        RawClient::Connect(server_->url(), absl::Seconds(10), curve_);
    EXPECT_TRUE(c.ok()) << server_->url() << ": " << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  std::string log() { return log_.text(); }

  std::unique_ptr<sp::testing::ScratchDir> dir_;
  std::unique_ptr<rump::Kernel> kernel_;
  std::unique_ptr<Server> server_;
  sp::testing::LogCapture log_;
  RawClient::CurveKeys curve_;
};

TEST_P(ServerTest, BannerHandshakeAndSyscalls) {
  StartServer(GetParam());
  std::unique_ptr<RawClient> c = Connect();
  ASSERT_NE(c, nullptr);
  ASSERT_NO_FATAL_FAILURE(sp::testing::ExpectGuestGetpidSocket(*c, "ping"));
  int mib[2] = {1, 1};
  char buf[32] = {};
  uint64_t oldlen = sizeof(buf);
  absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_STREQ(buf, "NetBSD");
  // A second client is another process.
  std::unique_ptr<RawClient> d = Connect();
  ASSERT_TRUE(d->Handshake("two").ok());
  EXPECT_EQ(d->Syscall(rump::abi::kSysGetpid, {})->rv0, 3);
  // The first client goes: its process and socket go with it.
  c->Close();
  EXPECT_TRUE(Eventually([&] { return server_->clients() == 1; }));
  EXPECT_EQ(server_->clients(), 1);
  EXPECT_EQ(kernel_->FindProcess(2), nullptr);
}

TEST_P(ServerTest, HostileInputDropsOnlyThatConnection) {
  StartServer(GetParam());
  std::unique_ptr<RawClient> good = Connect();
  ASSERT_TRUE(good->Handshake().ok());
  std::mt19937 rng(42);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& ch : s) ch = char(rng());
    return s;
  };
  struct Case {
    const char* name;
    bool handshake;
    std::string bytes;
    bool expect_close;
  };
  std::string huge = wire::EncodeFrame(1, 0, 1, 20, {});
  const uint64_t big = uint64_t{1} << 62;
  std::memcpy(huge.data(), &big, 8);
  std::string tiny = wire::EncodeFrame(1, 0, 1, 20, {});
  const uint64_t small = 3;
  std::memcpy(tiny.data(), &small, 8);
  const std::vector<Case> cases = {
      {"random bytes", false, random_bytes(4096), true},
      {"random bytes after handshake", true, random_bytes(4096), true},
      {"huge length", true, huge, true},
      {"length under 24", true, tiny, true},
      {"copyin answer never asked for", true, wire::CopyinResponse(0, "abcd"), true},
      {"anonmmap answer never asked for", true, wire::AnonmmapResponse(5, 4096), true},
      {"wrong class", true, wire::EncodeFrame(1, 9, 1, 20, {}), false},
      {"wrong type", true, wire::EncodeFrame(1, 0, 200, 0, {}), false},
      {"error frame", true, wire::ErrorFrame(1, 7), false},
      {"syscall before handshake", false, wire::EncodeFrame(1, 0, 1, 20, {}), true},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    std::unique_ptr<RawClient> bad = Connect();
    ASSERT_NE(bad, nullptr);
    if (k.handshake) {
      ASSERT_TRUE(bad->Handshake().ok());
    }
    // On ZeroMQ one message is one frame; on a stream the same bytes.
    (void)bad->SendBytes(k.bytes);
    if (k.expect_close) {
      EXPECT_TRUE(bad->WaitClosed(absl::Seconds(10)));
    } else {
      absl::StatusOr<wire::Frame> f = bad->ReadFrame(absl::Seconds(10));
      ASSERT_TRUE(f.ok()) << f.status();
      EXPECT_EQ(f->header.cls, wire::kClassError);
      EXPECT_EQ(f->header.u, wire::kErrMalformedRequest);
      EXPECT_EQ(bad->Syscall(rump::abi::kSysGetpid, {}).status(), absl::OkStatus());
    }
    absl::StatusOr<RawClient::Result> r = good->Syscall(rump::abi::kSysGetpid, {});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->rv0, 2);
  }
  // A truncated frame, then the client goes.
  {
    std::unique_ptr<RawClient> bad = Connect();
    ASSERT_TRUE(bad->Handshake().ok());
    std::string f = *wire::SyscallRequest(1, 20, {1, 2, 3});
    (void)bad->SendBytes(f.substr(0, f.size() - 5));
    bad->Close();
  }
  EXPECT_TRUE(good->Syscall(rump::abi::kSysGetpid, {}).ok());
  EXPECT_TRUE(Eventually([&] { return server_->clients() == 1; }));
  EXPECT_EQ(server_->clients(), 1);
  EXPECT_NE(log().find("dropping connection"), std::string::npos) << log();
}

TEST_P(ServerTest, RebootIsAnsweredThenTheServerStops) {
  StartServer(GetParam());
  std::unique_ptr<RawClient> c = Connect();
  ASSERT_TRUE(c->Handshake("halt").ok());
  std::unique_ptr<RawClient> other = Connect();
  ASSERT_TRUE(other->Handshake().ok());
  std::thread stopper([&] {
    kernel_->WaitHalted();
    EXPECT_TRUE(server_->Stop());
  });
  absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysReboot, {0, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 0);
  stopper.join();
  EXPECT_TRUE(c->WaitClosed(absl::Seconds(10)));
  EXPECT_TRUE(other->WaitClosed(absl::Seconds(10)));
  struct stat st;
  EXPECT_NE(stat("sock", &st), 0);
  EXPECT_NE(stat("zsock", &st), 0);
  EXPECT_EQ(server_->clients(), 0);
}

// NetBSD's server serves 255 clients at once (MAXCLI 256, one slot being its
// listener); ours by default too. With a limit of 256, 300 clients come:
// 256 are served, each in its own process; the other 44 are closed without
// a banner, each with a log line, and a slot comes free when a client goes.
TEST_P(ServerTest, ThreeHundredClientsAgainstALimitOf256) {
  EXPECT_EQ(SessionOptions{}.max_clients, 255);
  ServerOptions o;
  o.session.max_clients = 256;
  StartServer(GetParam(), o);
  std::vector<std::unique_ptr<RawClient>> clients;
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    std::unique_ptr<RawClient> c = Connect();
    ASSERT_NE(c, nullptr);
    if (i < 256) {
      ASSERT_EQ(c->banner(), kOurBanner) << i;
      ASSERT_TRUE(c->Handshake().ok()) << i;
      clients.push_back(std::move(c));
    } else {
      EXPECT_EQ(c->banner(), "") << i;
      EXPECT_TRUE(c->closed()) << i;
      ++refused;
    }
  }
  EXPECT_EQ(refused, 44);
  EXPECT_EQ(server_->clients(), 256);
  size_t lines = 0;
  const std::string text = log();
  for (size_t at = 0; (at = text.find("all 256 client slots are taken", at)) != std::string::npos;
       ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 44u) << text;
  // Every one has its own process.
  std::set<int64_t> pids;
  for (auto& c : clients) {
    absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysGetpid, {});
    ASSERT_TRUE(r.ok()) << r.status();
    pids.insert(r->rv0);
  }
  EXPECT_EQ(pids.size(), 256u);
  // A slot comes free when a client goes.
  clients.back()->Close();
  clients.pop_back();
  EXPECT_TRUE(Eventually([&] { return server_->clients() == 255; }));
  std::unique_ptr<RawClient> again = Connect();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->banner(), kOurBanner);
}

TEST_P(ServerTest, StopWhileACallWaitsForItsClient) {
  StartServer(GetParam());
  std::unique_ptr<RawClient> c = Connect();
  ASSERT_TRUE(c->Handshake().ok());
  int mib[2] = {1, 1};
  char buf[32];
  uint64_t oldlen = sizeof(buf);
  ASSERT_TRUE(c->SendBytes(*wire::SyscallRequest(c->NextReqno(), rump::abi::kSysSysctl,
                                                 {P(mib), 2, P(buf), P(&oldlen), 0, 0}))
                  .ok());
  absl::StatusOr<wire::Frame> f = c->ReadFrame(absl::Seconds(10));
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->header.type, wire::kTypeCopyin);
  // Never answered: Stop waits its grace, then closes the connection, which
  // fails the copyin (EFAULT) and ends the call.
  EXPECT_TRUE(server_->Stop(absl::Milliseconds(300)));
  EXPECT_TRUE(c->WaitClosed(absl::Seconds(10)));
  EXPECT_EQ(server_->clients(), 0);
}

// A worker that answered a call reads the client's next request itself
// (SessionOptions::read_ahead) on stream transports; every answer is right
// either way, and with read_ahead zero no worker reads.
TEST_P(ServerTest, WorkersReadTheNextRequestAhead) {
  for (absl::Duration window : {absl::Milliseconds(200), absl::ZeroDuration()}) {
    SCOPED_TRACE(absl::StrCat("read_ahead ", absl::FormatDuration(window)));
    ServerOptions o;
    o.session.read_ahead = window;
    StartServer(GetParam(), o);
    std::unique_ptr<RawClient> c = Connect();
    ASSERT_TRUE(c->Handshake().ok());
    // close(-1) runs on a worker (not a quick call) and needs no memory;
    // sysctl kern.ostype needs a COPYIN (the name) and COPYOUTs.
    for (int i = 0; i < 50; ++i) {
      absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysClose, {uint64_t(-1)});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->error, rump::abi::kEBADF) << i;
      int mib[2] = {1, 1};
      char buf[32] = {};
      uint64_t oldlen = sizeof(buf);
      r = c->Syscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->error, 0) << i;
      EXPECT_STREQ(buf, "NetBSD") << i;
    }
    const uint64_t aheads = server_->stats().read_aheads;
    if (window == absl::ZeroDuration() || GetParam().rfind("zmq", 0) == 0) {
      EXPECT_EQ(aheads, 0u);
    } else {
      EXPECT_GT(aheads, 0u);
    }
    c.reset();
    server_.reset();
  }
}

// One client may have many calls asleep in the kernel at once, far more
// than the jobs per client that may run at once
// (WorkerPoolOptions::runnable_per_owner): calls asleep do not count, so its
// next call still runs, and wakes one of them.
TEST_P(ServerTest, ManyCallsOfOneClientSleepAtOnceAndItsNextCallRuns) {
  ServerOptions o;
  o.workers.runnable_per_owner = 2;
  StartServer(GetParam(), o);
  std::unique_ptr<RawClient> c = Connect();
  ASSERT_TRUE(c->Handshake().ok());
  absl::StatusOr<RawClient::Result> s = c->Syscall(rump::abi::kSysSocket, {2, 2, 0});
  ASSERT_TRUE(s.ok() && s->error == 0);
  const uint64_t fd = uint64_t(s->rv0);
  // sockaddr_in 127.0.0.1:7777 in NetBSD's layout (sin_len first).
  const uint8_t sin[16] = {16, 2, 0x1e, 0x61, 127, 0, 0, 1};
  absl::StatusOr<RawClient::Result> b = c->Syscall(rump::abi::kSysBind, {fd, P(sin), 16});
  ASSERT_TRUE(b.ok() && b->error == 0) << (b.ok() ? b->error : -1);
  constexpr int kAsleep = 24;
  static uint8_t buf[64];
  for (int k = 0; k < kAsleep; ++k) {  // one frame per send: ZeroMQ's messages
    ASSERT_TRUE(c->SendBytes(*wire::SyscallRequest(c->NextReqno(), rump::abi::kSysRecvfrom,
                                                   {fd, P(buf), sizeof(buf), 0, 0, 0}))
                    .ok());
  }
  ASSERT_TRUE(Eventually([&] { return kernel_->sleeping_threads() == kAsleep; }))
      << kernel_->sleeping_threads() << " asleep";
  // The same client's next call: a datagram to the socket they wait on.
  absl::StatusOr<RawClient::Result> out = c->Syscall(rump::abi::kSysSocket, {2, 2, 0});
  ASSERT_TRUE(out.ok() && out->error == 0);
  const char msg[] = "wake";
  absl::StatusOr<RawClient::Result> sent = c->Syscall(
      rump::abi::kSysSendto, {uint64_t(out->rv0), P(msg), 4, 0, P(sin), 16});
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(sent->error, 0);
  EXPECT_EQ(sent->rv0, 4);
  EXPECT_TRUE(Eventually([&] { return kernel_->sleeping_threads() == kAsleep - 1; }))
      << kernel_->sleeping_threads() << " asleep";
  c->Close();  // ends the others
}

INSTANTIATE_TEST_SUITE_P(Transports, ServerTest,
                         ::testing::Values("unix://sock", "tcp://127.0.0.1:0/", "tcp://[::1]:0/",
                                           "zmq+tcp://127.0.0.1:0", "zmq+ipc://zsock",
                                           "zmq+tcp://127.0.0.1:0#curve",
                                           "zmq+ipc://zsock#curve"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.find(':'));
                           if (info.param.find("[::1]") != std::string::npos) n += "6";
                           if (info.param.find("#curve") != std::string::npos) n += "_curve";
                           for (char& ch : n) {
                             if (ch == '+') ch = '_';
                           }
                           return n;
                         });

// The credential policy over a unix:// socket: this process's own uid is
// the peer's, so a rule for it decides; SetPolicy applies to newcomers only.
// A kernel and a unix:// server with a credential policy, verbose, its log
// captured, in a scratch directory.
class ServerPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(rump::KernelOptions());
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = *std::move(k);
  }
  void TearDown() override {
    server_.reset();
    kernel_.reset();
  }

  // Starts the server with the policy `text` (which must parse).
  void Start(const std::string& text, ServerOptions o = {}) {
    o.session.log = log_.Sink();
    o.session.verbose = true;
    o.policy = Policy(text);
    ASSERT_NE(o.policy, nullptr);
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(*kernel_, "unix://sock", o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  static std::shared_ptr<const CredentialPolicy> Policy(const std::string& text) {
    absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(text);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? std::make_shared<const CredentialPolicy>(*std::move(p)) : nullptr;
  }
  std::unique_ptr<RawClient> Connect() { return sp::testing::ConnectRaw(server_->url()); }

  sp::testing::ScratchDir dir_;
  std::unique_ptr<rump::Kernel> kernel_;
  std::unique_ptr<Server> server_;
  sp::testing::LogCapture log_;
};

TEST_F(ServerPolicyTest, UnixPeersGetThePolicysCredentialsOrNothing) {
  ServerOptions o;
  o.socket_mode = 0640;
  Start(absl::StrCat("unix uid=", getuid(), " uid=1000 gid=100\n"), o);
  struct stat st;
  ASSERT_EQ(stat("sock", &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  std::unique_ptr<RawClient> admitted = Connect();
  ASSERT_NE(admitted, nullptr);
  ASSERT_EQ(admitted->banner(), kOurBanner);
  ASSERT_TRUE(admitted->Handshake().ok());
  absl::StatusOr<RawClient::Result> r = admitted->Syscall(rump::abi::kSysGetuid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 1000);  // getuid returns (uid, euid)
  EXPECT_EQ(r->rv1, 1000);
  r = admitted->Syscall(rump::abi::kSysGetgid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 100);
  EXPECT_NE(log_.text().find(absl::StrCat("connected (uid ", getuid(), " gid ", getgid())),
            std::string::npos)
      << log_.text();
  EXPECT_NE(log_.text().find("uid 1000 gid 100"), std::string::npos) << log_.text();

  // A fork keeps the parent's credentials, not init's.
  const uint64_t rq = admitted->NextReqno();
  ASSERT_TRUE(admitted->SendBytes(wire::PreforkRequest(rq)).ok());
  absl::StatusOr<wire::Frame> pf = admitted->Await(rq, absl::Seconds(10));
  ASSERT_TRUE(pf.ok()) << pf.status();
  absl::StatusOr<wire::Cookie> cookie = wire::DecodePreforkResponse(*pf);
  ASSERT_TRUE(cookie.ok()) << cookie.status();
  std::unique_ptr<RawClient> child = Connect();
  ASSERT_NE(child, nullptr);
  const uint64_t fq = child->NextReqno();
  ASSERT_TRUE(child->SendBytes(wire::HandshakeForkRequest(fq, *cookie)).ok());
  ASSERT_TRUE(child->Await(fq, absl::Seconds(10)).ok());
  r = child->Syscall(rump::abi::kSysGetuid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 1000);

  // A policy that admits no one: newcomers get no banner, the admitted
  // client keeps working, and the refusal is logged once.
  server_->SetPolicy(Policy("anonymous root\n"));
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<RawClient> refused = Connect();
    ASSERT_NE(refused, nullptr);
    EXPECT_EQ(refused->banner(), "");
    EXPECT_TRUE(refused->WaitClosed(absl::Seconds(30)));
  }
  r = admitted->Syscall(rump::abi::kSysGetuid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 1000);
  const std::string text = log_.text();
  size_t refusals = 0;
  for (size_t at = text.find("refused by the credential policy"); at != std::string::npos;
       at = text.find("refused by the credential policy", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 1u) << text;
  // Back to no policy: root for all.
  server_->SetPolicy(nullptr);
  std::unique_ptr<RawClient> root = Connect();
  ASSERT_NE(root, nullptr);
  ASSERT_TRUE(root->Handshake().ok());
  r = root->Syscall(rump::abi::kSysGetuid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 0);
}

// getgroups(16, buf) over the raw protocol: the client's supplementary
// groups (the server copies them out into this process's memory).
absl::StatusOr<std::vector<uint32_t>> RemoteGroups(RawClient& c) {
  std::array<uint32_t, rump::abi::kNgroupsMax> buf{};
  absl::StatusOr<RawClient::Result> r =
      c.Syscall(rump::abi::kSysGetgroups, {buf.size(), P(buf.data())});
  if (!r.ok()) return r.status();
  if (r->error != 0) return absl::InternalError(absl::StrCat("getgroups: errno ", r->error));
  if (r->rv0 < 0 || r->rv0 > static_cast<int64_t>(buf.size())) {
    return absl::InternalError(absl::StrCat("getgroups returned ", r->rv0));
  }
  return std::vector<uint32_t>(buf.begin(), buf.begin() + r->rv0);
}

// This process's own supplementary groups (getgroups(2)).
std::vector<uint32_t> HostGroups() {
  const int n = getgroups(0, nullptr);
  std::vector<gid_t> g(n > 0 ? n : 0);
  if (n > 0) g.resize(getgroups(n, g.data()));
  return std::vector<uint32_t>(g.begin(), g.end());
}

// Supplementary groups over a unix:// socket: a rule's groups= list, and
// `peer` (the peer's own groups, SO_PEERGROUPS: this process's).
TEST_F(ServerPolicyTest, UnixPeersGetGroupsFromTheRuleOrTheirOwn) {
  Start(absl::StrCat("unix uid=", getuid(), " uid=1000 gid=100 groups=10,20,20\n"));

  std::unique_ptr<RawClient> mapped = Connect();
  ASSERT_NE(mapped, nullptr);
  ASSERT_TRUE(mapped->Handshake("mapped").ok());
  absl::StatusOr<std::vector<uint32_t>> g = RemoteGroups(*mapped);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, (std::vector<uint32_t>{10, 20, 20}));
  absl::StatusOr<RawClient::Result> r = mapped->Syscall(rump::abi::kSysGetgroups, {0, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, 3);  // getgroups(0, NULL): the count
  EXPECT_NE(log_.text().find("\"mapped\" is pid "), std::string::npos) << log_.text();
  EXPECT_NE(log_.text().find(", uid 1000 gid 100 groups 10,20,20"), std::string::npos)
      << log_.text();

  // `peer`: this process's own groups, as getgroups(2) gives them here.
  server_->SetPolicy(Policy("unix * peer\n"));
  const std::vector<uint32_t> mine = HostGroups();
  std::unique_ptr<RawClient> peer = Connect();
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(peer->Handshake("peer").ok());
  g = RemoteGroups(*peer);
  ASSERT_TRUE(g.ok()) << g.status();
  std::vector<uint32_t> expected = mine;
  if (expected.size() > rump::abi::kNgroupsMax) expected.resize(rump::abi::kNgroupsMax);
  EXPECT_EQ(*g, expected);
  EXPECT_EQ(log_.text().find("SO_PEERGROUPS"), std::string::npos) << log_.text();
  std::string listed;
  for (uint32_t gid : mine) absl::StrAppend(&listed, listed.empty() ? "" : ",", gid);
  EXPECT_NE(log_.text().find(absl::StrCat("connected (uid ", geteuid(), " gid ", getegid(),
                                         mine.empty() ? "" : " groups ", listed, " pid ")),
            std::string::npos)
      << log_.text();

  // A peer with more groups than a process keeps: the first 16, and the -v
  // line says so. Needs the privilege to change this process's groups
  // (glibc's setgroups changes every thread's); restored afterwards.
  std::vector<gid_t> many;
  for (gid_t gid = 7000; gid < 7020; ++gid) many.push_back(gid);
  const std::vector<gid_t> saved(mine.begin(), mine.end());
  if (setgroups(many.size(), many.data()) != 0) {
    std::fprintf(stderr, "skipped: 20 groups for a peer need CAP_SETGID (setgroups: %s)\n",
                 std::strerror(errno));
    return;
  }
  std::unique_ptr<RawClient> crowded = Connect();
  const int restored = setgroups(saved.size(), saved.data());
  ASSERT_EQ(restored, 0) << std::strerror(errno);
  ASSERT_EQ(HostGroups(), mine);
  ASSERT_NE(crowded, nullptr);
  ASSERT_TRUE(crowded->Handshake("crowded").ok());
  g = RemoteGroups(*crowded);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, std::vector<uint32_t>(many.begin(), many.begin() + 16));
  EXPECT_NE(log_.text().find("groups 7000,7001,7002,7003,7004,7005,7006,7007,7008,7009,7010,"
                            "7011,7012,7013,7014,7015,7016,7017,7018,7019 pid "),
            std::string::npos)
      << log_.text();
  EXPECT_NE(log_.text().find("; 20 supplementary groups: a process keeps the first 16)"),
            std::string::npos)
      << log_.text();
  EXPECT_NE(log_.text().find("\"crowded\" is pid "), std::string::npos) << log_.text();
}

// A connection that says nothing is closed at its handshake deadline and
// gives its slot back; one that completed its handshake stays.
TEST_P(ServerTest, SilentClientsAreDisconnectedAtTheHandshakeDeadline) {
  ServerOptions o;
  o.handshake_timeout = absl::Seconds(1);
  StartServer(GetParam(), o);
  std::unique_ptr<RawClient> talker = Connect();
  ASSERT_NE(talker, nullptr);
  ASSERT_TRUE(talker->Handshake().ok());
  std::unique_ptr<RawClient> silent = Connect();
  ASSERT_NE(silent, nullptr);
  ASSERT_EQ(silent->banner(), kOurBanner);
  EXPECT_TRUE(silent->WaitClosed(absl::Seconds(60)));
  EXPECT_TRUE(Eventually([&] { return server_->clients() == 1; }));
  EXPECT_NE(log().find("dropping connection: no handshake within 1s"), std::string::npos)
      << log();
  // The talker's deadline has passed too; it is still served.
  absl::StatusOr<RawClient::Result> r = talker->Syscall(rump::abi::kSysGetpid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->rv0, 1);
}

TEST(ServerStartTest, ErrorsCarryNetbsdErrno) {
  rump::KernelOptions ko;
  absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
  ASSERT_TRUE(k.ok());
  absl::StatusOr<std::unique_ptr<Server>> s =
      Server::Start(**k, "unix:///" + std::string(120, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(rump::abi::ToErrno(s.status()), rump::abi::kENAMETOOLONG) << s.status();
  s = Server::Start(**k, "bogus://x");
  EXPECT_EQ(rump::abi::ToErrno(s.status()), rump::abi::kEINVAL) << s.status();
  s = Server::Start(**k, "tcp6://[::1]:1/");
  EXPECT_EQ(rump::abi::ToErrno(s.status()), rump::abi::kEOPNOTSUPP) << s.status();
  absl::StatusOr<std::unique_ptr<Server>> a = Server::Start(**k, "tcp://127.0.0.1:0/");
  ASSERT_TRUE(a.ok());
  s = Server::Start(**k, (*a)->url());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(rump::abi::ToErrno(s.status()), rump::abi::kEADDRINUSE) << s.status();
  EXPECT_NE(s.status().message().find("failed to bind to URL"), std::string::npos);
}

}  // namespace
}  // namespace sp::server
