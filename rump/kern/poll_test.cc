// poll(2), pollts(2), select(2) and nanosleep through the syscall table of a
// real Kernel: timeouts, POLLNVAL / EBADF, wake-ups from other threads
// across many descriptors, and interruption (Process::Interrupt, halt).
// Timing is only checked from below (a timeout never ends early) and with
// generous upper bounds that only catch hangs.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/poll.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "rump/kern/poll.h"
#include "rump/kern/sleep.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Eventually;

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

// A file whose readiness the test sets.
class FlagFile final : public File {
 public:
  FlagFile() : File(2) {}
  int Poll(int events) override {
    std::lock_guard<std::mutex> lock(mu_);
    return events & ready_;
  }
  void Set(int ready) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_ = ready;
    }
    poll_waiters().Wake();
  }

 private:
  std::mutex mu_;
  int ready_ = 0;
};

struct PollFd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
static_assert(sizeof(PollFd) == abi::kPollfdSize);

class PollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Kernel::Boot(KernelOptions{});
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
  }
  // Installs a FlagFile in `p` (default pid 1); returns its descriptor.
  int AddFile(std::shared_ptr<FlagFile>* out, Process* p = nullptr) {
    auto f = std::make_shared<FlagFile>();
    absl::StatusOr<int> fd = (p ? *p : k_->init()).fds().Install(f, false);
    EXPECT_TRUE(fd.ok());
    if (out) *out = f;
    return fd.ok() ? *fd : -1;
  }
  SyscallResult Poll(std::vector<PollFd>& fds, int timeout_ms, Process* p = nullptr) {
    const uint64_t args[] = {P(fds.data()), fds.size(), uint64_t(uint32_t(timeout_ms))};
    if (p) return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysPoll, args);
    return k_->Syscall(abi::kSysPoll, args);
  }
  std::unique_ptr<Kernel> k_;
};

TEST_F(PollTest, TimeoutZeroAndShortTimeoutReturnNothingReady) {
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f), abi::kPOLLIN, -1}};
  SyscallResult r = Poll(fds, 0);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 0);
  EXPECT_EQ(fds[0].revents, 0);
  const absl::Time start = absl::Now();
  r = Poll(fds, 30);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 0);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));  // never early
}

TEST_F(PollTest, BadDescriptorsArePollnvalNegativeOnesIgnored) {
  std::vector<PollFd> fds = {
      {77, abi::kPOLLIN, 0}, {-1, abi::kPOLLIN, 0x7f}, {1, abi::kPOLLOUT, 0}};
  SyscallResult r = Poll(fds, -1);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 2);
  EXPECT_EQ(fds[0].revents, abi::kPOLLNVAL);
  EXPECT_EQ(fds[1].revents, 0);
  EXPECT_EQ(fds[2].revents, abi::kPOLLOUT);  // the console is writable
}

TEST_F(PollTest, ConsoleIsReadableAndWritable) {
  std::vector<PollFd> fds = {{0, abi::kPOLLIN | abi::kPOLLOUT | abi::kPOLLPRI, 0}};
  ASSERT_EQ(Poll(fds, 0).rv0, 1);
  EXPECT_EQ(fds[0].revents, abi::kPOLLIN | abi::kPOLLOUT);
}

TEST_F(PollTest, BadArgumentsFailCleanly) {
  // A NULL array, too many descriptors, a negative timeout other than INFTIM.
  EXPECT_EQ(k_->Syscall(abi::kSysPoll, {0, 1, 0}).error, abi::kEFAULT);
  EXPECT_EQ(k_->Syscall(abi::kSysPoll, {0, 0, 0}).rv0, 0);  // nothing to do
  std::vector<PollFd> fds = {{1, abi::kPOLLOUT, 0}};
  EXPECT_EQ(k_->Syscall(abi::kSysPoll, {P(fds.data()), 1u << 20, 0}).error, abi::kEINVAL);
  EXPECT_EQ(Poll(fds, -2).error, abi::kEINVAL);
}

TEST_F(PollTest, WakesWhenAnotherThreadMakesAFileReady) {
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f), abi::kPOLLIN | abi::kPOLLOUT, 0}};
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
    f->Set(abi::kPOLLIN);
  });
  SyscallResult r = Poll(fds, 60000);  // a hang shows as a timeout
  t.join();
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 1);
  EXPECT_EQ(fds[0].revents, abi::kPOLLIN);
}

TEST_F(PollTest, ManyDescriptorsOnlyTheReadyOneIsReported) {
  std::vector<std::shared_ptr<FlagFile>> files(200);
  std::vector<PollFd> fds;
  for (auto& f : files) fds.push_back({AddFile(&f), abi::kPOLLIN, 0});
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
    files[157]->Set(abi::kPOLLIN | abi::kPOLLOUT);
  });
  SyscallResult r = Poll(fds, 60000);
  t.join();
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 1);
  for (size_t i = 0; i < fds.size(); ++i) {
    EXPECT_EQ(fds[i].revents, i == 157 ? abi::kPOLLIN : 0) << i;
  }
}

TEST_F(PollTest, NoLostWakeUpsUnderRacingNotifications) {
  std::shared_ptr<FlagFile> a, b;
  const int fa = AddFile(&a), fb = AddFile(&b);
  for (int i = 0; i < 300; ++i) {
    a->Set(0);
    b->Set(0);
    std::vector<PollFd> fds = {{fa, abi::kPOLLIN, 0}, {fb, abi::kPOLLIN, 0}};
    std::thread t([&, i] { (i % 2 ? a : b)->Set(abi::kPOLLIN); });
    SyscallResult r = Poll(fds, 60000);
    t.join();
    ASSERT_EQ(r.error, 0);
    ASSERT_EQ(r.rv0, 1) << i;
  }
}

TEST_F(PollTest, PolltsTakesATimespecAndIgnoresTheMask) {
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f), abi::kPOLLIN, 0}};
  int64_t ts[2] = {0, 20 * 1000 * 1000};
  uint32_t mask[4] = {~0u, ~0u, ~0u, ~0u};
  const absl::Time start = absl::Now();
  SyscallResult r = k_->Syscall(abi::kSysPollts, {P(fds.data()), 1, P(ts), P(mask)});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 0);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  int64_t bad[2] = {0, 1000000000};
  EXPECT_EQ(k_->Syscall(abi::kSysPollts, {P(fds.data()), 1, P(bad), 0}).error, abi::kEINVAL);
  int64_t neg[2] = {-1, 0};
  EXPECT_EQ(k_->Syscall(abi::kSysPollts, {P(fds.data()), 1, P(neg), 0}).error, abi::kEINVAL);
  // A null timespec waits for ever: here until another thread wakes it.
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
    f->Set(abi::kPOLLIN);
  });
  r = k_->Syscall(abi::kSysPollts, {P(fds.data()), 1, 0, 0});
  t.join();
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 1);
}

// select's fd_set: 32-bit words, bit fd % 32 of word fd / 32.
struct FdSet {
  uint32_t w[8] = {};
  void Set(int fd) { w[fd / 32] |= 1u << (fd % 32); }
  bool IsSet(int fd) const { return w[fd / 32] & (1u << (fd % 32)); }
};

TEST_F(PollTest, SelectReportsReadyBitsAndCounts) {
  std::shared_ptr<FlagFile> a, b;
  const int fa = AddFile(&a), fb = AddFile(&b);
  a->Set(abi::kPOLLRDNORM | abi::kPOLLWRNORM);
  FdSet in, out, ex;
  in.Set(fa);
  in.Set(fb);
  out.Set(fa);
  out.Set(1);
  ex.Set(fa);
  uint8_t tv[16] = {};  // zero: a poll
  SyscallResult r =
      k_->Syscall(abi::kSysSelect, {uint64_t(fb + 1), P(&in), P(&out), P(&ex), P(tv)});
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 3);  // fa readable, fa and 1 writable
  EXPECT_TRUE(in.IsSet(fa));
  EXPECT_FALSE(in.IsSet(fb));
  EXPECT_TRUE(out.IsSet(fa));
  EXPECT_TRUE(out.IsSet(1));
  EXPECT_FALSE(ex.IsSet(fa));
}

TEST_F(PollTest, SelectTimesOutWakesAndRejectsBadInput) {
  std::shared_ptr<FlagFile> f;
  const int fd = AddFile(&f);
  FdSet in;
  in.Set(fd);
  uint8_t tv[16] = {};
  const int32_t usec = 30000;
  std::memcpy(tv + 8, &usec, 4);
  const absl::Time start = absl::Now();
  SyscallResult r = k_->Syscall(abi::kSysSelect, {uint64_t(fd + 1), P(&in), 0, 0, P(tv)});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 0);
  EXPECT_FALSE(in.IsSet(fd));  // cleared on return
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));

  // No timeout: woken by another thread.
  in.Set(fd);
  std::thread t([&] {
    EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
    f->Set(abi::kPOLLRDNORM);
  });
  r = k_->Syscall(abi::kSysSelect, {uint64_t(fd + 1), P(&in), 0, 0, 0});
  t.join();
  EXPECT_EQ(r.rv0, 1);
  EXPECT_TRUE(in.IsSet(fd));

  FdSet bad;
  bad.Set(10);  // not open
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {11, P(&bad), 0, 0, 0}).error, abi::kEBADF);
  // A bit beyond nd is not looked at.
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {10, P(&bad), 0, 0, P(tv)}).error, 0);
  // Nor one beyond the descriptor table's size (at least 20): nd is cut.
  FdSet far;
  far.Set(100);
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {101, P(&far), 0, 0, P(tv)}).rv0, 0);
  // Only the bytes for the cut nd are read: a 4-byte set is enough for 20.
  uint32_t small = 0;
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {1000, P(&small), 0, 0, P(tv)}).error, 0);
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {uint64_t(uint32_t(-1)), 0, 0, 0, 0}).error, abi::kEINVAL);
  const int32_t bad_usec = 1000000;
  std::memcpy(tv + 8, &bad_usec, 4);
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {uint64_t(fd + 1), P(&in), 0, 0, P(tv)}).error,
            abi::kEINVAL);
  // nd far beyond the table is clamped (NetBSD is forgiving); no sets.
  std::memset(tv, 0, sizeof(tv));
  EXPECT_EQ(k_->Syscall(abi::kSysSelect, {1u << 30, 0, 0, 0, P(tv)}).error, 0);
}

TEST_F(PollTest, InterruptWakesABlockedPollWithEintr) {
  std::shared_ptr<Process> p = k_->NewProcess(1, "poller");
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f, p.get()), abi::kPOLLIN, 0}};
  auto result = std::async(std::launch::async, [&] { return Poll(fds, -1, p.get()); });
  // The interrupt lands during the sleep (the racing case has its own test).
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
  p->Interrupt();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(result.get().error, abi::kEINTR);
  // And every later sleep of the process fails at once.
  EXPECT_EQ(Poll(fds, -1, p.get()).error, abi::kEINTR);
  EXPECT_TRUE(p->interrupted());
  EXPECT_FALSE(k_->init().interrupted());
  // Other processes are unaffected.
  std::vector<PollFd> mine = {{1, abi::kPOLLOUT, 0}};
  EXPECT_EQ(Poll(mine, 0).rv0, 1);
}

TEST_F(PollTest, InterruptRacingWithTheStartOfASleepIsNeverLost) {
  for (int i = 0; i < 200; ++i) {
    std::shared_ptr<Process> p = k_->NewProcess(1, "race");
    std::shared_ptr<FlagFile> f;
    std::vector<PollFd> fds = {{AddFile(&f, p.get()), abi::kPOLLIN, 0}};
    auto result = std::async(std::launch::async, [&] { return Poll(fds, -1, p.get()); });
    p->Interrupt();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready) << i;
    ASSERT_EQ(result.get().error, abi::kEINTR);
    k_->ReleaseProcess(p->pid());
  }
}

TEST_F(PollTest, InterruptWhileManyThreadsSleep) {
  std::shared_ptr<Process> p = k_->NewProcess(1, "many");
  std::shared_ptr<FlagFile> f;
  const int fd = AddFile(&f, p.get());
  std::vector<std::future<int>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      if (i % 2) {
        int64_t ts[2] = {i == 1 ? INT64_MAX : 100, 0};  // also one too long to measure
        return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysNanosleep, {P(ts), 0}).error;
      }
      std::vector<PollFd> fds = {{fd, abi::kPOLLIN, 0}};
      return Poll(fds, -1, p.get()).error;
    }));
  }
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 8; }));
  p->Interrupt();
  for (auto& r : results) {
    ASSERT_EQ(r.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_EQ(r.get(), abi::kEINTR);
  }
}

TEST_F(PollTest, NanosleepSleepsAndIsInterruptible) {
  int64_t ts[2] = {0, 20 * 1000 * 1000};
  int64_t rem[2] = {-1, -1};
  const absl::Time start = absl::Now();
  SyscallResult r = k_->Syscall(abi::kSysNanosleep, {P(ts), P(rem)});
  EXPECT_EQ(r.error, 0);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
  EXPECT_EQ(rem[0], 0);
  EXPECT_EQ(rem[1], 0);

  std::shared_ptr<Process> p = k_->NewProcess(1, "sleeper");
  int64_t long_ts[2] = {1000, 0};
  auto result = std::async(std::launch::async, [&] {
    return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysNanosleep, {P(long_ts), P(rem)});
  });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
  p->Interrupt();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(result.get().error, abi::kEINTR);
  EXPECT_GT(rem[0], 900);  // most of the time was left
  EXPECT_LE(rem[0], 1000);
}

TEST_F(PollTest, HaltReleasesEverySleeper) {
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f), abi::kPOLLIN, 0}};
  auto result = std::async(std::launch::async, [&] { return Poll(fds, -1); });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 1; }));
  k_->Halt(0);
  ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(result.get().error, abi::kEINTR);
  // A process created after the halt cannot sleep either.
  std::shared_ptr<Process> late = k_->NewProcess(1, "late");
  int64_t ts[2] = {1000, 0};
  EXPECT_EQ(k_->Syscall(*late, DirectUserMemory::Get(), abi::kSysNanosleep, {P(ts), 0}).error,
            abi::kEINTR);
}

// A CallInterrupt ends its own call's sleep with EINTR, and only that
// call's: another thread of the same process sleeping beside it stays
// asleep; the process is not marked; a raise before the call sleeps is not
// lost; after the call it changes nothing.
TEST_F(PollTest, CallInterruptEndsOnlyItsOwnCall) {
  std::shared_ptr<Process> p = k_->NewProcess(1, "caller");
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> mine = {{AddFile(&f, p.get()), abi::kPOLLIN, 0}};
  std::vector<PollFd> other = mine;
  CallInterrupt interrupt;
  auto poll_with = [&](std::vector<PollFd>& fds, CallInterrupt* i) {
    const uint64_t args[] = {P(fds.data()), fds.size(), uint64_t(uint32_t(-1))};
    return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysPoll, args, i);
  };
  auto interrupted = std::async(std::launch::async, [&] { return poll_with(mine, &interrupt); });
  auto bystander = std::async(std::launch::async, [&] { return poll_with(other, nullptr); });
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() >= 2; }));
  interrupt.Raise();
  ASSERT_EQ(interrupted.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(interrupted.get().error, abi::kEINTR);
  EXPECT_FALSE(p->interrupted());
  // The other call still sleeps, until its descriptor is ready.
  EXPECT_TRUE(Eventually([&] { return k_->sleeping_threads() == 1; }));
  EXPECT_EQ(bystander.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  f->Set(abi::kPOLLIN);
  ASSERT_EQ(bystander.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(bystander.get().rv0, 1);
  // Raised before the sleep: EINTR at once, whenever the call sleeps.
  f->Set(0);
  CallInterrupt early;
  early.Raise();
  EXPECT_EQ(poll_with(mine, &early).error, abi::kEINTR);
  // A call that need not sleep is unaffected.
  f->Set(abi::kPOLLIN);
  EXPECT_EQ(poll_with(mine, &early).rv0, 1);
}

TEST_F(PollTest, CallInterruptRacingWithTheStartOfASleepIsNeverLost) {
  std::shared_ptr<Process> p = k_->NewProcess(1, "race");
  std::shared_ptr<FlagFile> f;
  std::vector<PollFd> fds = {{AddFile(&f, p.get()), abi::kPOLLIN, 0}};
  for (int i = 0; i < 200; ++i) {
    CallInterrupt interrupt;
    auto result = std::async(std::launch::async, [&] {
      const uint64_t args[] = {P(fds.data()), fds.size(), uint64_t(uint32_t(-1))};
      return k_->Syscall(*p, DirectUserMemory::Get(), abi::kSysPoll, args, &interrupt);
    });
    interrupt.Raise();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(60)), std::future_status::ready) << i;
    ASSERT_EQ(result.get().error, abi::kEINTR) << i;
  }
  EXPECT_FALSE(p->interrupted());
}

TEST(SleepTest, SleepUntilReportsConditionTimeoutAndInterrupt) {
  auto k = Kernel::Boot(KernelOptions{});
  ASSERT_TRUE(k.ok());
  std::shared_ptr<Process> p = (*k)->NewProcess(1, "s");
  SyscallContext ctx{**k, *p, DirectUserMemory::Get()};
  std::mutex mu;
  std::condition_variable cv;
  bool flag = false;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(IsSleepTimeout(
      SleepUntil(ctx, lock, cv, absl::Now() + absl::Milliseconds(5), [&] { return flag; })));
  EXPECT_TRUE(lock.owns_lock());
  std::thread t([&] {
    std::lock_guard<std::mutex> g(mu);
    flag = true;
    cv.notify_all();
  });
  EXPECT_TRUE(SleepUntil(ctx, lock, cv, absl::InfiniteFuture(), [&] { return flag; }).ok());
  lock.unlock();
  t.join();
  lock.lock();
  p->Interrupt();
  p->Interrupt();  // idempotent
  // The condition wins over the interrupt; otherwise EINTR.
  EXPECT_TRUE(SleepUntil(ctx, lock, cv, absl::InfiniteFuture(), [&] { return flag; }).ok());
  absl::Status s = SleepUntil(ctx, lock, cv, absl::InfiniteFuture(), [] { return false; });
  EXPECT_EQ(abi::ToErrno(s), abi::kEINTR);
  EXPECT_TRUE(lock.owns_lock());
}

TEST(ProcessTest, CommCanBeChangedWhileOthersReadIt) {
  Process p(5, 1, "init");
  EXPECT_EQ(p.comm(), "init");
  std::thread reader([&] {
    for (int i = 0; i < 1000; ++i) {
      const std::string c = p.comm();
      ASSERT_TRUE(c == "init" || c == "ping") << c;
    }
  });
  for (int i = 0; i < 100; ++i) p.set_comm(i % 2 ? "init" : "ping");
  reader.join();
  p.set_comm("ping");
  EXPECT_EQ(p.comm(), "ping");
}

}  // namespace
}  // namespace rump
