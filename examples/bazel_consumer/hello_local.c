/*
 * hello_local: boots a rump kernel in this process, attaches shmif0 to the
 * bus file named on the command line and prints what it got.
 */
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumperr.h>

#include <stdio.h>

int
main(int argc, char **argv)
{
	int error, unit = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BUS\n", argv[0]);
		return 2;
	}
	error = rump_init();
	if (error != 0) {
		fprintf(stderr, "rump_init: %s\n", rump_strerror(error));
		return 1;
	}
	error = rump_pub_shmif_create(argv[1], &unit);
	if (error != 0) {
		fprintf(stderr, "rump_pub_shmif_create: %s\n", rump_strerror(error));
		return 1;
	}
	printf("hello from pid %d of the rump kernel: shmif%d on %s\n",
	    (int)rump_sys_getpid(), unit, argv[1]);
	return 0;
}
