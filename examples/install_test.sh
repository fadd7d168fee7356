#!/bin/bash
# README.md's install command as a user runs it, Bazel build included:
#   scripts/install --prefix DIR
# into a temporary prefix, then a C example built with nothing but
#   cc udp_exchange.c $(pkg-config --cflags --libs rump)
# and the UDP exchange between two such processes. (examples/c's Bazel test
# covers the rest of the installation from its runfiles; this one checks
# the path through `bazel build`.)
#
# Not a Bazel test (it runs bazel in this workspace): run it directly,
#   examples/install_test.sh
# Prints "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
readonly WORK=$(mktemp -d /tmp/rumpinst.XXXXXX)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$WORK"' EXIT
source examples/check.sh

install() {
  scripts/install --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 ||
    { tail -n 30 "$WORK/install.log" >&2; return 1; }
  tail -n 3 "$WORK/install.log"
}
build() {
  export PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" LD_LIBRARY_PATH="$WORK/prefix/lib"
  cp examples/c/exchange.h examples/c/udp_exchange.c "$WORK/" &&
    (cd "$WORK" && cc udp_exchange.c $(pkg-config --cflags --libs rump) -o udp_exchange)
}
exchange() {
  local i
  (cd "$WORK" && exec ./udp_exchange bus 10.0.2.1/24 serve >serve.out 2>serve.err) &
  server_pid=$!
  for ((i = 0; i < 300; i++)); do
    grep -q '^listening' "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  (cd "$WORK" && ./udp_exchange bus 10.0.2.2/24 send 10.0.2.1 hello) || return 1
  wait "$server_pid" || { cat "$WORK/serve.err" >&2; return 1; }
  server_pid=""
  grep -q "^got 'hello' from 10\.0\.2\.2:" "$WORK/serve.out"
}

check "scripts/install --prefix DIR" install
((failed == 0)) && check "cc udp_exchange.c \$(pkg-config --cflags --libs rump)" build
((failed == 0)) && check "udp_exchange serve/send" exchange
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
