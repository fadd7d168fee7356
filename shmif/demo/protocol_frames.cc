#include "shmif/demo/protocol_frames.h"

#include <cstddef>

namespace shmif::demo {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint8_t kIpProtoUdp = 17;

void AppendBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

template <size_t N>
void AppendBytes(std::vector<uint8_t>& out, const std::array<uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}

void StoreBe16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}

// RFC 1071 one's-complement sum of 16-bit big-endian words, not yet folded
// or complemented, so that several ranges can be summed.
uint32_t OnesComplementSum(const uint8_t* p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n % 2 != 0) sum += p[n - 1] << 8;
  return sum;
}

uint16_t FoldAndComplement(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void AppendEthernetHeader(std::vector<uint8_t>& out, const MacAddress& dst,
                          const MacAddress& src, uint16_t ether_type) {
  AppendBytes(out, dst);
  AppendBytes(out, src);
  AppendBe16(out, ether_type);
}

}  // namespace

std::vector<uint8_t> MakeArpRequest(const MacAddress& sender_mac,
                                    const Ipv4Address& sender_ip,
                                    const Ipv4Address& target_ip) {
  constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  constexpr MacAddress kUnknown = {};
  std::vector<uint8_t> frame;
  AppendEthernetHeader(frame, kBroadcast, sender_mac, kEtherTypeArp);
  AppendBe16(frame, 1);               // hardware type: Ethernet
  AppendBe16(frame, kEtherTypeIpv4);  // protocol type
  frame.push_back(6);                 // hardware address length
  frame.push_back(4);                 // protocol address length
  AppendBe16(frame, 1);               // operation: request
  AppendBytes(frame, sender_mac);
  AppendBytes(frame, sender_ip);
  AppendBytes(frame, kUnknown);
  AppendBytes(frame, target_ip);
  return frame;
}

std::vector<uint8_t> MakeUdpFrame(const MacAddress& dst_mac,
                                  const MacAddress& src_mac,
                                  const Ipv4Address& src_ip,
                                  const Ipv4Address& dst_ip, uint16_t src_port,
                                  uint16_t dst_port, uint16_t ip_id,
                                  std::string_view payload) {
  constexpr size_t kIpLen = 20, kUdpLen = 8;
  const uint16_t udp_length = static_cast<uint16_t>(kUdpLen + payload.size());
  const uint16_t ip_total = static_cast<uint16_t>(kIpLen + udp_length);

  std::vector<uint8_t> frame;
  AppendEthernetHeader(frame, dst_mac, src_mac, kEtherTypeIpv4);

  const size_t ip_at = frame.size();
  frame.push_back(0x45);  // version 4, header length 5 words
  frame.push_back(0);     // DSCP/ECN
  AppendBe16(frame, ip_total);
  AppendBe16(frame, ip_id);
  AppendBe16(frame, 0);  // flags, fragment offset
  frame.push_back(64);   // TTL
  frame.push_back(kIpProtoUdp);
  AppendBe16(frame, 0);  // header checksum, filled in below
  AppendBytes(frame, src_ip);
  AppendBytes(frame, dst_ip);
  StoreBe16(frame, ip_at + 10,
            FoldAndComplement(OnesComplementSum(&frame[ip_at], kIpLen, 0)));

  const size_t udp_at = frame.size();
  AppendBe16(frame, src_port);
  AppendBe16(frame, dst_port);
  AppendBe16(frame, udp_length);
  AppendBe16(frame, 0);  // checksum, filled in below
  frame.insert(frame.end(), payload.begin(), payload.end());

  // UDP checksum over the IPv4 pseudo header, the UDP header and the data.
  uint32_t sum = 0;
  sum = OnesComplementSum(src_ip.data(), src_ip.size(), sum);
  sum = OnesComplementSum(dst_ip.data(), dst_ip.size(), sum);
  sum += kIpProtoUdp;
  sum += udp_length;
  sum = OnesComplementSum(&frame[udp_at], udp_length, sum);
  uint16_t udp_checksum = FoldAndComplement(sum);
  if (udp_checksum == 0) udp_checksum = 0xffff;  // 0 means "no checksum"
  StoreBe16(frame, udp_at + 6, udp_checksum);

  return frame;
}

}  // namespace shmif::demo
