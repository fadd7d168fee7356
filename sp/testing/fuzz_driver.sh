#!/bin/bash
# Builds a libFuzzer target with clang++ and runs it for a bounded time: the
# body of the fuzz tests (//sp/wire:frame_fuzz_test,
# //sp/server:session_fuzz_test). Bazel compiles with gcc, which has no
# libFuzzer, so the test compiles the sources itself, with
# -fsanitize=fuzzer,address,undefined, and links Abseil through pkg-config.
# Fails (never skips) if clang, libFuzzer or Abseil's pkg-config files are
# missing.
#
# Usage (from Bazel, as an sh_test's args):
#   fuzz_driver.sh [options] -- SEED_WRITER FUZZER_SRC SOURCES...
#     --name NAME        the fuzzer binary's name (default: fuzzer)
#     --runs N           default for FUZZ_RUNS (default 100000)
#     --absl "MODS"      Abseil pkg-config modules to link (default:
#                        absl_status absl_statusor absl_strings absl_str_format)
#     --max-len N        libFuzzer's -max_len (default: libFuzzer's own)
#     --libs "FLAGS"     more libraries to link (e.g. -lzmq)
# SEED_WRITER writes the seed corpus into the directory it is given; of
# SOURCES only the .cc files are compiled (headers come along as data).
# Environment: FUZZ_SECONDS (default 20) and FUZZ_RUNS bound the run,
# whichever is reached first; CXX_FUZZ overrides the compiler.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

name=fuzzer
default_runs=100000
absl_mods="absl_status absl_statusor absl_strings absl_str_format"
fuzz_args=()
extra_libs=""
while (($# > 0)); do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --runs) default_runs=$2; shift 2 ;;
    --absl) absl_mods=$2; shift 2 ;;
    --max-len) fuzz_args+=("-max_len=$2"); shift 2 ;;
    --libs) extra_libs=$2; shift 2 ;;
    --) shift; break ;;
    *) fail "fuzz_driver.sh: unknown option $1" ;;
  esac
done
(($# >= 2)) || fail "usage: fuzz_driver.sh [options] -- SEED_WRITER FUZZER_SRC SOURCES..."

seed_writer=$1
fuzzer_src=$2
shift 2
srcs=("$fuzzer_src")
for f in "$@"; do
  case "$f" in *.cc) srcs+=("$f") ;; esac
done

cxx=${CXX_FUZZ:-clang++}
seconds=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:-$default_runs}
work=${TEST_TMPDIR:-$(mktemp -d)}/fuzz
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$work}
export TMPDIR=${TEST_TMPDIR:-/tmp}
mkdir -p "$work/obj" "$work/corpus"

command -v "$cxx" >/dev/null || fail "$cxx not found: the libFuzzer target needs clang (Debian package clang)"
command -v pkg-config >/dev/null || fail "pkg-config not found (needed to link Abseil)"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  >"$work/probe.cc"
"$cxx" -fsanitize=fuzzer "$work/probe.cc" -o "$work/probe" 2>"$work/probe.log" ||
  fail "$cxx cannot build a libFuzzer target (is libFuzzer, clang's compiler-rt, installed?): $(cat "$work/probe.log")"

# shellcheck disable=SC2086  # $absl_mods is a list of module names
absl_libs=$(pkg-config --libs $absl_mods) ||
  fail "pkg-config does not know Abseil (Debian package libabsl-dev)"

# The runfiles root is the repository root, so "sp/wire/x.h" resolves.
# -O0 and line tables only: the netinet target's 70 sources build in about
# two thirds of the time -O1 -g takes (89 s against 132 s on two cores),
# for about two thirds of the executions in the same FUZZ_SECONDS; the
# build dominated the test, and the suite's cold run.
flags=(-std=c++20 -O0 -gline-tables-only -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread
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
# shellcheck disable=SC2086  # $extra_libs is a list of flags
"$cxx" "${flags[@]}" "${objs[@]}" -o "$work/$name" $absl_libs $extra_libs ||
  fail "linking the fuzz target failed"
echo "built in $((SECONDS - start)) s"

"$seed_writer" "$work/corpus"

# libFuzzer exits non-zero on a crash, a sanitizer report, a leak or a
# timeout, and leaves the input in $artifacts.
start=$SECONDS
"$work/$name" -max_total_time="$seconds" -runs="$runs" -timeout=10 \
  -rss_limit_mb=2048 ${fuzz_args[@]+"${fuzz_args[@]}"} -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus" >/dev/null 2>"$work/fuzz.log" || {
  tail -n 60 "$work/fuzz.log" >&2
  fail "the fuzzer found a problem; the input is in $artifacts"
}
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
grep -E '^(#[0-9]+ *DONE|Done|stat::)' "$work/fuzz.log" || true
echo "PASS: ${execs:-?} executions in $((SECONDS - start)) s, no crash"
