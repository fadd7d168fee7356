// Reading and writing fields of NetBSD structures held in byte buffers (the
// copied-in ioctl arguments, routing messages) without alignment or aliasing
// assumptions. Out-of-range accesses read zero and write nothing, so a
// length mistake can never touch memory outside the buffer.
#ifndef RUMP_NET_BYTES_H_
#define RUMP_NET_BYTES_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rump::bytes {

template <typename T>
T Load(absl::Span<const uint8_t> b, size_t off) {
  T v{};
  if (off <= b.size() && sizeof(T) <= b.size() - off) {
    std::memcpy(&v, b.data() + off, sizeof(T));
  }
  return v;
}

template <typename T>
void Store(absl::Span<uint8_t> b, size_t off, T v) {
  if (off <= b.size() && sizeof(T) <= b.size() - off) {
    std::memcpy(b.data() + off, &v, sizeof(T));
  }
}

template <typename T>
void Store(std::string& s, size_t off, T v) {
  if (off <= s.size() && sizeof(T) <= s.size() - off) {
    std::memcpy(s.data() + off, &v, sizeof(T));
  }
}

// Copies `n` bytes at `off` from/to the buffer (clipped to the buffer).
inline void Put(absl::Span<uint8_t> b, size_t off, absl::string_view bytes) {
  if (off > b.size()) return;
  std::memcpy(b.data() + off, bytes.data(), std::min(bytes.size(), b.size() - off));
}

// The NUL-terminated name in the first `max` bytes at `off` (a name that
// fills all `max` bytes is returned whole, without a terminator).
inline std::string Name(absl::Span<const uint8_t> b, size_t off, size_t max) {
  if (off > b.size()) return std::string();
  const size_t avail = std::min(max, b.size() - off);
  const char* p = reinterpret_cast<const char*>(b.data() + off);
  return std::string(p, strnlen(p, avail));
}

}  // namespace rump::bytes

#endif  // RUMP_NET_BYTES_H_
