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
# shellcheck source=capi/tests/symbols_lib.sh
source capi/tests/symbols_lib.sh

check_exports_match_map "$LIB" "$MAP"

while read -r sym; do
  [[ "$sym" =~ ^(rumpclient_|rump___sysimpl_|rump_sys_pipe$) ]] ||
    fail "exported symbol '$sym' is neither the client API nor a syscall wrapper"
done <<<"$actual"

# The same syscall wrappers as the in-process library, name for name.
syscalls_client="$(grep -E '^(rump___sysimpl_|rump_sys_pipe$)' <<<"$actual")"
syscalls_local="$(dynamic_symbols "$LIBRUMP" | grep -E '^(rump___sysimpl_|rump_sys_pipe$)')"
if ! diff -u <(echo "$syscalls_local") <(echo "$syscalls_client") >"${TEST_TMPDIR:-/tmp}/sys.diff"; then
  fail "syscall wrappers differ from librump.so.0's (- librump, + librumpclient):"
  cat "${TEST_TMPDIR:-/tmp}/sys.diff" >&2
fi

expect_exported rumpclient_init rumpclient_syscall rumpclient_prefork rumpclient_fork_init \
  rumpclient_fork_cancel rumpclient_fork_vparent rumpclient_fork rumpclient_exec \
  rumpclient_daemon rumpclient_setconnretry rumpclient__closenotify rump_sys_pipe \
  rump___sysimpl_socket30 rump___sysimpl___sysctl rump___sysimpl_getpid \
  rump___sysimpl_ioctl rump___sysimpl_nanosleep50 rump___sysimpl_sendto \
  rump___sysimpl_getrlimit rump___sysimpl_setrlimit
expect_not_exported rump_init rump_init_server rump_pub_lwproc_rfork rump_sys_socket \
  rumpclient_vfork rumpclient__dofork

check_soname_and_copy "$LIB" librumpclient.so.0 "$DEVLIB"
# A client library needs no kernel.
readelf -d "$LIB" | grep -q 'NEEDED.*librump\.so' && fail "librumpclient needs librump"

finish "$(wc -l <<<"$actual") symbols exported ($(wc -l <<<"$syscalls_client") syscall wrappers), soname $soname"
