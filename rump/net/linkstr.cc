#include "rump/net/linkstr.h"

#include <algorithm>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/kern/user_memory.h"
#include "rump/net/bytes.h"

namespace rump::linkstr {

absl::Status Answer(SyscallContext& ctx, absl::Span<uint8_t> data, const std::string& str,
                    uint64_t reported_len) {
  const uint64_t cmd = bytes::Load<uint64_t>(data, abi::kIfdCmdOff);
  const uint64_t user_len = bytes::Load<uint64_t>(data, abi::kIfdLenOff);
  bytes::Store<uint64_t>(data, abi::kIfdLenOff, reported_len);
  if (cmd == abi::kIFLINKSTR_QUERYLEN) return absl::OkStatus();
  if (cmd != 0) return abi::Errno(abi::kEINVAL);
  // NetBSD bounds the copy by the length it has just stored (ignoring the
  // caller's); we bound it by the caller's buffer too.
  const UserAddr to = bytes::Load<uint64_t>(data, abi::kIfdDataOff);
  return ctx.mem.CopyOutString(str, to, std::min(reported_len, user_len)).status();
}

Command CommandOf(absl::Span<const uint8_t> data) {
  const uint64_t cmd = bytes::Load<uint64_t>(data, abi::kIfdCmdOff);
  if (cmd == 0) return Command::kSet;
  if (cmd == abi::kIFLINKSTR_UNSET) return Command::kUnset;
  return Command::kInvalid;
}

absl::StatusOr<Value> ReadValue(SyscallContext& ctx, absl::Span<const uint8_t> data) {
  const uint64_t len = bytes::Load<uint64_t>(data, abi::kIfdLenOff);
  if (len > abi::kMaxPathLen) return abi::Errno(abi::kE2BIG);
  if (len < 1) return abi::Errno(abi::kEINVAL);
  absl::StatusOr<std::string> str =
      ctx.mem.CopyInString(bytes::Load<uint64_t>(data, abi::kIfdDataOff), len);
  if (!str.ok()) return str.status();
  return Value{std::move(*str), len};
}

}  // namespace rump::linkstr
