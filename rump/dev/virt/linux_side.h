// The Linux side of a tap, for tests and benchmarks of the virt driver: a
// network namespace of the process's own, and the host interface's flags
// and address, set as ip(8) would. Test-only.
#ifndef RUMP_DEV_VIRT_LINUX_SIDE_H_
#define RUMP_DEV_VIRT_LINUX_SIDE_H_

#include <string>

#include "absl/status/status.h"

namespace rump::virt_testing {

// Moves the calling process into a new network namespace, once (threads
// started afterwards are in it too). Returns "" then, or why it cannot
// (not root, no /dev/net/tun): the caller skips and says so.
const std::string& EnterOwnNetworkNamespace();

// Whether the host has an interface called `name`.
bool HostHas(const std::string& name);
// Sets IFF_UP of the host interface `name`, or clears it.
absl::Status HostSetUp(const std::string& name, bool up);
// Sets the host interface's MTU.
absl::Status HostSetMtu(const std::string& name, int mtu);
// Gives the host interface `name` the IPv4 address `addr`/`mask`.
absl::Status HostSetAddress(const std::string& name, const char* addr, const char* mask);

}  // namespace rump::virt_testing

#endif  // RUMP_DEV_VIRT_LINUX_SIDE_H_
