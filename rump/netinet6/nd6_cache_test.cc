// Nd6Cache: RFC 4861 7.3's states and timers (multicast solicitations
// while INCOMPLETE, DELAY then PROBE with unicast ones, giving up), the
// Neighbor Advertisement rules of 7.2.5 case by case, link-layer hints,
// the queue of one packet, the randomized ReachableTime, the entry bound,
// and threads.
#include "rump/netinet6/nd6_cache.h"

#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace rump::inet6 {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000000);
const MacAddress kMac1 = {2, 0, 0, 0, 0, 1};
const MacAddress kMac2 = {2, 0, 0, 0, 0, 2};

In6Address A(const char* s) { return In6Address::Parse(s).value(); }

absl::Time At(double seconds) { return kT0 + absl::Seconds(seconds); }

NdState State(const Nd6Cache& c, const char* a, absl::Time now) {
  std::optional<Nd6Cache::Entry> e = c.Lookup(A(a), now);
  EXPECT_TRUE(e.has_value()) << a;
  return e ? e->state : NdState::kIncomplete;
}

Nd6Cache::Packet P(uint8_t tag) { return Nd6Cache::Packet{tag}; }

TEST(Nd6CacheTest, ResolutionFailsAfterThreeMulticastSolicitations) {
  Nd6Cache c;
  Nd6Cache::Packet p1 = P(1), p2 = P(2);
  Nd6Cache::Resolution r = c.Resolve(A("fe80::2"), p1, kT0);
  EXPECT_FALSE(r.resolved);
  ASSERT_EQ(r.actions.size(), 1u);
  EXPECT_EQ(r.actions[0].kind, Nd6Cache::Action::kSendMulticastNs);
  EXPECT_EQ(r.actions[0].neighbor, A("fe80::2"));
  // NetBSD holds one packet: the newer replaces the older.
  r = c.Resolve(A("fe80::2"), p2, At(0.5));
  EXPECT_FALSE(r.resolved);
  EXPECT_TRUE(r.actions.empty());
  EXPECT_EQ(r.dropped, 1u);
  EXPECT_EQ(c.Lookup(A("fe80::2"), At(0.5))->queued, 1u);
  EXPECT_TRUE(c.Tick(At(0.9)).empty());
  std::vector<Nd6Cache::Action> a = c.Tick(At(1));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kSendMulticastNs);
  a = c.Tick(At(2));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kSendMulticastNs);
  EXPECT_EQ(State(c, "fe80::2", At(2.5)), NdState::kIncomplete);
  // MAX_MULTICAST_SOLICIT (3) sent, RetransTimer later: unreachable, with
  // the queued packet to report.
  a = c.Tick(At(3));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kUnreachable);
  ASSERT_EQ(a[0].packets.size(), 1u);
  EXPECT_EQ(a[0].packets[0], P(2));
  EXPECT_FALSE(c.Lookup(A("fe80::2"), At(3)).has_value());
  EXPECT_EQ(c.size(), 0u);
}

TEST(Nd6CacheTest, SolicitedAdvertisementCompletesAndDelivers) {
  Nd6Cache c;
  Nd6Cache::Packet p = P(7);
  c.Resolve(A("fe80::2"), p, kT0);
  // Without a target link-layer address it says nothing while INCOMPLETE.
  EXPECT_TRUE(c.NeighborAdvertisement(A("fe80::2"), std::nullopt, true, true, false, At(0.1))
                  .empty());
  std::vector<Nd6Cache::Action> a =
      c.NeighborAdvertisement(A("fe80::2"), kMac1, true, true, true, At(0.2));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kDeliver);
  EXPECT_EQ(a[0].mac, kMac1);
  ASSERT_EQ(a[0].packets.size(), 1u);
  EXPECT_EQ(a[0].packets[0], P(7));
  std::optional<Nd6Cache::Entry> e = c.Lookup(A("fe80::2"), At(0.2));
  EXPECT_EQ(e->state, NdState::kReachable);
  EXPECT_EQ(e->mac, kMac1);
  EXPECT_TRUE(e->is_router);
  Nd6Cache::Packet q = P(8);
  Nd6Cache::Resolution r = c.Resolve(A("fe80::2"), q, At(1));
  EXPECT_TRUE(r.resolved);
  EXPECT_EQ(r.mac, kMac1);
  EXPECT_EQ(q, P(8));  // left alone
  EXPECT_TRUE(c.Tick(At(5)).empty());
  // An unsolicited one completes to STALE.
  Nd6Cache::Packet p3 = P(3);
  c.Resolve(A("fe80::3"), p3, kT0);
  EXPECT_EQ(c.NeighborAdvertisement(A("fe80::3"), kMac2, false, false, false, At(0.1)).size(), 1u);
  EXPECT_EQ(State(c, "fe80::3", At(0.1)), NdState::kStale);
}

TEST(Nd6CacheTest, ReachableStaleDelayProbeUnreachable) {
  Nd6Cache c;  // no random source: ReachableTime 30 s
  EXPECT_EQ(c.reachable_time(), absl::Seconds(30));
  Nd6Cache::Packet p = P(1);
  c.Resolve(A("fe80::2"), p, kT0);
  c.NeighborAdvertisement(A("fe80::2"), kMac1, true, true, false, kT0);
  EXPECT_EQ(State(c, "fe80::2", At(29.9)), NdState::kReachable);
  EXPECT_EQ(State(c, "fe80::2", At(30)), NdState::kStale);
  // Sending to a STALE entry uses it and starts DELAY.
  Nd6Cache::Packet q = P(2);
  Nd6Cache::Resolution r = c.Resolve(A("fe80::2"), q, At(40));
  EXPECT_TRUE(r.resolved);
  EXPECT_EQ(State(c, "fe80::2", At(40)), NdState::kDelay);
  EXPECT_TRUE(c.Tick(At(44.9)).empty());
  // DELAY_FIRST_PROBE_TIME without confirmation: PROBE, unicast NS to the
  // cached address.
  std::vector<Nd6Cache::Action> a = c.Tick(At(45));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kSendUnicastNs);
  EXPECT_EQ(a[0].mac, kMac1);
  EXPECT_EQ(State(c, "fe80::2", At(45)), NdState::kProbe);
  // Still usable while probing.
  EXPECT_TRUE(c.Resolve(A("fe80::2"), q, At(45.5)).resolved);
  EXPECT_EQ(c.Tick(At(46)).size(), 1u);
  EXPECT_EQ(c.Tick(At(47)).size(), 1u);
  a = c.Tick(At(48));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kUnreachable);
  EXPECT_TRUE(a[0].packets.empty());
  EXPECT_EQ(c.size(), 0u);
}

TEST(Nd6CacheTest, ConfirmationsAndSolicitedAdvertisementsEndProbing) {
  Nd6Cache c;
  c.LinkLayerHint(A("fe80::2"), kMac1, kT0);
  Nd6Cache::Packet p = P(1);
  c.Resolve(A("fe80::2"), p, kT0);
  EXPECT_EQ(State(c, "fe80::2", kT0), NdState::kDelay);
  c.ConfirmReachable(A("fe80::2"), At(1));
  EXPECT_EQ(State(c, "fe80::2", At(1)), NdState::kReachable);
  EXPECT_TRUE(c.Tick(At(6)).empty());
  c.Resolve(A("fe80::2"), p, At(40));
  EXPECT_EQ(c.Tick(At(45)).size(), 1u);  // PROBE
  c.NeighborAdvertisement(A("fe80::2"), std::nullopt, true, false, false, At(45.5));
  EXPECT_EQ(State(c, "fe80::2", At(45.5)), NdState::kReachable);
  EXPECT_TRUE(c.Tick(At(50)).empty());
  // Confirming an INCOMPLETE entry does nothing.
  Nd6Cache::Packet q = P(2);
  c.Resolve(A("fe80::3"), q, kT0);
  c.ConfirmReachable(A("fe80::3"), kT0);
  EXPECT_EQ(State(c, "fe80::3", kT0), NdState::kIncomplete);
}

// RFC 4861 7.2.5 for an entry that is not INCOMPLETE, case by case.
TEST(Nd6CacheTest, AdvertisementRules) {
  struct Case {
    const char* name;
    NdState before;
    std::optional<MacAddress> lla;
    bool solicited, override_flag;
    NdState after;
    MacAddress mac;
  };
  const Case cases[] = {
      {"O=0, new address, REACHABLE: STALE, address kept", NdState::kReachable, kMac2, true, false,
       NdState::kStale, kMac1},
      {"O=0, new address, STALE: ignored", NdState::kStale, kMac2, true, false, NdState::kStale,
       kMac1},
      {"O=0, new address, DELAY: ignored", NdState::kDelay, kMac2, false, false, NdState::kDelay,
       kMac1},
      {"O=0, same address, S=1: REACHABLE", NdState::kStale, kMac1, true, false,
       NdState::kReachable, kMac1},
      {"O=0, same address, S=0: unchanged", NdState::kDelay, kMac1, false, false, NdState::kDelay,
       kMac1},
      {"O=1, new address, S=0: STALE with it", NdState::kReachable, kMac2, false, true,
       NdState::kStale, kMac2},
      {"O=1, new address, S=1: REACHABLE with it", NdState::kStale, kMac2, true, true,
       NdState::kReachable, kMac2},
      {"no address, S=1: REACHABLE", NdState::kProbe, std::nullopt, true, false,
       NdState::kReachable, kMac1},
      {"no address, S=0: unchanged", NdState::kStale, std::nullopt, false, true, NdState::kStale,
       kMac1},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Nd6Cache c;
    const In6Address n = A("fe80::2");
    c.LinkLayerHint(n, kMac1, kT0);  // STALE
    Nd6Cache::Packet p = P(1);
    if (k.before == NdState::kReachable) c.ConfirmReachable(n, kT0);
    if (k.before == NdState::kDelay || k.before == NdState::kProbe) c.Resolve(n, p, kT0);
    if (k.before == NdState::kProbe) c.Tick(At(5));
    const absl::Time now = At(6);
    ASSERT_EQ(State(c, "fe80::2", now), k.before);
    EXPECT_TRUE(c.NeighborAdvertisement(n, k.lla, k.solicited, k.override_flag, false, now).empty());
    const std::optional<Nd6Cache::Entry> e = c.Lookup(n, now);
    EXPECT_EQ(e->state, k.after);
    EXPECT_EQ(e->mac, k.mac);
  }
}

TEST(Nd6CacheTest, RouterFlag) {
  Nd6Cache c;
  const In6Address r = A("fe80::1");
  c.LinkLayerHint(r, kMac1, kT0, /*is_router=*/true);
  EXPECT_TRUE(c.Lookup(r, kT0)->is_router);
  bool was_router = false;
  c.NeighborAdvertisement(r, kMac1, true, true, /*router=*/false, At(1), &was_router);
  EXPECT_TRUE(was_router);
  EXPECT_FALSE(c.Lookup(r, At(1))->is_router);
  c.NeighborAdvertisement(r, kMac1, true, true, /*router=*/true, At(2), &was_router);
  EXPECT_FALSE(was_router);
  EXPECT_TRUE(c.Lookup(r, At(2))->is_router);
  // O=0 with another address does not touch the flag.
  c.NeighborAdvertisement(r, kMac2, true, false, false, At(3), &was_router);
  EXPECT_FALSE(was_router);
  EXPECT_TRUE(c.Lookup(r, At(3))->is_router);
}

TEST(Nd6CacheTest, AdvertisementsNeverCreateEntries) {
  Nd6Cache c;
  EXPECT_TRUE(c.NeighborAdvertisement(A("fe80::9"), kMac1, true, true, false, kT0).empty());
  EXPECT_EQ(c.size(), 0u);
}

TEST(Nd6CacheTest, LinkLayerHints) {
  Nd6Cache c;
  // A new entry is STALE, with no solicitation.
  EXPECT_TRUE(c.LinkLayerHint(A("fe80::2"), kMac1, kT0).empty());
  EXPECT_EQ(State(c, "fe80::2", kT0), NdState::kStale);
  // The same address: unchanged (a REACHABLE entry stays so).
  c.ConfirmReachable(A("fe80::2"), kT0);
  c.LinkLayerHint(A("fe80::2"), kMac1, At(1));
  EXPECT_EQ(State(c, "fe80::2", At(1)), NdState::kReachable);
  // Another address: replaced, STALE.
  c.LinkLayerHint(A("fe80::2"), kMac2, At(2));
  EXPECT_EQ(State(c, "fe80::2", At(2)), NdState::kStale);
  EXPECT_EQ(c.Lookup(A("fe80::2"), At(2))->mac, kMac2);
  // An INCOMPLETE entry learns it and releases its packet.
  Nd6Cache::Packet p = P(4);
  c.Resolve(A("fe80::3"), p, kT0);
  std::vector<Nd6Cache::Action> a = c.LinkLayerHint(A("fe80::3"), kMac1, At(0.5));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].kind, Nd6Cache::Action::kDeliver);
  EXPECT_EQ(a[0].packets.size(), 1u);
  EXPECT_EQ(State(c, "fe80::3", At(0.5)), NdState::kStale);
}

TEST(Nd6CacheTest, RandomizedReachableTime) {
  for (const auto& [draw, expect] :
       {std::pair{0.0, absl::Seconds(15)}, std::pair{0.5, absl::Seconds(30)},
        std::pair{0.75, absl::Seconds(37.5)}}) {
    Nd6Config cfg;
    int calls = 0;
    const double d = draw;
    cfg.random = [&calls, d] {
      ++calls;
      return d;
    };
    Nd6Cache c(cfg);
    EXPECT_EQ(c.reachable_time(), expect);
    c.LinkLayerHint(A("fe80::2"), kMac1, kT0);
    c.ConfirmReachable(A("fe80::2"), kT0);
    EXPECT_EQ(c.Lookup(A("fe80::2"), kT0 + expect - absl::Milliseconds(1))->state,
              NdState::kReachable);
    EXPECT_EQ(c.Lookup(A("fe80::2"), kT0 + expect)->state, NdState::kStale);
    // A new base (from a Router Advertisement) draws again.
    c.set_base_reachable_time(absl::Seconds(10));
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(c.reachable_time(), absl::Seconds(10) * (0.5 + d));
  }
  // The retransmission timer can change too.
  Nd6Cache c;
  c.set_retrans_timer(absl::Seconds(2));
  Nd6Cache::Packet p = P(1);
  c.Resolve(A("fe80::2"), p, kT0);
  EXPECT_TRUE(c.Tick(At(1.5)).empty());
  EXPECT_EQ(c.Tick(At(2)).size(), 1u);
}

TEST(Nd6CacheTest, EntriesAreBounded) {
  Nd6Config cfg;
  cfg.max_entries = 3;
  Nd6Cache c(cfg);
  c.LinkLayerHint(A("fe80::1"), kMac1, At(1));
  c.LinkLayerHint(A("fe80::2"), kMac1, At(2));
  Nd6Cache::Packet p = P(1);
  c.Resolve(A("fe80::3"), p, At(3));
  c.LinkLayerHint(A("fe80::4"), kMac1, At(4));  // the INCOMPLETE one goes
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.Lookup(A("fe80::3"), At(4)).has_value());
  c.LinkLayerHint(A("fe80::5"), kMac1, At(5));  // then the least recently used
  EXPECT_FALSE(c.Lookup(A("fe80::1"), At(5)).has_value());
  EXPECT_TRUE(c.Lookup(A("fe80::2"), At(5)).has_value());
  size_t dropped = 9;
  EXPECT_TRUE(c.Remove(A("fe80::2"), &dropped));
  EXPECT_EQ(dropped, 0u);
  EXPECT_FALSE(c.Remove(A("fe80::2")));
  Nd6Cache::Packet q = P(2);
  c.Resolve(A("fe80::6"), q, At(6));
  EXPECT_EQ(c.Flush(), 1u);
  EXPECT_EQ(c.size(), 0u);
}

TEST(Nd6CacheTest, Threads) {
  Nd6Cache c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 500; ++i) {
        In6Address::Bytes b = A("fe80::").bytes();
        b[15] = uint8_t(i % 50);
        const In6Address n(b);
        const absl::Time now = At(i * 0.1);
        Nd6Cache::Packet p = P(uint8_t(t));
        switch ((i + t) % 4) {
          case 0:
            c.Resolve(n, p, now);
            break;
          case 1:
            c.NeighborAdvertisement(n, kMac1, true, true, false, now);
            break;
          case 2:
            c.LinkLayerHint(n, kMac2, now);
            break;
          default:
            c.Tick(now);
            break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(c.size(), 50u);
}

}  // namespace
}  // namespace rump::inet6
