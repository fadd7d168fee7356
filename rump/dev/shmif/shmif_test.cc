// shmif interfaces through system calls, on kernels booted with the
// components of "rumpnet_shmif": creation and units, link strings, up/down
// and the receive thread, media and link state, two kernels on one bus,
// NET_RT_IFLIST as NetBSD's rump_server answers it, bad input.
#include "rump/dev/shmif/shmif.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/net/ether.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "shmif/bus.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Buf;
using testing::Eventually;
using testing::Ifreq;
using testing::Ioctl;
using testing::Ip;
using testing::P;

std::string TempPath(const std::string& name) {
  static std::atomic<int> n{0};
  return absl::StrCat(::testing::TempDir(), "/", name, "-", getpid(), "-", n++);
}

// rump_pub_shmif_create's core: shmif<N> on the bus at `path`; N.
absl::StatusOr<int> CreateShmif(NetStack& net, const char* path) {
  absl::StatusOr<std::shared_ptr<Interface>> ifp = net.CreateNextInterface("shmif", path);
  if (!ifp.ok()) return ifp.status();
  return (*ifp)->unit();
}

// A kernel with NetStack + Shmif + Inet and an AF_INET socket.
struct Host {
  Host() {
    auto fs = ComponentsFor({"rumpnet_shmif", "rumpnet_netinet"});
    EXPECT_TRUE(fs.ok()) << fs.status();
    KernelOptions o;
    o.components = *fs;
    auto k = Kernel::Boot(std::move(o));
    EXPECT_TRUE(k.ok()) << k.status();
    kernel = std::move(*k);
    net = kernel->Find<NetStack>();
    fd = testing::Socket(*kernel);
    EXPECT_GE(fd, 0);
    // net.inet.ip.dad_count=0: addresses usable (and announced) at once;
    // duplicate address detection has its own tests in rump/netinet.
    const int zero = 0;
    size_t len = sizeof(int);
    std::string out;
    EXPECT_EQ(testing::Sysctl(*kernel, {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_IP,
                                        abi::kIpctlDadCount},
                              &out, &len, false, &zero, sizeof(zero)),
              0);
  }
  int Ioctl(uint64_t cmd, Buf& b) { return testing::Ioctl(*kernel, fd, cmd, b); }
  int Flags(const std::string& name) {
    Buf r = Ifreq(name);
    return Ioctl(abi::kSIOCGIFFLAGS, r) ? -1 : r.Get<uint16_t>(abi::kIfrFlagsOff);
  }
  int SetFlags(const std::string& name, int flags) {
    Buf r = Ifreq(name);
    r.Set<uint16_t>(abi::kIfrFlagsOff, uint16_t(flags));
    return Ioctl(abi::kSIOCSIFFLAGS, r);
  }
  int Up(const std::string& name) { return SetFlags(name, Flags(name) | abi::kIFF_UP); }
  int Down(const std::string& name) { return SetFlags(name, Flags(name) & ~abi::kIFF_UP); }
  int SetLinkStr(const std::string& name, uint64_t cmd, uint64_t len, uint64_t data) {
    Buf d(abi::kIfdrvSize);
    d.Name(name).Set<uint64_t>(abi::kIfdCmdOff, cmd).Set<uint64_t>(abi::kIfdLenOff, len);
    d.Set<uint64_t>(abi::kIfdDataOff, data);
    return Ioctl(abi::kSIOCSLINKSTR, d);
  }
  int SetLinkStr(const std::string& name, const std::string& path) {
    return SetLinkStr(name, 0, path.size() + 1, P(path.c_str()));
  }
  int AddAddr(const std::string& name, const char* addr, const char* mask) {
    Buf a(abi::kIfaliasreqSize);
    a.Name(name).Sin(abi::kIfraAddrOff, addr);
    if (mask) a.Sin(abi::kIfraMaskOff, mask);
    return Ioctl(abi::kSIOCAIFADDR, a);
  }
  int LinkState(const std::string& name) {
    Buf r(abi::kIfdatareqSize);
    r.Name(name);
    return Ioctl(abi::kSIOCGIFDATA, r) ? -1
                                       : r.Get<int32_t>(16 + abi::kIfiLinkStateOff);
  }
  std::shared_ptr<Interface> If(const std::string& name) { return net->FindInterface(name); }

  std::unique_ptr<Kernel> kernel;
  NetStack* net = nullptr;
  int fd = -1;
};

// Every frame on the bus so far (a capture attachment reading from the
// oldest frame).
std::vector<std::vector<uint8_t>> BusFrames(const std::string& path) {
  auto bus = shmif::Bus::Attach(path, {shmif::ReadFrom::kOldest, false});
  EXPECT_TRUE(bus.ok()) << bus.status();
  std::vector<std::vector<uint8_t>> frames;
  if (!bus.ok()) return frames;
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  for (;;) {
    auto r = (*bus)->Receive(absl::MakeSpan(buf), absl::ZeroDuration());
    if (!r.ok()) break;
    frames.emplace_back(buf.begin(), buf.begin() + r->len);
  }
  return frames;
}

std::vector<uint8_t> Mac(const Interface& ifp) { return ifp.lladdr(); }

TEST(ShmifTest, CreationFollowsNetBsd) {
  Host h;
  auto u0 = CreateShmif(*h.net, nullptr);
  ASSERT_TRUE(u0.ok()) << u0.status();
  EXPECT_EQ(*u0, 0);
  EXPECT_EQ(*CreateShmif(*h.net, nullptr), 1);
  EXPECT_EQ(h.Flags("shmif0"), 0x8802);  // BROADCAST|SIMPLEX|MULTICAST
  Buf r = Ifreq("shmif0");
  ASSERT_EQ(h.Ioctl(abi::kSIOCGIFMTU, r), 0);
  EXPECT_EQ(r.Get<int32_t>(abi::kIfrMtuOff), 1500);
  r = Ifreq("shmif0");
  ASSERT_EQ(h.Ioctl(abi::kSIOCGIFINDEX, r), 0);
  EXPECT_EQ(r.Get<uint32_t>(16), 2u);
  r = Ifreq("shmif0");
  ASSERT_EQ(h.Ioctl(abi::kSIOCGIFDLT, r), 0);
  EXPECT_EQ(r.Get<int32_t>(16), abi::kDLT_EN10MB);
  const std::vector<uint8_t> mac0 = Mac(*h.If("shmif0"));
  ASSERT_EQ(mac0.size(), 6u);
  EXPECT_EQ(mac0[0], 0xb2);
  EXPECT_EQ(mac0[1], 0xa0);
  EXPECT_NE(mac0, Mac(*h.If("shmif1")));
  EXPECT_EQ(h.LinkState("shmif0"), abi::kLinkStateUnknown);

  // Cloners, in the order they were registered.
  Buf req(abi::kIfClonereqSize);
  char names[2][16] = {};
  req.Set<int32_t>(abi::kIfcrCountOff, 2).Set<uint64_t>(abi::kIfcrBufferOff, P(names));
  ASSERT_EQ(h.Ioctl(abi::kSIOCIFGCLONERS, req), 0);
  EXPECT_EQ(req.Get<int32_t>(abi::kIfcrTotalOff), 2);
  EXPECT_STREQ(names[0], "lo");  // in registration order, as NetBSD lists them
  EXPECT_STREQ(names[1], "shmif");

  // Lowest free unit, explicit units, duplicates, missing ones.
  Buf c = Ifreq("shmif0");
  ASSERT_EQ(h.Ioctl(abi::kSIOCIFDESTROY, c), 0);
  EXPECT_EQ(*CreateShmif(*h.net, nullptr), 0);
  c = Ifreq("shmif5");
  ASSERT_EQ(h.Ioctl(abi::kSIOCIFCREATE, c), 0);
  EXPECT_EQ(h.Flags("shmif5"), 0x8802);
  EXPECT_EQ(*CreateShmif(*h.net, nullptr), 2);
  c = Ifreq("shmif1");
  EXPECT_EQ(h.Ioctl(abi::kSIOCIFCREATE, c), abi::kEEXIST);
  c = Ifreq("shmif9");
  EXPECT_EQ(h.Ioctl(abi::kSIOCIFDESTROY, c), abi::kENXIO);
  c = Ifreq("shmif");
  EXPECT_EQ(h.Ioctl(abi::kSIOCIFCREATE, c), abi::kEINVAL);
}

TEST(ShmifTest, BusErrorsAtCreation) {
  Host h;
  auto s = CreateShmif(*h.net, "");
  EXPECT_EQ(abi::ToErrno(s.status()), abi::kENOENT);
  s = CreateShmif(*h.net, "/nonexistent-dir/bus");
  EXPECT_EQ(abi::ToErrno(s.status()), abi::kENOENT);
  s = CreateShmif(*h.net, ::testing::TempDir().c_str());  // a directory
  EXPECT_EQ(abi::ToErrno(s.status()), abi::kEISDIR);
  const std::string junk = TempPath("junk");
  std::ofstream(junk) << "this is not a shmif bus";
  s = CreateShmif(*h.net, junk.c_str());
  EXPECT_EQ(abi::ToErrno(s.status()), abi::kENOEXEC);
  EXPECT_EQ(h.If("shmif0"), nullptr);  // failures leave no interface behind
  EXPECT_EQ(*CreateShmif(*h.net, TempPath("bus").c_str()), 0);
}

TEST(ShmifTest, UpWithoutBusIsEnxioAndLeavesUpSet) {
  Host h;
  ASSERT_TRUE(CreateShmif(*h.net, nullptr).ok());
  EXPECT_EQ(h.Up("shmif0"), abi::kENXIO);
  EXPECT_EQ(h.Flags("shmif0"), 0x8803);  // as NetBSD: UP, not RUNNING
  EXPECT_EQ(h.SetLinkStr("shmif0", TempPath("bus")), abi::kEBUSY);
  EXPECT_EQ(h.Down("shmif0"), 0);
  EXPECT_EQ(h.Flags("shmif0"), 0x8802);
  // An address would bring it up: the same ENXIO, and no address stays.
  EXPECT_EQ(h.AddAddr("shmif0", "10.0.0.1", "255.255.255.0"), abi::kENXIO);
  Buf r = Ifreq("shmif0");
  EXPECT_EQ(h.Ioctl(abi::kSIOCGIFADDR, r), abi::kEADDRNOTAVAIL);
}

TEST(ShmifTest, LinkStrRules) {
  Host h;
  ASSERT_TRUE(CreateShmif(*h.net, nullptr).ok());
  Buf g(abi::kIfdrvSize);
  g.Name("shmif0").Set<uint64_t>(abi::kIfdCmdOff, abi::kIFLINKSTR_QUERYLEN);
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), abi::kENOENT);  // no bus yet

  const std::string path = TempPath("linkstr");
  EXPECT_EQ(h.SetLinkStr("shmif0", 5, path.size() + 1, P(path.c_str())), abi::kEINVAL);
  EXPECT_EQ(h.SetLinkStr("shmif0", 0, 0, P(path.c_str())), abi::kEINVAL);
  EXPECT_EQ(h.SetLinkStr("shmif0", 0, 1025, P(path.c_str())), abi::kE2BIG);
  EXPECT_EQ(h.SetLinkStr("shmif0", 0, 1024, 0), abi::kEFAULT);
  EXPECT_EQ(h.SetLinkStr("shmif0", 0, 3, P(path.c_str())), abi::kENAMETOOLONG);
  const std::string junk = TempPath("junk");
  std::ofstream(junk) << "not a bus at all";
  EXPECT_EQ(h.SetLinkStr("shmif0", junk), abi::kENOEXEC);
  EXPECT_EQ(h.SetLinkStr("shmif0", path), 0);
  EXPECT_EQ(h.SetLinkStr("shmif0", path), abi::kEBUSY);  // already has one

  ASSERT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), 0);
  EXPECT_EQ(g.Get<uint64_t>(abi::kIfdLenOff), path.size() + 1);
  char out[2048];
  std::memset(out, 'x', sizeof(out));
  g.Set<uint64_t>(abi::kIfdCmdOff, 0).Set<uint64_t>(abi::kIfdLenOff, sizeof(out));
  g.Set<uint64_t>(abi::kIfdDataOff, P(out));
  ASSERT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), 0);
  EXPECT_EQ(std::string(out), path);
  g.Set<uint64_t>(abi::kIfdLenOff, 3);
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), abi::kENAMETOOLONG);
  g.Set<uint64_t>(abi::kIfdLenOff, sizeof(out)).Set<uint64_t>(abi::kIfdDataOff, 0);
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), abi::kEFAULT);
  g.Set<uint64_t>(abi::kIfdCmdOff, 7);
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), abi::kEINVAL);

  // While up, the link string stays.
  ASSERT_EQ(h.Up("shmif0"), 0);
  EXPECT_EQ(h.Flags("shmif0"), 0x8843);
  EXPECT_EQ(h.SetLinkStr("shmif0", abi::kIFLINKSTR_UNSET, 0, 0), abi::kEBUSY);
  ASSERT_EQ(h.Down("shmif0"), 0);
  EXPECT_EQ(h.Flags("shmif0"), 0x8802);
  EXPECT_EQ(h.SetLinkStr("shmif0", abi::kIFLINKSTR_UNSET, 0, 0), 0);
  g.Set<uint64_t>(abi::kIfdCmdOff, abi::kIFLINKSTR_QUERYLEN);
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, g), abi::kENOENT);
  EXPECT_EQ(h.Up("shmif0"), abi::kENXIO);
  // lo has no link string.
  Buf lo(abi::kIfdrvSize);
  lo.Name("lo0");
  EXPECT_EQ(h.Ioctl(abi::kSIOCGLINKSTR, lo), abi::kENOTTY);
}

TEST(ShmifTest, TwoKernelsOnOneBus) {
  const std::string path = TempPath("bus");
  std::mutex mu;  // before the hosts: B's receive thread uses them till the end
  int hooked = 0;
  Host a, b;
  ASSERT_EQ(*CreateShmif(*a.net, path.c_str()), 0);
  ASSERT_EQ(*CreateShmif(*b.net, path.c_str()), 0);
  ASSERT_EQ(a.Up("shmif0"), 0);
  ASSERT_EQ(b.Up("shmif0"), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateUp);
  EXPECT_TRUE(BusFrames(path).empty());  // up alone sends nothing

  // B's ARP input is the test's (in place of inet's).
  b.net->SetEtherTypeInput(0x0806, [&](Interface& ifp, absl::Span<const uint8_t> arp, bool) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(ifp.name(), "shmif0");
    EXPECT_EQ(arp.size(), 28u);  // the 42-byte frame after its Ethernet header
    ++hooked;
  });
  ASSERT_EQ(a.AddAddr("shmif0", "10.0.0.1", "255.255.255.0"), 0);
  ASSERT_EQ(b.AddAddr("shmif0", "10.0.0.2", "255.255.255.0"), 0);

  // The gratuitous ARP of each, on the bus.
  const std::vector<uint8_t> mac_a = Mac(*a.If("shmif0"));
  const std::vector<std::vector<uint8_t>> frames = BusFrames(path);
  ASSERT_EQ(frames.size(), 2u);
  const std::vector<uint8_t>& f = frames[0];
  ASSERT_EQ(f.size(), 42u);
  const std::vector<uint8_t> bcast(6, 0xff);
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + 6), bcast);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 6, f.begin() + 12), mac_a);
  const uint8_t arp_head[] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
  EXPECT_EQ(0, memcmp(&f[12], arp_head, sizeof(arp_head)));
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 22, f.begin() + 28), mac_a);  // sender MAC
  const uint8_t ip[] = {10, 0, 0, 1};
  EXPECT_EQ(0, memcmp(&f[28], ip, 4));  // sender IP
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 32, f.begin() + 38), std::vector<uint8_t>(6, 0));
  EXPECT_EQ(0, memcmp(&f[38], ip, 4));  // target IP = sender IP
  EXPECT_EQ(std::vector<uint8_t>(frames[1].begin() + 6, frames[1].begin() + 12),
            Mac(*b.If("shmif0")));

  // Each kernel received and counted the other's.
  auto ia = a.If("shmif0"), ib = b.If("shmif0");
  // B's counter rises before its input hook runs: wait for the hook.
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return hooked == 1;
  }));
  ASSERT_TRUE(Eventually([&] { return ia->stats().ipackets == 1 && ib->stats().ipackets == 1; }));
  const InterfaceStats sa = ia->stats();
  EXPECT_EQ(sa.ibytes, 42u);
  EXPECT_EQ(sa.imcasts, 1u);
  EXPECT_EQ(sa.noproto, 0u);  // A's inet took B's announcement
  EXPECT_EQ(sa.opackets, 1u);
  EXPECT_EQ(sa.obytes, 42u);
  EXPECT_EQ(sa.omcasts, 0u);  // a broadcast, which NetBSD counts in imcasts only
  EXPECT_EQ(ib->stats().noproto, 0u);  // B's hook took it
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(hooked, 1);
  }
  // if_data carries the counters too.
  Buf d(abi::kIfdatareqSize);
  d.Name("shmif0");
  ASSERT_EQ(a.Ioctl(abi::kSIOCGIFDATA, d), 0);
  EXPECT_EQ(d.Get<uint64_t>(16 + abi::kIfiIpacketsOff), 1u);
  EXPECT_EQ(d.Get<uint64_t>(16 + abi::kIfiOpacketsOff), 1u);
  EXPECT_EQ(d.Get<uint64_t>(16 + abi::kIfiBaudrateOff), 10'000'000u);

  // Broadcast address: computed from the netmask.
  Buf r = Ifreq("shmif0");
  ASSERT_EQ(a.Ioctl(abi::kSIOCGIFBRDADDR, r), 0);
  EXPECT_EQ(r.Get<uint32_t>(20), Ip("10.0.0.255"));
  // An interface that goes down and up again sends nothing with detection
  // off (NetBSD's in_if_link_up); a new address is announced.
  ASSERT_EQ(a.Down("shmif0"), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateUnknown);
  ASSERT_EQ(a.Up("shmif0"), 0);
  EXPECT_EQ(BusFrames(path).size(), 2u);
  ASSERT_EQ(a.AddAddr("shmif0", "10.0.0.3", "255.255.255.0"), 0);
  EXPECT_EQ(BusFrames(path).size(), 3u);
  ASSERT_TRUE(Eventually([&] { return ib->stats().ipackets == 2; }));
}

TEST(ShmifTest, IfListAsRumpServerAnswersIt) {
  Host h;
  ASSERT_EQ(*CreateShmif(*h.net, TempPath("bus").c_str()), 0);
  ASSERT_EQ(h.Up("shmif0"), 0);
  size_t estimate = 0;
  ASSERT_EQ(testing::Sysctl(*h.kernel, {4, 34, 0, 0, 5, 0}, nullptr, &estimate, true), 0);
  EXPECT_EQ(estimate, 580u);  // as a NetBSD rump_server answers for lo0 + shmif0
  std::string dump;
  size_t len = estimate;
  ASSERT_EQ(testing::Sysctl(*h.kernel, {4, 34, 0, 0, 5, 0}, &dump, &len), 0);
  EXPECT_EQ(len, 528u);
  std::vector<testing::RtMessage> m;
  ASSERT_TRUE(testing::ParseRtMessages(dump, &m));
  ASSERT_EQ(m.size(), 5u);
  const int lens[] = {168, 56, 64, 176, 64};
  const int types[] = {abi::kRTM_IFINFO, abi::kRTM_NEWADDR, abi::kRTM_NEWADDR,
                       abi::kRTM_IFINFO, abi::kRTM_NEWADDR};
  const int addrs[] = {0x10, 0x24, 0xa4, 0x10, 0x24};
  const int index[] = {1, 1, 1, 2, 2};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(m[i].msglen, lens[i]) << i;
    EXPECT_EQ(m[i].type, types[i]) << i;
    EXPECT_EQ(m[i].addrs, addrs[i]) << i;
    EXPECT_EQ(m[i].index, index[i]) << i;
  }
  // ifm_flags: NetBSD's short if_flags, sign-extended (IFF_MULTICAST is
  // its top bit).
  EXPECT_EQ(m[0].flags, int32_t(0xffff8049));
  EXPECT_EQ(m[3].flags, int32_t(0xffff8843));
  EXPECT_EQ(m[4].flags, 0);  // the link address: no ifa_flags
  // shmif0's sockaddr_dl: len 20, AF_LINK, index 2, IFT_ETHER, "shmif0" + MAC.
  const std::string& sdl = m[3].sockaddrs[0];
  ASSERT_EQ(sdl.size(), 24u);
  EXPECT_EQ(sdl.substr(0, 14), std::string("\x14\x12\x02\x00\x06\x06\x06\x00shmif0", 14));
  const std::vector<uint8_t> mac = Mac(*h.If("shmif0"));
  EXPECT_EQ(sdl.substr(14, 6), std::string(mac.begin(), mac.end()));
  EXPECT_EQ(sdl.substr(20), std::string(4, '\0'));
  EXPECT_EQ(m[4].sockaddrs[0],
            std::string("\x0e\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\0\0", 16));
  EXPECT_EQ(m[4].sockaddrs[1], sdl);
  // if_data of shmif0: Ethernet, 6-byte address, 14-byte header, link up.
  const std::string& hd = m[3].header;
  EXPECT_EQ(uint8_t(hd[16 + abi::kIfiTypeOff]), abi::kIFT_ETHER);
  EXPECT_EQ(uint8_t(hd[16 + abi::kIfiAddrlenOff]), 6);
  EXPECT_EQ(uint8_t(hd[16 + abi::kIfiHdrlenOff]), 14);
  EXPECT_EQ(hd[16 + abi::kIfiLinkStateOff], abi::kLinkStateUp);

  // With an address: one more NEWADDR with a shortened /24 mask and the
  // computed broadcast.
  ASSERT_EQ(h.AddAddr("shmif0", "192.168.5.7", "255.255.255.0"), 0);
  m.clear();
  len = 4096;
  ASSERT_EQ(testing::Sysctl(*h.kernel, {4, 34, 0, abi::kAF_INET, 5, 2}, &dump, &len), 0);
  ASSERT_TRUE(testing::ParseRtMessages(dump, &m));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].msglen, 64);
  EXPECT_EQ(m[1].sockaddrs[0], std::string("\x07\x02\x00\x00\xff\xff\xff\x00", 8));
  EXPECT_EQ(m[1].sockaddrs[2].substr(4, 4), std::string("\xc0\xa8\x05\xff", 4));
  // An inet address of an ARP interface: RTF_CLONING | IFA_ROUTE (0x101),
  // as a NetBSD rump_server reports shmif0's; the link address has none.
  EXPECT_EQ(m[1].flags, abi::kRTF_CLONING | abi::kIFA_ROUTE);
  EXPECT_EQ(m[1].flags, 0x101);
  EXPECT_EQ(m[0].flags, int32_t(0xffff8843));
}

// SIOCGLIFADDR on an AF_LINK socket, as NetBSD's ifconfig prints
// "address:": for each link address getifaddrs lists it asks with
// IFLR_PREFIX and the full prefix length, and prints the active one.
TEST(ShmifTest, LinkAddressOnLinkSockets) {
  Host h;
  ASSERT_EQ(*CreateShmif(*h.net, TempPath("bus").c_str()), 0);
  const std::vector<uint8_t> mac = Mac(*h.If("shmif0"));
  const int link = testing::Socket(*h.kernel, abi::kAF_LINK, abi::kSOCK_DGRAM, 0);
  ASSERT_GE(link, 0);
  // shmif0's sockaddr_dl: len 20, AF_LINK, index 2, IFT_ETHER, "shmif0" + MAC.
  const std::string sdl = std::string("\x14\x12\x02\x00\x06\x06\x06\x00shmif0", 14) +
                          std::string(mac.begin(), mac.end());
  // A request naming `addr` (a bare sockaddr_dl: no name, 6 bytes).
  auto request = [&](const std::vector<uint8_t>& addr, uint32_t flags, uint32_t prefixlen) {
    Buf q(abi::kIfLaddrreqSize);
    q.Name("shmif0").Set<uint32_t>(abi::kIflrFlagsOff, flags);
    q.Set<uint32_t>(abi::kIflrPrefixlenOff, prefixlen);
    uint8_t* sa = q.data() + abi::kIflrAddrOff;
    sa[abi::kSdlLenOff] = uint8_t(abi::kSdlDataOff + addr.size());
    sa[abi::kSdlFamilyOff] = abi::kAF_LINK;
    sa[abi::kSdlAlenOff] = uint8_t(addr.size());
    std::memcpy(sa + abi::kSdlDataOff, addr.data(), addr.size());
    return q;
  };
  auto addr_of = [](Buf& q) {
    return std::string(reinterpret_cast<char*>(q.data()) + abi::kIflrAddrOff, 20);
  };

  Buf q = request(mac, abi::kIFLR_PREFIX, 48);
  ASSERT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), 0);
  EXPECT_EQ(q.Get<uint32_t>(abi::kIflrFlagsOff), abi::kIFLR_ACTIVE | abi::kIFLR_FACTORY);
  EXPECT_EQ(addr_of(q), sdl);
  EXPECT_EQ(q.Get<uint32_t>(abi::kIflrPrefixlenOff), 48u);
  // Without IFLR_PREFIX: the first link address, whatever the request named.
  q = request(std::vector<uint8_t>(6, 0), 0, 0);
  ASSERT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), 0);
  EXPECT_EQ(q.Get<uint32_t>(abi::kIflrFlagsOff), abi::kIFLR_ACTIVE | abi::kIFLR_FACTORY);
  EXPECT_EQ(addr_of(q), sdl);
  // With IFLR_PREFIX, an address the interface does not have.
  std::vector<uint8_t> other = mac;
  other[5] ^= 1;
  q = request(other, abi::kIFLR_PREFIX, 48);
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kEADDRNOTAVAIL);
  // Bad requests: a partial prefix, a short address, not AF_LINK.
  q = request(mac, abi::kIFLR_PREFIX, 40);
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kEINVAL);
  q = request(std::vector<uint8_t>(mac.begin(), mac.begin() + 4), abi::kIFLR_PREFIX, 32);
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kEINVAL);
  q = request(mac, abi::kIFLR_PREFIX, 48);
  q.data()[abi::kIflrAddrOff + abi::kSdlFamilyOff] = abi::kAF_INET;
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kEINVAL);
  // A name longer than the storage cannot be read past it.
  q = request(mac, abi::kIFLR_PREFIX, 48);
  q.data()[abi::kIflrAddrOff + abi::kSdlNlenOff] = 125;
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kEINVAL);
  // No such interface.
  q = request(mac, abi::kIFLR_PREFIX, 48);
  q.Name("shmif9");
  EXPECT_EQ(testing::Ioctl(*h.kernel, link, abi::kSIOCGLIFADDR, q), abi::kENXIO);
}

// SIOCGIFAFLAG_IN: IN_IFF_DETACHED while shmif0 is down or its link is
// (media none), as NetBSD's in_if_link_down marks the addresses.
TEST(ShmifTest, InetAddressDetachedWhileDownOrUnplugged) {
  Host h;
  ASSERT_EQ(*CreateShmif(*h.net, TempPath("bus").c_str()), 0);
  ASSERT_EQ(h.AddAddr("shmif0", "10.4.0.1", "255.255.255.0"), 0);
  auto aflags = [&] {
    Buf r = Ifreq("shmif0");
    r.Sin(abi::kIfrAddrOff, "10.4.0.1");
    return h.Ioctl(abi::kSIOCGIFAFLAG_IN, r) ? -1 : r.Get<int32_t>(abi::kIfrAddrflagsOff);
  };
  EXPECT_EQ(aflags(), 0);  // the address brought it up
  ASSERT_EQ(h.Down("shmif0"), 0);
  EXPECT_EQ(aflags(), abi::kIN_IFF_DETACHED);
  ASSERT_EQ(h.Up("shmif0"), 0);
  EXPECT_EQ(aflags(), 0);
  Buf s = Ifreq("shmif0");
  s.Set<int32_t>(abi::kIfrMediaOff, int32_t(abi::kMediaEtherNone));
  ASSERT_EQ(h.Ioctl(abi::kSIOCSIFMEDIA, s), 0);
  EXPECT_EQ(aflags(), abi::kIN_IFF_DETACHED);
  s.Set<int32_t>(abi::kIfrMediaOff, int32_t(abi::kMediaEtherAuto));
  ASSERT_EQ(h.Ioctl(abi::kSIOCSIFMEDIA, s), 0);
  EXPECT_EQ(aflags(), 0);
}

TEST(ShmifTest, MediaAndLinkState) {
  const std::string path = TempPath("bus");
  Host a, b;
  ASSERT_EQ(*CreateShmif(*a.net, path.c_str()), 0);
  ASSERT_EQ(*CreateShmif(*b.net, path.c_str()), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateUnknown);  // has a bus, not running
  ASSERT_EQ(a.Up("shmif0"), 0);
  ASSERT_EQ(b.Up("shmif0"), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateUp);

  Buf m(abi::kIfmediareqSize);
  m.Name("shmif0");
  ASSERT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), 0);  // count 0: just the count
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmCountOff), 2);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmCurrentOff), 0x20);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmActiveOff), 0x20);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmMaskOff), 0);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmStatusOff), int(abi::kIFM_AVALID | abi::kIFM_ACTIVE));
  int32_t words[3] = {-1, -1, -1};
  m.Set<int32_t>(abi::kIfmCountOff, 3).Set<uint64_t>(abi::kIfmUlistOff, P(words));
  ASSERT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), 0);
  EXPECT_EQ(words[0], 0x20);
  EXPECT_EQ(words[1], 0x22);
  EXPECT_EQ(words[2], -1);
  words[0] = -1;
  m.Set<int32_t>(abi::kIfmCountOff, 1);
  EXPECT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), abi::kE2BIG);
  EXPECT_EQ(words[0], 0x20);
  m.Set<int32_t>(abi::kIfmCountOff, -1);
  EXPECT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), abi::kEINVAL);
  m.Set<int32_t>(abi::kIfmCountOff, 2).Set<uint64_t>(abi::kIfmUlistOff, 0);
  EXPECT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), abi::kEFAULT);

  // "Ethernet none": link down, and nothing goes out or comes in.
  Buf s = Ifreq("shmif0");
  s.Set<int32_t>(abi::kIfrMediaOff, 0x00100026);  // a word shmif does not have
  EXPECT_EQ(a.Ioctl(abi::kSIOCSIFMEDIA, s), abi::kEINVAL);
  s.Set<int32_t>(abi::kIfrMediaOff, 0x22);
  ASSERT_EQ(a.Ioctl(abi::kSIOCSIFMEDIA, s), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateDown);
  m.Set<int32_t>(abi::kIfmCountOff, 0);
  ASSERT_EQ(a.Ioctl(abi::kSIOCGIFMEDIA, m), 0);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmCurrentOff), 0x22);
  EXPECT_EQ(m.Get<int32_t>(abi::kIfmStatusOff), int(abi::kIFM_AVALID));
  ASSERT_EQ(a.AddAddr("shmif0", "10.0.0.1", nullptr), 0);
  EXPECT_TRUE(BusFrames(path).empty());  // the gratuitous ARP was not sent
  auto ia = a.If("shmif0");
  EXPECT_EQ(ia->stats().opackets, 0u);
  EXPECT_EQ(ia->stats().oerrors, 1u);
  ASSERT_EQ(b.AddAddr("shmif0", "10.0.0.2", nullptr), 0);
  auto ib = b.If("shmif0");
  ASSERT_EQ(BusFrames(path).size(), 1u);  // B's
  // B's frame is on the bus but A, unplugged, does not take it in (a drop).
  // A frame B sends after A is plugged in again is received.
  ASSERT_TRUE(Eventually([&] { return ia->stats().iqdrops == 1; }));
  EXPECT_EQ(ia->stats().ipackets, 0u);
  s.Set<int32_t>(abi::kIfrMediaOff, 0x20);
  ASSERT_EQ(a.Ioctl(abi::kSIOCSIFMEDIA, s), 0);
  EXPECT_EQ(a.LinkState("shmif0"), abi::kLinkStateUp);
  ASSERT_EQ(b.AddAddr("shmif0", "10.0.0.3", nullptr), 0);  // announced
  ASSERT_TRUE(Eventually([&] { return ia->stats().ipackets == 1; }));
  EXPECT_EQ(ib->stats().opackets, 2u);
}

TEST(ShmifTest, ReceiveFilterAndPromiscuousMode) {
  const std::string path = TempPath("bus");
  Host a;
  ASSERT_EQ(*CreateShmif(*a.net, path.c_str()), 0);
  ASSERT_EQ(a.Up("shmif0"), 0);
  auto ia = a.If("shmif0");
  auto peer = shmif::Bus::Attach(path);
  ASSERT_TRUE(peer.ok());
  auto frame = [](const std::vector<uint8_t>& dst) {
    std::vector<uint8_t> f(60, 0);
    std::copy(dst.begin(), dst.end(), f.begin());
    f[6] = 0x02;  // some source
    f[12] = 0x88;
    f[13] = 0xb5;  // a local experimental ethertype
    return f;
  };
  const std::vector<uint8_t> other = {0x02, 0, 0, 0, 0, 1};
  const std::vector<uint8_t> mine = Mac(*ia);
  const std::vector<uint8_t> bcast(6, 0xff);
  const std::vector<uint8_t> mcast = {0x01, 0x00, 0x5e, 0, 0, 1};

  ASSERT_TRUE((*peer)->Send(frame(other)).ok());   // not for us: dropped
  ASSERT_TRUE((*peer)->Send(frame(bcast)).ok());
  ASSERT_TRUE((*peer)->Send(frame(mine)).ok());
  ASSERT_TRUE((*peer)->Send(frame(mcast)).ok());
  // The driver takes frames in bus order: once a last frame for us is
  // counted, every earlier one has been taken or dropped.
  ASSERT_TRUE((*peer)->Send(frame(mine)).ok());
  ASSERT_TRUE(Eventually([&] { return ia->stats().ipackets >= 4; }));
  EXPECT_EQ(ia->stats().ipackets, 4u);
  EXPECT_EQ(ia->stats().imcasts, 2u);
  EXPECT_EQ(ia->stats().ibytes, 240u);

  ASSERT_TRUE(a.net->SetPromiscuous(*ia, true).ok());
  EXPECT_EQ(a.Flags("shmif0") & abi::kIFF_PROMISC, int(abi::kIFF_PROMISC));
  ASSERT_TRUE((*peer)->Send(frame(other)).ok());
  ASSERT_TRUE(Eventually([&] { return ia->stats().ipackets == 5; }));
  ASSERT_TRUE(a.net->SetPromiscuous(*ia, false).ok());
  EXPECT_EQ(a.Flags("shmif0") & abi::kIFF_PROMISC, 0);
  // SIOCSIFFLAGS cannot set IFF_PROMISC (it is in IFF_CANTCHANGE).
  ASSERT_EQ(a.SetFlags("shmif0", a.Flags("shmif0") | abi::kIFF_PROMISC), 0);
  EXPECT_EQ(a.Flags("shmif0") & abi::kIFF_PROMISC, 0);

  // Frames sent while the interface is down are not received later.
  ASSERT_EQ(a.Down("shmif0"), 0);
  ASSERT_TRUE((*peer)->Send(frame(bcast)).ok());
  ASSERT_EQ(a.Up("shmif0"), 0);
  ASSERT_TRUE((*peer)->Send(frame(mine)).ok());
  ASSERT_TRUE(Eventually([&] { return ia->stats().ipackets >= 6; }));
  EXPECT_EQ(ia->stats().ipackets, 6u);
}

TEST(ShmifTest, MtuRulesForEthernet) {
  Host h;
  ASSERT_TRUE(CreateShmif(*h.net, nullptr).ok());
  Buf r = Ifreq("shmif0");
  for (int bad : {45, 1501, 0, -1, 9000}) {
    r.Set<int32_t>(abi::kIfrMtuOff, bad);
    EXPECT_EQ(h.Ioctl(abi::kSIOCSIFMTU, r), abi::kEINVAL) << bad;
  }
  for (int good : {46, 1280, 1500}) {
    r.Set<int32_t>(abi::kIfrMtuOff, good);
    EXPECT_EQ(h.Ioctl(abi::kSIOCSIFMTU, r), 0) << good;
  }
  Buf e(abi::kEccapreqSize);
  e.Name("shmif0");
  EXPECT_EQ(h.Ioctl(abi::kSIOCGETHERCAP, e), 0);
  Buf lo(abi::kEccapreqSize);
  lo.Name("lo0");
  EXPECT_EQ(h.Ioctl(abi::kSIOCGETHERCAP, lo), abi::kENOTTY);
}

TEST(ShmifTest, DestroyingUpInterfacesAndKernelsJoinsThreads) {
  const std::string path = TempPath("bus");
  {
    Host h;
    for (int i = 0; i < 3; ++i) ASSERT_EQ(*CreateShmif(*h.net, path.c_str()), i);
    for (const char* n : {"shmif0", "shmif1", "shmif2"}) ASSERT_EQ(h.Up(n), 0);
    ASSERT_EQ(h.AddAddr("shmif1", "10.0.0.1", nullptr), 0);
    Buf d = Ifreq("shmif2");
    ASSERT_EQ(h.Ioctl(abi::kSIOCIFDESTROY, d), 0);  // an up interface
    // shmif0 and shmif1 are up when the kernel goes away.
  }
  {
    Host h;
    ASSERT_EQ(*CreateShmif(*h.net, path.c_str()), 0);
    ASSERT_EQ(h.Up("shmif0"), 0);
    h.kernel->Halt(0);
    EXPECT_EQ(h.Flags("shmif0") & abi::kIFF_RUNNING, 0);
    EXPECT_EQ(h.Down("shmif0"), 0);
    EXPECT_EQ(h.Up("shmif0"), abi::kENXIO);  // a halted kernel starts nothing
  }
  // Many kernels up and down concurrently on one bus.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&path] {
      for (int i = 0; i < 5; ++i) {
        Host h;
        ASSERT_EQ(*CreateShmif(*h.net, path.c_str()), 0);
        ASSERT_EQ(h.Up("shmif0"), 0);
        ASSERT_EQ(h.AddAddr("shmif0", "10.1.0.1", nullptr), 0);
      }
    });
  }
  for (auto& t : threads) t.join();
}

TEST(ShmifTest, GarbageIoctlsNeverCrash) {
  const std::string path = TempPath("bus");
  Host h;
  ASSERT_EQ(*CreateShmif(*h.net, path.c_str()), 0);
  ASSERT_EQ(*CreateShmif(*h.net, nullptr), 1);
  testing::FuzzInterfaceIoctls(*h.kernel, {"lo0", "shmif0", "shmif1", "shmif2", "2"}, 20000,
                               7);
  testing::FuzzInterfaceIoctls(*h.kernel, {"shmif0"}, 5000, 8);
}

}  // namespace
}  // namespace rump
