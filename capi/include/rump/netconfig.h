/*
 * <rump/netconfig.h>: configuring the network of the kernel in this
 * process without ioctl structures, with NetBSD's function names and
 * prototypes (NetBSD's rumpnet_config component; link -lrump, or NetBSD's
 * -lrumpnet_config, which is the same library here).
 *
 * These act on the in-process kernel that rump_init() booted; as on
 * NetBSD, librumpclient has none of them (a remote client configures its
 * server with ioctls, as rump.ifconfig does).
 *
 * Every function returns 0 or a NetBSD errno (never -1, errno untouched):
 *
 *   ENXIO         no rump_init() yet; or no interface of that name
 *   EINVAL        a NULL argument, address text that is not a dotted quad,
 *                 a prefix length outside 0..32, an unknown cloner or a bad
 *                 unit in ifcreate
 *   EAFNOSUPPORT  the family is not in the kernel (IPv6, always for now)
 *   and whatever the kernel answers the equivalent ioctl or routing
 *   request with (EEXIST, EBUSY, EPERM, ENETUNREACH, ENOTTY, ...).
 *
 * Interface names are at most 15 characters (IFNAMSIZ); a longer name is
 * EINVAL for ifcreate and ENXIO elsewhere (NetBSD cuts it to 15).
 * Addresses are text: "10.0.2.1". NetBSD turns bad address text into
 * 255.255.255.255 and goes on; this kernel refuses it with EINVAL.
 *
 * C99 and C++; C types only.
 */
#ifndef RUMP_NETCONFIG_H_
#define RUMP_NETCONFIG_H_

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates interface IFNAME ("shmif0": a cloner's name and a unit), as
 * `ifconfig IFNAME create`. EEXIST if it exists, EINVAL if no cloner has
 * that name or the unit is not a number.
 */
int rump_pub_netconfig_ifcreate(const char *ifname);

/*
 * Destroys interface IFNAME, as `ifconfig IFNAME destroy`: ENXIO if there
 * is none, EINVAL if no cloner makes such names, EPERM for lo0.
 */
int rump_pub_netconfig_ifdestroy(const char *ifname);

/*
 * Sets or clears IFF_UP, as `ifconfig IFNAME up` / `down`. Bringing up a
 * shmif interface without a bus is ENXIO (IFF_UP stays set, as NetBSD's).
 */
int rump_pub_netconfig_ifup(const char *ifname);
int rump_pub_netconfig_ifdown(const char *ifname);

/*
 * Gives IFNAME its link string, as `ifconfig IFNAME linkstr LINKSTR`; for
 * shmif, the bus file (created if missing). EBUSY while the interface is
 * up or already has one, ENOTTY for interfaces without link strings (lo0),
 * ENOEXEC for a file that is not a bus.
 */
int rump_pub_netconfig_ifsetlinkstr(const char *ifname, const char *linkstr);

/*
 * Adds IPv4 address ADDR with netmask MASK ("255.255.255.0") to IFNAME, or
 * changes the netmask of an address it has, with the broadcast address
 * that the netmask gives; as SIOCAIFADDR does, this brings the interface
 * up. The address is usable as soon as the call returns (no duplicate
 * address detection; the gratuitous ARP has been sent). A netmask of
 * 0.0.0.0 means the address's class netmask, as NetBSD's in_ifinit has it.
 */
int rump_pub_netconfig_ipv4_ifaddr(const char *ifname, const char *addr,
    const char *mask);

/* The same with a prefix length, 0..32 (EINVAL outside). */
int rump_pub_netconfig_ipv4_ifaddr_cidr(const char *ifname, const char *addr,
    int mask);

/*
 * Adds the IPv4 default route through GWADDR, as `route add default
 * GWADDR` (routing sockets hear the RTM_ADD). ENETUNREACH when GWADDR is on
 * no network of an interface, EEXIST when there is a default route.
 */
int rump_pub_netconfig_ipv4_gw(const char *gwaddr);

/*
 * IPv6: this kernel has no IPv6 yet, so these return EAFNOSUPPORT, as
 * NetBSD's do in a kernel without rumpnet_netinet6. auto_ipv6 checks
 * its interface first: ENXIO if there is none, EINVAL if it is not
 * Ethernet.
 */
int rump_pub_netconfig_ipv6_ifaddr(const char *ifname, const char *addr,
    int prefixlen);
int rump_pub_netconfig_ipv6_gw(const char *gwaddr);
int rump_pub_netconfig_auto_ipv6(const char *ifname);

/*
 * Would configure IFNAME with one DHCP exchange. Not implemented: ENOTSUP
 * (NetBSD's 86) for an existing interface, ENXIO for an unknown one.
 */
int rump_pub_netconfig_dhcp_ipv4_oneshot(const char *ifname);

/*
 * Adds IFNAME to / removes it from bridge BRIDGENAME. This kernel has no
 * bridge driver: ENXIO when BRIDGENAME does not exist, ENOTTY when it is
 * an interface (that is not a bridge), as NetBSD answers both.
 */
int rump_pub_netconfig_bradd(const char *bridgename, const char *ifname);
int rump_pub_netconfig_brdel(const char *bridgename, const char *ifname);

#ifdef __cplusplus
}
#endif

#endif /* RUMP_NETCONFIG_H_ */
