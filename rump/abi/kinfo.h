// NetBSD's sysctl records about processes, open files and protocol control
// blocks (NetBSD 7.99.34, amd64): struct kinfo_pcb (sys/sys/socket.h; what
// net.<family>.<protocol>.pcblist returns, read by netstat -a and
// sockstat), struct kinfo_file (sys/sys/sysctl.h; kern.file2, read by
// sockstat and fstat) and struct kinfo_proc2 (kern.proc2, read by ps and
// sockstat), with the numbers their requests and fields use.
//
// The three nodes take four more MIB components after their own:
// {op, arg, elem_size, elem_count}: which records (op, and its argument:
// a pid, a uid...), the caller's record size, and at most how many records
// to copy. NetBSD then copies min(record size, elem_size) bytes of each
// record elem_size bytes apart and reports the whole need in *oldlenp.
//
// Each record is laid out here as a struct with fixed-width fields: the
// host is amd64 (or another LP64 ABI with natural alignment) like NetBSD's,
// so the offsets are NetBSD's; every one is checked below. Where NetBSD puts
// kernel addresses (the PCB, the socket, the file) this kernel puts object
// ids (rump/kern/object_id.h): unique and stable, so the records join, but
// never a real address.
#ifndef RUMP_ABI_KINFO_H_
#define RUMP_ABI_KINFO_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- the kern.* nodes
inline constexpr int kKernProc2 = 47;  // KERN_PROC2: a node; struct kinfo_proc2 records
inline constexpr int kKernFile2 = 77;  // KERN_FILE2: a struct; struct kinfo_file records

// --- kern.proc2's op (KERN_PROC_*)
inline constexpr int kKernProcAll = 0;
inline constexpr int kKernProcPid = 1;
inline constexpr int kKernProcPgrp = 2;
inline constexpr int kKernProcSession = 3;
inline constexpr int kKernProcTty = 4;
inline constexpr int kKernProcUid = 5;
inline constexpr int kKernProcRuid = 6;
inline constexpr int kKernProcGid = 7;
inline constexpr int kKernProcRgid = 8;
inline constexpr int kKernProcTtyNodev = -1;  // KERN_PROC_TTY_NODEV: no controlling tty
inline constexpr uint32_t kNoDev = 0xffffffffu;  // NODEV, as kinfo_proc2's p_tdev holds it

// --- kern.file2's op (KERN_FILE_*), and the slack a size query adds
inline constexpr int kKernFileByFile = 1;  // every open file once (arg must be 0)
inline constexpr int kKernFileByPid = 2;   // per process and descriptor (arg: pid, 0 or -1 all)
inline constexpr int kKernFileSlop = 10;   // KERN_FILESLOP: records added to a size estimate

// --- descriptor types (DTYPE_*, sys/sys/file.h): kinfo_file's ki_ftype
inline constexpr uint32_t kDTYPE_VNODE = 1;
inline constexpr uint32_t kDTYPE_SOCKET = 2;
inline constexpr uint32_t kDTYPE_PIPE = 3;
inline constexpr uint32_t kDTYPE_KQUEUE = 4;
inline constexpr uint32_t kDTYPE_MISC = 5;  // the rump console is one

// --- file flags (FREAD / FWRITE, sys/sys/fcntl.h): kinfo_file's ki_flag is
// the open(2) flags with the access mode plus one (FFLAGS)
inline constexpr uint32_t kFREAD = 0x1;
inline constexpr uint32_t kFWRITE = 0x2;

// --- PCB lists: the op, and the slack a size query adds
inline constexpr int kPcbAll = 0;    // PCB_ALL, the only op (NetBSD ignores op and arg)
inline constexpr int kPcbSlop = 20;  // PCB_SLOP: records added to a size estimate

// --- socket state bits (SS_*, sys/sys/socketvar.h): kinfo_pcb's ki_sostate
inline constexpr uint32_t kSS_NOFDREF = 0x001;
inline constexpr uint32_t kSS_ISCONNECTED = 0x002;
inline constexpr uint32_t kSS_ISCONNECTING = 0x004;
inline constexpr uint32_t kSS_ISDISCONNECTING = 0x008;
inline constexpr uint32_t kSS_CANTSENDMORE = 0x010;
inline constexpr uint32_t kSS_CANTRCVMORE = 0x020;

// --- PCB states (INP_*, sys/netinet/in_pcb_hdr.h): kinfo_pcb's ki_prstate.
// The foreign address (ki_dst) is filled in only from INP_CONNECTED on.
inline constexpr uint32_t kINP_ATTACHED = 0;
inline constexpr uint32_t kINP_BOUND = 1;
inline constexpr uint32_t kINP_CONNECTED = 2;

// --- PCB flags (INP_*, sys/netinet/in_pcb.h): kinfo_pcb's ki_pflags
inline constexpr uint32_t kINP_RECVOPTS = 0x0001;
inline constexpr uint32_t kINP_RECVRETOPTS = 0x0002;
inline constexpr uint32_t kINP_RECVDSTADDR = 0x0004;
inline constexpr uint32_t kINP_HDRINCL = 0x0008;
inline constexpr uint32_t kINP_HIGHPORT = 0x0010;
inline constexpr uint32_t kINP_LOWPORT = 0x0020;
inline constexpr uint32_t kINP_ANONPORT = 0x0040;  // the kernel picked the local port
inline constexpr uint32_t kINP_RECVIF = 0x0080;
inline constexpr uint32_t kINP_RECVTTL = 0x0800;
inline constexpr uint32_t kINP_PKTINFO = 0x1000;
inline constexpr uint32_t kINP_RECVPKTINFO = 0x2000;

// --- struct kinfo_pcb (640 bytes). The two addresses are unions of a
// struct sockaddr and 264 bytes of padding: room for any family's address.
inline constexpr size_t kKinfoPcbSize = 640;
inline constexpr size_t kKinfoPcbAddrSize = 256 + 8;
struct KinfoPcb {
  uint64_t pcbaddr;   // the PCB (an object id here)
  uint64_t ppcbaddr;  // the protocol's own block (TCP's tcpcb); 0 for UDP and raw
  uint64_t sockaddr;  // the socket: kinfo_file's ki_fdata of its descriptor
  uint32_t family;    // PF_INET, ...
  uint32_t type;      // SOCK_*
  uint32_t protocol;  // the protocol of the socket's protocol switch entry
  uint32_t pflags;    // INP_* flags
  uint32_t sostate;   // SS_* bits
  uint32_t prstate;   // INP_ATTACHED / BOUND / CONNECTED
  int32_t tstate;     // TCP: TCPS_* (tcp.h); 0 for the others
  uint32_t tflags;    // TCP: TF_* flags
  uint64_t rcvq;      // bytes in the receive buffer (so_rcv.sb_cc)
  uint64_t sndq;      // bytes in the send buffer (so_snd.sb_cc)
  uint8_t src[kKinfoPcbAddrSize];  // local address (a sockaddr)
  uint8_t dst[kKinfoPcbAddrSize];  // foreign address, once connected
  uint64_t inode;     // local domain sockets: the bound vnode's number
  uint64_t vnode;     // local domain sockets: the vnode
  uint64_t conn;      // local domain sockets: the peer's PCB
  uint64_t refs;      // local domain sockets: who refers to this one
  uint64_t nextref;
};
static_assert(sizeof(KinfoPcb) == kKinfoPcbSize);
static_assert(offsetof(KinfoPcb, pcbaddr) == 0);
static_assert(offsetof(KinfoPcb, ppcbaddr) == 8);
static_assert(offsetof(KinfoPcb, sockaddr) == 16);
static_assert(offsetof(KinfoPcb, family) == 24);
static_assert(offsetof(KinfoPcb, type) == 28);
static_assert(offsetof(KinfoPcb, protocol) == 32);
static_assert(offsetof(KinfoPcb, pflags) == 36);
static_assert(offsetof(KinfoPcb, sostate) == 40);
static_assert(offsetof(KinfoPcb, prstate) == 44);
static_assert(offsetof(KinfoPcb, tstate) == 48);
static_assert(offsetof(KinfoPcb, tflags) == 52);
static_assert(offsetof(KinfoPcb, rcvq) == 56);
static_assert(offsetof(KinfoPcb, sndq) == 64);
static_assert(offsetof(KinfoPcb, src) == 72);
static_assert(offsetof(KinfoPcb, dst) == 336);
static_assert(offsetof(KinfoPcb, inode) == 600);
static_assert(offsetof(KinfoPcb, vnode) == 608);
static_assert(offsetof(KinfoPcb, conn) == 616);
static_assert(offsetof(KinfoPcb, refs) == 624);
static_assert(offsetof(KinfoPcb, nextref) == 632);

// --- struct kinfo_file (120 bytes)
inline constexpr size_t kKinfoFileSize = 120;
struct KinfoFile {
  uint64_t fileaddr;  // the open file (an object id here)
  uint32_t flag;      // FREAD | FWRITE | the status flags (O_NONBLOCK, ...)
  uint32_t iflags;    // internal flags
  uint32_t ftype;     // DTYPE_*
  uint32_t count;     // references: the descriptors that name the file
  uint32_t msgcount;  // references from messages in flight
  uint32_t usecount;  // the descriptor's users at the moment (BYPID)
  uint64_t fucred;    // the credentials (an address in NetBSD; 0 here)
  uint32_t fuid;      // their effective uid
  uint32_t fgid;      // and gid
  uint64_t fops;      // the file operations (an address; 0 here)
  uint64_t foffset;   // the file offset
  uint64_t fdata;     // what the file is: a socket's id, as kinfo_pcb's sockaddr
  uint64_t vun;       // vnodes only, as the next four
  uint64_t vsize;
  uint32_t vtype;
  uint32_t vtag;
  uint64_t vdata;
  uint32_t pid;       // BYPID: the process
  int32_t fd;         // and the descriptor
  uint32_t ofileflags;  // BYPID: 1 with close-on-exec
  uint32_t pad;
};
static_assert(sizeof(KinfoFile) == kKinfoFileSize);
static_assert(offsetof(KinfoFile, fileaddr) == 0);
static_assert(offsetof(KinfoFile, flag) == 8);
static_assert(offsetof(KinfoFile, iflags) == 12);
static_assert(offsetof(KinfoFile, ftype) == 16);
static_assert(offsetof(KinfoFile, count) == 20);
static_assert(offsetof(KinfoFile, msgcount) == 24);
static_assert(offsetof(KinfoFile, usecount) == 28);
static_assert(offsetof(KinfoFile, fucred) == 32);
static_assert(offsetof(KinfoFile, fuid) == 40);
static_assert(offsetof(KinfoFile, fgid) == 44);
static_assert(offsetof(KinfoFile, fops) == 48);
static_assert(offsetof(KinfoFile, foffset) == 56);
static_assert(offsetof(KinfoFile, fdata) == 64);
static_assert(offsetof(KinfoFile, vun) == 72);
static_assert(offsetof(KinfoFile, vsize) == 80);
static_assert(offsetof(KinfoFile, vtype) == 88);
static_assert(offsetof(KinfoFile, vtag) == 92);
static_assert(offsetof(KinfoFile, vdata) == 96);
static_assert(offsetof(KinfoFile, pid) == 104);
static_assert(offsetof(KinfoFile, fd) == 108);
static_assert(offsetof(KinfoFile, ofileflags) == 112);

// --- struct kinfo_proc2 (680 bytes). Only what this kernel fills in is
// named; the rest are reserved byte ranges (kernel addresses, scheduler and
// resource-usage counters, signal sets, times) that stay zero.
inline constexpr size_t kKinfoProc2Size = 680;
inline constexpr size_t kKiMaxComLen = 24;   // p_comm's size (16 characters are used)
inline constexpr size_t kKiMaxEmulLen = 16;  // p_ename's size
inline constexpr size_t kKiNGroups = 16;
struct KinfoProc2 {
  uint8_t addresses[104];    // 13 kernel addresses (p_forw ... p_ru)
  int32_t eflag;
  int32_t exitsig;
  int32_t flag;              // P_* flags
  int32_t pid;
  int32_t ppid;
  int32_t sid;
  int32_t pgid;
  int32_t tpgid;
  uint32_t uid;              // effective
  uint32_t ruid;
  uint32_t gid;              // effective
  uint32_t rgid;
  uint32_t groups[kKiNGroups];
  int16_t ngroups;
  int16_t jobc;
  uint32_t tdev;             // controlling terminal, NODEV for none
  uint8_t sched[136];        // CPU and tick counters, trace state, signal sets
  int8_t stat;               // S* / LS* state
  uint8_t priority;
  uint8_t usrpri;
  uint8_t nice;
  uint16_t xstat;
  uint16_t acflag;
  char comm[kKiMaxComLen];   // command name, NUL-terminated
  uint8_t wait[16];          // wait message and channel
  char login[24];
  uint8_t usage[168];        // memory sizes, times, resource usage
  uint64_t cpuid;
  uint64_t realflag;
  uint64_t nlwps;            // threads
  uint64_t nrlwps;           // running threads
  uint64_t realstat;         // S* state of the process itself
  uint32_t svuid;
  uint32_t svgid;
  char ename[kKiMaxEmulLen];  // emulation name ("netbsd")
  int64_t vm_vsize;
  int64_t vm_msize;
};
static_assert(sizeof(KinfoProc2) == kKinfoProc2Size);
static_assert(offsetof(KinfoProc2, eflag) == 104);
static_assert(offsetof(KinfoProc2, flag) == 112);
static_assert(offsetof(KinfoProc2, pid) == 116);
static_assert(offsetof(KinfoProc2, ppid) == 120);
static_assert(offsetof(KinfoProc2, sid) == 124);
static_assert(offsetof(KinfoProc2, pgid) == 128);
static_assert(offsetof(KinfoProc2, tpgid) == 132);
static_assert(offsetof(KinfoProc2, uid) == 136);
static_assert(offsetof(KinfoProc2, ruid) == 140);
static_assert(offsetof(KinfoProc2, gid) == 144);
static_assert(offsetof(KinfoProc2, rgid) == 148);
static_assert(offsetof(KinfoProc2, groups) == 152);
static_assert(offsetof(KinfoProc2, ngroups) == 216);
static_assert(offsetof(KinfoProc2, tdev) == 220);
static_assert(offsetof(KinfoProc2, stat) == 360);
static_assert(offsetof(KinfoProc2, comm) == 368);
static_assert(offsetof(KinfoProc2, login) == 408);
static_assert(offsetof(KinfoProc2, cpuid) == 600);
static_assert(offsetof(KinfoProc2, nlwps) == 616);
static_assert(offsetof(KinfoProc2, realstat) == 632);
static_assert(offsetof(KinfoProc2, svuid) == 640);
static_assert(offsetof(KinfoProc2, ename) == 648);
static_assert(offsetof(KinfoProc2, vm_vsize) == 664);
static_assert(offsetof(KinfoProc2, vm_msize) == 672);

// Process and thread states (sys/sys/proc.h, sys/sys/lwp.h) for stat and
// realstat.
inline constexpr int8_t kSACTIVE = 2;  // a live process (realstat)
inline constexpr int8_t kLSSLEEP = 3;  // its thread waits (stat; LSRUN is 2, LSONPROC 7)

}  // namespace rump::abi

#endif  // RUMP_ABI_KINFO_H_
