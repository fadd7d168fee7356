#include "sp/client/signals.h"

#include <pthread.h>

namespace sp::client {
namespace {

// Index = NetBSD number (sys/signal.h of NetBSD 7.99), value = host number.
constexpr int kHostSignal[] = {
    -1,         // 0
    SIGHUP,     // 1
    SIGINT,     // 2
    SIGQUIT,    // 3
    SIGILL,     // 4
    SIGTRAP,    // 5
    SIGABRT,    // 6
    -1,         // 7 EMT: none on Linux
    SIGFPE,     // 8
    SIGKILL,    // 9
    SIGBUS,     // 10
    SIGSEGV,    // 11
    SIGSYS,     // 12
    SIGPIPE,    // 13
    SIGALRM,    // 14
    SIGTERM,    // 15
    SIGURG,     // 16
    SIGSTOP,    // 17
    SIGTSTP,    // 18
    SIGCONT,    // 19
    SIGCHLD,    // 20
    SIGTTIN,    // 21
    SIGTTOU,    // 22
    SIGIO,      // 23
    SIGXCPU,    // 24
    SIGXFSZ,    // 25
    SIGVTALRM,  // 26
    SIGPROF,    // 27
    SIGWINCH,   // 28
    -1,         // 29 INFO: none on Linux
    SIGUSR1,    // 30
    SIGUSR2,    // 31
    SIGPWR,     // 32
};

const sigset_t& FullSet() {
  static const sigset_t set = [] {
    sigset_t s;
    sigfillset(&s);
    return s;
  }();
  return set;
}

}  // namespace

int NetbsdToHostSignal(uint32_t netbsd_signo) {
  if (netbsd_signo >= sizeof(kHostSignal) / sizeof(kHostSignal[0])) return -1;
  return kHostSignal[netbsd_signo];
}

namespace {

// The mask the thread's outermost ScopedBlockSignals replaced.
thread_local const sigset_t* t_caller_mask = nullptr;
// An InterruptibleWait is on in this thread.
thread_local bool t_interruptible = false;

// Signals whose default action ends or stops the process (signal(7)),
// leaving out those glibc keeps for itself and SIGPIPE (the client's own
// writes never raise it).
constexpr int kEndsOrStopsByDefault[] = {
    SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGALRM, SIGUSR1, SIGUSR2,   SIGVTALRM,
    SIGPROF, SIGXCPU, SIGXFSZ, SIGIO,   SIGPWR,  SIGTSTP, SIGTTIN,   SIGTTOU,
};

}  // namespace

ScopedBlockSignals::ScopedBlockSignals()
    : restore_(pthread_sigmask(SIG_SETMASK, &FullSet(), &saved_) == 0) {
  if (restore_ && t_caller_mask == nullptr) {
    t_caller_mask = &saved_;
    outermost_ = true;
  }
}

ScopedBlockSignals::~ScopedBlockSignals() {
  if (outermost_) t_caller_mask = nullptr;
  if (restore_) pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

sigset_t WaitMask() {
  sigset_t mask = FullSet();
  const sigset_t* caller = t_caller_mask;
  if (caller == nullptr) return mask;
  for (int sig : kEndsOrStopsByDefault) {
    if (sigismember(caller, sig)) continue;
    struct sigaction sa;
    if (sigaction(sig, nullptr, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
        sa.sa_handler == SIG_DFL) {
      sigdelset(&mask, sig);
    }
  }
  if (!t_interruptible) return mask;
  for (int sig = 1; sig < 32; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || sigismember(caller, sig)) continue;
    struct sigaction sa;
    if (sigaction(sig, nullptr, &sa) != 0) continue;
    const bool handled = (sa.sa_flags & SA_SIGINFO) != 0 ||
                         (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
    if (handled && !(sa.sa_flags & SA_RESTART)) sigdelset(&mask, sig);
  }
  return mask;
}

InterruptibleWait::InterruptibleWait(bool on) : previous_(t_interruptible) {
  t_interruptible = on;
}

InterruptibleWait::~InterruptibleWait() { t_interruptible = previous_; }

bool InterruptibleWait::on() { return t_interruptible; }

absl::Status SignalInterruption() {
  return absl::AbortedError("rump_sp: a signal handler interrupted the wait");
}

bool IsSignalInterruption(const absl::Status& s) {
  return absl::IsAborted(s) && s.message() == "rump_sp: a signal handler interrupted the wait";
}

}  // namespace sp::client
