/*
 * A C99 program (-pedantic) that includes every installed header and uses
 * the C API through the shared library only: boot, error conventions,
 * sysctl, descriptors. The network scenario is netconfig.c.
 */
#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_syscallshotgun.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>
#include <rump/rumperrno2host.h>
#include <rump/rumpkern_if_pub.h>
#include <rump/rumpnet_if_pub.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                    \
	do {                                                           \
		if (!(cond)) {                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",   \
			    __FILE__, __LINE__, #cond);                \
			failures++;                                    \
		}                                                      \
	} while (0)

/* NetBSD's FIONBIO, built with the NetBSD encoding macros. */
#define NB_FIONBIO _RUMP_IOW('f', 126, int)
typedef char check_fionbio[NB_FIONBIO == 0x8004667eUL ? 1 : -1];

int
main(void)
{
	int mib[2], on = 1, fd;
	char ostype[16];
	size_t len;

	/* Before rump_init() there is no kernel. */
	errno = 0;
	CHECK(rump_sys_getpid() == -1 && errno == RUMP_ENXIO);
	CHECK(rump_pub_shmif_create(NULL, NULL) == RUMP_ENXIO);
	CHECK(rump_pub_netconfig_ifcreate("shmif0") == RUMP_ENXIO);

	CHECK(rump_init() == 0);
	CHECK(rump_init() == 0);
	CHECK(rump_getversion() == 799003400);
	CHECK(rump_pub_getversion() == 799003400);
	CHECK(rump_init_server("unix:///tmp/no/such/dir/for/a/socket/at/all") != 0);
	CHECK(rump_daemonize_begin() == RUMP_EALREADY);
	rump_schedule();
	rump_unschedule();

	/* NOERR calls leave errno alone. */
	errno = 4242;
	CHECK(rump_sys_getpid() == 1);
	CHECK(rump_sys_getuid() == 0 && rump_sys_geteuid() == 0);
	CHECK(errno == 4242);

	/* Success sets errno to 0; failure to the NetBSD number. */
	errno = 4242;
	CHECK(rump_sys_write(1, "c_api_test: hello from the rump console\n", 40) == 40);
	CHECK(errno == 0);
	CHECK(rump_sys_close(-1) == -1 && errno == RUMP_EBADF);
	CHECK(rump_sys_write(1, NULL, 4) == -1 && errno == RUMP_EFAULT);
	CHECK(strcmp(rump_strerror(errno), "Bad address") == 0);
	CHECK(rump_errno2host(RUMP_EAGAIN) == EAGAIN);

	/* Variadic ioctl and fcntl. */
	fd = rump_sys_dup(0);
	CHECK(fd == 3);
	CHECK(rump_sys_ioctl(fd, NB_FIONBIO, &on) == 0);
	CHECK(rump_sys_fcntl(fd, 3 /* F_GETFL */) & RUMP_O_NONBLOCK);
	CHECK(rump_sys_fcntl(fd, 0 /* F_DUPFD */, 10) == 10);
	CHECK(rump_sys_close(10) == 0 && rump_sys_close(fd) == 0);

	/* kern.ostype, and NetBSD's short-buffer rule. */
	mib[0] = 1;
	mib[1] = 1;
	len = sizeof(ostype);
	CHECK(rump_sys___sysctl(mib, 2, ostype, &len, NULL, 0) == 0);
	CHECK(len == 7 && strcmp(ostype, "NetBSD") == 0);
	len = 3;
	CHECK(rump_sys___sysctl(mib, 2, ostype, &len, NULL, 0) == -1);
	CHECK(errno == RUMP_ENOMEM && len == 7 && memcmp(ostype, "Net", 3) == 0);
	CHECK(rump_sys___sysctl(NULL, 2, ostype, &len, NULL, 0) == -1 &&
	    errno == RUMP_EFAULT);

	/* Threads of this process act as pid 1 until bound elsewhere. */
	CHECK(rump_pub_lwproc_curlwp() == NULL);
	CHECK(rump_pub_lwproc_rfork(RUMP_RFCFDG) == 0);
	CHECK(rump_pub_lwproc_curlwp() != NULL);
	CHECK(rump_sys_getpid() > 1 && rump_sys_getppid() == 1);
	rump_pub_lwproc_releaselwp();
	CHECK(rump_sys_getpid() == 1);

	if (failures != 0) {
		fprintf(stderr, "c_api_test: %d failure(s)\n", failures);
		return 1;
	}
	printf("c_api_test: PASS\n");
	return 0;
}
