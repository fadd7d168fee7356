// The socket system calls other than socket(2) itself (NetStack registers
// that): bind, connect, listen, accept, paccept, sendto, sendmsg, recvfrom,
// recvmsg, getsockname, getpeername, setsockopt, getsockopt, shutdown.
// They copy the NetBSD structures in and out (msghdr, iovec, sockaddr,
// socklen_t, option values) and call the Socket methods; every user access
// goes through ctx.mem. EBADF for a descriptor that is not open, ENOTSOCK for one that
// is not a socket.
#ifndef RUMP_NET_SOCKET_SYSCALLS_H_
#define RUMP_NET_SOCKET_SYSCALLS_H_

#include "rump/kern/syscall.h"

namespace rump {

void RegisterSocketSyscalls(SyscallTable& table);

}  // namespace rump

#endif  // RUMP_NET_SOCKET_SYSCALLS_H_
