// slirp interfaces against the host's real loopback: a kernel reaching a
// host TCP server and a host UDP socket at 10.0.2.2, a host client reaching
// a kernel's server through a forwarded port, link strings and their
// errors. No privileges needed.
#include "rump/dev/slirp/slirp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/socket.h"
#include "rump/components.h"
#include "rump/dev/slirp/settings.h"
#include "rump/kern/kernel.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet_testing.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Link;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string Str(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

// A host socket bound to 127.0.0.1 on a port the system picks; its port.
int HostSocket(int type, uint16_t* port) {
  const int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  struct sockaddr_in a {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(s, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)), 0) << std::strerror(errno);
  socklen_t len = sizeof(a);
  getsockname(s, reinterpret_cast<struct sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return s;
}

// A kernel with slirp0 (settings `linkstr`) at 10.0.2.15/24, default route
// to slirp's gateway.
struct SlirpHost {
  explicit SlirpHost(const std::string& linkstr = "")
      : host(Link{"slirp", linkstr}, "10.0.2.15") {
    host.AddRoute("0.0.0.0", "0.0.0.0", "10.0.2.2");
  }
  Host host;
};

TEST(SlirpTest, KernelReachesAHostTcpServerAtTheGateway) {
  uint16_t port;
  const int ls = HostSocket(SOCK_STREAM, &port);
  ASSERT_EQ(listen(ls, 1), 0);
  std::thread server([ls] {
    const int c = accept(ls, nullptr, nullptr);
    char buf[64];
    const ssize_t n = read(c, buf, sizeof(buf));
    const std::string reply = absl::StrCat("host got: ", std::string(buf, n > 0 ? size_t(n) : 0));
    EXPECT_EQ(write(c, reply.data(), reply.size()), ssize_t(reply.size()));
    close(c);
  });
  SlirpHost k;
  Host& h = k.host;
  const int fd = h.Socket(abi::kSOCK_STREAM);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(h.Connect(fd, "10.0.2.2", port), 0);
  ASSERT_EQ(h.SendAll(fd, Bytes("hello")), 0);
  int err = 0;
  EXPECT_EQ(Str(h.RecvAll(fd, 64, &err)), "host got: hello");
  EXPECT_EQ(err, 0);
  h.Close(fd);
  server.join();
  close(ls);
}

TEST(SlirpTest, KernelExchangesUdpWithTheHost) {
  uint16_t port;
  const int us = HostSocket(SOCK_DGRAM, &port);
  SlirpHost k;
  Host& h = k.host;
  const int fd = h.Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(h.SetRecvTimeout(fd, absl::Milliseconds(200)), 0);
  struct timeval tv = {0, 200 * 1000};
  setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // The first datagram may wait for ARP: send until the host has one.
  bool answered = false;
  for (int i = 0; i < 300 && !answered; ++i) {
    ASSERT_EQ(h.SendTo(fd, Bytes("ping"), "10.0.2.2", port), 4);
    char buf[16];
    struct sockaddr_in from {};
    socklen_t len = sizeof(from);
    const ssize_t n = recvfrom(us, buf, sizeof(buf), 0, reinterpret_cast<struct sockaddr*>(&from), &len);
    if (n != 4) continue;
    EXPECT_EQ(std::string(buf, 4), "ping");
    ASSERT_EQ(sendto(us, "pong", 4, 0, reinterpret_cast<struct sockaddr*>(&from), len), 4);
    std::vector<uint8_t> got;
    uint32_t from_addr = 0;
    uint16_t from_port = 0;
    for (int j = 0; j < 300; ++j) {
      if (h.RecvFrom(fd, &got, 16, &from_addr, &from_port) == 4) break;
    }
    EXPECT_EQ(Str(got), "pong");
    EXPECT_EQ(from_addr, inet_testing::Ip("10.0.2.2"));
    EXPECT_EQ(from_port, port);
    answered = true;
  }
  EXPECT_TRUE(answered);
  close(us);
}

TEST(SlirpTest, HostReachesTheKernelThroughAForwardedPort) {
  // A port the system just gave out, and so free again.
  uint16_t port;
  close(HostSocket(SOCK_STREAM, &port));
  SlirpHost k(absl::StrCat("hostfwd=tcp:127.0.0.1:", port, "-:7000"));
  Host& h = k.host;
  ASSERT_TRUE(h.ifp().up_and_running());
  const int lfd = h.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(h.Bind(lfd, "10.0.2.15", 7000), 0);
  ASSERT_EQ(h.Listen(lfd, 1), 0);
  std::thread client([port] {
    const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to {};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(c, reinterpret_cast<struct sockaddr*>(&to), sizeof(to)), 0);
    ASSERT_EQ(write(c, "from the host", 13), 13);
    shutdown(c, SHUT_WR);
    char buf[64];
    std::string got;
    for (ssize_t n; (n = read(c, buf, sizeof(buf))) > 0;) got.append(buf, size_t(n));
    EXPECT_EQ(got, "from the kernel");
    close(c);
  });
  const int fd = h.Accept(lfd);
  ASSERT_GE(fd, 0);
  int err = 0;
  EXPECT_EQ(Str(h.RecvAll(fd, 64, &err)), "from the host");
  ASSERT_EQ(h.SendAll(fd, Bytes("from the kernel")), 0);
  h.Close(fd);
  client.join();
  h.Close(lfd);
}

TEST(SlirpTest, LinkStringsAndTheirErrors) {
  KernelOptions o;
  auto fs = ComponentsFor({"rumpnet_slirp"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  o.components = *fs;
  auto k = Kernel::Boot(std::move(o));
  ASSERT_TRUE(k.ok()) << k.status();
  NetStack* net = (*k)->Find<NetStack>();
  auto bad = net->CreateNextInterface("slirp", "bogus=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(abi::ToErrno(bad.status()), abi::kEINVAL);
  EXPECT_NE((*k)->messages().find("unknown key"), std::string::npos) << (*k)->messages();
  auto ifp = net->CreateNextInterface("slirp", "net=10.9.0.0/16");
  ASSERT_TRUE(ifp.ok()) << ifp.status();
  EXPECT_EQ((*ifp)->name(), "slirp0");
  EXPECT_EQ((*ifp)->lladdr()[0], 0xb2);
  EXPECT_EQ((*ifp)->lladdr()[1], 0x0c);
}

TEST(SlirpSettingsTest, DefaultsAndRoundTrip) {
  auto s = ParseSlirpSettings("");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3");
  auto t = ParseSlirpSettings("net=192.168.7.0/24,hostfwd=tcp::8080-:80,hostfwd=udp:0.0.0.0:53-192.168.7.9:53");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->ToString(),
            "net=192.168.7.0/24,host=192.168.7.2,dns=192.168.7.3,"
            "hostfwd=tcp:127.0.0.1:8080-192.168.7.15:80,hostfwd=udp:0.0.0.0:53-192.168.7.9:53");
  auto u = ParseSlirpSettings(t->ToString());
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->ToString(), t->ToString());
}

TEST(SlirpSettingsTest, ErrorsNameThePart) {
  for (const char* bad : {"net=10.0.2.0/40", "net=10.0.2", "host=10.1.0.2", "dns=x",
                          "hostfwd=sctp::1-:2", "hostfwd=tcp::0-:2", "hostfwd=tcp::1-:99999",
                          "hostfwd=tcp:1-2", "hostfwd=tcp::1-10.1.2.3:5", "speed=fast", "novalue"}) {
    auto s = ParseSlirpSettings(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << bad;
  }
}

}  // namespace
}  // namespace rump
