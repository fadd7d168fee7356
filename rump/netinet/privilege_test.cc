// NetBSD's privilege rules (rump/kern/privilege.h) at the system calls of a
// kernel with shmif0 at 10.9.0.1/24: a process whose effective uid is not 0
// gets NetBSD's errno for interface changes, route changes, raw sockets,
// reserved ports and reboot, and can still use TCP and UDP on high ports;
// root (pid 1, the default) may do all of it.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/process.h"
#include "rump/netinet/inet_testing.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Ip;
using inet_testing::ScratchDir;

constexpr int kRbHalt = 8;                // RB_HALT
constexpr uint16_t kReserved = 80;        // below IPPORT_RESERVED
constexpr uint16_t kHigh = 40000;

uint64_t P(const void* p) { return uint64_t(reinterpret_cast<uintptr_t>(p)); }

template <typename T>
void Put(std::string& m, size_t off, T v) {
  std::memcpy(&m[off], &v, sizeof(T));
}

std::string Sin(const std::string& addr) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(s.size());
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  Put<uint32_t>(s, abi::kSinAddrOff, Ip(addr));
  return s;
}

// An ifreq naming `ifname`, with `value` at the union.
std::string Ifreq(const std::string& ifname, int32_t value = 0) {
  std::string r(abi::kIfreqSize, '\0');
  r.replace(abi::kIfrNameOff, ifname.size(), ifname);
  Put<int32_t>(r, abi::kIfrMtuOff, value);
  return r;
}

// A routing message of `type` for 10.50.0.0/16 (through 10.9.0.2 for
// RTM_ADD).
std::string RouteMessage(uint8_t type) {
  std::vector<std::string> sas = {Sin("10.50.0.0")};
  int addrs = abi::kRTA_DST;
  int flags = abi::kRTF_UP;
  if (type == abi::kRTM_ADD) {
    sas.push_back(Sin("10.9.0.2"));
    addrs |= abi::kRTA_GATEWAY;
    flags |= abi::kRTF_GATEWAY | abi::kRTF_STATIC;
  }
  sas.push_back(Sin("255.255.0.0"));
  addrs |= abi::kRTA_NETMASK;
  std::string m(abi::kRtMsghdrSize, '\0');
  for (const std::string& sa : sas) m += sa;  // 16 bytes: already rounded
  Put<uint16_t>(m, abi::kRtmMsglenOff, uint16_t(m.size()));
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kRtmTypeOff] = char(type);
  Put<int32_t>(m, abi::kRtmFlagsOff, flags);
  Put<int32_t>(m, abi::kRtmAddrsOff, addrs);
  return m;
}

class PrivilegeTest : public ::testing::Test {
 protected:
  PrivilegeTest() : h_(dir_.path() + "/bus", "10.9.0.1") {}
  ~PrivilegeTest() override { h_.kernel().BindThread(nullptr); }

  // From here on this thread's calls are made by a new process with
  // uid/euid 1000, as a server policy would set them for a client.
  void BecomeUser() {
    std::shared_ptr<Process> p = h_.kernel().NewProcess(1, "user");
    p->set_credentials(Credentials{1000, 1000, 100, 100});
    h_.kernel().BindThread(p);
  }

  int Ioctl(int fd, uint64_t cmd, std::string& arg) {
    return h_.Call(abi::kSysIoctl, {uint64_t(fd), cmd, P(arg.data())}).error;
  }
  int IfIoctl(uint64_t cmd, const std::string& ifname, int32_t value = 0) {
    const int s = h_.Socket(abi::kSOCK_DGRAM);
    EXPECT_GE(s, 0);
    std::string r = Ifreq(ifname, value);
    const int e = Ioctl(s, cmd, r);
    h_.Close(s);
    return e;
  }
  int AddAlias(const std::string& addr) {
    const int s = h_.Socket(abi::kSOCK_DGRAM);
    std::string r(abi::kIfaliasreqSize, '\0');
    r.replace(0, 6, "shmif0");
    r.replace(abi::kIfraAddrOff, abi::kSockaddrInSize, Sin(addr));
    r.replace(abi::kIfraMaskOff, abi::kSockaddrInSize, Sin("255.255.255.0"));
    const int e = Ioctl(s, abi::kSIOCAIFADDR, r);
    h_.Close(s);
    return e;
  }
  int DeleteAddress(const std::string& addr) {
    const int s = h_.Socket(abi::kSOCK_DGRAM);
    std::string r = Ifreq("shmif0");
    r.replace(abi::kIfraAddrOff, abi::kSockaddrInSize, Sin(addr));
    const int e = Ioctl(s, abi::kSIOCDIFADDR, r);
    h_.Close(s);
    return e;
  }
  int SetLinkstr(const std::string& ifname, const std::string& linkstr) {
    const int s = h_.Socket(abi::kSOCK_DGRAM);
    std::string d(abi::kIfdrvSize, '\0');
    d.replace(abi::kIfdNameOff, ifname.size(), ifname);
    Put<uint64_t>(d, abi::kIfdLenOff, linkstr.size() + 1);
    Put<uint64_t>(d, abi::kIfdDataOff, P(linkstr.c_str()));
    const int e = Ioctl(s, abi::kSIOCSLINKSTR, d);
    h_.Close(s);
    return e;
  }
  // Writes a routing message: the write's errno, and the rtm_errno of the
  // answer the writer's own routing socket got (-1: no answer).
  int WriteRoute(uint8_t type, int* answer_errno) {
    const inet_testing::SysResult so =
        h_.Call(abi::kSysSocket, {uint64_t(abi::kAF_ROUTE), uint64_t(abi::kSOCK_RAW), 0});
    EXPECT_EQ(so.error, 0);
    const std::string m = RouteMessage(type);
    const int e = h_.Call(abi::kSysWrite, {uint64_t(so.rv), P(m.data()), m.size()}).error;
    std::vector<uint8_t> reply;
    *answer_errno = -1;
    if (h_.RecvFrom(int(so.rv), &reply, 512, nullptr, nullptr, abi::kMSG_DONTWAIT) >=
        int64_t(abi::kRtMsghdrSize)) {
      std::memcpy(answer_errno, reply.data() + abi::kRtmErrnoOff, 4);
    }
    h_.Close(int(so.rv));
    return e;
  }
  int BindSocket(int type, uint16_t port) {
    const int s = h_.Socket(type);
    EXPECT_GE(s, 0);
    const int e = h_.Bind(s, "0.0.0.0", port);
    h_.Close(s);
    return e;
  }
  int RawSocket(int domain, int protocol) {
    const inet_testing::SysResult r = h_.Call(
        abi::kSysSocket, {uint64_t(domain), uint64_t(abi::kSOCK_RAW), uint64_t(protocol)});
    if (r.error == 0) h_.Close(int(r.rv));
    return r.error;
  }
  int SysctlWriteForwarding(int value) {
    const int mib[4] = {4, 2, 0, 1};  // net.inet.ip.forwarding
    return h_.Call(abi::kSysSysctl, {P(mib), 4, 0, 0, P(&value), sizeof(value)}).error;
  }

  ScratchDir dir_;
  Host h_;
};

TEST_F(PrivilegeTest, UserChangesNoInterface) {
  BecomeUser();
  EXPECT_EQ(IfIoctl(abi::kSIOCIFCREATE, "shmif1"), abi::kEPERM);
  EXPECT_EQ(IfIoctl(abi::kSIOCIFDESTROY, "shmif0"), abi::kEPERM);
  EXPECT_EQ(IfIoctl(abi::kSIOCIFDESTROY, "shmif9"), abi::kEPERM);  // before the lookup
  EXPECT_EQ(IfIoctl(abi::kSIOCSIFFLAGS, "shmif0", 0), abi::kEPERM);
  EXPECT_EQ(IfIoctl(abi::kSIOCSIFFLAGS, "shmif9", 0), abi::kENXIO);  // after it
  EXPECT_EQ(IfIoctl(abi::kSIOCSIFMTU, "shmif0", 1400), abi::kEPERM);
  EXPECT_EQ(IfIoctl(abi::kSIOCSIFMETRIC, "lo0", 1), abi::kEPERM);
  EXPECT_EQ(AddAlias("10.9.0.7"), abi::kEPERM);
  EXPECT_EQ(DeleteAddress("10.9.0.1"), abi::kEPERM);
  EXPECT_EQ(DeleteAddress("10.9.0.99"), abi::kEADDRNOTAVAIL);  // in_control's order
  EXPECT_EQ(SetLinkstr("shmif0", dir_.path() + "/other"), abi::kEPERM);
  // Nothing changed, and reading is allowed.
  EXPECT_NE(h_.net().FindInterface("shmif0"), nullptr);
  EXPECT_EQ(h_.net().FindInterface("shmif1"), nullptr);
  EXPECT_TRUE(h_.inet().IsLocalAddress(Ip("10.9.0.1")));
  EXPECT_FALSE(h_.inet().IsLocalAddress(Ip("10.9.0.7")));
  EXPECT_EQ(IfIoctl(abi::kSIOCGIFFLAGS, "shmif0"), 0);
  EXPECT_EQ(IfIoctl(abi::kSIOCGIFMTU, "shmif0"), 0);
}

TEST_F(PrivilegeTest, RootChangesInterfaces) {
  EXPECT_EQ(IfIoctl(abi::kSIOCIFCREATE, "shmif1"), 0);
  EXPECT_EQ(SetLinkstr("shmif1", dir_.path() + "/bus1"), 0);
  EXPECT_EQ(IfIoctl(abi::kSIOCSIFMTU, "shmif0", 1400), 0);
  EXPECT_EQ(AddAlias("10.9.0.7"), 0);
  EXPECT_EQ(DeleteAddress("10.9.0.7"), 0);
  EXPECT_EQ(IfIoctl(abi::kSIOCIFDESTROY, "shmif1"), 0);
  EXPECT_EQ(SysctlWriteForwarding(0), 0);
}

TEST_F(PrivilegeTest, UserReadsButDoesNotChangeRoutes) {
  BecomeUser();
  int answer = 0;
  EXPECT_EQ(WriteRoute(abi::kRTM_ADD, &answer), abi::kEACCES);
  EXPECT_EQ(answer, abi::kEACCES);  // the request comes back with its errno
  EXPECT_EQ(WriteRoute(abi::kRTM_DELETE, &answer), abi::kEACCES);
  EXPECT_EQ(WriteRoute(abi::kRTM_CHANGE, &answer), abi::kEACCES);
  // RTM_GET is open to everyone: the route to 10.50/16 does not exist.
  EXPECT_EQ(WriteRoute(abi::kRTM_GET, &answer), abi::kESRCH);
  EXPECT_EQ(SysctlWriteForwarding(1), abi::kEPERM);
}

TEST_F(PrivilegeTest, RootChangesRoutes) {
  int answer = -1;
  EXPECT_EQ(WriteRoute(abi::kRTM_ADD, &answer), 0);
  EXPECT_EQ(answer, 0);
  EXPECT_EQ(WriteRoute(abi::kRTM_GET, &answer), 0);
  BecomeUser();
  EXPECT_EQ(WriteRoute(abi::kRTM_GET, &answer), 0);
  EXPECT_EQ(WriteRoute(abi::kRTM_DELETE, &answer), abi::kEACCES);
}

TEST_F(PrivilegeTest, RawSocketsNeedRoot) {
  EXPECT_EQ(RawSocket(abi::kAF_INET, abi::kIPPROTO_ICMP), 0);
  BecomeUser();
  EXPECT_EQ(RawSocket(abi::kAF_INET, abi::kIPPROTO_ICMP), abi::kEPERM);
  EXPECT_EQ(RawSocket(abi::kAF_INET, 0), abi::kEPERM);
  EXPECT_EQ(RawSocket(abi::kAF_LINK, 0), abi::kEPERM);
  EXPECT_EQ(RawSocket(24, 58), abi::kEPERM);  // AF_INET6 (not in this kernel): asked first
  EXPECT_EQ(RawSocket(abi::kAF_ROUTE, 0), 0);
  EXPECT_GE(h_.Socket(abi::kSOCK_DGRAM), 0);
  EXPECT_GE(h_.Socket(abi::kSOCK_STREAM), 0);
}

TEST_F(PrivilegeTest, ReservedPortsNeedRoot) {
  BecomeUser();
  EXPECT_EQ(BindSocket(abi::kSOCK_STREAM, kReserved), abi::kEACCES);
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, kReserved), abi::kEACCES);
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, 1023), abi::kEACCES);
  EXPECT_EQ(BindSocket(abi::kSOCK_STREAM, 1024), 0);
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, 0), 0);
  // A foreign address is refused before the port.
  const int s = h_.Socket(abi::kSOCK_DGRAM);
  EXPECT_EQ(h_.Bind(s, "10.77.0.1", kReserved), abi::kEADDRNOTAVAIL);
  h_.Close(s);
  h_.kernel().BindThread(nullptr);
  EXPECT_EQ(BindSocket(abi::kSOCK_STREAM, kReserved), 0);
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, kReserved), 0);
}

TEST_F(PrivilegeTest, TheEffectiveUidCounts) {
  // setuid(1000) through the system call, then back to root: refused.
  std::shared_ptr<Process> p = h_.kernel().NewProcess(1, "su");
  h_.kernel().BindThread(p);
  EXPECT_EQ(h_.Call(abi::kSysSeteuid, {1000}).error, 0);
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, kReserved), abi::kEACCES);
  EXPECT_EQ(h_.Call(abi::kSysSeteuid, {0}).error, 0);  // the real uid is still 0
  EXPECT_EQ(BindSocket(abi::kSOCK_DGRAM, kReserved), 0);
  EXPECT_EQ(h_.Call(abi::kSysSetuid, {1000}).error, 0);
  EXPECT_EQ(h_.Call(abi::kSysSetuid, {0}).error, abi::kEPERM);
  EXPECT_EQ(RawSocket(abi::kAF_INET, abi::kIPPROTO_ICMP), abi::kEPERM);
}

TEST_F(PrivilegeTest, UserTalksOverHighPorts) {
  BecomeUser();
  // UDP: a datagram to itself.
  const int u = h_.Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(u, 0);
  ASSERT_EQ(h_.Bind(u, "10.9.0.1", kHigh), 0);
  ASSERT_EQ(h_.SendTo(u, {'h', 'i'}, "10.9.0.1", kHigh), 2);
  std::vector<uint8_t> got;
  ASSERT_EQ(h_.RecvFrom(u, &got, 16), 2);
  EXPECT_EQ(got, (std::vector<uint8_t>{'h', 'i'}));
  h_.Close(u);
  // TCP: a connection over loopback, with an ephemeral client port.
  const int l = h_.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(h_.Bind(l, "127.0.0.1", kHigh + 1), 0);
  ASSERT_EQ(h_.Listen(l, 1), 0);
  const int c = h_.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(h_.Connect(c, "127.0.0.1", kHigh + 1), 0);
  const int a = h_.Accept(l);
  ASSERT_GE(a, 0);
  ASSERT_EQ(h_.SendAll(c, {1, 2, 3, 4, 5}), 0);
  EXPECT_EQ(h_.RecvAll(a, 5), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  h_.Close(a);
  h_.Close(c);
  h_.Close(l);
}

TEST_F(PrivilegeTest, OnlyRootReboots) {
  BecomeUser();
  EXPECT_EQ(h_.Call(abi::kSysReboot, {kRbHalt, 0}).error, abi::kEPERM);
  EXPECT_FALSE(h_.kernel().halted());
  h_.kernel().BindThread(nullptr);
  EXPECT_EQ(h_.Call(abi::kSysReboot, {kRbHalt, 0}).error, 0);
  EXPECT_TRUE(h_.kernel().halted());
}

}  // namespace
}  // namespace rump
