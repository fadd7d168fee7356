#!/bin/bash
# End-to-end test of shmif_dumpbus (post-mortem mode) on hand-made bus files
# with known frames (make_test_bus): exact text output for every layout,
# pcap output read back with tcpdump, and the error paths.
#
# Usage (from Bazel): shmif_dumpbus_test.sh SHMIF_DUMPBUS MAKE_TEST_BUS
set -u

readonly DUMPBUS="$1"
readonly MAKE_BUS="$2"
readonly WORK="${TEST_TMPDIR:?run me with bazel test}/shmif_dumpbus_test"
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run NAME ARGS...: runs shmif_dumpbus, leaving $WORK/NAME.out, .err, .rc.
run() {
  local name="$1"
  shift
  "$DUMPBUS" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  echo $? >"$WORK/$name.rc"
}

# expect_rc NAME CODE
expect_rc() {
  local rc
  rc="$(cat "$WORK/$1.rc")"
  [[ "$rc" == "$2" ]] || fail "$1: exit status $rc, expected $2 (stderr: $(cat "$WORK/$1.err"))"
}

# expect_file NAME WHICH(out|err) EXPECTED-TEXT: exact comparison.
expect_file() {
  local name="$1" which="$2" expected="$3"
  if ! diff -u <(printf '%s\n' "$expected") "$WORK/$name.$which" >"$WORK/$name.$which.diff"; then
    fail "$name: std$which differs from the expected text:"
    cat "$WORK/$name.$which.diff" >&2
  fi
}

expect_empty() {
  [[ ! -s "$WORK/$1.$2" ]] || fail "$1: std$2 should be empty, has: $(cat "$WORK/$1.$2")"
}

expect_contains() {
  grep -qF -- "$3" "$WORK/$1.$2" || fail "$1: std$2 lacks '$3'; has: $(cat "$WORK/$1.$2")"
}

for layout in fresh plain v2 foreign header-wrap payload-wrap bad-length; do
  "$MAKE_BUS" "$layout" "$WORK/$layout.bus" || { echo "make_test_bus $layout failed" >&2; exit 1; }
done

# The two frames of every layout: ARP request (0x2a bytes), UDP (0x35 bytes).
readonly ARP_TS="length 0x002a, ts 1700000000/000001"
readonly UDP_TS="length 0x0035, ts 1700000000/250000"

# ---- Text output, exactly as NetBSD's tool prints it ----------------------

readonly FRESH_TEXT="bus version 0, lock: 0, generation: 0, firstoff: 0xfffe0, lastoff: 0x0000"
readonly PLAIN_HEADER="bus version 3, lock: 0, generation: 0, firstoff: 0xfffe0, lastoff: 0x005a"
readonly PLAIN_TEXT="$PLAIN_HEADER
packet 0, offset 0x0030, $ARP_TS
packet 1, offset 0x0072, $UDP_TS"
readonly V2_TEXT="bus version 2, lock: 0, generation: 0, firstoff: 0xfffe0, lastoff: 0x0042
packet 0, offset 0x0018, $ARP_TS
packet 1, offset 0x004e, $UDP_TS"
readonly HEADER_WRAP_TEXT="bus version 3, lock: 0, generation: 1, firstoff: 0xfff96, lastoff: 0xfffd8
packet 0, offset 0xfffae, $ARP_TS
packet 1, offset 0x0010, $UDP_TS"
# The newest frame's payload wraps; the stale frames after it are not shown.
readonly PAYLOAD_WRAP_TEXT="bus version 3, lock: 0, generation: 1, firstoff: 0xfff7c, lastoff: 0xfffbe
packet 0, offset 0xfff94, $ARP_TS
packet 1, offset 0xfffd6, $UDP_TS"

check_text() {
  local layout="$1" expected="$2"
  run "text-$layout" "$WORK/$layout.bus"
  expect_rc "text-$layout" 0
  expect_file "text-$layout" out "$expected"
  expect_empty "text-$layout" err
}
check_text fresh "$FRESH_TEXT"
check_text plain "$PLAIN_TEXT"
check_text v2 "$V2_TEXT"
check_text foreign "$PLAIN_TEXT"  # byte-swapped bus, same dump
check_text header-wrap "$HEADER_WRAP_TEXT"
check_text payload-wrap "$PAYLOAD_WRAP_TEXT"

# -h: the header line only.
run header-only -h "$WORK/plain.bus"
expect_rc header-only 0
expect_file header-only out "$PLAIN_HEADER"
expect_empty header-only err

# -h with -p -: the header goes to stderr and no pcap is written.
run header-only-pcap -h -p - "$WORK/plain.bus"
expect_rc header-only-pcap 0
expect_empty header-only-pcap out
expect_file header-only-pcap err "$PLAIN_HEADER"

# A corrupt length: the frames before it are shown, then the damage is
# named, exit 1.
run bad-length "$WORK/bad-length.bus"
expect_rc bad-length 1
expect_file bad-length out "$PLAIN_HEADER
packet 0, offset 0x0030, $ARP_TS"
expect_file bad-length err "shmif_dumpbus: $WORK/bad-length.bus: frame at offset 0x005a has length 65535, more than the maximum 1514"

# ---- Usage and input errors ------------------------------------------------

readonly USAGE="usage: shmif_dumpbus [-h] [-f] [-p pcapfile] busfile"
run no-args
expect_rc no-args 1
expect_empty no-args out
expect_file no-args err "$USAGE"

run two-buses "$WORK/plain.bus" "$WORK/plain.bus"
expect_rc two-buses 1
expect_file two-buses err "$USAGE"

run bad-flag -x "$WORK/plain.bus"
expect_rc bad-flag 1
expect_empty bad-flag out
expect_contains bad-flag err "$USAGE"

run p-without-file -p
expect_rc p-without-file 1
expect_contains p-without-file err "$USAGE"

echo "just some text, not a bus" >"$WORK/text.file"
run not-a-bus "$WORK/text.file"
expect_rc not-a-bus 1
expect_empty not-a-bus out
expect_contains not-a-bus err "shmif_dumpbus: $WORK/text.file: not a shmif bus"

: >"$WORK/empty.file"
run empty-file "$WORK/empty.file"
expect_rc empty-file 1
expect_contains empty-file err "shmif_dumpbus: $WORK/empty.file: truncated bus"

head -c 4096 "$WORK/plain.bus" >"$WORK/short.bus"
run short-bus "$WORK/short.bus"
expect_rc short-bus 1
expect_contains short-bus err "shmif_dumpbus: $WORK/short.bus: truncated bus: the file is 4096 bytes"

run missing-file "$WORK/no-such.bus"
expect_rc missing-file 1
expect_contains missing-file err "shmif_dumpbus: $WORK/no-such.bus: No such file or directory"

run directory "$WORK"
expect_rc directory 1
expect_contains directory err "shmif_dumpbus: $WORK: is a directory"

# The bus is opened read-only: a read-only copy dumps, and nothing changes it.
cp "$WORK/plain.bus" "$WORK/readonly.bus" && chmod 0444 "$WORK/readonly.bus"
run readonly "$WORK/readonly.bus"
expect_rc readonly 0
cmp -s "$WORK/plain.bus" "$WORK/readonly.bus" || fail "readonly: the bus file changed"

run bad-pcap-path -p "$WORK/no-such-dir/out.pcap" "$WORK/plain.bus"
expect_rc bad-pcap-path 1
expect_contains bad-pcap-path err "shmif_dumpbus: cannot open pcap file: $WORK/no-such-dir/out.pcap: No such file or directory"

# ---- pcap output -----------------------------------------------------------

TCPDUMP="$(command -v tcpdump || true)"
for candidate in /usr/sbin/tcpdump /usr/bin/tcpdump; do
  [[ -z "$TCPDUMP" && -x "$candidate" ]] && TCPDUMP="$candidate"
done

# The decoded lines tcpdump -n -tt -vv prints for the two frames.
readonly ARP_DECODED="1700000000.000001 ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
readonly IP_DECODED="1700000000.250000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 39)"
readonly UDP_DECODED="    10.0.0.1.1234 > 10.0.0.2.5678: [udp sum ok] UDP, length 11"

# check_pcap NAME PCAPFILE EXPECTED-DECODE: tcpdump's decode must match
# exactly (so: both frames whole, in order, checksums good).
check_pcap() {
  local name="$1" pcap="$2" expected="$3"
  if ! "$TCPDUMP" -n -tt -vv -r "$pcap" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    fail "$name: tcpdump cannot read $pcap: $(cat "$WORK/$name.err")"
    return
  fi
  expect_file "$name" out "$expected"
  if grep -qiE 'truncated|bad cksum|bad udp cksum|\[\|' "$WORK/$name.out"; then
    fail "$name: tcpdump reports damage: $(cat "$WORK/$name.out")"
  fi
  expect_contains "$name" err "link-type EN10MB (Ethernet), snapshot length 1518"
}

if [[ -z "$TCPDUMP" ]]; then
  echo "SKIPPED: the pcap checks need tcpdump, which is not installed" \
    "(apt-get install tcpdump); text and error checks ran." >&2
else
  BOTH_DECODED="$ARP_DECODED
$IP_DECODED
$UDP_DECODED"

  # -p FILE: text on stdout as without -p, the frames in the pcap.
  for layout in plain v2 foreign header-wrap payload-wrap; do
    run "pcap-$layout" -p "$WORK/$layout.pcap" "$WORK/$layout.bus"
    expect_rc "pcap-$layout" 0
    expect_empty "pcap-$layout" err
    check_pcap "tcpdump-$layout" "$WORK/$layout.pcap" "$BOTH_DECODED"
  done
  expect_file pcap-plain out "$PLAIN_TEXT"
  expect_file pcap-payload-wrap out "$PAYLOAD_WRAP_TEXT"

  # -p -: pcap on stdout, text on stderr; a pipe into tcpdump works.
  run pcap-stdout -p - "$WORK/payload-wrap.bus"
  expect_rc pcap-stdout 0
  expect_file pcap-stdout err "$PAYLOAD_WRAP_TEXT"
  check_pcap tcpdump-stdout "$WORK/pcap-stdout.out" "$BOTH_DECODED"

  "$DUMPBUS" -p - "$WORK/header-wrap.bus" 2>/dev/null |
    "$TCPDUMP" -n -tt -vv -r - >"$WORK/pipe.out" 2>"$WORK/pipe.err"
  statuses=("${PIPESTATUS[@]}")
  [[ "${statuses[*]}" == "0 0" ]] || fail "pipe: exit statuses ${statuses[*]}, expected 0 0"
  expect_file pipe out "$BOTH_DECODED"

  # A corrupt bus: the frames before the damage still reach the pcap.
  run pcap-bad-length -p "$WORK/bad-length.pcap" "$WORK/bad-length.bus"
  expect_rc pcap-bad-length 1
  check_pcap tcpdump-bad-length "$WORK/bad-length.pcap" "$ARP_DECODED"

  # A fresh bus: a valid, empty capture.
  run pcap-fresh -p "$WORK/fresh.pcap" "$WORK/fresh.bus"
  expect_rc pcap-fresh 0
  "$TCPDUMP" -n -r "$WORK/fresh.pcap" >"$WORK/tcpdump-fresh.out" 2>"$WORK/tcpdump-fresh.err" ||
    fail "tcpdump-fresh: cannot read the empty capture: $(cat "$WORK/tcpdump-fresh.err")"
  expect_empty tcpdump-fresh out
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "PASS"
