#!/usr/bin/env bash
# Duplicate address detection against NetBSD's rump kernel on one bus (our
# two-kernel cases are in ifconfig_test.sh and rump/netinet/dad_test.cc):
#   - ours takes an address NetBSD's kernel holds: NetBSD's answers our
#     probe, rump.ifconfig warns, the address is DUPLICATED and unused, and
#     ours still reaches NetBSD's kernel at that address (ARP treats it as
#     the other station's);
#   - NetBSD's kernel takes our address: ours answers its probe, NetBSD's
#     marks the address duplicated, ours keeps using it;
#   - NetBSD's own ifconfig against our kernel: its `ifconfig -w` waits
#     until our detection of the address it set has ended.
# Skipped with a message without the peer (RUMP_NETBSD_PEER).
source "$(dirname "$0")/lib.sh"

if ! netbsd_peer; then
  echo PASS
  exit 0
fi

A=unix://a
N=unix://n
start_server $A
start_netbsd $N
configure $A shmif0 bus 10.6.0.1/24
nb_configure $N shmif0 bus 10.6.0.2/24
on $A rump.ping -n -c 1 -w 10 10.6.0.2
expect_rc 0
expect_out '^64 bytes from 10.6.0.2: '

# Ours takes NetBSD's 10.6.0.2.
on $A rump.ifconfig shmif0 inet 10.6.0.2/24 alias
expect_rc 0
expect_err '^rump.ifconfig: shmif0: 10.6.0.2: duplicate address detected \(in use by another station\)'
on $A rump.ifconfig shmif0
expect_out $'^\tinet 10.6.0.1/24 broadcast 10.6.0.255 flags 0x0$'
expect_out $'^\tinet 10.6.0.2/24 broadcast 10.6.0.255 flags 0x2<DUPLICATED>$'
on $A rump.ping -n -c 1 -w 10 10.6.0.2
expect_rc 0
expect_out '^64 bytes from 10.6.0.2: '
# Removed, and set again once NetBSD's kernel lets it go: usable.
on $A rump.ifconfig shmif0 inet 10.6.0.2 -alias
expect_rc 0

# NetBSD's kernel takes our 10.6.0.1: it probes, ours answers, and NetBSD's
# detection marks its copy duplicated (SIOCGIFAFLAG_IN, read with our
# ifconfig: NetBSD's does not show address flags); ours keeps the address.
nb $N ifconfig shmif0 inet 10.6.0.1/24 alias
expect_rc 0
for _i in $(seq 1 1200); do
  on $N rump.ifconfig shmif0
  [[ "$out" == *$'\tinet 10.6.0.1/24 broadcast 10.6.0.255 flags 0x2<DUPLICATED>'* ]] && break
  sleep 0.05
done
expect_out $'^\tinet 10.6.0.1/24 broadcast 10.6.0.255 flags 0x2<DUPLICATED>$'
on $A rump.ifconfig shmif0
expect_out $'^\tinet 10.6.0.1/24 broadcast 10.6.0.255 flags 0x0$'
on $A rump.netstat -s -p arp
expect_out $'^\t\t[1-9][0-9]* packets? with null source IP address$'
nb $N ifconfig shmif0 inet 10.6.0.1 -alias
expect_rc 0

# NetBSD's ifconfig sets an address in our kernel, which probes for it
# 100 times (10 s), and its -w waits for the end: the address is no longer
# tentative when it returns.
on $A rump.sysctl -w net.inet.ip.dad_count=100
expect_rc 0
nb $A ifconfig shmif0 inet 10.6.0.3/24 alias
expect_rc 0
nb $A ifconfig -w 60
expect_rc 0
on $A rump.ifconfig shmif0
expect_out $'^\tinet 10.6.0.3/24 broadcast 10.6.0.255 flags 0x0$'
# Now usable: NetBSD's kernel reaches it.
on $N rump.ping -n -c 1 -w 10 10.6.0.3
expect_rc 0
expect_out '^64 bytes from 10.6.0.3: '

halt_server $A
echo PASS
