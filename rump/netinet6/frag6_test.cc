// Frag6Reassembler: reassembly in any order, the unfragmentable part kept,
// atomic fragments (RFC 6946), overlaps abandoning datagrams (RFC 5722),
// the two Parameter Problems of RFC 8200 4.5, incomplete first fragments
// (RFC 7112), contradictions, the timeout and Time Exceeded quotes, the
// limits, and threads.
#include "rump/netinet6/frag6.h"

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/in6.h"

namespace rump::inet6 {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000000);

In6Address A(const char* s) { return In6Address::Parse(s).value(); }

std::vector<uint8_t> Datagram(size_t len, uint8_t seed = 1) {
  std::vector<uint8_t> d(len);
  for (size_t i = 0; i < len; ++i) d[i] = uint8_t(i * 7 + seed);
  return d;
}

// A packet: fixed header, `before` (extension headers, the last of which
// names the fragment header; empty: the fixed header does), the fragment
// header, `data`.
std::vector<uint8_t> Fragment(uint32_t id, size_t offset, bool more,
                              absl::Span<const uint8_t> data,
                              const std::vector<uint8_t>& before = {},
                              const char* src = "2001:db8::1") {
  Ip6Header h;
  h.next_header = before.empty() ? abi::kIPPROTO_FRAGMENT : abi::kIPPROTO_HOPOPTS;
  h.hop_limit = 64;
  h.src = A(src);
  h.dst = A("2001:db8::2");
  h.payload_len = uint16_t(before.size() + 8 + data.size());
  std::vector<uint8_t> p(40);
  WriteIp6Header(h, p.data());
  p.insert(p.end(), before.begin(), before.end());
  Ip6FragmentHeader f;
  f.next_header = 17;
  f.offset = uint16_t(offset);
  f.more = more;
  f.id = id;
  uint8_t fh[8];
  WriteIp6FragmentHeader(f, fh);
  p.insert(p.end(), fh, fh + 8);
  p.insert(p.end(), data.begin(), data.end());
  return p;
}

// The unfragmented packet carrying `data` as UDP (with `before`).
std::vector<uint8_t> Whole(absl::Span<const uint8_t> data, const std::vector<uint8_t>& before = {}) {
  Ip6Header h;
  h.next_header = before.empty() ? 17 : abi::kIPPROTO_HOPOPTS;
  h.hop_limit = 64;
  h.src = A("2001:db8::1");
  h.dst = A("2001:db8::2");
  h.payload_len = uint16_t(before.size() + data.size());
  std::vector<uint8_t> p(40);
  WriteIp6Header(h, p.data());
  p.insert(p.end(), before.begin(), before.end());
  if (!before.empty()) p[40] = 17;
  p.insert(p.end(), data.begin(), data.end());
  return p;
}

const std::vector<uint8_t> kHopByHop = {abi::kIPPROTO_FRAGMENT, 0, 1, 4, 0, 0, 0, 0};

Frag6Reassembler::Result Add(Frag6Reassembler& r, const std::vector<uint8_t>& p,
                             absl::Time now = kT0) {
  const Ip6Chain c = WalkIp6Chain(p);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.fragment.has_value());
  return r.Add(p, c, now);
}

// `data` cut into pieces of `piece` bytes (a multiple of 8).
std::vector<std::vector<uint8_t>> Cut(uint32_t id, const std::vector<uint8_t>& data, size_t piece,
                                      const std::vector<uint8_t>& before = {},
                                      const char* src = "2001:db8::1") {
  std::vector<std::vector<uint8_t>> out;
  for (size_t off = 0; off < data.size(); off += piece) {
    const size_t n = std::min(piece, data.size() - off);
    out.push_back(Fragment(id, off, off + n < data.size(),
                           absl::MakeConstSpan(data).subspan(off, n), before, src));
  }
  return out;
}

TEST(Frag6Test, ReassemblesInAnyOrder) {
  const std::vector<uint8_t> data = Datagram(3000);
  std::vector<std::vector<uint8_t>> frags = Cut(7, data, 1232);
  ASSERT_EQ(frags.size(), 3u);
  std::vector<int> order = {0, 1, 2};
  do {
    Frag6Reassembler r;
    for (size_t i = 0; i < order.size(); ++i) {
      const Frag6Reassembler::Result res = Add(r, frags[order[i]]);
      if (i + 1 < order.size()) {
        EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kHeld);
        continue;
      }
      ASSERT_EQ(res.verdict, Frag6Reassembler::Result::kComplete);
      EXPECT_EQ(res.packet, Whole(data));
      EXPECT_EQ(res.resume_at, 40u);
      EXPECT_EQ(res.next_header_at, 6u);
      EXPECT_FALSE(res.atomic);
    }
    EXPECT_EQ(r.datagrams(), 0u);
    EXPECT_EQ(r.bytes(), 0u);
    EXPECT_EQ(r.fragments(), 0u);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(Frag6Test, KeepsTheUnfragmentablePart) {
  const std::vector<uint8_t> data = Datagram(200);
  std::vector<std::vector<uint8_t>> frags = Cut(9, data, 96, kHopByHop);
  Frag6Reassembler r;
  EXPECT_EQ(Add(r, frags[2]).verdict, Frag6Reassembler::Result::kHeld);
  EXPECT_EQ(Add(r, frags[0]).verdict, Frag6Reassembler::Result::kHeld);
  const Frag6Reassembler::Result res = Add(r, frags[1]);
  ASSERT_EQ(res.verdict, Frag6Reassembler::Result::kComplete);
  EXPECT_EQ(res.packet, Whole(data, kHopByHop));
  EXPECT_EQ(res.resume_at, 48u);
  EXPECT_EQ(res.next_header_at, 40u);
  const Ip6Chain c = WalkIp6ChainFrom(res.packet, res.resume_at, res.packet[res.next_header_at],
                                      res.next_header_at, false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.protocol, 17);
  EXPECT_EQ(c.offset, 48u);
}

TEST(Frag6Test, AtomicFragmentsAreHandedBackAtOnce) {
  Frag6Reassembler r;
  const std::vector<uint8_t> data = Datagram(100);
  // A queue with the same key is left alone.
  EXPECT_EQ(Add(r, Fragment(5, 0, true, absl::MakeConstSpan(data).first(48))).verdict,
            Frag6Reassembler::Result::kHeld);
  const Frag6Reassembler::Result res = Add(r, Fragment(5, 0, false, data, kHopByHop));
  ASSERT_EQ(res.verdict, Frag6Reassembler::Result::kComplete);
  EXPECT_TRUE(res.atomic);
  EXPECT_EQ(res.packet, Whole(data, kHopByHop));
  EXPECT_EQ(res.resume_at, 48u);
  EXPECT_EQ(res.next_header_at, 40u);
  EXPECT_EQ(r.datagrams(), 1u);
  EXPECT_EQ(r.fragments(), 1u);
}

TEST(Frag6Test, AnyOverlapAbandonsTheDatagramUntilItsTimeout) {
  const std::vector<uint8_t> data = Datagram(64);
  for (size_t second_offset : {0, 8, 24}) {  // duplicate, inside, straddling
    Frag6Reassembler r;
    EXPECT_EQ(Add(r, Fragment(1, 0, true, absl::MakeConstSpan(data).first(32))).verdict,
              Frag6Reassembler::Result::kHeld);
    EXPECT_EQ(Add(r, Fragment(1, 48, false, absl::MakeConstSpan(data).subspan(48))).verdict,
              Frag6Reassembler::Result::kHeld);
    const Frag6Reassembler::Result res =
        Add(r, Fragment(1, second_offset, true, absl::MakeConstSpan(data).subspan(second_offset, 16)),
            kT0 + absl::Seconds(1));
    EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kDropped);
    EXPECT_EQ(res.drop, Frag6Drop::kOverlap);
    EXPECT_EQ(res.dropped_fragments, 3u);
    EXPECT_EQ(r.datagrams(), 0u);
    EXPECT_EQ(r.bytes(), 0u);
    // Later fragments of it are dropped silently until the timeout...
    const std::vector<uint8_t> rest = Fragment(1, 32, true, absl::MakeConstSpan(data).subspan(32, 16));
    Frag6Reassembler::Result later = Add(r, rest, kT0 + absl::Seconds(59));
    EXPECT_EQ(later.verdict, Frag6Reassembler::Result::kDropped);
    EXPECT_EQ(later.drop, Frag6Drop::kAbandoned);
    // ... other datagrams are not concerned ...
    EXPECT_EQ(Add(r, Fragment(2, 32, true, absl::MakeConstSpan(data).subspan(32, 16)),
                  kT0 + absl::Seconds(59))
                  .verdict,
              Frag6Reassembler::Result::kHeld);
    // ... and after it the identification is usable again.
    r.Expire(kT0 + absl::Seconds(60));
    later = Add(r, rest, kT0 + absl::Seconds(60));
    EXPECT_EQ(later.verdict, Frag6Reassembler::Result::kHeld);
  }
}

TEST(Frag6Test, ParameterProblems) {
  Frag6Reassembler r;
  const std::vector<uint8_t> data = Datagram(100);
  // A non-last fragment of 20 bytes: code 0, pointer at the payload length.
  Frag6Reassembler::Result res = Add(r, Fragment(3, 0, true, absl::MakeConstSpan(data).first(20)));
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kParamProblem);
  EXPECT_EQ(res.code, abi::kICMP6_PARAMPROB_HEADER);
  EXPECT_EQ(res.pointer, 4u);
  // 65528 + 16 > 65535: code 0, pointer at the fragment offset (after a
  // hop-by-hop header, 48 + 2).
  res = Add(r, Fragment(3, 65528, false, absl::MakeConstSpan(data).first(16), kHopByHop));
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kParamProblem);
  EXPECT_EQ(res.drop, Frag6Drop::kTooLong);
  EXPECT_EQ(res.code, abi::kICMP6_PARAMPROB_HEADER);
  EXPECT_EQ(res.pointer, 50u);
  // The unfragmentable headers count: 65528 + 7 fits alone, not after 8.
  res = Add(r, Fragment(3, 65528, false, absl::MakeConstSpan(data).first(7)));
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kHeld);
  res = Add(r, Fragment(4, 65528, false, absl::MakeConstSpan(data).first(7), kHopByHop));
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kParamProblem);
  EXPECT_EQ(res.pointer, 50u);
  // An empty non-last fragment is refused silently.
  res = Add(r, Fragment(3, 8, true, {}));
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kDropped);
  EXPECT_EQ(res.drop, Frag6Drop::kMalformed);
  EXPECT_EQ(r.datagrams(), 1u);
}

TEST(Frag6Test, FirstFragmentMustHoldTheHeaderChain) {
  Frag6Reassembler r;
  // A destination options header of 24 bytes, only 16 of them here.
  std::vector<uint8_t> cut = {17, 2, 1, 14};
  cut.resize(16);
  std::vector<uint8_t> first = Fragment(6, 0, true, cut);
  first[40] = abi::kIPPROTO_DSTOPTS;  // the fragment header's next header
  Frag6Reassembler::Result res = Add(r, first);
  EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kDropped);
  EXPECT_EQ(res.drop, Frag6Drop::kIncompleteChain);
  EXPECT_EQ(r.datagrams(), 0u);
  // The same header whole, then UDP: kept. (The fragment header's next
  // header says 17 in Fragment(); the chain is checked as it says, so
  // build one naming destination options by hand.)
  std::vector<uint8_t> p = Fragment(6, 0, true, Datagram(64));
  p[40] = abi::kIPPROTO_DSTOPTS;
  p[48] = 17;
  p[49] = 0;
  p[50] = 1;
  p[51] = 4;
  EXPECT_EQ(Add(r, p).verdict, Frag6Reassembler::Result::kHeld);
  p[49] = 9;  // now 80 bytes long: past the fragment
  p[45] = 8;  // another identification
  EXPECT_EQ(Add(r, p).drop, Frag6Drop::kIncompleteChain);
}

TEST(Frag6Test, ContradictionsAbandon) {
  Frag6Reassembler r;
  const std::vector<uint8_t> data = Datagram(64);
  EXPECT_EQ(Add(r, Fragment(8, 32, false, absl::MakeConstSpan(data).subspan(32))).verdict,
            Frag6Reassembler::Result::kHeld);
  // Another end.
  Frag6Reassembler::Result res = Add(r, Fragment(8, 40, false, absl::MakeConstSpan(data).first(8)));
  EXPECT_EQ(res.drop, Frag6Drop::kContradiction);
  EXPECT_EQ(res.dropped_fragments, 2u);
  EXPECT_EQ(Add(r, Fragment(8, 0, true, absl::MakeConstSpan(data).first(32))).drop,
            Frag6Drop::kAbandoned);
  // Data beyond the known end.
  EXPECT_EQ(Add(r, Fragment(9, 0, false, absl::MakeConstSpan(data).first(1)), kT0).verdict,
            Frag6Reassembler::Result::kComplete);  // atomic, whatever
  EXPECT_EQ(Add(r, Fragment(10, 0, true, absl::MakeConstSpan(data).first(8))).verdict,
            Frag6Reassembler::Result::kHeld);
  EXPECT_EQ(Add(r, Fragment(10, 8, false, absl::MakeConstSpan(data).first(8))).verdict,
            Frag6Reassembler::Result::kComplete);
  EXPECT_EQ(Add(r, Fragment(11, 16, false, absl::MakeConstSpan(data).first(8))).verdict,
            Frag6Reassembler::Result::kHeld);
  EXPECT_EQ(Add(r, Fragment(11, 24, true, absl::MakeConstSpan(data).first(8))).drop,
            Frag6Drop::kContradiction);
}

TEST(Frag6Test, TimeoutAndTimeExceededQuotes) {
  Frag6Reassembler r;
  const std::vector<uint8_t> data = Datagram(4000);
  const std::vector<std::vector<uint8_t>> a = Cut(20, data, 1448);
  const std::vector<std::vector<uint8_t>> b = Cut(21, data, 1448);
  EXPECT_EQ(Add(r, a[0]).verdict, Frag6Reassembler::Result::kHeld);  // first fragment
  EXPECT_EQ(Add(r, b[1], kT0 + absl::Seconds(10)).verdict, Frag6Reassembler::Result::kHeld);
  Frag6Reassembler::Expired e = r.Expire(kT0 + absl::Seconds(59));
  EXPECT_EQ(e.dropped_fragments, 0u);
  EXPECT_EQ(r.datagrams(), 2u);
  e = r.Expire(kT0 + absl::Seconds(60));
  EXPECT_EQ(e.dropped_fragments, 1u);
  ASSERT_EQ(e.time_exceeded.size(), 1u);
  // The quote is the first fragment's start: at most 1232 bytes.
  EXPECT_EQ(e.time_exceeded[0],
            std::vector<uint8_t>(a[0].begin(), a[0].begin() + 1232));
  e = r.Expire(kT0 + absl::Seconds(70));
  EXPECT_EQ(e.dropped_fragments, 1u);
  EXPECT_TRUE(e.time_exceeded.empty());  // its first fragment never came
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(Frag6Test, LimitsDropTheOldest) {
  const std::vector<uint8_t> data = Datagram(64);
  {
    Frag6Config c;
    c.max_datagrams = 3;
    Frag6Reassembler r(c);
    for (uint32_t id = 0; id < 5; ++id) {
      Add(r, Fragment(id, 0, true, absl::MakeConstSpan(data).first(32)),
          kT0 + absl::Seconds(id));
    }
    EXPECT_EQ(r.datagrams(), 3u);
    // 0 and 1 went: their last fragment now starts a new datagram.
    EXPECT_EQ(Add(r, Fragment(4, 32, false, absl::MakeConstSpan(data).subspan(32))).verdict,
              Frag6Reassembler::Result::kComplete);
    EXPECT_EQ(Add(r, Fragment(0, 32, false, absl::MakeConstSpan(data).subspan(32))).verdict,
              Frag6Reassembler::Result::kHeld);
  }
  {
    Frag6Config c;
    c.max_fragments = 4;
    Frag6Reassembler r(c);
    for (uint32_t id = 0; id < 3; ++id) {
      Add(r, Fragment(id, 0, true, absl::MakeConstSpan(data).first(8)), kT0 + absl::Seconds(id));
      Add(r, Fragment(id, 8, true, absl::MakeConstSpan(data).first(8)), kT0 + absl::Seconds(id));
    }
    EXPECT_EQ(r.fragments(), 4u);
    EXPECT_EQ(r.datagrams(), 2u);
  }
  {
    Frag6Config c;
    c.max_bytes = 100;
    Frag6Reassembler r(c);
    Add(r, Fragment(1, 0, true, absl::MakeConstSpan(data).first(48)));
    Add(r, Fragment(2, 0, true, absl::MakeConstSpan(data).first(48)), kT0 + absl::Seconds(1));
    EXPECT_EQ(r.bytes(), 96u);
    Frag6Reassembler::Result res =
        Add(r, Fragment(3, 0, true, absl::MakeConstSpan(data).first(48)), kT0 + absl::Seconds(2));
    EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kHeld);
    EXPECT_EQ(res.dropped_fragments, 1u);  // datagram 1's
    EXPECT_EQ(r.bytes(), 96u);
    // One that cannot fit even alone is refused, and leaves nothing.
    res = Add(r, Fragment(4, 200, false, absl::MakeConstSpan(data).first(8)), kT0 + absl::Seconds(3));
    EXPECT_EQ(res.drop, Frag6Drop::kNoRoom);
    EXPECT_LE(r.bytes(), 100u);
    EXPECT_EQ(r.datagrams(), 0u);
  }
}

TEST(Frag6Test, RandomOrderAndLossNeverConfuse) {
  std::mt19937 rng(11);
  Frag6Reassembler r;
  for (int n = 0; n < 300; ++n) {
    const std::vector<uint8_t> data = Datagram(8 + rng() % 5000, uint8_t(n));
    std::vector<std::vector<uint8_t>> frags = Cut(uint32_t(n), data, 8 * (1 + rng() % 100));
    std::shuffle(frags.begin(), frags.end(), rng);
    const bool lose = frags.size() > 1 && rng() % 4 == 0;
    if (lose) frags.pop_back();
    int complete = 0;
    for (const auto& f : frags) {
      const Frag6Reassembler::Result res = Add(r, f, kT0 + absl::Seconds(n));
      if (res.verdict == Frag6Reassembler::Result::kComplete) {
        ++complete;
        EXPECT_EQ(res.packet, Whole(data));
      } else {
        EXPECT_EQ(res.verdict, Frag6Reassembler::Result::kHeld);
      }
    }
    EXPECT_EQ(complete, lose ? 0 : 1);
  }
  EXPECT_LE(r.datagrams(), 200u);
  EXPECT_LE(r.fragments(), 200u);
  r.Expire(kT0 + absl::Hours(1));
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.fragments(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST(Frag6Test, ThreadsReassembleTheirOwnDatagrams) {
  Frag6Reassembler r;
  std::vector<std::thread> threads;
  std::vector<int> completed(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, &completed, t] {
      const char* src[] = {"2001:db8::a", "2001:db8::b", "2001:db8::c", "2001:db8::d"};
      for (uint32_t id = 0; id < 50; ++id) {
        const std::vector<uint8_t> data = Datagram(1000, uint8_t(t));
        for (const auto& f : Cut(id, data, 256, {}, src[t])) {
          const Ip6Chain c = WalkIp6Chain(f);
          const Frag6Reassembler::Result res = r.Add(f, c, kT0);
          if (res.verdict == Frag6Reassembler::Result::kComplete) ++completed[t];
        }
        r.Expire(kT0);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(completed[t], 50);
  EXPECT_EQ(r.datagrams(), 0u);
}

}  // namespace
}  // namespace rump::inet6
