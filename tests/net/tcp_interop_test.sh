#!/bin/bash
# TCP between a real NetBSD kernel (the test peer's, 7.99.34) and ours on one
# shmif bus: tcp_peer.c is run as built by Bazel against our C API, and as
# compiled here with cc against NetBSD's rump headers and in-process
# libraries. Both ways round (NetBSD server and our client; our server and
# NetBSD client), each with:
#   - a small transfer (50000 bytes up, 70001 down), whose bus capture is
#     read by tcpdump -vv: both SYNs carry mss, wscale, sackOK and TS, both
#     sides send a FIN, a RST answers the refused connects, and no checksum
#     is incorrect;
#   - 16 MiB each way;
#   - nothing up, 100000 bytes down (a FIN as the first thing sent).
# Every byte is checked by its receiver against a pattern; each side's CRC-32
# of what it sent must be its peer's of what it received. The client sends,
# shuts down its sending side, then receives what the server sends into the
# half-closed connection; with the roles swapped, each kernel is once the
# side that half-closes first and once the side that sends after the FIN.
# Each end also checks that a connect to a port where nothing listens on the
# other kernel fails with ECONNREFUSED.
#
# The peer is found through RUMP_NETBSD_PEER (scripts/test sets it when
# ../shared/netbsd-peer exists); without it, or without cc, the test says
# "skipped: ..." and passes. Without tcpdump the captures are not checked.
#
# Usage (from Bazel): tcp_interop_test.sh TCP_PEER SHMIF_DUMPBUS
set -u
OURS="$(realpath "$1")"
DUMPBUS="$(realpath "$2")"
readonly OURS DUMPBUS

if [ -z "${RUMP_NETBSD_PEER:-}" ] || [ ! -d "${RUMP_NETBSD_PEER}/rump/lib" ] ||
  [ ! -d "${RUMP_NETBSD_PEER}/rump/include/rump" ]; then
  echo "skipped: no NetBSD peer (RUMP_NETBSD_PEER='${RUMP_NETBSD_PEER:-}' is not a directory" \
    "with rump/lib and rump/include; scripts/test sets it when ../shared/netbsd-peer exists)"
  exit 0
fi
if ! command -v cc >/dev/null; then
  echo "skipped: no C compiler (cc) to build tcp_peer.c against NetBSD's rump headers"
  exit 0
fi
PEER="$(cd "$RUMP_NETBSD_PEER" && pwd)"
readonly PEER
# tcp_peer.c, next to this script in the runfiles.
SRC="$(dirname "$(realpath "$0")")/tcp_peer.c"
[ -f "$SRC" ] || SRC="$(dirname "$0")/tcp_peer.c"
readonly SRC

WORK="$(mktemp -d /tmp/tcpinteropXXXXXX)" || exit 1
readonly WORK NBLIB="$WORK/netbsd-lib" NB="$WORK/tcp_peer_netbsd"
pids=()

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The peer's rump/lib as the linker and the loader need it: a link to each
# file. A copy of the peer whose symbolic links were stored as small files
# naming their target (librump.so.0 holding "librump.so.0.0") gets a link to
# that target instead.
mkdir -p "$NBLIB" || exit 1
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
  ln -s "$target" "$NBLIB/$name" || exit 1
done

# As a NetBSD user builds an in-process rump program. --no-as-needed: the
# components are found by their constructors, so every -l must stay NEEDED.
if ! cc -std=c99 -pedantic -Wall -Wextra -Werror -Wl,--no-as-needed "$SRC" \
  -I"$PEER/rump/include" -L"$NBLIB" -Wl,-rpath,"$NBLIB" -lrumpnet_shmif -lrumpnet_netinet \
  -lrumpnet_net -lrumpnet -lrump -lrumpuser -lpthread -o "$NB" 2>"$WORK/cc.err"; then
  cat "$WORK/cc.err" >&2
  echo "FAIL: tcp_peer.c does not build against NetBSD's rump headers and libraries"
  exit 1
fi
# The NetBSD build really is NetBSD's kernel, and ours is ours.
ldd "$NB" | grep -q "$NBLIB/librump.so.0" || { ldd "$NB" >&2; fail "$NB: not NetBSD's librump"; }
if ldd "$OURS" | grep -q "$PEER"; then fail "$OURS loads the peer's libraries"; fi

# Waits up to SECONDS for every ERE to match a line of FILE; gives up early
# when process PID has ended (and then says whether they all matched).
wait_for() {
  local file=$1 seconds=$2 pid=$3 ere deadline=$((SECONDS + $2))
  shift 3
  while :; do
    for ere in "$@"; do
      grep -qE "$ere" "$file" 2>/dev/null || break
      [ "$ere" = "${!#}" ] && return 0
    done
    kill -0 "$pid" 2>/dev/null || break
    if ((SECONDS >= deadline)); then
      ((seconds < 5)) || echo "(nothing for ${seconds} s: a hang?)" >&2
      break
    fi
    sleep 0.05
  done
  for ere in "$@"; do grep -qE "$ere" "$file" 2>/dev/null || return 1; done
}

# The CRC of "ROLE VERB N crc X" in FILE.
crc_of() {
  sed -nE "s/^$2 $3 $4 crc ([0-9a-f]{8}).*/\1/p" "$1"
}

# run NAME SERVER_BIN CLIENT_BIN UP DOWN [capture]: one transfer on a new
# bus; the server kernel is 10.7.0.1, the client's 10.7.0.2.
run() {
  local name=$1 server=$2 client=$3 up=$4 down=$5 capture=${6:-}
  local dir="$WORK/$name" sp cp src dst rc_s rc_c start
  mkdir "$dir" || return 1
  start=$SECONDS
  "$server" "$dir/bus" 10.7.0.1/24 server 10.7.0.2 7000 "$up" "$down" "$dir/hold" \
    >"$dir/server.out" 2>&1 &
  sp=$!
  pids+=("$sp")
  if ! wait_for "$dir/server.out" 60 "$sp" '^server listening on 7000$'; then
    fail "$name: the server did not listen: $(cat "$dir/server.out")"
    return 1
  fi
  "$client" "$dir/bus" 10.7.0.2/24 client 10.7.0.1 7000 "$up" "$down" "$dir/hold" \
    >"$dir/client.out" 2>&1 &
  cp=$!
  pids+=("$cp")
  # No deadline on the whole transfer: 120 s without a new line is a hang.
  local lines=-1 now deadline=0
  while :; do
    if wait_for "$dir/client.out" 1 "$cp" '^client (done|.*(FAIL|errno))' &&
      wait_for "$dir/server.out" 1 "$sp" '^server (done|.*(FAIL|errno))'; then
      break
    fi
    kill -0 "$sp" 2>/dev/null && kill -0 "$cp" 2>/dev/null || break
    now=$(cat "$dir/server.out" "$dir/client.out" | wc -l)
    if ((now != lines)); then
      lines=$now
      deadline=$((SECONDS + 120))
    elif ((SECONDS > deadline)); then
      echo "(no output for 120 s: a hang?)" >&2
      break
    fi
  done
  touch "$dir/hold"
  # Both are through, or one failed: the other is told to go, or ended.
  wait_for "$dir/server.out" 5 "$sp" '^server done$' || kill -9 "$sp" 2>/dev/null
  wait_for "$dir/client.out" 5 "$cp" '^client done$' || kill -9 "$cp" 2>/dev/null
  wait "$sp"
  rc_s=$?
  wait "$cp"
  rc_c=$?
  echo "--- $name ($((SECONDS - start)) s)"
  cat "$dir/server.out" "$dir/client.out"
  [ "$rc_s" = 0 ] || fail "$name: the server exited $rc_s"
  [ "$rc_c" = 0 ] || fail "$name: the client exited $rc_c"
  grep -qx "server received $up crc $(crc_of "$dir/client.out" client sent "$up") ok.*" \
    "$dir/server.out" 2>/dev/null || fail "$name: up ($up bytes) not received as sent"
  grep -qx "client received $down crc $(crc_of "$dir/server.out" server sent "$down") ok.*" \
    "$dir/client.out" 2>/dev/null || fail "$name: down ($down bytes) not received as sent"
  grep -qx 'server refused ok (10.7.0.2:7001)' "$dir/server.out" ||
    fail "$name: the server's connect to a closed port was not refused"
  grep -qx 'client refused ok (10.7.0.1:7001)' "$dir/client.out" ||
    fail "$name: the client's connect to a closed port was not refused"
  [ -n "$capture" ] && check_capture "$name" "$dir"
  return 0
}

# The bus of a small transfer, decoded by tcpdump -vv.
check_capture() {
  local name=$1 dir=$2 d="$2/decoded.txt" from to
  if ! command -v tcpdump >/dev/null; then
    echo "($name: no tcpdump: the capture is not checked)"
    return 0
  fi
  "$DUMPBUS" -p "$dir/capture.pcap" "$dir/bus" >/dev/null 2>"$dir/dump.err" ||
    { fail "$name: shmif_dumpbus: $(cat "$dir/dump.err")"; return; }
  tcpdump -n -vv -r "$dir/capture.pcap" >"$d" 2>"$dir/tcpdump.err" ||
    { fail "$name: tcpdump: $(cat "$dir/tcpdump.err")"; return; }
  echo "--- $name: capture of $(grep -c ': Flags \[' "$d") TCP segments; the handshake:"
  grep -E ': Flags \[S\.?\]' "$d" | grep -E '\.7000[:, ]' | head -n 2
  for from in 10.7.0.1 10.7.0.2; do
    local syn
    if [ $from = 10.7.0.1 ]; then # the server's SYN-ACK
      to=10.7.0.2
      syn=$(grep -E "^ +$from\.7000 > $to\.[0-9]+: Flags \[S\.\]" "$d" | head -n 1)
    else # the client's SYN
      to=10.7.0.1
      syn=$(grep -E "^ +$from\.[0-9]+ > $to\.7000: Flags \[S\]" "$d" | head -n 1)
    fi
    [ -n "$syn" ] || { fail "$name: no SYN from $from in the capture"; continue; }
    local opt
    for opt in 'mss [0-9]+' 'wscale [0-9]+' 'sackOK' 'TS val [0-9]+ ecr [0-9]+'; do
      grep -qE "options \[.*$opt" <<<"$syn" || fail "$name: the SYN from $from has no ${opt%% *}: $syn"
    done
    grep -qE "^ +$from\.[0-9]+ > $to\.[0-9]+: Flags \[[^]]*F" "$d" ||
      fail "$name: no FIN from $from"
    grep -qE "^ +$from\.7001 > $to\.[0-9]+: Flags \[R" "$d" ||
      fail "$name: no RST from $from's closed port 7001"
  done
  if grep -qiE 'incorrect|bad-len|truncated|\[\|' "$d"; then
    fail "$name: tcpdump found bad checksums or malformed frames:"
    grep -iE 'incorrect|bad-len|truncated|\[\|' "$d" | head >&2
  fi
  grep -q 'cksum 0x[0-9a-f]* (correct)' "$d" || fail "$name: tcpdump verified no checksum"
}

readonly MIB16=$((16 << 20))
t0=$SECONDS
run nb-server-small "$NB" "$OURS" 50000 70001 capture
run ours-server-small "$OURS" "$NB" 50000 70001 capture
t1=$SECONDS
run nb-server-16MiB "$NB" "$OURS" $MIB16 $MIB16
run ours-server-16MiB "$OURS" "$NB" $MIB16 $MIB16
t2=$SECONDS
run nb-server-nothing-up "$NB" "$OURS" 0 100000
run ours-server-nothing-up "$OURS" "$NB" 0 100000
echo "--- small: $((t1 - t0)) s; 16 MiB each way, both ways round: $((t2 - t1)) s;" \
  "nothing up: $((SECONDS - t2)) s"

if ((failures > 0)); then
  echo "$failures failures"
  exit 1
fi
echo "PASS"
