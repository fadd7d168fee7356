// The interface layer's seams seen by an address family, proved with a toy
// second family (test-only) that plugs in without touching rump/net: it
// registers an ethertype, address records, an interface ioctl, a loopback
// input and a socket factory, and listens to interface events, on a kernel
// with the NetStack only.
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/net/ether.h"
#include "rump/net/loopback.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"

namespace rump {
namespace {

using testing::Buf;
using testing::Ifreq;
using testing::Ioctl;
using testing::P;

// The toy family: a number no real family uses, an experimental ethertype,
// and 4-byte sockaddrs {len 4, family, two address bytes}.
constexpr int kAfToy = 40;
constexpr uint16_t kToyEtherType = 0x88b5;  // IEEE 802 local experimental 1
// Its one ioctl: "add the address in ifr_addr's first two data bytes".
const uint64_t kToySetAddr = abi::Iowr('i', 240, abi::kIfreqSize);

std::string ToySockaddr(uint8_t a, uint8_t b) {
  return std::string{char(4), char(kAfToy), char(a), char(b)};
}

// An Ethernet driver that keeps what it transmits; tests inject input with
// Interface::Input as a driver's receive thread would.
class RecordingDriver final : public InterfaceDriver {
 public:
  absl::Status Start(Interface&) override { return absl::OkStatus(); }
  void Stop(Interface&) override {}
  absl::Status Output(Interface&, absl::Span<const uint8_t> frame) override {
    std::lock_guard<std::mutex> lock(mu);
    sent.emplace_back(frame.begin(), frame.end());
    return absl::OkStatus();
  }
  std::mutex mu;
  std::vector<std::vector<uint8_t>> sent;
};

class ToyEtherCloner final : public InterfaceCloner {
 public:
  absl::string_view name() const override { return "toyeth"; }
  absl::StatusOr<InterfaceSpec> Create(int unit, const char* linkstr) override {
    last_linkstr = linkstr ? linkstr : "(none)";
    InterfaceSpec spec;
    spec.driver = std::make_unique<RecordingDriver>();
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.lladdr = {0x02, 0, 0, 0, 0, uint8_t(unit + 1)};
    spec.hdrlen = 14;
    return spec;
  }
  std::string last_linkstr;
};

// What the toy family saw.
struct ToyLog {
  std::mutex mu;
  std::vector<std::string> ether;  // "<ifname>:<payload>:<group>"
  std::vector<std::string> loop;   // "<ifname>:<payload>"
  std::vector<std::string> events_a, events_b;
  int sockets = 0;
};

const char* EventName(NetStack::InterfaceEvent e) {
  switch (e) {
    case NetStack::InterfaceEvent::kUp: return "up";
    case NetStack::InterfaceEvent::kDown: return "down";
    case NetStack::InterfaceEvent::kAddressesChanged: return "addrs";
    case NetStack::InterfaceEvent::kDestroyed: return "destroyed";
  }
  return "?";
}

class FamilyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelOptions o;
    o.components.push_back([] { return std::make_unique<NetStack>(); });
    auto k = Kernel::Boot(std::move(o));
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
    net_ = k_->Find<NetStack>();
    auto cloner = std::make_unique<ToyEtherCloner>();
    cloner_ = cloner.get();
    ASSERT_TRUE(net_->RegisterCloner(std::move(cloner)).ok());
    RegisterToy();
  }

  void RegisterToy() {
    ToyLog* log = &log_;
    net_->SetEtherTypeInput(kToyEtherType, [log](Interface& ifp, absl::Span<const uint8_t> p,
                                                 bool group) {
      std::lock_guard<std::mutex> lock(log->mu);
      log->ether.push_back(ifp.name() + ":" + std::string(p.begin(), p.end()) + ":" +
                           (group ? "group" : "unicast"));
    });
    AddressFamily f;
    f.family = kAfToy;
    f.name = "toy";
    f.socket_factory = [log](NetStack& net, int domain, int type, int protocol,
                             int flags) -> absl::StatusOr<std::shared_ptr<Socket>> {
      if (type != abi::kSOCK_DGRAM) return SocketTypeError(type, protocol);
      std::lock_guard<std::mutex> lock(log->mu);
      ++log->sockets;
      return std::make_shared<Socket>(net, domain, type, protocol, flags);
    };
    f.control = [](InterfaceConfig& cfg, uint64_t cmd,
                   absl::Span<uint8_t> data) -> absl::Status {
      if (cmd != kToySetAddr) return abi::Errno(abi::kENOTTY);
      const uint8_t a = data[abi::kIfrUnionOff + 2], b = data[abi::kIfrUnionOff + 3];
      InterfaceAddress rec;
      rec.family = kAfToy;
      rec.addr = ToySockaddr(a, b);
      rec.netmask = ToySockaddr(0xff, 0);
      cfg.ifp().AddAddress(rec);
      cfg.AddressesChanged();
      return cfg.BringUp();
    };
    f.loop_input = [log](Interface& ifp, absl::Span<const uint8_t> p) {
      std::lock_guard<std::mutex> lock(log->mu);
      log->loop.push_back(ifp.name() + ":" + std::string(p.begin(), p.end()));
    };
    ASSERT_TRUE(net_->RegisterFamily(std::move(f)).ok());
    sub_a_ = net_->Subscribe([log](Interface& ifp, NetStack::InterfaceEvent e) {
      std::lock_guard<std::mutex> lock(log->mu);
      log->events_a.push_back(ifp.name() + ":" + EventName(e));
    });
    sub_b_ = net_->Subscribe([log](Interface& ifp, NetStack::InterfaceEvent e) {
      std::lock_guard<std::mutex> lock(log->mu);
      log->events_b.push_back(ifp.name() + ":" + EventName(e));
    });
  }

  std::vector<uint8_t> Frame(const MacAddress& dst, const MacAddress& src, uint16_t type,
                             const std::string& payload) {
    std::vector<uint8_t> f(kEtherHeaderLen + payload.size());
    WriteEtherHeader(f.data(), dst, src, type);
    std::memcpy(f.data() + kEtherHeaderLen, payload.data(), payload.size());
    return f;
  }

  std::unique_ptr<Kernel> k_;
  NetStack* net_ = nullptr;
  ToyEtherCloner* cloner_ = nullptr;
  ToyLog log_;
  int sub_a_ = 0, sub_b_ = 0;
};

TEST_F(FamilyTest, ToySocketsComeFromTheFamilysFactory) {
  const int fd = testing::Socket(*k_, kAfToy, abi::kSOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(testing::Socket(*k_, kAfToy, abi::kSOCK_STREAM, 0), -abi::kEPROTOTYPE);
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    EXPECT_EQ(log_.sockets, 1);
  }
  // Without its component no family exists: AF_INET is inet's to register.
  EXPECT_EQ(testing::Socket(*k_, abi::kAF_INET, abi::kSOCK_DGRAM, 0), -abi::kEAFNOSUPPORT);
  AddressFamily again;
  again.family = kAfToy;
  again.name = "again";
  EXPECT_FALSE(net_->RegisterFamily(std::move(again)).ok());
  net_->UnregisterFamily(kAfToy);
  EXPECT_EQ(testing::Socket(*k_, kAfToy, abi::kSOCK_DGRAM, 0), -abi::kEAFNOSUPPORT);
}

TEST_F(FamilyTest, EthertypesReachTheirInputAndTheRestCountsAsNoproto) {
  auto ifp = net_->CreateNextInterface("toyeth", "a-link-string");
  ASSERT_TRUE(ifp.ok()) << ifp.status();
  EXPECT_EQ((*ifp)->name(), "toyeth0");
  EXPECT_EQ(cloner_->last_linkstr, "a-link-string");
  ASSERT_TRUE(net_->SetFlags(**ifp, (*ifp)->flags() | abi::kIFF_UP).ok());
  const MacAddress me = {0x02, 0, 0, 0, 0, 1}, peer = {0x02, 0, 0, 0, 0, 9},
                   other = {0x02, 0, 0, 0, 0, 7};
  (*ifp)->Input(Frame(me, peer, kToyEtherType, "hello"));
  (*ifp)->Input(Frame(kEtherBroadcast, peer, kToyEtherType, "all"));
  (*ifp)->Input(Frame(other, peer, kToyEtherType, "not ours"));     // another station's
  (*ifp)->Input(Frame(kEtherBroadcast, me, kToyEtherType, "echo"));  // our own, back
  (*ifp)->Input(Frame(me, peer, 0x0800, "no one registered IPv4"));
  (*ifp)->Input(std::vector<uint8_t>(10, 0));                        // a runt
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    EXPECT_EQ(log_.ether, (std::vector<std::string>{"toyeth0:hello:unicast",
                                                    "toyeth0:all:group"}));
  }
  const InterfaceStats s = (*ifp)->stats();
  EXPECT_EQ(s.ipackets, 6u);
  EXPECT_EQ(s.noproto, 1u);
  EXPECT_EQ(s.ierrors, 1u);
  EXPECT_EQ(s.imcasts, 2u);
  // Removing the input makes the ethertype unknown again.
  net_->SetEtherTypeInput(kToyEtherType, nullptr);
  (*ifp)->Input(Frame(me, peer, kToyEtherType, "late"));
  EXPECT_EQ((*ifp)->stats().noproto, 2u);
  EXPECT_EQ(net_->CreateNextInterface("nosuch", nullptr).status().code(),
            abi::Errno(abi::kENXIO).code());
}

TEST_F(FamilyTest, TheFamilysIoctlKeepsAddressRecordsTheGenericLayerLists) {
  const int toy = testing::Socket(*k_, kAfToy, abi::kSOCK_DGRAM, 0);
  const int route = testing::Socket(*k_, abi::kAF_ROUTE, abi::kSOCK_RAW, 0);
  ASSERT_GE(toy, 0);
  ASSERT_GE(route, 0);
  Buf r = Ifreq("lo0");
  r.data()[abi::kIfrUnionOff + 2] = 7;
  r.data()[abi::kIfrUnionOff + 3] = 9;
  // The ioctl is the toy family's: other domains' sockets do not reach it.
  EXPECT_EQ(Ioctl(*k_, route, kToySetAddr, r), abi::kEOPNOTSUPP);
  ASSERT_EQ(Ioctl(*k_, toy, kToySetAddr, r), 0);
  auto lo0 = net_->FindInterface("lo0");
  ASSERT_EQ(lo0->addresses(kAfToy).size(), 1u);
  EXPECT_EQ(lo0->addresses(kAfToy)[0].addr, ToySockaddr(7, 9));
  EXPECT_TRUE(lo0->addresses(abi::kAF_INET).empty());
  EXPECT_TRUE(lo0->flags() & abi::kIFF_UP);  // BringUp from the control routine
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    // Every subscriber heard both events, in order.
    const std::vector<std::string> want = {"lo0:up", "lo0:addrs"};
    EXPECT_EQ(log_.events_a, want);
    EXPECT_EQ(log_.events_b, want);
  }

  // SIOCGIFCONF: lo0's link address, then the toy address.
  Buf ifc(abi::kIfconfSize);
  std::vector<uint8_t> recs(4 * abi::kIfreqSize, 0xee);
  ifc.Set<int32_t>(abi::kIfcLenOff, int32_t(recs.size()));
  ifc.Set<uint64_t>(abi::kIfcReqOff, P(recs.data()));
  ASSERT_EQ(Ioctl(*k_, route, abi::kSIOCGIFCONF, ifc), 0);
  ASSERT_EQ(ifc.Get<int32_t>(abi::kIfcLenOff), int32_t(2 * abi::kIfreqSize));
  EXPECT_EQ(recs[abi::kIfreqSize + abi::kIfrUnionOff + 1], kAfToy);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&recs[abi::kIfreqSize + abi::kIfrUnionOff]), 4),
            ToySockaddr(7, 9));

  // NET_RT_IFLIST, for every family and for the toy family alone.
  for (int af : {0, kAfToy}) {
    size_t len = 0;
    ASSERT_EQ(testing::Sysctl(*k_, {4, 34, 0, af, abi::kNET_RT_IFLIST, 0}, nullptr, &len,
                              /*query_size=*/true),
              0);
    std::string dump;
    ASSERT_EQ(testing::Sysctl(*k_, {4, 34, 0, af, abi::kNET_RT_IFLIST, 0}, &dump, &len), 0);
    std::vector<testing::RtMessage> m;
    ASSERT_TRUE(testing::ParseRtMessages(dump, &m));
    ASSERT_EQ(m.size(), af == 0 ? 3u : 2u) << af;  // IFINFO, [link], toy
    const testing::RtMessage& last = m.back();
    EXPECT_EQ(last.type, abi::kRTM_NEWADDR);
    ASSERT_GE(last.sockaddrs.size(), 2u);
    EXPECT_EQ(last.sockaddrs[1].substr(0, 4), ToySockaddr(7, 9));  // RTA_IFA
    EXPECT_EQ(last.sockaddrs[0].substr(0, 4), ToySockaddr(0xff, 0));  // RTA_NETMASK
  }

  // An unsubscribed observer hears nothing more.
  net_->Unsubscribe(sub_b_);
  ASSERT_TRUE(net_->SetFlags(*lo0, lo0->flags() & ~abi::kIFF_UP).ok());
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_EQ(log_.events_a.back(), "lo0:down");
  EXPECT_EQ(log_.events_b.back(), "lo0:addrs");
}

TEST_F(FamilyTest, LoopbackPacketsCarryTheirFamily) {
  auto lo0 = net_->FindInterface("lo0");
  ASSERT_TRUE(net_->SetFlags(*lo0, lo0->flags() | abi::kIFF_UP).ok());
  ASSERT_TRUE(LoopOutput(*lo0, kAfToy, {'p', 'k', 't'}).ok());
  {
    std::lock_guard<std::mutex> lock(log_.mu);
    EXPECT_EQ(log_.loop, (std::vector<std::string>{"lo0:pkt"}));
  }
  InterfaceStats s = lo0->stats();
  EXPECT_EQ(s.opackets, 1u);
  EXPECT_EQ(s.ipackets, 1u);
  EXPECT_EQ(s.obytes, 3u);  // the family header is not counted
  EXPECT_EQ(s.ibytes, 3u);
  EXPECT_EQ(s.noproto, 0u);
  // A family that is not registered: counted, not delivered.
  ASSERT_TRUE(LoopOutput(*lo0, abi::kAF_INET, {'x'}).ok());
  EXPECT_EQ(lo0->stats().noproto, 1u);
  // A frame too short for the header is an input error.
  ASSERT_TRUE(lo0->Output(std::vector<uint8_t>{1, 2}).ok());
  EXPECT_EQ(lo0->stats().ierrors, 1u);
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_EQ(log_.loop.size(), 1u);
}

TEST_F(FamilyTest, DestroyingAnInterfaceTellsEverySubscriber) {
  ASSERT_TRUE(net_->CreateInterface("toyeth3").ok());
  ASSERT_TRUE(net_->DestroyInterface("toyeth3").ok());
  std::lock_guard<std::mutex> lock(log_.mu);
  EXPECT_EQ(log_.events_a, (std::vector<std::string>{"toyeth3:destroyed"}));
  EXPECT_EQ(log_.events_b, log_.events_a);
}

}  // namespace
}  // namespace rump
