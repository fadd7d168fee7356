// UserMemory: the one way kernel code reaches the memory of the process that
// made a system call (NetBSD's copyin/copyout/copyinstr/copyoutstr).
//
// Implementations: DirectUserMemory (the caller shares our address space: the
// in-process C API), and, in sp/, memory reached over a remote connection.
// Every method fails with EFAULT (as an absl::Status from abi::Errno) for an
// address it cannot reach; none of them crashes on a bad address it can
// detect (NULL and wrap-around are detected; a wild pointer in the
// in-process case is the caller's own bug, as in NetBSD).
#ifndef RUMP_KERN_USER_MEMORY_H_
#define RUMP_KERN_USER_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rump {

// A user-space address, as it travels in a syscall argument slot.
using UserAddr = uint64_t;

class UserMemory {
 public:
  virtual ~UserMemory() = default;

  virtual absl::Status CopyIn(UserAddr from, void* to, size_t n) = 0;
  virtual absl::Status CopyOut(const void* from, UserAddr to, size_t n) = 0;

  // Copies a NUL-terminated string of at most `max` bytes including the NUL.
  // ENAMETOOLONG if no NUL is found within `max` bytes.
  virtual absl::StatusOr<std::string> CopyInString(UserAddr from, size_t max) = 0;

  // Copies `s` and a NUL, truncated to `max` bytes (the last being the NUL);
  // ENAMETOOLONG when it had to truncate. Returns the bytes copied.
  virtual absl::StatusOr<size_t> CopyOutString(const std::string& s, UserAddr to,
                                                size_t max) = 0;
};

// User memory that is this process's own memory.
class DirectUserMemory final : public UserMemory {
 public:
  absl::Status CopyIn(UserAddr from, void* to, size_t n) override;
  absl::Status CopyOut(const void* from, UserAddr to, size_t n) override;
  absl::StatusOr<std::string> CopyInString(UserAddr from, size_t max) override;
  absl::StatusOr<size_t> CopyOutString(const std::string& s, UserAddr to,
                                        size_t max) override;

  // The shared instance (it has no state).
  static DirectUserMemory& Get();
};

// Typed helpers over any UserMemory.
template <typename T>
absl::StatusOr<T> CopyInValue(UserMemory& mem, UserAddr from) {
  T v;
  if (absl::Status s = mem.CopyIn(from, &v, sizeof(v)); !s.ok()) return s;
  return v;
}
template <typename T>
absl::Status CopyOutValue(UserMemory& mem, const T& v, UserAddr to) {
  return mem.CopyOut(&v, to, sizeof(v));
}

}  // namespace rump

#endif  // RUMP_KERN_USER_MEMORY_H_
