// Well-formed Ethernet frames for the demo and the shmif_dumpbus tests: real protocols
// with correct checksums, so that tcpdump decodes them without complaint
// ("udp sum ok", no "bad cksum", no "truncated") and a test can assert what
// it prints.
#ifndef RUMP_SHMIF_DEMO_PROTOCOL_FRAMES_H_
#define RUMP_SHMIF_DEMO_PROTOCOL_FRAMES_H_

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace shmif::demo {

using MacAddress = std::array<uint8_t, 6>;
using Ipv4Address = std::array<uint8_t, 4>;

// The addresses the test frames use (shmif MACs start with b2:a0).
inline constexpr MacAddress kMacA = {0xb2, 0xa0, 0x0a, 0x00, 0x00, 0x01};
inline constexpr MacAddress kMacB = {0xb2, 0xa0, 0x0a, 0x00, 0x00, 0x02};
inline constexpr Ipv4Address kIpA = {10, 0, 0, 1};
inline constexpr Ipv4Address kIpB = {10, 0, 0, 2};

// A broadcast ARP request from `sender_mac`/`sender_ip` asking for
// `target_ip` (42 bytes). tcpdump -n prints
// "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28".
std::vector<uint8_t> MakeArpRequest(const MacAddress& sender_mac,
                                    const Ipv4Address& sender_ip,
                                    const Ipv4Address& target_ip);

// An IPv4/UDP frame (14 + 20 + 8 + payload bytes) with correct IP header
// and UDP checksums, TTL 64, IP id `ip_id`, don't-fragment clear.
std::vector<uint8_t> MakeUdpFrame(const MacAddress& dst_mac,
                                  const MacAddress& src_mac,
                                  const Ipv4Address& src_ip,
                                  const Ipv4Address& dst_ip, uint16_t src_port,
                                  uint16_t dst_port, uint16_t ip_id,
                                  std::string_view payload);

}  // namespace shmif::demo

#endif  // RUMP_SHMIF_DEMO_PROTOCOL_FRAMES_H_
