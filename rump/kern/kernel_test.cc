#include "rump/kern/kernel.h"

#include <cstring>
#include <thread>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/resource.h"
#include "rump/abi/stat.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"

namespace rump {
namespace {

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

std::unique_ptr<Kernel> BootOrDie() {
  auto k = Kernel::Boot(KernelOptions{});
  EXPECT_TRUE(k.ok()) << k.status();
  return std::move(*k);
}

TEST(KernelTest, Pid1ExistsAfterBootWithTheConsoleOnZeroToTwo) {
  auto k = BootOrDie();
  SyscallResult r = k->Syscall(abi::kSysGetpid, {});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 1);
  EXPECT_EQ(r.rv1, 0);
  EXPECT_EQ(k->init().comm(), "rumplocal");
  EXPECT_EQ(k->init().fds().MaxFd(), 2);
  const char msg[] = "";
  r = k->Syscall(abi::kSysWrite, {1, P(msg), 0});
  EXPECT_EQ(r.error, 0);
}

TEST(KernelTest, UnknownSyscallsAreEnosysNeverAborts) {
  auto k = BootOrDie();
  for (int n : {-1, 0, 2, 59, 300, 511, 512, 100000}) {
    EXPECT_EQ(k->Syscall(n, {1, 2, 3}).error, abi::kENOSYS) << n;
  }
}

TEST(KernelTest, DescriptorCallsFollowNetBsd) {
  auto k = BootOrDie();
  SyscallResult r = k->Syscall(abi::kSysDup, {1});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 3);
  r = k->Syscall(abi::kSysDup2, {3, 9});
  EXPECT_EQ(r.rv0, 9);
  r = k->Syscall(abi::kSysFcntl, {9, uint64_t(abi::kF_DUPFD_CLOEXEC), 5});
  EXPECT_EQ(r.rv0, 5);
  r = k->Syscall(abi::kSysFcntl, {5, uint64_t(abi::kF_GETFD)});
  EXPECT_EQ(r.rv0, abi::kFD_CLOEXEC);
  EXPECT_EQ(k->Syscall(abi::kSysIoctl, {5, abi::kFIONCLEX, 0}).error, 0);
  r = k->Syscall(abi::kSysFcntl, {5, uint64_t(abi::kF_GETFD)});
  EXPECT_EQ(r.rv0, 0);
  EXPECT_EQ(k->Syscall(abi::kSysFcntl, {5, uint64_t(abi::kF_MAXFD)}).rv0, 9);
  int on = 1;
  EXPECT_EQ(k->Syscall(abi::kSysIoctl, {5, abi::kFIONBIO, P(&on)}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysFcntl, {9, uint64_t(abi::kF_GETFL)}).rv0 & abi::kO_NONBLOCK,
            abi::kO_NONBLOCK)
      << "status flags are shared by dup'ed descriptors";
  EXPECT_EQ(k->Syscall(abi::kSysClose, {9}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysClose, {9}).error, abi::kEBADF);
  EXPECT_EQ(k->Syscall(abi::kSysDup3, {5, 5, 0}).error, abi::kEINVAL);
  EXPECT_EQ(k->Syscall(abi::kSysIoctl, {5, 0xc0906911, 0}).error, abi::kEFAULT)
      << "an IN ioctl with a NULL argument";
  EXPECT_EQ(k->Syscall(abi::kSysFcntl, {5, 999}).error, abi::kEINVAL);
}

TEST(KernelTest, TheConsoleIsATerminalAndACharacterDevice) {
  auto k = BootOrDie();
  uint8_t termios[abi::kTermiosSize];
  std::memset(termios, 0xaa, sizeof(termios));
  for (uint64_t fd : {0, 1, 2}) {
    EXPECT_EQ(k->Syscall(abi::kSysIoctl, {fd, abi::kTIOCGETA, P(termios)}).error, 0) << fd;
    uint8_t st[abi::kStatSize];
    std::memset(st, 0xaa, sizeof(st));
    ASSERT_EQ(k->Syscall(abi::kSysFstat, {fd, P(st)}).error, 0) << fd;
    uint32_t mode = 0, nlink = 0;
    std::memcpy(&mode, st + abi::kStModeOff, 4);
    std::memcpy(&nlink, st + abi::kStNlinkOff, 4);
    EXPECT_EQ(mode, abi::kS_IFCHR | 0600);
    EXPECT_EQ(nlink, 1u);
    EXPECT_EQ(st[abi::kStSizeOff], 0);
  }
  EXPECT_EQ(termios[0], 0);
  EXPECT_EQ(k->Syscall(abi::kSysFstat, {7, P(termios)}).error, abi::kEBADF);
  EXPECT_EQ(k->Syscall(abi::kSysFstat, {0, 0}).error, abi::kEFAULT);
  EXPECT_EQ(k->Syscall(abi::kSysIoctl, {0, abi::kFIONREAD, P(termios)}).error, abi::kENOTTY);
}

TEST(KernelTest, IdCallsFollowNetBsd) {
  auto k = BootOrDie();
  EXPECT_EQ(k->Syscall(abi::kSysIssetugid, {}).rv0, 0);
  // Root sets anything; setgid sets both group ids.
  EXPECT_EQ(k->Syscall(abi::kSysSetgid, {5}).error, 0);
  SyscallResult r = k->Syscall(abi::kSysGetgid, {});
  EXPECT_EQ(r.rv0, 5);
  EXPECT_EQ(r.rv1, 5);
  EXPECT_EQ(k->Syscall(abi::kSysIssetugid, {}).rv0, 1);
  EXPECT_EQ(k->Syscall(abi::kSysSetegid, {7}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysGetegid, {}).rv0, 7);
  EXPECT_EQ(k->Syscall(abi::kSysSeteuid, {1000}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysGeteuid, {}).rv0, 1000);
  // Not root any more: only the real ids may be taken.
  EXPECT_EQ(k->Syscall(abi::kSysSeteuid, {0}).error, 0);  // the real uid is still 0
  EXPECT_EQ(k->Syscall(abi::kSysSetuid, {1000}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysSeteuid, {0}).error, abi::kEPERM);
  EXPECT_EQ(k->Syscall(abi::kSysSetgid, {9}).error, abi::kEPERM);
  EXPECT_EQ(k->Syscall(abi::kSysSetegid, {9}).error, abi::kEPERM);
  EXPECT_EQ(k->Syscall(abi::kSysSetegid, {5}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysGetegid, {}).rv0, 5);
}

// getgroups/setgroups as NetBSD's sys_getgroups/sys_setgroups
// (kern_prot.c, kern_auth.c).
TEST(KernelTest, SupplementaryGroupsFollowNetBsd) {
  auto k = BootOrDie();
  auto p = k->NewProcess(1, "client");
  auto call = [&](int nr, std::initializer_list<uint64_t> args) {
    return k->Syscall(*p, DirectUserMemory::Get(), nr, args);
  };
  uint32_t out[abi::kNgroupsMax + 1] = {};
  SyscallResult r = call(abi::kSysGetgroups, {0, 0});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 0) << "a new kernel's processes have no supplementary groups";
  EXPECT_EQ(call(abi::kSysIssetugid, {}).rv0, 0);
  const uint32_t set[] = {20, 5, 20};  // kept as given: order and duplicates
  EXPECT_EQ(call(abi::kSysSetgroups, {3, P(set)}).error, 0);
  EXPECT_EQ(call(abi::kSysIssetugid, {}).rv0, 1) << "setgroups marks the process";
  r = call(abi::kSysGetgroups, {0, P(nullptr)});
  EXPECT_EQ(r.rv0, 3) << "size 0: the count, the pointer unused";
  EXPECT_EQ(call(abi::kSysGetgroups, {2, P(out)}).error, abi::kEINVAL);
  EXPECT_EQ(call(abi::kSysGetgroups, {uint64_t(-1), P(out)}).error, abi::kEINVAL);
  EXPECT_EQ(call(abi::kSysGetgroups, {3, 0}).error, abi::kEFAULT);
  r = call(abi::kSysGetgroups, {abi::kNgroupsMax + 1, P(out)});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 3);
  EXPECT_EQ(out[0], 20u);
  EXPECT_EQ(out[1], 5u);
  EXPECT_EQ(out[2], 20u);
  EXPECT_TRUE(p->credentials().InGroup(5));
  EXPECT_TRUE(p->credentials().InGroup(0)) << "the effective gid counts";
  EXPECT_FALSE(p->credentials().InGroup(6));

  // The list is taken before the privilege is asked: EINVAL and EFAULT
  // come first, for everyone.
  uint32_t many[abi::kNgroupsMax + 1] = {};
  EXPECT_EQ(call(abi::kSysSetgroups, {abi::kNgroupsMax + 1, P(many)}).error, abi::kEINVAL);
  EXPECT_EQ(call(abi::kSysSetgroups, {uint64_t(-1), P(many)}).error, abi::kEINVAL);
  EXPECT_EQ(call(abi::kSysSetgroups, {1, 0}).error, abi::kEFAULT);
  EXPECT_EQ(call(abi::kSysSetgroups, {abi::kNgroupsMax, P(many)}).error, 0);
  EXPECT_EQ(call(abi::kSysGetgroups, {0, 0}).rv0, abi::kNgroupsMax);

  // A child gets its parent's groups.
  EXPECT_EQ(call(abi::kSysSetgroups, {3, P(set)}).error, 0);
  auto child = k->NewProcess(p->pid(), "child");
  EXPECT_EQ(child->credentials(), p->credentials());

  // Not root: EPERM, the groups stay.
  EXPECT_EQ(call(abi::kSysSetuid, {1000}).error, 0);
  EXPECT_EQ(call(abi::kSysSetgroups, {1, P(set)}).error, abi::kEPERM);
  EXPECT_EQ(call(abi::kSysSetgroups, {0, 0}).error, abi::kEPERM);
  EXPECT_EQ(call(abi::kSysSetgroups, {abi::kNgroupsMax + 1, P(many)}).error, abi::kEINVAL);
  EXPECT_EQ(call(abi::kSysSetgroups, {1, 0}).error, abi::kEFAULT);
  EXPECT_EQ(call(abi::kSysGetgroups, {0, 0}).rv0, 3);
  // Root may clear them.
  EXPECT_EQ(k->Syscall(abi::kSysSetgroups, {0, 0}).error, 0);
  EXPECT_EQ(k->Syscall(abi::kSysGetgroups, {0, 0}).rv0, 0);
}

TEST(KernelTest, ProcessesAreSeparate) {
  auto k = BootOrDie();
  auto p = k->NewProcess(1, "client");
  EXPECT_EQ(p->pid(), 2);
  EXPECT_EQ(p->ppid(), 1);
  EXPECT_EQ(p->fds().MaxFd(), 2);
  SyscallResult r = k->Syscall(*p, DirectUserMemory::Get(), abi::kSysDup, {0});
  EXPECT_EQ(r.rv0, 3);
  EXPECT_EQ(k->init().fds().MaxFd(), 2);
  k->BindThread(p);
  EXPECT_EQ(k->Syscall(abi::kSysGetpid, {}).rv0, 2);
  std::thread other([&] { EXPECT_EQ(k->Syscall(abi::kSysGetpid, {}).rv0, 1); });
  other.join();
  k->BindThread(nullptr);
  EXPECT_EQ(k->Syscall(abi::kSysGetpid, {}).rv0, 1);
  k->ReleaseProcess(2);
  EXPECT_EQ(k->FindProcess(2), nullptr);
  EXPECT_EQ(k->NewProcess(1, "next")->pid(), 3);
}

TEST(KernelTest, ProcessesMayShareADescriptorTable) {
  auto k = BootOrDie();
  auto a = k->NewProcess(1, "a");
  auto b = k->NewProcess(1, "b", a->shared_fds());
  EXPECT_EQ(b->fds().MaxFd(), 2);
  SyscallResult r = k->Syscall(*a, DirectUserMemory::Get(), abi::kSysDup, {0});
  EXPECT_EQ(r.rv0, 3);
  EXPECT_TRUE(b->fds().Get(3).ok()) << "a descriptor made by one is the other's";
  k->ReleaseProcess(a->pid());
  EXPECT_TRUE(b->fds().Get(3).ok()) << "releasing one keeps the shared table open";
}

abi::Rlimit GetLimit(Kernel& k, Process& p, int which) {
  abi::Rlimit l{1, 1};
  EXPECT_EQ(k.Syscall(p, DirectUserMemory::Get(), abi::kSysGetrlimit, {uint64_t(which), P(&l)})
                .error,
            0);
  return l;
}

int SetLimit(Kernel& k, Process& p, int which, uint64_t soft, uint64_t hard) {
  const abi::Rlimit l{soft, hard};
  return k.Syscall(p, DirectUserMemory::Get(), abi::kSysSetrlimit, {uint64_t(which), P(&l)})
      .error;
}

TEST(KernelTest, ResourceLimitsFollowNetBsd) {
  auto k = BootOrDie();
  auto p = k->NewProcess(1, "limited");
  abi::Rlimit l = GetLimit(*k, *p, abi::kRlimitNofile);
  EXPECT_EQ(l.rlim_cur, uint64_t{FdTable::kMaxDescriptors});
  EXPECT_EQ(l.rlim_max, uint64_t{FdTable::kMaxDescriptors});
  EXPECT_EQ(GetLimit(*k, *p, abi::kRlimitCpu).rlim_cur, abi::kRlimInfinity);
  l = GetLimit(*k, *p, abi::kRlimitStack);
  EXPECT_EQ(l.rlim_cur, 4u << 20);
  EXPECT_EQ(l.rlim_max, 128u << 20);

  // dosetrlimit's rules.
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimNlimits, 1, 1), abi::kEINVAL);
  EXPECT_EQ(SetLimit(*k, *p, -1, 1, 1), abi::kEINVAL);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitCore, 10, 5), abi::kEINVAL) << "soft above hard";
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysGetrlimit,
                       {uint64_t(abi::kRlimNlimits), P(&l)})
                .error,
            abi::kEINVAL);
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysGetrlimit,
                       {uint64_t(abi::kRlimitCore), 0})
                .error,
            abi::kEFAULT);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitCore, 0, 4096), 0);
  l = GetLimit(*k, *p, abi::kRlimitCore);
  EXPECT_EQ(l.rlim_cur, 0u);
  EXPECT_EQ(l.rlim_max, 4096u);
  // Descriptors are capped at what a table holds.
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 5000, 5000), 0);
  EXPECT_EQ(GetLimit(*k, *p, abi::kRlimitNofile).rlim_max, uint64_t{FdTable::kMaxDescriptors});

  // The soft descriptor limit is enforced: 0-2 are open, so 3 and 4 are
  // the last two.
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 5, 64), 0);
  auto dup = [&](uint64_t fd) {
    return k->Syscall(*p, DirectUserMemory::Get(), abi::kSysDup, {fd});
  };
  EXPECT_EQ(dup(0).rv0, 3);
  EXPECT_EQ(dup(0).rv0, 4);
  EXPECT_EQ(dup(0).error, abi::kEMFILE);
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysDup2, {0, 5}).error, abi::kEBADF);
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysFcntl,
                       {0, uint64_t(abi::kF_DUPFD), 5})
                .error,
            abi::kEINVAL);
  // A soft limit of 0 leaves no descriptor: EMFILE for dup and for a new
  // pipe, as NetBSD's fd_alloc; F_DUPFD from 0 is EINVAL (fcntl's rule).
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 0, 64), 0);
  EXPECT_EQ(dup(0).error, abi::kEMFILE);
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysPipe, {}).error, abi::kEMFILE);
  EXPECT_EQ(k->Syscall(*p, DirectUserMemory::Get(), abi::kSysFcntl,
                       {0, uint64_t(abi::kF_DUPFD), 0})
                .error,
            abi::kEINVAL);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 6, 64), 0);
  EXPECT_EQ(dup(0).rv0, 5) << "raised again";
  // A child starts with its parent's limits.
  auto child = k->NewProcess(p->pid(), "child");
  EXPECT_EQ(GetLimit(*k, *child, abi::kRlimitNofile).rlim_cur, 6u);
  EXPECT_EQ(GetLimit(*k, *child, abi::kRlimitCore).rlim_max, 4096u);
  EXPECT_EQ(GetLimit(*k, k->init(), abi::kRlimitCore).rlim_max, abi::kRlimInfinity)
      << "a child's limits are its own";

  // Without privilege, a hard limit may go down but not up again.
  Credentials c;
  c.uid = c.euid = 1000;
  p->set_credentials(c);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 6, 32), 0);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 6, 64), abi::kEPERM);
  EXPECT_EQ(SetLimit(*k, *p, abi::kRlimitNofile, 32, 32), 0) << "soft up to hard is fine";
}

// proc.curproc.* through __sysctl: the caller's own values.
struct ProcSysctl {
  Kernel& k;
  Process& p;
  int Read(std::vector<int> mib, void* out, size_t* len) {
    return k.Syscall(p, DirectUserMemory::Get(), abi::kSysSysctl,
                     {P(mib.data()), mib.size(), P(out), P(len), 0, 0})
        .error;
  }
  int Write(std::vector<int> mib, const void* in, size_t inlen) {
    return k.Syscall(p, DirectUserMemory::Get(), abi::kSysSysctl,
                     {P(mib.data()), mib.size(), 0, 0, P(in), inlen})
        .error;
  }
};

TEST(KernelTest, CurprocSysctlIsTheCallersOwn) {
  auto k = BootOrDie();
  auto a = k->NewProcess(1, "a");
  auto b = k->NewProcess(1, "b");
  ProcSysctl sa{*k, *a}, sb{*k, *b};
  const int cur = abi::kProcCurproc;
  const std::vector<int> nofile_soft = {abi::kCtlProc, cur, abi::kProcPidLimit,
                                        abi::kRlimitNofile + 1, abi::kProcPidLimitTypeSoft};
  uint64_t v = 0;
  size_t len = sizeof(v);
  ASSERT_EQ(sa.Read(nofile_soft, &v, &len), 0);
  EXPECT_EQ(len, 8u);
  EXPECT_EQ(v, uint64_t{FdTable::kMaxDescriptors});
  v = 4;
  ASSERT_EQ(sa.Write(nofile_soft, &v, sizeof(v)), 0);
  EXPECT_EQ(GetLimit(*k, *a, abi::kRlimitNofile).rlim_cur, 4u);
  EXPECT_EQ(k->Syscall(*a, DirectUserMemory::Get(), abi::kSysDup, {0}).rv0, 3);
  EXPECT_EQ(k->Syscall(*a, DirectUserMemory::Get(), abi::kSysDup, {0}).error, abi::kEMFILE);
  len = sizeof(v);
  ASSERT_EQ(sb.Read(nofile_soft, &v, &len), 0);
  EXPECT_EQ(v, uint64_t{FdTable::kMaxDescriptors}) << "b's limit is b's";
  // The hard limit through its node; soft above hard is EINVAL.
  std::vector<int> nofile_hard = nofile_soft;
  nofile_hard.back() = abi::kProcPidLimitTypeHard;
  v = 3;
  EXPECT_EQ(sa.Write(nofile_hard, &v, sizeof(v)), abi::kEINVAL);
  v = 100;
  EXPECT_EQ(sa.Write(nofile_hard, &v, sizeof(v)), 0);
  EXPECT_EQ(GetLimit(*k, *a, abi::kRlimitNofile).rlim_max, 100u);
  EXPECT_EQ(sa.Write(nofile_hard, &v, 4), abi::kEINVAL) << "a quad is 8 bytes";

  // The core file name: NetBSD's rule for a new one.
  char name[64] = {};
  len = sizeof(name);
  const std::vector<int> corename = {abi::kCtlProc, cur, abi::kProcPidCorename};
  ASSERT_EQ(sa.Read(corename, name, &len), 0);
  EXPECT_STREQ(name, "rumpdump");
  EXPECT_EQ(sa.Write(corename, "x.dump", 7), abi::kEINVAL);
  EXPECT_EQ(sa.Write(corename, "xcore", 6), abi::kEINVAL);
  EXPECT_EQ(sa.Write(corename, "/tmp/%n.core", 13), 0);
  len = sizeof(name);
  ASSERT_EQ(sa.Read(corename, name, &len), 0);
  EXPECT_STREQ(name, "/tmp/%n.core");
  len = sizeof(name);
  ASSERT_EQ(sb.Read(corename, name, &len), 0);
  EXPECT_STREQ(name, "rumpdump");

  // Stop flags: kept per process.
  const std::vector<int> stopexec = {abi::kCtlProc, cur, abi::kProcPidStopexec};
  int32_t on = 7;
  ASSERT_EQ(sa.Write(stopexec, &on, sizeof(on)), 0);
  int32_t got = 0;
  len = sizeof(got);
  ASSERT_EQ(sa.Read(stopexec, &got, &len), 0);
  EXPECT_EQ(got, 1);
  len = sizeof(got);
  ASSERT_EQ(sb.Read(stopexec, &got, &len), 0);
  EXPECT_EQ(got, 0);
  // A non-root caller may change its own (CTLFLAG_ANYWRITE).
  Credentials c;
  c.uid = c.euid = 1000;
  b->set_credentials(c);
  on = 1;
  EXPECT_EQ(sb.Write(stopexec, &on, sizeof(on)), 0);
}

TEST(KernelTest, TwoKernelsInOneProcessAreIndependent) {
  auto a = BootOrDie();
  auto b = BootOrDie();
  a->NewProcess(1, "x");
  EXPECT_EQ(a->NewProcess(1, "y")->pid(), 3);
  EXPECT_EQ(b->NewProcess(1, "z")->pid(), 2);
}

TEST(KernelTest, RebootHalts) {
  auto k = BootOrDie();
  EXPECT_FALSE(k->halted());
  std::thread waiter([&] { EXPECT_EQ(k->WaitHalted(), 8); });
  EXPECT_EQ(k->Syscall(abi::kSysReboot, {8, 0}).error, 0);
  waiter.join();
  EXPECT_TRUE(k->halted());
}

TEST(KernelTest, TimeCalls) {
  auto k = BootOrDie();
  int64_t ts[2] = {0, 0};
  EXPECT_EQ(k->Syscall(abi::kSysClockGettime, {0, P(ts)}).error, 0);
  EXPECT_GT(ts[0], 1600000000);
  EXPECT_EQ(k->Syscall(abi::kSysClockGettime, {77, P(ts)}).error, abi::kEINVAL);
  EXPECT_EQ(k->Syscall(abi::kSysClockGettime, {0, 0}).error, abi::kEFAULT);
  uint8_t tv[16];
  EXPECT_EQ(k->Syscall(abi::kSysGettimeofday, {P(tv), 0}).error, 0);
}

}  // namespace
}  // namespace rump
