// The byte format of a shmif bus file (NetBSD bus version 3, also reading 2).
//
// A bus is a regular file of exactly `kBusSize` bytes: a `kBusHeaderSize`-byte
// header followed by a byte-granular ring of frames. Each frame is a frame
// header followed by an Ethernet frame (no preamble, no FCS). Integers are in
// the writer's byte order; this project always writes host order.
//
// This header is the one place that knows offsets and sizes; everything else
// (the live ring, the post-mortem reader, tests) goes through it.
#ifndef RUMP_SHMIF_BUS_FORMAT_H_
#define RUMP_SHMIF_BUS_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"

namespace shmif {

inline constexpr uint32_t kBusMagic = 0xca11d054;
inline constexpr uint32_t kBusVersion = 3;
inline constexpr uint32_t kBusSize = 1 << 20;
inline constexpr uint32_t kBusHeaderSize = 32;
inline constexpr uint32_t kDataSize = kBusSize - kBusHeaderSize;  // 1048544

// Offsets of the header fields inside the bus file.
inline constexpr uint32_t kMagicOffset = 0;
inline constexpr uint32_t kVersionOffset = 4;  // also the pwrite wakeup word
inline constexpr uint32_t kGenOffset = 8;
inline constexpr uint32_t kFirstOffset = 16;
inline constexpr uint32_t kLastOffset = 20;
inline constexpr uint32_t kLockOffset = 24;
inline constexpr uint32_t kSpareOffset = 28;

// Frame header sizes: version 3 adds the 64-bit sender id (8-aligned).
inline constexpr uint32_t kFrameHeaderSize = 24;
inline constexpr uint32_t kFrameHeaderSizeV2 = 12;

// Ethernet frame lengths carried on the bus. NetBSD never writes more than
// ETHERMTU + ETHER_HDR_LEN and asserts it on receive; shorter than a header is
// skipped by readers (the all-zero frame at offset 0 of a new bus is one).
inline constexpr uint32_t kEtherHeaderLen = 14;
inline constexpr uint32_t kMaxFrameLen = 1514;

// The in-memory layout of the bus header, for the byte-layout tests and for
// code that maps the file. Fields are accessed through BusRing, not directly.
struct BusHeaderLayout {
  uint32_t magic;
  uint32_t version;
  uint64_t gen;
  uint32_t first;
  uint32_t last;
  uint32_t lock;
  uint32_t spare;
};
static_assert(sizeof(BusHeaderLayout) == kBusHeaderSize);
static_assert(offsetof(BusHeaderLayout, version) == kVersionOffset);
static_assert(offsetof(BusHeaderLayout, gen) == kGenOffset);
static_assert(offsetof(BusHeaderLayout, first) == kFirstOffset);
static_assert(offsetof(BusHeaderLayout, last) == kLastOffset);
static_assert(offsetof(BusHeaderLayout, lock) == kLockOffset);
static_assert(offsetof(BusHeaderLayout, spare) == kSpareOffset);

// A decoded frame header. `sender` is 0 for version 2 buses.
struct FrameHeader {
  uint32_t len = 0;
  uint32_t sec = 0;
  uint32_t usec = 0;
  uint64_t sender = 0;
};

// Encodes `h` as a version 3 frame header in host byte order.
void EncodeFrameHeader(const FrameHeader& h, uint8_t out[kFrameHeaderSize]);

// Decodes a frame header of bus version `version` (2 or 3) from `in`, which
// holds at least FrameHeaderSize(version) bytes; `swap` reverses byte order.
FrameHeader DecodeFrameHeader(const uint8_t* in, int version, bool swap);

inline constexpr uint32_t FrameHeaderSize(int version) {
  return version == 2 ? kFrameHeaderSizeV2 : kFrameHeaderSize;
}

// Copies `n` bytes (n <= kDataSize) out of the ring `data` (kDataSize bytes)
// starting at data offset `off` (0 <= off <= kDataSize), wrapping at the end
// of the data area. Returns the data offset just past the copied bytes (in
// [0, kDataSize)) and sets `*wrapped` when the copy reached the end of the
// data area (as NetBSD does: ending exactly at kDataSize counts as a wrap).
// Writing is BusRing's job, since it must move `first` as it goes.
uint32_t RingRead(const uint8_t* data, uint32_t off, void* dst, uint32_t n,
                  bool* wrapped);

// Adds `delta` to a data offset, modulo kDataSize.
inline constexpr uint32_t RingAdvance(uint32_t off, uint32_t delta) {
  uint64_t v = uint64_t{off} + delta;
  return static_cast<uint32_t>(v % kDataSize);
}

// Byte-order helpers for reading buses written by a foreign-endian host.
uint32_t MaybeSwap32(uint32_t v, bool swap);
uint64_t MaybeSwap64(uint64_t v, bool swap);

}  // namespace shmif

#endif  // RUMP_SHMIF_BUS_FORMAT_H_
