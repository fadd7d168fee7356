// Frames for the frame fuzzer: the fuzz input format (a list of Ethernet
// frames), builders for the frames the fuzzer sends (ARP, IPv4 with UDP,
// ICMP or any payload, fragments), and the dissection and repair of a frame
// after its bytes have been mutated (lengths and checksums recomputed).
//
// This code is deliberately independent of the stack it feeds: it has its
// own checksum and its own field layouts, so that a mistake in the stack's
// rump/netinet/checksum.cc or ip_header.cc is not mirrored here.
//
// Multi-byte fields are written big-endian (network order) from host-order
// values; addresses are host-order values (see fuzz_network.h).
#ifndef RUMP_NETINET_FUZZ_FRAME_BUILDER_H_
#define RUMP_NETINET_FUZZ_FRAME_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "rump/netinet/fuzz/fuzz_network.h"

namespace rump::inet_fuzz {

using Bytes = std::vector<uint8_t>;
using Frame = std::vector<uint8_t>;

inline constexpr size_t kEtherHeaderLen = 14;
// The largest frame a driver hands up (1500 bytes of MTU and the header;
// shmif::kMaxFrameLen). The harness accepts any length; the mutator keeps
// to this.
inline constexpr size_t kMaxWireFrameLen = 1514;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr size_t kIpv4HeaderLen = 20;
inline constexpr size_t kArpBodyLen = 28;
inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr size_t kIcmpHeaderLen = 8;
inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr size_t kTcpFixedHeaderLen = 20;  // without options
// TCP flags (RFC 9293 3.1).
inline constexpr uint8_t kTcpFlagFin = 0x01;
inline constexpr uint8_t kTcpFlagSyn = 0x02;
inline constexpr uint8_t kTcpFlagRst = 0x04;
inline constexpr uint8_t kTcpFlagPsh = 0x08;
inline constexpr uint8_t kTcpFlagAck = 0x10;
inline constexpr uint8_t kTcpFlagUrg = 0x20;
inline constexpr uint16_t kIpDontFragment = 0x4000;
inline constexpr uint16_t kIpMoreFragments = 0x2000;
inline constexpr uint16_t kIpOffsetMask = 0x1fff;

// --- the fuzz input
//
// A list of frames, each preceded by its length as 2 bytes, big-endian. A
// length that runs past the end takes what is left; a lone trailing byte is
// a frame of its own. Frames after the first kMaxFramesPerInput are
// ignored. Every byte string is a valid input.
inline constexpr size_t kMaxFramesPerInput = 32;
std::vector<Frame> DecodeFrameList(absl::Span<const uint8_t> input);
Bytes EncodeFrameList(const std::vector<Frame>& frames);

// --- big-endian fields
uint16_t Load16(const uint8_t* p);
uint32_t Load32(const uint8_t* p);
void Store16(uint8_t* p, uint16_t v);
void Store32(uint8_t* p, uint32_t v);

// --- the Internet checksum (RFC 1071)
// Adds `data`'s 16-bit big-endian words to `sum` (an odd last byte padded
// with zero); not folded.
uint64_t ChecksumAccumulate(uint64_t sum, absl::Span<const uint8_t> data);
// Folds and complements: the value to store in a checksum field.
uint16_t ChecksumFold(uint64_t sum);
uint16_t InternetChecksum(absl::Span<const uint8_t> data);
// The UDP pseudo-header's sum (RFC 768).
uint64_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

// --- builders
struct Ipv4Fields {
  uint8_t tos = 0;
  uint16_t id = 1;
  uint16_t flags_offset = 0;  // DF, MF and the offset in 8-byte units
  uint8_t ttl = 64;
  uint8_t proto = 0;
  uint32_t src = 0;
  uint32_t dst = 0;
  Bytes options;  // padded with zeros (end of options) to a multiple of 4
};
// A whole IPv4 packet: header (checksum set), options, `payload`.
Bytes Ipv4Packet(const Ipv4Fields& fields, absl::Span<const uint8_t> payload);
// A UDP datagram (header and data) with its checksum for src -> dst.
Bytes UdpDatagram(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                  absl::Span<const uint8_t> data);
// An ICMP message: type, code, checksum, the 4-byte `word` (id and
// sequence, the next-hop MTU, the gateway, ...), then `body`.
Bytes IcmpMessage(uint8_t type, uint8_t code, uint32_t word, absl::Span<const uint8_t> body);
// A TCP segment (header, options, data) with its checksum for src -> dst.
struct TcpFields {
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0xffff;
  uint16_t urgent = 0;
  Bytes options;  // as they go on the wire, padded with zeros (EOL) to a multiple of 4
  // The data offset in 32-bit words written into the header; 0: the real
  // one (5 plus the options' words). Other values make malformed segments.
  uint8_t data_offset = 0;
  bool bad_checksum = false;  // the right checksum plus one
};
Bytes TcpSegment(uint32_t src, uint32_t dst, const TcpFields& fields,
                 absl::Span<const uint8_t> data);
// TCP option bytes (RFC 9293, RFC 7323, RFC 2018), to concatenate into
// TcpFields::options.
Bytes TcpOptMss(uint16_t mss);
Bytes TcpOptWindowScale(uint8_t shift);
Bytes TcpOptSackPermitted();
Bytes TcpOptTimestamps(uint32_t value, uint32_t echo);
Bytes TcpOptSack(const std::vector<std::pair<uint32_t, uint32_t>>& blocks);
Frame EthernetFrame(const Mac& dst, const Mac& src, uint16_t type,
                    absl::Span<const uint8_t> payload);

struct ArpFields {
  uint16_t op = 1;  // 1 request, 2 reply
  Mac sha{};
  uint32_t spa = 0;
  Mac tha{};
  uint32_t tpa = 0;
};
// ARP for IPv4 over Ethernet (RFC 826), 28 bytes after the header.
Frame ArpFrame(const Mac& dst, const Mac& src, const ArpFields& arp);

// The fragments of the (unfragmented) IPv4 packet in `frame`: one frame per
// [begin, end) byte range of its payload, in the order given. Ranges may
// overlap, repeat or leave holes; a begin that is not a multiple of 8 is
// rounded down. MF is set on every piece that ends before the payload does.
// Empty if `frame` carries no IPv4 header.
std::vector<Frame> FragmentFrame(const Frame& frame,
                                 const std::vector<std::pair<size_t, size_t>>& pieces);

// --- dissection and repair
//
// Where a frame's layers start, read leniently (a mutated header still has
// a layout): IPv4 when the EtherType says so and 20 header bytes are there,
// whatever the version; its header length from IHL, clamped to [20, what is
// there]; a transport header when the packet is not a fragment or is the
// first one.
struct FrameLayout {
  bool ipv4 = false;
  bool arp = false;
  size_t ip_header_len = 0;
  size_t l4 = 0;             // offset of the transport header in the frame
  // 8 for UDP and ICMP when the bytes are there; for TCP (20 bytes there)
  // its data offset, clamped to [20, what is there].
  size_t l4_header_len = 0;
  uint8_t proto = 0;
  bool fragment = false;        // MF set or a non-zero offset
  bool first_fragment = false;  // fragment with offset 0
};
FrameLayout Dissect(absl::Span<const uint8_t> frame);

// What RepairFrame recomputes after a mutation.
struct RepairPlan {
  bool ip_length = true;  // total length := what the frame carries
  bool ip_checksum = true;
  bool l4_length = true;    // UDP length
  bool l4_checksum = true;  // UDP, TCP or ICMP checksum (unfragmented packets)
};
void RepairFrame(Frame& frame, const RepairPlan& plan = RepairPlan());

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_FRAME_BUILDER_H_
