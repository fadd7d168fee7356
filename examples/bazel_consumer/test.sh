#!/bin/bash
# Builds and runs this consumer workspace the way README.md says ("Using rump
# from another Bazel workspace"), in a Bazel of its own:
#   bazel build //...
#   bazel run //:hello_local -- /tmp/.../bus
#   bazel run //:hello_shared -- /tmp/.../bus
#   bazel run @rump//rump/cmd:rump_server -- unix:///tmp/.../sock
#   RUMP_SERVER=unix:///tmp/.../sock bazel run //:hello_remote
#
# Not a Bazel test (a Bazel inside `bazel test` is fragile): run it directly,
#   examples/bazel_consumer/test.sh
# It uses its own output root (RUMP_CONSUMER_OUTPUT_ROOT, default
# /tmp/rump-bazel-consumer-$UID; kept between runs as a cache) and shuts its
# Bazel server down at the end. Prints "N passed, N failed".
set -u
cd "$(dirname "$0")" || exit 1
readonly ROOT=${RUMP_CONSUMER_OUTPUT_ROOT:-/tmp/rump-bazel-consumer-$(id -u)}
readonly WORK=$(mktemp -d /tmp/rumpbc.XXXXXX)
server_pid=""

bz() {
  # No bazel-* links in the source tree; the server exits when idle anyway.
  bazel --output_user_root="$ROOT" --max_idle_secs=600 "$@"
}
decoy=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  bz shutdown 2>/dev/null
  [ -n "$decoy" ] && rm -f "$decoy"
  rm -rf "$WORK"
}
trap cleanup EXIT

source ../check.sh

# A user who followed README.md here has left Bazel's convenience links
# (bazel-bazel_consumer, bazel-bin, ...) pointing into another output base;
# .bazelignore keeps //... out of them. Unless the user's links are there,
# stand in for them with a link to a package that does not load.
if [ ! -e bazel-bazel_consumer ] && [ ! -L bazel-bazel_consumer ]; then
  mkdir -p "$WORK/decoy/broken"
  echo 'this is not a BUILD file (' >"$WORK/decoy/broken/BUILD"
  ln -s "$WORK/decoy" bazel-bazel_consumer && decoy=$PWD/bazel-bazel_consumer
fi

build() {
  bz build --symlink_prefix=/ //... @rump//rump/cmd:rump_server 2>"$WORK/build.err" ||
    { tail -n 30 "$WORK/build.err" >&2; return 1; }
}
run_local() { # TARGET
  bz run --symlink_prefix=/ "//:$1" -- "$WORK/$1.bus" >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    { tail -n 20 "$WORK/$1.err" >&2; return 1; }
  cat "$WORK/$1.out"
  grep -q "^hello from pid 1 of the rump kernel: shmif0 on $WORK/$1.bus\$" "$WORK/$1.out" &&
    [ "$(stat -c %s "$WORK/$1.bus")" = 1048576 ]
}
start_server() {
  local p
  bz run --symlink_prefix=/ @rump//rump/cmd:rump_server -- "unix://$WORK/sock" \
    >"$WORK/server.out" 2>"$WORK/server.err" || { tail -n 20 "$WORK/server.err" >&2; return 1; }
  # It daemonized once it accepted connections; find it to stop it later.
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "rump_server unix://$WORK/sock"; then
      server_pid=${p#/proc/}
    fi
  done
  [ -n "$server_pid" ] && [ -S "$WORK/sock" ]
}
run_remote() {
  RUMP_SERVER="unix://$WORK/sock" bz run --symlink_prefix=/ //:hello_remote \
    >"$WORK/remote.out" 2>"$WORK/remote.err" || { tail -n 20 "$WORK/remote.err" >&2; return 1; }
  cat "$WORK/remote.out"
  grep -qE '^hello from pid [0-9]+ of the remote rump kernel \(NetBSD\)$' "$WORK/remote.out"
}

check "bazel build //... @rump//rump/cmd:rump_server" build
if ((failed == 0)); then
  check "bazel run //:hello_local (@rump//capi:rump)" run_local hello_local
  check "bazel run //:hello_shared (@rump//capi:rump_shared)" run_local hello_shared
  check "bazel run @rump//rump/cmd:rump_server" start_server
  check "bazel run //:hello_remote (@rump//capi:rumpclient)" run_remote
fi
echo "bazel consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
