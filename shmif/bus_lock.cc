#include "shmif/bus_lock.h"

#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "shmif/bus_format.h"

namespace shmif {
namespace {

static_assert(kLockOffset % 8 == 0 && kSpareOffset == kLockOffset + 4,
              "lock and spare words must form one aligned 64-bit pair");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the lock word is the low half of the 64-bit pair");

constexpr uint64_t Pair(uint32_t lock, uint32_t spare) {
  return uint64_t{lock} | (uint64_t{spare} << 32);
}
constexpr uint32_t LockOf(uint64_t pair) { return static_cast<uint32_t>(pair); }
constexpr uint32_t HolderOf(uint64_t pair) {
  return static_cast<uint32_t>(pair >> 32);
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

struct flock LivenessRange(uint32_t pid, short type) {
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(kBusSize) + pid;
  fl.l_len = 1;
  return fl;
}

}  // namespace

BusLock::BusLock(uint8_t* bus_mem, int fd)
    : pair_(reinterpret_cast<uint64_t*>(bus_mem + kLockOffset)),
      fd_(fd),
      pid_(static_cast<uint32_t>(getpid()) & kPidMask) {}

absl::Status BusLock::RegisterLiveness() {
  struct flock fl = LivenessRange(pid_, F_RDLCK);
  if (fcntl(fd_, F_OFD_SETLK, &fl) != 0) {
    return absl::ErrnoToStatus(errno, "cannot mark this process on the bus");
  }
  return absl::OkStatus();
}

bool BusLock::HolderIsDead(uint32_t holder) const {
  if ((holder & kHolderMark) == 0) return false;  // a NetBSD peer: unknown
  // Another thread of this process: alive (and our own liveness lock would
  // not conflict with the query below, so it would look dead).
  if ((holder & kPidMask) == (pid_ & kPidMask)) return false;
  struct flock fl = LivenessRange(holder & kPidMask, F_WRLCK);
  if (fcntl(fd_, F_OFD_GETLK, &fl) != 0) return false;
  return fl.l_type == F_UNLCK;
}

BusLock::Takeover BusLock::Acquire(bool writer) {
  const uint32_t me = kHolderMark | (writer ? kWriterBit : 0) | pid_;
  uint64_t seen = __atomic_load_n(pair_, __ATOMIC_RELAXED);
  for (uint64_t attempt = 0;; ++attempt) {
    if (LockOf(seen) == 0) {
      if (__atomic_compare_exchange_n(pair_, &seen, Pair(1, me), false,
                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return Takeover::kNone;
      }
      continue;  // `seen` was refreshed by the failed CAS
    }
    // Held. Spin a little (critical sections are a few hundred ns), then
    // yield, then sleep; check for a dead holder now and then on the way.
    if (attempt < 64) {
      CpuRelax();
    } else if (attempt < 256) {
      sched_yield();
    } else {
      struct timespec ts = {0, 50 * 1000};
      nanosleep(&ts, nullptr);
    }
    if (attempt % 64 == 63) {
      holder_checks_.fetch_add(1, std::memory_order_relaxed);
      const uint32_t holder = HolderOf(seen);
      if (HolderIsDead(holder) &&
          __atomic_compare_exchange_n(pair_, &seen, Pair(1, me), false,
                                      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return (holder & kWriterBit) ? Takeover::kFromDeadWriter
                                     : Takeover::kFromDeadReader;
      }
    }
    seen = __atomic_load_n(pair_, __ATOMIC_RELAXED);
  }
}

void BusLock::Release() { __atomic_store_n(pair_, Pair(0, 0), __ATOMIC_RELEASE); }

}  // namespace shmif
