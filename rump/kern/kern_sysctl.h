// The kernel's own sysctl nodes: kern.*, hw.* and proc.curproc.* as a
// NetBSD 7.99.34 rump kernel has them (sys/kern/init_sysctl_base.c, sys/kern/subr_cprng.c).
// The network component adds net.*; vfs stays empty, as in a rump kernel
// without the file-system faction (so vfs.generic.* does not exist).
// kern.proc2 and kern.file2 are kinfo_sysctl.h's.
#ifndef RUMP_KERN_KERN_SYSCTL_H_
#define RUMP_KERN_KERN_SYSCTL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "rump/kern/sysctl.h"

namespace rump {

struct KernelSysctlInfo {
  // kern.hostname at boot (NetBSD's rump default is "rump-<pid>.<host>").
  std::string default_hostname;
  // hw.ncpu and hw.ncpuonline.
  int ncpu = 1;
  // kern.msgbufsize: how many bytes of console messages the kernel keeps.
  int msgbufsize = 0;
  // hw.physmem64 (and hw.physmem, at most INT_MAX): the host's memory.
  uint64_t physmem = 0;
};

// The values for kern.osrelease, kern.osrevision... (exposed for tests).
inline constexpr char kSysctlOsType[] = "NetBSD";
inline constexpr char kSysctlOsRelease[] = "7.99.34";
inline constexpr int kSysctlOsRevision = 799003400;  // __NetBSD_Version__
inline constexpr char kSysctlHwMachine[] = "amd64";
inline constexpr char kSysctlHwMachineArch[] = "x86_64";
inline constexpr char kSysctlHwModel[] = "rumpcore (virtual)";  // rump's cpu_getmodel()
inline constexpr int kSysctlPageSize = 4096;

// Adds the nodes to `tree`. Their values belong to this tree: two kernels in
// one process have separate host names.
//
//   kern.ostype       1.1   string "NetBSD"
//   kern.osrelease    1.2   string "7.99.34"
//   kern.osrevision   1.3   int 799003400 (immediate)
//   kern.version      1.4   string "NetBSD 7.99.34 (RUMP-ROAST) #0: ..."
//   kern.hostname     1.10  string, read-write, size 256
//   kern.domainname   1.22  string, read-write, size 256, empty at boot
//   kern.rawpartition 1.24  int 3 (immediate; RAW_PART on amd64)
//   kern.urandom      1.61  int: a new random int on every read
//   kern.arandom      1.81  int node, but a read returns oldlen random bytes
//                           (E2BIG above 256, nothing for oldlen 0)
//   hw.machine        6.1   string "amd64"
//   hw.model          6.2   string "rumpcore (virtual)"
//   hw.ncpu           6.3   int
//   hw.byteorder      6.4   int 1234 (immediate)
//   hw.pagesize       6.7   int 4096 (immediate)
//   hw.machine_arch   6.10  string "x86_64"
//   hw.alignbytes     6.11  int 7 (immediate)
//   hw.ncpuonline     6.16  int
//   proc.curproc      10.0x7fffffff  the calling process (Process), every
//                           leaf CTLFLAG_ANYWRITE:
//     .corename       .1    string, size 1024 (ResourceLimits::SetCorename)
//     .rlimit.NAME.soft/hard  .2.<RLIMIT_*+1>.1/2  quad, as setrlimit(2)
//     .stopfork/stopexec/stopexit  .3/.4/.5  int 0 or 1, kept only
absl::Status AddKernelSysctlNodes(SysctlTree& tree, const KernelSysctlInfo& info);

}  // namespace rump

#endif  // RUMP_KERN_KERN_SYSCTL_H_
