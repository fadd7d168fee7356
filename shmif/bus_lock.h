// BusLock: the bus lock, compatible with NetBSD and recoverable from a holder
// that died holding it.
//
// NetBSD's protocol: the 32-bit lock word at kLockOffset is taken with a
// compare-and-swap 0 -> 1 and released with a swap to 0. NetBSD peers retry
// only while the CAS returns exactly 1 (any other non-zero value would make
// them believe they own the lock), so the lock word itself must only ever hold
// 0 or 1.
//
// This project stores who holds the lock in the spare word right after it
// (kSpareOffset, never touched by NetBSD), and updates both words with one
// 64-bit atomic operation, so there is no instant at which the lock is taken
// but its holder unrecorded:
//   spare = kHolderMark | (writer ? kWriterBit : 0) | pid
// Every attached process also holds, for as long as it is attached, a shared
// (OFD) record lock on one byte past the end of the bus: kBusSize + pid. A
// waiter that finds the lock held by a recorded pid whose byte is not locked
// knows that holder is dead (this works across pid namespaces and survives
// pid reuse by unrelated processes), and takes the lock over with a CAS of the
// whole 64-bit pair. A lock held by a NetBSD peer (spare == 0) is waited for
// as NetBSD does, since nothing tells whether that holder is alive.
#ifndef RUMP_SHMIF_BUS_LOCK_H_
#define RUMP_SHMIF_BUS_LOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace shmif {

class BusLock {
 public:
  // What Acquire found before it got the lock.
  enum class Takeover {
    kNone,            // the lock was free or released normally
    kFromDeadReader,  // a dead process held it while reading: ring intact
    kFromDeadWriter,  // a dead process held it while writing: ring suspect
  };

  inline static constexpr uint32_t kHolderMark = 0x80000000u;
  inline static constexpr uint32_t kWriterBit = 0x40000000u;
  inline static constexpr uint32_t kPidMask = 0x3fffffffu;

  // `bus_mem` is the start of the kBusSize mapping, `fd` the bus file.
  BusLock(uint8_t* bus_mem, int fd);

  // Marks this process as alive for the lock's purposes (the OFD byte lock);
  // call once per attachment before the first Acquire. The mark lasts until
  // `fd` is closed.
  absl::Status RegisterLiveness();

  // Takes the lock, waiting as long as needed (spinning briefly, then
  // yielding, then sleeping in short steps); `writer` tells a later recoverer
  // whether the ring may be half-written.
  Takeover Acquire(bool writer);
  void Release();

  // Times Acquire, finding the lock held, checked whether its holder was
  // dead: proof for tests and statistics that a waiter is really waiting.
  uint64_t holder_checks() const { return holder_checks_.load(std::memory_order_relaxed); }

  // Whether the process recorded as holding the lock is known to be dead.
  // Exposed for tests.
  bool HolderIsDead(uint32_t holder) const;

 private:
  uint64_t* pair_;  // lock word (low half on little endian) + spare word
  int fd_;
  uint32_t pid_;
  std::atomic<uint64_t> holder_checks_{0};
};

}  // namespace shmif

#endif  // RUMP_SHMIF_BUS_LOCK_H_
