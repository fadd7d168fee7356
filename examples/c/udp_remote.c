/*
 * udp_remote: the same exchange as udp_exchange, made by a client of a rump
 * kernel that runs in a rump_server process (librumpclient). The client
 * creates the interface and attaches it to the bus with ioctls, as
 * NetBSD's `rump.ifconfig shmif0 create; rump.ifconfig shmif0 linkstr BUS`
 * does. Build and run (see README.md, "Using rump from C"):
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

#include "exchange.h"

static void
attach(const char *bus, char ifname[16])
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
	rump_sys_close(s);
	snprintf(ifname, 16, "shmif%d", unit);
}

int
main(int argc, char **argv)
{
	return exchange_main(argc, argv, attach);
}
