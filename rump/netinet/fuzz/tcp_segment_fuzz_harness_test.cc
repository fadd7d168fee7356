// The TCP segment codec's fuzz property in the ordinary build (and under
// ASan and TSan): the seeds, and 20000 mutants of them (bytes flipped,
// inserted, dropped, the checksum fixed or not), through
// CheckTcpSegmentCodec, which aborts on a violation.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "rump/netinet/fuzz/tcp_segment_fuzz.h"

namespace rump::inet_fuzz {
namespace {

class XorShift {
 public:
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }

 private:
  uint32_t state_ = 88172645u;
};

TEST(TcpSegmentFuzzTest, SeedsHold) {
  const std::vector<TcpSegmentSeed> seeds = TcpSegmentSeeds();
  EXPECT_GE(seeds.size(), 10u);
  for (const TcpSegmentSeed& s : seeds) {
    SCOPED_TRACE(s.name);
    CheckTcpSegmentCodec(s.input);
  }
}

TEST(TcpSegmentFuzzTest, MutantsHold) {
  const std::vector<TcpSegmentSeed> seeds = TcpSegmentSeeds();
  XorShift rng;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> in = seeds[rng.Next() % seeds.size()].input;
    for (int m = 1 + int(rng.Next() % 4); m > 0; --m) {
      switch (rng.Next() % 4) {
        case 0:
          if (in.size() > 1) in[1 + rng.Next() % (in.size() - 1)] = uint8_t(rng.Next());
          break;
        case 1:
          in.insert(in.begin() + long(rng.Next() % (in.size() + 1)), uint8_t(rng.Next()));
          break;
        case 2:
          if (in.size() > 1) in.erase(in.begin() + long(1 + rng.Next() % (in.size() - 1)));
          break;
        default:  // the data offset, the option area's busiest byte
          if (in.size() > 13) in[13] = uint8_t(rng.Next() % 16 << 4);
          break;
      }
    }
    if (!in.empty() && (in[0] & 2) == 0) in[0] = uint8_t(rng.Next() % 8 == 0 ? 0 : 1);
    CheckTcpSegmentCodec(in);
  }
}

}  // namespace
}  // namespace rump::inet_fuzz
