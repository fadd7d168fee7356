// Host (Linux) errno values -> NetBSD errno values, for errors the server
// reports through the NetBSD ABI (rump_init_server's return value,
// rump_server's exit status). (capi/host_errno.cc has the same table for
// the C API; one of them should move to rump/abi.)
#ifndef RUMP_SP_SERVER_HOST_ERRNO_H_
#define RUMP_SP_SERVER_HOST_ERRNO_H_

namespace sp::server {

// The NetBSD errno with the same meaning as Linux errno `host_errno`; 0 for
// 0; EINVAL (22) for values NetBSD has no name for.
int NetbsdErrnoFromHost(int host_errno);

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_HOST_ERRNO_H_
