#!/usr/bin/env bash
# Debian's python3 -m http.server, curl and socat, unmodified, under
# librumphijack: a 64 MiB file served from kernel A and fetched by curl in
# kernel B, checksummed; then socat, hijacked, relaying a host unix socket
# (AF_LOCAL stays on the host by default) to the kernel's HTTP server, and
# the host's own curl fetching through it.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$PATH"
PYTHON=/usr/bin/python3
for p in "$PYTHON" curl socat; do
  command -v "$p" >/dev/null || fail "$p is not installed (scripts/install-deps installs it)"
done

A=unix://a
B=unix://b
start_server $A
start_server $B
configure $A shmif0 bus 10.0.0.1/24
configure $B shmif0 bus 10.0.0.2/24

mkdir www
head -c $((64 << 20)) /dev/urandom >www/big
echo "a small page" >www/small
want=$(sha256sum <www/big | cut -d' ' -f1)
# The server's working directory is www: its URL must not be relative.
(cd www && RUMP_SERVER=unix://$WORKDIR/a exec rumphijack "$PYTHON" -m http.server \
  --bind 10.0.0.1 8000 >../http_out 2>../http_err) &
server=$!
_pids="$_pids $server"
for i in $(seq 1 1200); do
  RUMP_SERVER=$A rump.netstat -an | grep -q '10\.0\.0\.1\.8000 .*LISTEN' && break
  kill -0 $server 2>/dev/null || break
  sleep 0.05
done
RUMP_SERVER=$A rump.netstat -an | grep -q '10\.0\.0\.1\.8000 .*LISTEN' ||
  { cat http_err; fail "http.server is not listening in kernel A"; }

start=$(date +%s.%N)
on $B rumphijack curl -sS -o got_big http://10.0.0.1:8000/big
expect_rc 0
end=$(date +%s.%N)
got=$(sha256sum <got_big | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "curl's copy differs (sha256 $got, want $want)"
echo "64 MiB through curl and http.server, both hijacked: $(awk "BEGIN { print $end - $start }") s, sha256 equal"

echo "--- socat: a host unix socket relayed to the kernel's server"
RUMP_SERVER=$B rumphijack socat UNIX-LISTEN:relay.sock,fork TCP:10.0.0.1:8000 2>socat_err &
relay=$!
_pids="$_pids $relay"
for i in $(seq 1 1200); do
  [ -S relay.sock ] && break
  kill -0 $relay 2>/dev/null || break
  sleep 0.05
done
[ -S relay.sock ] || { cat socat_err; fail "socat did not listen on relay.sock"; }
for i in 1 2 3; do
  run curl -sS --unix-socket relay.sock http://x/small
  expect_rc 0
  expect_out_eq "a small page"
done
echo PASS
