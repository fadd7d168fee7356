#include "rump/kern/syscall.h"

#include "rump/abi/syscalls.h"

namespace rump {

SyscallTable::SyscallTable() : handlers_(abi::kSysNumEntries) {}

void SyscallTable::Register(int number, SyscallHandler handler) {
  if (number < 0 || number >= abi::kSysNumEntries) return;
  handlers_[number] = std::move(handler);
}

const SyscallHandler* SyscallTable::Find(int number) const {
  if (number < 0 || number >= abi::kSysNumEntries) return nullptr;
  const SyscallHandler& h = handlers_[number];
  return h ? &h : nullptr;
}

}  // namespace rump
