#include "rump/netinet/ip_header.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "rump/abi/in.h"
#include "rump/netinet/checksum.h"

namespace rump::inet {

uint32_t GetAddr(const uint8_t* p) {
  uint32_t a;
  std::memcpy(&a, p, 4);
  return a;
}
void PutAddr(uint8_t* p, uint32_t addr) { std::memcpy(p, &addr, 4); }
uint32_t HostOrder(uint32_t net_addr) { return ntohl(net_addr); }
uint32_t NetOrder(uint32_t host_addr) { return htonl(host_addr); }
bool IsMulticast(uint32_t net_addr) { return (ntohl(net_addr) >> 28) == 0xe; }
bool IsLoopbackNet(uint32_t net_addr) {
  return (ntohl(net_addr) >> 24) == abi::kIN_LOOPBACKNET;
}

bool IpHeader::more_fragments() const { return (off & abi::kIP_MF) != 0; }
bool IpHeader::dont_fragment() const { return (off & abi::kIP_DF) != 0; }
size_t IpHeader::frag_offset_bytes() const { return size_t(off & abi::kIP_OFFMASK) * 8; }
bool IpHeader::is_fragment() const { return (off & (abi::kIP_MF | abi::kIP_OFFMASK)) != 0; }

IpParseError ParseIpHeader(absl::Span<const uint8_t> packet, IpHeader* out) {
  if (packet.size() < abi::kIpHeaderLen) return IpParseError::kTooSmall;
  const uint8_t* p = packet.data();
  if ((p[0] >> 4) != 4) return IpParseError::kBadVersion;
  const size_t hlen = size_t(p[0] & 0xf) * 4;
  if (hlen < abi::kIpHeaderLen || hlen > packet.size()) return IpParseError::kBadHeaderLen;
  if (InetChecksum(packet.subspan(0, hlen)) != 0) return IpParseError::kBadChecksum;
  IpHeader h;
  h.hlen = uint8_t(hlen);
  h.tos = p[1];
  h.total_len = Get16(p + 2);
  h.id = Get16(p + 4);
  h.off = Get16(p + 6);
  h.ttl = p[8];
  h.proto = p[9];
  h.sum = Get16(p + 10);
  h.src = GetAddr(p + 12);
  h.dst = GetAddr(p + 16);
  if (h.total_len < hlen) return IpParseError::kBadLength;
  if (h.total_len > packet.size()) return IpParseError::kTooShort;
  *out = h;
  return IpParseError::kNone;
}

void WriteIpHeader(const IpHeader& h, uint8_t* out) {
  out[0] = 0x45;
  out[1] = h.tos;
  Put16(out + 2, h.total_len);
  Put16(out + 4, h.id);
  Put16(out + 6, h.off);
  out[8] = h.ttl;
  out[9] = h.proto;
  Put16(out + 10, 0);
  PutAddr(out + 12, h.src);
  PutAddr(out + 16, h.dst);
  Put16(out + 10, InetChecksum(absl::MakeConstSpan(out, abi::kIpHeaderLen)));
}

void SetIpChecksum(uint8_t* hdr, size_t hlen) {
  Put16(hdr + 10, 0);
  Put16(hdr + 10, InetChecksum(absl::MakeConstSpan(hdr, hlen)));
}

bool ParseUdpHeader(absl::Span<const uint8_t> seg, UdpHeader* out) {
  if (seg.size() < abi::kUdpHeaderLen) return false;
  out->sport = Get16(seg.data());
  out->dport = Get16(seg.data() + 2);
  out->len = Get16(seg.data() + 4);
  out->sum = Get16(seg.data() + 6);
  return true;
}

uint16_t UdpChecksum(uint32_t src, uint32_t dst, absl::Span<const uint8_t> seg) {
  uint64_t sum = PseudoHeaderSum(src, dst, 17, uint16_t(seg.size()));
  sum = ChecksumAdd(sum, seg);
  const uint16_t c = ChecksumFinish(sum);
  return c == 0 ? 0xffff : c;
}

ArpParseError ParseArp(absl::Span<const uint8_t> arp, ArpPacket* out) {
  if (arp.size() < kArpEtherIpLen) return ArpParseError::kTooShort;
  const uint8_t* p = arp.data();
  if (Get16(p) != kArpHrdEther || p[4] != 6) return ArpParseError::kBadHardware;
  if (Get16(p + 2) != kEtherTypeIp || p[5] != 4) return ArpParseError::kBadProtocol;
  const uint16_t op = Get16(p + 6);
  if (op != kArpOpRequest && op != kArpOpReply) return ArpParseError::kBadOp;
  out->op = op;
  std::memcpy(out->sha.data(), p + 8, 6);
  out->spa = GetAddr(p + 14);
  std::memcpy(out->tha.data(), p + 18, 6);
  out->tpa = GetAddr(p + 24);
  return ArpParseError::kNone;
}

std::vector<uint8_t> BuildArpFrame(const MacAddress& dst, const MacAddress& src,
                                   const ArpPacket& a) {
  std::vector<uint8_t> f(kEtherHeaderLen + kArpEtherIpLen, 0);
  WriteEtherHeader(f.data(), dst, src, kEtherTypeArp);
  uint8_t* p = f.data() + kEtherHeaderLen;
  Put16(p, kArpHrdEther);
  Put16(p + 2, kEtherTypeIp);
  p[4] = 6;
  p[5] = 4;
  Put16(p + 6, a.op);
  std::memcpy(p + 8, a.sha.data(), 6);
  PutAddr(p + 14, a.spa);
  std::memcpy(p + 18, a.tha.data(), 6);
  PutAddr(p + 24, a.tpa);
  return f;
}

MacAddress MulticastMac(uint32_t group) {
  const uint32_t g = ntohl(group);
  return MacAddress{0x01, 0x00, 0x5e, uint8_t((g >> 16) & 0x7f), uint8_t(g >> 8),
                    uint8_t(g)};
}

std::string FormatAddr(uint32_t net_addr) {
  const uint32_t a = HostOrder(net_addr);
  return absl::StrFormat("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                         mac[4], mac[5]);
}

}  // namespace rump::inet
