#include "rump/kern/kernel.h"

#include <cstring>
#include <thread>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/stat.h"
#include "rump/abi/syscalls.h"

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
