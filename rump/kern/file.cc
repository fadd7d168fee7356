#include "rump/kern/file.h"

#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/kern/object_id.h"

namespace rump {

File::File(int flags) : id_(NewObjectId()), flags_(flags) {}

FileDescription File::Describe() const { return FileDescription{}; }

absl::StatusOr<size_t> File::Read(SyscallContext&, absl::Span<const UserIoVec>) {
  return abi::Errno(abi::kEOPNOTSUPP);
}

absl::StatusOr<size_t> File::Write(SyscallContext&, absl::Span<const UserIoVec>) {
  return abi::Errno(abi::kEOPNOTSUPP);
}

absl::Status File::Linger(SyscallContext&) { return absl::OkStatus(); }

absl::Status File::Ioctl(SyscallContext&, uint64_t, absl::Span<uint8_t>) {
  return abi::Errno(abi::kENOTTY);
}

int File::Poll(int events) {
  return events & (abi::kPOLLIN | abi::kPOLLOUT | abi::kPOLLRDNORM | abi::kPOLLWRNORM);
}

void File::SetStatusFlags(int flags) {
  constexpr int kChangeable = abi::kO_NONBLOCK | abi::kO_APPEND;
  int old = flags_.load(std::memory_order_relaxed);
  while (!flags_.compare_exchange_weak(old, (old & ~kChangeable) | (flags & kChangeable))) {
  }
}

bool File::nonblocking() const { return (flags() & abi::kO_NONBLOCK) != 0; }

}  // namespace rump
