// Malformed frames injected raw onto the bus (a plain shmif::Bus attachment
// beside the kernels): truncated headers, bad checksums, bogus lengths,
// fragment overlaps, ARP for other hosts, loopback addresses on the wire,
// random garbage. Each is counted and dropped, and the kernel keeps
// working: a ping afterwards is answered.
#include <atomic>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "tests/support/eventually.h"
#include "shmif/bus.h"

namespace rump {
namespace {

using inet::Put16;
using ::testing::HasSubstr;
using inet_testing::EchoRequest;
using testing::Eventually;
using inet_testing::Host;
using inet_testing::Ip;

const inet::MacAddress kEvilMac = {0x02, 0, 0, 0, 0, 0x99};

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_path_ = dir_.path() + "/bus";
    a_ = std::make_unique<Host>(bus_path_, "10.0.0.1");
    b_ = std::make_unique<Host>(bus_path_, "10.0.0.2");
    auto bus = shmif::Bus::Attach(bus_path_);
    ASSERT_TRUE(bus.ok()) << bus.status();
    bus_ = std::move(*bus);
    std::copy(b_->ifp().lladdr().begin(), b_->ifp().lladdr().end(), b_mac_.begin());
  }

  // An Ethernet frame to b carrying `payload` of `type`.
  std::vector<uint8_t> Frame(uint16_t type, const std::vector<uint8_t>& payload,
                             const inet::MacAddress* dst = nullptr) {
    std::vector<uint8_t> f(14 + payload.size());
    inet::WriteEtherHeader(f.data(), dst ? *dst : b_mac_, kEvilMac, type);
    std::copy(payload.begin(), payload.end(), f.begin() + 14);
    return f;
  }
  void SendIp(const std::vector<uint8_t>& packet) {
    ASSERT_TRUE(bus_->Send(Frame(inet::kEtherTypeIp, packet)).ok());
  }
  // A valid IPv4 packet from 10.0.0.99 to b.
  static std::vector<uint8_t> Ipv4(uint8_t proto, const std::vector<uint8_t>& payload,
                                   uint16_t off = 0, uint16_t id = 1,
                                   uint32_t src = Ip("10.0.0.99")) {
    std::vector<uint8_t> p(20 + payload.size());
    inet::IpHeader h;
    h.total_len = uint16_t(p.size());
    h.id = id;
    h.off = off;
    h.ttl = 64;
    h.proto = proto;
    h.src = src;
    h.dst = Ip("10.0.0.2");
    inet::WriteIpHeader(h, p.data());
    std::copy(payload.begin(), payload.end(), p.begin() + 20);
    return p;
  }
  static std::vector<uint8_t> Udp(uint16_t dport, const std::vector<uint8_t>& data,
                                  bool good_sum = true) {
    std::vector<uint8_t> s(8 + data.size());
    Put16(s.data(), 1234);
    Put16(s.data() + 2, dport);
    Put16(s.data() + 4, uint16_t(s.size()));
    std::copy(data.begin(), data.end(), s.begin() + 8);
    uint16_t c = inet::UdpChecksum(Ip("10.0.0.99"), Ip("10.0.0.2"), s);
    Put16(s.data() + 6, good_sum ? c : uint16_t(c ^ 0x5555));
    return s;
  }
  // Pings b from a and waits for the answer: every frame sent before has
  // been handled by then.
  void ExpectPingWorks() {
    const int s = a_->Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP);
    ASSERT_GE(s, 0);
    ASSERT_EQ(a_->SetRecvTimeout(s, absl::Seconds(10)), 0);
    ASSERT_EQ(a_->SendTo(s, EchoRequest(9, 9, 8), "10.0.0.2", 0), 16);
    std::vector<uint8_t> got;
    ASSERT_EQ(a_->RecvFrom(s, &got, 2048), 36);
    EXPECT_EQ(got[20], abi::kICMP_ECHOREPLY);
    a_->Close(s);
  }
  uint64_t IpStat(int i) { return b_->inet().ip_stats().Get(i); }

  inet_testing::ScratchDir dir_;  // removed last
  std::string bus_path_;
  std::unique_ptr<Host> a_, b_;
  std::unique_ptr<shmif::Bus> bus_;
  inet::MacAddress b_mac_{};
};

TEST_F(MalformedTest, BadIpHeadersAreCountedAndDropped) {
  ExpectPingWorks();  // ARP settled
  const auto good = Ipv4(abi::kIPPROTO_UDP, Udp(5, {1, 2, 3}));
  SendIp({0x45, 0, 0, 20, 0, 0});                    // too small
  auto v6 = good;
  v6[0] = 0x65;
  inet::SetIpChecksum(v6.data(), 20);
  SendIp(v6);                                        // bad version
  auto hl4 = good;
  hl4[0] = 0x44;
  SendIp(hl4);                                       // ip_hl < 5
  auto hl15 = good;
  hl15[0] = 0x4f;
  SendIp(hl15);                                      // ip_hl beyond the packet
  auto sum = good;
  sum[10] ^= 0xff;
  SendIp(sum);                                       // bad checksum
  auto small = good;
  Put16(small.data() + 2, 12);
  inet::SetIpChecksum(small.data(), 20);
  SendIp(small);                                     // ip_len < header
  auto big = good;
  Put16(big.data() + 2, 1400);
  inet::SetIpChecksum(big.data(), 20);
  SendIp(big);                                       // ip_len beyond the frame
  auto lo = Ipv4(abi::kIPPROTO_UDP, Udp(5, {1}), 0, 1, Ip("127.0.0.1"));
  SendIp(lo);                                        // loopback source on the wire
  // A runt cannot cross the bus (the driver refuses it); hand it over.
  const uint64_t ierr = b_->ifp().stats().ierrors;
  const uint8_t runt[10] = {};
  b_->ifp().Input(runt);
  EXPECT_EQ(b_->ifp().stats().ierrors, ierr + 1);
  ExpectPingWorks();
  EXPECT_EQ(IpStat(abi::kIpStatToosmall), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatBadvers), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatBadhlen), 2u);
  EXPECT_EQ(IpStat(abi::kIpStatBadsum), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatBadlen), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatTooshort), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatBadaddr), 1u);
}

TEST_F(MalformedTest, BadUdpAndIcmpAreCounted) {
  const int s = b_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(b_->Bind(s, "0.0.0.0", 5555), 0);
  ExpectPingWorks();
  SendIp(Ipv4(abi::kIPPROTO_UDP, {0x12, 0x34, 0x15}));            // header cut
  SendIp(Ipv4(abi::kIPPROTO_UDP, Udp(5555, {1, 2, 3}, false)));   // bad checksum
  auto longer = Udp(5555, {1, 2, 3});
  Put16(longer.data() + 4, 200);                                  // uh_ulen too big
  SendIp(Ipv4(abi::kIPPROTO_UDP, longer));
  auto shorter = Udp(5555, {1, 2, 3});
  Put16(shorter.data() + 4, 4);                                   // uh_ulen < 8
  SendIp(Ipv4(abi::kIPPROTO_UDP, shorter));
  SendIp(Ipv4(abi::kIPPROTO_ICMP, {8, 0, 0}));                    // ICMP too short
  auto echo = EchoRequest(1, 1, 4);
  echo[2] ^= 1;
  SendIp(Ipv4(abi::kIPPROTO_ICMP, echo));                         // ICMP bad checksum
  std::vector<uint8_t> unreach(8 + 10, 0);                        // quoted header cut
  unreach[0] = abi::kICMP_UNREACH;
  unreach[1] = abi::kICMP_UNREACH_PORT;
  unreach[8] = 0x45;
  Put16(unreach.data() + 2, inet::InetChecksum(unreach));
  SendIp(Ipv4(abi::kIPPROTO_ICMP, unreach));
  std::vector<uint8_t> bad_inner(8 + 28, 0);                      // inner ip_hl 60
  bad_inner[0] = abi::kICMP_UNREACH;
  bad_inner[1] = abi::kICMP_UNREACH_PORT;
  bad_inner[8] = 0x4f;
  Put16(bad_inner.data() + 2, inet::InetChecksum(bad_inner));
  SendIp(Ipv4(abi::kIPPROTO_ICMP, bad_inner));
  ExpectPingWorks();
  const auto& udp = b_->inet().udp_stats();
  EXPECT_EQ(udp.Get(abi::kUdpStatHdrops), 1u);
  EXPECT_EQ(udp.Get(abi::kUdpStatBadsum), 1u);
  EXPECT_EQ(udp.Get(abi::kUdpStatBadlen), 2u);
  const auto& icmp = b_->inet().icmp_stats();
  EXPECT_EQ(icmp.c.Get(inet::kIcmpTooShort), 1u);
  EXPECT_EQ(icmp.c.Get(inet::kIcmpChecksum), 1u);
  EXPECT_EQ(icmp.c.Get(inet::kIcmpBadLen), 2u);
  std::vector<uint8_t> got;
  EXPECT_EQ(b_->RecvFrom(s, &got, 100, nullptr, nullptr, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
}

TEST_F(MalformedTest, OverlappingAndBogusFragments) {
  const int s = b_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(b_->Bind(s, "0.0.0.0", 6666), 0);
  ASSERT_EQ(b_->SetRecvTimeout(s, absl::Seconds(10)), 0);
  ExpectPingWorks();
  // A 40-byte datagram (8 UDP + 32 data) in overlapping pieces:
  // [0,16) MF, [8,32) MF, [16,40).
  std::vector<uint8_t> data(32);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(100 + i);
  const auto seg = Udp(6666, data);
  auto piece = [&](size_t from, size_t to, bool more) {
    std::vector<uint8_t> p(seg.begin() + from, seg.begin() + to);
    return Ipv4(abi::kIPPROTO_UDP, p, uint16_t(from / 8 | (more ? abi::kIP_MF : 0)), 77);
  };
  SendIp(piece(8, 32, true));
  SendIp(piece(0, 16, true));
  SendIp(piece(16, 40, false));
  std::vector<uint8_t> got;
  ASSERT_EQ(b_->RecvFrom(s, &got, 100), 32);
  EXPECT_EQ(got, data);
  // Overlap with different bytes: the first copy wins, the checksum then
  // fails, and the datagram is dropped, not delivered altered.
  auto evil = piece(8, 32, true);
  std::fill(evil.begin() + 20, evil.end(), 0xee);
  inet::SetIpChecksum(evil.data(), 20);
  Put16(evil.data() + 4, 78);
  inet::SetIpChecksum(evil.data(), 20);
  auto first = piece(0, 16, true), last = piece(16, 40, false);
  Put16(first.data() + 4, 78);
  inet::SetIpChecksum(first.data(), 20);
  Put16(last.data() + 4, 78);
  inet::SetIpChecksum(last.data(), 20);
  SendIp(first);
  SendIp(evil);
  SendIp(last);
  // A fragment reaching past 65535 bytes, and an odd-sized middle one.
  SendIp(Ipv4(abi::kIPPROTO_UDP, std::vector<uint8_t>(64, 1), 0x1fff, 79));
  SendIp(Ipv4(abi::kIPPROTO_UDP, std::vector<uint8_t>(13, 1), abi::kIP_MF, 80));
  ExpectPingWorks();
  EXPECT_EQ(IpStat(abi::kIpStatReassembled), 2u);
  EXPECT_EQ(b_->inet().udp_stats().Get(abi::kUdpStatBadsum), 1u);
  EXPECT_EQ(IpStat(abi::kIpStatBadfrags), 2u);
  EXPECT_EQ(b_->RecvFrom(s, &got, 100, nullptr, nullptr, abi::kMSG_DONTWAIT), -abi::kEAGAIN);
}

TEST_F(MalformedTest, ArpForOtherHostsAndBrokenArp) {
  ExpectPingWorks();
  const auto& st = b_->inet().arp_stats();
  const uint64_t replies = st.Get(inet::kArpSndReply);
  auto arp = [&](uint16_t op, uint32_t spa, uint32_t tpa, const inet::MacAddress& sha,
                 const inet::MacAddress& dst = inet::kBroadcastMac) {
    inet::ArpPacket p;
    p.op = op;
    p.sha = sha;
    p.spa = spa;
    p.tpa = tpa;
    return inet::BuildArpFrame(dst, kEvilMac, p);
  };
  // Requests and replies about other hosts: no answer, no entry.
  ASSERT_TRUE(bus_->Send(arp(inet::kArpOpRequest, Ip("10.0.0.99"), Ip("10.0.0.50"), kEvilMac)).ok());
  ASSERT_TRUE(bus_->Send(arp(inet::kArpOpReply, Ip("10.0.0.98"), Ip("10.0.0.51"), kEvilMac)).ok());
  // Someone claiming b's own address, told to b only (a, which knows b,
  // would take it as news about b, as ARP does everywhere): b logs the
  // conflict and defends its address with a reply, as NetBSD does.
  ASSERT_TRUE(
      bus_->Send(arp(inet::kArpOpRequest, Ip("10.0.0.2"), Ip("10.0.0.2"), kEvilMac, b_mac_)).ok());
  // A broadcast sender address.
  ASSERT_TRUE(
      bus_->Send(arp(inet::kArpOpRequest, Ip("10.0.0.97"), Ip("10.0.0.2"), inet::kBroadcastMac))
          .ok());
  // Truncated, wrong hardware, wrong protocol.
  auto f = arp(inet::kArpOpRequest, Ip("10.0.0.99"), Ip("10.0.0.2"), kEvilMac);
  ASSERT_TRUE(bus_->Send(absl::MakeSpan(f).subspan(0, 14 + 20)).ok());
  auto hw = f;
  hw[14 + 1] = 6;
  ASSERT_TRUE(bus_->Send(hw).ok());
  auto pro = f;
  pro[14 + 5] = 16;
  ASSERT_TRUE(bus_->Send(pro).ok());
  ExpectPingWorks();
  EXPECT_EQ(st.Get(inet::kArpRcvOtherHost), 2u);
  EXPECT_EQ(st.Get(inet::kArpRcvLocalSpa), 1u);
  EXPECT_EQ(st.Get(inet::kArpRcvBcastSha), 1u);
  EXPECT_EQ(st.Get(inet::kArpRcvBadLen), 1u);
  EXPECT_EQ(st.Get(inet::kArpRcvBadProto), 2u);
  // None of those answered but the defence of 10.0.0.2.
  ASSERT_TRUE(Eventually([&] { return st.Get(inet::kArpSndReply) == replies + 1; }));
  EXPECT_EQ(st.Get(inet::kArpSndReply), replies + 1);
  EXPECT_THAT(b_->kernel().messages(),
              HasSubstr("shmif0: duplicate IP address 10.0.0.2 sent from link address "
                        "02:00:00:00:00:99"));
  auto cache = b_->inet().arp_cache(b_->ifp().index());
  EXPECT_FALSE(cache->Lookup(Ip("10.0.0.99"), absl::Now()).has_value());
  EXPECT_FALSE(cache->Lookup(Ip("10.0.0.97"), absl::Now()).has_value());
  // A request for b from a new host is answered and learnt.
  ASSERT_TRUE(bus_->Send(f).ok());
  ASSERT_TRUE(Eventually([&] { return st.Get(inet::kArpSndReply) == replies + 2; }));
  EXPECT_TRUE(cache->Lookup(Ip("10.0.0.99"), absl::Now()).has_value());
}

TEST_F(MalformedTest, IpOptionsAreSkipped) {
  const int s = b_->Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(b_->Bind(s, "0.0.0.0", 5656), 0);
  ASSERT_EQ(b_->SetRecvTimeout(s, absl::Seconds(10)), 0);
  ExpectPingWorks();
  // 8 bytes of options (NOP, NOP, a bogus option claiming 200 bytes, junk):
  // ignored, the datagram delivered.
  const std::vector<uint8_t> data = {'o', 'p', 't', 's'};
  auto plain = Ipv4(abi::kIPPROTO_UDP, Udp(5656, data));
  std::vector<uint8_t> p(plain.begin(), plain.begin() + 20);
  const uint8_t opts[8] = {1, 1, 0x44, 200, 0xff, 0xfe, 0, 0};
  p.insert(p.end(), opts, opts + 8);
  p.insert(p.end(), plain.begin() + 20, plain.end());
  p[0] = 0x47;
  Put16(p.data() + 2, uint16_t(p.size()));
  inet::SetIpChecksum(p.data(), 28);
  SendIp(p);
  std::vector<uint8_t> got;
  ASSERT_EQ(b_->RecvFrom(s, &got, 100), 4);
  EXPECT_EQ(got, data);
}

TEST_F(MalformedTest, IcmpErrorsAreRateLimited) {
  ExpectPingWorks();
  // 300 datagrams to a closed port as fast as the bus takes them: at most
  // icmperrppslim (100) port unreachables a second come back.
  const absl::Time start = absl::Now();
  for (int i = 0; i < 300; ++i) SendIp(Ipv4(abi::kIPPROTO_UDP, Udp(5999, {1}), 0, uint16_t(i)));
  ExpectPingWorks();
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  const auto& icmp = b_->inet().icmp_stats();
  const uint64_t sent = icmp.outhist.Get(abi::kICMP_UNREACH);
  EXPECT_EQ(b_->inet().udp_stats().Get(abi::kUdpStatNoport), 300u);
  EXPECT_EQ(sent + icmp.c.Get(inet::kIcmpRateLimited), 300u);
  EXPECT_LE(sent, uint64_t(100 * (int(secs) + 2)));
  if (secs < 0.9) {
    EXPECT_LE(sent, 200u);  // at most two one-second windows touched
  }
}

TEST_F(MalformedTest, RandomGarbageNeverHurts) {
  ExpectPingWorks();
  std::mt19937 rng(2024);
  const auto good = Ipv4(abi::kIPPROTO_UDP, Udp(5, std::vector<uint8_t>(40, 7)));
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> payload;
    const uint16_t type = (i % 3 == 0) ? inet::kEtherTypeArp : inet::kEtherTypeIp;
    if (i % 2 == 0) {
      // A valid packet with a few bytes flipped (checksum fixed half the time).
      payload = good;
      if (type == inet::kEtherTypeArp) {
        const auto f = inet::BuildArpFrame(inet::kBroadcastMac, kEvilMac, inet::ArpPacket{});
        payload.assign(f.begin() + 14, f.end());
      }
      for (int k = 0; k < 3; ++k) payload[rng() % payload.size()] = uint8_t(rng());
      if (type == inet::kEtherTypeIp && rng() % 2 && payload.size() >= 20 &&
          (payload[0] & 0xf) * 4 <= int(payload.size())) {
        inet::SetIpChecksum(payload.data(), size_t(payload[0] & 0xf) * 4);
      }
      if (rng() % 4 == 0) payload.resize(rng() % payload.size());
    } else {
      payload.resize(rng() % 1500);
      for (auto& x : payload) x = uint8_t(rng());
      if (type == inet::kEtherTypeIp && payload.size() > 0) payload[0] = 0x45;
    }
    ASSERT_TRUE(bus_->Send(Frame(type, payload)).ok());
    if (i % 500 == 499) ExpectPingWorks();  // keep the ring from lapping b
  }
  ExpectPingWorks();
  EXPECT_GT(IpStat(abi::kIpStatTotal), 1000u);
}

}  // namespace
}  // namespace rump
