#!/bin/bash
# librump.so.0 exports exactly the C API: the symbols rump.map lists (every
# one of them rump_* or rump___sysimpl_*, with NetBSD's link names), has
# soname librump.so.0, and librump.so is the same library.
#
# Usage (from Bazel): exported_symbols_test.sh LIBRUMP_SO_0 LIBRUMP_SO RUMP_MAP
set -u
readonly LIB="$1" DEVLIB="$2" MAP="$3"
# shellcheck source=capi/tests/symbols_lib.sh
source capi/tests/symbols_lib.sh

check_exports_match_map "$LIB" "$MAP"

while read -r sym; do
  [[ "$sym" =~ ^rump_ ]] || fail "exported symbol '$sym' is not a C API name"
  [[ "$sym" =~ ^rump_sys_ && "$sym" != rump_sys_pipe ]] &&
    fail "'$sym' is exported under its C name; NetBSD's header binds rump___sysimpl_*"
done <<<"$actual"

# The names NetBSD's <rump/rump_syscalls.h> binds programs to, and the
# entry points of <rump/rump.h>.
expect_exported rump_init rump_init_server rump_getversion rump_pub_getversion \
  rump_nativeabi_p rump_boot_gethowto rump_boot_sethowto rump_daemonize_begin \
  rump_daemonize_done rump_schedule rump_unschedule rump_pub_shmif_create \
  rump_pub_lwproc_rfork rump_pub_lwproc_newlwp rump_pub_lwproc_switch \
  rump_pub_lwproc_releaselwp rump_pub_lwproc_curlwp rump_sys_pipe \
  rump___sysimpl_socket30 rump___sysimpl___sysctl rump___sysimpl_getpid \
  rump___sysimpl_select50 rump___sysimpl_pollts50 rump___sysimpl_gettimeofday50 \
  rump___sysimpl_clock_gettime50 rump___sysimpl_nanosleep50 rump___sysimpl_ioctl \
  rump___sysimpl_read rump___sysimpl_write rump___sysimpl_close rump___sysimpl_bind \
  rump___sysimpl_sendto rump___sysimpl_recvfrom rump___sysimpl_reboot \
  rump___sysimpl_fcntl rump___sysimpl_open rump___sysimpl_dup2 \
  rump___sysimpl_getrlimit rump___sysimpl_setrlimit
# <rump/netconfig.h>: NetBSD's rumpnet_config, every function of its header.
expect_exported rump_pub_netconfig_ifcreate rump_pub_netconfig_ifdestroy \
  rump_pub_netconfig_ifup rump_pub_netconfig_ifdown rump_pub_netconfig_ifsetlinkstr \
  rump_pub_netconfig_ipv4_ifaddr rump_pub_netconfig_ipv4_ifaddr_cidr \
  rump_pub_netconfig_ipv4_gw rump_pub_netconfig_ipv6_ifaddr rump_pub_netconfig_ipv6_gw \
  rump_pub_netconfig_auto_ipv6 rump_pub_netconfig_dhcp_ipv4_oneshot \
  rump_pub_netconfig_bradd rump_pub_netconfig_brdel
expect_not_exported rump_sys_socket rump___sysimpl_socket rump___sysimpl_select \
  rump___sysimpl_sysctl rump_sys___sysctl

check_soname_and_copy "$LIB" librump.so.0 "$DEVLIB"

finish "$(wc -l <<<"$actual") C API symbols exported, soname $soname"
