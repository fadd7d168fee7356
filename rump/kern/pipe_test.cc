// pipe(2) and pipe2(2) through a real Kernel's syscall table, with the
// caller's memory direct: data both in order and in pieces, end of file,
// EPIPE, O_NONBLOCK, atomic small writes, poll readiness and the wake-ups
// that closing one end gives a thread blocked on the other.
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "rump/kern/pipe.h"

namespace rump {
namespace {

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

struct PollFd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Kernel::Boot(KernelOptions{});
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
  }
  SyscallResult Call(int number, std::vector<uint64_t> args) {
    return k_->Syscall(number, absl::MakeConstSpan(args));
  }
  // pipe2 into fds_; asserts success.
  void Open(int flags = 0) {
    SyscallResult r = Call(abi::kSysPipe2, {P(fds_), uint64_t(flags)});
    ASSERT_EQ(r.error, 0);
  }
  SyscallResult Write(int fd, const std::string& s) {
    return Call(abi::kSysWrite, {uint64_t(fd), P(s.data()), s.size()});
  }
  std::string Read(int fd, size_t n, int* error = nullptr) {
    std::string buf(n, '\0');
    SyscallResult r = Call(abi::kSysRead, {uint64_t(fd), P(buf.data()), n});
    if (error) *error = r.error;
    buf.resize(r.error == 0 ? size_t(r.rv0) : 0);
    return buf;
  }
  int16_t PollOne(int fd, int16_t events) {
    PollFd p{fd, events, 0};
    SyscallResult r = Call(abi::kSysPoll, {P(&p), 1, 0});
    EXPECT_EQ(r.error, 0);
    return p.revents;
  }
  std::unique_ptr<Kernel> k_;
  int fds_[2] = {-1, -1};
};

TEST_F(PipeTest, PipeReturnsBothEndsInRegisters) {
  SyscallResult r = Call(abi::kSysPipe, {});
  ASSERT_EQ(r.error, 0);
  EXPECT_NE(r.rv0, r.rv1);
  EXPECT_EQ(Write(int(r.rv1), "x").rv0, 1);
  EXPECT_EQ(Read(int(r.rv0), 4), "x");
}

TEST_F(PipeTest, DataFlowsInOrderThenEndOfFile) {
  Open();
  EXPECT_EQ(Write(fds_[1], "hello ").rv0, 6);
  EXPECT_EQ(Write(fds_[1], "world").rv0, 5);
  EXPECT_EQ(Read(fds_[0], 3), "hel");
  EXPECT_EQ(Read(fds_[0], 100), "lo world");
  EXPECT_EQ(Call(abi::kSysClose, {uint64_t(fds_[1])}).error, 0);
  int error = -1;
  EXPECT_EQ(Read(fds_[0], 10, &error), "");
  EXPECT_EQ(error, 0);  // end of file, not an error
}

TEST_F(PipeTest, WrongEndAndBadFlags) {
  Open();
  int error = 0;
  Read(fds_[1], 1, &error);
  EXPECT_EQ(error, abi::kEBADF);
  EXPECT_EQ(Write(fds_[0], "x").error, abi::kEBADF);
  int out[2];
  EXPECT_EQ(Call(abi::kSysPipe2, {P(out), 0x80000}).error, abi::kEINVAL);
}

TEST_F(PipeTest, NonblockingAndAtomicWrites) {
  Open(abi::kO_NONBLOCK);
  int error = 0;
  Read(fds_[0], 1, &error);
  EXPECT_EQ(error, abi::kEAGAIN);
  // Fill all but 100 bytes; a 512-byte write then fits nowhere (EAGAIN),
  // a large one writes what fits.
  const std::string big(kPipeSize - 100, 'a');
  EXPECT_EQ(Write(fds_[1], big).rv0, int64_t(big.size()));
  EXPECT_EQ(Write(fds_[1], std::string(kPipeBuf, 'b')).error, abi::kEAGAIN);
  EXPECT_EQ(PollOne(fds_[1], abi::kPOLLOUT), 0);
  EXPECT_EQ(Write(fds_[1], std::string(1000, 'c')).rv0, 100);
  int n = -1;
  ASSERT_EQ(Call(abi::kSysIoctl, {uint64_t(fds_[0]), abi::kFIONREAD, P(&n)}).error, 0);
  EXPECT_EQ(n, int(kPipeSize));
}

TEST_F(PipeTest, PollReadinessAndHangup) {
  Open();
  EXPECT_EQ(PollOne(fds_[0], abi::kPOLLIN), 0);
  EXPECT_EQ(PollOne(fds_[1], abi::kPOLLOUT), abi::kPOLLOUT);
  Write(fds_[1], "z");
  EXPECT_EQ(PollOne(fds_[0], abi::kPOLLIN), abi::kPOLLIN);
  EXPECT_EQ(Call(abi::kSysClose, {uint64_t(fds_[0])}).error, 0);
  EXPECT_EQ(PollOne(fds_[1], abi::kPOLLOUT), abi::kPOLLHUP | abi::kPOLLERR);
  EXPECT_EQ(Write(fds_[1], "y").error, abi::kEPIPE);
}

TEST_F(PipeTest, BlockedReaderWakesForDataAndForClose) {
  Open();
  std::string got;
  std::thread reader([&] { got = Read(fds_[0], 10); });
  EXPECT_EQ(Write(fds_[1], "wake").rv0, 4);
  reader.join();
  EXPECT_EQ(got, "wake");

  int error = -1;
  std::thread eof([&] { got = Read(fds_[0], 10, &error); });
  EXPECT_EQ(Call(abi::kSysClose, {uint64_t(fds_[1])}).error, 0);
  eof.join();
  EXPECT_EQ(got, "");
  EXPECT_EQ(error, 0);
}

TEST_F(PipeTest, BlockedWriterCompletesAsTheReaderDrains) {
  Open();
  // Twice the buffer, in one write: it blocks until the reader takes it.
  std::string data(2 * kPipeSize + 7, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = char('a' + i % 26);
  int64_t wrote = -1;
  std::thread writer([&] { wrote = Write(fds_[1], data).rv0; });
  std::string got;
  while (got.size() < data.size()) {
    const std::string piece = Read(fds_[0], 4096);
    ASSERT_FALSE(piece.empty());
    got += piece;
  }
  writer.join();
  EXPECT_EQ(wrote, int64_t(data.size()));
  EXPECT_EQ(got, data);
}

TEST_F(PipeTest, ClosingTheReaderFailsABlockedWriter) {
  Open();
  EXPECT_EQ(Write(fds_[1], std::string(kPipeSize, 'f')).rv0, int64_t(kPipeSize));
  SyscallResult r;
  std::thread writer([&] { r = Write(fds_[1], "more"); });
  EXPECT_EQ(Call(abi::kSysClose, {uint64_t(fds_[0])}).error, 0);
  writer.join();
  EXPECT_EQ(r.error, abi::kEPIPE);
}

// The read end gone entirely (closed and destroyed) before the write end is
// closed: closing the writer must not touch the reader's poll waiters
// (AddressSanitizer caught that).
TEST(PipeEndsTest, EitherEndMayOutliveTheOther) {
  for (bool reader_first : {true, false}) {
    auto [r, w] = MakePipe(false);
    std::shared_ptr<File>& first = reader_first ? r : w;
    std::shared_ptr<File>& second = reader_first ? w : r;
    first->LastClose();
    first.reset();
    second->LastClose();
    EXPECT_NE(second->Poll(abi::kPOLLIN | abi::kPOLLOUT), 0);  // EOF or EPIPE: ready
  }
}

}  // namespace
}  // namespace rump
