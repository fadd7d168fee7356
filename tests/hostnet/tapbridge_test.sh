#!/usr/bin/env bash
# shmif_tapbridge: Linux, in a network namespace this test creates, as one
# more station on a bus with two rump kernels:
#  * Linux pings both kernels, and tcpdump on the tap sees the kernels'
#    traffic with each other live;
#  * Linux's TCP and the kernels': 64 MiB each way with SHA-256 on both ends
#    (tests/hostnet/bulk.py, hijacked in the kernel);
#  * SIGUSR1 prints the counters, SIGTERM stops the bridge cleanly (counters,
#    exit 0, the tap gone); a bridge killed with SIGKILL leaves the bus
#    usable by the kernels; the host deleting the tap stops the bridge with
#    a message;
#  * bad arguments, a file that is not a bus, a tap it may not open: clear
#    errors and exit 1.
# Needs root (network namespaces, taps): skipped with a message without.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$_runfiles/shmif/tapbridge:$PATH"
BULK="$_runfiles/tests/hostnet/bulk.py"
PYTHON=/usr/bin/python3
for p in "$PYTHON" ping tcpdump; do
  command -v "$p" >/dev/null || fail "$p is not installed (scripts/install-deps installs it)"
done
new_netns NS || exit 0
in_ns() { ip netns exec "$NS" "$@"; }

echo "--- bad input"
run shmif_tapbridge
expect_rc 1
expect_err 'usage: shmif_tapbridge \[-f\] BUS TAP'
run shmif_tapbridge -x bus rvbr0
expect_rc 1
expect_err usage
head -c 100 /dev/urandom >notabus
run in_ns shmif_tapbridge -f notabus rvbr0
expect_rc 1
expect_err 'notabus'
run in_ns shmif_tapbridge -f bus a-name-longer-than-15
expect_rc 1
expect_err 'tap name'
run in_ns shmif_tapbridge -f bus fd:x
expect_rc 1
expect_err 'bad descriptor'
run setpriv --reuid=65534 --regid=65534 --clear-groups "$_runfiles/shmif/tapbridge/shmif_tapbridge" -f /tmp/rumpt-unused-bus-$$ rvbr0
expect_rc 1
expect_err 'Permission denied|Operation not permitted'
expect_err 'CAP_NET_ADMIN'
rm -f /tmp/rumpt-unused-bus-$$

echo "--- two kernels and the bridge on one bus"
A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.98.0.2/24
configure $B shmif0 bus 10.98.0.3/24
run in_ns shmif_tapbridge bus rvbr0
expect_rc 0
BRIDGE=$out
kill -0 "$BRIDGE" || fail "no bridge process $BRIDGE"
_pids="$_pids $BRIDGE"
run in_ns ip link set rvbr0 up
expect_rc 0
run in_ns ip addr add 10.98.0.1/24 dev rvbr0
expect_rc 0
run in_ns ping -c 3 -i 0.2 -w 60 10.98.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 received'
run in_ns ping -c 3 -i 0.2 -w 60 10.98.0.3
expect_rc 0
expect_out '3 packets transmitted, 3 received'

echo "--- tcpdump on the tap sees the kernels' own traffic"
in_ns tcpdump -l -n -i rvbr0 -c 2 'icmp and host 10.98.0.2 and host 10.98.0.3' \
  >tcpdump.out 2>tcpdump.err &
dump=$!
_pids="$_pids $dump"
wait_for 30 "tcpdump to listen" grep -q 'listening on rvbr0' tcpdump.err
on $A rump.ping -c 1 10.98.0.3
expect_rc 0
wait "$dump" || { cat tcpdump.err; fail "tcpdump failed"; }
grep -q '10.98.0.2 > 10.98.0.3: ICMP echo request' tcpdump.out || fail "no echo request seen: $(cat tcpdump.out)"
grep -q '10.98.0.3 > 10.98.0.2: ICMP echo reply' tcpdump.out || fail "no echo reply seen: $(cat tcpdump.out)"

echo "--- Linux TCP <-> our TCP on the bus"
BYTES=$((64 << 20))
RUMP_SERVER=unix://$WORKDIR/a rumphijack "$PYTHON" "$BULK" server 10.98.0.2 5001 $BYTES \
  >bulk_server.out 2>bulk_server.err &
server=$!
_pids="$_pids $server"
wait_for 60 "bulk.py listening in kernel A" sh -c "grep -q listening bulk_server.out || ! kill -0 $server"
start=$(date +%s.%N)
run in_ns "$PYTHON" "$BULK" client 10.98.0.2 5001 $BYTES
expect_rc 0
end=$(date +%s.%N)
wait "$server" || { cat bulk_server.err; fail "bulk.py in kernel A failed"; }
[ "$(sed -n 's/^received //p' bulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^sent //p')" ] ||
  fail "Linux -> A differs"
[ "$(sed -n 's/^sent //p' bulk_server.out)" = "$(printf '%s\n' "$out" | sed -n 's/^received //p')" ] ||
  fail "A -> Linux differs"
grep -q "^received $BYTES " bulk_server.out || fail "short transfer"
echo "64 MiB each way between Linux and kernel A through the bridge: $(awk "BEGIN { print $end - $start }") s, SHA-256 equal"

echo "--- counters and a clean stop (in the foreground)"
# ip netns exec runs the bridge in its own process: $! is the bridge.
ip netns exec "$NS" shmif_tapbridge -f bus rvbr1 >fg.out 2>fg.err &
fg_bridge=$!
_pids="$_pids $fg_bridge"
wait_for 30 "a foreground bridge on rvbr1" grep -q 'bridging bus bus and tap rvbr1' fg.err
kill -USR1 "$fg_bridge"
wait_for 30 "the counters" grep -q 'shmif_tapbridge: counters: bus -> tap [0-9]* frames' fg.err
kill -TERM "$fg_bridge"
wait "$fg_bridge" || fail "the bridge exited $? on SIGTERM: $(cat fg.err)"
grep -q 'shmif_tapbridge: exiting: bus -> tap' fg.err || fail "no counters at exit: $(cat fg.err)"
in_ns ip link show rvbr1 >/dev/null 2>&1 && fail "rvbr1 still exists after the bridge stopped"

echo "--- SIGKILL leaves the bus usable"
kill -KILL "$BRIDGE"
on $A rump.ping -c 2 -i 0.2 10.98.0.3
expect_rc 0
expect_out '2 packets transmitted, 2 packets received'

echo "--- the host deletes the tap under a bridge"
run in_ns shmif_tapbridge bus rvbr2
expect_rc 0
BRIDGE2=$out
_pids="$_pids $BRIDGE2"
run in_ns ip link set rvbr2 up
expect_rc 0
run in_ns ip link delete rvbr2
expect_rc 0
# The next frame from the bus finds the tap gone.
on $A rump.ping -c 1 -w 1 10.98.0.9
wait_for 60 "the bridge to stop" sh -c "! kill -0 $BRIDGE2"
echo PASS
