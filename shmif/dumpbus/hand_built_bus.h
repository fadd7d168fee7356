// HandBuiltBus: writes shmif bus file images byte by byte, for tests.
//
// Deliberately independent of the live ring code (bus_ring) and of
// bus_format's encoder: every integer is stored one byte at a time in the
// chosen byte order, at offsets spelled out here from the format
// specification, so that reading these images back with BusImage (or with
// shmif_dumpbus) cross-checks the format instead of echoing one
// implementation. Nothing here keeps `first`/`last` consistent: a test places
// frames and sets the header fields itself, which is also how it builds
// corrupt buses.
#ifndef RUMP_SHMIF_DUMPBUS_HAND_BUILT_BUS_H_
#define RUMP_SHMIF_DUMPBUS_HAND_BUILT_BUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace shmif::testing {

enum class ByteOrder { kLittle, kBig };

// This host's byte order.
ByteOrder HostByteOrder();
// The byte order that is not this host's (a "foreign-endian" bus).
ByteOrder ForeignByteOrder();

class HandBuiltBus {
 public:
  // A zero-filled image of `file_size` bytes (normally a whole bus) with the
  // magic written in `order`; every other header field is 0. Call
  // SetFirst(kDataSize) for the "empty" marker an attacher writes.
  explicit HandBuiltBus(ByteOrder order, size_t file_size);
  explicit HandBuiltBus(ByteOrder order);  // file_size = kBusSize

  // Header fields, stored in the image's byte order.
  void SetMagic(uint32_t v) { Put32(0, v); }
  void SetVersion(uint32_t v) { Put32(4, v); }
  void SetGeneration(uint64_t v) { Put64(8, v); }
  void SetFirst(uint32_t v) { Put32(16, v); }
  void SetLast(uint32_t v) { Put32(20, v); }
  void SetLock(uint32_t v) { Put32(24, v); }

  // Writes a frame at data offset `offset`: a frame header for bus version
  // `version` (3: len, sec, usec, 4 bytes of padding, 64-bit sender = 24
  // bytes; 2: len, sec, usec = 12 bytes) with len = payload.size(), then the
  // payload, wrapping at the end of the data area like the ring does. Returns
  // the data offset just past the frame (where the next one goes).
  uint32_t PutFrame(uint32_t offset, absl::Span<const uint8_t> payload,
                    uint32_t sec, uint32_t usec, uint64_t sender,
                    int version = 3);
  // Writes only a frame header claiming `len` bytes (for corrupt images).
  uint32_t PutFrameHeader(uint32_t offset, uint32_t len, uint32_t sec,
                          uint32_t usec, uint64_t sender, int version = 3);

  // Stores raw bytes at data offset `offset`, wrapping at the end of the
  // data area; returns the data offset just past them.
  uint32_t PutData(uint32_t offset, absl::Span<const uint8_t> bytes);

  std::vector<uint8_t>& bytes() { return bytes_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

  // Writes the image to `path` (created or truncated).
  absl::Status WriteToFile(const std::string& path) const;

 private:
  void Put32(size_t file_offset, uint32_t v);
  void Put64(size_t file_offset, uint64_t v);
  // Encodes `v` in the image's byte order into `out` (`size` bytes).
  void Encode(uint64_t v, int size, uint8_t* out) const;

  ByteOrder order_;
  std::vector<uint8_t> bytes_;
};

}  // namespace shmif::testing

#endif  // RUMP_SHMIF_DUMPBUS_HAND_BUILT_BUS_H_
