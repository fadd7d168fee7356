/*
 * sockhold: a remote client of the rump_server named by RUMP_SERVER that
 * opens sockets in that kernel and keeps them until its standard input
 * reaches end of file, so that a scenario can look at them with
 * rump.netstat (and NetBSD's netstat) while they exist.
 *
 *   sockhold PORT
 *
 * In the server's kernel: a TCP listener on *.PORT, a connection to it from
 * 127.0.0.1 and its accepted end (both ESTABLISHED), five bytes sent by the
 * connecting end and not read (the accepted end's receive queue), a UDP
 * socket bound to *.PORT+1 holding one datagram of three bytes that it sent
 * to itself. Prints "ready CLIENTPORT" (the connecting end's local port)
 * once all that is so, then reads its standard input to the end and exits
 * 0 (the server closes the sockets with the connection); on any error it
 * prints the failing call and exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in, 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

static void fail(const char *what) {
	fprintf(stderr, "sockhold: %s: error %d\n", what, errno);
	exit(1);
}

static struct nb_sockaddr_in addr(unsigned port, int loopback) {
	struct nb_sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	sin.sin_port[0] = (uint8_t)(port >> 8);
	sin.sin_port[1] = (uint8_t)port;
	if (loopback) {
		sin.sin_addr[0] = 127;
		sin.sin_addr[3] = 1;
	}
	return sin;
}

int main(int argc, char **argv) {
	struct nb_sockaddr_in sin, got;
	unsigned port;
	int l, c, a, u;
	unsigned int len;
	char buf[16];
	ssize_t n;

	if (argc != 2 || (port = (unsigned)strtoul(argv[1], NULL, 10)) == 0 || port > 65534) {
		fprintf(stderr, "usage: sockhold PORT\n");
		return 1;
	}
	if (rumpclient_init() == -1) fail("rumpclient_init");

	if ((l = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_STREAM, 0)) == -1) fail("socket");
	sin = addr(port, 0);
	if (rump_sys_bind(l, (void *)&sin, sizeof(sin)) == -1) fail("bind");
	if (rump_sys_listen(l, 5) == -1) fail("listen");
	if ((c = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_STREAM, 0)) == -1) fail("socket");
	sin = addr(port, 1);
	if (rump_sys_connect(c, (void *)&sin, sizeof(sin)) == -1) fail("connect");
	if ((a = rump_sys_accept(l, NULL, NULL)) == -1) fail("accept");
	if (rump_sys_sendto(c, "hello", 5, 0, NULL, 0) != 5) fail("send");
	len = sizeof(got);
	if (rump_sys_getsockname(c, (void *)&got, &len) == -1) fail("getsockname");

	/* UDP: a datagram to itself, received (and so queued) before "ready". */
	if ((u = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)) == -1) fail("socket");
	sin = addr(port + 1, 0);
	if (rump_sys_bind(u, (void *)&sin, sizeof(sin)) == -1) fail("bind");
	sin = addr(port + 1, 1);
	if (rump_sys_sendto(u, "abc", 3, 0, (void *)&sin, sizeof(sin)) != 3) fail("sendto");
	/* Peek: the datagram stays queued; this only waits for it. */
	if (rump_sys_recvfrom(u, buf, sizeof(buf), RUMP_MSG_PEEK, NULL, NULL) != 3) fail("recvfrom");
	/* The accepted end has the five bytes once it can read them. */
	if (rump_sys_recvfrom(a, buf, sizeof(buf), RUMP_MSG_PEEK, NULL, NULL) != 5)
		fail("recv");

	printf("ready %u\n", (unsigned)(got.sin_port[0] << 8 | got.sin_port[1]));
	fflush(stdout);
	while ((n = read(0, buf, sizeof(buf))) > 0) {
	}
	return 0;
}
