// The system calls the kernel core implements itself: process identity,
// descriptors (close, dup*, fcntl), read/write, the generic ioctl layer,
// time, reboot. Components register the rest (sockets, sysctl's tree is the
// kernel's own but registered here too).
#ifndef RUMP_KERN_KERN_SYSCALLS_H_
#define RUMP_KERN_KERN_SYSCALLS_H_

#include "rump/kern/syscall.h"

namespace rump {

void RegisterKernSyscalls(SyscallTable& table);

// poll, pollts and select (kern_poll.cc); RegisterKernSyscalls calls it.
void RegisterPollSyscalls(SyscallTable& table);

}  // namespace rump

#endif  // RUMP_KERN_KERN_SYSCALLS_H_
