// The Internet checksum (RFC 1071) over byte spans, with partial sums so
// that a pseudo-header and a payload in separate buffers can be summed
// together (UDP, RFC 768).
#ifndef RUMP_NETINET_CHECKSUM_H_
#define RUMP_NETINET_CHECKSUM_H_

#include <cstdint>

#include "absl/types/span.h"

namespace rump::inet {

// Adds the 16-bit big-endian words of `data` to `sum` (an odd trailing byte
// is padded with zero). `data` must start at an even offset of the summed
// message; the result is not folded.
uint64_t ChecksumAdd(uint64_t sum, absl::Span<const uint8_t> data);
// Folds a partial sum to 16 bits and complements it: the value to store
// (big-endian) in a checksum field. A message whose stored checksum is
// correct sums to 0 here.
uint16_t ChecksumFinish(uint64_t sum);
// ChecksumFinish(ChecksumAdd(0, data)).
uint16_t InetChecksum(absl::Span<const uint8_t> data);
// The partial sum of the UDP/TCP pseudo-header: source and destination
// (network order, as stored), protocol and length (host order).
uint64_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

}  // namespace rump::inet

#endif  // RUMP_NETINET_CHECKSUM_H_
