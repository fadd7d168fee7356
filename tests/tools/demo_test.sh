#!/usr/bin/env bash
# The README's demo (rump/cmd/tools/demo.sh, what scripts/demo runs after
# installing and building): two servers on one bus configured with
# rump.ifconfig, pings both ways, the bus through tcpdump, both halted.
set -u
runfiles="${RUNFILES_DIR:-${TEST_SRCDIR:-$0.runfiles}}/rump"
work=$(mktemp -d /tmp/rdemo.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=$("$runfiles/rump/cmd/tools/demo" "$work" 2>&1)
rc=$?
printf '%s\n' "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$rc" -eq 0 ] || fail "demo exited $rc"
has() { printf '%s\n' "$out" | grep -E -q -- "$1" || fail "demo output lacks /$1/"; }
has '^\$ rump_server -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif unix://a$'
has '^\$ RUMP_SERVER=unix://a rump.ifconfig shmif0 create$'
has '^\$ RUMP_SERVER=unix://b rump.ifconfig shmif0 linkstr bus$'
has '^\$ RUMP_SERVER=unix://a rump.ping -c 3 10.0.0.2$'
has '^\$ RUMP_SERVER=unix://b rump.ping -c 3 10.0.0.1$'
has '^3 packets transmitted, 3 packets received, 0.0% packet loss$'
has '^\$ shmif_dumpbus -p - bus \| tcpdump -n -r -$'
has '^\$ RUMP_SERVER=unix://b rump.halt$'
if command -v tcpdump >/dev/null || [ -x /usr/sbin/tcpdump ]; then
  has 'ARP, Request who-has 10.0.0.2'
  has 'ICMP echo request'
  has 'ICMP echo reply'
fi
# Both servers are gone: their sockets were removed.
[ ! -e "$work/a" ] && [ ! -e "$work/b" ] || fail "a server socket is left in $work"
echo PASS
