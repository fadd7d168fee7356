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

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

RUMP_SERVER=$A rumphijack "$PYTHON" "$PROBE" server 10.0.0.1 >server_out 2>server_err &
server=$!
for i in $(seq 1 1200); do
  grep -q ready server_out 2>/dev/null && break
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
grep -q ready server_out || { cat server_err; fail "the python server did not start"; }

on $B rumphijack "$PYTHON" "$PROBE" client 10.0.0.1
expect_rc 0
expect_out '^names: localhost from the host'
expect_out '^udp: echo from \(.10\.0\.0\.1., 7000\)$'
expect_out '^poll: host pipe and kernel socket together$'
expect_out '^fork: three children served$'
expect_out '^sigpipe: raised$'
expect_out '^sendfile: a host file into a kernel socket$'
expect_out '^OK$'

# "quit" made a child end its parent (SIGTERM, which ends a process blocked
# in the kernel's poll).
for i in $(seq 1 1200); do
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
kill -0 $server 2>/dev/null && fail "the python server is still running"
wait $server
rc=$?
[ $rc -eq 143 ] || { cat server_err; fail "the python server exited $rc, not 143 (SIGTERM)"; }
on $A rump.netstat -an
expect_no_out '10\.0\.0\.1\.7001 .*LISTEN'

echo "--- asyncio (epoll over kernel sockets and asyncio's own host socketpair)"
RUMP_SERVER=$A rumphijack "$PYTHON" "$PROBE" aserver 10.0.0.1 >aserver_out 2>aserver_err &
server=$!
for i in $(seq 1 1200); do
  grep -q ready aserver_out 2>/dev/null && break
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
grep -q ready aserver_out || { cat aserver_err; fail "the asyncio server did not start"; }
on $B rumphijack "$PYTHON" "$PROBE" aclients 10.0.0.1
expect_rc 0
expect_out '^asyncio: 100 clients x 20 lines echoed$'
for i in $(seq 1 1200); do
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
kill -0 $server 2>/dev/null && fail "the asyncio server is still running"
wait $server || { cat aserver_err; fail "the asyncio server exited $?"; }

echo "--- inetd-style: a kernel socket dup2'ed onto 0 and 1, then exec"
RUMP_SERVER=$A rumphijack "$PYTHON" "$PROBE" inetd 10.0.0.1 >inetd_out 2>inetd_err </dev/null &
server=$!
for i in $(seq 1 1200); do
  grep -q ready inetd_out 2>/dev/null && break
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
grep -q ready inetd_out || { cat inetd_err; fail "the inetd-style server did not start"; }
seq 1 2000 >lines
RUMP_SERVER=$B rumphijack nc -N 10.0.0.1 7003 <lines >echoed 2>nc_err &
client=$!
for i in $(seq 1 1200); do
  kill -0 $client 2>/dev/null || break
  sleep 0.05
done
kill -0 $client 2>/dev/null && fail "nc is still running"
wait $client || { cat nc_err; fail "nc exited $?"; }
cmp lines echoed || { cat inetd_err; fail "the exec'ed copier echoed other bytes"; }
wait $server || { cat inetd_err; fail "the inetd-style server exited $?"; }
grep -q ready inetd_out && ! grep -q -v ready inetd_out || fail "the copier wrote to the host's stdout"

# With the NetBSD peer: the same probe with its client in NetBSD's own
# kernel (against our server), then its server there (against our client):
# the translation must be right for NetBSD's kernel, not only for ours.
if netbsd_peer; then
  N=unix://n
  start_netbsd $N
  configure $N shmif0 bus 10.0.0.3/24
  RUMP_SERVER=$A rumphijack "$PYTHON" "$PROBE" server 10.0.0.1 >server_out 2>server_err &
  server=$!
  for i in $(seq 1 1200); do
    grep -q ready server_out 2>/dev/null && break
    kill -0 $server 2>/dev/null || break
    sleep 0.05
  done
  grep -q ready server_out || { cat server_err; fail "the python server did not start"; }
  on $N rumphijack "$PYTHON" "$PROBE" client 10.0.0.1
  expect_rc 0
  expect_out '^OK$'
  wait $server

  RUMP_SERVER=$N rumphijack "$PYTHON" "$PROBE" server 10.0.0.3 >nserver_out 2>nserver_err &
  server=$!
  for i in $(seq 1 1200); do
    grep -q ready nserver_out 2>/dev/null && break
    kill -0 $server 2>/dev/null || break
    sleep 0.05
  done
  grep -q ready nserver_out || { cat nserver_err; fail "the python server did not start in NetBSD's kernel"; }
  on $B rumphijack "$PYTHON" "$PROBE" client 10.0.0.3
  expect_rc 0
  expect_out '^fork: three children served$'
  expect_out '^OK$'
  wait $server
fi
echo PASS
