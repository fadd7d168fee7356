#include "shmif/daemon.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shmif {

void Daemonize(const char* prog) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "%s: fork: %s\n", prog, std::strerror(errno));
    std::exit(1);
  }
  if (pid > 0) {
    std::printf("%d\n", int(pid));
    std::fflush(stdout);
    std::exit(0);
  }
  setsid();
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
}

}  // namespace shmif
