#include "shmif/vxlan/vxlan_header.h"

namespace shmif_vxlan {

const char* DefectName(DatagramDefect defect) {
  switch (defect) {
    case DatagramDefect::kNone:
      return "none";
    case DatagramDefect::kShort:
      return "short";
    case DatagramDefect::kBadFlags:
      return "bad-flags";
    case DatagramDefect::kWrongVni:
      return "wrong-vni";
    case DatagramDefect::kInnerShort:
      return "inner-short";
    case DatagramDefect::kInnerLong:
      return "inner-long";
    case DatagramDefect::kCount:
      break;
  }
  return "unknown";
}

void VxlanHeader::Encode(uint8_t* out) const {
  out[0] = kVxlanFlagVniValid;
  out[1] = out[2] = out[3] = 0;
  out[4] = static_cast<uint8_t>(vni >> 16);
  out[5] = static_cast<uint8_t>(vni >> 8);
  out[6] = static_cast<uint8_t>(vni);
  out[7] = 0;
}

DecodedDatagram DecodeDatagram(absl::Span<const uint8_t> datagram, uint32_t expected_vni) {
  DecodedDatagram d;
  if (datagram.size() < kVxlanHeaderLen) {
    d.defect = DatagramDefect::kShort;
    return d;
  }
  // RFC 7348: the I bit must be set; the other flag bits are reserved (sent
  // as zero). A datagram with reserved bits set is someone else's protocol
  // (VXLAN-GPE, GBP): refused rather than misread.
  if (datagram[0] != kVxlanFlagVniValid) {
    d.defect = DatagramDefect::kBadFlags;
    return d;
  }
  d.vni = (uint32_t{datagram[4]} << 16) | (uint32_t{datagram[5]} << 8) | datagram[6];
  if (d.vni != expected_vni) {
    d.defect = DatagramDefect::kWrongVni;
    return d;
  }
  d.inner = datagram.subspan(kVxlanHeaderLen);
  if (d.inner.size() < kMinInnerFrame) {
    d.defect = DatagramDefect::kInnerShort;
  } else if (d.inner.size() > kMaxInnerFrame) {
    d.defect = DatagramDefect::kInnerLong;
  }
  return d;
}

}  // namespace shmif_vxlan
