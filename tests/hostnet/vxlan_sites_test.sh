#!/usr/bin/env bash
# shmif_vxlan at three sites: three namespaces (a bus, a kernel and a relay
# each) on a Linux bridge in a fourth, as three machines on one LAN:
#  * unicast head-end replication (-r with the two others): an ARP request
#    reaches every bus once; echoes between two sites arrive once at each of
#    their buses and never at the third; no IPv4 frame twice on any bus;
#  * one relay SIGKILLed and restarted: traffic through it resumes, still
#    with no duplicates;
#  * the same segment over an IPv4 multicast group (-g) instead;
#  * SIGTERM, SIGINT and SIGHUP each stop a relay cleanly.
# Needs root (network namespaces): skipped with a message without.
source "$TEST_SRCDIR/rump/tests/tools/lib.sh"
source "$TEST_SRCDIR/rump/tests/hostnet/vxlan_lib.sh"

new_netns NS0 || exit 0
new_netns NS1 || fail "a namespace"
new_netns NS2 || fail "a namespace"
new_netns NS3 || fail "a namespace"
ip -n "$NS0" link add br0 type bridge mcast_snooping 0 || fail "cannot create a bridge"
ip -n "$NS0" link set br0 up || fail "br0 up"
for i in 1 2 3; do
  ns_var=NS$i
  ip link add u netns "${!ns_var}" mtu 1550 type veth peer name p$i netns "$NS0" mtu 1550 ||
    fail "veth $i"
  ip -n "$NS0" link set p$i master br0 up || fail "p$i on br0"
  ip -n "${!ns_var}" addr add 10.210.0.$i/24 dev u || fail "address $i"
  ip -n "${!ns_var}" link set u up || fail "u up in $i"
done

for i in 1 2 3; do
  start_server unix://k$i
  configure unix://k$i shmif0 bus$i 10.211.0.$i/24
done

# unicast_relays: a relay per site, the other two as remotes.
unicast_relays() {
  start_vxlan v1 "$NS1" -n 7 -m 1550 -l 10.210.0.1 -r 10.210.0.2 -r 10.210.0.3 bus1
  start_vxlan v2 "$NS2" -n 7 -m 1550 -l 10.210.0.2 -r 10.210.0.1 -r 10.210.0.3 bus2
  start_vxlan v3 "$NS3" -n 7 -m 1550 -l 10.210.0.3 -r 10.210.0.1 -r 10.210.0.2 bus3
}

echo "--- unicast head-end replication"
unicast_relays
on unix://k1 rump.ping -c 5 -i 0.2 -w 60 10.211.0.2
expect_rc 0
expect_out '5 packets transmitted, 5 packets received'
for i in 1 2 3; do
  bus_check bus$i 10.211.0.1 10.211.0.2
  expect_out ' duplicates 0 '
  # The request for K2's address was flooded: once on every bus.
  expect_out ' who_has 1$'
  if [ $i = 3 ]; then
    expect_out 'echo_requests 0 echo_replies 0'
  else
    expect_out 'echo_requests 5 echo_replies 5'
  fi
done
on unix://k3 rump.ping -c 3 -i 0.2 -w 60 10.211.0.1
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'
on unix://k2 rump.ping -c 3 -i 0.2 -w 60 10.211.0.3
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'
bus_check bus1 10.211.0.2 10.211.0.3
expect_out 'echo_requests 0 echo_replies 0'
for i in 1 2 3; do
  bus_check bus$i
  expect_out ' duplicates 0 '
done

echo "--- a relay SIGKILLed and restarted"
kill -KILL "$(vxlan_pid v2)"
wait "$(vxlan_pid v2)" 2>/dev/null
start_vxlan v2b "$NS2" -n 7 -m 1550 -l 10.210.0.2 -r 10.210.0.1 -r 10.210.0.3 bus2
on unix://k1 rump.ping -c 5 -i 0.2 -w 60 10.211.0.2
expect_rc 0
expect_out '5 packets transmitted, 5 packets received'
on unix://k2 rump.ping -c 5 -i 0.2 -w 60 10.211.0.3
expect_rc 0
expect_out '5 packets transmitted, 5 packets received'
for i in 1 2; do
  bus_check bus$i 10.211.0.1 10.211.0.2
  expect_out ' duplicates 0 '
  expect_out 'echo_requests 10 echo_replies 10'
done
bus_check bus3 10.211.0.1 10.211.0.2
expect_out ' duplicates 0 '
expect_out 'echo_requests 0 echo_replies 0'
stop_vxlan v1
stop_vxlan v2b
stop_vxlan v3

echo "--- the same segment over a multicast group"
start_vxlan m1 "$NS1" -n 7 -m 1550 -g 239.1.1.7 -I u bus1
start_vxlan m2 "$NS2" -n 7 -m 1550 -g 239.1.1.7 -I u bus2
start_vxlan m3 "$NS3" -n 7 -m 1550 -g 239.1.1.7 -I u bus3
on unix://k3 rump.arp -d -a
on unix://k1 rump.arp -d -a
on unix://k3 rump.ping -c 5 -i 0.2 -w 60 10.211.0.1
expect_rc 0
expect_out '5 packets transmitted, 5 packets received'
on unix://k1 rump.ping -c 3 -i 0.2 -w 60 10.211.0.2
expect_rc 0
expect_out '3 packets transmitted, 3 packets received'
for i in 1 2 3; do
  bus_check bus$i 10.211.0.3 10.211.0.1
  expect_out ' duplicates 0 '
  if [ $i = 2 ]; then
    expect_out 'echo_requests 0 echo_replies 0'
  else
    expect_out 'echo_requests 8 echo_replies 8'
  fi
done
vxlan_counters m1
printf '%s\n' "$counters"
printf '%s\n' "$counters" | grep -q 'remote 239.1.1.7:4789: in 0 frames 0 bytes, out [1-9]' ||
  fail "nothing flooded to the group"
printf '%s\n' "$counters" | grep -q 'remote 10.210.0.3:4789: in [1-9]' || fail "nothing from site 3"
# Every stopping signal: counters, exit 0.
stop_vxlan m1 TERM
stop_vxlan m2 INT
stop_vxlan m3 HUP
echo PASS
