#include "shmif/bus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"

namespace shmif {
namespace {

using ::rump::testing::Eventually;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/", name);
}

// An Ethernet frame to `dst` whose payload bytes are derived from `seq`.
std::vector<uint8_t> MakeFrame(size_t len, uint32_t seq, uint8_t dst0 = 0xff) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(seq * 7 + i);
  std::memset(f.data(), dst0, 6);
  std::memcpy(f.data() + 6, &seq, sizeof(seq));
  f[12] = 0x88;
  f[13] = 0xb5;  // local experimental ethertype
  return f;
}

TEST(BusTest, AttachCreatesOneMebibyteBus) {
  const std::string path = TempPath("create.bus");
  unlink(path.c_str());
  auto bus = Bus::Attach(path);
  ASSERT_TRUE(bus.ok()) << bus.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, kBusSize);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(kBusHeaderSize);
  in.read(reinterpret_cast<char*>(bytes.data()), bytes.size());
  BusHeaderLayout h;
  std::memcpy(&h, bytes.data(), sizeof(h));
  EXPECT_EQ(h.magic, kBusMagic);
  EXPECT_EQ(h.version, 0u);  // written by the first wakeup only
  EXPECT_EQ(h.first, kDataSize);
  EXPECT_EQ(h.last, 0u);
  EXPECT_EQ(h.lock, 0u);
  EXPECT_EQ(h.spare, 0u);
}

TEST(BusTest, FramesFlowBothWaysButNotBackToSender) {
  const std::string path = TempPath("both.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> buf(kMaxFrameLen);
  for (uint32_t i = 0; i < 10; ++i) {
    auto f = MakeFrame(60 + i, i);
    ASSERT_TRUE((*a)->Send(f).ok());
    auto got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(5));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->len, f.size());
    EXPECT_EQ(got->sender, (*a)->sender_id());
    EXPECT_TRUE(std::equal(f.begin(), f.end(), buf.begin()));
    ASSERT_TRUE((*b)->Send(f).ok());
    got = (*a)->Receive(absl::MakeSpan(buf), absl::Seconds(5));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->sender, (*b)->sender_id());
  }
  // Each saw only the other's frames.
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      (*a)->Receive(absl::MakeSpan(buf), absl::ZeroDuration()).status()));
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      (*b)->Receive(absl::MakeSpan(buf), absl::Milliseconds(20)).status()));
  EXPECT_EQ((*a)->stats().frames_sent, 10u);
  EXPECT_EQ((*a)->stats().frames_received, 10u);
}

TEST(BusTest, AReceiverLappedByTheRingCountsTheOverrun) {
  const std::string path = TempPath("lapped.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*b)->overruns(), 0u);
  // Three times the ring's size while b reads nothing.
  const size_t frames = 3 * kBusSize / kMaxFrameLen;
  for (uint32_t i = 0; i < frames; ++i) ASSERT_TRUE((*a)->Send(MakeFrame(kMaxFrameLen, i)).ok());
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(60));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_GE((*b)->overruns(), 1u);
  EXPECT_EQ((*b)->overruns(), (*b)->stats().overruns);
  EXPECT_EQ((*a)->overruns(), 0u);
}

TEST(BusTest, BlockedReceiveWakesOnSendFromAnotherThread) {
  const std::string path = TempPath("wake.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread sender([&] {
    // Once the receiver has gone to sleep, a send must wake it.
    EXPECT_TRUE(Eventually([&] { return (*b)->stats().receive_sleeps >= 1; }));
    auto f = MakeFrame(100, 1);
    ASSERT_TRUE((*a)->Send(f).ok());
  });
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto got = (*b)->Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
  sender.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->len, 100u);
}

// A receiver that watches the ring before sleeping (what the shmif driver
// does) still gets every frame in order, times out, and can be interrupted
// while it watches.
TEST(BusTest, SpinningReceiverKeepsReceiveSemantics) {
  const std::string path = TempPath("spin.bus");
  unlink(path.c_str());
  AttachOptions spin;
  spin.receive_spin = absl::Milliseconds(20);
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path, spin);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> buf(kMaxFrameLen);
  std::thread sender([&] {
    for (int i = 0; i < 200; ++i) {
      auto f = MakeFrame(60 + i, static_cast<uint8_t>(i));
      ASSERT_TRUE((*a)->Send(f).ok());
      if (i % 10 == 0) absl::SleepFor(absl::Microseconds(300));
    }
  });
  for (int i = 0; i < 200; ++i) {
    auto got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(30));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->len, 60u + i);
  }
  sender.join();
  // Traffic was recent, so this Receive watches the ring, then times out.
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      (*b)->Receive(absl::MakeSpan(buf), absl::Milliseconds(5)).status()));
  auto f = MakeFrame(100, 7);
  ASSERT_TRUE((*a)->Send(f).ok());
  ASSERT_TRUE((*b)->Receive(absl::MakeSpan(buf), absl::Seconds(30)).ok());
  // Interrupted while it watches: an attachment that watches for an hour
  // whenever a frame came in the last hour.
  AttachOptions watch;
  watch.receive_spin = absl::Hours(1);
  watch.receive_spin_window = absl::Hours(1);
  auto c = Bus::Attach(path, watch);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*a)->Send(f).ok());
  ASSERT_TRUE((*c)->Receive(absl::MakeSpan(buf), absl::Seconds(30)).ok());
  std::thread stopper([&] {
    EXPECT_TRUE(Eventually([&] { return (*c)->stats().receive_watches >= 1; }));
    (*c)->Interrupt();
  });
  auto got = (*c)->Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
  stopper.join();
  EXPECT_TRUE(absl::IsCancelled(got.status())) << got.status();
  EXPECT_EQ((*c)->stats().receive_sleeps, 0u);  // it never slept
}

TEST(BusTest, InterruptStopsABlockedReceive) {
  const std::string path = TempPath("interrupt.bus");
  unlink(path.c_str());
  auto b = Bus::Attach(path);
  ASSERT_TRUE(b.ok());
  std::thread stopper([&] {
    EXPECT_TRUE(Eventually([&] { return (*b)->stats().receive_sleeps >= 1; }));
    (*b)->Interrupt();
  });
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto got = (*b)->Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
  stopper.join();
  EXPECT_TRUE(absl::IsCancelled(got.status())) << got.status();
  // The interruption is consumed: the next receive just times out.
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      (*b)->Receive(absl::MakeSpan(buf), absl::Milliseconds(10)).status()));
}

TEST(BusTest, RejectsBadFrameLengthsAndShortBuffers) {
  const std::string path = TempPath("lengths.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  ASSERT_TRUE(a.ok());
  std::vector<uint8_t> small(13), big(kMaxFrameLen + 1), ok(64);
  EXPECT_TRUE(absl::IsInvalidArgument((*a)->Send(small)));
  EXPECT_TRUE(absl::IsInvalidArgument((*a)->Send(big)));
  std::vector<absl::Span<const uint8_t>> batch = {ok, big};
  EXPECT_TRUE(absl::IsInvalidArgument((*a)->SendBatch(batch)));
  EXPECT_EQ((*a)->stats().frames_sent, 0u);
  std::vector<uint8_t> buf(100);
  EXPECT_TRUE(absl::IsInvalidArgument(
      (*a)->Receive(absl::MakeSpan(buf), absl::ZeroDuration()).status()));
}

TEST(BusTest, RefusesFilesThatAreNotBuses) {
  const std::string dir = TempPath("adir");
  mkdir(dir.c_str(), 0755);
  auto r = Bus::Attach(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(dir));

  const std::string text = TempPath("text.bus");
  { std::ofstream(text) << "hello, this is not a bus\n"; }
  r = Bus::Attach(text);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not a shmif bus"));
  struct stat st;
  ASSERT_EQ(stat(text.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 25) << "a refused file must not be modified";

  const std::string huge = TempPath("huge.bus");
  { std::ofstream touch(huge); }
  ASSERT_EQ(truncate(huge.c_str(), 2 * kBusSize), 0);
  r = Bus::Attach(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not a shmif bus"));

  const std::string swapped = TempPath("swapped.bus");
  {
    std::ofstream out(swapped, std::ios::binary);
    const uint32_t m = __builtin_bswap32(kBusMagic);
    out.write(reinterpret_cast<const char*>(&m), 4);
  }
  r = Bus::Attach(swapped);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("byte order"));

  r = Bus::Attach("/nonexistent-dir/x.bus");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cannot open"));
}

TEST(BusTest, ExtendsAShortBusKeepingItsContents) {
  const std::string path = TempPath("short.bus");
  {
    std::ofstream out(path, std::ios::binary);
    const uint32_t m = kBusMagic;
    out.write(reinterpret_cast<const char*>(&m), 4);
  }
  auto r = Bus::Attach(path);
  ASSERT_TRUE(r.ok()) << r.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, kBusSize);
}


// Writes `value` at `offset` of the bus file, as a stray process might.
void Scribble(const std::string& path, uint32_t offset, const void* value, size_t n) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, value, n, offset), ssize_t(n));
  close(fd);
}

TEST(BusTest, CorruptHeaderFieldsAreResetAndTrafficGoesOn) {
  const std::string path = TempPath("corrupt.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto f = MakeFrame(80, 1);

  const uint32_t far = kDataSize + 1000;
  Scribble(path, kLastOffset, &far, 4);
  absl::Status sent = (*a)->Send(f);
  EXPECT_TRUE(absl::IsDataLoss(sent)) << sent;  // reported, and sent anyway
  auto got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->len, 80u);

  // Garbage length in the newest frame: the receiver reports it once.
  ASSERT_TRUE((*a)->Send(f).ok());
  const uint32_t garbage = 0x7fffffff;
  {
    int fd = open(path.c_str(), O_RDONLY);
    uint32_t last;
    ASSERT_EQ(pread(fd, &last, 4, kLastOffset), 4);
    close(fd);
    Scribble(path, kBusHeaderSize + last, &garbage, 4);
  }
  got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(5));
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  ASSERT_TRUE((*a)->Send(f).ok());
  got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(5));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->len, 80u);
  EXPECT_GE((*a)->stats().corrupt_resets + (*b)->stats().corrupt_resets, 2u);
}

// Random garbage over the header and the ring between sends and receives:
// every call returns (no crash, no hang), and clean traffic resumes after.
TEST(BusTest, SurvivesRandomScribbling) {
  const std::string path = TempPath("scribble.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> buf(kMaxFrameLen);
  uint32_t rng = 12345;
  auto next = [&] { return rng = rng * 1103515245u + 12345u; };
  for (int round = 0; round < 300; ++round) {
    for (int i = 0; i < 3; ++i) {
      auto f = MakeFrame(14 + next() % (kMaxFrameLen - 14), round);
      (void)(*a)->Send(f);
    }
    uint32_t junk = next();
    // Header words except magic and the lock pair; then somewhere in the ring.
    const uint32_t header_offsets[] = {kVersionOffset, kGenOffset, kGenOffset + 4,
                                       kFirstOffset, kLastOffset};
    Scribble(path, header_offsets[next() % 5], &junk, 4);
    junk = next();
    Scribble(path, kBusHeaderSize + next() % (kDataSize - 4), &junk, 4);
    for (int i = 0; i < 5; ++i) {
      auto got = (*b)->Receive(absl::MakeSpan(buf), absl::ZeroDuration());
      if (absl::IsDeadlineExceeded(got.status())) break;
    }
  }
  // Drain, then clean traffic flows again.
  while (!absl::IsDeadlineExceeded(
      (*b)->Receive(absl::MakeSpan(buf), absl::ZeroDuration()).status())) {
  }
  auto f = MakeFrame(99, 7);
  (void)(*a)->Send(f);  // may report the last scribble
  ASSERT_TRUE((*a)->Send(f).ok());
  bool seen = false;
  for (int i = 0; i < 4 && !seen; ++i) {
    auto got = (*b)->Receive(absl::MakeSpan(buf), absl::Seconds(60));
    seen = got.ok() && got->len == 99;
  }
  EXPECT_TRUE(seen);
}

TEST(BusLockTest, WaitsForANetBsdHolderAndNeverStealsIt) {
  const std::string path = TempPath("netbsdlock.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  ASSERT_TRUE(a.ok());
  // A NetBSD peer holds the lock: word 1, spare 0.
  const uint32_t one = 1;
  Scribble(path, kLockOffset, &one, 4);
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    auto f = MakeFrame(64, 1);
    EXPECT_TRUE((*a)->Send(f).ok());
    sent = true;
  });
  // The sender has looked at the holder several times and still waits.
  ASSERT_TRUE(Eventually([&] { return (*a)->stats().lock_holder_checks >= 3; }));
  EXPECT_FALSE(sent.load()) << "took a lock held by a NetBSD peer";
  const uint32_t zero = 0;
  Scribble(path, kLockOffset, &zero, 4);  // the peer releases it
  sender.join();
  EXPECT_TRUE(sent.load());
  EXPECT_EQ((*a)->stats().lock_recoveries, 0u);
}

TEST(BusLockTest, TellsLiveHoldersFromDeadOnes) {
  const std::string path = TempPath("liveness.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  ASSERT_TRUE(a.ok());
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> mem(kBusSize);
  BusLock lock(mem.data(), fd);
  const uint32_t me = BusLock::kHolderMark | uint32_t(getpid());
  EXPECT_FALSE(lock.HolderIsDead(me)) << "this process is attached";
  EXPECT_FALSE(lock.HolderIsDead(0)) << "a NetBSD holder is never known dead";
  // A pid that is not attached (pid 1 is not on our bus).
  EXPECT_TRUE(lock.HolderIsDead(BusLock::kHolderMark | BusLock::kWriterBit | 1));
  close(fd);
}

// The liveness mark of this very file description never conflicts with a
// query through it, so another thread of the holder's own process must not
// be taken for dead (it once was, and a receive thread reset the ring under
// a sending thread).
TEST(BusLockTest, AThreadOfTheHoldingProcessIsAlive) {
  const std::string path = TempPath("self.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  ASSERT_TRUE(a.ok());
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> mem(kBusSize);
  BusLock lock(mem.data(), fd);
  ASSERT_TRUE(lock.RegisterLiveness().ok());
  EXPECT_FALSE(lock.HolderIsDead(BusLock::kHolderMark | BusLock::kWriterBit |
                                 uint32_t(getpid())));
  ASSERT_EQ(lock.Acquire(/*writer=*/true), BusLock::Takeover::kNone);
  std::atomic<int> takeover{-1};
  std::thread other([&] {
    takeover = static_cast<int>(lock.Acquire(/*writer=*/false));
    lock.Release();
  });
  // The other thread has checked on this holder several times.
  EXPECT_TRUE(Eventually([&] { return lock.holder_checks() >= 3; }));
  lock.Release();
  other.join();
  EXPECT_EQ(takeover.load(), static_cast<int>(BusLock::Takeover::kNone));
  close(fd);
}

}  // namespace
}  // namespace shmif
