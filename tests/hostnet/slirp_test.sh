#!/usr/bin/env bash
# Rootless host access: a rump_server running as an ordinary user (nobody,
# when the test runs as root) with slirp0, and only the host's loopback:
#  * the kernel fetches a page from a host HTTP server on 127.0.0.1 (curl,
#    hijacked, at the gateway 10.0.2.2);
#  * a host curl reaches python3 -m http.server running (hijacked) in the
#    kernel through a forwarded host port (hostfwd in the link string);
#  * a bad link string is refused with EINVAL.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
HIJACK_DIR="$_runfiles/capi/hijack"
PATH="$HIJACK_DIR:$PATH"
PYTHON=/usr/bin/python3
for p in "$PYTHON" curl; do
  command -v "$p" >/dev/null || fail "$p is not installed (scripts/install-deps installs it)"
done

mkdir www
head -c $((4 << 20)) /dev/urandom >www/big
want=$(sha256sum <www/big | cut -d' ' -f1)
port=$(free_port)
(cd www && exec "$PYTHON" -m http.server --bind 127.0.0.1 "$port" >../host_http.out 2>../host_http.err) &
_pids="$_pids $!"
wait_for 60 "the host's http.server" curl -s -o /dev/null "http://127.0.0.1:$port/big"

K=unix://k
if [ "$(id -u)" -eq 0 ]; then
  chmod 711 "$WORKDIR"
  mkdir -m 777 nobody
  K=unix://nobody/k
  SERVER_WRAPPER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
start_server $K -lrumpnet_slirp
SERVER_WRAPPER=()
if [ "$(id -u)" -eq 0 ]; then
  [ "$(ps -o user= -p "$(server_pid $K)")" = nobody ] || fail "the kernel does not run as nobody"
fi
fwd=$(free_port)
on $K rump.ifconfig slirp0 create
expect_rc 0
on $K rump.ifconfig slirp0 linkstr "hostfwd=tcp:127.0.0.1:$fwd-:8000"
expect_rc 0
on $K rump.ifconfig slirp0 inet 10.0.2.15/24
expect_rc 0
on $K rump.route add default 10.0.2.2
expect_rc 0
on $K rump.ifconfig slirp0
expect_out '^slirp0: flags=.*<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>'
expect_out $'^\tlinkstr: net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,hostfwd=tcp:127.0.0.1:'"$fwd"'-10.0.2.15:8000$'

echo "--- the kernel fetches from the host's loopback"
KURL=unix://$WORKDIR/${K#unix://}
on $K rumphijack curl -sS -o got_from_host "http://10.0.2.2:$port/big"
expect_rc 0
[ "$(sha256sum <got_from_host | cut -d' ' -f1)" = "$want" ] || fail "the kernel's curl got a different file"

echo "--- the host reaches the kernel through a forwarded port"
(cd www && RUMP_SERVER=$KURL exec rumphijack "$PYTHON" -m http.server --bind 10.0.2.15 8000 \
  >../kernel_http.out 2>../kernel_http.err) &
_pids="$_pids $!"
wait_for 60 "http.server in the kernel" \
  sh -c "RUMP_SERVER=$K rump.netstat -an | grep -q '10\.0\.2\.15\.8000 .*LISTEN'"
run curl -sS -o got_from_kernel "http://127.0.0.1:$fwd/big"
expect_rc 0
[ "$(sha256sum <got_from_kernel | cut -d' ' -f1)" = "$want" ] || fail "the host's curl got a different file"
echo "4 MiB by HTTP each way through slirp, SHA-256 equal"

echo "--- bad link strings"
on $K rump.ifconfig slirp1 create
expect_rc 0
on $K rump.ifconfig slirp1 linkstr bogus=1
expect_fail
expect_err 'Invalid argument'
on $K rump.ifconfig slirp1 linkstr "hostfwd=tcp::70000-:80"
expect_fail
expect_err 'Invalid argument'
echo PASS
