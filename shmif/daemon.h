// Daemonize: how the bus relays (shmif_tapbridge, shmif_vxlan) go to the
// background when not asked to stay in the foreground. One way for both, so
// that scripts treat them alike.
#ifndef RUMP_SHMIF_DAEMON_H_
#define RUMP_SHMIF_DAEMON_H_

namespace shmif {

// Forks. The parent prints the child's PID and a newline on stdout (what a
// script keeps to stop the relay with SIGTERM) and exits 0; if fork fails it
// prints "<prog>: fork: <why>" on stderr and exits 1. The child returns in a
// new session with stdin, stdout and stderr on /dev/null. Call it before
// starting any thread; stdout is flushed first.
void Daemonize(const char* prog);

}  // namespace shmif

#endif  // RUMP_SHMIF_DAEMON_H_
