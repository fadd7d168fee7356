# Shared by the examples' tests (sourced; run from a Bazel test's runfiles
# directory, the top of this workspace's runfiles).
#
#   example_install DIR   scripts/install --prefix DIR from the runfiles, and
#                         PATH, PKG_CONFIG_PATH, LD_LIBRARY_PATH pointed at it
#   run_example CMD...    runs CMD with the sanitizer runtime preloaded when
#                         the installed librump.so.0 was built with one
#                         (--config=asan/tsan): a program not built with the
#                         sanitizer must load its runtime first
#   wait_for_line FILE ERE SECONDS [PID]   polls FILE for a matching line
#                         (gives up early when process PID has ended)
#   fail MESSAGE          counts a failure (see `failures`)
#   started PID           kills PID (and waits) when the test exits
#   exchange CMD...       runs the udp_exchange program CMD twice in this
#                         directory (serve on bus, then send "hello" to it)
#                         and checks both outputs
#   finish                exits 1 after failures, else prints PASS

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

_example_pids=()
started() { _example_pids+=("$1"); }
_example_cleanup() {
  local pid
  for pid in "${_example_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  return 0
}
trap _example_cleanup EXIT

export PATH="$PATH:/usr/local/bin:/usr/bin:/bin"
readonly EXAMPLE_RUNFILES=$PWD
example_preload=""

example_install() {
  local prefix=$1 runtime
  "$EXAMPLE_RUNFILES/scripts/install" --prefix "$prefix" --built "$EXAMPLE_RUNFILES" \
    >"$TEST_TMPDIR/install.log" 2>&1 || {
    cat "$TEST_TMPDIR/install.log" >&2
    fail "scripts/install --prefix $prefix"
    exit 1
  }
  export PATH="$prefix/bin:$PATH"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  export LD_LIBRARY_PATH="$prefix/lib"
  runtime=$(readelf -d "$prefix/lib/librump.so.0" |
    sed -n 's/.*NEEDED.*\[\(lib[at]san\.so[.0-9]*\)\].*/\1/p' | head -n 1)
  example_preload=$runtime
}

run_example() {
  if [ -n "$example_preload" ]; then
    LD_PRELOAD="$example_preload" "$@"
  else
    "$@"
  fi
}

wait_for_line() {
  local file=$1 ere=$2 seconds=$3 pid=${4:-} i
  for ((i = 0; i < seconds * 10; i++)); do
    grep -qE "$ere" "$file" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      grep -qE "$ere" "$file" 2>/dev/null
      return
    fi
    sleep 0.1
  done
  return 1
}

exchange() {
  local server
  "$@" bus 10.0.2.1/24 serve >serve.out 2>serve.err &
  server=$!
  started $server
  wait_for_line serve.out '^listening on 10\.0\.2\.1:7777$' 30 $server ||
    fail "the server did not listen: $(cat serve.err)"
  "$@" bus 10.0.2.2/24 send 10.0.2.1 hello >send.out 2>send.err ||
    fail "send: $(cat send.err)"
  wait $server || fail "serve: $(cat serve.err)"
  cat serve.out send.out
  grep -q '^reply from 10\.0\.2\.1:7777: hello$' send.out || fail "no reply line"
  grep -qE "^got 'hello' from 10\.0\.2\.2:[0-9]+$" serve.out || fail "the server saw no datagram"
}

finish() {
  if ((failures > 0)); then
    echo "$failures failure(s)"
    exit 1
  fi
  echo "PASS"
}
