#!/bin/bash
# librumpclient.so.0 exports exactly rumpclient.map: NetBSD's rumpclient_*
# API, and the system call wrappers under the very names librump.so.0
# exports them (so a program links either library unchanged); nothing of
# the in-process kernel API, nothing of its own internals (C++, Abseil,
# ZeroMQ). Soname librumpclient.so.0; librumpclient.so is the same file.
#
# Usage (from Bazel): rumpclient_symbols_test.sh LIBRUMPCLIENT_SO_0 LIBRUMPCLIENT_SO
#                     RUMPCLIENT_MAP LIBRUMP_SO_0
set -u
readonly LIB="$1" DEVLIB="$2" MAP="$3" LIBRUMP="$4"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

expected="$(perl -0777 -ne 's{/\*.*?\*/}{}gs; /global:(.*?)local:/s and print $1' "$MAP" |
  grep -oE '[A-Za-z_][A-Za-z0-9_]*' | sort)"
actual="$(nm -D --defined-only "$LIB" | awk '{print $NF}' | sort)"

[[ -n "$expected" ]] || fail "no symbols found in $MAP"
[[ -n "$actual" ]] || fail "nm found no defined dynamic symbols in $LIB"

if ! diff -u <(echo "$expected") <(echo "$actual") >"${TEST_TMPDIR:-/tmp}/symbols.diff"; then
  fail "exported symbols differ from rumpclient.map (- map, + library):"
  cat "${TEST_TMPDIR:-/tmp}/symbols.diff" >&2
fi

while read -r sym; do
  [[ "$sym" =~ ^(rumpclient_|rump___sysimpl_|rump_sys_pipe$) ]] ||
    fail "exported symbol '$sym' is neither the client API nor a syscall wrapper"
done <<<"$actual"

# The same syscall wrappers as the in-process library, name for name.
syscalls_client="$(grep -E '^(rump___sysimpl_|rump_sys_pipe$)' <<<"$actual")"
syscalls_local="$(nm -D --defined-only "$LIBRUMP" | awk '{print $NF}' |
  grep -E '^(rump___sysimpl_|rump_sys_pipe$)' | sort)"
if ! diff -u <(echo "$syscalls_local") <(echo "$syscalls_client") >"${TEST_TMPDIR:-/tmp}/sys.diff"; then
  fail "syscall wrappers differ from librump.so.0's (- librump, + librumpclient):"
  cat "${TEST_TMPDIR:-/tmp}/sys.diff" >&2
fi

for sym in rumpclient_init rumpclient_syscall rumpclient_prefork rumpclient_fork_init \
  rumpclient_fork_cancel rumpclient_fork_vparent rumpclient_fork rumpclient_exec \
  rumpclient_daemon rumpclient_setconnretry rumpclient__closenotify rump_sys_pipe \
  rump___sysimpl_socket30 rump___sysimpl___sysctl rump___sysimpl_getpid \
  rump___sysimpl_ioctl rump___sysimpl_nanosleep50 rump___sysimpl_sendto; do
  grep -qx "$sym" <<<"$actual" || fail "$sym is not exported"
done
for sym in rump_init rump_init_server rump_pub_lwproc_rfork rump_sys_socket \
  rumpclient_vfork rumpclient__dofork; do
  grep -qx "$sym" <<<"$actual" && fail "$sym must not be exported"
done

soname="$(readelf -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[[ "$soname" == "librumpclient.so.0" ]] || fail "SONAME is '$soname', expected librumpclient.so.0"
# A client library needs no kernel.
readelf -d "$LIB" | grep -q 'NEEDED.*librump\.so' && fail "librumpclient needs librump"

cmp -s "$LIB" "$DEVLIB" || fail "$DEVLIB is not a copy of $LIB"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "PASS: $(wc -l <<<"$actual") symbols exported ($(wc -l <<<"$syscalls_client") syscall wrappers), soname $soname"
