#include "capi/hijack/translate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
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

// One NetBSD control message (cmsghdr, data at CMSG_LEN(0), padded to
// CMSG_SPACE) appended to `out`.
void AppendNetbsdCmsg(std::string& out, int level, int type, const void* data, size_t n) {
  const size_t at = out.size();
  out.resize(at + nb::CmsgSpace(n), '\0');
  const uint32_t len = uint32_t(nb::CmsgLen(n));
  const int32_t lvl = level, typ = type;
  std::memcpy(out.data() + at, &len, 4);
  std::memcpy(out.data() + at + 4, &lvl, 4);
  std::memcpy(out.data() + at + 8, &typ, 4);
  std::memcpy(out.data() + at + nb::CmsgLen(0), data, n);
}

TEST(TranslateTest, ControlFromTheKernel) {
  // What a socket with every receive option on gets from the kernel.
  std::string in;
  uint8_t tv[16] = {};
  const int64_t sec = 1700000000;
  const int32_t usec = 123456;
  std::memcpy(tv, &sec, 8);
  std::memcpy(tv + 8, &usec, 4);
  AppendNetbsdCmsg(in, nb::kSOL_SOCKET, nb::kSCM_TIMESTAMP, tv, sizeof(tv));
  const uint32_t dst = inet_addr("10.0.0.2"), src = inet_addr("10.0.0.1"), index = 2;
  AppendNetbsdCmsg(in, nb::kIPPROTO_IP, nb::kIP_RECVDSTADDR, &dst, 4);
  uint8_t pi[8];
  std::memcpy(pi, &src, 4);
  std::memcpy(pi + 4, &index, 4);
  AppendNetbsdCmsg(in, nb::kIPPROTO_IP, nb::kIP_RECVPKTINFO, pi, 8);
  std::memcpy(pi, &dst, 4);
  AppendNetbsdCmsg(in, nb::kIPPROTO_IP, nb::kIP_PKTINFO, pi, 8);
  const uint8_t ttl = 33;
  AppendNetbsdCmsg(in, nb::kIPPROTO_IP, nb::kIP_RECVTTL, &ttl, 1);

  alignas(cmsghdr) uint8_t out[256];
  bool truncated = true;
  const size_t n = ToLinuxControl(reinterpret_cast<const uint8_t*>(in.data()), in.size(), out,
                                  sizeof(out), &truncated);
  EXPECT_FALSE(truncated);
  EXPECT_EQ(n, CMSG_SPACE(sizeof(timeval)) + CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(int)));
  msghdr m{};
  m.msg_control = out;
  m.msg_controllen = n;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_level, SOL_SOCKET);
  EXPECT_EQ(c->cmsg_type, SCM_TIMESTAMP);
  timeval got_tv;
  std::memcpy(&got_tv, CMSG_DATA(c), sizeof(got_tv));
  EXPECT_EQ(got_tv.tv_sec, sec);
  EXPECT_EQ(got_tv.tv_usec, usec);
  c = CMSG_NXTHDR(&m, c);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_level, IPPROTO_IP);
  EXPECT_EQ(c->cmsg_type, IP_PKTINFO);
  EXPECT_EQ(c->cmsg_len, CMSG_LEN(sizeof(in_pktinfo)));
  in_pktinfo got_pi;
  std::memcpy(&got_pi, CMSG_DATA(c), sizeof(got_pi));
  EXPECT_EQ(got_pi.ipi_ifindex, 2);
  EXPECT_EQ(got_pi.ipi_addr.s_addr, dst);
  EXPECT_EQ(got_pi.ipi_spec_dst.s_addr, dst);
  c = CMSG_NXTHDR(&m, c);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_type, IP_TTL);
  int got_ttl = 0;
  std::memcpy(&got_ttl, CMSG_DATA(c), sizeof(got_ttl));
  EXPECT_EQ(got_ttl, 33);
  EXPECT_EQ(CMSG_NXTHDR(&m, c), nullptr);

  // A buffer with room for the first message only: MSG_CTRUNC's case.
  const size_t small = ToLinuxControl(reinterpret_cast<const uint8_t*>(in.data()), in.size(), out,
                                      CMSG_SPACE(sizeof(timeval)) + 8, &truncated);
  EXPECT_TRUE(truncated);
  EXPECT_EQ(small, CMSG_SPACE(sizeof(timeval)));
  // A message the kernel cut short is not read past.
  EXPECT_EQ(ToLinuxControl(reinterpret_cast<const uint8_t*>(in.data()), 20, out, sizeof(out),
                           &truncated),
            0u);
}

TEST(TranslateTest, ControlToTheKernel) {
  alignas(cmsghdr) uint8_t buf[CMSG_SPACE(sizeof(in_pktinfo))] = {};
  cmsghdr* c = reinterpret_cast<cmsghdr*>(buf);
  c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_PKTINFO;
  in_pktinfo pi{};
  std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  std::string what;
  EXPECT_EQ(CheckLinuxSendControl(buf, sizeof(buf), &what), 0) << "asks for nothing";
  pi.ipi_spec_dst.s_addr = inet_addr("10.0.0.1");
  std::memcpy(CMSG_DATA(c), &pi, sizeof(pi));
  EXPECT_EQ(CheckLinuxSendControl(buf, sizeof(buf), &what), EOPNOTSUPP);
  EXPECT_NE(what.find("source address"), std::string::npos) << what;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  EXPECT_EQ(CheckLinuxSendControl(buf, sizeof(buf), &what), EOPNOTSUPP);
  EXPECT_NE(what.find("SCM_RIGHTS"), std::string::npos) << what;
}

TEST(TranslateTest, InterfaceFlags) {
  const uint16_t shmif = nb::kIFF_UP | nb::kIFF_BROADCAST | nb::kIFF_RUNNING | nb::kIFF_SIMPLEX |
                         nb::kIFF_MULTICAST;
  EXPECT_EQ(ToLinuxIfFlags(shmif), IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST);
  EXPECT_EQ(ToLinuxIfFlags(nb::kIFF_LOOPBACK | nb::kIFF_UP), IFF_LOOPBACK | IFF_UP);
  // Down, keeping what Linux has no name for (SIMPLEX).
  EXPECT_EQ(ToNetbsdIfFlags(int16_t(IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST), shmif),
            nb::kIFF_BROADCAST | nb::kIFF_RUNNING | nb::kIFF_SIMPLEX | nb::kIFF_MULTICAST);
  EXPECT_EQ(ToNetbsdIfFlags(ToLinuxIfFlags(shmif), shmif), shmif);
}

TEST(TranslateTest, ReceiveOptionNames) {
  const std::optional<SockoptName> pktinfo = ToNetbsdSockopt(IPPROTO_IP, IP_PKTINFO);
  ASSERT_TRUE(pktinfo);
  EXPECT_EQ(pktinfo->name, nb::kIP_PKTINFO);
  const std::optional<SockoptName> ts = ToNetbsdSockopt(SOL_SOCKET, SO_TIMESTAMP);
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->level, nb::kSOL_SOCKET);
  EXPECT_EQ(ts->name, nb::kSO_TIMESTAMP);
}

}  // namespace
}  // namespace rump::hijack
