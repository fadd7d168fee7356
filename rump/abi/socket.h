// NetBSD socket-layer numbers and socket address layouts
// (sys/sys/socket.h, sys/netinet/in.h, sys/net/if_dl.h; NetBSD 7.99.34,
// amd64): address families, socket types and type flags, the IP protocol
// numbers the socket layer dispatches on, and the byte layouts of
// sockaddr, sockaddr_in and sockaddr_dl. Byte 0 of every sockaddr is its
// length and byte 1 its family (sa_family_t is one byte).
#ifndef RUMP_ABI_SOCKET_H_
#define RUMP_ABI_SOCKET_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- address / protocol families (PF_x == AF_x)
inline constexpr int kAF_UNSPEC = 0;
inline constexpr int kAF_LOCAL = 1;  // AF_UNIX
inline constexpr int kAF_INET = 2;
inline constexpr int kAF_OROUTE = 17;
inline constexpr int kAF_LINK = 18;
inline constexpr int kAF_INET6 = 24;
inline constexpr int kAF_ARP = 28;
inline constexpr int kAF_ROUTE = 34;
inline constexpr int kAF_MAX = 35;

// --- socket types and the flags that may be or'ed into the type
inline constexpr int kSOCK_STREAM = 1;
inline constexpr int kSOCK_DGRAM = 2;
inline constexpr int kSOCK_RAW = 3;
inline constexpr int kSOCK_RDM = 4;
inline constexpr int kSOCK_SEQPACKET = 5;
inline constexpr int kSOCK_CONN_DGRAM = 6;
inline constexpr uint32_t kSOCK_CLOEXEC = 0x10000000;
inline constexpr uint32_t kSOCK_NONBLOCK = 0x20000000;
inline constexpr uint32_t kSOCK_NOSIGPIPE = 0x40000000;
inline constexpr uint32_t kSOCK_FLAGS_MASK = 0xf0000000;

// --- IP protocol numbers (IPPROTO_*)
inline constexpr int kIPPROTO_IP = 0;
inline constexpr int kIPPROTO_ICMP = 1;
inline constexpr int kIPPROTO_IGMP = 2;
inline constexpr int kIPPROTO_TCP = 6;
inline constexpr int kIPPROTO_UDP = 17;
inline constexpr int kIPPROTO_IPV6 = 41;
inline constexpr int kIPPROTO_ICMPV6 = 58;
inline constexpr int kIPPROTO_RAW = 255;

// --- struct sockaddr (16 bytes): sa_len @0, sa_family @1, sa_data @2
inline constexpr size_t kSockaddrSize = 16;
inline constexpr size_t kSaLenOff = 0;
inline constexpr size_t kSaFamilyOff = 1;
inline constexpr size_t kSaDataOff = 2;
inline constexpr size_t kSockaddrStorageSize = 128;

// --- struct sockaddr_in (16 bytes); port and address are big-endian
inline constexpr size_t kSockaddrInSize = 16;
inline constexpr size_t kSinLenOff = 0;
inline constexpr size_t kSinFamilyOff = 1;
inline constexpr size_t kSinPortOff = 2;
inline constexpr size_t kSinAddrOff = 4;
inline constexpr size_t kSinZeroOff = 8;

// --- struct sockaddr_in6 (28 bytes)
inline constexpr size_t kSockaddrIn6Size = 28;

// --- struct sockaddr_dl (20 bytes minimum; sdl_len gives the real size)
inline constexpr size_t kSockaddrDlSize = 20;
inline constexpr size_t kSdlLenOff = 0;
inline constexpr size_t kSdlFamilyOff = 1;
inline constexpr size_t kSdlIndexOff = 2;   // u16, host order
inline constexpr size_t kSdlTypeOff = 4;    // IFT_*
inline constexpr size_t kSdlNlenOff = 5;    // name length, no NUL
inline constexpr size_t kSdlAlenOff = 6;    // link address length
inline constexpr size_t kSdlSlenOff = 7;
inline constexpr size_t kSdlDataOff = 8;    // name bytes, then address bytes

// The length of a sockaddr_dl carrying a name of `nlen` bytes and a link
// address of `alen` bytes (sockaddr_dl_measure).
constexpr size_t SockaddrDlLen(size_t nlen, size_t alen) {
  return kSdlDataOff + nlen + alen;
}
static_assert(SockaddrDlLen(6, 6) == 20 && SockaddrDlLen(3, 0) == 11);

}  // namespace rump::abi

#endif  // RUMP_ABI_SOCKET_H_
