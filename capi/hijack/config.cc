#include "capi/hijack/config.h"

#include <sys/socket.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rump::hijack {
namespace {

// The protocol families a Linux program's socket can have in the kernel.
// Linux-only families (netlink, packet, ...) have no NetBSD counterpart and
// always stay on the host.
struct Family {
  absl::string_view name;
  int linux_family;
};
constexpr Family kFamilies[] = {
    {"local", AF_UNIX},
    {"unix", AF_UNIX},
    {"inet", AF_INET},
    {"inet6", AF_INET6},
};

absl::Status ParseSockets(absl::string_view value, std::set<int>* out) {
  out->clear();
  bool first = true;
  for (absl::string_view item : absl::StrSplit(value, ':', absl::SkipEmpty())) {
    if (item == "all") {
      if (!first) {
        return absl::InvalidArgumentError(
            "RUMPHIJACK: socket: \"all\" may only be the first element");
      }
      for (const Family& f : kFamilies) out->insert(f.linux_family);
      first = false;
      continue;
    }
    first = false;
    bool remove = false;
    absl::string_view name = item;
    if (absl::ConsumePrefix(&name, "no")) remove = true;
    const Family* found = nullptr;
    for (const Family& f : kFamilies) {
      if (f.name == name) found = &f;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RUMPHIJACK: socket: unknown protocol family \"", item,
          "\" (known: local, unix, inet, inet6; \"all\" first, \"no\" before a name to exclude it)"));
    }
    if (remove) {
      out->erase(found->linux_family);
    } else {
      out->insert(found->linux_family);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HijackConfig> ParseHijackConfig(absl::string_view text) {
  HijackConfig config;
  if (text.empty()) return config;  // nothing hijacked
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("RUMPHIJACK: \"", item, "\" is not name=value"));
    }
    const absl::string_view name = item.substr(0, eq);
    const absl::string_view value = item.substr(eq + 1);
    if (name == "path") {
      if (!value.empty() && value[0] != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat("RUMPHIJACK: path: \"", value, "\" is not an absolute path"));
      }
      config.path = std::string(value);
      while (config.path.size() > 1 && config.path.back() == '/') config.path.pop_back();
    } else if (name == "blanket") {
      config.blanket.clear();
      for (absl::string_view p : absl::StrSplit(value, ':', absl::SkipEmpty())) {
        if (p[0] != '/') {
          return absl::InvalidArgumentError(
              absl::StrCat("RUMPHIJACK: blanket: \"", p, "\" is not an absolute path"));
        }
        config.blanket.emplace_back(p);
      }
    } else if (name == "socket") {
      if (absl::Status st = ParseSockets(value, &config.socket_families); !st.ok()) return st;
    } else if (name == "sysctl") {
      if (value == "yes") {
        config.sysctl = true;
      } else if (value == "no") {
        config.sysctl = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("RUMPHIJACK: sysctl: \"", value, "\" is neither yes nor no"));
      }
    } else if (name == "fdoff") {
      int n = 0;
      // Below 3 would take stdin/stdout/stderr; the kernel's descriptors
      // must still fit an int after the offset.
      if (!absl::SimpleAtoi(value, &n) || n < 3 || n > (1 << 20)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "RUMPHIJACK: fdoff: \"", value, "\" is not a number from 3 to 1048576"));
      }
      config.fdoff = n;
    } else if (name == "vfs") {
      // NetBSD's nfssvc, getvfsstat and file handle calls: Linux has none of
      // them, so there is nothing to redirect; accepted so that NetBSD's
      // settings work unchanged.
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "RUMPHIJACK: unknown name \"", name,
          "\" (known: path, blanket, socket, sysctl, fdoff, vfs)"));
    }
  }
  return config;
}

}  // namespace rump::hijack
