// The client's own memory as the server reaches it (COPYIN, COPYINSTR,
// COPYOUT): addresses come from the server, so every access goes through
// process_vm_readv/process_vm_writev on this process, which reports a bad
// address as an error instead of crashing. Where the kernel refuses those
// calls (seccomp), falls back to plain copies, trusting the server as
// NetBSD's client does.
#ifndef RUMP_SP_CLIENT_MEMORY_H_
#define RUMP_SP_CLIENT_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sp::client {

// Reads `len` bytes at `addr` into `out`; false if any of them is not
// readable.
bool ReadOwnMemory(uint64_t addr, size_t len, char* out);

// Writes `data` at `addr`; false if any byte is not writable (bytes before
// the bad one may have been written).
bool WriteOwnMemory(uint64_t addr, absl::string_view data);

// The NUL-terminated string at `addr` as NetBSD's client answers COPYINSTR:
// the string with its NUL if that fits in `maxlen` bytes, else the first
// `maxlen` bytes. Stops early (without a NUL) at an unreadable byte.
std::string ReadOwnString(uint64_t addr, size_t maxlen);

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_MEMORY_H_
