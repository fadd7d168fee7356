#!/usr/bin/env bash
# The shmif demo: two processes attach to one new bus file and exchange
# frames both ways; shmif_dumpbus then shows the bus and turns it into a pcap
# that tcpdump prints. Usage: demo [WORKDIR]
set -euo pipefail

runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/rump"
bus_chat="$runfiles/shmif/demo/bus_chat"
shmif_dumpbus="$runfiles/shmif/dumpbus/shmif_dumpbus"
for b in "$bus_chat" "$shmif_dumpbus"; do
  [ -x "$b" ] || { echo "demo: missing $b (build with bazel)" >&2; exit 1; }
done

workdir="${1:-$(mktemp -d /tmp/shmif-demo.XXXXXX)}"
mkdir -p "$workdir"
cd "$workdir"
rm -f bus
echo "# working in $workdir"

chat_a=""
cleanup() { [ -n "$chat_a" ] && kill "$chat_a" 2>/dev/null || true; }
trap cleanup EXIT

say() { printf '\n$ %s\n' "$*"; }

say "bus_chat bus A 10.0.0.1 10.0.0.2 3 &"
"$bus_chat" bus A 10.0.0.1 10.0.0.2 3 > a.log 2>&1 &
chat_a=$!
say "bus_chat bus B 10.0.0.2 10.0.0.1 3"
"$bus_chat" bus B 10.0.0.2 10.0.0.1 3
wait "$chat_a"
chat_a=""
echo "# what A printed:"
cat a.log

say "shmif_dumpbus bus"
"$shmif_dumpbus" bus

tcpdump=$(command -v tcpdump || true)
[ -n "$tcpdump" ] || for t in /usr/sbin/tcpdump /usr/bin/tcpdump; do [ -x "$t" ] && tcpdump=$t; done
if [ -n "$tcpdump" ]; then
  say "shmif_dumpbus -p - bus | tcpdump -n -r -"
  "$shmif_dumpbus" -p - bus 2>/dev/null | "$tcpdump" -n -r - 2>&1
else
  echo "# tcpdump is not installed: skipping the pcap view"
fi
