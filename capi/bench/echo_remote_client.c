/*
 * echo_remote_client: one remote client of a rump_server (RUMP_SERVER),
 * through librumpclient, for echo_bench.sh. Each measuring mode prints one
 * line "LABEL median p99 average" (microseconds) to stdout.
 *
 *   echo_remote_client udp-echo PORT        bind, then recvfrom/sendto the
 *                                           datagram back, until an error
 *                                           (the server halting); prints
 *                                           "ready" once bound
 *   echo_remote_client udp-ping IP PORT N   N 64-byte request/responses:
 *                                           sendto, poll, recvfrom
 *   echo_remote_client icmp-ping IP N       N ICMP echo round trips over a
 *                                           raw socket: sendto, poll,
 *                                           recvfrom (the peer's kernel
 *                                           answers)
 *   echo_remote_client getpid N             N remote getpid calls
 *
 * A tenth of N (at least 10) unmeasured exchanges come first (ARP, caches).
 * A lost answer (1 s without one) is an error, not a sample.
 */
#define _POSIX_C_SOURCE 200809L
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NB_AF_INET 2
#define NB_SOCK_DGRAM 2
#define NB_SOCK_RAW 3
#define NB_IPPROTO_ICMP 1
#define NB_POLLIN 0x0001

struct nb_sockaddr_in {
	uint8_t sin_len, sin_family, sin_port[2], sin_addr[4], sin_zero[8];
};

struct nb_pollfd {
	int fd;
	short events, revents;
};

static double now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static struct nb_sockaddr_in sin_of(const char *ip, int port) {
	struct nb_sockaddr_in s;
	unsigned a = 0, b = 0, c = 0, d = 0;
	memset(&s, 0, sizeof(s));
	s.sin_len = sizeof(s);
	s.sin_family = NB_AF_INET;
	s.sin_port[0] = (uint8_t)(port >> 8);
	s.sin_port[1] = (uint8_t)port;
	if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) != 4) {
		fprintf(stderr, "echo_remote_client: bad IPv4 address %s\n", ip);
		exit(2);
	}
	s.sin_addr[0] = (uint8_t)a;
	s.sin_addr[1] = (uint8_t)b;
	s.sin_addr[2] = (uint8_t)c;
	s.sin_addr[3] = (uint8_t)d;
	return s;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *label, double *us, long n) {
	double sum = 0;
	for (long i = 0; i < n; ++i) sum += us[i];
	qsort(us, (size_t)n, sizeof(double), cmp_double);
	long p99 = n * 99 / 100;
	if (p99 >= n) p99 = n - 1;
	printf("%s %.1f %.1f %.1f\n", label, us[n / 2], us[p99], sum / n);
}

/* Waits up to 1 s for `s` to be readable; 0 when it is. */
static int wait_readable(int s) {
	struct nb_pollfd p = {s, NB_POLLIN, 0};
	int r = rump_sys_poll((void *)&p, 1, 1000);
	if (r == 1 && (p.revents & NB_POLLIN)) return 0;
	fprintf(stderr, "echo_remote_client: no answer within 1 s (poll %d)\n", r);
	return -1;
}

static int udp_echo(int port) {
	int s = rump_sys_socket(NB_AF_INET, NB_SOCK_DGRAM, 0);
	struct nb_sockaddr_in any = sin_of("0.0.0.0", port);
	if (s < 0 || rump_sys_bind(s, (void *)&any, sizeof(any)) != 0) {
		perror("echo_remote_client: udp-echo socket/bind");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		uint8_t buf[2048];
		struct nb_sockaddr_in from;
		unsigned int fromlen = sizeof(from);
		ssize_t n = rump_sys_recvfrom(s, buf, sizeof(buf), 0, (void *)&from, (void *)&fromlen);
		if (n < 0) return 0; /* the server went away: done */
		if (rump_sys_sendto(s, buf, (size_t)n, 0, (void *)&from, fromlen) != n) return 0;
	}
}

static int udp_ping(const char *ip, int port, long n) {
	int s = rump_sys_socket(NB_AF_INET, NB_SOCK_DGRAM, 0);
	struct nb_sockaddr_in to = sin_of(ip, port);
	if (s < 0) {
		perror("echo_remote_client: udp socket");
		return 1;
	}
	double *us = calloc((size_t)n, sizeof(double));
	long warm = n / 10 < 10 ? 10 : n / 10;
	for (long i = -warm; i < n; ++i) {
		uint8_t req[64], ans[2048];
		memset(req, 0, sizeof(req));
		memcpy(req, &i, sizeof(i));
		double t0 = now_us();
		if (rump_sys_sendto(s, req, sizeof(req), 0, (void *)&to, sizeof(to)) != sizeof(req)) {
			perror("echo_remote_client: sendto");
			return 1;
		}
		ssize_t got;
		do {
			if (wait_readable(s) != 0) return 1;
			got = rump_sys_recvfrom(s, ans, sizeof(ans), 0, NULL, NULL);
		} while (got == (ssize_t)sizeof(req) && memcmp(ans, req, sizeof(req)) != 0);
		if (got != (ssize_t)sizeof(req)) {
			fprintf(stderr, "echo_remote_client: bad answer (%zd bytes)\n", got);
			return 1;
		}
		if (i >= 0) us[i] = now_us() - t0;
	}
	report("udp", us, n);
	free(us);
	return 0;
}

static uint16_t cksum(const uint8_t *p, size_t len) {
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int icmp_ping(const char *ip, long n) {
	int s = rump_sys_socket(NB_AF_INET, NB_SOCK_RAW, NB_IPPROTO_ICMP);
	struct nb_sockaddr_in to = sin_of(ip, 0);
	if (s < 0) {
		perror("echo_remote_client: raw socket");
		return 1;
	}
	double *us = calloc((size_t)n, sizeof(double));
	long warm = n / 10 < 10 ? 10 : n / 10;
	const uint16_t id = 0x5eb0;
	for (long i = -warm; i < n; ++i) {
		uint8_t req[64], ans[2048];
		uint16_t seq = (uint16_t)(i + warm);
		memset(req, 0, sizeof(req));
		req[0] = 8; /* echo request */
		req[4] = id >> 8;
		req[5] = id & 0xff;
		req[6] = seq >> 8;
		req[7] = seq & 0xff;
		uint16_t c = cksum(req, sizeof(req));
		req[2] = c >> 8;
		req[3] = c & 0xff;
		double t0 = now_us();
		if (rump_sys_sendto(s, req, sizeof(req), 0, (void *)&to, sizeof(to)) != sizeof(req)) {
			perror("echo_remote_client: sendto");
			return 1;
		}
		for (;;) { /* a raw socket sees every ICMP message: find our reply */
			if (wait_readable(s) != 0) return 1;
			ssize_t got = rump_sys_recvfrom(s, ans, sizeof(ans), 0, NULL, NULL);
			if (got < 20) continue;
			size_t hl = (size_t)(ans[0] & 0x0f) * 4;
			if ((size_t)got < hl + 8) continue;
			const uint8_t *icmp = ans + hl;
			if (icmp[0] == 0 && icmp[4] == (id >> 8) && icmp[5] == (id & 0xff) &&
			    icmp[6] == (seq >> 8) && icmp[7] == (seq & 0xff))
				break;
		}
		if (i >= 0) us[i] = now_us() - t0;
	}
	report("icmp", us, n);
	free(us);
	return 0;
}

static int getpid_loop(long n) {
	double *us = calloc((size_t)n, sizeof(double));
	for (long i = -n / 10; i < n; ++i) {
		double t0 = now_us();
		if (rump_sys_getpid() <= 0) {
			perror("echo_remote_client: getpid");
			return 1;
		}
		if (i >= 0) us[i] = now_us() - t0;
	}
	report("getpid", us, n);
	free(us);
	return 0;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	int ok = (strcmp(mode, "udp-echo") == 0 && argc == 3) ||
	         (strcmp(mode, "udp-ping") == 0 && argc == 5) ||
	         (strcmp(mode, "icmp-ping") == 0 && argc == 4) ||
	         (strcmp(mode, "getpid") == 0 && argc == 3);
	long n = argc > 1 ? atol(argv[argc - 1]) : 0;
	if (!ok || (strcmp(mode, "udp-echo") != 0 && n <= 0)) {
		fprintf(stderr,
		        "usage: echo_remote_client udp-echo PORT | udp-ping IP PORT N |"
		        " icmp-ping IP N | getpid N\n");
		return 2;
	}
	if (rumpclient_init() != 0) {
		perror("echo_remote_client: rumpclient_init");
		return 1;
	}
	if (strcmp(mode, "udp-echo") == 0) return udp_echo(atoi(argv[2]));
	if (strcmp(mode, "udp-ping") == 0) return udp_ping(argv[2], atoi(argv[3]), n);
	if (strcmp(mode, "icmp-ping") == 0) return icmp_ping(argv[2], n);
	return getpid_loop(n);
}
