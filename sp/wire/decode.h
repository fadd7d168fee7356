// Validated decoders for every rump_sp payload.
//
// Each decoder takes a complete frame (FrameReader / ParseFrame output) and
// checks everything it can before returning a value: the class, for requests
// the type (and handshake kind), the exact payload size, and every length,
// count and address inside. Responses are not checked for their type, as in
// NetBSD (a COPYINSTR is answered with type COPYIN; matching is by reqno).
// Errors are InvalidArgument with a message naming the frame and the problem;
// decoders never read outside the payload. Returned string_views point into
// the frame's payload.
#ifndef RUMP_SP_WIRE_DECODE_H_
#define RUMP_SP_WIRE_DECODE_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"

namespace sp::wire {

// Client addresses are x86-64 user addresses: a copy range [addr, addr+len)
// must end at or below this (user space ends below 2^56 even with 5-level
// paging), and addr must not be 0 unless len is 0.
inline constexpr uint64_t kUserAddressLimit = uint64_t{1} << 56;

// HANDSHAKE GUEST or EXEC request: the program name, up to the first NUL or
// the whole payload if unterminated (empty allowed); payload at most
// kMaxHandshakeNamePayload bytes.
absl::StatusOr<absl::string_view> DecodeHandshakeName(const FrameView& f);

// HANDSHAKE FORK request: payload exactly 20 bytes.
struct HandshakeFork {
  Cookie cookie{};
  int32_t cancel = 0;
};
absl::StatusOr<HandshakeFork> DecodeHandshakeFork(const FrameView& f);

// RESP to a handshake: payload exactly 4 bytes; returns the i32 (0 = OK).
absl::StatusOr<int32_t> DecodeHandshakeResponse(const FrameView& f);

// SYSCALL request: payload a multiple of 8 bytes, at most 8 slots. Slots
// past `nslots` are zero, so a server can read every argument of a call that
// was sent short (NetBSD would read past its buffer).
struct SyscallArgs {
  uint32_t sysnum = 0;
  size_t nslots = 0;
  std::array<uint64_t, kMaxSyscallSlots> slots{};
};
absl::StatusOr<SyscallArgs> DecodeSyscallRequest(const FrameView& f);

// RESP to a syscall: payload exactly 24 bytes; the padding is ignored.
struct SyscallResult {
  int32_t error = 0;  // a NetBSD errno, 0 on success
  int64_t rv0 = 0;
  int64_t rv1 = 0;
};
absl::StatusOr<SyscallResult> DecodeSyscallResponse(const FrameView& f);

// COPYIN or COPYINSTR request: payload exactly 16 bytes; len (maxlen for
// COPYINSTR) at most `max_len`; address range valid (see kUserAddressLimit).
// `max_len` defaults to kMaxCopyChunk, the most our server asks for at once;
// a client talking to a NetBSD server may allow more.
struct CopyRequest {
  uint16_t type = kTypeCopyin;  // kTypeCopyin or kTypeCopyinstr
  uint64_t len = 0;
  uint64_t addr = 0;
};
absl::StatusOr<CopyRequest> DecodeCopyRequest(const FrameView& f, uint64_t max_len = kMaxCopyChunk);

// RESP to a COPYIN: payload exactly `requested_len` bytes; returns it.
absl::StatusOr<absl::string_view> DecodeCopyinResponse(const FrameView& f, uint64_t requested_len);
// RESP to a COPYINSTR: payload at most `maxlen` bytes (the string with its
// NUL, or truncated without one); returns it. The caller checks for the NUL.
absl::StatusOr<absl::string_view> DecodeCopyinstrResponse(const FrameView& f, uint64_t maxlen);

// COPYOUT or COPYOUTSTR request: copydata header, then exactly copydata.len
// data bytes; address range valid.
struct Copyout {
  uint16_t type = kTypeCopyout;  // kTypeCopyout or kTypeCopyoutstr
  uint64_t addr = 0;
  absl::string_view data;
};
absl::StatusOr<Copyout> DecodeCopyout(const FrameView& f);

// ANONMMAP request (the size, non-zero) and its RESP (the address, 0 = failed;
// otherwise below kUserAddressLimit): payloads exactly 8 bytes.
absl::StatusOr<uint64_t> DecodeAnonmmapRequest(const FrameView& f);
absl::StatusOr<uint64_t> DecodeAnonmmapResponse(const FrameView& f);

// PREFORK request: no payload. Its RESP: payload exactly the 16-byte cookie.
absl::Status DecodePreforkRequest(const FrameView& f);
absl::StatusOr<Cookie> DecodePreforkResponse(const FrameView& f);

// RAISE request: no payload; returns the NetBSD signal number (header u).
// The reqno of a RAISE is meaningless (NetBSD leaves it uninitialised).
absl::StatusOr<uint32_t> DecodeRaise(const FrameView& f);

// ERROR frame: no payload; returns the error code (header u), which may be
// one NetBSD does not define (ErrorCodeToHostErrno maps those to EPROTO).
absl::StatusOr<uint32_t> DecodeError(const FrameView& f);

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_DECODE_H_
