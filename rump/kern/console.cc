#include "rump/kern/console.h"

#include <unistd.h>

#include <string>

#include "rump/abi/ioctl.h"
#include "rump/kern/syscall.h"

namespace rump {

Console::Console() : File(abi::kO_RDWR) {}

absl::StatusOr<size_t> Console::Read(SyscallContext&, absl::Span<const UserIoVec>) {
  return 0;
}

absl::StatusOr<size_t> Console::Write(SyscallContext& ctx,
                                      absl::Span<const UserIoVec> iov) {
  size_t total = 0;
  for (const UserIoVec& v : iov) {
    std::string buf(v.len, '\0');
    if (absl::Status s = ctx.mem.CopyIn(v.base, buf.data(), v.len); !s.ok()) {
      if (total) break;
      return s;
    }
    size_t off = 0;
    while (off < buf.size()) {
      const ssize_t n = ::write(STDOUT_FILENO, buf.data() + off, buf.size() - off);
      if (n <= 0) break;  // the host's stdout is gone: the console swallows
      off += size_t(n);
    }
    total += v.len;
  }
  return total;
}

}  // namespace rump
