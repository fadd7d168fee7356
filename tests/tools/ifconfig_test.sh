#!/usr/bin/env bash
# rump.ifconfig as a user scripts it against a real rump_server: create,
# linkstr, inet, up and the NetBSD display; -v, -a, -l, -C; link string
# EBUSY; up without a bus; media none/auto and link states; -linkstr;
# destroy and re-create; mtu; alias and delete; duplicate address
# detection and -w.
source "$(dirname "$0")/lib.sh"

A=unix://a
start_server $A

configure $A shmif0 bus 10.0.0.1/24
on $A rump.ifconfig shmif0
expect_rc 0
expect_out '^shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500$'
expect_out $'^\taddress: b2:a0(:[0-9a-f]{2}){4}$'
expect_out $'^\tlinkstr: bus$'
expect_out $'^\tmedia: Ethernet autoselect$'
expect_out $'^\tstatus: active$'
expect_out $'^\tinet 10.0.0.1/24 broadcast 10.0.0.255 flags 0x0$'
expect_no_out 'linkstate'

on $A rump.ifconfig -v shmif0
expect_rc 0
expect_out $'^\tlinkstate: up$'
expect_out $'^\tmedia: Ethernet autoselect$'
expect_out $'^\tinput: [0-9]+ packets?, [0-9]+ bytes?'
expect_out $'^\toutput: [0-9]+ packets?, [0-9]+ bytes?'

on $A rump.ifconfig -l
expect_out_eq "lo0 shmif0"
on $A rump.ifconfig -C
expect_out_eq "lo shmif"
on $A rump.ifconfig -a
expect_out '^lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624$'
expect_out $'^\tinet 127.0.0.1/8 flags 0x0$'
expect_out '^shmif0: flags='
on $A rump.ifconfig -a inet
expect_rc 0

# Duplicate address detection. B on the same bus sets A's 10.0.0.1: a
# warning, the address DUPLICATED (and unused); a free one is usable when
# rump.ifconfig returns (flags 0x0). -w SECS waits while an address is
# tentative: "timed out" (exit 1) while B probes for 1000 intervals.
B=unix://b
start_server $B
on $B rump.ifconfig shmif0 create
expect_rc 0
on $B rump.ifconfig shmif0 linkstr bus
expect_rc 0
on $B rump.ifconfig shmif0 inet 10.0.0.1/24
expect_rc 0
expect_err '^rump.ifconfig: shmif0: 10.0.0.1: duplicate address detected \(in use by another station\)'
on $B rump.ifconfig shmif0
expect_out $'^\tinet 10.0.0.1/24 broadcast 10.0.0.255 flags 0x2<DUPLICATED>$'
on $B rump.ifconfig shmif0 inet 10.0.0.2/24 alias
expect_rc 0
expect_no_err .
on $B rump.ifconfig shmif0
expect_out $'^\tinet 10.0.0.2/24 broadcast 10.0.0.255 flags 0x0$'
on $A rump.ping -c 1 -w 10 10.0.0.2
expect_rc 0
on $B rump.ifconfig -w 5
expect_rc 0
on $B rump.sysctl -w net.inet.ip.dad_count=1000
expect_rc 0
on $B rump.ifconfig shmif0 inet 10.0.0.3/24 alias
expect_rc 0
expect_err 'shmif0: 10.0.0.3: still tentative'
on $B rump.ifconfig shmif0
expect_out $'^\tinet 10.0.0.3/24 broadcast 10.0.0.255 flags 0x1<TENTATIVE>$'
on $B rump.ifconfig -w 1
expect_rc 1
expect_err '^rump.ifconfig: timed out waiting for duplicate address detection$'
on $B rump.ifconfig shmif0 inet 10.0.0.3 -alias
expect_rc 0
on $B rump.ifconfig -w 0
expect_rc 0
on $B rump.ifconfig -w x
expect_rc 1
expect_err '^usage: '
on $B rump.ifconfig -w 1 shmif0
expect_rc 1
expect_err '^usage: '
halt_server $B

# linkstr on an up interface: EBUSY, NetBSD's message.
on $A rump.ifconfig shmif0 linkstr other
expect_rc 1
expect_err '^rump.ifconfig: SIOCSLINKSTR: Device busy$'

# media none: link down; media auto: up again.
on $A rump.ifconfig shmif0 media none
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_out $'^\tmedia: Ethernet none$'
expect_out $'^\tstatus: no carrier$'
expect_out $'^\tlinkstate: down$'
on $A rump.ifconfig shmif0 media auto
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_out $'^\tmedia: Ethernet autoselect$'
expect_out $'^\tlinkstate: up$'
on $A rump.ifconfig shmif0 media 10baseQ
expect_rc 1
expect_err 'unknown Ethernet media subtype: 10baseQ'

# -linkstr (once down): the link state becomes unknown, no linkstr line.
on $A rump.ifconfig shmif0 down
expect_rc 0
on $A rump.ifconfig shmif0 -linkstr
expect_rc 0
on $A rump.ifconfig -v shmif0
expect_out '^shmif0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500$'
expect_out $'^\tlinkstate: unknown$'
expect_no_out 'linkstr:'

# Up without a bus: an error (shmif's init fails: ENXIO).
on $A rump.ifconfig shmif0 up
expect_rc 1
expect_err 'Device not configured'

# Destroy and re-create the same unit: a fresh interface.
on $A rump.ifconfig shmif0 destroy
expect_rc 0
on $A rump.ifconfig shmif0
expect_rc 1
expect_err '^rump.ifconfig: SIOCGIFFLAGS shmif0: Device not configured$'
on $A rump.ifconfig shmif0 create
expect_rc 0
on $A rump.ifconfig shmif0 create
expect_rc 1
expect_err 'File exists'
on $A rump.ifconfig shmif0
expect_rc 0
expect_out '^shmif0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500$'
expect_no_out 'inet '

# mtu: set and shown; out of range is a warning, as NetBSD's.
on $A rump.ifconfig shmif0 mtu 1280
expect_rc 0
on $A rump.ifconfig shmif0
expect_out 'mtu 1280$'
on $A rump.ifconfig shmif0 mtu 9000
expect_rc 0
expect_err 'SIOCSIFMTU: Invalid argument'

# Addresses: bare IF ADDR/LEN, alias, -alias, delete, netmask, broadcast.
on $A rump.ifconfig shmif0 linkstr bus2
expect_rc 0
on $A rump.ifconfig shmif0 10.1.0.1/16
expect_rc 0
on $A rump.ifconfig shmif0 inet 10.2.0.1 netmask 255.255.255.0 broadcast 10.2.0.255 alias
expect_rc 0
on $A rump.ifconfig shmif0 inet
expect_out $'^\tinet 10.1.0.1/16 broadcast 10.1.255.255 flags 0x0$'
expect_out $'^\tinet 10.2.0.1/24 broadcast 10.2.0.255 flags 0x0$'
on $A rump.ifconfig shmif0 inet 10.2.0.1 -alias
expect_rc 0
on $A rump.ifconfig shmif0
expect_no_out '10.2.0.1'
expect_out '10.1.0.1/16'
on $A rump.ifconfig shmif0 inet 10.3.0.1/24
expect_rc 0
on $A rump.ifconfig shmif0
expect_no_out '10.1.0.1'
expect_out '10.3.0.1/24'
on $A rump.ifconfig shmif0 delete
expect_rc 0
on $A rump.ifconfig shmif0
expect_no_out 'inet '

halt_server $A
[ ! -e a ] || fail "socket file a left behind"
echo PASS
