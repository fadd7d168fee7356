// What librumpclient's files share: the remote system call that the
// rump_sys_* wrappers (client_syscalls.cc) go through. Not installed.
#ifndef RUMP_CAPI_RUMPCLIENT_INTERNAL_H_
#define RUMP_CAPI_RUMPCLIENT_INTERNAL_H_

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>

namespace rump::capi::client {

struct RemoteResult {
  int error = 0;  // 0, a NetBSD errno, or a host errno (ENOTCONN...)
  int64_t rv0 = 0;
  int64_t rv1 = 0;
};

// Runs syscall `number` on the server this process is connected to
// (rumpclient_init); ENOTCONN if it is not.
RemoteResult RemoteSyscall(int number, std::initializer_list<uint64_t> slots);

// rumpclient_fork() with the host's fork given: the child gets a kernel
// process of its own that shares the parent's kernel descriptors. The
// hijack library passes libc's fork, since its own fork() is this.
pid_t ForkWith(pid_t (*host_fork)());

// Whether this process itself made the connection in use: false in a child
// that did not fork through rumpclient (a vfork child, before its exec),
// which must not hand its parent's connection to a new program.
bool ConnectedInThisProcess();

}  // namespace rump::capi::client

#endif  // RUMP_CAPI_RUMPCLIENT_INTERNAL_H_
