#include "shmif/bus_format.h"

#include <algorithm>
#include <cstring>

namespace shmif {

uint32_t MaybeSwap32(uint32_t v, bool swap) {
  return swap ? __builtin_bswap32(v) : v;
}

uint64_t MaybeSwap64(uint64_t v, bool swap) {
  return swap ? __builtin_bswap64(v) : v;
}

void EncodeFrameHeader(const FrameHeader& h, uint8_t out[kFrameHeaderSize]) {
  const uint32_t pad = 0;
  std::memcpy(out + 0, &h.len, 4);
  std::memcpy(out + 4, &h.sec, 4);
  std::memcpy(out + 8, &h.usec, 4);
  std::memcpy(out + 12, &pad, 4);
  std::memcpy(out + 16, &h.sender, 8);
}

FrameHeader DecodeFrameHeader(const uint8_t* in, int version, bool swap) {
  FrameHeader h;
  uint32_t v32;
  std::memcpy(&v32, in + 0, 4);
  h.len = MaybeSwap32(v32, swap);
  std::memcpy(&v32, in + 4, 4);
  h.sec = MaybeSwap32(v32, swap);
  std::memcpy(&v32, in + 8, 4);
  h.usec = MaybeSwap32(v32, swap);
  if (version != 2) {
    uint64_t v64;
    std::memcpy(&v64, in + 16, 8);
    h.sender = MaybeSwap64(v64, swap);
  }
  return h;
}

uint32_t RingRead(const uint8_t* data, uint32_t off, void* dst, uint32_t n,
                  bool* wrapped) {
  const uint32_t chunk = std::min(n, kDataSize - off);
  std::memcpy(dst, data + off, chunk);
  if (off + chunk == kDataSize) *wrapped = true;
  if (chunk == n) return (off + chunk) % kDataSize;
  std::memcpy(static_cast<uint8_t*>(dst) + chunk, data, n - chunk);
  return n - chunk;
}

}  // namespace shmif
