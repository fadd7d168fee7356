// Privilege: the actions of the kernel that need root, and the errno a
// process without it gets. NetBSD asks kauth(9) and its traditional
// security model (secmodel_suser) answers: effective uid 0 may do anything,
// anyone else is refused what is listed here. This header is the one place
// where our kernel makes that decision; each caller asks at the point where
// NetBSD's code asks kauth, so that the errors NetBSD reports before the
// check (ENXIO for an interface that does not exist, EADDRNOTAVAIL for a
// foreign address, ...) still come first.
//
// Every function returns OK when `cred` may go ahead, otherwise an
// abi::Errno status with NetBSD 7.99's errno for the refusal.
#ifndef RUMP_KERN_PRIVILEGE_H_
#define RUMP_KERN_PRIVILEGE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "rump/kern/process.h"

namespace rump {
namespace privilege {

// Root: effective uid 0 (the real uid does not count).
bool IsRoot(const Credentials& cred);

// An interface ioctl (ifioctl, in_control): the ones that change an
// interface need root (EPERM): SIOCIFCREATE, SIOCIFDESTROY, SIOCSIF*
// (flags, metric, MTU, capabilities, media, address, netmask, destination,
// broadcast), SIOCAIFADDR, SIOCDIFADDR, SIOCALIFADDR, SIOCDLIFADDR,
// SIOCSIFADDRPREF, SIOCADDMULTI, SIOCDELMULTI, SIOCZIFDATA, SIOCSDRVSPEC
// and SIOCSLINKSTR. Reads are open to everyone.
absl::Status InterfaceIoctl(const Credentials& cred, uint64_t cmd);

// A message written to a routing socket: RTM_GET is open to everyone, any
// other type needs root (EACCES, as route_output reports it).
absl::Status RouteMessage(const Credentials& cred, int rtm_type);

// socket(domain, type, ...): SOCK_RAW needs root (EPERM) except in
// PF_ROUTE; checked before the domain and protocol are looked up.
absl::Status OpenSocket(const Credentials& cred, int domain, int type);

// bind() of a TCP or UDP socket to `port` (host order): a port below
// IPPORT_RESERVED (1024), other than 0, needs root (EACCES).
absl::Status BindPort(const Credentials& cred, uint16_t port);

// reboot(2), and so halting the kernel from a client: EPERM.
absl::Status Reboot(const Credentials& cred);

// Setting ids beyond one's own (KAUTH_PROCESS_SETID): setgroups(2), asked
// after the new list was taken (EINVAL and EFAULT come first): EPERM.
absl::Status SetIds(const Credentials& cred);

}  // namespace privilege
}  // namespace rump

#endif  // RUMP_KERN_PRIVILEGE_H_
