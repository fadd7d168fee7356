#include "shmif/bus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shmif {
namespace {

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

TEST(BusTest, BlockedReceiveWakesOnSendFromAnotherThread) {
  const std::string path = TempPath("wake.bus");
  unlink(path.c_str());
  auto a = Bus::Attach(path);
  auto b = Bus::Attach(path);
  ASSERT_TRUE(a.ok() && b.ok());
  std::thread sender([&] {
    absl::SleepFor(absl::Milliseconds(50));
    auto f = MakeFrame(100, 1);
    ASSERT_TRUE((*a)->Send(f).ok());
  });
  std::vector<uint8_t> buf(kMaxFrameLen);
  auto got = (*b)->Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
  sender.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->len, 100u);
}

TEST(BusTest, InterruptStopsABlockedReceive) {
  const std::string path = TempPath("interrupt.bus");
  unlink(path.c_str());
  auto b = Bus::Attach(path);
  ASSERT_TRUE(b.ok());
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(30));
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

}  // namespace
}  // namespace shmif
