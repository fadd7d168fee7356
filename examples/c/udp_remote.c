/*
 * udp_remote: the same exchange as udp_exchange, made by a client of a rump
 * kernel that runs in a rump_server process (librumpclient). The client
 * creates the interface, attaches it to the bus and gives it its address
 * with ioctls, as NetBSD's `rump.ifconfig shmif0 create; rump.ifconfig
 * shmif0 linkstr BUS; rump.ifconfig shmif0 inet ADDR/LEN` does:
 * <rump/netconfig.h> configures an in-process kernel only (NetBSD's too),
 * so a remote client needs the NetBSD structures, defined here. Build and run (see README.md, "Using rump from C"):
 *
 *   cc udp_remote.c $(pkg-config --cflags --libs rumpclient) -o udp_remote
 *   rump_server -lrumpnet_shmif -lrumpnet_netinet unix://sock
 *   RUMP_SERVER=unix://sock ./udp_remote bus 10.0.2.2/24 send 10.0.2.1 hello
 *
 * (with `udp_exchange bus 10.0.2.1/24 serve` answering on the same bus).
 * The bus path is opened by the server: give an absolute path, or one
 * relative to the server's working directory.
 */
#define _POSIX_C_SOURCE 200112L

#include <rump/rumpclient.h>

#include <time.h>

#include "exchange.h"

struct nb_ifaliasreq { /* 64 bytes */
	char ifra_name[16];
	struct nb_sockaddr_in ifra_addr;
	struct nb_sockaddr_in ifra_broadaddr;
	struct nb_sockaddr_in ifra_mask;
};

struct nb_ifreq { /* 144 bytes */
	char ifr_name[16];
	union {
		short ifru_flags;
		uint8_t ifru_space[128];
		void *ifru_data; /* 8-aligned, as NetBSD's */
	} ifr_ifru;
};

struct nb_ifdrv { /* 40 bytes */
	char ifd_name[16];
	unsigned long ifd_cmd;
	size_t ifd_len;
	void *ifd_data;
};

#define NB_SIOCAIFADDR   _RUMP_IOW('i', 26, struct nb_ifaliasreq)
#define NB_SIOCGIFAFLAG_IN _RUMP_IOWR('i', 39, struct nb_ifreq)
#define NB_IN_IFF_TENTATIVE  0x01
#define NB_IN_IFF_DUPLICATED 0x02
#define NB_SIOCIFCREATE  _RUMP_IOW('i', 122, struct nb_ifreq)
#define NB_SIOCSLINKSTR  _RUMP_IOW('i', 136, struct nb_ifdrv)

typedef char check_ifra[sizeof(struct nb_ifaliasreq) == 64 ? 1 : -1];
typedef char check_ifr[sizeof(struct nb_ifreq) == 144 ? 1 : -1];
typedef char check_ifd[sizeof(struct nb_ifdrv) == 40 ? 1 : -1];
typedef char check_aifaddr[NB_SIOCAIFADDR == 0x8040691aUL ? 1 : -1];
typedef char check_aflag[NB_SIOCGIFAFLAG_IN == 0xc0906927UL ? 1 : -1];
typedef char check_ifcreate[NB_SIOCIFCREATE == 0x8090697aUL ? 1 : -1];
typedef char check_slinkstr[NB_SIOCSLINKSTR == 0x80286988UL ? 1 : -1];

/*
 * Waits while duplicate address detection holds ADDR of IFNAME tentative
 * (an unusable source until then), as `ifconfig -w` does: polls the
 * address flags (SIOCGIFAFLAG_IN) every 10 ms, for up to 30 s. An address
 * another station holds ends duplicated: that is fatal here.
 */
static void
wait_until_usable(int s, const char *ifname, const uint8_t addr[4])
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	struct nb_ifreq ifr;
	struct nb_sockaddr_in sin = make_sin(addr, 0);
	int flags, i;

	for (i = 0; i < 3000; i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		memcpy(ifr.ifr_ifru.ifru_space, &sin, sizeof(sin));
		if (rump_sys_ioctl(s, NB_SIOCGIFAFLAG_IN, &ifr) == -1)
			die("SIOCGIFAFLAG_IN", errno);
		memcpy(&flags, ifr.ifr_ifru.ifru_space, sizeof(flags));
		if (flags & NB_IN_IFF_DUPLICATED) {
			fprintf(stderr, "example: %s: address in use by another "
			    "station (duplicate address detection)\n", ifname);
			exit(1);
		}
		if (!(flags & NB_IN_IFF_TENTATIVE))
			return;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "example: %s: address still tentative after 30 s\n",
	    ifname);
	exit(1);
}

/*
 * Gives interface IFNAME the address ADDR/PREFIXLEN and the matching
 * broadcast address (SIOCAIFADDR on socket S; as on NetBSD, the first
 * address also brings the interface up).
 */
static void
configure_address(int s, const char *ifname, const char *addrtext, unsigned prefixlen)
{
	struct nb_ifaliasreq ifra;
	uint32_t mask = prefixlen == 0 ? 0 : ~(uint32_t)0 << (32 - prefixlen);
	uint8_t addr[4], maskb[4], broad[4];
	int i;

	if (inet_pton(AF_INET, addrtext, addr) != 1)
		die("inet_pton", RUMP_EINVAL);
	for (i = 0; i < 4; i++) {
		maskb[i] = (uint8_t)(mask >> (24 - 8 * i));
		broad[i] = (uint8_t)(addr[i] | ~maskb[i]);
	}
	memset(&ifra, 0, sizeof(ifra));
	snprintf(ifra.ifra_name, sizeof(ifra.ifra_name), "%s", ifname);
	ifra.ifra_addr = make_sin(addr, 0);
	ifra.ifra_broadaddr = make_sin(broad, 0);
	ifra.ifra_mask = make_sin(maskb, 0);
	if (rump_sys_ioctl(s, NB_SIOCAIFADDR, &ifra) == -1)
		die("SIOCAIFADDR", errno);
	wait_until_usable(s, ifname, addr);
}

static void
attach(const char *bus, const char *addr, unsigned prefixlen, char ifname[16])
{
	struct nb_ifreq ifr;
	struct nb_ifdrv ifd;
	int s, unit;

	if (rumpclient_init() == -1) {
		perror("example: rumpclient_init");
		exit(1);
	}
	s = rump_sys_socket(RUMP_PF_INET, RUMP_SOCK_DGRAM, 0);
	if (s == -1)
		die("socket", errno);
	/* The lowest free shmifN. */
	for (unit = 0;; unit++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "shmif%d", unit);
		if (rump_sys_ioctl(s, NB_SIOCIFCREATE, &ifr) == 0)
			break;
		if (errno != RUMP_EEXIST || unit == 99)
			die("SIOCIFCREATE", errno);
	}
	memset(&ifd, 0, sizeof(ifd));
	snprintf(ifd.ifd_name, sizeof(ifd.ifd_name), "shmif%d", unit);
	ifd.ifd_cmd = 0;
	ifd.ifd_len = strlen(bus) + 1;
	ifd.ifd_data = (void *)(uintptr_t)bus;
	if (rump_sys_ioctl(s, NB_SIOCSLINKSTR, &ifd) == -1)
		die("SIOCSLINKSTR", errno);
	snprintf(ifname, 16, "shmif%d", unit);
	configure_address(s, ifname, addr, prefixlen);
	rump_sys_close(s);
}

int
main(int argc, char **argv)
{
	return exchange_main(argc, argv, attach);
}
