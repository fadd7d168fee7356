// rump.halt [-dhn]: halts the rump kernel server named by RUMP_SERVER with
// reboot(2), as NetBSD's usr.bin/rump_halt. No flag: the server exits.
// -h RB_HALT (the kernel halts, the server process stays until signalled),
// -d RB_DUMP (the server dumps core), -n RB_NOSYNC. Exit 0, or 1 with a
// message.
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "rump/cmd/tools/common.h"

namespace {

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: %s [-dhn]\n", rump::tools::ProgName());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  rump::tools::SetProgName(argv[0]);
  int flags = 0;
  int ch;
  while ((ch = rump::tools::GetOpt(argc, argv, "dhn")) != -1) {
    switch (ch) {
      case 'd':
        flags |= RUMP_RB_DUMP;
        break;
      case 'h':
        flags |= RUMP_RB_HALT;
        break;
      case 'n':
        flags |= RUMP_RB_NOSYNC;
        break;
      default:
        Usage();
    }
  }
  if (optind != argc) Usage();
  rump::tools::InitClient("init failed");
  if (rump_sys_reboot(flags, nullptr) == -1) {
    // The connection was up a moment ago (rumpclient_init); if it is lost
    // during the reboot itself, the server went down as asked before its
    // answer reached us (seen over ZeroMQ, whose socket may close before
    // the reply is flushed). librumpclient reports that with the host's
    // ENOTCONN, which no kernel error can be.
    if (errno == ENOTCONN) return 0;
    rump::tools::Err(1, errno, "reboot");
  }
  return 0;
}
