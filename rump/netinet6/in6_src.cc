#include "rump/netinet6/in6_src.h"

#include <algorithm>

namespace rump::inet6 {
namespace {

constexpr In6Address Addr(uint8_t b0, uint8_t b1, uint8_t b10 = 0, uint8_t b11 = 0) {
  return In6Address(In6Address::Bytes{b0, b1, 0, 0, 0, 0, 0, 0, 0, 0, b10, b11, 0, 0, 0, 0});
}

// RFC 6724 2.1.
constexpr PolicyEntry kDefaultPolicy[] = {
    {kIn6Loopback, 128, 50, 0},          // ::1/128
    {In6Address(), 0, 40, 1},            // ::/0
    {Addr(0, 0, 0xff, 0xff), 96, 35, 4}, // ::ffff:0:0/96
    {Addr(0x20, 0x02), 16, 30, 2},       // 2002::/16 (6to4)
    {Addr(0x20, 0x01), 32, 5, 5},        // 2001::/32 (Teredo)
    {Addr(0xfc, 0x00), 7, 3, 13},        // fc00::/7 (unique local)
    {In6Address(), 96, 1, 3},            // ::/96 (IPv4-compatible)
    {Addr(0xfe, 0xc0), 10, 1, 11},       // fec0::/10 (site local)
    {Addr(0x3f, 0xfe), 16, 1, 12},       // 3ffe::/16 (6bone)
};

int CommonPrefixLen(const SourceCandidate& s, const In6Address& dst) {
  return std::min(MatchPrefixLen(s.address, dst), s.prefix_len);
}

// Negative: a is better; positive: b is; 0: a tie.
int Compare(const SourceCandidate& a, const SourceCandidate& b, const In6Address& dst,
            uint32_t out_ifindex, absl::Span<const PolicyEntry> table) {
  // Rule 1: the destination itself.
  if (a.address == dst) return -1;
  if (b.address == dst) return 1;
  // Rule 2: appropriate scope.
  const int sa = AddressScope(a.address), sb = AddressScope(b.address), sd = AddressScope(dst);
  if (sa < sb) return sa < sd ? 1 : -1;
  if (sb < sa) return sb < sd ? -1 : 1;
  // Rule 3: avoid deprecated addresses.
  const bool da = (a.flags & SourceCandidate::kDeprecated) != 0;
  const bool db = (b.flags & SourceCandidate::kDeprecated) != 0;
  if (da != db) return da ? 1 : -1;
  // Rule 5: the outgoing interface.
  const bool oa = a.ifindex == out_ifindex, ob = b.ifindex == out_ifindex;
  if (oa != ob) return oa ? -1 : 1;
  // Rule 6: matching label.
  const int ld = LookupPolicy(dst, table).label;
  const bool ma = LookupPolicy(a.address, table).label == ld;
  const bool mb = LookupPolicy(b.address, table).label == ld;
  if (ma != mb) return ma ? -1 : 1;
  // Rule 8: longest matching prefix.
  const int pa = CommonPrefixLen(a, dst), pb = CommonPrefixLen(b, dst);
  if (pa != pb) return pa > pb ? -1 : 1;
  return 0;
}

}  // namespace

absl::Span<const PolicyEntry> DefaultPolicyTable() { return kDefaultPolicy; }

Policy LookupPolicy(const In6Address& addr, absl::Span<const PolicyEntry> table) {
  Policy p;
  int best = -1;
  for (const PolicyEntry& e : table) {
    if (e.prefix_len > best && InPrefix(addr, e.prefix, e.prefix_len)) {
      best = e.prefix_len;
      p = Policy{e.precedence, e.label};
    }
  }
  return p;
}

uint8_t AddressScope(const In6Address& addr) {
  if (addr.IsMulticast()) return addr.multicast_scope();
  if (addr.IsLinkLocal() || addr.IsLoopback()) return kScopeLinkLocal;
  if (addr.IsV4Mapped()) {
    const uint8_t a = addr[12], b = addr[13];
    if (a == 127 || (a == 169 && b == 254)) return kScopeLinkLocal;
    return kScopeGlobal;
  }
  if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0xc0) return kScopeSiteLocal;
  return kScopeGlobal;
}

std::optional<size_t> SelectSourceAddress(const In6Address& dst, uint32_t out_ifindex,
                                          absl::Span<const SourceCandidate> candidates,
                                          absl::Span<const PolicyEntry> table) {
  const bool link_scoped = AddressScope(dst) <= kScopeLinkLocal;
  constexpr uint32_t kUnusable =
      SourceCandidate::kTentative | SourceCandidate::kDuplicated | SourceCandidate::kAnycast;
  std::optional<size_t> best;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const SourceCandidate& c = candidates[i];
    if ((c.flags & kUnusable) != 0 || c.address.IsMulticast() || c.address.IsUnspecified()) {
      continue;
    }
    if (link_scoped && c.ifindex != out_ifindex) continue;
    if (!best || Compare(c, candidates[*best], dst, out_ifindex, table) < 0) best = i;
  }
  return best;
}

}  // namespace rump::inet6
