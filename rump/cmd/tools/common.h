// What the NetBSD client tools (rump.ifconfig, rump.sysctl, rump.ping,
// rump.halt) share: err(3)-style messages with NetBSD's error texts, the
// connection to the server named by RUMP_SERVER, and sysctl name lookup by
// CTL_QUERY walks (what libc's sysctlgetmibinfo does).
//
// Promises: messages go to stderr as "<prog>: <what>: <error text>"; a
// NetBSD errno (what rump_sys_* leave in errno) is named with NetBSD's text,
// a host errno from the connection itself with the host's.
#ifndef RUMP_CMD_TOOLS_COMMON_H_
#define RUMP_CMD_TOOLS_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "rump/abi/sysctl.h"

namespace rump::tools {

// Sets the program name used in messages (the basename of argv[0]).
void SetProgName(const char* argv0);
const char* ProgName();

// getopt(3) with NetBSD's messages ("<prog>: unknown option -- x",
// "<prog>: option requires an argument -- x"); returns '?' for both.
int GetOpt(int argc, char* const argv[], const char* optstring);

// NetBSD's text for a NetBSD errno; for numbers beyond NetBSD's range (a
// host errno from a lost connection), the host's text.
std::string ErrorText(int error);

// err(3), errx(3), warn(3), warnx(3). The errno variants take the error
// explicitly (callers pass errno right after the failing call).
[[noreturn]] void Err(int status, int error, const std::string& what);
[[noreturn]] void Errx(int status, const std::string& what);
void Warn(int error, const std::string& what);
void Warnx(const std::string& what);

// rumpclient_init(); on failure prints "<prog>: <what>: <host error text>"
// (librumpclient has already said why, naming RUMP_SERVER) and exits 1.
void InitClient(const std::string& what);

// --- sysctl

// The children of the node at `mib` (CTL_QUERY), sorted by number as libc
// sorts them. 0 or a NetBSD errno.
int QueryChildren(const std::vector<int>& mib, std::vector<abi::SysctlNode>* out);

// Resolves a dotted (or '/'-separated) name as sysctlgetmibinfo does.
// On success fills `mib`, `node` (the node record) and `canonical` (the
// names joined with '.'). On failure returns a NetBSD errno and sets
// `level` (0-based index of the component that failed) and `bad` (that
// component's text).
struct MibInfo {
  std::vector<int> mib;
  abi::SysctlNode node{};
  std::string canonical;
  size_t level = 0;
  std::string bad;
};
int ResolveName(const std::string& name, MibInfo* info);

// __sysctl with the NetBSD errno returned (0 on success).
int Sysctl(const std::vector<int>& mib, void* oldp, size_t* oldlenp, const void* newp,
           size_t newlen);

uint32_t NodeType(const abi::SysctlNode& n);

// --- interfaces

// The kernel's interfaces as (index, name), in NET_RT_IFLIST order: what
// if_nametoindex(3) and if_indextoname(3) consult. 0 or a NetBSD errno.
struct InterfaceIndex {
  int index = 0;
  std::string name;
};
int InterfaceIndexes(std::vector<InterfaceIndex>* out);

}  // namespace rump::tools

#endif  // RUMP_CMD_TOOLS_COMMON_H_
