#include "rump/kern/console.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/stat.h"
#include "rump/kern/syscall.h"

namespace rump {

Console::Console() : File(abi::kO_RDWR) {}

absl::StatusOr<size_t> Console::Read(SyscallContext&, absl::Span<const UserIoVec>) {
  return 0;
}

absl::StatusOr<size_t> Console::Write(SyscallContext& ctx,
                                      absl::Span<const UserIoVec> iov) {
  // Copied in bounded pieces: a caller's length never sizes an allocation.
  constexpr size_t kChunk = 64 * 1024;
  std::string buf;
  size_t total = 0;
  for (const UserIoVec& v : iov) {
    for (size_t done = 0; done < v.len;) {
      const size_t n = std::min(kChunk, v.len - done);
      buf.resize(n);
      if (absl::Status s = ctx.mem.CopyIn(v.base + done, buf.data(), n); !s.ok()) {
        if (total) return total;
        return s;
      }
      WriteHost(buf);
      done += n;
      total += n;
    }
  }
  return total;
}

void Console::WriteHost(absl::string_view bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t w = ::write(STDOUT_FILENO, bytes.data() + off, bytes.size() - off);
    if (w <= 0) break;  // the host's stdout is gone: the console swallows
    off += size_t(w);
  }
}

int Console::Poll(int events) {
  return events & (abi::kPOLLIN | abi::kPOLLRDNORM | abi::kPOLLOUT | abi::kPOLLWRNORM);
}

absl::Status Console::Ioctl(SyscallContext&, uint64_t cmd, absl::Span<uint8_t> data) {
  if (cmd != abi::kTIOCGETA) return abi::Errno(abi::kENOTTY);
  std::fill(data.begin(), data.end(), uint8_t{0});
  return absl::OkStatus();
}

uint32_t Console::StatMode() const { return abi::kS_IFCHR | 0600; }

}  // namespace rump
