#include "sp/wire/encode.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sp/wire/bytes.h"

namespace sp::wire {
namespace {

using internal::Append;

absl::string_view Bytes(const Cookie& c) {
  return absl::string_view(reinterpret_cast<const char*>(c.data()), c.size());
}

std::string NameFrame(uint64_t reqno, uint32_t kind, absl::string_view name) {
  return EncodeFrame(reqno, kClassRequest, kTypeHandshake, kind,
                     {name, absl::string_view("\0", 1)});
}

std::string CopydataPayload(uint64_t len, uint64_t addr) {
  std::string p;
  p.reserve(kCopydataSize);
  Append<uint64_t>(&p, len);
  Append<uint64_t>(&p, addr);
  return p;
}

std::string U64Payload(uint64_t v) {
  std::string p;
  Append<uint64_t>(&p, v);
  return p;
}

}  // namespace

std::string EncodeFrame(uint64_t reqno, uint16_t cls, uint16_t type, uint32_t u,
                        std::initializer_list<absl::string_view> payload) {
  size_t total = kHeaderSize;
  for (absl::string_view piece : payload) total += piece.size();
  std::string out(kHeaderSize, '\0');
  out.reserve(total);
  EncodeHeader(Header{total, reqno, cls, type, u}, reinterpret_cast<uint8_t*>(out.data()));
  for (absl::string_view piece : payload) out.append(piece.data(), piece.size());
  return out;
}

std::string HandshakeGuestRequest(uint64_t reqno, absl::string_view progname) {
  return NameFrame(reqno, kHandshakeGuest, progname);
}

std::string HandshakeExecRequest(uint64_t reqno, absl::string_view progname) {
  return NameFrame(reqno, kHandshakeExec, progname);
}

std::string HandshakeForkRequest(uint64_t reqno, const Cookie& cookie, int32_t cancel) {
  std::string c;
  Append<int32_t>(&c, cancel);
  return EncodeFrame(reqno, kClassRequest, kTypeHandshake, kHandshakeFork, {Bytes(cookie), c});
}

std::string HandshakeResponse(uint64_t reqno, int32_t value) {
  std::string p;
  Append<int32_t>(&p, value);
  return EncodeFrame(reqno, kClassResponse, kTypeHandshake, 0, {p});
}

absl::StatusOr<std::string> SyscallRequest(uint64_t reqno, uint32_t sysnum,
                                           absl::Span<const uint64_t> slots) {
  if (slots.size() > kMaxSyscallSlots) {
    return absl::InvalidArgumentError(absl::StrCat("syscall ", sysnum, " has ", slots.size(),
                                                   " argument slots, more than ",
                                                   kMaxSyscallSlots));
  }
  std::string p;
  p.reserve(slots.size() * kSlotSize);
  for (uint64_t slot : slots) Append<uint64_t>(&p, slot);
  return EncodeFrame(reqno, kClassRequest, kTypeSyscall, sysnum, {p});
}

std::string SyscallResponse(uint64_t reqno, int32_t error, int64_t rv0, int64_t rv1) {
  std::string p;
  p.reserve(kSysrespSize);
  Append<int32_t>(&p, error);
  Append<uint32_t>(&p, 0);  // padding
  Append<int64_t>(&p, rv0);
  Append<int64_t>(&p, rv1);
  return EncodeFrame(reqno, kClassResponse, kTypeSyscall, 0, {p});
}

std::string CopyinRequest(uint64_t reqno, uint64_t len, uint64_t addr) {
  return EncodeFrame(reqno, kClassRequest, kTypeCopyin, 0, {CopydataPayload(len, addr)});
}

std::string CopyinstrRequest(uint64_t reqno, uint64_t maxlen, uint64_t addr) {
  return EncodeFrame(reqno, kClassRequest, kTypeCopyinstr, 0, {CopydataPayload(maxlen, addr)});
}

std::string CopyinResponse(uint64_t reqno, absl::string_view data) {
  return EncodeFrame(reqno, kClassResponse, kTypeCopyin, 0, {data});
}

std::string CopyoutRequest(uint64_t reqno, uint64_t addr, absl::string_view data) {
  return EncodeFrame(reqno, kClassRequest, kTypeCopyout, 0,
                     {CopydataPayload(data.size(), addr), data});
}

std::string CopyoutstrRequest(uint64_t reqno, uint64_t addr, absl::string_view data) {
  return EncodeFrame(reqno, kClassRequest, kTypeCopyoutstr, 0,
                     {CopydataPayload(data.size(), addr), data});
}

std::string AnonmmapRequest(uint64_t reqno, uint64_t size) {
  return EncodeFrame(reqno, kClassRequest, kTypeAnonmmap, 0, {U64Payload(size)});
}

std::string AnonmmapResponse(uint64_t reqno, uint64_t addr) {
  return EncodeFrame(reqno, kClassResponse, kTypeAnonmmap, 0, {U64Payload(addr)});
}

std::string XInterruptRequest(uint64_t reqno) {
  return EncodeFrame(reqno, kClassRequest, kTypeXInterrupt, 0);
}

std::string PreforkRequest(uint64_t reqno) {
  return EncodeFrame(reqno, kClassRequest, kTypePrefork, 0);
}

std::string PreforkResponse(uint64_t reqno, const Cookie& cookie) {
  return EncodeFrame(reqno, kClassResponse, kTypePrefork, 0, {Bytes(cookie)});
}

std::string RaiseRequest(uint64_t reqno, uint32_t signo) {
  return EncodeFrame(reqno, kClassRequest, kTypeRaise, signo);
}

std::string ErrorFrame(uint64_t reqno, uint32_t code) {
  return EncodeFrame(reqno, kClassError, kTypeHandshake, code);
}

}  // namespace sp::wire
