#!/bin/bash
# Three kernels in three processes (udp_peer, C API only) on one shmif bus
# exchange UDP datagrams, each checked by its receiver (sizes, contents,
# senders, no duplicates; every tenth is fragmented); all must arrive. Then the bus is
# captured with shmif_dumpbus -p and read with tcpdump -vv: ARP, ICMP echo,
# ICMP port unreachable and UDP must be there, and tcpdump must find no bad
# checksum and nothing truncated.
#
# Usage (from Bazel): multiprocess_test.sh UDP_PEER SHMIF_DUMPBUS [NPEERS [COUNT]]
set -u
readonly PEER="$(realpath "$1")" DUMPBUS="$(realpath "$2")"
readonly NPEERS="${3:-3}" COUNT="${4:-200}"
WORK="$(mktemp -d /tmp/mpXXXXXX)" || exit 1
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

pids=()
for ((i = 0; i < NPEERS; i++)); do
  timeout 120 "$PEER" "$WORK" "$i" "$NPEERS" "$COUNT" >"out.$i" 2>"err.$i" &
  pids+=($!)
done
for ((i = 0; i < NPEERS; i++)); do
  wait "${pids[$i]}"
  rc=$?
  cat "out.$i"
  [[ $rc == 0 ]] || fail "peer $i exited $rc: $(cat "err.$i")"
  want=$(((NPEERS - 1) * COUNT))
  grep -q "^peer $i received $want bad 0 dup 0\$" "out.$i" || fail "peer $i: $(head -1 "out.$i")"
done
grep -q '^peer 0 ping ok$' out.0 || fail "peer 0 could not ping peer 1"
grep -q '^peer 0 port unreachable ok$' out.0 || fail "peer 0 got no ECONNREFUSED from a closed port"

"$DUMPBUS" -p capture.pcap bus >/dev/null 2>dump.err || fail "shmif_dumpbus: $(cat dump.err)"
tcpdump -n -vv -r capture.pcap >decoded.txt 2>tcpdump.err || fail "tcpdump: $(cat tcpdump.err)"
echo "--- capture: $(wc -l <decoded.txt) lines; the last ones:"
tail -n 12 decoded.txt
grep -q 'Request who-has 10.0.3.200' decoded.txt || fail "no ARP request in the capture"
grep -q 'ICMP echo request' decoded.txt || fail "no ICMP echo request"
grep -q 'ICMP echo reply' decoded.txt || fail "no ICMP echo reply"
grep -q 'udp port 9999 unreachable' decoded.txt || fail "no ICMP port unreachable"
grep -q 'UDP, length' decoded.txt || fail "no UDP datagram"
if grep -qiE 'bad (udp |icmp )?cksum|bad-len|truncated|\[\|' decoded.txt; then
  fail "tcpdump found malformed frames:"
  grep -iE 'bad (udp |icmp )?cksum|bad-len|truncated|\[\|' decoded.txt | head >&2
fi

if ((failures > 0)); then
  exit 1
fi
echo "PASS"
