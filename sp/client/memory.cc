#include "sp/client/memory.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace sp::client {
namespace {

// Cleared when the kernel refuses process_vm_*v (ENOSYS, EPERM).
std::atomic<bool> g_use_vm{true};

bool Unsupported(int e) { return e == ENOSYS || e == EPERM; }

// One process_vm call, looped over partial transfers. Returns the bytes moved
// (less than len at a bad address), or -1 if the call is unsupported.
ssize_t VmCopy(bool write, uint64_t addr, char* local, size_t len) {
  size_t done = 0;
  const pid_t self = getpid();
  while (done < len) {
    struct iovec l = {local + done, len - done};
    struct iovec r = {reinterpret_cast<void*>(uintptr_t(addr + done)), len - done};
    const ssize_t n = write ? process_vm_writev(self, &l, 1, &r, 1, 0)
                            : process_vm_readv(self, &l, 1, &r, 1, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done == 0 && Unsupported(errno)) return -1;
      break;
    }
    if (n == 0) break;
    done += size_t(n);
  }
  return ssize_t(done);
}

}  // namespace

bool ReadOwnMemory(uint64_t addr, size_t len, char* out) {
  if (len == 0) return true;
  if (g_use_vm.load(std::memory_order_relaxed)) {
    const ssize_t n = VmCopy(false, addr, out, len);
    if (n >= 0) return size_t(n) == len;
    g_use_vm.store(false, std::memory_order_relaxed);
  }
  std::memcpy(out, reinterpret_cast<const void*>(uintptr_t(addr)), len);
  return true;
}

bool WriteOwnMemory(uint64_t addr, absl::string_view data) {
  if (data.empty()) return true;
  if (g_use_vm.load(std::memory_order_relaxed)) {
    const ssize_t n = VmCopy(true, addr, const_cast<char*>(data.data()), data.size());
    if (n >= 0) return size_t(n) == data.size();
    g_use_vm.store(false, std::memory_order_relaxed);
  }
  std::memcpy(reinterpret_cast<void*>(uintptr_t(addr)), data.data(), data.size());
  return true;
}

std::string ReadOwnString(uint64_t addr, size_t maxlen) {
  static const size_t kPage = size_t(sysconf(_SC_PAGESIZE));
  std::string s;
  char buf[4096];
  while (s.size() < maxlen) {
    // Never read across a page boundary past the NUL: the next page may
    // not exist.
    const uint64_t at = addr + s.size();
    size_t chunk = std::min({maxlen - s.size(), size_t(kPage - at % kPage), sizeof(buf)});
    if (!ReadOwnMemory(at, chunk, buf)) {
      // Take the readable prefix byte by byte.
      for (size_t i = 0; i < chunk; ++i) {
        char c;
        if (!ReadOwnMemory(at + i, 1, &c)) return s;
        s.push_back(c);
        if (c == '\0') return s;
      }
      continue;
    }
    const void* nul = std::memchr(buf, '\0', chunk);
    if (nul != nullptr) {
      s.append(buf, size_t(static_cast<const char*>(nul) - buf) + 1);
      return s;
    }
    s.append(buf, chunk);
  }
  return s;
}

}  // namespace sp::client
