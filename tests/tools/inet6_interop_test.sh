#!/usr/bin/env bash
# IPv6 against NetBSD's rump kernel on one bus: our rump_server with the
# netinet6 component and NetBSD's with rumpnet_netinet6. NetBSD's own
# ifconfig gives both kernels their global addresses (on ours it speaks
# the NetBSD ABI: SIOCAIFADDR_IN6, then getifaddrs through NET_RT_IFLIST
# and SIOCGIFAFLAG_IN6 to list them), NetBSD's ping6 in NetBSD's kernel
# reaches our global and link-local addresses (Neighbor Discovery both
# ways, ICMPv6 echo), NetBSD's ndp lists our MAC, and NetBSD's ping6 run
# against our kernel (our raw ICMPv6 sockets) reaches NetBSD's kernel.
# Then our own tools against our kernel: rump.ifconfig adds and lists an
# inet6 alias, rump.ping6 reaches NetBSD's kernel from ours.
# Skipped with a message without the peer (RUMP_NETBSD_PEER).
source "$(dirname "$0")/lib.sh"

if ! netbsd_peer; then
  echo PASS
  exit 0
fi

A=unix://a
N=unix://n
start_server $A -lrumpnet_netinet6
start_netbsd $N -lrumpnet_netinet6
on $A rump.ifconfig shmif0 create
expect_rc 0
on $A rump.ifconfig shmif0 linkstr bus
expect_rc 0
on $A rump.ifconfig shmif0 up
expect_rc 0
nb_configure $N shmif0 bus 10.7.0.1/24

# NetBSD's ifconfig sets the addresses in both kernels.
nb $N ifconfig shmif0 inet6 2001:db8::1/64
expect_rc 0
nb $A ifconfig shmif0 inet6 2001:db8::2/64
expect_rc 0

# Our link-local address: fe80:: and the modified EUI-64 of our MAC.
nb $A ifconfig shmif0
expect_rc 0
expect_no_err .
expect_out $'^\tinet6 2001:db8::2 prefixlen 64$'
expect_out $'^\tinet6 fe80::[0-9a-f:]+%shmif0 prefixlen 64 scopeid 0x2$'
mac=$(printf '%s\n' "$out" | sed -n 's/^.*address: \([0-9a-f:]*\).*$/\1/p' | head -1)
[ -n "$mac" ] || fail "no MAC address in ifconfig's output"
ll=$(printf '%s\n' "$out" | sed -n 's/^\tinet6 \(fe80::[0-9a-f:]*\)%shmif0.*$/\1/p' | head -1)
nb $A ifconfig lo0
expect_rc 0
expect_out $'^\tinet6 ::1 prefixlen 128$'
expect_out $'^\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1$'

# NetBSD's new address is tentative while its duplicate address detection
# runs: its ifconfig -w waits for the end.
nb $N ifconfig -w 30
expect_rc 0
nb $N ping6 -n -c 3 2001:db8::2
expect_rc 0
expect_out '^16 bytes from 2001:db8::2, icmp_seq=2'
expect_out ' 0.0% packet loss'
nb $N ping6 -n -c 3 "$ll%shmif0"
expect_rc 0
expect_out "^16 bytes from $ll%shmif0, icmp_seq=2"
nb $N ndp -an
expect_rc 0
expect_out "^2001:db8::2 +$mac +shmif0 "


# NetBSD's ping6 run against our kernel (raw ICMPv6 socket, source chosen
# through a connected datagram socket, IPV6_PKTINFO on receipt) reaches
# NetBSD's kernel, at its global and link-local addresses.
nb $A ping6 -n -c 3 2001:db8::1
expect_rc 0
expect_out '^16 bytes from 2001:db8::1, icmp_seq=2 hlim=64'
nb $N ifconfig shmif0
nbll=$(printf '%s\n' "$out" | sed -n 's/^\tinet6 \(fe80::[0-9a-f:]*\)%shmif0.*$/\1/p' | head -1)
[ -n "$nbll" ] || fail "no link-local address in NetBSD's ifconfig output"
nb $A ping6 -n -c 3 "$nbll%shmif0"
expect_rc 0
expect_out "^16 bytes from $nbll%shmif0, icmp_seq=2 hlim=64"

# Our tools against our kernel.
on $A rump.ifconfig shmif0 inet6 2001:db8::3/64 alias
expect_rc 0
on $A rump.ifconfig shmif0 inet6
expect_rc 0
expect_out $'^\tinet6 2001:db8::2/64 flags 0x0$'
expect_out $'^\tinet6 2001:db8::3/64 flags 0x0$'
expect_out $'^\tinet6 fe80::[0-9a-f:]+%shmif0/64 flags 0x0 scopeid 0x2$'
expect_no_out $'^\tinet '
on $A rump.ping6 -n -c 3 -S 2001:db8::3 2001:db8::1
expect_rc 0
expect_out '^PING6\(56=40\+8\+8 bytes\) 2001:db8::3 --> 2001:db8::1$'
expect_out '^16 bytes from 2001:db8::1, icmp_seq=2 hlim=64 time='
expect_out '^3 packets transmitted, 3 packets received, 0.0% packet loss$'
on $A rump.ping6 -n -c 2 "$nbll%shmif0"
expect_rc 0
expect_out "^16 bytes from $nbll%shmif0, icmp_seq=1 hlim=64 time="
on $A rump.ifconfig shmif0 inet6 2001:db8::3 -alias
expect_rc 0
on $A rump.ifconfig shmif0 inet6
expect_no_out '2001:db8::3'

halt_server $A
echo PASS
