#include "shmif/vxlan/vtep_table.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace shmif_vxlan {
namespace {

const MacAddress kA = {0x02, 0, 0, 0, 0, 0x0a};
const MacAddress kB = {0x02, 0, 0, 0, 0, 0x0b};
const MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const MacAddress kMulticast = {0x01, 0x00, 0x5e, 0, 0, 1};
const VtepAddress kR1{0x0a000001, 4789};
const VtepAddress kR2{0x0a000002, 4789};
const absl::Time kT0 = absl::FromUnixSeconds(1000000);

TEST(VtepTableTest, UnknownUntilLearned) {
  VtepTable t(absl::Seconds(300), 100);
  EXPECT_EQ(t.Lookup(kA, kT0).kind, StationPlace::kUnknown);
  EXPECT_EQ(t.LearnRemote(kA, kR1, kT0), VtepTable::Learned::kNew);
  StationPlace p = t.Lookup(kA, kT0);
  EXPECT_EQ(p.kind, StationPlace::kRemote);
  EXPECT_EQ(p.remote, kR1);
  EXPECT_EQ(t.Lookup(kB, kT0).kind, StationPlace::kUnknown);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.remote_stations(), 1u);
}

TEST(VtepTableTest, RefreshAndMove) {
  VtepTable t(absl::Seconds(300), 100);
  t.LearnRemote(kA, kR1, kT0);
  EXPECT_EQ(t.LearnRemote(kA, kR1, kT0 + absl::Seconds(1)), VtepTable::Learned::kRefreshed);
  EXPECT_EQ(t.LearnRemote(kA, kR2, kT0 + absl::Seconds(2)), VtepTable::Learned::kMoved);
  EXPECT_EQ(t.Lookup(kA, kT0 + absl::Seconds(2)).remote, kR2);
  EXPECT_EQ(t.LearnRemote(kA, VtepAddress{kR2.ip, 4790}, kT0 + absl::Seconds(3)),
            VtepTable::Learned::kMoved);
  // From the segment to the local bus and back.
  EXPECT_EQ(t.LearnLocal(kA, kT0 + absl::Seconds(4)), VtepTable::Learned::kMoved);
  EXPECT_EQ(t.Lookup(kA, kT0 + absl::Seconds(4)).kind, StationPlace::kLocal);
  EXPECT_EQ(t.LearnLocal(kA, kT0 + absl::Seconds(5)), VtepTable::Learned::kRefreshed);
  EXPECT_EQ(t.LearnRemote(kA, kR1, kT0 + absl::Seconds(6)), VtepTable::Learned::kMoved);
  EXPECT_EQ(t.size(), 1u);
}

TEST(VtepTableTest, GroupAddressesAreNeverLearned) {
  VtepTable t(absl::Seconds(300), 100);
  EXPECT_EQ(t.LearnRemote(kBroadcast, kR1, kT0), VtepTable::Learned::kIgnored);
  EXPECT_EQ(t.LearnLocal(kMulticast, kT0), VtepTable::Learned::kIgnored);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Lookup(kBroadcast, kT0).kind, StationPlace::kUnknown);
}

TEST(VtepTableTest, AgeingForgetsSilentStations) {
  VtepTable t(absl::Seconds(300), 100);
  t.LearnRemote(kA, kR1, kT0);
  t.LearnLocal(kB, kT0 + absl::Seconds(200));
  EXPECT_TRUE(t.Age(kT0 + absl::Seconds(300)).empty());
  // Lookup hides an expired entry even before Age runs.
  EXPECT_EQ(t.Lookup(kA, kT0 + absl::Seconds(301)).kind, StationPlace::kUnknown);
  EXPECT_EQ(t.Lookup(kB, kT0 + absl::Seconds(301)).kind, StationPlace::kLocal);
  std::vector<VtepTable::AgedStation> aged = t.Age(kT0 + absl::Seconds(301));
  ASSERT_EQ(aged.size(), 1u);
  EXPECT_EQ(aged[0].mac, kA);
  EXPECT_EQ(aged[0].place.remote, kR1);
  EXPECT_EQ(t.size(), 1u);
  aged = t.Age(kT0 + absl::Seconds(501));
  ASSERT_EQ(aged.size(), 1u);
  EXPECT_EQ(aged[0].mac, kB);
  EXPECT_EQ(t.size(), 0u);
}

TEST(VtepTableTest, ExpiredButNotYetAgedIsLearnedAsNew) {
  VtepTable t(absl::Seconds(10), 100);
  t.LearnRemote(kA, kR1, kT0);
  EXPECT_EQ(t.LearnRemote(kA, kR1, kT0 + absl::Seconds(11)), VtepTable::Learned::kNew);
}

TEST(VtepTableTest, CapacityBoundsTheTable) {
  VtepTable t(absl::Seconds(300), 3);
  for (uint8_t i = 0; i < 10; ++i) {
    MacAddress m = {0x02, 0, 0, 0, 1, i};
    t.LearnRemote(m, kR1, kT0);
  }
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.refused(), 7u);
  // Known stations still refresh and move when full.
  EXPECT_EQ(t.LearnRemote(MacAddress{0x02, 0, 0, 0, 1, 0}, kR2, kT0), VtepTable::Learned::kMoved);
  // Room again after ageing.
  t.Age(kT0 + absl::Seconds(301));
  EXPECT_EQ(t.LearnRemote(kA, kR1, kT0 + absl::Seconds(301)), VtepTable::Learned::kNew);
}

TEST(VtepTableTest, Formatting) {
  EXPECT_EQ(MacToString(kA), "02:00:00:00:00:0a");
  EXPECT_EQ(VtepAddress({0xc0000201, 4789}).ToString(), "192.0.2.1:4789");
  const uint8_t bytes[6] = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(MacAt(bytes), (MacAddress{1, 2, 3, 4, 5, 6}));
}

// Learning and looking up from two threads at once, as the two relay
// directions do (for TSan).
TEST(VtepTableTest, ConcurrentLearnLookupAge) {
  VtepTable t(absl::Seconds(1), 1000);
  std::thread learner([&] {
    for (int i = 0; i < 20000; ++i) {
      MacAddress m = {0x02, 0, 0, 0, uint8_t(i >> 8), uint8_t(i)};
      t.LearnRemote(m, (i & 1) ? kR1 : kR2, kT0 + absl::Milliseconds(i));
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < 20000; ++i) {
      MacAddress m = {0x02, 0, 0, 0, uint8_t(i >> 8), uint8_t(i)};
      t.Lookup(m, kT0 + absl::Milliseconds(i));
      if (i % 1000 == 0) t.Age(kT0 + absl::Milliseconds(i));
    }
  });
  learner.join();
  reader.join();
  EXPECT_LE(t.size(), 1000u);
}

}  // namespace
}  // namespace shmif_vxlan
