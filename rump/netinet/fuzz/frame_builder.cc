#include "rump/netinet/fuzz/frame_builder.h"

#include <algorithm>
#include <cstring>

namespace rump::inet_fuzz {

std::vector<Frame> DecodeFrameList(absl::Span<const uint8_t> input) {
  std::vector<Frame> frames;
  size_t pos = 0;
  while (pos < input.size() && frames.size() < kMaxFramesPerInput) {
    if (input.size() - pos < 2) {
      frames.emplace_back(input.begin() + pos, input.end());
      break;
    }
    const size_t len = std::min<size_t>(Load16(input.data() + pos), input.size() - pos - 2);
    pos += 2;
    frames.emplace_back(input.begin() + pos, input.begin() + pos + len);
    pos += len;
  }
  return frames;
}

Bytes EncodeFrameList(const std::vector<Frame>& frames) {
  Bytes out;
  for (const Frame& f : frames) {
    const size_t len = std::min<size_t>(f.size(), 0xffff);
    out.push_back(uint8_t(len >> 8));
    out.push_back(uint8_t(len));
    out.insert(out.end(), f.begin(), f.begin() + len);
  }
  return out;
}

uint16_t Load16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }

uint32_t Load32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

void Store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

void Store32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

uint64_t ChecksumAccumulate(uint64_t sum, absl::Span<const uint8_t> data) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += Load16(data.data() + i);
  if (i < data.size()) sum += uint32_t(data[i]) << 8;
  return sum;
}

uint16_t ChecksumFold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

uint16_t InternetChecksum(absl::Span<const uint8_t> data) {
  return ChecksumFold(ChecksumAccumulate(0, data));
}

uint64_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

Bytes Ipv4Packet(const Ipv4Fields& f, absl::Span<const uint8_t> payload) {
  Bytes options = f.options;
  options.resize(std::min<size_t>((options.size() + 3) / 4 * 4, 40), 0);
  const size_t hlen = kIpv4HeaderLen + options.size();
  Bytes p(hlen + payload.size());
  p[0] = uint8_t(0x40 | (hlen / 4));
  p[1] = f.tos;
  Store16(&p[2], uint16_t(std::min<size_t>(p.size(), 0xffff)));
  Store16(&p[4], f.id);
  Store16(&p[6], f.flags_offset);
  p[8] = f.ttl;
  p[9] = f.proto;
  Store32(&p[12], f.src);
  Store32(&p[16], f.dst);
  std::copy(options.begin(), options.end(), p.begin() + kIpv4HeaderLen);
  Store16(&p[10], InternetChecksum(absl::MakeConstSpan(p.data(), hlen)));
  std::copy(payload.begin(), payload.end(), p.begin() + hlen);
  return p;
}

Bytes UdpDatagram(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                  absl::Span<const uint8_t> data) {
  Bytes s(kUdpHeaderLen + data.size());
  Store16(&s[0], sport);
  Store16(&s[2], dport);
  Store16(&s[4], uint16_t(s.size()));
  std::copy(data.begin(), data.end(), s.begin() + kUdpHeaderLen);
  uint16_t sum =
      ChecksumFold(ChecksumAccumulate(PseudoHeaderSum(src, dst, kProtoUdp, uint16_t(s.size())), s));
  Store16(&s[6], sum == 0 ? 0xffff : sum);
  return s;
}

Bytes TcpSegment(uint32_t src, uint32_t dst, const TcpFields& f, absl::Span<const uint8_t> data) {
  Bytes options = f.options;
  options.resize((options.size() + 3) / 4 * 4, 0);
  Bytes s(kTcpFixedHeaderLen + options.size() + data.size());
  Store16(&s[0], f.sport);
  Store16(&s[2], f.dport);
  Store32(&s[4], f.seq);
  Store32(&s[8], f.ack);
  const size_t words = (kTcpFixedHeaderLen + options.size()) / 4;
  s[12] = uint8_t((f.data_offset != 0 ? f.data_offset : words) << 4);
  s[13] = f.flags;
  Store16(&s[14], f.window);
  Store16(&s[18], f.urgent);
  std::copy(options.begin(), options.end(), s.begin() + kTcpFixedHeaderLen);
  std::copy(data.begin(), data.end(), s.begin() + long(kTcpFixedHeaderLen + options.size()));
  const uint16_t sum =
      ChecksumFold(ChecksumAccumulate(PseudoHeaderSum(src, dst, kProtoTcp, uint16_t(s.size())), s));
  Store16(&s[16], uint16_t(sum + (f.bad_checksum ? 1 : 0)));
  return s;
}

Bytes TcpOptMss(uint16_t mss) { return {2, 4, uint8_t(mss >> 8), uint8_t(mss)}; }
Bytes TcpOptWindowScale(uint8_t shift) { return {1, 3, 3, shift}; }  // NOP-aligned
Bytes TcpOptSackPermitted() { return {1, 1, 4, 2}; }
Bytes TcpOptTimestamps(uint32_t value, uint32_t echo) {
  Bytes o = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  Store32(&o[4], value);
  Store32(&o[8], echo);
  return o;
}
Bytes TcpOptSack(const std::vector<std::pair<uint32_t, uint32_t>>& blocks) {
  Bytes o = {1, 1, 5, uint8_t(2 + 8 * blocks.size())};
  for (auto [start, end] : blocks) {
    o.resize(o.size() + 8);
    Store32(&o[o.size() - 8], start);
    Store32(&o[o.size() - 4], end);
  }
  return o;
}

Bytes IcmpMessage(uint8_t type, uint8_t code, uint32_t word, absl::Span<const uint8_t> body) {
  Bytes m(kIcmpHeaderLen + body.size());
  m[0] = type;
  m[1] = code;
  Store32(&m[4], word);
  std::copy(body.begin(), body.end(), m.begin() + kIcmpHeaderLen);
  Store16(&m[2], InternetChecksum(m));
  return m;
}

Frame EthernetFrame(const Mac& dst, const Mac& src, uint16_t type,
                    absl::Span<const uint8_t> payload) {
  Frame f(kEtherHeaderLen + payload.size());
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  Store16(&f[12], type);
  std::copy(payload.begin(), payload.end(), f.begin() + kEtherHeaderLen);
  return f;
}

Frame ArpFrame(const Mac& dst, const Mac& src, const ArpFields& a) {
  Bytes body(kArpBodyLen);
  Store16(&body[0], 1);               // hardware: Ethernet
  Store16(&body[2], kEtherTypeIpv4);  // protocol: IPv4
  body[4] = 6;
  body[5] = 4;
  Store16(&body[6], a.op);
  std::copy(a.sha.begin(), a.sha.end(), body.begin() + 8);
  Store32(&body[14], a.spa);
  std::copy(a.tha.begin(), a.tha.end(), body.begin() + 18);
  Store32(&body[24], a.tpa);
  return EthernetFrame(dst, src, kEtherTypeArp, body);
}

std::vector<Frame> FragmentFrame(const Frame& frame,
                                 const std::vector<std::pair<size_t, size_t>>& pieces) {
  const FrameLayout l = Dissect(frame);
  std::vector<Frame> out;
  if (!l.ipv4) return out;
  const size_t ip = kEtherHeaderLen;
  const size_t total =
      std::clamp<size_t>(Load16(&frame[ip + 2]), l.ip_header_len, frame.size() - ip);
  const absl::Span<const uint8_t> payload(frame.data() + ip + l.ip_header_len,
                                          total - l.ip_header_len);
  const uint16_t base = Load16(&frame[ip + 6]);
  for (auto [begin, end] : pieces) {
    begin = std::min(begin / 8 * 8, payload.size());
    end = std::clamp(end, begin, payload.size());
    Frame f(frame.begin(), frame.begin() + ip + l.ip_header_len);
    f.insert(f.end(), payload.begin() + begin, payload.begin() + end);
    const bool more = end < payload.size() || (base & kIpMoreFragments);
    const uint16_t offset = uint16_t(((base & kIpOffsetMask) + begin / 8) & kIpOffsetMask);
    Store16(&f[ip + 6],
            uint16_t((base & kIpDontFragment) | (more ? kIpMoreFragments : 0) | offset));
    RepairFrame(
        f, RepairPlan{
               .ip_length = true, .ip_checksum = true, .l4_length = false, .l4_checksum = false});
    out.push_back(std::move(f));
  }
  return out;
}

FrameLayout Dissect(absl::Span<const uint8_t> frame) {
  FrameLayout l;
  if (frame.size() < kEtherHeaderLen) return l;
  const uint16_t type = Load16(&frame[12]);
  const size_t ip = kEtherHeaderLen;
  if (type == kEtherTypeArp) {
    l.arp = true;
    return l;
  }
  if (type != kEtherTypeIpv4 || frame.size() < ip + kIpv4HeaderLen) return l;
  l.ipv4 = true;
  l.ip_header_len =
      std::clamp<size_t>(size_t(frame[ip] & 0xf) * 4, kIpv4HeaderLen, frame.size() - ip);
  l.proto = frame[ip + 9];
  const uint16_t off = Load16(&frame[ip + 6]);
  l.fragment = (off & (kIpMoreFragments | kIpOffsetMask)) != 0;
  l.first_fragment = l.fragment && (off & kIpOffsetMask) == 0;
  if (l.fragment && !l.first_fragment) return l;
  l.l4 = ip + l.ip_header_len;
  if ((l.proto == kProtoUdp || l.proto == kProtoIcmp) && frame.size() >= l.l4 + 8) {
    l.l4_header_len = 8;
  } else if (l.proto == kProtoTcp && frame.size() >= l.l4 + kTcpFixedHeaderLen) {
    l.l4_header_len = std::clamp<size_t>(size_t(frame[l.l4 + 12] >> 4) * 4, kTcpFixedHeaderLen,
                                         frame.size() - l.l4);
  }
  return l;
}

void RepairFrame(Frame& frame, const RepairPlan& plan) {
  const FrameLayout l = Dissect(frame);
  if (!l.ipv4) return;
  const size_t ip = kEtherHeaderLen;
  if (plan.ip_length)
    Store16(&frame[ip + 2], uint16_t(std::min<size_t>(frame.size() - ip, 0xffff)));
  // The transport layer ends where the IP header says the packet does
  // (link padding after it is not summed), or at the end of the frame.
  const size_t ip_end =
      std::clamp<size_t>(ip + Load16(&frame[ip + 2]), ip + l.ip_header_len, frame.size());
  if (!l.fragment && l.l4_header_len > 0) {
    uint8_t* l4 = &frame[l.l4];
    const size_t l4_len = ip_end - l.l4;
    if (l.proto == kProtoUdp) {
      if (plan.l4_length) Store16(l4 + 4, uint16_t(l4_len));
      if (plan.l4_checksum) {
        const size_t summed = std::clamp<size_t>(Load16(l4 + 4), kUdpHeaderLen, l4_len);
        Store16(l4 + 6, 0);
        const uint16_t sum = ChecksumFold(
            ChecksumAccumulate(PseudoHeaderSum(Load32(&frame[ip + 12]), Load32(&frame[ip + 16]),
                                               kProtoUdp, Load16(l4 + 4)),
                               absl::MakeConstSpan(l4, summed)));
        Store16(l4 + 6, sum == 0 ? 0xffff : sum);
      }
    } else if (l.proto == kProtoTcp && plan.l4_checksum) {
      Store16(l4 + 16, 0);
      Store16(l4 + 16, ChecksumFold(ChecksumAccumulate(
                           PseudoHeaderSum(Load32(&frame[ip + 12]), Load32(&frame[ip + 16]),
                                           kProtoTcp, uint16_t(l4_len)),
                           absl::MakeConstSpan(l4, l4_len))));
    } else if (l.proto == kProtoIcmp && plan.l4_checksum) {
      Store16(l4 + 2, 0);
      Store16(l4 + 2, InternetChecksum(absl::MakeConstSpan(l4, l4_len)));
    }
  }
  if (plan.ip_checksum) {
    Store16(&frame[ip + 10], 0);
    Store16(&frame[ip + 10], InternetChecksum(absl::MakeConstSpan(&frame[ip], l.ip_header_len)));
  }
}

}  // namespace rump::inet_fuzz
