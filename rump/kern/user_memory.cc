#include "rump/kern/user_memory.h"

#include <cstring>

#include "rump/abi/errno.h"

namespace rump {
namespace {

bool Reachable(UserAddr addr, size_t n) {
  if (n == 0) return true;
  return addr != 0 && addr + n > addr;  // no NULL, no wrap-around
}

}  // namespace

DirectUserMemory& DirectUserMemory::Get() {
  static DirectUserMemory* memory = new DirectUserMemory;
  return *memory;
}

absl::Status DirectUserMemory::CopyIn(UserAddr from, void* to, size_t n) {
  if (!Reachable(from, n)) return abi::Errno(abi::kEFAULT);
  if (n) std::memcpy(to, reinterpret_cast<const void*>(from), n);
  return absl::OkStatus();
}

absl::Status DirectUserMemory::CopyOut(const void* from, UserAddr to, size_t n) {
  if (!Reachable(to, n)) return abi::Errno(abi::kEFAULT);
  if (n) std::memcpy(reinterpret_cast<void*>(to), from, n);
  return absl::OkStatus();
}

absl::StatusOr<std::string> DirectUserMemory::CopyInString(UserAddr from,
                                                           size_t max) {
  if (from == 0) return abi::Errno(abi::kEFAULT);
  const char* p = reinterpret_cast<const char*>(from);
  const size_t len = strnlen(p, max);
  if (len == max) return abi::Errno(abi::kENAMETOOLONG);
  return std::string(p, len);
}

absl::StatusOr<size_t> DirectUserMemory::CopyOutString(const std::string& s,
                                                       UserAddr to, size_t max) {
  if (max == 0) return abi::Errno(abi::kENAMETOOLONG);
  if (!Reachable(to, max)) return abi::Errno(abi::kEFAULT);
  const size_t n = std::min(s.size(), max - 1);
  char* p = reinterpret_cast<char*>(to);
  std::memcpy(p, s.data(), n);
  p[n] = '\0';
  if (n < s.size()) return abi::Errno(abi::kENAMETOOLONG);
  return n + 1;
}

}  // namespace rump
