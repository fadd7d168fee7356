// Link strings: the SIOCGLINKSTR / SIOCSLINKSTR requests (NetBSD's struct
// ifdrv) through which a driver's link is named (a shmif bus path, a tap,
// slirp's settings). The one place for their argument rules; each driver
// decides what its string means.
#ifndef RUMP_NET_LINKSTR_H_
#define RUMP_NET_LINKSTR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/kern/syscall.h"

namespace rump::linkstr {

// SIOCGLINKSTR, answered with the driver's string `str`: ifd_len becomes
// `reported_len` (what the driver keeps as the string's length, counting
// the NUL); unless the caller asks only for the length
// (IFLINKSTR_QUERYLEN), the string is copied out, bounded by that length
// and by the caller's. EINVAL for any other command. `data` is the
// copied-in ifdrv.
absl::Status Answer(SyscallContext& ctx, absl::Span<uint8_t> data, const std::string& str,
                    uint64_t reported_len);
inline absl::Status Answer(SyscallContext& ctx, absl::Span<uint8_t> data, const std::string& str) {
  return Answer(ctx, data, str, str.size() + 1);
}

// What a SIOCSLINKSTR asks for.
enum class Command { kSet, kUnset, kInvalid };
Command CommandOf(absl::Span<const uint8_t> data);

// A kSet request's string, and ifd_len as the caller gave it (NetBSD's
// drivers keep that as the string's length): E2BIG beyond MAXPATHLEN,
// EINVAL for a zero length, the copy's error for bad memory.
struct Value {
  std::string str;
  uint64_t len = 0;
};
absl::StatusOr<Value> ReadValue(SyscallContext& ctx, absl::Span<const uint8_t> data);

}  // namespace rump::linkstr

#endif  // RUMP_NET_LINKSTR_H_
