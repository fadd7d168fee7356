#!/bin/bash
# echo_bench: round trips through remote clients, the scenario users feel.
# Two rump_servers share one shmif bus (10.0.9.1 and 10.0.9.2); programs on
# librumpclient talk through them:
#   udp    a client of server A sends 64 bytes, polls, receives the echo a
#          client of server B sent back (recvfrom, then sendto)
#   icmp   a client of server A pings B's address over a raw socket
#          (sendto, poll, recvfrom; B's kernel answers)
#   getpid remote getpid on server A
# Each row: median, p99 and average in microseconds over N exchanges (after
# N/10 unmeasured ones). The same kernels in-process (inet_bench: the same
# exchanges between two processes without remote clients) are printed
# beside, with the ratio remote/in-process of the medians. With NetBSD's
# servers at hand ($RUMP_NETBSD_PEER, or ../shared/netbsd-peer next to the
# checkout) the same clients run against two NetBSD rump_servers too.
# Last, the CPU that both servers and the idle echo client used during
# 3 s of silence.
#
# With --stages, our servers run with -t and the clients with
# RUMPCLIENT_STATS=1, and their latency stages (docs/latency.md) are printed
# after the table: where the time of each exchange went.
#
#   bazel run -c opt //capi:echo_bench [-- [--stages] [N]]   (N: 2000)
set -u
stages=0
if [ "${1:-}" = --stages ]; then
  stages=1
  shift
fi
n=${1:-2000}
r="$(cd "${RUNFILES_DIR:-$0.runfiles}/rump" && pwd)"
server="$r/rump/cmd/rump_server"
ifconfig="$r/rump/cmd/tools/rump.ifconfig"
halt="$r/rump/cmd/tools/rump.halt"
client="$r/capi/echo_remote_client"
inet_bench="$r/rump/netinet/bench/inet_bench"
peer=${RUMP_NETBSD_PEER:-}
if [ -z "$peer" ] && [ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ] &&
  [ -d "$BUILD_WORKSPACE_DIRECTORY/../shared/netbsd-peer" ]; then
  peer="$BUILD_WORKSPACE_DIRECTORY/../shared/netbsd-peer"
fi

work=$(mktemp -d /tmp/echob.XXXXXX) || exit 1
pids=()
cleanup() {
  for u in a b; do
    [ -S "$work/$u" ] && RUMP_SERVER=unix://$work/$u "$halt" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

# ticks of CPU (user+system) a process has used so far
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

declare -A row
# run_side LABEL: the servers a and b are configured; measures and fills
# row[LABEL,udp] etc., and the idle CPU.
run_side() {
  local label=$1 out
  RUMPCLIENT_STATS=$stats_env RUMP_SERVER=unix://b "$client" udp-echo 7 >echo.out \
    2>"stages.$label.echo" &
  echo_pid=$!
  pids+=($echo_pid)
  until grep -q ready echo.out 2>/dev/null; do
    kill -0 $echo_pid 2>/dev/null || { cat echo.out; return 1; }
    sleep 0.05
  done
  for what in "udp-ping 10.0.9.2 7" "icmp-ping 10.0.9.2" "getpid"; do
    # shellcheck disable=SC2086
    out=$(RUMPCLIENT_STATS=$stats_env RUMP_SERVER=unix://a "$client" $what "$n" \
      2>>"stages.$label.${what%% *}") ||
      { echo "$label: $what failed: $out"; return 1; }
    set -- $out
    row[$label,$1]="$2 $3 $4"
  done
  # Idle: both servers and the echo client (blocked in recvfrom) for 3 s.
  local spids a0 t0 t1 ticks hz
  spids="$(cat a.pid b.pid) $echo_pid"
  a0=0
  for p in $spids; do a0=$((a0 + $(cpu_ticks "$p"))); done
  t0=$(date +%s.%N)
  sleep 3
  t1=$(date +%s.%N)
  ticks=0
  for p in $spids; do ticks=$((ticks + $(cpu_ticks "$p"))); done
  hz=$(getconf CLK_TCK)
  row[$label,idle]=$(awk -v d=$((ticks - a0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.2f%% of one core", 100 * d / hz / (t1 - t0) }')
}

# The echo client ends when its server halts (its recvfrom fails), and
# prints its stages then; it is killed if it has not after 5 s.
end_echo() {
  local i
  for i in $(seq 100); do
    kill -0 "$echo_pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill "$echo_pid" 2>/dev/null
}

stop_servers() {
  for u in a b; do RUMP_SERVER=unix://$u "$1" >/dev/null 2>&1; done
  for u in a b; do
    local p
    p=$(cat $u.pid 2>/dev/null) || continue
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  done
  rm -f a b a.pid b.pid bus
}

# --- ours
# start_server U CMD...: CMD -s (foreground) in the background, its pid in
# U.pid, back once the socket U accepts
start_server() {
  local u=$1
  shift
  "$@" -s "unix://$work/$u" >>servers.log 2>&1 &
  local p=$!
  pids+=($p)
  echo $p >$u.pid
  until [ -S "$work/$u" ]; do
    kill -0 $p 2>/dev/null || { echo "echo_bench: server $u did not start"; return 1; }
    sleep 0.05
  done
}
topt=()
stats_env=0
if [ $stages = 1 ]; then
  topt=(-t)
  stats_env=1
fi
echo_pid=
for u in a b; do
  start_server $u "$server" "${topt[@]}" -lrumpnet -lrumpnet_net -lrumpnet_netinet \
    -lrumpnet_shmif || exit 1
done
i=1
for u in a b; do
  export RUMP_SERVER=unix://$u
  "$ifconfig" shmif0 create && "$ifconfig" shmif0 linkstr "$work/bus" &&
    "$ifconfig" shmif0 inet 10.0.9.$i/24 && "$ifconfig" shmif0 up || exit 1
  i=$((i + 1))
done
unset RUMP_SERVER
run_side ours || exit 1
stop_servers "$halt"
end_echo
stats_env=0

# --- NetBSD's servers, the same clients
if [ -n "$peer" ] && [ -x "$peer/rump/bin/rump_server" ]; then
  nb="$peer/rumpctrl/bin"
  # The loader needs a link per library; a copy of the peer whose symbolic
  # links became small files naming their target gets links made here.
  mkdir -p nblib
  for f in "$peer"/rump/lib/lib*; do
    target=""
    [ -L "$f" ] || IFS= read -r -d '' -n 256 target <"$f" 2>/dev/null || true
    if [ -n "$target" ] && [[ "$target" =~ ^lib[A-Za-z0-9_.+-]+$ ]] &&
      [ -f "$peer/rump/lib/$target" ]; then
      ln -sf "$peer/rump/lib/$target" "nblib/${f##*/}"
    else
      ln -sf "$f" "nblib/${f##*/}"
    fi
  done
  export LD_LIBRARY_PATH=$work/nblib
  for u in a b; do
    start_server $u "$peer/rump/bin/rump_server" -lrumpnet -lrumpnet_net -lrumpnet_netinet \
      -lrumpnet_shmif || exit 1
  done
  i=1
  for u in a b; do
    export RUMP_SERVER=unix://$work/$u
    # no duplicate address detection: the address is usable at once
    "$nb/sysctl" -w net.inet.ip.dad_count=0 >/dev/null &&
      "$nb/ifconfig" shmif0 create && "$nb/ifconfig" shmif0 linkstr "$work/bus" &&
      "$nb/ifconfig" shmif0 inet 10.0.9.$i/24 || exit 1
    i=$((i + 1))
  done
  unset RUMP_SERVER
  run_side netbsd || row[netbsd,failed]=1
  stop_servers "$nb/halt"
  end_echo
  unset LD_LIBRARY_PATH
fi

# --- in-process: the same kernels without remote clients
inproc=$("$inet_bench" "$n" 2>&1)
ip_icmp=$(echo "$inproc" | awk '/^ICMP echo/ { for (i = 1; i <= NF; ++i) if ($i == "median") print $(i+1), $(i+4), $(i+7) }')
ip_udp=$(echo "$inproc" | awk '/^UDP request/ { for (i = 1; i <= NF; ++i) if ($i == "median") print $(i+1), $(i+4), $(i+7) }')

printf '\necho_bench: %s exchanges each, microseconds (median / p99 / average)\n\n' "$n"
printf '%-8s | %-22s | %-22s | %-8s | %-22s\n' "" "ours, remote clients" "ours, in-process" "ratio" "NetBSD's servers"
printf '%-8s-+-%-22s-+-%-22s-+-%-8s-+-%-22s\n' -------- ---------------------- ---------------------- -------- ----------------------
fmt() { [ -n "${1:-}" ] && { set -- $1; printf '%s / %s / %s' "$1" "$2" "$3"; } || printf 'n/a'; }
for what in udp icmp getpid; do
  ours=${row[ours,$what]:-}
  inp=""
  [ "$what" = udp ] && inp=$ip_udp
  [ "$what" = icmp ] && inp=$ip_icmp
  ratio=n/a
  if [ -n "$inp" ] && [ -n "$ours" ]; then
    ratio=$(awk -v a="${ours%% *}" -v b="${inp%% *}" 'BEGIN { printf "%.1fx", a / b }')
  fi
  nbr=${row[netbsd,$what]:-}
  [ -z "$peer" ] && nbr=""
  printf '%-8s | %-22s | %-22s | %-8s | %-22s\n' "$what" "$(fmt "$ours")" "$(fmt "$inp")" "$ratio" \
    "$( [ -n "$nbr" ] && fmt "$nbr" || { [ -z "$peer" ] && echo 'no peer' || echo failed; })"
done
printf '\nidle CPU, two servers and the blocked echo client, over 3 s: ours %s' "${row[ours,idle]:-n/a}"
[ -n "$peer" ] && printf '; NetBSD %s' "${row[netbsd,idle]:-n/a}"
printf '\n'

if [ $stages = 1 ]; then
  printf '\nwhere the time went (ours; docs/latency.md), per process:\n'
  for f in stages.ours.udp-ping stages.ours.echo stages.ours.icmp-ping; do
    printf '\n--- %s\n' "${f#stages.ours.} client"
    grep -v '^rumpclient stats' "$f"
  done
  printf '\n--- both servers, whole run (a, then b)\n'
  grep -v 'halting\|halted\|^$' servers.log
fi
