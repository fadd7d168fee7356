/*
 * unpriv: a remote client of the rump_server named by RUMP_SERVER that
 * gives up root in that kernel (setuid(UID)) and then tries what needs
 * root, printing one line per attempt: its name and the errno it got
 * (0 for success). The same binary runs against our server and NetBSD's,
 * and the scenario compares the lines.
 *
 *   unpriv UID PORT
 *
 * PORT (above 1023) and PORT+1 are the high ports of the last two lines:
 * a UDP socket bound to 127.0.0.1:PORT that sends itself a datagram and
 * reads it back, and a TCP connection to a listener on 127.0.0.1:PORT+1
 * that carries five bytes. Exits 0 once every line is printed (what the
 * lines say is for the scenario to judge); 1 if it cannot get started.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

/* NetBSD's ioctl numbers (amd64): _IOW('i', n, size) and _IOWR. */
#define NB_SIOCSIFFLAGS 0x80906910UL  /* struct ifreq, 144 bytes */
#define NB_SIOCGIFFLAGS 0xc0906911UL
#define NB_SIOCSIFMETRIC 0x80906918UL
#define NB_SIOCDIFADDR 0x80906919UL
#define NB_SIOCAIFADDR 0x8040691aUL   /* struct in_aliasreq, 64 bytes */
#define NB_SIOCIFDESTROY 0x80906979UL
#define NB_SIOCIFCREATE 0x8090697aUL
#define NB_SIOCSIFMTU 0x8090697fUL
#define NB_SIOCZIFDATA 0xc0986986UL   /* struct ifdatareq, 152 bytes */
#define NB_SIOCSLINKSTR 0x80286988UL  /* struct ifdrv, 40 bytes */

#define IFREQ_SIZE 144
#define IFR_FLAGS_OFF 16  /* short, in the union after the name */

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in, 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

static struct nb_sockaddr_in sin_of(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                                    unsigned port) {
	struct nb_sockaddr_in s;
	memset(&s, 0, sizeof(s));
	s.sin_len = sizeof(s);
	s.sin_family = RUMP_AF_INET;
	s.sin_port[0] = (uint8_t)(port >> 8);
	s.sin_port[1] = (uint8_t)port;
	s.sin_addr[0] = a;
	s.sin_addr[1] = b;
	s.sin_addr[2] = c;
	s.sin_addr[3] = d;
	return s;
}

/* The line for one attempt: rv < 0 is a failure with errno. */
static void report(const char *what, long rv) {
	printf("%s %d\n", what, rv < 0 ? errno : 0);
	fflush(stdout);
}

static void ifreq_named(uint8_t *ifr, const char *name) {
	memset(ifr, 0, IFREQ_SIZE);
	strncpy((char *)ifr, name, 15);
}

/* ioctl CMD on an ifreq naming IFNAME with a 32-bit value at the union. */
static long ifioctl(int s, unsigned long cmd, const char *ifname, int32_t value) {
	uint8_t ifr[IFREQ_SIZE];
	ifreq_named(ifr, ifname);
	memcpy(ifr + 16, &value, sizeof(value));
	return rump_sys_ioctl(s, cmd, ifr);
}

/* A routing message (struct rt_msghdr, 120 bytes) of TYPE for the host
 * route to 127.0.0.1, with a gateway when asked for: its length. */
static size_t route_message(uint8_t *m, uint8_t type, int gateway) {
	const struct nb_sockaddr_in dst = sin_of(127, 0, 0, 1, 0);
	const struct nb_sockaddr_in gw = sin_of(127, 0, 0, 1, 0);
	size_t len = 120;
	int32_t flags = 0x1 | 0x4;      /* RTF_UP | RTF_HOST */
	int32_t addrs = 0x1;            /* RTA_DST */
	uint16_t msglen;
	memset(m, 0, 120 + 2 * sizeof(dst));
	memcpy(m + len, &dst, sizeof(dst));
	len += sizeof(dst);
	if (gateway) {
		flags |= 0x2 | 0x800;   /* RTF_GATEWAY | RTF_STATIC */
		addrs |= 0x2;           /* RTA_GATEWAY */
		memcpy(m + len, &gw, sizeof(gw));
		len += sizeof(gw);
	}
	msglen = (uint16_t)len;
	memcpy(m, &msglen, 2);
	m[2] = 4;                       /* RTM_VERSION */
	m[3] = type;
	memcpy(m + 8, &flags, 4);
	memcpy(m + 12, &addrs, 4);
	return len;
}

static void try_bind(const char *what, int type, unsigned port) {
	struct nb_sockaddr_in any = sin_of(0, 0, 0, 0, port);
	int s = rump_sys_socket(RUMP_PF_INET, type, 0);
	if (s < 0) {
		report(what, -1);
		return;
	}
	report(what, rump_sys_bind(s, (const struct sockaddr *)&any, sizeof(any)));
	rump_sys_close(s);
}

/* A datagram to itself through 127.0.0.1:PORT. */
static void udp_exchange(unsigned port) {
	struct nb_sockaddr_in here = sin_of(127, 0, 0, 1, port);
	char buf[8];
	int s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	long rv = s;
	if (rv >= 0) rv = rump_sys_bind(s, (const struct sockaddr *)&here, sizeof(here));
	if (rv >= 0) {
		rv = rump_sys_sendto(s, "ping", 4, 0, (const struct sockaddr *)&here,
		                     sizeof(here));
	}
	if (rv >= 0) rv = rump_sys_recvfrom(s, buf, sizeof(buf), 0, NULL, NULL);
	if (rv >= 0 && (rv != 4 || memcmp(buf, "ping", 4) != 0)) {
		errno = 0;
		printf("udp_high bad_datagram\n");
		fflush(stdout);
	} else {
		report("udp_high", rv);
	}
	if (s >= 0) rump_sys_close(s);
}

/* Five bytes over a TCP connection to 127.0.0.1:PORT. */
static void tcp_exchange(unsigned port) {
	struct nb_sockaddr_in here = sin_of(127, 0, 0, 1, port);
	char buf[8];
	int l = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_STREAM, 0);
	int c = -1, a = -1;
	long rv = l;
	if (rv >= 0) rv = rump_sys_bind(l, (const struct sockaddr *)&here, sizeof(here));
	if (rv >= 0) rv = rump_sys_listen(l, 1);
	if (rv >= 0) rv = c = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_STREAM, 0);
	if (rv >= 0) rv = rump_sys_connect(c, (const struct sockaddr *)&here, sizeof(here));
	if (rv >= 0) rv = a = rump_sys_accept(l, NULL, NULL);
	if (rv >= 0) rv = rump_sys_write(c, "hello", 5);
	if (rv >= 0) rv = rump_sys_read(a, buf, sizeof(buf));
	if (rv >= 0 && (rv != 5 || memcmp(buf, "hello", 5) != 0)) {
		printf("tcp_high bad_stream\n");
		fflush(stdout);
	} else {
		report("tcp_high", rv);
	}
	if (a >= 0) rump_sys_close(a);
	if (c >= 0) rump_sys_close(c);
	if (l >= 0) rump_sys_close(l);
}

int main(int argc, char **argv) {
	unsigned uid, port;
	int s, r;
	uint8_t ifr[IFREQ_SIZE];
	uint8_t req[64], drv[40], rtm[160];
	int mib[4] = {4, 2, 0, 1};  /* net.inet.ip.forwarding */
	int value = 0;
	size_t len;

	if (argc != 3) {
		fprintf(stderr, "usage: unpriv UID PORT\n");
		return 1;
	}
	uid = (unsigned)strtoul(argv[1], NULL, 10);
	port = (unsigned)strtoul(argv[2], NULL, 10);
	if (uid == 0 || port < 1024 || port > 65534) {
		fprintf(stderr, "unpriv: UID must not be 0, PORT in 1024..65534\n");
		return 1;
	}
	if (rumpclient_init() == -1) {
		fprintf(stderr, "unpriv: rumpclient_init: error %d\n", errno);
		return 1;
	}

	report("setuid", rump_sys_setuid(uid));
	printf("getuid %u\n", (unsigned)rump_sys_getuid());
	report("setuid_root", rump_sys_setuid(0));

	/* Interface configuration: reads allowed, changes refused. */
	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s < 0) {
		fprintf(stderr, "unpriv: socket: error %d\n", errno);
		return 1;
	}
	report("ifcreate", ifioctl(s, NB_SIOCIFCREATE, "shmif0", 0));
	report("ifdestroy", ifioctl(s, NB_SIOCIFDESTROY, "shmif9", 0));
	ifreq_named(ifr, "lo0");
	report("getflags", rump_sys_ioctl(s, NB_SIOCGIFFLAGS, ifr));
	report("setflags", rump_sys_ioctl(s, NB_SIOCSIFFLAGS, ifr));
	report("setflags_noif", ifioctl(s, NB_SIOCSIFFLAGS, "shmif9", 0));
	report("setmtu", ifioctl(s, NB_SIOCSIFMTU, "lo0", 1500));
	report("setmetric", ifioctl(s, NB_SIOCSIFMETRIC, "lo0", 0));
	{
		uint8_t ifd[152];
		memset(ifd, 0, sizeof(ifd));
		strcpy((char *)ifd, "lo0");
		report("zifdata", rump_sys_ioctl(s, NB_SIOCZIFDATA, ifd));
	}
	{
		struct nb_sockaddr_in a = sin_of(127, 0, 0, 2, 0);
		struct nb_sockaddr_in m = sin_of(255, 0, 0, 0, 0);
		memset(req, 0, sizeof(req));
		strcpy((char *)req, "lo0");
		memcpy(req + 16, &a, sizeof(a));
		memcpy(req + 48, &m, sizeof(m));
		report("aifaddr", rump_sys_ioctl(s, NB_SIOCAIFADDR, req));
	}
	{
		struct nb_sockaddr_in a = sin_of(127, 0, 0, 1, 0);
		ifreq_named(ifr, "lo0");
		memcpy(ifr + 16, &a, sizeof(a));
		report("difaddr", rump_sys_ioctl(s, NB_SIOCDIFADDR, ifr));
	}
	{
		struct nb_sockaddr_in a = sin_of(127, 0, 0, 9, 0);
		ifreq_named(ifr, "lo0");
		memcpy(ifr + 16, &a, sizeof(a));
		report("difaddr_none", rump_sys_ioctl(s, NB_SIOCDIFADDR, ifr));
	}
	{
		char bus[] = "bus";
		uint64_t n = sizeof(bus), p = (uint64_t)(uintptr_t)bus;
		memset(drv, 0, sizeof(drv));
		strcpy((char *)drv, "lo0");
		memcpy(drv + 24, &n, 8);
		memcpy(drv + 32, &p, 8);
		report("setlinkstr", rump_sys_ioctl(s, NB_SIOCSLINKSTR, drv));
	}
	rump_sys_close(s);

	/* sysctl: reading is allowed, writing is not. */
	len = sizeof(value);
	report("sysctl_read", rump_sys___sysctl(mib, 4, &value, &len, NULL, 0));
	report("sysctl_write", rump_sys___sysctl(mib, 4, NULL, NULL, &value, sizeof(value)));

	/* Routing socket: opening and RTM_GET are allowed, RTM_ADD is not. */
	s = rump_sys_socket(RUMP_PF_ROUTE, RUMP_SOCK_RAW, 0);
	report("route_socket", s);
	if (s >= 0) {
		len = route_message(rtm, 4 /* RTM_GET */, 0);
		r = (int)rump_sys_write(s, rtm, len);
		report("route_get", r);
		len = route_message(rtm, 1 /* RTM_ADD */, 1);
		report("route_add", rump_sys_write(s, rtm, len));
		len = route_message(rtm, 2 /* RTM_DELETE */, 0);
		report("route_delete", rump_sys_write(s, rtm, len));
		rump_sys_close(s);
	}

	/* Raw IP sockets. */
	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_ICMP);
	report("raw_icmp", s);
	if (s >= 0) rump_sys_close(s);
	s = rump_sys_socket(24 /* AF_INET6 */, RUMP_SOCK_RAW, 58 /* ICMPv6 */);
	report("raw_inet6", s);
	if (s >= 0) rump_sys_close(s);
	s = rump_sys_socket(18 /* AF_LINK */, RUMP_SOCK_RAW, 0);
	report("raw_link", s);
	if (s >= 0) rump_sys_close(s);

	/* Reserved ports, and the first port that is not. */
	try_bind("bind_tcp_80", RUMP_SOCK_STREAM, 80);
	try_bind("bind_udp_80", RUMP_SOCK_DGRAM, 80);
	try_bind("bind_udp_1023", RUMP_SOCK_DGRAM, 1023);
	try_bind("bind_tcp_1024", RUMP_SOCK_STREAM, 1024);
	try_bind("bind_udp_any", RUMP_SOCK_DGRAM, 0);

	/* Socket options and resource limits: SO_DEBUG is open to everyone;
	 * a hard limit may be lowered, not raised again. */
	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s >= 0) {
		int on = 1;
		report("so_debug", rump_sys_setsockopt(s, RUMP_SOL_SOCKET, RUMP_SO_DEBUG, &on,
		                                       sizeof(on)));
		rump_sys_close(s);
	}
	{
		uint64_t rl[2];  /* NetBSD's struct rlimit: rlim_cur, rlim_max */
		if (rump_sys_getrlimit(8 /* RLIMIT_NOFILE */, (struct rlimit *)rl) < 0) {
			report("rlimit_lower", -1);
		} else {
			const uint64_t max = rl[1];
			rl[1] = max - 1;
			if (rl[0] > rl[1]) rl[0] = rl[1];
			report("rlimit_lower", rump_sys_setrlimit(8, (struct rlimit *)rl));
			rl[1] = max;
			report("rlimit_raise", rump_sys_setrlimit(8, (struct rlimit *)rl));
		}
	}

	/* Halting the kernel. */
	report("reboot", rump_sys_reboot(RUMP_RB_HALT, NULL));

	/* What an unprivileged client does: talk over high ports. */
	udp_exchange(port);
	tcp_exchange(port + 1);
	return 0;
}
