#!/usr/bin/env bash
# rump.route against a real rump_server: show, add (net, host, default,
# ADDR/LEN, -netmask, -interface), get, change, delete, flush, NetBSD's
# messages and exit status for what fails (a missing route: "not in
# table", exit 1) and for bad arguments (its usage, exit 1), and monitor
# in the background while rump.route adds and deletes a route and
# rump.ifconfig adds an address (synchronised on the monitor's output).
#
# With RUMP_NETBSD_PEER (scripts/test sets it when ../shared/netbsd-peer
# exists), the same commands run with NetBSD's own route against the same
# server, and the outputs must be the same line for line (the program name,
# pids and dates aside); without it that part is skipped with a message.
source "$(dirname "$0")/lib.sh"

A=unix://a
start_server $A
configure $A shmif0 bus 10.7.0.1/24
on $A rump.ifconfig shmif0
MAC=$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*address: //p')
[ -n "$MAC" ] || fail "no MAC address for shmif0"

HDR=$'Routing tables\n\nInternet:\nDestination        Gateway            Flags    Refs      Use    Mtu Interface'
IFROUTES=$'10.7.0/24          link#2             U           -        -      -  shmif0\n10.7.0.1           link#2             UHl         -        -      -  lo0'
LO='127.0.0.1          lo0                UHl         -        -  33624  lo0'

on $A rump.route -n show
expect_rc 0
expect_out_eq "$HDR"$'\n'"$IFROUTES"$'\n'"$LO"
on $A rump.route show -inet
expect_out_eq "$HDR"$'\n'"$IFROUTES"$'\n'"$LO"

# add: every form of destination.
on $A rump.route add default 10.7.0.2
expect_rc 0
expect_out_eq "add net default: gateway 10.7.0.2"
on $A rump.route add -host 10.9.9.9 10.7.0.3
expect_out_eq "add host 10.9.9.9: gateway 10.7.0.3"
on $A rump.route add -net 10.20.0.0/16 10.7.0.4
expect_out_eq "add net 10.20.0.0: gateway 10.7.0.4"
on $A rump.route add 10.30.0.0 -netmask 255.255.0.0 10.7.0.4
expect_out_eq "add net 10.30.0.0: gateway 10.7.0.4"
on $A rump.route add 10.50.1.0/24 -interface 10.7.0.1
expect_rc 0
expect_out_eq "add net 10.50.1.0: gateway 10.7.0.1"
on $A rump.route -q add 10.60.0.0/16 10.7.0.4
expect_rc 0
expect_out_eq ""
on $A rump.route add 10.20.0.0/16 10.7.0.4
expect_rc 1
expect_out_eq "add net 10.20.0.0: gateway 10.7.0.4: File exists"
expect_err '^rump.route: writing to routing socket: File exists$'
on $A rump.route add 10.70.0.0/16 10.99.0.1
expect_rc 1
expect_out_eq "add net 10.70.0.0: gateway 10.99.0.1: Network is unreachable"

on $A rump.route -n show
expect_out_eq "$HDR"$'
default            10.7.0.2           UG          -        -      -  shmif0
10.7.0/24          link#2             U           -        -      -  shmif0
10.7.0.1           link#2             UHl         -        -      -  lo0
10.9.9.9           10.7.0.3           UGH         -        -      -  shmif0
10.20/16           10.7.0.4           UG          -        -      -  shmif0
10.30/16           10.7.0.4           UG          -        -      -  shmif0
10.50.1/24         link#2             U           -        -      -  shmif0
10.60/16           10.7.0.4           UG          -        -      -  shmif0
'"$LO"

# get: the longest match, and what the kernel says about it.
METRICS=$' recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire\n       0         0         0         0         0         0         0         0 '
on $A rump.route -n get 10.20.1.1
expect_rc 0
expect_out_eq $'   route to: 10.20.1.1\ndestination: 10.20.0.0\n       mask: 255.255.0.0\n    gateway: 10.7.0.4\n local addr: 10.7.0.1\n  interface: shmif0\n      flags: <UP,GATEWAY,DONE,STATIC>\n'"$METRICS"
on $A rump.route get 10.99.1.1
expect_out_eq $'   route to: 10.99.1.1\ndestination: default\n       mask: default\n    gateway: 10.7.0.2\n local addr: 10.7.0.1\n  interface: shmif0\n      flags: <UP,GATEWAY,DONE,STATIC>\n'"$METRICS"
on $A rump.route get 10.7.0.5
expect_out_eq $'   route to: 10.7.0.5\ndestination: 10.7.0.0\n       mask: 255.255.255.0\n local addr: 10.7.0.1\n  interface: shmif0\n      flags: <UP,DONE,CONNECTED>\n'"$METRICS"
on $A rump.route -s get 10.9.9.9
expect_rc 0
expect_out_eq "10.7.0.3"

# change and delete.
on $A rump.route change -net 10.20.0.0/16 10.7.0.5
expect_rc 0
expect_out_eq "change net 10.20.0.0: gateway 10.7.0.5"
on $A rump.route -s get 10.20.7.7
expect_out_eq "10.7.0.5"
on $A rump.route change 10.77.0.0/16 10.7.0.5
expect_rc 1
expect_out_eq "change net 10.77.0.0: gateway 10.7.0.5: not in table"
expect_err '^rump.route: writing to routing socket: not in table$'
on $A rump.route delete -host 10.9.9.9
expect_rc 0
expect_out_eq "delete host 10.9.9.9"
on $A rump.route delete -host 10.9.9.9
expect_rc 1
expect_out_eq "delete host 10.9.9.9: not in table"
expect_err '^rump.route: writing to routing socket: not in table$'
on $A rump.route -q delete 10.77.0.0/16
expect_rc 1
expect_out_eq ""
expect_err '^rump.route: writing to routing socket: not in table$'
on $A rump.route delete 10.30.0.0 -netmask 255.255.0.0
expect_rc 0
expect_out_eq "delete net 10.30.0.0"

# flush: the gateway and static routes, each as NetBSD names it.
on $A rump.route flush
expect_rc 0
expect_out_eq $'default              10.7.0.2             done
10/0                 10.7.0.5             done
10/0                 link#2               done
10/0                 10.7.0.4             done'
on $A rump.route -n show
expect_out_eq "$HDR"$'\n'"$IFROUTES"$'\n'"$LO"
on $A rump.route flush
expect_rc 0
expect_out_eq ""
on $A rump.route delete default
expect_rc 1
expect_out_eq "delete net default: not in table"

# Bad arguments: NetBSD's usage message and exit 1.
usage_is() {
  expect_rc 1
  printf '%s\n' "$err" | grep -q -x -- 'Usage: rump.route \[-dfLnqSsTtv\] cmd \[\[-<qualifers>\] args\]' ||
    fail "no usage message"
}
on $A rump.route
usage_is
on $A rump.route -n
usage_is
on $A rump.route -x show
usage_is
expect_err '^rump.route: unknown option -- x$'
on $A rump.route bogus
usage_is
expect_err '^rump.route: botched keyword: bogus$'
on $A rump.route show -link
usage_is
expect_err '^rump.route: botched keyword: -link$'
on $A rump.route add -foo 10.1.0.0/16 10.7.0.2
usage_is
expect_err '^rump.route: botched keyword: foo$'
on $A rump.route add -netmask
usage_is
on $A rump.route add 10.1.0.0/16 10.7.0.2 zz
usage_is
on $A rump.route monitor -x
usage_is
on $A rump.route add
expect_rc 1
expect_err '^rump.route: missing destination specification$'
on $A rump.route add 10.1.0.0/16
expect_rc 1
expect_err '^rump.route: missing gateway specification$'
on $A rump.route add 10.1.0.0/40 10.7.0.2
expect_rc 1
expect_err '^rump.route: 40: bad value$'
on $A rump.route add 10.1.0.0/16 no.such.host
expect_rc 1
expect_err '^rump.route: no.such.host: bad value$'
on $A rump.route add -host 10.1.1.1 -net 10.7.0.2
expect_rc 1
expect_err '^rump.route: -host and -net conflict$'

# wait_for FILE PATTERN [PID]: until a line of FILE matches (a minute only
# to catch a hang; PID must stay alive meanwhile).
wait_for() {
  local file=$1 pattern=$2 pid=${3:-}
  for _i in $(seq 1 1200); do
    grep -E -q -- "$pattern" "$file" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      fail "process $pid exited before $file had /$pattern/: $(cat "$file")"
    fi
    sleep 0.05
  done
  fail "$file never had /$pattern/: $(cat "$file")"
}

# start_monitor FILE CMD...: a monitor in the background, its pid in
# MON_PID, and once it listens (a failing RTM_GET for 10.255.255.1, which
# every routing socket hears, shows in its output).
start_monitor() {
  local file=$1
  shift
  RUMP_SERVER=$A "$@" monitor >"$file" 2>&1 </dev/null &
  MON_PID=$!
  _pids="$_pids $MON_PID"
  for _j in $(seq 1 600); do
    RUMP_SERVER=$A rump.route -q get 10.255.255.1 >/dev/null 2>&1
    for _i in $(seq 1 10); do
      grep -q ' 10.255.255.1 link#0' "$file" 2>/dev/null && return 0
      kill -0 "$MON_PID" 2>/dev/null || fail "monitor exited: $(cat "$file")"
      sleep 0.05
    done
  done
  fail "the monitor never heard a message: $(cat "$file")"
}

# A monitor's output without the probes' messages.
drop_probes() {
  awk 'BEGIN { RS = "got message" } NR > 1 && !/ 10\.255\.255\.1 / { printf "got message%s", $0 }' "$1"
}

stop_monitor() {
  kill -TERM "$1" 2>/dev/null
  for _i in $(seq 1 1200); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "monitor $1 still running after SIGTERM"
}

# monitor: what rump.route and rump.ifconfig do, as it happens.
start_monitor mon.out rump.route
MON=$MON_PID
on $A rump.route add 10.80.0.0/16 10.7.0.4
expect_rc 0
on $A rump.route delete 10.80.0.0/16
expect_rc 0
on $A rump.ifconfig shmif0 inet 10.7.1.1/24 alias
expect_rc 0
# Two RTM_NEWADDR: the address added (tentative), then duplicate address
# detection ended (the flags changed), as NetBSD's arp_dad reports it.
for _i in $(seq 1 1200); do
  [ "$(grep -c -E "^ 255.255.255.0 $MAC 10.7.1.1 10.7.1.255\$" mon.out)" -ge 2 ] && break
  kill -0 $MON 2>/dev/null || fail "monitor exited: $(cat mon.out)"
  sleep 0.05
done
stop_monitor $MON
mon=$(drop_probes mon.out)
# (As NetBSD's kernel reports them: the addresses of the request, no
# interface, and a deleted route no longer UP.)
want_re=$'^got message of size 160 on [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}
RTM_ADD: Add Route: len 160, pid [0-9]+, seq 1, errno 0, flags: <UP,GATEWAY,DONE,STATIC>
locks: none inits: none
sockaddrs: <DST,GATEWAY,NETMASK>
 10.80.0.0 10.7.0.4 255.255.0.0
got message of size 160 on .*
RTM_DELETE: Delete Route: len 160, pid [0-9]+, seq 1, errno 0, flags: <GATEWAY,DONE,STATIC>
locks: none inits: none
sockaddrs: <DST,GATEWAY,NETMASK>
 10.80.0.0 10.7.0.4 255.255.0.0
got message of size 88 on .*
RTM_NEWADDR: address being added to iface: len 88, metric 0, flags: <UP,CONNECTED>
sockaddrs: <NETMASK,IFP,IFA,BRD>
 255.255.255.0 '"$MAC"$' 10.7.1.1 10.7.1.255
got message of size 160 on .*
RTM_ADD: Add Route: len 160, pid 0, seq 0, errno 0, flags: <UP,HOST,LLINFO,LOCAL>
locks: none inits: none
sockaddrs: <DST,GATEWAY>
 10.7.1.1 link#[0-9]+
got message of size 208 on .*
RTM_ADD: Add Route: len 208, pid 0, seq 0, errno 0, flags: <UP,DONE,CONNECTED>
locks: none inits: none
sockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>
 10.7.1.0 link#[0-9]+ 255.255.255.0 '"$MAC"$' 10.7.1.1
got message of size 88 on .*
RTM_NEWADDR: address being added to iface: len 88, metric 0, flags: <UP,CONNECTED>
sockaddrs: <NETMASK,IFP,IFA,BRD>
 255.255.255.0 '"$MAC"$' 10.7.1.1 10.7.1.255$'
# Line by line: each line of the output against its pattern.
paste -d '\n' <(printf '%s\n' "$want_re") <(printf '%s\n' "$mon") | {
  n=0
  while IFS= read -r re && IFS= read -r line; do
    n=$((n + 1))
    [[ "$line" =~ $re ]] || { echo "monitor line $n: '$line' !~ /$re/"; exit 1; }
  done
} || { out=$mon; fail "monitor output"; }
[ "$(printf '%s\n' "$mon" | wc -l)" -eq "$(printf '%s\n' "$want_re" | wc -l)" ] ||
  { out=$mon; fail "monitor printed other messages"; }
echo "monitor: ok"

# ---- the same against NetBSD's own route(8)
netbsd_peer || exit 0
nbroute() { LD_LIBRARY_PATH="$WORKDIR/nblib" "$PEER/rumpctrl/bin/route" "$@"; }

# One tool's run: stdout, exit status, stderr, with the program's name,
# pids and dates made the same.
norm() {
  sed -E -e "s#^($PEER/rumpctrl/bin/route|rump\\.route)(: |\$)#PROG\\2#" \
    -e 's#^Usage: [^ ]+#Usage: PROG#' -e 's/pid [0-9]+,/pid N,/' \
    -e 's/^(got message of size [0-9-]+ on ).*/\1DATE/'
}
capture() { # capture FILE CMD...
  local f=$1
  shift
  RUMP_SERVER=$A "$@" >"$f.out" 2>"$f.err" </dev/null
  echo "rc=$?" >>"$f.out"
  cat "$f.err" >>"$f.out"
  norm <"$f.out" >"$f"
}
compare() { # compare WHAT
  if ! diff -u nb.txt ours.txt >diff.txt; then
    out=$(cat diff.txt)
    err=""
    last_cmd="$1"
    fail "rump.route and NetBSD's route differ (- NetBSD, + ours)"
  fi
  echo "same as NetBSD's: route $1"
}
# same ARGS...: a command that changes nothing, with both.
same() {
  capture nb.txt nbroute "$@"
  capture ours.txt rump.route "$@"
  compare "$*"
}
# change "ARGS" "UNDO": ours, undone; NetBSD's, undone.
change() {
  capture ours.txt rump.route $1
  RUMP_SERVER=$A rump.route -q $2 >/dev/null 2>&1
  capture nb.txt nbroute $1
  RUMP_SERVER=$A rump.route -q $2 >/dev/null 2>&1
  compare "$1"
}
routes() { # the table the flush cases start from
  for r in "add default 10.7.0.2" "add -host 10.9.9.9 10.7.0.3" "add 10.20.0.0/16 10.7.0.4" \
           "add 10.50.1.0/24 -interface 10.7.0.1" "add -host 10.9.9.7 -interface 10.7.0.1"; do
    RUMP_SERVER=$A rump.route -q $r || fail "route $r"
  done
}
flushed() { # flushed ARGS...: from the same table, with both
  routes
  capture ours.txt rump.route "$@"
  RUMP_SERVER=$A rump.route -q flush
  routes
  capture nb.txt nbroute "$@"
  RUMP_SERVER=$A rump.route -q flush
  compare "$*"
}

change "add default 10.7.0.2" "delete default"
change "add -host 10.9.9.9 10.7.0.3" "delete -host 10.9.9.9"
change "add -net 10.20.0.0/16 10.7.0.4" "delete 10.20.0.0/16"
change "add -net 10.20/16 10.7.0.4" "delete 10.20.0.0/16"
change "add 10.30.0.0 -netmask 255.255.0.0 10.7.0.4" "delete 10.30.0.0/16"
change "add -net 10.40.0.0 10.7.0.4" "delete 10.40.0.0/16"
change "add 10.50.1.0/24 -interface 10.7.0.1" "delete 10.50.1.0/24"
change "add 10.83.0.0 10.7.0.4 255.255.0.0" "delete -host 10.83.0.0"
change "add 10.85.0.0 10.7.0.4 1" "delete -host 10.85.0.0"
change "-v add 10.81.0.0/16 10.7.0.4" "delete 10.81.0.0/16"
change "-v add -mtu 1400 -lock -rtt 5 -ifa 10.7.0.1 10.89.0.0/16 10.7.0.4" "delete 10.89.0.0/16"
change "-v add -host 10.9.9.7 -interface 10.7.0.1" "delete -host 10.9.9.7"
change "-d add 10.82.0.0/16 10.7.0.4" "delete 10.82.0.0/16"
change "add 10.70.0.0/16 10.99.0.1" "delete 10.70.0.0/16"
routes
same -n show
same show
same -n show -inet
same -v show
same -T show
same show -host
same show -inet6
same -n get 10.20.1.1
same get 10.99.1.1
same get 10.7.0.5
same get 127.0.0.1
same get 10.7.0.1
same -v get 10.9.9.7
same -s get 10.9.9.9
same get default
same add 10.20.0.0/16 10.7.0.4
change "change -net 10.20.0.0/16 10.7.0.5" "change -net 10.20.0.0/16 10.7.0.4"
change "-v change 10.20.0.0/16 10.7.0.5" "change -net 10.20.0.0/16 10.7.0.4"
change "delete -host 10.9.9.9" "add -host 10.9.9.9 10.7.0.3"
change "-v delete 10.20.0.0/16" "add 10.20.0.0/16 10.7.0.4"
same change 10.77.0.0/16 10.7.0.5
same delete -host 10.9.9.99
same -q delete 10.77.0.0/16
same -v delete 10.77.0.0/16
RUMP_SERVER=$A rump.route -q flush
flushed flush
flushed -v flush
flushed -q flush
flushed flush -inet
flushed flush -host
flushed flushall
flushed -d flush
same get 10.99.1.1
for args in "" "-n" "-x show" "bogus" "show foo" "show -link" "add" "add 10.1.0.0/16" \
            "add 10.1.0.0/40 10.7.0.2" "add -foo 10.1.0.0/16 10.7.0.2" "add -netmask" \
            "add 10.1.0.0/16 10.7.0.2 zz" "add -host 10.1.1.1 -net 10.7.0.2" \
            "add 10.1.0.0/16 no.such.host" "get" "flush foo"; do
  # shellcheck disable=SC2086
  same $args
done

# Both monitors hear the same messages and print them the same way.
start_monitor nbmon.out nbroute
NBMON=$MON_PID
start_monitor ourmon.out rump.route
OURMON=$MON_PID
on $A rump.route add 10.80.0.0/16 10.7.0.4
on $A rump.route change 10.80.0.0/16 10.7.0.5
on $A rump.route delete 10.80.0.0/16
on $A rump.route delete 10.80.0.0/16
on $A rump.route get 10.7.0.1
on $A rump.ifconfig shmif0 inet 10.7.1.1 -alias
on $A rump.ifconfig shmif0 inet 10.7.2.1/24 alias
on $A rump.ifconfig shmif0 down
on $A rump.ifconfig shmif0 up
on $A rump.ifconfig shmif1 create
on $A rump.ifconfig shmif1 destroy
# Last, a message NetBSD's monitor flushes its output after.
on $A rump.route add -host 10.7.0.77 10.7.0.2
wait_for nbmon.out '^ 10.7.0.77 10.7.0.2( |$)' $NBMON
wait_for ourmon.out '^ 10.7.0.77 10.7.0.2( |$)' $OURMON
stop_monitor $NBMON
stop_monitor $OURMON
drop_probes nbmon.out | norm >nb.txt
drop_probes ourmon.out | norm >ours.txt
[ -s ours.txt ] || fail "the monitor printed nothing"
compare monitor
