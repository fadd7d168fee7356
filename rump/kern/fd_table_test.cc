#include "rump/kern/fd_table.h"

#include <atomic>
#include <memory>
#include <thread>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"

namespace rump {
namespace {

class AtomicCountingFile : public File {
 public:
  explicit AtomicCountingFile(std::atomic<int>* closes) : File(abi::kO_RDWR), closes_(closes) {}
  void LastClose() override { ++*closes_; }

 private:
  std::atomic<int>* closes_;
};

class CountingFile : public File {
 public:
  explicit CountingFile(int* closes) : File(abi::kO_RDWR), closes_(closes) {}
  void LastClose() override { ++*closes_; }

 private:
  int* closes_;
};

TEST(FdTableTest, LowestFreeNumberFirst) {
  FdTable t;
  int closes = 0;
  auto f = std::make_shared<CountingFile>(&closes);
  EXPECT_EQ(*t.Install(f, false), 0);
  EXPECT_EQ(*t.Install(f, false), 1);
  EXPECT_EQ(*t.Install(f, false), 2);
  ASSERT_TRUE(t.Close(1).ok());
  EXPECT_EQ(*t.Install(f, false), 1);
  EXPECT_EQ(*t.Install(f, false, 10), 10);
  EXPECT_EQ(*t.Install(f, false, 5), 5);
  EXPECT_EQ(t.MaxFd(), 10);
  t.CloseAll();
  EXPECT_EQ(closes, 1) << "LastClose runs once, when the last descriptor goes";
  EXPECT_EQ(t.MaxFd(), -1);
}

TEST(FdTableTest, DupSharesTheFileAndKeepsItsOwnCloexec) {
  FdTable t;
  int closes = 0;
  auto f = std::make_shared<CountingFile>(&closes);
  ASSERT_EQ(*t.Install(f, true), 0);
  absl::StatusOr<int> d = t.Dup(0, 0, false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 1);
  EXPECT_EQ(*t.GetCloexec(0), true);
  EXPECT_EQ(*t.GetCloexec(1), false);
  EXPECT_EQ(t.Get(0)->get(), t.Get(1)->get());
  ASSERT_TRUE(t.Close(0).ok());
  EXPECT_EQ(closes, 0);
  ASSERT_TRUE(t.Close(1).ok());
  EXPECT_EQ(closes, 1);
}

TEST(FdTableTest, Dup2ReplacesAndClosesTheTarget) {
  FdTable t;
  int closes_a = 0, closes_b = 0;
  ASSERT_EQ(*t.Install(std::make_shared<CountingFile>(&closes_a), false), 0);
  ASSERT_EQ(*t.Install(std::make_shared<CountingFile>(&closes_b), false), 1);
  ASSERT_TRUE(t.Dup2(0, 1, false).ok());
  EXPECT_EQ(closes_b, 1);
  EXPECT_EQ(t.Get(0)->get(), t.Get(1)->get());
  ASSERT_TRUE(t.Dup2(0, 0, false).ok());  // same fd: only checked
  ASSERT_TRUE(t.Dup2(0, 700, false).ok());
  EXPECT_EQ(t.MaxFd(), 700);
}

TEST(FdTableTest, BadDescriptorsAreEbadf) {
  FdTable t;
  EXPECT_EQ(abi::ToErrno(t.Close(0)), abi::kEBADF);
  EXPECT_EQ(abi::ToErrno(t.Close(-1)), abi::kEBADF);
  EXPECT_EQ(abi::ToErrno(t.Get(99999).status()), abi::kEBADF);
  EXPECT_EQ(abi::ToErrno(t.Dup(3, 0, false).status()), abi::kEBADF);
  EXPECT_EQ(abi::ToErrno(t.Dup2(3, 4, false)), abi::kEBADF);
  EXPECT_EQ(abi::ToErrno(t.Dup2(0, FdTable::kMaxDescriptors, false)), abi::kEBADF);
}

TEST(FdTableTest, RunsOutWithEmfile) {
  FdTable t;
  int closes = 0;
  auto f = std::make_shared<CountingFile>(&closes);
  for (int i = 0; i < FdTable::kMaxDescriptors; ++i) ASSERT_TRUE(t.Install(f, false).ok());
  EXPECT_EQ(abi::ToErrno(t.Install(f, false).status()), abi::kEMFILE);
}

// A limit of 0 leaves no descriptor at all: EMFILE, as NetBSD's fdalloc
// answers with a soft RLIMIT_NOFILE of 0, not EINVAL.
TEST(FdTableTest, LimitOfZeroIsEmfile) {
  FdTable t;
  int closes = 0;
  auto f = std::make_shared<CountingFile>(&closes);
  t.set_limit(0);
  EXPECT_EQ(abi::ToErrno(t.Install(f, false).status()), abi::kEMFILE);
  t.set_limit(2);
  ASSERT_TRUE(t.Install(f, false).ok());
  ASSERT_TRUE(t.Install(f, false).ok());
  EXPECT_EQ(abi::ToErrno(t.Install(f, false).status()), abi::kEMFILE);
  EXPECT_EQ(abi::ToErrno(t.Install(f, false, 5).status()), abi::kEMFILE);
}

// A dup racing with a close of its source, and a fork's copy racing with a
// close in the parent: whatever the order, the file is closed exactly once.
TEST(FdTableTest, LastCloseRunsOnceWhenDupOrCopyRacesWithClose) {
  for (int i = 0; i < 2000; ++i) {
    std::atomic<int> closes{0};
    auto f = std::make_shared<AtomicCountingFile>(&closes);
    FdTable t, child;
    const int fd = *t.Install(f, false);
    f.reset();
    absl::StatusOr<int> dup;
    std::thread other([&] {
      if (i % 2) {
        dup = t.Dup(fd, 0, false);
      } else {
        child.CopyFrom(t);
      }
    });
    EXPECT_TRUE(t.Close(fd).ok());
    other.join();
    // Closed once already unless the dup or the copy got there first.
    const bool still_open = (i % 2) ? dup.ok() : child.MaxFd() >= 0;
    EXPECT_EQ(closes.load(), still_open ? 0 : 1) << "round " << i;
    t.CloseAll();
    child.CloseAll();
    EXPECT_EQ(closes.load(), 1) << "round " << i;
  }
}

}  // namespace
}  // namespace rump
