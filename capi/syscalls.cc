// The rump_sys_* wrappers: each marshals its arguments into NetBSD's 64-bit
// argument slots and runs the call in the calling thread's process of the
// process-wide kernel. Their link names (rump___sysimpl_*) come from the
// __asm__ labels in <rump/rump_syscalls.h>.
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

}  // namespace
}  // namespace rump::capi

using rump::capi::Invoke;
using rump::capi::NoErrno;
using rump::capi::Slot;
using rump::capi::WithErrno;
namespace nbabi = rump::abi;

// SYSn(convention, return type, name, syscall number, argument types...)
// defines rump_sys_<name> taking n arguments.
#define SYS0(CONV, R, NAME, NUM) \
  R rump_sys_##NAME(void) { return static_cast<R>(CONV(Invoke(NUM, {}))); }
#define SYS1(CONV, R, NAME, NUM, T1) \
  R rump_sys_##NAME(T1 a1) { return static_cast<R>(CONV(Invoke(NUM, {Slot(a1)}))); }
#define SYS2(CONV, R, NAME, NUM, T1, T2)                                    \
  R rump_sys_##NAME(T1 a1, T2 a2) {                                          \
    return static_cast<R>(CONV(Invoke(NUM, {Slot(a1), Slot(a2)})));          \
  }
#define SYS3(CONV, R, NAME, NUM, T1, T2, T3)                                \
  R rump_sys_##NAME(T1 a1, T2 a2, T3 a3) {                                   \
    return static_cast<R>(CONV(Invoke(NUM, {Slot(a1), Slot(a2), Slot(a3)}))); \
  }
#define SYS4(CONV, R, NAME, NUM, T1, T2, T3, T4)                                      \
  R rump_sys_##NAME(T1 a1, T2 a2, T3 a3, T4 a4) {                                      \
    return static_cast<R>(CONV(Invoke(NUM, {Slot(a1), Slot(a2), Slot(a3), Slot(a4)}))); \
  }
#define SYS5(CONV, R, NAME, NUM, T1, T2, T3, T4, T5)                              \
  R rump_sys_##NAME(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5) {                           \
    return static_cast<R>(                                                         \
        CONV(Invoke(NUM, {Slot(a1), Slot(a2), Slot(a3), Slot(a4), Slot(a5)})));    \
  }
#define SYS6(CONV, R, NAME, NUM, T1, T2, T3, T4, T5, T6)                                \
  R rump_sys_##NAME(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6) {                         \
    return static_cast<R>(CONV(                                                          \
        Invoke(NUM, {Slot(a1), Slot(a2), Slot(a3), Slot(a4), Slot(a5), Slot(a6)})));     \
  }

extern "C" {

// Descriptors and I/O.
SYS3(WithErrno, ssize_t, read, nbabi::kSysRead, int, void*, size_t)
SYS3(WithErrno, ssize_t, write, nbabi::kSysWrite, int, const void*, size_t)
SYS3(WithErrno, ssize_t, readv, nbabi::kSysReadv, int, const struct iovec*, int)
SYS3(WithErrno, ssize_t, writev, nbabi::kSysWritev, int, const struct iovec*, int)
SYS1(WithErrno, int, close, nbabi::kSysClose, int)
SYS1(WithErrno, int, dup, nbabi::kSysDup, int)
SYS2(WithErrno, int, dup2, nbabi::kSysDup2, int, int)
SYS3(WithErrno, int, dup3, nbabi::kSysDup3, int, int, int)
SYS2(WithErrno, int, pipe2, nbabi::kSysPipe2, int*, int)
SYS3(WithErrno, int, poll, nbabi::kSysPoll, struct pollfd*, unsigned int, int)
SYS4(WithErrno, int, pollts, nbabi::kSysPollts, struct pollfd*, unsigned int,
     const struct timespec*, const sigset_t*)
SYS5(WithErrno, int, select, nbabi::kSysSelect, int, fd_set*, fd_set*, fd_set*,
     struct timeval*)

// Processes and credentials.
SYS0(NoErrno, pid_t, getpid, nbabi::kSysGetpid)
SYS0(NoErrno, pid_t, getppid, nbabi::kSysGetppid)
SYS0(NoErrno, uid_t, getuid, nbabi::kSysGetuid)
SYS0(NoErrno, uid_t, geteuid, nbabi::kSysGeteuid)
SYS0(NoErrno, gid_t, getgid, nbabi::kSysGetgid)
SYS0(NoErrno, gid_t, getegid, nbabi::kSysGetegid)
SYS1(WithErrno, int, setuid, nbabi::kSysSetuid, uid_t)

// Sockets.
SYS3(WithErrno, int, socket, nbabi::kSysSocket, int, int, int)
SYS4(WithErrno, int, socketpair, nbabi::kSysSocketpair, int, int, int, int*)
SYS3(WithErrno, int, bind, nbabi::kSysBind, int, const struct sockaddr*, unsigned int)
SYS3(WithErrno, int, connect, nbabi::kSysConnect, int, const struct sockaddr*, unsigned int)
SYS2(WithErrno, int, listen, nbabi::kSysListen, int, int)
SYS3(WithErrno, int, accept, nbabi::kSysAccept, int, struct sockaddr*, unsigned int*)
SYS3(WithErrno, int, getsockname, nbabi::kSysGetsockname, int, struct sockaddr*,
     unsigned int*)
SYS3(WithErrno, int, getpeername, nbabi::kSysGetpeername, int, struct sockaddr*,
     unsigned int*)
SYS6(WithErrno, ssize_t, sendto, nbabi::kSysSendto, int, const void*, size_t, int,
     const struct sockaddr*, unsigned int)
SYS6(WithErrno, ssize_t, recvfrom, nbabi::kSysRecvfrom, int, void*, size_t, int,
     struct sockaddr*, unsigned int*)
SYS3(WithErrno, ssize_t, sendmsg, nbabi::kSysSendmsg, int, const struct msghdr*, int)
SYS3(WithErrno, ssize_t, recvmsg, nbabi::kSysRecvmsg, int, struct msghdr*, int)
SYS5(WithErrno, int, setsockopt, nbabi::kSysSetsockopt, int, int, int, const void*,
     unsigned int)
SYS5(WithErrno, int, getsockopt, nbabi::kSysGetsockopt, int, int, int, void*, unsigned int*)
SYS2(WithErrno, int, shutdown, nbabi::kSysShutdown, int, int)

// System.
SYS6(WithErrno, int, __sysctl, nbabi::kSysSysctl, const int*, unsigned int, void*, size_t*,
     const void*, size_t)
SYS2(WithErrno, int, clock_gettime, nbabi::kSysClockGettime, clockid_t, struct timespec*)
SYS2(WithErrno, int, gettimeofday, nbabi::kSysGettimeofday, struct timeval*, void*)
SYS2(WithErrno, int, nanosleep, nbabi::kSysNanosleep, const struct timespec*,
     struct timespec*)

// The variadic ones take their optional argument as NetBSD's stubs do.
int rump_sys_open(const char* path, int flags, ...) {
  unsigned int mode = 0;
  if (flags & RUMP_O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, unsigned int);  // mode_t, promoted
    va_end(ap);
  }
  return static_cast<int>(
      WithErrno(Invoke(nbabi::kSysOpen, {Slot(path), Slot(flags), Slot(mode)})));
}

int rump_sys_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);  // an int or a pointer; the kernel knows which
  va_end(ap);
  return static_cast<int>(
      WithErrno(Invoke(nbabi::kSysFcntl, {Slot(fd), Slot(cmd), Slot(arg)})));
}

int rump_sys_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* data = va_arg(ap, void*);
  va_end(ap);
  return static_cast<int>(
      WithErrno(Invoke(nbabi::kSysIoctl, {Slot(fd), Slot(request), Slot(data)})));
}

// pipe returns both descriptors in the return registers.
int rump_sys_pipe(int fd[2]) {
  if (fd == nullptr) {
    errno = nbabi::kEFAULT;
    return -1;
  }
  const rump::SyscallResult r = Invoke(nbabi::kSysPipe, {});
  if (WithErrno(r) == -1) return -1;
  fd[0] = static_cast<int>(r.rv0);
  fd[1] = static_cast<int>(r.rv1);
  return 0;
}

// reboot halts the kernel; then, as NetBSD's in-process kernel does, the
// host process exits (RB_DUMP: aborts) unless RB_HALT asked to stay.
int rump_sys_reboot(int opt, char* bootstr) {
  if (WithErrno(Invoke(nbabi::kSysReboot, {Slot(opt), Slot(bootstr)})) == -1) return -1;
  if (opt & RUMP_RB_DUMP) std::abort();
  if (!(opt & RUMP_RB_HALT)) std::exit(0);
  return 0;
}

}  // extern "C"
