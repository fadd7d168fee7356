#!/usr/bin/env bash
# Debian's own nc (netcat-openbsd), unmodified, under librumphijack: a
# listener in kernel A, a client in kernel B, on one bus.
#   - data both ways (checksummed) and EOF with -N;
#   - an idle connection seen by rump.netstat in both kernels and not by the
#     host; data typed on either side wakes the other's poll, which waits on
#     a host descriptor (stdin) and a kernel socket together;
#   - exec: sh -c 'exec nc ...' keeps its kernel process across the exec;
#   - SIGTERM ends an nc blocked in accept in the kernel;
#   - bad RUMPHIJACK / RUMP_SERVER values: a message and exit 1;
#   - the server killed under a running nc: nc fails, it does not hang.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$PATH"
[ -x "$HIJACK_DIR/rumphijack" ] || fail "missing $HIJACK_DIR/rumphijack"
NC=$(command -v nc) || fail "nc is not installed (scripts/install-deps installs netcat-openbsd)"

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

# wait_for DESCRIPTION COMMAND...: polls COMMAND until it succeeds (a minute
# at most, only to catch a hang).
wait_for() {
  local what=$1 i
  shift
  for i in $(seq 1 1200); do
    "$@" && return 0
    sleep 0.05
  done
  fail "timed out waiting for $what"
}
listening() { RUMP_SERVER=$1 rump.netstat -an 2>/dev/null | grep -q "^tcp .* $2 .*LISTEN"; }
has_line() { [ -f "$1" ] && grep -q "$2" "$1"; }

# wait_exit PID: the process's exit status (a minute at most).
wait_exit() {
  local pid=$1 i
  for i in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && fail "process $pid still running"
  wait "$pid"
}

echo "--- bad input"
RUMPHIJACK=sockets=inet on $A rumphijack nc -h
expect_rc 1
expect_err '^rumphijack: RUMPHIJACK: unknown name "sockets"'
RUMPHIJACK=socket=all:ipx on $A rumphijack nc -h
expect_rc 1
expect_err 'unknown protocol family "ipx"'
RUMPHIJACK_RETRYCONNECT=sometimes on $A rumphijack true
expect_rc 1
expect_err 'RUMPHIJACK_RETRYCONNECT: "sometimes"'
run env -u RUMP_SERVER rumphijack true
expect_rc 1
expect_err 'RUMP_SERVER is not set'
run env -u RUMP_SERVER LD_PRELOAD="$HIJACK_DIR/librumphijack.so" true
expect_rc 1
expect_err '^rumphijack: RUMP_SERVER is not set'
on unix://nowhere rumphijack true
expect_rc 1
expect_err '^rumphijack: cannot connect to RUMP_SERVER=unix://nowhere'
on zmq+ipc://x rumphijack true
expect_rc 1
expect_err 'ZeroMQ transports cannot be used'

echo "--- data each way, then EOF"
# One direction per connection: an nc listener quits as soon as the network
# side ends (its -N semantics), so a listener still sending must not be
# sent an EOF first. -d: the receiving side does not read its stdin.
head -c 300000 /dev/urandom >to_b
head -c 200000 /dev/urandom >to_a
# transfer FROM TO PORT: nc -N -l in A sends `to_b` to nc -d in B, or nc -N
# in B sends `to_a` to nc -d -l in A.
transfer() {
  local dir=$1 port=$2 listener client rc
  if [ "$dir" = a_to_b ]; then
    RUMP_SERVER=$A rumphijack nc -N -l 10.0.0.1 $port <to_b >/dev/null 2>err_a &
  else
    RUMP_SERVER=$A rumphijack nc -d -l 10.0.0.1 $port >got_a 2>err_a &
  fi
  listener=$!
  wait_for "nc to listen in kernel A" listening $A 10.0.0.1.$port
  if [ "$dir" = a_to_b ]; then
    RUMP_SERVER=$B rumphijack nc -d 10.0.0.1 $port >got_b 2>err_b &
  else
    RUMP_SERVER=$B rumphijack nc -N 10.0.0.1 $port <to_a >/dev/null 2>err_b &
  fi
  client=$!
  wait_exit $client
  rc=$?
  [ $rc -eq 0 ] || { cat err_b; fail "client nc exited $rc"; }
  wait_exit $listener
  rc=$?
  [ $rc -eq 0 ] || { cat err_a; fail "listening nc exited $rc"; }
}
transfer a_to_b 5000
cmp to_b got_b || fail "B received other bytes than A sent"
transfer b_to_a 5005
cmp to_a got_a || fail "A received other bytes than B sent"
echo "300000 bytes A->B and 200000 bytes B->A, identical"

# With the NetBSD peer: the same transfers with one end in NetBSD's own
# kernel on the bus.
if netbsd_peer; then
  N=unix://n
  start_netbsd $N
  configure $N shmif0 bus 10.0.0.3/24
  RUMP_SERVER=$N rumphijack nc -N -l 10.0.0.3 5006 <to_b >/dev/null 2>err_a &
  listener=$!
  wait_for "nc to listen in NetBSD's kernel" listening $N 10.0.0.3.5006
  RUMP_SERVER=$B rumphijack nc -d 10.0.0.3 5006 >got_b 2>err_b &
  client=$!
  wait_exit $client || fail "client nc exited $?: $(cat err_b)"
  wait_exit $listener || fail "nc in NetBSD's kernel exited $?: $(cat err_a)"
  cmp to_b got_b || fail "our kernel received other bytes than NetBSD's sent"
  RUMP_SERVER=$A rumphijack nc -d -l 10.0.0.1 5007 >got_a 2>err_a &
  listener=$!
  wait_for "nc to listen in kernel A" listening $A 10.0.0.1.5007
  RUMP_SERVER=$N rumphijack nc -N 10.0.0.1 5007 <to_a >/dev/null 2>err_b &
  client=$!
  wait_exit $client || fail "nc in NetBSD's kernel exited $?: $(cat err_b)"
  wait_exit $listener || fail "listening nc exited $?: $(cat err_a)"
  cmp to_a got_a || fail "our kernel received other bytes than NetBSD's sent"
  echo "the same, with NetBSD's kernel at one end: identical"
fi

echo "--- an idle connection: in the kernels, not on the host; either side wakes the other"
mkfifo in_a in_b
exec 3<>in_a 4<>in_b
RUMP_SERVER=$A rumphijack nc -N -l 10.0.0.1 5001 <in_a >out_a 2>err_a 3>&- 4>&- &
listener=$!
wait_for "nc to listen in kernel A" listening $A 10.0.0.1.5001
RUMP_SERVER=$B rumphijack nc -N 10.0.0.1 5001 <in_b >out_b 2>err_b 3>&- 4>&- &
client=$!
echo "hello from B" >&4
wait_for "A to receive B's line" has_line out_a "hello from B"
echo "hello from A" >&3
wait_for "B to receive A's line" has_line out_b "hello from A"
on $A rump.netstat -an
expect_out '^tcp +[0-9]+ +[0-9]+ +10\.0\.0\.1\.5001 +10\.0\.0\.2\.[0-9]+ +ESTABLISHED$'
on $B rump.netstat -an
expect_out '^tcp +[0-9]+ +[0-9]+ +10\.0\.0\.2\.[0-9]+ +10\.0\.0\.1\.5001 +ESTABLISHED$'
if command -v ss >/dev/null; then
  ! ss -tanH | grep -q ':5001\b' || fail "the host has a socket on port 5001"
fi
# Port 5001 is 1389 in /proc/net/tcp's hexadecimal.
! grep -qi ':1389 ' /proc/net/tcp /proc/net/tcp6 2>/dev/null || fail "the host's /proc/net/tcp has port 5001"
exec 3>&- 4>&-
wait_exit $client || fail "client nc exited $?: $(cat err_b)"
wait_exit $listener || fail "listening nc exited $?: $(cat err_a)"

echo "--- exec: sh -c 'exec nc ...' keeps its kernel process"
echo "through exec" >line
RUMP_SERVER=$A rumphijack nc -N -l 10.0.0.1 5002 >got_exec 2>err_a </dev/null &
listener=$!
wait_for "nc to listen in kernel A" listening $A 10.0.0.1.5002
RUMP_SERVER=$B rumphijack sh -c 'exec nc -N 10.0.0.1 5002 <line' 2>err_b &
client=$!
wait_exit $client || fail "sh/nc exited $?: $(cat err_b)"
wait_exit $listener || fail "listening nc exited $?: $(cat err_a)"
[ "$(cat got_exec)" = "through exec" ] || fail "A got '$(cat got_exec)' through the exec'ed nc"

echo "--- SIGTERM ends nc blocked in accept in the kernel"
RUMP_SERVER=$A rumphijack nc -l 10.0.0.1 5003 </dev/null >/dev/null 2>&1 &
listener=$!
wait_for "nc to listen in kernel A" listening $A 10.0.0.1.5003
kill -TERM $listener
wait_exit $listener
rc=$?
[ $rc -eq 143 ] || fail "nc exited $rc after SIGTERM, not 143"
wait_for "the listener to go from kernel A" sh -c "! RUMP_SERVER=$A rump.netstat -an | grep -q 10.0.0.1.5003"

echo "--- the server killed under a running nc"
RUMP_SERVER=$A rumphijack nc -l 10.0.0.1 5004 </dev/null >/dev/null 2>err_a &
listener=$!
wait_for "nc to listen in kernel A" listening $A 10.0.0.1.5004
kill -KILL "$(server_pid $A)"
wait_exit $listener
rc=$?
[ $rc -ne 0 ] || fail "nc exited 0 after its kernel went away"
cat err_a
echo "PASS"
