// File: what a file descriptor refers to (NetBSD's struct file): a socket,
// the console, a pipe end. Descriptors created by dup share one File, and
// with it the status flags (O_NONBLOCK, O_APPEND).
#ifndef RUMP_KERN_FILE_H_
#define RUMP_KERN_FILE_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/kern/poll.h"
#include "rump/kern/user_memory.h"

namespace rump {

struct SyscallContext;

// One piece of a scatter/gather user buffer (NetBSD's struct iovec).
struct UserIoVec {
  UserAddr base = 0;
  size_t len = 0;
};

class File {
 public:
  // `flags` are open(2) flags: the access mode and O_NONBLOCK / O_APPEND.
  explicit File(int flags) : flags_(flags) {}
  virtual ~File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Reads into / writes from the user buffers, as one operation (a datagram
  // socket reads one datagram across all of them). Default: EOPNOTSUPP.
  virtual absl::StatusOr<size_t> Read(SyscallContext& ctx,
                                      absl::Span<const UserIoVec> iov);
  virtual absl::StatusOr<size_t> Write(SyscallContext& ctx,
                                       absl::Span<const UserIoVec> iov);

  // A device/socket ioctl. `data` holds the argument already copied in (and
  // is copied out afterwards) as the command's encoding says; commands that
  // reach further user memory use ctx.mem. Default: ENOTTY.
  virtual absl::Status Ioctl(SyscallContext& ctx, uint64_t cmd,
                             absl::Span<uint8_t> data);

  // Readiness for poll(2)/select(2): the subset of `events` (NetBSD POLL*
  // bits, rump/abi/poll.h) that an operation could do now without
  // blocking, plus POLLERR / POLLHUP when they apply (reported whether
  // asked for or not). Must not block. Default (NetBSD's seltrue): always
  // readable and writable.
  virtual int Poll(int events);

  // The poll/select calls waiting on this file. A file whose readiness
  // changes (data arrives, an error is posted, it is shut down or closed)
  // calls poll_waiters().Wake() after the change.
  PollWaiters& poll_waiters() { return poll_waiters_; }

  // Called once, when the last descriptor referring to this file is closed.
  // Blocked operations on it must return soon after.
  virtual void LastClose() {}

  int flags() const { return flags_.load(std::memory_order_relaxed); }
  // Changes the flags that F_SETFL may change (O_NONBLOCK, O_APPEND).
  void SetStatusFlags(int flags);
  bool nonblocking() const;

 private:
  friend class FdTable;
  std::atomic<int> flags_;
  std::atomic<int> descriptors_{0};  // descriptors referring to this file
  PollWaiters poll_waiters_;
};

}  // namespace rump

#endif  // RUMP_KERN_FILE_H_
