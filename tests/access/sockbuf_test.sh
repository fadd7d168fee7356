#!/bin/bash
# rump_server --max-sockbuf: every client's process gets RLIMIT_SBSIZE, the
# socket buffer memory (SO_SNDBUF + SO_RCVBUF) it may hold. A client that
# spends its budget gets ENOBUFS (NetBSD's 55) from socket(2) and
# setsockopt while another client of the same server still opens sockets
# and talks UDP; closing a socket makes room again. Bad values are refused.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
source "$TEST_SRCDIR/rump/tests/access/lib.sh"
PATH="$TEST_SRCDIR/rump/tests/access:$PATH"

# A UDP socket holds udp_sendspace + udp_recvspace = 9216 + 41600 bytes:
# 200k (204800 bytes) fits four of them.
echo "=== --max-sockbuf=200k"
start_fg b unix://b --max-sockbuf=200k
grep -q "socket buffers of each client process limited to 204800 bytes" b.out ||
  fail "b.out lacks the limit line: $(cat b.out)"
on unix://b rump.sysctl -n proc.curproc.rlimit.sbsize.soft proc.curproc.rlimit.sbsize.hard
expect_rc 0
expect_out_eq "$(printf '204800\n204800')"

echo "=== one client spends its budget and holds it"
rm -f fill.in
mkfifo fill.in
RUMP_SERVER=unix://b rumpsockbuf <fill.in >fill.out 2>fill.err &
fill_pid=$!
exec 7>fill.in
wait_for 30 "the filling client's report" grep -q "^rcvbuf" fill.out
[ "$(head -2 fill.out)" = "$(printf 'sockets 4 errno 55\nrcvbuf errno 55')" ] ||
  fail "filling client: $(cat fill.out) $(cat fill.err)"

echo "=== meanwhile other clients of the same server have budgets of their own"
on unix://b rumpid udp
expect_rc 0
expect_out_eq "udp ok"
on unix://b rumpsockbuf
expect_rc 0
expect_out_eq "$(printf 'sockets 4 errno 55\nrcvbuf errno 55\nreopen errno 0')"

echo "=== closing a socket makes room for a new one"
exec 7>&-
wait "$fill_pid" || fail "the filling client failed: $(cat fill.err)"
[ "$(tail -1 fill.out)" = "reopen errno 0" ] || fail "filling client: $(cat fill.out)"

echo "=== without the option: unlimited, as NetBSD"
start_fg u unix://u
grep -q "socket buffers" u.out && fail "u.out has a limit line: $(cat u.out)"
on unix://u rump.sysctl -n proc.curproc.rlimit.sbsize.soft
expect_rc 0
expect_out_eq "unlimited"  # sysctl(8) prints RLIM_INFINITY so

echo "=== bad values"
for v in 0 -5 12x k 99999999999g; do
  run rump_server -s --max-sockbuf="$v" unix://bad
  expect_rc 1
  expect_err "--max-sockbuf: invalid size \"$v\" \(bytes, at least 1, with an optional k, m or g suffix\)"
done
[ -e bad ] && fail "a refused start left a socket file"

echo PASS
