// The network the frame fuzzer's kernel sits on: its interface's MAC and
// addresses, the peers it has learned by ARP, and the ports and protocols
// of its open sockets.
//
// The harness (fuzz_host.h) builds the kernel from these; the mutator and
// the seeds (frame_mutator.h, frame_seeds.h) aim their frames at them, so
// that most generated frames are for us and reach a socket. Addresses are
// host-order values (10.0.0.1 is 0x0a000001); the frame builders write them
// big-endian.
#ifndef RUMP_NETINET_FUZZ_FUZZ_NETWORK_H_
#define RUMP_NETINET_FUZZ_FUZZ_NETWORK_H_

#include <array>
#include <cstdint>

namespace rump::inet_fuzz {

using Mac = std::array<uint8_t, 6>;

inline constexpr Mac kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
// 224.0.0.1's Ethernet group address (RFC 1112 6.4).
inline constexpr Mac kAllHostsMac = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

// The fuzzed interface, fuzz0: a locally administered MAC, 10.0.0.1/24 and
// the alias 192.168.7.1/16.
inline constexpr Mac kHostMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline constexpr uint32_t kHostAddr = 0x0a000001;
inline constexpr uint32_t kHostNetmask = 0xffffff00;
inline constexpr uint32_t kHostBroadcast = 0x0a0000ff;
inline constexpr uint32_t kHostNetwork = 0x0a000000;
inline constexpr uint32_t kAliasAddr = 0xc0a80701;
inline constexpr uint32_t kAliasNetmask = 0xffff0000;
inline constexpr uint32_t kAliasBroadcast = 0xc0a8ffff;
inline constexpr uint32_t kAllHostsGroup = 0xe0000001;

// Stations on 10.0.0.0/24 whose ARP replies the kernel has seen at start.
struct Peer {
  uint32_t addr;
  Mac mac;
};
inline constexpr std::array<Peer, 3> kPeers = {{
    {0x0a000002, {0x02, 0x00, 0x00, 0x00, 0x00, 0x02}},
    {0x0a000003, {0x02, 0x00, 0x00, 0x00, 0x00, 0x03}},
    {0x0a000004, {0x02, 0x00, 0x00, 0x00, 0x00, 0x04}},
}};
// On the subnet, never answers ARP: replies to it wait in the ARP hold queue.
inline constexpr uint32_t kSilentPeerAddr = 0x0a000005;

// UDP sockets.
inline constexpr uint16_t kUdpWildcardPort = 7000;  // 0.0.0.0:7000, IP_RECVDSTADDR on
inline constexpr uint16_t kUdpHostPort = 7001;      // 10.0.0.1:7001
// 10.0.0.1:7002 connected to kPeers[0] port kConnectedPeerPort (ICMP errors
// about it reach the socket as ECONNREFUSED, EHOSTUNREACH, ...).
inline constexpr uint16_t kUdpConnectedPort = 7002;
inline constexpr uint16_t kConnectedPeerPort = 9000;
inline constexpr uint16_t kUdpSharedPort = 7003;  // two sockets, SO_REUSEPORT

// Raw IP sockets (besides the raw ICMP one).
inline constexpr uint8_t kRawProto = 253;  // unbound: every packet of the protocol
// Bound to kHostAddr, connected to kPeers[1]: only packets from it.
inline constexpr uint8_t kRawConnectedProto = 254;
// No socket: protocol unreachable.
inline constexpr uint8_t kUnhandledProto = 99;

// TCP. A listener on 10.0.0.1:kTcpListenPort (backlog kTcpBacklog); what
// it queues is accepted and aborted (a RST) after each input, and it is
// closed and opened again (so half-open connections never fill it).
inline constexpr uint16_t kTcpListenPort = 8000;
inline constexpr int kTcpBacklog = 8;
// No socket on this port: a segment to it is answered by a RST.
inline constexpr uint16_t kTcpClosedPort = 8001;
//
// Before each input the harness establishes one connection to the
// listener from kPeers[kTcpPeerIndex] port kTcpPeerPort, and aborts it
// after the input, so that every input meets it in the same state:
//  * the peer's SYN: seq kTcpPeerIss, window kTcpPeerWindow, MSS
//    kTcpPeerMss, window scale kTcpPeerWindowShift, SACK-permitted,
//    timestamps (TSval kTcpPeerTsval, the peer's clock; an input should
//    send TSvals at or above it, or PAWS drops its segments);
//  * the kernel's SYN-ACK, whose ISN the harness reads off the tap;
//  * the peer's ACK (seq kTcpPeerIss + 1); then the kernel's socket
//    writes kTcpHostUnackedBytes, which it sends (unacknowledged) at once.
// So the kernel expects seq kTcpPeerIss + 1 (its receive window is some
// 64 KiB wide) and has sent up to kTcpHostIss + 1 + kTcpHostUnackedBytes.
//
// The kernel picks its own ISN, so input frames name the kernel's
// sequence space as if its ISN were kTcpHostIss: in every TCP segment of
// an input from the peer's address and port to 10.0.0.1:kTcpListenPort,
// the harness shifts the acknowledgment number and the SACK blocks' edges
// by (real ISN - kTcpHostIss) before injecting it, adjusting the checksum
// by the same amount (RFC 1624), so a wrong checksum stays wrong.
inline constexpr size_t kTcpPeerIndex = 2;
inline constexpr uint16_t kTcpPeerPort = 40000;
inline constexpr uint32_t kTcpPeerIss = 0x10000000;
inline constexpr uint16_t kTcpPeerWindow = 0xffff;
inline constexpr uint16_t kTcpPeerMss = 1460;
inline constexpr uint8_t kTcpPeerWindowShift = 2;
inline constexpr uint32_t kTcpPeerTsval = 1000;
inline constexpr uint32_t kTcpHostIss = 0x70000000;
inline constexpr size_t kTcpHostUnackedBytes = 2000;

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_FUZZ_NETWORK_H_
