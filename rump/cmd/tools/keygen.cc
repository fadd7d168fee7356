// rump.keygen [-f] NAME: makes a CURVE key pair for the ZeroMQ transports
// (beyond NetBSD; docs/access-control.md). Writes NAME.key (the secret and
// public key, mode 0600: a server's --curve-key, a client's RUMP_CLIENT_KEY)
// and NAME.pub (the public key only: a client's RUMP_SERVER_KEY, a line of a
// server's --curve-allow), in ZeroMQ's certificate format
// (sp/transport/curve_keys.h), and prints the public key on stdout.
// Existing files are kept (exit 1) unless -f. Needs no server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sp/transport/curve_keys.h"

namespace {

[[noreturn]] void Usage(const char* prog) {
  std::fprintf(stderr, "usage: %s [-f] name\n", prog);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string prog = argc > 0 ? argv[0] : "rump.keygen";
  if (size_t slash = prog.rfind('/'); slash != std::string::npos) prog = prog.substr(slash + 1);
  bool overwrite = false;
  int ch;
  while ((ch = getopt(argc, argv, "f")) != -1) {
    if (ch == 'f') {
      overwrite = true;
    } else {
      Usage(prog.c_str());
    }
  }
  if (argc - optind != 1 || argv[optind][0] == '\0') Usage(prog.c_str());
  const std::string name = argv[optind];
  absl::StatusOr<sp::transport::CurveKeyPair> keys = sp::transport::GenerateCurveKeyPair();
  if (!keys.ok()) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), std::string(keys.status().message()).c_str());
    return 1;
  }
  if (absl::Status s = sp::transport::WriteKeyFiles(name, *keys, overwrite); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), std::string(s.message()).c_str());
    return 1;
  }
  std::printf("%s\n", keys->public_key.c_str());
  return 0;
}
