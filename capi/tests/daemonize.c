/*
 * daemonize MODE MARKER: rump_daemonize_begin(), rump_init(), write the
 * kernel pid and the host session id to MARKER, then per MODE:
 *   ok     rump_daemonize_done(0), then print to stdout (must vanish);
 *   fail   rump_daemonize_done(7): the parent must exit with 7;
 *   die    exit without reporting: the parent must exit with ESRCH (3).
 * Run by daemonize_test.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumperr.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	FILE *marker;
	int error;

	if (argc != 3) {
		fprintf(stderr, "usage: daemonize ok|fail|die marker\n");
		return 100;
	}
	error = rump_daemonize_begin();
	if (error != 0) {
		fprintf(stderr, "rump_daemonize_begin: %s\n", rump_strerror(error));
		return 101;
	}
	/* The child, in a new session. */
	error = rump_init();
	if (error != 0) {
		rump_daemonize_done(error);
		return 102;
	}
	marker = fopen(argv[2], "w");
	if (marker == NULL) {
		rump_daemonize_done(RUMP_EIO);
		return 103;
	}
	fprintf(marker, "pid %d session-leader %d\n", (int)rump_sys_getpid(),
	    getsid(0) == getpid());
	fclose(marker);

	if (strcmp(argv[1], "ok") == 0) {
		error = rump_daemonize_done(RUMP_DAEMONIZE_SUCCESS);
		printf("this line goes to /dev/null (done: %d)\n", error);
		fflush(stdout);
		return error == 0 ? 0 : 104;
	}
	if (strcmp(argv[1], "fail") == 0) {
		rump_daemonize_done(7);
		return 0;
	}
	return 0; /* "die": never report */
}
