// The lossy-link impairment: LinkImpairment's decisions on their own (with
// timers the test runs by hand), then on an interface of a kernel (the
// real timer queue, going down, being destroyed with frames pending, and
// the net.link.impair.<ifname> sysctl nodes).
#include "rump/net/impairment.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using testing::Eventually;

// Frame number i: four bytes, enough to tell frames apart.
std::vector<uint8_t> Frame(uint32_t i) {
  std::vector<uint8_t> f(4);
  std::memcpy(f.data(), &i, 4);
  return f;
}

uint32_t Id(const std::vector<uint8_t>& f) {
  uint32_t i = 0;
  std::memcpy(&i, f.data(), std::min<size_t>(4, f.size()));
  return i;
}

std::vector<uint32_t> Ids(const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<uint32_t> ids;
  for (const auto& f : frames) ids.push_back(Id(f));
  return ids;
}

// A LinkImpairment whose frames are recorded and whose timers wait until
// the test runs them.
class Harness {
 public:
  explicit Harness(bool with_timers = true)
      : imp_(
            [this](absl::Span<const uint8_t> f) {
              std::lock_guard<std::mutex> lock(mu_);
              sent_.emplace_back(f.begin(), f.end());
              return absl::OkStatus();
            },
            with_timers ? LinkImpairment::Schedule([this](absl::Duration d,
                                                          std::function<void()> fn) {
              std::lock_guard<std::mutex> lock(mu_);
              timers_.emplace_back(d, std::move(fn));
            })
                        : LinkImpairment::Schedule(),
            [this](size_t n) { lost_ += n; }) {}

  LinkImpairment& imp() { return imp_; }
  // Frames the impairment told us it lost (discarded, queue full).
  size_t lost() { return lost_.load(); }
  void Send(uint32_t i) { ASSERT_TRUE(imp_.Output(Frame(i)).ok()); }
  void SendRange(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) Send(i);
  }
  std::vector<uint32_t> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return Ids(sent_);
  }
  size_t timers() {
    std::lock_guard<std::mutex> lock(mu_);
    return timers_.size();
  }
  absl::Duration first_timer_delay() {
    std::lock_guard<std::mutex> lock(mu_);
    return timers_.empty() ? absl::InfiniteDuration() : timers_.front().first;
  }
  // Runs the timers scheduled so far, in order (as the timer thread would,
  // one at a time).
  void RunTimers() {
    std::vector<std::pair<absl::Duration, std::function<void()>>> now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      now.swap(timers_);
    }
    for (auto& t : now) t.second();
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<uint8_t>> sent_;
  std::vector<std::pair<absl::Duration, std::function<void()>>> timers_;
  std::atomic<size_t> lost_{0};
  LinkImpairment imp_;
};

ImpairmentConfig Config(uint32_t drop, uint32_t duplicate, uint32_t reorder, uint64_t seed) {
  ImpairmentConfig c;
  c.drop_ppm = drop;
  c.duplicate_ppm = duplicate;
  c.reorder_ppm = reorder;
  c.seed = seed;
  return c;
}

constexpr uint32_t kAll = ImpairmentConfig::kMillion;

TEST(SplitMix64Test, MatchesTheReferenceSequence) {
  // Vigna's splitmix64.c from state 0.
  SplitMix64 r(0);
  EXPECT_EQ(r.Next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(r.Next(), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(r.Next(), 0x06c45d188009454full);
}

TEST(SplitMix64Test, ChanceAtTheEdges) {
  SplitMix64 r(7);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_FALSE(r.Chance(0));
    ASSERT_TRUE(r.Chance(kAll));
    ASSERT_TRUE(r.Chance(kAll + 5));
  }
}

TEST(LinkImpairmentTest, OffByDefaultAndWithEverythingZero) {
  Harness h;
  EXPECT_FALSE(h.imp().active());
  ASSERT_TRUE(h.imp().Set(Config(0, 0, 0, 99)).ok());
  EXPECT_FALSE(h.imp().active());  // a seed alone impairs nothing
  // Called anyway, it passes every frame unchanged, in order.
  h.SendRange(1000);
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 1000; ++i) want.push_back(i);
  EXPECT_EQ(h.sent(), want);
  const ImpairmentCounters c = h.imp().counters();
  EXPECT_EQ(c.dropped + c.duplicated + c.reordered + c.delayed, 0u);
  EXPECT_EQ(h.timers(), 0u);
}

TEST(LinkImpairmentTest, DropAllDropsEverythingAndCountsIt) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(kAll, 0, 0, 1)).ok());
  EXPECT_TRUE(h.imp().active());
  h.SendRange(1000);
  EXPECT_TRUE(h.sent().empty());
  EXPECT_EQ(h.imp().counters().dropped, 1000u);
  EXPECT_EQ(h.imp().pending(), 0u);
}

TEST(LinkImpairmentTest, DuplicateAllSendsEveryFrameTwiceBackToBack) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(0, kAll, 0, 1)).ok());
  h.SendRange(500);
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 500; ++i) want.insert(want.end(), {i, i});
  EXPECT_EQ(h.sent(), want);
  EXPECT_EQ(h.imp().counters().duplicated, 500u);
}

TEST(LinkImpairmentTest, ReorderSwapsAdjacentFramesAndALoneHeldFrameStillGoesOut) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(0, 0, kAll, 1)).ok());
  h.SendRange(6);
  // 0 held, 1 overtakes it; 2 held, 3 overtakes; ...
  EXPECT_EQ(h.sent(), (std::vector<uint32_t>{1, 0, 3, 2, 5, 4}));
  EXPECT_EQ(h.imp().counters().reordered, 3u);
  // The hold timers of the frames released already do nothing.
  h.RunTimers();
  EXPECT_EQ(h.sent().size(), 6u);

  // A lone frame is held, then sent when its hold runs out.
  h.Send(6);
  EXPECT_EQ(h.sent().size(), 6u);
  EXPECT_EQ(h.imp().pending(), 1u);
  EXPECT_TRUE(h.imp().active());
  ASSERT_EQ(h.timers(), 1u);
  EXPECT_EQ(h.first_timer_delay(), LinkImpairment::kHoldLimit);
  // Cleared meanwhile: the held frame still goes out.
  ASSERT_TRUE(h.imp().Set(Config(0, 0, 0, 1)).ok());
  EXPECT_TRUE(h.imp().active());  // until it has
  h.RunTimers();
  EXPECT_EQ(h.sent(), (std::vector<uint32_t>{1, 0, 3, 2, 5, 4, 6}));
  EXPECT_EQ(h.imp().counters().reordered, 3u);  // it was not overtaken
  EXPECT_EQ(h.imp().pending(), 0u);
  EXPECT_FALSE(h.imp().active());
}

TEST(LinkImpairmentTest, AHeldDuplicateKeepsBothCopies) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(0, kAll, kAll, 1)).ok());
  h.SendRange(2);
  EXPECT_EQ(h.sent(), (std::vector<uint32_t>{1, 1, 0, 0}));
}

TEST(LinkImpairmentTest, DiscardDropsHeldFrames) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(0, 0, kAll, 1)).ok());
  h.Send(0);
  EXPECT_EQ(h.imp().Discard(), 1u);
  EXPECT_EQ(h.lost(), 1u);
  EXPECT_EQ(h.imp().pending(), 0u);
  h.RunTimers();
  EXPECT_TRUE(h.sent().empty());
  // And the next frame is not taken for one that overtakes a held one.
  h.Send(1);
  EXPECT_TRUE(h.sent().empty());  // held itself
  h.RunTimers();
  EXPECT_EQ(h.sent(), (std::vector<uint32_t>{1}));
  EXPECT_EQ(h.imp().counters().reordered, 0u);
}

TEST(LinkImpairmentTest, AFullDelayQueueRefusesFramesAndTellsOfThem) {
  Harness h;
  ImpairmentConfig c;
  c.delay = absl::Seconds(1);  // the test never runs the timer
  ASSERT_TRUE(h.imp().Set(c).ok());
  const std::vector<uint8_t> mib(size_t{1} << 20, 0xab);
  for (size_t i = 0; i < LinkImpairment::kMaxQueuedBytes / mib.size(); ++i) {
    ASSERT_TRUE(h.imp().Output(mib).ok()) << i;
  }
  EXPECT_EQ(abi::ToErrno(h.imp().Output(mib)), abi::kENOBUFS);
  EXPECT_EQ(h.lost(), 1u);
  // A held frame released into a full queue is lost and told of too.
  ASSERT_TRUE(h.imp().Update([](ImpairmentConfig& x) { x.reorder_ppm = kAll; }, true).ok());
  ASSERT_TRUE(h.imp().Output(Frame(1)).ok());  // held (the queue has no room)
  EXPECT_EQ(abi::ToErrno(h.imp().Output(Frame(2))), abi::kENOBUFS);
  EXPECT_EQ(h.lost(), 3u);
  EXPECT_EQ(h.imp().pending(), 8u);
  EXPECT_EQ(h.imp().Discard(), 8u);
  EXPECT_EQ(h.lost(), 11u);
  EXPECT_TRUE(h.sent().empty());
}

// What a run of `n` frames gives with `config`, timers run at the end.
std::vector<uint32_t> Outcome(const ImpairmentConfig& config, uint32_t n) {
  Harness h;
  EXPECT_TRUE(h.imp().Set(config).ok());
  h.SendRange(n);
  h.RunTimers();
  return h.sent();
}

TEST(LinkImpairmentTest, TheSameSeedGivesTheSameDecisions) {
  const ImpairmentConfig c = Config(200000, 200000, 200000, 42);
  const std::vector<uint32_t> a = Outcome(c, 10000);
  EXPECT_EQ(Outcome(c, 10000), a);
  ImpairmentConfig other = c;
  other.seed = 43;
  EXPECT_NE(Outcome(other, 10000), a);

  // Setting the seed again restarts the sequence; changing a probability
  // alone does not.
  Harness h;
  ASSERT_TRUE(h.imp().Set(c).ok());
  h.SendRange(10000);
  h.RunTimers();
  ASSERT_TRUE(h.imp().Update([](ImpairmentConfig& x) { x.seed = 42; }, /*reseed=*/true).ok());
  for (uint32_t i = 0; i < 10000; ++i) h.Send(i);
  h.RunTimers();
  std::vector<uint32_t> twice = a;
  twice.insert(twice.end(), a.begin(), a.end());
  EXPECT_EQ(h.sent(), twice);

  // Every frame draws three numbers whatever the probabilities: the drop
  // decisions are the same with or without duplicates and reordering.
  Harness d1, d2;
  ASSERT_TRUE(d1.imp().Set(Config(300000, 0, 0, 9)).ok());
  ASSERT_TRUE(d2.imp().Set(Config(300000, 0, 0, 9)).ok());
  ASSERT_TRUE(d2.imp()
                  .Update([](ImpairmentConfig& x) { x.duplicate_ppm = 1; }, /*reseed=*/false)
                  .ok());
  d1.SendRange(2000);
  d2.SendRange(2000);
  EXPECT_EQ(d1.imp().counters().dropped, d2.imp().counters().dropped);
}

TEST(LinkImpairmentTest, OnePercentIsAboutOnePercent) {
  // Deterministic (seeded); the bounds are 3 standard deviations and more.
  constexpr uint32_t kFrames = 100000;
  for (uint64_t seed : {1ull, 2ull, 12345ull, 0xdeadbeefull}) {
    Harness h;
    ASSERT_TRUE(h.imp().Set(Config(10000, 10000, 10000, seed)).ok());
    h.SendRange(kFrames);
    h.RunTimers();
    const ImpairmentCounters c = h.imp().counters();
    EXPECT_GE(c.dropped, 700u) << seed;
    EXPECT_LE(c.dropped, 1300u) << seed;
    EXPECT_GE(c.duplicated, 700u) << seed;
    EXPECT_LE(c.duplicated, 1300u) << seed;
    EXPECT_GE(c.reordered, 700u) << seed;
    EXPECT_LE(c.reordered, 1300u) << seed;
    // Every frame not dropped went out, duplicates twice.
    EXPECT_EQ(h.sent().size(), kFrames - c.dropped + c.duplicated) << seed;
  }
}

TEST(LinkImpairmentTest, BadSettingsAreRefusedAndChangeNothing) {
  Harness h;
  ASSERT_TRUE(h.imp().Set(Config(5, 6, 7, 8)).ok());
  EXPECT_EQ(h.imp().Set(Config(kAll + 1, 0, 0, 1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.imp().Set(Config(0, kAll + 1, 0, 1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.imp().Set(Config(0, 0, kAll + 1, 1)).code(), absl::StatusCode::kInvalidArgument);
  ImpairmentConfig c;
  c.delay = LinkImpairment::kMaxDelay + absl::Microseconds(1);
  EXPECT_EQ(h.imp().Set(c).code(), absl::StatusCode::kInvalidArgument);
  c.delay = -absl::Microseconds(1);
  EXPECT_EQ(h.imp().Set(c).code(), absl::StatusCode::kInvalidArgument);
  c.delay = LinkImpairment::kMaxDelay;
  EXPECT_TRUE(c.Validate().ok());
  const ImpairmentConfig now = h.imp().config();
  EXPECT_EQ(now.drop_ppm, 5u);
  EXPECT_EQ(now.duplicate_ppm, 6u);
  EXPECT_EQ(now.reorder_ppm, 7u);
  EXPECT_EQ(now.seed, 8u);

  // Without timers, only drop and duplicate can be had.
  Harness bare(/*with_timers=*/false);
  EXPECT_TRUE(bare.imp().Set(Config(10, 10, 0, 1)).ok());
  EXPECT_EQ(bare.imp().Set(Config(0, 0, 10, 1)).code(), absl::StatusCode::kFailedPrecondition);
  c = ImpairmentConfig{};
  c.delay = absl::Milliseconds(1);
  EXPECT_EQ(bare.imp().Set(c).code(), absl::StatusCode::kFailedPrecondition);
}

// --- on an interface of a kernel

// What a RecordingDriver saw; shared, so that it outlives the interface.
struct Wire {
  std::mutex mu;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<absl::Time> times;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return frames.size();
  }
  std::vector<uint32_t> ids() {
    std::lock_guard<std::mutex> lock(mu);
    return Ids(frames);
  }
};

class RecordingDriver final : public InterfaceDriver {
 public:
  explicit RecordingDriver(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  absl::Status Start(Interface&) override { return absl::OkStatus(); }
  void Stop(Interface&) override {}
  absl::Status Output(Interface&, absl::Span<const uint8_t> frame) override {
    std::lock_guard<std::mutex> lock(wire_->mu);
    wire_->frames.emplace_back(frame.begin(), frame.end());
    wire_->times.push_back(absl::Now());
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Wire> wire_;
};

class RecordingCloner final : public InterfaceCloner {
 public:
  explicit RecordingCloner(std::shared_ptr<Wire> wire) : wire_(std::move(wire)) {}
  absl::string_view name() const override { return "rec"; }
  absl::StatusOr<InterfaceSpec> Create(int unit, const char*) override {
    InterfaceSpec spec;
    spec.driver = std::make_unique<RecordingDriver>(wire_);
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.lladdr = {0x02, 0, 0, 0, 0, uint8_t(unit + 1)};
    spec.hdrlen = 14;
    return spec;
  }

 private:
  std::shared_ptr<Wire> wire_;
};

class InterfaceImpairmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KernelOptions o;
    o.components.push_back([] { return std::make_unique<NetStack>(); });
    auto k = Kernel::Boot(std::move(o));
    ASSERT_TRUE(k.ok()) << k.status();
    k_ = std::move(*k);
    net_ = k_->Find<NetStack>();
    ASSERT_TRUE(net_->RegisterCloner(std::make_unique<RecordingCloner>(wire_)).ok());
    auto ifp = net_->CreateInterface("rec0");
    ASSERT_TRUE(ifp.ok()) << ifp.status();
    ifp_ = *ifp;
    ASSERT_TRUE(net_->SetFlags(*ifp_, ifp_->flags() | abi::kIFF_UP).ok());
    ASSERT_TRUE(ifp_->up_and_running());
  }

  void SendRange(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) ASSERT_TRUE(ifp_->Output(Frame(i)).ok());
  }

  // Returns once every timer due by `after` from now has run: timers run in
  // deadline order, so one scheduled later proves it.
  void WaitForTimersDueBy(absl::Duration after) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    k_->timers().Schedule(after, [done] { done->store(true); });
    ASSERT_TRUE(Eventually([&] { return done->load(); }));
  }

  int Sysctl(const std::string& name, std::string* out, const void* newp = nullptr,
             size_t newlen = 0) {
    absl::StatusOr<std::vector<int>> mib = k_->sysctl().Resolve(name);
    if (!mib.ok()) return abi::kENOENT;
    size_t len = 8;
    return testing::Sysctl(*k_, *mib, out, &len, false, newp, newlen);
  }

  std::shared_ptr<Wire> wire_ = std::make_shared<Wire>();
  std::unique_ptr<Kernel> k_;
  NetStack* net_ = nullptr;
  std::shared_ptr<Interface> ifp_;
};

TEST_F(InterfaceImpairmentTest, OffPassesEverythingAndTheCountersCountTheWire) {
  EXPECT_FALSE(ifp_->impairment().active());
  SendRange(100);
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 100; ++i) want.push_back(i);
  EXPECT_EQ(wire_->ids(), want);
  EXPECT_EQ(ifp_->stats().opackets, 100u);

  // Dropped frames are not output packets; duplicates count twice.
  ASSERT_TRUE(ifp_->impairment().Set(Config(kAll, 0, 0, 1)).ok());
  SendRange(10);
  ASSERT_TRUE(ifp_->impairment().Set(Config(0, kAll, 0, 1)).ok());
  SendRange(10);
  EXPECT_EQ(ifp_->stats().opackets, 120u);
  EXPECT_EQ(ifp_->stats().oerrors, 0u);
  EXPECT_EQ(ifp_->impairment().counters().dropped, 10u);
  EXPECT_EQ(ifp_->impairment().counters().duplicated, 10u);
}

TEST_F(InterfaceImpairmentTest, DelayedFramesGoOutAtLeastTheDelayLaterInOrder) {
  constexpr absl::Duration kDelay = absl::Milliseconds(20);
  ImpairmentConfig c;
  c.delay = kDelay;
  ASSERT_TRUE(ifp_->impairment().Set(c).ok());
  std::vector<absl::Time> sent;
  for (uint32_t i = 0; i < 50; ++i) {
    sent.push_back(absl::Now());
    ASSERT_TRUE(ifp_->Output(Frame(i)).ok());
  }
  ASSERT_TRUE(Eventually([&] { return wire_->size() == 50; }));
  std::lock_guard<std::mutex> lock(wire_->mu);
  for (uint32_t i = 0; i < 50; ++i) {
    EXPECT_EQ(Id(wire_->frames[i]), i);
    EXPECT_GE(wire_->times[i] - sent[i], kDelay) << i;  // a lower bound only
  }
  EXPECT_EQ(ifp_->impairment().counters().delayed, 50u);
  EXPECT_EQ(ifp_->stats().opackets, 50u);
}

TEST_F(InterfaceImpairmentTest, ClearingTheDelayKeepsTheOrderOfQueuedFrames) {
  ImpairmentConfig c;
  c.delay = absl::Milliseconds(30);
  ASSERT_TRUE(ifp_->impairment().Set(c).ok());
  SendRange(10);
  ASSERT_TRUE(ifp_->impairment().Set(ImpairmentConfig{}).ok());
  for (uint32_t i = 10; i < 20; ++i) ASSERT_TRUE(ifp_->Output(Frame(i)).ok());
  ASSERT_TRUE(Eventually([&] { return wire_->size() == 20; }));
  std::vector<uint32_t> want;
  for (uint32_t i = 0; i < 20; ++i) want.push_back(i);
  EXPECT_EQ(wire_->ids(), want);
  ASSERT_TRUE(Eventually([&] { return !ifp_->impairment().active(); }));
}

TEST_F(InterfaceImpairmentTest, ALoneHeldFrameGoesOutThroughTheKernelsTimers) {
  ASSERT_TRUE(ifp_->impairment().Set(Config(0, 0, kAll, 3)).ok());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(ifp_->Output(Frame(7)).ok());
  ASSERT_TRUE(Eventually([&] { return wire_->size() == 1; }));
  EXPECT_EQ(wire_->ids(), std::vector<uint32_t>{7});
  std::lock_guard<std::mutex> lock(wire_->mu);
  EXPECT_GE(wire_->times[0] - start, LinkImpairment::kHoldLimit);
}

TEST_F(InterfaceImpairmentTest, GoingDownDiscardsPendingFramesAsOutputErrors) {
  ImpairmentConfig c;
  c.delay = absl::Milliseconds(50);
  c.reorder_ppm = 0;
  ASSERT_TRUE(ifp_->impairment().Set(c).ok());
  SendRange(5);
  EXPECT_EQ(ifp_->impairment().pending(), 5u);
  ASSERT_TRUE(net_->SetFlags(*ifp_, ifp_->flags() & ~abi::kIFF_UP).ok());
  EXPECT_EQ(ifp_->impairment().pending(), 0u);
  EXPECT_EQ(ifp_->stats().oerrors, 5u);
  // Up again before the old timer runs: it finds nothing of the old frames.
  ASSERT_TRUE(net_->SetFlags(*ifp_, ifp_->flags() | abi::kIFF_UP).ok());
  WaitForTimersDueBy(absl::Milliseconds(100));
  EXPECT_EQ(wire_->size(), 0u);
  // A down interface refuses frames before the impairment sees them.
  ASSERT_TRUE(net_->SetFlags(*ifp_, ifp_->flags() & ~abi::kIFF_UP).ok());
  EXPECT_EQ(abi::ToErrno(ifp_->Output(Frame(9))), abi::kENETDOWN);
  EXPECT_EQ(ifp_->impairment().counters().delayed, 5u);
}

TEST_F(InterfaceImpairmentTest, DestroyingAnInterfaceWithPendingFramesIsSafe) {
  // A held frame (reorder) and delayed ones, with their timers pending.
  ASSERT_TRUE(ifp_->impairment().Set(Config(0, 0, kAll, 5)).ok());
  ASSERT_TRUE(ifp_->Output(Frame(1)).ok());  // held
  ImpairmentConfig c;
  c.delay = absl::Milliseconds(20);
  ASSERT_TRUE(ifp_->impairment().Update([&](ImpairmentConfig& x) { x.delay = c.delay; }, false)
                  .ok());
  ASSERT_TRUE(ifp_->Output(Frame(2)).ok());  // overtakes 1: both queued
  SendRange(3);
  EXPECT_GT(ifp_->impairment().pending(), 1u);
  std::weak_ptr<Interface> weak = ifp_;
  ifp_.reset();
  ASSERT_TRUE(net_->DestroyInterface("rec0").ok());
  EXPECT_TRUE(weak.expired());  // the timers hold no reference
  WaitForTimersDueBy(absl::Milliseconds(60));
  EXPECT_EQ(wire_->size(), 0u);

  // Destroyed while someone still holds the interface: the timers find
  // nothing to send.
  auto again = net_->CreateInterface("rec0");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(net_->SetFlags(**again, (*again)->flags() | abi::kIFF_UP).ok());
  ASSERT_TRUE((*again)->impairment().Set(c).ok());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE((*again)->Output(Frame(i)).ok());
  ASSERT_TRUE(net_->DestroyInterface("rec0").ok());
  EXPECT_EQ((*again)->stats().oerrors, 3u);
  WaitForTimersDueBy(absl::Milliseconds(60));
  EXPECT_EQ(wire_->size(), 0u);
}

TEST_F(InterfaceImpairmentTest, HaltingWithFramesPendingIsSafe) {
  ImpairmentConfig c;
  c.delay = absl::Seconds(5);
  c.reorder_ppm = kAll / 2;
  ASSERT_TRUE(ifp_->impairment().Set(c).ok());
  SendRange(20);
  ifp_.reset();
  k_.reset();  // halts: timers stop, drivers stop, everything is freed
  EXPECT_EQ(wire_->size(), 0u);
}

TEST_F(InterfaceImpairmentTest, ConcurrentSendersAndReconfigurationLoseNothingUncounted) {
  constexpr uint32_t kPerThread = 3000;
  std::atomic<bool> stop{false};
  std::atomic<uint32_t> rounds{0};
  std::thread configurer([&] {
    while (!stop.load() || rounds.load() < 20) {
      const uint32_t round = rounds.load();
      ImpairmentConfig c = Config(50000, 50000, 50000, round);
      c.delay = absl::Microseconds(round % 3 == 0 ? 0 : 200);
      ASSERT_TRUE(ifp_->impairment().Set(c).ok());
      rounds.fetch_add(1);
      std::this_thread::yield();
    }
  });
  ASSERT_TRUE(Eventually([&] { return rounds.load() > 0; }));
  std::vector<std::thread> senders;
  for (uint32_t t = 0; t < 3; ++t) {
    senders.emplace_back([&, t] {
      for (uint32_t i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(ifp_->Output(Frame(t * kPerThread + i)).ok());
      }
    });
  }
  for (auto& s : senders) s.join();
  stop = true;
  configurer.join();
  ASSERT_TRUE(ifp_->impairment().Set(ImpairmentConfig{}).ok());
  ASSERT_TRUE(Eventually([&] { return !ifp_->impairment().active(); }));
  const ImpairmentCounters c = ifp_->impairment().counters();
  EXPECT_EQ(wire_->size(), 3 * kPerThread - c.dropped + c.duplicated);
  EXPECT_EQ(ifp_->stats().opackets, wire_->size());
  EXPECT_EQ(ifp_->stats().oerrors, 0u);
}

// --- sysctl

TEST_F(InterfaceImpairmentTest, SysctlNodesComeAndGoWithTheInterface) {
  for (const char* leaf : {"drop", "duplicate", "reorder", "delay_us", "seed", "dropped",
                           "duplicated", "reordered", "delayed"}) {
    EXPECT_TRUE(k_->sysctl().Resolve(std::string("net.link.impair.rec0.") + leaf).ok()) << leaf;
    EXPECT_TRUE(k_->sysctl().Resolve(std::string("net.link.impair.lo0.") + leaf).ok()) << leaf;
  }
  absl::StatusOr<std::vector<int>> link = k_->sysctl().Resolve("net.link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(*link, (std::vector<int>{abi::kCtlNet, abi::kAF_LINK}));
  // Ours are dynamic numbers, clear of NetBSD's fixed ones.
  absl::StatusOr<std::vector<int>> mib = k_->sysctl().Resolve("net.link.impair.rec0.drop");
  ASSERT_TRUE(mib.ok());
  for (size_t i = 2; i < mib->size(); ++i) EXPECT_GE((*mib)[i], 1025);

  ifp_.reset();
  ASSERT_TRUE(net_->DestroyInterface("rec0").ok());
  EXPECT_FALSE(k_->sysctl().Resolve("net.link.impair.rec0").ok());
  std::string out;
  size_t len = 4;
  EXPECT_EQ(testing::Sysctl(*k_, *mib, &out, &len), abi::kENOENT);
  ASSERT_TRUE(net_->CreateInterface("rec0").ok());
  EXPECT_TRUE(k_->sysctl().Resolve("net.link.impair.rec0.drop").ok());
}

TEST_F(InterfaceImpairmentTest, SysctlSetsAndReadsTheImpairment) {
  auto write_int = [&](const std::string& leaf, int32_t v) {
    std::string out;
    return Sysctl("net.link.impair.rec0." + leaf, &out, &v, sizeof(v));
  };
  auto read_int = [&](const std::string& leaf) {
    std::string out;
    EXPECT_EQ(Sysctl("net.link.impair.rec0." + leaf, &out), 0) << leaf;
    int32_t v = -1;
    if (out.size() == 4) std::memcpy(&v, out.data(), 4);
    return v;
  };
  auto read_quad = [&](const std::string& leaf) {
    std::string out;
    EXPECT_EQ(Sysctl("net.link.impair.rec0." + leaf, &out), 0) << leaf;
    uint64_t v = ~0ull;
    if (out.size() == 8) std::memcpy(&v, out.data(), 8);
    return v;
  };
  EXPECT_EQ(read_int("drop"), 0);
  EXPECT_EQ(write_int("drop", 10000), 0);
  EXPECT_EQ(write_int("duplicate", 5000), 0);
  EXPECT_EQ(write_int("reorder", 1), 0);
  EXPECT_EQ(write_int("delay_us", 5000), 0);
  const uint64_t seed = 0x123456789abcdefull;
  std::string out;
  EXPECT_EQ(Sysctl("net.link.impair.rec0.seed", &out, &seed, sizeof(seed)), 0);
  const ImpairmentConfig c = ifp_->impairment().config();
  EXPECT_EQ(c.drop_ppm, 10000u);
  EXPECT_EQ(c.duplicate_ppm, 5000u);
  EXPECT_EQ(c.reorder_ppm, 1u);
  EXPECT_EQ(c.delay, absl::Microseconds(5000));
  EXPECT_EQ(c.seed, seed);
  EXPECT_EQ(read_int("drop"), 10000);
  EXPECT_EQ(read_int("delay_us"), 5000);
  EXPECT_EQ(read_quad("seed"), seed);
  EXPECT_TRUE(ifp_->impairment().active());

  // Out of range: EINVAL, nothing changed.
  EXPECT_EQ(write_int("drop", 1000001), abi::kEINVAL);
  EXPECT_EQ(write_int("drop", -1), abi::kEINVAL);
  EXPECT_EQ(write_int("delay_us", 10000001), abi::kEINVAL);
  EXPECT_EQ(read_int("drop"), 10000);
  EXPECT_EQ(write_int("delay_us", 10000000), 0);
  // Counters are read-only and count.
  const uint64_t zero = 0;
  EXPECT_EQ(Sysctl("net.link.impair.rec0.dropped", &out, &zero, sizeof(zero)), abi::kEPERM);
  EXPECT_EQ(write_int("delay_us", 0), 0);
  EXPECT_EQ(write_int("reorder", 0), 0);
  EXPECT_EQ(write_int("duplicate", 0), 0);
  EXPECT_EQ(write_int("drop", 1000000), 0);
  SendRange(4);
  EXPECT_EQ(read_quad("dropped"), 4u);
  EXPECT_EQ(write_int("drop", 0), 0);
  EXPECT_FALSE(ifp_->impairment().active());

  // SIOCZIFDATA zeroes them with the interface's.
  const int s = testing::Socket(*k_, abi::kAF_LINK, abi::kSOCK_DGRAM);
  ASSERT_GE(s, 0);
  testing::Buf ifdr(abi::kIfdatareqSize);
  ifdr.Name("rec0");
  ASSERT_EQ(testing::Ioctl(*k_, s, abi::kSIOCZIFDATA, ifdr), 0);
  EXPECT_EQ(read_quad("dropped"), 0u);
}

}  // namespace
}  // namespace rump
