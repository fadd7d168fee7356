# Helpers for the tool scenarios: run the real binaries as a user would, in
# a fresh temporary directory with relative unix:// URLs, and stop every
# server started here by its PID when the script exits (pass or fail).
#
# Sourced by the *_test.sh scripts; they call start_server, then `run CMD`
# and the expect_* checks. A failed check prints what ran and exits 1.

set -u

_runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/rump"
RUMP_SERVER_BIN="$_runfiles/rump/cmd/rump_server"
TOOLS="$_runfiles/rump/cmd/tools"
SHMIF_DUMPBUS="$_runfiles/shmif/dumpbus/shmif_dumpbus"
for _b in "$RUMP_SERVER_BIN" "$TOOLS/rump.ifconfig" "$TOOLS/rump.sysctl" \
          "$TOOLS/rump.ping" "$TOOLS/rump.halt" "$TOOLS/rump.netstat" \
          "$TOOLS/rump.route" "$TOOLS/rump.traceroute" "$TOOLS/rump.arp"; do
  [ -x "$_b" ] || { echo "missing $_b" >&2; exit 1; }
done
# The tools by their names, as a user has them on PATH (and the scenarios'
# helper rtadd).
PATH="$TOOLS:$_runfiles/rump/cmd:$_runfiles/shmif/dumpbus:$_runfiles/tests/tools:$PATH"
export PATH

WORKDIR=$(mktemp -d /tmp/rtools.XXXXXX)
cd "$WORKDIR"
_pids=""

_cleanup() {
  local pid ns
  for pid in $_pids; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $_pids; do
    for _i in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for ns in $_netns; do
    ip netns delete "$ns" 2>/dev/null || true
  done
  cd /
  rm -rf "$WORKDIR"
}
_netns=""
trap _cleanup EXIT
# A test killed on timeout (SIGTERM) still stops its servers.
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
  echo "FAIL: $*" >&2
  echo "--- last command: $last_cmd (exit $rc)" >&2
  echo "--- stdout:" >&2; printf '%s\n' "$out" >&2
  echo "--- stderr:" >&2; printf '%s\n' "$err" >&2
  exit 1
}

last_cmd=""
out=""
err=""
rc=0

# run CMD...: runs it, keeping stdout in $out, stderr in $err, status in $rc.
run() {
  last_cmd="$*"
  echo "\$ $*"
  # In the background and waited for, so that a SIGTERM (a test timeout)
  # runs the cleanup at once.
  "$@" >"$WORKDIR/.out" 2>"$WORKDIR/.err" </dev/null &
  wait $!
  rc=$?
  out=$(cat "$WORKDIR/.out")
  err=$(cat "$WORKDIR/.err")
  [ -z "$out" ] || printf '%s\n' "$out"
  [ -z "$err" ] || printf '%s\n' "$err" | sed 's/^/(stderr) /'
}

# The same with RUMP_SERVER set: on URL CMD...
on() {
  local url=$1
  shift
  last_cmd="RUMP_SERVER=$url $*"
  echo "\$ RUMP_SERVER=$url $*"
  RUMP_SERVER=$url "$@" >"$WORKDIR/.out" 2>"$WORKDIR/.err" </dev/null &
  wait $!
  rc=$?
  out=$(cat "$WORKDIR/.out")
  err=$(cat "$WORKDIR/.err")
  [ -z "$out" ] || printf '%s\n' "$out"
  [ -z "$err" ] || printf '%s\n' "$err" | sed 's/^/(stderr) /'
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "expected exit $1"; }
expect_fail() { [ "$rc" -ne 0 ] || fail "expected a non-zero exit"; }
expect_out() { printf '%s\n' "$out" | grep -E -q -- "$1" || fail "stdout lacks /$1/"; }
expect_no_out() { ! printf '%s\n' "$out" | grep -E -q -- "$1" || fail "stdout has /$1/"; }
expect_err() { printf '%s\n' "$err" | grep -E -q -- "$1" || fail "stderr lacks /$1/"; }
expect_no_err() { ! printf '%s\n' "$err" | grep -E -q -- "$1" || fail "stderr has /$1/"; }
expect_out_eq() { [ "$out" = "$1" ] || fail "stdout is not '$1'"; }

# start_server URL [-lLIB...]: a networking rump_server (it daemonizes and
# returns once it accepts), with shmif and any further component libraries
# given; run through SERVER_WRAPPER when that array is set (for example
# (ip netns exec NS)). Its PID, from kern.hostname ("rump-<pid>.<host>"),
# is kept for the cleanup.
SERVER_WRAPPER=()
start_server() {
  local url=$1 host pid
  shift
  run ${SERVER_WRAPPER[@]+"${SERVER_WRAPPER[@]}"} \
    rump_server -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif "$@" "$url"
  expect_rc 0
  host=$(RUMP_SERVER=$url rump.sysctl -n kern.hostname) || fail "server at $url not answering"
  pid=${host#rump-}
  pid=${pid%%.*}
  pid=$((10#$pid))
  kill -0 "$pid" || fail "no process $pid for $url"
  _pids="$_pids $pid"
  eval "SERVER_PID_$(echo "$url" | tr -c 'a-zA-Z0-9\n' _)=$pid"
}

# server_pid URL: the PID start_server found.
server_pid() {
  eval "echo \${SERVER_PID_$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)}"
}

# halt_server URL: rump.halt, then the process must be gone.
halt_server() {
  local url=$1 pid
  pid=$(server_pid "$url")
  on "$url" rump.halt
  expect_rc 0
  # Poll for the exit; a minute only to catch a server that never exits.
  for _i in $(seq 1 1200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "server $pid for $url still running after rump.halt"
}

# configure URL IF BUS ADDR/LEN: create, linkstr, address, up.
configure() {
  local url=$1 ifname=$2 bus=$3 addr=$4
  on "$url" rump.ifconfig "$ifname" create
  expect_rc 0
  on "$url" rump.ifconfig "$ifname" linkstr "$bus"
  expect_rc 0
  on "$url" rump.ifconfig "$ifname" inet "$addr"
  expect_rc 0
  on "$url" rump.ifconfig "$ifname" up
  expect_rc 0
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# --- the NetBSD peer (RUMP_NETBSD_PEER: NetBSD's rump kernel and tools,
# set by scripts/test when ../shared/netbsd-peer exists)

# netbsd_peer: 0 when RUMP_NETBSD_PEER is the peer directory (PEER is then
# its absolute path, nblib/ in the work directory links its libraries and
# NBENV runs a command with them); 1 with a message naming what is missing.
netbsd_peer() {
  local f name target
  PEER=${RUMP_NETBSD_PEER:-}
  if [ -z "$PEER" ] || [ ! -x "$PEER/rump/bin/rump_server" ] || [ ! -d "$PEER/rumpctrl/bin" ] ||
    [ ! -d "$PEER/rump/lib" ]; then
    echo "skipped: the NetBSD peer cases (RUMP_NETBSD_PEER='$PEER' is not the peer" \
      "directory with rump/bin, rump/lib and rumpctrl/bin; scripts/test sets it when" \
      "../shared/netbsd-peer exists)"
    return 1
  fi
  PEER=$(cd "$PEER" && pwd)
  # The loader needs a link to each library. A copy of the peer whose
  # symbolic links were stored as small files naming their target gets a
  # link to that target instead. (The shell's own read, not a fork per
  # file: slow on a busy machine. An ELF file's first bytes name no file.)
  mkdir -p "$WORKDIR/nblib"
  for f in "$PEER"/rump/lib/lib*; do
    name=${f##*/}
    target=""
    [ -L "$f" ] || IFS= read -r -d '' -n 256 target <"$f" 2>/dev/null || true
    if [ -n "$target" ] && [[ "$target" =~ ^lib[A-Za-z0-9_.+-]+$ ]] &&
      [ -f "$PEER/rump/lib/$target" ]; then
      target="$PEER/rump/lib/$target"
    else
      target=$f
    fi
    ln -sf "$target" "$WORKDIR/nblib/$name"
  done
  NBENV=(env "LD_LIBRARY_PATH=$WORKDIR/nblib")
  return 0
}

# nb URL TOOL ARGS...: NetBSD's own TOOL against the server at URL.
nb() {
  local url=$1 tool=$2
  shift 2
  on "$url" "${NBENV[@]}" "$PEER/rumpctrl/bin/$tool" "$@"
}

# start_netbsd URL [-lLIB...]: NetBSD's rump_server with shmif and any
# further libraries (through SERVER_WRAPPER if set), its PID kept for the
# cleanup.
start_netbsd() {
  local url=$1 host pid
  shift
  run ${SERVER_WRAPPER[@]+"${SERVER_WRAPPER[@]}"} "${NBENV[@]}" "$PEER/rump/bin/rump_server" \
    -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif "$@" "$url"
  expect_rc 0
  host=$(RUMP_SERVER=$url rump.sysctl -n kern.hostname) || fail "server at $url not answering"
  pid=${host#rump-}
  pid=$((10#${pid%%.*}))
  kill -0 "$pid" || fail "no process $pid for $url"
  _pids="$_pids $pid"
}

# nb_configure URL IF BUS ADDR/LEN: NetBSD's ifconfig create, linkstr, inet.
nb_configure() {
  nb "$1" ifconfig "$2" create
  expect_rc 0
  nb "$1" ifconfig "$2" linkstr "$WORKDIR/$3"
  expect_rc 0
  nb "$1" ifconfig "$2" inet "$4"
  expect_rc 0
}

# --- network namespaces (root only), for tests with tap devices

# new_netns VAR: creates a network namespace of its own with lo up, names it
# in VAR, and deletes it (with every tap in it) when the script exits.
# Returns 1 with a "skipped:" message when this user cannot.
new_netns() {
  local ns="rumpt$$_${#_netns}"
  if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || [ ! -c /dev/net/tun ] ||
    ! ip netns add "$ns" 2>/dev/null; then
    echo "skipped: needs root, ip(8) and /dev/net/tun for a network namespace with tap devices"
    return 1
  fi
  _netns="$_netns $ns"
  ip netns exec "$ns" ip link set lo up || fail "cannot set lo up in $ns"
  printf -v "$1" '%s' "$ns"
}

# wait_for SECONDS DESCRIPTION CMD...: runs CMD every 50 ms until it
# succeeds; fails the test after SECONDS.
wait_for() {
  local limit=$1 what=$2 i
  shift 2
  for i in $(seq 1 $((limit * 20))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  fail "timed out after ${limit}s waiting for $what"
}
