#include "shmif/test_frames.h"

#include <cstring>
#include <random>

namespace shmif::testing {
namespace {

uint32_t Checksum(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

}  // namespace

std::vector<uint8_t> MakeTestFrame(uint32_t id, uint32_t seq, uint32_t len) {
  std::vector<uint8_t> f(len);
  std::memset(f.data(), 0xff, 6);
  const uint8_t src[6] = {0xb2, 0xa0, 0, 0, uint8_t(id >> 8), uint8_t(id)};
  std::memcpy(f.data() + 6, src, 6);
  f[12] = 0x88;  // an ethertype for local experiments
  f[13] = 0xb5;
  std::memcpy(f.data() + 14, &id, 4);
  std::memcpy(f.data() + 18, &seq, 4);
  std::memcpy(f.data() + 22, &len, 4);
  std::mt19937 fill(id * 1000003u + seq);
  for (uint32_t i = 26; i < len - 4; ++i) f[i] = uint8_t(fill());
  const uint32_t sum = Checksum(f.data() + 14, len - 18);
  std::memcpy(f.data() + len - 4, &sum, 4);
  return f;
}

bool CheckTestFrame(const uint8_t* frame, uint32_t len, uint32_t* id,
                    uint32_t* seq) {
  if (len < kMinTestFrameLen) return false;
  uint32_t stated, sum;
  std::memcpy(id, frame + 14, 4);
  std::memcpy(seq, frame + 18, 4);
  std::memcpy(&stated, frame + 22, 4);
  std::memcpy(&sum, frame + len - 4, 4);
  return stated == len && sum == Checksum(frame + 14, len - 18);
}

}  // namespace shmif::testing
