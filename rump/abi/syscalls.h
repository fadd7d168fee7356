// NetBSD system call numbers (sys/kern/syscalls.master, NetBSD 7.99.34) for
// the calls this kernel implements or names. Versioned calls use their
// current number (socket is __socket30 = 394, not 97).
#ifndef RUMP_ABI_SYSCALLS_H_
#define RUMP_ABI_SYSCALLS_H_

namespace rump::abi {

// NGROUPS_MAX (sys/syslimits.h): the most supplementary groups a process has.
inline constexpr int kNgroupsMax = 16;

inline constexpr int kSysExit = 1;
inline constexpr int kSysRead = 3;
inline constexpr int kSysWrite = 4;
inline constexpr int kSysOpen = 5;
inline constexpr int kSysClose = 6;
inline constexpr int kSysGetpid = 20;   // rv0 = pid, rv1 = ppid
inline constexpr int kSysSetuid = 23;
inline constexpr int kSysGetuid = 24;   // rv0 = uid, rv1 = euid
inline constexpr int kSysGeteuid = 25;
inline constexpr int kSysRecvmsg = 27;
inline constexpr int kSysSendmsg = 28;
inline constexpr int kSysRecvfrom = 29;
inline constexpr int kSysAccept = 30;
inline constexpr int kSysGetpeername = 31;
inline constexpr int kSysGetsockname = 32;
inline constexpr int kSysGetppid = 39;
inline constexpr int kSysDup = 41;
inline constexpr int kSysPipe = 42;
inline constexpr int kSysGetegid = 43;
inline constexpr int kSysGetgid = 47;
inline constexpr int kSysIoctl = 54;
inline constexpr int kSysGetgroups = 79;  // (int gidsetsize, gid_t *gidset)
inline constexpr int kSysSetgroups = 80;  // (int gidsetsize, const gid_t *gidset)
inline constexpr int kSysDup2 = 90;
inline constexpr int kSysFcntl = 92;
inline constexpr int kSysConnect = 98;
inline constexpr int kSysBind = 104;
inline constexpr int kSysSetsockopt = 105;
inline constexpr int kSysListen = 106;
inline constexpr int kSysGetsockopt = 118;
inline constexpr int kSysReadv = 120;
inline constexpr int kSysWritev = 121;
inline constexpr int kSysSendto = 133;
inline constexpr int kSysShutdown = 134;
inline constexpr int kSysSocketpair = 135;
inline constexpr int kSysSetgid = 181;
inline constexpr int kSysSetegid = 182;
inline constexpr int kSysSeteuid = 183;
inline constexpr int kSysGetrlimit = 194;  // (which, struct rlimit *)
inline constexpr int kSysSetrlimit = 195;
inline constexpr int kSysSysctl = 202;  // __sysctl
inline constexpr int kSysReboot = 208;
inline constexpr int kSysPoll = 209;
inline constexpr int kSysIssetugid = 305;
inline constexpr int kSysSocket = 394;  // __socket30
inline constexpr int kSysSelect = 417;  // __select50
inline constexpr int kSysGettimeofday = 418;  // __gettimeofday50
inline constexpr int kSysClockGettime = 427;  // __clock_gettime50
inline constexpr int kSysNanosleep = 430;     // __nanosleep50
inline constexpr int kSysPollts = 437;        // __pollts50
inline constexpr int kSysFstat = 440;         // __fstat50
inline constexpr int kSysPipe2 = 453;
inline constexpr int kSysDup3 = 454;
inline constexpr int kSysPaccept = 456;  // (s, name, anamelen, mask, flags)

// sigset_t (four 32-bit words), as paccept and pollts take it.
inline constexpr int kSigsetSize = 16;

// Size of the syscall table: every number below it dispatches through the
// table; anything else is ENOSYS.
inline constexpr int kSysNumEntries = 512;

}  // namespace rump::abi

#endif  // RUMP_ABI_SYSCALLS_H_
