// Ethernet framing (IEEE 802.3 / RFC 894), the one codec every Ethernet
// driver and protocol uses: station addresses, the 14-byte header, and the
// group bit. Which ethertypes exist is not this layer's business: address
// families register theirs with NetStack::SetEtherTypeInput.
#ifndef RUMP_NET_ETHER_H_
#define RUMP_NET_ETHER_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace rump {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr size_t kEtherHeaderLen = 14;
inline constexpr MacAddress kEtherBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// True when the destination address (the first byte) of `frame` has its
// group bit set: multicast or broadcast.
inline bool EtherIsMulticast(absl::Span<const uint8_t> frame) {
  return !frame.empty() && (frame[0] & 1) != 0;
}

// True when `frame` goes to the broadcast address.
inline bool EtherIsBroadcast(absl::Span<const uint8_t> frame) {
  return frame.size() >= 6 && std::equal(kEtherBroadcast.begin(), kEtherBroadcast.end(),
                                         frame.begin());
}

// Writes an Ethernet header at `out` (kEtherHeaderLen bytes).
void WriteEtherHeader(uint8_t* out, const MacAddress& dst, const MacAddress& src,
                      uint16_t type);

// The ethertype of a frame of at least kEtherHeaderLen bytes.
inline uint16_t EtherType(absl::Span<const uint8_t> frame) {
  return uint16_t((frame[12] << 8) | frame[13]);
}

}  // namespace rump

#endif  // RUMP_NET_ETHER_H_
