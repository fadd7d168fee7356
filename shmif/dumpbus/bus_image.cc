#include "shmif/dumpbus/bus_image.h"

#include <array>
#include <cstring>

#include "absl/strings/str_format.h"

namespace shmif {
namespace {

uint32_t Load32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return MaybeSwap32(v, swap);
}

uint64_t Load64(const uint8_t* p, bool swap) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return MaybeSwap64(v, swap);
}

}  // namespace

absl::StatusOr<BusImage> BusImage::Parse(absl::Span<const uint8_t> bytes) {
  // The magic decides "is this a bus at all", so look at it first whenever
  // there are enough bytes: a short text file is "not a bus", not "short".
  bool swap = false;
  if (bytes.size() >= sizeof(uint32_t)) {
    const uint32_t magic = Load32(bytes.data() + kMagicOffset, false);
    if (magic == __builtin_bswap32(kBusMagic)) {
      swap = true;
    } else if (magic != kBusMagic) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "not a shmif bus (magic 0x%08x, expected 0x%08x)", magic, kBusMagic));
    }
  }
  if (bytes.size() < kBusHeaderSize) {
    return absl::DataLossError(absl::StrFormat(
        "truncated bus: the file is %u bytes, shorter than the %u-byte header",
        bytes.size(), kBusHeaderSize));
  }

  BusImageHeader header;
  header.version = Load32(bytes.data() + kVersionOffset, swap);
  header.lock = Load32(bytes.data() + kLockOffset, swap);
  header.generation = Load64(bytes.data() + kGenOffset, swap);
  header.first = Load32(bytes.data() + kFirstOffset, swap);
  header.last = Load32(bytes.data() + kLastOffset, swap);
  header.spare = Load32(bytes.data() + kSpareOffset, swap);

  int frame_format;
  switch (header.version) {
    case 0:  // initialised, but nothing sent yet: the wakeup writes the version
    case 3:
      frame_format = 3;
      break;
    case 2:
      frame_format = 2;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrFormat(
          "unsupported bus version %u (this program reads 2 and 3)",
          header.version));
  }

  if (bytes.size() < kBusSize) {
    return absl::DataLossError(absl::StrFormat(
        "truncated bus: the file is %u bytes, a bus is %u (the data area "
        "ends at offset 0x%04x)",
        bytes.size(), kBusSize, bytes.size() - kBusHeaderSize));
  }
  return BusImage(bytes.first(kBusSize), header, swap, frame_format);
}

absl::Status BusImage::ForEachFrame(const FrameVisitor& visit) const {
  const uint8_t* const data = bytes_.data() + kBusHeaderSize;
  const uint32_t header_size = FrameHeaderSize(frame_format_);

  if (header_.first > kDataSize) {
    return absl::DataLossError(absl::StrFormat(
        "first offset 0x%04x is outside the data area (0..0x%04x)",
        header_.first, kDataSize));
  }
  if (header_.last >= kDataSize) {
    return absl::DataLossError(absl::StrFormat(
        "last offset 0x%04x is outside the data area (0..0x%04x)", header_.last,
        kDataSize - 1));
  }
  // kDataSize in `first` is the "empty bus" marker: frames start at 0.
  const uint32_t start = header_.first == kDataSize ? 0 : header_.first;

  // Every frame occupies at least a frame header, so a consistent ring lands
  // exactly on `last` after travelling `distance` bytes forward from `start`.
  // Stepping beyond `distance` means the chain of lengths is corrupt; since
  // each step travels at least `header_size` bytes, the walk is bounded.
  const uint32_t distance = (header_.last + kDataSize - start) % kDataSize;
  uint64_t travelled = 0;
  uint32_t offset = start;
  std::array<uint8_t, kFrameHeaderSize> raw_header;
  std::array<uint8_t, kMaxFrameLen> payload;
  for (;;) {
    bool wrapped = false;  // RingRead reports it; the walk needs only offsets
    const uint32_t payload_offset =
        RingRead(data, offset, raw_header.data(), header_size, &wrapped);
    const FrameHeader frame =
        DecodeFrameHeader(raw_header.data(), frame_format_, swap_);
    if (frame.len > kMaxFrameLen) {
      return absl::DataLossError(absl::StrFormat(
          "frame at offset 0x%04x has length %u, more than the maximum %u",
          offset, frame.len, kMaxFrameLen));
    }
    const uint32_t next_offset =
        RingRead(data, payload_offset, payload.data(), frame.len, &wrapped);
    if (frame.len > 0) {
      visit(frame, payload_offset,
            absl::MakeConstSpan(payload.data(), frame.len));
    }
    if (offset == header_.last) return absl::OkStatus();

    travelled += header_size + frame.len;
    if (travelled > distance) {
      return absl::DataLossError(absl::StrFormat(
          "frame at offset 0x%04x (length %u) runs past the last frame at "
          "0x%04x: the chain of frames from first 0x%04x is corrupt",
          offset, frame.len, header_.last, header_.first));
    }
    offset = next_offset;
  }
}

}  // namespace shmif
