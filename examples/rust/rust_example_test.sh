#!/bin/bash
# Installs into a temporary prefix with scripts/install, then runs README.md's
# Rust commands ("Using rump from Rust") in a copy of examples/rust:
#   cargo test --offline
#   RUMP_LIB_DIR=$PREFIX/lib cargo build --offline   (without pkg-config)
#   cargo run --offline --bin udp_exchange -- bus 10.0.2.1/24 serve &
#   cargo run --offline --bin udp_exchange -- bus 10.0.2.2/24 send 10.0.2.1 hello
# with CARGO_HOME and the target directory in the scratch directory.
set -u
source examples/testlib.sh
readonly WORK=$(mktemp -d /tmp/rumprs.XXXXXX)
trap '_example_cleanup; rm -rf "$WORK"' EXIT

# cargo: on PATH (Debian's cargo), else the user's ~/.cargo/bin (rustup;
# Bazel points HOME at the test's directory, so use the real one).
real_home=$(getent passwd "$(id -u)" | cut -d: -f6)
if ! command -v cargo >/dev/null; then
  export PATH="$PATH:$real_home/.cargo/bin"
fi
command -v cargo >/dev/null || { echo "FAIL: no cargo (scripts/install-deps installs it)" >&2; exit 1; }
if [ -z "${RUSTUP_HOME:-}" ] && [ -d "$real_home/.rustup" ]; then
  export RUSTUP_HOME="$real_home/.rustup"
fi
cargo --version && rustc --version

example_install "$WORK/prefix"
export CARGO_HOME="$WORK/cargo-home" CARGO_TARGET_DIR="$WORK/target"
if [ -n "$example_preload" ]; then
  # A sanitizer build: its runtime must be loaded first (not into cargo).
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="env LD_PRELOAD=$example_preload"
fi
# Under ThreadSanitizer the test harness's own threads race falsely: Rust's
# standard library is not built with it, so the Arc and channel
# synchronisation of library/ is invisible. Those reports are suppressed for
# `cargo test` only; the exchange below (plain programs) runs unsuppressed.
test_tsan_options=${TSAN_OPTIONS:-}
case "$example_preload" in
  libtsan*)
    printf '%s\n' 'race:library/alloc/src/sync.rs' 'race:library/std/src/sync/' \
      >"$WORK/rust-std.supp"
    test_tsan_options="$test_tsan_options suppressions=$WORK/rust-std.supp"
    ;;
esac
cp -RL examples/rust "$WORK/crate"
cd "$WORK/crate" || exit 1

TSAN_OPTIONS=$test_tsan_options cargo test --offline 2>&1
rc=$?
[ $rc = 0 ] || fail "cargo test exited $rc"

# Without pkg-config: the library directory in RUMP_LIB_DIR (build.rs).
(unset PKG_CONFIG_PATH; RUMP_LIB_DIR="$WORK/prefix/lib" cargo build --offline --bin udp_exchange 2>&1) ||
  fail "cargo build with RUMP_LIB_DIR"
cargo build --offline --bin udp_exchange 2>&1 || fail "cargo build"
exchange cargo run -q --offline --bin udp_exchange --
finish
