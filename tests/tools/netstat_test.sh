#!/usr/bin/env bash
# rump.netstat as a user scripts it against real rump_servers on one bus:
# -rn after adding addresses, -an while a TCP connection exists (sockhold, a
# remote client holding sockets in the server), -s counters moving after a
# ping, -i/-in/-bi counters, -p, bad arguments. With the NetBSD peer
# (RUMP_NETBSD_PEER) the same commands are run with NetBSD's own netstat
# against the same server and the outputs must be identical, except for
# the tcp6 section NetBSD prints for a kernel without IPv6.
#
# Usage (from Bazel): netstat_test.sh SOCKHOLD
source "$(dirname "$0")/lib.sh"
SOCKHOLD="$_runfiles/tests/tools/sockhold"
[ -x "$SOCKHOLD" ] || fail "missing $SOCKHOLD"

A=unix://a
B=unix://b
start_server $A
start_server $B

# Bad arguments: NetBSD's usage, exit 1, before any connection.
run rump.netstat -Z
expect_rc 1
expect_err '^rump.netstat: unknown option -- Z$'
expect_err '^usage: rump.netstat \[-Aan\] \[-f address_family\[,family ...\]\]'
run rump.netstat -p
expect_rc 1
expect_err 'option requires an argument -- p'
run rump.netstat -p bogus
expect_rc 1
expect_err '^rump.netstat: bogus: unknown or uninstrumented protocol$'
run rump.netstat extra words
expect_rc 1
expect_err '^usage:'
on $A rump.netstat -f bogus
expect_rc 0
expect_err '^rump.netstat: bogus: unknown address family$'
on $A rump.netstat -a -f inet6
expect_rc 1
expect_err 'sysctlnametomib: net.inet6.tcp6.pcblist: No such file or directory'

# Routes: lo0's, then the interface's network and local routes.
on $A rump.netstat -rn
expect_rc 0
expect_out '^Routing tables$'
expect_out '^127.0.0.1          lo0                UHl         -        -  33624  lo0$'
expect_no_out '^10\.'
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24
on $A rump.netstat -rn -f inet
expect_rc 0
expect_out '^Internet:$'
expect_out '^Destination        Gateway            Flags    Refs      Use    Mtu Interface$'
expect_out '^10.0.0/24          link#2             UC          -        -      -  shmif0$'
expect_out '^10.0.0.1           link#2             UHl         -        -      -  lo0$'
on $A rump.ifconfig shmif0 inet 10.1.0.1/16 alias
expect_rc 0
on $A rump.netstat -rn
expect_out '^10.1/16            link#2             UC          -        -      -  shmif0$'
expect_out '^10.1.0.1           link#2             UHl         -        -      -  lo0$'

# Interfaces: header, <Link> and address lines, counters moving with a ping.
on $A rump.netstat -in
expect_rc 0
expect_out '^Name  Mtu   Network       Address              Ipkts Ierrs    Opkts Oerrs Colls$'
expect_out '^lo0   33624127/8         127.0.0.1 +[0-9]+ +0 +[0-9]+ +0 +0$'
expect_out '^shmif0 1500 <Link>        b2:a0(:[0-9a-f]{2}){4} +[0-9]+ +0 +[0-9]+ +0 +0$'
expect_out '^shmif0 1500 10.0.0/24     10.0.0.1 +[0-9]+ '
expect_out '^shmif0 1500 10.1/16       10.1.0.1 +[0-9]+ '
opkts() { printf '%s\n' "$out" | awk '$1 == "shmif0" && $3 == "10.0.0/24" { print $7 }'; }
ipkts() { printf '%s\n' "$out" | awk '$1 == "shmif0" && $3 == "10.0.0/24" { print $5 }'; }
o_before=$(opkts)
i_before=$(ipkts)
on $A rump.netstat -s -p icmp
expect_no_out 'echoreply'
on $A rump.netstat -s -p ip
rcv_before=$(printf '%s\n' "$out" | awk '/total packets? received/ { print $1 }')

on $A rump.ping -c 3 -i 0.2 10.0.0.2
expect_rc 0

on $A rump.netstat -in -I shmif0
expect_rc 0
expect_no_out '^lo0'
[ "$(opkts)" -ge $((o_before + 3)) ] || fail "Opkts $o_before -> $(opkts)"
[ "$(ipkts)" -ge $((i_before + 3)) ] || fail "Ipkts $i_before -> $(ipkts)"
on $A rump.netstat -bi -I shmif0
expect_out '^Name  Mtu   Network       Address               Ibytes     Obytes$'
expect_out '^shmif0 1500 10.0.0/24     10.0.0.1 +[1-9][0-9]* +[1-9][0-9]*$'
on $A rump.ifconfig shmif0 down
on $A rump.netstat -i
expect_out '^shmif0\* 1500 <Link> '
on $A rump.ifconfig shmif0 up

# Statistics: a's ICMP input histogram saw the replies, b's the requests
# and its own replies; the IP counters moved.
on $A rump.netstat -s -p icmp
expect_rc 0
expect_out '^icmp:$'
expect_out $'^\tInput histogram:$'
expect_out $'^\t\techoreply: 3$'
on $B rump.netstat -s -p icmp
expect_out $'^\t\techo: 3$'
expect_out $'^\t3 message responses generated$'
expect_out $'^\tOutput histogram:$'
expect_out $'^\t\techoreply: 3$'
on $A rump.netstat -s -p ip
rcv_after=$(printf '%s\n' "$out" | awk '/total packets? received/ { print $1 }')
[ "$rcv_after" -ge $((rcv_before + 3)) ] || fail "ip total received $rcv_before -> $rcv_after"
on $A rump.netstat -s
expect_rc 0
expect_out '^tcp:$'
expect_out '^udp:$'
expect_out '^ip:$'
expect_out '^icmp:$'
expect_out '^arp:$'
expect_out $'^\t\t[1-9][0-9]* request packets?$'
expect_no_out '^tcp6:$'
on $A rump.netstat -ss
expect_no_out $'^\t0 '
expect_out $'^\t\techoreply: 3$'

# Sockets: a TCP listener, both ends of a connection and a UDP socket held
# in a's kernel by sockhold.
mkfifo hold.in
RUMP_SERVER=$A "$SOCKHOLD" 8080 <hold.in >hold.out 2>hold.err &
hold_pid=$!
_pids="$_pids $hold_pid"
exec 3>hold.in
for _i in $(seq 1 1200); do
  grep -q '^ready' hold.out && break
  kill -0 $hold_pid 2>/dev/null || break
  sleep 0.05
done
grep -q '^ready' hold.out || { cat hold.err >&2; fail "sockhold did not get ready"; }
cport=$(awk '{ print $2 }' hold.out)
# The five bytes the connecting end sent stay in its send queue until they
# are acknowledged (a delayed ACK): wait for that.
for _i in $(seq 1 1200); do
  on $A rump.netstat -an -f inet
  printf '%s\n' "$out" | grep -q "^tcp        0      0  127.0.0.1.$cport " && break
  sleep 0.05
done
on $A rump.netstat -an -f inet
expect_rc 0
expect_out '^Active Internet connections \(including servers\)$'
expect_out '^Proto Recv-Q Send-Q  Local Address          Foreign Address        State$'
expect_out "^tcp        5      0  127.0.0.1.8080         127.0.0.1.$cport +ESTABLISHED\$"
expect_out "^tcp        0      0  127.0.0.1.$cport +127.0.0.1.8080         ESTABLISHED\$"
expect_out '^tcp        0      0  \*.8080                 \*.\*                    LISTEN$'
expect_out '^udp       19      0  \*.8081                 \*.\* +$'
on $A rump.netstat -n
expect_rc 0
expect_out '^Active Internet connections$'
expect_no_out 'LISTEN'
expect_no_out '^udp'
expect_out "^tcp        0      0  127.0.0.1.$cport "
on $A rump.netstat -A -an
expect_out '^PCB      Proto Recv-Q Send-Q Local Address         Foreign Address       State$'
expect_out ' LISTEN$'
expect_out ' ESTABL$'

# NetBSD's own netstat against the same server: the same lines.
compare() {
  local ours theirs
  on $A rump.netstat "$@"
  ours=$out
  nb $A netstat "$@"
  # NetBSD's prints a tcp6 section (TCP's counters again) for a kernel
  # without IPv6; ours leaves it out.
  theirs=$(printf '%s\n' "$out" | awk '/^[a-z0-9]+:$/ { skip = ($0 == "tcp6:") } !skip')
  if [ "$ours" != "$theirs" ]; then
    diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") >&2
    fail "rump.netstat $* differs from NetBSD's netstat"
  fi
}
if netbsd_peer; then
  # -n throughout: without it NetBSD's netstat asks a resolver in the rump
  # kernel, which sends datagrams and moves the counters being compared.
  compare -an -f inet
  compare -n -f inet
  compare -A -an -f inet
  compare -rn
  compare -rn -f inet
  compare -in
  compare -bin
  compare -in -I shmif0
  compare -sn
  compare -ssn
  compare -sn -f inet
  compare -n -p tcp
  compare -n -p udp
  compare -sn -p icmp
  compare -sn -p arp
fi

# sockhold ends with its input; the server closes its sockets (the
# connection's two ends close at once, and both wait in TIME_WAIT).
exec 3>&-
wait $hold_pid || fail "sockhold failed"
on $A rump.netstat -an -f inet
expect_no_out 'LISTEN'
expect_no_out 'ESTABLISHED'
expect_no_out '8081'

halt_server $A
halt_server $B
echo PASS
