#include "rump/netinet6/nd6_header.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/netinet6/ip6_header.h"

namespace rump::inet6 {
namespace {

uint16_t Get16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
void Put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, uint16_t(v >> 16));
  Put16(p + 2, uint16_t(v));
}

size_t FixedLen(uint8_t type) {
  switch (type) {
    case abi::kND_ROUTER_SOLICIT:
      return abi::kNdRouterSolicitLen;
    case abi::kND_ROUTER_ADVERT:
      return abi::kNdRouterAdvertLen;
    case abi::kND_NEIGHBOR_SOLICIT:
      return abi::kNdNeighborSolicitLen;
    case abi::kND_NEIGHBOR_ADVERT:
      return abi::kNdNeighborAdvertLen;
    case abi::kND_REDIRECT:
      return abi::kNdRedirectLen;
    default:
      return 0;
  }
}

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid ND message: ", why));
}

absl::Status ParseOptions(absl::Span<const uint8_t> opts, NdOptions* out) {
  int seen = 0;
  for (size_t i = 0; i < opts.size();) {
    if (opts.size() - i < 2) return Invalid("an option is cut short");
    const uint8_t type = opts[i];
    const size_t len = size_t(opts[i + 1]) * 8;
    if (len == 0) return Invalid("an option has length 0");
    if (len > opts.size() - i) return Invalid("an option runs past the message");
    const uint8_t* o = opts.data() + i;
    i += len;
    if (++seen > abi::kNd6MaxNdOpt) continue;  // still checked, not looked at
    switch (type) {
      case abi::kND_OPT_SOURCE_LINKADDR:
      case abi::kND_OPT_TARGET_LINKADDR:
        if (len == 8) {
          MacAddress mac;
          std::memcpy(mac.data(), o + 2, 6);
          (type == abi::kND_OPT_SOURCE_LINKADDR ? out->source_lla : out->target_lla) = mac;
        }
        break;
      case abi::kND_OPT_PREFIX_INFORMATION:
        if (len == abi::kNdOptPrefixInfoLen) {
          NdPrefixInfo p;
          p.prefix_len = o[2];
          p.on_link = (o[3] & abi::kND_OPT_PI_FLAG_ONLINK) != 0;
          p.autonomous = (o[3] & abi::kND_OPT_PI_FLAG_AUTO) != 0;
          p.valid_lifetime = Get32(o + 4);
          p.preferred_lifetime = Get32(o + 8);
          p.prefix = In6Address::FromWire(o + 16);
          out->prefixes.push_back(p);
        }
        break;
      case abi::kND_OPT_MTU:
        if (len == 8) out->mtu = Get32(o + 4);
        break;
      case abi::kND_OPT_REDIRECTED_HEADER:
        out->redirected = std::vector<uint8_t>(o + 8, o + len);
        break;
      default:
        break;
    }
  }
  return absl::OkStatus();
}

void PutOption(std::vector<uint8_t>& out, uint8_t type, absl::Span<const uint8_t> body) {
  // body follows the type and length bytes; padded to a multiple of 8.
  const size_t len = (2 + body.size() + 7) / 8 * 8;
  const size_t at = out.size();
  out.resize(at + len);
  out[at] = type;
  out[at + 1] = uint8_t(len / 8);
  if (!body.empty()) std::memcpy(out.data() + at + 2, body.data(), body.size());
}

}  // namespace

absl::StatusOr<NdMessage> ParseNdMessage(const In6Address& src, const In6Address& dst,
                                         uint8_t hop_limit, absl::Span<const uint8_t> icmp6) {
  if (icmp6.size() < 4) return Invalid("shorter than an ICMPv6 header");
  NdMessage m;
  m.type = icmp6[0];
  const size_t fixed = FixedLen(m.type);
  if (fixed == 0) return Invalid(absl::StrCat("type ", m.type, " is not Neighbor Discovery"));
  if (hop_limit != 255) return Invalid(absl::StrCat("hop limit ", hop_limit, ", not 255"));
  if (icmp6[1] != 0) return Invalid(absl::StrCat("code ", icmp6[1], ", not 0"));
  if (icmp6.size() < fixed) return Invalid("shorter than its fixed part");
  const uint8_t* p = icmp6.data();
  switch (m.type) {
    case abi::kND_ROUTER_ADVERT:
      m.cur_hop_limit = p[4];
      m.managed = (p[5] & abi::kND_RA_FLAG_MANAGED) != 0;
      m.other = (p[5] & abi::kND_RA_FLAG_OTHER) != 0;
      m.router_lifetime = Get16(p + 6);
      m.reachable_time = Get32(p + 8);
      m.retrans_timer = Get32(p + 12);
      break;
    case abi::kND_NEIGHBOR_ADVERT:
      m.router = (p[4] & abi::kND_NA_FLAG_ROUTER) != 0;
      m.solicited = (p[4] & abi::kND_NA_FLAG_SOLICITED) != 0;
      m.override_flag = (p[4] & abi::kND_NA_FLAG_OVERRIDE) != 0;
      m.target = In6Address::FromWire(p + 8);
      break;
    case abi::kND_NEIGHBOR_SOLICIT:
      m.target = In6Address::FromWire(p + 8);
      break;
    case abi::kND_REDIRECT:
      m.target = In6Address::FromWire(p + 8);
      m.destination = In6Address::FromWire(p + 24);
      break;
    default:
      break;
  }
  if (absl::Status s = ParseOptions(icmp6.subspan(fixed), &m.options); !s.ok()) return s;
  // The rules of each message (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1).
  switch (m.type) {
    case abi::kND_ROUTER_SOLICIT:
      if (src.IsUnspecified() && m.options.source_lla) {
        return Invalid("a source link-layer address from the unspecified address");
      }
      break;
    case abi::kND_ROUTER_ADVERT:
      if (!src.IsLinkLocal()) return Invalid("a router advertisement not from a link-local address");
      break;
    case abi::kND_NEIGHBOR_SOLICIT:
      if (m.target.IsMulticast()) return Invalid("a multicast target");
      if (src.IsUnspecified()) {
        if (!dst.IsSolicitedNodeMulticast()) {
          return Invalid("a solicitation from :: not to a solicited-node group");
        }
        if (m.options.source_lla) {
          return Invalid("a source link-layer address from the unspecified address");
        }
      }
      break;
    case abi::kND_NEIGHBOR_ADVERT:
      if (m.target.IsMulticast()) return Invalid("a multicast target");
      if (dst.IsMulticast() && m.solicited) return Invalid("a solicited advertisement to a group");
      break;
    case abi::kND_REDIRECT:
      if (!src.IsLinkLocal()) return Invalid("a redirect not from a link-local address");
      if (m.destination.IsMulticast()) return Invalid("a redirect for a multicast destination");
      if (!m.target.IsLinkLocal() && m.target != m.destination) {
        return Invalid("a redirect target neither link-local nor the destination");
      }
      break;
    default:
      break;
  }
  return m;
}

std::vector<uint8_t> BuildNdMessage(const NdMessage& m, const In6Address& src,
                                    const In6Address& dst) {
  std::vector<uint8_t> out(FixedLen(m.type) > 0 ? FixedLen(m.type) : 8, 0);
  out[0] = m.type;
  uint8_t* p = out.data();
  switch (m.type) {
    case abi::kND_ROUTER_ADVERT:
      p[4] = m.cur_hop_limit;
      p[5] = uint8_t((m.managed ? abi::kND_RA_FLAG_MANAGED : 0) |
                     (m.other ? abi::kND_RA_FLAG_OTHER : 0));
      Put16(p + 6, m.router_lifetime);
      Put32(p + 8, m.reachable_time);
      Put32(p + 12, m.retrans_timer);
      break;
    case abi::kND_NEIGHBOR_ADVERT:
      p[4] = uint8_t((m.router ? abi::kND_NA_FLAG_ROUTER : 0) |
                     (m.solicited ? abi::kND_NA_FLAG_SOLICITED : 0) |
                     (m.override_flag ? abi::kND_NA_FLAG_OVERRIDE : 0));
      m.target.ToWire(p + 8);
      break;
    case abi::kND_NEIGHBOR_SOLICIT:
      m.target.ToWire(p + 8);
      break;
    case abi::kND_REDIRECT:
      m.target.ToWire(p + 8);
      m.destination.ToWire(p + 24);
      break;
    default:
      break;
  }
  const NdOptions& o = m.options;
  if (o.source_lla) PutOption(out, abi::kND_OPT_SOURCE_LINKADDR, *o.source_lla);
  if (o.target_lla) PutOption(out, abi::kND_OPT_TARGET_LINKADDR, *o.target_lla);
  for (const NdPrefixInfo& pi : o.prefixes) {
    uint8_t b[30] = {};
    b[0] = pi.prefix_len;
    b[1] = uint8_t((pi.on_link ? abi::kND_OPT_PI_FLAG_ONLINK : 0) |
                   (pi.autonomous ? abi::kND_OPT_PI_FLAG_AUTO : 0));
    Put32(b + 2, pi.valid_lifetime);
    Put32(b + 6, pi.preferred_lifetime);
    pi.prefix.ToWire(b + 14);
    PutOption(out, abi::kND_OPT_PREFIX_INFORMATION, b);
  }
  if (o.mtu) {
    uint8_t b[6] = {};
    Put32(b + 2, *o.mtu);
    PutOption(out, abi::kND_OPT_MTU, b);
  }
  if (o.redirected) {
    // As much of the redirected packet as keeps the message within the
    // minimum MTU (RFC 4861 4.6.3).
    const size_t room = abi::kIPV6_MMTU - abi::kIp6HeaderLen;
    const size_t fit = out.size() + 8 < room ? (room - out.size() - 8) / 8 * 8 : 0;
    std::vector<uint8_t> b(6, 0);
    b.insert(b.end(), o.redirected->begin(),
             o.redirected->begin() + long(std::min(fit, o.redirected->size())));
    PutOption(out, abi::kND_OPT_REDIRECTED_HEADER, b);
  }
  const uint16_t sum = UpperLayerChecksum(src, dst, uint8_t(abi::kIPPROTO_ICMPV6), out);
  Put16(out.data() + 2, sum);
  return out;
}

}  // namespace rump::inet6
