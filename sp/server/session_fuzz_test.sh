#!/bin/bash
# Builds the session's libFuzzer target with clang++ and runs it for a
# bounded time. Bazel compiles with gcc, which has no libFuzzer, so this
# test compiles the sources itself (the approach of
# sp/wire/frame_fuzz_test.sh): the session, the kernel, the ABI and the
# codec, as :session_fuzz_sources lists them.
#
# Usage (from Bazel): session_fuzz_test.sh SEED_WRITER FUZZER_SRC SOURCES...
# Environment: FUZZ_SECONDS (default 20) and FUZZ_RUNS (default 100000)
# bound the run, whichever comes first; CXX_FUZZ overrides the compiler.
set -euo pipefail

seed_writer=$1
fuzzer_src=$2
shift 2
srcs=("$fuzzer_src")
for f in "$@"; do
  case "$f" in *.cc) srcs+=("$f") ;; esac
done

cxx=${CXX_FUZZ:-clang++}
seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:-100000}
work=${TEST_TMPDIR:-$(mktemp -d)}/fuzz
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$work}
export TMPDIR=${TEST_TMPDIR:-/tmp}
mkdir -p "$work/obj" "$work/corpus"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

command -v "$cxx" >/dev/null || fail "$cxx not found: the libFuzzer target needs clang (Debian package clang)"
command -v pkg-config >/dev/null || fail "pkg-config not found (needed to link Abseil)"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$work/probe.cc"
"$cxx" -fsanitize=fuzzer "$work/probe.cc" -o "$work/probe" 2>"$work/probe.log" ||
  fail "$cxx cannot build a libFuzzer target (is libFuzzer, clang's compiler-rt, installed?): $(cat "$work/probe.log")"

absl_libs=$(pkg-config --libs absl_status absl_statusor absl_strings absl_str_format \
  absl_time absl_cord) || fail "pkg-config does not know Abseil (Debian package libabsl-dev)"

# The runfiles root is the repository root, so "sp/server/x.h" resolves.
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I"$PWD")
echo "compiling ${#srcs[@]} sources with $("$cxx" --version | head -1)"
start=$SECONDS
objs=()
pids=()
jobs=$(nproc 2>/dev/null || echo 2)
for src in "${srcs[@]}"; do
  obj="$work/obj/$(echo "$src" | tr / _ | sed 's/\.cc$/.o/')"
  objs+=("$obj")
  "$cxx" "${flags[@]}" -c "$src" -o "$obj" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || fail "compiling the fuzz target failed"
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || fail "compiling the fuzz target failed"
done
# shellcheck disable=SC2086  # $absl_libs is a list of flags
"$cxx" "${flags[@]}" "${objs[@]}" -o "$work/session_fuzzer" $absl_libs ||
  fail "linking the fuzz target failed"
echo "built in $((SECONDS - start)) s"

"$seed_writer" "$work/corpus"

# libFuzzer exits non-zero on a crash, a sanitizer report, a leak or a
# timeout, and leaves the input in $artifacts.
start=$SECONDS
"$work/session_fuzzer" -max_total_time="$seconds" -runs="$runs" -timeout=10 \
  -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$work/corpus" >/dev/null 2>"$work/fuzz.log" || {
  tail -n 60 "$work/fuzz.log" >&2
  fail "the fuzzer found a problem; the input is in $artifacts"
}
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
grep -E '^(#[0-9]+ *DONE|Done|stat::)' "$work/fuzz.log" || true
echo "PASS: ${execs:-?} executions in $((SECONDS - start)) s, no crash"
