/*
 * tcp_peer: one end of a checked TCP transfer between two kernels on one
 * shmif bus, in C99 against the rump C API only. Built twice: by Bazel
 * against our C API (//capi:rump_shared), and by tcp_interop_test.sh against
 * NetBSD's own rump headers and libraries (the test peer), so that the two
 * ends can be a NetBSD kernel and ours, either way round.
 *
 *   tcp_peer BUS IP/LEN server|client PEERIP PORT NBYTES_UP NBYTES_DOWN HOLDFILE
 *
 * Boots a kernel in the process, puts shmif0 on BUS with IP/LEN (SIOCAIFADDR,
 * after net.inet.ip.dad_count=0 so that the address is usable at once), then:
 *
 *   server  listens on PORT ("server listening on PORT"), accepts, checks
 *           that connecting to PEERIP:PORT+1 is refused, receives until the
 *           client's FIN (NBYTES_UP bytes exactly, every byte checked
 *           against the pattern), then sends NBYTES_DOWN into the half-closed
 *           connection and closes.
 *   client  connects to PEERIP:PORT (again while refused, 60 s at most),
 *           checks that PEERIP:PORT+1 is refused, sends NBYTES_UP, shuts
 *           down its sending side (SHUT_WR), receives NBYTES_DOWN until the
 *           server's FIN (every byte checked), closes.
 *
 * Each prints what it sent and received with a CRC-32 of the stream
 * ("client sent N crc X", "server received N crc X ok", ...), then waits
 * for HOLDFILE to exist (so that its kernel keeps answering until the other
 * end is through; 120 s at most) and exits 0, or non-zero on any error,
 * short count or wrong byte.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in, 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_ifaliasreq { /* NetBSD's struct ifaliasreq, 64 bytes */
	char ifra_name[16];
	struct nb_sockaddr_in ifra_addr;
	struct nb_sockaddr_in ifra_broadaddr;
	struct nb_sockaddr_in ifra_mask;
};

struct nb_timeval { /* NetBSD's struct timeval, 16 bytes */
	int64_t tv_sec;
	int32_t tv_usec;
	int32_t pad;
};

#define NB_SIOCAIFADDR _RUMP_IOW('i', 26, struct nb_ifaliasreq)
#define NB_SHUT_WR     1
#define NB_SO_SNDTIMEO 0x100b
/* net.inet.ip.dad_count */
#define NB_CTL_NET         4
#define NB_PF_INET         2
#define NB_IPPROTO_IP      0
#define NB_IPCTL_DAD_COUNT 25

typedef char check_sin[sizeof(struct nb_sockaddr_in) == 16 ? 1 : -1];
typedef char check_ifra[sizeof(struct nb_ifaliasreq) == 64 ? 1 : -1];
typedef char check_aifaddr[NB_SIOCAIFADDR == 0x8040691aUL ? 1 : -1];
typedef char check_tv[sizeof(struct nb_timeval) == 16 ? 1 : -1];

#define SEED_UP   0x55
#define SEED_DOWN 0xa3

static const char *g_role = "tcp_peer";

static void
die(const char *what, int error)
{
	printf("%s: %s: %s (errno %d)\n", g_role, what, rump_strerror(error), error);
	fflush(stdout);
	exit(2);
}

static void
fail(const char *msg)
{
	printf("%s: FAIL: %s\n", g_role, msg);
	fflush(stdout);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Byte I of a stream: not periodic over the sizes used here. */
static uint8_t
pattern(uint64_t i, int seed)
{
	uint32_t x = (uint32_t)i ^ (uint32_t)(i >> 32);
	return (uint8_t)((x * 2654435761u) >> 24) ^ (uint8_t)(x >> 20) ^ (uint8_t)seed;
}

static uint32_t crc_table[256];

static void
crc_init(void)
{
	uint32_t c, n, k;
	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t
crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	size_t i;
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int
parse_ip(const char *s, uint8_t ip[4], int *len)
{
	unsigned a, b, c, d;
	int l = 32, n;
	if (len != NULL) {
		n = sscanf(s, "%u.%u.%u.%u/%d", &a, &b, &c, &d, &l);
		if (n != 5)
			return -1;
	} else if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
		return -1;
	}
	if (a > 255 || b > 255 || c > 255 || d > 255 || l < 1 || l > 32)
		return -1;
	ip[0] = (uint8_t)a;
	ip[1] = (uint8_t)b;
	ip[2] = (uint8_t)c;
	ip[3] = (uint8_t)d;
	if (len != NULL)
		*len = l;
	return 0;
}

static void
set_sin(struct nb_sockaddr_in *sin, const uint8_t ip[4], int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_len = sizeof(*sin);
	sin->sin_family = RUMP_AF_INET;
	sin->sin_port[0] = (uint8_t)(port >> 8);
	sin->sin_port[1] = (uint8_t)port;
	memcpy(sin->sin_addr, ip, 4);
}

static void
set_timeouts(int s, int seconds)
{
	struct nb_timeval tv;
	memset(&tv, 0, sizeof(tv));
	tv.tv_sec = seconds;
	if (rump_sys_setsockopt(s, RUMP_SOL_SOCKET, RUMP_SO_RCVTIMEO, (void *)&tv, sizeof(tv)) == -1)
		die("SO_RCVTIMEO", errno);
	if (rump_sys_setsockopt(s, RUMP_SOL_SOCKET, NB_SO_SNDTIMEO, (void *)&tv, sizeof(tv)) == -1)
		die("SO_SNDTIMEO", errno);
}

/* Boots the kernel and gives shmif0 on BUS the address IP/LEN. */
static void
boot(const char *bus, const uint8_t ip[4], int len)
{
	int mib[4] = {NB_CTL_NET, NB_PF_INET, NB_IPPROTO_IP, NB_IPCTL_DAD_COUNT};
	int zero = 0, unit, s, e;
	uint32_t mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	struct nb_ifaliasreq ifra;

	if ((e = rump_init()) != 0)
		die("rump_init", e);
	if (rump_sys___sysctl(mib, 4, NULL, NULL, &zero, sizeof(zero)) == -1)
		die("sysctl net.inet.ip.dad_count=0", errno);
	if ((e = rump_pub_shmif_create(bus, &unit)) != 0)
		die("rump_pub_shmif_create", e);
	s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		die("socket", errno);
	memset(&ifra, 0, sizeof(ifra));
	snprintf(ifra.ifra_name, sizeof(ifra.ifra_name), "shmif%d", unit);
	set_sin(&ifra.ifra_addr, ip, 0);
	set_sin(&ifra.ifra_broadaddr, ip, 0);
	ifra.ifra_broadaddr.sin_addr[0] |= (uint8_t)(~mask >> 24);
	ifra.ifra_broadaddr.sin_addr[1] |= (uint8_t)(~mask >> 16);
	ifra.ifra_broadaddr.sin_addr[2] |= (uint8_t)(~mask >> 8);
	ifra.ifra_broadaddr.sin_addr[3] |= (uint8_t)~mask;
	memset(&ifra.ifra_mask, 0, sizeof(ifra.ifra_mask));
	ifra.ifra_mask.sin_len = 8;
	ifra.ifra_mask.sin_family = RUMP_AF_INET;
	ifra.ifra_mask.sin_addr[0] = (uint8_t)(mask >> 24);
	ifra.ifra_mask.sin_addr[1] = (uint8_t)(mask >> 16);
	ifra.ifra_mask.sin_addr[2] = (uint8_t)(mask >> 8);
	ifra.ifra_mask.sin_addr[3] = (uint8_t)mask;
	if (rump_sys_ioctl(s, NB_SIOCAIFADDR, &ifra) == -1)
		die("SIOCAIFADDR", errno);
	rump_sys_close(s);
}

/* Sends N bytes of the pattern in writes of varying sizes; returns the CRC. */
static uint32_t
send_stream(int s, uint64_t n, int seed)
{
	static const size_t sizes[] = {65536, 1, 1460, 100000, 7, 32768, 4096, 1448, 200000};
	static uint8_t buf[200000];
	uint64_t off = 0;
	uint32_t crc = 0;
	size_t k = 0, len, i, done;
	ssize_t w;

	while (off < n) {
		len = sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))];
		if (len > n - off)
			len = (size_t)(n - off);
		for (i = 0; i < len; i++)
			buf[i] = pattern(off + i, seed);
		crc = crc_update(crc, buf, len);
		for (done = 0; done < len; done += (size_t)w) {
			w = rump_sys_write(s, buf + done, len - done);
			if (w <= 0)
				die("write", w == 0 ? RUMP_EIO : errno);
		}
		off += len;
	}
	return crc;
}

/*
 * Receives until EOF, checking every byte; fails unless exactly WANT bytes
 * came. Returns the CRC.
 */
static uint32_t
recv_stream(int s, uint64_t want, int seed)
{
	static uint8_t buf[131072];
	uint64_t off = 0;
	uint32_t crc = 0;
	ssize_t r, i;
	char msg[200];

	for (;;) {
		r = rump_sys_read(s, buf, sizeof(buf));
		if (r < 0) {
			snprintf(msg, sizeof(msg), "read after %llu of %llu bytes",
			    (unsigned long long)off, (unsigned long long)want);
			die(msg, errno);
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			if (buf[i] != pattern(off + (uint64_t)i, seed)) {
				snprintf(msg, sizeof(msg), "byte %llu is 0x%02x, not 0x%02x",
				    (unsigned long long)(off + (uint64_t)i), buf[i],
				    pattern(off + (uint64_t)i, seed));
				fail(msg);
			}
		}
		crc = crc_update(crc, buf, (size_t)r);
		off += (uint64_t)r;
		if (off > want)
			break;
	}
	if (off != want) {
		snprintf(msg, sizeof(msg), "received %llu bytes before EOF, not %llu",
		    (unsigned long long)off, (unsigned long long)want);
		fail(msg);
	}
	return crc;
}

/* Connecting to IP:PORT, where nothing listens, must be refused. */
static void
expect_refused(const uint8_t ip[4], int port)
{
	struct nb_sockaddr_in sin;
	int s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_STREAM, 0);
	if (s == -1)
		die("socket", errno);
	set_timeouts(s, 60);
	set_sin(&sin, ip, port);
	if (rump_sys_connect(s, (void *)&sin, sizeof(sin)) == 0)
		fail("connect to a port nobody listens on succeeded");
	if (errno != RUMP_ECONNREFUSED)
		die("connect to a port nobody listens on (want ECONNREFUSED)", errno);
	rump_sys_close(s);
	printf("%s refused ok (%u.%u.%u.%u:%d)\n", g_role, ip[0], ip[1], ip[2], ip[3], port);
	fflush(stdout);
}

static void
hold(const char *file)
{
	double deadline = now() + 120;
	while (access(file, F_OK) != 0) {
		if (now() > deadline)
			fail("the hold file never appeared");
		usleep(10000);
	}
}

static int
server(const uint8_t peer[4], int port, uint64_t up, uint64_t down)
{
	struct nb_sockaddr_in sin;
	unsigned int sinlen = sizeof(sin);
	int l, s, one = 1;
	uint32_t crc;
	double t0;

	l = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_STREAM, 0);
	if (l == -1)
		die("socket", errno);
	if (rump_sys_setsockopt(l, RUMP_SOL_SOCKET, RUMP_SO_REUSEADDR, &one, sizeof(one)) == -1)
		die("SO_REUSEADDR", errno);
	set_sin(&sin, (const uint8_t[4]){0, 0, 0, 0}, port);
	if (rump_sys_bind(l, (void *)&sin, sizeof(sin)) == -1)
		die("bind", errno);
	if (rump_sys_listen(l, 5) == -1)
		die("listen", errno);
	printf("server listening on %d\n", port);
	fflush(stdout);
	s = rump_sys_accept(l, (void *)&sin, &sinlen);
	if (s == -1)
		die("accept", errno);
	printf("server accepted %u.%u.%u.%u:%d\n", sin.sin_addr[0], sin.sin_addr[1],
	    sin.sin_addr[2], sin.sin_addr[3], sin.sin_port[0] << 8 | sin.sin_port[1]);
	fflush(stdout);
	if (memcmp(sin.sin_addr, peer, 4) != 0)
		fail("accepted a connection from the wrong address");
	rump_sys_close(l);
	set_timeouts(s, 120);
	expect_refused(peer, port + 1);

	t0 = now();
	crc = recv_stream(s, up, SEED_UP);
	printf("server received %llu crc %08x ok in %.2f s\n", (unsigned long long)up, crc,
	    now() - t0);
	fflush(stdout);
	/* The client's FIN came: send into the half-closed connection. */
	t0 = now();
	crc = send_stream(s, down, SEED_DOWN);
	if (rump_sys_close(s) == -1)
		die("close", errno);
	printf("server sent %llu crc %08x in %.2f s\n", (unsigned long long)down, crc, now() - t0);
	fflush(stdout);
	return 0;
}

static int
client(const uint8_t peer[4], int port, uint64_t up, uint64_t down)
{
	struct nb_sockaddr_in sin;
	double deadline = now() + 60, t0;
	int s, tries = 0;
	uint32_t crc;
	char msg[100];

	set_sin(&sin, peer, port);
	for (;;) {
		s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_STREAM, 0);
		if (s == -1)
			die("socket", errno);
		set_timeouts(s, 120);
		tries++;
		if (rump_sys_connect(s, (void *)&sin, sizeof(sin)) == 0)
			break;
		if (errno != RUMP_ECONNREFUSED || now() > deadline) {
			snprintf(msg, sizeof(msg), "connect (attempt %d)", tries);
			die(msg, errno);
		}
		rump_sys_close(s);
		usleep(20000);
	}
	printf("client connected to %u.%u.%u.%u:%d\n", peer[0], peer[1], peer[2], peer[3], port);
	fflush(stdout);
	expect_refused(peer, port + 1);

	t0 = now();
	crc = send_stream(s, up, SEED_UP);
	if (rump_sys_shutdown(s, NB_SHUT_WR) == -1)
		die("shutdown(SHUT_WR)", errno);
	printf("client sent %llu crc %08x in %.2f s\n", (unsigned long long)up, crc, now() - t0);
	fflush(stdout);
	/* Half-closed: the server's data still comes. */
	t0 = now();
	crc = recv_stream(s, down, SEED_DOWN);
	printf("client received %llu crc %08x ok in %.2f s\n", (unsigned long long)down, crc,
	    now() - t0);
	fflush(stdout);
	if (rump_sys_close(s) == -1)
		die("close", errno);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t ip[4], peer[4];
	int len, port, rc;
	uint64_t up, down;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 9 || parse_ip(argv[2], ip, &len) != 0 ||
	    (strcmp(argv[3], "server") != 0 && strcmp(argv[3], "client") != 0) ||
	    parse_ip(argv[4], peer, NULL) != 0) {
		fprintf(stderr, "usage: tcp_peer BUS IP/LEN server|client PEERIP PORT NBYTES_UP "
				"NBYTES_DOWN HOLDFILE\n");
		return 2;
	}
	g_role = argv[3];
	port = atoi(argv[5]);
	up = strtoull(argv[6], NULL, 10);
	down = strtoull(argv[7], NULL, 10);
	if (port < 1 || port > 65534) {
		fprintf(stderr, "tcp_peer: bad port\n");
		return 2;
	}
	crc_init();
	boot(argv[1], ip, len);
	if (strcmp(g_role, "server") == 0)
		rc = server(peer, port, up, down);
	else
		rc = client(peer, port, up, down);
	printf("%s done\n", g_role);
	fflush(stdout);
	hold(argv[8]);
	return rc;
}
