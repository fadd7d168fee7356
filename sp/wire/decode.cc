#include "sp/wire/decode.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "sp/wire/bytes.h"

namespace sp::wire {
namespace {

using internal::Load;

std::string Name(const FrameView& f) {
  return absl::StrCat(ClassName(f.header.cls), " ", TypeName(f.header.type), " frame (class ",
                      f.header.cls, ", type ", f.header.type, ", reqno ", f.header.reqno, ")");
}

absl::Status Bad(const FrameView& f, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(Name(f), ": ", why));
}

absl::Status ExpectClass(const FrameView& f, uint16_t cls) {
  if (f.header.cls != cls) {
    return Bad(f, absl::StrCat("expected class ", ClassName(cls)));
  }
  return absl::OkStatus();
}

absl::Status ExpectRequest(const FrameView& f, uint16_t type) {
  if (f.header.cls != kClassRequest || f.header.type != type) {
    return Bad(f, absl::StrCat("expected a ", TypeName(type), " request"));
  }
  return absl::OkStatus();
}

absl::Status ExpectSize(const FrameView& f, uint64_t size) {
  if (f.payload.size() != size) {
    return Bad(f, absl::StrCat("payload is ", f.payload.size(), " bytes, expected ", size));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(const FrameView& f, uint64_t addr, uint64_t len) {
  if (len == 0) return absl::OkStatus();
  if (addr == 0) return Bad(f, absl::StrCat("null address for ", len, " bytes"));
  if (addr >= kUserAddressLimit || len > kUserAddressLimit - addr) {
    return Bad(
        f, absl::StrCat("address range 0x", absl::Hex(addr), " + ", len, " is outside user space"));
  }
  return absl::OkStatus();
}

const char* Data(const FrameView& f) { return f.payload.data(); }

}  // namespace

absl::StatusOr<absl::string_view> DecodeHandshakeName(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypeHandshake); !s.ok()) return s;
  if (f.header.u != kHandshakeGuest && f.header.u != kHandshakeExec) {
    return Bad(f, absl::StrCat("handshake kind ", f.header.u, " does not carry a program name"));
  }
  if (f.payload.size() > kMaxHandshakeNamePayload) {
    return Bad(f, absl::StrCat("program name of ", f.payload.size(), " bytes is longer than ",
                               kMaxHandshakeNamePayload));
  }
  absl::string_view name = f.payload;
  if (size_t nul = name.find('\0'); nul != absl::string_view::npos) {
    name = name.substr(0, nul);
  }
  return name;
}

absl::StatusOr<HandshakeFork> DecodeHandshakeFork(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypeHandshake); !s.ok()) return s;
  if (f.header.u != kHandshakeFork) {
    return Bad(f, absl::StrCat("handshake kind ", f.header.u, " is not FORK"));
  }
  if (auto s = ExpectSize(f, kHandshakeForkSize); !s.ok()) return s;
  HandshakeFork out;
  std::memcpy(out.cookie.data(), Data(f), kCookieSize);
  out.cancel = Load<int32_t>(Data(f) + kCookieSize);
  return out;
}

absl::StatusOr<int32_t> DecodeHandshakeResponse(const FrameView& f) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (auto s = ExpectSize(f, kHandshakeRespSize); !s.ok()) return s;
  return Load<int32_t>(Data(f));
}

absl::StatusOr<SyscallArgs> DecodeSyscallRequest(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypeSyscall); !s.ok()) return s;
  if (f.payload.size() % kSlotSize != 0) {
    return Bad(f, absl::StrCat("syscall ", f.header.u, " payload of ", f.payload.size(),
                               " bytes is not a whole number of 8-byte slots"));
  }
  if (f.payload.size() > kMaxSyscallPayload) {
    return Bad(f, absl::StrCat("syscall ", f.header.u, " has ", f.payload.size() / kSlotSize,
                               " argument slots, more than ", kMaxSyscallSlots));
  }
  SyscallArgs out;
  out.sysnum = f.header.u;
  out.nslots = f.payload.size() / kSlotSize;
  for (size_t i = 0; i < out.nslots; ++i) {
    out.slots[i] = Load<uint64_t>(Data(f) + i * kSlotSize);
  }
  return out;
}

absl::StatusOr<SyscallResult> DecodeSyscallResponse(const FrameView& f) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (auto s = ExpectSize(f, kSysrespSize); !s.ok()) return s;
  SyscallResult out;
  out.error = Load<int32_t>(Data(f));
  out.rv0 = Load<int64_t>(Data(f) + 8);
  out.rv1 = Load<int64_t>(Data(f) + 16);
  return out;
}

absl::StatusOr<CopyRequest> DecodeCopyRequest(const FrameView& f, uint64_t max_len) {
  if (f.header.cls != kClassRequest ||
      (f.header.type != kTypeCopyin && f.header.type != kTypeCopyinstr)) {
    return Bad(f, "expected a COPYIN or COPYINSTR request");
  }
  if (auto s = ExpectSize(f, kCopydataSize); !s.ok()) return s;
  CopyRequest out;
  out.type = f.header.type;
  out.len = Load<uint64_t>(Data(f));
  out.addr = Load<uint64_t>(Data(f) + 8);
  if (out.len > max_len) {
    return Bad(f, absl::StrCat("asks for ", out.len, " bytes, more than the limit of ", max_len));
  }
  if (auto s = CheckRange(f, out.addr, out.len); !s.ok()) return s;
  return out;
}

absl::StatusOr<absl::string_view> DecodeCopyinResponse(const FrameView& f, uint64_t requested_len) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (f.payload.size() != requested_len) {
    return Bad(f, absl::StrCat("copyin answer of ", f.payload.size(), " bytes, but ", requested_len,
                               " were asked for"));
  }
  return f.payload;
}

absl::StatusOr<absl::string_view> DecodeCopyinstrResponse(const FrameView& f, uint64_t maxlen) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (f.payload.size() > maxlen) {
    return Bad(f, absl::StrCat("copyinstr answer of ", f.payload.size(),
                               " bytes, more than the maximum ", maxlen));
  }
  return f.payload;
}

absl::StatusOr<Copyout> DecodeCopyout(const FrameView& f) {
  if (f.header.cls != kClassRequest ||
      (f.header.type != kTypeCopyout && f.header.type != kTypeCopyoutstr)) {
    return Bad(f, "expected a COPYOUT or COPYOUTSTR request");
  }
  if (f.payload.size() < kCopydataSize) {
    return Bad(f, absl::StrCat("payload of ", f.payload.size(),
                               " bytes is shorter than the 16-byte copy header"));
  }
  uint64_t len = Load<uint64_t>(Data(f));
  uint64_t addr = Load<uint64_t>(Data(f) + 8);
  uint64_t have = f.payload.size() - kCopydataSize;
  if (len != have) {
    return Bad(f, absl::StrCat("copy header says ", len, " bytes but ", have, " follow"));
  }
  if (auto s = CheckRange(f, addr, len); !s.ok()) return s;
  return Copyout{f.header.type, addr, f.payload.substr(kCopydataSize)};
}

absl::StatusOr<uint64_t> DecodeAnonmmapRequest(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypeAnonmmap); !s.ok()) return s;
  if (auto s = ExpectSize(f, kAnonmmapSize); !s.ok()) return s;
  uint64_t size = Load<uint64_t>(Data(f));
  if (size == 0 || size >= kUserAddressLimit) {
    return Bad(f, absl::StrCat("mapping size ", size, " is zero or too large"));
  }
  return size;
}

absl::StatusOr<uint64_t> DecodeAnonmmapResponse(const FrameView& f) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (auto s = ExpectSize(f, kAnonmmapSize); !s.ok()) return s;
  uint64_t addr = Load<uint64_t>(Data(f));
  if (addr >= kUserAddressLimit) {
    return Bad(f, absl::StrCat("mapping address 0x", absl::Hex(addr), " is outside user space"));
  }
  return addr;
}

absl::Status DecodePreforkRequest(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypePrefork); !s.ok()) return s;
  return ExpectSize(f, 0);
}

absl::StatusOr<Cookie> DecodePreforkResponse(const FrameView& f) {
  if (auto s = ExpectClass(f, kClassResponse); !s.ok()) return s;
  if (auto s = ExpectSize(f, kCookieSize); !s.ok()) return s;
  Cookie c;
  std::memcpy(c.data(), Data(f), kCookieSize);
  return c;
}

absl::StatusOr<uint32_t> DecodeRaise(const FrameView& f) {
  if (auto s = ExpectRequest(f, kTypeRaise); !s.ok()) return s;
  if (auto s = ExpectSize(f, 0); !s.ok()) return s;
  return f.header.u;
}

absl::StatusOr<uint32_t> DecodeError(const FrameView& f) {
  if (auto s = ExpectClass(f, kClassError); !s.ok()) return s;
  if (auto s = ExpectSize(f, 0); !s.ok()) return s;
  return f.header.u;
}

}  // namespace sp::wire
