#!/usr/bin/env bash
# NetBSD's own tools (the peer's rumpctrl/bin) against our rump_server and
# against NetBSD's, both set up alike by NetBSD's ifconfig (shmif0 on a bus
# of its own, 10.0.0.1/24, up): each command runs on both servers, and the
# exit status, stdout and stderr, normalised, must be the same. Covered:
# ifconfig (-a, -l, -C, one interface, create/destroy, alias/-alias, mtu,
# down/up), route (show, add, change, get, delete, flush, and monitor while
# a route is added and deleted), netstat (-rn, -an, -s, -i, -in), arp (-an,
# -s, -d), sockstat, sysctl (chosen names, -w, and -a by node names
# against netbsd_sysctl_missing.txt), ping and traceroute to the local
# address, halt last.
#
# Every command is compared and each difference printed (both outputs and
# a unified diff); the test fails at the end if any differed. What differs
# by design is listed below ("Known differences") and in
# docs/netbsd-differences.md. Skipped with a message without the peer
# (RUMP_NETBSD_PEER).
HERE=$(cd "$(dirname "$0")" && pwd)
MISSING_FILE="$HERE/netbsd_sysctl_missing.txt"
source "$(dirname "$0")/lib.sh"

if ! netbsd_peer; then
  echo PASS
  exit 0
fi
[ -f "$MISSING_FILE" ] || fail "missing $MISSING_FILE"
export LC_ALL=C

A=unix://a # ours
N=unix://n # NetBSD's
BUS_A="$WORKDIR/ours.bus"
BUS_N="$WORKDIR/netbsd.bus"
start_server $A
start_netbsd $N

# host_pid URL: the server's PID, from kern.hostname ("rump-<pid>.<host>").
host_pid() {
  local host
  host=$(RUMP_SERVER=$1 rump.sysctl -n kern.hostname) || fail "server at $1 not answering"
  host=${host#rump-}
  echo $((10#${host%%.*}))
}
PID_A=$(host_pid $A)
PID_N=$(host_pid $N)

# ---- Normalisation: what legitimately differs between any two runs, made
# the same on both sides (applied to the whole text: stdout, stderr, exit
# status):
#   - the peer's directory in the tools' own name in their messages;
#   - the server's bus file (each server has its own) -> BUS;
#   - shmif's generated MAC addresses (b2:a0:xx:xx:xx:xx) -> MAC; other
#     MACs (set with arp -s) stay;
#   - the server's pid in kern.hostname (rump-<pid>.<host>) -> rump-PID.;
#   - route monitor: the date each message arrived, and the sender's pid
#     (the kernel's number for the client, moved by how many probes the
#     monitor needed before it listened);
#   - timings: ping's time=... ms and its round-trip line, traceroute's
#     probe times (NetBSD's rump kernel clock ticks at 10 ms).
# Counters (netstat -s, -i) are compared exactly. Two settings make that
# possible: net.inet.ip.dad_count=0 on both (with detection on, NetBSD's
# kernel probes seconds after the address is set, and its ifconfig -w does
# not wait for that), and pings of one probe (see "ping" below).
normalise() { # normalise BUSFILE <text
  sed -E \
    -e "s#$PEER/rumpctrl/bin/##g" \
    -e "s#$1#BUS#g" \
    -e 's/b2:a0(:[0-9a-f]{2}){4}/MAC/g' \
    -e 's/rump-[0-9]+\./rump-PID./g' \
    -e 's/^(got message of size [0-9]+ on ).*/\1DATE/' \
    -e 's/^(RTM_[A-Z]+: .*, pid )[0-9]+,/\1N,/' \
    -e 's/ time=[0-9.]+ ms$/ time=T ms/' \
    -e 's#^(round-trip min/avg/max/stddev = )[0-9./]+ ms$#\1T ms#' \
    -e 's/  [0-9]+\.[0-9]{3} ms/  T ms/g'
}

# ---- Known differences (docs/netbsd-differences.md), each applied to the
# named command only, on the named side only:
#   1. ifconfig (any display), ours: our shmif has media (for link-state
#      tests), NetBSD 7.99.34's has not; the "media: Ethernet autoselect"
#      and "status: ..." lines are dropped.
#   2. ifconfig -C, NetBSD's: it has carp, we do not; " carp" is dropped.
#   3. netstat -s, NetBSD's: the igmp: and carp: sections (protocols we do
#      not implement) are dropped.
#   4. netstat -a..., both: both stop at the first IPv6 pcblist node they
#      lack (exit 1; no IPv6 yet), ours at net.inet6.tcp6.pcblist,
#      NetBSD's at net.inet6.udp6.pcblist (its TCP registers the tcp6
#      nodes even without IPv6): the node becomes net.inet6.PROTO.pcblist.
#   5. sysctl -a: node names only (see "sysctl -a" below); our extra
#      nodes are net.link.impair.* and net.inet.tcp.ackdropppslimit, and
#      NetBSD's that we lack are exactly netbsd_sysctl_missing.txt.
#   6. route get, NetBSD's: its kernel gives an interface's network route
#      an expiry time in the past (about its boot time; route prints the
#      expire column as minus the seconds since), ours none (0); a negative
#      expire becomes 0.
#   7. arp -an, both: NetBSD's lists its entries in its hash table's
#      order, ours by address; the lines are compared sorted.
known() { # known ours|netbsd COMMAND <text
  case "$1:$2" in
  ours:ifconfig*)
    sed -E $'/^\t(media: Ethernet autoselect|status: (active|no carrier))$/d' ;;
  netbsd:"ifconfig -C")
    sed -E 's/ carp$//' ;;
  netbsd:"netstat -s"*)
    awk '/^[a-z0-9]+:$/ { skip = ($0 == "igmp:" || $0 == "carp:") } !skip' ;;
  *:"netstat -a"*)
    sed -E 's/(sysctlnametomib: net\.inet6\.)(tcp6|udp6)(\.pcblist: )/\1PROTO\3/' ;;
  *:"arp -an")
    sort ;;
  netbsd:"route -n get "*)
    perl -pe 's/^((?: +-?\d+[ L]){7} +)-(\d+)([ L])$/$1 . " " x length($2) . "0" . $3/e' ;;
  *)
    cat ;;
  esac
}

# capture URL NAME TOOL ARGS...: NetBSD's TOOL against the server at URL;
# NAME.raw gets its stdout, stderr and exit status. An argument @BUS@ is
# that server's bus file.
capture() {
  local url=$1 name=$2 tool=$3 a st
  local args=()
  shift 3
  for a in "$@"; do
    [ "$a" = @BUS@ ] && a=$(bus_of "$url")
    args+=("$a")
  done
  # In the background and waited for, so that a SIGTERM (a test timeout)
  # runs the cleanup at once.
  RUMP_SERVER=$url "${NBENV[@]}" "$PEER/rumpctrl/bin/$tool" "${args[@]}" \
    >"$name.out" 2>"$name.err" </dev/null &
  wait $!
  st=$?
  { cat "$name.out"; echo "--- stderr:"; cat "$name.err"; echo "--- exit status $st"; } >"$name.raw"
}
bus_of() { if [ "$1" = $A ]; then echo "$BUS_A"; else echo "$BUS_N"; fi; }

compared=0
differing=()
# compare LABEL: ours.raw against nb.raw, normalised, the known differences
# for LABEL taken out; a difference is printed and counted.
compare() {
  local label=$1
  compared=$((compared + 1))
  normalise "$BUS_A" <ours.raw | known ours "$label" >ours.txt
  normalise "$BUS_N" <nb.raw | known netbsd "$label" >nb.txt
  if diff -u --label "NetBSD's server" --label "our server" nb.txt ours.txt >diff.txt; then
    echo "same: $label"
    return 0
  fi
  echo "DIFFERENT: $label"
  echo "--- on NetBSD's server:"
  cat nb.txt
  echo "--- on our server:"
  cat ours.txt
  echo "--- diff -u (- NetBSD's, + ours):"
  cat diff.txt
  differing+=("$label")
}

# same TOOL ARGS...: the command on both servers, compared.
same() {
  capture $A ours "$@"
  capture $N nb "$@"
  compare "$*"
}

# ---- Setup, compared as well.
same sysctl -w net.inet.ip.dad_count=0
same ifconfig shmif0 create
same ifconfig shmif0 linkstr @BUS@
same ifconfig shmif0 inet 10.0.0.1/24
same ifconfig shmif0 up

# ---- ifconfig
same ifconfig -l
same ifconfig -C
same ifconfig shmif0
same ifconfig -a
# The counters before anything else is sent.
same netstat -s
same netstat -in
same ifconfig shmif1 create
same ifconfig -l
same ifconfig -a
same ifconfig shmif1 destroy
same ifconfig shmif1 destroy
same ifconfig -l
same ifconfig shmif0 inet 10.0.0.2/24 alias
same ifconfig shmif0
same ifconfig shmif0 inet 10.0.0.2 -alias
same ifconfig shmif0
same ifconfig shmif0 mtu 1400
same ifconfig shmif0
same ifconfig shmif0 mtu 1500
same ifconfig shmif0

# ---- route
same route -n show
same route add default 10.0.0.254
same route add -net 10.20.0.0/16 10.0.0.253
same route -n show
same route -n get 10.20.1.1
same route change -net 10.20.0.0/16 10.0.0.252
same route -n get 10.20.1.1
same route -n get default
same route -n get 10.0.0.9
same route -n get 10.0.0.1
same route -n get 127.0.0.1
same route delete -net 10.20.0.0/16
same route -n get 10.20.1.1
same route delete -net 10.20.0.0/16
same route -n flush
same route -n show
same netstat -rn

# wait_lines FILE PATTERN COUNT PID: until COUNT lines of FILE match (a
# minute only to catch a hang; PID must stay alive meanwhile).
wait_lines() {
  local file=$1 pattern=$2 count=$3 pid=$4
  for _i in $(seq 1 1200); do
    [ "$(grep -c -E -- "$pattern" "$file")" -ge "$count" ] && return 0
    kill -0 "$pid" 2>/dev/null || { out=$(cat "$file"); fail "monitor $pid exited"; }
    sleep 0.05
  done
  out=$(cat "$file")
  fail "$file never had $count lines /$pattern/"
}

# start_monitor URL FILE: NetBSD's route -n monitor against URL in the
# background (its pid in MON_PID, stopped by the cleanup too), once it
# listens: a failing RTM_GET for 10.255.255.1, which every routing socket
# hears, shows in its output.
start_monitor() {
  local url=$1 file=$2
  RUMP_SERVER=$url "${NBENV[@]}" "$PEER/rumpctrl/bin/route" -n monitor >"$file" 2>&1 </dev/null &
  MON_PID=$!
  _pids="$_pids $MON_PID"
  for _j in $(seq 1 120); do
    RUMP_SERVER=$url "${NBENV[@]}" "$PEER/rumpctrl/bin/route" -q get 10.255.255.1 \
      >/dev/null 2>&1 </dev/null
    for _i in $(seq 1 10); do
      grep -q '^ 10\.255\.255\.1 ' "$file" && return 0
      kill -0 $MON_PID 2>/dev/null || { out=$(cat "$file"); fail "route monitor on $url exited"; }
      sleep 0.05
    done
  done
  out=$(cat "$file")
  fail "route monitor on $url never heard a message"
}

# stop_monitor PID: SIGTERM, then its exit.
stop_monitor() {
  kill -TERM "$1" 2>/dev/null
  for _i in $(seq 1 1200); do
    kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
    sleep 0.05
  done
  fail "route monitor $1 still running after SIGTERM"
}

# A monitor's output without the probes' messages.
drop_probes() {
  awk 'BEGIN { RS = "got message" } NR > 1 && !/ 10\.255\.255\.1 / { printf "got message%s", $0 }' "$1"
}

# ---- route monitor: on each server while a route is added and deleted.
start_monitor $A ours.mon
MON_A=$MON_PID
start_monitor $N nb.mon
MON_N=$MON_PID
same route add -net 10.30.0.0/16 10.0.0.253
same route delete -net 10.30.0.0/16
# Both messages' addresses are out (the monitor prints them last).
wait_lines ours.mon '^ 10\.30\.0\.0 ' 2 $MON_A
wait_lines nb.mon '^ 10\.30\.0\.0 ' 2 $MON_N
stop_monitor $MON_A
stop_monitor $MON_N
drop_probes ours.mon >ours.raw
drop_probes nb.mon >nb.raw
compare "route -n monitor (while the route to 10.30.0.0/16 is added and deleted)"

# ---- arp
same arp -an
same arp -s 10.0.0.9 02:00:00:00:00:09
same arp -an
same arp -n 10.0.0.9
same arp -d 10.0.0.9
same arp -an
same arp -d 10.0.0.9

# ---- sysctl
same sysctl kern.ostype kern.osrelease kern.osrevision kern.hostname kern.domainname \
  kern.rawpartition kern.sbmax hw.machine hw.machine_arch hw.pagesize hw.byteorder
same sysctl -w kern.sbmax=4096
same sysctl net.inet.ip.forwarding net.inet.ip.redirect net.inet.ip.ttl \
  net.inet.ip.directed-broadcast net.inet.ip.dad_count
same sysctl net.inet.tcp.rfc1323 net.inet.tcp.sendspace net.inet.tcp.recvspace \
  net.inet.tcp.mssdflt net.inet.tcp.keepcnt
same sysctl net.inet.tcp.keepidle net.inet.tcp.keepintvl net.inet.tcp.keepinit
same sysctl net.inet.tcp.sendbuf_inc net.inet.tcp.sendbuf_max net.inet.tcp.recvbuf_inc \
  net.inet.tcp.recvbuf_max
same sysctl net.inet.ip.anonportmin net.inet.ip.anonportmax net.inet.udp.checksum \
  net.inet.udp.sendspace net.inet.udp.recvspace net.inet.arp.keep net.inet.arp.down
same sysctl net.inet.icmp.maskrepl net.inet.icmp.returndatabytes net.inet.icmp.errppslimit \
  net.inet.icmp.rediraccept net.inet.icmp.redirtimeout net.inet.icmp.bmcastecho
same sysctl -w net.inet.icmp.returndatabytes=4
same sysctl -n net.inet.ip.ttl
same sysctl -w net.inet.ip.ttl=32
same sysctl net.inet.ip.ttl
same sysctl -w net.inet.ip.ttl=64
same sysctl no.such.node

# ---- ping and traceroute to the local address
# One probe each: NetBSD's ping also sends a packet to the loopback (an
# echo reply with a bad checksum, "clear the cached route") before a probe
# whenever the clock's second changed since the last one, which would make
# the counters compared below depend on timing.
same ping -n -c 1 -w 10 10.0.0.1
same ping -n -q -c 1 -w 10 10.0.0.1
same traceroute -n -q 1 -m 2 -w 2 10.0.0.1
same traceroute -n -I -q 1 -m 2 -w 2 10.0.0.1

# ---- netstat and sockstat, the counters after all that
same netstat -rn
same netstat -an
same netstat -s
same netstat -in
same netstat -i
same sockstat

# ---- sysctl -a: node names only.
names() { sed -n -E 's/^([a-z][A-Za-z0-9_.-]*)( = |: ).*/\1/p' "$1" | sort -u; }
capture $A ours sysctl -a
capture $N nb sysctl -a
compared=$((compared + 1))
names ours.out >ours.names
names nb.out >nb.names
sysctl_ok=1
# Exit status and stderr as any other command.
sed -n '/^--- stderr:$/,$p' ours.raw >ours.tail
sed -n '/^--- stderr:$/,$p' nb.raw >nb.tail
if ! diff -u --label "NetBSD's server" --label "our server" nb.tail ours.tail; then
  echo "DIFFERENT: sysctl -a: stderr or exit status"
  sysctl_ok=0
fi
# Ours has only NetBSD's names and our own extras.
comm -23 ours.names nb.names | grep -v -E '^(net\.link\.impair\..*|net\.inet\.tcp\.ackdropppslimit)$' \
  >ours.extra
if [ -s ours.extra ]; then
  echo "DIFFERENT: sysctl -a: nodes of ours that NetBSD's kernel does not have:"
  cat ours.extra
  sysctl_ok=0
fi
# NetBSD's names we lack: exactly the file (the sysctl nodes we do not
# implement).
comm -13 ours.names nb.names >missing.now
sort -u "$MISSING_FILE" >missing.want
if [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]; then
  cp missing.now "$TEST_UNDECLARED_OUTPUTS_DIR/netbsd_sysctl_missing.txt"
fi
if ! cmp -s missing.now missing.want; then
  echo "DIFFERENT: sysctl -a: the nodes NetBSD's kernel has and ours does not are no longer" \
    "tests/tools/netbsd_sysctl_missing.txt (the sysctl nodes we do not implement; sorted," \
    "LC_ALL=C, one a line). Update the file:"
  echo "--- now implemented (remove from the file):"
  comm -13 missing.now missing.want
  echo "--- now missing (add to the file):"
  comm -23 missing.now missing.want
  if [ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]; then
    echo "--- the whole list as it is now: netbsd_sysctl_missing.txt in the test's" \
      "undeclared outputs (bazel-testlogs/tests/tools/netbsd_compare_test/test.outputs/outputs.zip)"
  fi
  sysctl_ok=0
fi
if [ $sysctl_ok = 1 ]; then
  echo "same: sysctl -a (names: ours has NetBSD's less the $(wc -l <missing.want) of" \
    "netbsd_sysctl_missing.txt, plus net.link.impair.* and net.inet.tcp.ackdropppslimit)"
else
  differing+=("sysctl -a")
fi

# ---- Last, interface down and up: with detection off neither sends
# anything (NetBSD's in_if_link_up), so the counters stay the same.
same ifconfig shmif0 down
same ifconfig shmif0
same ifconfig shmif0 up
same ifconfig shmif0
same netstat -s -p arp
same ifconfig -v shmif0

# ---- halt: both exit 0, and both processes end.
same halt
for pid in $PID_A $PID_N; do
  for _i in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && { out=""; err=""; fail "server $pid still running after halt"; }
done

if [ ${#differing[@]} -gt 0 ]; then
  echo "FAIL: ${#differing[@]} of $compared commands differ between our server and NetBSD's:"
  printf '  %s\n' "${differing[@]}"
  exit 1
fi
echo "all $compared commands the same"
echo PASS
