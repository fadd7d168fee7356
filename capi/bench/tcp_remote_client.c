/*
 * tcp_remote_client: one end of a TCP bulk transfer, as a remote client of a
 * rump_server (RUMP_SERVER), through librumpclient: tcp_remote_bench.sh
 * runs one receiver and one sender against two servers on one bus.
 *
 *   tcp_remote_client recv PORT            listen, accept, read to EOF,
 *                                          check the pattern, print the count
 *   tcp_remote_client send IP PORT MIB     connect, write MIB MiB in 64 KiB
 *                                          writes, print the rate
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
#define NB_SOCK_STREAM 1
#define NB_SHUT_WR 1
#define CHUNK (64 * 1024)

struct nb_sockaddr_in {
	uint8_t sin_len, sin_family, sin_port[2], sin_addr[4], sin_zero[8];
};

/* The stream is a pseudo-random table of odd length repeated; checking is
 * a memcmp against it, cheap next to the transfer. */
#define PATTERN_LEN ((1u << 20) + 7)
static uint8_t table[PATTERN_LEN];

static void make_table(void) {
	uint32_t x = 12345;
	for (size_t i = 0; i < PATTERN_LEN; ++i) {
		x = x * 1103515245u + 12345u;
		table[i] = (uint8_t)(x >> 16);
	}
}

/* Copies (fill) or compares (!fill) the pattern at stream offset `off`. */
static int pattern(uint8_t *buf, size_t len, uint64_t off, int fill) {
	size_t done = 0;
	while (done < len) {
		size_t at = (size_t)((off + done) % PATTERN_LEN);
		size_t n = len - done < PATTERN_LEN - at ? len - done : PATTERN_LEN - at;
		if (fill)
			memcpy(buf + done, table + at, n);
		else if (memcmp(buf + done, table + at, n) != 0)
			return 1;
		done += n;
	}
	return 0;
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct nb_sockaddr_in sin_of(const char *ip, int port) {
	struct nb_sockaddr_in s;
	unsigned a, b, c, d;
	memset(&s, 0, sizeof(s));
	s.sin_len = sizeof(s);
	s.sin_family = NB_AF_INET;
	s.sin_port[0] = (uint8_t)(port >> 8);
	s.sin_port[1] = (uint8_t)port;
	if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
		s.sin_addr[0] = (uint8_t)a; s.sin_addr[1] = (uint8_t)b;
		s.sin_addr[2] = (uint8_t)c; s.sin_addr[3] = (uint8_t)d;
	}
	return s;
}

int main(int argc, char **argv) {
	static uint8_t buf[CHUNK];
	if (argc < 3 || (strcmp(argv[1], "recv") != 0 && strcmp(argv[1], "send") != 0) ||
	    (strcmp(argv[1], "send") == 0 && argc != 5)) {
		fprintf(stderr, "usage: tcp_remote_client recv PORT | send IP PORT MIB\n");
		return 2;
	}
	make_table();
	if (rumpclient_init() != 0) {
		perror("rumpclient_init");
		return 1;
	}
	int s = rump_sys_socket(NB_AF_INET, NB_SOCK_STREAM, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	if (strcmp(argv[1], "recv") == 0) {
		struct nb_sockaddr_in any = sin_of("0.0.0.0", atoi(argv[2]));
		if (rump_sys_bind(s, (void *)&any, sizeof(any)) != 0 || rump_sys_listen(s, 5) != 0) {
			perror("bind/listen");
			return 1;
		}
		printf("listening\n");
		fflush(stdout);
		int c = rump_sys_accept(s, NULL, NULL);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		uint64_t total = 0;
		int bad = 0;
		double t0 = now();
		for (;;) {
			ssize_t n = rump_sys_read(c, buf, sizeof(buf));
			if (n <= 0) break;
			if (pattern(buf, (size_t)n, total, 0)) bad = 1;
			total += (uint64_t)n;
		}
		double secs = now() - t0;
		printf("received %llu bytes in %.2f s = %.2f Gbit/s, %s\n", (unsigned long long)total,
		       secs, total * 8 / secs / 1e9, bad ? "MISMATCH" : "every byte checked");
		rump_sys_close(c);
		return bad;
	}
	struct nb_sockaddr_in to = sin_of(argv[2], atoi(argv[3]));
	uint64_t bytes = (uint64_t)atoll(argv[4]) << 20;
	if (rump_sys_connect(s, (void *)&to, sizeof(to)) != 0) {
		perror("connect");
		return 1;
	}
	double t0 = now();
	for (uint64_t off = 0; off < bytes;) {
		pattern(buf, sizeof(buf), off, 1);
		size_t done = 0;
		while (done < sizeof(buf)) {
			ssize_t n = rump_sys_write(s, buf + done, sizeof(buf) - done);
			if (n <= 0) {
				perror("write");
				return 1;
			}
			done += (size_t)n;
		}
		off += sizeof(buf);
	}
	rump_sys_shutdown(s, NB_SHUT_WR);
	rump_sys_read(s, buf, 1); /* until the receiver closes */
	double secs = now() - t0;
	printf("sent %llu MiB in %.2f s = %.2f Gbit/s\n", (unsigned long long)(bytes >> 20), secs,
	       bytes * 8 / secs / 1e9);
	rump_sys_close(s);
	return 0;
}
