// The protocol machinery without a kernel: checksums, header parsing, the
// ARP cache's expiry and hold queue, longest-prefix routing, fragment
// reassembly (order, overlap, timeout, memory bound), the ICMP rate limit.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/netinet/arp_cache.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/rate_limit.h"
#include "rump/netinet/reassembly.h"
#include "rump/netinet/route_table.h"

namespace rump::inet {
namespace {

uint32_t A(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return a.s_addr;
}

const absl::Time kT0 = absl::FromUnixSeconds(1000000);

// --- checksum

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFinish(ChecksumAdd(0, b)), uint16_t(~0xddf2));
}

TEST(ChecksumTest, FastPathMatchesWordByWord) {
  std::mt19937 rng(7);
  for (size_t len : {0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1500, 1501}) {
    std::vector<uint8_t> b(len);
    for (auto& x : b) x = uint8_t(rng());
    uint64_t slow = 0;
    for (size_t i = 0; i + 1 < len; i += 2) slow += (b[i] << 8) | b[i + 1];
    if (len % 2) slow += b[len - 1] << 8;
    EXPECT_EQ(InetChecksum(b), ChecksumFinish(slow)) << len;
    // Split sums agree with whole sums at even offsets.
    const size_t half = (len / 2) & ~size_t{1};
    EXPECT_EQ(ChecksumFinish(ChecksumAdd(ChecksumAdd(0, absl::MakeSpan(b).subspan(0, half)),
                                         absl::MakeSpan(b).subspan(half))),
              InetChecksum(b));
  }
}

TEST(ChecksumTest, ValidHeaderSumsToZero) {
  IpHeader h;
  h.total_len = 84;
  h.id = 0x1234;
  h.ttl = 64;
  h.proto = 1;
  h.src = A("10.0.0.1");
  h.dst = A("10.0.0.2");
  uint8_t hdr[20];
  WriteIpHeader(h, hdr);
  EXPECT_EQ(InetChecksum(hdr), 0);
  hdr[8] = 63;
  EXPECT_NE(InetChecksum(hdr), 0);
}

TEST(ChecksumTest, UdpChecksumVerifies) {
  std::vector<uint8_t> seg = {0x12, 0x34, 0x00, 0x35, 0x00, 0x0b, 0, 0, 'a', 'b', 'c'};
  const uint16_t c = UdpChecksum(A("192.168.1.1"), A("192.168.1.2"), seg);
  Put16(seg.data() + 6, c);
  const uint64_t s = ChecksumAdd(PseudoHeaderSum(A("192.168.1.1"), A("192.168.1.2"), 17,
                                                 uint16_t(seg.size())),
                                 seg);
  EXPECT_EQ(ChecksumFinish(s), 0);
}

// --- IPv4 header parsing

std::vector<uint8_t> Packet(size_t payload, uint8_t proto = 17) {
  std::vector<uint8_t> p(20 + payload, 0xab);
  IpHeader h;
  h.total_len = uint16_t(p.size());
  h.ttl = 64;
  h.proto = proto;
  h.src = A("10.0.0.1");
  h.dst = A("10.0.0.2");
  WriteIpHeader(h, p.data());
  return p;
}

TEST(IpHeaderTest, ParsesAValidHeader) {
  auto p = Packet(8);
  IpHeader h;
  ASSERT_EQ(ParseIpHeader(p, &h), IpParseError::kNone);
  EXPECT_EQ(h.hlen, 20);
  EXPECT_EQ(h.total_len, 28);
  EXPECT_EQ(h.src, A("10.0.0.1"));
  EXPECT_EQ(h.dst, A("10.0.0.2"));
  p.resize(60);  // Ethernet padding is allowed beyond ip_len
  EXPECT_EQ(ParseIpHeader(p, &h), IpParseError::kNone);
}

TEST(IpHeaderTest, RefusesEveryMalformation) {
  IpHeader h;
  auto p = Packet(8);
  EXPECT_EQ(ParseIpHeader(absl::MakeSpan(p).subspan(0, 19), &h), IpParseError::kTooSmall);
  EXPECT_EQ(ParseIpHeader({}, &h), IpParseError::kTooSmall);
  auto v6 = p;
  v6[0] = 0x65;
  EXPECT_EQ(ParseIpHeader(v6, &h), IpParseError::kBadVersion);
  auto short_hl = p;
  short_hl[0] = 0x44;
  EXPECT_EQ(ParseIpHeader(short_hl, &h), IpParseError::kBadHeaderLen);
  auto long_hl = p;
  long_hl[0] = 0x4f;  // 60 bytes of header in a 28-byte packet
  EXPECT_EQ(ParseIpHeader(long_hl, &h), IpParseError::kBadHeaderLen);
  auto bad_sum = p;
  bad_sum[11] ^= 1;
  EXPECT_EQ(ParseIpHeader(bad_sum, &h), IpParseError::kBadChecksum);
  auto small_len = p;
  Put16(small_len.data() + 2, 19);
  SetIpChecksum(small_len.data(), 20);
  EXPECT_EQ(ParseIpHeader(small_len, &h), IpParseError::kBadLength);
  auto big_len = p;
  Put16(big_len.data() + 2, 29);
  SetIpChecksum(big_len.data(), 20);
  EXPECT_EQ(ParseIpHeader(big_len, &h), IpParseError::kTooShort);
}

TEST(IpHeaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng() % 80);
    for (auto& x : b) x = uint8_t(rng());
    if (b.size() > 0 && rng() % 2) b[0] = uint8_t(0x40 | (rng() & 0xf));
    IpHeader h;
    if (ParseIpHeader(b, &h) == IpParseError::kNone) {
      EXPECT_GE(h.hlen, 20);
      EXPECT_LE(h.hlen, h.total_len);
      EXPECT_LE(h.total_len, b.size());
    }
    ArpPacket a;
    (void)ParseArp(b, &a);
  }
}

TEST(ArpFormatTest, BuildAndParse) {
  ArpPacket a;
  a.op = kArpOpReply;
  a.sha = {2, 0, 0, 0, 0, 1};
  a.spa = A("10.0.0.1");
  a.tha = {2, 0, 0, 0, 0, 2};
  a.tpa = A("10.0.0.2");
  auto f = BuildArpFrame(a.tha, a.sha, a);
  ASSERT_EQ(f.size(), 42u);
  EXPECT_EQ(Get16(f.data() + 12), kEtherTypeArp);
  ArpPacket b;
  ASSERT_EQ(ParseArp(absl::MakeSpan(f).subspan(14), &b), ArpParseError::kNone);
  EXPECT_EQ(b.op, a.op);
  EXPECT_EQ(b.sha, a.sha);
  EXPECT_EQ(b.spa, a.spa);
  EXPECT_EQ(b.tpa, a.tpa);
  EXPECT_EQ(ParseArp(absl::MakeSpan(f).subspan(14, 27), &b), ArpParseError::kTooShort);
  f[14 + 4] = 8;  // hardware length
  EXPECT_EQ(ParseArp(absl::MakeSpan(f).subspan(14), &b), ArpParseError::kBadHardware);
  f[14 + 4] = 6;
  f[14 + 3] = 0xdd;  // protocol 0x08dd
  EXPECT_EQ(ParseArp(absl::MakeSpan(f).subspan(14), &b), ArpParseError::kBadProtocol);
  f[14 + 3] = 0x00;
  f[14 + 7] = 9;
  EXPECT_EQ(ParseArp(absl::MakeSpan(f).subspan(14), &b), ArpParseError::kBadOp);
}

// --- ARP cache

TEST(ArpCacheTest, ResolvesHoldsAndReleasesInOrder) {
  ArpCache c;
  const uint32_t ip = A("10.0.0.2");
  std::vector<uint8_t> p1 = {1}, p2 = {2};
  auto r = c.Resolve(ip, p1, kT0);
  EXPECT_EQ(r.kind, ArpCache::Resolution::kQueued);
  EXPECT_TRUE(r.send_request);
  r = c.Resolve(ip, p2, kT0 + absl::Milliseconds(10));
  EXPECT_EQ(r.kind, ArpCache::Resolution::kQueued);
  EXPECT_FALSE(r.send_request);  // at most one request a second
  EXPECT_EQ(c.held(), 2u);
  const MacAddress mac = {2, 0, 0, 0, 0, 2};
  auto u = c.Update(ip, mac, false, kT0 + absl::Milliseconds(20));
  EXPECT_TRUE(u.updated);
  ASSERT_EQ(u.released.size(), 2u);
  EXPECT_EQ(u.released[0], std::vector<uint8_t>{1});
  EXPECT_EQ(u.released[1], std::vector<uint8_t>{2});
  EXPECT_EQ(c.held(), 0u);
  std::vector<uint8_t> p3 = {3};
  r = c.Resolve(ip, p3, kT0 + absl::Seconds(1));
  EXPECT_EQ(r.kind, ArpCache::Resolution::kResolved);
  EXPECT_EQ(r.mac, mac);
  EXPECT_EQ(p3, std::vector<uint8_t>{3});  // not consumed
}

TEST(ArpCacheTest, UpdateCreatesOnlyWhenAsked) {
  ArpCache c;
  const MacAddress mac = {2, 0, 0, 0, 0, 9};
  EXPECT_FALSE(c.Update(A("10.0.0.9"), mac, false, kT0).updated);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.Update(A("10.0.0.9"), mac, true, kT0).updated);
  EXPECT_EQ(c.Lookup(A("10.0.0.9"), kT0), mac);
  const MacAddress other = {2, 0, 0, 0, 0, 8};
  EXPECT_TRUE(c.Update(A("10.0.0.9"), other, false, kT0).changed);
}

TEST(ArpCacheTest, EntriesExpireAfterKeep) {
  ArpConfig cfg;
  cfg.keep = absl::Seconds(60);
  ArpCache c(cfg);
  const MacAddress mac = {2, 0, 0, 0, 0, 2};
  c.Update(A("10.0.0.2"), mac, true, kT0);
  EXPECT_TRUE(c.Lookup(A("10.0.0.2"), kT0 + absl::Seconds(59)).has_value());
  EXPECT_FALSE(c.Lookup(A("10.0.0.2"), kT0 + absl::Seconds(60)).has_value());
  c.Tick(kT0 + absl::Seconds(61));
  EXPECT_EQ(c.size(), 0u);
}

TEST(ArpCacheTest, ManualEntriesReleaseHeldPacketsAndResistArp) {
  ArpCache c;
  const uint32_t ip = A("10.0.0.5");
  std::vector<uint8_t> p = {5};
  ASSERT_EQ(c.Resolve(ip, p, kT0).kind, ArpCache::Resolution::kQueued);
  ArpCache::Manual m;
  m.mac = {2, 0, 0, 0, 0, 5};
  m.is_static = true;
  const std::vector<ArpCache::Packet> released = c.SetManual(ip, m, kT0);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0], std::vector<uint8_t>{5});
  EXPECT_EQ(c.held(), 0u);
  // ARP does not change it; it outlives `keep` and a flush.
  EXPECT_FALSE(c.Update(ip, {2, 0, 0, 0, 0, 6}, true, kT0).updated);
  EXPECT_EQ(c.Lookup(ip, kT0 + absl::Hours(1000)), m.mac);
  c.Tick(kT0 + absl::Hours(1000));
  c.Flush();
  const std::optional<ArpCache::Known> k = c.Find(ip, kT0 + absl::Hours(1000));
  ASSERT_TRUE(k.has_value());
  EXPECT_TRUE(k->manual);
  EXPECT_TRUE(k->is_static);
  EXPECT_FALSE(k->published);
  EXPECT_EQ(k->expire, absl::InfiniteFuture());
  EXPECT_FALSE(c.Published(ip, kT0).has_value());
  // Removed by hand only.
  size_t dropped = 9;
  EXPECT_TRUE(c.Remove(ip, &dropped));
  EXPECT_EQ(dropped, 0u);
  EXPECT_FALSE(c.Remove(ip, &dropped));
  EXPECT_EQ(c.size(), 0u);
}

TEST(ArpCacheTest, TemporaryAndPublishedManualEntries) {
  ArpConfig cfg;
  cfg.max_entries = 2;
  ArpCache c(cfg);
  ArpCache::Manual m;
  m.mac = {2, 0, 0, 0, 0, 7};
  m.expire = kT0 + absl::Minutes(20);
  m.published = true;
  c.SetManual(A("10.0.0.7"), m, kT0);
  EXPECT_EQ(c.Published(A("10.0.0.7"), kT0), m.mac);
  const std::vector<ArpCache::Known> known = c.Resolved(kT0);
  ASSERT_EQ(known.size(), 1u);
  EXPECT_TRUE(known[0].published);
  EXPECT_EQ(known[0].expire, kT0 + absl::Minutes(20));
  // Dynamic entries are evicted before it.
  c.Update(A("10.0.0.8"), {2, 0, 0, 0, 0, 8}, true, kT0);
  c.Update(A("10.0.0.9"), {2, 0, 0, 0, 0, 9}, true, kT0 + absl::Seconds(1));
  EXPECT_TRUE(c.Find(A("10.0.0.7"), kT0 + absl::Seconds(1)).has_value());
  EXPECT_EQ(c.size(), 2u);
  // It goes at its expiry time.
  c.Tick(kT0 + absl::Minutes(20));
  EXPECT_FALSE(c.Find(A("10.0.0.7"), kT0 + absl::Minutes(20)).has_value());
  EXPECT_FALSE(c.Published(A("10.0.0.7"), kT0 + absl::Minutes(20)).has_value());
}

TEST(ArpCacheTest, HoldQueueIsBoundedOldestDropped) {
  ArpConfig cfg;
  cfg.max_hold = 3;
  ArpCache c(cfg);
  size_t dropped = 0;
  for (uint8_t i = 0; i < 10; ++i) {
    std::vector<uint8_t> p = {i};
    dropped += c.Resolve(A("10.0.0.2"), p, kT0).dropped;
  }
  EXPECT_EQ(dropped, 7u);
  EXPECT_EQ(c.held(), 3u);
  auto u = c.Update(A("10.0.0.2"), {2, 0, 0, 0, 0, 2}, false, kT0);
  ASSERT_EQ(u.released.size(), 3u);
  EXPECT_EQ(u.released[0][0], 7);
  EXPECT_EQ(u.released[2][0], 9);
}

TEST(ArpCacheTest, RetriesThenHostDownThenAgain) {
  ArpConfig cfg;  // 5 tries, 1 s apart, down for 20 s
  ArpCache c(cfg);
  std::vector<uint8_t> p = {1};
  ASSERT_TRUE(c.Resolve(A("10.0.0.3"), p, kT0).send_request);
  int requests = 1;
  size_t dropped = 0, timeouts = 0;
  for (int s = 1; s <= 10; ++s) {
    auto t = c.Tick(kT0 + absl::Seconds(s));
    requests += int(t.requests.size());
    dropped += t.dropped;
    timeouts += t.timeouts;
  }
  EXPECT_EQ(requests, 5);
  EXPECT_EQ(timeouts, 1u);
  EXPECT_EQ(dropped, 1u);
  EXPECT_EQ(c.held(), 0u);
  std::vector<uint8_t> q = {2};
  EXPECT_EQ(c.Resolve(A("10.0.0.3"), q, kT0 + absl::Seconds(11)).kind,
            ArpCache::Resolution::kHostDown);
  // After arpt_down the host is asked for again.
  auto r = c.Resolve(A("10.0.0.3"), q, kT0 + absl::Seconds(40));
  EXPECT_EQ(r.kind, ArpCache::Resolution::kQueued);
  EXPECT_TRUE(r.send_request);
}

TEST(ArpCacheTest, EntryCountIsBounded) {
  ArpConfig cfg;
  cfg.max_entries = 16;
  ArpCache c(cfg);
  for (uint32_t i = 0; i < 1000; ++i) {
    std::vector<uint8_t> p = {1};
    c.Resolve(htonl(0x0a000000 + i), p, kT0 + absl::Milliseconds(i));
  }
  EXPECT_LE(c.size(), 16u);
  EXPECT_LE(c.held(), 16u);
}

// --- routing table

TEST(RouteTableTest, LongestPrefixWins) {
  RouteTable t;
  t.SetInterfaceRoutes(2, {Route{A("10.0.0.0"), A("255.255.255.0"), 0, 0, A("10.0.0.1")}});
  t.SetInterfaceRoutes(3, {Route{A("10.0.0.0"), A("255.255.0.0"), 0, 0, A("10.0.9.1")}});
  ASSERT_TRUE(t.Add(Route{0, 0, A("10.0.0.254"), 0, 0, true}).ok());
  ASSERT_TRUE(t.Add(Route{A("10.0.0.77"), A("255.255.255.255"), A("10.0.0.253"), 0, 0, true})
                  .ok());
  auto r = t.Lookup(A("10.0.0.5"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ifindex, 2);
  EXPECT_FALSE(r->is_gateway);
  r = t.Lookup(A("10.0.5.5"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ifindex, 3);
  EXPECT_EQ(r->ifaddr, A("10.0.9.1"));
  r = t.Lookup(A("8.8.8.8"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_gateway);
  EXPECT_EQ(r->gateway, A("10.0.0.254"));
  EXPECT_EQ(r->ifindex, 2);  // learnt from the route to the gateway
  EXPECT_EQ(r->ifaddr, A("10.0.0.1"));
  r = t.Lookup(A("10.0.0.77"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->is_host);
  EXPECT_EQ(r->gateway, A("10.0.0.253"));
}

TEST(RouteTableTest, AddDeleteErrors) {
  RouteTable t;
  EXPECT_EQ(abi::ToErrno(t.Add(Route{0, 0, A("10.0.0.254"), 0, 0, true})), abi::kENETUNREACH);
  t.SetInterfaceRoutes(2, {Route{A("10.0.0.0"), A("255.255.255.0"), 0, 0, A("10.0.0.1")}});
  EXPECT_TRUE(t.Add(Route{0, 0, A("10.0.0.254"), 0, 0, true}).ok());
  EXPECT_EQ(abi::ToErrno(t.Add(Route{0, 0, A("10.0.0.253"), 0, 0, true})), abi::kEEXIST);
  EXPECT_EQ(abi::ToErrno(t.Add(Route{A("10.1.0.0"), A("255.0.255.0"), 0, 2, 1, false})),
            abi::kEINVAL);
  EXPECT_EQ(abi::ToErrno(t.Delete(A("10.9.0.0"), A("255.255.0.0"))), abi::kESRCH);
  EXPECT_TRUE(t.Delete(0, 0).ok());
  EXPECT_FALSE(t.Lookup(A("8.8.8.8")));
}

TEST(RouteTableTest, InterfaceRoutesFollowAddresses) {
  RouteTable t;
  t.SetInterfaceRoutes(2, {Route{A("10.0.0.0"), A("255.255.255.0"), 0, 0, A("10.0.0.1")}});
  ASSERT_TRUE(t.Add(Route{A("192.168.0.0"), A("255.255.0.0"), A("10.0.0.9"), 0, 0, true}).ok());
  EXPECT_TRUE(t.Lookup(A("10.0.0.3")));
  t.SetInterfaceRoutes(2, {});  // address removed: the static route stays
  EXPECT_FALSE(t.Lookup(A("10.0.0.3")));
  EXPECT_TRUE(t.Lookup(A("192.168.1.1")));
  t.RemoveInterface(2);  // interface destroyed: everything through it goes
  EXPECT_FALSE(t.Lookup(A("192.168.1.1")));
  EXPECT_TRUE(t.Entries().empty());
}

TEST(RouteTableTest, ExpiringRoutesGoEachAtItsTime) {
  RouteTable t;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  auto host = [](const char* dst, absl::Time expires) {
    Route r{A(dst), A("255.255.255.255"), 0, 2, A("10.0.0.1")};
    r.expires = expires;
    return r;
  };
  ASSERT_TRUE(t.Add(host("10.1.0.2", t0 + absl::Seconds(2))).ok());
  ASSERT_TRUE(t.Add(host("10.1.0.1", t0 + absl::Seconds(1))).ok());
  ASSERT_TRUE(t.Add(Route{A("10.2.0.0"), A("255.255.0.0"), 0, 2, A("10.0.0.1")}).ok());
  EXPECT_EQ(t.RemoveExpired(t0), 0u);
  EXPECT_EQ(t.RemoveExpired(t0 + absl::Seconds(1)), 1u);
  EXPECT_FALSE(t.Find(A("10.1.0.1"), A("255.255.255.255"), true));
  EXPECT_EQ(t.RemoveExpired(t0 + absl::Milliseconds(1500)), 0u);
  // Added after the table learnt its next expiry, expiring before it.
  ASSERT_TRUE(t.Add(host("10.1.0.3", t0 + absl::Milliseconds(1600))).ok());
  EXPECT_EQ(t.RemoveExpired(t0 + absl::Milliseconds(1700)), 1u);
  EXPECT_EQ(t.RemoveExpired(t0 + absl::Seconds(2)), 1u);
  EXPECT_EQ(t.RemoveExpired(t0 + absl::Hours(1000)), 0u);
  EXPECT_EQ(t.size(), 1u);  // the route that never expires
}

TEST(RouteTableTest, TenThousandRoutesAgreeWithBruteForce) {
  std::mt19937 rng(11);
  RouteTable t;
  // Static routes of every length, interface routes too, in addresses
  // drawn from a few /8s so that prefixes overlap; some deleted again.
  std::vector<Route> added;
  const uint32_t nets[] = {10, 172, 192};
  while (t.size() < 10000) {
    const int len = int(rng() % 33);
    const uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    const uint32_t dst = ((nets[rng() % 3] << 24) | (rng() & 0x00ffffff)) & mask;
    Route r{htonl(dst), htonl(mask), 0, int(t.size() % 50) + 1, 1, false};
    if (rng() % 10 == 0) {
      t.SetInterfaceRoutes(r.ifindex, {r});  // replaces that index's one
    } else if (t.Add(r).ok()) {
      added.push_back(r);
    }
    if (rng() % 20 == 0 && !added.empty()) {
      const Route& d = added[rng() % added.size()];
      t.Delete(d.dst, d.netmask).IgnoreError();  // may be gone already
    }
  }
  const std::vector<Route> entries = t.Entries();
  ASSERT_EQ(entries.size(), t.size());
  for (int i = 0; i < 3000; ++i) {
    // Half the probes inside some entry's network, half anywhere.
    uint32_t probe = rng();
    if (i % 2 == 0) {
      const Route& e = entries[rng() % entries.size()];
      probe = ntohl(e.dst) | (rng() & ~ntohl(e.netmask));
    }
    // Brute force: the longest match; among equals, static before
    // interface routes, then the older (Entries' order).
    int best_len = -1;
    const Route* best = nullptr;
    for (const Route& r : entries) {
      int len = 0;
      ASSERT_TRUE(RouteTable::MaskLength(r.netmask, &len));
      if ((htonl(probe) & r.netmask) == r.dst && len > best_len) {
        best_len = len;
        best = &r;
      }
    }
    std::optional<Route> r = t.Lookup(htonl(probe));
    if (best == nullptr) {
      EXPECT_FALSE(r);
    } else {
      ASSERT_TRUE(r);
      EXPECT_EQ(r->dst, best->dst);
      EXPECT_EQ(r->netmask, best->netmask);
      EXPECT_EQ(r->ifindex, best->ifindex);
      EXPECT_EQ(r->is_interface, best->is_interface);
      // Find agrees on the entry for exactly that destination and mask.
      std::optional<Route> f = t.Find(best->dst, best->netmask, false);
      ASSERT_TRUE(f);
      EXPECT_EQ(f->ifindex, best->ifindex);
    }
  }
}

// --- reassembly

// Fragments of a datagram with `payload` bytes (pattern i*7), `chunk` bytes
// per fragment (a multiple of 8).
std::vector<std::vector<uint8_t>> Fragments(size_t payload, size_t chunk, uint16_t id) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t off = 0; off < payload; off += chunk) {
    const size_t n = std::min(chunk, payload - off);
    std::vector<uint8_t> f(20 + n);
    for (size_t i = 0; i < n; ++i) f[20 + i] = uint8_t((off + i) * 7);
    IpHeader h;
    h.total_len = uint16_t(f.size());
    h.id = id;
    h.off = uint16_t((off / 8) | (off + n < payload ? abi::kIP_MF : 0));
    h.ttl = 64;
    h.proto = 17;
    h.src = A("10.0.0.1");
    h.dst = A("10.0.0.2");
    WriteIpHeader(h, f.data());
    out.push_back(std::move(f));
  }
  return out;
}

Reassembler::Result Feed(Reassembler& r, const std::vector<uint8_t>& f, absl::Time now) {
  IpHeader h;
  EXPECT_EQ(ParseIpHeader(f, &h), IpParseError::kNone);
  return r.Add(h, f, now);
}

void ExpectWhole(const std::vector<uint8_t>& p, size_t payload) {
  IpHeader h;
  ASSERT_EQ(ParseIpHeader(p, &h), IpParseError::kNone);
  EXPECT_EQ(h.total_len, 20 + payload);
  EXPECT_FALSE(h.is_fragment());
  for (size_t i = 0; i < payload; ++i) {
    ASSERT_EQ(p[20 + i], uint8_t(i * 7)) << i;
  }
}

TEST(ReassemblyTest, InOrder) {
  Reassembler r;
  auto frags = Fragments(60000, 1480, 1);
  for (size_t i = 0; i + 1 < frags.size(); ++i) EXPECT_FALSE(Feed(r, frags[i], kT0).packet);
  auto res = Feed(r, frags.back(), kT0);
  ASSERT_TRUE(res.packet);
  ExpectWhole(*res.packet, 60000);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(ReassemblyTest, OutOfOrderAndDuplicates) {
  Reassembler r;
  auto frags = Fragments(5000, 512, 2);
  std::mt19937 rng(5);
  std::shuffle(frags.begin(), frags.end(), rng);
  std::optional<std::vector<uint8_t>> whole;
  for (size_t i = 0; i < frags.size(); ++i) {
    auto res = Feed(r, frags[i], kT0);
    if (res.packet) whole = res.packet;
    if (i + 1 < frags.size()) {
      EXPECT_FALSE(Feed(r, frags[i], kT0).packet);  // a duplicate changes nothing
    }
  }
  ASSERT_TRUE(whole);
  ExpectWhole(*whole, 5000);
}

TEST(ReassemblyTest, OverlapKeepsFirstData) {
  Reassembler r;
  auto frags = Fragments(64, 32, 3);  // [0,32) MF, [32,64)
  // An evil fragment [16,48) with different bytes and MF.
  std::vector<uint8_t> evil(20 + 32, 0xee);
  IpHeader h;
  h.total_len = 52;
  h.id = 3;
  h.off = uint16_t(2 | abi::kIP_MF);
  h.ttl = 64;
  h.proto = 17;
  h.src = A("10.0.0.1");
  h.dst = A("10.0.0.2");
  WriteIpHeader(h, evil.data());
  EXPECT_FALSE(Feed(r, frags[0], kT0).packet);
  auto e = Feed(r, evil, kT0);
  EXPECT_TRUE(e.overlap);
  auto res = Feed(r, frags[1], kT0);
  EXPECT_TRUE(res.overlap);
  ASSERT_TRUE(res.packet);
  // [0,32) from the first fragment; [32,48) from the evil one (it came
  // before the last fragment), [48,64) from the last.
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ((*res.packet)[20 + i], uint8_t(i * 7));
  for (size_t i = 32; i < 48; ++i) EXPECT_EQ((*res.packet)[20 + i], 0xee);
  for (size_t i = 48; i < 64; ++i) EXPECT_EQ((*res.packet)[20 + i], uint8_t(i * 7));
}

TEST(ReassemblyTest, ContradictionsAndMalformedFragments) {
  Reassembler r;
  auto frags = Fragments(64, 32, 4);
  EXPECT_FALSE(Feed(r, frags[1], kT0).packet);  // last: total 64
  // A second "last" fragment ending elsewhere drops the datagram.
  auto other = Fragments(96, 32, 4);
  auto res = Feed(r, other[2], kT0);
  EXPECT_TRUE(res.bad_fragment);
  EXPECT_EQ(r.datagrams(), 0u);
  // A non-last fragment whose length is not a multiple of 8.
  std::vector<uint8_t> odd(20 + 13, 0);
  IpHeader h;
  h.total_len = 33;
  h.id = 5;
  h.off = abi::kIP_MF;
  h.ttl = 1;
  h.proto = 17;
  WriteIpHeader(h, odd.data());
  EXPECT_TRUE(Feed(r, odd, kT0).bad_fragment);
  // Beyond 65535 bytes.
  std::vector<uint8_t> far(20 + 16, 0);
  h.total_len = 36;
  h.off = 0x1fff;  // 65528 + 16 > 65535
  WriteIpHeader(h, far.data());
  EXPECT_TRUE(Feed(r, far, kT0).bad_fragment);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(ReassemblyTest, TimeoutDropsIncompleteDatagrams) {
  ReassemblyConfig cfg;
  cfg.timeout = absl::Seconds(30);
  Reassembler r(cfg);
  auto frags = Fragments(3000, 1000 & ~7u, 6);
  Feed(r, frags[0], kT0);
  Feed(r, frags[1], kT0);
  EXPECT_EQ(r.Expire(kT0 + absl::Seconds(29)), 0u);
  EXPECT_EQ(r.Expire(kT0 + absl::Seconds(30)), 2u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
  // The rest arriving late starts a new datagram that never completes.
  EXPECT_FALSE(Feed(r, frags.back(), kT0 + absl::Seconds(31)).packet);
}

TEST(ReassemblyTest, MemoryAndCountAreBounded) {
  ReassemblyConfig cfg;
  cfg.max_bytes = 64 * 1024;
  cfg.max_datagrams = 8;
  Reassembler r(cfg);
  // Many datagrams with only a far fragment each (each would need ~60 KB).
  for (uint16_t id = 0; id < 100; ++id) {
    auto frags = Fragments(60000, 1480, id);
    Feed(r, frags[30], kT0 + absl::Milliseconds(id));
    EXPECT_LE(r.bytes(), cfg.max_bytes);
    EXPECT_LE(r.datagrams(), cfg.max_datagrams);
  }
  // Small datagrams still complete afterwards.
  auto small = Fragments(100, 48, 999);
  std::optional<std::vector<uint8_t>> whole;
  for (auto& f : small) {
    auto res = Feed(r, f, kT0 + absl::Seconds(1));
    if (res.packet) whole = res.packet;
  }
  ASSERT_TRUE(whole);
  ExpectWhole(*whole, 100);
}

TEST(ReassemblyTest, RandomFragmentsNeverCrash) {
  std::mt19937 rng(9);
  ReassemblyConfig cfg;
  cfg.max_bytes = 256 * 1024;
  Reassembler r(cfg);
  for (int i = 0; i < 20000; ++i) {
    const size_t n = rng() % 200;
    std::vector<uint8_t> f(20 + n, uint8_t(rng()));
    IpHeader h;
    h.total_len = uint16_t(f.size());
    h.id = uint16_t(rng() % 4);
    h.off = uint16_t(rng() & 0x3fff);
    h.proto = 17;
    WriteIpHeader(h, f.data());
    auto res = Feed(r, f, kT0);
    if (res.packet) {
      IpHeader w;
      EXPECT_EQ(ParseIpHeader(*res.packet, &w), IpParseError::kNone);
    }
    EXPECT_LE(r.bytes(), cfg.max_bytes);
  }
}

// --- rate limit

TEST(RateLimitTest, AtMostNPerSecond) {
  RateLimiter l(100);
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += l.Allow(kT0 + absl::Microseconds(i * 900));
  EXPECT_EQ(allowed, 100);  // all within 0.9 s
  EXPECT_TRUE(l.Allow(kT0 + absl::Seconds(1)));
  allowed = 0;
  for (int s = 0; s < 10; ++s) {
    for (int i = 0; i < 500; ++i) {
      allowed += l.Allow(kT0 + absl::Seconds(10 + s) + absl::Milliseconds(i));
    }
  }
  EXPECT_EQ(allowed, 1000);
  RateLimiter none(0);
  EXPECT_FALSE(none.Allow(kT0));
  RateLimiter unlimited(-1);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.Allow(kT0));
}

}  // namespace
}  // namespace rump::inet
