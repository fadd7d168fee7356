# Helpers for the shmif_vxlan scenarios (sourced after tests/tools/lib.sh):
# namespaces joined by veths as the "machines", shmif_vxlan in the
# foreground in one of them (its PID kept for the cleanup), its counters.

PATH="$_runfiles/shmif/vxlan:$_runfiles/capi/hijack:$PATH"
HOSTNET="$_runfiles/tests/hostnet"
PYTHON=/usr/bin/python3
for p in "$PYTHON" ping ip; do
  command -v "$p" >/dev/null || fail "$p is not installed (scripts/install-deps installs it)"
done

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth between two namespaces
# (deleted with them), addresses /24, MTU 1550 so that a full 1514-byte bus
# frame fits with VXLAN's 50 bytes, both ends up.
veth_pair() {
  ip link add "$2" netns "$1" mtu 1550 type veth peer name "$5" netns "$4" mtu 1550 ||
    fail "cannot create veth $2/$5"
  ip -n "$1" addr add "$3/24" dev "$2" || fail "address $3"
  ip -n "$4" addr add "$6/24" dev "$5" || fail "address $6"
  ip -n "$1" link set "$2" up || fail "$2 up"
  ip -n "$4" link set "$5" up || fail "$5 up"
}

# start_vxlan NAME NS ARGS...: shmif_vxlan -f -v ARGS in NS; its PID in
# VXLAN_PID_NAME, its standard error in NAME.err; returns once it relays.
start_vxlan() {
  local name=$1 ns=$2 pid
  shift 2
  ip netns exec "$ns" shmif_vxlan -f -v "$@" >"$name.out" 2>"$name.err" &
  pid=$!
  _pids="$_pids $pid"
  eval "VXLAN_PID_$name=$pid"
  wait_for 30 "shmif_vxlan $name to start" grep -q 'relaying bus' "$name.err"
  kill -0 "$pid" || fail "shmif_vxlan $name exited: $(cat "$name.err")"
}

vxlan_pid() { eval "echo \$VXLAN_PID_$1"; }

# vxlan_counters NAME: SIGUSR1, then the new counter block in $counters.
vxlan_counters() {
  local pid before
  pid=$(vxlan_pid "$1")
  before=$(grep -c 'counters: stations:' "$1.err")
  kill -USR1 "$pid"
  wait_for 30 "counters from $1" sh -c "[ \$(grep -c 'counters: stations:' $1.err) -gt $before ]"
  counters=$(grep 'shmif_vxlan: counters:' "$1.err" | tac | awk 'NR > 1 && /stations:/ { exit } 1' | tac)
}

# stop_vxlan NAME [SIGNAL]: SIGTERM (or SIGNAL), exit 0, counters at exit.
stop_vxlan() {
  local pid
  pid=$(vxlan_pid "$1")
  kill -"${2:-TERM}" "$pid"
  wait "$pid" || fail "shmif_vxlan $1 exited $? on SIGTERM: $(cat "$1.err")"
  grep -q 'shmif_vxlan: exiting: drops:' "$1.err" || fail "no counters at exit from $1"
}

# bus_check BUS [SRC DST]: bus_frames.py on a pcap of BUS; the counts in $out.
bus_check() {
  rm -f "$1.pcap"
  shmif_dumpbus -p "$1.pcap" "$1" >/dev/null || fail "shmif_dumpbus $1"
  run "$PYTHON" "$HOSTNET/bus_frames.py" "$1.pcap" "${@:2}"
  expect_rc 0
}
