// Internals shared by the source files of the inet component (inet.cc,
// if_arp.cc, ip_input.cc, ip_output.cc, ip_icmp.cc): a private header of
// :netinet, not for other packages.
#ifndef RUMP_NETINET_IP_VAR_H_
#define RUMP_NETINET_IP_VAR_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet {

inline constexpr uint32_t kUpRunning = abi::kIFF_UP | abi::kIFF_RUNNING;
inline constexpr uint32_t kBroadcastAll = 0xffffffffu;  // INADDR_BROADCAST
// 224.0.0.1 in network order.
inline uint32_t AllHostsGroup() { return NetOrder(abi::kINADDR_ALLHOSTS_GROUP); }

// The header fields of a packet this component built or validated.
inline uint32_t PacketDst(absl::Span<const uint8_t> p) { return GetAddr(p.data() + 16); }
inline uint32_t PacketSrc(absl::Span<const uint8_t> p) { return GetAddr(p.data() + 12); }
inline size_t PacketHlen(absl::Span<const uint8_t> p) { return size_t(p[0] & 0xf) * 4; }

}  // namespace rump::inet

#endif  // RUMP_NETINET_IP_VAR_H_
