// The fixed header, the upper-layer checksum (vectors that tcpdump -vv
// calls "sum ok") and the extension header chain: every RFC 8200 / RFC
// 5095 refusal with its code and pointer, the option action bits, and
// random bytes that must never be read past.
#include "rump/netinet6/ip6_header.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/netinet/checksum.h"

namespace rump::inet6 {
namespace {

In6Address A(const char* s) { return In6Address::Parse(s).value(); }

// A packet from 2001:db8::1 to `dst` whose payload is `payload`, the
// first header of which is `next_header`.
std::vector<uint8_t> Packet(uint8_t next_header, const std::vector<uint8_t>& payload,
                            const char* dst = "2001:db8::2") {
  Ip6Header h;
  h.payload_len = uint16_t(payload.size());
  h.next_header = next_header;
  h.hop_limit = 64;
  h.src = A("2001:db8::1");
  h.dst = A(dst);
  std::vector<uint8_t> p(40);
  WriteIp6Header(h, p.data());
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

// An options header (hop-by-hop or destination) naming `next` and holding
// `options`, padded with PadN/Pad1 to a multiple of 8.
std::vector<uint8_t> OptionsHeader(uint8_t next, std::vector<uint8_t> options) {
  std::vector<uint8_t> h;
  h.reserve(options.size() + 10);
  h.push_back(next);
  h.push_back(0);
  for (uint8_t b : options) h.push_back(b);
  const size_t pad = (8 - h.size() % 8) % 8;
  if (pad == 1) {
    h.push_back(abi::kIP6OPT_PAD1);
  } else if (pad > 1) {
    h.push_back(abi::kIP6OPT_PADN);
    h.push_back(uint8_t(pad - 2));
    h.insert(h.end(), pad - 2, 0);
  }
  h[1] = uint8_t(h.size() / 8 - 1);
  return h;
}

std::vector<uint8_t> Cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<uint8_t> kUdp = {0x14, 0xe9, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'x', 'y', 'z'};

TEST(Ip6HeaderTest, WriteThenParse) {
  Ip6Header h;
  h.traffic_class = 0xb8;
  h.flow_label = 0xabcde;
  h.payload_len = 3;
  h.next_header = 17;
  h.hop_limit = 255;
  h.src = A("fe80::1");
  h.dst = A("ff02::1:ff00:2");
  uint8_t b[43] = {};
  WriteIp6Header(h, b);
  EXPECT_EQ(b[0], 0x6b);  // version 6, traffic class b8, flow label abcde
  EXPECT_EQ(b[1], 0x8a);
  EXPECT_EQ(b[2], 0xbc);
  EXPECT_EQ(b[3], 0xde);
  Ip6Header p;
  ASSERT_EQ(ParseIp6Header(b, &p), Ip6ParseError::kNone);
  EXPECT_EQ(p.traffic_class, 0xb8);
  EXPECT_EQ(p.flow_label, 0xabcdeu);
  EXPECT_EQ(p.payload_len, 3);
  EXPECT_EQ(p.next_header, 17);
  EXPECT_EQ(p.hop_limit, 255);
  EXPECT_EQ(p.src, h.src);
  EXPECT_EQ(p.dst, h.dst);
}

TEST(Ip6HeaderTest, RefusesMalformedHeaders) {
  std::vector<uint8_t> p = Packet(17, kUdp);
  Ip6Header h;
  EXPECT_EQ(ParseIp6Header(absl::MakeConstSpan(p).first(39), &h), Ip6ParseError::kTooSmall);
  EXPECT_EQ(ParseIp6Header(absl::MakeConstSpan(p).first(50), &h), Ip6ParseError::kTooShort);
  std::vector<uint8_t> padded = p;
  padded.resize(p.size() + 6);  // link padding is fine
  EXPECT_EQ(ParseIp6Header(padded, &h), Ip6ParseError::kNone);
  p[0] = 0x45;
  EXPECT_EQ(ParseIp6Header(p, &h), Ip6ParseError::kBadVersion);
}

TEST(Ip6ChecksumTest, KnownVectors) {
  // ICMPv6 echo request id 0x1234 seq 1 "abcd", 2001:db8::1 -> ::2:
  // tcpdump -vv says "icmp6 sum ok" with 0x4d48.
  std::vector<uint8_t> echo = {128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c', 'd'};
  EXPECT_EQ(UpperLayerChecksum(A("2001:db8::1"), A("2001:db8::2"), abi::kIPPROTO_ICMPV6, echo),
            0x4d48);
  echo[2] = 0x4d;
  echo[3] = 0x48;
  EXPECT_EQ(UpperLayerChecksum(A("2001:db8::1"), A("2001:db8::2"), abi::kIPPROTO_ICMPV6, echo), 0);
  // UDP 5353 -> 53 "xyz": 0x9ccb (tcpdump: "udp sum ok").
  EXPECT_EQ(Udp6Checksum(A("2001:db8::1"), A("2001:db8::2"), kUdp), 0x9ccb);
  // The pseudo-header is the sum of its parts.
  uint8_t ph[40] = {};
  A("2001:db8::1").ToWire(ph);
  A("2001:db8::2").ToWire(ph + 16);
  ph[35] = 11;
  ph[39] = 17;
  EXPECT_EQ(PseudoHeaderSum6(A("2001:db8::1"), A("2001:db8::2"), 11, 17) % 0xffff,
            inet::ChecksumAdd(0, ph) % 0xffff);
}

TEST(Ip6ChecksumTest, UdpZeroIsSentAsAllOnes) {
  // Find a payload whose checksum computes to 0: adjust two bytes.
  std::vector<uint8_t> d = {0, 1, 0, 2, 0, 10, 0, 0, 0, 0};
  const uint16_t c = UpperLayerChecksum(A("::1"), A("::1"), 17, d);
  // Adding the complement of the sum to the data makes the sum 0xffff,
  // whose checksum is 0.
  d[8] = uint8_t(c >> 8);
  d[9] = uint8_t(c);
  ASSERT_EQ(UpperLayerChecksum(A("::1"), A("::1"), 17, d), 0);
  EXPECT_EQ(Udp6Checksum(A("::1"), A("::1"), d), 0xffff);
}

TEST(Ip6ChainTest, PlainUpperLayer) {
  const std::vector<uint8_t> p = Packet(17, kUdp);
  const Ip6Chain c = WalkIp6Chain(p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.protocol, 17);
  EXPECT_EQ(c.offset, 40u);
  EXPECT_EQ(c.next_header_at, 6u);
  EXPECT_EQ(c.headers, 0);
  EXPECT_FALSE(c.fragment.has_value());
}

TEST(Ip6ChainTest, WalksHopByHopRoutingDestOpts) {
  // HbH (router alert 0) -> DestOpts (PadN, an unknown skippable option)
  // -> Routing type 2 with 0 segments left -> DestOpts -> UDP.
  const std::vector<uint8_t> hbh =
      OptionsHeader(abi::kIPPROTO_DSTOPTS, {abi::kIP6OPT_ROUTER_ALERT, 2, 0, 0});
  const std::vector<uint8_t> dst1 =
      OptionsHeader(abi::kIPPROTO_ROUTING, {abi::kIP6OPT_PADN, 1, 0, 0x1e, 2, 0xaa, 0xbb});
  const std::vector<uint8_t> rt = {abi::kIPPROTO_DSTOPTS, 2, 2, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> dst2 = OptionsHeader(17, {abi::kIP6OPT_PAD1});
  const std::vector<uint8_t> p =
      Packet(abi::kIPPROTO_HOPOPTS, Cat(Cat(Cat(Cat(hbh, dst1), rt), dst2), kUdp));
  const Ip6Chain c = WalkIp6Chain(p);
  ASSERT_TRUE(c.ok()) << int(c.error);
  EXPECT_EQ(c.protocol, 17);
  EXPECT_EQ(c.offset, 40 + hbh.size() + dst1.size() + rt.size() + dst2.size());
  EXPECT_EQ(c.next_header_at, 40 + hbh.size() + dst1.size() + rt.size());
  EXPECT_EQ(c.headers, 4);
  ASSERT_TRUE(c.router_alert.has_value());
  EXPECT_EQ(*c.router_alert, 0);
}

TEST(Ip6ChainTest, HopByHopOnlyFirst) {
  // DestOpts -> HbH: parameter problem code 1 pointing at the DestOpts
  // header's next header field (RFC 8200 4.1).
  const std::vector<uint8_t> p = Packet(
      abi::kIPPROTO_DSTOPTS,
      Cat(Cat(OptionsHeader(abi::kIPPROTO_HOPOPTS, {}), OptionsHeader(17, {})), kUdp));
  const Ip6Chain c = WalkIp6Chain(p);
  EXPECT_EQ(c.action, Ip6ChainAction::kParamProblem);
  EXPECT_EQ(c.error, Ip6ChainError::kHopByHopNotFirst);
  EXPECT_EQ(c.code, abi::kICMP6_PARAMPROB_NEXTHEADER);
  EXPECT_EQ(c.pointer, 40u);
  // HbH -> HbH: the pointer is the first HbH header's field.
  const Ip6Chain c2 = WalkIp6Chain(Packet(
      abi::kIPPROTO_HOPOPTS,
      Cat(Cat(OptionsHeader(abi::kIPPROTO_HOPOPTS, {}), OptionsHeader(17, {})), kUdp)));
  EXPECT_EQ(c2.error, Ip6ChainError::kHopByHopNotFirst);
  EXPECT_EQ(c2.pointer, 40u);
}

TEST(Ip6ChainTest, RoutingHeaders) {
  // Type 0 with segments left: refused, pointer at the type (RFC 5095 3).
  std::vector<uint8_t> rt0 = {17, 2, 0, 1};
  rt0.resize(24);
  Ip6Chain c = WalkIp6Chain(Packet(abi::kIPPROTO_ROUTING, Cat(rt0, kUdp)));
  EXPECT_EQ(c.action, Ip6ChainAction::kParamProblem);
  EXPECT_EQ(c.error, Ip6ChainError::kBadRoutingType);
  EXPECT_EQ(c.code, abi::kICMP6_PARAMPROB_HEADER);
  EXPECT_EQ(c.pointer, 42u);
  // Another unsupported type with segments left: the same (RFC 8200 4.4).
  rt0[2] = 4;
  c = WalkIp6Chain(Packet(abi::kIPPROTO_ROUTING, Cat(rt0, kUdp)));
  EXPECT_EQ(c.error, Ip6ChainError::kBadRoutingType);
  EXPECT_EQ(c.pointer, 42u);
  // Segments left 0: skipped, whatever the type.
  for (uint8_t type : {0, 2, 3, 4, 253}) {
    rt0[2] = type;
    rt0[3] = 0;
    c = WalkIp6Chain(Packet(abi::kIPPROTO_ROUTING, Cat(rt0, kUdp)));
    ASSERT_TRUE(c.ok()) << int(type);
    EXPECT_EQ(c.protocol, 17);
    EXPECT_EQ(c.offset, 64u);
  }
}

TEST(Ip6ChainTest, StopsAtFragmentHeader) {
  Ip6FragmentHeader f;
  f.next_header = 17;
  f.offset = 1448;
  f.more = true;
  f.id = 0xdeadbeef;
  uint8_t fh[8];
  WriteIp6FragmentHeader(f, fh);
  EXPECT_EQ(fh[2], 0x05);
  EXPECT_EQ(fh[3], 0xa9);
  const std::vector<uint8_t> p =
      Packet(abi::kIPPROTO_DSTOPTS,
             Cat(Cat(OptionsHeader(abi::kIPPROTO_FRAGMENT, {}), std::vector<uint8_t>(fh, fh + 8)),
                 {1, 2, 3, 4, 5, 6, 7, 8}));
  const Ip6Chain c = WalkIp6Chain(p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.protocol, abi::kIPPROTO_FRAGMENT);
  EXPECT_EQ(c.offset, 48u);
  EXPECT_EQ(c.next_header_at, 40u);
  ASSERT_TRUE(c.fragment.has_value());
  EXPECT_EQ(c.fragment->at, 48u);
  EXPECT_EQ(c.fragment->next_header, 17);
  EXPECT_EQ(c.fragment->offset, 1448);
  EXPECT_TRUE(c.fragment->more);
  EXPECT_EQ(c.fragment->id, 0xdeadbeefu);
  EXPECT_FALSE(c.fragment->atomic());
  f.offset = 0;
  f.more = false;
  EXPECT_TRUE(f.atomic());
}

TEST(Ip6ChainTest, UnknownOptionActions) {
  EXPECT_EQ(UnknownOptionAction(0x1e), Ip6ChainAction::kAccept);
  EXPECT_EQ(UnknownOptionAction(0x5e), Ip6ChainAction::kDiscard);
  EXPECT_EQ(UnknownOptionAction(0x9e), Ip6ChainAction::kParamProblem);
  EXPECT_EQ(UnknownOptionAction(0xde), Ip6ChainAction::kParamProblemUnlessMulticast);
  struct Case {
    uint8_t type;
    Ip6ChainAction action;
  };
  for (const Case& k : {Case{0x3f, Ip6ChainAction::kAccept}, Case{0x7f, Ip6ChainAction::kDiscard},
                        Case{0xbf, Ip6ChainAction::kParamProblem},
                        Case{0xc2, Ip6ChainAction::kParamProblemUnlessMulticast}}) {
    for (uint8_t hdr : {abi::kIPPROTO_HOPOPTS, abi::kIPPROTO_DSTOPTS}) {
      // Pad1, Pad1, then the option at byte 4 of the header.
      const Ip6Chain c = WalkIp6Chain(
          Packet(hdr, Cat(OptionsHeader(17, {0, 0, k.type, 2, 0, 0}), kUdp), "ff02::1"));
      EXPECT_EQ(c.action, k.action) << int(k.type);
      if (k.action == Ip6ChainAction::kAccept) {
        EXPECT_EQ(c.protocol, 17);
      } else {
        EXPECT_EQ(c.error, Ip6ChainError::kUnknownOption);
      }
      if (c.action == Ip6ChainAction::kParamProblem ||
          c.action == Ip6ChainAction::kParamProblemUnlessMulticast) {
        EXPECT_EQ(c.code, abi::kICMP6_PARAMPROB_OPTION);
        EXPECT_EQ(c.pointer, 44u);
      }
    }
  }
  // A router alert outside the hop-by-hop header is an unknown option
  // whose bits say skip.
  const Ip6Chain c = WalkIp6Chain(Packet(
      abi::kIPPROTO_DSTOPTS, Cat(OptionsHeader(17, {abi::kIP6OPT_ROUTER_ALERT, 2, 0, 0}), kUdp)));
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.router_alert.has_value());
}

TEST(Ip6ChainTest, TruncationsAreDiscarded) {
  // An option running past its header.
  std::vector<uint8_t> h = {17, 0, abi::kIP6OPT_PADN, 5, 0, 0, 0, 0};
  Ip6Chain c = WalkIp6Chain(Packet(abi::kIPPROTO_DSTOPTS, Cat(h, kUdp)));
  EXPECT_EQ(c.action, Ip6ChainAction::kDiscard);
  EXPECT_EQ(c.error, Ip6ChainError::kBadOptionLength);
  // A type byte with no room for its length.
  h = {17, 0, 0, 0, 0, 0, 0, 0x1e};
  c = WalkIp6Chain(Packet(abi::kIPPROTO_DSTOPTS, Cat(h, kUdp)));
  EXPECT_EQ(c.error, Ip6ChainError::kBadOptionLength);
  // A header longer than the packet.
  h = {17, 3, 0, 0, 0, 0, 0, 0};
  c = WalkIp6Chain(Packet(abi::kIPPROTO_DSTOPTS, h));
  EXPECT_EQ(c.action, Ip6ChainAction::kDiscard);
  EXPECT_EQ(c.error, Ip6ChainError::kTruncated);
  // Fewer than 8 bytes of extension header.
  c = WalkIp6Chain(Packet(abi::kIPPROTO_FRAGMENT, {17, 0, 0, 0}));
  EXPECT_EQ(c.error, Ip6ChainError::kTruncated);
  c = WalkIp6Chain(Packet(abi::kIPPROTO_HOPOPTS, {}));
  EXPECT_EQ(c.error, Ip6ChainError::kTruncated);
  // No Next Header ends the walk; what follows is ignored.
  c = WalkIp6Chain(Packet(abi::kIPPROTO_NONE, {1, 2, 3}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.protocol, abi::kIPPROTO_NONE);
}

TEST(Ip6ChainTest, LongChainsAreBounded) {
  std::vector<uint8_t> payload;
  for (int i = 0; i < kMaxExtensionHeaders; ++i) {
    payload = Cat(payload, OptionsHeader(abi::kIPPROTO_DSTOPTS, {}));
  }
  std::vector<uint8_t> ok = Cat(payload, OptionsHeader(17, {}));
  payload.resize(payload.size() - 8);
  payload = Cat(payload, OptionsHeader(17, {}));
  Ip6Chain c = WalkIp6Chain(Packet(abi::kIPPROTO_DSTOPTS, Cat(payload, kUdp)));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.headers, kMaxExtensionHeaders);
  c = WalkIp6Chain(Packet(abi::kIPPROTO_DSTOPTS, Cat(ok, kUdp)));
  EXPECT_EQ(c.error, Ip6ChainError::kTooManyHeaders);
}

TEST(Ip6ChainTest, RandomBytesNeverReadPastTheEnd) {
  // Each packet is a heap copy of exactly its size, so ASan catches a
  // read past it.
  std::mt19937 rng(8);
  const uint8_t kinds[] = {0, 43, 44, 60, 17, 59};
  for (int n = 0; n < 20000; ++n) {
    std::vector<uint8_t> payload(rng() % 64);
    for (auto& b : payload) b = uint8_t(rng() % 4 == 0 ? kinds[rng() % 6] : rng() % 8);
    const std::vector<uint8_t> p = Packet(kinds[rng() % 6], payload);
    const Ip6Chain c = WalkIp6Chain(p);
    if (c.ok()) {
      EXPECT_LE(c.offset, p.size());
      EXPECT_LT(c.next_header_at, c.offset);
      EXPECT_EQ(p[c.next_header_at], c.protocol);
    } else if (c.action != Ip6ChainAction::kDiscard) {
      EXPECT_LT(c.pointer, p.size());
    }
  }
}

}  // namespace
}  // namespace rump::inet6
