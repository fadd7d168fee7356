#!/usr/bin/env bash
# The shmif(4) manual's scenario, with Linux as the host: a router kernel
# with shmif0 on a bus and virt0 on a tap in a network namespace this test
# creates, two kernels on the bus behind it, and Linux in the namespace:
#  * Linux pings the router 10,000 times (flood) without loss, and pings a
#    kernel behind the router;
#  * Linux's curl fetches from python3 -m http.server running (hijacked) in
#    a bus kernel, and a bus kernel's curl (hijacked) fetches from Linux's
#    python3 -m http.server;
#  * Linux's TCP and ours, across the router: 256 MiB each way with SHA-256
#    on both ends, through a half-close (tests/hostnet/bulk.py);
#  * a kernel run as nobody: without a tap it cannot come up (EPERM), and
#    with a tap descriptor a privileged helper hands it (linkstr fd:N) it
#    answers Linux;
#  * the same routing with NetBSD's own rump kernel as the router (its
#    rumpnet_virtif), when the peer is there (RUMP_NETBSD_PEER).
# Needs root (network namespaces, taps): skipped with a message without.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$PATH"
BULK="$_runfiles/tests/hostnet/bulk.py"
[ -f "$BULK" ] || fail "missing $BULK"
PYTHON=/usr/bin/python3
for p in "$PYTHON" curl ping; do
  command -v "$p" >/dev/null || fail "$p is not installed (scripts/install-deps installs it)"
done
new_netns NS || exit 0
in_ns() { ip netns exec "$NS" "$@"; }

BULK_BYTES=$((256 << 20))

# bulk_both_ways URL KERNEL_ADDR PORT: Linux (in $NS) sends BULK_BYTES to
# bulk.py hijacked in the kernel at URL, which sends BULK_BYTES back.
bulk_both_ways() {
  local url=$1 addr=$2 port=$3 server start end
  RUMP_SERVER=unix://$WORKDIR/${url#unix://} rumphijack "$PYTHON" "$BULK" server "$addr" "$port" \
    "$BULK_BYTES" >bulk_server.out 2>bulk_server.err &
  server=$!
  _pids="$_pids $server"
  wait_for 60 "bulk.py listening in $url" \
    sh -c "grep -q listening bulk_server.out || ! kill -0 $server"
  grep -q listening bulk_server.out || { cat bulk_server.err; fail "bulk.py did not start in $url"; }
  start=$(date +%s.%N)
  run in_ns "$PYTHON" "$BULK" client "$addr" "$port" "$BULK_BYTES"
  expect_rc 0
  end=$(date +%s.%N)
  wait "$server" || { cat bulk_server.err; fail "bulk.py in the kernel failed"; }
  local up_sent up_got down_sent down_got
  up_sent=$(printf '%s\n' "$out" | sed -n 's/^sent //p')
  down_got=$(printf '%s\n' "$out" | sed -n 's/^received //p')
  up_got=$(sed -n 's/^received //p' bulk_server.out)
  down_sent=$(sed -n 's/^sent //p' bulk_server.out)
  [ -n "$up_sent" ] && [ "$up_sent" = "$up_got" ] ||
    fail "Linux -> kernel: sent '$up_sent', the kernel received '$up_got'"
  [ -n "$down_sent" ] && [ "$down_sent" = "$down_got" ] ||
    fail "kernel -> Linux: sent '$down_sent', Linux received '$down_got'"
  case "$up_got" in "$BULK_BYTES "*) ;; *) fail "short transfer: $up_got" ;; esac
  echo "256 MiB each way between Linux and $addr: $(awk "BEGIN { print $end - $start }") s, SHA-256 equal"
}

echo "--- our router: virt0 on tun0 in $NS, shmif0 on the bus"
R=unix://r
B1=unix://b1
B2=unix://b2
SERVER_WRAPPER=(ip netns exec "$NS")
start_server $R -lrumpnet_virtif
SERVER_WRAPPER=()
start_server $B1
start_server $B2
on $R rump.ifconfig virt0 create
expect_rc 0
on $R rump.ifconfig virt0 inet 10.90.0.2/24
expect_rc 0
on $R rump.ifconfig virt0 up
expect_rc 0
on $R rump.ifconfig virt0
expect_out '^virt0: flags=.*<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>'
expect_out $'^\taddress: b2:0a:[0-9a-f]{2}:0b:0e:00$'
expect_out $'^\tlinkstr: tun0$'
configure $R shmif0 bus 10.91.0.1/24
configure $B1 shmif0 bus 10.91.0.2/24
configure $B2 shmif0 bus 10.91.0.3/24
on $B1 rump.route add default 10.91.0.1
expect_rc 0
on $B2 rump.route add default 10.91.0.1
expect_rc 0

run in_ns ip link set tun0 up
expect_rc 0
run in_ns ip addr add 10.90.0.1/24 dev tun0
expect_rc 0
run in_ns ip route add 10.91.0.0/24 via 10.90.0.2
expect_rc 0
wait_for 30 "virt0's link state to follow tun0 up" \
  sh -c "RUMP_SERVER=$R rump.ifconfig -v virt0 | grep -q 'linkstate: up'"

echo "--- ping"
run in_ns ping -q -f -c 10000 10.90.0.2
expect_rc 0
expect_out '10000 packets transmitted, 10000 received, 0% packet loss'
run in_ns ping -c 3 -i 0.2 10.91.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 received'
on $B1 rump.ping -c 2 -i 0.2 10.90.0.1
expect_rc 0
expect_out '2 packets transmitted, 2 packets received'

echo "--- HTTP both ways across the router"
mkdir www
head -c $((8 << 20)) /dev/urandom >www/big
want=$(sha256sum <www/big | cut -d' ' -f1)
(cd www && RUMP_SERVER=unix://$WORKDIR/b1 exec rumphijack "$PYTHON" -m http.server \
  --bind 10.91.0.2 8000 >../http_b1.out 2>../http_b1.err) &
_pids="$_pids $!"
(cd www && exec ip netns exec "$NS" "$PYTHON" -m http.server --bind 10.90.0.1 8080 \
  >../http_linux.out 2>../http_linux.err) &
_pids="$_pids $!"
wait_for 60 "http.server in kernel B1" \
  sh -c "RUMP_SERVER=$B1 rump.netstat -an | grep -q '10\.91\.0\.2\.8000 .*LISTEN'"
wait_for 60 "http.server on Linux" in_ns sh -c "ss -ltn | grep -q '10.90.0.1:8080'"
run in_ns curl -sS -o got_from_b1 http://10.91.0.2:8000/big
expect_rc 0
[ "$(sha256sum <got_from_b1 | cut -d' ' -f1)" = "$want" ] || fail "Linux's curl got a different file"
on $B2 rumphijack curl -sS -o got_from_linux http://10.90.0.1:8080/big
expect_rc 0
[ "$(sha256sum <got_from_linux | cut -d' ' -f1)" = "$want" ] || fail "B2's curl got a different file"
echo "8 MiB by HTTP each way, SHA-256 equal"

echo "--- Linux TCP <-> our TCP across the router"
bulk_both_ways $B1 10.91.0.2 5001
on $R rump.netstat -s -p ip
expect_out '[1-9][0-9]* packets forwarded'

echo "--- an unprivileged kernel, given its tap by a privileged helper"
TAP_FD="$_runfiles/tests/hostnet/tap_fd.py"
chmod 711 "$WORKDIR"
mkdir -m 777 nobody
U=unix://nobody/u
SERVER_WRAPPER=(ip netns exec "$NS" "$PYTHON" "$TAP_FD" rvgift0 7 setpriv --reuid=65534 --regid=65534 --clear-groups)
start_server $U -lrumpnet_virtif
SERVER_WRAPPER=()
[ "$(ps -o user= -p "$(server_pid $U)")" = nobody ] || fail "the kernel does not run as nobody"
on $U rump.ifconfig virt0 create
expect_rc 0
on $U rump.ifconfig virt0 up
expect_fail
expect_err 'Permission denied'
on $U rump.ifconfig virt0 down
expect_rc 0
on $U rump.ifconfig virt0 linkstr fd:7
expect_rc 0
on $U rump.ifconfig virt0 inet 10.94.0.2/24
expect_rc 0
on $U rump.ifconfig virt0
expect_out $'^\tlinkstr: rvgift0$'
run in_ns ip link set rvgift0 up
expect_rc 0
run in_ns ip addr add 10.94.0.1/24 dev rvgift0
expect_rc 0
run in_ns ping -c 3 -i 0.2 -w 60 10.94.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 received'

if ! netbsd_peer; then
  echo PASS
  exit 0
fi

echo "--- NetBSD's rump kernel as the router, in a namespace of its own"
new_netns NS || fail "a second namespace"
N=unix://n
B3=unix://b3
SERVER_WRAPPER=(ip netns exec "$NS")
start_netbsd $N -lrumpnet_virtif
SERVER_WRAPPER=()
start_server $B3
nb $N ifconfig virt0 create
expect_rc 0
nb $N ifconfig virt0 inet 10.92.0.2/24
expect_rc 0
nb_configure $N shmif0 bus2 10.93.0.1/24
configure $B3 shmif0 bus2 10.93.0.2/24
on $B3 rump.route add default 10.93.0.1
expect_rc 0
run in_ns ip link set tun0 up
expect_rc 0
run in_ns ip addr add 10.92.0.1/24 dev tun0
expect_rc 0
run in_ns ip route add 10.93.0.0/24 via 10.92.0.2
expect_rc 0
# NetBSD's tentative period (about 10 s after ifconfig) ends first.
wait_for 60 "NetBSD's router to answer Linux" in_ns ping -c 1 -W 1 10.92.0.2
run in_ns ping -c 3 -i 0.2 10.93.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 received'
bulk_both_ways $B3 10.93.0.2 5002
echo PASS
