// librump's rump_sys_* wrappers: each marshals its arguments into NetBSD's
// 64-bit argument slots and runs the call in the calling thread's process of
// the process-wide kernel. The wrappers themselves are in syscall_table.inc
// (shared with librumpclient); this file is their in-process "sink".
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>

#include "absl/types/span.h"
#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"

namespace rump::capi {
namespace {

// One argument slot, extended as NetBSD's ABI passes a register: signed
// integers sign-extended, unsigned ones and pointers zero-extended.
inline uint64_t Slot(int v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }
inline uint64_t Slot(long v) { return static_cast<uint64_t>(v); }
inline uint64_t Slot(unsigned v) { return v; }
inline uint64_t Slot(unsigned long v) { return v; }
inline uint64_t Slot(const volatile void* p) { return reinterpret_cast<uintptr_t>(p); }

inline SyscallResult Invoke(int number, std::initializer_list<uint64_t> slots) {
  Kernel* k = TheKernel();
  if (k == nullptr) return SyscallResult{abi::kENXIO, 0, 0};
  return k->Syscall(number, absl::MakeConstSpan(slots.begin(), slots.size()));
}

// NetBSD's convention: -1 and errno on failure; rv0 and errno = 0 on success.
inline int64_t WithErrno(const SyscallResult& r) {
  if (r.error != 0) {
    errno = r.error;
    return -1;
  }
  errno = 0;
  return r.rv0;
}

// Calls that cannot fail (NOERR: getpid, getuid, ...) leave errno alone;
// only the missing kernel is reported.
inline int64_t NoErrno(const SyscallResult& r) {
  if (r.error != 0) {
    errno = r.error;
    return -1;
  }
  return r.rv0;
}

// reboot halted the kernel; then, as NetBSD's in-process kernel does, the
// host process exits (RB_DUMP: aborts) unless RB_HALT asked to stay.
inline void AfterReboot(int opt) {
  if (opt & RUMP_RB_DUMP) std::abort();
  if (!(opt & RUMP_RB_HALT)) std::exit(0);
}

}  // namespace
}  // namespace rump::capi

using rump::capi::AfterReboot;
using rump::capi::Invoke;
using rump::capi::NoErrno;
using rump::capi::Slot;
using rump::capi::WithErrno;
namespace nbabi = rump::abi;

#include "capi/syscall_table.inc"
