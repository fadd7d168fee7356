/*
 * embedded_server URL: a program that embeds the kernel and serves it, as
 * NetBSD programs do with rump_init() + rump_init_server() (linked with
 * librump.so.0 only). Prints "serving <rv> again <rv2>" (rv2: a second
 * rump_init_server on the same URL, EADDRINUSE) and then waits; a remote
 * client's reboot(2) ends the process with status 0.
 */
#define _DEFAULT_SOURCE 1

#include <rump/rump.h>
#include <rump/rumpdefs.h>

#include <stdio.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int r, again;

	if (argc != 2) {
		fprintf(stderr, "usage: embedded_server url\n");
		return 2;
	}
	if (rump_init_server(argv[1]) != RUMP_ENXIO) { /* no kernel yet */
		printf("FAIL: rump_init_server before rump_init\n");
		return 1;
	}
	if (rump_init() != 0) {
		printf("FAIL: rump_init\n");
		return 1;
	}
	r = rump_init_server(argv[1]);
	again = rump_init_server(argv[1]);
	printf("serving %d again %d\n", r, again);
	fflush(stdout);
	if (r != 0)
		return 1;
	for (;;)
		sleep(60);
}
