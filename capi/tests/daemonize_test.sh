#!/bin/bash
# rump_daemonize_begin/done: the parent exits only when the child reports,
# with the reported error; the child is a session leader and, on success,
# has its stdio on /dev/null.
#
# Usage (from Bazel): daemonize_test.sh DAEMONIZE
set -u
readonly PROG="$1"
readonly WORK="${TEST_TMPDIR:?run me with bazel test}/daemonize"
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

for mode in ok fail die; do
  "$PROG" "$mode" "$WORK/$mode.marker" >"$WORK/$mode.out" 2>"$WORK/$mode.err"
  echo $? >"$WORK/$mode.rc"
done

[[ "$(cat "$WORK/ok.rc")" == 0 ]] || fail "ok: exit $(cat "$WORK/ok.rc"), stderr: $(cat "$WORK/ok.err")"
[[ "$(cat "$WORK/fail.rc")" == 7 ]] || fail "fail: exit $(cat "$WORK/fail.rc"), expected 7"
[[ "$(cat "$WORK/die.rc")" == 3 ]] || fail "die: exit $(cat "$WORK/die.rc"), expected 3 (ESRCH)"

# The parent returned only after the child had reported, so the marker the
# child wrote before reporting is complete.
for mode in ok fail; do
  grep -qx "pid 1 session-leader 1" "$WORK/$mode.marker" 2>/dev/null ||
    fail "$mode: marker is '$(cat "$WORK/$mode.marker" 2>/dev/null)'"
done
[[ ! -s "$WORK/ok.out" ]] || fail "ok: the child's stdout after done(0) reached the caller: $(cat "$WORK/ok.out")"

if ((failures > 0)); then
  exit 1
fi
echo "PASS"
