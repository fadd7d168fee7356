// Signals: the NetBSD signal numbers a server's RAISE frame carries, as
// host (Linux) signal numbers; and blocking every signal for the length of
// a remote call, as NetBSD's librumpclient does.
#ifndef RUMP_SP_CLIENT_SIGNALS_H_
#define RUMP_SP_CLIENT_SIGNALS_H_

#include <signal.h>

#include <cstdint>

#include "absl/status/status.h"

namespace sp::client {

// The host signal for NetBSD signal `netbsd_signo` (1 HUP ... 32 PWR), or -1
// for numbers the host has no equivalent of (EMT 7, INFO 29) and anything
// out of range.
int NetbsdToHostSignal(uint32_t netbsd_signo);

// Blocks every signal in the calling thread until destroyed, then restores
// the previous mask (a signal raised meanwhile is delivered then). Two
// pthread_sigmask calls. The outermost one in a thread remembers the
// caller's own mask for WaitMask().
class ScopedBlockSignals {
 public:
  ScopedBlockSignals();
  ~ScopedBlockSignals();
  ScopedBlockSignals(const ScopedBlockSignals&) = delete;
  ScopedBlockSignals& operator=(const ScopedBlockSignals&) = delete;

 private:
  sigset_t saved_;
  bool restore_;
  bool outermost_ = false;
};

// The mask a thread inside a remote call sleeps with while it waits for
// the server (ppoll's): every signal stays blocked except those that end
// or stop the process without running any of its code (SIGTERM, SIGINT,
// SIGHUP, SIGQUIT, SIGALRM, SIGUSR1/2, SIGTSTP, ... whose disposition is
// SIG_DFL) and that the caller had not blocked itself. So kill(1), Ctrl-C,
// Ctrl-Z or timeout(1) act on a program blocked in a kernel call (accept,
// recv, poll), while a signal handler, which could call into the client
// again, still waits until the call returns (NetBSD's behaviour), unless an
// InterruptibleWait is on. Outside a ScopedBlockSignals: every signal
// blocked.
sigset_t WaitMask();

// Turns the interruptible wait on (or, for a nested wait, off) in this
// thread for its lifetime, restoring the previous setting after. While it
// is on, WaitMask() also leaves unblocked the standard signals (1-31) that
// have a handler installed without SA_RESTART and that the caller had not
// blocked, so such a signal interrupts the wait as it interrupts a blocked
// Linux system call: its handler runs (inside the wait), and the transport
// then reports the wait interrupted (IsSignalInterruption). A connection to
// a server that takes X_INTERRUPT turns it on around each wait for an
// answer. A handler installed with SA_RESTART still runs only after the
// call returns: the call goes on, as Linux restarts it.
class InterruptibleWait {
 public:
  explicit InterruptibleWait(bool on);
  ~InterruptibleWait();
  InterruptibleWait(const InterruptibleWait&) = delete;
  InterruptibleWait& operator=(const InterruptibleWait&) = delete;
  // On in this thread.
  static bool on();

 private:
  bool previous_;
};

// What a transport's Receive returns when a signal handler interrupted its
// wait under an InterruptibleWait (nothing lost: receive again).
absl::Status SignalInterruption();
bool IsSignalInterruption(const absl::Status& s);

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_SIGNALS_H_
