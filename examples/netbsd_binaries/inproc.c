/*
 * inproc: a program with a rump kernel inside, as a NetBSD user writes and
 * links one, built only against NetBSD's headers and libraries:
 *
 *   cc inproc.c -I$NETBSD/include -L$NETBSD/lib -lrumpnet_shmif \
 *     -lrumpnet_netinet -lrumpnet_net -lrumpnet -lrump -lrumpuser -o inproc
 *
 * so that it needs librumpnet_shmif.so.0, ..., librump.so.0 and
 * librumpuser.so.0. test.sh runs it with our libraries (LD_LIBRARY_PATH),
 * which must load and boot it unchanged.
 *
 *   inproc BUS ADDR/PREFIXLEN PEER
 *
 * boots the kernel (rump_init), attaches an interface to the shmif bus file
 * BUS (rump_pub_shmif_create), gives it ADDR (SIOCAIFADDR), then pings PEER
 * with ICMP echo requests on a raw socket: one a second until the first
 * reply (up to 60: the peer may still be resolving us), then 5 that must
 * each be answered within 10 s. Then it keeps the kernel running, answering
 * on the bus, until its standard input ends.
 *
 * Output: "shmifN ADDR/PREFIXLEN on BUS", "first reply after N requests",
 * "reply from PEER icmp_seq=N" for each of the 5, "5/5 replies". Exits 0
 * when all 5 were answered; 1 with "FAIL: ..." otherwise; 2 on bad usage.
 *
 * NetBSD's headers have only RUMP_* numbers, so the NetBSD structures it
 * passes are defined here.
 */
/*
 * NetBSD's headers use the BSD types (u_long, u_int: glibc's _DEFAULT_SOURCE)
 * and <stdint.h>'s without including them, as NetBSD's own headers would.
 */
#define _DEFAULT_SOURCE 1

#include <sys/types.h>
#include <stdint.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nb_sockaddr_in { /* NetBSD's struct sockaddr_in, 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint16_t sin_port;
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_ifaliasreq { /* NetBSD's struct ifaliasreq, 64 bytes */
	char ifra_name[16];
	struct nb_sockaddr_in ifra_addr;
	struct nb_sockaddr_in ifra_broadaddr;
	struct nb_sockaddr_in ifra_mask;
};

struct nb_ifreq { /* NetBSD's struct ifreq, 144 bytes */
	char ifr_name[16];
	union {
		uint8_t ifru_space[128];
		void *ifru_data; /* 8-aligned, as NetBSD's */
	} ifr_ifru;
};

struct nb_pollfd { /* NetBSD's struct pollfd */
	int fd;
	short events;
	short revents;
};

#define NB_SIOCAIFADDR _RUMP_IOW('i', 26, struct nb_ifaliasreq)
#define NB_SIOCGIFAFLAG_IN _RUMP_IOWR('i', 39, struct nb_ifreq)
#define NB_IN_IFF_TENTATIVE  0x01
#define NB_IN_IFF_DUPLICATED 0x02
#define NB_POLLIN      0x0001
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO      8
#define ECHO_ID        0x4e42
#define ECHO_COUNT     5

typedef char check_sin[sizeof(struct nb_sockaddr_in) == 16 ? 1 : -1];
typedef char check_ifra[sizeof(struct nb_ifaliasreq) == 64 ? 1 : -1];
typedef char check_aifaddr[NB_SIOCAIFADDR == 0x8040691aUL ? 1 : -1];
typedef char check_ifr[sizeof(struct nb_ifreq) == 144 ? 1 : -1];
typedef char check_aflag[NB_SIOCGIFAFLAG_IN == 0xc0906927UL ? 1 : -1];

static void
fail_errno(const char *what, int error)
{
	printf("FAIL: %s: %s\n", what, rump_strerror(error));
	exit(1);
}

static struct nb_sockaddr_in
make_sin(const uint8_t addr[4])
{
	struct nb_sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_len = sizeof(sin);
	sin.sin_family = RUMP_AF_INET;
	memcpy(sin.sin_addr, addr, 4);
	return sin;
}

/* "10.8.0.2/24" -> address and prefix length; 0 on success. */
static int
parse_cidr(const char *text, uint8_t addr[4], unsigned *prefixlen)
{
	char buf[32], *slash, *end;
	unsigned long len;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == slash + 1 || len > 32)
		return -1;
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -1;
	*prefixlen = (unsigned)len;
	return 0;
}

/*
 * Waits while duplicate address detection holds ADDR of IFNAME tentative
 * (no source of packets until then), as `ifconfig -w` does: the address
 * flags (SIOCGIFAFLAG_IN) every 10 ms, for 30 s at most.
 */
static void
wait_until_usable(int s, const char *ifname, const uint8_t addr[4])
{
	struct nb_ifreq ifr;
	struct nb_sockaddr_in sin = make_sin(addr);
	int flags, i;

	for (i = 0; i < 3000; i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		memcpy(ifr.ifr_ifru.ifru_space, &sin, sizeof(sin));
		if (rump_sys_ioctl(s, NB_SIOCGIFAFLAG_IN, &ifr) == -1)
			fail_errno("SIOCGIFAFLAG_IN", errno);
		memcpy(&flags, ifr.ifr_ifru.ifru_space, sizeof(flags));
		if (flags & NB_IN_IFF_DUPLICATED) {
			printf("FAIL: %s: address in use by another station\n", ifname);
			exit(1);
		}
		if (!(flags & NB_IN_IFF_TENTATIVE))
			return;
		usleep(10000);
	}
	printf("FAIL: %s: address still tentative after 30 s\n", ifname);
	exit(1);
}

/* ADDR/PREFIXLEN and its broadcast address on IFNAME. */
static void
configure_address(const char *ifname, const uint8_t addr[4], unsigned prefixlen)
{
	struct nb_ifaliasreq ifra;
	uint32_t mask = prefixlen == 0 ? 0 : ~(uint32_t)0 << (32 - prefixlen);
	uint8_t maskb[4], broad[4];
	int i, s;

	for (i = 0; i < 4; i++) {
		maskb[i] = (uint8_t)(mask >> (24 - 8 * i));
		broad[i] = (uint8_t)(addr[i] | ~maskb[i]);
	}
	memset(&ifra, 0, sizeof(ifra));
	snprintf(ifra.ifra_name, sizeof(ifra.ifra_name), "%s", ifname);
	ifra.ifra_addr = make_sin(addr);
	ifra.ifra_broadaddr = make_sin(broad);
	ifra.ifra_mask = make_sin(maskb);
	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		fail_errno("socket", errno);
	if (rump_sys_ioctl(s, NB_SIOCAIFADDR, &ifra) == -1)
		fail_errno("SIOCAIFADDR", errno);
	wait_until_usable(s, ifname, addr);
	rump_sys_close(s);
}

static uint16_t
internet_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
send_echo(int s, const uint8_t peer[4], unsigned seq)
{
	struct nb_sockaddr_in to = make_sin(peer);
	uint8_t packet[8 + 32];
	uint16_t sum;
	size_t i;

	memset(packet, 0, sizeof(packet));
	packet[0] = ICMP_ECHO;
	packet[4] = ECHO_ID >> 8;
	packet[5] = ECHO_ID & 0xff;
	packet[6] = (uint8_t)(seq >> 8);
	packet[7] = (uint8_t)seq;
	for (i = 8; i < sizeof(packet); i++)
		packet[i] = (uint8_t)i;
	sum = internet_checksum(packet, sizeof(packet));
	packet[2] = (uint8_t)(sum >> 8);
	packet[3] = (uint8_t)sum;
	if (rump_sys_sendto(s, packet, sizeof(packet), 0,
	    (const struct sockaddr *)(const void *)&to, sizeof(to)) == -1)
		fail_errno("sendto", errno);
}

/*
 * Waits up to MS milliseconds for PEER's echo reply with sequence number
 * SEQ, passing over anything else the raw socket delivers (an IPv4 header,
 * then ICMP). 1 when it came.
 */
static int
await_reply(int s, const uint8_t peer[4], unsigned seq, int ms)
{
	uint8_t buf[1500];
	struct nb_sockaddr_in from;
	struct nb_pollfd pfd;
	unsigned int fromlen;
	ssize_t n;
	size_t hlen;

	for (;;) {
		pfd.fd = s;
		pfd.events = NB_POLLIN;
		pfd.revents = 0;
		n = rump_sys_poll((struct pollfd *)(void *)&pfd, 1, ms);
		if (n == -1)
			fail_errno("poll", errno);
		if (n == 0)
			return 0;
		fromlen = sizeof(from);
		n = rump_sys_recvfrom(s, buf, sizeof(buf), 0,
		    (struct sockaddr *)(void *)&from, &fromlen);
		if (n == -1)
			fail_errno("recvfrom", errno);
		if (n < 20 || buf[0] >> 4 != 4)
			continue;
		hlen = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < hlen + 8 || buf[9] != RUMP_IPPROTO_ICMP)
			continue;
		if (buf[hlen] == ICMP_ECHOREPLY &&
		    buf[hlen + 4] == ECHO_ID >> 8 && buf[hlen + 5] == (ECHO_ID & 0xff) &&
		    ((unsigned)buf[hlen + 6] << 8 | buf[hlen + 7]) == seq &&
		    memcmp(from.sin_addr, peer, 4) == 0)
			return 1;
		/* Someone else's packet: keep waiting (a little less, at worst). */
	}
}

int
main(int argc, char **argv)
{
	uint8_t addr[4], peer[4];
	unsigned prefixlen, seq, answered;
	char ifname[16], c;
	int error, unit = -1, s;

	if (argc != 4 || parse_cidr(argv[2], addr, &prefixlen) != 0 ||
	    inet_pton(AF_INET, argv[3], peer) != 1) {
		fprintf(stderr, "usage: %s BUS ADDR/PREFIXLEN PEER\n", argv[0]);
		return 2;
	}

	error = rump_init();
	if (error != 0)
		fail_errno("rump_init", error);
	error = rump_pub_shmif_create(argv[1], &unit);
	if (error != 0)
		fail_errno("rump_pub_shmif_create", error);
	snprintf(ifname, sizeof(ifname), "shmif%d", unit);
	configure_address(ifname, addr, prefixlen);
	printf("%s %s on %s\n", ifname, argv[2], argv[1]);
	fflush(stdout);

	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_RAW, RUMP_IPPROTO_ICMP);
	if (s == -1)
		fail_errno("raw socket", errno);
	for (seq = 1; seq <= 60; seq++) {
		send_echo(s, peer, seq);
		if (await_reply(s, peer, seq, 1000))
			break;
	}
	if (seq > 60) {
		printf("FAIL: no reply from %s to 60 requests\n", argv[3]);
		return 1;
	}
	printf("first reply after %u requests\n", seq);

	answered = 0;
	for (seq = 100; seq < 100 + ECHO_COUNT; seq++) {
		send_echo(s, peer, seq);
		if (await_reply(s, peer, seq, 10000)) {
			printf("reply from %s icmp_seq=%u\n", argv[3], seq);
			answered++;
		} else {
			printf("no reply from %s icmp_seq=%u\n", argv[3], seq);
		}
	}
	printf("%u/%u replies\n", answered, ECHO_COUNT);
	fflush(stdout);
	rump_sys_close(s);

	/* The kernel stays up, answering on the bus, until stdin ends. */
	while (read(0, &c, 1) > 0)
		continue;
	if (answered != ECHO_COUNT) {
		printf("FAIL: %u of %u echo requests answered\n", answered, ECHO_COUNT);
		return 1;
	}
	return 0;
}
