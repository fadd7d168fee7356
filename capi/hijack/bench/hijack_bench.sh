#!/usr/bin/env bash
# The hijack library's figures (docs/hijack.md), on two rump_servers on one
# bus in a temporary directory:
#   - iperf3 -s hijacked in kernel A, iperf3 -c hijacked in kernel B;
#   - curl of a 64 MiB file from a hijacked python3 -m http.server;
#   - the cost the library adds to a remote call: fcntl(F_GETFL) on a
#     kernel socket through librumphijack and through librumpclient.
# Usage: bazel run -c opt //capi/hijack:hijack_bench [-- SECONDS]
set -euo pipefail
secs=${1:-10}
r="${RUNFILES_DIR:-$0.runfiles}/rump"
server="$r/rump/cmd/rump_server"
ifconfig="$r/rump/cmd/tools/rump.ifconfig"
halt="$r/rump/cmd/tools/rump.halt"
lib="$r/capi/hijack/librumphijack.so"
overhead_hijack="$r/capi/hijack/call_overhead"
overhead_direct="$r/capi/hijack/call_overhead_direct"
for p in iperf3 curl /usr/bin/python3; do
  command -v "$p" >/dev/null || { echo "hijack_bench: $p is not installed (scripts/install-deps)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hjbench.XXXXXX)
cd "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  RUMP_SERVER=unix://a "$halt" 2>/dev/null || true
  RUMP_SERVER=unix://b "$halt" 2>/dev/null || true
  cd /
  rm -rf "$work"
}
trap cleanup EXIT
for k in a:10.0.0.1 b:10.0.0.2; do
  url=unix://${k%%:*}
  "$server" -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif "$url"
  RUMP_SERVER=$url "$ifconfig" shmif0 create
  RUMP_SERVER=$url "$ifconfig" shmif0 linkstr bus
  RUMP_SERVER=$url "$ifconfig" shmif0 inet "${k#*:}/24" up
done
listening() { RUMP_SERVER=unix://a "$r/rump/cmd/tools/rump.netstat" -an | grep -q "$1 .*LISTEN"; }
wait_listen() {
  for _ in $(seq 1 200); do listening "$1" && return 0; sleep 0.05; done
  echo "hijack_bench: nothing listens on $1" >&2
  exit 1
}

echo "== iperf3, both ends hijacked, ${secs} s"
RUMP_SERVER=unix://a LD_PRELOAD=$lib iperf3 -s -1 -B 10.0.0.1 >/dev/null 2>&1 &
pids+=($!)
wait_listen 10.0.0.1.5201
RUMP_SERVER=unix://b LD_PRELOAD=$lib iperf3 -c 10.0.0.1 -t "$secs" -f m 2>&1 |
  grep -E 'sender|receiver' | sed 's/^/  /'

echo "== curl of 64 MiB from python3 -m http.server, both hijacked"
mkdir www
head -c $((64 << 20)) /dev/urandom >www/big
(cd www && RUMP_SERVER=unix://$work/a LD_PRELOAD=$lib exec /usr/bin/python3 -m http.server \
  --bind 10.0.0.1 8000 >/dev/null 2>&1) &
pids+=($!)
wait_listen 10.0.0.1.8000
RUMP_SERVER=unix://b LD_PRELOAD=$lib curl -sS -o got -w '  %{time_total} s, %{speed_download} bytes/s\n' \
  http://10.0.0.1:8000/big
cmp -s got www/big && echo "  (identical)" || echo "  (DIFFERENT)"

echo "== the library's cost on a remote call"
for i in 1 2 3; do
  RUMP_SERVER=unix://b "$overhead_direct" 20000 | sed 's/^/  /'
  RUMP_SERVER=unix://b LD_PRELOAD=$lib "$overhead_hijack" 20000 | sed 's/^/  /'
done
