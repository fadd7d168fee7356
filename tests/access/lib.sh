# Shared by the tests/access scenarios; sourced after tests/tools/lib.sh
# (wait_for, _pids).

# start_fg NAME URL ARGS...: rump_server -s -v with the network components
# and ARGS, in the background, serving URL; its stdout in NAME.out, its log
# in NAME.log, its pid in FG_PID_NAME (stopped with the test's other
# processes). Returns once the server says it serves.
start_fg() {
  local name=$1 url=$2
  shift 2
  echo "\$ rump_server -s -v $* $url &"
  rump_server -s -v -lrumpnet -lrumpnet_net -lrumpnet_netinet "$@" "$url" \
    >"$name.out" 2>"$name.log" </dev/null &
  local pid=$!
  _pids="$_pids $pid"
  eval "FG_PID_$name=$pid"
  wait_for 60 "rump_server $url to serve" grep -q "serving" "$name.out"
}
