// FdTable: a process's file descriptors, with NetBSD's rules: a new
// descriptor is the lowest free number (at or above a minimum), each has its
// own close-on-exec flag, and dup'ed descriptors share one File.
//
// Thread-safe. A File's LastClose runs when its last descriptor (in any
// table) is closed, outside the table's lock.
#ifndef RUMP_KERN_FD_TABLE_H_
#define RUMP_KERN_FD_TABLE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rump/kern/file.h"

namespace rump {

class FdTable {
 public:
  // The most descriptors a table can hold: the highest RLIMIT_NOFILE.
  static constexpr int kMaxDescriptors = 1024;

  FdTable() = default;
  ~FdTable();
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  // The descriptor numbers in use must stay below `limit` (the owning
  // process's RLIMIT_NOFILE soft limit, at most kMaxDescriptors; it is
  // kMaxDescriptors until set): a new descriptor at or above it is EMFILE, a
  // dup2 onto it EBADF, an F_DUPFD minimum at or above it EINVAL. Open
  // descriptors above a lowered limit stay open. Processes that share a
  // table share its limit (the last one set).
  void set_limit(int limit);
  int limit() const { return limit_.load(std::memory_order_relaxed); }

  // Installs `file` at the lowest free descriptor >= min_fd.
  absl::StatusOr<int> Install(std::shared_ptr<File> file, bool cloexec,
                              int min_fd = 0);
  // The file behind `fd`; EBADF if it is not open.
  absl::StatusOr<std::shared_ptr<File>> Get(int fd) const;
  absl::Status Close(int fd);
  // dup / F_DUPFD: a new descriptor >= min_fd for the same file.
  absl::StatusOr<int> Dup(int fd, int min_fd, bool cloexec);
  // dup2 / dup3: `to` refers to the same file as `from`, closing what `to`
  // held. With from == to it only checks `from`.
  absl::Status Dup2(int from, int to, bool cloexec);
  absl::StatusOr<bool> GetCloexec(int fd) const;
  absl::Status SetCloexec(int fd, bool cloexec);
  // Closes every descriptor >= from (F_CLOSEM), or all.
  void CloseFrom(int from);
  void CloseAll() { CloseFrom(0); }
  // The highest open descriptor, or -1 (F_MAXFD).
  int MaxFd() const;
  // Copies every descriptor of `other` into this (empty) table (fork).
  void CopyFrom(const FdTable& other);

  // One open descriptor, as kern.file2 lists it.
  struct Entry {
    int fd = 0;
    std::shared_ptr<File> file;
    bool cloexec = false;
    int descriptors = 0;  // how many descriptors (in any table) name the file
  };
  // The open descriptors in increasing order, taken in one critical
  // section. The entries hold references: a file closed meanwhile stays
  // alive until they are dropped.
  std::vector<Entry> Entries() const;

 private:
  struct Slot {
    std::shared_ptr<File> file;
    bool cloexec = false;
  };
  // Takes the slot's file out, to be released outside the lock.
  static void Release(std::shared_ptr<File> file);
  int LowestFreeLocked(int min_fd) const;
  // Install with mu_ held.
  absl::StatusOr<int> InstallLocked(std::shared_ptr<File> file, bool cloexec, int min_fd);

  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  std::atomic<int> limit_{kMaxDescriptors};
};

}  // namespace rump

#endif  // RUMP_KERN_FD_TABLE_H_
