// Readiness notification between files and the threads waiting for them in
// poll(2), pollts(2) and select(2) (NetBSD's selinfo / selrecord /
// selnotify).
//
// A poll call makes one Poller and adds it to the PollWaiters of every file
// it watches, then loops: Arm(), ask each file for its readiness
// (File::Poll), and if nothing is ready, Wait(). A file calls Wake() on its
// PollWaiters after any change that may make it ready (data queued, error
// posted, shut down, closed). Because the poller is registered before the
// readiness check and Arm() comes before it too, a Wake() that races with
// the check is never lost: Wait() returns at once.
#ifndef RUMP_KERN_POLL_H_
#define RUMP_KERN_POLL_H_

#include <condition_variable>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace rump {

struct SyscallContext;

// One waiting poll/select call. Not copyable; must outlive its
// registrations (remove it from every PollWaiters before destroying it).
class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Something this poller watches may have become ready. Any thread.
  void Notify();
  // Forgets earlier notifications; call before checking readiness.
  void Arm();
  // Sleeps until Notify() since the last Arm(), the deadline, an interrupt
  // of the calling process or the kernel's halt. OK when notified (or
  // notified already), a timeout status (IsSleepTimeout) at the deadline,
  // EINTR when interrupted.
  absl::Status Wait(SyscallContext& ctx, absl::Time deadline);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// The pollers waiting on one file. Thread-safe.
class PollWaiters {
 public:
  PollWaiters() = default;
  PollWaiters(const PollWaiters&) = delete;
  PollWaiters& operator=(const PollWaiters&) = delete;

  // Registers / unregisters a poller (a poller may be added once per file;
  // adding it again is harmless and needs as many removals).
  void Add(Poller* p);
  void Remove(Poller* p);
  // Notifies every registered poller. Cheap when there are none. May be
  // called with the file's own locks held (the order is file lock ->
  // PollWaiters lock -> Poller lock; pollers never call into a file while
  // holding their lock).
  void Wake();

 private:
  std::mutex mu_;
  std::vector<Poller*> pollers_;
};

}  // namespace rump

#endif  // RUMP_KERN_POLL_H_
