// Source address selection for IPv6 (RFC 6724): the default policy table
// and the choice among an interface's addresses.
//
// Promises:
//  * LookupPolicy gives the precedence and label of the longest matching
//    prefix of a policy table (RFC 6724 2.1's default table unless another
//    is given);
//  * SelectSourceAddress never picks a tentative, duplicated or anycast
//    address, a multicast or unspecified one, nor, for a destination of
//    link-local scope or less, an address of another interface; among the
//    rest it applies RFC 6724 5's rules 1 (the destination itself), 2
//    (appropriate scope), 3 (avoid deprecated), 5 (the outgoing
//    interface), 6 (matching label) and 8 (longest matching prefix, within
//    the source's prefix), in that order, and keeps the earlier candidate
//    when they all tie. Rules 4 (home addresses), 5.5 and 7 (temporary
//    addresses) are not applied: we have neither.
// Pure functions: thread-safe.
#ifndef RUMP_NETINET6_IN6_SRC_H_
#define RUMP_NETINET6_IN6_SRC_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"
#include "rump/netinet6/in6_addr.h"

namespace rump::inet6 {

struct PolicyEntry {
  In6Address prefix;
  int prefix_len = 0;
  int precedence = 0;
  int label = 0;
};
// RFC 6724 2.1's default policy table.
absl::Span<const PolicyEntry> DefaultPolicyTable();

struct Policy {
  int precedence = 0;
  int label = 0;
};
// The entry of `table` with the longest prefix matching `addr` (a table
// without ::/0 may match nothing: precedence 0, label 0).
Policy LookupPolicy(const In6Address& addr,
                    absl::Span<const PolicyEntry> table = DefaultPolicyTable());

// The scope of `addr` for RFC 6724 3.1 (MulticastScope values): a
// multicast address's own; link-local for link-local unicast and loopback
// (and IPv4-mapped 127/8 and 169.254/16, RFC 6724 3.2); site-local for
// fec0::/10; global for the rest, unique-local addresses included.
uint8_t AddressScope(const In6Address& addr);

// An address of this host, with what NetBSD keeps about it (IN6_IFF_*).
struct SourceCandidate {
  enum Flags : uint32_t {
    kTentative = 1 << 0,   // DAD not finished
    kDeprecated = 1 << 1,  // preferred lifetime over
    kDuplicated = 1 << 2,  // DAD failed
    kAnycast = 1 << 3,
  };
  In6Address address;
  uint32_t ifindex = 0;
  uint32_t flags = 0;
  int prefix_len = 64;  // rule 8 compares at most this many bits
};

// The index in `candidates` of the source to use towards `dst` through the
// interface `out_ifindex`, or nullopt when no candidate may be used.
std::optional<size_t> SelectSourceAddress(
    const In6Address& dst, uint32_t out_ifindex, absl::Span<const SourceCandidate> candidates,
    absl::Span<const PolicyEntry> table = DefaultPolicyTable());

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_IN6_SRC_H_
