#include "sp/wire/protocol.h"

#include <cerrno>

#include "sp/wire/bytes.h"

namespace sp::wire {

using internal::Load;
using internal::Store;

void EncodeHeader(const Header& h, uint8_t* out) {
  Store<uint64_t>(out + kLenOffset, h.len);
  Store<uint64_t>(out + kReqnoOffset, h.reqno);
  Store<uint16_t>(out + kClassOffset, h.cls);
  Store<uint16_t>(out + kTypeOffset, h.type);
  Store<uint32_t>(out + kUOffset, h.u);
}

Header DecodeHeader(const uint8_t* in) {
  Header h;
  h.len = Load<uint64_t>(in + kLenOffset);
  h.reqno = Load<uint64_t>(in + kReqnoOffset);
  h.cls = Load<uint16_t>(in + kClassOffset);
  h.type = Load<uint16_t>(in + kTypeOffset);
  h.u = Load<uint32_t>(in + kUOffset);
  return h;
}

int ErrorCodeToHostErrno(uint32_t code) {
  switch (code) {
    case kErrNone:
      return 0;
    case kErrTryAgain:
      return EAGAIN;
    case kErrAuth:
      return EPERM;
    case kErrInvalidPrefork:
      return ESRCH;
    case kErrRforkFailed:
      return EIO;
    case kErrInExec:
      return EBUSY;
    case kErrNoMem:
      return ENOMEM;
    case kErrMalformedRequest:
      return EINVAL;
    default:
      return EPROTO;
  }
}

const char* ClassName(uint16_t cls) {
  switch (cls) {
    case kClassRequest:
      return "REQ";
    case kClassResponse:
      return "RESP";
    case kClassError:
      return "ERROR";
    default:
      return "?";
  }
}

const char* TypeName(uint16_t type) {
  switch (type) {
    case kTypeHandshake:
      return "HANDSHAKE";
    case kTypeSyscall:
      return "SYSCALL";
    case kTypeCopyin:
      return "COPYIN";
    case kTypeCopyinstr:
      return "COPYINSTR";
    case kTypeCopyout:
      return "COPYOUT";
    case kTypeCopyoutstr:
      return "COPYOUTSTR";
    case kTypeAnonmmap:
      return "ANONMMAP";
    case kTypePrefork:
      return "PREFORK";
    case kTypeRaise:
      return "RAISE";
    case kTypeXSyscall:
      return "X_SYSCALL";
    case kTypeXInterrupt:
      return "X_INTERRUPT";
    default:
      return "?";
  }
}

const char* ErrorCodeName(uint32_t code) {
  switch (code) {
    case kErrNone:
      return "NONE";
    case kErrTryAgain:
      return "TRYAGAIN";
    case kErrAuth:
      return "AUTH";
    case kErrInvalidPrefork:
      return "INVALID_PREFORK";
    case kErrRforkFailed:
      return "RFORK_FAILED";
    case kErrInExec:
      return "INEXEC";
    case kErrNoMem:
      return "NOMEM";
    case kErrMalformedRequest:
      return "MALFORMED_REQUEST";
    default:
      return "?";
  }
}

}  // namespace sp::wire
