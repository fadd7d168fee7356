/*
 * <rump/rump_syscalls.h>: the rump kernel's system calls, rump_sys_<name>
 * with the libc name and prototype of each call.
 *
 * Conventions (NetBSD's):
 *   - On failure a call returns -1 and sets errno to the NetBSD errno number
 *     (EAGAIN is 35, not Linux's 11; see <rump/rumpdefs.h>, print with
 *     rump_strerror() from <rump/rumperr.h>). On success errno is set to 0.
 *     The get*id() calls never fail and leave errno alone.
 *   - Arguments use NetBSD's values and layouts, whatever the host: open
 *     flags, socket types, sockaddrs (sa_len byte first), struct msghdr
 *     (48 bytes), ioctl numbers, sysctl MIBs. The pointer types below are
 *     only names: pass memory laid out as NetBSD's structures are.
 *   - Calls made before rump_init() fail with ENXIO (6).
 *   - Calls the kernel does not implement (yet) fail with ENOSYS (78).
 *
 * Link names: each rump_sys_X is the library symbol rump___sysimpl_X, with
 * the versioned kernel name where NetBSD has one (rump_sys_socket is
 * rump___sysimpl_socket30, rump_sys_select is rump___sysimpl_select50, ...),
 * exactly as NetBSD's header renames them, so that programs built with
 * either header link against either library. rump_sys_pipe keeps its name.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_RUMP_SYSCALLS_H_
#define RUMP_RUMP_SYSCALLS_H_

#include <stddef.h>
#include <sys/types.h>
#include <sys/select.h> /* fd_set, sigset_t */

#ifdef __cplusplus
extern "C" {
#endif

/* Only pointed to. Their NetBSD layouts are in the project's
 * ABI tables (rump/abi/, docs/architecture.md); the host's definitions,
 * if any, are not used. */
struct iovec;
struct msghdr;
struct pollfd;
struct rlimit;
struct sockaddr;
struct timespec;
struct timeval;

#define RUMP_SYSIMPL_(name) __asm__("rump___sysimpl_" #name)

/* ---- descriptors and I/O (socklen_t and nfds_t are unsigned int) ---- */
ssize_t rump_sys_read(int fd, void *buf, size_t nbyte) RUMP_SYSIMPL_(read);
ssize_t rump_sys_write(int fd, const void *buf, size_t nbyte) RUMP_SYSIMPL_(write);
ssize_t rump_sys_readv(int fd, const struct iovec *iov, int iovcnt) RUMP_SYSIMPL_(readv);
ssize_t rump_sys_writev(int fd, const struct iovec *iov, int iovcnt) RUMP_SYSIMPL_(writev);
/* The third argument (mode_t) is read only with RUMP_O_CREAT. */
int rump_sys_open(const char *path, int flags, ...) RUMP_SYSIMPL_(open);
int rump_sys_close(int fd) RUMP_SYSIMPL_(close);
int rump_sys_dup(int fd) RUMP_SYSIMPL_(dup);
int rump_sys_dup2(int from, int to) RUMP_SYSIMPL_(dup2);
int rump_sys_dup3(int from, int to, int flags) RUMP_SYSIMPL_(dup3);
/* The third argument, when the command takes one, is an int or a pointer. */
int rump_sys_fcntl(int fd, int cmd, ...) RUMP_SYSIMPL_(fcntl);
/* The third argument is a pointer (void *) to the command's structure. */
int rump_sys_ioctl(int fd, unsigned long request, ...) RUMP_SYSIMPL_(ioctl);
int rump_sys_pipe(int fd[2]); /* not renamed, as NetBSD's */
int rump_sys_pipe2(int fd[2], int flags) RUMP_SYSIMPL_(pipe2);
int rump_sys_poll(struct pollfd *fds, unsigned int nfds, int timeout) RUMP_SYSIMPL_(poll);
int rump_sys_pollts(struct pollfd *fds, unsigned int nfds, const struct timespec *ts,
    const sigset_t *mask) RUMP_SYSIMPL_(pollts50);
int rump_sys_select(int nd, fd_set *in, fd_set *ou, fd_set *ex, struct timeval *tv)
    RUMP_SYSIMPL_(select50);

/* ---- processes and credentials ---- */
pid_t rump_sys_getpid(void) RUMP_SYSIMPL_(getpid);
pid_t rump_sys_getppid(void) RUMP_SYSIMPL_(getppid);
uid_t rump_sys_getuid(void) RUMP_SYSIMPL_(getuid);
uid_t rump_sys_geteuid(void) RUMP_SYSIMPL_(geteuid);
gid_t rump_sys_getgid(void) RUMP_SYSIMPL_(getgid);
gid_t rump_sys_getegid(void) RUMP_SYSIMPL_(getegid);
int rump_sys_setuid(uid_t uid) RUMP_SYSIMPL_(setuid);
int rump_sys_getgroups(int gidsetsize, gid_t *gidset) RUMP_SYSIMPL_(getgroups);
int rump_sys_setgroups(int gidsetsize, const gid_t *gidset) RUMP_SYSIMPL_(setgroups);

/* ---- sockets ---- */
int rump_sys_socket(int domain, int type, int protocol) RUMP_SYSIMPL_(socket30);
int rump_sys_socketpair(int domain, int type, int protocol, int sv[2])
    RUMP_SYSIMPL_(socketpair);
int rump_sys_bind(int s, const struct sockaddr *name, unsigned int namelen)
    RUMP_SYSIMPL_(bind);
int rump_sys_connect(int s, const struct sockaddr *name, unsigned int namelen)
    RUMP_SYSIMPL_(connect);
int rump_sys_listen(int s, int backlog) RUMP_SYSIMPL_(listen);
int rump_sys_accept(int s, struct sockaddr *name, unsigned int *anamelen)
    RUMP_SYSIMPL_(accept);
int rump_sys_getsockname(int s, struct sockaddr *name, unsigned int *alen)
    RUMP_SYSIMPL_(getsockname);
int rump_sys_getpeername(int s, struct sockaddr *name, unsigned int *alen)
    RUMP_SYSIMPL_(getpeername);
ssize_t rump_sys_sendto(int s, const void *buf, size_t len, int flags,
    const struct sockaddr *to, unsigned int tolen) RUMP_SYSIMPL_(sendto);
ssize_t rump_sys_recvfrom(int s, void *buf, size_t len, int flags,
    struct sockaddr *from, unsigned int *fromlen) RUMP_SYSIMPL_(recvfrom);
ssize_t rump_sys_sendmsg(int s, const struct msghdr *msg, int flags)
    RUMP_SYSIMPL_(sendmsg);
ssize_t rump_sys_recvmsg(int s, struct msghdr *msg, int flags) RUMP_SYSIMPL_(recvmsg);
int rump_sys_setsockopt(int s, int level, int name, const void *val,
    unsigned int valsize) RUMP_SYSIMPL_(setsockopt);
int rump_sys_getsockopt(int s, int level, int name, void *val,
    unsigned int *avalsize) RUMP_SYSIMPL_(getsockopt);
int rump_sys_shutdown(int s, int how) RUMP_SYSIMPL_(shutdown);

/* ---- system ---- */
int rump_sys___sysctl(const int *name, unsigned int namelen, void *oldv,
    size_t *oldlenp, const void *newv, size_t newlen) RUMP_SYSIMPL_(__sysctl);
/* Halts the kernel; without RUMP_RB_HALT the process then exits (status 0),
 * with RUMP_RB_DUMP it aborts; with RUMP_RB_HALT the call returns 0. */
int rump_sys_reboot(int opt, char *bootstr) RUMP_SYSIMPL_(reboot);
/* struct timespec is NetBSD's {int64 tv_sec; long tv_nsec} (as x86-64
 * Linux's); struct timeval is {int64 tv_sec; int32 tv_usec; 4 bytes pad}. */
int rump_sys_clock_gettime(clockid_t clock_id, struct timespec *tp)
    RUMP_SYSIMPL_(clock_gettime50);
int rump_sys_gettimeofday(struct timeval *tp, void *tzp) RUMP_SYSIMPL_(gettimeofday50);
int rump_sys_nanosleep(const struct timespec *rqtp, struct timespec *rmtp)
    RUMP_SYSIMPL_(nanosleep50);
/* struct rlimit is NetBSD's {uint64 rlim_cur; uint64 rlim_max} (the layout
 * of x86-64 Linux's); NetBSD's RLIM_INFINITY is 0x7fffffffffffffff (Linux's
 * is ~0). The RLIMIT_* numbers are NetBSD's (RLIMIT_NOFILE is 8; Linux's is 7). */
int rump_sys_getrlimit(int which, struct rlimit *rlp) RUMP_SYSIMPL_(getrlimit);
int rump_sys_setrlimit(int which, const struct rlimit *rlp) RUMP_SYSIMPL_(setrlimit);

#undef RUMP_SYSIMPL_

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMP_SYSCALLS_H_ */
