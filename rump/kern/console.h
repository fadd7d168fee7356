// Console: the rump console, what descriptors 0-2 of every process refer to.
// Writes go to the host process's standard output (rump_server's, which is
// /dev/null once it daemonizes), as NetBSD's rump console does; reads return
// end of file. poll/select see it always readable (end of file) and
// writable. It is a terminal (TIOCGETA) and a character device (fstat).
#ifndef RUMP_KERN_CONSOLE_H_
#define RUMP_KERN_CONSOLE_H_

#include "absl/strings/string_view.h"
#include "rump/kern/file.h"

namespace rump {

class Console final : public File {
 public:
  Console();
  absl::StatusOr<size_t> Read(SyscallContext& ctx,
                              absl::Span<const UserIoVec> iov) override;
  absl::StatusOr<size_t> Write(SyscallContext& ctx,
                               absl::Span<const UserIoVec> iov) override;
  int Poll(int events) override;
  // TIOCGETA answers (a zeroed termios): the console is a terminal, as
  // isatty(3) asks.
  absl::Status Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) override;
  // A character device, read-write for its owner.
  uint32_t StatMode() const override;

  // Writes `bytes` to the host's standard output (what the console shows);
  // a closed or broken stdout swallows them.
  static void WriteHost(absl::string_view bytes);
};

}  // namespace rump

#endif  // RUMP_KERN_CONSOLE_H_
