// Pipe: pipe(2) and pipe2(2), a one-way byte stream between two descriptors
// of the kernel (NetBSD's sys_pipe.c, without its direct-write and
// page-loaning tricks).
//
// What it promises, as NetBSD's pipes do:
// - The read end is O_RDONLY and the write end O_WRONLY; reads and writes
//   on the wrong end fail with EBADF.
// - A read blocks until data is there, returns what is there (at most the
//   request), and returns 0 (end of file) once the write end is closed and
//   the data is drained. O_NONBLOCK: EAGAIN instead of blocking.
// - The buffer holds kPipeSize bytes. A write of up to kPipeBuf bytes goes
//   in at once or not at all (atomic); a larger one may be split and blocks
//   until all of it is in. Writing with no read end left fails with EPIPE
//   (this kernel has no SIGPIPE to send). O_NONBLOCK: what fits, or EAGAIN.
// - poll: the read end is readable when data is there or the write end is
//   gone (then also POLLHUP); the write end is writable when kPipeBuf bytes
//   fit, and reports POLLHUP/POLLERR when the read end is gone.
// - Closing either end wakes every thread blocked on the other.
#ifndef RUMP_KERN_PIPE_H_
#define RUMP_KERN_PIPE_H_

#include <memory>
#include <utility>

#include "rump/kern/file.h"
#include "rump/kern/syscall.h"

namespace rump {

inline constexpr size_t kPipeSize = 16384;  // PIPE_SIZE
inline constexpr size_t kPipeBuf = 512;     // PIPE_BUF: the atomic write size

// A new pipe: {read end, write end}, with O_NONBLOCK on both when asked.
std::pair<std::shared_ptr<File>, std::shared_ptr<File>> MakePipe(bool nonblocking);

// Registers pipe (42: both descriptors in the return registers) and pipe2
// (453: into an int[2] in user memory, with O_CLOEXEC / O_NONBLOCK).
void RegisterPipeSyscalls(SyscallTable& table);

}  // namespace rump

#endif  // RUMP_KERN_PIPE_H_
