// The reboot(2) that halts the kernel is always answered: the client core
// (sp/client's Connection, what librumpclient and rump.halt use) against a
// real Server that stops as rump_server does (WaitHalted, then Stop), many
// times over every transport. The server sends the answer and then its
// end-of-connection right behind it, and closes; the client must hand the
// answer to the caller however the two arrive (together, or the answer
// just before the connection breaks). The ZeroMQ transports also run with
// CURVE (" curve": a server key pair, an allow-list with the client's key).
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/client/connection.h"
#include "sp/server/server.h"
#include "sp/testing/server_fixture.h"
#include "sp/transport/curve_keys.h"
#include "sp/transport/url.h"

namespace sp::server {
namespace {

constexpr int kRounds = 100;

class RebootTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  bool Curve() const { return GetParam().find(" curve") != std::string::npos; }

  // The server's URL for round `i` (a fresh socket file each round).
  std::string Url(int i) const {
    const std::string u = GetParam().substr(0, GetParam().find(' '));
    if (u.rfind("zmq+ipc", 0) == 0 || u.rfind("unix", 0) == 0) {
      return absl::StrCat(u, "//", dir_.path(), "/s", i);
    }
    return u;
  }

  // One round: boot, serve, connect, reboot; the answer must be success.
  void Round(int i) {
    rump::KernelOptions ko;
    ko.components = rump::AllComponents();
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
    ASSERT_TRUE(k.ok()) << k.status();
    std::unique_ptr<rump::Kernel> kernel = *std::move(k);
    ServerOptions so;
    client::ConnectionOptions co;
    if (Curve()) {
      absl::StatusOr<transport::CurveKeyPair> server_keys = transport::GenerateCurveKeyPair();
      absl::StatusOr<transport::CurveKeyPair> client_keys = transport::GenerateCurveKeyPair();
      ASSERT_TRUE(server_keys.ok() && client_keys.ok());
      so.curve_secret_key = server_keys->secret_key;
      so.curve_allow = std::make_shared<const transport::CurveAllowList>(
          transport::CurveAllowList{{client_keys->public_key, "halt"}});
      co.transport.curve_server_key = server_keys->public_key;
      co.transport.curve_public_key = client_keys->public_key;
      co.transport.curve_secret_key = client_keys->secret_key;
    }
    absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(*kernel, Url(i), so);
    ASSERT_TRUE(s.ok()) << s.status();
    std::unique_ptr<Server> server = *std::move(s);
    absl::StatusOr<transport::Url> url =
        transport::ParseUrl(server->url(), transport::Role::kClient);
    ASSERT_TRUE(url.ok()) << url.status();
    co.progname = "halt";
    absl::StatusOr<std::unique_ptr<client::Connection>> c = client::Connection::Connect(*url, co);
    ASSERT_TRUE(c.ok()) << c.status();
    // As rump_server: stop serving once the kernel has halted.
    std::thread stopper([&] {
      kernel->WaitHalted();
      EXPECT_TRUE(server->Stop());
    });
    const uint64_t slots[2] = {0, 0};
    const client::SyscallResult r = (*c)->Syscall(rump::abi::kSysReboot, slots);
    stopper.join();
    EXPECT_EQ(r.error, 0) << "round " << i << (r.lost ? ": the answer was lost" : "");
    EXPECT_FALSE(r.lost) << "round " << i;
    c->reset();
    server.reset();
    kernel.reset();
  }

  sp::testing::ScratchDir dir_{/*make_cwd=*/false};
};

TEST_P(RebootTest, TheRebootIsAnsweredEveryTime) {
  for (int i = 0; i < kRounds && !HasFailure(); ++i) Round(i);
}

INSTANTIATE_TEST_SUITE_P(Transports, RebootTest,
                         ::testing::Values("unix:", "tcp://127.0.0.1:0/", "zmq+tcp://127.0.0.1:0",
                                           "zmq+ipc:", "zmq+tcp://127.0.0.1:0 curve",
                                           "zmq+ipc: curve"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.find(':'));
                           if (info.param.find(" curve") != std::string::npos) n += "_curve";
                           for (char& ch : n) {
                             if (ch == '+') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace sp::server
