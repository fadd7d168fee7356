// Builders for every rump_sp frame: each returns the whole frame (header and
// payload) as bytes ready for one send. Layouts and values follow
// docs/sp-protocol.md; the padding of rsp_sysresp is written as
// zeros (NetBSD leaves it uninitialised).
//
// Who sends what: C = client, S = server. Request numbers are the caller's:
// each side numbers the requests it originates from 0; a response carries the
// number of the request it answers.
#ifndef RUMP_SP_WIRE_ENCODE_H_
#define RUMP_SP_WIRE_ENCODE_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "sp/wire/protocol.h"

namespace sp::wire {

// Any frame: a header with len = 24 + total payload size, then the payload
// pieces back to back. The building block of the functions below, and of
// extension frames.
std::string EncodeFrame(uint64_t reqno, uint16_t cls, uint16_t type, uint32_t u,
                        std::initializer_list<absl::string_view> payload = {});

// C -> S: HANDSHAKE GUEST (u=0) or EXEC (u=3); payload = name + NUL.
std::string HandshakeGuestRequest(uint64_t reqno, absl::string_view progname);
std::string HandshakeExecRequest(uint64_t reqno, absl::string_view progname);
// C -> S: HANDSHAKE FORK (u=2); payload = 16-byte cookie + i32 cancel.
std::string HandshakeForkRequest(uint64_t reqno, const Cookie& cookie, int32_t cancel = 0);
// S -> C: RESP HANDSHAKE; payload = i32 `value` (NetBSD always sends 0).
std::string HandshakeResponse(uint64_t reqno, int32_t value = 0);

// C -> S: SYSCALL number `sysnum`, one 8-byte slot per argument (the caller
// has already zero-extended narrow arguments). Error if more than 8 slots.
absl::StatusOr<std::string> SyscallRequest(uint64_t reqno, uint32_t sysnum,
                                           absl::Span<const uint64_t> slots);
// S -> C: RESP SYSCALL {i32 error (NetBSD errno), 4 zero bytes, i64 rv0, rv1}.
std::string SyscallResponse(uint64_t reqno, int32_t error, int64_t rv0, int64_t rv1);

// S -> C: COPYIN / COPYINSTR of `len` (max length for COPYINSTR) bytes at
// client address `addr`.
std::string CopyinRequest(uint64_t reqno, uint64_t len, uint64_t addr);
std::string CopyinstrRequest(uint64_t reqno, uint64_t maxlen, uint64_t addr);
// C -> S: the answer to COPYIN and COPYINSTR (both RESP type COPYIN): the
// bytes read.
std::string CopyinResponse(uint64_t reqno, absl::string_view data);
// S -> C: COPYOUT / COPYOUTSTR of `data` to client address `addr` (no answer).
std::string CopyoutRequest(uint64_t reqno, uint64_t addr, absl::string_view data);
std::string CopyoutstrRequest(uint64_t reqno, uint64_t addr, absl::string_view data);

// S -> C: ANONMMAP of `size` bytes; C -> S: its answer, the address or 0.
std::string AnonmmapRequest(uint64_t reqno, uint64_t size);
std::string AnonmmapResponse(uint64_t reqno, uint64_t addr);

// C -> S: PREFORK (no payload); S -> C: its answer, the 16-byte cookie.
std::string PreforkRequest(uint64_t reqno);
std::string PreforkResponse(uint64_t reqno, const Cookie& cookie);

// S -> C: RAISE of NetBSD signal `signo` (no answer; receivers ignore reqno).
std::string RaiseRequest(uint64_t reqno, uint32_t signo);

// C -> S (our extension, after "x-intr" in the banner): X_INTERRUPT of the
// call `reqno` still running; u = 0, no payload, no answer.
std::string XInterruptRequest(uint64_t reqno);

// S -> C: ERROR `code` (kErr*) answering request `reqno`; no payload.
std::string ErrorFrame(uint64_t reqno, uint32_t code);

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_ENCODE_H_
