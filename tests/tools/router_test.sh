#!/usr/bin/env bash
# A router between two buses, as a user builds it from the tools: kernel a on
# bus1, kernel b on bus2, kernel r on both, forwarding (net.inet.ip.forwarding
# is 1 in a rump kernel). Checked:
#   - no route on a: ping says so; rump.route add on a and b, and pings cross
#     r both ways (TTL one less); rump.route monitor on a shows the add;
#   - rump.traceroute from a lists r, then b;
#   - a TTL of 1 runs out at r (ping -T 1: "Time To Live exceeded" from r);
#   - with r's bus2 leg at MTU 1000, a 1400-byte ping crosses (r fragments)
#     and with -D it is answered "frag needed and DF set.  Next MTU=1000";
#   - rump.route delete on a: the route is gone (ping fails), the monitor
#     shows the delete; r's forwarding counters moved.
# With the NetBSD peer (RUMP_NETBSD_PEER, set by scripts/test when
# ../shared/netbsd-peer exists; skipped with a message otherwise), on the
# same buses:
#   - NetBSD's kernel as the router between our a and b (rump.route change
#     on a and b), traceroute listing it, its time exceeded;
#   - our r as the router between two NetBSD kernels, driven by NetBSD's own
#     ifconfig, route, ping (-D too) and traceroute.
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

# Without a route, a cannot send to b's network.
on $A rump.ping -c 1 -w 1 10.2.0.1
expect_rc 2
expect_err 'sendto: No route to host'

# The monitor: in the background, its output in a file.
RUMP_SERVER=$A rump.route -n monitor >monitor.out 2>&1 </dev/null &
monitor=$!
_pids="$_pids $monitor"
# wait_for FILE PATTERN: polls (a minute at most) until FILE has PATTERN.
wait_for() {
  for _i in $(seq 1 1200); do
    grep -E -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "--- $1:" >&2
  cat "$1" >&2
  fail "no /$2/ in $1"
}
# The monitor is listening once it shows a message: an address added and
# removed until it does (it may not have its socket yet the first time).
for _i in $(seq 1 100); do
  on $A rump.ifconfig shmif0 inet 10.1.0.11/24 alias
  expect_rc 0
  on $A rump.ifconfig shmif0 inet 10.1.0.11 -alias
  expect_rc 0
  grep -q 'RTM_DELADDR' monitor.out && break
done
wait_for monitor.out 'RTM_DELADDR'

on $A rump.route add -net 10.2.0.0/24 10.1.0.254
expect_rc 0
expect_out '^add net 10.2.0.0: gateway 10.1.0.254$'
on $B rump.route add default 10.2.0.254
expect_rc 0
expect_out '^add net default: gateway 10.2.0.254$'
wait_for monitor.out 'RTM_ADD'

on $A rump.ping -n -c 2 -i 0.2 10.2.0.1
expect_rc 0
expect_out '^64 bytes from 10.2.0.1: icmp_seq=0 ttl=254 '
expect_out '^2 packets transmitted, 2 packets received'
on $B rump.ping -n -c 2 -i 0.2 10.1.0.1
expect_rc 0
expect_out '^64 bytes from 10.1.0.1: icmp_seq=0 ttl=254 '

on $A rump.traceroute -n -q 1 -w 2 10.2.0.1
expect_rc 0
expect_out '^ 1  10\.1\.0\.254  [0-9.]+ ms$'
expect_out '^ 2  10\.2\.0\.1  [0-9.]+ ms$'

on $A rump.ping -n -c 1 -T 1 -W 2 10.2.0.1
expect_rc 2
expect_out 'bytes from 10.1.0.254: Time To Live exceeded for icmp_seq=0'

on $R rump.ifconfig shmif1 mtu 1000
expect_rc 0
on $A rump.ping -n -c 1 -s 1400 10.2.0.1
expect_rc 0
expect_out '^1408 bytes from 10.2.0.1: icmp_seq=0 '
on $A rump.ping -n -D -c 1 -W 2 -s 1400 10.2.0.1
expect_rc 2
expect_out 'bytes from 10.1.0.254: frag needed and DF set.  Next MTU=1000 for icmp_seq=0'
on $R rump.ifconfig shmif1 mtu 1500
expect_rc 0

on $A rump.route delete -net 10.2.0.0/24
expect_rc 0
expect_out '^delete net 10.2.0.0$'
on $A rump.ping -c 1 -w 1 10.2.0.1
expect_rc 2
expect_err 'sendto: No route to host'
wait_for monitor.out 'RTM_DELETE'
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
echo "--- rump.route -n monitor on a:"
cat monitor.out
grep -E -q 'RTM_ADD.*' monitor.out || fail "monitor: no RTM_ADD"
grep -E -q '^ *10\.2\.0\.0 +10\.1\.0\.254 +255\.255\.255\.0' monitor.out ||
  fail "monitor: the added route's addresses are not shown"

# r's counters: forwarded packets, and the errors it sent.
on $R rump.netstat -s -p ip
expect_rc 0
expect_out '^[[:space:]]+[1-9][0-9]* packets forwarded'

# --- with NetBSD's kernel
if ! netbsd_peer; then
  echo PASS
  exit 0
fi

# until_ping URL ADDR: NetBSD keeps a new address tentative (DAD) for about
# ten seconds; ping (ours) from URL until ADDR answers, for a minute at most.
until_ping() {
  for _i in $(seq 1 60); do
    on "$1" rump.ping -n -c 1 -W 1 "$2"
    [ "$rc" -eq 0 ] && return 0
  done
  fail "$2 never answered $1"
}

# NetBSD's kernel as the router: n at 10.1.0.253 and 10.2.0.253.
N=unix://n
start_netbsd $N
nb_configure $N shmif0 bus1 10.1.0.253/24
nb_configure $N shmif1 bus2 10.2.0.253/24
until_ping $A 10.1.0.253
until_ping $B 10.2.0.253
on $A rump.route add -net 10.2.0.0/24 10.1.0.253
expect_rc 0
on $B rump.route change default 10.2.0.253
expect_rc 0
expect_out '^change net default: gateway 10.2.0.253$'
on $A rump.ping -n -c 2 -i 0.2 10.2.0.1
expect_rc 0
expect_out '^64 bytes from 10.2.0.1: icmp_seq=0 ttl=254 '
on $A rump.traceroute -n -q 1 -w 2 10.2.0.1
expect_rc 0
expect_out '^ 1  10\.1\.0\.253  [0-9.]+ ms$'
expect_out '^ 2  10\.2\.0\.1  [0-9.]+ ms$'
on $A rump.ping -n -c 1 -T 1 -W 2 10.2.0.1
expect_rc 2
expect_out 'bytes from 10.1.0.253: Time To Live exceeded for icmp_seq=0'

# Our r as the router between NetBSD kernels c (bus1) and d (bus2).
C=unix://c
D=unix://d
start_netbsd $C
start_netbsd $D
nb_configure $C shmif0 bus1 10.1.0.2/24
nb_configure $D shmif0 bus2 10.2.0.2/24
nb $C route add -net 10.2.0.0/24 10.1.0.254
expect_rc 0
nb $D route add default 10.2.0.254
expect_rc 0
until_ping $C 10.2.0.2
nb $C ping -n -c 2 -i 0.2 10.2.0.2
expect_rc 0
expect_out '^64 bytes from 10.2.0.2: icmp_seq=0 ttl=254 '
nb $C traceroute -n -q 1 -w 2 10.2.0.2
expect_rc 0
expect_out '^ 1  10\.1\.0\.254  [0-9.]+ ms$'
expect_out '^ 2  10\.2\.0\.2  [0-9.]+ ms$'
on $R rump.ifconfig shmif1 mtu 1000
expect_rc 0
nb $C ping -n -D -c 1 -w 2 -s 1400 10.2.0.2
expect_rc 2
expect_out 'frag needed and DF set.  Next MTU=1000'
nb $C ping -n -c 1 -s 1400 10.2.0.2
expect_rc 0
expect_out '^1408 bytes from 10.2.0.2: icmp_seq=0 '
echo PASS
