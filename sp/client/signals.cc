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

ScopedBlockSignals::ScopedBlockSignals()
    : restore_(pthread_sigmask(SIG_SETMASK, &FullSet(), &saved_) == 0) {}

ScopedBlockSignals::~ScopedBlockSignals() {
  if (restore_) pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
}

}  // namespace sp::client
