// RUMPHIJACK: which calls librumphijack sends to the rump kernel, in
// NetBSD's syntax (rumphijack(3)): a comma-separated list of name=value.
//
//   path=PREFIX     path-based calls under PREFIX go to the kernel, with the
//                   prefix removed (default /rump)
//   blanket=P1:P2   path prefixes that go to the kernel as they are
//   socket=LIST     protocol families whose sockets go to the kernel: a
//                   colon list of names, "all" first to mean every family,
//                   "noNAME" to take one out (default all:nolocal)
//   sysctl=yes|no   sysctl(3) reads the kernel's tree (default no on Linux,
//                   where programs read /proc/sys instead; see docs)
//   fdoff=N         kernel descriptors appear to the program as N and up
//                   (default 128)
//   vfs=LIST        accepted for NetBSD scripts; this kernel has no VFS calls
//
// Unset: NetBSD's default, "path=/rump,socket=all:nolocal". An empty string
// hijacks nothing. An unknown name, a bad value or an unknown family is an
// error with a message naming it.
#ifndef RUMP_CAPI_HIJACK_CONFIG_H_
#define RUMP_CAPI_HIJACK_CONFIG_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rump::hijack {

struct HijackConfig {
  std::string path;                  // "" = no path-based hijacking
  std::vector<std::string> blanket;  // prefixes kept as they are
  // Linux address families (AF_INET, AF_UNIX, ...) whose sockets go to the
  // kernel.
  std::set<int> socket_families;
  bool sysctl = false;
  int fdoff = 128;

  bool HijacksFamily(int linux_family) const { return socket_families.count(linux_family) != 0; }
};

inline constexpr char kDefaultHijack[] = "path=/rump,socket=all:nolocal";

// Parses RUMPHIJACK's value (kDefaultHijack when the variable is unset).
absl::StatusOr<HijackConfig> ParseHijackConfig(absl::string_view text);

}  // namespace rump::hijack

#endif  // RUMP_CAPI_HIJACK_CONFIG_H_
