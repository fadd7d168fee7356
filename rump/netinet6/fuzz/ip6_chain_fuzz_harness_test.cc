// The extension header walk's fuzz property in the ordinary build (and
// under ASan and TSan): the seeds, and 50000 mutants of them (bytes set to
// header numbers, option types and lengths, inserted, dropped), through
// CheckIp6Chain, which aborts on a violation.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "rump/netinet6/fuzz/ip6_chain_fuzz.h"

namespace rump::inet6_fuzz {
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

TEST(Ip6ChainFuzzTest, SeedsHold) {
  const std::vector<Ip6ChainSeed> seeds = Ip6ChainSeeds();
  EXPECT_GE(seeds.size(), 20u);
  for (const Ip6ChainSeed& s : seeds) {
    SCOPED_TRACE(s.name);
    CheckIp6Chain(s.input);
  }
}

TEST(Ip6ChainFuzzTest, MutantsHold) {
  const std::vector<Ip6ChainSeed> seeds = Ip6ChainSeeds();
  const uint8_t interesting[] = {0, 1, 2, 4, 5, 17, 43, 44, 59, 60, 0x1e, 0x5e, 0x9e, 0xde, 0xff};
  XorShift rng;
  for (int i = 0; i < 50000; ++i) {
    std::vector<uint8_t> in = seeds[rng.Next() % seeds.size()].input;
    for (int m = 1 + int(rng.Next() % 4); m > 0; --m) {
      switch (rng.Next() % 4) {
        case 0:
          if (!in.empty()) in[rng.Next() % in.size()] = uint8_t(rng.Next());
          break;
        case 1:
          in.insert(in.begin() + long(rng.Next() % (in.size() + 1)),
                    interesting[rng.Next() % sizeof(interesting)]);
          break;
        case 2:
          if (in.size() > 1) in.erase(in.begin() + long(1 + rng.Next() % (in.size() - 1)));
          break;
        default:
          if (!in.empty()) in[rng.Next() % in.size()] = interesting[rng.Next() % sizeof(interesting)];
          break;
      }
    }
    CheckIp6Chain(in);
  }
}

}  // namespace
}  // namespace rump::inet6_fuzz
