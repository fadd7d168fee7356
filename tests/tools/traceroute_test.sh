#!/usr/bin/env bash
# rump.traceroute as a user runs it: three rump_servers, a (10.1.0.1) and
# the router r (10.1.0.254) on bus1, r (10.2.0.254) and b (10.2.0.1) on
# bus2. To the neighbour: one line, three times, NetBSD's header on stderr;
# UDP and ICMP (-I) probes, -n or not, -q, -l, -p, the packet length, our
# own address. Two kernels away: hop 1 is the router (its time exceeded),
# hop 2 the destination once the router forwards; until IPv4 forwarding
# exists (branch fwd) hop 2 times out ("*"), and the test says so.
source "$(dirname "$0")/lib.sh"

A=unix://a
R=unix://r
B=unix://b
start_server $A
start_server $R
start_server $B
configure $A shmif0 bus1 10.1.0.1/24
configure $R shmif0 bus1 10.1.0.254/24
configure $R shmif1 bus2 10.2.0.254/24
configure $B shmif0 bus2 10.2.0.1/24

TIME='[0-9]+\.[0-9]{3} ms'

# The neighbour: the destination answers port unreachable at TTL 1.
on $A rump.traceroute -n 10.1.0.254
expect_rc 0
expect_err '^rump.traceroute to 10.1.0.254 \(10.1.0.254\), 64 hops max, 40 byte packets$'
expect_out "^ 1  10\.1\.0\.254  $TIME  $TIME  $TIME\$"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "more than one hop"

# Without -n: no name service in a rump kernel, the name is the address.
on $A rump.traceroute -q 1 10.1.0.254
expect_rc 0
expect_out "^ 1  10\.1\.0\.254 \(10\.1\.0\.254\)  $TIME\$"

# ICMP echo probes; the answer's TTL; another base port; a larger packet.
on $A rump.traceroute -n -I 10.1.0.254
expect_rc 0
expect_out "^ 1  10\.1\.0\.254  $TIME  $TIME  $TIME\$"
on $A rump.traceroute -n -l -q 2 -p 40000 10.1.0.254
expect_rc 0
expect_out "^ 1  10\.1\.0\.254  $TIME \(ttl = [0-9]+\)  $TIME \(ttl = [0-9]+\)\$"
on $A rump.traceroute -n -q 1 10.1.0.254 1000
expect_rc 0
expect_err ', 64 hops max, 1000 byte packets$'
expect_out "^ 1  10\.1\.0\.254  $TIME\$"
on $A rump.traceroute -n -q 1 -I 10.1.0.254 1000
expect_rc 0
expect_out "^ 1  10\.1\.0\.254  $TIME\$"

# Our own address.
on $A rump.traceroute -n -q 1 10.1.0.1
expect_rc 0
expect_out "^ 1  10\.1\.0\.1  $TIME\$"

# The default max_ttl is net.inet.ip.ttl.
on $A rump.sysctl -w net.inet.ip.ttl=12
expect_rc 0
on $A rump.traceroute -n -q 1 10.1.0.254
expect_err ', 12 hops max, 40 byte packets$'
on $A rump.sysctl -w net.inet.ip.ttl=64
expect_rc 0

# Two kernels away: routes both ways through r.
on $A rtadd 10.2.0.0/24 10.1.0.254
expect_rc 0
on $B rtadd 10.1.0.0/24 10.2.0.254
expect_rc 0
# Hop 1 is the router's time exceeded (UDP and ICMP probes alike).
on $A rump.traceroute -n -m 1 10.2.0.1
expect_rc 0
expect_err '^rump.traceroute to 10.2.0.1 \(10.2.0.1\), 1 hops max, 40 byte packets$'
expect_out "^ 1  10\.1\.0\.254  $TIME  $TIME  $TIME\$"
on $A rump.traceroute -n -I -m 1 -q 1 10.2.0.1
expect_rc 0
expect_out "^ 1  10\.1\.0\.254  $TIME\$"

# Does the router forward? (One echo through it, with a deadline.)
on $A rump.ping -c 1 -w 5 10.2.0.1
if [ "$rc" -eq 0 ]; then
  on $A rump.traceroute -n -w 5 10.2.0.1
  expect_rc 0
  expect_out "^ 1  10\.1\.0\.254  $TIME  $TIME  $TIME\$"
  expect_out "^ 2  10\.2\.0\.1  $TIME  $TIME  $TIME\$"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "not two hops"
  on $A rump.traceroute -n -I -q 1 -w 5 10.2.0.1
  expect_rc 0
  expect_out "^ 2  10\.2\.0\.1  $TIME\$"
else
  echo "SKIP: the router does not forward IPv4 yet (branch fwd): hop 2 of the" \
    "two-hop trace is not checked; it times out instead"
  on $A rump.traceroute -n -m 2 -q 1 -w 2 10.2.0.1
  expect_rc 0
  expect_out "^ 1  10\.1\.0\.254  $TIME\$"
  expect_out '^ 2  \*$'
fi

halt_server $A
halt_server $R
halt_server $B
echo PASS
