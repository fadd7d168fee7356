#include "capi/hijack/translate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"

namespace rump::hijack {
namespace {

namespace nb = rump::abi;

TEST(TranslateTest, ErrnoNetbsdToLinux) {
  EXPECT_EQ(ToLinuxErrno(0), 0);
  EXPECT_EQ(ToLinuxErrno(nb::kEAGAIN), EAGAIN);
  EXPECT_EQ(ToLinuxErrno(nb::kEINPROGRESS), EINPROGRESS);
  EXPECT_EQ(ToLinuxErrno(nb::kECONNREFUSED), ECONNREFUSED);
  EXPECT_EQ(ToLinuxErrno(nb::kEADDRINUSE), EADDRINUSE);
  EXPECT_EQ(ToLinuxErrno(nb::kENOTCONN), ENOTCONN);
  // The client's own errors are host numbers already.
  EXPECT_EQ(ToLinuxErrno(ENOTCONN), ENOTCONN);
}

TEST(TranslateTest, SockaddrInRoundTrip) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(8080);
  sin.sin_addr.s_addr = htonl(0x0a000102);
  uint8_t nbaddr[kNetbsdSockaddrMax];
  ASSERT_EQ(ToNetbsdSockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof(sin), nbaddr), 16);
  EXPECT_EQ(nbaddr[0], 16);
  EXPECT_EQ(nbaddr[1], nb::kAF_INET);
  EXPECT_EQ(nbaddr[2], 0x1f);
  EXPECT_EQ(nbaddr[3], 0x90);
  EXPECT_EQ(nbaddr[4], 10);
  EXPECT_EQ(nbaddr[7], 2);

  sockaddr_in back{};
  socklen_t len = sizeof(back);
  ToLinuxSockaddr(nbaddr, 16, reinterpret_cast<sockaddr*>(&back), &len);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(back.sin_family, AF_INET);
  EXPECT_EQ(back.sin_port, sin.sin_port);
  EXPECT_EQ(back.sin_addr.s_addr, sin.sin_addr.s_addr);
}

TEST(TranslateTest, SockaddrIn6KeepsEveryField) {
  sockaddr_in6 s6{};
  s6.sin6_family = AF_INET6;
  s6.sin6_port = htons(443);
  s6.sin6_flowinfo = htonl(7);
  inet_pton(AF_INET6, "fe80::1", &s6.sin6_addr);
  s6.sin6_scope_id = 3;
  uint8_t nbaddr[kNetbsdSockaddrMax];
  ASSERT_EQ(ToNetbsdSockaddr(reinterpret_cast<sockaddr*>(&s6), sizeof(s6), nbaddr), 28);
  EXPECT_EQ(nbaddr[0], 28);
  EXPECT_EQ(nbaddr[1], nb::kAF_INET6);
  sockaddr_in6 back{};
  socklen_t len = sizeof(back);
  ToLinuxSockaddr(nbaddr, 28, reinterpret_cast<sockaddr*>(&back), &len);
  EXPECT_EQ(len, sizeof(sockaddr_in6));
  EXPECT_EQ(std::memcmp(&back, &s6, sizeof(s6)), 0);
}

TEST(TranslateTest, SockaddrBadInput) {
  uint8_t nbaddr[kNetbsdSockaddrMax];
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  EXPECT_EQ(ToNetbsdSockaddr(reinterpret_cast<sockaddr*>(&sin), 8, nbaddr), -EINVAL);
  EXPECT_EQ(ToNetbsdSockaddr(nullptr, 16, nbaddr), -EINVAL);
  sockaddr sa{};
  sa.sa_family = AF_NETLINK;
  EXPECT_EQ(ToNetbsdSockaddr(&sa, sizeof(sa), nbaddr), -EAFNOSUPPORT);
}

TEST(TranslateTest, SockaddrOutputIsTruncatedLikeTheKernelDoes) {
  const uint8_t nbaddr[16] = {16, uint8_t(nb::kAF_INET), 0, 80, 127, 0, 0, 1};
  uint8_t small[6];
  std::memset(small, 0xee, sizeof(small));
  socklen_t len = 4;
  ToLinuxSockaddr(nbaddr, 16, reinterpret_cast<sockaddr*>(small), &len);
  EXPECT_EQ(len, sizeof(sockaddr_in));  // the full length, as getsockname(2)
  EXPECT_EQ(small[0], AF_INET);
  EXPECT_EQ(small[3], 80);
  EXPECT_EQ(small[4], 0xee);  // nothing past the caller's length
}

TEST(TranslateTest, SocketTypesAndFlags) {
  EXPECT_EQ(ToNetbsdSocketType(SOCK_STREAM), nb::kSOCK_STREAM);
  EXPECT_EQ(ToNetbsdSocketType(SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC),
            int(nb::kSOCK_DGRAM | nb::kSOCK_NONBLOCK | nb::kSOCK_CLOEXEC));
  EXPECT_FALSE(ToNetbsdSocketType(SOCK_PACKET).has_value());
  EXPECT_EQ(ToNetbsdAcceptFlags(SOCK_NONBLOCK), int(nb::kSOCK_NONBLOCK));
  EXPECT_FALSE(ToNetbsdAcceptFlags(0x10).has_value());
}

TEST(TranslateTest, SocketOptions) {
  auto o = ToNetbsdSockopt(SOL_SOCKET, SO_REUSEADDR);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->level, nb::kSOL_SOCKET);
  EXPECT_EQ(o->name, nb::kSO_REUSEADDR);
  o = ToNetbsdSockopt(SOL_SOCKET, SO_ERROR);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, nb::kSO_ERROR);
  o = ToNetbsdSockopt(IPPROTO_TCP, TCP_KEEPIDLE);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, nb::kTCP_KEEPIDLE);
  o = ToNetbsdSockopt(IPPROTO_IP, IP_TTL);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->name, 4);
  EXPECT_FALSE(ToNetbsdSockopt(SOL_SOCKET, SO_PEERCRED).has_value());
  EXPECT_FALSE(ToNetbsdSockopt(IPPROTO_TCP, TCP_INFO).has_value());
  EXPECT_EQ(ToLinuxSockoptInt(SOL_SOCKET, SO_ERROR, nb::kECONNREFUSED), ECONNREFUSED);
  EXPECT_EQ(ToLinuxSockoptInt(SOL_SOCKET, SO_SNDBUF, 4096), 4096);
}

TEST(TranslateTest, MessageFlags) {
  EXPECT_EQ(ToNetbsdMsgFlags(MSG_DONTWAIT | MSG_NOSIGNAL), nb::kMSG_DONTWAIT | nb::kMSG_NOSIGNAL);
  EXPECT_EQ(ToNetbsdMsgFlags(MSG_WAITALL | MSG_PEEK), nb::kMSG_WAITALL | nb::kMSG_PEEK);
  EXPECT_EQ(ToNetbsdMsgFlags(MSG_MORE), 0);  // a hint, dropped
  EXPECT_FALSE(ToNetbsdMsgFlags(MSG_ERRQUEUE).has_value());
  EXPECT_EQ(ToLinuxMsgFlags(nb::kMSG_TRUNC | nb::kMSG_CTRUNC), MSG_TRUNC | MSG_CTRUNC);
}

TEST(TranslateTest, PollEvents) {
  EXPECT_EQ(ToNetbsdPollEvents(POLLIN | POLLOUT), nb::kPOLLIN | nb::kPOLLOUT);
  EXPECT_EQ(ToNetbsdPollEvents(POLLWRNORM), nb::kPOLLWRNORM);
  EXPECT_EQ(ToNetbsdPollEvents(POLLWRBAND), nb::kPOLLWRBAND);
  EXPECT_EQ(ToLinuxPollEvents(nb::kPOLLOUT, POLLWRNORM), POLLWRNORM);
  EXPECT_EQ(ToLinuxPollEvents(nb::kPOLLOUT, POLLOUT), POLLOUT);
  EXPECT_EQ(ToLinuxPollEvents(nb::kPOLLIN | nb::kPOLLHUP, POLLIN), POLLIN | POLLHUP);
  EXPECT_EQ(ToLinuxPollEvents(nb::kPOLLWRBAND, POLLWRBAND), POLLWRBAND);
}

TEST(TranslateTest, StatusFlags) {
  EXPECT_EQ(ToNetbsdStatusFlags(O_RDWR | O_NONBLOCK), nb::kO_RDWR | nb::kO_NONBLOCK);
  EXPECT_EQ(ToLinuxStatusFlags(nb::kO_RDWR | nb::kO_NONBLOCK | nb::kO_APPEND),
            O_RDWR | O_NONBLOCK | O_APPEND);
}

}  // namespace
}  // namespace rump::hijack
