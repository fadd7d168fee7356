// ResourceLimits: a process's resource limits, NetBSD's struct plimit: the
// twelve RLIMIT_* soft/hard pairs and the core file name, as getrlimit(2),
// setrlimit(2) and the proc.curproc sysctl subtree show and change them.
//
// A new process starts with a copy of its parent's limits (fork); the first
// processes start with Defaults(). Set applies NetBSD's dosetrlimit rules:
// EINVAL for an unknown limit or a soft value above the hard one, EPERM for
// raising a hard limit without privilege, and the descriptor limits capped
// at what a descriptor table can hold.
//
// What is enforced: RLIMIT_NOFILE (a process cannot open descriptors at or
// above its soft limit; Process applies it to its table) and RLIMIT_SBSIZE
// (the socket buffer memory charged to the process's SocketBufferAccount,
// socket_buffer_account.h: per process, not per uid as in NetBSD). The
// others are kept, reported and inherited only: a rump kernel runs no user
// code of its own, so CPU time, memory, stack and core sizes have nothing
// to bound; process/thread counts are not accounted.
//
// Thread-safe.
#ifndef RUMP_KERN_RESOURCE_LIMITS_H_
#define RUMP_KERN_RESOURCE_LIMITS_H_

#include <array>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rump/abi/resource.h"

namespace rump {

class ResourceLimits {
 public:
  // The limits of the first processes: RLIMIT_NOFILE soft and hard at the
  // descriptor table's capacity (FdTable::kMaxDescriptors), the rest as a
  // NetBSD 7.99.34 rump kernel gives its processes (stack 4 MiB / 128 MiB,
  // memorylocked 170 MiB / 512 MiB, maxproc 160 / 532, maxlwp 160 / 2048,
  // everything else unlimited), core file name "rumpdump".
  static ResourceLimits Defaults();

  ResourceLimits(const ResourceLimits& other);
  ResourceLimits& operator=(const ResourceLimits& other);

  // Limit `which` (abi::kRlimit*); EINVAL for a number out of range.
  absl::StatusOr<abi::Rlimit> Get(int which) const;
  // Sets limit `which` as setrlimit(2) does. `privileged`: the caller may
  // raise hard limits (euid 0). Values above a cap (the descriptor table's
  // size for RLIMIT_NOFILE) are lowered to it, as NetBSD lowers them to
  // maxfiles.
  absl::Status Set(int which, abi::Rlimit value, bool privileged);

  // The core file name (proc.curproc.corename). SetCorename takes what
  // NetBSD takes: "core", or a name ending in "/core" or ".core", at most
  // 1023 bytes; EINVAL otherwise.
  std::string corename() const;
  absl::Status SetCorename(std::string name);

 private:
  ResourceLimits() = default;

  mutable std::mutex mu_;
  std::array<abi::Rlimit, abi::kRlimNlimits> limits_{};  // guarded by mu_
  std::string corename_;                                 // guarded by mu_
};

}  // namespace rump

#endif  // RUMP_KERN_RESOURCE_LIMITS_H_
