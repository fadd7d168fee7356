/*
 * <rump/rump.h>: booting and driving the rump kernel that runs inside this
 * process, as NetBSD's <rump/rump.h> declares it. Link with -lrump.
 *
 * Error convention (as NetBSD's): the functions here that return int return
 * 0 or a NetBSD errno number (print it with rump_strerror() from
 * <rump/rumperr.h>), never -1. The system calls themselves are the rump_sys_*
 * functions of <rump/rump_syscalls.h>.
 *
 * Before rump_init() has succeeded there is no kernel: the functions that
 * need one return ENXIO (6, "Device not configured"), and rump_sys_* return
 * -1 with errno ENXIO.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_RUMP_H_
#define RUMP_RUMP_H_

#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpdefs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A kernel thread (lwp): an opaque handle (rump_pub_lwproc_curlwp()). */
struct lwp;

enum rump_uiorw { RUMPUIO_READ = 0, RUMPUIO_WRITE = 1 };

/* How signals posted to kernel processes are delivered (recorded only:
 * this kernel posts no signals yet). */
enum rump_sigmodel {
	RUMP_SIGMODEL_PANIC = 0,
	RUMP_SIGMODEL_IGNORE = 1,
	RUMP_SIGMODEL__HOST_NOTANYMORE = 2,
	RUMP_SIGMODEL_RAISE = 3,
	RUMP_SIGMODEL_RECORD = 4
};

/* rump_pub_lwproc_rfork() flags: what the new process gets as descriptors. */
#define RUMP_RFFDG      0x01 /* a copy of the caller's descriptors */
#define RUMP_RFCFDG     0x02 /* a fresh table: 0, 1, 2 on the console */
#define RUMP_RFFD_SHARE 0x00 /* the caller's table (see rump_pub_lwproc_rfork) */
#define RUMP_RFFD_COPY  RUMP_RFFDG
#define RUMP_RFFD_CLEAR RUMP_RFCFDG

enum rump_etfs_type {
	RUMP_ETFS_REG = 0,
	RUMP_ETFS_BLK = 1,
	RUMP_ETFS_CHR = 2,
	RUMP_ETFS_DIR = 3,
	RUMP_ETFS_DIR_SUBDIRS = 4
};

#define RUMPCN_FREECRED       0x02
#define RUMP_ETFS_SIZE_ENDOFF ((uint64_t)-1)

/* rump_daemonize_done() argument for success. */
#define RUMP_DAEMONIZE_SUCCESS 0

/*
 * Boots the kernel in this process, with every component this library has
 * (network base, IPv4, lo0, shmif, ...). 0 or a NetBSD errno. Not
 * reentrant: a later call returns 0 and changes nothing. The calling
 * thread, like every thread not bound with rump_pub_lwproc_*, acts as
 * pid 1 (command name "rumplocal", descriptors 0-2 on the console).
 */
int rump_init(void);

/*
 * Serves this kernel to remote clients (librumpclient) at `url`:
 * unix://path, tcp://a.b.c.d:port/, tcp://[v6]:port/, zmq+tcp://host:port,
 * zmq+ipc://path. Returns 0 once the address accepts connections (the
 * server runs in background threads), or a NetBSD errno: ENXIO before
 * rump_init(), EADDRINUSE, ENAMETOOLONG for a unix path over sun_path, ...
 * When a client reboots the kernel the process exits (status 0) unless the
 * reboot asked for RB_HALT.
 */
int rump_init_server(const char *url);

/*
 * Daemonizing a program that starts a kernel (what rump_server does):
 * rump_daemonize_begin() must come before rump_init() (EALREADY after).
 * It forks; the parent waits until the child calls rump_daemonize_done()
 * and then exits with the reported error (0 = success). The child is in a
 * new session; rump_daemonize_done(0) also points its stdin, stdout and
 * stderr at /dev/null. Both return 0 or a NetBSD errno.
 */
int rump_daemonize_begin(void);
int rump_daemonize_done(int error);

/* __NetBSD_Version__ of the kernel this one imitates: 799003400 (7.99.34). */
int rump_getversion(void);

/* 1 when the kernel's ABI is the host's native NetBSD ABI (x86-64). */
int rump_nativeabi_p(void);

/* boothowto (RUMP_AB_VERBOSE, ...); set it before rump_init(). */
int rump_boot_gethowto(void);
void rump_boot_sethowto(int howto);
void rump_boot_setsigmodel(enum rump_sigmodel model);

/* Taking and releasing a virtual CPU: no-ops (this kernel needs none). */
void rump_schedule(void);
void rump_unschedule(void);

/* Prints the event counters (there are none yet). */
void rump_printevcnts(void);

#ifdef __cplusplus
}
#endif

#include <rump/rumpkern_if_pub.h>
#include <rump/rumpnet_if_pub.h>
#include <rump/rump_syscallshotgun.h>

#endif /* RUMP_RUMP_H_ */
