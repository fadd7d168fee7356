// <rump/netconfig.h> through the static library: every function's NetBSD
// errno for bad input (NULL, unknown interfaces, bad address text, prefix
// lengths out of range; the values NetBSD 7.99.34's rumpnet_config gives
// where it checks the same thing), addresses usable as soon as the call
// returns, the default route (and the RTM_ADD routing sockets hear), and
// concurrent use. Configuration results are observed through system calls
// only.
#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

// NetBSD numbers the headers deliberately do not define.
struct NbSockaddrIn {  // struct sockaddr_in, 16 bytes
  uint8_t len = sizeof(NbSockaddrIn);
  uint8_t family = RUMP_AF_INET;
  uint16_t port = 0;  // network order
  uint32_t addr = 0;  // network order
  uint8_t zero[8] = {};
};
static_assert(sizeof(NbSockaddrIn) == 16);
constexpr int kRtmAdd = 1;          // RTM_ADD
constexpr size_t kRtmTypeOff = 3;   // rt_msghdr.rtm_type
constexpr size_t kRtmErrnoOff = 24;  // rt_msghdr.rtm_errno

uint32_t Ip(const char* text) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, text, &a), 1) << text;
  return a.s_addr;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// What every function answered before rump_init(), recorded by the
// environment below before it boots the kernel.
std::vector<int> before_init;

class BootEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    before_init = {
        rump_pub_netconfig_ifcreate("shmif0"),
        rump_pub_netconfig_ifdestroy("shmif0"),
        rump_pub_netconfig_ifup("lo0"),
        rump_pub_netconfig_ifdown("lo0"),
        rump_pub_netconfig_ifsetlinkstr("shmif0", "bus"),
        rump_pub_netconfig_ipv4_ifaddr("shmif0", "10.0.0.1", "255.0.0.0"),
        rump_pub_netconfig_ipv4_ifaddr_cidr("shmif0", "10.0.0.1", 8),
        rump_pub_netconfig_ipv4_gw("10.0.0.254"),
        rump_pub_netconfig_ipv6_ifaddr("shmif0", "fd00::1", 64),
        rump_pub_netconfig_ipv6_gw("fd00::fe"),
        rump_pub_netconfig_auto_ipv6("shmif0"),
        rump_pub_netconfig_dhcp_ipv4_oneshot("shmif0"),
        rump_pub_netconfig_bradd("bridge0", "shmif0"),
        rump_pub_netconfig_brdel("bridge0", "shmif0"),
    };
    ASSERT_EQ(rump_init(), 0);
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new BootEnvironment);

// A UDP socket bound to addr:0, or -1 with errno.
int BoundUdpSocket(uint32_t addr) {
  const int s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
  if (s == -1) return -1;
  NbSockaddrIn sin;
  sin.addr = addr;
  if (rump_sys_bind(s, reinterpret_cast<const sockaddr*>(&sin), sizeof(sin)) == -1) {
    const int e = errno;
    rump_sys_close(s);
    errno = e;
    return -1;
  }
  return s;
}

// sendto(s, "x", to:9): 0, or the errno.
int SendTo(int s, uint32_t to) {
  NbSockaddrIn sin;
  sin.addr = to;
  sin.port = htons(9);
  if (rump_sys_sendto(s, "x", 1, 0, reinterpret_cast<const sockaddr*>(&sin), sizeof(sin)) ==
      -1) {
    return errno;
  }
  return 0;
}

TEST(Netconfig, BeforeInitEverythingIsEnxio) {
  ASSERT_EQ(before_init.size(), 14u);
  for (size_t i = 0; i < before_init.size(); ++i) {
    EXPECT_EQ(before_init[i], RUMP_ENXIO) << "function #" << i;
  }
}

TEST(Netconfig, CreateAndDestroy) {
  EXPECT_EQ(rump_pub_netconfig_ifcreate("shmif10"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifcreate("shmif10"), RUMP_EEXIST);
  EXPECT_EQ(rump_pub_netconfig_ifcreate("bogus0"), RUMP_EINVAL);  // no such cloner
  EXPECT_EQ(rump_pub_netconfig_ifcreate("shmifx"), RUMP_EINVAL);  // no unit
  EXPECT_EQ(rump_pub_netconfig_ifcreate(""), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifcreate(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifcreate("shmif0123456789012"), RUMP_EINVAL);  // > IFNAMSIZ
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("lo0"), RUMP_EPERM);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("nosuch0"), RUMP_EINVAL);  // no such cloner
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif99"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif0123456789012"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif10"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif10"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifup("shmif10"), RUMP_ENXIO);
}

TEST(Netconfig, UpDownAndLinkStr) {
  EXPECT_EQ(rump_pub_netconfig_ifup("nosuch0"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifdown("nosuch0"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifup(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifdown(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifup("lo0"), 0);

  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif11"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifup("shmif11"), RUMP_ENXIO);  // no bus yet
  EXPECT_EQ(rump_pub_netconfig_ifdown("shmif11"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("nosuch0", "bus"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr(nullptr, "bus"), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif11", nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("lo0", "bus"), RUMP_ENOTTY);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif11", ""), RUMP_ENOENT);
  const std::string bus = TempPath("bus11");
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif11", bus.c_str()), 0);
  EXPECT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif11", bus.c_str()), RUMP_EBUSY);
  EXPECT_EQ(rump_pub_netconfig_ifup("shmif11"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifdown("shmif11"), 0);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif11"), 0);
}

TEST(Netconfig, Ipv4AddressBadInput) {
  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif12"), 0);
  const std::string bus = TempPath("bus12");
  ASSERT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif12", bus.c_str()), 0);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", "10.12.0.1", 33), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", "10.12.0.1", -1), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", "10.12.0.300", 24), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", "bogus", 24), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", "", 24), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif12", nullptr, 24), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr(nullptr, "10.12.0.1", 24), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("nosuch0", "10.12.0.1", 24), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr("shmif12", "10.12.0.1", "255.255.255.256"),
            RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr("shmif12", "10.12.0.1", nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr("shmif12", "10.12.0.1/24", "255.0.0.0"),
            RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_ifaddr("nosuch0", "10.12.0.1", "255.0.0.0"), RUMP_ENXIO);
  // None of that configured anything.
  EXPECT_EQ(BoundUdpSocket(Ip("10.12.0.1")), -1);
  EXPECT_EQ(errno, RUMP_EADDRNOTAVAIL);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif12"), 0);
}

TEST(Netconfig, Ipv4AddressIsUsableAtOnce) {
  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif13"), 0);
  const std::string bus = TempPath("bus13");
  ASSERT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif13", bus.c_str()), 0);
  ASSERT_EQ(rump_pub_netconfig_ipv4_ifaddr("shmif13", "10.13.0.1", "255.255.0.0"), 0);
  // Bound and sending at once: no tentative period.
  int s = BoundUdpSocket(Ip("10.13.0.1"));
  ASSERT_GE(s, 0) << errno;
  EXPECT_EQ(SendTo(s, Ip("10.13.255.255")), RUMP_EACCES);  // broadcast, no SO_BROADCAST
  EXPECT_EQ(SendTo(s, Ip("10.13.0.1")), 0);                // ourselves, through lo0
  rump_sys_close(s);
  // A second address by prefix length, on the same interface.
  ASSERT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif13", "10.14.0.1", 24), 0);
  s = BoundUdpSocket(Ip("10.14.0.1"));
  ASSERT_GE(s, 0) << errno;
  EXPECT_EQ(SendTo(s, Ip("10.14.0.255")), RUMP_EACCES);  // the /24's broadcast address
  EXPECT_EQ(SendTo(s, Ip("10.14.1.255")), RUMP_EHOSTUNREACH);  // beyond the /24
  rump_sys_close(s);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif13"), 0);
  EXPECT_EQ(BoundUdpSocket(Ip("10.13.0.1")), -1);
  EXPECT_EQ(errno, RUMP_EADDRNOTAVAIL);
}

TEST(Netconfig, DefaultRoute) {
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw("bogus"), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw("10.15.0.254"), RUMP_ENETUNREACH);  // not on a network
  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif15"), 0);
  const std::string bus = TempPath("bus15");
  ASSERT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif15", bus.c_str()), 0);
  ASSERT_EQ(rump_pub_netconfig_ipv4_ifaddr_cidr("shmif15", "10.15.0.1", 24), 0);
  const int s = BoundUdpSocket(Ip("10.15.0.1"));
  ASSERT_GE(s, 0) << errno;
  EXPECT_EQ(SendTo(s, Ip("192.0.2.1")), RUMP_EHOSTUNREACH);  // no route yet

  const int rt = rump_sys_socket(RUMP_PF_ROUTE, RUMP_SOCK_RAW, 0);
  ASSERT_GE(rt, 0) << errno;
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw("10.15.0.254"), 0);
  EXPECT_EQ(SendTo(s, Ip("192.0.2.1")), 0);  // through the gateway (ARP queues it)
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw("10.15.0.253"), RUMP_EEXIST);
  // The routing socket heard the RTM_ADD, then the refused one.
  std::vector<int> errnos;
  uint8_t msg[2048];
  ssize_t n;
  while ((n = rump_sys_recvfrom(rt, msg, sizeof(msg), RUMP_MSG_DONTWAIT, nullptr, nullptr)) >
         0) {
    int e = 0;
    std::memcpy(&e, msg + kRtmErrnoOff, sizeof(e));
    if (size_t(n) > kRtmErrnoOff && msg[kRtmTypeOff] == kRtmAdd) errnos.push_back(e);
  }
  EXPECT_EQ(errnos, (std::vector<int>{0, RUMP_EEXIST}));
  rump_sys_close(rt);
  rump_sys_close(s);
  // The route goes with its interface.
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif15"), 0);
  EXPECT_EQ(rump_pub_netconfig_ipv4_gw("10.15.0.254"), RUMP_ENETUNREACH);
}

TEST(Netconfig, WhatThisKernelLacks) {
  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif16"), 0);
  EXPECT_EQ(rump_pub_netconfig_ipv6_ifaddr("shmif16", "fd00::1", 64), RUMP_EAFNOSUPPORT);
  EXPECT_EQ(rump_pub_netconfig_ipv6_ifaddr(nullptr, nullptr, 3), RUMP_EAFNOSUPPORT);
  EXPECT_EQ(rump_pub_netconfig_ipv6_gw("fd00::fe"), RUMP_EAFNOSUPPORT);
  EXPECT_EQ(rump_pub_netconfig_ipv6_gw(nullptr), RUMP_EAFNOSUPPORT);
  EXPECT_EQ(rump_pub_netconfig_auto_ipv6("nosuch0"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_auto_ipv6(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_auto_ipv6("lo0"), RUMP_EINVAL);  // not Ethernet
  EXPECT_EQ(rump_pub_netconfig_auto_ipv6("shmif16"), RUMP_EAFNOSUPPORT);
  EXPECT_EQ(rump_pub_netconfig_dhcp_ipv4_oneshot("nosuch0"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_dhcp_ipv4_oneshot(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_dhcp_ipv4_oneshot("shmif16"), RUMP_ENOTSUP);
  EXPECT_EQ(rump_pub_netconfig_bradd("bridge0", "shmif16"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_brdel("bridge0", "shmif16"), RUMP_ENXIO);
  EXPECT_EQ(rump_pub_netconfig_bradd("shmif16", "lo0"), RUMP_ENOTTY);
  EXPECT_EQ(rump_pub_netconfig_brdel("shmif16", "lo0"), RUMP_ENOTTY);
  EXPECT_EQ(rump_pub_netconfig_bradd(nullptr, "lo0"), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_bradd("shmif16", nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif16"), 0);
}

// Threads configuring interfaces of their own and racing on a shared one:
// every call answers (0 or an errno), nothing crashes, and each thread's
// own address works.
TEST(Netconfig, ConcurrentUse) {
  ASSERT_EQ(rump_pub_netconfig_ifcreate("shmif20"), 0);
  const std::string shared_bus = TempPath("bus20");
  ASSERT_EQ(rump_pub_netconfig_ifsetlinkstr("shmif20", shared_bus.c_str()), 0);
  constexpr int kThreads = 4, kRounds = 10;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string name = "shmif" + std::to_string(30 + t);
      const std::string bus = TempPath("bus" + std::to_string(30 + t));
      const std::string addr = "10.30." + std::to_string(t) + ".1";
      for (int r = 0; r < kRounds; ++r) {
        if (rump_pub_netconfig_ifcreate(name.c_str()) != 0 ||
            rump_pub_netconfig_ifsetlinkstr(name.c_str(), bus.c_str()) != 0 ||
            rump_pub_netconfig_ipv4_ifaddr_cidr(name.c_str(), addr.c_str(), 24) != 0) {
          ++failures[size_t(t)];
        }
        const int s = BoundUdpSocket(Ip(addr.c_str()));
        if (s < 0) {
          ++failures[size_t(t)];
        } else {
          rump_sys_close(s);
        }
        // The shared interface: an address each, up and down; any order.
        const std::string shared = "10.20." + std::to_string(t) + ".1";
        if (rump_pub_netconfig_ipv4_ifaddr_cidr("shmif20", shared.c_str(), 24) != 0) {
          ++failures[size_t(t)];
        }
        const int e = (r % 2 == 0) ? rump_pub_netconfig_ifdown("shmif20")
                                   : rump_pub_netconfig_ifup("shmif20");
        if (e != 0) ++failures[size_t(t)];
        if (rump_pub_netconfig_ifdestroy(name.c_str()) != 0) ++failures[size_t(t)];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[size_t(t)], 0) << "thread " << t;
  EXPECT_EQ(rump_pub_netconfig_ifdestroy("shmif20"), 0);
}

}  // namespace
