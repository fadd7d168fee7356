/*
 * <rump/rumpclient.h>: a program's connection to a rump kernel server
 * (rump_server), NetBSD's librumpclient. Link with -lrumpclient
 * (librumpclient.so.0); the same library provides every rump_sys_* call of
 * <rump/rump_syscalls.h>, under the same symbol names as librump, so one
 * program runs against an in-process kernel or a remote one depending only
 * on which library it links.
 *
 *   setenv RUMP_SERVER unix://sock   (or unix:///abs/path, tcp://1.2.3.4:5/,
 *                                     tcp://[::1]:5/, zmq+tcp://host:port,
 *                                     zmq+ipc://path)
 *   if (rumpclient_init() == -1) err(1, "rumpclient init");
 *   s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
 *
 * Errors: rump_sys_* return -1 with errno set to the NetBSD errno number
 * the server gave (EAFNOSUPPORT is 47, not Linux's 97; see <rump/rumperr.h>),
 * and set errno to 0 on success; failures of the connection itself give
 * *host* errno values (ENOTCONN when the server is gone or before
 * rumpclient_init, and those of socket/connect), as NetBSD's client does.
 * The functions below return 0 / -1 with a host errno, except
 * rumpclient_syscall, which returns the error number itself.
 *
 * Threads: any number of threads may make calls at once over the one
 * connection. Every signal is blocked in the calling thread while its call
 * runs, except while it waits for the server: then signals that end the
 * process at their default action are let through, and, against a server
 * that announces "x-intr=1" (ours) on unix:// and tcp://, signals caught by
 * a handler installed without SA_RESTART: the handler runs and the call
 * fails with EINTR, as a blocked Linux system call does. A signal the
 * kernel raises for the process (SIGPIPE from a write to a dead TCP
 * connection, ...) is delivered when the call returns.
 *
 * Round trips: against a server that offers it (ours announces "x-batch=1"
 * in its banner) a call whose buffers the library knows (sendto, recvfrom,
 * ioctl, __sysctl, bind, connect, read, write, ...) travels with its input
 * bytes and comes back with its output bytes: one round trip. Against any
 * other server (NetBSD's), or with RUMPCLIENT_NO_XBATCH=1 in the
 * environment, every call uses NetBSD's plain frames.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_RUMPCLIENT_H_
#define RUMP_RUMPCLIENT_H_

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The state a host fork carries from prefork to the child (opaque). */
struct rumpclient_fork;

/* rumpclient__closenotify(): what the application is about to do. */
enum rumpclient_closevariant {
	RUMPCLIENT_CLOSE_CLOSE = 0,  /* close(*fdp) */
	RUMPCLIENT_CLOSE_DUP2 = 1,   /* dup2(x, *fdp) */
	RUMPCLIENT_CLOSE_FCLOSEM = 2 /* fcntl(*fdp, F_CLOSEM): close *fdp and above */
};

/* rumpclient_setconnretry() values besides "n seconds" and 0 (never). */
#define RUMPCLIENT_RETRYCONN_INFTIME ((time_t)-1) /* retry forever */
#define RUMPCLIENT_RETRYCONN_ONCE    ((time_t)-2) /* one reconnect attempt */
#define RUMPCLIENT_RETRYCONN_DIE     ((time_t)-3) /* _exit(1) on a lost connection */

/*
 * Connects to the server named by RUMP__PARSEDSERVER (set for exec'd
 * programs) or else RUMP_SERVER, and becomes a new process in its kernel
 * (parent pid 1, descriptors 0-2 on the console). 0, or -1 with errno:
 * ENOENT and "error: RUMP_SERVER not set" on stderr when unset; the URL's
 * errno (EINVAL, ERANGE, ENAMETOOLONG, EOPNOTSUPP) for a bad URL; the
 * connect's (ECONNREFUSED, ENOENT...) for an unreachable server; a message
 * naming the problem is printed on stderr. Once per host process: later
 * calls return 0 (a host fork() child calls it again and gets a process of
 * its own; use rumpclient_fork() to keep the parent's descriptors). In a
 * program started by rumpclient_exec() it continues the old connection
 * (RUMPCLIENT__EXECFD): same kernel pid, same descriptors.
 */
int rumpclient_init(void);

/*
 * System call `num` (a NetBSD syscall number) with its arguments in
 * NetBSD's layout: one 8-byte slot per argument, narrow values in the low
 * bytes, the rest zero; `argsize` bytes (at most 64; a partial slot is
 * zero-padded). Returns 0 or the error number (NetBSD's from the kernel, a
 * host one for connection failures); retval[0] and retval[1] (the second
 * return register: ppid for getpid, the second fd of pipe) are filled when
 * `retval` is not NULL. (`long` is NetBSD's register_t on x86-64.)
 */
int rumpclient_syscall(int num, const void *sysarg, size_t argsize, long *retval);

/*
 * Forking with the rump connection. rumpclient_fork() is fork(2) for a
 * client: the child gets a new kernel process (new pid, parent pid 1) that
 * starts with a copy of the parent's rump descriptors. The steps, for other
 * fork functions: rumpclient_prefork() before forking (NULL with errno on
 * failure); in the child rumpclient_fork_init(); in the parent, if the fork
 * failed, rumpclient_fork_cancel() (which also releases what prefork
 * reserved on the server); after a vfork child has exec'd or exited,
 * rumpclient_fork_vparent() restores the parent's state the child
 * overwrote. rumpclient_vfork() below does all of it.
 */
struct rumpclient_fork *rumpclient_prefork(void);
int rumpclient_fork_init(struct rumpclient_fork *rf);
void rumpclient_fork_cancel(struct rumpclient_fork *rf);
void rumpclient_fork_vparent(struct rumpclient_fork *rf);
pid_t rumpclient_fork(void);

/*
 * execve(2) that keeps the kernel process: the new program calls
 * rumpclient_init() and continues with the same pid and every rump
 * descriptor not opened close-on-exec. Adds RUMPCLIENT__EXECFD and
 * RUMP__PARSEDSERVER to `envp`. Returns only on failure: -1 with errno
 * (EOPNOTSUPP over ZeroMQ, whose connection cannot cross an exec).
 */
int rumpclient_exec(const char *path, char *const argv[], char *const envp[]);

/*
 * daemon(3) that keeps the rump connection (the daemon is a forked kernel
 * process with the parent's descriptors). 0 in the daemon, -1 with errno.
 */
int rumpclient_daemon(int nochdir, int noclose);

/*
 * What to do when the connection is lost: 0 (default) nothing, calls fail
 * with ENOTCONN; n > 0 reconnect, trying for n seconds, and resend the call
 * (the new connection is a new kernel process: descriptors are gone);
 * RUMPCLIENT_RETRYCONN_INFTIME, _ONCE, _DIE as above. Values below
 * RUMPCLIENT_RETRYCONN_DIE are ignored.
 */
void rumpclient_setconnretry(time_t timeout);

/*
 * For librumphijack: before the application closes or dup2()s over host
 * descriptor *fdp, moves the library's own descriptor off it; for F_CLOSEM,
 * closes the host descriptors from *fdp up to the library's own and
 * advances *fdp past them. 0 or -1 with errno.
 */
int rumpclient__closenotify(int *fdp, enum rumpclient_closevariant variant);

/*
 * rumpclient_vfork(): vfork(2) for a client (include <unistd.h> for vfork).
 * The sequence is expanded in the caller, so that the vfork child never
 * returns from the function that called vfork.
 */
#if defined(__GNUC__)
#define rumpclient_vfork() rumpclient__dofork_expr(vfork)
#define rumpclient__dofork_expr(forkfn) \
	__extension__({ \
		struct rumpclient_fork *rumpclient__rf = rumpclient_prefork(); \
		volatile int rumpclient__child_ran = 0; \
		pid_t rumpclient__pid = -1; \
		if (rumpclient__rf != NULL) { \
			rumpclient__pid = forkfn(); \
			if (rumpclient__pid == -1) { \
				rumpclient_fork_cancel(rumpclient__rf); \
			} else if (rumpclient__pid == 0) { \
				rumpclient__child_ran = 1; \
				if (rumpclient_fork_init(rumpclient__rf) == -1) \
					rumpclient__pid = -1; \
			} else if (rumpclient__child_ran) { \
				rumpclient_fork_vparent(rumpclient__rf); \
			} \
		} \
		rumpclient__pid; \
	})
#else
static inline pid_t
rumpclient__dofork(pid_t (*forkfn)(void))
{
	struct rumpclient_fork *rf = rumpclient_prefork();
	volatile int child_ran = 0;
	pid_t pid;

	if (rf == NULL)
		return -1;
	pid = forkfn();
	if (pid == -1) {
		rumpclient_fork_cancel(rf);
	} else if (pid == 0) {
		child_ran = 1;
		if (rumpclient_fork_init(rf) == -1)
			pid = -1;
	} else if (child_ran) {
		rumpclient_fork_vparent(rf);
	}
	return pid;
}
#define rumpclient_vfork() rumpclient__dofork(vfork)
#endif

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMPCLIENT_H_ */
