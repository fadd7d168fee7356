#include "rump/netinet6/fuzz/ip6_chain_fuzz.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "rump/abi/in6.h"
#include "rump/netinet6/ip6_header.h"

namespace rump::inet6_fuzz {
namespace {

using inet6::Ip6Chain;
using inet6::Ip6ChainAction;
using inet6::Ip6ChainError;

[[noreturn]] void Violated(const char* what) {
  std::fprintf(stderr, "ip6 chain fuzzer: invariant violated: %s\n", what);
  std::abort();
}

void Require(bool ok, const char* what) {
  if (!ok) Violated(what);
}

bool Same(const Ip6Chain& a, const Ip6Chain& b) {
  return a.action == b.action && a.error == b.error && a.code == b.code &&
         a.pointer == b.pointer && a.protocol == b.protocol && a.offset == b.offset &&
         a.next_header_at == b.next_header_at && a.fragment.has_value() == b.fragment.has_value() &&
         a.router_alert == b.router_alert && a.headers == b.headers;
}

constexpr uint8_t kFirst[8] = {abi::kIPPROTO_HOPOPTS, abi::kIPPROTO_ROUTING,
                               abi::kIPPROTO_FRAGMENT, abi::kIPPROTO_DSTOPTS,
                               17, abi::kIPPROTO_NONE, 58, 0};

}  // namespace

void CheckIp6Chain(absl::Span<const uint8_t> input) {
  if (input.empty()) return;
  const uint8_t control = input[0];
  absl::Span<const uint8_t> rest = input.subspan(1);
  const uint8_t next = (control & 7) == 7 ? control : kFirst[control & 7];
  size_t plen = rest.size();
  if ((control & 8) != 0 && rest.size() >= 2) {
    plen = size_t(rest[0]) << 8 | rest[1];
    rest = rest.subspan(2);
  }
  if (rest.size() > 65535) rest = rest.first(65535);
  inet6::Ip6Header h;
  h.payload_len = uint16_t(plen > 65535 ? 65535 : plen);
  h.next_header = next;
  h.hop_limit = 64;
  h.src = inet6::In6Address::Parse("2001:db8::1").value();
  h.dst = inet6::In6Address::Parse((control & 16) ? "ff02::1" : "2001:db8::2").value();
  const size_t size = abi::kIp6HeaderLen + rest.size();
  // Exactly the packet's size, on the heap: a read past it is ASan's.
  std::unique_ptr<uint8_t[]> buf(new uint8_t[size]);
  inet6::WriteIp6Header(h, buf.get());
  if (!rest.empty()) std::memcpy(buf.get() + abi::kIp6HeaderLen, rest.data(), rest.size());
  absl::Span<const uint8_t> packet(buf.get(), size);

  inet6::Ip6Header parsed;
  const inet6::Ip6ParseError perr = inet6::ParseIp6Header(packet, &parsed);
  Require((perr == inet6::Ip6ParseError::kNone) == (h.payload_len <= rest.size()),
          "ParseIp6Header accepts exactly a payload length that fits");
  // Also parse the raw input as a header, whatever it is.
  inet6::Ip6Header raw;
  if (inet6::ParseIp6Header(input, &raw) == inet6::Ip6ParseError::kNone) {
    Require((input[0] >> 4) == 6 && 40u + raw.payload_len <= input.size(),
            "ParseIp6Header accepts only version 6 with a fitting payload");
  }
  if (perr != inet6::Ip6ParseError::kNone) return;
  packet = packet.first(abi::kIp6HeaderLen + h.payload_len);

  const Ip6Chain c = inet6::WalkIp6Chain(packet);
  Require(Same(c, inet6::WalkIp6Chain(packet)), "the walk is deterministic");
  Require(Same(c, inet6::WalkIp6ChainFrom(packet, 40, next, 6, true)),
          "WalkIp6Chain is WalkIp6ChainFrom the fixed header");
  Require(c.headers <= inet6::kMaxExtensionHeaders, "at most kMaxExtensionHeaders walked");
  switch (c.action) {
    case Ip6ChainAction::kAccept:
      Require(c.error == Ip6ChainError::kNone, "an accepted walk has no error");
      Require(c.offset <= packet.size(), "the upper layer starts inside the packet");
      Require(c.next_header_at < c.offset, "the naming byte comes before the header");
      Require(packet[c.next_header_at] == c.protocol, "the naming byte names the protocol");
      Require(c.fragment.has_value() == (c.protocol == abi::kIPPROTO_FRAGMENT),
              "a fragment header is reported exactly when the walk stops at one");
      if (c.fragment) {
        Require(c.fragment->at == c.offset && c.offset + 8 <= packet.size(),
                "the fragment header is inside the packet");
      }
      Require(c.protocol != abi::kIPPROTO_HOPOPTS && c.protocol != abi::kIPPROTO_DSTOPTS &&
                  c.protocol != abi::kIPPROTO_ROUTING,
              "the walk does not stop at an extension header it handles");
      break;
    case Ip6ChainAction::kDiscard:
      Require(c.error != Ip6ChainError::kNone, "a discard says why");
      if (c.error == Ip6ChainError::kUnknownOption) break;
      Require(c.error == Ip6ChainError::kTruncated ||
                  c.error == Ip6ChainError::kBadOptionLength ||
                  c.error == Ip6ChainError::kTooManyHeaders,
              "silent discards are truncations, bad lengths and long chains");
      break;
    case Ip6ChainAction::kParamProblem:
    case Ip6ChainAction::kParamProblemUnlessMulticast:
      Require(c.pointer < packet.size(), "the pointer is inside the packet");
      switch (c.error) {
        case Ip6ChainError::kHopByHopNotFirst:
          Require(c.code == abi::kICMP6_PARAMPROB_NEXTHEADER &&
                      packet[c.pointer] == abi::kIPPROTO_HOPOPTS && c.pointer != 6,
                  "code 1 points at a later byte naming hop-by-hop");
          break;
        case Ip6ChainError::kBadRoutingType:
          Require(c.code == abi::kICMP6_PARAMPROB_HEADER && c.pointer + 1 < packet.size() &&
                      packet[c.pointer + 1] != 0,
                  "code 0 points at a routing type with segments left");
          break;
        case Ip6ChainError::kUnknownOption:
          Require(c.code == abi::kICMP6_PARAMPROB_OPTION &&
                      inet6::UnknownOptionAction(packet[c.pointer]) == c.action,
                  "code 2 points at an option whose bits ask for the action");
          break;
        default:
          Violated("a parameter problem of an unexpected kind");
      }
      break;
  }
}

std::vector<Ip6ChainSeed> Ip6ChainSeeds() {
  std::vector<Ip6ChainSeed> seeds;
  const std::vector<uint8_t> udp = {0x14, 0xe9, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, 'x', 'y', 'z'};
  auto add = [&](const std::string& name, uint8_t control, std::vector<uint8_t> payload) {
    std::vector<uint8_t> in = {control};
    in.insert(in.end(), payload.begin(), payload.end());
    seeds.push_back({name, std::move(in)});
  };
  auto cat = [](std::vector<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  const std::vector<uint8_t> hbh_ra = {60, 0, 5, 2, 0, 0, 1, 0};        // router alert, PadN
  const std::vector<uint8_t> dst_pad = {43, 0, 0, 0, 1, 2, 0, 0};       // Pad1 x2, PadN
  const std::vector<uint8_t> rt2 = {60, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> dst_udp = {17, 0, 1, 4, 0, 0, 0, 0};
  add("udp", 4, udp);
  add("none", 5, {1, 2, 3});
  add("hbh_dst_rt_dst_udp", 0, cat({hbh_ra, dst_pad, rt2, dst_udp, udp}));
  add("hbh_multicast", 16, cat({hbh_ra, dst_udp, udp}));
  add("hbh_not_first", 3, cat({{0, 0, 1, 4, 0, 0, 0, 0}, {17, 0, 1, 4, 0, 0, 0, 0}, udp}));
  add("rt0_segments", 1, cat({{17, 2, 0, 1, 0, 0, 0, 0}, std::vector<uint8_t>(16), udp}));
  add("rt0_no_segments", 1, cat({{17, 2, 0, 0, 0, 0, 0, 0}, std::vector<uint8_t>(16), udp}));
  add("frag_first", 2, cat({{17, 0, 0, 1, 0, 0, 0, 7}, udp}));
  add("frag_later", 2, {17, 0, 0x05, 0xa8, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8});
  add("frag_atomic", 2, cat({{17, 0, 0, 0, 0, 0, 0, 9}, udp}));
  add("dst_frag", 3, cat({{44, 0, 1, 4, 0, 0, 0, 0}, {17, 0, 0, 1, 0, 0, 0, 7}, udp}));
  for (uint8_t type : {0x1e, 0x5e, 0x9e, 0xde}) {
    add("opt_" + std::to_string(type), 3, cat({{17, 0, type, 4, 0, 0, 0, 0}, udp}));
    add("opt_mc_" + std::to_string(type), 16 | 3, cat({{17, 0, type, 4, 0, 0, 0, 0}, udp}));
  }
  add("opt_too_long", 3, cat({{17, 0, 1, 9, 0, 0, 0, 0}, udp}));
  add("hdr_too_long", 3, {17, 4, 0, 0, 0, 0, 0, 0});
  add("short_payload_len", 8 | 4, cat({{0, 4}, udp}));
  add("long_payload_len", 8 | 4, cat({{0, 200}, udp}));
  std::vector<uint8_t> chain;
  for (int i = 0; i < 60; ++i) chain = cat({chain, {60, 0, 1, 4, 0, 0, 0, 0}});
  add("long_chain", 3, chain);
  return seeds;
}

}  // namespace rump::inet6_fuzz
