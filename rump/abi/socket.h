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

// --- socket options (sys/sys/socket.h): level SOL_SOCKET
inline constexpr int kSOL_SOCKET = 0xffff;
inline constexpr int kSO_DEBUG = 0x0001;
inline constexpr int kSO_ACCEPTCONN = 0x0002;
inline constexpr int kSO_REUSEADDR = 0x0004;
inline constexpr int kSO_KEEPALIVE = 0x0008;
inline constexpr int kSO_DONTROUTE = 0x0010;
inline constexpr int kSO_BROADCAST = 0x0020;
inline constexpr int kSO_USELOOPBACK = 0x0040;
inline constexpr int kSO_LINGER = 0x0080;      // struct linger, 8 bytes
inline constexpr int kSO_OOBINLINE = 0x0100;
inline constexpr int kSO_REUSEPORT = 0x0200;
inline constexpr int kSO_NOSIGPIPE = 0x0800;
inline constexpr int kSO_ACCEPTFILTER = 0x1000;
inline constexpr int kSO_TIMESTAMP = 0x2000;
inline constexpr int kSO_SNDBUF = 0x1001;
inline constexpr int kSO_RCVBUF = 0x1002;
inline constexpr int kSO_SNDLOWAT = 0x1003;
inline constexpr int kSO_RCVLOWAT = 0x1004;
inline constexpr int kSO_ERROR = 0x1007;
inline constexpr int kSO_TYPE = 0x1008;
inline constexpr int kSO_OVERFLOWED = 0x1009;
inline constexpr int kSO_NOHEADER = 0x100a;
inline constexpr int kSO_SNDTIMEO = 0x100b;    // struct timeval, 16 bytes
inline constexpr int kSO_RCVTIMEO = 0x100c;    // struct timeval, 16 bytes
// struct linger: l_onoff @0 (int), l_linger @4 (int, seconds)
inline constexpr size_t kLingerSize = 8;
// Option values longer than this are EINVAL (MCLBYTES).
inline constexpr size_t kMaxOptionLen = 2048;
// Socket buffer reservation limit: sb_max (kern.sbmax; SB_MAX, 256 KiB,
// at least 16 KiB) scaled by MCLBYTES / (MSIZE + MCLBYTES) with MSIZE 512
// on amd64 (sb_max_adj).
inline constexpr int kSbMax = 256 * 1024;
inline constexpr int kSbMaxMin = 16 * 1024;
constexpr size_t SbMaxAdj(int sb_max) { return size_t(sb_max) * 2048 / (512 + 2048); }
inline constexpr size_t kSbMaxAdj = SbMaxAdj(kSbMax);
// The socket layer's clock (hz): timeouts are kept in ticks of 10 ms.
inline constexpr int kHz = 100;

// --- send/recv flags (MSG_*)
inline constexpr int kMSG_OOB = 0x0001;
inline constexpr int kMSG_PEEK = 0x0002;
inline constexpr int kMSG_DONTROUTE = 0x0004;
inline constexpr int kMSG_EOR = 0x0008;
inline constexpr int kMSG_TRUNC = 0x0010;
inline constexpr int kMSG_CTRUNC = 0x0020;
inline constexpr int kMSG_WAITALL = 0x0040;
inline constexpr int kMSG_DONTWAIT = 0x0080;
inline constexpr int kMSG_BCAST = 0x0100;
inline constexpr int kMSG_MCAST = 0x0200;
inline constexpr int kMSG_NOSIGNAL = 0x0400;
inline constexpr int kMSG_CMSG_CLOEXEC = 0x0800;
inline constexpr int kMSG_NBIO = 0x1000;
inline constexpr int kMSG_WAITFORONE = 0x2000;
inline constexpr int kMSG_NOTIFICATION = 0x4000;
inline constexpr int kMSG_USERFLAGS = 0x0ffffff;

// --- shutdown(2)
inline constexpr int kSHUT_RD = 0;
inline constexpr int kSHUT_WR = 1;
inline constexpr int kSHUT_RDWR = 2;

// --- struct msghdr (48 bytes on amd64; Linux's is 56)
inline constexpr size_t kMsghdrSize = 48;
inline constexpr size_t kMsgNameOff = 0;        // void *
inline constexpr size_t kMsgNamelenOff = 8;     // socklen_t (u32)
inline constexpr size_t kMsgIovOff = 16;        // struct iovec *
inline constexpr size_t kMsgIovlenOff = 24;     // int
inline constexpr size_t kMsgControlOff = 32;    // void *
inline constexpr size_t kMsgControllenOff = 40; // socklen_t (u32)
inline constexpr size_t kMsgFlagsOff = 44;      // int
// struct iovec (16 bytes): iov_base @0, iov_len @8. At most IOV_MAX
// (UIO_MAXIOV) entries per call.
inline constexpr size_t kIovecSize = 16;
inline constexpr int kIOV_MAX = 1024;

// --- control messages: struct cmsghdr is 12 bytes (cmsg_len u32 @0,
// cmsg_level @4, cmsg_type @8) and data starts at the next 8-byte boundary.
inline constexpr size_t kCmsghdrSize = 12;
inline constexpr size_t kCmsgAlign = 8;  // ALIGNBYTES + 1
constexpr size_t CmsgAlign(size_t n) { return (n + kCmsgAlign - 1) & ~(kCmsgAlign - 1); }
constexpr size_t CmsgLen(size_t n) { return CmsgAlign(kCmsghdrSize) + n; }
constexpr size_t CmsgSpace(size_t n) { return CmsgAlign(kCmsghdrSize) + CmsgAlign(n); }
static_assert(CmsgLen(4) == 20 && CmsgSpace(4) == 24 && CmsgSpace(0) == 16);
inline constexpr int kSCM_RIGHTS = 0x01;
inline constexpr int kSCM_TIMESTAMP = 0x08;
inline constexpr int kSCM_CREDS = 0x10;

}  // namespace rump::abi

#endif  // RUMP_ABI_SOCKET_H_
