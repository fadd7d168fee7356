/*
 * udp_exchange: a rump kernel inside this process (librump), an interface on
 * a shmif bus file, an address, and a UDP exchange with another process on
 * the same bus. Build and run (see README.md, "Using rump from C"):
 *
 *   cc udp_exchange.c $(pkg-config --cflags --libs rump) -o udp_exchange
 *   ./udp_exchange bus 10.0.2.1/24 serve &
 *   ./udp_exchange bus 10.0.2.2/24 send 10.0.2.1 hello
 *
 * The kernel calls are NetBSD's: rump_init(), rump_pub_shmif_create(),
 * rump_pub_netconfig_ipv4_ifaddr_cidr() (<rump/netconfig.h>), then rump_sys_*
 * (exchange.h).
 */
#define _POSIX_C_SOURCE 200112L

#include <rump/netconfig.h>
#include <rump/rump.h>

#include "exchange.h"

static void
attach(const char *bus, const char *addr, unsigned prefixlen, char ifname[16])
{
	int error, unit = -1;

	error = rump_init();
	if (error != 0)
		die("rump_init", error);
	error = rump_pub_shmif_create(bus, &unit);
	if (error != 0)
		die("rump_pub_shmif_create", error);
	snprintf(ifname, 16, "shmif%d", unit);
	/* As SIOCAIFADDR does, the first address also brings it up. */
	error = rump_pub_netconfig_ipv4_ifaddr_cidr(ifname, addr, (int)prefixlen);
	if (error != 0)
		die("rump_pub_netconfig_ipv4_ifaddr_cidr", error);
}

int
main(int argc, char **argv)
{
	return exchange_main(argc, argv, attach);
}
