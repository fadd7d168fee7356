// Neighbor Discovery messages (RFC 4861 4): Router Solicitation, Router
// Advertisement, Neighbor Solicitation, Neighbor Advertisement and
// Redirect, with the source/target link-layer address, prefix
// information, redirected header and MTU options, parsed from and built
// into ICMPv6 messages (the bytes after the IPv6 headers).
//
// Promises:
//  * ParseNdMessage applies RFC 4861's validity checks that the message
//    and its IPv6 header can tell (6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1): a
//    hop limit of 255, code 0, the fixed part present, every option of
//    non-zero length and inside the message (4.6: otherwise the whole
//    message is invalid), and the per-message rules about addresses and
//    flags. It does not check the ICMPv6 checksum (ICMPv6 input does).
//    An invalid message is an InvalidArgument status saying why;
//  * options of unknown type are skipped; known options of the wrong
//    length (link-layer addresses other than Ethernet's, a prefix
//    information option not 32 bytes, an MTU option not 8) are ignored,
//    as NetBSD does; options past the tenth are not looked at
//    (nd6_maxndopt);
//  * BuildNdMessage writes what ParseNdMessage reads back: the fixed part
//    for the type, the options present, and the ICMPv6 checksum over the
//    pseudo-header of `src` and `dst`.
// Pure functions: thread-safe.
#ifndef RUMP_NETINET6_ND6_HEADER_H_
#define RUMP_NETINET6_ND6_HEADER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/netinet6/in6_addr.h"

namespace rump::inet6 {

struct NdPrefixInfo {
  uint8_t prefix_len = 0;
  bool on_link = false;     // L
  bool autonomous = false;  // A: usable for SLAAC
  uint32_t valid_lifetime = 0;      // seconds; 0xffffffff is infinity
  uint32_t preferred_lifetime = 0;
  In6Address prefix;

  friend bool operator==(const NdPrefixInfo&, const NdPrefixInfo&) = default;
};

struct NdOptions {
  std::optional<MacAddress> source_lla;
  std::optional<MacAddress> target_lla;
  std::vector<NdPrefixInfo> prefixes;
  std::optional<uint32_t> mtu;
  // The redirected header option's data (the start of the redirected
  // packet; the builder cuts it to keep the message within 1280 bytes of
  // IPv6 packet and pads it to a multiple of 8 bytes).
  std::optional<std::vector<uint8_t>> redirected;
};

struct NdMessage {
  uint8_t type = 0;  // abi::kND_ROUTER_SOLICIT .. kND_REDIRECT
  // NS, NA and Redirect: the target; Redirect: also the destination.
  In6Address target;
  In6Address destination;
  // NA flags.
  bool router = false;
  bool solicited = false;
  bool override_flag = false;
  // RA fields.
  uint8_t cur_hop_limit = 0;
  bool managed = false;
  bool other = false;
  uint16_t router_lifetime = 0;  // seconds
  uint32_t reachable_time = 0;   // milliseconds
  uint32_t retrans_timer = 0;    // milliseconds
  NdOptions options;
};

// Parses and validates the ICMPv6 message `icmp6` of type 133..137 that
// came from `src` to `dst` with hop limit `hop_limit`.
absl::StatusOr<NdMessage> ParseNdMessage(const In6Address& src, const In6Address& dst,
                                         uint8_t hop_limit, absl::Span<const uint8_t> icmp6);

// The ICMPv6 message for `m` from `src` to `dst`, checksum included.
std::vector<uint8_t> BuildNdMessage(const NdMessage& m, const In6Address& src,
                                    const In6Address& dst);

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_ND6_HEADER_H_
