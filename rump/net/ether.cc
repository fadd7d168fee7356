#include "rump/net/ether.h"

#include <cstring>

namespace rump {
namespace {

void Put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = uint8_t(v >> 8);
  b[off + 1] = uint8_t(v);
}

}  // namespace

std::vector<uint8_t> BuildArpRequest(const MacAddress& src_mac, uint32_t sender_ip,
                                     uint32_t target_ip) {
  std::vector<uint8_t> f(14 + kArpEtherIpLen, 0);
  std::memcpy(&f[0], kEtherBroadcast.data(), 6);
  std::memcpy(&f[6], src_mac.data(), 6);
  Put16(f, 12, kEtherTypeArp);
  uint8_t* arp = &f[14];
  arp[0] = 0;
  arp[1] = kArpHrdEther;
  arp[2] = uint8_t(kEtherTypeIpv4 >> 8);
  arp[3] = uint8_t(kEtherTypeIpv4);
  arp[4] = 6;  // hardware address length
  arp[5] = 4;  // protocol address length
  arp[6] = 0;
  arp[7] = kArpOpRequest;
  std::memcpy(arp + 8, src_mac.data(), 6);
  std::memcpy(arp + 14, &sender_ip, 4);  // already network order
  // target hardware address stays zero
  std::memcpy(arp + 24, &target_ip, 4);
  return f;
}

}  // namespace rump
