#!/bin/bash
# Runs a libFuzzer binary (built by libfuzzer_binary in libfuzzer.bzl) over
# a fresh seed corpus for a bounded time: the body of every libfuzzer_test.
#
# Usage (from Bazel, as an sh_test's args):
#   libfuzzer_run.sh [--runs N] [--max-len N] -- SEED_WRITER FUZZER
#     --runs N      default for FUZZ_RUNS (default 100000)
#     --max-len N   libFuzzer's -max_len (default: libFuzzer's own)
# SEED_WRITER writes the seed corpus into the directory it is given.
# Environment: FUZZ_SECONDS (default 20) and FUZZ_RUNS bound the run,
# whichever is reached first. Fails on a crash, a sanitizer report, a leak
# or a timeout, leaving the input in the test's undeclared outputs.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

default_runs=100000
fuzz_args=()
while (($# > 0)); do
  case "$1" in
    --runs) default_runs=$2; shift 2 ;;
    --max-len) fuzz_args+=("-max_len=$2"); shift 2 ;;
    --) shift; break ;;
    *) fail "libfuzzer_run.sh: unknown option $1" ;;
  esac
done
(($# == 2)) || fail "usage: libfuzzer_run.sh [--runs N] [--max-len N] -- SEED_WRITER FUZZER"
seed_writer=$1
fuzzer=$2

seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:-$default_runs}
work=${TEST_TMPDIR:-$(mktemp -d)}/fuzz
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$work}
export TMPDIR=${TEST_TMPDIR:-/tmp}
mkdir -p "$work/corpus"

"$seed_writer" "$work/corpus"

start=$SECONDS
"$fuzzer" -max_total_time="$seconds" -runs="$runs" -timeout=10 \
  -rss_limit_mb=2048 ${fuzz_args[@]+"${fuzz_args[@]}"} -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus" >/dev/null 2>"$work/fuzz.log" || {
  tail -n 60 "$work/fuzz.log" >&2
  fail "the fuzzer found a problem; the input is in $artifacts"
}
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
grep -E '^(#[0-9]+ *DONE|Done|stat::)' "$work/fuzz.log" || true
echo "PASS: ${execs:-?} executions in $((SECONDS - start)) s, no crash"
