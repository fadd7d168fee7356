// In6Address: an IPv6 address (RFC 4291) as a 16-byte value, with its text
// forms and the classifications and derivations the IPv6 stack needs.
//
// Promises:
//  * an In6Address is exactly the 16 bytes of the wire (network order); it
//    is a regular value type: copyable, ordered bytewise, hashable with
//    absl::Hash (so usable as a key of absl and std containers);
//  * Parse accepts every text form of RFC 4291 2.2 (hexadecimal groups of
//    one to four digits in either case, one "::", a dotted IPv4 address in
//    the last 32 bits) and nothing else (no zone, no prefix length, no
//    surrounding spaces);
//  * ToString writes the canonical form of RFC 5952: lowercase, no leading
//    zeros, the longest run of two or more zero groups (the first of equal
//    runs) as "::", and "::ffff:a.b.c.d" for IPv4-mapped addresses; Parse
//    of ToString gives the address back.
// Everything here is a pure function: no state, thread-safe.
#ifndef RUMP_NETINET6_IN6_ADDR_H_
#define RUMP_NETINET6_IN6_ADDR_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rump/net/ether.h"

namespace rump::inet6 {

using rump::MacAddress;  // an Ethernet address
// The low 64 bits of an address: an interface identifier (RFC 4291 2.5.1).
using InterfaceId = std::array<uint8_t, 8>;

class In6Address {
 public:
  using Bytes = std::array<uint8_t, 16>;

  // The unspecified address "::".
  constexpr In6Address() = default;
  constexpr explicit In6Address(const Bytes& bytes) : bytes_(bytes) {}
  // The first 16 bytes of `wire` (which must hold at least 16).
  static In6Address FromWire(const uint8_t* wire);
  // The IPv4-mapped address ::ffff:a.b.c.d of `v4_net` (network order,
  // as rump::inet keeps IPv4 addresses).
  static In6Address V4Mapped(uint32_t v4_net);

  // The address written in `text`, or nullopt when `text` is not one.
  static std::optional<In6Address> Parse(absl::string_view text);
  // RFC 5952's canonical text.
  std::string ToString() const;

  const Bytes& bytes() const { return bytes_; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }
  // Writes the 16 bytes to `out`.
  void ToWire(uint8_t* out) const;
  // The 16-bit group `i` (0..7) in host order.
  uint16_t group(size_t i) const { return uint16_t((bytes_[2 * i] << 8) | bytes_[2 * i + 1]); }
  // The low 32 bits in network order (the IPv4 address of a mapped one).
  uint32_t low32_net() const;
  InterfaceId interface_id() const;

  bool IsUnspecified() const;   // ::
  bool IsLoopback() const;      // ::1
  bool IsLinkLocal() const;     // fe80::/10 (unicast)
  bool IsUniqueLocal() const;   // fc00::/7 (RFC 4193)
  bool IsV4Mapped() const;      // ::ffff:0:0/96
  bool IsMulticast() const;     // ff00::/8
  // Multicast only: the scope nibble (RFC 4291 2.7; MulticastScope values).
  uint8_t multicast_scope() const { return bytes_[1] & 0x0f; }
  // ff02::1:ff00:0/104 (RFC 4291 2.7.1).
  bool IsSolicitedNodeMulticast() const;

  friend bool operator==(const In6Address&, const In6Address&) = default;
  friend std::strong_ordering operator<=>(const In6Address&, const In6Address&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const In6Address& a) {
    return H::combine_contiguous(std::move(h), a.bytes_.data(), a.bytes_.size());
  }

 private:
  Bytes bytes_{};
};

// Multicast scopes (RFC 4291 2.7, RFC 7346).
enum MulticastScope : uint8_t {
  kScopeInterfaceLocal = 0x1,
  kScopeLinkLocal = 0x2,
  kScopeRealmLocal = 0x3,
  kScopeAdminLocal = 0x4,
  kScopeSiteLocal = 0x5,
  kScopeOrganizationLocal = 0x8,
  kScopeGlobal = 0xe,
};

// Well-known addresses.
inline constexpr In6Address kIn6Unspecified{};
inline constexpr In6Address kIn6Loopback{In6Address::Bytes{0, 0, 0, 0, 0, 0, 0, 0,
                                                            0, 0, 0, 0, 0, 0, 0, 1}};
inline constexpr In6Address kIn6AllNodes{In6Address::Bytes{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                            0, 0, 0, 0, 0, 0, 0, 1}};
inline constexpr In6Address kIn6AllRouters{In6Address::Bytes{0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                              0, 0, 0, 0, 0, 0, 0, 2}};

// The solicited-node multicast group of `addr`: ff02::1:ff00:0 with the
// low 24 bits of `addr` (RFC 4291 2.7.1), where Neighbor Solicitations for
// `addr` are sent.
In6Address SolicitedNodeMulticast(const In6Address& addr);
// The Ethernet destination of a multicast `group`: 33:33 and the group's
// low 32 bits (RFC 2464 7).
MacAddress MulticastMac(const In6Address& group);

// The mask of a prefix of `len` bits (clamped to 0..128).
In6Address PrefixMask(int len);
// `addr` with all but its first `len` bits cleared.
In6Address MaskPrefix(const In6Address& addr, int len);
// How many leading bits `a` and `b` share (0..128): RFC 6724's
// CommonPrefixLen.
int MatchPrefixLen(const In6Address& a, const In6Address& b);
// Whether the first `len` bits of `addr` are those of `prefix`.
bool InPrefix(const In6Address& addr, const In6Address& prefix, int len);

// The modified EUI-64 interface identifier of an Ethernet address (RFC 4291
// appendix A): ff:fe inserted in the middle and the universal/local bit
// inverted; 34:56:78:9a:bc:de gives 3656:78ff:fe9a:bcde (RFC 2464 4).
InterfaceId InterfaceIdFromMac(const MacAddress& mac);
// The address formed from the first 64 bits of `prefix` and `id` (RFC 4862
// 5.5.3 with a /64 prefix); fe80:: and the MAC's identifier give the
// link-local address (RFC 4862 5.3).
In6Address SlaacAddress(const In6Address& prefix, const InterfaceId& id);

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_IN6_ADDR_H_
