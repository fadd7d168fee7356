#include "rump/kern/iov.h"

#include <cstdint>

#include "rump/abi/errno.h"
#include "rump/abi/socket.h"

namespace rump {

absl::StatusOr<std::vector<UserIoVec>> CopyInIov(UserMemory& mem, UserAddr addr, int count) {
  if (count < 0 || count > abi::kIOV_MAX) return abi::Errno(abi::kEINVAL);
  std::vector<uint64_t> raw(2 * size_t(count));
  if (count > 0) {
    if (absl::Status s = mem.CopyIn(addr, raw.data(), raw.size() * 8); !s.ok()) return s;
  }
  std::vector<UserIoVec> iov(count);
  uint64_t total = 0;
  for (int i = 0; i < count; ++i) {
    iov[i] = UserIoVec{raw[2 * i], raw[2 * i + 1]};
    total += iov[i].len;
    if (iov[i].len > uint64_t{INT64_MAX} || total > uint64_t{INT64_MAX}) {
      return abi::Errno(abi::kEINVAL);
    }
  }
  return iov;
}

}  // namespace rump
