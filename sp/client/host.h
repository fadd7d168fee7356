// The host (libc) calls the client core makes on its own descriptors,
// looked up with dlsym(RTLD_NEXT, ...) as NetBSD's librumpclient does, so
// that a library preloaded in front of libc to redirect these very calls
// to the rump kernel (librumphijack) does not capture the client's own
// socket traffic. Falls back to the libc function when the lookup fails.
#ifndef RUMP_SP_CLIENT_HOST_H_
#define RUMP_SP_CLIENT_HOST_H_

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>

namespace sp::client::host {

struct Calls {
  int (*socket)(int, int, int);
  int (*connect)(int, const struct sockaddr*, socklen_t);
  int (*close)(int);
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*recv)(int, void*, size_t, int);
  int (*poll)(struct pollfd*, nfds_t, int);
  int (*ppoll)(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*);
  int (*fcntl)(int, int, ...);
  int (*setsockopt)(int, int, int, const void*, socklen_t);
  int (*getsockopt)(int, int, int, void*, socklen_t*);
  int (*shutdown)(int, int);
  int (*dup2)(int, int);
  int (*execve)(const char*, char* const[], char* const[]);
};

// Resolved on first use (thread-safe), then constant.
const Calls& Get();

}  // namespace sp::client::host

#endif  // RUMP_SP_CLIENT_HOST_H_
