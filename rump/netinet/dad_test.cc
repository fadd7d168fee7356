// Duplicate address detection for IPv4 (RFC 5227 probes, as NetBSD's
// arp_dad_*): kernels on one bus, with a plain bus attachment beside them
// watching the ARP traffic. A new address is tentative (unusable, not
// answered for) while its probes go out, then usable and announced; an
// address another station holds ends duplicated, stays unusable and is
// reported in the kernel's messages.
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/in_ifaddr.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "shmif/bus.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Ip;
using ::testing::HasSubstr;

const uint32_t kMask = Ip("255.255.255.0");

class DadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_path_ = dir_.path() + "/bus";
    a_ = std::make_unique<Host>(bus_path_, "10.0.0.1");
    b_ = std::make_unique<Host>(bus_path_, "10.0.0.2");
    auto watcher = shmif::Bus::Attach(bus_path_);
    ASSERT_TRUE(watcher.ok()) << watcher.status();
    watcher_ = std::move(*watcher);
    // The hosts start with detection off (their first addresses are usable
    // at once); b's next addresses go through it.
    b_->inet().set_ip_dad_count(3);
  }

  // The flags detection left on `addr` of `ifp` (-1: no such address).
  static int Flags(Interface& ifp, uint32_t addr) {
    for (const inet::InAddress& a : inet::InAddresses(ifp)) {
      if (a.addr == addr) return int(a.flags);
    }
    return -1;
  }

  // Reads ARP frames from the bus until `until` holds for one of them (true)
  // or nothing more comes for 10 s (false). Every ARP packet read is kept.
  template <typename Pred>
  bool ReadArpUntil(Pred until) {
    std::vector<uint8_t> buf(shmif::kMaxFrameLen);
    for (;;) {
      absl::StatusOr<shmif::ReceivedFrame> f = watcher_->Receive(absl::MakeSpan(buf),
                                                                 absl::Seconds(10));
      if (!f.ok()) return false;
      if (f->len < 14 + 28 || buf[12] != 0x08 || buf[13] != 0x06) continue;
      inet::ArpPacket p;
      if (inet::ParseArp(absl::MakeConstSpan(buf).subspan(14, f->len - 14), &p) !=
          inet::ArpParseError::kNone) {
        continue;
      }
      arp_.push_back(p);
      if (until(p)) return true;
    }
  }

  inet_testing::ScratchDir dir_;  // removed last
  std::string bus_path_;
  std::unique_ptr<Host> a_, b_;
  std::unique_ptr<shmif::Bus> watcher_;
  std::vector<inet::ArpPacket> arp_;
};

TEST_F(DadTest, NewAddressIsTentativeThenUsableAndAnnounced) {
  const uint32_t addr = Ip("10.0.0.3");
  ASSERT_TRUE(b_->inet().AddAddress(b_->ifp(), addr, kMask, 0).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), abi::kIN_IFF_TENTATIVE);
  // The announcement (sender = target = the address) comes only after
  // three unanswered probes from 0.0.0.0.
  auto is_announcement = [&](const inet::ArpPacket& p) {
    return p.spa == addr && p.tpa == addr;
  };
  ASSERT_TRUE(ReadArpUntil(is_announcement));
  int probes = 0;
  for (const inet::ArpPacket& p : arp_) {
    if (p.op == inet::kArpOpRequest && p.spa == 0 && p.tpa == addr) ++probes;
    if (p.spa == addr && !is_announcement(p)) ADD_FAILURE() << "the address used while tentative";
  }
  EXPECT_EQ(probes, 3);
  EXPECT_TRUE(b_->inet().WaitForDad(b_->ifp(), addr, absl::Seconds(30)).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), 0);
  // Usable: a reaches it.
  const int s = a_->Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a_->SetRecvTimeout(s, absl::Seconds(10)), 0);
  ASSERT_EQ(a_->SendTo(s, inet_testing::EchoRequest(1, 1, 8), "10.0.0.3", 0), 16);
  std::vector<uint8_t> got;
  uint32_t from = 0;
  ASSERT_EQ(a_->RecvFrom(s, &got, 2048, &from), 36);
  EXPECT_EQ(from, addr);
  EXPECT_EQ(b_->kernel().messages().find("DAD"), std::string::npos);
}

TEST_F(DadTest, TentativeAddressIsNoSourceAndNotAnswered) {
  // An interface of its own, so that the tentative address is its only one.
  b_->inet().set_ip_dad_count(1000);  // tentative for the whole test
  const std::string bus2 = dir_.path() + "/bus2";
  std::shared_ptr<Interface> ifp = b_->AddInterface(bus2, "10.9.0.2");
  ASSERT_NE(ifp, nullptr);
  const uint32_t addr = Ip("10.9.0.2");
  EXPECT_EQ(Flags(*ifp, addr), abi::kIN_IFF_TENTATIVE);
  const int u = b_->Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(u, 0);
  EXPECT_EQ(b_->Bind(u, "10.9.0.2", 0), abi::kEADDRNOTAVAIL);
  EXPECT_EQ(b_->SendTo(u, {1, 2, 3}, "10.9.0.7", 9), -abi::kEADDRNOTAVAIL);
  EXPECT_EQ(b_->inet().WaitForDad(*ifp, addr, absl::Milliseconds(1)).code(),
            abi::Errno(abi::kETIMEDOUT).code());
  // A request for it from the other bus's side gets no reply.
  auto other = shmif::Bus::Attach(bus2);
  ASSERT_TRUE(other.ok()) << other.status();
  inet::ArpPacket q;
  q.op = inet::kArpOpRequest;
  q.sha = {0x02, 0, 0, 0, 0, 0x77};
  q.spa = Ip("10.9.0.7");
  q.tpa = addr;
  const uint64_t seen = b_->inet().arp_stats().Get(inet::kArpRcvTotal);
  ASSERT_TRUE((*other)->Send(inet::BuildArpFrame(inet::kBroadcastMac, q.sha, q)).ok());
  ASSERT_TRUE(testing::Eventually(
      [&] { return b_->inet().arp_stats().Get(inet::kArpRcvTotal) > seen; }));
  // Deleting the address ends detection.
  ASSERT_TRUE(b_->inet().DeleteAddress(*ifp, addr).ok());
  EXPECT_EQ(b_->inet().WaitForDad(*ifp, addr, absl::Seconds(30)).code(),
            abi::Errno(abi::kEADDRNOTAVAIL).code());
  // Every frame b sent on bus2 was a probe from 0.0.0.0: no reply to 10.9.0.7.
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  for (;;) {
    absl::StatusOr<shmif::ReceivedFrame> f =
        (*other)->Receive(absl::MakeSpan(buf), absl::ZeroDuration());
    if (!f.ok()) break;
    inet::ArpPacket p;
    ASSERT_EQ(inet::ParseArp(absl::MakeConstSpan(buf).subspan(14, f->len - 14), &p),
              inet::ArpParseError::kNone);
    EXPECT_EQ(p.op, inet::kArpOpRequest);
    EXPECT_EQ(p.spa, 0u);
    EXPECT_EQ(p.tpa, addr);
  }
}

TEST_F(DadTest, AddressInUseEndsDuplicated) {
  const uint32_t addr = Ip("10.0.0.1");  // a's
  ASSERT_TRUE(b_->inet().AddAddress(b_->ifp(), addr, kMask, 0).ok());
  EXPECT_EQ(b_->inet().WaitForDad(b_->ifp(), addr, absl::Seconds(30)).code(),
            abi::Errno(abi::kEADDRINUSE).code());
  EXPECT_EQ(Flags(b_->ifp(), addr), abi::kIN_IFF_DUPLICATED);
  EXPECT_THAT(b_->kernel().messages(),
              HasSubstr("shmif0: DAD detected duplicate IPv4 address 10.0.0.1 (in use by "));
  // b never claimed it: every ARP packet naming it as sender came from a.
  const inet::MacAddress a_mac = [&] {
    inet::MacAddress m{};
    std::copy(a_->ifp().lladdr().begin(), a_->ifp().lladdr().end(), m.begin());
    return m;
  }();
  ASSERT_TRUE(ReadArpUntil([&](const inet::ArpPacket& p) { return p.spa == addr; }));
  for (const inet::ArpPacket& p : arp_) {
    if (p.spa == addr) {
      EXPECT_EQ(p.sha, a_mac);
    }
  }
  // A duplicated address is not a source either.
  const int u = b_->Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(u, 0);
  EXPECT_EQ(b_->Bind(u, "10.0.0.1", 0), abi::kEADDRNOTAVAIL);
  // a still owns it and answers b's other address.
  const int s = a_->Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a_->SetRecvTimeout(s, absl::Seconds(10)), 0);
  ASSERT_EQ(a_->SendTo(s, inet_testing::EchoRequest(2, 2, 8), "10.0.0.2", 0), 16);
  std::vector<uint8_t> got;
  ASSERT_EQ(a_->RecvFrom(s, &got, 2048), 36);
  // Once a lets go of it, setting it again on b retries detection.
  ASSERT_TRUE(a_->inet().DeleteAddress(a_->ifp(), addr).ok());
  ASSERT_TRUE(b_->inet().AddAddress(b_->ifp(), addr, 0, 0).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), abi::kIN_IFF_TENTATIVE);
  EXPECT_TRUE(b_->inet().WaitForDad(b_->ifp(), addr, absl::Seconds(30)).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), 0);
}

TEST_F(DadTest, ProbeFromAnotherStationForTheSameAddressIsAConflict) {
  b_->inet().set_ip_dad_count(1000);  // still probing when the rival probes
  const uint32_t addr = Ip("10.0.0.5");
  ASSERT_TRUE(b_->inet().AddAddress(b_->ifp(), addr, kMask, 0).ok());
  inet::ArpPacket q;
  q.op = inet::kArpOpRequest;
  q.sha = {0x02, 0, 0, 0, 0, 0x55};
  q.spa = 0;
  q.tpa = addr;
  ASSERT_TRUE(watcher_->Send(inet::BuildArpFrame(inet::kBroadcastMac, q.sha, q)).ok());
  EXPECT_EQ(b_->inet().WaitForDad(b_->ifp(), addr, absl::Seconds(30)).code(),
            abi::Errno(abi::kEADDRINUSE).code());
  EXPECT_THAT(b_->kernel().messages(), HasSubstr("(in use by 02:00:00:00:00:55)"));
}

TEST_F(DadTest, DetectionOffMakesAddressesUsableAtOnce) {
  b_->inet().set_ip_dad_count(0);
  const uint32_t addr = Ip("10.0.0.6");
  ASSERT_TRUE(b_->inet().AddAddress(b_->ifp(), addr, kMask, 0).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), 0);
  EXPECT_TRUE(b_->inet().WaitForDad(b_->ifp(), addr, absl::ZeroDuration()).ok());
}

// As NetBSD's in_if_link_up: an interface that comes up has its addresses
// checked again (tentative, probes, then the announcement).
TEST_F(DadTest, ComingUpChecksEveryAddressAgain) {
  const uint32_t addr = b_->addr();
  ASSERT_EQ(Flags(b_->ifp(), addr), 0);
  const uint32_t flags = b_->ifp().flags();
  ASSERT_TRUE(b_->net().SetFlags(b_->ifp(), flags & ~uint32_t(abi::kIFF_UP)).ok());
  ASSERT_TRUE(b_->net().SetFlags(b_->ifp(), flags | abi::kIFF_UP).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), abi::kIN_IFF_TENTATIVE);
  auto is_announcement = [&](const inet::ArpPacket& p) {
    return p.spa == addr && p.tpa == addr;
  };
  ASSERT_TRUE(ReadArpUntil(is_announcement));
  int probes = 0;
  for (const inet::ArpPacket& p : arp_) {
    if (p.op == inet::kArpOpRequest && p.spa == 0 && p.tpa == addr) ++probes;
  }
  EXPECT_EQ(probes, 3);
  EXPECT_TRUE(b_->inet().WaitForDad(b_->ifp(), addr, absl::Seconds(30)).ok());
  EXPECT_EQ(Flags(b_->ifp(), addr), 0);
}

// With detection off, coming up sends nothing (NetBSD 7.99.34 neither): the
// first ARP packet on the bus after b's up is a's request, sent after it.
TEST_F(DadTest, DetectionOffComingUpSendsNothing) {
  b_->inet().set_ip_dad_count(0);
  const uint32_t flags = b_->ifp().flags();
  ASSERT_TRUE(b_->net().SetFlags(b_->ifp(), flags & ~uint32_t(abi::kIFF_UP)).ok());
  ASSERT_TRUE(b_->net().SetFlags(b_->ifp(), flags | abi::kIFF_UP).ok());
  EXPECT_EQ(Flags(b_->ifp(), b_->addr()), 0);
  const int s = a_->Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a_->SendTo(s, {1}, "10.0.0.99", 9), 1);  // a resolves 10.0.0.99
  ASSERT_TRUE(ReadArpUntil([](const inet::ArpPacket& p) { return p.tpa == Ip("10.0.0.99"); }));
  EXPECT_EQ(arp_.size(), 1u) << "b sent ARP when it came up";
}

}  // namespace
}  // namespace rump
