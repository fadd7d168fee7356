#!/bin/bash
# rump_server's access control, as a user sets it up: a credential policy
# mapping unix clients (SO_PEERCRED, SO_PEERGROUPS) and anonymous tcp://
# clients to kernel credentials (supplementary groups included) or refusing
# them, re-read on SIGHUP; the unix:// socket file's
# mode and owner; the client, descriptor and running-call limits; bad
# option values.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
source "$TEST_SRCDIR/rump/tests/access/lib.sh"
PATH="$TEST_SRCDIR/rump/tests/access:$PATH"

me=$(id -u)
mygid=$(id -g)

# log_count NAME PATTERN: lines of NAME.log matching PATTERN.
log_count() { grep -c -E -- "$2" "$1.log" || true; }

# reload NAME N: SIGHUP to server NAME, then wait for its Nth reload line.
reload() {
  local pid i
  pid=$(eval echo \$FG_PID_$1)
  kill -HUP "$pid"
  for i in $(seq 1 1200); do
    [ "$(log_count "$1" "SIGHUP: ")" -ge "$2" ] && return 0
    sleep 0.05
  done
  fail "no reload $2 of $1 within 60 s (server $pid $(kill -0 "$pid" 2>/dev/null && echo alive || echo gone); $1.log: $(cat "$1.log"))"
}

echo "=== a policy maps this uid to 1000:1000"
cat >policy <<EOF
# the test's own uid gets an ordinary user's credentials
unix uid=$me   uid=1000 gid=1000
anonymous      uid=32767 gid=39
EOF
start_fg a unix://a --policy=policy
on unix://a rumpid
expect_rc 0
expect_out_eq "uid=1000 euid=1000 gid=1000 egid=1000"
grep -q -E "unix #[0-9]+: connected \(uid $me gid $mygid( groups [0-9,]+)? pid [0-9]+\)" a.log ||
  fail "a.log lacks the connection's identity: $(cat a.log)"
grep -q -E "\"rumpid\" is pid [0-9]+, uid 1000 gid 1000" a.log ||
  fail "a.log lacks the credentials the client got: $(cat a.log)"

echo "=== a client held across a SIGHUP that refuses newcomers keeps its process"
rm -f hold.in
mkfifo hold.in
RUMP_SERVER=unix://a rumpid hold <hold.in >hold.out 2>hold.err &
hold_pid=$!
exec 7>hold.in
wait_for 30 "the held client's first line" grep -q "^uid=1000" hold.out
echo "unix * deny" >policy
reload a 1
grep -q "SIGHUP: policy: 1 rule in force" a.log || fail "no reload line: $(cat a.log)"
on unix://a rumpid
expect_rc 1
on unix://a rump.sysctl -n kern.hostname
expect_fail
[ "$(log_count a "refused by the credential policy")" -eq 1 ] ||
  fail "expected one refusal line for two refused connections: $(cat a.log)"
grep -q -E "unix #[0-9]+ \(uid $me gid $mygid( groups [0-9,]+)? pid [0-9]+\): refused by the credential policy" a.log ||
  fail "the refusal does not name the client: $(cat a.log)"
exec 7>&-
wait "$hold_pid" || fail "the held client failed: $(cat hold.err)"
[ "$(cat hold.out)" = "$(printf 'uid=1000 euid=1000 gid=1000 egid=1000\nagain uid=1000 euid=1000 gid=1000 egid=1000')" ] ||
  fail "held client: $(cat hold.out) $(cat hold.err)"

echo "=== a broken policy on SIGHUP keeps the one in force"
echo "unix uid=x root" >policy
reload a 2
grep -q "the previous policy stays in force" a.log || fail "no failed reload: $(cat a.log)"
grep -q "policy:1: \"unix uid=x\"" a.log || fail "the reload error does not name the line: $(cat a.log)"
on unix://a rumpid
expect_rc 1

echo "=== peer: a client gets its own ids"
echo "unix * peer" >policy
reload a 3
on unix://a rumpid
expect_rc 0
expect_out_eq "uid=$me euid=$me gid=$mygid egid=$mygid"

echo "=== supplementary groups: a rule's groups=, and setgroups needs root"
printf 'unix uid=%s uid=1000 gid=100 groups=10,20,20\n' "$me" >g_policy
start_fg g unix://g --policy=g_policy
on unix://g rumpid groups
expect_rc 0
expect_out_eq "$(printf 'uid=1000 euid=1000 gid=100 egid=100\ngroups=10,20,20')"
grep -q -E "\"rumpid\" is pid [0-9]+, uid 1000 gid 100 groups 10,20,20\$" g.log ||
  fail "g.log lacks the groups the client got: $(cat g.log)"
on unix://g rumpid setgroups 1 2
expect_rc 0
expect_out_eq "$(printf 'setgroups errno 1\ngroups=10,20,20')"   # EPERM, unchanged
printf 'unix uid=%s root\n' "$me" >g_policy
reload g 1
on unix://g rumpid setgroups 5 6 5
expect_rc 0
expect_out_eq "$(printf 'setgroups errno 0\ngroups=5,6,5')"
on unix://g rumpid groups   # a new process: root's (none), not the last client's
expect_out_eq "$(printf 'uid=0 euid=0 gid=0 egid=0\ngroups=')"

echo "=== a client the policy makes an ordinary user gets NetBSD's refusals"
printf 'unix uid=%s uid=1000 gid=1000\n' "$me" >user_policy
start_fg u unix://u --policy=user_policy -lrumpnet_shmif
on unix://u rump.ifconfig shmif0 create
expect_fail
expect_err "Operation not permitted"
on unix://u rump.sysctl -w net.inet.ip.forwarding=0
expect_fail
expect_err "Operation not permitted"
on unix://u rump.sysctl -n net.inet.ip.forwarding
expect_out_eq "1"   # reads are open; the refused write changed nothing
on unix://u rump.route add -net 10.9.0.0/24 127.0.0.1
expect_fail
expect_err "Permission denied"
on unix://u rump.ping -c 1 127.0.0.1
expect_fail
expect_err "Operation not permitted"
on unix://u rumpid bind 80
expect_out_eq "bind 80 errno 13"   # EACCES
on unix://u rumpid bind 40080
expect_out_eq "bind 40080 errno 0"
on unix://u rumpid udp
expect_out_eq "udp ok"
on unix://u rump.halt
expect_fail
kill -0 "$(eval echo \$FG_PID_u)" || fail "a refused halt stopped the server"
# The same server, the policy now making the client root: all of it works.
printf 'unix uid=%s root\n' "$me" >user_policy
reload u 1
on unix://u rump.ifconfig shmif0 create
expect_rc 0
on unix://u rump.sysctl -w net.inet.ip.forwarding=0
expect_rc 0
expect_out "net.inet.ip.forwarding: 1 -> 0"
on unix://u rump.route add -net 10.9.0.0/24 127.0.0.1
expect_rc 0
on unix://u rump.ping -c 1 127.0.0.1
expect_rc 0
on unix://u rumpid bind 80
expect_out_eq "bind 80 errno 0"

echo "=== anonymous tcp:// clients"
port=$(free_port)
echo "anonymous uid=32767 gid=39" >tcp_policy
start_fg t "tcp://127.0.0.1:$port/" --policy=tcp_policy
on "tcp://127.0.0.1:$port/" rumpid
expect_rc 0
expect_out_eq "uid=32767 euid=32767 gid=39 egid=39"
echo "unix * root" >tcp_policy
reload t 1
on "tcp://127.0.0.1:$port/" rumpid
expect_rc 1
grep -q -E "tcp 127\.0\.0\.1:[0-9]+ \(anonymous\): refused by the credential policy.*further refusals of tcp 127\.0\.0\.1 are not logged" t.log ||
  fail "t.log lacks the anonymous refusal: $(cat t.log)"

echo "=== --max-clients"
start_fg m unix://m --max-clients=2
rm -f m1.in m2.in
mkfifo m1.in m2.in
RUMP_SERVER=unix://m rumpid hold <m1.in >m1.out 2>&1 &
m1=$!
exec 8>m1.in
RUMP_SERVER=unix://m rumpid hold <m2.in >m2.out 2>&1 &
m2=$!
exec 9>m2.in
wait_for 30 "two held clients" grep -q "^uid=0" m1.out
wait_for 30 "two held clients" grep -q "^uid=0" m2.out
on unix://m rumpid
expect_rc 1
grep -q "all 2 client slots are taken" m.log || fail "m.log lacks the refusal: $(cat m.log)"
exec 8>&- 9>&-
wait "$m1" || fail "held client 1: $(cat m1.out)"
wait "$m2" || fail "held client 2: $(cat m2.out)"
# Slots come back once the held clients are gone.
wait_for 30 "a slot to come back" env RUMP_SERVER=unix://m rumpid

echo "=== --max-files"
start_fg f unix://f --max-files=8
on unix://f rumpid files
expect_rc 0
# Descriptors 0-2 are the console: five sockets, then EMFILE (24).
expect_out_eq "files 5 errno 24"

echo "=== --max-running"
start_fg r unix://r --max-running=1
grep -q "calls of one client running at once: at most 1" r.out ||
  fail "r.out lacks the running bound: $(cat r.out)"
on unix://r rumpid
expect_rc 0

echo "=== --socket-mode and --socket-owner"
start_fg s unix://s --socket-mode=0600 --socket-owner=4242:4343
[ "$(stat -c '%F %a %u %g' s)" = "socket 600 4242 4343" ] ||
  fail "socket file: $(stat -c '%F %a %u %g' s)"
ls -a | grep -q '^\.rump_sp\.' && fail "a private bind directory was left: $(ls -a)"
if [ "$me" -eq 0 ] && command -v setpriv >/dev/null; then
  # Another uid may not connect through mode 0600 of a file it does not own;
  # the owner may (and, with a policy of "peer", gets its own ids).
  chmod 755 "$WORKDIR"
  cp "$TEST_SRCDIR/rump/tests/access/rumpid" ./rumpid.copy
  chmod 755 ./rumpid.copy
  run env RUMP_SERVER=unix://s setpriv --reuid=4444 --regid=4444 --clear-groups ./rumpid.copy
  expect_rc 1
  expect_err "rumpclient_init"
  echo "unix * peer" >s_policy
  start_fg s2 unix://s2 --socket-mode=0600 --socket-owner=4242:4343 --policy=s_policy
  run env RUMP_SERVER=unix://s2 setpriv --reuid=4242 --regid=4343 --clear-groups ./rumpid.copy
  expect_rc 0
  expect_out_eq "uid=4242 euid=4242 gid=4343 egid=4343"
  echo "=== peer: another user's own supplementary groups (SO_PEERGROUPS)"
  echo "unix * peer" >p_policy
  start_fg p unix://p --socket-mode=0666 --policy=p_policy
  run env RUMP_SERVER=unix://p setpriv --reuid=1000 --regid=1000 --groups=2000,2001 \
    ./rumpid.copy groups
  expect_rc 0
  expect_out_eq "$(printf 'uid=1000 euid=1000 gid=1000 egid=1000\ngroups=2000,2001')"
  grep -q -E "unix #[0-9]+: connected \(uid 1000 gid 1000 groups 2000,2001 pid [0-9]+\)" p.log ||
    fail "p.log lacks the peer's groups: $(cat p.log)"
  grep -q -E "\"rumpid.copy\" is pid [0-9]+, uid 1000 gid 1000 groups 2000,2001\$" p.log ||
    fail "p.log lacks the groups the peer got: $(cat p.log)"
  run env RUMP_SERVER=unix://p setpriv --reuid=1000 --regid=1000 --groups=2000,2001 \
    ./rumpid.copy setgroups 0
  expect_rc 0
  expect_out_eq "$(printf 'setgroups errno 1\ngroups=2000,2001')"   # EPERM
  run env RUMP_SERVER=unix://p setpriv --reuid=1000 --regid=1000 --clear-groups ./rumpid.copy groups
  expect_rc 0
  expect_out_eq "$(printf 'uid=1000 euid=1000 gid=1000 egid=1000\ngroups=')"
  # More groups than a process keeps (16): the first 16, and the log says so.
  many=$(seq -s, 3000 3019)
  run env RUMP_SERVER=unix://p setpriv --reuid=1000 --regid=1000 --groups="$many" \
    ./rumpid.copy groups
  expect_rc 0
  expect_out_eq "$(printf 'uid=1000 euid=1000 gid=1000 egid=1000\ngroups=%s' "$(seq -s, 3000 3015)")"
  grep -q -E "connected \(uid 1000 gid 1000 groups $many pid [0-9]+; 20 supplementary groups: a process keeps the first 16\)" p.log ||
    fail "p.log lacks the note on 20 groups: $(cat p.log)"
else
  echo "skipped: connecting as another uid needs root and setpriv(1)"
fi

echo "=== bad option values"
run rump_server -s --socket-mode=999 unix://bad
expect_rc 1
expect_err "--socket-mode: invalid mode \"999\""
run rump_server -s --socket-owner=no-such-user-here unix://bad
expect_rc 1
expect_err "no such user \"no-such-user-here\""
run rump_server -s --max-clients=0 unix://bad
expect_rc 1
expect_err "--max-clients: invalid count"
run rump_server -s --max-files=2000 unix://bad
expect_rc 1
expect_err "--max-files: invalid count \"2000\" \(1..1024\)"
for v in 0 129 x; do
  run rump_server -s --max-running="$v" unix://bad
  expect_rc 1
  expect_err "--max-running: invalid count \"$v\" \(1..128\)"
done
run rump_server -s --handshake-timeout=-1 unix://bad
expect_rc 1
expect_err "--handshake-timeout: invalid seconds \"-1\""
run rump_server -s --policy=no-such-file unix://bad
expect_rc 1
expect_err "--policy: cannot read policy no-such-file"
echo "* everyone" >bad_policy
run rump_server -s --policy=bad_policy unix://bad
expect_rc 1
expect_err "bad_policy:1: \"everyone\""
run rump_server -s --socket-mode=0600 "tcp://127.0.0.1:$(free_port)/"
expect_fail
expect_err "applies to unix:// URLs only"
[ ! -e bad ] || fail "a refused start left a socket file"

echo "PASS"
