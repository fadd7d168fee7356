// Turning bytes from a transport into frames.
//
// FrameReader is for byte streams (unix and tcp sockets): feed it whatever
// read() returned, in chunks of any size (one byte at a time works), and take
// complete frames out. ParseFrame is for message transports (ZeroMQ), where a
// message holds exactly one frame.
//
// Both enforce a maximum frame length (kDefaultMaxFrameLen = 16 MiB + 40
// bytes unless configured; NetBSD has no limit but needs several MiB) and the
// minimum of 24 bytes. A violation is an error after which the connection
// should be dropped: the stream cannot be resynchronised. Only the header is
// checked here; payloads are checked by the decoders in decode.h.
#ifndef RUMP_SP_WIRE_FRAME_READER_H_
#define RUMP_SP_WIRE_FRAME_READER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sp/wire/protocol.h"

namespace sp::wire {

// A complete frame that owns its payload (header.len == 24 + payload.size()).
struct Frame {
  Header header;
  std::string payload;
};

// A complete frame whose payload lives elsewhere (a Frame, a message buffer);
// it, and every string_view a decoder returns from it, must not outlive that.
struct FrameView {
  FrameView(const Header& h, absl::string_view p) : header(h), payload(p) {}
  FrameView(const Frame& f)  // NOLINT: implicit, so decoders take a Frame too
      : header(f.header), payload(f.payload) {}

  Header header;
  absl::string_view payload;
};

// Checks a frame header on its own: 24 <= len <= max_frame_len.
absl::Status CheckHeader(const Header& h, uint64_t max_frame_len);

// One whole frame from a message: a valid header whose len equals
// message.size(). The view points into `message`.
absl::StatusOr<FrameView> ParseFrame(absl::string_view message,
                                     uint64_t max_frame_len = kDefaultMaxFrameLen);

// Reassembles frames from a byte stream. Not thread-safe: one reader per
// connection, used by one thread at a time. Memory held is at most one
// partial frame plus the complete frames not yet taken.
class FrameReader {
 public:
  // `max_frame_len` is clamped to at least kHeaderSize.
  explicit FrameReader(uint64_t max_frame_len = kDefaultMaxFrameLen);

  // Consumes `bytes`. Frames completed by them become available to Next().
  // On a header with len < 24 or len > max_frame_len, returns an error naming
  // the values; the error is sticky (later calls return it, consuming
  // nothing). Frames completed before the bad header stay available.
  absl::Status Feed(absl::string_view bytes);

  // The oldest complete frame not yet taken, or nullopt.
  std::optional<Frame> Next();
  // Complete frames not yet taken.
  size_t ready() const { return ready_.size(); }

  // At end of stream: OK if no partial frame is buffered (a clean
  // disconnect), DataLoss naming the missing byte count otherwise, or the
  // sticky error.
  absl::Status Finish() const;

  // True if no bytes of an incomplete frame are buffered.
  bool AtFrameBoundary() const { return header_fill_ == 0 && !in_payload_; }
  uint64_t max_frame_len() const { return max_frame_len_; }
  const absl::Status& status() const { return status_; }

 private:
  uint64_t max_frame_len_;
  absl::Status status_;
  uint8_t header_buf_[kHeaderSize];
  size_t header_fill_ = 0;
  bool in_payload_ = false;
  Frame partial_;              // valid while in_payload_
  uint64_t payload_need_ = 0;  // payload bytes the partial frame still needs
  std::deque<Frame> ready_;
};

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_FRAME_READER_H_
