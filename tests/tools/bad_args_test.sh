#!/usr/bin/env bash
# Every tool: a usage message and a non-zero exit on bad arguments (before
# any connection), and a readable error naming the problem when
# RUMP_SERVER is unset or the server is unreachable.
source "$(dirname "$0")/lib.sh"

export RUMP_SERVER=unix://nothere

usage_case() {
  run "$@"
  expect_fail
  expect_err '^usage:'
}
usage_case rump.ifconfig -Q
expect_err '^rump.ifconfig: unknown option -- Q$'
usage_case rump.ifconfig -l shmif0
usage_case rump.ifconfig -a bogusfamily
usage_case rump.ifconfig shmif0 mtu
usage_case rump.ifconfig shmif0 mtu many
usage_case rump.ifconfig shmif0 inet 10.0.0.300/24
usage_case rump.ifconfig shmif0 inet 10.0.0.1/33
usage_case rump.ifconfig shmif0 destroy now
usage_case rump.ifconfig shmif0 netmask
usage_case rump.ifconfig averyveryverylongname0
usage_case rump.ifconfig shmif0 impair
usage_case rump.ifconfig shmif0 impair drop 150%
expect_err "^rump.ifconfig: impair: drop '150%': want a percentage"
usage_case rump.ifconfig shmif0 impair delay 5
usage_case rump.sysctl
usage_case rump.sysctl -Z kern.ostype
usage_case rump.sysctl -a -q
usage_case rump.ping
usage_case rump.ping -Z 10.0.0.1
usage_case rump.ping 10.0.0.1 10.0.0.2
usage_case rump.ping -c
expect_err 'option requires an argument -- c'
usage_case rump.halt extra
usage_case rump.halt -x
usage_case rump.netstat -Z
usage_case rump.netstat -rn extra
# rump.route, as NetBSD's route, checks its options before connecting and
# its command after: "Usage: ..." with a capital, exit 1.
run rump.route
expect_rc 1
expect_err '^Usage: rump.route \[-dfLnqSsTtv\] cmd'
run rump.route -Q show
expect_rc 1
expect_err '^rump.route: unknown option -- Q$'
expect_err '^Usage: rump.route'

# rump.traceroute and rump.arp: NetBSD's "Usage:" (traceroute's after its
# version line, with no word about the option), exit 1.
traceroute_usage() {
  run rump.traceroute "$@"
  expect_rc 1
  expect_err '^Version 1\.4a12$'
  expect_err '^Usage: rump.traceroute \[-dFIlnrvx\]'
  expect_no_err 'unknown option'
}
traceroute_usage
traceroute_usage -Z 10.0.0.1
traceroute_usage -g 10.0.0.2 10.0.0.1
traceroute_usage 10.0.0.1 100 extra
traceroute_usage -m
traceroute_bad() {
  local msg=$1
  shift
  run rump.traceroute "$@"
  expect_rc 1
  expect_err "^rump.traceroute: $msg\$"
}
traceroute_bad 'wait time must be > 1' -w 1 10.0.0.1
traceroute_bad '"x" bad value for wait time' -w x 10.0.0.1
traceroute_bad 'max ttl must be > 0' -m 0 10.0.0.1
traceroute_bad 'max ttl must be <= 255' -m 256 10.0.0.1
traceroute_bad 'nprobes must be > 0' -q 0 10.0.0.1
traceroute_bad 'port must be <= 65535' -p 70000 10.0.0.1
traceroute_bad 'packet length must be > 39' 10.0.0.1 39
traceroute_bad 'packet length must be <= 32768' 10.0.0.1 40000
traceroute_bad 'first ttl \(5\) may not be greater than max ttl \(3\)' -f 5 -m 3 10.0.0.1
traceroute_bad 'unknown host nosuchhost' nosuchhost
arp_usage() {
  run rump.arp "$@"
  expect_rc 1
  expect_err '^Usage: rump.arp \[-n\] hostname$'
  expect_err '^       rump.arp -s hostname ether_addr \[temp\] \[pub \[proxy\]\]$'
}
arp_usage
arp_usage -x
expect_err '^rump.arp: unknown option -- x$'
arp_usage 10.0.0.1 10.0.0.2
arp_usage -s 10.0.0.1
arp_usage -s 10.0.0.1 02:00:00:00:00:01 a b c d e f
arp_usage -d
arp_usage -d 10.0.0.1 pub proxy
arp_usage -a -d 10.0.0.1
arp_usage -d -s 10.0.0.1 02:00:00:00:00:01
arp_usage -f
arp_usage -f a b

run rump.ping -c 0 10.0.0.1
expect_rc 1
expect_err '^rump.ping: Bad/invalid number of packets: 0$'
run rump.ping -s 70000 10.0.0.1
expect_rc 1
expect_err 'packet size is too large'
run rump.ping -i -1 10.0.0.1
expect_rc 1
expect_err 'Bad/invalid interval'
run rump.ping -w x 10.0.0.1
expect_rc 1
expect_err 'Bad/invalid maxwait time: x'

# Unreachable server: the URL and the reason, exit 1.
for tool in "rump.ifconfig -a" "rump.sysctl kern.ostype" "rump.ping -c 1 10.0.0.1" "rump.netstat -rn" "rump.halt" \
            "rump.route show" "rump.traceroute 10.0.0.1" "rump.arp -a"; do
  run $tool
  expect_rc 1
  expect_err 'unix://nothere'
  expect_err 'No such file or directory'
done
# RUMP_SERVER unset: librumpclient says so.
unset RUMP_SERVER
for tool in "rump.ifconfig -a" "rump.sysctl kern.ostype" "rump.ping -c 1 10.0.0.1" "rump.netstat -rn" "rump.halt" \
            "rump.route show" "rump.traceroute 10.0.0.1" "rump.arp -a"; do
  run $tool
  expect_rc 1
  expect_err 'RUMP_SERVER not set'
done
echo PASS
