// Credentials: who a process is, for the kernel's permission checks (the
// part of NetBSD's kauth_cred_t that rump kernels use): real and effective
// uid and gid, and up to NGROUPS_MAX supplementary groups. A value type,
// header-only, so that code outside the kernel (the server's credential
// policy, its fuzzer) can build one.
#ifndef RUMP_KERN_CREDENTIALS_H_
#define RUMP_KERN_CREDENTIALS_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "rump/abi/syscalls.h"

namespace rump {

struct Credentials {
  uint32_t uid = 0, euid = 0, gid = 0, egid = 0;  // root by default
  // The supplementary groups (getgroups/setgroups): the first `ngroups`
  // entries of `groups`, in the order they were set.
  uint32_t ngroups = 0;
  std::array<uint32_t, abi::kNgroupsMax> groups{};

  // Whether the process is in group `g` (NetBSD's kauth_cred_ismember_gid):
  // its effective gid or one of its supplementary groups.
  bool InGroup(uint32_t g) const {
    if (g == egid) return true;
    const absl::Span<const uint32_t> list = group_list();
    return std::find(list.begin(), list.end(), g) != list.end();
  }
  // Sets the supplementary groups; false (nothing changed) for more than
  // abi::kNgroupsMax.
  bool SetGroups(absl::Span<const uint32_t> list) {
    if (list.size() > groups.size()) return false;
    groups.fill(0);
    std::copy(list.begin(), list.end(), groups.begin());
    ngroups = uint32_t(list.size());
    return true;
  }
  absl::Span<const uint32_t> group_list() const { return {groups.data(), ngroups}; }
  bool operator==(const Credentials&) const = default;
};

}  // namespace rump

#endif  // RUMP_KERN_CREDENTIALS_H_
