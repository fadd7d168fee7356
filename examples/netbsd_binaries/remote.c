/*
 * remote: a rump kernel client as a NetBSD user writes one, built only
 * against NetBSD's headers and libraries:
 *
 *   cc remote.c -I$NETBSD/include -L$NETBSD/lib -lrumpclient -o remote
 *
 * so that it needs librumpclient.so.0. test.sh runs it with our
 * librumpclient.so.0 (LD_LIBRARY_PATH) against our rump_server, which must
 * serve it unchanged.
 *
 * Against the server named by RUMP_SERVER (started with -lrumpnet_netinet,
 * which configures 127.0.0.1 on lo0):
 *   getpid   twice: the same number, greater than 0
 *   udp      a datagram from 127.0.0.1:7778 to a socket bound to
 *            127.0.0.1:7777, and an answer back the other way; each side
 *            checks the text and the sender's address
 * Prints "getpid N", "udp 'TEXT' from A:P" (twice); exits 0 when every check
 * passes, else prints "FAIL: ..." and exits 1.
 *
 * As NetBSD's rump documentation asks of clients, it defines the NetBSD
 * structures it passes itself: NetBSD's headers only have RUMP_* numbers.
 */
/*
 * NetBSD's headers use the BSD types (u_long, u_int: glibc's _DEFAULT_SOURCE)
 * and <stdint.h>'s without including them, as NetBSD's own headers would.
 */
#define _DEFAULT_SOURCE 1

#include <sys/types.h>
#include <stdint.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2]; /* network byte order */
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_pollfd { /* NetBSD's struct pollfd */
	int fd;
	short events;
	short revents;
};

#define NB_POLLIN 0x0001

static const uint8_t kLoopback[4] = {127, 0, 0, 1};

static void
fail_errno(const char *what, int error)
{
	printf("FAIL: %s: %s\n", what, rump_strerror(error));
	exit(1);
}

static struct nb_sockaddr_in
loopback_sin(unsigned port)
{
	struct nb_sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	sin.sin_port[0] = (uint8_t)(port >> 8);
	sin.sin_port[1] = (uint8_t)port;
	memcpy(sin.sin_addr, kLoopback, sizeof(kLoopback));
	return sin;
}

static int
udp_socket(unsigned port)
{
	struct nb_sockaddr_in sin = loopback_sin(port);
	int s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);

	if (s == -1)
		fail_errno("socket", errno);
	if (rump_sys_bind(s, (const struct sockaddr *)(const void *)&sin,
	    sizeof(sin)) == -1)
		fail_errno("bind", errno);
	return s;
}

/*
 * Sends TEXT from socket FROM (bound to port FROM_PORT) to socket TO (bound
 * to port TO_PORT) and checks what TO receives: the text and the sender's
 * address. The datagram never leaves the server's kernel, so it is either
 * there within 10 s or lost.
 */
static void
udp_pass(int from, unsigned from_port, int to, unsigned to_port, const char *text)
{
	struct nb_sockaddr_in dst = loopback_sin(to_port), src;
	struct nb_pollfd pfd;
	unsigned int srclen = sizeof(src);
	char buf[64];
	ssize_t n;
	unsigned port;

	if (rump_sys_sendto(from, text, strlen(text), 0,
	    (const struct sockaddr *)(const void *)&dst, sizeof(dst)) == -1)
		fail_errno("sendto", errno);
	pfd.fd = to;
	pfd.events = NB_POLLIN;
	pfd.revents = 0;
	n = rump_sys_poll((struct pollfd *)(void *)&pfd, 1, 10000);
	if (n == -1)
		fail_errno("poll", errno);
	if (n != 1 || (pfd.revents & NB_POLLIN) == 0) {
		printf("FAIL: no datagram on port %u in 10 s\n", to_port);
		exit(1);
	}
	memset(&src, 0, sizeof(src));
	n = rump_sys_recvfrom(to, buf, sizeof(buf) - 1, 0,
	    (struct sockaddr *)(void *)&src, &srclen);
	if (n == -1)
		fail_errno("recvfrom", errno);
	buf[n] = '\0';
	port = (unsigned)src.sin_port[0] << 8 | src.sin_port[1];
	printf("udp '%s' from %u.%u.%u.%u:%u\n", buf, src.sin_addr[0],
	    src.sin_addr[1], src.sin_addr[2], src.sin_addr[3], port);
	if (strcmp(buf, text) != 0 || srclen != sizeof(src) ||
	    src.sin_family != RUMP_AF_INET ||
	    memcmp(src.sin_addr, kLoopback, sizeof(kLoopback)) != 0 ||
	    port != from_port) {
		printf("FAIL: expected '%s' from 127.0.0.1:%u\n", text, from_port);
		exit(1);
	}
}

int
main(void)
{
	pid_t pid, again;
	int a, b;

	if (rumpclient_init() == -1) {
		printf("FAIL: rumpclient_init: %s\n", strerror(errno));
		return 1;
	}

	pid = rump_sys_getpid();
	again = rump_sys_getpid();
	printf("getpid %ld\n", (long)pid);
	if (pid <= 0 || again != pid) {
		printf("FAIL: getpid gave %ld, then %ld\n", (long)pid, (long)again);
		return 1;
	}

	a = udp_socket(7777);
	b = udp_socket(7778);
	udp_pass(b, 7778, a, 7777, "hello from a NetBSD binary");
	udp_pass(a, 7777, b, 7778, "answer");
	rump_sys_close(a);
	rump_sys_close(b);
	return 0;
}
