// The interface layer through system calls, on a kernel with the NetStack
// and the inet component (lo0 with 127.0.0.1/8): sockets, interface ioctls
// with NetBSD layouts byte by byte, the IPv4 address ioctls, cloning,
// SIOCGIFCONF, NET_RT_IFLIST, net.inet.ip.*, and bad input.
#include "rump/net/net_stack.h"

#include <arpa/inet.h>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/stat.h"
#include "rump/abi/syscalls.h"
#include "rump/net/testing.h"
#include "rump/netinet/in_ifaddr.h"
#include "rump/netinet/inet.h"

namespace rump {
namespace {

using testing::Buf;
using testing::Ifreq;
using testing::Ioctl;
using testing::Ip;
using testing::P;

std::unique_ptr<Kernel> Boot() {
  KernelOptions o;
  o.components.push_back([] { return std::make_unique<NetStack>(); });
  o.components.push_back([] { return std::make_unique<Inet>(); });
  auto k = Kernel::Boot(std::move(o));
  EXPECT_TRUE(k.ok()) << k.status();
  return std::move(*k);
}

class IfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    k_ = Boot();
    net_ = k_->Find<NetStack>();
    ASSERT_NE(net_, nullptr);
    inet_ = k_->Find<Inet>();
    ASSERT_NE(inet_, nullptr);
    fd_ = testing::Socket(*k_);
    ASSERT_GE(fd_, 0);
  }
  int Flags(const std::string& name, int* error = nullptr) {
    Buf r = Ifreq(name);
    const int e = Ioctl(*k_, fd_, abi::kSIOCGIFFLAGS, r);
    if (error) *error = e;
    return e ? -1 : r.Get<uint16_t>(abi::kIfrFlagsOff);
  }
  int Index(const std::string& name) {
    Buf r = Ifreq(name);
    return Ioctl(*k_, fd_, abi::kSIOCGIFINDEX, r) ? -1 : int(r.Get<uint32_t>(16));
  }
  int Clone(uint64_t cmd, const std::string& name) {
    Buf r = Ifreq(name);
    return Ioctl(*k_, fd_, cmd, r);
  }
  std::string IfList(const std::vector<int>& mib, int* error = nullptr) {
    size_t len = 0;
    int e = testing::Sysctl(*k_, mib, nullptr, &len, /*query_size=*/true);
    std::string out;
    if (e == 0) e = testing::Sysctl(*k_, mib, &out, &len);
    if (error) *error = e;
    return out;
  }

  std::unique_ptr<Kernel> k_;
  NetStack* net_ = nullptr;
  Inet* inet_ = nullptr;
  int fd_ = -1;
};

TEST_F(IfTest, Lo0ExistsAtBootAsInNetBsd) {
  EXPECT_EQ(Flags("lo0"), 0x8049);  // UP|LOOPBACK|RUNNING|MULTICAST
  EXPECT_EQ(Index("lo0"), 1);
  Buf r = Ifreq("lo0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFMTU, r), 0);
  EXPECT_EQ(r.Get<int32_t>(abi::kIfrMtuOff), 33624);
  r = Ifreq("lo0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDR, r), 0);
  const uint8_t want_addr[] = {16, 2, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(0, memcmp(r.data() + 16, want_addr, 16));
  r = Ifreq("lo0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFNETMASK, r), 0);
  const uint8_t want_mask[] = {16, 2, 0, 0, 255, 0, 0, 0};
  EXPECT_EQ(0, memcmp(r.data() + 16, want_mask, 8));
  r = Ifreq("lo0");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFBRDADDR, r), abi::kEINVAL);  // not broadcast
  r = Ifreq("lo0");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFDLT, r), 0);
  EXPECT_EQ(r.Get<int32_t>(16), abi::kDLT_NULL);
  Buf m(abi::kIfmediareqSize);
  m.Name("lo0");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFMEDIA, m), abi::kENOTTY);  // no media
  auto lo0 = net_->FindInterface("lo0");
  ASSERT_NE(lo0, nullptr);
  EXPECT_EQ(inet::InAddresses(*lo0).size(), 1u);
  EXPECT_EQ(inet::InAddresses(*lo0)[0].broadaddr, Ip("127.0.0.1"));  // ia_dstaddr
}

TEST_F(IfTest, IfreqResultsTouchOnlyTheirBytes) {
  Buf r = Ifreq("lo0");
  for (size_t i = 18; i < r.size(); ++i) r.data()[i] = 0xa5;
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFFLAGS, r), 0);
  EXPECT_EQ(r.Str(0, 16), "lo0");
  for (size_t i = 3; i < 16; ++i) EXPECT_EQ(r.data()[i], 0) << i;
  EXPECT_EQ(r.data()[16], 0x49);  // ifr_flags, a little-endian short
  EXPECT_EQ(r.data()[17], 0x80);
  for (size_t i = 18; i < r.size(); ++i) EXPECT_EQ(r.data()[i], 0xa5) << i;
}

TEST_F(IfTest, SocketDomainsTypesAndErrors) {
  using testing::Socket;
  EXPECT_GE(Socket(*k_, abi::kAF_INET, abi::kSOCK_STREAM, 0), 0);
  EXPECT_GE(Socket(*k_, abi::kAF_INET, abi::kSOCK_STREAM, abi::kIPPROTO_TCP), 0);
  EXPECT_GE(Socket(*k_, abi::kAF_INET, abi::kSOCK_DGRAM, abi::kIPPROTO_UDP), 0);
  EXPECT_GE(Socket(*k_, abi::kAF_INET, abi::kSOCK_RAW, abi::kIPPROTO_ICMP), 0);
  // No netinet6 component: no AF_INET6 domain, as in a NetBSD rump kernel
  // without rumpnet_netinet6.
  EXPECT_EQ(Socket(*k_, abi::kAF_INET6, abi::kSOCK_DGRAM, 0), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET6, abi::kSOCK_STREAM, 0), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET6, abi::kSOCK_RAW, 58), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(abi::kEAFNOSUPPORT, 47);
  EXPECT_GE(Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW, 0), 0);
  EXPECT_GE(Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW, abi::kAF_INET), 0);
  EXPECT_GE(Socket(*k_, abi::kAF_LINK, abi::kSOCK_DGRAM, 0), 0);

  EXPECT_EQ(Socket(*k_, abi::kAF_LOCAL, abi::kSOCK_STREAM, 0), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(Socket(*k_, 99, abi::kSOCK_STREAM, 0), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(Socket(*k_, -1, abi::kSOCK_STREAM, 0), -abi::kEAFNOSUPPORT);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET, abi::kSOCK_SEQPACKET, 0), -abi::kEPROTOTYPE);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET, 77, 0), -abi::kEPROTOTYPE);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET, 0, 0), -abi::kEPROTONOSUPPORT);
  EXPECT_EQ(Socket(*k_, abi::kAF_INET, abi::kSOCK_DGRAM, abi::kIPPROTO_TCP),
            -abi::kEPROTONOSUPPORT);
  EXPECT_EQ(Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_DGRAM, 0), -abi::kEPROTOTYPE);
  EXPECT_EQ(Socket(*k_, abi::kAF_LINK, abi::kSOCK_DGRAM, 5), -abi::kEPROTONOSUPPORT);

  // Type flags: close-on-exec on the descriptor, non-blocking on the file.
  const int a = Socket(*k_, abi::kAF_INET, abi::kSOCK_DGRAM | int(abi::kSOCK_CLOEXEC), 0);
  ASSERT_GE(a, 0);
  EXPECT_EQ(k_->Syscall(abi::kSysFcntl, {uint64_t(a), uint64_t(abi::kF_GETFD)}).rv0,
            abi::kFD_CLOEXEC);
  const int b = Socket(*k_, abi::kAF_INET, abi::kSOCK_DGRAM | int(abi::kSOCK_NONBLOCK), 0);
  ASSERT_GE(b, 0);
  SyscallResult fl = k_->Syscall(abi::kSysFcntl, {uint64_t(b), uint64_t(abi::kF_GETFL)});
  EXPECT_EQ(fl.rv0 & abi::kO_NONBLOCK, abi::kO_NONBLOCK);
  EXPECT_EQ(fl.rv0 & abi::kO_ACCMODE, abi::kO_RDWR);
  EXPECT_EQ(k_->Syscall(abi::kSysFcntl, {uint64_t(b), uint64_t(abi::kF_GETFD)}).rv0, 0);

  // A routing socket receives nothing until a route changes (a non-blocking
  // read finds the queue empty) and refuses a write too short for a
  // routing message (rtsock_test has the rest).
  const int c = Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW | int(abi::kSOCK_NONBLOCK), 0);
  ASSERT_GE(c, 0);
  char buf[4] = {};
  EXPECT_EQ(k_->Syscall(abi::kSysRead, {uint64_t(c), P(buf), 4}).error, abi::kEAGAIN);
  EXPECT_EQ(k_->Syscall(abi::kSysWrite, {uint64_t(c), P(buf), 4}).error, abi::kEINVAL);
  // fstat: a socket.
  uint8_t st[abi::kStatSize] = {};
  ASSERT_EQ(k_->Syscall(abi::kSysFstat, {uint64_t(c), P(st)}).error, 0);
  uint32_t mode = 0;
  std::memcpy(&mode, st + abi::kStModeOff, 4);
  EXPECT_EQ(mode, abi::kS_IFSOCK);
  int n = -1;
  EXPECT_EQ(Ioctl(*k_, c, abi::kFIONREAD, P(&n)), 0);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(k_->Syscall(abi::kSysClose, {uint64_t(c)}).error, 0);
  EXPECT_EQ(k_->Syscall(abi::kSysClose, {uint64_t(b)}).error, 0);
}

TEST_F(IfTest, UnknownInterfacesNamesAndCommands) {
  int e = 0;
  Flags("nosuch0", &e);
  EXPECT_EQ(e, abi::kENXIO);
  Flags("", &e);
  EXPECT_EQ(e, abi::kENXIO);
  Flags("99", &e);
  EXPECT_EQ(e, abi::kENXIO);
  EXPECT_EQ(Flags("1"), 0x8049);  // an all-digit name is an index (ifunit)
  Buf r(abi::kIfreqSize);
  std::memset(r.data(), 'l', abi::kIfNameSize);  // no NUL in the name
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFFLAGS, r), abi::kENXIO);

  // Unknown commands: ENOTTY from in_control, EOPNOTSUPP from other domains.
  r = Ifreq("lo0");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::Iowr('i', 250, abi::kIfreqSize), r), abi::kENOTTY);
  const int route = testing::Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW, 0);
  EXPECT_EQ(Ioctl(*k_, route, abi::Iowr('i', 250, abi::kIfreqSize), r), abi::kEOPNOTSUPP);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::Iow('r', 10, 56), r), abi::kEOPNOTSUPP);
  // The IPv4 address ioctls belong to AF_INET sockets.
  EXPECT_EQ(Ioctl(*k_, route, abi::kSIOCGIFADDR, r), abi::kEOPNOTSUPP);
  // Interface ioctls work on every domain's sockets.
  r = Ifreq("lo0");
  EXPECT_EQ(Ioctl(*k_, route, abi::kSIOCGIFFLAGS, r), 0);
  // A short 'i' command cannot even hold a name.
  EXPECT_EQ(Ioctl(*k_, fd_, abi::Iowr('i', 251, 4), r), abi::kENOTTY);
  // NULL argument pointers fault in the generic layer.
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFFLAGS, uint64_t{0}), abi::kEFAULT);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCAIFADDR, uint64_t{0}), abi::kEFAULT);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFCONF, uint64_t{0}), abi::kEFAULT);
  // Not a socket's file.
  EXPECT_EQ(Ioctl(*k_, 0, abi::kSIOCGIFFLAGS, r), abi::kENOTTY);
  EXPECT_EQ(Ioctl(*k_, 200, abi::kSIOCGIFFLAGS, r), abi::kEBADF);
}

TEST_F(IfTest, SetFlagsKeepsCantChangeBits) {
  Buf r = Ifreq("lo0");
  r.Set<uint16_t>(abi::kIfrFlagsOff, 0);  // down, and try to drop everything
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFFLAGS, r), 0);
  EXPECT_EQ(Flags("lo0"), 0x8040);  // RUNNING|MULTICAST kept; LOOPBACK is settable
  r.Set<uint16_t>(abi::kIfrFlagsOff, 0xffff);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFFLAGS, r), 0);
  // Settable bits come from the request, IFF_CANTCHANGE bits stay as they were.
  EXPECT_EQ(Flags("lo0"), (0xffff & ~0x8f52) | 0x8040);
  r.Set<uint16_t>(abi::kIfrFlagsOff, 0x8049);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFFLAGS, r), 0);
  EXPECT_EQ(Flags("lo0"), 0x8049);
}

TEST_F(IfTest, MtuRules) {
  Buf r = Ifreq("lo0");
  r.Set<int32_t>(abi::kIfrMtuOff, 1280);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFMTU, r), 0);
  r.Set<int32_t>(abi::kIfrMtuOff, abi::kLoMtuMax + 1);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFMTU, r), abi::kEINVAL);
  r.Set<int32_t>(abi::kIfrMtuOff, -1);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFMTU, r), abi::kEINVAL);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFMTU, r), 0);
  EXPECT_EQ(r.Get<int32_t>(abi::kIfrMtuOff), 1280);
}

TEST_F(IfTest, CloneCreateAndDestroy) {
  EXPECT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  EXPECT_EQ(Flags("lo1"), 0x8048);  // not up: no address yet
  EXPECT_EQ(Index("lo1"), 2);
  EXPECT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), abi::kEEXIST);
  EXPECT_EQ(Clone(abi::kSIOCIFCREATE, "lo0"), abi::kEEXIST);
  for (const char* bad : {"foo0", "lo", "lo01", "lo1x", "", "0", "lo99999999999"}) {
    EXPECT_EQ(Clone(abi::kSIOCIFCREATE, bad), abi::kEINVAL) << bad;
  }
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "lo0"), abi::kEPERM);
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "lo7"), abi::kENXIO);
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "nosuch0"), abi::kEINVAL);
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "lo"), abi::kEINVAL);
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "lo1"), 0);
  EXPECT_EQ(Clone(abi::kSIOCIFDESTROY, "lo1"), abi::kENXIO);
  int e = 0;
  Flags("lo1", &e);
  EXPECT_EQ(e, abi::kENXIO);

  // Indexes as NetBSD's if_getindex hands them out: the counter moves on
  // past taken slots only.
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  EXPECT_EQ(Index("lo1"), 2);
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo2"), 0);
  EXPECT_EQ(Index("lo2"), 3);
  ASSERT_EQ(Clone(abi::kSIOCIFDESTROY, "lo1"), 0);
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  EXPECT_EQ(Index("lo1"), 4);
}

TEST_F(IfTest, ClonerList) {
  Buf req(abi::kIfClonereqSize);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCIFGCLONERS, req), 0);  // NULL buffer: count only
  EXPECT_EQ(req.Get<int32_t>(abi::kIfcrTotalOff), 1);
  char names[4][16];
  std::memset(names, 0x77, sizeof(names));
  req.Set<int32_t>(abi::kIfcrCountOff, 4).Set<uint64_t>(abi::kIfcrBufferOff, P(names));
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCIFGCLONERS, req), 0);
  EXPECT_EQ(req.Get<int32_t>(abi::kIfcrTotalOff), 1);
  EXPECT_EQ(std::string(names[0], 16), std::string("lo\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16));
  EXPECT_EQ(uint8_t(names[1][0]), 0x77);  // only `total` slots written
  req.Set<int32_t>(abi::kIfcrCountOff, 0);
  std::memset(names, 0x77, sizeof(names));
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCIFGCLONERS, req), 0);
  EXPECT_EQ(uint8_t(names[0][0]), 0x77);
  req.Set<int32_t>(abi::kIfcrCountOff, -1);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCIFGCLONERS, req), abi::kEINVAL);
}

TEST_F(IfTest, IfConfRecordsAreFixedSizeIfreqs) {
  Buf ifc(abi::kIfconfSize);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFCONF, ifc), 0);  // NULL ifc_req: the size
  EXPECT_EQ(ifc.Get<int32_t>(abi::kIfcLenOff), 2 * 144);  // lo0: link + 127.0.0.1

  std::vector<uint8_t> recs(3 * 144, 0xee);
  ifc.Set<int32_t>(abi::kIfcLenOff, int32_t(recs.size())).Set<uint64_t>(abi::kIfcReqOff, P(recs.data()));
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFCONF, ifc), 0);
  EXPECT_EQ(ifc.Get<int32_t>(abi::kIfcLenOff), 2 * 144);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&recs[0])), "lo0");
  const uint8_t sdl[] = {11, 18, 1, 0, 24, 3, 0, 0, 'l', 'o', '0'};
  EXPECT_EQ(0, memcmp(&recs[16], sdl, sizeof(sdl)));
  EXPECT_EQ(recs[16 + 11], 0);  // the rest of the record is zero
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&recs[144])), "lo0");
  const uint8_t sin[] = {16, 2, 0, 0, 127, 0, 0, 1};
  EXPECT_EQ(0, memcmp(&recs[144 + 16], sin, sizeof(sin)));
  EXPECT_EQ(recs[288], 0xee);  // nothing past the records

  // Room for one record only: one is written, ifc_len says so.
  std::fill(recs.begin(), recs.end(), 0xee);
  ifc.Set<int32_t>(abi::kIfcLenOff, 200);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFCONF, ifc), 0);
  EXPECT_EQ(ifc.Get<int32_t>(abi::kIfcLenOff), 144);
  EXPECT_EQ(recs[144], 0xee);
  // A negative length copies nothing.
  ifc.Set<int32_t>(abi::kIfcLenOff, -5);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFCONF, ifc), 0);
  EXPECT_EQ(ifc.Get<int32_t>(abi::kIfcLenOff), 0);
}

TEST_F(IfTest, IfListOfLo0MessageByMessage) {
  int e = 0;
  size_t estimate = 0;
  ASSERT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 5, 0}, nullptr, &estimate, true), 0);
  const std::string dump = IfList({4, 34, 0, 0, 5, 0}, &e);
  ASSERT_EQ(e, 0);
  EXPECT_EQ(dump.size(), 168u + 56 + 64);
  EXPECT_EQ(estimate, 11 * dump.size() / 10);  // sysctl_rtable's 110%
  std::vector<testing::RtMessage> m;
  ASSERT_TRUE(testing::ParseRtMessages(dump, &m));
  ASSERT_EQ(m.size(), 3u);

  EXPECT_EQ(m[0].msglen, 168);
  EXPECT_EQ(m[0].version, abi::kRTM_VERSION);
  EXPECT_EQ(m[0].type, abi::kRTM_IFINFO);
  EXPECT_EQ(m[0].addrs, abi::kRTA_IFP);
  EXPECT_EQ(m[0].flags, int32_t(0xffff8049));  // the short if_flags, sign-extended
  EXPECT_EQ(m[0].index, 1);
  const std::string& d = m[0].header;  // if_data at 16
  EXPECT_EQ(uint8_t(d[16 + abi::kIfiTypeOff]), abi::kIFT_LOOP);
  EXPECT_EQ(uint8_t(d[16 + abi::kIfiAddrlenOff]), 0);
  uint64_t mtu = 0;
  std::memcpy(&mtu, &d[16 + abi::kIfiMtuOff], 8);
  EXPECT_EQ(mtu, 33624u);
  ASSERT_EQ(m[0].sockaddrs.size(), 1u);
  EXPECT_EQ(m[0].sockaddrs[0], std::string("\x0b\x12\x01\x00\x18\x03\x00\x00lo0\0\0\0\0\0", 16));

  EXPECT_EQ(m[1].msglen, 56);
  EXPECT_EQ(m[1].type, abi::kRTM_NEWADDR);
  EXPECT_EQ(m[1].addrs, abi::kRTA_NETMASK | abi::kRTA_IFA);
  EXPECT_EQ(m[1].index, 1);
  EXPECT_EQ(m[1].flags, 0);
  ASSERT_EQ(m[1].sockaddrs.size(), 2u);
  EXPECT_EQ(m[1].sockaddrs[0], std::string("\x0b\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\0\0\0\0\0", 16));
  EXPECT_EQ(m[1].sockaddrs[1], m[0].sockaddrs[0]);

  EXPECT_EQ(m[2].msglen, 64);
  EXPECT_EQ(m[2].addrs, abi::kRTA_NETMASK | abi::kRTA_IFA | abi::kRTA_BRD);
  EXPECT_EQ(m[2].flags, 0);  // NetBSD reports no ifa_flags for lo0's 127.0.0.1
  ASSERT_EQ(m[2].sockaddrs.size(), 3u);
  EXPECT_EQ(m[2].sockaddrs[0], std::string("\x05\x02\x00\x00\xff\x00\x00\x00", 8));
  const std::string lo(std::string("\x10\x02\x00\x00\x7f\x00\x00\x01", 8) + std::string(8, '\0'));
  EXPECT_EQ(m[2].sockaddrs[1], lo);
  EXPECT_EQ(m[2].sockaddrs[2], lo);  // loopback: the address itself
}

TEST_F(IfTest, IfListFiltersAndErrors) {
  int e = 0;
  std::vector<testing::RtMessage> m;
  ASSERT_TRUE(testing::ParseRtMessages(IfList({4, 34, 0, abi::kAF_INET, 5, 0}, &e), &m));
  ASSERT_EQ(e, 0);
  ASSERT_EQ(m.size(), 2u);  // the interface message always, then AF_INET only
  EXPECT_EQ(m[1].msglen, 64);
  m.clear();
  ASSERT_TRUE(testing::ParseRtMessages(IfList({4, 34, 0, abi::kAF_LINK, 5, 0}, &e), &m));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].msglen, 56);
  EXPECT_EQ(IfList({4, 34, 0, 0, 5, 1}, &e).size(), 288u);  // index 1
  EXPECT_EQ(IfList({4, 34, 0, 0, 5, 2}, &e).size(), 0u);    // no index 2
  EXPECT_EQ(IfList({4, 34, 0, 256 + abi::kAF_INET, 5, 0}, &e).size(), 168u + 64);  // u_char af

  size_t len = 1000;
  const int one = 1;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 5, 0}, nullptr, &len, false, &one, 4),
            abi::kEPERM);
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 5}, nullptr, &len), abi::kEINVAL);
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 5, 0, 0}, nullptr, &len), abi::kEINVAL);
  // The route dumps answer (rtsock_test checks what).
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, abi::kNET_RT_DUMP, 0}, nullptr, &len), 0);
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, abi::kNET_RT_FLAGS, abi::kRTF_GATEWAY}, nullptr,
                            &len),
            0);
  // The neighbour caches (flags 0 or RTF_LLINFO) want a family, as on NetBSD.
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, abi::kNET_RT_FLAGS, 0}, nullptr, &len),
            abi::kEINVAL);
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, abi::kNET_RT_OIFLIST, 0}, nullptr, &len),
            abi::kEINVAL);
  len = 1000;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 99, 0}, nullptr, &len), abi::kEINVAL);
  len = 100;  // too small a buffer
  std::string out;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 34, 0, 0, 5, 0}, &out, &len), abi::kENOMEM);
}

TEST_F(IfTest, IpSysctls) {
  int v = 0;
  size_t len = sizeof(v);
  std::string out;
  ASSERT_EQ(testing::Sysctl(*k_, {4, 2, 0, 3}, &out, &len), 0);
  ASSERT_EQ(out.size(), 4u);
  std::memcpy(&v, out.data(), 4);
  EXPECT_EQ(v, 64);
  for (int bad : {0, 256, -1}) {
    len = 4;
    EXPECT_EQ(testing::Sysctl(*k_, {4, 2, 0, 3}, nullptr, &len, false, &bad, 4), abi::kEINVAL)
        << bad;
  }
  const int ttl = 200;
  len = 4;
  EXPECT_EQ(testing::Sysctl(*k_, {4, 2, 0, 3}, nullptr, &len, false, &ttl, 4), 0);
  EXPECT_EQ(inet_->ip_ttl(), 200);
  len = 4;
  ASSERT_EQ(testing::Sysctl(*k_, {4, 2, 0, 1}, &out, &len), 0);
  std::memcpy(&v, out.data(), 4);
  EXPECT_EQ(v, 1);  // forwarding: rump kernels are built with GATEWAY
  len = 4;
  ASSERT_EQ(testing::Sysctl(*k_, {4, 2, 0, 25}, &out, &len), 0);
  std::memcpy(&v, out.data(), 4);
  EXPECT_EQ(v, 3);
  auto mib = k_->sysctl().Resolve("net.inet.ip.dad_count");
  ASSERT_TRUE(mib.ok());
  EXPECT_EQ(*mib, (std::vector<int>{4, 2, 0, 25}));
  mib = k_->sysctl().Resolve("net.route.rtable");
  ASSERT_TRUE(mib.ok());
  EXPECT_EQ(*mib, (std::vector<int>{4, 34, 0}));
}

TEST_F(IfTest, Ipv4AddressIoctls) {
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  Buf r = Ifreq("lo1");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDR, r), abi::kEADDRNOTAVAIL);
  r = Ifreq("lo1");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFNETMASK, r), abi::kEADDRNOTAVAIL);

  Buf ifra(abi::kIfaliasreqSize);
  ifra.Name("lo1").Sin(abi::kIfraAddrOff, "10.1.2.3");  // no mask: the class mask
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCAIFADDR, ifra), 0);
  EXPECT_EQ(Flags("lo1"), 0x8049);  // an address brings it up
  r = Ifreq("lo1");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFNETMASK, r), 0);
  EXPECT_EQ(r.Get<uint32_t>(20), Ip("255.0.0.0"));
  // A second address with a mask; SIOCGIFADDR keeps answering the first.
  Buf ifra2(abi::kIfaliasreqSize);
  ifra2.Name("lo1").Sin(abi::kIfraAddrOff, "192.168.7.9").Sin(abi::kIfraMaskOff, "255.255.255.0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCAIFADDR, ifra2), 0);
  r = Ifreq("lo1");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDR, r), 0);
  EXPECT_EQ(r.Get<uint32_t>(20), Ip("10.1.2.3"));
  // SIOCGIFALIAS finds a given one: trimmed netmask as NetBSD keeps it.
  Buf q(abi::kIfaliasreqSize);
  q.Name("lo1").Sin(abi::kIfraAddrOff, "192.168.7.9");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFALIAS, q), 0);
  const uint8_t mask[] = {7, 2, 0, 0, 255, 255, 255, 0};
  EXPECT_EQ(0, memcmp(q.data() + abi::kIfraMaskOff, mask, 8));
  // Not an AF_INET address: EAFNOSUPPORT.
  Buf bad(abi::kIfaliasreqSize);
  bad.Name("lo1").Sin(abi::kIfraAddrOff, "10.9.9.9");
  bad.data()[abi::kIfraAddrOff + 1] = abi::kAF_INET6;
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCAIFADDR, bad), abi::kEAFNOSUPPORT);
  // Delete: a missing address, then the second, then (zeroed) the first.
  Buf d = Ifreq("lo1");
  d.Sin(abi::kIfrAddrOff, "10.7.7.7");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCDIFADDR, d), abi::kEADDRNOTAVAIL);
  d = Ifreq("lo1");
  d.Sin(abi::kIfrAddrOff, "192.168.7.9");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCDIFADDR, d), 0);
  d = Ifreq("lo1");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCDIFADDR, d), 0);
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCDIFADDR, d), abi::kEADDRNOTAVAIL);
  EXPECT_TRUE(inet::InAddresses(*net_->FindInterface("lo1")).empty());
  // Only AF_INET sockets do IPv4 addresses.
  const int route = testing::Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW, 0);
  EXPECT_EQ(Ioctl(*k_, route, abi::kSIOCAIFADDR, ifra), abi::kEOPNOTSUPP);
}

// SIOCGIFADDRPREF: every address has preference 0 (what NetBSD's ifconfig
// asks about each inet address before printing it).
TEST_F(IfTest, AddressPreferenceIsZero) {
  Buf p(abi::kIfAddrprefreqSize);
  p.Name("lo0").Sin(abi::kIfapAddrOff, "127.0.0.1");
  p.Set<int16_t>(abi::kIfapPreferenceOff, 0x7777);
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDRPREF, p), 0);
  EXPECT_EQ(p.Get<int16_t>(abi::kIfapPreferenceOff), 0);
  EXPECT_EQ(p.Str(abi::kIfapNameOff, 16), "lo0");
  // An address the interface does not have.
  Buf q(abi::kIfAddrprefreqSize);
  q.Name("lo0").Sin(abi::kIfapAddrOff, "127.0.0.2");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDRPREF, q), abi::kEADDRNOTAVAIL);
  // Not an AF_INET sockaddr, or not its length: EINVAL.
  Buf f(abi::kIfAddrprefreqSize);
  f.Name("lo0").Sin(abi::kIfapAddrOff, "127.0.0.1");
  f.data()[abi::kIfapAddrOff + 1] = abi::kAF_LINK;
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDRPREF, f), abi::kEINVAL);
  Buf l(abi::kIfAddrprefreqSize);
  l.Name("lo0").Sin(abi::kIfapAddrOff, "127.0.0.1");
  l.data()[abi::kIfapAddrOff] = 8;
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDRPREF, l), abi::kEINVAL);
  // No such interface.
  Buf n(abi::kIfAddrprefreqSize);
  n.Name("lo9").Sin(abi::kIfapAddrOff, "127.0.0.1");
  EXPECT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFADDRPREF, n), abi::kENXIO);
}

// SIOCGIFAFLAG_IN: a loopback address needs no duplicate address detection,
// so it is never tentative; IN_IFF_DETACHED while the interface is down, as NetBSD marks addresses when an interface goes down.
TEST_F(IfTest, AddressFlagsDetachedWhileDown) {
  auto aflags = [&](const char* ifname, const char* addr) {
    Buf r = Ifreq(ifname);
    r.Sin(abi::kIfrAddrOff, addr);
    r.Set<int32_t>(abi::kIfrAddrflagsOff + 8, 0x5a5a);  // past the field: untouched
    const int e = Ioctl(*k_, fd_, abi::kSIOCGIFAFLAG_IN, r);
    EXPECT_EQ(r.Get<int32_t>(abi::kIfrAddrflagsOff + 8), 0x5a5a);
    return e != 0 ? -e : r.Get<int32_t>(abi::kIfrAddrflagsOff);
  };
  EXPECT_EQ(aflags("lo0", "127.0.0.1"), 0);
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  Buf ifra(abi::kIfaliasreqSize);
  ifra.Name("lo1").Sin(abi::kIfraAddrOff, "10.1.2.3").Sin(abi::kIfraMaskOff, "255.255.255.0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCAIFADDR, ifra), 0);
  EXPECT_EQ(aflags("lo1", "10.1.2.3"), 0);
  Buf r = Ifreq("lo1");
  r.Set<uint16_t>(abi::kIfrFlagsOff, uint16_t(Flags("lo1") & ~abi::kIFF_UP));
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFFLAGS, r), 0);
  EXPECT_EQ(aflags("lo1", "10.1.2.3"), abi::kIN_IFF_DETACHED);
  EXPECT_EQ(abi::kIN_IFF_DETACHED, 0x04);
  r = Ifreq("lo1");
  r.Set<uint16_t>(abi::kIfrFlagsOff, uint16_t(Flags("lo1") | abi::kIFF_UP));
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCSIFFLAGS, r), 0);
  EXPECT_EQ(aflags("lo1", "10.1.2.3"), 0);
  EXPECT_EQ(aflags("lo1", "10.1.2.4"), -abi::kEADDRNOTAVAIL);
}

// SIOCGLIFADDR on an AF_LINK socket: lo0's link address has no bytes, so
// the request names it with an empty address and a zero prefix length.
TEST_F(IfTest, LinkAddressOfLo0) {
  const int link = testing::Socket(*k_, abi::kAF_LINK, abi::kSOCK_DGRAM, 0);
  ASSERT_GE(link, 0);
  Buf q(abi::kIfLaddrreqSize);
  q.Name("lo0").Set<uint32_t>(abi::kIflrFlagsOff, abi::kIFLR_PREFIX);
  q.data()[abi::kIflrAddrOff] = 8;
  q.data()[abi::kIflrAddrOff + 1] = abi::kAF_LINK;
  ASSERT_EQ(Ioctl(*k_, link, abi::kSIOCGLIFADDR, q), 0);
  EXPECT_EQ(q.Get<uint32_t>(abi::kIflrFlagsOff), abi::kIFLR_ACTIVE | abi::kIFLR_FACTORY);
  // lo0's sockaddr_dl: len 11, AF_LINK, index 1, IFT_LOOP, "lo0", no address.
  EXPECT_EQ(std::string(reinterpret_cast<char*>(q.data()) + abi::kIflrAddrOff, 11),
            std::string("\x0b\x12\x01\x00\x18\x03\x00\x00lo0", 11));
  // A 6-byte address does not fit lo0's.
  q.data()[abi::kIflrAddrOff + abi::kSdlAlenOff] = 6;
  q.Set<uint32_t>(abi::kIflrPrefixlenOff, 48);
  EXPECT_EQ(Ioctl(*k_, link, abi::kSIOCGLIFADDR, q), abi::kEINVAL);
}

TEST_F(IfTest, IfDataAndIndex) {
  Buf r(abi::kIfdatareqSize);
  r.Name("lo0");
  ASSERT_EQ(Ioctl(*k_, fd_, abi::kSIOCGIFDATA, r), 0);
  EXPECT_EQ(r.data()[16 + abi::kIfiTypeOff], abi::kIFT_LOOP);
  EXPECT_EQ(r.Get<uint64_t>(16 + abi::kIfiMtuOff), 33624u);
  EXPECT_EQ(r.Get<int32_t>(16 + abi::kIfiLinkStateOff), abi::kLinkStateUnknown);
  EXPECT_GT(r.Get<int64_t>(16 + abi::kIfiLastchangeOff), 0);  // it came up at boot
}

TEST_F(IfTest, GarbageIoctlsNeverCrash) {
  ASSERT_EQ(Clone(abi::kSIOCIFCREATE, "lo1"), 0);
  testing::FuzzInterfaceIoctls(*k_, {"lo0", "lo1", "lo2", "1", "2"}, 20000, 42);
  EXPECT_EQ(Index("lo0"), 1);  // lo0 survives everything
}

}  // namespace
}  // namespace rump
