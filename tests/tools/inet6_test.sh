#!/usr/bin/env bash
# IPv6 in our tools against NetBSD's rump kernel (ours has no IPv6 yet):
# two NetBSD kernels with netinet6 on one bus, configured with OUR
# rump.ifconfig (global inet6 addresses; the kernels make the link-local
# ones), then
#   - rump.ifconfig's inet6 lines against NetBSD's ifconfig (its older
#     "prefixlen N words" form turned into ours), adding and deleting
#     addresses, anycast, errors;
#   - rump.ping6 to the other kernel's global and link-local (%shmif0, -I)
#     addresses against NetBSD's ping6 for the same command: output line
#     for line with the times masked, exit statuses equal; an unreachable
#     neighbour; bad arguments;
#   - rump.ndp -an, host, -d, -c against NetBSD's ndp;
#   - rump.netstat -r's and rump.route show's IPv6 routes against
#     NetBSD's netstat and route.
# Skipped with a message without the peer (RUMP_NETBSD_PEER).
source "$(dirname "$0")/lib.sh"

if ! netbsd_peer; then
  echo PASS
  exit 0
fi
export LC_ALL=C

A=unix://a
B=unix://b
start_netbsd $A -lrumpnet_netinet6
start_netbsd $B -lrumpnet_netinet6

# configure6 URL ADDR/LEN: ours creates shmif0 on the bus, sets the global
# address, brings it up (waiting for duplicate address detection).
configure6() {
  on "$1" rump.ifconfig shmif0 create
  expect_rc 0
  on "$1" rump.ifconfig shmif0 linkstr "$WORKDIR/bus"
  expect_rc 0
  on "$1" rump.ifconfig shmif0 inet6 "$2"
  expect_rc 0
  on "$1" rump.ifconfig shmif0 up
  expect_rc 0
}
configure6 $A 2001:db8::1/64
configure6 $B 2001:db8::2/64

# Detection has ended once "up" returns: nothing tentative.
on $A rump.ifconfig shmif0 inet6
expect_rc 0
expect_out $'^\tinet6 2001:db8::1/64 flags 0x0$'
expect_out $'^\tinet6 fe80::[0-9a-f:]+%shmif0/64 flags 0x0 scopeid 0x[0-9a-f]+$'
expect_no_out 'TENTATIVE'
on $B rump.ifconfig shmif0 inet6
B_LL=$(printf '%s\n' "$out" | sed -n 's/^\tinet6 \(fe80::[0-9a-f:]*\)%shmif0\/64 .*/\1/p')
[ -n "$B_LL" ] || fail "no link-local address on b"

# --- ifconfig: ours and NetBSD's show the same addresses.

# Our inet6 line as NetBSD 7's words: "ADDR LEN [words] [0xSCOPE]".
norm_ours() {
  sed -E -e 's/^\tinet6 ([^ /]+)\/([0-9]+) flags 0x[0-9a-f]+(<([^>]*)>)?( scopeid (0x[0-9a-f]+))?$/\tinet6 \1 \2 \4 \6/' \
    -e '/^\tinet6 /{s/,/ /g;y/ABCDEFGHIJKLMNOPQRSTUVWXYZ/abcdefghijklmnopqrstuvwxyz/;s/ nodad//;s/  +/ /g;s/ +$//}'
}
norm_theirs() {
  sed -E -e 's/^\tinet6 ([^ ]+) prefixlen ([0-9]+)(.*)$/\tinet6 \1 \2\3/' \
    -e '/^\tinet6 /{s/ scopeid / /;s/  +/ /g;s/ +$//}'
}
compare_ifconfig() {
  local url=$1 ours theirs
  shift
  on "$url" rump.ifconfig "$@"
  expect_rc 0
  ours=$(printf '%s\n' "$out" | norm_ours)
  nb "$url" ifconfig "$@"
  expect_rc 0
  theirs=$(printf '%s\n' "$out" | norm_theirs)
  [ "$ours" = "$theirs" ] ||
    fail "rump.ifconfig $* differs from NetBSD's:"$'\n'"$ours"$'\n--- NetBSD:\n'"$theirs"
}
compare_ifconfig $A shmif0
compare_ifconfig $A -a inet6
compare_ifconfig $B shmif0 inet6

# --- ping6: ours against NetBSD's, the same command on the same kernel.

# The run's stdout with times masked, then its exit status.
mask_times() {
  sed -E -e 's/time=[0-9]+\.[0-9]{3} ms/time=T ms/' \
    -e 's|^round-trip min/avg/max/std-dev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$|round-trip min/avg/max/std-dev = T ms|'
}
compare_ping6() {
  local url=$1 ours ours_rc
  shift
  on "$url" rump.ping6 "$@"
  ours_rc=$rc
  ours=$(printf '%s\n' "$out" | mask_times)
  nb "$url" ping6 "$@"
  [ "$rc" = "$ours_rc" ] || fail "rump.ping6 $* exited $ours_rc, NetBSD's ping6 $rc"
  theirs=$(printf '%s\n' "$out" | mask_times)
  [ "$ours" = "$theirs" ] ||
    fail "rump.ping6 $* differs from NetBSD's:"$'\n'"$ours"$'\n--- NetBSD:\n'"$theirs"
  rc=$ours_rc
}

on $A rump.ping6 -c 3 -i 0.2 2001:db8::2
expect_rc 0
expect_out '^PING6\(56=40\+8\+8 bytes\) 2001:db8::1 --> 2001:db8::2$'
expect_out '^16 bytes from 2001:db8::2, icmp_seq=0 hlim=64 time=[0-9]+\.[0-9]{3} ms$'
expect_out '^16 bytes from 2001:db8::2, icmp_seq=2 hlim=64 time='
expect_out '^--- 2001:db8::2 ping6 statistics ---$'
expect_out '^3 packets transmitted, 3 packets received, 0.0% packet loss$'
expect_out '^round-trip min/avg/max/std-dev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$'

compare_ping6 $A -c 3 -i 0.2 2001:db8::2
expect_rc 0
compare_ping6 $B -c 2 -i 0.2 2001:db8::1
expect_rc 0
compare_ping6 $A -c 2 -i 0.2 "$B_LL%shmif0"
expect_rc 0
expect_out "^16 bytes from $B_LL%shmif0, icmp_seq=1 hlim=64 time="
compare_ping6 $A -c 1 -I shmif0 "$B_LL"
expect_rc 0
compare_ping6 $A -c 1 -v -s 100 -h 5 -I shmif0 "$B_LL"
expect_rc 0
expect_out "^108 bytes from $B_LL%shmif0, icmp_seq=0 hlim=64 dst=fe80::[0-9a-f:]+%shmif0 time="
compare_ping6 $A -c 2 -i 0.2 -q -n 2001:db8::2
expect_rc 0
compare_ping6 $A -c 1 -S 2001:db8::1 2001:db8::2
expect_rc 0
compare_ping6 $A -c 1 ::1
expect_rc 0

# Nobody at the address: no replies, exit 1 after waiting, as NetBSD's.
compare_ping6 $A -c 1 2001:db8::99
expect_rc 1
expect_out '^1 packets transmitted, 0 packets received, 100.0% packet loss$'

# Bad arguments: exit 1 and a message (NetBSD's text after the name).
bad_args() {
  local ours
  on $A rump.ping6 "$@"
  expect_rc 1
  [ -n "$err" ] || fail "no message"
  ours=$(printf '%s\n' "$err" | head -1)
  nb $A ping6 "$@"
  expect_rc 1
  case "$ours" in
  usage:*) printf '%s\n' "$err" | grep -q '^usage: ' || fail "NetBSD's printed no usage" ;;
  *) [ "${ours#rump.ping6: }" = "$(printf '%s\n' "$err" | head -1 | sed 's/^[^ ]*ping6: //')" ] ||
       fail "messages differ: ours '$ours'" ;;
  esac
}
bad_args
bad_args -c 0 ::1
bad_args -h 300 ::1
bad_args -I nosuch ::1
bad_args -c
# Intermediate hops (NetBSD's source routing) are not ours: usage.
on $A rump.ping6 -c 1 ::1 ::2
expect_rc 1
expect_err '^usage: '
on $A rump.ping6 -c 1 not:an:address
expect_rc 1

# --- netstat -r, route show: the IPv6 routes as NetBSD's tools print them.
for args in "-rn -f inet6" "-r -f inet6" "-rn"; do
  on $A rump.netstat $args
  expect_rc 0
  ours=$out
  nb $A netstat $args
  expect_rc 0
  [ "$ours" = "$out" ] || fail "rump.netstat $args differs from NetBSD's:"$'\n'"$ours"
done
on $A rump.netstat -rn -f inet6
expect_out '^2001:db8::/64 +link#[0-9]+ +UC '
expect_out '^fe80::%shmif0/64 +link#[0-9]+ +UC '
# route show: the same table through rump.route.
for args in "-n show -inet6" "show -inet6" "-n show"; do
  on $A rump.route $args
  expect_rc 0
  ours=$out
  nb $A route $args
  expect_rc 0
  [ "$ours" = "$out" ] || fail "rump.route $args differs from NetBSD's:"$'\n'"$ours"
done

# --- ndp: the neighbour cache after the pings, ours against NetBSD's
# (times left and the states that change with them masked).
mask_ndp() {
  sed -E 's/ (([0-9]+[dhms])+|expired) +[NIRSDP?] / T X /'
}
compare_ndp() {
  local url=$1 ours ours_rc
  shift
  on "$url" rump.ndp "$@"
  ours_rc=$rc
  ours=$(printf '%s\n' "$out" | mask_ndp)
  nb "$url" ndp "$@"
  [ "$rc" = "$ours_rc" ] || fail "rump.ndp $* exited $ours_rc, NetBSD's ndp $rc"
  [ "$ours" = "$(printf '%s\n' "$out" | mask_ndp)" ] ||
    fail "rump.ndp $* differs from NetBSD's:"$'\n'"$ours"
  rc=$ours_rc
}
compare_ndp $A -an
expect_rc 0
expect_out '^Neighbor +Linklayer Address  Netif Expire    S Flags$'
expect_out '^2001:db8::2 +b2:a0:[0-9a-f:]+ shmif0 '
expect_out "^$B_LL%shmif0 +b2:a0:"
expect_out '^2001:db8::1 +b2:a0:[0-9a-f:]+ shmif0 permanent R $'
compare_ndp $A -n 2001:db8::2
expect_rc 0
compare_ndp $A -n 2001:db8::77
expect_rc 1
on $A rump.ndp -d 2001:db8::2
expect_rc 0
expect_out_eq '2001:db8::2 (2001:db8::2) deleted'
on $A rump.ndp -n 2001:db8::2
expect_rc 1
expect_err '^rump.ndp: 2001:db8::2 \(2001:db8::2\) -- no entry$'
on $A rump.ndp -d 2001:db8::2
expect_rc 1
expect_err '^rump.ndp: writing to routing socket: No such file or directory$'
nb $A ndp -d 2001:db8::2
expect_rc 1
expect_err 'ndp: writing to routing socket: No such file or directory$'
on $A rump.ndp -a 2001:db8::2
expect_rc 1
expect_err '^Usage: '

# -c deletes every entry (in NetBSD 7 the kernel's own ones too).
on $A rump.ndp -c
expect_rc 0
expect_out '^2001:db8::1 \(2001:db8::1\) deleted$'
compare_ndp $A -an
expect_out_eq 'Neighbor                             Linklayer Address  Netif Expire    S Flags'

# --- ifconfig aliases (after the pings: deleting fe80::99 takes the
# link-local prefix route with it, in NetBSD's kernel).

# Aliases: a /48, an anycast one with "prefixlen", a link-local one
# (zone from the interface); NetBSD's ifconfig sees them as ours does.
on $A rump.ifconfig shmif0 inet6 2001:db8:1::1/48 alias
expect_rc 0
on $A rump.ifconfig shmif0 inet6 2001:db8:2::1 prefixlen 80 anycast
expect_rc 0
on $A rump.ifconfig shmif0 inet6 fe80::99 alias
expect_rc 0
on $A rump.ifconfig shmif0 inet6
expect_out $'^\tinet6 2001:db8:1::1/48 flags 0x0$'
expect_out $'^\tinet6 2001:db8:2::1/80 flags 0x1<ANYCAST>$'
expect_out $'^\tinet6 fe80::99%shmif0/64 flags 0x0 scopeid 0x[0-9a-f]+$'
compare_ifconfig $A shmif0 inet6
# Delete; deleting again fails as NetBSD's does.
on $A rump.ifconfig shmif0 inet6 2001:db8:1::1 delete
expect_rc 0
on $A rump.ifconfig shmif0 inet6 fe80::99 -alias
expect_rc 0
on $A rump.ifconfig shmif0 inet6
expect_no_out '2001:db8:1::1'
expect_no_out 'fe80::99%'
on $A rump.ifconfig shmif0 inet6 2001:db8:1::1 delete
expect_rc 1
expect_err '^rump.ifconfig: SIOCDIFADDR_IN6: Can.t assign requested address$'
ours_err=${err#rump.}
nb $A ifconfig shmif0 inet6 2001:db8:1::1 delete
expect_rc 1
[ "${err##*/}" = "$ours_err" ] || fail "NetBSD's message differs: '$err' vs ours '$ours_err'"
# Bad addresses and lengths: usage or a message, exit 1, nothing done.
on $A rump.ifconfig shmif0 inet6 zzz
expect_rc 1
expect_err '^usage: '
on $A rump.ifconfig shmif0 inet6 2001:db8::5/129
expect_rc 1
on $A rump.ifconfig shmif0 inet6 2001:db8::5 netmask 255.255.255.0
expect_rc 1
compare_ifconfig $A shmif0 inet6

on $A rump.halt
on $B rump.halt
echo PASS
