#!/usr/bin/env bash
# shmif_vxlan between two "machines" (network namespaces this test creates,
# joined by a veth), a bus and a relay in each, a rump kernel on each bus:
#  * bad arguments: a clear message and exit 1;
#  * ping, a checked UDP exchange, 64 MiB of TCP with SHA-256 both ends
#    (bulk.py, hijacked in the kernels), and shmif_dumpbus on both buses
#    shows every IPv4 frame once (none duplicated) and every echo once;
#  * Linux's own vxlan interface (a third namespace) as a VTEP of the same
#    segment: it pings a kernel behind shmif_vxlan and moves 16 MiB of TCP
#    each way to it;
#  * faults: malformed datagrams are counted by cause and never reach the
#    bus, the relay lives on; the remote relay SIGKILLed: the local bus keeps
#    working and the relay keeps running, and a restarted remote is used
#    again; a path MTU too small drops and counts; -a ages stations out;
#  * counters on SIGUSR1 and at exit, -v learning logs, SIGTERM, detaching;
#  * NetBSD's rump kernel on one bus pings ours across the tunnel, when the
#    peer is there (RUMP_NETBSD_PEER).
# Needs root (network namespaces): skipped with a message without.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
source "$TEST_SRCDIR/rump/tests/hostnet/vxlan_lib.sh"
BULK="$HOSTNET/bulk.py"

echo "--- bad arguments"
run shmif_vxlan
expect_rc 1
expect_err 'usage: shmif_vxlan'
run shmif_vxlan -x bus
expect_rc 1
expect_err usage
run shmif_vxlan -r 10.0.0.1 bus
expect_rc 1
expect_err 'n VNI is required'
run shmif_vxlan -n 16777216 -r 10.0.0.1 bus
expect_rc 1
expect_err "bad VNI '16777216'"
run shmif_vxlan -n 1 bus
expect_rc 1
expect_err 'no remote VTEP'
run shmif_vxlan -n 1 -r 10.0.0.300 bus
expect_rc 1
expect_err "'10.0.0.300' is not an IPv4 address"
run shmif_vxlan -n 1 -r 10.0.0.1:0 bus
expect_rc 1
expect_err "bad UDP port '0'"
run shmif_vxlan -n 1 -r 239.1.1.1 bus
expect_rc 1
expect_err 'not a unicast address'
run shmif_vxlan -n 1 -g 10.1.1.1 bus
expect_rc 1
expect_err 'not an IPv4 multicast group'
run shmif_vxlan -n 1 -g 239.1.1.1 -r 10.0.0.1 bus
expect_rc 1
expect_err 'exclude each other'
run shmif_vxlan -n 1 -r 10.0.0.1 -r 10.0.0.1 bus
expect_rc 1
expect_err 'given twice'
run shmif_vxlan -n 1 -m 40 -r 10.0.0.1 bus
expect_rc 1
expect_err "bad path MTU '40'"
run shmif_vxlan -n 1 -a 0 -r 10.0.0.1 bus
expect_rc 1
expect_err 'bad ageing time'
run shmif_vxlan -n 1 -r 10.0.0.1 bus1 bus2
expect_rc 1
expect_err 'one bus file only'
head -c 100 /dev/urandom >notabus
run shmif_vxlan -f -n 1 -r 10.0.0.1 notabus
expect_rc 1
expect_err notabus

new_netns NSA || exit 0
new_netns NSB || fail "a second namespace"
new_netns NSL || fail "a third namespace"
veth_pair "$NSA" va 10.200.0.1 "$NSB" vb 10.200.0.2
veth_pair "$NSA" val 10.200.1.1 "$NSL" vl 10.200.1.2

run ip netns exec "$NSA" shmif_vxlan -f -n 42 -l 10.9.9.9 -r 10.200.0.2 busx
expect_rc 1
expect_err 'binding UDP 10.9.9.9:4789'

echo "--- detached (no -f): prints its PID, stops on SIGTERM"
run ip netns exec "$NSA" shmif_vxlan -n 42 -p 4790 -r 10.200.0.2 busD
expect_rc 0
expect_out '^[0-9]+$'
detached=$out
_pids="$_pids $detached"
kill -0 "$detached" || fail "no detached relay $detached"
kill -TERM "$detached"
wait_for 60 "the detached relay to stop" sh -c "! kill -0 $detached"

echo "--- two sites: a kernel on each bus, a relay in each namespace"
A=unix://a
B=unix://b
A2=unix://a2
start_server $A
start_server $B
start_server $A2
configure $A shmif0 busA 10.201.0.1/24
configure $A2 shmif0 busA 10.201.0.3/24
configure $B shmif0 busB 10.201.0.2/24
start_vxlan va "$NSA" -n 42 -m 1550 -r 10.200.0.2 -r 10.200.1.2 busA
start_vxlan vb "$NSB" -n 42 -m 1550 -l 10.200.0.2 -r 10.200.0.1 busB

on $A rump.ping -c 5 -i 0.2 -w 60 10.201.0.2
expect_rc 0
expect_out '5 packets transmitted, 5 packets received'
on $B rump.ping -c 3 -i 0.2 -w 60 10.201.0.1
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'
grep -q 'learned remote VTEP 10.200.0.2:4789' va.err || fail "-v did not log the remote: $(cat va.err)"
grep -q 'learned .* behind 10.200.0.2:4789' va.err || fail "-v did not log a MAC learned"

echo "--- UDP across the tunnel"
RUMP_SERVER=unix://$WORKDIR/b rumphijack "$PYTHON" "$HOSTNET/udp_echo.py" server 10.201.0.2 7000 200 \
  >udp_server.out 2>udp_server.err &
udp_server=$!
_pids="$_pids $udp_server"
wait_for 60 "the UDP server in B" sh -c "grep -q listening udp_server.out || ! kill -0 $udp_server"
on "unix://$WORKDIR/a" rumphijack "$PYTHON" "$HOSTNET/udp_echo.py" client 10.201.0.2 7000 200
expect_rc 0
expect_out 'echoed 200'
wait "$udp_server" || fail "the UDP server failed: $(cat udp_server.err)"

echo "--- every frame once on both buses"
on $A rump.ping -c 20 -i 0.05 10.201.0.2
expect_rc 0
expect_out '20 packets transmitted, 20 packets received'
bus_check busA 10.201.0.1 10.201.0.2
expect_out ' duplicates 0 '
expect_out 'echo_requests 25 echo_replies 25'
bus_check busB 10.201.0.1 10.201.0.2
expect_out ' duplicates 0 '
expect_out 'echo_requests 25 echo_replies 25'
# A's traffic with A2 stays on bus A.
on $A rump.ping -c 3 -i 0.1 10.201.0.3
expect_rc 0
bus_check busB 10.201.0.1 10.201.0.3
expect_out 'echo_requests 0 echo_replies 0'

echo "--- 64 MiB of TCP each way between the kernels"
BYTES=$((64 << 20))
RUMP_SERVER=unix://$WORKDIR/b rumphijack "$PYTHON" "$BULK" server 10.201.0.2 5001 $BYTES \
  >bulk_server.out 2>bulk_server.err &
server=$!
_pids="$_pids $server"
wait_for 60 "bulk.py listening in B" sh -c "grep -q listening bulk_server.out || ! kill -0 $server"
start=$(date +%s.%N)
on "unix://$WORKDIR/a" rumphijack "$PYTHON" "$BULK" client 10.201.0.2 5001 $BYTES
expect_rc 0
end=$(date +%s.%N)
wait "$server" || { cat bulk_server.err; fail "bulk.py in B failed"; }
[ "$(sed -n 's/^received //p' bulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^sent //p')" ] ||
  fail "A -> B differs"
[ "$(sed -n 's/^sent //p' bulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^received //p')" ] ||
  fail "B -> A differs"
grep -q "^received $BYTES " bulk_server.out || fail "short transfer"
echo "64 MiB each way between kernels A and B through the tunnel: $(awk "BEGIN { print $end - $start }") s, SHA-256 equal"
bus_check busA
expect_out ' duplicates 0 '
bus_check busB
expect_out ' duplicates 0 '

echo "--- counters"
vxlan_counters va
printf '%s\n' "$counters"
printf '%s\n' "$counters" | grep -Eq 'remote 10.200.0.2:4789: in [1-9][0-9]{4,} frames [0-9]+ bytes, out [1-9][0-9]{4,} frames' ||
  fail "no per-remote counters"
printf '%s\n' "$counters" | grep -Eq 'stations: [1-9][0-9]* learned \([1-9][0-9]* remote, [1-9][0-9]* local\)' ||
  fail "no learned stations counted"

echo "--- Linux's vxlan as a VTEP of the segment"
ip netns exec "$NSL" ip link add vx0 type vxlan id 42 dstport 4789 remote 10.200.1.1 \
  local 10.200.1.2 dev vl || fail "cannot create a Linux vxlan interface"
ip -n "$NSL" addr add 10.201.0.9/24 dev vx0 || fail "address on vx0"
ip -n "$NSL" link set vx0 up || fail "vx0 up"
# No NIC fills offloaded checksums between namespaces: Linux computes them.
run ip netns exec "$NSL" "$PYTHON" "$HOSTNET/tx_csum_off.py" vx0
expect_rc 0
run ip netns exec "$NSL" ping -c 3 -i 0.2 -w 60 10.201.0.1
expect_rc 0
expect_out '3 packets transmitted, 3 received'
on $A2 rump.ping -c 3 -i 0.2 -w 60 10.201.0.9
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'
LBYTES=$((16 << 20))
RUMP_SERVER=unix://$WORKDIR/a rumphijack "$PYTHON" "$BULK" server 10.201.0.1 5002 $LBYTES \
  >lbulk_server.out 2>lbulk_server.err &
server=$!
_pids="$_pids $server"
wait_for 60 "bulk.py listening in A" sh -c "grep -q listening lbulk_server.out || ! kill -0 $server"
run ip netns exec "$NSL" "$PYTHON" "$BULK" client 10.201.0.1 5002 $LBYTES
expect_rc 0
wait "$server" || { cat lbulk_server.err; fail "bulk.py in A failed"; }
[ "$(sed -n 's/^received //p' lbulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^sent //p')" ] ||
  fail "Linux -> A differs"
[ "$(sed -n 's/^sent //p' lbulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^received //p')" ] ||
  fail "A -> Linux differs"
grep -q "^received $LBYTES " lbulk_server.out || fail "short transfer from Linux"
echo "16 MiB each way between Linux's vxlan and kernel A, SHA-256 equal"
bus_check busA
expect_out ' duplicates 0 '

echo "--- malformed datagrams: counted by cause, nothing on the bus"
ip -n "$NSB" addr add 10.200.0.7/24 dev vb || fail "a second address in $NSB"
GARBAGE=600
run ip netns exec "$NSB" "$PYTHON" "$HOSTNET/vxlan_garbage.py" 10.200.0.1 4789 42 $GARBAGE 10.200.0.7
expect_rc 0
expect_out "sent $GARBAGE"
# garbage_counted: the latest counters count every malformed datagram.
garbage_counted() {
  vxlan_counters va
  [ "$(printf '%s\n' "$counters" | sed -n 's/.*drops: short \([0-9]*\) bad-flags \([0-9]*\) wrong-vni \([0-9]*\) inner-short \([0-9]*\) inner-long \([0-9]*\) .*/\1 \2 \3 \4 \5/p' |
    awk '{ print $1 + $2 + $3 + $4 + $5 }')" = "$GARBAGE" ]
}
wait_for 60 "all $GARBAGE malformed datagrams counted" garbage_counted
vxlan_counters va
printf '%s\n' "$counters" | grep 'drops:'
# Six kinds in turn (vxlan_garbage.py): two of them have bad flags.
for cause_count in short:100 bad-flags:200 wrong-vni:100 inner-short:100 inner-long:100; do
  cause=${cause_count%:*}
  printf '%s\n' "$counters" | grep -Eq "drops:.* $cause ${cause_count#*:}( |\$)" ||
    fail "not ${cause_count#*:} $cause drops"
  [ "$(grep -c "dropped a datagram from .*: $cause (counted; logged once)" va.err)" = 1 ] ||
    fail "$cause not logged exactly once"
done
printf '%s\n' "$counters" | grep -q 'remote 10.200.0.7' && fail "a malformed datagram was relayed"
kill -0 "$(vxlan_pid va)" || fail "the relay died of garbage"
on $A rump.ping -c 2 -i 0.2 10.201.0.2
expect_rc 0
expect_out '2 packets transmitted, 2 packets received'

echo "--- the remote relay disappears: the local bus keeps working"
kill -KILL "$(vxlan_pid vb)"
wait "$(vxlan_pid vb)" 2>/dev/null
# A sends to the vanished remote (learned unicast, then flooded ARP) while
# A and A2 talk on bus A.
on $A rump.ping -c 30 -i 0.05 -w 5 10.201.0.2
[ "$rc" -ne 0 ] || fail "B answered without its relay"
on $A rump.ping -c 20 -i 0.05 -w 60 10.201.0.3
expect_rc 0
expect_out '20 packets transmitted, 20 packets received'
kill -0 "$(vxlan_pid va)" || fail "the relay died when its remote went away"
vxlan_counters va
printf '%s\n' "$counters" | grep 'drops:'
echo "--- the remote comes back"
start_vxlan vb2 "$NSB" -n 42 -m 1550 -l 10.200.0.2 -r 10.200.0.1 busB
on $A rump.ping -c 3 -i 0.2 -w 60 10.201.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'

echo "--- path MTU: frames that do not fit are dropped and counted"
stop_vxlan vb2
start_vxlan vb3 "$NSB" -n 42 -m 1400 -a 1 -l 10.200.0.2 -r 10.200.0.1 busB
on $B rump.ping -c 2 -i 0.2 -w 60 10.201.0.1
expect_rc 0
on $B rump.ping -c 2 -i 0.2 -s 1400 -w 3 10.201.0.1
[ "$rc" -ne 0 ] || fail "a 1442-byte frame crossed a 1400-byte path"
vxlan_counters vb3
printf '%s\n' "$counters" | grep -Eq 'drops:.* too-big [1-9]' || fail "too-big not counted"
grep -q 'dropped a frame: too-big' vb3.err || fail "too-big not logged"
echo "--- ageing (-a 1): A's station is forgotten once silent"
wait_for 60 "A's station to age out" grep -q 'aged .* (behind 10.200.0.1:4789)' vb3.err

if netbsd_peer; then
  echo "--- NetBSD's rump kernel on bus B pings ours on bus A"
  N=unix://n
  start_netbsd $N
  nb_configure $N shmif0 busB 10.201.0.5/24
  # NetBSD's tentative period (about 10 s after ifconfig) ends first.
  wait_for 60 "NetBSD to answer across the tunnel" \
    sh -c "RUMP_SERVER=$A rump.ping -c 1 -w 2 10.201.0.5 | grep -q '1 packets received'"
  on $A rump.ping -c 5 -i 0.2 -w 60 10.201.0.5
  expect_rc 0
  expect_out '5 packets transmitted, 5 packets received'
  nb $N ping -c 3 -i 0.2 -w 60 10.201.0.1
  expect_rc 0
  expect_out '3 packets transmitted, 3 packets received'
fi

echo "--- SIGTERM: counters at exit, exit 0"
stop_vxlan va
grep -q 'shmif_vxlan: exiting: remote 10.200.0.2:4789: in' va.err || fail "no per-remote counters at exit"
stop_vxlan vb3
echo PASS
