#!/bin/bash
# CURVE on the ZeroMQ transports, as a user sets it up: rump.keygen makes
# key pairs; rump_server --curve-key --curve-allow serves zmq+tcp://; the
# tools connect with RUMP_SERVER_KEY / RUMP_CLIENT_KEY. An unknown key, no
# CURVE, a wrong server key and NetBSD's own client (when RUMP_NETBSD_PEER
# names the peer) are refused with a clear message (and no hang), logged
# once; SIGHUP after editing the allow-list admits the new
# key and keeps the client already connected; the policy's `curve KEY`
# rule maps a client to credentials; misuse is a clear error.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
source "$TEST_SRCDIR/rump/tests/access/lib.sh"
PATH="$TEST_SRCDIR/rump/tests/access:$TEST_SRCDIR/rump/rump/cmd/tools:$PATH"

log_count() { grep -c -F -- "$2" "$1.log" || true; }

# as KEYNAME CMD...: CMD with the server's public key and KEYNAME.key as ours
# (KEYNAME "-": no key of our own).
as() {
  local key=$1
  shift
  if [ "$key" = - ]; then
    run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=srv.pub "$@"
  else
    run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=srv.pub RUMP_CLIENT_KEY="$key.key" "$@"
  fi
}

pubkey() { sed -n 's/^ *public-key = "\(.*\)"$/\1/p' "$1.pub"; }

echo "=== rump.keygen"
run rump.keygen srv
expect_rc 0
[ "$(stat -c %a srv.key)" = 600 ] || fail "srv.key mode $(stat -c %a srv.key)"
grep -q "secret-key" srv.pub && fail "srv.pub holds the secret key"
[ "$out" = "$(pubkey srv)" ] || fail "rump.keygen printed $out, srv.pub has $(pubkey srv)"
for k in alice bob carol; do
  run rump.keygen $k
  expect_rc 0
done
run rump.keygen alice
expect_rc 1
expect_err "alice.key: File exists \(not overwriting a key file\)"
run rump.keygen
expect_rc 1
expect_err "usage: rump.keygen"

echo "=== a server with an allow-list and a policy"
port=$(free_port)
URL="zmq+tcp://127.0.0.1:$port"
{
  echo "# who may connect"
  echo "$(pubkey alice) alice"
  echo "$(pubkey bob)   bob"
} >allow
cat >policy <<EOP
curve $(pubkey alice) uid=1000 gid=1000
curve *             root
EOP
start_fg c "$URL" --curve-key=srv.key --curve-allow=allow --policy=policy

as alice rump.sysctl -n kern.hostname
expect_rc 0
expect_out "^rump-"
as alice rumpid
expect_rc 0
expect_out_eq "uid=1000 euid=1000 gid=1000 egid=1000"
as bob rumpid
expect_rc 0
expect_out_eq "uid=0 euid=0 gid=0 egid=0"
grep -q -F "connected (curve $(pubkey alice))" c.log || fail "c.log lacks alice's identity: $(cat c.log)"

echo "=== refused: an unknown key (twice), no key, a wrong server key (twice)"
for i in 1 2; do
  as carol rump.sysctl -n kern.hostname
  expect_rc 1
  expect_err "the server refused our CURVE key"
  expect_no_out "rump-"
done
as - rump.sysctl -n kern.hostname  # an ephemeral key: unknown too
expect_rc 1
expect_err "the server refused our CURVE key"
run env RUMP_SERVER="$URL" rump.sysctl -n kern.hostname
expect_rc 1
expect_err "require"
for i in 1 2; do
  run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=bob.pub RUMP_CLIENT_KEY=alice.key rump.sysctl -n kern.hostname
  expect_rc 1
  expect_err "CURVE handshake failed \(wrong server key\?\)"
done
# The server still serves (and has seen every failure before this client).
as alice rump.sysctl -n kern.hostname
expect_rc 0
[ "$(log_count c "(curve $(pubkey carol)): refused: the key is not on the CURVE allow-list")" -eq 1 ] ||
  fail "expected one refusal line for carol: $(cat c.log)"
# (Logged once per peer address; a peer gone before the server read its
# address counts as one more.)
wait_for 30 "the wrong-server-key refusal line" grep -q "the client has a wrong server public key" c.log
[ "$(log_count c "the client has a wrong server public key")" -le 2 ] ||
  fail "refusals logged more than once per address: $(cat c.log)"

echo "=== refused: NetBSD's own client (it has no ZeroMQ) at the CURVE server's port"
if netbsd_peer; then
  nb "tcp://127.0.0.1:$port/" sysctl -n kern.hostname
  expect_fail
  expect_no_out "rump-"
  expect_err "rumpclient init failed"
  # (Its handshake failure is logged once per address and reason: the
  # keyless client above may have logged it already.) The server serves on.
  as alice rump.sysctl -n kern.hostname
  expect_rc 0
  expect_out "^rump-"
fi

echo "=== SIGHUP: carol in, alice out; the connected alice stays"
rm -f hold.in
mkfifo hold.in
RUMP_SERVER="$URL" RUMP_SERVER_KEY=srv.pub RUMP_CLIENT_KEY=alice.key rumpid hold <hold.in >hold.out 2>hold.err &
hold_pid=$!
exec 7>hold.in
wait_for 30 "the held client's first line" grep -q "^uid=1000" hold.out
echo "$(pubkey carol) carol" >allow
kill -HUP "$FG_PID_c"
wait_for 30 "the reload" grep -q "SIGHUP: allow: 1 key allowed" c.log
as carol rumpid
expect_rc 0
expect_out_eq "uid=0 euid=0 gid=0 egid=0"
as alice rumpid
expect_rc 1
expect_err "the server refused our CURVE key"
exec 7>&-
wait "$hold_pid" || fail "the held client failed: $(cat hold.err)"
[ "$(cat hold.out)" = "$(printf 'uid=1000 euid=1000 gid=1000 egid=1000\nagain uid=1000 euid=1000 gid=1000 egid=1000')" ] ||
  fail "held client: $(cat hold.out) $(cat hold.err)"

echo "=== a broken allow-list on SIGHUP keeps the one in force"
echo "not-a-key carol" >allow
kill -HUP "$FG_PID_c"
wait_for 30 "the failed reload" grep -q "the previous allow-list stays in force" c.log
grep -q -F 'allow:1: "not-a-key" is not a client public key' c.log || fail "no line number: $(cat c.log)"
as carol rumpid
expect_rc 0

echo "=== key files: a bare Z85 key, bad files"
pubkey srv >srv.bare
run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=srv.bare RUMP_CLIENT_KEY=carol.key rump.sysctl -n kern.hostname
expect_rc 0
run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=no-such.pub rump.sysctl -n kern.hostname
expect_rc 1
expect_err "RUMP_SERVER_KEY: cannot read key file no-such.pub"
run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=srv.pub RUMP_CLIENT_KEY=carol.pub rump.sysctl -n kern.hostname
expect_rc 1
expect_err "RUMP_CLIENT_KEY: carol.pub: no secret-key"
echo "hello" >junk
run env RUMP_SERVER="$URL" RUMP_SERVER_KEY=junk rump.sysctl -n kern.hostname
expect_rc 1
expect_err "RUMP_SERVER_KEY: junk: not a key file"
run env RUMP_SERVER="unix://nothing" RUMP_SERVER_KEY=srv.pub rump.sysctl -n kern.hostname
expect_rc 1
expect_err "RUMP_SERVER_KEY is set, but unix://nothing is not a zmq"

echo "=== encryption only: no --curve-allow admits any key"
port2=$(free_port)
start_fg e "zmq+tcp://127.0.0.1:$port2" --curve-key=srv.key
URL="zmq+tcp://127.0.0.1:$port2"
as - rump.sysctl -n kern.hostname
expect_rc 0
as carol rump.sysctl -n kern.hostname
expect_rc 0

echo "=== bad server options"
run rump_server -s --curve-key=srv.key "tcp://127.0.0.1:$(free_port)/"
expect_fail
expect_err "CURVE applies to zmq\+tcp:// and zmq\+ipc:// URLs only"
run rump_server -s --curve-allow=allow "zmq+tcp://127.0.0.1:$(free_port)"
expect_rc 1
expect_err "--curve-allow needs --curve-key"
run rump_server -s --curve-key=srv.pub "zmq+tcp://127.0.0.1:$(free_port)"
expect_rc 1
expect_err "--curve-key: srv.pub: no secret-key"
run rump_server -s --curve-key=srv.key --curve-allow=junk "zmq+tcp://127.0.0.1:$(free_port)"
expect_rc 1
expect_err "--curve-allow: junk:1: \"hello\" is not a client public key"

echo "PASS"
