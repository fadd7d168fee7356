// Ethernet and ARP wire formats the interface layer needs: multicast test,
// the Ethernet header, and NetBSD's ARP request (arprequest), which the
// interface layer uses for the gratuitous ARP that announces an address.
// The IPv4 component's ARP module builds on these.
#ifndef RUMP_NET_ETHER_H_
#define RUMP_NET_ETHER_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace rump {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr MacAddress kEtherBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// ARP (RFC 826) over Ethernet for IPv4: 28 bytes after the Ethernet header.
inline constexpr uint16_t kArpHrdEther = 1;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;
inline constexpr size_t kArpEtherIpLen = 28;

// True when the destination address (the first byte) of `frame` has its
// group bit set: multicast or broadcast.
inline bool EtherIsMulticast(absl::Span<const uint8_t> frame) {
  return !frame.empty() && (frame[0] & 1) != 0;
}

// A broadcast ARP request from `src_mac` asking for `target_ip`, as NetBSD's
// arprequest builds it (42 bytes, not padded). Addresses in network order.
// With sender_ip == target_ip it is the gratuitous ARP of arp_ifinit.
std::vector<uint8_t> BuildArpRequest(const MacAddress& src_mac, uint32_t sender_ip,
                                     uint32_t target_ip);

}  // namespace rump

#endif  // RUMP_NET_ETHER_H_
