# Sourced by the example checks that run outside Bazel (install_test.sh,
# bazel_consumer/test.sh): `check NAME COMMAND...` runs COMMAND and counts
# it in `passed` or `failed`.
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAIL: $name" >&2
    failed=$((failed + 1))
  fi
}
