#!/bin/bash
# Programs built for NetBSD's rump kernels run on ours unchanged: both
# programs here are compiled and linked against NetBSD's own headers and
# libraries (the test peer, RUMP_NETBSD_PEER), exactly as a NetBSD user
# builds them, then run against our installation (scripts/install --prefix
# DIR) with nothing but LD_LIBRARY_PATH=DIR/lib:
#
#   remote.c  cc ... -lrumpclient: needs librumpclient.so.0; getpid and a
#             UDP exchange, as a client of our rump_server
#   inproc.c  cc ... -lrumpnet_shmif -lrumpnet_netinet -lrumpnet_net
#             -lrumpnet -lrump -lrumpuser: needs librumpnet_shmif.so.0, ...,
#             librumpuser.so.0; our kernel in the process, an interface on a
#             bus file, and ICMP echo with a NetBSD kernel (the peer's
#             rump_server) on that bus, both ways
#
# Without the peer (RUMP_NETBSD_PEER unset, or not a directory) it says so
# and counts nothing. Not a Bazel test (scripts/install runs bazel in this
# workspace); scripts/test runs it after examples/install_test.sh:
#   RUMP_NETBSD_PEER=../shared/netbsd-peer examples/netbsd_binaries/test.sh
# Prints "netbsd_binaries: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
source examples/check.sh
readonly SRC=$PWD/examples/netbsd_binaries

if [ -z "${RUMP_NETBSD_PEER:-}" ] || [ ! -d "${RUMP_NETBSD_PEER}/rump/lib" ]; then
  echo "netbsd_binaries: skipped: no NetBSD peer (RUMP_NETBSD_PEER='${RUMP_NETBSD_PEER:-}'" \
    "is not a directory with rump/lib; scripts/test sets it when ../shared/netbsd-peer exists)"
  echo "netbsd_binaries: $passed passed, $failed failed"
  exit 0
fi
PEER=$(cd "$RUMP_NETBSD_PEER" && pwd)
readonly PEER

# Short: unix sockets live here.
WORK=$(mktemp -d /tmp/rumpnb.XXXXXX) || exit 1
readonly WORK
readonly PREFIX=$WORK/prefix
readonly NBLIB=$WORK/netbsd-lib # the peer's libraries, by link (netbsd_libs)
readonly NB_URL=unix://$WORK/nb # the NetBSD kernel's server
readonly BUS=$WORK/bus
our_server=""
netbsd_server=""
inproc_pid=""

# Ends child PID: SIGTERM, and SIGKILL if it is still there 30 s later.
stop() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    # (ended, a zombie until waited for)
    [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]] && break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# Every process this script started, by its pid; then the files.
cleanup() {
  exec 3>&-
  local pid
  for pid in $inproc_pid $our_server $netbsd_server; do
    stop "$pid"
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The peer's tools and servers, with the peer's libraries.
netbsd() {
  LD_LIBRARY_PATH=$NBLIB RUMP_SERVER=$NB_URL "$@"
}

# Waits up to SECONDS for a line of FILE to match ERE; gives up early when
# process PID has ended.
wait_for_line() {
  local file=$1 ere=$2 seconds=$3 pid=$4 i
  for ((i = 0; i < seconds * 10; i++)); do
    grep -qE "$ere" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qE "$ere" "$file" 2>/dev/null
}

# The rump-library names FILE needs, on one line.
needed() {
  readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(librump[^]]*\)\].*/\1/p' | tr '\n' ' '
}

install() {
  scripts/install --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
    { tail -n 30 "$WORK/install.log" >&2; return 1; }
}

# The peer's rump/lib as the linker and the loader need it: a link to each
# file. A copy of the peer whose symbolic links were stored as small files
# naming their target (librump.so.0 holding "librump.so.0.0") gets a link to
# that target instead.
netbsd_libs() {
  local f name target
  mkdir -p "$NBLIB" || return 1
  for f in "$PEER"/rump/lib/lib*; do
    name=${f##*/}
    target=$f
    if [ ! -L "$f" ] && [ "$(head -c 4 "$f")" != $'\x7fELF' ]; then
      target=$(head -c 256 "$f")
      if [[ ! "$target" =~ ^lib[A-Za-z0-9_.+-]+$ ]] || [ ! -f "$PEER/rump/lib/$target" ]; then
        continue # names nothing there
      fi
      target=$PEER/rump/lib/$target
    fi
    ln -s "$target" "$NBLIB/$name" || return 1
  done
  # NetBSD's own server loads with them.
  if ! LD_LIBRARY_PATH=$NBLIB ldd "$PEER/rump/bin/rump_server" >"$WORK/ldd.nb" 2>&1 ||
    grep -q 'not found' "$WORK/ldd.nb" || [ ! -e "$NBLIB/librumpclient.so.0" ]; then
    cat "$WORK/ldd.nb" >&2
    return 1
  fi
}

# As a NetBSD user builds them: NetBSD's headers and NetBSD's libraries,
# warnings as errors. --no-as-needed: every -l stays NEEDED, as with a
# toolchain that does not default to --as-needed (NetBSD's, Debian's).
build() {
  cc -Wall -Wextra -Werror "$SRC/remote.c" -I"$PEER/rump/include" -L"$NBLIB" \
    -lrumpclient -o "$WORK/remote" &&
    cc -Wall -Wextra -Werror -Wl,--no-as-needed "$SRC/inproc.c" -I"$PEER/rump/include" \
      -L"$NBLIB" -lrumpnet_shmif -lrumpnet_netinet -lrumpnet_net -lrumpnet -lrump \
      -lrumpuser -o "$WORK/inproc"
}

# NetBSD's sonames, no run path (so the loader takes LD_LIBRARY_PATH), and
# each name in our lib directory.
sonames() {
  local want_remote="librumpclient.so.0 "
  local want_inproc="librumpnet_shmif.so.0 librumpnet_netinet.so.0 librumpnet_net.so.0 "
  want_inproc+="librumpnet.so.0 librump.so.0 librumpuser.so.0 "
  local ok=0 prog name
  [ "$(needed "$WORK/remote")" = "$want_remote" ] ||
    { echo "remote needs '$(needed "$WORK/remote")', not '$want_remote'" >&2; ok=1; }
  [ "$(needed "$WORK/inproc")" = "$want_inproc" ] ||
    { echo "inproc needs '$(needed "$WORK/inproc")', not '$want_inproc'" >&2; ok=1; }
  for prog in remote inproc; do
    if readelf -d "$WORK/$prog" | grep -qE '\((RPATH|RUNPATH)\)'; then
      echo "$prog has a run path" >&2
      ok=1
    fi
    LD_LIBRARY_PATH=$PREFIX/lib ldd "$WORK/$prog" >"$WORK/ldd.$prog" 2>&1
    if grep -q 'not found' "$WORK/ldd.$prog" || grep -q "$PEER" "$WORK/ldd.$prog"; then
      grep -E "rump|not found" "$WORK/ldd.$prog" >&2
      ok=1
    fi
    for name in $(needed "$WORK/$prog"); do
      [ -e "$PREFIX/lib/$name" ] || { echo "$PREFIX/lib/$name is missing" >&2; ok=1; }
    done
  done
  return $ok
}

# remote against our rump_server: started in the foreground (-s, so its pid
# is $!) in a directory of its own, on a short relative socket path; it
# says when it serves (-v).
remote() {
  mkdir -p "$WORK/ours" || return 1
  (cd "$WORK/ours" &&
    exec "$PREFIX/bin/rump_server" -s -v -lrumpnet_shmif -lrumpnet_netinet unix://sock \
      >server.out 2>server.err) &
  our_server=$!
  wait_for_line "$WORK/ours/server.out" '^rump_server: serving ' 60 "$our_server" ||
    { cat "$WORK/ours/server.err" >&2; return 1; }
  (cd "$WORK/ours" && RUMP_SERVER=unix://sock LD_LIBRARY_PATH=$PREFIX/lib \
    timeout 120 "$WORK/remote") >"$WORK/remote.out" 2>&1
  local rc=$?
  cat "$WORK/remote.out"
  [ $rc = 0 ] || return 1
  grep -qE '^getpid [1-9][0-9]*$' "$WORK/remote.out" &&
    grep -qx "udp 'hello from a NetBSD binary' from 127.0.0.1:7778" "$WORK/remote.out" &&
    grep -qx "udp 'answer' from 127.0.0.1:7777" "$WORK/remote.out" || return 1
  # Stopped by its pid: SIGTERM halts it cleanly, and it removes its socket.
  kill "$our_server" && wait "$our_server" || return 1
  our_server=""
  [ ! -e "$WORK/ours/sock" ]
}

# The peer's rump_server with shmif0 on the bus at 10.9.0.1/24. Without
# duplicate address detection (net.inet.ip.dad_count=0) the address answers
# at once, not 10 s later.
netbsd_kernel() {
  local i
  # A simple command, so that $! is the server itself.
  LD_LIBRARY_PATH=$NBLIB "$PEER/rump/bin/rump_server" -s -lrumpnet -lrumpnet_net \
    -lrumpnet_netinet -lrumpnet_shmif "$NB_URL" >"$WORK/nb.out" 2>&1 &
  netbsd_server=$!
  for ((i = 0; i < 600; i++)); do
    netbsd "$PEER/rumpctrl/bin/sysctl" -n kern.ostype >/dev/null 2>&1 && break
    kill -0 "$netbsd_server" 2>/dev/null || { cat "$WORK/nb.out" >&2; return 1; }
    sleep 0.1
  done
  netbsd "$PEER/rumpctrl/bin/sysctl" -w net.inet.ip.dad_count=0 &&
    netbsd "$PEER/rumpctrl/bin/ifconfig" shmif0 create &&
    netbsd "$PEER/rumpctrl/bin/ifconfig" shmif0 linkstr "$BUS" &&
    netbsd "$PEER/rumpctrl/bin/ifconfig" shmif0 inet 10.9.0.1/24 &&
    netbsd "$PEER/rumpctrl/bin/ifconfig" shmif0
}

# inproc pings the NetBSD kernel (5 of 5 answered), then stays up until its
# stdin (fd 3 here) closes while NetBSD's ping pings it.
inproc() {
  local rc
  mkfifo "$WORK/stdin" || return 1
  LD_LIBRARY_PATH=$PREFIX/lib "$WORK/inproc" "$BUS" 10.9.0.2/24 10.9.0.1 \
    <"$WORK/stdin" >"$WORK/inproc.out" 2>&1 &
  inproc_pid=$!
  exec 3>"$WORK/stdin"
  if ! wait_for_line "$WORK/inproc.out" '^[0-9]+/5 replies$' 180 "$inproc_pid"; then
    cat "$WORK/inproc.out"
    return 1 # (cleanup ends it)
  fi
  cat "$WORK/inproc.out"
  rc=0
  grep -qx "shmif0 10.9.0.2/24 on $BUS" "$WORK/inproc.out" &&
    grep -qx '5/5 replies' "$WORK/inproc.out" || rc=1
  # Our libraries, not NetBSD's, are the ones in the process.
  if ! grep -q "$PREFIX/lib/librump.so.0" "/proc/$inproc_pid/maps" ||
    grep -q "$PEER" "/proc/$inproc_pid/maps"; then
    echo "inproc did not load $PREFIX/lib/librump.so.0 alone" >&2
    rc=1
  fi
  netbsd "$PEER/rumpctrl/bin/ping" -c 3 -w 60 10.9.0.2 >"$WORK/ping.out" 2>&1 || rc=1
  cat "$WORK/ping.out"
  grep -q '^3 packets transmitted, 3 packets received' "$WORK/ping.out" || rc=1
  exec 3>&-
  wait "$inproc_pid" || rc=1
  inproc_pid=""
  return $rc
}

check "scripts/install --prefix DIR" install
((failed == 0)) && check "the peer's libraries ($PEER/rump/lib)" netbsd_libs
((failed == 0)) && check "cc against NetBSD's headers and libraries" build
((failed == 0)) && check "NetBSD's sonames, each installed" sonames
((failed == 0)) && check "remote (-lrumpclient) against our rump_server: getpid, UDP" remote
((failed == 0)) && check "the peer's rump_server on the bus" netbsd_kernel
((failed == 0)) && check "inproc (-lrumpnet_shmif ... -lrumpuser) and NetBSD ping each other" inproc
echo "netbsd_binaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
