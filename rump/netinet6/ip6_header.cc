#include "rump/netinet6/ip6_header.h"

#include <cstring>

#include "rump/abi/in6.h"
#include "rump/netinet/checksum.h"

namespace rump::inet6 {
namespace {

uint16_t Get16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
void Put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
uint32_t Get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, uint16_t(v >> 16));
  Put16(p + 2, uint16_t(v));
}

Ip6Chain Refuse(Ip6ChainError error, Ip6ChainAction action = Ip6ChainAction::kDiscard,
                uint8_t code = 0, size_t pointer = 0) {
  Ip6Chain c;
  c.action = action;
  c.error = error;
  c.code = code;
  c.pointer = uint32_t(pointer);
  return c;
}

// The options of a hop-by-hop or destination options header occupying
// [start, end) of `p` (options from start + 2). Fills router_alert for a
// hop-by-hop header; returns a refusal or nullopt.
std::optional<Ip6Chain> WalkOptions(absl::Span<const uint8_t> p, size_t start, size_t end,
                                    bool hop_by_hop, Ip6Chain* chain) {
  size_t i = start + 2;
  while (i < end) {
    const uint8_t type = p[i];
    if (type == abi::kIP6OPT_PAD1) {
      ++i;
      continue;
    }
    if (i + 2 > end || i + 2 + p[i + 1] > end) return Refuse(Ip6ChainError::kBadOptionLength);
    const size_t len = p[i + 1];
    if (type == abi::kIP6OPT_PADN) {
      // Nothing to do.
    } else if (hop_by_hop && type == abi::kIP6OPT_ROUTER_ALERT && len == 2) {
      chain->router_alert = Get16(&p[i + 2]);
    } else {
      const Ip6ChainAction action = UnknownOptionAction(type);
      if (action != Ip6ChainAction::kAccept) {
        return Refuse(Ip6ChainError::kUnknownOption, action, abi::kICMP6_PARAMPROB_OPTION, i);
      }
    }
    i += 2 + len;
  }
  return std::nullopt;
}

}  // namespace

Ip6ParseError ParseIp6Header(absl::Span<const uint8_t> packet, Ip6Header* out) {
  if (packet.size() < abi::kIp6HeaderLen) return Ip6ParseError::kTooSmall;
  const uint8_t* p = packet.data();
  if ((p[0] & abi::kIPV6_VERSION_MASK) != abi::kIPV6_VERSION) return Ip6ParseError::kBadVersion;
  const uint16_t plen = Get16(p + 4);
  if (abi::kIp6HeaderLen + plen > packet.size()) return Ip6ParseError::kTooShort;
  const uint32_t first = Get32(p);
  out->traffic_class = uint8_t(first >> 20);
  out->flow_label = first & 0xfffff;
  out->payload_len = plen;
  out->next_header = p[6];
  out->hop_limit = p[7];
  out->src = In6Address::FromWire(p + 8);
  out->dst = In6Address::FromWire(p + 24);
  return Ip6ParseError::kNone;
}

void WriteIp6Header(const Ip6Header& h, uint8_t* out) {
  Put32(out, (uint32_t(6) << 28) | (uint32_t(h.traffic_class) << 20) | (h.flow_label & 0xfffff));
  Put16(out + 4, h.payload_len);
  out[6] = h.next_header;
  out[7] = h.hop_limit;
  h.src.ToWire(out + 8);
  h.dst.ToWire(out + 24);
}

uint64_t PseudoHeaderSum6(const In6Address& src, const In6Address& dst, uint32_t upper_len,
                          uint8_t next_header) {
  uint8_t ph[40] = {};
  src.ToWire(ph);
  dst.ToWire(ph + 16);
  Put32(ph + 32, upper_len);
  ph[39] = next_header;
  return inet::ChecksumAdd(0, absl::MakeConstSpan(ph, sizeof(ph)));
}

uint16_t UpperLayerChecksum(const In6Address& src, const In6Address& dst, uint8_t next_header,
                            absl::Span<const uint8_t> msg) {
  return inet::ChecksumFinish(
      inet::ChecksumAdd(PseudoHeaderSum6(src, dst, uint32_t(msg.size()), next_header), msg));
}

uint16_t Udp6Checksum(const In6Address& src, const In6Address& dst,
                      absl::Span<const uint8_t> datagram) {
  const uint16_t c = UpperLayerChecksum(src, dst, 17, datagram);
  return c == 0 ? 0xffff : c;
}

Ip6FragmentHeader ParseIp6FragmentHeader(const uint8_t* p, size_t at) {
  Ip6FragmentHeader f;
  f.at = at;
  f.next_header = p[0];
  const uint16_t offlg = Get16(p + 2);
  f.offset = offlg & abi::kIP6F_OFF_MASK;
  f.more = (offlg & abi::kIP6F_MORE_FRAG) != 0;
  f.id = Get32(p + 4);
  return f;
}

void WriteIp6FragmentHeader(const Ip6FragmentHeader& f, uint8_t* out) {
  out[0] = f.next_header;
  out[1] = 0;
  Put16(out + 2, uint16_t((f.offset & abi::kIP6F_OFF_MASK) | (f.more ? abi::kIP6F_MORE_FRAG : 0)));
  Put32(out + 4, f.id);
}

Ip6ChainAction UnknownOptionAction(uint8_t option_type) {
  switch (option_type & abi::kIP6OPT_TYPE_MASK) {
    case abi::kIP6OPT_TYPE_SKIP:
      return Ip6ChainAction::kAccept;
    case abi::kIP6OPT_TYPE_DISCARD:
      return Ip6ChainAction::kDiscard;
    case abi::kIP6OPT_TYPE_FORCEICMP:
      return Ip6ChainAction::kParamProblem;
    default:
      return Ip6ChainAction::kParamProblemUnlessMulticast;
  }
}

Ip6Chain WalkIp6Chain(absl::Span<const uint8_t> packet) {
  if (packet.size() < abi::kIp6HeaderLen) return Refuse(Ip6ChainError::kTruncated);
  return WalkIp6ChainFrom(packet, abi::kIp6HeaderLen, packet[6], 6, true);
}

Ip6Chain WalkIp6ChainFrom(absl::Span<const uint8_t> packet, size_t offset,
                          uint8_t next_header, size_t next_header_at, bool first) {
  Ip6Chain chain;
  while (true) {
    switch (next_header) {
      case abi::kIPPROTO_HOPOPTS:
      case abi::kIPPROTO_DSTOPTS:
      case abi::kIPPROTO_ROUTING:
      case abi::kIPPROTO_FRAGMENT:
        break;
      default:  // an upper layer, No Next Header, or one we do not walk
        chain.protocol = next_header;
        chain.offset = offset;
        chain.next_header_at = next_header_at;
        return chain;
    }
    if (next_header == abi::kIPPROTO_HOPOPTS && !first) {
      return Refuse(Ip6ChainError::kHopByHopNotFirst, Ip6ChainAction::kParamProblem,
                    abi::kICMP6_PARAMPROB_NEXTHEADER, next_header_at);
    }
    if (chain.headers >= kMaxExtensionHeaders) return Refuse(Ip6ChainError::kTooManyHeaders);
    if (offset > packet.size() || packet.size() - offset < 8) {
      return Refuse(Ip6ChainError::kTruncated);
    }
    const uint8_t* h = packet.data() + offset;
    if (next_header == abi::kIPPROTO_FRAGMENT) {
      chain.protocol = next_header;
      chain.offset = offset;
      chain.next_header_at = next_header_at;
      chain.fragment = ParseIp6FragmentHeader(h, offset);
      ++chain.headers;
      return chain;
    }
    const size_t len = (size_t(h[1]) + 1) * 8;
    if (len > packet.size() - offset) return Refuse(Ip6ChainError::kTruncated);
    if (next_header == abi::kIPPROTO_ROUTING) {
      // No routing type is supported (type 0 is deprecated, RFC 5095): with
      // segments left it cannot be processed; without, it is skipped.
      if (h[3] != 0) {
        return Refuse(Ip6ChainError::kBadRoutingType, Ip6ChainAction::kParamProblem,
                      abi::kICMP6_PARAMPROB_HEADER, offset + 2);
      }
    } else if (std::optional<Ip6Chain> refused =
                   WalkOptions(packet, offset, offset + len,
                               next_header == abi::kIPPROTO_HOPOPTS, &chain)) {
      return *refused;
    }
    ++chain.headers;
    first = false;
    next_header_at = offset;
    next_header = h[0];
    offset += len;
  }
}

}  // namespace rump::inet6
