// The inet6 component in process: its registration, its address ioctls
// through the kernel's syscall entry (NetBSD layouts), the records that
// NET_RT_IFLIST lists, and two kernels on one shmif bus resolving each
// other and answering echo requests.
#include "rump/netinet6/inet6.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "rump/net/net_stack.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet6::In6Address;

In6Address A6(const char* text) { return *In6Address::Parse(text); }

uint64_t P(const void* p) { return uint64_t(reinterpret_cast<uintptr_t>(p)); }

std::string ScratchDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/in6XXXXXX";
  if (tmpl.size() > 80) tmpl = "/tmp/in6XXXXXX";
  std::vector<char> b(tmpl.begin(), tmpl.end());
  b.push_back('\0');
  const char* d = mkdtemp(b.data());
  return d ? d : "/tmp";
}

void PutSin6(std::vector<uint8_t>& buf, size_t off, const In6Address& a, uint32_t scope = 0) {
  buf[off + abi::kSin6LenOff] = abi::kSockaddrIn6Size;
  buf[off + abi::kSin6FamilyOff] = abi::kAF_INET6;
  a.ToWire(buf.data() + off + abi::kSin6AddrOff);
  std::memcpy(buf.data() + off + abi::kSin6ScopeIdOff, &scope, 4);
}

In6Address GetSin6(const std::vector<uint8_t>& buf, size_t off, uint32_t* scope) {
  std::memcpy(scope, buf.data() + off + abi::kSin6ScopeIdOff, 4);
  return In6Address::FromWire(buf.data() + off + abi::kSin6AddrOff);
}

class Host6 {
 public:
  explicit Host6(const std::string& bus) {
    KernelOptions o;
    o.components = AllComponents();
    auto k = Kernel::Boot(std::move(o));
    EXPECT_TRUE(k.ok()) << k.status();
    kernel_ = std::move(*k);
    net_ = kernel_->Find<NetStack>();
    inet6_ = kernel_->Find<Inet6>();
    auto ifp = net_->CreateNextInterface("shmif", bus.c_str());
    EXPECT_TRUE(ifp.ok()) << ifp.status();
    ifp_ = *ifp;
  }
  NetStack& net() { return *net_; }
  Inet6& inet6() { return *inet6_; }
  Interface& ifp() { return *ifp_; }

  int Socket6(int type, int proto) {
    SyscallResult r = kernel_->Syscall(
        abi::kSysSocket, {uint64_t(abi::kAF_INET6), uint64_t(type), uint64_t(proto)});
    return r.error ? -r.error : int(r.rv0);
  }
  int Ioctl(int fd, uint64_t cmd, std::vector<uint8_t>& buf) {
    return kernel_->Syscall(abi::kSysIoctl, {uint64_t(fd), cmd, P(buf.data())}).error;
  }
  SyscallResult Call(int number, std::vector<uint64_t> args) {
    return kernel_->Syscall(number, args);
  }
  // SIOCAIFADDR_IN6 of addr/plen on `ifname`: 0 or errno.
  int AddAddr(int fd, const std::string& ifname, const In6Address& a, int plen,
              uint32_t scope = 0, uint32_t pltime = abi::kND6_INFINITE_LIFETIME) {
    std::vector<uint8_t> req(abi::kIn6AliasreqSize);
    std::memcpy(req.data(), ifname.data(), ifname.size());
    PutSin6(req, abi::kIfra6AddrOff, a, scope);
    PutSin6(req, abi::kIfra6PrefixmaskOff, inet6::PrefixMask(plen));
    const uint32_t inf = abi::kND6_INFINITE_LIFETIME;
    std::memcpy(req.data() + abi::kIfra6LifetimeOff + abi::kIa6tVltimeOff, &inf, 4);
    std::memcpy(req.data() + abi::kIfra6LifetimeOff + abi::kIa6tPltimeOff, &pltime, 4);
    return Ioctl(fd, abi::kSIOCAIFADDR_IN6, req);
  }
  // An in6_ifreq naming `a` on `ifname`, for the SIOCG*_IN6 requests.
  std::vector<uint8_t> Ifreq(const std::string& ifname, const In6Address& a,
                             uint32_t scope = 0) {
    std::vector<uint8_t> req(abi::kIn6IfreqSize);
    std::memcpy(req.data(), ifname.data(), ifname.size());
    PutSin6(req, abi::kIn6IfrAddrOff, a, scope);
    return req;
  }

 private:
  std::unique_ptr<Kernel> kernel_;
  NetStack* net_ = nullptr;
  Inet6* inet6_ = nullptr;
  std::shared_ptr<Interface> ifp_;
};

bool Has(const std::vector<In6IfAddress>& addrs, const In6Address& a, int plen) {
  for (const In6IfAddress& x : addrs) {
    if (x.addr == a && x.prefix_len == plen) return true;
  }
  return false;
}

TEST(Inet6Test, Lo0GetsLoopbackAndLinkLocal) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  std::shared_ptr<Interface> lo0 = h.net().FindInterface("lo0");
  ASSERT_NE(lo0, nullptr);
  const std::vector<In6IfAddress> addrs = Inet6::Addresses(*lo0);
  ASSERT_EQ(addrs.size(), 2u);
  EXPECT_EQ(addrs[0].addr, inet6::kIn6Loopback);
  EXPECT_EQ(addrs[0].prefix_len, 128);
  EXPECT_EQ(addrs[1].addr, A6("fe80::1"));
  EXPECT_EQ(addrs[1].prefix_len, 64);
  // NET_RT_IFLIST carries the kernel form: the zone in bytes 2-3.
  const std::string list = h.net().IfList(abi::kAF_INET6, lo0->index());
  EXPECT_NE(list.find(SockaddrIn6Embedded(inet6::kIn6Loopback, 0)), std::string::npos);
  std::string ll = SockaddrIn6Embedded(A6("fe80::1"), lo0->index());
  EXPECT_EQ(ll[abi::kSin6AddrOff + 3], char(lo0->index()));
  EXPECT_NE(list.find(ll), std::string::npos);
  EXPECT_NE(list.find(SockaddrIn6Embedded(inet6::PrefixMask(64), 0)), std::string::npos);
  // The IPv4 listing is untouched by them.
  EXPECT_EQ(h.net().IfList(abi::kAF_INET, lo0->index()).find(ll), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Inet6Test, EthernetGetsEui64LinkLocalWhenUp) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  EXPECT_TRUE(Inet6::Addresses(h.ifp()).empty());
  ASSERT_TRUE(h.net().SetFlags(h.ifp(), h.ifp().flags() | abi::kIFF_UP).ok());
  MacAddress mac;
  std::copy(h.ifp().lladdr().begin(), h.ifp().lladdr().end(), mac.begin());
  const In6Address ll =
      inet6::SlaacAddress(A6("fe80::"), inet6::InterfaceIdFromMac(mac));
  const std::vector<In6IfAddress> addrs = Inet6::Addresses(h.ifp());
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(addrs[0].addr, ll);
  EXPECT_EQ(addrs[0].prefix_len, 64);
  EXPECT_EQ(addrs[0].flags, 0);
  // Down and up again: still one.
  ASSERT_TRUE(h.net().SetFlags(h.ifp(), h.ifp().flags() & ~abi::kIFF_UP).ok());
  ASSERT_TRUE(h.net().SetFlags(h.ifp(), h.ifp().flags() | abi::kIFF_UP).ok());
  EXPECT_EQ(Inet6::Addresses(h.ifp()).size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(Inet6Test, SocketsCarryTheIoctlsOnly) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  EXPECT_GE(h.Socket6(abi::kSOCK_DGRAM, 0), 0);
  EXPECT_GE(h.Socket6(abi::kSOCK_RAW, abi::kIPPROTO_ICMPV6), 0);
  EXPECT_EQ(h.Socket6(abi::kSOCK_STREAM, 0), -abi::kEPROTONOSUPPORT);
  EXPECT_EQ(h.Socket6(abi::kSOCK_RAW, abi::kIPPROTO_UDP), -abi::kEPROTONOSUPPORT);
  std::filesystem::remove_all(dir);
}

TEST(Inet6Test, AddressIoctls) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  const int fd = h.Socket6(abi::kSOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  const std::string ifname = h.ifp().name();
  const int zone = h.ifp().index();

  // A global address: the interface comes up (and gets its link-local).
  ASSERT_EQ(h.AddAddr(fd, ifname, A6("2001:db8::2"), 64), 0);
  EXPECT_TRUE(h.ifp().flags() & abi::kIFF_UP);
  std::vector<In6IfAddress> addrs = Inet6::Addresses(h.ifp());
  EXPECT_TRUE(Has(addrs, A6("2001:db8::2"), 64));
  EXPECT_EQ(addrs.size(), 2u);
  // Again: an update; another prefix length for it: EINVAL.
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("2001:db8::2"), 64), 0);
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("2001:db8::2"), 48), abi::kEINVAL);
  // Link-local: /64 only, and of this interface's zone.
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("fe80::99"), 80), abi::kEINVAL);
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("fe80::99"), 64, uint32_t(zone + 7)), abi::kEINVAL);
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("fe80::99"), 64, uint32_t(zone)), 0);
  // Preferred lifetime beyond the valid one: EINVAL.
  EXPECT_EQ(h.AddAddr(fd, ifname, A6("2001:db8::3"), 64, 0, 1), 0);
  std::vector<uint8_t> bad(abi::kIn6AliasreqSize);
  std::memcpy(bad.data(), ifname.data(), ifname.size());
  PutSin6(bad, abi::kIfra6AddrOff, A6("2001:db8::4"));
  const uint32_t one = 1, two = 2;
  std::memcpy(bad.data() + abi::kIfra6LifetimeOff + abi::kIa6tVltimeOff, &one, 4);
  std::memcpy(bad.data() + abi::kIfra6LifetimeOff + abi::kIa6tPltimeOff, &two, 4);
  EXPECT_EQ(h.Ioctl(fd, abi::kSIOCAIFADDR_IN6, bad), abi::kEINVAL);
  bad[abi::kIfra6AddrOff + abi::kSin6FamilyOff] = abi::kAF_INET;
  EXPECT_EQ(h.Ioctl(fd, abi::kSIOCAIFADDR_IN6, bad), abi::kEAFNOSUPPORT);

  // The reads answer with the zone in sin6_scope_id.
  std::vector<uint8_t> req = h.Ifreq(ifname, A6("fe80::99"), uint32_t(zone));
  ASSERT_EQ(h.Ioctl(fd, abi::kSIOCGIFADDR_IN6, req), 0);
  uint32_t scope = 0;
  EXPECT_EQ(GetSin6(req, abi::kIn6IfrAddrOff, &scope), A6("fe80::99"));
  EXPECT_EQ(scope, uint32_t(zone));
  req = h.Ifreq(ifname, A6("2001:db8::2"));
  ASSERT_EQ(h.Ioctl(fd, abi::kSIOCGIFNETMASK_IN6, req), 0);
  EXPECT_EQ(GetSin6(req, abi::kIn6IfrAddrOff, &scope), inet6::PrefixMask(64));
  req = h.Ifreq(ifname, A6("2001:db8::2"));
  ASSERT_EQ(h.Ioctl(fd, abi::kSIOCGIFAFLAG_IN6, req), 0);
  int flags = -1;
  std::memcpy(&flags, req.data() + abi::kIn6IfrFlags6Off, 4);
  EXPECT_EQ(flags, 0);
  req = h.Ifreq(ifname, A6("2001:db8::2"));
  ASSERT_EQ(h.Ioctl(fd, abi::kSIOCGIFALIFETIME_IN6, req), 0);
  uint32_t vl = 0, pl = 0;
  std::memcpy(&vl, req.data() + abi::kIn6IfrLifetimeOff + abi::kIa6tVltimeOff, 4);
  std::memcpy(&pl, req.data() + abi::kIn6IfrLifetimeOff + abi::kIa6tPltimeOff, 4);
  EXPECT_EQ(vl, abi::kND6_INFINITE_LIFETIME);
  EXPECT_EQ(pl, abi::kND6_INFINITE_LIFETIME);
  req = h.Ifreq(ifname, A6("2001:db8::77"));
  EXPECT_EQ(h.Ioctl(fd, abi::kSIOCGIFADDR_IN6, req), abi::kEADDRNOTAVAIL);

  // NET_RT_IFLIST lists them.
  const std::string list = h.net().IfList(abi::kAF_INET6, zone);
  EXPECT_NE(list.find(SockaddrIn6Embedded(A6("2001:db8::2"), 0)), std::string::npos);
  EXPECT_NE(list.find(SockaddrIn6Embedded(A6("fe80::99"), zone)), std::string::npos);

  // Removal; a second one: EADDRNOTAVAIL.
  req = h.Ifreq(ifname, A6("2001:db8::2"));
  EXPECT_EQ(h.Ioctl(fd, abi::kSIOCDIFADDR_IN6, req), 0);
  req = h.Ifreq(ifname, A6("2001:db8::2"));
  EXPECT_EQ(h.Ioctl(fd, abi::kSIOCDIFADDR_IN6, req), abi::kEADDRNOTAVAIL);
  EXPECT_FALSE(Has(Inet6::Addresses(h.ifp()), A6("2001:db8::2"), 64));
  EXPECT_EQ(h.net().IfList(abi::kAF_INET6, zone).find(SockaddrIn6Embedded(A6("2001:db8::2"), 0)),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

// Echo request bytes (ICMPv6 type 128), checksum left for Output.
std::vector<uint8_t> Echo(uint16_t id, uint16_t seq) {
  std::vector<uint8_t> m = {abi::kICMP6_ECHO_REQUEST, 0, 0, 0, uint8_t(id >> 8), uint8_t(id),
                            uint8_t(seq >> 8), uint8_t(seq), 'h', 'i'};
  return m;
}

TEST(Inet6Test, TwoKernelsResolveAndAnswerEcho) {
  const std::string dir = ScratchDir();
  const std::string bus = dir + "/bus";
  Host6 a(bus), b(bus);
  ASSERT_TRUE(a.inet6().AddAddress(a.ifp(), A6("2001:db8::1"), 64).ok());
  ASSERT_TRUE(b.inet6().AddAddress(b.ifp(), A6("2001:db8::2"), 64).ok());
  // Global, on link: resolved with a multicast NS, answered by b.
  ASSERT_TRUE(a.inet6()
                  .Output(nullptr, In6Address(), A6("2001:db8::2"), abi::kIPPROTO_ICMPV6,
                          Echo(1, 1))
                  .ok());
  ASSERT_TRUE(rump::testing::Eventually([&] { return b.inet6().echo_replies() >= 1; }));
  ASSERT_TRUE(rump::testing::Eventually([&] {
    auto e = a.inet6().Neighbor(a.ifp().index(), A6("2001:db8::2"));
    return e.has_value() && e->mac.has_value();
  }));
  // Link-local, on the given interface.
  MacAddress mac;
  std::copy(b.ifp().lladdr().begin(), b.ifp().lladdr().end(), mac.begin());
  const In6Address b_ll = inet6::SlaacAddress(A6("fe80::"), inet6::InterfaceIdFromMac(mac));
  ASSERT_TRUE(a.inet6()
                  .Output(&a.ifp(), In6Address(), b_ll, abi::kIPPROTO_ICMPV6, Echo(1, 2))
                  .ok());
  ASSERT_TRUE(rump::testing::Eventually([&] { return b.inet6().echo_replies() >= 2; }));
  // a answers b's echo as well (its reply resolved a's address by NS).
  ASSERT_TRUE(b.inet6()
                  .Output(nullptr, In6Address(), A6("2001:db8::1"), abi::kIPPROTO_ICMPV6,
                          Echo(2, 1))
                  .ok());
  ASSERT_TRUE(rump::testing::Eventually([&] { return a.inet6().echo_replies() >= 1; }));
  // Off link: unreachable.
  EXPECT_EQ(abi::ToErrno(a.inet6().Output(nullptr, In6Address(), A6("2001:db9::2"),
                                          abi::kIPPROTO_ICMPV6, Echo(1, 3))),
            abi::kEHOSTUNREACH);
  std::filesystem::remove_all(dir);
}

// sendto a sockaddr_in6; recvfrom gives the message without its IPv6
// header and the sender with its zone in sin6_scope_id.
TEST(Inet6Test, RawIcmp6SocketPingsWithFilter) {
  const std::string dir = ScratchDir();
  const std::string bus = dir + "/bus";
  Host6 a(bus), b(bus);
  ASSERT_TRUE(a.inet6().AddAddress(a.ifp(), A6("2001:db8::1"), 64).ok());
  ASSERT_TRUE(b.inet6().AddAddress(b.ifp(), A6("2001:db8::2"), 64).ok());
  const int fd = a.Socket6(abi::kSOCK_RAW, abi::kIPPROTO_ICMPV6);
  ASSERT_GE(fd, 0);
  // Only echo replies (type 129) pass: not the NS and NA of resolution.
  uint32_t filter[8] = {};
  filter[abi::kICMP6_ECHO_REPLY >> 5] = 1u << (abi::kICMP6_ECHO_REPLY & 31);
  ASSERT_EQ(a.Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kIPPROTO_ICMPV6),
                                         uint64_t(abi::kICMP6_FILTER), P(filter), sizeof(filter)})
                .error,
            0);
  uint32_t got[8] = {};
  uint32_t got_len = sizeof(got);
  ASSERT_EQ(a.Call(abi::kSysGetsockopt, {uint64_t(fd), uint64_t(abi::kIPPROTO_ICMPV6),
                                         uint64_t(abi::kICMP6_FILTER), P(got), P(&got_len)})
                .error,
            0);
  EXPECT_EQ(std::memcmp(got, filter, sizeof(got)), 0);
  uint32_t tv[4] = {10, 0, 0, 0};  // SO_RCVTIMEO 10 s: a lost reply fails, not hangs
  (void)a.Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kSOL_SOCKET),
                                     uint64_t(abi::kSO_RCVTIMEO), P(tv), 16});

  auto ping = [&](const In6Address& dst, uint32_t scope, uint16_t seq) {
    std::vector<uint8_t> to(abi::kSockaddrIn6Size);
    PutSin6(to, 0, dst, scope);
    std::vector<uint8_t> req = Echo(7, seq);
    SyscallResult r = a.Call(abi::kSysSendto, {uint64_t(fd), P(req.data()), req.size(), 0,
                                               P(to.data()), to.size()});
    ASSERT_EQ(r.error, 0);
    ASSERT_EQ(r.rv0, int64_t(req.size()));
    std::vector<uint8_t> buf(256), from(abi::kSockaddrIn6Size);
    uint32_t from_len = uint32_t(from.size());
    r = a.Call(abi::kSysRecvfrom, {uint64_t(fd), P(buf.data()), buf.size(), 0, P(from.data()),
                                   P(&from_len)});
    ASSERT_EQ(r.error, 0);
    ASSERT_EQ(r.rv0, int64_t(req.size()));
    EXPECT_EQ(buf[0], abi::kICMP6_ECHO_REPLY);
    EXPECT_EQ(buf[7], uint8_t(seq));
    uint32_t from_scope = 0;
    EXPECT_EQ(GetSin6(from, 0, &from_scope), dst);
    EXPECT_EQ(from_scope, scope);
  };
  ping(A6("2001:db8::2"), 0, 1);
  MacAddress mac;
  std::copy(b.ifp().lladdr().begin(), b.ifp().lladdr().end(), mac.begin());
  ping(inet6::SlaacAddress(A6("fe80::"), inet6::InterfaceIdFromMac(mac)),
       uint32_t(a.ifp().index()), 2);
  // A link-local destination without a zone: unreachable.
  std::vector<uint8_t> to(abi::kSockaddrIn6Size);
  PutSin6(to, 0, A6("fe80::1234"));
  std::vector<uint8_t> req = Echo(7, 3);
  EXPECT_EQ(a.Call(abi::kSysSendto,
                   {uint64_t(fd), P(req.data()), req.size(), 0, P(to.data()), to.size()})
                .error,
            abi::kEHOSTUNREACH);
  std::filesystem::remove_all(dir);
}

// What ping6 does to learn its source: connect a datagram socket, then
// getsockname. And bind(2) on a raw socket takes only our addresses.
TEST(Inet6Test, ConnectedDatagramSocketNamesTheSource) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  ASSERT_TRUE(h.inet6().AddAddress(h.ifp(), A6("2001:db8::2"), 64).ok());
  const int fd = h.Socket6(abi::kSOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> to(abi::kSockaddrIn6Size);
  PutSin6(to, 0, A6("2001:db8::9"));
  ASSERT_EQ(h.Call(abi::kSysConnect, {uint64_t(fd), P(to.data()), to.size()}).error, 0);
  std::vector<uint8_t> name(abi::kSockaddrIn6Size);
  uint32_t len = uint32_t(name.size());
  ASSERT_EQ(h.Call(abi::kSysGetsockname, {uint64_t(fd), P(name.data()), P(&len)}).error, 0);
  uint32_t scope = 99;
  EXPECT_EQ(GetSin6(name, 0, &scope), A6("2001:db8::2"));
  EXPECT_EQ(scope, 0u);
  PutSin6(to, 0, A6("2001:db9::9"));
  EXPECT_EQ(h.Call(abi::kSysConnect, {uint64_t(fd), P(to.data()), to.size()}).error,
            abi::kEHOSTUNREACH);

  const int raw = h.Socket6(abi::kSOCK_RAW, abi::kIPPROTO_ICMPV6);
  ASSERT_GE(raw, 0);
  std::vector<uint8_t> self(abi::kSockaddrIn6Size);
  PutSin6(self, 0, A6("2001:db8::3"));
  EXPECT_EQ(h.Call(abi::kSysBind, {uint64_t(raw), P(self.data()), self.size()}).error,
            abi::kEADDRNOTAVAIL);
  PutSin6(self, 0, A6("2001:db8::2"));
  EXPECT_EQ(h.Call(abi::kSysBind, {uint64_t(raw), P(self.data()), self.size()}).error, 0);
  std::filesystem::remove_all(dir);
}

TEST(Inet6Test, GarbageOnTheWireIsDropped) {
  const std::string dir = ScratchDir();
  Host6 h(dir + "/bus");
  ASSERT_TRUE(h.inet6().AddAddress(h.ifp(), A6("2001:db8::2"), 64).ok());
  std::vector<uint8_t> p(60, 0x60);
  for (size_t n = 0; n <= p.size(); ++n) {
    h.inet6().Ip6Input(h.ifp(), absl::MakeConstSpan(p).subspan(0, n), false);
  }
  EXPECT_EQ(h.inet6().echo_replies(), 0u);
  EXPECT_GT(h.inet6().dropped(), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rump
