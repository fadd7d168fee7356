#include "shmif/bus_ring.h"

#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace shmif {
namespace {

// A bus image in plain memory.
class RingImage {
 public:
  RingImage() : mem_(kBusSize, 0), ring_(mem_.data()) { ring_.InitializeIfNew(); }
  BusRing& ring() { return ring_; }
  uint8_t* data() { return mem_.data() + kBusHeaderSize; }
  std::vector<uint8_t>& mem() { return mem_; }

 private:
  std::vector<uint8_t> mem_;
  BusRing ring_;
};

std::vector<uint8_t> Payload(uint32_t seq, uint32_t len) {
  std::vector<uint8_t> p(len);
  for (uint32_t i = 0; i < len; ++i) p[i] = uint8_t(seq * 31 + i);
  if (len >= 4) std::memcpy(p.data(), &seq, 4);
  return p;
}

// A model checker: random writers and a slow reader; every frame the reader
// gets must be one that was written, whole, in order, with no duplicates;
// frames are lost only when the reader was lapped.
TEST(BusRingTest, RandomInterleavingsDeliverOnlyWholeFramesInOrder) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    RingImage img;
    std::mt19937 rng(seed);
    ReadCursor cur = *img.ring().NewFramesCursor();
    std::vector<uint32_t> lens;  // by seq
    uint32_t seq = 0;
    int64_t last_seen = -1;
    std::vector<uint8_t> buf(kMaxFrameLen);
    int overruns = 0;
    for (int round = 0; round < 3000; ++round) {
      // Now and then the writers race ahead and lap the reader.
      const int writes = std::uniform_int_distribution<int>(0, round % 50 == 0 ? 3000 : 40)(rng);
      for (int w = 0; w < writes; ++w) {
        uint32_t len = std::uniform_int_distribution<uint32_t>(14, kMaxFrameLen)(rng);
        if (rng() % 4 == 0) len = 60;
        auto p = Payload(seq, len);
        FrameHeader h{len, 0, 0, 7};
        ASSERT_TRUE(img.ring().Append(h, p).ok());
        lens.push_back(len);
        ++seq;
      }
      const int reads = std::uniform_int_distribution<int>(0, 40)(rng);
      for (int r = 0; r < reads; ++r) {
        auto res = img.ring().Read(cur, absl::MakeSpan(buf));
        ASSERT_TRUE(res.ok()) << res.status() << " round " << round;
        if (!res->frame) break;
        overruns += res->overrun;
        if (res->header.len == 0) continue;  // the empty frame of a new bus
        uint32_t got;
        std::memcpy(&got, buf.data(), 4);
        ASSERT_LT(got, seq);
        ASSERT_GT(int64_t(got), last_seen) << "duplicate or out of order";
        if (!res->overrun) {
          ASSERT_EQ(int64_t(got), last_seen + 1) << "lost without overrun";
        }
        ASSERT_EQ(res->header.len, lens[got]);
        auto want = Payload(got, lens[got]);
        ASSERT_EQ(0, std::memcmp(buf.data(), want.data(), want.size()));
        last_seen = got;
      }
    }
    EXPECT_GT(overruns, 0) << "the reader was never lapped";
  }
}

}  // namespace
}  // namespace shmif
