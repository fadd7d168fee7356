/*
 * udp_peer: one kernel of a multi-process UDP exchange on one shmif bus,
 * in C99 against the C API only (run by multiprocess_test.sh).
 *
 *   udp_peer DIR INDEX NPEERS COUNT
 *
 * Boots a kernel, puts shmif0 on DIR/bus as 10.0.3.(INDEX+1)/24 (the
 * address with <rump/netconfig.h>), binds UDP port 9000, and once every
 * peer is ready (DIR/ready.N files) sends COUNT datagrams to each other
 * peer (sizes vary; every tenth is 3000 bytes, so it is fragmented) while
 * receiving theirs. Every datagram received is checked: size, contents,
 * sender address and port, no duplicates. Peer 0 then pings peer 1
 * through a raw ICMP socket, sends to a closed port of peer 1 (ICMP port
 * unreachable comes back) and to an absent host (ARP), so that a capture
 * of the bus shows each kind of frame. Prints "peer I received N bad B
 * dup D" (and, when some are missing, which ones and the IP/UDP counters)
 * and exits 0 when every datagram arrived intact and once.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <rump/netconfig.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nb_sockaddr_in { /* 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

#define NB_MSG_DONTWAIT 0x80
#define NB_PORT 9000
#define MAXPEERS 16
#define MAXCOUNT 10000

static int g_index;

static void
die(const char *what, int error)
{
	fprintf(stderr, "udp_peer %d: %s: %s\n", g_index, what, rump_strerror(error));
	exit(2);
}

static void
set_sin(struct nb_sockaddr_in *sin, int host, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = RUMP_AF_INET;
	sin->sin_port[0] = (uint8_t)(port >> 8);
	sin->sin_port[1] = (uint8_t)port;
	sin->sin_addr[0] = 10;
	sin->sin_addr[1] = 0;
	sin->sin_addr[2] = 3;
	sin->sin_addr[3] = (uint8_t)host;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
dgram_len(int src, int seq)
{
	if (seq % 10 == 9)
		return 3000;
	return 16 + (size_t)((seq * 37 + src * 11) % 1400);
}

static uint8_t
pattern(int src, int dst, int seq, size_t i)
{
	return (uint8_t)(src * 31 + dst * 17 + seq * 7 + (int)i);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
touch(const char *dir, const char *what, int i)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s.%d", dir, what, i);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

/* Waits until DIR/what.0 .. what.(n-1) all exist (30 s at most). */
static int
barrier(const char *dir, const char *what, int n)
{
	double deadline = now() + 30;
	char path[512];
	int i;
	while (now() < deadline) {
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s.%d", dir, what, i);
			if (access(path, F_OK) != 0)
				break;
		}
		if (i == n)
			return 0;
		usleep(1000);
	}
	return -1;
}

static uint8_t seen[MAXPEERS][MAXCOUNT];
static long received, bad, dups;

/* Checks one received datagram. */
static void
check(const uint8_t *buf, ssize_t n, const struct nb_sockaddr_in *from, int npeers, int count)
{
	int src, dst, seq;
	size_t i;
	if (n < 16 || get32(buf) != 0x72756d70) {
		bad++;
		return;
	}
	src = (int)get32(buf + 4);
	dst = (int)get32(buf + 8);
	seq = (int)get32(buf + 12);
	if (src < 0 || src >= npeers || src == g_index || dst != g_index || seq < 0 ||
	    seq >= count || (size_t)n != dgram_len(src, seq) || from->sin_addr[3] != src + 1 ||
	    from->sin_port[0] != (NB_PORT >> 8) || from->sin_port[1] != (NB_PORT & 0xff)) {
		bad++;
		return;
	}
	for (i = 16; i < (size_t)n; i++) {
		if (buf[i] != pattern(src, dst, seq, i)) {
			bad++;
			return;
		}
	}
	if (seen[src][seq]) {
		dups++;
		return;
	}
	seen[src][seq] = 1;
	received++;
}

/* net.inet.ip.stats and net.inet.udp.stats, the counters that are not 0. */
static void
print_stats(void)
{
	static const char *const ip_names[30] = {"total", "badsum", "tooshort", "toosmall",
	    "badhlen", "badlen", "fragments", "fragdropped", "fragtimeout", "forward",
	    "fastforward", "cantforward", "redirectsent", "noproto", "delivered", "localout",
	    "odropped", "reassembled", "fragmented", "ofragments", "cantfrag", "badoptions",
	    "noroute", "badvers", "rawout", "badfrags", "rcvmemdrop", "toolong", "nogif",
	    "badaddr"};
	static const char *const udp_names[9] = {"ipackets", "hdrops", "badsum", "badlen",
	    "noport", "noportbcast", "fullsock", "pcbhashmiss", "opackets"};
	int ipmib[4] = {4, 2, 0, 24}, udpmib[4] = {4, 2, 17, 5};
	uint64_t st[30];
	size_t len = sizeof(st), i;
	if (rump_sys___sysctl(ipmib, 4, st, &len, NULL, 0) == 0) {
		for (i = 0; i < len / 8 && i < 30; i++)
			if (st[i])
				printf("peer %d ip.%s %llu\n", g_index, ip_names[i], (unsigned long long)st[i]);
	}
	len = sizeof(st);
	if (rump_sys___sysctl(udpmib, 4, st, &len, NULL, 0) == 0) {
		for (i = 0; i < len / 8 && i < 9; i++)
			if (st[i])
				printf("peer %d udp.%s %llu\n", g_index, udp_names[i], (unsigned long long)st[i]);
	}
}

static int
drain(int s, int flags, int npeers, int count)
{
	static uint8_t buf[65536];
	struct nb_sockaddr_in from;
	unsigned int fromlen = sizeof(from);
	ssize_t n = rump_sys_recvfrom(s, buf, sizeof(buf), flags, (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return errno;
	check(buf, n, &from, npeers, count);
	return 0;
}

static uint16_t
cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	size_t i;
	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Peer 0's finale: ping, port unreachable, ARP for an absent host. */
static int
finale(int s)
{
	struct nb_sockaddr_in to;
	uint8_t echo[64], reply[2048];
	int r, u, i, rcvbuf = 1;
	struct { int64_t sec; int32_t usec; int32_t pad; } tv = {5, 0, 0};
	ssize_t n;
	uint16_t c;

	r = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_ICMP);
	if (r < 0)
		die("socket raw", errno);
	if (rump_sys_setsockopt(r, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO", errno);
	memset(echo, 0, sizeof(echo));
	echo[0] = 8; /* ICMP_ECHO */
	echo[5] = 0x42;
	echo[7] = 1;
	for (i = 8; i < (int)sizeof(echo); i++)
		echo[i] = (uint8_t)i;
	c = cksum(echo, sizeof(echo));
	echo[2] = (uint8_t)(c >> 8);
	echo[3] = (uint8_t)c;
	set_sin(&to, 2, 0);
	if (rump_sys_sendto(r, echo, sizeof(echo), 0, (struct sockaddr *)&to, sizeof(to)) == -1)
		die("sendto echo", errno);
	n = rump_sys_recvfrom(r, reply, sizeof(reply), 0, NULL, NULL);
	if (n != 84 || reply[20] != 0) {
		fprintf(stderr, "udp_peer 0: no echo reply (%zd)\n", n);
		return 1;
	}
	printf("peer 0 ping ok\n");
	/*
	 * A closed port on peer 1, through a connected socket: its port
	 * unreachable comes back as ECONNREFUSED, so it is on the bus before
	 * peer 1 may leave.
	 */
	set_sin(&to, 2, 9999);
	u = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (u < 0)
		die("socket udp", errno);
	if (rump_sys_setsockopt(u, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO", errno);
	if (rump_sys_connect(u, (struct sockaddr *)&to, sizeof(to)) == -1)
		die("connect closed port", errno);
	if (rump_sys_sendto(u, "closed?", 7, 0, NULL, 0) == -1)
		die("send closed port", errno);
	n = rump_sys_recvfrom(u, reply, sizeof(reply), 0, NULL, NULL);
	if (n != -1 || errno != RUMP_ECONNREFUSED) {
		fprintf(stderr, "udp_peer 0: no ECONNREFUSED from a closed port (%zd, %d)\n", n,
		    n == -1 ? errno : 0);
		return 1;
	}
	rump_sys_close(u);
	printf("peer 0 port unreachable ok\n");
	set_sin(&to, 200, 9000);
	if (rump_sys_sendto(s, "absent?", 7, 0, (struct sockaddr *)&to, sizeof(to)) == -1)
		die("sendto absent host", errno);
	(void)rcvbuf;
	rump_sys_close(r);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir;
	char bus[512], ifname[16], addr[24];
	int npeers, count, unit, s, fd, k, j, e, rcvbuf = 200000, sndbuf = 65536;
	struct nb_sockaddr_in sin;
	struct { int64_t sec; int32_t usec; int32_t pad; } tv = {0, 100000, 0};
	struct { int64_t sec; int32_t usec; int32_t pad; } warm_tv = {10, 0, 0};
	static uint8_t out[4096];
	long expected;
	double deadline;

	if (argc != 5) {
		fprintf(stderr, "usage: udp_peer DIR INDEX NPEERS COUNT\n");
		return 2;
	}
	dir = argv[1];
	g_index = atoi(argv[2]);
	npeers = atoi(argv[3]);
	count = atoi(argv[4]);
	if (npeers < 2 || npeers > MAXPEERS || g_index < 0 || g_index >= npeers || count < 1 ||
	    count > MAXCOUNT) {
		fprintf(stderr, "udp_peer: bad arguments\n");
		return 2;
	}
	snprintf(bus, sizeof(bus), "%s/bus", dir);

	if ((e = rump_init()) != 0)
		die("rump_init", e);
	if ((e = rump_pub_shmif_create(bus, &unit)) != 0)
		die("shmif_create", e);
	snprintf(ifname, sizeof(ifname), "shmif%d", unit);
	snprintf(addr, sizeof(addr), "10.0.3.%d", g_index + 1);
	if ((e = rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, addr, 24)) != 0)
		die("rump_pub_netconfig_ipv4_ifaddr_cidr", e);
	fd = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket", errno);

	s = fd;
	set_sin(&sin, 0, NB_PORT);
	memset(sin.sin_addr, 0, 4);
	if (rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind", errno);
	if (rump_sys_setsockopt(s, RUMP_SOL_SOCKET, RUMP_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) == -1)
		die("SO_RCVBUF", errno);
	if (rump_sys_setsockopt(s, RUMP_SOL_SOCKET, RUMP_SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == -1)
		die("SO_SNDBUF", errno);
	if (rump_sys_setsockopt(s, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO", errno);

	touch(dir, "ready", g_index);
	if (barrier(dir, "ready", npeers) != 0) {
		fprintf(stderr, "udp_peer %d: peers never got ready\n", g_index);
		return 1;
	}
	/*
	 * Resolve every peer before the burst: a closed port's ECONNREFUSED
	 * means ARP worked both ways. (Under load a burst to an unresolved
	 * peer could overflow the ARP hold queue and lose its first datagrams.)
	 */
	for (j = 0; j < npeers; j++) {
		int u;
		if (j == g_index)
			continue;
		set_sin(&sin, j + 1, 9);
		u = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
		if (u < 0)
			die("socket", errno);
		if (rump_sys_setsockopt(u, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, &warm_tv, sizeof(warm_tv)) == -1)
			die("SO_RCVTIMEO", errno);
		if (rump_sys_connect(u, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			die("connect", errno);
		if (rump_sys_sendto(u, "arp?", 4, 0, NULL, 0) == -1)
			die("sendto", errno);
		if (rump_sys_recvfrom(u, out, sizeof(out), 0, NULL, NULL) != -1 || errno != RUMP_ECONNREFUSED) {
			fprintf(stderr, "udp_peer %d: peer %d did not answer\n", g_index, j);
			return 1;
		}
		rump_sys_close(u);
	}
	touch(dir, "resolved", g_index);
	if (barrier(dir, "resolved", npeers) != 0) {
		fprintf(stderr, "udp_peer %d: peers never resolved each other\n", g_index);
		return 1;
	}

	for (k = 0; k < count; k++) {
		for (j = 0; j < npeers; j++) {
			size_t len, i;
			if (j == g_index)
				continue;
			len = dgram_len(g_index, k);
			put32(out, 0x72756d70);
			put32(out + 4, (uint32_t)g_index);
			put32(out + 8, (uint32_t)j);
			put32(out + 12, (uint32_t)k);
			for (i = 16; i < len; i++)
				out[i] = pattern(g_index, j, k, i);
			set_sin(&sin, j + 1, NB_PORT);
			if (rump_sys_sendto(s, out, len, 0, (struct sockaddr *)&sin, sizeof(sin)) !=
			    (ssize_t)len)
				die("sendto", errno);
		}
		while (drain(s, NB_MSG_DONTWAIT, npeers, count) == 0)
			;
		usleep(200);
	}
	expected = (long)(npeers - 1) * count;
	deadline = now() + 20;
	while (received < expected && now() < deadline)
		(void)drain(s, 0, npeers, count);

	printf("peer %d received %ld bad %ld dup %ld\n", g_index, received, bad, dups);
	if (received != expected) {
		int src, seq;
		print_stats();
		for (src = 0; src < npeers; src++)
			for (seq = 0; seq < count; seq++)
				if (src != g_index && !seen[src][seq])
					printf("peer %d missing %d/%d (%zu bytes)\n", g_index, src, seq,
					    dgram_len(src, seq));
	}
	fflush(stdout);
	touch(dir, "done", g_index);
	if (g_index == 0 && finale(s) != 0)
		return 1;
	fflush(stdout);
	touch(dir, "final", g_index);
	/* Stay until every peer is through, so that ARP keeps being answered. */
	(void)barrier(dir, "final", npeers);
	return (received == expected && bad == 0 && dups == 0) ? 0 : 1;
}
