#!/usr/bin/env bash
# A client that is not root, against a real rump_server: unpriv calls
# setuid(1000) in the server's kernel, then tries to create an interface,
# change lo0 (flags, MTU, metric, addresses, link string), write a sysctl,
# add and delete routes through a routing socket, open raw sockets, bind
# TCP and UDP ports below 1024, raise a hard resource limit it lowered, and
# halt the kernel. Each must fail with NetBSD's errno (EPERM 1, EACCES 13;
# ENXIO and EADDRNOTAVAIL where NetBSD looks those up first), while reads
# (SIOCGIFFLAGS, sysctl, RTM_GET), SO_DEBUG, lowering a limit, and TCP and
# UDP on high ports work. The server keeps serving: a root client (every
# client is root by default) then configures, routes and halts it.
#
# With RUMP_NETBSD_PEER (scripts/test sets it when ../shared/netbsd-peer
# exists), the same unpriv runs against NetBSD's rump_server and must print
# the same lines; without it that part is skipped with a message.
source "$(dirname "$0")/lib.sh"

EXPECTED='setuid 0
getuid 1000
setuid_root 1
ifcreate 1
ifdestroy 1
getflags 0
setflags 1
setflags_noif 6
setmtu 1
setmetric 1
zifdata 1
aifaddr 1
difaddr 1
difaddr_none 49
setlinkstr 1
sysctl_read 0
sysctl_write 1
route_socket 0
route_get 0
route_add 13
route_delete 13
raw_icmp 1
raw_inet6 1
raw_link 1
bind_tcp_80 13
bind_udp_80 13
bind_udp_1023 13
bind_tcp_1024 0
bind_udp_any 0
so_debug 0
rlimit_lower 0
rlimit_raise 1
reboot 1
udp_high 0
tcp_high 0'

A=unix://a
start_server $A
on $A rump.sysctl -n net.inet.ip.forwarding
expect_out_eq "1"
on $A unpriv 1000 5555
expect_rc 0
expect_out_eq "$EXPECTED"

# Nothing the client tried happened, and root may still do all of it.
on $A rump.ifconfig -l
expect_out_eq "lo0"
on $A rump.sysctl -n net.inet.ip.forwarding  # unpriv tried to write 0
expect_out_eq "1"
configure $A shmif0 bus 10.7.0.1/24
on $A rump.sysctl -w net.inet.ip.forwarding=0
expect_rc 0
on $A rump.sysctl -n net.inet.ip.forwarding
expect_out_eq "0"
on $A rump.route add 10.50.0.0/16 10.7.0.2
expect_rc 0
on $A rump.route -n get 10.50.0.1
expect_out 'gateway: 10.7.0.2'
# A second unprivileged client in the same kernel: its own process, the
# same answers (on other high ports: the first client's TCP connection
# lingers in TIME_WAIT).
on $A unpriv 2000 6555
expect_out 'ifcreate 1'
expect_out 'route_add 13'
expect_out 'tcp_high 0'
halt_server $A

if ! netbsd_peer; then
  exit 0
fi
NB=unix://nb
start_netbsd $NB
on $NB unpriv 1000 5555
expect_rc 0
expect_out_eq "$EXPECTED"
echo "NetBSD's kernel gives the same answers"
nb $NB halt
expect_rc 0
