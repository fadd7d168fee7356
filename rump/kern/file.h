// File: what a file descriptor refers to (NetBSD's struct file): a socket,
// the console, a pipe end. Descriptors created by dup share one File, and
// with it the status flags (O_NONBLOCK, O_APPEND).
//
// Ownership and lifetime
//
// A File is always owned through std::shared_ptr. Each descriptor that
// refers to it, in any FdTable, holds one reference (dup, dup2, F_DUPFD, a
// fork's copied table and a table shared between processes all count), and
// every system call that uses it holds its own reference, taken with
// FdTable::Get, until the call returns; poll, pollts and select hold one for
// each file they watch until they return. A File therefore outlives the
// descriptors that name it: it is destroyed when the last reference goes,
// on whichever thread drops it, which may be a system call still running
// after the descriptor was closed. A call bound to a File stays bound to it
// even if its descriptor number is closed and reused meanwhile.
//
// Closing
//
// FdTable counts the descriptors that refer to a File. When that count
// drops to zero (close, dup2 over it, F_CLOSEM, close-on-exec at an EXEC,
// or the release of the last process using the table), the thread that
// closed the last descriptor calls LastClose(), once, holding no FdTable
// lock. Closing does not wait for calls in progress on other threads;
// LastClose is what ends them: when it returns, every thread blocked in a
// method of this File must wake and return promptly, and no later call may
// block (Socket: a blocked Recv returns EBADF, sends fail with EPIPE, and
// pollers are woken and find the socket readable). Closing a descriptor
// while another descriptor still refers to the File changes nothing for
// the File (no LastClose; blocked calls keep waiting), as in NetBSD.
//
// Threads
//
// Read, Write, Ioctl, Poll and the flag accessors may be called at the same
// time from any number of threads: the threads of one process, the worker
// threads serving one remote client's concurrent calls, and processes that
// share the File after a fork. They may also run concurrently with
// LastClose and after it. A subclass guards its own state with its own
// lock (Socket: one mutex for the queue, options, error and shutdown
// state) and must not hold that lock while it copies to or from user memory
// (ctx.mem): for a remote caller a copy is a network round trip, and it
// fails with EFAULT when the client goes away. The base class needs no
// lock: the flags and the descriptor count are atomics (the count is
// FdTable's alone), and PollWaiters has its own mutex.
//
// A method that blocks must sleep with SleepUntil (rump/kern/sleep.h) on a
// condition that includes "closed", checked under the subclass's lock, so
// that LastClose, Process::Interrupt (EINTR) and the kernel's halt (EINTR)
// all end the sleep. Poll must never block. After any change that can make
// the File ready, call poll_waiters().Wake(); it may be called with the
// subclass's lock held (lock order: the File's lock, then PollWaiters', then
// a Poller's).
//
// Identity
//
// Every File has an id (object_id.h) from construction on, and says what
// it is through Describe(): the kind of object and the id of the object
// behind it. kern.file2 reports both (NetBSD's f_type and f_data), so that
// tools can join a descriptor with, say, its socket's PCB record.
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

// What kind of object a file is (NetBSD's f_type, without the DTYPE_
// numbers, which rump/abi/kinfo.h has), and which object (f_data).
enum class FileKind {
  kMisc,    // anything else: the console
  kSocket,  // a Socket (rump/net)
  kPipe,    // an end of a pipe (pipe.h)
};
struct FileDescription {
  FileKind kind = FileKind::kMisc;
  uint64_t data_id = 0;  // the object behind the file (a socket's id); 0: none
};

// One piece of a scatter/gather user buffer (NetBSD's struct iovec).
struct UserIoVec {
  UserAddr base = 0;
  size_t len = 0;
};

class File {
 public:
  // `flags` are open(2) flags: the access mode and O_NONBLOCK / O_APPEND.
  explicit File(int flags);
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

  // Called once, by the thread that closed the last descriptor referring to
  // this file, with no FdTable lock held; other threads may be inside (or
  // about to enter) any other method. Must make blocked operations return
  // promptly and later ones fail rather than block (see "Closing" above).
  // Default: nothing (for files that never block).
  virtual void LastClose() {}
  // close(2) of the last descriptor, after LastClose, in the closing
  // thread: a file may hold the caller there (SO_LINGER: until the
  // connection's data is delivered, or its time runs out). Returns EINTR
  // when the process is interrupted. Default: OK at once.
  virtual absl::Status Linger(SyscallContext& ctx);
  // Whether any descriptor refers to this file. Any thread.
  bool has_descriptors() const { return descriptors_.load() > 0; }

  // This file's id (object_id.h). Any thread.
  uint64_t id() const { return id_; }
  // What the file is. Must not block; any thread. Default: kMisc, no data.
  virtual FileDescription Describe() const;
  // The file type and permission bits fstat(2) reports (st_mode); 0 when
  // the file cannot be stat'ed (EOPNOTSUPP).
  virtual uint32_t StatMode() const { return 0; }

  // The open(2) flags: the access mode and the status flags. Any thread.
  int flags() const { return flags_.load(std::memory_order_relaxed); }
  // Replaces the flags that F_SETFL may change (O_NONBLOCK, O_APPEND) with
  // those in `flags`, keeping the rest, in one atomic step. Any thread. A
  // caller that derives `flags` from flags() (FIONBIO) does a read and a
  // write, which can undo a concurrent change of the other bit.
  void SetStatusFlags(int flags);
  bool nonblocking() const;

 private:
  friend class FdTable;
  const uint64_t id_;
  std::atomic<int> flags_;
  std::atomic<int> descriptors_{0};  // descriptors referring to this file
  PollWaiters poll_waiters_;
};

}  // namespace rump

#endif  // RUMP_KERN_FILE_H_
