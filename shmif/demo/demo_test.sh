#!/usr/bin/env bash
# Runs the demo in a temp dir and checks what it shows.
set -euo pipefail
demo="$TEST_SRCDIR/rump/shmif/demo/demo"
out="$TEST_TMPDIR/demo.out"
"$demo" "$TEST_TMPDIR/work" > "$out" 2>&1 || { cat "$out"; echo "FAIL: demo exited non-zero"; exit 1; }

fail() { cat "$out"; echo "FAIL: $*"; exit 1; }
for who in A B; do
  other=$([ $who = A ] && echo B || echo A)
  for i in 1 2 3; do
    grep -q "^\[$who\] received UDP from .*\"hello $i from $other\"" "$out" ||
      fail "$who did not receive datagram $i from $other"
  done
  grep -q "^\[$who\] received ARP from .*who has" "$out" || fail "$who saw no ARP"
done
grep -q '^bus version 3, lock: 0, generation: 0, firstoff: 0x[0-9a-f]*, lastoff: 0x' "$out" ||
  fail "no bus header line"
[ "$(grep -c '^packet [0-9]*, offset 0x' "$out")" -eq 8 ] || fail "expected 8 packets on the bus"
if command -v tcpdump >/dev/null || [ -x /usr/sbin/tcpdump ] || [ -x /usr/bin/tcpdump ]; then
  [ "$(grep -c 'ARP, Request who-has' "$out")" -eq 2 ] || fail "tcpdump: expected 2 ARP requests"
  [ "$(grep -c ': UDP, length 1[0-9]$' "$out")" -eq 6 ] || fail "tcpdump: expected 6 UDP datagrams"
  ! grep -qE 'truncated|bad cksum' "$out" || fail "tcpdump found malformed frames"
fi
echo "demo_test: 1 passed, 0 failed"
