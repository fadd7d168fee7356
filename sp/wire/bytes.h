// Little-endian loads and stores for the codec (private to sp/wire). The
// host is little-endian (protocol.h checks), so these are plain copies.
#ifndef RUMP_SP_WIRE_BYTES_H_
#define RUMP_SP_WIRE_BYTES_H_

#include <cstdint>
#include <cstring>
#include <string>

namespace sp::wire::internal {

template <typename T>
inline T Load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void Store(void* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
inline void Append(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

}  // namespace sp::wire::internal

#endif  // RUMP_SP_WIRE_BYTES_H_
