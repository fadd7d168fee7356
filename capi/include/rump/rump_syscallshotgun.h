/*
 * <rump/rump_syscallshotgun.h>, included by <rump/rump.h>: for programs
 * that want the plain libc names to mean the rump calls. Define any of
 * RUMP_SYS_NETWORKING, RUMP_SYS_IOCTL, RUMP_SYS_CLOSE, RUMP_SYS_OPEN,
 * RUMP_SYS_READWRITE, RUMP_SYS_FILEOPS, RUMP_SYS_PROCOPS before including
 * it, and (for example) socket() becomes rump_sys_socket(). Only calls this
 * library provides are mapped. Without those macros it does nothing.
 */
#ifndef RUMP_RUMP_SYSCALLSHOTGUN_H_
#define RUMP_RUMP_SYSCALLSHOTGUN_H_

#if defined(RUMP_SYS_NETWORKING) || defined(RUMP_SYS_IOCTL) || \
    defined(RUMP_SYS_CLOSE) || defined(RUMP_SYS_OPEN) || \
    defined(RUMP_SYS_READWRITE) || defined(RUMP_SYS_FILEOPS) || \
    defined(RUMP_SYS_PROCOPS)
#include <rump/rump_syscalls.h>
#endif

#ifdef RUMP_SYS_NETWORKING
#define accept(a, b, c) rump_sys_accept(a, b, c)
#define bind(a, b, c) rump_sys_bind(a, b, c)
#define connect(a, b, c) rump_sys_connect(a, b, c)
#define getpeername(a, b, c) rump_sys_getpeername(a, b, c)
#define getsockname(a, b, c) rump_sys_getsockname(a, b, c)
#define listen(a, b) rump_sys_listen(a, b)
#define recvfrom(a, b, c, d, e, f) rump_sys_recvfrom(a, b, c, d, e, f)
#define recvmsg(a, b, c) rump_sys_recvmsg(a, b, c)
#define sendto(a, b, c, d, e, f) rump_sys_sendto(a, b, c, d, e, f)
#define sendmsg(a, b, c) rump_sys_sendmsg(a, b, c)
#define getsockopt(a, b, c, d, e) rump_sys_getsockopt(a, b, c, d, e)
#define setsockopt(a, b, c, d, e) rump_sys_setsockopt(a, b, c, d, e)
#define shutdown(a, b) rump_sys_shutdown(a, b)
#define socket(a, b, c) rump_sys_socket(a, b, c)
#define socketpair(a, b, c, d) rump_sys_socketpair(a, b, c, d)
#endif

#ifdef RUMP_SYS_IOCTL
#define ioctl(...) rump_sys_ioctl(__VA_ARGS__)
#define fcntl(...) rump_sys_fcntl(__VA_ARGS__)
#endif

#ifdef RUMP_SYS_CLOSE
#define close(a) rump_sys_close(a)
#endif

#ifdef RUMP_SYS_OPEN
#define open(...) rump_sys_open(__VA_ARGS__)
#endif

#ifdef RUMP_SYS_READWRITE
#define read(a, b, c) rump_sys_read(a, b, c)
#define readv(a, b, c) rump_sys_readv(a, b, c)
#define write(a, b, c) rump_sys_write(a, b, c)
#define writev(a, b, c) rump_sys_writev(a, b, c)
#endif

#ifdef RUMP_SYS_FILEOPS
#define dup(a) rump_sys_dup(a)
#define dup2(a, b) rump_sys_dup2(a, b)
#define dup3(a, b, c) rump_sys_dup3(a, b, c)
#define pipe(a) rump_sys_pipe(a)
#define pipe2(a, b) rump_sys_pipe2(a, b)
#define poll(a, b, c) rump_sys_poll(a, b, c)
#endif

#ifdef RUMP_SYS_PROCOPS
#define getpid() rump_sys_getpid()
#define getppid() rump_sys_getppid()
#define getuid() rump_sys_getuid()
#define geteuid() rump_sys_geteuid()
#define getgid() rump_sys_getgid()
#define getegid() rump_sys_getegid()
#define setuid(a) rump_sys_setuid(a)
#endif

#endif /* RUMP_RUMP_SYSCALLSHOTGUN_H_ */
