#!/usr/bin/env bash
# The shmif_vxlan benchmark (not a test; needs root): two namespaces joined
# by a veth (MTU 1550), a bus and a relay in each, then
#  * frames/s of 64-byte frames and Gbit/s of 1514-byte frames relayed one
#    way, bus A -> relay -> UDP -> relay -> bus B (//shmif/vxlan/bench:vxlan_pump,
#    with a window that keeps every ring from being lapped; losses printed);
#  * the median ping round trip between two kernels on one bus, and between
#    kernels on the two buses through the tunnel: the difference is the
#    added latency.
#   bazel run //tests/hostnet:vxlan_bench [-- SECONDS [PINGS]]
R=${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}
source "$R/rump/tests/tools/lib.sh"
source "$R/rump/tests/hostnet/vxlan_lib.sh"
PUMP="$R/rump/shmif/vxlan/bench/vxlan_pump"
SECONDS_EACH=${1:-5}
PINGS=${2:-200}

new_netns NSA || exit 1
new_netns NSB || exit 1
veth_pair "$NSA" va 10.220.0.1 "$NSB" vb 10.220.0.2
start_vxlan va "$NSA" -n 99 -m 1550 -l 10.220.0.1 -r 10.220.0.2 busA
start_vxlan vb "$NSB" -n 99 -m 1550 -l 10.220.0.2 -r 10.220.0.1 busB

echo "--- throughput, one way (bus A -> bus B), $SECONDS_EACH s each"
"$PUMP" busA busB 64 "$SECONDS_EACH" || fail "vxlan_pump"
"$PUMP" busA busB 1514 "$SECONDS_EACH" || fail "vxlan_pump"
vxlan_counters va
printf '%s\n' "$counters" | grep -E 'drops:|bus:'
vxlan_counters vb
printf '%s\n' "$counters" | grep -E 'drops:'

echo "--- added latency: $PINGS pings on one bus, then through the tunnel"
start_server unix://a
start_server unix://a2
start_server unix://b
configure unix://a shmif0 busA 10.221.0.1/24
configure unix://a2 shmif0 busA 10.221.0.3/24
configure unix://b shmif0 busB 10.221.0.2/24
median() { sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] * 1000 }'; }
on unix://a rump.ping -c 5 -i 0.1 -w 30 10.221.0.3 >/dev/null
on unix://a rump.ping -c 5 -i 0.1 -w 30 10.221.0.2 >/dev/null
on unix://a rump.ping -c "$PINGS" -i 0.01 10.221.0.3 >/dev/null
one_bus=$(printf '%s\n' "$out" | median)
on unix://a rump.ping -c "$PINGS" -i 0.01 10.221.0.2 >/dev/null
tunnel=$(printf '%s\n' "$out" | median)
echo "median round trip: one bus $one_bus us, through the tunnel $tunnel us, added $(awk "BEGIN { print $tunnel - $one_bus }") us"
