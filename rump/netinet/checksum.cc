#include "rump/netinet/checksum.h"

#include <cstring>

namespace rump::inet {

uint64_t ChecksumAdd(uint64_t sum, absl::Span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  // Eight bytes at a time: sums of big-endian 16-bit words are the same
  // as byte-swapped sums of host words, folded at the end (RFC 1071 1.2).
  uint64_t acc = 0;
  while (n >= 8) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + 4, 4);
    acc += uint64_t(a) + b;
    p += 8;
    n -= 8;
  }
  // Fold the host-order accumulator into 16 bits and swap to big-endian.
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  sum += ((acc & 0xff) << 8) | (acc >> 8);
  while (n >= 2) {
    sum += (uint32_t(p[0]) << 8) | p[1];
    p += 2;
    n -= 2;
  }
  if (n == 1) sum += uint32_t(p[0]) << 8;
  return sum;
}

uint16_t ChecksumFinish(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum & 0xffff);
}

uint16_t InetChecksum(absl::Span<const uint8_t> data) {
  return ChecksumFinish(ChecksumAdd(0, data));
}

uint64_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
  uint8_t ph[12];
  std::memcpy(ph, &src, 4);
  std::memcpy(ph + 4, &dst, 4);
  ph[8] = 0;
  ph[9] = proto;
  ph[10] = uint8_t(len >> 8);
  ph[11] = uint8_t(len);
  return ChecksumAdd(0, absl::MakeConstSpan(ph, sizeof(ph)));
}

}  // namespace rump::inet
