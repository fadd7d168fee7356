#include "rump/net/impairment.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"

namespace rump {

bool SplitMix64::Chance(uint32_t ppm) {
  const uint64_t u = Next();
  if (ppm >= ImpairmentConfig::kMillion) return true;
  // floor(u * 10^6 / 2^64) is uniform on [0, 10^6) but for a bias below
  // 10^-13.
  const uint64_t draw =
      static_cast<uint64_t>((static_cast<unsigned __int128>(u) * ImpairmentConfig::kMillion) >> 64);
  return draw < ppm;
}

absl::Status ImpairmentConfig::Validate() const {
  for (uint32_t p : {drop_ppm, duplicate_ppm, reorder_ppm}) {
    if (p > kMillion) {
      return absl::InvalidArgumentError(
          absl::StrCat("impairment: probability ", p, " ppm is above 1000000"));
    }
  }
  if (delay < absl::ZeroDuration() || delay > LinkImpairment::kMaxDelay) {
    return absl::InvalidArgumentError(absl::StrCat("impairment: delay ",
                                                   absl::FormatDuration(delay),
                                                   " is not within 0 and 10s"));
  }
  return absl::OkStatus();
}

LinkImpairment::LinkImpairment(Transmit transmit, Schedule schedule, Lost lost)
    : transmit_(std::move(transmit)), schedule_(std::move(schedule)), lost_(std::move(lost)) {}

absl::Status LinkImpairment::CheckLocked(const ImpairmentConfig& c) const {
  if (absl::Status s = c.Validate(); !s.ok()) return s;
  if (!schedule_ && (c.reorder_ppm != 0 || c.delay != absl::ZeroDuration())) {
    return absl::FailedPreconditionError("impairment: no timers for reorder or delay");
  }
  return absl::OkStatus();
}

void LinkImpairment::UpdateActiveLocked() {
  active_.store(config_.impairs() || held_.has_value() || !queue_.empty() || draining_,
                std::memory_order_relaxed);
}

absl::Status LinkImpairment::Set(const ImpairmentConfig& config) {
  return Update([&](ImpairmentConfig& c) { c = config; }, /*reseed=*/true);
}

absl::Status LinkImpairment::Update(const std::function<void(ImpairmentConfig&)>& change,
                                    bool reseed) {
  std::lock_guard<std::mutex> lock(mu_);
  ImpairmentConfig c = config_;
  change(c);
  if (absl::Status s = CheckLocked(c); !s.ok()) return s;
  config_ = c;
  if (reseed) rng_ = SplitMix64(config_.seed);
  UpdateActiveLocked();
  return absl::OkStatus();
}

ImpairmentConfig LinkImpairment::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

ImpairmentCounters LinkImpairment::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void LinkImpairment::ZeroCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  counters_ = ImpairmentCounters{};
}

size_t LinkImpairment::Discard() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = queue_.size();
  if (held_) n += size_t(held_->copies);
  held_.reset();
  queue_.clear();
  queued_bytes_ = 0;
  // A pending timer finds nothing to do and goes away.
  UpdateActiveLocked();
  LostLocked(n);
  return n;
}

size_t LinkImpairment::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + (held_ ? size_t(held_->copies) : 0);
}

bool LinkImpairment::EnqueueLocked(absl::Span<const uint8_t> frame, int copies) {
  const size_t need = frame.size() * size_t(copies);
  if (queued_bytes_ + need > kMaxQueuedBytes) {
    LostLocked(size_t(copies));
    return false;
  }
  const bool was_empty = queue_.empty();
  const absl::Time due = absl::Now() + config_.delay;
  for (int i = 0; i < copies; ++i) {
    queue_.push_back(Queued{due, std::vector<uint8_t>(frame.begin(), frame.end())});
  }
  queued_bytes_ += need;
  counters_.delayed += uint64_t(copies);
  if (was_empty && !delay_timer_pending_) {
    delay_timer_pending_ = true;
    schedule_(config_.delay, [this] { DelayTimer(); });
  }
  return true;
}

absl::Status LinkImpairment::Output(absl::Span<const uint8_t> frame) {
  std::unique_lock<std::mutex> lock(mu_);
  bool drop = false, duplicate = false, hold = false;
  if (config_.impairs()) {
    // Three draws per frame, always, so that decisions depend only on the
    // seed and the frame's place in the sequence.
    drop = rng_.Chance(config_.drop_ppm);
    duplicate = rng_.Chance(config_.duplicate_ppm);
    hold = rng_.Chance(config_.reorder_ppm);
  }
  if (drop) {
    ++counters_.dropped;
    return absl::OkStatus();
  }
  const int copies = duplicate ? 2 : 1;
  if (duplicate) ++counters_.duplicated;

  // Reorder: a held frame goes out after this one; or this one is held.
  std::optional<Held> released;
  if (held_) {
    released = std::move(held_);
    held_.reset();
    ++counters_.reordered;
  } else if (hold) {
    const uint64_t generation = ++hold_generation_;
    held_ = Held{std::vector<uint8_t>(frame.begin(), frame.end()), copies, generation};
    schedule_(kHoldLimit, [this, generation] { HoldTimer(generation); });
    UpdateActiveLocked();
    return absl::OkStatus();
  }

  // Delay: everything goes through the queue, in order.
  if (DelayingLocked()) {
    absl::Status s = absl::OkStatus();
    if (!EnqueueLocked(frame, copies)) s = abi::Errno(abi::kENOBUFS, "impairment: queue full");
    // A released frame that does not fit is lost (and told) like any
    // refused one.
    if (released) (void)EnqueueLocked(released->frame, released->copies);
    UpdateActiveLocked();
    return s;
  }
  UpdateActiveLocked();
  lock.unlock();

  absl::Status status = transmit_(frame);
  for (int i = 1; i < copies; ++i) (void)transmit_(frame);
  if (released) {
    for (int i = 0; i < released->copies; ++i) (void)transmit_(released->frame);
  }
  return status;
}

void LinkImpairment::HoldTimer(uint64_t generation) {
  std::unique_lock<std::mutex> lock(mu_);
  // Released already (overtaken, or discarded and maybe held anew).
  if (!held_ || held_->generation != generation) return;
  Held h = std::move(*held_);
  held_.reset();
  if (DelayingLocked()) {
    (void)EnqueueLocked(h.frame, h.copies);
    UpdateActiveLocked();
    return;
  }
  draining_ = true;
  lock.unlock();
  for (int i = 0; i < h.copies; ++i) (void)transmit_(h.frame);
  lock.lock();
  draining_ = false;
  UpdateActiveLocked();
}

void LinkImpairment::DelayTimer() {
  std::unique_lock<std::mutex> lock(mu_);
  delay_timer_pending_ = false;
  const absl::Time now = absl::Now();
  std::vector<std::vector<uint8_t>> due;
  while (!queue_.empty() && queue_.front().due <= now) {
    queued_bytes_ -= queue_.front().frame.size();
    due.push_back(std::move(queue_.front().frame));
    queue_.pop_front();
  }
  if (!queue_.empty()) {
    delay_timer_pending_ = true;
    schedule_(queue_.front().due - now, [this] { DelayTimer(); });
  }
  if (due.empty()) {
    UpdateActiveLocked();
    return;
  }
  // Callbacks never run concurrently, so the next batch waits for this
  // one; frames that come meanwhile queue behind it (draining_).
  draining_ = true;
  lock.unlock();
  for (const std::vector<uint8_t>& f : due) (void)transmit_(f);
  lock.lock();
  draining_ = false;
  UpdateActiveLocked();
}

}  // namespace rump
