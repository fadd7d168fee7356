# Shared by the exported-symbol tests (exported_symbols_test.sh,
# rumpclient_symbols_test.sh), which source it: the checks a shared library
# of ours passes whatever its API. Each check records a failure with `fail`
# and goes on; `finish` exits 1 if any failed.

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The defined dynamic symbols of shared library $1, sorted, one a line.
dynamic_symbols() {
  nm -D --defined-only "$1" | awk '{print $NF}' | sort
}

# Checks that library $1 exports exactly the global: section of version
# script $2 (comments removed). Sets $actual to the library's symbols.
check_exports_match_map() {
  local lib=$1 map=$2 expected
  expected="$(perl -0777 -ne 's{/\*.*?\*/}{}gs; /global:(.*?)local:/s and print $1' "$map" |
    grep -oE '[A-Za-z_][A-Za-z0-9_]*' | sort)"
  actual="$(dynamic_symbols "$lib")"
  [[ -n "$expected" ]] || fail "no symbols found in $map"
  [[ -n "$actual" ]] || fail "nm found no defined dynamic symbols in $lib"
  if ! diff -u <(echo "$expected") <(echo "$actual") >"${TEST_TMPDIR:-/tmp}/symbols.diff"; then
    fail "exported symbols differ from $(basename "$map") (- map, + library):"
    cat "${TEST_TMPDIR:-/tmp}/symbols.diff" >&2
  fi
}

# Every name given is in $actual.
expect_exported() {
  local sym
  for sym in "$@"; do
    grep -qx "$sym" <<<"$actual" || fail "$sym is not exported"
  done
}

# No name given is in $actual.
expect_not_exported() {
  local sym
  for sym in "$@"; do
    grep -qx "$sym" <<<"$actual" && fail "$sym must not be exported"
  done
  return 0
}

# Library $1's SONAME is $2 and $3 (its development name) is a copy of it.
# Sets $soname.
check_soname_and_copy() {
  local lib=$1 want=$2 devlib=$3
  soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
  [[ "$soname" == "$want" ]] || fail "SONAME is '$soname', expected $want"
  cmp -s "$lib" "$devlib" || fail "$devlib is not a copy of $lib"
}

# Exits 1 if a check failed; otherwise prints "PASS: $*".
finish() {
  if ((failures > 0)); then
    echo "$failures failure(s)" >&2
    exit 1
  fi
  echo "PASS: $*"
}
