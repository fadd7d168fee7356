#include "shmif/dumpbus/hand_built_bus.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "shmif/bus_format.h"

namespace shmif::testing {

ByteOrder HostByteOrder() {
  return std::endian::native == std::endian::big ? ByteOrder::kBig
                                                 : ByteOrder::kLittle;
}

ByteOrder ForeignByteOrder() {
  return HostByteOrder() == ByteOrder::kBig ? ByteOrder::kLittle
                                            : ByteOrder::kBig;
}

HandBuiltBus::HandBuiltBus(ByteOrder order, size_t file_size)
    : order_(order), bytes_(file_size, 0) {
  if (file_size >= 4) SetMagic(kBusMagic);
}

HandBuiltBus::HandBuiltBus(ByteOrder order) : HandBuiltBus(order, kBusSize) {}

void HandBuiltBus::Encode(uint64_t v, int size, uint8_t* out) const {
  for (int i = 0; i < size; ++i) {
    const int shift = order_ == ByteOrder::kLittle ? 8 * i : 8 * (size - 1 - i);
    out[i] = static_cast<uint8_t>(v >> shift);
  }
}

void HandBuiltBus::Put32(size_t file_offset, uint32_t v) {
  Encode(v, 4, bytes_.data() + file_offset);
}

void HandBuiltBus::Put64(size_t file_offset, uint64_t v) {
  Encode(v, 8, bytes_.data() + file_offset);
}

uint32_t HandBuiltBus::PutData(uint32_t offset,
                               absl::Span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    bytes_[kBusHeaderSize + offset] = b;
    offset = (offset + 1) % kDataSize;
  }
  return offset;
}

uint32_t HandBuiltBus::PutFrameHeader(uint32_t offset, uint32_t len,
                                      uint32_t sec, uint32_t usec,
                                      uint64_t sender, int version) {
  uint8_t header[24] = {};
  Encode(len, 4, header + 0);
  Encode(sec, 4, header + 4);
  Encode(usec, 4, header + 8);
  // header[12..15] is alignment padding, left 0.
  Encode(sender, 8, header + 16);
  const size_t size = version == 2 ? 12 : 24;
  return PutData(offset, absl::MakeConstSpan(header, size));
}

uint32_t HandBuiltBus::PutFrame(uint32_t offset,
                                absl::Span<const uint8_t> payload, uint32_t sec,
                                uint32_t usec, uint64_t sender, int version) {
  offset = PutFrameHeader(offset, static_cast<uint32_t>(payload.size()), sec,
                          usec, sender, version);
  return PutData(offset, payload);
}

absl::Status HandBuiltBus::WriteToFile(const std::string& path) const {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < bytes_.size()) {
    const ssize_t n = write(fd, bytes_.data() + done, bytes_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "short write";
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": write: ", why));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    return absl::InternalError(
        absl::StrCat(path, ": close: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace shmif::testing
