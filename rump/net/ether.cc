#include "rump/net/ether.h"

#include <cstring>

namespace rump {

void WriteEtherHeader(uint8_t* out, const MacAddress& dst, const MacAddress& src,
                      uint16_t type) {
  std::memcpy(out, dst.data(), 6);
  std::memcpy(out + 6, src.data(), 6);
  out[12] = uint8_t(type >> 8);
  out[13] = uint8_t(type);
}

}  // namespace rump
