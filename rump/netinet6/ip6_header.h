// Wire formats of IPv6 (RFC 8200): the fixed 40-byte header, the
// upper-layer checksum over the IPv6 pseudo-header (RFC 8200 8.1), and the
// walk along the extension header chain (hop-by-hop options, routing,
// fragment and destination options headers) with the option TLV rules of
// RFC 8200 4.2.
//
// Promises:
//  * nothing here reads outside the span it is given, whatever its bytes;
//  * every refusal says what the receiver should do, as RFC 8200 and RFC
//    5095 prescribe: drop silently, or drop and send an ICMPv6 Parameter
//    Problem with this code and pointer (offsets from the start of the
//    IPv6 header, as ICMPv6 counts them), perhaps only when the
//    destination is not a multicast address;
//  * the walk stops at the first header that is not an extension header
//    it handles (an upper-layer protocol, No Next Header, or ESP/AH and
//    the like) and at a fragment header, whose payload is the
//    reassembler's business (frag6.h).
// Lengths, flow labels and ids in host order; addresses as In6Address.
#ifndef RUMP_NETINET6_IP6_HEADER_H_
#define RUMP_NETINET6_IP6_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "rump/netinet6/in6_addr.h"

namespace rump::inet6 {

struct Ip6Header {
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;    // 20 bits
  uint16_t payload_len = 0;   // bytes after the fixed header
  uint8_t next_header = 0;
  uint8_t hop_limit = 0;
  In6Address src;
  In6Address dst;
};

// Why a packet was refused (NetBSD counts each in ip6stat).
enum class Ip6ParseError {
  kNone,
  kTooSmall,    // fewer than 40 bytes (ip6s_toosmall)
  kBadVersion,  // version != 6 (ip6s_badvers)
  kTooShort,    // the payload length runs past the packet (ip6s_tooshort)
};

// Validates and parses the fixed header at the start of `packet`. On
// success the packet's true extent is [0, 40 + payload_len); bytes beyond
// it (link padding) are the caller's to trim. A payload length of 0 is an
// empty payload (jumbograms, RFC 2675, are not supported).
Ip6ParseError ParseIp6Header(absl::Span<const uint8_t> packet, Ip6Header* out);
// Writes the 40 bytes of `h` to `out`.
void WriteIp6Header(const Ip6Header& h, uint8_t* out);

// --- the upper-layer checksum (RFC 8200 8.1)

// The partial sum (rump/netinet/checksum.h's ChecksumAdd) of the IPv6
// pseudo-header: source, destination, upper-layer length and next header.
uint64_t PseudoHeaderSum6(const In6Address& src, const In6Address& dst, uint32_t upper_len,
                          uint8_t next_header);
// The checksum of the upper-layer message `msg` (ICMPv6, UDP, TCP: with a
// zero checksum field) between `src` and `dst`: the value to store,
// big-endian. A message whose stored checksum is right gives 0 here.
uint16_t UpperLayerChecksum(const In6Address& src, const In6Address& dst, uint8_t next_header,
                            absl::Span<const uint8_t> msg);
// UpperLayerChecksum for UDP, where a computed 0 is sent as 0xffff
// (RFC 8200 8.1: a zero UDP checksum is not allowed over IPv6).
uint16_t Udp6Checksum(const In6Address& src, const In6Address& dst,
                      absl::Span<const uint8_t> datagram);

// --- extension headers

// The fragment header (RFC 8200 4.5).
struct Ip6FragmentHeader {
  size_t at = 0;             // its offset in the packet
  uint8_t next_header = 0;   // of the fragmentable part
  uint16_t offset = 0;       // in bytes (a multiple of 8)
  bool more = false;         // the M flag
  uint32_t id = 0;
  // Offset 0 and M clear: a whole datagram in one fragment (RFC 6946).
  bool atomic() const { return offset == 0 && !more; }
};
// Parses the 8 bytes at `p` (the caller checked they are there).
Ip6FragmentHeader ParseIp6FragmentHeader(const uint8_t* p, size_t at);
// Writes a fragment header to `out` (8 bytes; reserved fields zero).
void WriteIp6FragmentHeader(const Ip6FragmentHeader& f, uint8_t* out);

// What the receiver does with a packet the walk refused.
enum class Ip6ChainAction {
  kAccept,               // not refused
  kDiscard,              // drop silently
  kParamProblem,         // drop and send Parameter Problem (code, pointer)
  kParamProblemUnlessMulticast,  // the same, unless the destination is multicast
};

// Why (for counters and tests).
enum class Ip6ChainError {
  kNone,
  kTruncated,          // a header or option runs past the packet
  kHopByHopNotFirst,   // RFC 8200 4.1 (code 1, pointer to the naming field)
  kBadRoutingType,     // an unsupported routing header (type 0 included,
                       // RFC 5095) with segments left (code 0, pointer to
                       // its type)
  kBadOptionLength,    // an option runs past its header (silent)
  kUnknownOption,      // an unknown option whose type says discard
                       // (code 2, pointer to the option's type)
  kTooManyHeaders,     // more than kMaxExtensionHeaders (silent)
};

// The result of a walk.
struct Ip6Chain {
  Ip6ChainAction action = Ip6ChainAction::kAccept;
  Ip6ChainError error = Ip6ChainError::kNone;
  // kParamProblem*: the ICMPv6 Parameter Problem code and pointer.
  uint8_t code = 0;
  uint32_t pointer = 0;

  // kAccept: where the walk stopped. `protocol` is the upper-layer
  // protocol (or kIPPROTO_NONE, or kIPPROTO_FRAGMENT when it stopped at a
  // fragment header), its header starts at `offset`, and the byte that
  // names it is at `next_header_at` (6: the fixed header's field).
  uint8_t protocol = 0;
  size_t offset = 0;
  size_t next_header_at = 0;
  std::optional<Ip6FragmentHeader> fragment;
  // The value of a Router Alert option (RFC 2711) in the hop-by-hop
  // header, if any (MLD listens for 0).
  std::optional<uint16_t> router_alert;
  int headers = 0;  // extension headers walked

  bool ok() const { return action == Ip6ChainAction::kAccept; }
};

// At most this many extension headers are walked (NetBSD's
// ip6_hdrnestlimit); a longer chain is dropped.
inline constexpr int kMaxExtensionHeaders = 50;

// Walks the chain of `packet`, which starts with a fixed header that
// ParseIp6Header accepted and is trimmed to 40 + payload_len.
Ip6Chain WalkIp6Chain(absl::Span<const uint8_t> packet);
// Walks from `offset`, where a header of type `next_header` starts, whose
// name is at `next_header_at`; `first` says whether it directly follows
// the fixed header (only there may a hop-by-hop header be). The pointers
// are offsets in `packet`. Frag6 uses it on a first fragment's payload.
Ip6Chain WalkIp6ChainFrom(absl::Span<const uint8_t> packet, size_t offset,
                          uint8_t next_header, size_t next_header_at, bool first);

// The action for an unrecognized option of type `option_type` (its two
// high bits, RFC 8200 4.2): skip it (kAccept), kDiscard, kParamProblem or
// kParamProblemUnlessMulticast.
Ip6ChainAction UnknownOptionAction(uint8_t option_type);

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_IP6_HEADER_H_
