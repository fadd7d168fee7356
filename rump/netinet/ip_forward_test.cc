// Forwarding: kernels in one process on two buses with a router between
// them (a --bus1-- r --bus2-- b). Datagrams and pings cross r with their TTL
// one less; what r cannot forward comes back to the sender as the ICMP
// message NetBSD's ip_forward sends (time exceeded, net unreachable,
// frag-needed with the next hop's MTU, a host redirect), and r's
// net.inet.ip.stats count it.
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "rump/net/testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::EchoRequest;
using inet_testing::Host;
using inet_testing::Ip;
using testing::Eventually;

constexpr int kDgram = abi::kSOCK_DGRAM;
constexpr int kRaw = abi::kSOCK_RAW;
constexpr int kIp = abi::kIPPROTO_IP;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

uint32_t AddrAt(const std::vector<uint8_t>& p, size_t off) {
  uint32_t a;
  std::memcpy(&a, p.data() + off, 4);
  return a;
}

class IpForwardTest : public ::testing::Test {
 protected:
  IpForwardTest() : a_(bus1_, "10.1.0.1"), r_(bus1_, "10.1.0.254"), b_(bus2_, "10.2.0.1") {
    r_leg2_ = r_.AddInterface(bus2_, "10.2.0.254");
    a_.AddRoute("10.2.0.0", "255.255.255.0", "10.1.0.254");
    b_.AddRoute("0.0.0.0", "0.0.0.0", "10.2.0.254");
  }

  // A raw ICMP socket on `h` whose reads wait up to 10 s.
  static int IcmpSocket(Host& h) {
    const int s = h.Socket(kRaw, abi::kIPPROTO_ICMP);
    EXPECT_GE(s, 0);
    EXPECT_EQ(h.SetRecvTimeout(s, absl::Seconds(10)), 0);
    return s;
  }

  // The next ICMP message of `type` on `s` (the whole IP packet; empty on
  // timeout), and its sender.
  static std::vector<uint8_t> NextIcmp(Host& h, int s, int type, uint32_t* from = nullptr) {
    std::vector<uint8_t> got;
    for (;;) {
      got.clear();
      uint32_t f = 0;
      if (h.RecvFrom(s, &got, 2048, &f) < 28) return {};
      if (got[20] == type) {
        if (from != nullptr) *from = f;
        return got;
      }
    }
  }

  uint64_t RStat(int index) { return r_.inet().ip_stats().Get(index); }

  // Sets net.inet.ip.<leaf> on r.
  void SetRSysctl(int leaf, int value) {
    std::string out;
    size_t oldlen = sizeof(int);
    ASSERT_EQ(rump::testing::Sysctl(r_.kernel(), {abi::kCtlNet, abi::kAF_INET, kIp, leaf}, &out,
                                    &oldlen, false, &value, sizeof(value)),
              0);
  }

  inet_testing::ScratchDir dir_;
  const std::string bus1_ = dir_.path() + "/bus1";
  const std::string bus2_ = dir_.path() + "/bus2";
  Host a_, r_, b_;
  std::shared_ptr<Interface> r_leg2_;
};

TEST_F(IpForwardTest, DatagramsAndPingsCrossTheRouter) {
  ASSERT_NE(r_leg2_, nullptr);
  const int sb = b_.Socket(kDgram), sa = a_.Socket(kDgram);
  ASSERT_EQ(b_.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(b_.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  ASSERT_EQ(a_.SetRecvTimeout(sa, absl::Seconds(10)), 0);
  ASSERT_EQ(a_.SendTo(sa, Bytes("across"), "10.2.0.1", 5000), 6);
  std::vector<uint8_t> got;
  uint32_t from = 0;
  uint16_t port = 0;
  ASSERT_EQ(b_.RecvFrom(sb, &got, 100, &from, &port), 6);
  EXPECT_EQ(got, Bytes("across"));
  EXPECT_EQ(from, Ip("10.1.0.1"));  // the router does not rewrite the source
  ASSERT_EQ(b_.SendTo(sb, Bytes("back"), "10.1.0.1", port), 4);
  got.clear();
  ASSERT_EQ(a_.RecvFrom(sa, &got, 100, &from), 4);
  EXPECT_EQ(got, Bytes("back"));
  EXPECT_EQ(from, Ip("10.2.0.1"));

  // A ping: b answers with TTL 255, and r takes one off on the way back.
  const int icmp = IcmpSocket(a_);
  const std::vector<uint8_t> echo = EchoRequest(0x4242, 1, 32);
  ASSERT_EQ(a_.SendTo(icmp, echo, "10.2.0.1", 0), int64_t(echo.size()));
  got = NextIcmp(a_, icmp, abi::kICMP_ECHOREPLY, &from);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(from, Ip("10.2.0.1"));
  EXPECT_EQ(got[8], abi::kMAXTTL - 1);
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatForward) == 4; }))
      << RStat(abi::kIpStatForward);
  EXPECT_EQ(RStat(abi::kIpStatCantforward), 0u);
}

TEST_F(IpForwardTest, TtlRunningOutAtTheRouterIsTimeExceededFromIt) {
  const int sb = b_.Socket(kDgram), sa = a_.Socket(kDgram);
  ASSERT_EQ(b_.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(b_.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  const int icmp = IcmpSocket(a_);
  ASSERT_EQ(a_.SetInt(sa, kIp, abi::kIP_TTL, 1), 0);
  ASSERT_EQ(a_.SendTo(sa, Bytes("ttl1"), "10.2.0.1", 5000), 4);
  uint32_t from = 0;
  std::vector<uint8_t> got = NextIcmp(a_, icmp, abi::kICMP_TIMXCEED, &from);
  ASSERT_GE(got.size(), 56u);
  EXPECT_EQ(from, Ip("10.1.0.254"));
  EXPECT_EQ(got[21], abi::kICMP_TIMXCEED_INTRANS);
  EXPECT_EQ(AddrAt(got, 28 + 16), Ip("10.2.0.1"));  // the quoted packet's destination
  // With one more hop to spare it arrives (TTL 1 at b).
  ASSERT_EQ(a_.SetInt(sa, kIp, abi::kIP_TTL, 2), 0);
  ASSERT_EQ(a_.SendTo(sa, Bytes("ttl2"), "10.2.0.1", 5000), 4);
  got.clear();
  ASSERT_EQ(b_.RecvFrom(sb, &got, 100), 4);
  EXPECT_EQ(got, Bytes("ttl2"));
  EXPECT_EQ(b_.inet().udp_stats().Get(abi::kUdpStatIpackets), 1u);  // not "ttl1"
}

TEST_F(IpForwardTest, NoRouteAtTheRouterIsNetUnreachableAndAConnectedSocketHearsIt) {
  a_.AddRoute("10.3.0.0", "255.255.0.0", "10.1.0.254");  // r has no route there
  const int icmp = IcmpSocket(a_);
  const int s = a_.Socket(kDgram);
  ASSERT_EQ(a_.Connect(s, "10.3.0.1", 5000), 0);
  ASSERT_EQ(a_.Send(s, Bytes("nowhere")), 7);
  uint32_t from = 0;
  std::vector<uint8_t> got = NextIcmp(a_, icmp, abi::kICMP_UNREACH, &from);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(from, Ip("10.1.0.254"));
  EXPECT_EQ(got[21], abi::kICMP_UNREACH_NET);
  int err = 0;
  ASSERT_TRUE(Eventually([&] {
    a_.GetInt(s, abi::kSOL_SOCKET, abi::kSO_ERROR, &err);
    return err != 0;
  }));
  EXPECT_EQ(err, abi::kEHOSTUNREACH);
}

TEST_F(IpForwardTest, TooBigForTheNextHopIsFragmentedOrWithDfAnsweredWithItsMtu) {
  ASSERT_NE(r_leg2_, nullptr);
  // The router's second leg gets an MTU of 1000.
  const int rs = r_.Socket(kDgram);
  rump::testing::Buf ifr = rump::testing::Ifreq(std::string(r_leg2_->name()));
  ifr.Set<int32_t>(abi::kIfrMtuOff, 1000);
  ASSERT_EQ(rump::testing::Ioctl(r_.kernel(), rs, abi::kSIOCSIFMTU, ifr), 0);

  const int sb = b_.Socket(kDgram), sa = a_.Socket(kDgram);
  ASSERT_EQ(b_.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(b_.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  // Without DF: r cuts it up, b puts it together.
  std::vector<uint8_t> big(1400);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i * 7);
  ASSERT_EQ(a_.SendTo(sa, big, "10.2.0.1", 5000), 1400);
  std::vector<uint8_t> got;
  ASSERT_EQ(b_.RecvFrom(sb, &got, 2000), 1400);
  EXPECT_EQ(got, big);
  EXPECT_EQ(RStat(abi::kIpStatFragmented), 1u);
  EXPECT_EQ(RStat(abi::kIpStatOfragments), 2u);

  // With DF (a header of our own: IP_HDRINCL, ip_len and ip_off in host
  // order): frag-needed, naming 1000.
  const int icmp = IcmpSocket(a_);
  const int raw = a_.Socket(kRaw, abi::kIPPROTO_UDP);
  ASSERT_GE(raw, 0);
  ASSERT_EQ(a_.SetInt(raw, kIp, abi::kIP_HDRINCL, 1), 0);
  std::vector<uint8_t> pkt(20 + 8 + 1400, 0);
  pkt[0] = 0x45;
  const uint16_t len = uint16_t(pkt.size()), off = abi::kIP_DF;
  std::memcpy(&pkt[2], &len, 2);
  std::memcpy(&pkt[6], &off, 2);
  pkt[8] = 64;
  pkt[9] = abi::kIPPROTO_UDP;
  inet::PutAddr(&pkt[12], Ip("10.1.0.1"));
  inet::PutAddr(&pkt[16], Ip("10.2.0.1"));
  inet::Put16(&pkt[20], 5001);
  inet::Put16(&pkt[22], 5000);
  inet::Put16(&pkt[24], uint16_t(8 + 1400));  // UDP checksum 0: none
  ASSERT_EQ(a_.SendTo(raw, pkt, "10.2.0.1", 0), int64_t(pkt.size()));
  uint32_t from = 0;
  got = NextIcmp(a_, icmp, abi::kICMP_UNREACH, &from);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(from, Ip("10.1.0.254"));
  EXPECT_EQ(got[21], abi::kICMP_UNREACH_NEEDFRAG);
  EXPECT_EQ(inet::Get16(&got[26]), 1000);
  EXPECT_EQ(RStat(abi::kIpStatCantfrag), 1u);
  EXPECT_EQ(RStat(abi::kIpStatCantforward), 1u);
}

TEST_F(IpForwardTest, ASenderThatCouldReachTheNextHopGetsAHostRedirect) {
  // c, on a's bus, is the way to 10.5.0.0/24; a sends there through r.
  Host c(bus1_, "10.1.0.3");
  r_.AddRoute("10.5.0.0", "255.255.255.0", "10.1.0.3");
  a_.AddRoute("10.5.0.0", "255.255.255.0", "10.1.0.254");
  const int icmp = IcmpSocket(a_);
  const int s = a_.Socket(kDgram);
  ASSERT_EQ(a_.SendTo(s, Bytes("via c"), "10.5.0.9", 5000), 5);
  uint32_t from = 0;
  std::vector<uint8_t> got = NextIcmp(a_, icmp, abi::kICMP_REDIRECT, &from);
  ASSERT_GE(got.size(), 56u);
  EXPECT_EQ(from, Ip("10.1.0.254"));
  EXPECT_EQ(got[21], abi::kICMP_REDIRECT_HOST);
  EXPECT_EQ(AddrAt(got, 24), Ip("10.1.0.3"));       // the better gateway
  EXPECT_EQ(AddrAt(got, 28 + 16), Ip("10.5.0.9"));  // about this destination
  EXPECT_EQ(RStat(abi::kIpStatRedirectsent), 1u);
  // The packet went on to c all the same.
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatForward) == 1; }));
  // a acted on it (redirect_test.cc has the details): a host route
  // through c.
  EXPECT_EQ(a_.inet().routes().Lookup(Ip("10.5.0.9"))->gateway, Ip("10.1.0.3"));
  // With net.inet.ip.redirect off, no redirect (to another host of that
  // network, which a still sends through r).
  SetRSysctl(abi::kIpctlSendredirects, 0);
  ASSERT_EQ(a_.SendTo(s, Bytes("via c"), "10.5.0.10", 5000), 5);
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatForward) == 2; }));
  EXPECT_EQ(RStat(abi::kIpStatRedirectsent), 1u);
}

TEST_F(IpForwardTest, NothingCrossesWithForwardingOff) {
  SetRSysctl(abi::kIpctlForwarding, 0);
  const int sb = b_.Socket(kDgram), sa = a_.Socket(kDgram);
  ASSERT_EQ(b_.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(a_.SendTo(sa, Bytes("stop"), "10.2.0.1", 5000), 4);
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatCantforward) == 1; }));
  // TTL 1 is not answered either: a host does not route.
  const int icmp = IcmpSocket(a_);
  ASSERT_EQ(a_.SetInt(sa, kIp, abi::kIP_TTL, 1), 0);
  ASSERT_EQ(a_.SendTo(sa, Bytes("ttl1"), "10.2.0.1", 5000), 4);
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatCantforward) == 2; }));
  std::vector<uint8_t> got;
  EXPECT_EQ(a_.RecvFrom(icmp, &got, 2048, nullptr, nullptr, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
  EXPECT_EQ(RStat(abi::kIpStatForward), 0u);
  EXPECT_EQ(b_.inet().udp_stats().Get(abi::kUdpStatIpackets), 0u);
  EXPECT_EQ(r_.inet().icmp_stats().outhist.Get(abi::kICMP_TIMXCEED), 0u);
}

TEST_F(IpForwardTest, NetworkZeroDestinationsAreNeverForwarded) {
  // in_canforward: a (mis)routed packet for 0.1.2.3 stops at r, unanswered.
  a_.AddRoute("0.1.2.3", "255.255.255.255", "10.1.0.254");
  const int sa = a_.Socket(kDgram);
  ASSERT_EQ(a_.SendTo(sa, Bytes("zero"), "0.1.2.3", 5000), 4);
  EXPECT_TRUE(Eventually([&] { return RStat(abi::kIpStatCantforward) == 1; }));
  EXPECT_EQ(RStat(abi::kIpStatForward), 0u);
}

}  // namespace
}  // namespace rump
