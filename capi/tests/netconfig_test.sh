#!/bin/bash
# The issue's C scenario end to end: netconfig (C, linking only the C API's
# shared library) creates shmif0 on ./bus, configures 10.0.2.1/24, brings
# it up and adds a default route, all with <rump/netconfig.h>; then
# shmif_dumpbus shows the frames it sent, and tcpdump decodes them: from the
# interface's b2:a0 MAC, announcing 10.0.2.1 (gratuitous ARP).
#
# Usage (from Bazel): netconfig_test.sh NETCONFIG SHMIF_DUMPBUS
set -u
readonly NETCONFIG="$(realpath "$1")" DUMPBUS="$(realpath "$2")"
readonly WORK="${TEST_TMPDIR:?run me with bazel test}/netconfig"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

"$NETCONFIG" >netconfig.out 2>netconfig.err
rc=$?
cat netconfig.out
[[ $rc == 0 ]] || { fail "netconfig exited $rc: $(cat netconfig.err)"; exit 1; }
grep -q '^created shmif0 on bus$' netconfig.out || fail "no 'created shmif0' line"
grep -q '^default route via 10.0.2.254$' netconfig.out || fail "no default route line"
grep -q '^flags 0x.* up running$' netconfig.out || fail "shmif0 is not up and running"
grep -q '^SIOCGIFADDR: len 16 family 2 addr 10.0.2.1$' netconfig.out || fail "SIOCGIFADDR line"
grep -q '^iflist: shmif0 inet 10.0.2.1 netmask 255.255.255.0 broadcast present$' \
  netconfig.out || fail "NET_RT_IFLIST line"

[[ -f bus ]] || { fail "no bus file"; exit 1; }
"$DUMPBUS" bus >dump.txt 2>dump.err || fail "shmif_dumpbus: $(cat dump.err)"
cat dump.txt
grep -q '^bus version 3,' dump.txt || fail "not a version 3 bus"
grep -q '^packet 0, ' dump.txt || fail "no frame on the bus"

"$DUMPBUS" -p - bus 2>/dev/null | tcpdump -n -e -r - >frames.txt 2>tcpdump.err ||
  fail "tcpdump: $(cat tcpdump.err)"
cat frames.txt
grep -q '^[0-9:.]* b2:a0:' frames.txt || fail "no frame from a b2:a0 (shmif) MAC"
grep -q 'ARP.*10\.0\.2\.1' frames.txt || fail "no ARP frame for 10.0.2.1"

if ((failures > 0)); then
  exit 1
fi
echo "PASS"
