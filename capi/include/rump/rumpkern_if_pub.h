/*
 * <rump/rumpkern_if_pub.h>: the kernel's public component interface
 * (rump_pub_*), included by <rump/rump.h>.
 *
 * lwproc: every host thread either uses the implicit context (it acts as
 * pid 1) or is bound to a kernel thread (struct lwp) of some process; the
 * system calls it makes run in that process (its pid, credentials and
 * descriptors). Bindings are per host thread.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_RUMPKERN_IF_PUB_H_
#define RUMP_RUMPKERN_IF_PUB_H_

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lwp;

/* rump_getversion(). */
int rump_pub_getversion(void);

/*
 * Creates a process (child of the caller's process) with one lwp, and binds
 * the calling thread to it; the thread's previous lwp, if any, stays
 * existing for rump_pub_lwproc_switch(). flags: RUMP_RFFDG (copy the
 * caller's descriptors), RUMP_RFCFDG (fresh: 0-2 on the console) or
 * RUMP_RFFD_SHARE (0: the child shares the caller's descriptor table).
 * 0 or EINVAL (bad flags), ENXIO (no kernel).
 */
int rump_pub_lwproc_rfork(int flags);

/* Creates an lwp in process `pid` and binds the calling thread to it.
 * 0 or ESRCH (no such process), ENXIO (no kernel). */
int rump_pub_lwproc_newlwp(pid_t pid);

/* Binds the calling thread to `l` (NULL: the implicit context, pid 1). An
 * lwp bound to another thread is refused (a message on stderr, nothing
 * changes); NetBSD panics there. */
void rump_pub_lwproc_switch(struct lwp *l);

/* Releases the calling thread's lwp (the thread returns to the implicit
 * context). Releasing a process's last lwp releases the process and closes
 * its descriptors. Without an lwp: nothing. */
void rump_pub_lwproc_releaselwp(void);

/* The calling thread's lwp, or NULL in the implicit context. */
struct lwp *rump_pub_lwproc_curlwp(void);

/* System calls always use the NetBSD ABI here: a no-op. */
void rump_pub_lwproc_sysent_usenative(void);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_RUMPKERN_IF_PUB_H_ */
