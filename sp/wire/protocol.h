// The rump_sp wire protocol: constants, enumerations, the 24-byte frame header
// and the payload layouts, exactly as NetBSD's librumpuser/librumpclient put
// them on the socket (protocol 0.4; reference: docs/sp-protocol.md).
//
// Byte order: NetBSD sends every integer in the sender's native order, and the
// protocol only interoperates x86-64 to x86-64. This codec reads and writes
// little-endian (checked at compile time to be the host order), so the bytes
// here are the bytes NetBSD puts on the wire.
//
// Beyond NetBSD: the one-round-trip syscall extension ("x-batch") reserves
// frame types 0x100..0x1ff (kTypeXSyscall, below) and a banner token
// (banner.h). A peer sends those types only after the server announced the
// extension in its banner, so NetBSD peers never see them.
#ifndef RUMP_SP_WIRE_PROTOCOL_H_
#define RUMP_SP_WIRE_PROTOCOL_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace sp::wire {

static_assert(std::endian::native == std::endian::little,
              "the rump_sp wire format is x86-64 (little-endian) only");

// Protocol version announced in the banner.
inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 4;

// Frame header: {u64 len (total, header included), u64 reqno, u16 class,
// u16 type, u32 u}.
inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kLenOffset = 0;
inline constexpr size_t kReqnoOffset = 8;
inline constexpr size_t kClassOffset = 16;
inline constexpr size_t kTypeOffset = 18;
inline constexpr size_t kUOffset = 20;

// Header `class` values.
inline constexpr uint16_t kClassRequest = 0;
inline constexpr uint16_t kClassResponse = 1;
inline constexpr uint16_t kClassError = 2;

// Header `type` values (NetBSD's).
inline constexpr uint16_t kTypeHandshake = 0;
inline constexpr uint16_t kTypeSyscall = 1;
inline constexpr uint16_t kTypeCopyin = 2;  // also the answer to COPYINSTR
inline constexpr uint16_t kTypeCopyinstr = 3;
inline constexpr uint16_t kTypeCopyout = 4;
inline constexpr uint16_t kTypeCopyoutstr = 5;  // NetBSD's server never sends it
inline constexpr uint16_t kTypeAnonmmap = 6;
inline constexpr uint16_t kTypePrefork = 7;
inline constexpr uint16_t kTypeRaise = 8;

// Extension frame types (ours), only sent after negotiation (banner.h):
//   0x100 X_SYSCALL: REQ = a syscall that carries the client's input buffers;
//                    RESP = its result plus the output buffers (layouts and
//                    rules: xsyscall.h).
//   0x101 X_INTERRUPT: REQ, u = 0, no payload, reqno = that of a call of
//                    the same connection still running (the client caught a
//                    signal while it waited): that call's sleeps end with
//                    EINTR (its own answer says so). Never answered; an
//                    unknown or finished reqno is ignored.
// 0x102..0x1ff are reserved for later extensions.
inline constexpr uint16_t kTypeExtensionFirst = 0x100;
inline constexpr uint16_t kTypeXSyscall = 0x100;
inline constexpr uint16_t kTypeXInterrupt = 0x101;
inline constexpr uint16_t kTypeExtensionLast = 0x1ff;

// Handshake kinds (header `u` of a HANDSHAKE request).
inline constexpr uint32_t kHandshakeGuest = 0;
inline constexpr uint32_t kHandshakeAuth = 1;  // reserved; servers refuse it
inline constexpr uint32_t kHandshakeFork = 2;
inline constexpr uint32_t kHandshakeExec = 3;

// Error codes (header `u` of an ERROR frame).
inline constexpr uint32_t kErrNone = 0;
inline constexpr uint32_t kErrTryAgain = 1;
inline constexpr uint32_t kErrAuth = 2;
inline constexpr uint32_t kErrInvalidPrefork = 3;
inline constexpr uint32_t kErrRforkFailed = 4;
inline constexpr uint32_t kErrInExec = 5;
inline constexpr uint32_t kErrNoMem = 6;
inline constexpr uint32_t kErrMalformedRequest = 7;
inline constexpr uint32_t kErrLast = 7;

// The *host* errno a client library reports for an ERROR frame's code, as
// NetBSD's librumpclient does (EAGAIN, EPERM, ESRCH, EIO, EBUSY, ENOMEM,
// EINVAL; 0 for kErrNone). Codes NetBSD does not define give EPROTO.
int ErrorCodeToHostErrno(uint32_t code);

// Short names for logs: "REQ", "SYSCALL", "MALFORMED_REQUEST"; "?" if unknown.
const char* ClassName(uint16_t cls);
const char* TypeName(uint16_t type);
const char* ErrorCodeName(uint32_t code);

// Syscall arguments: one 8-byte slot each, at most 8.
inline constexpr size_t kSlotSize = 8;
inline constexpr size_t kMaxSyscallSlots = 8;
inline constexpr size_t kMaxSyscallPayload = kSlotSize * kMaxSyscallSlots;

// Payload sizes.
inline constexpr size_t kCopydataSize = 16;       // rsp_copydata {u64 len, u64 addr}
inline constexpr size_t kSysrespSize = 24;        // rsp_sysresp
inline constexpr size_t kCookieSize = 16;         // PREFORK cookie (4 x u32)
inline constexpr size_t kHandshakeForkSize = 20;  // cookie + i32 cancel
inline constexpr size_t kHandshakeRespSize = 4;   // i32 0
inline constexpr size_t kAnonmmapSize = 8;        // u64 size / u64 address

// A GUEST or EXEC handshake carries the program name plus NUL. NetBSD clients
// send at most 128 bytes; we accept names of up to this many payload bytes.
inline constexpr size_t kMaxHandshakeNamePayload = 1024;

// Frame size limit. NetBSD enforces none; ours is configurable per reader
// (FrameReader) and defaults to a COPYOUT (or COPYIN answer) of
// kMaxCopyChunk bytes: header + copydata + 16 MiB = 16 MiB + 40 bytes.
// Senders split larger copies into chunks of at most kMaxCopyChunk bytes.
inline constexpr uint64_t kMaxCopyChunk = uint64_t{16} << 20;
inline constexpr uint64_t kDefaultMaxFrameLen = kHeaderSize + kCopydataSize + kMaxCopyChunk;

// The banner: at most this many bytes, the last one '\n'.
inline constexpr size_t kMaxBannerLen = 95;

using Cookie = std::array<uint8_t, kCookieSize>;

// A decoded frame header; fields hold raw wire values (unknown classes and
// types are representable so that a server can answer them).
struct Header {
  uint64_t len = kHeaderSize;  // total frame length, header included
  uint64_t reqno = 0;
  uint16_t cls = 0;
  uint16_t type = 0;
  uint32_t u = 0;

  bool operator==(const Header&) const = default;
};

// Writes `h` as the 24 header bytes at `out`.
void EncodeHeader(const Header& h, uint8_t* out);
// Reads 24 header bytes at `in`; no validation (see FrameReader, ParseFrame).
Header DecodeHeader(const uint8_t* in);

// The C layouts, for layout tests and documentation; the codec never copies
// these structs to or from the wire directly.
struct RspHdrLayout {
  uint64_t len;
  uint64_t reqno;
  uint16_t cls;
  uint16_t type;
  uint32_t u;
};
struct RspCopydataLayout {
  uint64_t len;
  uint64_t addr;
};
struct RspSysrespLayout {
  int32_t error;
  int64_t retval[2];  // 4 bytes of padding before it; we write zeros
};
struct HandshakeForkLayout {
  uint32_t auth[4];
  int32_t cancel;
};
static_assert(sizeof(RspHdrLayout) == kHeaderSize);
static_assert(offsetof(RspHdrLayout, reqno) == kReqnoOffset);
static_assert(offsetof(RspHdrLayout, cls) == kClassOffset);
static_assert(offsetof(RspHdrLayout, type) == kTypeOffset);
static_assert(offsetof(RspHdrLayout, u) == kUOffset);
static_assert(sizeof(RspCopydataLayout) == kCopydataSize);
static_assert(sizeof(RspSysrespLayout) == kSysrespSize);
static_assert(offsetof(RspSysrespLayout, retval) == 8);
static_assert(sizeof(HandshakeForkLayout) == kHandshakeForkSize);

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_PROTOCOL_H_
