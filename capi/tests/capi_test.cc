// The C API's conventions, through the static library: NetBSD errno values
// in errno (0 on success, untouched by NOERR calls), 0-or-errno returns of
// the rump_* entry points, bad input, lwproc bindings, and behaviour before
// rump_init().
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

// NetBSD numbers the headers deliberately do not define (see rump/abi/).
constexpr int kF_GETFD = 1, kF_GETFL = 3, kF_SETFL = 4, kF_DUPFD = 0;
constexpr unsigned long kFIONBIO = _RUMP_IOW('f', 126, int);

// What the API answered before rump_init(), recorded by the environment
// below before it boots the kernel for every test.
struct BeforeInit {
  pid_t getpid_rv = 0;
  int getpid_errno = 0;
  int socket_rv = 0;
  int socket_errno = 0;
  int shmif_create = 0;
  int rfork = 0;
  int newlwp = 0;
  struct lwp* curlwp = nullptr;
  int init = -1;
};
BeforeInit before;

class BootEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    errno = 0;
    before.getpid_rv = rump_sys_getpid();
    before.getpid_errno = errno;
    errno = 0;
    before.socket_rv = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
    before.socket_errno = errno;
    int unit = -1;
    before.shmif_create = rump_pub_shmif_create(nullptr, &unit);
    before.rfork = rump_pub_lwproc_rfork(RUMP_RFCFDG);
    before.newlwp = rump_pub_lwproc_newlwp(1);
    rump_pub_lwproc_switch(nullptr);  // harmless without a kernel
    rump_pub_lwproc_releaselwp();
    before.curlwp = rump_pub_lwproc_curlwp();
    before.init = rump_init();
  }
};
const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new BootEnvironment);

TEST(BeforeInit, CallsFailWithEnxio) {
  EXPECT_EQ(before.getpid_rv, -1);
  EXPECT_EQ(before.getpid_errno, RUMP_ENXIO);
  EXPECT_EQ(before.socket_rv, -1);
  EXPECT_EQ(before.socket_errno, RUMP_ENXIO);
  EXPECT_EQ(before.shmif_create, RUMP_ENXIO);
  EXPECT_EQ(before.rfork, RUMP_ENXIO);
  EXPECT_EQ(before.newlwp, RUMP_ENXIO);
  EXPECT_EQ(before.curlwp, nullptr);
  EXPECT_EQ(before.init, 0);
}

TEST(Init, SecondCallReturnsZero) {
  EXPECT_EQ(rump_init(), 0);
  EXPECT_EQ(rump_sys_getpid(), 1);
}

TEST(Init, VersionAndBootInfo) {
  EXPECT_EQ(rump_getversion(), 799003400);
  EXPECT_EQ(rump_pub_getversion(), 799003400);
#if defined(__x86_64__)
  EXPECT_EQ(rump_nativeabi_p(), 1);
#endif
  rump_boot_sethowto(RUMP_AB_VERBOSE);
  EXPECT_EQ(rump_boot_gethowto(), RUMP_AB_VERBOSE);
  rump_boot_sethowto(0);
  rump_boot_setsigmodel(RUMP_SIGMODEL_IGNORE);
  rump_schedule();
  rump_unschedule();
  rump_printevcnts();
  rump_pub_lwproc_sysent_usenative();
}

TEST(Init, EntryPointsReturnNetbsdErrnoNotMinusOne) {
  errno = 0;
  EXPECT_EQ(rump_init_server(("unix:///tmp/" + std::string(200, 'x')).c_str()),
            RUMP_ENAMETOOLONG);
  EXPECT_EQ(rump_init_server(nullptr), RUMP_EINVAL);
  EXPECT_EQ(rump_daemonize_begin(), RUMP_EALREADY);  // after rump_init
  EXPECT_EQ(rump_daemonize_done(0), RUMP_EINVAL);    // no begin
  EXPECT_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG | RUMP_RFCFDG), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_lwproc_rfork(0x40), RUMP_EINVAL);
  EXPECT_EQ(rump_pub_lwproc_newlwp(999999), RUMP_ESRCH);
  EXPECT_EQ(rump_pub_lwproc_curlwp(), nullptr);
  EXPECT_EQ(errno, 0) << "entry points must not report through errno";
}

TEST(Errno, SuccessSetsZero) {
  errno = 12345;
  const int fd = rump_sys_dup(1);
  ASSERT_GE(fd, 3);
  EXPECT_EQ(errno, 0);
  errno = 12345;
  EXPECT_EQ(rump_sys_close(fd), 0);
  EXPECT_EQ(errno, 0);
  errno = 12345;
  EXPECT_EQ(rump_sys_write(1, "capi_test\n", 10), 10);
  EXPECT_EQ(errno, 0);
}

TEST(Errno, FailureSetsNetbsdNumber) {
  errno = 0;
  EXPECT_EQ(rump_sys_close(-1), -1);
  EXPECT_EQ(errno, RUMP_EBADF);
  errno = 0;
  EXPECT_EQ(rump_sys_close(1000), -1);
  EXPECT_EQ(errno, RUMP_EBADF);
  char c;
  errno = 0;
  EXPECT_EQ(rump_sys_read(777, &c, 1), -1);
  EXPECT_EQ(errno, RUMP_EBADF);
  errno = 0;
  EXPECT_EQ(rump_sys_dup3(1, 1, 0), -1);
  EXPECT_EQ(errno, RUMP_EINVAL);
  EXPECT_STREQ(rump_strerror(errno), "Invalid argument");
}

TEST(Errno, NoerrCallsLeaveErrnoAlone) {
  errno = 4242;
  EXPECT_EQ(rump_sys_getpid(), 1);
  EXPECT_EQ(rump_sys_getppid(), 0);
  EXPECT_EQ(rump_sys_getuid(), 0u);
  EXPECT_EQ(rump_sys_geteuid(), 0u);
  EXPECT_EQ(rump_sys_getgid(), 0u);
  EXPECT_EQ(rump_sys_getegid(), 0u);
  EXPECT_EQ(errno, 4242);
}

TEST(Errno, UnimplementedCallsAreEnosys) {
  // No file systems: open has no handler in this kernel.
  errno = 0;
  EXPECT_EQ(rump_sys_open("/x", RUMP_O_RDONLY), -1);
  EXPECT_TRUE(errno == RUMP_ENOSYS || errno == RUMP_ENOENT) << errno;
}

TEST(BadInput, NullPointersAreEfault) {
  errno = 0;
  EXPECT_EQ(rump_sys_write(1, nullptr, 4), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_readv(0, nullptr, 1), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_writev(1, nullptr, 1), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_clock_gettime(0, nullptr), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_nanosleep(nullptr, nullptr), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_pipe(nullptr), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  size_t len = 16;
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(nullptr, 2, nullptr, &len, nullptr, 0), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(0, kFIONBIO, nullptr), -1);  // IN argument at NULL
  EXPECT_EQ(errno, RUMP_EFAULT);
}

TEST(BadInput, SysctlLengthsAndNames) {
  const int ostype[2] = {1, 1};
  char buf[16];
  size_t len = 3;
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(ostype, 2, buf, &len, nullptr, 0), -1);
  EXPECT_EQ(errno, RUMP_ENOMEM);
  EXPECT_EQ(len, 7u);
  EXPECT_EQ(std::string(buf, 3), "Net");
  len = sizeof(buf);
  EXPECT_EQ(rump_sys___sysctl(ostype, 2, buf, &len, nullptr, 0), 0);
  EXPECT_STREQ(buf, "NetBSD");
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(ostype, 0, buf, &len, nullptr, 0), -1);
  EXPECT_EQ(errno, RUMP_EINVAL);
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(ostype, 13, buf, &len, nullptr, 0), -1);
  EXPECT_EQ(errno, RUMP_EINVAL);
  const int missing[2] = {1, 9999};
  len = sizeof(buf);
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(missing, 2, buf, &len, nullptr, 0), -1);
  EXPECT_EQ(errno, RUMP_ENOENT);
  // Writing a read-only node.
  len = sizeof(buf);
  errno = 0;
  EXPECT_EQ(rump_sys___sysctl(ostype, 2, nullptr, nullptr, "Linux", 6), -1);
  EXPECT_EQ(errno, RUMP_EPERM);
}

TEST(Variadic, IoctlAndFcntlTakeTheirThirdArgument) {
  const int fd = rump_sys_dup(0);
  ASSERT_GE(fd, 3);
  int on = 1;
  EXPECT_EQ(rump_sys_ioctl(fd, kFIONBIO, &on), 0);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFL) & RUMP_O_NONBLOCK, RUMP_O_NONBLOCK);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_SETFL, 0), 0);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFL) & RUMP_O_NONBLOCK, 0);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_DUPFD, 40), 40);
  EXPECT_EQ(rump_sys_fcntl(40, kF_GETFD), 0);
  EXPECT_EQ(rump_sys_close(40), 0);
  EXPECT_EQ(rump_sys_close(fd), 0);
  // An fd argument is an int: -1 is sign-extended and stays -1.
  errno = 0;
  EXPECT_EQ(rump_sys_fcntl(-1, kF_GETFL), -1);
  EXPECT_EQ(errno, RUMP_EBADF);
}

TEST(Time, ClockAndTimeOfDay) {
  struct {
    int64_t sec;
    long nsec;
  } ts{};
  EXPECT_EQ(rump_sys_clock_gettime(0, reinterpret_cast<struct timespec*>(&ts)), 0);
  EXPECT_GT(ts.sec, 1600000000);
  unsigned char tv[16];
  std::memset(tv, 0xff, sizeof(tv));
  EXPECT_EQ(rump_sys_gettimeofday(reinterpret_cast<struct timeval*>(tv), nullptr), 0);
  int32_t usec;
  std::memcpy(&usec, tv + 8, 4);
  EXPECT_GE(usec, 0);
  EXPECT_LT(usec, 1000000);
  errno = 0;
  EXPECT_EQ(rump_sys_clock_gettime(12345, reinterpret_cast<struct timespec*>(&ts)), -1);
  EXPECT_EQ(errno, RUMP_EINVAL);
}

// ---- lwproc ---------------------------------------------------------------

TEST(Lwproc, RforkBindsTheThreadToANewProcess) {
  ASSERT_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
  struct lwp* l = rump_pub_lwproc_curlwp();
  ASSERT_NE(l, nullptr);
  const pid_t child = rump_sys_getpid();
  EXPECT_GT(child, 1);
  EXPECT_EQ(rump_sys_getppid(), 1);
  // The fresh table has the console at 0-2, so the first new fd is 3.
  const int fd = rump_sys_dup(2);
  EXPECT_EQ(fd, 3);

  // Back to the implicit context and again.
  rump_pub_lwproc_switch(nullptr);
  EXPECT_EQ(rump_pub_lwproc_curlwp(), nullptr);
  EXPECT_EQ(rump_sys_getpid(), 1);
  rump_pub_lwproc_switch(l);
  EXPECT_EQ(rump_pub_lwproc_curlwp(), l);
  EXPECT_EQ(rump_sys_getpid(), child);

  // A second lwp in the same process keeps it alive when the first goes.
  ASSERT_EQ(rump_pub_lwproc_newlwp(child), 0);
  struct lwp* l2 = rump_pub_lwproc_curlwp();
  EXPECT_NE(l2, l);
  EXPECT_EQ(rump_sys_getpid(), child);
  rump_pub_lwproc_switch(l);
  rump_pub_lwproc_releaselwp();
  EXPECT_EQ(rump_pub_lwproc_curlwp(), nullptr);
  EXPECT_EQ(rump_sys_getpid(), 1);
  rump_pub_lwproc_switch(l2);
  EXPECT_EQ(rump_sys_getpid(), child);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFD), 0) << "the process's descriptors survive";

  // Releasing the last lwp releases the process.
  rump_pub_lwproc_releaselwp();
  EXPECT_EQ(rump_sys_getpid(), 1);
  EXPECT_EQ(rump_pub_lwproc_newlwp(child), RUMP_ESRCH);
  rump_pub_lwproc_releaselwp();  // nothing bound: no-op
  EXPECT_EQ(rump_sys_getpid(), 1);
}

TEST(Lwproc, RforkFlagsChooseTheDescriptors) {
  const int fd = rump_sys_dup(1);
  ASSERT_GE(fd, 3);
  ASSERT_EQ(rump_pub_lwproc_rfork(RUMP_RFFDG), 0);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFD), 0) << "RFFDG copies the descriptors";
  EXPECT_EQ(rump_sys_close(fd), 0);
  rump_pub_lwproc_releaselwp();
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFD), 0) << "the parent's copy stays open";

  ASSERT_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
  errno = 0;
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFD), -1) << "RFCFDG starts clean";
  EXPECT_EQ(errno, RUMP_EBADF);
  EXPECT_EQ(rump_sys_fcntl(2, kF_GETFD), 0) << "but with the console";
  rump_pub_lwproc_releaselwp();

  ASSERT_EQ(rump_pub_lwproc_rfork(RUMP_RFFD_SHARE), 0);
  EXPECT_EQ(rump_sys_fcntl(fd, kF_GETFD), 0);
  const int made_by_child = rump_sys_dup(fd);
  ASSERT_GE(made_by_child, 3);
  rump_pub_lwproc_releaselwp();
  EXPECT_EQ(rump_sys_fcntl(made_by_child, kF_GETFD), 0)
      << "RFFD_SHARE: the child's new descriptor is the parent's too";
  EXPECT_EQ(rump_sys_close(made_by_child), 0);
  EXPECT_EQ(rump_sys_close(fd), 0);
}

TEST(Lwproc, BindingsArePerThread) {
  ASSERT_EQ(rump_pub_lwproc_rfork(RUMP_RFCFDG), 0);
  struct lwp* mine = rump_pub_lwproc_curlwp();
  const pid_t my_pid = rump_sys_getpid();
  pid_t other_pid = 0;
  struct lwp* other_before = reinterpret_cast<struct lwp*>(1);
  std::thread t([&] {
    other_before = rump_pub_lwproc_curlwp();
    other_pid = rump_sys_getpid();
    // An lwp bound to another thread is refused; nothing changes.
    rump_pub_lwproc_switch(mine);
    EXPECT_EQ(rump_pub_lwproc_curlwp(), nullptr);
    EXPECT_EQ(rump_sys_getpid(), 1);
  });
  t.join();
  EXPECT_EQ(other_before, nullptr);
  EXPECT_EQ(other_pid, 1);
  EXPECT_EQ(rump_sys_getpid(), my_pid);
  rump_pub_lwproc_releaselwp();
}

TEST(Lwproc, ConcurrentThreadsEachInTheirProcess) {
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([i, &ok] {
      if (rump_pub_lwproc_rfork(RUMP_RFCFDG) != 0) return;
      const pid_t pid = rump_sys_getpid();
      bool good = pid > 1;
      for (int n = 0; n < 200 && good; ++n) {
        const int fd = rump_sys_dup(0);
        good = fd == 3 && rump_sys_getpid() == pid && rump_sys_close(fd) == 0 && errno == 0;
      }
      rump_pub_lwproc_releaselwp();
      ok[i] = good && rump_sys_getpid() == 1;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_TRUE(ok[i]) << "thread " << i;
}

// ---- networking (needs the network stack) -----------------------------------

// NetBSD's interface ioctls and flags (rump/abi/if.h).
struct NbIfreq {
  char name[16];
  union {
    unsigned char addr[16];
    short flags;
    unsigned char space[128];
    void* data;
  } u;
};
static_assert(sizeof(NbIfreq) == 144);
constexpr unsigned long kSIOCGIFFLAGS = _RUMP_IOWR('i', 17, NbIfreq);
constexpr unsigned long kSIOCSIFFLAGS = _RUMP_IOW('i', 16, NbIfreq);
constexpr unsigned long kSIOCGIFADDR = _RUMP_IOWR('i', 33, NbIfreq);
constexpr unsigned long kSIOCIFCREATE = _RUMP_IOW('i', 122, NbIfreq);
constexpr unsigned long kSIOCIFDESTROY = _RUMP_IOW('i', 121, NbIfreq);
static_assert(kSIOCGIFFLAGS == 0xc0906911 && kSIOCIFCREATE == 0x8090697a);
constexpr short kIFF_UP = 0x1;

NbIfreq Ifreq(const std::string& name) {
  NbIfreq r;
  std::memset(&r, 0, sizeof(r));
  std::strncpy(r.name, name.c_str(), sizeof(r.name) - 1);
  return r;
}

TEST(Network, ShmifCreateReturnsUnitsOrNetbsdErrno) {
  int a = -1, b = -1;
  ASSERT_EQ(rump_pub_shmif_create(nullptr, &a), 0);
  ASSERT_EQ(rump_pub_shmif_create(nullptr, &b), 0);
  EXPECT_GE(a, 0);
  EXPECT_EQ(b, a + 1) << "the lowest free unit";
  EXPECT_EQ(rump_pub_shmif_create(nullptr, nullptr), 0);

  const std::string dir = ::testing::TempDir();
  EXPECT_EQ(rump_pub_shmif_create((dir + "/no/such/dir/bus").c_str(), &a), RUMP_ENOENT);
  const std::string notabus = dir + "/notabus";
  FILE* f = std::fopen(notabus.c_str(), "w");
  ASSERT_NE(f, nullptr);
  for (int i = 0; i < 4096; ++i) std::fputc('x', f);
  std::fclose(f);
  EXPECT_EQ(rump_pub_shmif_create(notabus.c_str(), &a), RUMP_ENOEXEC);
}

TEST(Network, InterfaceIoctlErrors) {
  const int s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
  ASSERT_GE(s, 0) << rump_strerror(errno);
  NbIfreq r = Ifreq("nosuch0");
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCGIFFLAGS, &r), -1);
  EXPECT_EQ(errno, RUMP_ENXIO);
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCGIFADDR, &r), -1);
  EXPECT_EQ(errno, RUMP_ENXIO);
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCIFDESTROY, &r), -1);
  EXPECT_EQ(errno, RUMP_EINVAL) << "no such cloner";
  r = Ifreq("shmif999");
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCIFDESTROY, &r), -1);
  EXPECT_EQ(errno, RUMP_ENXIO) << "no such interface";
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCGIFFLAGS, nullptr), -1);
  EXPECT_EQ(errno, RUMP_EFAULT);

  int unit = -1;
  ASSERT_EQ(rump_pub_shmif_create(nullptr, &unit), 0);
  const std::string name = "shmif" + std::to_string(unit);
  r = Ifreq(name);
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCIFCREATE, &r), -1);
  EXPECT_EQ(errno, RUMP_EEXIST);
  // Up without a bus: ENXIO.
  ASSERT_EQ(rump_sys_ioctl(s, kSIOCGIFFLAGS, &r), 0);
  r.u.flags |= kIFF_UP;
  errno = 0;
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCSIFFLAGS, &r), -1);
  EXPECT_EQ(errno, RUMP_ENXIO);
  EXPECT_EQ(rump_sys_ioctl(s, kSIOCIFDESTROY, &r), 0);
  EXPECT_EQ(rump_sys_close(s), 0);
}

// ---- reboot ----------------------------------------------------------------

class RebootDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(RebootDeathTest, RebootExitsTheProcess) {
  EXPECT_EXIT(rump_sys_reboot(0, nullptr), ::testing::ExitedWithCode(0), "");
}

TEST_F(RebootDeathTest, HaltReturnsAndTheKernelStaysHalted) {
  EXPECT_EXIT(
      {
        const int rv = rump_sys_reboot(RUMP_RB_HALT, nullptr);
        std::exit(rv == 0 && errno == 0 ? 3 : 4);
      },
      ::testing::ExitedWithCode(3), "");
}

}  // namespace
