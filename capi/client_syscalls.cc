// librumpclient's rump_sys_* wrappers: the same wrappers as librump's
// (syscall_table.inc), with a "sink" that sends each call to the server.
//
// Argument slots are built as NetBSD's client stubs build them: every slot
// zero-filled and a narrow value stored in its low bytes, NOT sign-extended
// (int -1 is ff ff ff ff 00 00 00 00 on the wire, AT_FDCWD 9c ff ff ff 00
// 00 00 00), so a server reading the slot as 32 bits gets the value and one
// reading all 64 sees what NetBSD's client would send.
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <initializer_list>

#include "capi/rumpclient_internal.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"

namespace rump::capi::client {
namespace {

inline uint64_t Slot(int v) { return static_cast<uint32_t>(v); }
inline uint64_t Slot(long v) { return static_cast<uint64_t>(v); }
inline uint64_t Slot(unsigned v) { return v; }
inline uint64_t Slot(unsigned long v) { return v; }
inline uint64_t Slot(const volatile void* p) { return reinterpret_cast<uintptr_t>(p); }

inline RemoteResult Invoke(int number, std::initializer_list<uint64_t> slots) {
  return RemoteSyscall(number, slots);
}

// NetBSD's convention: -1 and errno on failure; rv0 and errno = 0 on success.
inline int64_t WithErrno(const RemoteResult& r) {
  if (r.error != 0) {
    errno = r.error;
    return -1;
  }
  errno = 0;
  return r.rv0;
}

// Calls that cannot fail (NOERR: getpid, getuid, ...) leave errno alone;
// only a failed connection is reported.
inline int64_t NoErrno(const RemoteResult& r) {
  if (r.error != 0) {
    errno = r.error;
    return -1;
  }
  return r.rv0;
}

// The server halts (and, unless RB_HALT, exits); this process carries on,
// as NetBSD's client stub does.
inline void AfterReboot(int) {}

}  // namespace
}  // namespace rump::capi::client

using rump::capi::client::AfterReboot;
using rump::capi::client::Invoke;
using rump::capi::client::NoErrno;
using rump::capi::client::Slot;
using rump::capi::client::WithErrno;
namespace nbabi = rump::abi;

#include "capi/syscall_table.inc"
