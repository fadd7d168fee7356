// BusImage: a read-only, post-mortem view of the bytes of a shmif bus file.
//
// For tools that inspect a bus without attaching to it (shmif_dumpbus): the
// image takes no lock and never writes, so the bytes may come from a bus that
// a writer was changing, from a crashed writer, from a foreign-endian host, or
// from a file that never was a bus.
//
// Promises:
//  * Nothing the bytes contain makes it read outside them, crash, or loop
//    forever. Parse accepts only a bus header (native or byte-swapped magic,
//    version 3, 2, or 0 for a fresh bus) and a file of at least kBusSize bytes.
//  * Header fields are reported in host byte order, as stored (version 0
//    stays 0), whichever byte order the writer used.
//  * ForEachFrame walks the ring from `first` to the frame whose header is at
//    `last`, inclusive, and stops there even when that frame wraps past the
//    end of the data area. A walk over corrupt data (a length above
//    kMaxFrameLen, `first`/`last` outside the data area, a chain of frames
//    that steps past `last` instead of landing on it) ends with
//    absl::DataLossError naming the offending data offset; frames before it
//    have been delivered.
#ifndef RUMP_SHMIF_DUMPBUS_BUS_IMAGE_H_
#define RUMP_SHMIF_DUMPBUS_BUS_IMAGE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "shmif/bus_format.h"

namespace shmif {

// The bus header fields, in host byte order.
struct BusImageHeader {
  uint32_t version = 0;  // as stored: 3, 2, or 0 (fresh bus, read as 3)
  uint32_t lock = 0;
  uint64_t generation = 0;
  uint32_t first = 0;  // data offset of the oldest frame; kDataSize = none
  uint32_t last = 0;   // data offset of the newest frame's header
  uint32_t spare = 0;
};

class BusImage {
 public:
  // Called once per frame with a non-zero length, oldest first: the decoded
  // frame header (host order; sender 0 on version 2 buses), the data offset
  // of the payload (just after the frame header, modulo kDataSize), and the
  // payload bytes, contiguous even when the ring wraps inside them. The span
  // is valid only during the call.
  using FrameVisitor =
      std::function<void(const FrameHeader& header, uint32_t payload_offset,
                         absl::Span<const uint8_t> payload)>;

  // Checks the header of a bus file's contents. `bytes` must outlive the
  // image; bytes past kBusSize are ignored. Errors: InvalidArgument when the
  // bytes are not a shmif bus (magic) or are an unsupported bus version;
  // DataLoss when the file is shorter than a bus.
  static absl::StatusOr<BusImage> Parse(absl::Span<const uint8_t> bytes);

  const BusImageHeader& header() const { return header_; }
  // True when the writer's byte order is the opposite of this host's.
  bool foreign_endian() const { return swap_; }
  // The frame header layout in use: 2, or 3 (also for a fresh bus).
  int frame_format() const { return frame_format_; }

  // Walks the frames as described in the class comment. Returns OK after
  // delivering the frame at `last`, DataLoss on corrupt data.
  absl::Status ForEachFrame(const FrameVisitor& visit) const;

 private:
  BusImage(absl::Span<const uint8_t> bytes, BusImageHeader header, bool swap,
           int frame_format)
      : bytes_(bytes),
        header_(header),
        swap_(swap),
        frame_format_(frame_format) {}

  absl::Span<const uint8_t> bytes_;  // exactly kBusSize bytes
  BusImageHeader header_;
  bool swap_;
  int frame_format_;
};

}  // namespace shmif

#endif  // RUMP_SHMIF_DUMPBUS_BUS_IMAGE_H_
