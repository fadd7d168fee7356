#include "rump/netinet6/in6_addr.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rump::inet6 {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A dotted IPv4 address "a.b.c.d" (decimal, no leading zeros, each <= 255)
// into out[0..3].
bool ParseDotted(absl::string_view s, uint8_t* out) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    int v = 0;
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start >= 3) return false;
      v = v * 10 + (s[i] - '0');
      ++i;
    }
    if (v > 255 || (i - start > 1 && s[start] == '0')) return false;
    out[part++] = uint8_t(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

}  // namespace

In6Address In6Address::FromWire(const uint8_t* wire) {
  Bytes b;
  std::memcpy(b.data(), wire, b.size());
  return In6Address(b);
}

In6Address In6Address::V4Mapped(uint32_t v4_net) {
  Bytes b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::memcpy(b.data() + 12, &v4_net, 4);
  return In6Address(b);
}

void In6Address::ToWire(uint8_t* out) const { std::memcpy(out, bytes_.data(), bytes_.size()); }

uint32_t In6Address::low32_net() const {
  uint32_t v;
  std::memcpy(&v, bytes_.data() + 12, 4);
  return v;
}

InterfaceId In6Address::interface_id() const {
  InterfaceId id;
  std::memcpy(id.data(), bytes_.data() + 8, 8);
  return id;
}

std::optional<In6Address> In6Address::Parse(absl::string_view text) {
  // Groups before and after "::" (or all of them, without one).
  uint16_t head[8], tail[8];
  int nhead = 0, ntail = 0;
  bool compressed = false;
  Bytes b{};
  bool v4 = false;
  uint8_t v4bytes[4];
  size_t i = 0;
  if (text.size() >= 2 && text[0] == ':' && text[1] == ':') {
    compressed = true;
    i = 2;
  } else if (!text.empty() && text[0] == ':') {
    return std::nullopt;
  }
  while (i < text.size()) {
    // One group, or the dotted IPv4 tail.
    const size_t start = i;
    int v = 0;
    while (i < text.size() && HexDigit(text[i]) >= 0 && i - start < 5) {
      v = v * 16 + HexDigit(text[i]);
      ++i;
    }
    if (i < text.size() && text[i] == '.') {
      if (!ParseDotted(text.substr(start), v4bytes)) return std::nullopt;
      v4 = true;
      break;
    }
    if (i == start || i - start > 4) return std::nullopt;
    uint16_t* groups = compressed ? tail : head;
    int& n = compressed ? ntail : nhead;
    if (nhead + ntail >= 8) return std::nullopt;
    groups[n++] = uint16_t(v);
    if (i == text.size()) break;
    if (text[i] != ':') return std::nullopt;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (compressed) return std::nullopt;
      compressed = true;
      ++i;
    } else if (i == text.size()) {
      return std::nullopt;  // a trailing single ':'
    }
  }
  const int total = nhead + ntail + (v4 ? 2 : 0);
  if (compressed ? total > 7 : total != 8) return std::nullopt;
  for (int g = 0; g < nhead; ++g) {
    b[2 * g] = uint8_t(head[g] >> 8);
    b[2 * g + 1] = uint8_t(head[g]);
  }
  const int tail_start = 8 - ntail - (v4 ? 2 : 0);
  for (int g = 0; g < ntail; ++g) {
    b[2 * (tail_start + g)] = uint8_t(tail[g] >> 8);
    b[2 * (tail_start + g) + 1] = uint8_t(tail[g]);
  }
  if (v4) std::memcpy(b.data() + 12, v4bytes, 4);
  return In6Address(b);
}

std::string In6Address::ToString() const {
  if (IsV4Mapped()) {
    return absl::StrFormat("::ffff:%d.%d.%d.%d", bytes_[12], bytes_[13], bytes_[14], bytes_[15]);
  }
  // The longest run of zero groups, two or more long; the first of equals.
  int best = -1, best_len = 0;
  for (int g = 0; g < 8;) {
    if (group(g) != 0) {
      ++g;
      continue;
    }
    int end = g;
    while (end < 8 && group(end) == 0) ++end;
    if (end - g > best_len) {
      best = g;
      best_len = end - g;
    }
    g = end;
  }
  if (best_len < 2) best = -1;
  std::string out;
  for (int g = 0; g < 8; ++g) {
    if (g == best) {
      out += "::";
      g += best_len - 1;
      continue;
    }
    if (g > 0 && g != best + best_len) out += ':';
    absl::StrAppend(&out, absl::Hex(group(g)));
  }
  return out;
}

bool In6Address::IsUnspecified() const { return *this == kIn6Unspecified; }
bool In6Address::IsLoopback() const { return *this == kIn6Loopback; }
bool In6Address::IsLinkLocal() const { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }
bool In6Address::IsUniqueLocal() const { return (bytes_[0] & 0xfe) == 0xfc; }
bool In6Address::IsMulticast() const { return bytes_[0] == 0xff; }

bool In6Address::IsV4Mapped() const {
  for (int i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[10] == 0xff && bytes_[11] == 0xff;
}

bool In6Address::IsSolicitedNodeMulticast() const {
  return MaskPrefix(*this, 104) == MaskPrefix(SolicitedNodeMulticast(kIn6Unspecified), 104);
}

In6Address SolicitedNodeMulticast(const In6Address& addr) {
  In6Address::Bytes b{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  b[13] = addr[13];
  b[14] = addr[14];
  b[15] = addr[15];
  return In6Address(b);
}

MacAddress MulticastMac(const In6Address& group) {
  return MacAddress{0x33, 0x33, group[12], group[13], group[14], group[15]};
}

In6Address PrefixMask(int len) {
  if (len < 0) len = 0;
  if (len > 128) len = 128;
  In6Address::Bytes b{};
  for (int i = 0; i < 16; ++i) {
    const int bits = len - 8 * i;
    b[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : uint8_t(0xff << (8 - bits));
  }
  return In6Address(b);
}

In6Address MaskPrefix(const In6Address& addr, int len) {
  const In6Address mask = PrefixMask(len);
  In6Address::Bytes b;
  for (int i = 0; i < 16; ++i) b[i] = addr[i] & mask[i];
  return In6Address(b);
}

int MatchPrefixLen(const In6Address& a, const In6Address& b) {
  for (int i = 0; i < 16; ++i) {
    const uint8_t x = a[i] ^ b[i];
    if (x != 0) return 8 * i + __builtin_clz(x) - 24;
  }
  return 128;
}

bool InPrefix(const In6Address& addr, const In6Address& prefix, int len) {
  return MaskPrefix(addr, len) == MaskPrefix(prefix, len);
}

InterfaceId InterfaceIdFromMac(const MacAddress& mac) {
  return InterfaceId{uint8_t(mac[0] ^ 0x02), mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]};
}

In6Address SlaacAddress(const In6Address& prefix, const InterfaceId& id) {
  In6Address::Bytes b = prefix.bytes();
  std::memcpy(b.data() + 8, id.data(), 8);
  return In6Address(b);
}

}  // namespace rump::inet6
