#!/bin/bash
# 256 MiB each way between two kernels in two processes on one bus (every
# byte checked by its receiver), then 200 request/response rounds, 200
# connections set up and torn down and 1000 idle connections: tcp_bench
# exits non-zero if any transfer was short or wrong or a step failed.
#
# Usage (from Bazel): tcp_bulk_test.sh TCP_BENCH
set -u
out=$("$1" 256 200 200 1000 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: tcp_bench exited $rc"; exit 1; }
for want in "receiver: 268435456 ok" "256 MiB in .*every byte checked" \
  "connect\+accept\+close: 200 in" "^1000 idle connections"; do
  printf '%s\n' "$out" | grep -Eq -- "$want" || { echo "FAIL: no /$want/"; exit 1; }
done
echo PASS
