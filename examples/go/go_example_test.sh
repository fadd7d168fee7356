#!/bin/bash
# Installs into a temporary prefix with scripts/install, then runs README.md's
# Go commands ("Using rump from Go") in a copy of examples/go:
#   go test ./...
#   go run ./cmd/udp_exchange bus 10.0.2.1/24 serve &
#   go run ./cmd/udp_exchange bus 10.0.2.2/24 send 10.0.2.1 hello
# offline, with the build cache and GOPATH in the scratch directory.
set -u
source examples/testlib.sh
readonly WORK=$(mktemp -d /tmp/rumpgo.XXXXXX)
trap '_example_cleanup; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v go >/dev/null || { echo "FAIL: no go (scripts/install-deps installs golang-go)" >&2; exit 1; }
go version

example_install "$WORK/prefix"
export GOCACHE="$WORK/gocache" GOPATH="$WORK/gopath" GOFLAGS=-mod=mod GOPROXY=off \
  GOTOOLCHAIN=local CGO_ENABLED=1
exec_flags=()
if [ -n "$example_preload" ]; then
  # A sanitizer build: its runtime must be loaded first (not into go).
  exec_flags=(-exec "env LD_PRELOAD=$example_preload")
fi
cp -RL examples/go "$WORK/module"
cd "$WORK/module" || exit 1

go vet ./... 2>&1 || fail "go vet"
go test "${exec_flags[@]}" ./... 2>&1
rc=$?
[ $rc = 0 ] || fail "go test exited $rc"

exchange go run "${exec_flags[@]}" ./cmd/udp_exchange
finish
