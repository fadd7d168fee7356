#include "rump/kern/resource_limits.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"
#include "rump/abi/errno.h"
#include "rump/kern/fd_table.h"

namespace rump {
namespace {

constexpr uint64_t kInf = abi::kRlimInfinity;
constexpr size_t kMaxPathLen = 1024;  // MAXPATHLEN, with the NUL

// The highest value limit `which` may have (NetBSD caps descriptors at
// maxfiles; ours at what a table holds).
uint64_t Cap(int which) {
  return which == abi::kRlimitNofile ? uint64_t{FdTable::kMaxDescriptors} : kInf;
}

}  // namespace

ResourceLimits ResourceLimits::Defaults() {
  ResourceLimits l;
  l.limits_.fill(abi::Rlimit{kInf, kInf});
  l.limits_[abi::kRlimitStack] = {4u << 20, 128u << 20};
  l.limits_[abi::kRlimitMemlock] = {178956970, 512u << 20};
  l.limits_[abi::kRlimitNproc] = {160, 532};
  l.limits_[abi::kRlimitNthr] = {160, 2048};
  l.limits_[abi::kRlimitNofile] = {FdTable::kMaxDescriptors, FdTable::kMaxDescriptors};
  l.corename_ = "rumpdump";
  return l;
}

ResourceLimits::ResourceLimits(const ResourceLimits& other) { *this = other; }

ResourceLimits& ResourceLimits::operator=(const ResourceLimits& other) {
  if (this == &other) return *this;
  std::array<abi::Rlimit, abi::kRlimNlimits> limits;
  std::string corename;
  {
    std::lock_guard<std::mutex> lock(other.mu_);
    limits = other.limits_;
    corename = other.corename_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  limits_ = limits;
  corename_ = std::move(corename);
  return *this;
}

absl::StatusOr<abi::Rlimit> ResourceLimits::Get(int which) const {
  if (which < 0 || which >= abi::kRlimNlimits) return abi::Errno(abi::kEINVAL);
  std::lock_guard<std::mutex> lock(mu_);
  return limits_[size_t(which)];
}

absl::Status ResourceLimits::Set(int which, abi::Rlimit value, bool privileged) {
  if (which < 0 || which >= abi::kRlimNlimits) return abi::Errno(abi::kEINVAL);
  if (value.rlim_cur > value.rlim_max) return abi::Errno(abi::kEINVAL);
  std::lock_guard<std::mutex> lock(mu_);
  abi::Rlimit& now = limits_[size_t(which)];
  if (value.rlim_cur == now.rlim_cur && value.rlim_max == now.rlim_max) {
    return absl::OkStatus();
  }
  if (value.rlim_max > now.rlim_max && !privileged) return abi::Errno(abi::kEPERM);
  value.rlim_cur = std::min(value.rlim_cur, Cap(which));
  value.rlim_max = std::min(value.rlim_max, Cap(which));
  now = value;
  return absl::OkStatus();
}

std::string ResourceLimits::corename() const {
  std::lock_guard<std::mutex> lock(mu_);
  return corename_;
}

absl::Status ResourceLimits::SetCorename(std::string name) {
  const size_t n = name.size();
  const bool ends_in_core = n >= 4 && name.compare(n - 4, 4, "core") == 0;
  if (!ends_in_core || (n > 4 && name[n - 5] != '/' && name[n - 5] != '.') ||
      n >= kMaxPathLen) {
    return abi::Errno(abi::kEINVAL, "a core file name is core, or ends in /core or .core");
  }
  std::lock_guard<std::mutex> lock(mu_);
  corename_ = std::move(name);
  return absl::OkStatus();
}

}  // namespace rump
