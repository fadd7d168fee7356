// NetBSD sysctl(3) numbers and layouts (sys/sys/sysctl.h, sys/netinet/in.h;
// NetBSD 7.99.34, amd64): the MIB numbers of the nodes this kernel has, the
// node types and flags, the meta-operations, and the byte layouts of
// struct sysctlnode (96 bytes) and struct sysctldesc that CTL_QUERY and
// CTL_DESCRIBE copy out.
#ifndef RUMP_ABI_SYSCTL_H_
#define RUMP_ABI_SYSCTL_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- limits
inline constexpr int kCtlMaxName = 12;       // CTL_MAXNAME: most MIB components
inline constexpr int kSysctlNameLen = 32;    // SYSCTL_NAMELEN, NUL included
inline constexpr int kCreateBase = 1024;     // CREATE_BASE: dynamic numbers are > this
inline constexpr int kSysctlDefSize = 8;     // SYSCTL_DEFSIZE: first child array size
inline constexpr int kMaxHostNameLen = 256;  // MAXHOSTNAMELEN (kern.hostname size)
inline constexpr int kMaxDescLen = 1024;     // MAXDESCLEN (kern_sysctl.c)

// --- the version in the top byte of sysctl_flags
inline constexpr uint32_t kSysctlVersMask = 0xff000000;
inline constexpr uint32_t kSysctlVers0 = 0x00000000;
inline constexpr uint32_t kSysctlVers1 = 0x01000000;
inline constexpr uint32_t kSysctlVersion = kSysctlVers1;
inline constexpr uint32_t kSysctlTypeMask = 0x0000000f;
inline constexpr uint32_t kSysctlFlagMask = 0x00fffff0;
constexpr uint32_t SysctlType(uint32_t flags) { return flags & kSysctlTypeMask; }
constexpr uint32_t SysctlFlags(uint32_t flags) { return flags & kSysctlFlagMask; }
constexpr uint32_t SysctlVers(uint32_t flags) { return flags & kSysctlVersMask; }

// --- node types (CTLTYPE_*)
inline constexpr uint32_t kCtlTypeNode = 1;
inline constexpr uint32_t kCtlTypeInt = 2;
inline constexpr uint32_t kCtlTypeString = 3;
inline constexpr uint32_t kCtlTypeQuad = 4;
inline constexpr uint32_t kCtlTypeStruct = 5;
inline constexpr uint32_t kCtlTypeBool = 6;

// --- node flags (CTLFLAG_*)
inline constexpr uint32_t kCtlFlagReadOnly = 0x00000000;
inline constexpr uint32_t kCtlFlagReadOnly1 = 0x00000010;
inline constexpr uint32_t kCtlFlagReadOnly2 = 0x00000020;
inline constexpr uint32_t kCtlFlagReadWrite = 0x00000070;
inline constexpr uint32_t kCtlFlagAnyWrite = 0x00000080;
inline constexpr uint32_t kCtlFlagPrivate = 0x00000100;
inline constexpr uint32_t kCtlFlagPermanent = 0x00000200;
inline constexpr uint32_t kCtlFlagOwnData = 0x00000400;
inline constexpr uint32_t kCtlFlagImmediate = 0x00000800;
inline constexpr uint32_t kCtlFlagHex = 0x00001000;
inline constexpr uint32_t kCtlFlagRoot = 0x00002000;
inline constexpr uint32_t kCtlFlagAnyNumber = 0x00004000;
inline constexpr uint32_t kCtlFlagHidden = 0x00008000;
inline constexpr uint32_t kCtlFlagAlias = 0x00010000;
inline constexpr uint32_t kCtlFlagMmap = 0x00020000;
inline constexpr uint32_t kCtlFlagOwnDesc = 0x00040000;
inline constexpr uint32_t kCtlFlagUnsigned = 0x00080000;

// --- meta-operations: negative MIB components
inline constexpr int kCtlEol = -1;        // CTL_EOL (kernel-internal list end)
inline constexpr int kCtlQuery = -2;      // list the children of a node
inline constexpr int kCtlCreate = -3;     // create a node
inline constexpr int kCtlCreateSym = -4;  // create with a kernel symbol
inline constexpr int kCtlDestroy = -5;    // destroy a node
inline constexpr int kCtlMmap = -6;       // mmap request
inline constexpr int kCtlDescribe = -7;   // fetch descriptions

// --- top level (CTL_*)
inline constexpr int kCtlUnspec = 0;
inline constexpr int kCtlKern = 1;
inline constexpr int kCtlVm = 2;
inline constexpr int kCtlVfs = 3;
inline constexpr int kCtlNet = 4;
inline constexpr int kCtlDebug = 5;
inline constexpr int kCtlHw = 6;
inline constexpr int kCtlMachdep = 7;
inline constexpr int kCtlUser = 8;  // answered by libc, not by the kernel
inline constexpr int kCtlDdb = 9;
inline constexpr int kCtlProc = 10;
inline constexpr int kCtlVendor = 11;
inline constexpr int kCtlEmul = 12;
inline constexpr int kCtlSecurity = 13;
inline constexpr int kCtlMaxId = 14;

// --- proc.* (PROC_*): proc.curproc is the calling process.
inline constexpr int kProcCurproc = 0x7fffffff;  // ~(1u << 31)
inline constexpr int kProcPidCorename = 1;
inline constexpr int kProcPidLimit = 2;  // rlimit.<RLIMIT_* + 1>.{soft 1, hard 2}
inline constexpr int kProcPidStopfork = 3;
inline constexpr int kProcPidStopexec = 4;
inline constexpr int kProcPidStopexit = 5;
inline constexpr int kProcPidLimitTypeSoft = 1;
inline constexpr int kProcPidLimitTypeHard = 2;

// --- kern.* (KERN_*)
inline constexpr int kKernOstype = 1;
inline constexpr int kKernOsrelease = 2;
inline constexpr int kKernOsrev = 3;
inline constexpr int kKernVersion = 4;
inline constexpr int kKernMaxvnodes = 5;
inline constexpr int kKernMaxproc = 6;
inline constexpr int kKernMaxfiles = 7;
inline constexpr int kKernArgmax = 8;
inline constexpr int kKernSecurelvl = 9;
inline constexpr int kKernHostname = 10;
inline constexpr int kKernHostid = 11;
inline constexpr int kKernClockrate = 12;
inline constexpr int kKernDomainname = 22;
inline constexpr int kKernMaxpartitions = 23;
inline constexpr int kKernRawpartition = 24;
inline constexpr int kKernMsgbufsize = 31;
inline constexpr int kKernIovMax = 38;
inline constexpr int kKernMbuf = 39;
inline constexpr int kKernSbmax = 58;
inline constexpr int kKernUrnd = 61;  // kern.urandom: a fresh random int
inline constexpr int kKernArnd = 81;  // kern.arandom: oldlen (<= 256) random bytes

// --- hw.* (HW_*)
inline constexpr int kHwMachine = 1;
inline constexpr int kHwModel = 2;
inline constexpr int kHwNcpu = 3;
inline constexpr int kHwByteorder = 4;
inline constexpr int kHwPhysmem = 5;
inline constexpr int kHwUsermem = 6;
inline constexpr int kHwPagesize = 7;
inline constexpr int kHwDisknames = 8;
inline constexpr int kHwIostats = 9;
inline constexpr int kHwMachineArch = 10;
inline constexpr int kHwAlignbytes = 11;
inline constexpr int kHwCnmagic = 12;
inline constexpr int kHwPhysmem64 = 13;
inline constexpr int kHwUsermem64 = 14;
inline constexpr int kHwIostatnames = 15;
inline constexpr int kHwNcpuonline = 16;

// --- net.inet.ip.* (IPCTL_*, sys/netinet/in.h)
inline constexpr int kIpctlForwarding = 1;
inline constexpr int kIpctlSendredirects = 2;
inline constexpr int kIpctlDefttl = 3;
inline constexpr int kIpctlDefmtu = 4;
inline constexpr int kIpctlForwsrcrt = 5;
inline constexpr int kIpctlDirectedbcast = 6;
inline constexpr int kIpctlAllowsrcrt = 7;
inline constexpr int kIpctlSubnetsarelocal = 8;
inline constexpr int kIpctlMtudisc = 9;
inline constexpr int kIpctlAnonportmin = 10;
inline constexpr int kIpctlAnonportmax = 11;
inline constexpr int kIpctlMtudisctimeout = 12;
inline constexpr int kIpctlMaxflows = 13;
inline constexpr int kIpctlHostzerobroadcast = 14;
inline constexpr int kIpctlGifTtl = 15;
inline constexpr int kIpctlLowportmin = 16;
inline constexpr int kIpctlLowportmax = 17;
inline constexpr int kIpctlMaxfragpackets = 18;
inline constexpr int kIpctlGreTtl = 19;
inline constexpr int kIpctlCheckinterface = 20;
inline constexpr int kIpctlIfq = 21;
inline constexpr int kIpctlRandomid = 22;
inline constexpr int kIpctlLoopbackcksum = 23;
inline constexpr int kIpctlStats = 24;
inline constexpr int kIpctlDadCount = 25;

// --- struct sysctlnode (SYSCTL_VERSION 1; 96 bytes on LP64), by offset.
inline constexpr size_t kSysctlNodeSize = 96;
inline constexpr size_t kSysctlNodeFlagsOff = 0;  // u32: type | flags | version
inline constexpr size_t kSysctlNodeNumOff = 4;    // i32
inline constexpr size_t kSysctlNodeNameOff = 8;   // char[32], NUL-terminated
inline constexpr size_t kSysctlNodeVerOff = 40;   // u32
inline constexpr size_t kSysctlNodeRsvdOff = 44;  // u32
// sysctl_un (16 bytes at 48): nodes
inline constexpr size_t kSysctlNodeCsizeOff = 48;  // u32: child array size
inline constexpr size_t kSysctlNodeClenOff = 52;   // u32: number of children
inline constexpr size_t kSysctlNodeChildOff = 56;  // pointer
// sysctl_un: data leaves
inline constexpr size_t kSysctlNodeDataOff = 48;    // pointer
inline constexpr size_t kSysctlNodeOffsetOff = 56;  // 8 bytes
// sysctl_un: immediates (CTLFLAG_IMMEDIATE) and aliases
inline constexpr size_t kSysctlNodeIdataOff = 48;   // i32
inline constexpr size_t kSysctlNodeQdataOff = 48;   // u64
inline constexpr size_t kSysctlNodeBdataOff = 48;   // bool (1 byte)
inline constexpr size_t kSysctlNodeAliasOff = 48;   // i32
inline constexpr size_t kSysctlNodeSizeOff = 64;    // size_t: sysctl_size
inline constexpr size_t kSysctlNodeFuncOff = 72;    // kernel pointer
inline constexpr size_t kSysctlNodeParentOff = 80;  // kernel pointer
inline constexpr size_t kSysctlNodeDescOff = 88;    // pointer

// The same layout as a struct (host is amd64 too: natural alignment gives
// exactly NetBSD's offsets, checked below). The union is kept as raw bytes.
struct SysctlNode {
  uint32_t flags;
  int32_t num;
  char name[kSysctlNameLen];
  uint32_t ver;
  uint32_t rsvd;
  unsigned char un[16];
  uint64_t size;
  uint64_t func;
  uint64_t parent;
  uint64_t desc;
};
static_assert(sizeof(SysctlNode) == kSysctlNodeSize);
static_assert(offsetof(SysctlNode, ver) == kSysctlNodeVerOff);
static_assert(offsetof(SysctlNode, un) == kSysctlNodeCsizeOff);
static_assert(offsetof(SysctlNode, size) == kSysctlNodeSizeOff);
static_assert(offsetof(SysctlNode, desc) == kSysctlNodeDescOff);

// --- struct sysctldesc: a 12-byte header, then the NUL-terminated string;
// records are packed, each 12 + roundup(descr_len, 4) bytes long.
inline constexpr size_t kSysctlDescNumOff = 0;   // i32
inline constexpr size_t kSysctlDescVerOff = 4;   // u32
inline constexpr size_t kSysctlDescLenOff = 8;   // u32: string length incl. NUL
inline constexpr size_t kSysctlDescStrOff = 12;  // char[]
constexpr size_t SysctlDescRecordSize(uint32_t descr_len) {
  return kSysctlDescStrOff + (((descr_len - 1) | 3u) + 1);
}
static_assert(SysctlDescRecordSize(1) == 16 && SysctlDescRecordSize(4) == 16 &&
              SysctlDescRecordSize(5) == 20);

}  // namespace rump::abi

#endif  // RUMP_ABI_SYSCTL_H_
