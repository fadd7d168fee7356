// LinkImpairment: a lossy link for testing (issue 13). Every Interface has
// one, applied to the frames it transmits, before its driver, whatever the
// driver (shmif, lo): it drops, duplicates, reorders and delays frames
// with probabilities drawn from a seeded generator, so that a run under
// loss can be repeated exactly. NetBSD has nothing like it on shmif.
//
// What happens to one frame, in this order:
//  1. drop: with probability drop_ppm / 10^6 the frame is gone (counted
//     `dropped`);
//  2. duplicate: with probability duplicate_ppm / 10^6 it is sent twice,
//     back to back (`duplicated`);
//  3. reorder: if a frame is being held back, this one goes out first and
//     the held one right after it (`reordered`: the held frame was
//     overtaken); otherwise, with probability reorder_ppm / 10^6, this frame
//     is held back until the next one. A held frame is never lost for want
//     of a next frame: after kHoldLimit it goes out anyway (not counted as
//     reordered);
//  4. delay: with a delay set, the frames of steps 2-3 go out through the
//     kernel's timer queue at least `delay` later, in the order they came
//     (`delayed` counts them). While frames are queued (or a timer is
//     sending them), frames that follow queue behind them even if the delay
//     has meanwhile been cleared, so that order is kept.
// Each frame draws exactly three numbers from the generator (for steps
// 1-3, whatever the probabilities), so the same seed and the same sequence
// of frames give the same decisions; setting the seed restarts the
// sequence. Frames sent from several threads at once are decided in the
// order they take the lock.
//
// Units: probabilities in parts per million (0 to 1000000, 1% = 10000),
// the delay in microseconds up to kMaxDelay. With everything 0 and nothing
// held or queued the impairment is inactive, and Interface::Output pays
// one relaxed atomic load for it.
//
// Held and delayed frames are discarded when the interface goes down or is
// destroyed (Discard). At most kMaxQueuedBytes wait in the delay queue: a
// frame beyond that is refused with ENOBUFS, as a full send queue refuses
// it in NetBSD. Frames lost either way are reported to the Lost function
// (the interface counts them as output errors), so that no frame goes
// missing uncounted.
//
// Thread-safe. Frames are handed to Transmit without the lock held (the
// driver may loop a frame back into the stack). The Schedule function must
// run its callbacks on one thread, never concurrently with each other
// (the kernel's TimerQueue does), and only while this object lives:
// Interface wraps them so that they do nothing once the interface is gone.
#ifndef RUMP_NET_IMPAIRMENT_H_
#define RUMP_NET_IMPAIRMENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace rump {

// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014): a 64-bit state, every seed (0 too) fine, good enough
// statistics for coin flips, a few instructions per number.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed = 0) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // True with probability ppm / 10^6 (always for ppm >= 10^6). Draws one
  // number whatever `ppm` is.
  bool Chance(uint32_t ppm);

 private:
  uint64_t state_;
};

struct ImpairmentConfig {
  static constexpr uint32_t kMillion = 1000000;
  uint32_t drop_ppm = 0;       // of the frames transmitted, parts per million
  uint32_t duplicate_ppm = 0;  // of the frames not dropped
  uint32_t reorder_ppm = 0;    // of the frames not dropped
  absl::Duration delay = absl::ZeroDuration();
  uint64_t seed = 0;

  // Whether any of drop, duplicate, reorder, delay is set.
  bool impairs() const {
    return drop_ppm != 0 || duplicate_ppm != 0 || reorder_ppm != 0 ||
           delay != absl::ZeroDuration();
  }
  // InvalidArgument for a probability above 10^6 or a delay outside
  // [0, kMaxDelay].
  absl::Status Validate() const;
};

struct ImpairmentCounters {
  uint64_t dropped = 0, duplicated = 0, reordered = 0, delayed = 0;
};

class LinkImpairment {
 public:
  static constexpr absl::Duration kMaxDelay = absl::Seconds(10);
  // How long a frame held back for reordering waits for a next frame.
  static constexpr absl::Duration kHoldLimit = absl::Milliseconds(5);
  // The most frame bytes the delay queue holds.
  static constexpr size_t kMaxQueuedBytes = size_t{8} << 20;

  // Sends one frame on (the driver, with the interface's counters).
  using Transmit = std::function<absl::Status(absl::Span<const uint8_t>)>;
  // Runs a callback once, at least `delay` from now (the kernel's timers).
  using Schedule = std::function<void(absl::Duration delay, std::function<void()>)>;
  // Told of `n` frames lost other than by a drop decision (discarded, or
  // refused by a full queue); called with the lock held, so it must only
  // count.
  using Lost = std::function<void(size_t n)>;

  // Without `schedule`, configurations with reorder or delay are refused
  // (FailedPrecondition). `lost` may be empty.
  LinkImpairment(Transmit transmit, Schedule schedule, Lost lost = nullptr);
  LinkImpairment(const LinkImpairment&) = delete;
  LinkImpairment& operator=(const LinkImpairment&) = delete;

  // Whether Output must be called for a frame; false costs the data path
  // one relaxed load. True while the configuration impairs or frames are
  // held or queued.
  bool active() const { return active_.load(std::memory_order_relaxed); }

  // One frame to transmit: sends it on now (returning Transmit's status
  // for it), later (OK), never (OK: dropped), or refuses it (ENOBUFS).
  absl::Status Output(absl::Span<const uint8_t> frame);

  // Replaces the configuration and restarts the generator from its seed.
  absl::Status Set(const ImpairmentConfig& config);
  // Applies `change` to the configuration (one field, as a sysctl write
  // does); restarts the generator from the (new) seed if `reseed`. The
  // configuration is unchanged if the result is invalid.
  absl::Status Update(const std::function<void(ImpairmentConfig&)>& change, bool reseed);
  ImpairmentConfig config() const;
  ImpairmentCounters counters() const;
  void ZeroCounters();

  // Drops the held and queued frames (telling Lost); returns how many
  // there were.
  size_t Discard();
  // Frames held or queued now.
  size_t pending() const;

 private:
  struct Held {
    std::vector<uint8_t> frame;
    int copies = 1;
    uint64_t generation = 0;
  };
  struct Queued {
    absl::Time due;
    std::vector<uint8_t> frame;
  };

  absl::Status CheckLocked(const ImpairmentConfig& c) const;
  void UpdateActiveLocked();
  // Whether frames must go through the delay queue: a delay is set, or
  // frames queued or being sent by a timer must not be overtaken.
  bool DelayingLocked() const {
    return config_.delay > absl::ZeroDuration() || !queue_.empty() || draining_;
  }
  // Queues `copies` of `frame`; false (nothing queued, Lost told) if they
  // do not fit.
  bool EnqueueLocked(absl::Span<const uint8_t> frame, int copies);
  void HoldTimer(uint64_t generation);
  void DelayTimer();

  void LostLocked(size_t n) {
    if (lost_ && n != 0) lost_(n);
  }

  const Transmit transmit_;
  const Schedule schedule_;
  const Lost lost_;
  std::atomic<bool> active_{false};

  mutable std::mutex mu_;  // guards everything below
  ImpairmentConfig config_;
  SplitMix64 rng_;
  ImpairmentCounters counters_;
  std::optional<Held> held_;
  uint64_t hold_generation_ = 0;
  std::deque<Queued> queue_;
  size_t queued_bytes_ = 0;
  bool delay_timer_pending_ = false;
  bool draining_ = false;  // a timer is sending frames it took from us
};

}  // namespace rump

#endif  // RUMP_NET_IMPAIRMENT_H_
