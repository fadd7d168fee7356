/*
 * rumpid: a remote client of the rump_server named by RUMP_SERVER that says
 * which credentials its kernel process got (what the server's credential
 * policy decided), as id(1) does for the host.
 *
 *   rumpid          prints "uid=U euid=E gid=G egid=H" and exits 0
 *   rumpid hold     prints that line, then keeps the connection until its
 *                   standard input ends, then asks again and prints
 *                   "again uid=U euid=E gid=G egid=H"
 *   rumpid files    opens UDP sockets until one fails; prints
 *                   "files N errno E" (N sockets opened, E the NetBSD errno)
 *
 * A connection the server refuses, or any failed call, prints the failing
 * step with its errno on stderr and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

static int print_ids(const char *prefix) {
	long uid = (long)rump_sys_getuid();
	long euid = (long)rump_sys_geteuid();
	long gid = (long)rump_sys_getgid();
	long egid = (long)rump_sys_getegid();
	printf("%suid=%ld euid=%ld gid=%ld egid=%ld\n", prefix, uid, euid, gid, egid);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	if (rumpclient_init() != 0) {
		fprintf(stderr, "rumpid: rumpclient_init: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(mode, "files") == 0) {
		int n = 0;
		for (;;) {
			int fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
			if (fd < 0) {
				printf("files %d errno %d\n", n, errno);
				return 0;
			}
			if (++n > 100000) {
				fprintf(stderr, "rumpid: no descriptor limit\n");
				return 1;
			}
		}
	}
	if (print_ids("") != 0) return 1;
	if (strcmp(mode, "hold") == 0) {
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0) {
		}
		return print_ids("again ");
	}
	return 0;
}
