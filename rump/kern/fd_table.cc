#include "rump/kern/fd_table.h"

#include <algorithm>
#include <utility>

#include "rump/abi/errno.h"

namespace rump {
namespace {

absl::Status BadFd() { return abi::Errno(abi::kEBADF); }

}  // namespace

FdTable::~FdTable() { CloseAll(); }

void FdTable::set_limit(int limit) {
  limit_.store(std::clamp(limit, 0, kMaxDescriptors), std::memory_order_relaxed);
}

void FdTable::Release(std::shared_ptr<File> file) {
  if (file && file->descriptors_.fetch_sub(1) == 1) file->LastClose();
}

int FdTable::LowestFreeLocked(int min_fd) const {
  for (int fd = min_fd; fd < static_cast<int>(slots_.size()); ++fd) {
    if (!slots_[fd].file) return fd;
  }
  return std::max(min_fd, static_cast<int>(slots_.size()));
}

absl::StatusOr<int> FdTable::Install(std::shared_ptr<File> file, bool cloexec,
                                     int min_fd) {
  // A minimum at or above the limit is no descriptor left (EMFILE, as a
  // soft RLIMIT_NOFILE of 0 gives every open in NetBSD), not a bad argument.
  if (min_fd < 0 || min_fd >= kMaxDescriptors) return abi::Errno(abi::kEINVAL);
  std::lock_guard<std::mutex> lock(mu_);
  return InstallLocked(std::move(file), cloexec, min_fd);
}

absl::StatusOr<int> FdTable::InstallLocked(std::shared_ptr<File> file, bool cloexec,
                                           int min_fd) {
  const int fd = LowestFreeLocked(min_fd);
  if (fd >= limit()) return abi::Errno(abi::kEMFILE);
  if (fd >= static_cast<int>(slots_.size())) slots_.resize(fd + 1);
  file->descriptors_.fetch_add(1);
  slots_[fd] = Slot{std::move(file), cloexec};
  return fd;
}

absl::StatusOr<std::shared_ptr<File>> FdTable::Get(int fd) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd < 0 || fd >= static_cast<int>(slots_.size()) || !slots_[fd].file) {
    return BadFd();
  }
  return slots_[fd].file;
}

absl::Status FdTable::Close(int fd) {
  std::shared_ptr<File> file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd < 0 || fd >= static_cast<int>(slots_.size()) || !slots_[fd].file) {
      return BadFd();
    }
    file = std::move(slots_[fd].file);
    slots_[fd] = Slot{};
  }
  Release(std::move(file));
  return absl::OkStatus();
}

absl::StatusOr<int> FdTable::Dup(int fd, int min_fd, bool cloexec) {
  // As in Install: at or above the limit is EMFILE. F_DUPFD's own EINVAL
  // for a minimum at the limit is fcntl's rule, checked there.
  if (min_fd < 0 || min_fd >= kMaxDescriptors) return abi::Errno(abi::kEINVAL);
  // One lock hold from the look-up to the new slot: a close of `fd` in
  // between would otherwise run LastClose while the new descriptor is
  // being made, and a second one when that descriptor is closed.
  std::lock_guard<std::mutex> lock(mu_);
  if (fd < 0 || fd >= static_cast<int>(slots_.size()) || !slots_[fd].file) {
    return BadFd();
  }
  return InstallLocked(slots_[fd].file, cloexec, min_fd);
}

absl::Status FdTable::Dup2(int from, int to, bool cloexec) {
  if (to < 0 || to >= limit()) return BadFd();
  std::shared_ptr<File> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (from < 0 || from >= static_cast<int>(slots_.size()) || !slots_[from].file) {
      return BadFd();
    }
    if (from == to) return absl::OkStatus();
    if (to >= static_cast<int>(slots_.size())) slots_.resize(to + 1);
    old = std::move(slots_[to].file);
    slots_[from].file->descriptors_.fetch_add(1);
    slots_[to] = Slot{slots_[from].file, cloexec};
  }
  Release(std::move(old));
  return absl::OkStatus();
}

absl::StatusOr<bool> FdTable::GetCloexec(int fd) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd < 0 || fd >= static_cast<int>(slots_.size()) || !slots_[fd].file) {
    return BadFd();
  }
  return slots_[fd].cloexec;
}

absl::Status FdTable::SetCloexec(int fd, bool cloexec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd < 0 || fd >= static_cast<int>(slots_.size()) || !slots_[fd].file) {
    return BadFd();
  }
  slots_[fd].cloexec = cloexec;
  return absl::OkStatus();
}

void FdTable::CloseFrom(int from) {
  std::vector<std::shared_ptr<File>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd = std::max(from, 0); fd < static_cast<int>(slots_.size()); ++fd) {
      if (slots_[fd].file) closing.push_back(std::move(slots_[fd].file));
      slots_[fd] = Slot{};
    }
  }
  for (auto& f : closing) Release(std::move(f));
}

int FdTable::MaxFd() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd = static_cast<int>(slots_.size()) - 1; fd >= 0; --fd) {
    if (slots_[fd].file) return fd;
  }
  return -1;
}

void FdTable::CopyFrom(const FdTable& other) {
  std::vector<Slot> copy;
  {
    // Counted under the other table's lock, so that a close there cannot
    // see the count reach zero while this copy still refers to the file.
    std::lock_guard<std::mutex> lock(other.mu_);
    copy = other.slots_;
    for (Slot& s : copy) {
      if (s.file) s.file->descriptors_.fetch_add(1);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  slots_ = std::move(copy);
}

std::vector<FdTable::Entry> FdTable::Entries() const {
  std::vector<Entry> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd = 0; fd < static_cast<int>(slots_.size()); ++fd) {
    const Slot& s = slots_[fd];
    if (!s.file) continue;
    out.push_back(Entry{fd, s.file, s.cloexec, s.file->descriptors_.load()});
  }
  return out;
}

}  // namespace rump
