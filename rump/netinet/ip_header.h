// Wire formats of IPv4 (RFC 791), UDP (RFC 768), ICMP (RFC 792) and ARP
// over Ethernet (RFC 826): parsing that validates every field it reads,
// and builders. Addresses are kept in network order (as on the wire, as in
// sockaddr_in and inet::InAddress); lengths, ids and ports in host order.
#ifndef RUMP_NETINET_IP_HEADER_H_
#define RUMP_NETINET_IP_HEADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "rump/net/ether.h"

namespace rump::inet {

// Ethernet framing is rump/net/ether.h's.
using rump::MacAddress;
using rump::kEtherHeaderLen;
using rump::WriteEtherHeader;
inline constexpr MacAddress kBroadcastMac = rump::kEtherBroadcast;
// Ethernet types and ARP fields (RFC 826, RFC 894).
inline constexpr uint16_t kEtherTypeIp = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kArpHrdEther = 1;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;
inline constexpr size_t kArpEtherIpLen = 28;

inline uint16_t Get16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
inline void Put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
// Big-endian 32-bit fields (TCP's sequence numbers, timestamps).
inline uint32_t Get32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline void Put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
uint32_t GetAddr(const uint8_t* p);         // 4 bytes as stored (network order)
void PutAddr(uint8_t* p, uint32_t addr);    // network order

// A host-order address from network order and back (readable constants).
uint32_t HostOrder(uint32_t net_addr);
uint32_t NetOrder(uint32_t host_addr);

bool IsMulticast(uint32_t net_addr);  // 224.0.0.0/4
bool IsLoopbackNet(uint32_t net_addr);  // 127.0.0.0/8

// For messages: "10.0.0.1" (network order in), "b2:a0:00:00:00:01".
std::string FormatAddr(uint32_t net_addr);
std::string FormatMac(const MacAddress& mac);

struct IpHeader {
  uint8_t hlen = 20;     // header length in bytes (20..60)
  uint8_t tos = 0;
  uint16_t total_len = 0;
  uint16_t id = 0;
  uint16_t off = 0;      // flags and fragment offset (in 8-byte units)
  uint8_t ttl = 0;
  uint8_t proto = 0;
  uint16_t sum = 0;
  uint32_t src = 0;      // network order
  uint32_t dst = 0;      // network order

  bool more_fragments() const;
  bool dont_fragment() const;
  size_t frag_offset_bytes() const;
  bool is_fragment() const;  // MF set or a non-zero offset
};

// Why a packet was refused (each has its own counter).
enum class IpParseError {
  kNone,
  kTooSmall,       // fewer than 20 bytes (ip toosmall)
  kBadVersion,     // version != 4 (ip badvers)
  kBadHeaderLen,   // ip_hl < 5 or beyond the packet (ip badhlen)
  kBadChecksum,    // (ip badsum)
  kBadLength,      // ip_len < header length (ip badlen)
  kTooShort,       // ip_len beyond the packet (ip tooshort)
};

// Validates and parses the IPv4 header at the start of `packet`. On
// success the packet's true extent is [0, header.total_len) (link padding
// beyond it is to be trimmed by the caller).
IpParseError ParseIpHeader(absl::Span<const uint8_t> packet, IpHeader* out);

// Writes the 20-byte header `h` (without options; h.hlen is taken as 20)
// with its checksum into `out` (at least 20 bytes).
void WriteIpHeader(const IpHeader& h, uint8_t* out);
// Recomputes the header checksum of the header at `hdr` (hlen bytes).
void SetIpChecksum(uint8_t* hdr, size_t hlen);

// --- UDP
struct UdpHeader {
  uint16_t sport = 0, dport = 0, len = 0, sum = 0;
};
bool ParseUdpHeader(absl::Span<const uint8_t> seg, UdpHeader* out);
// The UDP checksum of `seg` (header with a zero checksum field + payload)
// between src and dst; 0 is sent as 0xffff.
uint16_t UdpChecksum(uint32_t src, uint32_t dst, absl::Span<const uint8_t> seg);

// --- ARP over Ethernet for IPv4 (the 28 bytes after the Ethernet header)
struct ArpPacket {
  uint16_t op = 0;
  MacAddress sha{};
  uint32_t spa = 0;   // network order
  MacAddress tha{};
  uint32_t tpa = 0;   // network order
};
enum class ArpParseError { kNone, kTooShort, kBadHardware, kBadProtocol, kBadOp };
ArpParseError ParseArp(absl::Span<const uint8_t> arp, ArpPacket* out);
// A whole Ethernet frame carrying `p`, to `dst` from `src`.
std::vector<uint8_t> BuildArpFrame(const MacAddress& dst, const MacAddress& src,
                                   const ArpPacket& p);

// --- Ethernet
// The Ethernet multicast address of an IPv4 group (RFC 1112 6.4).
MacAddress MulticastMac(uint32_t group);

}  // namespace rump::inet

#endif  // RUMP_NETINET_IP_HEADER_H_
