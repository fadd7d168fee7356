// The system call layer's vocabulary: arguments as NetBSD passes them (one
// 64-bit slot per argument), the context a handler runs in, its result, and
// the table that maps NetBSD syscall numbers to handlers.
#ifndef RUMP_KERN_SYSCALL_H_
#define RUMP_KERN_SYSCALL_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "rump/kern/user_memory.h"

namespace rump {

class CallInterrupt;
class Kernel;
class Process;

// The argument slots of one call. Slots the caller did not send read as 0.
class SyscallArgs {
 public:
  explicit SyscallArgs(absl::Span<const uint64_t> slots) : slots_(slots) {}
  uint64_t U64(size_t i) const { return i < slots_.size() ? slots_[i] : 0; }
  int64_t I64(size_t i) const { return static_cast<int64_t>(U64(i)); }
  // C `int` and `u_int` arguments occupy the low 32 bits of their slot.
  int Int(size_t i) const { return static_cast<int32_t>(U64(i)); }
  uint32_t UInt(size_t i) const { return static_cast<uint32_t>(U64(i)); }
  UserAddr Ptr(size_t i) const { return U64(i); }
  size_t Size(size_t i) const { return static_cast<size_t>(U64(i)); }
  size_t count() const { return slots_.size(); }

 private:
  absl::Span<const uint64_t> slots_;
};

// Who is calling: the kernel, the calling process, and its memory.
struct SyscallContext {
  Kernel& kernel;
  Process& process;
  UserMemory& mem;
  // The call's own interrupt (a remote client's signal), or none.
  CallInterrupt* interrupt = nullptr;
};

// The two return registers of a successful call.
struct SyscallReturn {
  int64_t rv0 = 0;
  int64_t rv1 = 0;
};

// What the ABI edge sees: a NetBSD errno (0 on success) and the registers.
struct SyscallResult {
  int error = 0;
  int64_t rv0 = 0;
  int64_t rv1 = 0;
};

using SyscallHandler =
    std::function<absl::StatusOr<SyscallReturn>(SyscallContext&, const SyscallArgs&)>;

// NetBSD syscall number -> handler. Filled while the kernel boots (by the
// kernel itself and by its components), read-only afterwards.
class SyscallTable {
 public:
  SyscallTable();
  // Registers `handler` for `number` (0 <= number < abi::kSysNumEntries),
  // replacing any earlier one.
  void Register(int number, SyscallHandler handler);
  // The handler, or nullptr (the caller answers ENOSYS).
  const SyscallHandler* Find(int number) const;

 private:
  std::vector<SyscallHandler> handlers_;
};

}  // namespace rump

#endif  // RUMP_KERN_SYSCALL_H_
