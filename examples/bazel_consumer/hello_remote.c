/*
 * hello_remote: connects to the rump_server named by RUMP_SERVER and prints
 * its kernel's process id for this client and the kernel's ostype.
 */
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
	int mib[2] = {1, 1}; /* CTL_KERN, KERN_OSTYPE */
	char ostype[64];
	size_t len = sizeof(ostype);

	if (rumpclient_init() == -1) {
		fprintf(stderr, "rumpclient_init: %s\n", strerror(errno));
		return 1;
	}
	memset(ostype, 0, sizeof(ostype));
	if (rump_sys___sysctl(mib, 2, ostype, &len, NULL, 0) == -1) {
		fprintf(stderr, "sysctl kern.ostype: NetBSD errno %d\n", errno);
		return 1;
	}
	printf("hello from pid %d of the remote rump kernel (%s)\n",
	    (int)rump_sys_getpid(), ostype);
	return 0;
}
