#!/bin/bash
# Installs into a temporary prefix with scripts/install, checks what was
# installed (NetBSD's library names under their sonames too), then runs
# README.md's C commands ("Using rump from C"):
#   cc udp_exchange.c $(pkg-config --cflags --libs rump) -o udp_exchange
#   cc udp_remote.c $(pkg-config --cflags --libs rumpclient) -o udp_remote
#   cc udp_exchange.c -I$PREFIX/include -L$PREFIX/lib -lrump -lrumpuser \
#     -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif \
#     -lrumpnet_config                                            (NetBSD's)
# and the UDP exchange: in process against in process, then a rump_server
# client (udp_remote) against an in-process kernel, on one bus.
set -u
source examples/testlib.sh
readonly SRC=$PWD/examples/c
readonly WORK=$(mktemp -d /tmp/rumpcex.XXXXXX)  # short: a unix socket lives here
trap '_example_cleanup; rm -rf "$WORK"' EXIT
readonly PREFIX=$WORK/prefix

# ---- the installation --------------------------------------------------------
scripts/install --no-such-option >/dev/null 2>"$WORK/usage.err"
[ $? = 2 ] && grep -q '^usage:' "$WORK/usage.err" || fail "scripts/install --no-such-option"
example_install "$PREFIX"
for f in lib/librump.so.0 lib/librumpclient.so.0 lib/pkgconfig/rump.pc \
  lib/pkgconfig/rumpclient.pc include/rump/rump.h include/rump/rumpclient.h \
  include/rump/rump_syscalls.h include/rump/rumpdefs.h include/rump/netconfig.h \
  bin/rump_server \
  bin/rump_allserver bin/shmif_dumpbus bin/shmif_tapbridge bin/shmif_vxlan bin/rump.ifconfig bin/rump.sysctl \
  bin/rump.ping bin/rump.ping6 bin/rump.traceroute bin/rump.arp bin/rump.ndp bin/rump.netstat \
  bin/rump.halt bin/rump.route \
  lib/librumphijack.so bin/rumphijack; do
  [ -f "$PREFIX/$f" ] || fail "$f not installed"
done
# The installed wrapper finds the installed hijack library (it then reports
# the server it cannot reach). Not under a sanitizer: the library would
# need the sanitizer's runtime loaded first.
if [ -z "$example_preload" ]; then
  hijack_err=$(RUMP_SERVER=unix://$WORK/nobody "$PREFIX/bin/rumphijack" true 2>&1)
  [ $? = 1 ] && grep -q '^rumphijack: cannot connect to RUMP_SERVER=' <<<"$hijack_err" ||
    fail "the installed rumphijack: $hijack_err"
fi
[ "$(readlink "$PREFIX/lib/librump.so")" = librump.so.0 ] || fail "librump.so is not a link to librump.so.0"
# NetBSD's library names (the manifest's "netbsd" lines), each under its
# soname, which programs linked against NetBSD's libraries need (a stand-in
# library with that soname that needs librump.so.0), and its development
# name, which -lNAME finds (a link to librump.so.0).
netbsd_names=$(sed -n 's/^netbsd \([^ ]*\).*/\1/p' capi/install_manifest.txt)
for name in rumpuser rumpkern rumpnet rumpnet_net rumpnet_netinet rumpnet_shmif \
  rumpnet_config; do
  grep -qx "$name" <<<"$netbsd_names" || fail "$name is not in the install manifest"
done
for name in $netbsd_names; do
  [ "$(readlink "$PREFIX/lib/lib$name.so")" = librump.so.0 ] ||
    fail "lib$name.so is not a link to librump.so.0"
  so0="$PREFIX/lib/lib$name.so.0"
  [ -f "$so0" ] && [ ! -L "$so0" ] || fail "lib$name.so.0 is not a library file"
  readelf -d "$so0" | grep -q "SONAME.*\[lib$name\.so\.0\]" || fail "lib$name.so.0 has another soname"
  [ "$(readelf -d "$so0" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p')" = librump.so.0 ] ||
    fail "lib$name.so.0 does not need librump.so.0 alone"
done
# A system prefix's loader cache lists each soname: ldconfig lists a library
# under its own soname only, which is why the stand-ins are libraries.
printf '%s\n' "$PREFIX/lib" >"$PREFIX/ld.so.conf"
ldconfig -C "$PREFIX/ld.so.cache" -f "$PREFIX/ld.so.conf" 2>/dev/null ||
  fail "ldconfig could not build a cache of $PREFIX/lib"
for name in $netbsd_names; do
  ldconfig -p -C "$PREFIX/ld.so.cache" | grep -q "lib$name\.so\.0 .*=> $PREFIX/lib/" ||
    fail "ldconfig does not list lib$name.so.0"
done
[ "$(readlink "$PREFIX/lib/librumpclient.so")" = librumpclient.so.0 ] ||
  fail "librumpclient.so is not a link to librumpclient.so.0"
readelf -d "$PREFIX/lib/librump.so.0" | grep -q 'SONAME.*\[librump\.so\.0\]' ||
  fail "librump.so.0 has no soname librump.so.0"
readelf -d "$PREFIX/lib/librumpclient.so.0" | grep -q 'SONAME.*\[librumpclient\.so\.0\]' ||
  fail "librumpclient.so.0 has no soname librumpclient.so.0"
# (pkg-config ends its output with a space)
[ "$(echo $(pkg-config --cflags rump))" = "-I$PREFIX/include" ] ||
  fail "pkg-config --cflags rump: $(pkg-config --cflags rump)"
[ "$(echo $(pkg-config --libs rump))" = "-L$PREFIX/lib -lrump" ] ||
  fail "pkg-config --libs rump: $(pkg-config --libs rump)"
[ "$(echo $(pkg-config --libs rumpclient))" = "-L$PREFIX/lib -lrumpclient" ] ||
  fail "pkg-config --libs rumpclient: $(pkg-config --libs rumpclient)"
pkg-config --modversion rump | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' || fail "rump.pc has no version"

# ---- building, as the README says -------------------------------------------
cd "$WORK" || exit 1
cp "$SRC"/exchange.h "$SRC"/udp_exchange.c "$SRC"/udp_remote.c .
cc udp_exchange.c $(pkg-config --cflags --libs rump) -o udp_exchange ||
  fail "cc udp_exchange.c with pkg-config rump"
cc udp_remote.c $(pkg-config --cflags --libs rumpclient) -o udp_remote ||
  fail "cc udp_remote.c with pkg-config rumpclient"
cc udp_exchange.c -I"$PREFIX/include" -L"$PREFIX/lib" -lrump -lrumpuser -lrumpnet \
  -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif -lrumpnet_config -o udp_exchange_netbsd ||
  fail "cc udp_exchange.c with NetBSD's link line"
cc udp_remote.c -I"$PREFIX/include" -L"$PREFIX/lib" -lrumpclient -o udp_remote_netbsd ||
  fail "cc udp_remote.c with NetBSD's link line"
((failures == 0)) || exit 1
needed=$(readelf -d udp_exchange_netbsd | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep rump | tr '\n' ' ')
[ "$needed" = "librump.so.0 " ] || fail "udp_exchange_netbsd needs '$needed', not librump.so.0 alone"
needed=$(readelf -d udp_remote | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep rump | tr '\n' ' ')
[ "$needed" = "librumpclient.so.0 " ] || fail "udp_remote needs '$needed'"

# Bad usage: a message and status 2, nothing else.
run_example ./udp_exchange bus 10.0.2.1/24 >/dev/null 2>usage.err
[ $? = 2 ] && grep -q '^usage:' usage.err || fail "udp_exchange without a mode: $(cat usage.err)"
run_example ./udp_exchange bus 10.0.2.300/24 serve >/dev/null 2>usage.err
[ $? = 2 ] || fail "udp_exchange with a bad address: $(cat usage.err)"

# ---- in process against in process -------------------------------------------
# exchange NAME BUS SENDER-COMMAND...: udp_exchange serves on BUS while the
# command sends "hello"; both must see the exchange.
exchange() {
  local name=$1 bus=$2 server_pid rc
  shift 2
  run_example ./udp_exchange "$bus" 10.0.2.1/24 serve >"$name.serve.out" 2>"$name.serve.err" &
  server_pid=$!
  started "$server_pid"
  wait_for_line "$name.serve.out" '^listening on 10\.0\.2\.1:7777$' 30 "$server_pid" ||
    fail "$name: the server did not listen: $(cat "$name.serve.err")"
  "$@" >"$name.send.out" 2>"$name.send.err"
  rc=$?
  cat "$name.send.out"
  [ $rc = 0 ] || fail "$name: the sender exited $rc: $(cat "$name.send.err")"
  grep -qE '^shmif[0-9]+ 10\.0\.2\.2/24 on ' "$name.send.out" || fail "$name: no interface line"
  grep -q '^reply from 10\.0\.2\.1:7777: hello$' "$name.send.out" || fail "$name: no reply line"
  wait "$server_pid"
  rc=$?
  cat "$name.serve.out"
  [ $rc = 0 ] || fail "$name: the server exited $rc: $(cat "$name.serve.err")"
  grep -qE "^got 'hello' from 10\.0\.2\.2:[0-9]+$" "$name.serve.out" ||
    fail "$name: the server did not see the datagram"
}

exchange local bus run_example ./udp_exchange bus 10.0.2.2/24 send 10.0.2.1 hello
exchange netbsd bus2 run_example ./udp_exchange_netbsd bus2 10.0.2.2/24 send 10.0.2.1 hello

# ---- a rump_server client against in process --------------------------------
# rump_server returns once it accepts connections (it daemonizes).
if ! rump_server -lrumpnet_shmif -lrumpnet_netinet "unix://$WORK/sock" 2>server.err; then
  fail "rump_server: $(cat server.err)"
else
  # Its pid, to stop it at the end: the process serving our socket.
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "^rump_server .*unix://$WORK/sock"; then
      started "${p#/proc/}"
    fi
  done
  ((${#_example_pids[@]} > 0)) || fail "cannot find the rump_server process"
  RUMP_SERVER="unix://$WORK/sock" exchange remote "$WORK/bus3" \
    run_example ./udp_remote "$WORK/bus3" 10.0.2.2/24 send 10.0.2.1 hello
  # The installed tools see what the client configured, and halt the server.
  RUMP_SERVER="unix://$WORK/sock" rump.ifconfig shmif0 >ifconfig.out 2>&1 ||
    fail "rump.ifconfig shmif0: $(cat ifconfig.out)"
  cat ifconfig.out
  grep -q 'inet 10\.0\.2\.2' ifconfig.out || fail "rump.ifconfig does not show 10.0.2.2"
  RUMP_SERVER="unix://$WORK/sock" rump.halt || fail "rump.halt"
  for ((i = 0; i < 600; i++)); do
    [ -e "$WORK/sock" ] || break
    sleep 0.1
  done
  [ ! -e "$WORK/sock" ] || fail "the server did not remove its socket after rump.halt"
  # Without RUMP_SERVER the client says so.
  run_example ./udp_remote bus4 10.0.2.2/24 send 10.0.2.1 hello >/dev/null 2>noserver.err &&
    fail "udp_remote without RUMP_SERVER succeeded"
  grep -q rumpclient_init noserver.err || fail "udp_remote without RUMP_SERVER: $(cat noserver.err)"
fi

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
