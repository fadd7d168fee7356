#!/usr/bin/env bash
# rump.sysctl against a real rump_server: read by name, -n, -e, -w and
# read back, -q, the failure for vfs.generic.fstypes (no file-system
# faction: "second level name 'generic' ... is invalid", exit 1), and -a:
# every leaf the kernel has, each readable again by its name.
source "$(dirname "$0")/lib.sh"

A=unix://a
start_server $A

on $A rump.sysctl kern.ostype
expect_rc 0
expect_out_eq "kern.ostype = NetBSD"
on $A rump.sysctl -n kern.ostype hw.machine_arch
expect_out_eq $'NetBSD\nx86_64'
on $A rump.sysctl -e kern.osrelease
expect_out_eq "kern.osrelease=7.99.34"
on $A rump.sysctl kern/ostype
expect_out_eq "kern/ostype = NetBSD"

on $A rump.sysctl net.inet.ip.ttl
expect_out_eq "net.inet.ip.ttl = 64"
on $A rump.sysctl -w net.inet.ip.ttl=42
expect_rc 0
expect_out_eq "net.inet.ip.ttl: 64 -> 42"
on $A rump.sysctl -n net.inet.ip.ttl
expect_out_eq "42"
on $A rump.sysctl -n -w net.inet.ip.ttl=43
expect_out_eq "43"
on $A rump.sysctl -q -w net.inet.ip.ttl=44
expect_rc 0
expect_out_eq ""
on $A rump.sysctl net.inet.ip.ttl
expect_out_eq "net.inet.ip.ttl = 44"
# The kernel's checks come back as NetBSD's messages.
on $A rump.sysctl -w net.inet.ip.ttl=0
expect_rc 1
expect_err '^rump.sysctl: net.inet.ip.ttl: Invalid argument$'
on $A rump.sysctl -w net.inet.ip.ttl=abc
expect_rc 1
expect_err '^rump.sysctl: abc: not a number$'
on $A rump.sysctl -w kern.ostype=Linux
expect_rc 1
expect_err '^rump.sysctl: kern.ostype: Operation not permitted$'
on $A rump.sysctl net.inet.ip.ttl=45
expect_rc 1
expect_err 'Must specify -w to set variables'
on $A rump.sysctl -w kern.hostname=rumpy
expect_rc 0
on $A rump.sysctl -n kern.hostname
expect_out_eq "rumpy"

# vfs.generic.fstypes: this kernel has no VFS faction, so vfs has no
# children, as on a NetBSD rump_server without -lrumpvfs.
on $A rump.sysctl vfs.generic.fstypes
expect_rc 1
expect_err "^rump.sysctl: second level name 'generic' in 'vfs.generic.fstypes' is invalid$"
# The record lists are for other programs, as sysctl(8) says (exit 1).
on $A rump.sysctl net.inet.udp.pcblist kern.proc2 kern.file2
expect_rc 1
expect_err "^rump.sysctl: net.inet.udp.pcblist: use 'netstat' or 'sockstat' to view this information$"
expect_err "^rump.sysctl: kern.proc2: use 'ps' to view this information$"
expect_err "^rump.sysctl: kern.file2: use 'pstat' to view this information$"
on $A rump.sysctl kern.nosuchnode
expect_rc 1
expect_err "^rump.sysctl: second level name 'nosuchnode' in 'kern.nosuchnode' is invalid$"
on $A rump.sysctl -q kern.nosuchnode
expect_rc 1
expect_out_eq ""
[ -z "$err" ] || fail "-q printed an error"
on $A rump.sysctl kern.ostype.x
expect_rc 1

# -a: every leaf, "name = value", each one readable by name with the same
# value (kern.urandom and kern.arandom change on every read: names only).
on $A rump.sysctl -a
expect_rc 0
all=$out
for name in kern.ostype kern.osrelease kern.osrevision kern.version kern.hostname \
            kern.domainname kern.rawpartition kern.urandom kern.arandom hw.machine hw.model hw.ncpu \
            hw.byteorder hw.pagesize hw.machine_arch hw.alignbytes hw.ncpuonline \
            net.inet.ip.forwarding net.inet.ip.ttl net.inet.ip.dad_count; do
  printf '%s\n' "$all" | grep -q "^$name = " || fail "sysctl -a lacks $name"
done
n=0
while IFS= read -r line; do
  case "$line" in
    *" = "*) ;;
    *) continue ;;  # kern.version's value ends in a newline
  esac
  name=${line%% = *}
  value=${line#* = }
  on $A rump.sysctl "$name"
  expect_rc 0
  if [ "$name" != kern.urandom ] && [ "$name" != kern.arandom ] &&
     [ "$name" != kern.version ]; then
    expect_out_eq "$name = $value"
  fi
  n=$((n + 1))
done <<< "$all"
[ "$n" -ge 20 ] || fail "sysctl -a listed only $n leaves"

halt_server $A
echo PASS
