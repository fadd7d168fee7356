/*
 * exchange.h: what udp_exchange.c (in-process kernel, -lrump) and
 * udp_remote.c (remote kernel, -lrumpclient) share. Everything here uses
 * only the rump_sys_* system calls, which both libraries provide under the
 * same names, so the same code runs in either kernel.
 *
 * As NetBSD's rump documentation says clients must, it defines the NetBSD
 * structures and numbers it needs itself: <rump/rumpdefs.h> has the
 * RUMP_AF_*, RUMP_SOCK_*, RUMP_E* values and the ioctl encoding macros, but
 * no sockaddr_in or POLL* definitions. Configuring the interface is each
 * program's own: udp_exchange uses <rump/netconfig.h>, which only an
 * in-process kernel has; udp_remote uses ioctls, as rump.ifconfig does.
 *
 * The program, either way:
 *
 *   PROG BUS ADDR/PREFIXLEN serve            answer datagrams on UDP port
 *                                            7777 until 3 s pass without one
 *                                            after the first
 *   PROG BUS ADDR/PREFIXLEN send PEER TEXT   send TEXT to PEER:7777 (again
 *                                            every 0.5 s, 20 times at most)
 *                                            until the answer comes
 *
 * It attaches an interface to the shmif bus file BUS and gives it ADDR
 * (the program's ATTACH function), then serves or sends. Output lines: "shmifN ADDR/LEN on BUS",
 * "listening on ADDR:7777", "got 'TEXT' from A:P", "reply from A:P: TEXT".
 */
#ifndef EXAMPLES_C_EXCHANGE_H_
#define EXAMPLES_C_EXCHANGE_H_

#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- NetBSD layouts and numbers ----------------------------------------- */

struct nb_sockaddr_in { /* 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port; /* network byte order */
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_pollfd { /* as NetBSD's struct pollfd */
	int fd;
	short events;
	short revents;
};

#define NB_POLLIN        0x0001
#define EXAMPLE_PORT     7777

typedef char check_sin[sizeof(struct nb_sockaddr_in) == 16 ? 1 : -1];

/* ---- helpers ------------------------------------------------------------ */

/* Prints "example: WHAT: <NetBSD error message>" and exits 1. */
static void
die(const char *what, int error)
{
	fprintf(stderr, "example: %s: %s\n", what, rump_strerror(error));
	exit(1);
}

static void
usage(const char *prog)
{
	fprintf(stderr, "usage: %s BUS ADDR/PREFIXLEN serve\n"
	    "       %s BUS ADDR/PREFIXLEN send PEER TEXT\n", prog, prog);
	exit(2);
}

static struct nb_sockaddr_in
make_sin(const uint8_t addr[4], unsigned port)
{
	struct nb_sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	sin.sin_port = htons((uint16_t)port);
	memcpy(sin.sin_addr, addr, 4);
	return sin;
}

/* "10.0.2.1/24" -> address and prefix length; 0 on success. */
static int
parse_cidr(const char *text, uint8_t addr[4], unsigned *prefixlen)
{
	char buf[32];
	char *slash, *end;
	unsigned long len = 24;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == slash + 1 || len > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	*prefixlen = (unsigned)len;
	return 0;
}

static void
format_sin(const struct nb_sockaddr_in *sin, char *out, size_t size)
{
	snprintf(out, size, "%u.%u.%u.%u:%u", sin->sin_addr[0], sin->sin_addr[1],
	    sin->sin_addr[2], sin->sin_addr[3], (unsigned)ntohs(sin->sin_port));
}

/* A UDP socket bound to ADDR:PORT (port 0: any). */
static int
udp_socket(const uint8_t addr[4], unsigned port)
{
	struct nb_sockaddr_in sin = make_sin(addr, port);
	int s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		die("socket", errno);
	if (rump_sys_bind(s, (const struct sockaddr *)(const void *)&sin,
	    sizeof(sin)) == -1)
		die("bind", errno);
	return s;
}

/* Waits up to MS milliseconds for a datagram on S; 1 when one is there. */
static int
wait_readable(int s, int ms)
{
	struct nb_pollfd pfd;
	int n;

	pfd.fd = s;
	pfd.events = NB_POLLIN;
	pfd.revents = 0;
	n = rump_sys_poll((struct pollfd *)(void *)&pfd, 1, ms);
	if (n == -1)
		die("poll", errno);
	return n == 1 && (pfd.revents & NB_POLLIN) != 0;
}

static ssize_t
receive(int s, char *buf, size_t size, struct nb_sockaddr_in *from)
{
	unsigned int fromlen = sizeof(*from);
	ssize_t n = rump_sys_recvfrom(s, buf, size - 1, 0,
	    (struct sockaddr *)(void *)from, &fromlen);
	if (n == -1)
		die("recvfrom", errno);
	buf[n] = '\0';
	return n;
}

static int
serve(const uint8_t addr[4])
{
	char buf[1024], who[32];
	struct nb_sockaddr_in from;
	int s = udp_socket(addr, EXAMPLE_PORT), answered = 0;

	printf("listening on %u.%u.%u.%u:%u\n", addr[0], addr[1], addr[2], addr[3],
	    EXAMPLE_PORT);
	fflush(stdout);
	/* 30 s for the first datagram, then until 3 s pass without one. */
	while (wait_readable(s, answered ? 3000 : 30000)) {
		ssize_t n = receive(s, buf, sizeof(buf), &from);
		format_sin(&from, who, sizeof(who));
		printf("got '%s' from %s\n", buf, who);
		fflush(stdout);
		if (rump_sys_sendto(s, buf, (size_t)n, 0,
		    (const struct sockaddr *)(const void *)&from, sizeof(from)) == -1)
			die("sendto", errno);
		answered++;
	}
	rump_sys_close(s);
	if (!answered) {
		fprintf(stderr, "example: no datagram in 30 s\n");
		return 1;
	}
	return 0;
}

static int
send_and_wait(const uint8_t addr[4], const char *peer, const char *text)
{
	uint8_t peeraddr[4];
	struct nb_sockaddr_in to, from;
	char buf[1024], who[32];
	int s, attempt;

	if (inet_pton(AF_INET, peer, peeraddr) != 1) {
		fprintf(stderr, "example: bad peer address %s\n", peer);
		return 2;
	}
	to = make_sin(peeraddr, EXAMPLE_PORT);
	s = udp_socket(addr, 0);
	/* The first datagram may wait for ARP, or the peer may not be up yet. */
	for (attempt = 0; attempt < 20; attempt++) {
		if (rump_sys_sendto(s, text, strlen(text), 0,
		    (const struct sockaddr *)(const void *)&to, sizeof(to)) == -1)
			die("sendto", errno);
		if (wait_readable(s, 500)) {
			receive(s, buf, sizeof(buf), &from);
			format_sin(&from, who, sizeof(who));
			printf("reply from %s: %s\n", who, buf);
			rump_sys_close(s);
			return strcmp(buf, text) == 0 ? 0 : 1;
		}
	}
	rump_sys_close(s);
	fprintf(stderr, "example: no reply from %s in 10 s\n", peer);
	return 1;
}

/*
 * main() of both programs: ATTACH puts an interface on BUS, gives it
 * address ADDR (dotted quad) with prefix length PREFIXLEN, and writes its
 * name (shmifN) into IFNAME.
 */
typedef void attach_fn(const char *bus, const char *addr, unsigned prefixlen,
    char ifname[16]);

static int
exchange_main(int argc, char **argv, attach_fn *attach)
{
	uint8_t addr[4];
	unsigned prefixlen;
	char ifname[16], addrtext[16];
	int serving;

	if (argc < 4 || parse_cidr(argv[2], addr, &prefixlen) != 0)
		usage(argv[0]);
	serving = strcmp(argv[3], "serve") == 0;
	if (!(serving && argc == 4) && !(strcmp(argv[3], "send") == 0 && argc == 6))
		usage(argv[0]);

	snprintf(addrtext, sizeof(addrtext), "%u.%u.%u.%u", addr[0], addr[1], addr[2],
	    addr[3]);
	attach(argv[1], addrtext, prefixlen, ifname);
	printf("%s %s on %s\n", ifname, argv[2], argv[1]);
	fflush(stdout);

	if (serving)
		return serve(addr);
	return send_and_wait(addr, argv[4], argv[5]);
}

#endif /* EXAMPLES_C_EXCHANGE_H_ */
