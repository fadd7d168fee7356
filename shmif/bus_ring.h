// BusRing: the ring algorithm of a shmif bus, on a mapped bus image.
//
// BusRing knows how frames are laid out in the data area and how the header
// fields `first`, `last` and `gen` move as frames are appended, exactly as
// NetBSD's shmif does (see docs/bus-format.md). It does no locking, no
// waiting and no I/O: every method except the accessors must be called with
// the bus lock held (BusLock), and it can run on plain memory in tests.
//
// Every value read from the mapping is validated before use: a corrupted ring
// yields absl::DataLossError, never an out-of-range access or an endless
// loop. Callers answer that error with Reset().
#ifndef RUMP_SHMIF_BUS_RING_H_
#define RUMP_SHMIF_BUS_RING_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "shmif/bus_format.h"

namespace shmif {

// A receiver's position: the data offset of the next frame header to read and
// the bus generation that offset belongs to (NetBSD's sc_nextpacket and
// sc_devgen).
struct ReadCursor {
  uint32_t next = 0;
  uint64_t devgen = 0;
};

class BusRing {
 public:
  // `bus_mem` is the start of a kBusSize-byte bus image.
  explicit BusRing(uint8_t* bus_mem) : mem_(bus_mem) {}

  uint32_t magic() const { return Load32(kMagicOffset); }
  uint32_t version() const { return Load32(kVersionOffset); }
  uint64_t gen() const;
  uint32_t first() const { return Load32(kFirstOffset); }
  uint32_t last() const { return Load32(kLastOffset); }

  // Initialises a new bus (magic 0) as NetBSD does: sets the magic and marks
  // the ring empty (first = kDataSize). Leaves an initialised bus alone.
  void InitializeIfNew();

  // Empties the ring and moves `gen` on by two, so that every receiver (ours
  // or NetBSD's) sees it was lapped and resynchronises. Used after corruption
  // or after a writer died in the middle of a frame.
  void Reset();

  // Appends one frame: header `h` (whose len must equal payload.size(), at
  // most kMaxFrameLen) and the payload, advancing `first` past frames it
  // overwrites and incrementing `gen` if it wraps.
  absl::Status Append(const FrameHeader& h, absl::Span<const uint8_t> payload);

  // Where a receiver starts that wants only frames appended from now on.
  absl::StatusOr<ReadCursor> NewFramesCursor() const;
  // Where a receiver starts that wants every frame still in the ring.
  ReadCursor OldestCursor() const;

  // The outcome of one Read.
  struct ReadResult {
    bool frame = false;    // false: nothing new after the cursor
    bool overrun = false;  // the cursor had been lapped and was resynced
    FrameHeader header;    // valid when `frame`; payload copied to the buffer
    uint32_t payload_offset = 0;
  };

  // Reads the frame at `cursor` (resyncing it to the oldest frame first if
  // writers lapped it) into `payload` (at least kMaxFrameLen bytes) and moves
  // the cursor past it. Frames shorter than an Ethernet header are returned
  // too; filtering is the caller's business.
  absl::StatusOr<ReadResult> Read(ReadCursor& cursor,
                                  absl::Span<uint8_t> payload) const;

  // The data offset after the frame whose header is at `off`, or nullopt if
  // `off` is out of range or that frame's length is impossible.
  std::optional<uint32_t> NextFrameOffset(uint32_t off) const;

 private:
  uint32_t Load32(uint32_t offset) const;
  void Store32(uint32_t offset, uint32_t v);
  void StoreGen(uint64_t v);
  uint8_t* data() const { return mem_ + kBusHeaderSize; }

  // Moves `first` past every frame that bytes [off, off + len) overlap.
  absl::Status AdvanceFirst(uint32_t off, uint32_t len);
  // Writes bytes at data offset `off`, wrapping; returns the offset after.
  absl::StatusOr<uint32_t> WriteBytes(uint32_t off, const uint8_t* src,
                                      uint32_t n, bool* wrapped);

  uint8_t* const mem_;
};

}  // namespace shmif

#endif  // RUMP_SHMIF_BUS_RING_H_
