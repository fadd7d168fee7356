#!/usr/bin/env bash
# The lossy-link impairment as a user scripts it: rump.ifconfig's impair
# and -impair, what -v (and -a -v) report, the same settings through
# rump.sysctl (net.link.impair.<ifname>), loss and delay seen by rump.ping
# between two servers on one bus, bad values, and the nodes going away with
# the interface.
source "$(dirname "$0")/lib.sh"

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

# Nothing set: no impair lines.
on $A rump.ifconfig -v shmif0
expect_rc 0
expect_no_out 'impair'

# Set, then read back with -v and with sysctl.
on $A rump.ifconfig shmif0 impair drop 1% duplicate 0.5% reorder 1% delay 5ms seed 42
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_rc 0
expect_out $'^\timpair: drop 1% duplicate 0.5% reorder 1% delay 5ms seed 42$'
expect_out $'^\timpaired: [0-9]+ dropped, [0-9]+ duplicated, [0-9]+ reordered, [0-9]+ delayed$'
on $A rump.sysctl net.link.impair.shmif0.drop net.link.impair.shmif0.duplicate \
  net.link.impair.shmif0.reorder net.link.impair.shmif0.delay_us net.link.impair.shmif0.seed
expect_rc 0
expect_out '^net.link.impair.shmif0.drop = 10000$'
expect_out '^net.link.impair.shmif0.duplicate = 5000$'
expect_out '^net.link.impair.shmif0.reorder = 10000$'
expect_out '^net.link.impair.shmif0.delay_us = 5000$'
expect_out '^net.link.impair.shmif0.seed = 42$'
on $A rump.sysctl net.link.impair.shmif0
expect_out '^net.link.impair.shmif0.dropped = [0-9]+$'
expect_out '^net.link.impair.shmif0.delayed = [0-9]+$'

# rump.sysctl -w, seen by ifconfig -v.
on $A rump.sysctl -w net.link.impair.shmif0.drop=20000
expect_rc 0
expect_out '^net.link.impair.shmif0.drop: 10000 -> 20000$'
on $A rump.ifconfig -v shmif0
expect_out $'^\timpair: drop 2% duplicate 0.5% reorder 1% delay 5ms seed 42$'

# Parts per million; parameters not given keep their values.
on $A rump.ifconfig shmif0 impair reorder 250ppm delay 1.5s
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_out $'^\timpair: drop 2% duplicate 0.5% reorder 0.025% delay 1500ms seed 42$'
on $A rump.ifconfig shmif0 impair delay 250us
on $A rump.ifconfig -v shmif0
expect_out $'^\timpair: drop 2% duplicate 0.5% reorder 0.025% delay 250us seed 42$'

# -a -v: the line for shmif0, none for lo0.
on $A rump.ifconfig -a -v
expect_rc 0
[ "$(printf '%s\n' "$out" | grep -c $'^\timpair:')" -eq 1 ] || fail "want one impair line"

# -impair clears the parameters; the seed stays.
on $A rump.ifconfig shmif0 -impair
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_no_out 'impair'
on $A rump.sysctl -n net.link.impair.shmif0.drop net.link.impair.shmif0.delay_us \
  net.link.impair.shmif0.seed
expect_out_eq $'0\n0\n42'

# Loss: b drops everything it sends, so a's pings get no reply.
on $B rump.ifconfig shmif0 impair drop 100%
expect_rc 0
on $A rump.ping -c 2 -i 0.2 -W 1 10.0.0.2
expect_rc 2
expect_out '^2 packets transmitted, 0 packets received, 100.0% packet loss$'
on $B rump.ifconfig -v shmif0
expect_out $'^\timpaired: [1-9][0-9]* dropped, 0 duplicated, 0 reordered, 0 delayed$'
on $B rump.ifconfig shmif0 -impair
on $A rump.ping -c 2 -i 0.2 10.0.0.2
expect_rc 0
expect_out '^2 packets transmitted, 2 packets received'

# The counters add up until -z zeroes them with the interface's.
on $B rump.ifconfig -z shmif0
expect_rc 0
on $B rump.sysctl -n net.link.impair.shmif0.dropped
expect_out_eq 0
on $B rump.ifconfig shmif0 impair delay 200ms

# Delay: a reply comes at least 200 ms late (a lower bound only).
on $A rump.ping -c 1 10.0.0.2
expect_rc 0
rtt=$(printf '%s\n' "$out" | sed -n 's/^64 bytes from .* time=\([0-9]*\)\..* ms$/\1/p')
[ -n "$rtt" ] && [ "$rtt" -ge 200 ] || fail "round trip ${rtt:-?} ms with 200 ms added"
on $B rump.ifconfig -v shmif0
expect_out $'^\timpaired: 0 dropped, 0 duplicated, 0 reordered, [1-9][0-9]* delayed$'
on $B rump.ifconfig shmif0 -impair

# Bad values: a message naming the problem, usage, exit 1, nothing set.
bad_case() {
  on $A rump.ifconfig shmif0 impair "$@"
  expect_rc 1
  expect_err '^rump.ifconfig: impair: '
  expect_err '^usage:'
}
bad_case drop 150%
bad_case drop 1
bad_case drop 0.00001%
bad_case drop -1%
bad_case duplicate x%
bad_case reorder 1000001ppm
bad_case delay 11s
bad_case delay 5
bad_case delay 0.5us
bad_case seed -1
bad_case seed 0x
bad_case drop
bad_case drop 1% drop 2%
on $A rump.ifconfig shmif0 impair
expect_rc 1
expect_err 'want one or more of drop'
on $A rump.sysctl -n net.link.impair.shmif0.drop
expect_out_eq 0
on $A rump.sysctl -w net.link.impair.shmif0.drop=1000001
expect_rc 1
expect_err 'Invalid argument'
on $A rump.sysctl -w net.link.impair.shmif0.dropped=0
expect_rc 1
expect_err 'Operation not permitted'
on $A rump.ifconfig nosuch0 impair drop 1%
expect_rc 1
expect_err 'nosuch0: Device not configured'

# The nodes go with the interface and come back with a new one.
on $A rump.ifconfig shmif0 impair drop 5%
on $A rump.ifconfig shmif0 destroy
expect_rc 0
on $A rump.sysctl net.link.impair.shmif0.drop
expect_rc 1
expect_err "fourth level name 'shmif0' in 'net.link.impair.shmif0.drop' is invalid"
on $A rump.ifconfig shmif0 create
on $A rump.sysctl -n net.link.impair.shmif0.drop
expect_rc 0
expect_out_eq 0

halt_server $A
halt_server $B
echo PASS
