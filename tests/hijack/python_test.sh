#!/usr/bin/env bash
# Debian's python3, unmodified, under librumphijack (probe.py): a server in
# kernel A (UDP echo; a ForkingTCPServer whose forked children share the
# parent's kernel descriptors), a client in kernel B that checks UDP,
# socket options, non-blocking connect, poll over a host pipe and a kernel
# socket together, sendmsg/recvmsg, fork and ECONNREFUSED.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$PATH"
PROBE="$_runfiles/tests/hijack/probe.py"
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || fail "python3 is not installed (scripts/install-deps installs it)"


# start_probe URL MODE ADDR OUT: probe.py MODE in the kernel at URL, in the
# background ($probe is its PID), once it printed "ready" into OUT.
start_probe() {
  local url=$1 mode=$2 addr=$3 out=$4 i
  RUMP_SERVER=$url rumphijack "$PYTHON" "$PROBE" "$mode" "$addr" >"$out" 2>"$out.err" </dev/null &
  probe=$!
  for i in $(seq 1 1200); do
    grep -q ready "$out" 2>/dev/null && return 0
    kill -0 $probe 2>/dev/null || break
    sleep 0.05
  done
  grep -q ready "$out" || { cat "$out.err"; fail "probe.py $mode did not start in $url"; }
}

# wait_gone PID: waits (a minute at most) for the process to end; its status.
wait_gone() {
  local i
  for i in $(seq 1 1200); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$1" 2>/dev/null && fail "process $1 is still running"
  wait "$1"
}

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

start_probe $A server 10.0.0.1 server_out
server=$probe

on $B rumphijack "$PYTHON" "$PROBE" client 10.0.0.1
expect_rc 0
expect_out '^names: localhost from the host'
expect_out '^udp: echo from \(.10\.0\.0\.1., 7000\)$'
expect_out '^poll: host pipe and kernel socket together$'
expect_out '^poll: threads leave no wake-up pipes behind$'
expect_out '^fork: three children served$'
expect_out '^sigpipe: raised$'
expect_out '^sendfile: a host file into a kernel socket$'
expect_out '^ioctl: shmif0 10\.0\.0\.2 index [0-9]+ mac '
expect_out '^ancillary: IP_PKTINFO, IP_TTL, SCM_TIMESTAMP$'
expect_out '^OK$'

# "quit" made a child end its parent (SIGTERM, which ends a process blocked
# in the kernel's poll).
wait_gone $server
rc=$?
[ $rc -eq 143 ] || { cat server_out.err; fail "the python server exited $rc, not 143 (SIGTERM)"; }
on $A rump.netstat -an
expect_no_out '10\.0\.0\.1\.7001 .*LISTEN'

echo "--- asyncio (epoll over kernel sockets and asyncio's own host socketpair)"
start_probe $A aserver 10.0.0.1 aserver_out
server=$probe
on $B rumphijack "$PYTHON" "$PROBE" aclients 10.0.0.1
expect_rc 0
expect_out '^asyncio: 100 clients x 20 lines echoed$'
wait_gone $server || { cat aserver_out.err; fail "the asyncio server exited $?"; }

echo "--- inetd-style: a kernel socket dup2'ed onto 0 and 1, then exec"
start_probe $A inetd 10.0.0.1 inetd_out
server=$probe
seq 1 2000 >lines
RUMP_SERVER=$B rumphijack nc -N 10.0.0.1 7003 <lines >echoed 2>nc_err &
client=$!
wait_gone $client || { cat nc_err; fail "nc exited $?"; }
cmp lines echoed || { cat inetd_out.err; fail "the exec'ed copier echoed other bytes"; }
wait_gone $server || { cat inetd_out.err; fail "the inetd-style server exited $?"; }
grep -q ready inetd_out && ! grep -q -v ready inetd_out || fail "the copier wrote to the host's stdout"

echo "--- Ctrl-C: SIGINT interrupts a hijacked python blocked in a kernel recv"
# A server in the foreground, so that its status line (SIGUSR1) says when
# the recv is asleep in its kernel.
rump_server -s -lrumpnet -lrumpnet_net -lrumpnet_netinet unix://c 2>c_err &
cserver=$!
_pids="$_pids $cserver"
wait_for 60 "the foreground server" env RUMP_SERVER=unix://c rump.sysctl -n kern.hostname
start_probe unix://c sigint 127.0.0.1 sigint_out
asked=0
asleep() {
  asked=$((asked + 1))
  kill -USR1 $cserver
  wait_for 60 "status line $asked" test "$(grep -c 'rump_server: status:' c_err)" -ge $asked
  grep 'rump_server: status:' c_err | tail -1 | grep -Eq ', [1-9][0-9]* threads? asleep'
}
wait_for 60 "the recv to sleep in the kernel" asleep
kill -INT $probe
wait_gone $probe || { cat sigint_out.err; fail "python exited $? after SIGINT"; }
grep -q '^interrupted$' sigint_out || { cat sigint_out sigint_out.err; fail "no KeyboardInterrupt"; }
grep -q '^after: ok$' sigint_out || { cat sigint_out sigint_out.err; fail "no call after it"; }
kill $cserver

# With the NetBSD peer: the same probe with its client in NetBSD's own
# kernel (against our server), then its server there (against our client):
# the translation must be right for NetBSD's kernel, not only for ours.
if netbsd_peer; then
  N=unix://n
  start_netbsd $N
  configure $N shmif0 bus 10.0.0.3/24
  start_probe $A server 10.0.0.1 server_out
  server=$probe
  on $N rumphijack "$PYTHON" "$PROBE" client 10.0.0.1
  expect_rc 0
  expect_out '^OK$'
  wait_gone $server

  start_probe $N server 10.0.0.3 nserver_out
  server=$probe
  on $B rumphijack "$PYTHON" "$PROBE" client 10.0.0.3
  expect_rc 0
  expect_out '^fork: three children served$'
  expect_out '^OK$'
  wait_gone $server
fi
echo PASS
