/*
 * rumpsockbuf: a remote client of the rump_server named by RUMP_SERVER that
 * spends its process's socket buffer budget (RLIMIT_SBSIZE, which
 * rump_server --max-sockbuf sets), for tests/access/sockbuf_test.sh:
 *
 *   rumpsockbuf     opens UDP sockets until one fails and prints
 *                   "sockets N errno E" (N opened, E the NetBSD errno);
 *                   then asks SO_RCVBUF of 1 MiB on the first one and
 *                   prints "rcvbuf errno E"; holds every socket until its
 *                   standard input ends; then closes one, opens another
 *                   and prints "reopen errno E" (E 0: it opened).
 *
 * A connection the server refuses, or an unexpected failure, prints the
 * failing step with its errno on stderr and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

#define MAX_SOCKETS 100000

static int fds[MAX_SOCKETS];

static int say(const char *line) {
	printf("%s\n", line);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(void) {
	char line[64];
	int n = 0, fd, size = 1 << 20;
	char buf[64];

	if (rumpclient_init() != 0) {
		fprintf(stderr, "rumpsockbuf: rumpclient_init: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
		if (fd < 0) break;
		if (n == MAX_SOCKETS) {
			fprintf(stderr, "rumpsockbuf: no socket buffer limit\n");
			return 1;
		}
		fds[n++] = fd;
	}
	snprintf(line, sizeof(line), "sockets %d errno %d", n, errno);
	if (say(line) != 0) return 1;
	if (n == 0) return 0;
	errno = 0;
	if (rump_sys_setsockopt(fds[0], RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &size,
	    sizeof(size)) == 0)
		errno = 0;
	snprintf(line, sizeof(line), "rcvbuf errno %d", errno);
	if (say(line) != 0) return 1;
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	if (rump_sys_close(fds[n - 1]) != 0) {
		fprintf(stderr, "rumpsockbuf: close: error %d\n", errno);
		return 1;
	}
	fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	snprintf(line, sizeof(line), "reopen errno %d", fd >= 0 ? 0 : errno);
	return say(line);
}
