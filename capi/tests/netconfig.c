/*
 * netconfig: what a NetBSD rump kernel program does to configure a shmif
 * interface, in C99 against the C API only (run by netconfig_test.sh in a
 * scratch directory):
 *
 *   rump_init(); then <rump/netconfig.h>: create shmif0, link string
 *   "bus", 10.0.2.1 netmask 255.255.255.0, up, default route via
 *   10.0.2.254; read it back with SIOCGIFFLAGS, SIOCGIFADDR and the
 *   NET_RT_IFLIST sysctl, and wait until the interface has sent a frame
 *   on the bus.
 *
 * The configuration needs no NetBSD structure; reading it back does, and,
 * as NetBSD says clients must, the program defines those it needs itself
 * (rumpdefs.h has only the RUMP_* families).
 */
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

/* ---- NetBSD layouts (rump/abi/socket.h, if.h, route.h) ----------------- */

struct nb_sockaddr_in { /* 16 bytes */
	uint8_t sin_len;
	uint8_t sin_family;
	uint8_t sin_port[2];
	uint8_t sin_addr[4];
	uint8_t sin_zero[8];
};

struct nb_ifreq { /* 144 bytes */
	char ifr_name[16];
	union {
		struct nb_sockaddr_in ifru_addr;
		short ifru_flags;
		uint8_t ifru_space[128];
		void *ifru_data; /* makes the union 8-aligned, as NetBSD's */
	} ifr_ifru;
};

#define NB_SIOCGIFFLAGS _RUMP_IOWR('i', 17, struct nb_ifreq)
#define NB_SIOCGIFADDR  _RUMP_IOWR('i', 33, struct nb_ifreq)

/* Compile-time checks of the layouts against the spec's numbers. */
typedef char check_sin[sizeof(struct nb_sockaddr_in) == 16 ? 1 : -1];
typedef char check_ifr[sizeof(struct nb_ifreq) == 144 ? 1 : -1];
typedef char check_gifflags[NB_SIOCGIFFLAGS == 0xc0906911UL ? 1 : -1];
typedef char check_gifaddr[NB_SIOCGIFADDR == 0xc0906921UL ? 1 : -1];

#define NB_IFF_UP      0x0001
#define NB_IFF_RUNNING 0x0040

#define NB_CTL_NET      4
#define NB_NET_RT_IFLIST 5
#define NB_RTM_VERSION  4
#define NB_RTM_NEWADDR  0x0c
#define NB_RTM_IFINFO   0x14
#define NB_RTA_NETMASK  0x04
#define NB_RTA_IFP      0x10
#define NB_RTA_IFA      0x20
#define NB_RTA_BRD      0x80
#define NB_RTAX_MAX     9
#define NB_IF_MSGHDR_LEN  152 /* struct if_msghdr */
#define NB_IFA_MSGHDR_LEN 24  /* struct ifa_msghdr */

static const uint8_t kAddr[4] = {10, 0, 2, 1};
static const uint8_t kMask[4] = {255, 255, 255, 0};
static const uint8_t kBroad[4] = {10, 0, 2, 255};

static void
die(const char *what, int error)
{
	fprintf(stderr, "netconfig: %s: %s\n", what, rump_strerror(error));
	exit(1);
}

static unsigned
u16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8; /* little-endian host fields */
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;
	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* RT_ROUNDUP: sockaddrs after a routing header take multiples of 8. */
static size_t
roundup8(size_t len)
{
	return len == 0 ? 8 : (len + 7) & ~(size_t)7;
}

/*
 * Reads NET_RT_IFLIST and reports interface `ifname`: its index, output
 * packet count, and whether it carries 10.0.2.1/24 with broadcast
 * 10.0.2.255. Returns 1 when it does. `verbose` prints what was found.
 */
static int
read_iflist(const char *ifname, uint64_t *opackets, int verbose)
{
	int mib[6] = {NB_CTL_NET, RUMP_PF_ROUTE, 0, 0, NB_NET_RT_IFLIST, 0};
	size_t len = 0, off;
	uint8_t *buf;
	unsigned ifindex = 0;
	int found = 0;

	if (rump_sys___sysctl(mib, 6, NULL, &len, NULL, 0) == -1)
		die("sysctl NET_RT_IFLIST size", errno);
	buf = malloc(len);
	if (buf == NULL)
		die("malloc", RUMP_ENOMEM);
	if (rump_sys___sysctl(mib, 6, buf, &len, NULL, 0) == -1)
		die("sysctl NET_RT_IFLIST", errno);

	for (off = 0; off + 4 <= len;) {
		const uint8_t *m = buf + off;
		unsigned msglen = u16(m), type = m[3];
		if (msglen < 4 || off + msglen > len || m[2] != NB_RTM_VERSION) {
			fprintf(stderr, "netconfig: bad routing message at %zu\n", off);
			exit(1);
		}
		if (type == NB_RTM_IFINFO && msglen >= NB_IF_MSGHDR_LEN + 8) {
			/* RTA_IFP: the interface's sockaddr_dl, name at sdl_data. */
			const uint8_t *sdl = m + NB_IF_MSGHDR_LEN;
			unsigned nlen = sdl[5];
			if ((m[4] & NB_RTA_IFP) && nlen == strlen(ifname) &&
			    memcmp(sdl + 8, ifname, nlen) == 0) {
				ifindex = u16(m + 12);
				/* ifm_data at 16, ifi_opackets at 48 in it */
				*opackets = u64(m + 16 + 48);
				if (verbose)
					printf("iflist: %s index %u flags 0x%x\n",
					    ifname, ifindex, (unsigned)(u16(m + 8)));
			}
		} else if (type == NB_RTM_NEWADDR && ifindex != 0 &&
		    u16(m + 16) == ifindex) {
			const uint8_t *sa[NB_RTAX_MAX] = {NULL};
			const uint8_t *p = m + NB_IFA_MSGHDR_LEN;
			unsigned addrs = u16(m + 4), bit;
			for (bit = 0; bit < NB_RTAX_MAX; bit++) {
				if (!(addrs & (1u << bit)))
					continue;
				if (p >= m + msglen)
					break;
				sa[bit] = p;
				p += roundup8(p[0]);
			}
			/* RTAX_NETMASK 2, RTAX_IFA 5, RTAX_BRD 7 */
			if (sa[5] != NULL && sa[5][1] == RUMP_AF_INET &&
			    memcmp(sa[5] + 4, kAddr, 4) == 0) {
				uint8_t mask[4] = {0, 0, 0, 0};
				unsigned i;
				if (sa[2] != NULL)
					for (i = 0; i < 4 && 4 + i < sa[2][0]; i++)
						mask[i] = sa[2][4 + i];
				found = memcmp(mask, kMask, 4) == 0 && sa[7] != NULL &&
				    memcmp(sa[7] + 4, kBroad, 4) == 0;
				if (verbose)
					printf("iflist: %s inet %u.%u.%u.%u netmask "
					    "%u.%u.%u.%u broadcast %s\n", ifname,
					    kAddr[0], kAddr[1], kAddr[2], kAddr[3],
					    mask[0], mask[1], mask[2], mask[3],
					    sa[7] != NULL ? "present" : "missing");
			}
		}
		off += msglen;
	}
	free(buf);
	return found;
}

int
main(void)
{
	static const char ifname[] = "shmif0";
	struct nb_ifreq ifr;
	uint64_t opackets = 0;
	int error, s, i;

	error = rump_init();
	if (error != 0)
		die("rump_init", error);
	error = rump_pub_netconfig_ifcreate(ifname);
	if (error != 0)
		die("rump_pub_netconfig_ifcreate", error);
	error = rump_pub_netconfig_ifsetlinkstr(ifname, "bus");
	if (error != 0)
		die("rump_pub_netconfig_ifsetlinkstr", error);
	printf("created %s on bus\n", ifname);
	error = rump_pub_netconfig_ipv4_ifaddr(ifname, "10.0.2.1", "255.255.255.0");
	if (error != 0)
		die("rump_pub_netconfig_ipv4_ifaddr", error);
	error = rump_pub_netconfig_ifup(ifname);
	if (error != 0)
		die("rump_pub_netconfig_ifup", error);
	error = rump_pub_netconfig_ipv4_gw("10.0.2.254");
	if (error != 0)
		die("rump_pub_netconfig_ipv4_gw", error);
	printf("default route via 10.0.2.254\n");

	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		die("socket", errno);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (rump_sys_ioctl(s, NB_SIOCGIFFLAGS, &ifr) == -1)
		die("SIOCGIFFLAGS", errno);
	printf("flags 0x%x%s\n", (unsigned)(unsigned short)ifr.ifr_ifru.ifru_flags,
	    (ifr.ifr_ifru.ifru_flags & (NB_IFF_UP | NB_IFF_RUNNING)) ==
		(NB_IFF_UP | NB_IFF_RUNNING) ? " up running" : "");

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (rump_sys_ioctl(s, NB_SIOCGIFADDR, &ifr) == -1)
		die("SIOCGIFADDR", errno);
	printf("SIOCGIFADDR: len %u family %u addr %u.%u.%u.%u\n",
	    ifr.ifr_ifru.ifru_addr.sin_len, ifr.ifr_ifru.ifru_addr.sin_family,
	    ifr.ifr_ifru.ifru_addr.sin_addr[0], ifr.ifr_ifru.ifru_addr.sin_addr[1],
	    ifr.ifr_ifru.ifru_addr.sin_addr[2], ifr.ifr_ifru.ifru_addr.sin_addr[3]);
	if (ifr.ifr_ifru.ifru_addr.sin_len != 16 ||
	    ifr.ifr_ifru.ifru_addr.sin_family != RUMP_AF_INET ||
	    memcmp(ifr.ifr_ifru.ifru_addr.sin_addr, kAddr, 4) != 0) {
		fprintf(stderr, "netconfig: SIOCGIFADDR gave the wrong address\n");
		return 1;
	}

	if (!read_iflist(ifname, &opackets, 1)) {
		fprintf(stderr, "netconfig: NET_RT_IFLIST lacks 10.0.2.1/24 "
		    "broadcast 10.0.2.255 on %s\n", ifname);
		return 1;
	}

	/* Wait (up to 10 s) until the interface has sent something. */
	for (i = 0; i < 100 && opackets == 0; i++) {
		struct {
			int64_t tv_sec;
			long tv_nsec;
		} tenth = {0, 100000000L};
		rump_sys_nanosleep((const struct timespec *)(const void *)&tenth, NULL);
		read_iflist(ifname, &opackets, 0);
	}
	printf("sent %lu frame(s)\n", (unsigned long)opackets);
	if (opackets == 0) {
		fprintf(stderr, "netconfig: %s sent nothing in 10 s\n", ifname);
		return 1;
	}
	rump_sys_close(s);
	return 0;
}
