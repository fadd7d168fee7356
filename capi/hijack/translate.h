// Linux <-> NetBSD: the one place where librumphijack turns what a Linux
// program passes to libc into what a NetBSD kernel expects, and the kernel's
// answers back. Linux's numbers come from the host's headers, NetBSD's from
// rump/abi.
//
// Every function is pure: no I/O, no global state. A value with no
// counterpart on the other side is reported (std::nullopt, or an errno the
// program understands: EAFNOSUPPORT, ENOPROTOOPT, EINVAL), never guessed.
#ifndef RUMP_CAPI_HIJACK_TRANSLATE_H_
#define RUMP_CAPI_HIJACK_TRANSLATE_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace rump::hijack {

// --- errno

// The host's errno for what the kernel answered. The remote call returns
// NetBSD errno numbers (1..96) for the kernel's errors and host numbers
// above that for its own (ENOTCONN when the connection is lost).
int ToLinuxErrno(int error);

// --- address families and socket types

// The NetBSD family of a Linux one (AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC),
// or std::nullopt.
std::optional<int> ToNetbsdFamily(int linux_family);
std::optional<int> ToLinuxFamily(int netbsd_family);

// socket(2)'s type argument: the type and the SOCK_NONBLOCK/SOCK_CLOEXEC
// flags; std::nullopt for an unknown flag bit.
std::optional<int> ToNetbsdSocketType(int linux_type);

// accept4(2)'s flags -> paccept(2)'s; std::nullopt for an unknown bit.
std::optional<int> ToNetbsdAcceptFlags(int linux_flags);

// --- socket addresses

// Largest NetBSD sockaddr the translation produces or reads.
inline constexpr size_t kNetbsdSockaddrMax = 128;

// A Linux sockaddr of `len` bytes as NetBSD's, in `out` (kNetbsdSockaddrMax
// bytes); returns the NetBSD length, or a Linux errno (negated) for a
// family we cannot carry (-EAFNOSUPPORT) or a short address (-EINVAL).
int ToNetbsdSockaddr(const struct sockaddr* in, socklen_t len, uint8_t* out);

// A NetBSD sockaddr of `len` bytes as Linux's, written into the caller's
// buffer as getsockname(2) does: at most *out_len bytes are written and
// *out_len is set to the full Linux length.
void ToLinuxSockaddr(const uint8_t* in, size_t len, struct sockaddr* out, socklen_t* out_len);

// --- socket options

struct SockoptName {
  int level;
  int name;
};

// A Linux (level, name) as NetBSD's; std::nullopt for an option NetBSD has
// no equivalent of (the caller answers ENOPROTOOPT).
std::optional<SockoptName> ToNetbsdSockopt(int linux_level, int linux_name);

// Values that differ in layout: SO_TYPE and SO_ERROR answers (a socket type,
// an errno) are translated back; the rest (int, struct linger, struct
// timeval on amd64) have the same bytes on both sides.
int ToLinuxSockoptInt(int linux_level, int linux_name, int netbsd_value);

// --- message flags

// send/recv flags; MSG_MORE and MSG_CONFIRM (hints) are dropped; another
// Linux-only bit makes it std::nullopt (EOPNOTSUPP).
std::optional<int> ToNetbsdMsgFlags(int linux_flags);
int ToLinuxMsgFlags(int netbsd_flags);

// --- control messages (sendmsg / recvmsg)

// The kernel's control messages (`len` bytes, NetBSD's cmsghdr layout) as
// Linux's, written into `out` (`cap` bytes). Carried: SCM_TIMESTAMP (a
// timeval), IP_PKTINFO (NetBSD's 8-byte in_pktinfo becomes Linux's 12-byte
// one, ipi_spec_dst = ipi_addr = the destination) and IP_RECVTTL (Linux's
// IP_TTL with an int). The rest (IP_RECVDSTADDR, IP_RECVIF,
// IP_RECVPKTINFO), which no Linux option asks for, are skipped. Returns the
// bytes written; *truncated is set when a message did not fit (the
// caller reports MSG_CTRUNC).
size_t ToLinuxControl(const uint8_t* in, size_t len, uint8_t* out, size_t cap, bool* truncated);

// Checks the control messages of a Linux sendmsg bound for the kernel,
// which takes none: an IP_PKTINFO that asks for nothing (interface 0,
// source 0.0.0.0, what glibc-based servers send back unchanged) changes
// nothing and is dropped; anything else (SCM_RIGHTS, SCM_CREDENTIALS, a
// chosen source or interface, IP_TTL) is EOPNOTSUPP, described in *what.
// Returns 0 or that errno.
int CheckLinuxSendControl(const void* control, size_t len, std::string* what);

// --- interface flags (SIOCGIFFLAGS / SIOCSIFFLAGS)

// NetBSD's IFF_* as Linux's: the low ten bits are the same; IFF_MULTICAST
// moves; IFF_OACTIVE, IFF_SIMPLEX and IFF_LINK0-2 have no Linux bit.
int16_t ToLinuxIfFlags(uint16_t netbsd_flags);
// Linux's flags for SIOCSIFFLAGS on top of the interface's `current`
// NetBSD flags (the bits Linux has no name for are kept).
uint16_t ToNetbsdIfFlags(int16_t linux_flags, uint16_t current);

// --- poll(2) events

int16_t ToNetbsdPollEvents(int16_t linux_events);
int16_t ToLinuxPollEvents(int16_t netbsd_revents, int16_t linux_requested);

// --- open flags (F_GETFL / F_SETFL)

int ToNetbsdStatusFlags(int linux_flags);
int ToLinuxStatusFlags(int netbsd_flags);

}  // namespace rump::hijack

#endif  // RUMP_CAPI_HIJACK_TRANSLATE_H_
