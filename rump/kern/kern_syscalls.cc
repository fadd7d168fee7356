#include "rump/kern/kern_syscalls.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/resource.h"
#include "rump/abi/stat.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/iov.h"
#include "rump/kern/kernel.h"
#include "rump/kern/pipe.h"
#include "rump/kern/privilege.h"
#include "rump/kern/sleep.h"

namespace rump {
namespace {

using Result = absl::StatusOr<SyscallReturn>;

constexpr int kClockRealtime = 0;
constexpr int kClockMonotonic = 3;

SyscallReturn Ret(int64_t rv0, int64_t rv1 = 0) { return SyscallReturn{rv0, rv1}; }

absl::StatusOr<std::shared_ptr<File>> FileFor(SyscallContext& ctx, int fd) {
  return ctx.process.fds().Get(fd);
}

Result DoRead(SyscallContext& ctx, int fd, absl::Span<const UserIoVec> iov) {
  absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, fd);
  if (!f.ok()) return f.status();
  if (((*f)->flags() & abi::kO_ACCMODE) == abi::kO_WRONLY) return abi::Errno(abi::kEBADF);
  absl::StatusOr<size_t> n = (*f)->Read(ctx, iov);
  if (!n.ok()) return n.status();
  return Ret(int64_t(*n));
}

Result DoWrite(SyscallContext& ctx, int fd, absl::Span<const UserIoVec> iov) {
  absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, fd);
  if (!f.ok()) return f.status();
  if (((*f)->flags() & abi::kO_ACCMODE) == abi::kO_RDONLY) return abi::Errno(abi::kEBADF);
  absl::StatusOr<size_t> n = (*f)->Write(ctx, iov);
  if (!n.ok()) return n.status();
  return Ret(int64_t(*n));
}

// sys_ioctl: the generic part of every ioctl. The argument is copied in and
// out by the length and direction the command encodes; the file sees a
// kernel buffer.
Result Ioctl(SyscallContext& ctx, const SyscallArgs& a) {
  const int fd = a.Int(0);
  const uint64_t cmd = a.U64(1) & 0xffffffffu;  // u_long, 32 bits used
  const UserAddr data = a.Ptr(2);
  absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, fd);
  if (!f.ok()) return f.status();
  if (cmd == abi::kFIOCLEX || cmd == abi::kFIONCLEX) {
    if (absl::Status s = ctx.process.fds().SetCloexec(fd, cmd == abi::kFIOCLEX); !s.ok()) {
      return s;
    }
    return Ret(0);
  }
  const uint32_t len = abi::IoctlLength(cmd);
  if (len > abi::kIocParmMax) return abi::Errno(abi::kENOTTY);
  std::vector<uint8_t> buf(std::max<uint32_t>(len, 8), 0);
  if (abi::IoctlIn(cmd) && len > 0) {
    if (absl::Status s = ctx.mem.CopyIn(data, buf.data(), len); !s.ok()) return s;
  } else if (!abi::IoctlOut(cmd) || len == 0) {
    std::memcpy(buf.data(), &data, sizeof(data));  // the pointer value itself
  }
  if (cmd == abi::kFIONBIO) {
    int on;
    std::memcpy(&on, buf.data(), sizeof(on));
    const int flags = (*f)->flags();
    (*f)->SetStatusFlags(on ? flags | abi::kO_NONBLOCK : flags & ~abi::kO_NONBLOCK);
    return Ret(0);
  }
  absl::Status s = (*f)->Ioctl(ctx, cmd, absl::MakeSpan(buf.data(), len ? len : 8));
  if (!s.ok()) return s;
  if (abi::IoctlOut(cmd) && len > 0) {
    if (absl::Status c = ctx.mem.CopyOut(buf.data(), data, len); !c.ok()) return c;
  }
  return Ret(0);
}

// __fstat50: the file's type and mode (StatMode), its owner (the process's
// effective ids), and the rest zero. Files without a mode: EOPNOTSUPP.
Result Fstat(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, a.Int(0));
  if (!f.ok()) return f.status();
  const uint32_t mode = (*f)->StatMode();
  if (mode == 0) return abi::Errno(abi::kEOPNOTSUPP);
  uint8_t st[abi::kStatSize] = {};
  const Credentials c = ctx.process.credentials();
  const uint32_t nlink = 1;
  std::memcpy(st + abi::kStModeOff, &mode, 4);
  std::memcpy(st + abi::kStNlinkOff, &nlink, 4);
  std::memcpy(st + abi::kStUidOff, &c.euid, 4);
  std::memcpy(st + abi::kStGidOff, &c.egid, 4);
  if (absl::Status s = ctx.mem.CopyOut(st, a.Ptr(1), sizeof(st)); !s.ok()) return s;
  return Ret(0);
}

Result Fcntl(SyscallContext& ctx, const SyscallArgs& a) {
  const int fd = a.Int(0), cmd = a.Int(1);
  FdTable& fds = ctx.process.fds();
  if (cmd == abi::kF_CLOSEM) {
    if (fd < 0) return abi::Errno(abi::kEBADF);
    fds.CloseFrom(fd);
    return Ret(0);
  }
  if (cmd == abi::kF_MAXFD) return Ret(fds.MaxFd());
  absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, fd);
  if (!f.ok()) return f.status();
  switch (cmd) {
    case abi::kF_DUPFD:
    case abi::kF_DUPFD_CLOEXEC: {
      const int min = a.Int(2);
      if (min < 0 || min >= fds.limit()) return abi::Errno(abi::kEINVAL);
      absl::StatusOr<int> nfd = fds.Dup(fd, min, cmd == abi::kF_DUPFD_CLOEXEC);
      if (!nfd.ok()) return nfd.status();
      return Ret(*nfd);
    }
    case abi::kF_GETFD: {
      absl::StatusOr<bool> c = fds.GetCloexec(fd);
      if (!c.ok()) return c.status();
      return Ret(*c ? abi::kFD_CLOEXEC : 0);
    }
    case abi::kF_SETFD: {
      absl::Status s = fds.SetCloexec(fd, (a.Int(2) & abi::kFD_CLOEXEC) != 0);
      if (!s.ok()) return s;
      return Ret(0);
    }
    case abi::kF_GETFL:
      return Ret((*f)->flags());
    case abi::kF_SETFL:
      (*f)->SetStatusFlags(a.Int(2));
      return Ret(0);
    default:
      return abi::Errno(abi::kEINVAL);
  }
}

Result Dup3(SyscallContext& ctx, int from, int to, int flags) {
  if (flags & ~abi::kO_CLOEXEC) return abi::Errno(abi::kEINVAL);
  if (absl::Status s = ctx.process.fds().Dup2(from, to, (flags & abi::kO_CLOEXEC) != 0);
      !s.ok()) {
    return s;
  }
  return Ret(to);
}

Result ClockGettime(SyscallContext& ctx, const SyscallArgs& a) {
  const int id = a.Int(0);
  struct timespec ts;
  if (id == kClockRealtime) {
    clock_gettime(CLOCK_REALTIME, &ts);
  } else if (id == kClockMonotonic) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
  } else {
    return abi::Errno(abi::kEINVAL);
  }
  const int64_t out[2] = {int64_t(ts.tv_sec), int64_t(ts.tv_nsec)};  // NetBSD timespec
  if (absl::Status s = ctx.mem.CopyOut(out, a.Ptr(1), sizeof(out)); !s.ok()) return s;
  return Ret(0);
}

// getrlimit(which, struct rlimit *) and setrlimit(which, const struct
// rlimit *), as NetBSD's sys_getrlimit/sys_setrlimit.
Result Getrlimit(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<abi::Rlimit> l = ctx.process.limits().Get(a.Int(0));
  if (!l.ok()) return l.status();
  if (absl::Status s = ctx.mem.CopyOut(&*l, a.Ptr(1), sizeof(*l)); !s.ok()) return s;
  return Ret(0);
}

Result Setrlimit(SyscallContext& ctx, const SyscallArgs& a) {
  abi::Rlimit l;
  if (absl::Status s = ctx.mem.CopyIn(a.Ptr(1), &l, sizeof(l)); !s.ok()) return s;
  const bool privileged = privilege::IsRoot(ctx.process.credentials());
  if (absl::Status s = ctx.process.SetLimit(a.Int(0), l, privileged); !s.ok()) return s;
  return Ret(0);
}

Result Gettimeofday(SyscallContext& ctx, const SyscallArgs& a) {
  if (a.Ptr(0) != 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint8_t tv[16] = {};  // int64 tv_sec, int32 tv_usec, 4 bytes padding
    const int64_t sec = ts.tv_sec;
    const int32_t usec = int32_t(ts.tv_nsec / 1000);
    std::memcpy(tv, &sec, 8);
    std::memcpy(tv + 8, &usec, 4);
    if (absl::Status s = ctx.mem.CopyOut(tv, a.Ptr(0), sizeof(tv)); !s.ok()) return s;
  }
  if (a.Ptr(1) != 0) {
    const int32_t tz[2] = {0, 0};
    if (absl::Status s = ctx.mem.CopyOut(tz, a.Ptr(1), sizeof(tz)); !s.ok()) return s;
  }
  return Ret(0);
}

Result Nanosleep(SyscallContext& ctx, const SyscallArgs& a) {
  int64_t req[2];
  if (absl::Status s = ctx.mem.CopyIn(a.Ptr(0), req, sizeof(req)); !s.ok()) return s;
  if (req[0] < 0 || req[1] < 0 || req[1] >= 1000000000) return abi::Errno(abi::kEINVAL);
  const absl::Duration d = absl::Seconds(req[0]) + absl::Nanoseconds(req[1]);
  const absl::Time end = absl::Now() + d;
  if (absl::Status s = SleepFor(ctx, d); !s.ok()) {
    // Interrupted: NetBSD stores the time left before failing with EINTR.
    if (a.Ptr(1) != 0) {
      const absl::Duration left = std::max(end - absl::Now(), absl::ZeroDuration());
      int64_t rem[2] = {req[0], req[1]};  // a sleep too long to measure
      if (left != absl::InfiniteDuration()) {
        rem[0] = absl::ToInt64Seconds(left);
        rem[1] = absl::ToInt64Nanoseconds(left % absl::Seconds(1));
      }
      (void)ctx.mem.CopyOut(rem, a.Ptr(1), sizeof(rem));
    }
    return s;
  }
  if (a.Ptr(1) != 0) {
    const int64_t rem[2] = {0, 0};
    if (absl::Status s = ctx.mem.CopyOut(rem, a.Ptr(1), sizeof(rem)); !s.ok()) return s;
  }
  return Ret(0);
}

// getgroups(gidsetsize, gidset), as NetBSD's sys_getgroups: the count when
// gidsetsize is 0 (gidset untouched), EINVAL when it is smaller than the
// count (negative included), else the list copied out (EFAULT).
Result Getgroups(SyscallContext& ctx, const SyscallArgs& a) {
  const Credentials c = ctx.process.credentials();
  const int size = a.Int(0);
  if (size == 0) return Ret(c.ngroups);
  if (size < int(c.ngroups)) return abi::Errno(abi::kEINVAL);
  if (c.ngroups > 0) {
    if (absl::Status s = ctx.mem.CopyOut(c.groups.data(), a.Ptr(1), 4 * c.ngroups); !s.ok()) {
      return s;
    }
  }
  return Ret(c.ngroups);
}

// setgroups(gidsetsize, gidset), as NetBSD's sys_setgroups: the list is
// taken first (EINVAL above NGROUPS_MAX or negative, EFAULT), then the
// privilege is asked (EPERM); success marks the process set-ugid even when
// the list is the same.
Result Setgroups(SyscallContext& ctx, const SyscallArgs& a) {
  const size_t len = size_t(int64_t(a.Int(0)));  // a negative int is huge, as NetBSD's size_t
  if (len > size_t(abi::kNgroupsMax)) return abi::Errno(abi::kEINVAL);
  uint32_t list[abi::kNgroupsMax] = {};
  if (len > 0) {
    if (absl::Status s = ctx.mem.CopyIn(a.Ptr(1), list, 4 * len); !s.ok()) return s;
  }
  Credentials c = ctx.process.credentials();
  if (absl::Status s = privilege::SetIds(c); !s.ok()) return s;
  c.SetGroups(absl::MakeConstSpan(list, len));
  ctx.process.set_credentials(c, /*mark_set_ugid=*/true);
  return Ret(0);
}

}  // namespace

void RegisterKernSyscalls(SyscallTable& t) {
  t.Register(abi::kSysGetpid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    return Ret(ctx.process.pid(), ctx.process.ppid());
  });
  t.Register(abi::kSysGetppid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    return Ret(ctx.process.ppid());
  });
  t.Register(abi::kSysGetuid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    const Credentials c = ctx.process.credentials();
    return Ret(c.uid, c.euid);
  });
  t.Register(abi::kSysGeteuid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    return Ret(ctx.process.credentials().euid);
  });
  t.Register(abi::kSysGetgid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    const Credentials c = ctx.process.credentials();
    return Ret(c.gid, c.egid);
  });
  t.Register(abi::kSysGetegid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    return Ret(ctx.process.credentials().egid);
  });
  t.Register(abi::kSysSetuid, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    Credentials c = ctx.process.credentials();
    if (!privilege::IsRoot(c) && uint32_t(a.UInt(0)) != c.uid) return abi::Errno(abi::kEPERM);
    c.uid = c.euid = a.UInt(0);
    ctx.process.set_credentials(c);
    return Ret(0);
  });
  // The unprivileged forms as NetBSD's: an effective id may become the
  // real one; root may set anything (setgid sets both group ids).
  t.Register(abi::kSysSeteuid, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    Credentials c = ctx.process.credentials();
    const uint32_t id = uint32_t(a.UInt(0));
    if (!privilege::IsRoot(c) && id != c.uid) return abi::Errno(abi::kEPERM);
    c.euid = id;
    ctx.process.set_credentials(c);
    return Ret(0);
  });
  t.Register(abi::kSysSetgid, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    Credentials c = ctx.process.credentials();
    const uint32_t id = uint32_t(a.UInt(0));
    if (!privilege::IsRoot(c) && id != c.gid) return abi::Errno(abi::kEPERM);
    c.egid = id;
    if (privilege::IsRoot(c)) c.gid = id;
    ctx.process.set_credentials(c);
    return Ret(0);
  });
  t.Register(abi::kSysSetegid, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    Credentials c = ctx.process.credentials();
    const uint32_t id = uint32_t(a.UInt(0));
    if (!privilege::IsRoot(c) && id != c.gid) return abi::Errno(abi::kEPERM);
    c.egid = id;
    ctx.process.set_credentials(c);
    return Ret(0);
  });
  t.Register(abi::kSysGetgroups, Getgroups);
  t.Register(abi::kSysSetgroups, Setgroups);
  t.Register(abi::kSysIssetugid, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    return Ret(ctx.process.set_ugid() ? 1 : 0);
  });
  t.Register(abi::kSysFstat, Fstat);
  t.Register(abi::kSysClose, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    absl::StatusOr<std::shared_ptr<File>> f = FileFor(ctx, a.Int(0));
    if (!f.ok()) return f.status();
    if (absl::Status s = ctx.process.fds().Close(a.Int(0)); !s.ok()) return s;
    if (!(*f)->has_descriptors()) {
      if (absl::Status s = (*f)->Linger(ctx); !s.ok()) return s;
    }
    return Ret(0);
  });
  t.Register(abi::kSysDup, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    absl::StatusOr<int> fd = ctx.process.fds().Dup(a.Int(0), 0, false);
    if (!fd.ok()) return fd.status();
    return Ret(*fd);
  });
  t.Register(abi::kSysDup2, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    return Dup3(ctx, a.Int(0), a.Int(1), 0);
  });
  t.Register(abi::kSysDup3, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    if (a.Int(0) == a.Int(1)) return abi::Errno(abi::kEINVAL);
    return Dup3(ctx, a.Int(0), a.Int(1), a.Int(2));
  });
  t.Register(abi::kSysFcntl, Fcntl);
  t.Register(abi::kSysIoctl, Ioctl);
  t.Register(abi::kSysRead, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    const UserIoVec v{a.Ptr(1), a.Size(2)};
    return DoRead(ctx, a.Int(0), absl::MakeConstSpan(&v, 1));
  });
  t.Register(abi::kSysWrite, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    const UserIoVec v{a.Ptr(1), a.Size(2)};
    return DoWrite(ctx, a.Int(0), absl::MakeConstSpan(&v, 1));
  });
  t.Register(abi::kSysReadv, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    absl::StatusOr<std::vector<UserIoVec>> iov = CopyInIov(ctx.mem, a.Ptr(1), a.Int(2));
    if (!iov.ok()) return iov.status();
    return DoRead(ctx, a.Int(0), *iov);
  });
  t.Register(abi::kSysWritev, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    absl::StatusOr<std::vector<UserIoVec>> iov = CopyInIov(ctx.mem, a.Ptr(1), a.Int(2));
    if (!iov.ok()) return iov.status();
    return DoWrite(ctx, a.Int(0), *iov);
  });
  t.Register(abi::kSysSysctl, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    return ctx.kernel.sysctl().Syscall(ctx, a);
  });
  t.Register(abi::kSysReboot, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    if (absl::Status s = privilege::Reboot(ctx.process.credentials()); !s.ok()) return s;
    ctx.kernel.Halt(a.Int(0));
    return Ret(0);
  });
  t.Register(abi::kSysClockGettime, ClockGettime);
  t.Register(abi::kSysGettimeofday, Gettimeofday);
  t.Register(abi::kSysNanosleep, Nanosleep);
  t.Register(abi::kSysGetrlimit, Getrlimit);
  t.Register(abi::kSysSetrlimit, Setrlimit);
  RegisterPollSyscalls(t);
  RegisterPipeSyscalls(t);
}

}  // namespace rump
