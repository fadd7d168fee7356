// The installed headers compiled as C++ (-pedantic), with their constants
// checked against the kernel's own NetBSD ABI tables (rump/abi/).
#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_syscallshotgun.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>
#include <rump/rumperrno2host.h>
#include <rump/rumpkern_if_pub.h>
#include <rump/rumpnet_if_pub.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"

namespace {

namespace nb = rump::abi;

// errno: every value, and the pseudo errors.
static_assert(RUMP_EPERM == nb::kEPERM && RUMP_ENXIO == nb::kENXIO);
static_assert(RUMP_EFAULT == nb::kEFAULT && RUMP_EINVAL == nb::kEINVAL);
static_assert(RUMP_EAGAIN == nb::kEAGAIN && RUMP_EWOULDBLOCK == nb::kEWOULDBLOCK);
static_assert(RUMP_EINPROGRESS == nb::kEINPROGRESS && RUMP_EALREADY == nb::kEALREADY);
static_assert(RUMP_EADDRINUSE == nb::kEADDRINUSE && RUMP_ENOTCONN == nb::kENOTCONN);
static_assert(RUMP_ENOSYS == nb::kENOSYS && RUMP_ENOTSUP == nb::kENOTSUP);
static_assert(RUMP_EPROTO == nb::kEPROTO && RUMP_ELAST == nb::kELAST);
static_assert(RUMP_EJUSTRETURN == -2 && RUMP_ERESTART == -3 && RUMP_EPASSTHROUGH == -4 &&
              RUMP_EDUPFD == -5 && RUMP_EMOVEFD == -6);

// open flags.
static_assert(RUMP_O_RDONLY == nb::kO_RDONLY && RUMP_O_WRONLY == nb::kO_WRONLY &&
              RUMP_O_RDWR == nb::kO_RDWR && RUMP_O_ACCMODE == nb::kO_ACCMODE);
static_assert(RUMP_O_NONBLOCK == nb::kO_NONBLOCK && RUMP_O_APPEND == nb::kO_APPEND &&
              RUMP_O_CLOEXEC == nb::kO_CLOEXEC);
static_assert(RUMP_O_CREAT == 0x200 && RUMP_O_TRUNC == 0x400 && RUMP_O_EXCL == 0x800 &&
              RUMP_O_NOSIGPIPE == 0x1000000 && RUMP_O_DIRECTORY == 0x200000);

// reboot / boothowto.
static_assert(RUMP_RB_HALT == 0x8 && RUMP_RB_NOSYNC == 0x4 && RUMP_RB_DUMP == 0x100 &&
              RUMP_RB_POWERDOWN == 0x808 && RUMP_AB_VERBOSE == 0x20000);

// Sockets.
static_assert(RUMP_AF_INET == 2 && RUMP_AF_INET6 == 24 && RUMP_AF_ROUTE == 34 &&
              RUMP_AF_LINK == 18 && RUMP_AF_MAX == 35 && RUMP_PF_ROUTE == 34 &&
              RUMP_PF_KEY == 29 && RUMP_PF_INET6 == RUMP_AF_INET6);
static_assert(RUMP_SOCK_STREAM == 1 && RUMP_SOCK_DGRAM == 2 && RUMP_SOCK_RAW == 3 &&
              RUMP_SOCK_NONBLOCK == 0x20000000 && RUMP_SOCK_CLOEXEC == 0x10000000);
static_assert(RUMP_SOL_SOCKET == 0xffff && RUMP_SO_REUSEADDR == 4 && RUMP_SO_SNDBUF == 0x1001 &&
              RUMP_SO_RCVTIMEO == 0x100c && RUMP_SO_ERROR == 0x1007);
static_assert(RUMP_MSG_DONTWAIT == 0x80 && RUMP_MSG_NOSIGNAL == 0x400 &&
              RUMP_MSG_CMSG_CLOEXEC == 0x800);
static_assert(RUMP_IPPROTO_ICMP == 1 && RUMP_IPPROTO_TCP == 6 && RUMP_IPPROTO_UDP == 17 &&
              RUMP_IPPROTO_RAW == 255 && RUMP_IP_HDRINCL == 2 && RUMP_IP_TTL == 4 &&
              RUMP_IP_MULTICAST_TTL == 10 && RUMP_TCP_NODELAY == 1 &&
              RUMP_TCP_CONGCTL == 0x20);

// ioctl encoding: the macros give the spec's numbers, as the kernel's do.
struct NbIfreq {
  unsigned char bytes[144];
};
struct NbIfaliasreq {
  unsigned char bytes[64];
};
static_assert(_RUMP_IOW('i', 26, NbIfaliasreq) == 0x8040691aUL);  // SIOCAIFADDR
static_assert(_RUMP_IOWR('i', 33, NbIfreq) == 0xc0906921UL);      // SIOCGIFADDR
static_assert(_RUMP_IOW('i', 16, NbIfreq) == 0x80906910UL);       // SIOCSIFFLAGS
static_assert(_RUMP_IOW('f', 126, int) == nb::kFIONBIO);
static_assert(_RUMP_IOR('f', 127, int) == nb::kFIONREAD);
static_assert(_RUMP_IO('f', 1) == nb::kFIOCLEX);
static_assert(_RUMP_IOWR('i', 33, NbIfreq) == nb::Iowr('i', 33, 144));
static_assert(RUMP_IOCPARM_LEN(0xc0906921UL) == 144 && RUMP_IOCGROUP(0xc0906921UL) == 'i' &&
              RUMP_IOCBASECMD(0xc0906921UL) == 0xc0006921UL);
static_assert(RUMP_IOC_INOUT == 0xc0000000UL && RUMP_IOCPARM_MASK == nb::kIocParmMask);

// rump.h's enums and macros.
static_assert(RUMPUIO_READ == 0 && RUMPUIO_WRITE == 1);
static_assert(RUMP_SIGMODEL_PANIC == 0 && RUMP_SIGMODEL_RAISE == 3 &&
              RUMP_SIGMODEL_RECORD == 4);
static_assert(RUMP_RFFDG == 1 && RUMP_RFCFDG == 2 && RUMP_RFFD_SHARE == 0 &&
              RUMP_RFFD_COPY == RUMP_RFFDG && RUMP_RFFD_CLEAR == RUMP_RFCFDG);
static_assert(RUMP_ETFS_REG == 0 && RUMP_ETFS_DIR_SUBDIRS == 4 && RUMPCN_FREECRED == 2);
static_assert(RUMP_ETFS_SIZE_ENDOFF == ~uint64_t{0} && RUMP_DAEMONIZE_SUCCESS == 0);

// Prototypes have the C types NetBSD's have.
static_assert(std::is_same_v<decltype(&rump_sys_ioctl), int (*)(int, unsigned long, ...)>);
static_assert(std::is_same_v<decltype(&rump_sys_fcntl), int (*)(int, int, ...)>);
static_assert(std::is_same_v<decltype(&rump_sys_open), int (*)(const char*, int, ...)>);
static_assert(std::is_same_v<decltype(&rump_sys_read), ssize_t (*)(int, void*, size_t)>);
static_assert(std::is_same_v<decltype(&rump_sys___sysctl),
                             int (*)(const int*, unsigned int, void*, size_t*, const void*,
                                     size_t)>);
static_assert(std::is_same_v<decltype(&rump_sys_getpid), pid_t (*)()>);
static_assert(std::is_same_v<decltype(&rump_pub_shmif_create), int (*)(const char*, int*)>);
// <rump/netconfig.h>: NetBSD's prototypes.
using NcName = int (*)(const char*);
using NcTwoNames = int (*)(const char*, const char*);
using NcAddrLen = int (*)(const char*, const char*, int);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ifcreate), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ifdestroy), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ifup), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ifdown), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ifsetlinkstr), NcTwoNames>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ipv4_ifaddr),
                             int (*)(const char*, const char*, const char*)>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ipv4_ifaddr_cidr), NcAddrLen>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ipv6_ifaddr), NcAddrLen>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ipv4_gw), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_ipv6_gw), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_auto_ipv6), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_dhcp_ipv4_oneshot), NcName>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_bradd), NcTwoNames>);
static_assert(std::is_same_v<decltype(&rump_pub_netconfig_brdel), NcTwoNames>);

TEST(Headers, StrerrorHasNetbsdTexts) {
  EXPECT_STREQ(rump_strerror(0), "No error: zero, zip, zilch, none!");
  EXPECT_STREQ(rump_strerror(RUMP_EPERM), "Operation not permitted");
  EXPECT_STREQ(rump_strerror(RUMP_EAGAIN), "Resource temporarily unavailable");
  EXPECT_STREQ(rump_strerror(RUMP_EADDRNOTAVAIL), "Can't assign requested address");
  EXPECT_STREQ(rump_strerror(RUMP_EPROTO), "Protocol error");
  EXPECT_STREQ(rump_strerror(97), "Invalid error!");
  EXPECT_STREQ(rump_strerror(-1), "Invalid error!");
  EXPECT_STREQ(rump_strerror(RUMP_EJUSTRETURN), "Invalid error!");
  // The same texts as the kernel's table, for every value.
  for (int e = 1; e <= RUMP_ELAST; ++e) {
    EXPECT_STREQ(rump_strerror(e), nb::ErrnoMessage(e)) << "errno " << e;
  }
}

TEST(Headers, Errno2hostMapsToLinuxNumbers) {
  EXPECT_EQ(rump_errno2host(0), 0);
  EXPECT_EQ(rump_errno2host(RUMP_EPERM), EPERM);
  EXPECT_EQ(rump_errno2host(RUMP_EAGAIN), EAGAIN);
  EXPECT_EQ(rump_errno2host(RUMP_EINPROGRESS), EINPROGRESS);
  EXPECT_EQ(rump_errno2host(RUMP_EADDRINUSE), EADDRINUSE);
  EXPECT_EQ(rump_errno2host(RUMP_ENOSYS), ENOSYS);
  EXPECT_EQ(rump_errno2host(RUMP_EOPNOTSUPP), EOPNOTSUPP);
  EXPECT_EQ(rump_errno2host(RUMP_EPROTO), EPROTO);
  // NetBSD-only errors and unknown values.
  EXPECT_EQ(rump_errno2host(RUMP_EFTYPE), EINVAL);
  EXPECT_EQ(rump_errno2host(RUMP_EAUTH), EINVAL);
  EXPECT_EQ(rump_errno2host(97), EINVAL);
  EXPECT_EQ(rump_errno2host(-1), EINVAL);
}

}  // namespace
