#!/usr/bin/env bash
# The same scenario with servers on tcp:// and ZeroMQ URLs (zmq+tcp://,
# zmq+ipc://): configure with rump.ifconfig, read and write with
# rump.sysctl, ping between them when the kernel has raw ICMP sockets,
# halt with rump.halt.
source "$(dirname "$0")/lib.sh"

T=tcp://127.0.0.1:$(free_port)/
Z=zmq+tcp://127.0.0.1:$(free_port)
I=zmq+ipc://zsock
start_server $T
start_server $Z
start_server $I
configure $T shmif0 bus 10.0.0.1/24
configure $Z shmif0 bus 10.0.0.2/24
configure $I shmif0 bus 10.0.0.3/24
for url in $T $Z $I; do
  on $url rump.ifconfig -v shmif0
  expect_rc 0
  expect_out '^shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500$'
  expect_out $'^\tlinkstate: up$'
  on $url rump.sysctl -w net.inet.ip.ttl=99
  expect_out_eq "net.inet.ip.ttl: 64 -> 99"
  on $url rump.ifconfig shmif0 linkstr x
  expect_rc 1
  expect_err 'SIOCSLINKSTR: Device busy'
done
on $T rump.ping -c 2 -i 0.2 10.0.0.2
expect_rc 0
expect_out '2 packets received'
on $Z rump.ping -c 2 -i 0.2 10.0.0.3
expect_rc 0
expect_out '2 packets received'
on $I rump.ping -c 2 -i 0.2 10.0.0.1
expect_rc 0
expect_out '2 packets received'
halt_server $T
halt_server $Z
halt_server $I
echo PASS
