// VxlanHeader: the 8-byte header RFC 7348 puts in front of every Ethernet
// frame carried in a UDP datagram (flags byte with the I bit, 24 reserved
// bits, the 24-bit VXLAN Network Identifier, 8 reserved bits), and the
// checks a VTEP makes on a received datagram before it trusts the inner
// frame.
//
// Promises: Encode writes exactly kVxlanHeaderLen bytes; Decode never reads
// past the datagram it is given and sorts every bad datagram into exactly
// one DatagramDefect, so that the caller can count and report each cause.
#ifndef RUMP_SHMIF_VXLAN_VXLAN_HEADER_H_
#define RUMP_SHMIF_VXLAN_VXLAN_HEADER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace shmif_vxlan {

inline constexpr size_t kVxlanHeaderLen = 8;
inline constexpr uint16_t kVxlanDefaultPort = 4789;
inline constexpr uint8_t kVxlanFlagVniValid = 0x08;  // the I bit
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;
// What the underlay adds to an inner frame: outer Ethernet (14), IPv4 (20),
// UDP (8) and VXLAN (8) headers. The outer IP packet is the inner frame plus
// kUnderlayIpOverhead bytes.
inline constexpr size_t kEncapsulationOverhead = 50;
inline constexpr size_t kUnderlayIpOverhead = 36;
// Inner Ethernet frames (without FCS) a VTEP accepts from the segment.
inline constexpr size_t kMinInnerFrame = 14;
inline constexpr size_t kMaxInnerFrame = 1514;

// Why a received datagram was refused; kNone for a good one.
enum class DatagramDefect {
  kNone = 0,
  kShort,        // shorter than the VXLAN header
  kBadFlags,     // I bit clear, or other flag bits set
  kWrongVni,     // a VNI other than ours
  kInnerShort,   // inner frame shorter than an Ethernet header
  kInnerLong,    // inner frame longer than a bus frame
  kCount,
};

// A stable lower-case name for counters and logs ("short", "bad-flags", ...).
const char* DefectName(DatagramDefect defect);

struct VxlanHeader {
  uint32_t vni = 0;

  // Writes the header (I bit set, reserved fields zero) into `out`, which
  // must hold kVxlanHeaderLen bytes.
  void Encode(uint8_t* out) const;
};

// The result of checking a datagram: the defect, or the inner frame (a
// view into the datagram).
struct DecodedDatagram {
  DatagramDefect defect = DatagramDefect::kNone;
  uint32_t vni = 0;
  absl::Span<const uint8_t> inner;
};

// Checks `datagram` (the UDP payload) for VNI `expected_vni`.
DecodedDatagram DecodeDatagram(absl::Span<const uint8_t> datagram, uint32_t expected_vni);

}  // namespace shmif_vxlan

#endif  // RUMP_SHMIF_VXLAN_VXLAN_HEADER_H_
