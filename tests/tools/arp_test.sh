#!/usr/bin/env bash
# rump.arp as a user runs it against two rump_servers on one bus: the table
# after a ping (-a, -n, one host, no entry), entries set by hand (-s,
# permanent, temp, pub: proxy ARP answered for), from a file (-f), deleted
# one by one and all at once (-d, -d -a), and NetBSD's messages for what
# cannot be done.
source "$(dirname "$0")/lib.sh"

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

mac_of() {
  RUMP_SERVER=$1 rump.ifconfig shmif0 | sed -n 's/^[[:space:]]*address: \([0-9a-f:]*\).*/\1/p'
}
MAC_A=$(mac_of $A)
MAC_B=$(mac_of $B)
[ -n "$MAC_A" ] && [ -n "$MAC_B" ] || fail "no MAC addresses ($MAC_A, $MAC_B)"

on $A rump.ping -c 1 10.0.0.2
expect_rc 0

# The table: our own address (permanent), then the neighbour.
on $A rump.arp -an
expect_rc 0
expect_out_eq "? (10.0.0.1) at $MAC_A on shmif0 permanent
? (10.0.0.2) at $MAC_B on shmif0"
on $A rump.arp -a
expect_rc 0
expect_out "^\? \(10\.0\.0\.2\) at $MAC_B on shmif0\$"
on $A rump.arp 10.0.0.2
expect_rc 0
expect_out_eq "? (10.0.0.2) at $MAC_B on shmif0"
on $A rump.arp -n 10.0.0.1
expect_rc 0
expect_out_eq "? (10.0.0.1) at $MAC_A on shmif0 permanent"
on $A rump.arp 10.0.0.77
expect_rc 1
expect_err '^rump.arp: 10.0.0.77 \(10.0.0.77\) -- no entry$'
on $A rump.arp nosuchhost
expect_rc 1
expect_err '^rump.arp: nosuchhost: Host name lookup failure$'

# Set by hand: permanent; temp and published (not permanent).
on $A rump.arp -s 10.0.0.77 02:00:00:00:00:77
expect_rc 0
expect_out_eq ""
on $A rump.arp -v -s 10.0.0.78 2:0:0:0:0:78 temp pub
expect_rc 0
expect_out_eq "10.0.0.78 (2:0:0:0:0:78) added"
on $A rump.arp -n 10.0.0.77
expect_out_eq "? (10.0.0.77) at 02:00:00:00:00:77 on shmif0 permanent"
on $A rump.arp -n 10.0.0.78
expect_out_eq "? (10.0.0.78) at 02:00:00:00:00:78 on shmif0 published (proxy only)"
# Set again: replaced.
on $A rump.arp -s 10.0.0.77 02:00:00:00:07:77
expect_rc 0
on $A rump.arp -n 10.0.0.77
expect_out_eq "? (10.0.0.77) at 02:00:00:00:07:77 on shmif0 permanent"

# Proxy ARP: b asks for 10.0.0.79, published by a with its own address.
on $A rump.arp -s 10.0.0.79 "$MAC_A" pub
expect_rc 0
on $B rump.ping -c 1 -W 1 10.0.0.79
for _i in $(seq 1 1200); do
  on $B rump.arp -n 10.0.0.79
  [ "$rc" -eq 0 ] && break
  sleep 0.05
done
expect_rc 0
expect_out_eq "? (10.0.0.79) at $MAC_A on shmif0"

# What cannot be done, with NetBSD's messages.
on $A rump.arp -s 10.0.0.80 zz:00
expect_rc 1
expect_err "^rump.arp: invalid link-level address 'zz:00'\$"
on $A rump.arp -s 10.0.0.80 02:00
expect_rc 1
expect_err '^rump.arp: writing to routing socket: Invalid argument$'
on $A rump.arp -s 10.9.0.1 02:00:00:00:00:01
expect_rc 1
expect_err '^rump.arp: writing to routing socket: No such process$'
expect_err '^rump.arp: 10.9.0.1: No such process$'
on $A rump.arp -s 10.0.0.1 02:00:00:00:00:01
expect_rc 1
expect_err '^rump.arp: writing to routing socket: File exists$'
# (NetBSD 7's arp reports a refused delete but exits 0.)
on $A rump.arp -d 10.0.0.1
expect_rc 0
expect_err '^rump.arp: writing to routing socket: Operation not permitted$'
on $A rump.arp -s 10.0.0.81 02:00:00:00:00:81 trailers
expect_rc 0
expect_err '^rump.arp: 10.0.0.81: Sending trailers is no longer supported$'

# Deleted: one, verbosely; then all but our own address.
on $A rump.arp -d 10.0.0.77
expect_rc 0
expect_out_eq ""
on $A rump.arp -v -d 10.0.0.78
expect_rc 0
expect_out_eq "10.0.0.78 (10.0.0.78) deleted"
on $A rump.arp -an
expect_no_out '10\.0\.0\.7[78]'
expect_out '10\.0\.0\.2\) at'
on $A rump.arp -d -a
expect_rc 0
on $A rump.arp -an
expect_out_eq "? (10.0.0.1) at $MAC_A on shmif0 permanent"

# From a file: good lines set, a bad one reported.
cat >ethers <<EOT
# comment
10.0.0.90 02:00:00:00:00:90
10.0.0.91 02:00:00:00:00:91 temp
junk
EOT
on $A rump.arp -f ethers
expect_rc 1
expect_err '^rump.arp: bad line: junk$'
on $A rump.arp -an
expect_out '^\? \(10\.0\.0\.90\) at 02:00:00:00:00:90 on shmif0 permanent$'
expect_out '^\? \(10\.0\.0\.91\) at 02:00:00:00:00:91 on shmif0$'
on $A rump.arp -f nothere
expect_rc 1
expect_err '^rump.arp: Cannot open nothere: No such file or directory$'

halt_server $A
halt_server $B
echo PASS
