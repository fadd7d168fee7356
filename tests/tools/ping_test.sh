#!/usr/bin/env bash
# rump.ping between two rump_servers on one bus, as a user scripts it: both
# ways, the interface counters move, -q/-s/-n, NetBSD's statistics lines
# and exit status (0 with replies, 2 without); media none makes ping fail
# and media auto restores it; a deadline (-w) ends a ping to nobody.
source "$(dirname "$0")/lib.sh"

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

on $A rump.ifconfig -v shmif0
in_before=$(printf '%s\n' "$out" | sed -n 's/^\tinput: \([0-9]*\) packet.*/\1/p')

on $A rump.ping -c 3 -i 0.2 10.0.0.2
expect_rc 0
expect_out '^PING 10.0.0.2 \(10.0.0.2\): 56 data bytes$'
expect_out '^64 bytes from 10.0.0.2: icmp_seq=0 ttl=[0-9]+ time=[0-9]+\.[0-9]{3} ms$'
expect_out '^64 bytes from 10.0.0.2: icmp_seq=2 ttl=[0-9]+ time='
expect_out '^----10.0.0.2 PING Statistics----$'
expect_out '^3 packets transmitted, 3 packets received, 0.0% packet loss$'
expect_out '^round-trip min/avg/max/stddev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$'

on $B rump.ping -c 3 -i 0.2 10.0.0.1
expect_rc 0
expect_out '^3 packets transmitted, 3 packets received, 0.0% packet loss$'

# The counters moved.
on $A rump.ifconfig -v shmif0
in_after=$(printf '%s\n' "$out" | sed -n 's/^\tinput: \([0-9]*\) packet.*/\1/p')
[ "$in_after" -ge $((in_before + 6)) ] || fail "input packets $in_before -> $in_after"
expect_out $'^\toutput: [1-9][0-9]* packets'

# -q: the first line and the statistics only; -s: the size.
on $A rump.ping -q -c 2 -i 0.2 10.0.0.2
expect_rc 0
expect_no_out 'bytes from'
expect_out '^2 packets transmitted, 2 packets received'
on $A rump.ping -n -s 100 -c 1 10.0.0.2
expect_rc 0
expect_out '^PING 10.0.0.2 \(10.0.0.2\): 100 data bytes$'
expect_out '^108 bytes from 10.0.0.2: icmp_seq=0 '

# media none on b: no replies, exit 2; media auto: replies again.
on $B rump.ifconfig shmif0 media none
expect_rc 0
on $A rump.ping -c 2 -i 0.2 -W 1 10.0.0.2
expect_rc 2
expect_out '^2 packets transmitted, 0 packets received, 100.0% packet loss$'
on $B rump.ifconfig shmif0 media auto
expect_rc 0
on $A rump.ping -c 2 -i 0.2 10.0.0.2
expect_rc 0
expect_out '^2 packets transmitted, 2 packets received'

# Nobody there: the deadline ends it, exit 2.
on $A rump.ping -w 1 -i 0.2 10.0.0.99
expect_rc 2
expect_out ' 0 packets received'

halt_server $A
halt_server $B
echo PASS
