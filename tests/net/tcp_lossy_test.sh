#!/bin/bash
# 64 MiB each way between two kernels in two processes on one bus whose
# interfaces drop, duplicate and reorder 1% of the frames they send each
# (seeded): every byte must arrive, checked by its receiver, and the first
# kernel's link and TCP counters must show the loss and the recovery.
#
# Usage (from Bazel): tcp_lossy_test.sh TCP_BENCH
set -u
out=$("$1" 64 0 0 0 1 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: tcp_bench exited $rc"; exit 1; }
for want in "receiver: 67108864 ok" "64 MiB in .*every byte checked"; do
  printf '%s\n' "$out" | grep -Eq -- "$want" || { echo "FAIL: no /$want/"; exit 1; }
done
# "link 10.0.6.1 at 1.00%: D dropped, U duplicated, R reordered"
link=$(printf '%s\n' "$out" | grep '^link 10.0.6.1')
# "tcp 10.0.6.1: N segments retransmitted, T retransmit timeouts, P duplicate
# segments received, O out-of-order segments received"
tcp=$(printf '%s\n' "$out" | grep '^tcp 10.0.6.1')
positive() {  # positive LINE WORDS: the number before WORDS in LINE is > 0
  local n
  n=$(printf '%s\n' "$1" | grep -Eo "[0-9]+ $2" | grep -Eo '^[0-9]+')
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "FAIL: no positive count of '$2' in: $1"; exit 1; }
}
positive "$link" dropped
positive "$link" duplicated
positive "$link" reordered
positive "$tcp" "segments retransmitted"
positive "$tcp" "duplicate segments received"
positive "$tcp" "out-of-order segments received"
echo PASS
