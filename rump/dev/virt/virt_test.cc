// virt interfaces on real Linux tap devices. The test process moves into a
// network namespace of its own first (root only; without root every test
// skips and says why), so the taps it makes and the Linux side it drives
// are invisible to the machine and vanish with the process.
#include "rump/dev/virt/virt.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/sysctl.h"
#include "rump/components.h"
#include "rump/dev/virt/linux_side.h"
#include "hostif/tap.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Buf;
using testing::Eventually;
using testing::Ifreq;
using hostif::TapDevice;
using testing::P;
using virt_testing::HostHas;

#define SKIP_WITHOUT_NAMESPACE()                                             \
  if (const std::string& why = virt_testing::EnterOwnNetworkNamespace(); !why.empty()) { \
    GTEST_SKIP() << "skipped: " << why;                                      \
  }

void HostSetUp(const std::string& name, bool up) {
  ASSERT_TRUE(virt_testing::HostSetUp(name, up).ok()) << name;
}
void HostSetAddr(const std::string& name, const char* addr, const char* mask) {
  absl::Status s = virt_testing::HostSetAddress(name, addr, mask);
  ASSERT_TRUE(s.ok()) << s;
}

// The same ifreq as the tap needs (TUNSETIFF).
struct ifreq HostIfreq(const std::string& name) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ifr;
}

uint16_t Checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += uint32_t(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// Linux pings `dst` from its own stack (a raw ICMP socket) until an echo
// reply with our identifier comes back; false after a minute.
bool HostPing(const char* dst, uint16_t id) {
  const int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  if (s < 0) return false;
  struct timeval tv = {0, 200 * 1000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_in to {};
  to.sin_family = AF_INET;
  inet_pton(AF_INET, dst, &to.sin_addr);
  const absl::Time deadline = absl::Now() + testing::kEventuallyLimit;
  bool ok = false;
  for (uint16_t seq = 1; !ok && absl::Now() < deadline; ++seq) {
    uint8_t req[16] = {8, 0, 0, 0, uint8_t(id >> 8), uint8_t(id), uint8_t(seq >> 8), uint8_t(seq),
                       'r', 'u', 'm', 'p', 'v', 'i', 'r', 't'};
    const uint16_t c = Checksum(req, sizeof(req));
    req[2] = uint8_t(c >> 8);
    req[3] = uint8_t(c);
    sendto(s, req, sizeof(req), 0, reinterpret_cast<struct sockaddr*>(&to), sizeof(to));
    uint8_t buf[256];
    for (;;) {
      const ssize_t n = recv(s, buf, sizeof(buf), 0);
      if (n < 0) break;  // the receive timeout: send again
      const size_t ihl = size_t(buf[0] & 0xf) * 4;
      if (size_t(n) >= ihl + 8 && buf[ihl] == 0 && buf[ihl + 4] == uint8_t(id >> 8) &&
          buf[ihl + 5] == uint8_t(id)) {
        ok = true;
        break;
      }
    }
  }
  close(s);
  return ok;
}

// --- the kernel side

struct Host {
  Host() {
    auto fs = ComponentsFor({"rumpnet_virtif", "rumpnet_netinet"});
    EXPECT_TRUE(fs.ok()) << fs.status();
    KernelOptions o;
    o.components = *fs;
    auto k = Kernel::Boot(std::move(o));
    EXPECT_TRUE(k.ok()) << k.status();
    kernel = std::move(*k);
    net = kernel->Find<NetStack>();
    fd = testing::Socket(*kernel);
    EXPECT_GE(fd, 0);
    const int zero = 0;  // addresses usable at once (no DAD probes)
    size_t len = sizeof(int);
    std::string out;
    EXPECT_EQ(testing::Sysctl(*kernel, {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_IP,
                                        abi::kIpctlDadCount},
                              &out, &len, false, &zero, sizeof(zero)),
              0);
  }
  int Ioctl(uint64_t cmd, Buf& b) { return testing::Ioctl(*kernel, fd, cmd, b); }
  int Create(const std::string& name) {
    Buf r = Ifreq(name);
    return Ioctl(abi::kSIOCIFCREATE, r);
  }
  int Destroy(const std::string& name) {
    Buf r = Ifreq(name);
    return Ioctl(abi::kSIOCIFDESTROY, r);
  }
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
  int SetLinkStr(const std::string& name, const std::string& link) {
    Buf d(abi::kIfdrvSize);
    d.Name(name).Set<uint64_t>(abi::kIfdLenOff, link.size() + 1);
    d.Set<uint64_t>(abi::kIfdDataOff, P(link.c_str()));
    return Ioctl(abi::kSIOCSLINKSTR, d);
  }
  int UnsetLinkStr(const std::string& name) {
    Buf d(abi::kIfdrvSize);
    d.Name(name).Set<uint64_t>(abi::kIfdCmdOff, abi::kIFLINKSTR_UNSET);
    return Ioctl(abi::kSIOCSLINKSTR, d);
  }
  // SIOCGLINKSTR: the host interface's name, or "errno N".
  std::string LinkStr(const std::string& name) {
    char out[64] = {};
    Buf d(abi::kIfdrvSize);
    d.Name(name).Set<uint64_t>(abi::kIfdLenOff, sizeof(out)).Set<uint64_t>(abi::kIfdDataOff, P(out));
    if (int e = Ioctl(abi::kSIOCGLINKSTR, d); e != 0) return absl::StrCat("errno ", e);
    return out;
  }
  int AddAddr(const std::string& name, const char* addr, const char* mask) {
    Buf a(abi::kIfaliasreqSize);
    a.Name(name).Sin(abi::kIfraAddrOff, addr).Sin(abi::kIfraMaskOff, mask);
    return Ioctl(abi::kSIOCAIFADDR, a);
  }
  int LinkState(const std::string& name) {
    Buf r(abi::kIfdatareqSize);
    r.Name(name);
    return Ioctl(abi::kSIOCGIFDATA, r) ? -1 : r.Get<int32_t>(16 + abi::kIfiLinkStateOff);
  }
  std::shared_ptr<Interface> If(const std::string& name) { return net->FindInterface(name); }

  std::unique_ptr<Kernel> kernel;
  NetStack* net = nullptr;
  int fd = -1;
};

TEST(VirtTest, CreateOpensTheTapNetBsdNames) {
  SKIP_WITHOUT_NAMESPACE();
  Host h;
  ASSERT_EQ(h.Create("virt3"), 0);
  EXPECT_TRUE(HostHas("tun3"));
  std::shared_ptr<Interface> ifp = h.If("virt3");
  ASSERT_NE(ifp, nullptr);
  const std::vector<uint8_t>& mac = ifp->lladdr();
  ASSERT_EQ(mac.size(), 6u);
  EXPECT_EQ(mac[0], 0xb2);
  EXPECT_EQ(mac[1], 0x0a);
  EXPECT_EQ(mac[3], 0x0b);
  EXPECT_EQ(mac[4], 0x0e);
  EXPECT_EQ(mac[5], 3);
  EXPECT_EQ(ifp->mtu(), 1500);
  // Jumbo frames up to 9000 (the tap's own MTU is the host's business).
  Buf mtu = Ifreq("virt3");
  mtu.Set<int32_t>(abi::kIfrMtuOff, 9000);
  EXPECT_EQ(h.Ioctl(abi::kSIOCSIFMTU, mtu), 0);
  EXPECT_EQ(ifp->mtu(), 9000);
  mtu.Set<int32_t>(abi::kIfrMtuOff, 9001);
  EXPECT_EQ(h.Ioctl(abi::kSIOCSIFMTU, mtu), abi::kEINVAL);
  EXPECT_EQ(h.Flags("virt3"), abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST);
  EXPECT_EQ(h.LinkStr("virt3"), "tun3");
  // No media, as NetBSD's virt.
  Buf m(abi::kIfmediareqSize);
  m.Name("virt3");
  EXPECT_EQ(h.Ioctl(abi::kSIOCGIFMEDIA, m), abi::kENOTTY);
  // Destroying closes the tap, which Linux then removes.
  ASSERT_EQ(h.Destroy("virt3"), 0);
  EXPECT_FALSE(HostHas("tun3"));
}

TEST(VirtTest, LinuxPingsTheKernelAndLinkStateFollowsTheHostSide) {
  SKIP_WITHOUT_NAMESPACE();
  Host h;
  ASSERT_EQ(h.Create("virt0"), 0);
  ASSERT_EQ(h.AddAddr("virt0", "10.77.0.2", "255.255.255.0"), 0);
  ASSERT_EQ(h.Up("virt0"), 0);
  EXPECT_EQ(h.LinkState("virt0"), abi::kLinkStateDown);  // Linux's side is down
  HostSetUp("tun0", true);
  HostSetAddr("tun0", "10.77.0.1", "255.255.255.0");
  EXPECT_TRUE(Eventually([&] { return h.LinkState("virt0") == abi::kLinkStateUp; }));
  // ARP both ways, IP and ICMP: Linux's echo request in, our reply out.
  EXPECT_TRUE(HostPing("10.77.0.2", 0x5157));
  const InterfaceStats st = h.If("virt0")->stats();
  EXPECT_GT(st.ipackets, 0u);
  EXPECT_GT(st.opackets, 0u);

  HostSetUp("tun0", false);
  EXPECT_TRUE(Eventually([&] { return h.LinkState("virt0") == abi::kLinkStateDown; }));
  HostSetUp("tun0", true);
  EXPECT_TRUE(Eventually([&] { return h.LinkState("virt0") == abi::kLinkStateUp; }));
  ASSERT_EQ(h.Down("virt0"), 0);
  EXPECT_EQ(h.LinkState("virt0"), abi::kLinkStateDown);
}

TEST(VirtTest, LinkStrNamesAnotherTapOrAdoptsADescriptor) {
  SKIP_WITHOUT_NAMESPACE();
  Host h;
  ASSERT_EQ(h.Create("virt0"), 0);
  ASSERT_EQ(h.SetLinkStr("virt0", "rvnamed0"), 0);
  EXPECT_TRUE(HostHas("rvnamed0"));
  EXPECT_FALSE(HostHas("tun0"));  // the old tap was closed
  EXPECT_EQ(h.LinkStr("virt0"), "rvnamed0");

  // A descriptor a privileged process opened.
  const int tfd = open("/dev/net/tun", O_RDWR);
  ASSERT_GE(tfd, 0);
  struct ifreq ifr = HostIfreq("rvfd0");
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  ASSERT_EQ(ioctl(tfd, TUNSETIFF, &ifr), 0);
  ASSERT_EQ(h.SetLinkStr("virt0", absl::StrCat("fd:", tfd)), 0);
  EXPECT_EQ(h.LinkStr("virt0"), "rvfd0");
  EXPECT_FALSE(HostHas("rvnamed0"));
  ASSERT_EQ(h.AddAddr("virt0", "10.78.0.2", "255.255.255.0"), 0);
  ASSERT_EQ(h.Up("virt0"), 0);
  HostSetUp("rvfd0", true);
  HostSetAddr("rvfd0", "10.78.0.1", "255.255.255.0");
  EXPECT_TRUE(HostPing("10.78.0.2", 0x5158));

  // Not while up; bad strings are refused and leave no tap.
  EXPECT_EQ(h.SetLinkStr("virt0", "rvother0"), abi::kEBUSY);
  ASSERT_EQ(h.Down("virt0"), 0);
  EXPECT_EQ(h.SetLinkStr("virt0", "fd:x"), abi::kEINVAL);
  EXPECT_EQ(h.LinkStr("virt0"), absl::StrCat("errno ", abi::kENOENT));
  const int not_tap = open("/dev/null", O_RDWR | O_CLOEXEC);
  EXPECT_NE(h.SetLinkStr("virt0", absl::StrCat("fd:", not_tap)), 0);
  close(not_tap);
  EXPECT_EQ(h.SetLinkStr("virt0", "fd:99999"), abi::kEBADF);
  EXPECT_EQ(h.SetLinkStr("virt0", "a-name-longer-than-15"), abi::kEINVAL);
  // Without a tap the interface does not come up, and -linkstr is fine.
  EXPECT_EQ(h.UnsetLinkStr("virt0"), 0);
  ASSERT_EQ(h.SetLinkStr("virt0", "rvnamed1"), 0);
  ASSERT_EQ(h.UnsetLinkStr("virt0"), 0);
  EXPECT_FALSE(HostHas("rvnamed1"));
  EXPECT_EQ(h.LinkStr("virt0"), absl::StrCat("errno ", abi::kENOENT));
}

TEST(VirtTest, TapDeletedUnderTheKernel) {
  SKIP_WITHOUT_NAMESPACE();
  Host h;
  ASSERT_EQ(h.Create("virt0"), 0);
  ASSERT_EQ(h.AddAddr("virt0", "10.79.0.2", "255.255.255.0"), 0);
  ASSERT_EQ(h.Up("virt0"), 0);
  HostSetUp("tun0", true);
  HostSetAddr("tun0", "10.79.0.1", "255.255.255.0");
  ASSERT_TRUE(HostPing("10.79.0.2", 0x5159));

  ASSERT_EQ(std::system("ip link delete tun0"), 0);
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(h.kernel->messages(), "virt0: host interface tun0 is gone");
  })) << h.kernel->messages();
  EXPECT_EQ(h.LinkState("virt0"), abi::kLinkStateDown);
  EXPECT_EQ(h.LinkStr("virt0"), absl::StrCat("errno ", abi::kENOENT));

  // Down and up again: a new tap.
  ASSERT_EQ(h.Down("virt0"), 0);
  ASSERT_EQ(h.Up("virt0"), 0);
  EXPECT_TRUE(HostHas("tun0"));
  HostSetUp("tun0", true);
  HostSetAddr("tun0", "10.79.0.1", "255.255.255.0");
  EXPECT_TRUE(HostPing("10.79.0.2", 0x515a));
}

TEST(VirtTest, TapAdoptRefusesWhatIsNotATap) {
  SKIP_WITHOUT_NAMESPACE();
  const int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  absl::StatusOr<std::unique_ptr<TapDevice>> t = TapDevice::Adopt(fd);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not an attached tap"), std::string::npos) << t.status();
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);  // left open, as promised
  close(fd);
}

}  // namespace
}  // namespace rump
