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
            "rump.route show"; do
  run $tool
  expect_rc 1
  expect_err 'unix://nothere'
  expect_err 'No such file or directory'
done
# RUMP_SERVER unset: librumpclient says so.
unset RUMP_SERVER
for tool in "rump.ifconfig -a" "rump.sysctl kern.ostype" "rump.ping -c 1 10.0.0.1" "rump.netstat -rn" "rump.halt" \
            "rump.route show"; do
  run $tool
  expect_rc 1
  expect_err 'RUMP_SERVER not set'
done
echo PASS
