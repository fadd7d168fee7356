// In6Address: RFC 5952's text examples, RFC 4291's text forms and
// classifications, RFC 2464's EUI-64 example, solicited-node groups and their
// MACs, prefixes; formatting and parsing agree with glibc's inet_ntop and
// inet_pton on random addresses.
#include "rump/netinet6/in6_addr.h"

#include <arpa/inet.h>

#include <random>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace rump::inet6 {
namespace {

In6Address A(const char* s) {
  std::optional<In6Address> a = In6Address::Parse(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(In6Address());
}

TEST(In6AddressTest, Rfc5952CanonicalText) {
  // RFC 5952 section 4 and its examples.
  EXPECT_EQ(A("2001:db8:0:0:1:0:0:1").ToString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(A("2001:0db8:0:0:1:0:0:1").ToString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(A("2001:db8::0:1:0:0:1").ToString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(A("2001:DB8:0000:0000:0001:0000:0000:0001").ToString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(A("2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001").ToString(),
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1");  // 4.1: no leading zeros
  EXPECT_EQ(A("2001:db8:0:0:0:0:2:1").ToString(), "2001:db8::2:1");      // 4.2.1
  EXPECT_EQ(A("2001:db8:0:1:1:1:1:1").ToString(), "2001:db8:0:1:1:1:1:1");  // 4.2.2
  EXPECT_EQ(A("2001:0:0:1:0:0:0:1").ToString(), "2001:0:0:1::1");        // 4.2.3 longest
  EXPECT_EQ(A("2001:db8:0:0:1:0:0:1").ToString(), "2001:db8::1:0:0:1");  // 4.2.3 first
  EXPECT_EQ(A("2001:DB8::ABCD").ToString(), "2001:db8::abcd");           // 4.3 lowercase
  EXPECT_EQ(A("::ffff:192.0.2.1").ToString(), "::ffff:192.0.2.1");       // 5
  EXPECT_EQ(A("::ffff:c000:0201").ToString(), "::ffff:192.0.2.1");
  EXPECT_EQ(In6Address().ToString(), "::");
  EXPECT_EQ(kIn6Loopback.ToString(), "::1");
  EXPECT_EQ(kIn6AllNodes.ToString(), "ff02::1");
  EXPECT_EQ(A("1:0:0:0:0:0:0:0").ToString(), "1::");
  EXPECT_EQ(A("0:0:0:0:0:0:0:1").ToString(), "::1");
  EXPECT_EQ(A("1:2:3:4:5:6:7:0").ToString(), "1:2:3:4:5:6:7:0");
}

TEST(In6AddressTest, ParsesRfc4291Forms) {
  // RFC 4291 2.2's examples.
  EXPECT_EQ(A("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789"),
            A("abcd:ef01:2345:6789:abcd:ef01:2345:6789"));
  EXPECT_EQ(A("2001:DB8:0:0:8:800:200C:417A"), A("2001:DB8::8:800:200C:417A"));
  EXPECT_EQ(A("FF01:0:0:0:0:0:0:101"), A("FF01::101"));
  EXPECT_EQ(A("0:0:0:0:0:0:13.1.68.3"), A("::13.1.68.3"));
  EXPECT_EQ(A("0:0:0:0:0:FFFF:129.144.52.38"), A("::FFFF:129.144.52.38"));
  EXPECT_EQ(A("1:2:3:4:5:6:7::").group(7), 0);
  EXPECT_EQ(A("::2:3:4:5:6:7:8").group(0), 0);
  const In6Address a = A("2001:db8::8:800:200c:417a");
  EXPECT_EQ(a[0], 0x20);
  EXPECT_EQ(a[1], 0x01);
  EXPECT_EQ(a.group(5), 0x0800);
  EXPECT_EQ(a[15], 0x7a);
}

TEST(In6AddressTest, RefusesMalformedText) {
  for (const char* bad :
       {"", ":", ":::", "1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8", "1::2::3", "12345::", "g::", ":1::", "1::2:", "1:2:3:4:5:6:7:8:",
        "::1.2.3", "::1.2.3.4.5", "::256.1.1.1", "::01.2.3.4", "1.2.3.4", "::1.2.3.4:1",
        "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", "::/0", " ::1", "::1 ", "::ffff:1.2.3.4x",
        "1:2:3:4:5:6::1.2.3.4"}) {
    EXPECT_FALSE(In6Address::Parse(bad).has_value()) << bad;
    // glibc agrees (sanity check of the list itself).
    in6_addr raw;
    EXPECT_NE(inet_pton(AF_INET6, bad, &raw), 1) << bad;
  }
}

TEST(In6AddressTest, AgreesWithGlibcOnRandomAddresses) {
  std::mt19937 rng(6);
  for (int n = 0; n < 20000; ++n) {
    In6Address::Bytes b;
    // Mostly zero groups, so that runs of zeros of every length occur.
    for (int g = 0; g < 8; ++g) {
      const uint16_t v = rng() % 3 == 0 ? uint16_t(rng()) : rng() % 4 == 0 ? 1 : 0;
      b[2 * g] = uint8_t(v >> 8);
      b[2 * g + 1] = uint8_t(v);
    }
    if (n % 7 == 0) b = In6Address::V4Mapped(uint32_t(rng())).bytes();
    const In6Address a(b);
    const std::string text = a.ToString();
    ASSERT_EQ(In6Address::Parse(text), a) << text;
    // glibc writes ::a.b.c.d for IPv4-compatible addresses (deprecated,
    // RFC 4291 2.5.5.1); RFC 5952 keeps hexadecimal there.
    bool compat = !a.IsV4Mapped() && a.group(6) != 0;
    for (int g = 0; g < 6; ++g) compat = compat && a.group(g) == 0;
    if (!compat) {
      char buf[INET6_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET6, b.data(), buf, sizeof(buf)), nullptr);
      EXPECT_EQ(text, buf);
    }
    // Non-canonical text (uppercase, leading zeros, no compression)
    // parses to the same address.
    std::string full;
    for (int g = 0; g < 8; ++g) {
      char grp[8];
      snprintf(grp, sizeof(grp), g ? ":%04X" : "%04X", a.group(g));
      full += grp;
    }
    EXPECT_EQ(In6Address::Parse(full), a) << full;
  }
}

TEST(In6AddressTest, Classification) {
  EXPECT_TRUE(In6Address().IsUnspecified());
  EXPECT_FALSE(kIn6Loopback.IsUnspecified());
  EXPECT_TRUE(kIn6Loopback.IsLoopback());
  EXPECT_FALSE(A("::2").IsLoopback());
  EXPECT_TRUE(A("fe80::1").IsLinkLocal());
  EXPECT_TRUE(A("febf:ffff::1").IsLinkLocal());
  EXPECT_FALSE(A("fec0::1").IsLinkLocal());
  EXPECT_FALSE(A("ff02::1").IsLinkLocal());
  EXPECT_TRUE(A("fc00::1").IsUniqueLocal());
  EXPECT_TRUE(A("fdff::1").IsUniqueLocal());
  EXPECT_FALSE(A("fe00::1").IsUniqueLocal());
  EXPECT_TRUE(A("::ffff:10.0.0.1").IsV4Mapped());
  EXPECT_FALSE(A("::10.0.0.1").IsV4Mapped());
  EXPECT_FALSE(A("1::ffff:10.0.0.1").IsV4Mapped());
  EXPECT_EQ(In6Address::V4Mapped(inet_addr("10.0.0.1")), A("::ffff:10.0.0.1"));
  EXPECT_EQ(A("::ffff:10.0.0.1").low32_net(), inet_addr("10.0.0.1"));
  EXPECT_TRUE(kIn6AllNodes.IsMulticast());
  EXPECT_FALSE(A("fe80::1").IsMulticast());
  EXPECT_EQ(A("ff01::1").multicast_scope(), kScopeInterfaceLocal);
  EXPECT_EQ(kIn6AllRouters.multicast_scope(), kScopeLinkLocal);
  EXPECT_EQ(A("ff05::1:3").multicast_scope(), kScopeSiteLocal);
  EXPECT_EQ(A("ff18::1").multicast_scope(), kScopeOrganizationLocal);  // flags ignored
  EXPECT_EQ(A("ff3e::8000:1").multicast_scope(), kScopeGlobal);
}

TEST(In6AddressTest, SolicitedNodeAndItsMac) {
  // RFC 4291 2.7.1: 4037::01:800:200E:8C6C -> FF02::1:FF0E:8C6C.
  const In6Address g = SolicitedNodeMulticast(A("4037::01:800:200E:8C6C"));
  EXPECT_EQ(g, A("FF02::1:FF0E:8C6C"));
  EXPECT_TRUE(g.IsSolicitedNodeMulticast());
  EXPECT_FALSE(kIn6AllNodes.IsSolicitedNodeMulticast());
  EXPECT_EQ(SolicitedNodeMulticast(A("fe80::aa0e:8c6c")), g);
  // RFC 2464 7: FF02::1:FF0E:8C6C is sent to 33:33:FF:0E:8C:6C.
  EXPECT_EQ(MulticastMac(g), (MacAddress{0x33, 0x33, 0xff, 0x0e, 0x8c, 0x6c}));
  EXPECT_EQ(MulticastMac(kIn6AllNodes), (MacAddress{0x33, 0x33, 0, 0, 0, 1}));
}

TEST(In6AddressTest, Prefixes) {
  EXPECT_EQ(PrefixMask(0), In6Address());
  EXPECT_EQ(PrefixMask(10), A("ffc0::"));
  EXPECT_EQ(PrefixMask(64), A("ffff:ffff:ffff:ffff::"));
  EXPECT_EQ(PrefixMask(127), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
  EXPECT_EQ(PrefixMask(128), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(PrefixMask(200), PrefixMask(128));
  EXPECT_EQ(MaskPrefix(A("2001:db8:1:2:3:4:5:6"), 48), A("2001:db8:1::"));
  EXPECT_EQ(MatchPrefixLen(A("2001:db8::1"), A("2001:db8::1")), 128);
  EXPECT_EQ(MatchPrefixLen(A("2001:db8::1"), A("2001:db8::")), 127);
  EXPECT_EQ(MatchPrefixLen(A("2001:db8::"), A("2001:db9::")), 31);
  EXPECT_EQ(MatchPrefixLen(A("8000::"), A("::")), 0);
  EXPECT_EQ(MatchPrefixLen(A("fe80::1"), A("fe80::2:1")), 110);
  EXPECT_TRUE(InPrefix(A("fe80::1234"), A("fe80::"), 10));
  EXPECT_TRUE(InPrefix(A("febf::1"), A("fe80::"), 10));
  EXPECT_FALSE(InPrefix(A("fec0::1"), A("fe80::"), 10));
  EXPECT_TRUE(InPrefix(A("::1"), A("2001::"), 0));
}

TEST(In6AddressTest, ModifiedEui64AndSlaac) {
  // A locally administered MAC: the universal/local bit is set, so it is
  // cleared in the identifier (RFC 4291 appendix A): 02:00:5e:00:53:01 ->
  // 0000:5eff:fe00:5301.
  const InterfaceId id = InterfaceIdFromMac({0x02, 0x00, 0x5e, 0x00, 0x53, 0x01});
  EXPECT_EQ(id, (InterfaceId{0x00, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x53, 0x01}));
  // RFC 2464 4's example: the universal MAC 34-56-78-9A-BC-DE gets the
  // bit set, 3656:78FF:FE9A:BCDE, and (RFC 2464 5) the link-local address
  // fe80::3656:78ff:fe9a:bcde.
  const InterfaceId u = InterfaceIdFromMac({0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde});
  EXPECT_EQ(SlaacAddress(A("fe80::"), u), A("fe80::3656:78ff:fe9a:bcde"));
  // Only the prefix's first 64 bits count.
  EXPECT_EQ(SlaacAddress(A("2001:db8:1:2:ffff::"), id), A("2001:db8:1:2:0:5eff:fe00:5301"));
  EXPECT_EQ(A("2001:db8:1:2:0:5eff:fe00:5301").interface_id(), id);
}

TEST(In6AddressTest, ValueSemantics) {
  const In6Address a = A("2001:db8::1"), b = A("2001:db8::2");
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, A("2001:0db8::0001"));
  std::set<In6Address> ordered{b, a, a};
  EXPECT_EQ(ordered.size(), 2u);
  EXPECT_EQ(*ordered.begin(), a);
  absl::flat_hash_set<In6Address> set{a, b, A("2001:db8::1"), kIn6Loopback};
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.contains(A("::1")));
  uint8_t wire[16];
  a.ToWire(wire);
  EXPECT_EQ(In6Address::FromWire(wire), a);
}

}  // namespace
}  // namespace rump::inet6
