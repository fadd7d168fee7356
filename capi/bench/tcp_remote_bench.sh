#!/bin/bash
# tcp_remote_bench: TCP bulk throughput through librumpclient on both ends.
# Two rump_servers share one shmif bus; a remote client of the first writes
# MIB MiB (default 256) in 64 KiB writes to a remote client of the second,
# which checks every byte.
#
#   bazel run -c opt //capi:tcp_remote_bench [-- MIB]
set -u
mib=${1:-256}
r="$(cd "${RUNFILES_DIR:-$0.runfiles}/rump" && pwd)"
server="$r/rump/cmd/rump_server"
ifconfig="$r/rump/cmd/tools/rump.ifconfig"
halt="$r/rump/cmd/tools/rump.halt"
client="$r/capi/tcp_remote_client"
work=$(mktemp -d /tmp/tcprb.XXXXXX) || exit 1
pids=()
cleanup() {
  for u in a b; do RUMP_SERVER=unix://$work/$u "$halt" 2>/dev/null; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
for u in a b; do
  "$server" -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif "unix://$u" || exit 1
done
i=1
for u in a b; do
  export RUMP_SERVER=unix://$u
  "$ifconfig" shmif0 create && "$ifconfig" shmif0 linkstr "$work/bus" &&
    "$ifconfig" shmif0 inet 10.0.8.$i/24 && "$ifconfig" shmif0 up || exit 1
  i=$((i + 1))
done
RUMP_SERVER=unix://b "$client" recv 5001 >recv.out 2>&1 &
pids+=($!)
until grep -q listening recv.out 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat recv.out; exit 1; }
  sleep 0.05
done
RUMP_SERVER=unix://a "$client" send 10.0.8.2 5001 "$mib" || exit 1
wait "${pids[0]}"
rc=$?
cat recv.out
exit $rc
