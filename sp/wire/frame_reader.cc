#include "sp/wire/frame_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sp::wire {
namespace {

// Payload buffers grow with the data that actually arrives, so that a header
// announcing a huge frame does not make us allocate it up front.
constexpr uint64_t kInitialReserve = 64 * 1024;

std::string Describe(const Header& h) {
  return absl::StrCat("frame (reqno ", h.reqno, ", class ", ClassName(h.cls), "/", h.cls, ", type ",
                      TypeName(h.type), "/", h.type, ")");
}

}  // namespace

absl::Status CheckHeader(const Header& h, uint64_t max_frame_len) {
  if (h.len < kHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe(h), " has length ", h.len, ", less than the ", kHeaderSize, "-byte header"));
  }
  if (h.len > max_frame_len) {
    return absl::ResourceExhaustedError(absl::StrCat(
        Describe(h), " has length ", h.len, ", more than the limit of ", max_frame_len, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<FrameView> ParseFrame(absl::string_view message, uint64_t max_frame_len) {
  if (message.size() < kHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", message.size(),
                                                   " bytes is shorter than the ", kHeaderSize,
                                                   "-byte frame header"));
  }
  Header h = DecodeHeader(reinterpret_cast<const uint8_t*>(message.data()));
  if (absl::Status s = CheckHeader(h, max_frame_len); !s.ok()) return s;
  if (h.len != message.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Describe(h), " says length ", h.len, " but the message has ", message.size(), " bytes"));
  }
  return FrameView(h, message.substr(kHeaderSize));
}

FrameReader::FrameReader(uint64_t max_frame_len)
    : max_frame_len_(std::max<uint64_t>(max_frame_len, kHeaderSize)) {}

absl::Status FrameReader::Feed(absl::string_view bytes) {
  if (!status_.ok()) return status_;
  while (!bytes.empty()) {
    if (!in_payload_) {
      size_t take = std::min(bytes.size(), kHeaderSize - header_fill_);
      std::memcpy(header_buf_ + header_fill_, bytes.data(), take);
      header_fill_ += take;
      bytes.remove_prefix(take);
      if (header_fill_ < kHeaderSize) break;
      header_fill_ = 0;
      Header h = DecodeHeader(header_buf_);
      status_ = CheckHeader(h, max_frame_len_);
      if (!status_.ok()) return status_;
      partial_ = Frame{h, std::string()};
      payload_need_ = h.len - kHeaderSize;
      if (payload_need_ == 0) {
        ready_.push_back(std::move(partial_));
        continue;
      }
      partial_.payload.reserve(std::min(payload_need_, kInitialReserve));
      in_payload_ = true;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), payload_need_));
    partial_.payload.append(bytes.data(), take);
    payload_need_ -= take;
    bytes.remove_prefix(take);
    if (payload_need_ == 0) {
      in_payload_ = false;
      ready_.push_back(std::move(partial_));
      partial_ = Frame();
    }
  }
  return absl::OkStatus();
}

std::optional<Frame> FrameReader::Next() {
  if (ready_.empty()) return std::nullopt;
  Frame f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

absl::Status FrameReader::Finish() const {
  if (!status_.ok()) return status_;
  if (in_payload_) {
    return absl::DataLossError(absl::StrCat("stream ended inside a ", partial_.header.len, "-byte ",
                                            Describe(partial_.header), ": ", payload_need_,
                                            " payload bytes missing"));
  }
  if (header_fill_ != 0) {
    return absl::DataLossError(absl::StrCat("stream ended inside a frame header (", header_fill_,
                                            " of ", kHeaderSize, " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace sp::wire
