// Definitions shared by the files that implement NetStack. Internal.
#ifndef RUMP_NET_NET_INTERNAL_H_
#define RUMP_NET_NET_INTERNAL_H_

#include <cstdint>

#include "rump/net/net_stack.h"

namespace rump {

// The fields of a SIOCAIFADDR request (struct ifaliasreq) that matter.
// Addresses in network order; a *_len of 0 means "not given".
struct NetStack::AliasRequest {
  uint8_t addr_len = 0;
  int addr_family = 0;
  uint32_t addr = 0;
  uint8_t mask_len = 0;
  uint32_t mask = 0;
  int brd_family = 0;
  uint32_t brd = 0;
};

}  // namespace rump

#endif  // RUMP_NET_NET_INTERNAL_H_
