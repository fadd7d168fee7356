// kern.proc2 and kern.file2: the kernel's processes and open descriptors as
// NetBSD 7.99.34 lists them (struct kinfo_proc2, struct kinfo_file;
// rump/abi/kinfo.h), what ps, fstat and sockstat read.
//
// Both take the four MIB components {op, arg, elem_size, elem_count}
// after their node (EINVAL for any other number) and answer as NetBSD's
// sysctl_doeproc and sysctl_kern_file2 do:
//
//   kern.proc2 (1.47, a node)   op KERN_PROC_ALL, _PID, _UID, _RUID, _GID,
//       _RGID (arg the id), _PGRP, _SESSION (our processes have group and
//       session 0), _TTY (none has a terminal: only arg NODEV matches);
//       another op is EINVAL. One record per matching process by
//       increasing pid, while the buffer has room for elem_size bytes and
//       elem_count (unsigned) is not used up. A size query reports
//       (matches + 5) * elem_size. A read sets *oldlenp to the bytes
//       written and fails with ENOMEM if any match did not fit.
//   kern.file2 (1.77, a struct)  EINVAL for elem_size < 1 or elem_count
//       < 0. op KERN_FILE_BYPID: one record per open descriptor of every
//       process (arg 0 or -1) or of process arg (> 0; < -1 is EINVAL),
//       with ki_pid, ki_fd and ki_ofileflags (close-on-exec); op
//       KERN_FILE_BYFILE (arg must be 0): each open file once, without
//       process information; another op is EINVAL. Records are copied
//       while the buffer has room for elem_size bytes and elem_count lasts
//       (INT_MAX: no limit); *oldlenp is every record's elem_size (plus 10
//       records for a size query), so a short buffer ends in ENOMEM.
//
// Each record is min(record size, elem_size) bytes of the structure at a
// stride of elem_size; where NetBSD leaves the bytes between records
// untouched we write zeros. Unlike NetBSD, an elem_size above 4096 is
// EINVAL (nothing asks for more; this bounds what a request can make us
// allocate). The file records carry File::id() as ki_fileaddr and
// Describe()'s kind and data id as ki_ftype and ki_fdata (a socket's
// ki_fdata is the ki_sockaddr of its PCB record), the descriptor count as
// ki_count and the owning process's effective ids as ki_fuid / ki_fgid.
// The process records carry pid, parent, ids, the command name (16
// characters at most), one thread, state "active", no terminal and
// emulation "netbsd"; everything else is zero.
#ifndef RUMP_KERN_KINFO_SYSCTL_H_
#define RUMP_KERN_KINFO_SYSCTL_H_

#include "absl/status/status.h"
#include "rump/kern/sysctl.h"

namespace rump {

class Kernel;

// Adds kern.proc2 and kern.file2 to `tree`, reading `kernel`'s processes
// (which must outlive the tree's use).
absl::Status AddKinfoSysctlNodes(SysctlTree& tree, Kernel& kernel);

}  // namespace rump

#endif  // RUMP_KERN_KINFO_SYSCTL_H_
