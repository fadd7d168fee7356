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
 *   rumpid bind P   binds a UDP socket to port P of any address; prints
 *                   "bind P errno E" (E 0: bound)
 *   rumpid udp      binds a UDP socket to 127.0.0.1 on a port the kernel
 *                   picks, sends itself a datagram and reads it back;
 *                   prints "udp ok"
 *   rumpid groups   prints the ids line, then "groups=G1,G2,..." (the
 *                   supplementary groups, getgroups; "groups=" for none)
 *   rumpid setgroups G...
 *                   calls setgroups with the gids G...; prints
 *                   "setgroups errno E" (E 0: set), then the groups line
 *
 * A connection the server refuses, or any failed call, prints the failing
 * step with its errno on stderr and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in, 16 bytes */
	unsigned char sin_len;
	unsigned char sin_family;
	unsigned char sin_port[2];
	unsigned char sin_addr[4];
	unsigned char sin_zero[8];
};

static struct nb_sockaddr_in inet_addr_port(unsigned port, int loopback) {
	struct nb_sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	sin.sin_port[0] = (unsigned char)(port >> 8);
	sin.sin_port[1] = (unsigned char)port;
	if (loopback) {
		sin.sin_addr[0] = 127;
		sin.sin_addr[3] = 1;
	}
	return sin;
}

static int fail(const char *what) {
	fprintf(stderr, "rumpid: %s: error %d\n", what, errno);
	return 1;
}

static int print_ids(const char *prefix) {
	long uid = (long)rump_sys_getuid();
	long euid = (long)rump_sys_geteuid();
	long gid = (long)rump_sys_getgid();
	long egid = (long)rump_sys_getegid();
	printf("%suid=%ld euid=%ld gid=%ld egid=%ld\n", prefix, uid, euid, gid, egid);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* "groups=G1,G2,...": getgroups, checked against getgroups(0, NULL). */
static int print_groups(void) {
	gid_t groups[16];
	int n = rump_sys_getgroups(16, groups);
	if (n < 0) return fail("getgroups");
	if (rump_sys_getgroups(0, NULL) != n) return fail("getgroups(0, NULL)");
	printf("groups=");
	for (int i = 0; i < n; i++) printf("%s%lu", i == 0 ? "" : ",", (unsigned long)groups[i]);
	printf("\n");
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
	if (strcmp(mode, "bind") == 0 && argc > 2) {
		unsigned port = (unsigned)atoi(argv[2]);
		struct nb_sockaddr_in sin = inet_addr_port(port, 0);
		int fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
		if (fd < 0) return fail("socket");
		int r = rump_sys_bind(fd, (const struct sockaddr *)&sin, sizeof(sin));
		printf("bind %u errno %d\n", port, r == 0 ? 0 : errno);
		return 0;
	}
	if (strcmp(mode, "udp") == 0) {
		struct nb_sockaddr_in sin = inet_addr_port(0, 1);
		unsigned int len = sizeof(sin);
		char buf[8];
		int fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
		if (fd < 0) return fail("socket");
		if (rump_sys_bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0)
			return fail("bind");
		if (rump_sys_getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
			return fail("getsockname");
		if (rump_sys_sendto(fd, "ping", 4, 0, (const struct sockaddr *)&sin,
		    sizeof(sin)) != 4)
			return fail("sendto");
		if (rump_sys_recvfrom(fd, buf, sizeof(buf), 0, NULL, NULL) != 4 ||
		    memcmp(buf, "ping", 4) != 0)
			return fail("recvfrom");
		printf("udp ok\n");
		return 0;
	}
	if (strcmp(mode, "setgroups") == 0) {
		gid_t groups[64];
		int n = 0;
		for (int i = 2; i < argc && n < 64; i++) groups[n++] = (gid_t)strtoul(argv[i], NULL, 10);
		int r = rump_sys_setgroups(n, groups);
		printf("setgroups errno %d\n", r == 0 ? 0 : errno);
		return print_groups();
	}
	if (print_ids("") != 0) return 1;
	if (strcmp(mode, "groups") == 0) return print_groups();
	if (strcmp(mode, "hold") == 0) {
		char buf[64];
		while (read(0, buf, sizeof(buf)) > 0) {
		}
		return print_ids("again ");
	}
	return 0;
}
