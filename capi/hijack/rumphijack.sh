#!/bin/sh
# rumphijack CMD [ARGS...]: runs CMD with librumphijack.so preloaded, so
# that its sockets (RUMPHIJACK, default path=/rump,socket=all:nolocal) live
# in the rump kernel at RUMP_SERVER. See docs/hijack.md.
set -u
if [ $# -eq 0 ] || [ "$1" = "-h" ]; then
  echo "usage: rumphijack command [argument ...]" >&2
  exit 1
fi
if [ -z "${RUMP_SERVER:-}" ]; then
  echo "rumphijack: RUMP_SERVER is not set (the URL of a rump_server, for example unix://sock)" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
lib=""
for d in "${RUMPHIJACK_LIB:-}" "$here/librumphijack.so" "$here/../lib/librumphijack.so" \
  "$here/librumphijack.so.0"; do
  if [ -n "$d" ] && [ -f "$d" ]; then
    lib=$d
    break
  fi
done
if [ -z "$lib" ]; then
  echo "rumphijack: librumphijack.so not found next to $0 or in $here/../lib (set RUMPHIJACK_LIB)" >&2
  exit 1
fi
LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"
