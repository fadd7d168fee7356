#!/usr/bin/env bash
# The README's demo: two rump kernel servers on one new bus file, each
# configured with rump.ifconfig, rump.ping both ways, the bus shown by
# shmif_dumpbus | tcpdump, both servers halted. Every step is printed as a
# user would type it, then run. Usage: demo [WORKDIR] (default: a new
# directory under /tmp; the bus file and the servers' sockets live there).
set -euo pipefail

runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/rump"
runfiles=$(cd "$runfiles" && pwd)  # absolute: the demo changes directory
bindirs="$runfiles/rump/cmd:$runfiles/rump/cmd/tools:$runfiles/shmif/dumpbus"
for b in rump/cmd/rump_server rump/cmd/tools/rump.ifconfig rump/cmd/tools/rump.ping \
         rump/cmd/tools/rump.halt shmif/dumpbus/shmif_dumpbus; do
  [ -x "$runfiles/$b" ] || { echo "demo: missing $runfiles/$b (build with bazel)" >&2; exit 1; }
done
PATH="$bindirs:$PATH:/usr/sbin:/sbin"
export PATH

workdir="${1:-$(mktemp -d /tmp/rump-demo.XXXXXX)}"
mkdir -p "$workdir"
cd "$workdir"
rm -f bus a b
echo "# working in $workdir"

# Servers still running if a step fails are stopped by PID (a rump
# kernel's kern.hostname is rump-<pid>.<host>).
pids=""
cleanup() {
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
remember_pid() {
  local host
  host=$(RUMP_SERVER=$1 rump.sysctl -n kern.hostname 2>/dev/null) || return 0
  host=${host#rump-}
  pids="$pids $((10#${host%%.*}))"
}

# step 'COMMAND': print it as typed, then run it.
step() {
  printf '\n$ %s\n' "$1"
  eval "$1"
}

for s in a b; do
  step "rump_server -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif unix://$s"
  remember_pid unix://$s
done
addr_a=10.0.0.1
addr_b=10.0.0.2
for s in a b; do
  addr=$addr_a
  [ $s = a ] || addr=$addr_b
  step "RUMP_SERVER=unix://$s rump.ifconfig shmif0 create"
  step "RUMP_SERVER=unix://$s rump.ifconfig shmif0 linkstr bus"
  step "RUMP_SERVER=unix://$s rump.ifconfig shmif0 inet $addr/24"
  step "RUMP_SERVER=unix://$s rump.ifconfig shmif0 up"
done
step "RUMP_SERVER=unix://a rump.ifconfig shmif0"
step "RUMP_SERVER=unix://a rump.ping -c 3 $addr_b"
step "RUMP_SERVER=unix://b rump.ping -c 3 $addr_a"
step "RUMP_SERVER=unix://b rump.ifconfig -v shmif0"

if command -v tcpdump >/dev/null; then
  step "shmif_dumpbus -p - bus | tcpdump -n -r -"
else
  printf '\n$ shmif_dumpbus -p - bus | tcpdump -n -r -\n'
  echo "# tcpdump is not installed (scripts/install-deps installs it): the bus as text instead"
  step "shmif_dumpbus bus"
fi

step "RUMP_SERVER=unix://a rump.halt"
step "RUMP_SERVER=unix://b rump.halt"
# rump.halt returns once the server has answered; give them a moment to
# remove their sockets before showing what is left.
for _ in $(seq 1 600); do
  [ -e a ] || [ -e b ] || break
  sleep 0.05
done
step "ls"
