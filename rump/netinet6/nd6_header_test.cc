// ND messages: vectors tcpdump -vv decodes with "icmp6 sum ok", round
// trips of every message type and option, RFC 4861's validity checks,
// option length 0 (4.6), and random bytes.
#include "rump/netinet6/nd6_header.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "rump/abi/in6.h"
#include "rump/netinet6/ip6_header.h"

namespace rump::inet6 {
namespace {

In6Address A(const char* s) { return In6Address::Parse(s).value(); }

std::vector<uint8_t> Hex(const char* hex) {
  const std::string b = absl::HexStringToBytes(hex);
  return std::vector<uint8_t>(b.begin(), b.end());
}

// fe80::1 -> ff02::1:ff00:2, who has fe80::2, source 02:00:00:00:00:01.
const char kNs[] = "87007a9700000000fe8000000000000000000000000000020101020000000001";
// fe80::2 -> fe80::1, solicited and override, target 02:00:00:00:00:02.
const char kNa[] = "8800181a60000000fe8000000000000000000000000000020201020000000002";

TEST(NdHeaderTest, KnownNeighborSolicitation) {
  const std::vector<uint8_t> ns = Hex(kNs);
  absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::1"), A("ff02::1:ff00:2"), 255, ns);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, abi::kND_NEIGHBOR_SOLICIT);
  EXPECT_EQ(m->target, A("fe80::2"));
  ASSERT_TRUE(m->options.source_lla.has_value());
  EXPECT_EQ(*m->options.source_lla, (MacAddress{2, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(m->options.target_lla.has_value());
  NdMessage b;
  b.type = abi::kND_NEIGHBOR_SOLICIT;
  b.target = A("fe80::2");
  b.options.source_lla = MacAddress{2, 0, 0, 0, 0, 1};
  EXPECT_EQ(BuildNdMessage(b, A("fe80::1"), A("ff02::1:ff00:2")), ns);
}

TEST(NdHeaderTest, KnownNeighborAdvertisement) {
  const std::vector<uint8_t> na = Hex(kNa);
  absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::2"), A("fe80::1"), 255, na);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->type, abi::kND_NEIGHBOR_ADVERT);
  EXPECT_FALSE(m->router);
  EXPECT_TRUE(m->solicited);
  EXPECT_TRUE(m->override_flag);
  EXPECT_EQ(*m->options.target_lla, (MacAddress{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(BuildNdMessage(*m, A("fe80::2"), A("fe80::1")), na);
  EXPECT_EQ(UpperLayerChecksum(A("fe80::2"), A("fe80::1"), 58, na), 0);
}

TEST(NdHeaderTest, RouterAdvertisementRoundTrip) {
  NdMessage ra;
  ra.type = abi::kND_ROUTER_ADVERT;
  ra.cur_hop_limit = 64;
  ra.managed = true;
  ra.router_lifetime = 1800;
  ra.reachable_time = 30000;
  ra.retrans_timer = 1000;
  ra.options.source_lla = MacAddress{2, 0, 0, 0, 0, 0xfe};
  ra.options.mtu = 1500;
  NdPrefixInfo pi;
  pi.prefix_len = 64;
  pi.on_link = true;
  pi.autonomous = true;
  pi.valid_lifetime = 2592000;
  pi.preferred_lifetime = 604800;
  pi.prefix = A("2001:db8:1::");
  ra.options.prefixes = {pi, pi};
  ra.options.prefixes[1].prefix = A("2001:db8:2::");
  ra.options.prefixes[1].autonomous = false;
  const std::vector<uint8_t> b = BuildNdMessage(ra, A("fe80::fe"), kIn6AllNodes);
  EXPECT_EQ(b.size(), 16u + 8 + 32 + 32 + 8);
  EXPECT_EQ(UpperLayerChecksum(A("fe80::fe"), kIn6AllNodes, 58, b), 0);
  absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::fe"), kIn6AllNodes, 255, b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->cur_hop_limit, 64);
  EXPECT_TRUE(m->managed);
  EXPECT_FALSE(m->other);
  EXPECT_EQ(m->router_lifetime, 1800);
  EXPECT_EQ(m->reachable_time, 30000u);
  EXPECT_EQ(m->retrans_timer, 1000u);
  EXPECT_EQ(m->options.source_lla, ra.options.source_lla);
  EXPECT_EQ(m->options.mtu, 1500u);
  EXPECT_EQ(m->options.prefixes, ra.options.prefixes);
}

TEST(NdHeaderTest, RouterSolicitationAndRedirectRoundTrip) {
  NdMessage rs;
  rs.type = abi::kND_ROUTER_SOLICIT;
  rs.options.source_lla = MacAddress{2, 0, 0, 0, 0, 1};
  std::vector<uint8_t> b = BuildNdMessage(rs, A("fe80::1"), kIn6AllRouters);
  EXPECT_EQ(b.size(), 16u);
  absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::1"), kIn6AllRouters, 255, b);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->options.source_lla, rs.options.source_lla);

  NdMessage rd;
  rd.type = abi::kND_REDIRECT;
  rd.target = A("fe80::99");
  rd.destination = A("2001:db8:5::1");
  rd.options.target_lla = MacAddress{2, 0, 0, 0, 0, 0x99};
  rd.options.redirected = std::vector<uint8_t>(48, 0xab);
  b = BuildNdMessage(rd, A("fe80::fe"), A("fe80::1"));
  EXPECT_EQ(b.size(), 40u + 8 + 56);
  m = ParseNdMessage(A("fe80::fe"), A("fe80::1"), 255, b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->target, rd.target);
  EXPECT_EQ(m->destination, rd.destination);
  EXPECT_EQ(m->options.target_lla, rd.options.target_lla);
  EXPECT_EQ(m->options.redirected, rd.options.redirected);
  // A large redirected packet is cut to keep the message within 1280
  // bytes of IPv6 packet.
  rd.options.redirected = std::vector<uint8_t>(3000, 1);
  b = BuildNdMessage(rd, A("fe80::fe"), A("fe80::1"));
  EXPECT_LE(b.size() + 40, 1280u);
  EXPECT_GT(b.size() + 40, 1280u - 8);
  EXPECT_TRUE(ParseNdMessage(A("fe80::fe"), A("fe80::1"), 255, b).ok());
}

TEST(NdHeaderTest, ValidityChecks) {
  const std::vector<uint8_t> ns = Hex(kNs);
  const In6Address ll = A("fe80::1"), group = A("ff02::1:ff00:2");
  EXPECT_FALSE(ParseNdMessage(ll, group, 254, ns).ok());  // hop limit
  std::vector<uint8_t> bad = ns;
  bad[1] = 1;
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, bad).ok());  // code
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, absl::MakeConstSpan(ns).first(23)).ok());
  // Option length 0 invalidates the whole message (RFC 4861 4.6).
  bad = ns;
  bad[25] = 0;
  absl::StatusOr<NdMessage> m = ParseNdMessage(ll, group, 255, bad);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  // An option past the end, or cut in its type and length.
  bad = ns;
  bad[25] = 2;
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, bad).ok());
  bad = ns;
  bad.push_back(1);
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, bad).ok());
  // NS: a multicast target; from :: to a non solicited-node address, or
  // with a source link-layer address.
  NdMessage s;
  s.type = abi::kND_NEIGHBOR_SOLICIT;
  s.target = A("ff02::1");
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, BuildNdMessage(s, ll, group)).ok());
  s.target = A("fe80::2");
  EXPECT_TRUE(ParseNdMessage(In6Address(), group, 255, BuildNdMessage(s, In6Address(), group)).ok());
  EXPECT_FALSE(
      ParseNdMessage(In6Address(), A("fe80::2"), 255, BuildNdMessage(s, In6Address(), A("fe80::2")))
          .ok());
  s.options.source_lla = MacAddress{2, 0, 0, 0, 0, 1};
  EXPECT_FALSE(ParseNdMessage(In6Address(), group, 255, BuildNdMessage(s, In6Address(), group)).ok());
  // NA: solicited to a group.
  NdMessage a;
  a.type = abi::kND_NEIGHBOR_ADVERT;
  a.target = A("fe80::2");
  a.solicited = true;
  EXPECT_FALSE(ParseNdMessage(ll, kIn6AllNodes, 255, BuildNdMessage(a, ll, kIn6AllNodes)).ok());
  a.solicited = false;
  EXPECT_TRUE(ParseNdMessage(ll, kIn6AllNodes, 255, BuildNdMessage(a, ll, kIn6AllNodes)).ok());
  // RA and Redirect only from link-local sources.
  NdMessage ra;
  ra.type = abi::kND_ROUTER_ADVERT;
  EXPECT_FALSE(ParseNdMessage(A("2001:db8::1"), kIn6AllNodes, 255,
                              BuildNdMessage(ra, A("2001:db8::1"), kIn6AllNodes))
                   .ok());
  NdMessage rd;
  rd.type = abi::kND_REDIRECT;
  rd.target = A("2001:db8::7");
  rd.destination = A("2001:db8::8");
  EXPECT_FALSE(ParseNdMessage(ll, A("fe80::2"), 255, BuildNdMessage(rd, ll, A("fe80::2"))).ok());
  rd.target = rd.destination;  // the destination is a neighbour
  EXPECT_TRUE(ParseNdMessage(ll, A("fe80::2"), 255, BuildNdMessage(rd, ll, A("fe80::2"))).ok());
  rd.destination = A("ff0e::1");
  rd.target = A("fe80::7");
  EXPECT_FALSE(ParseNdMessage(ll, A("fe80::2"), 255, BuildNdMessage(rd, ll, A("fe80::2"))).ok());
  // Not ND at all.
  EXPECT_FALSE(ParseNdMessage(ll, group, 255, Hex("80000000")).ok());
}

TEST(NdHeaderTest, OddOptionsAreIgnoredOrSkipped) {
  // Unknown option type 99 (16 bytes), a 16-byte link-layer address (not
  // Ethernet's: ignored), a 24-byte prefix option (ignored), then the
  // real source link-layer address.
  std::vector<uint8_t> msg = {133, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> opts[] = {
      {99, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9},
      std::vector<uint8_t>{3, 3, 64, 0xc0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x20, 1, 0xd, 0xb8,
                           0, 0, 0, 0},
      {1, 1, 2, 0, 0, 0, 0, 7}};
  for (const auto& o : opts) msg.insert(msg.end(), o.begin(), o.end());
  absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::1"), kIn6AllRouters, 255, msg);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->options.source_lla, (MacAddress{2, 0, 0, 0, 0, 7}));
  EXPECT_TRUE(m->options.prefixes.empty());
  // Options past the tenth are checked but not looked at.
  std::vector<uint8_t> many = {133, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 10; ++i) many.insert(many.end(), {99, 1, 0, 0, 0, 0, 0, 0});
  many.insert(many.end(), {1, 1, 2, 0, 0, 0, 0, 7});
  m = ParseNdMessage(A("fe80::1"), kIn6AllRouters, 255, many);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->options.source_lla.has_value());
  many.insert(many.end(), {99, 0});
  EXPECT_FALSE(ParseNdMessage(A("fe80::1"), kIn6AllRouters, 255, many).ok());
}

TEST(NdHeaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(4);
  const uint8_t types[] = {133, 134, 135, 136, 137};
  for (int n = 0; n < 20000; ++n) {
    std::vector<uint8_t> msg(rng() % 96);
    for (auto& b : msg) b = uint8_t(rng() % 3 == 0 ? rng() % 6 : rng());
    if (!msg.empty()) msg[0] = types[rng() % 5];
    if (msg.size() > 1) msg[1] = 0;
    absl::StatusOr<NdMessage> m = ParseNdMessage(A("fe80::1"), A("ff02::1:ff00:2"), 255, msg);
    if (m.ok()) {
      // What parses rebuilds into something that parses the same way.
      absl::StatusOr<NdMessage> again = ParseNdMessage(
          A("fe80::1"), A("ff02::1:ff00:2"), 255,
          BuildNdMessage(*m, A("fe80::1"), A("ff02::1:ff00:2")));
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(again->target, m->target);
      EXPECT_EQ(again->options.source_lla, m->options.source_lla);
      EXPECT_EQ(again->options.prefixes, m->options.prefixes);
    }
  }
}

}  // namespace
}  // namespace rump::inet6
