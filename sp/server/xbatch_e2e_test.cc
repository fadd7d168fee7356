// The one-round-trip extension end to end: the client core (sp/client's
// Connection, what librumpclient uses) against a real Server over unix://,
// counting the exchanges with the server's counters. With x-batch a 1 KiB
// sendto, a recvfrom, an ioctl with copyin + copyout and a sysctl each cost
// exactly one request and one answer (no COPYIN / COPYOUT frames); with the
// extension off (client option) or not offered (server option) the same
// calls give the same results in plain NetBSD frames.
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/client/connection.h"
#include "sp/server/server.h"
#include "sp/transport/url.h"

namespace sp::server {
namespace {

namespace abi = rump::abi;

uint64_t P(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// NetBSD struct sockaddr_in (16 bytes).
struct NbSockaddrIn {
  uint8_t len = 16;
  uint8_t family = 2;
  uint16_t port_be = 0;
  uint32_t addr_be = 0;
  char zero[8] = {};
};
static_assert(sizeof(NbSockaddrIn) == 16);

NbSockaddrIn Loopback(uint16_t port) {
  NbSockaddrIn sin;
  sin.port_be = uint16_t((port >> 8) | (port << 8));
  sin.addr_be = 0x0100007f;  // 127.0.0.1 in network order
  return sin;
}

class XbatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xbXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    rump::KernelOptions ko;
    ko.components = rump::AllComponents();
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = *std::move(k);
  }
  void TearDown() override {
    conn_.reset();
    if (server_ != nullptr) {
      EXPECT_TRUE(server_->Stop());
    }
    server_.reset();
    kernel_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Serve(bool announce) {
    ServerOptions so;
    so.announce_extensions = announce;
    absl::StatusOr<std::unique_ptr<Server>> s =
        Server::Start(*kernel_, absl::StrCat("unix://", dir_, "/s"), so);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void Connect(bool xbatch) {
    absl::StatusOr<transport::Url> url =
        transport::ParseUrl(server_->url(), transport::Role::kClient);
    ASSERT_TRUE(url.ok()) << url.status();
    client::ConnectionOptions co;
    co.progname = "xbatch_test";
    co.xbatch = xbatch;
    absl::StatusOr<std::unique_ptr<client::Connection>> c = client::Connection::Connect(*url, co);
    ASSERT_TRUE(c.ok()) << c.status();
    conn_ = *std::move(c);
  }

  // One call, and what it cost: requests the server made (COPYIN,
  // COPYINSTR, COPYOUT) and calls it ran.
  struct Cost {
    client::SyscallResult r;
    uint64_t server_requests = 0;
    uint64_t calls = 0;
    uint64_t xcalls = 0;
  };
  Cost Call(int sysnum, std::vector<uint64_t> slots) {
    const SessionStats before = server_->stats();
    Cost c;
    c.r = conn_->Syscall(uint32_t(sysnum), slots);
    const SessionStats after = server_->stats();
    c.server_requests = after.server_requests - before.server_requests;
    c.calls = (after.syscalls + after.xsyscalls) - (before.syscalls + before.xsyscalls);
    c.xcalls = after.xsyscalls - before.xsyscalls;
    return c;
  }

  // The scenario: UDP 1 KiB sendto + recvfrom on 127.0.0.1, SIOCGIFFLAGS on
  // lo0, sysctl kern.ostype. `one_trip`: each must be one exchange.
  void Scenario(bool one_trip) {
    const uint16_t port = 7000 + uint16_t(getpid() % 1000);
    Cost c = Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(abi::kSOCK_DGRAM), 0});
    ASSERT_EQ(c.r.error, 0);
    const int rx = int(c.r.rv0);
    c = Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(abi::kSOCK_DGRAM), 0});
    ASSERT_EQ(c.r.error, 0);
    const int tx = int(c.r.rv0);
    NbSockaddrIn to = Loopback(port);
    c = Call(abi::kSysBind, {uint64_t(rx), P(&to), sizeof(to)});
    ASSERT_EQ(c.r.error, 0);
    EXPECT_EQ(c.server_requests, one_trip ? 0u : 1u);

    std::string data(1024, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = char('a' + i % 26);
    c = Call(abi::kSysSendto, {uint64_t(tx), P(data.data()), data.size(), 0, P(&to), sizeof(to)});
    ASSERT_EQ(c.r.error, 0);
    EXPECT_EQ(c.r.rv0, 1024);
    EXPECT_EQ(c.calls, 1u);
    EXPECT_EQ(c.server_requests, one_trip ? 0u : 2u);  // sockaddr + data
    EXPECT_EQ(c.xcalls, one_trip ? 1u : 0u);

    std::string got(2048, '\0');
    NbSockaddrIn from;
    from.len = 0;
    from.family = 0;
    uint32_t fromlen = sizeof(from);
    c = Call(abi::kSysRecvfrom,
             {uint64_t(rx), P(got.data()), got.size(), 0, P(&from), P(&fromlen)});
    ASSERT_EQ(c.r.error, 0);
    ASSERT_EQ(c.r.rv0, 1024);
    EXPECT_EQ(got.substr(0, 1024), data);
    EXPECT_EQ(fromlen, 16u);
    EXPECT_EQ(from.family, 2);
    EXPECT_EQ(from.addr_be, 0x0100007fu);
    if (one_trip) {
      EXPECT_EQ(c.server_requests, 0u);
    }

    uint8_t ifr[abi::kIfreqSize] = {};
    std::memcpy(ifr, "lo0", 3);
    c = Call(abi::kSysIoctl, {uint64_t(rx), abi::kSIOCGIFFLAGS, P(ifr)});
    ASSERT_EQ(c.r.error, 0);
    EXPECT_EQ(c.server_requests, one_trip ? 0u : 2u);  // COPYIN + COPYOUT
    uint16_t flags;
    std::memcpy(&flags, ifr + 16, sizeof(flags));
    EXPECT_TRUE(flags & abi::kIFF_UP);

    const int mib[2] = {1, 1};  // kern.ostype
    char ostype[32] = {};
    uint64_t oldlen = sizeof(ostype);
    c = Call(abi::kSysSysctl, {P(mib), 2, P(ostype), P(&oldlen), 0, 0});
    ASSERT_EQ(c.r.error, 0);
    EXPECT_STREQ(ostype, "NetBSD");
    EXPECT_EQ(oldlen, 7u);
    if (one_trip) {
      EXPECT_EQ(c.server_requests, 0u);
    }

    // getpid never needs memory: one exchange either way.
    c = Call(abi::kSysGetpid, {});
    EXPECT_GE(c.r.rv0, 2);
    EXPECT_EQ(c.server_requests, 0u);
    EXPECT_EQ(c.xcalls, 0u);
  }

  std::string dir_;
  std::unique_ptr<rump::Kernel> kernel_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<client::Connection> conn_;
};

TEST_F(XbatchTest, OneRoundTripEach) {
  Serve(true);
  Connect(true);
  EXPECT_TRUE(conn_->uses_xbatch());
  Scenario(true);
}

TEST_F(XbatchTest, ClientOptionOffMeansPlainNetbsdFrames) {
  Serve(true);
  Connect(false);
  EXPECT_FALSE(conn_->uses_xbatch());
  Scenario(false);
}

TEST_F(XbatchTest, ServerWithoutTheTokenGetsPlainNetbsdFrames) {
  Serve(false);
  Connect(true);
  EXPECT_EQ(conn_->banner(), "RUMPSP-0.4-NetBSD-7.99.34/amd64\n");
  EXPECT_FALSE(conn_->uses_xbatch());
  Scenario(false);
}

// An unreadable input buffer is left out of the call: the server's COPYIN
// of it then fails the call with EFAULT, as in plain NetBSD.
TEST_F(XbatchTest, UnreadableBuffersFallBackToEfault) {
  Serve(true);
  Connect(true);
  Cost c = Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(abi::kSOCK_DGRAM), 0});
  ASSERT_EQ(c.r.error, 0);
  c = Call(abi::kSysIoctl, {uint64_t(c.r.rv0), abi::kSIOCGIFFLAGS, 0x10});
  EXPECT_EQ(c.r.error, abi::kEFAULT);
  EXPECT_EQ(Call(abi::kSysGetpid, {}).r.error, 0);
}

}  // namespace
}  // namespace sp::server
