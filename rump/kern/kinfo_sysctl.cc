#include "rump/kern/kinfo_sysctl.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/kernel.h"

namespace rump {
namespace {

using abi::Errno;

// Records beyond this stride are refused (see the header).
constexpr size_t kMaxStride = 4096;
// What a kern.proc2 size query adds, in records.
constexpr size_t kProcSlopRecords = 5;
// The command name's length in a record (MAXCOMLEN).
constexpr size_t kMaxComLen = 16;

// Gathers records as NetBSD's list handlers copy them out: each one takes
// `stride` bytes of the caller's buffer, of which the first
// min(record size, stride) are the record's.
class RecordWriter {
 public:
  RecordWriter(size_t buflen, size_t stride) : left_(buflen), stride_(stride) {}

  bool HasRoom() const { return left_ >= stride_; }
  void Append(const void* record, size_t size) {
    const size_t off = data_.size();
    data_.resize(off + stride_, '\0');
    std::memcpy(&data_[off], record, std::min(size, stride_));
    left_ -= stride_;
  }
  std::string Take() { return std::move(data_); }
  size_t written() const { return data_.size(); }

 private:
  size_t left_;
  const size_t stride_;
  std::string data_;
};

// --- kern.proc2

bool ProcMatches(const Process& p, int op, int arg) {
  const Credentials c = p.credentials();
  switch (op) {
    case abi::kKernProcAll:
      return true;
    case abi::kKernProcPid:
      return p.pid() == arg;
    case abi::kKernProcPgrp:
    case abi::kKernProcSession:
      return arg == 0;
    case abi::kKernProcTty:
      return arg == abi::kKernProcTtyNodev;
    case abi::kKernProcUid:
      return c.euid == uint32_t(arg);
    case abi::kKernProcRuid:
      return c.uid == uint32_t(arg);
    case abi::kKernProcGid:
      return c.egid == uint32_t(arg);
    case abi::kKernProcRgid:
      return c.gid == uint32_t(arg);
    default:
      return false;
  }
}

bool KnownProcOp(int op) { return op >= abi::kKernProcAll && op <= abi::kKernProcRgid; }

abi::KinfoProc2 ProcRecord(const Process& p) {
  abi::KinfoProc2 k;
  std::memset(&k, 0, sizeof(k));
  const Credentials c = p.credentials();
  k.pid = p.pid();
  k.ppid = p.ppid();
  k.uid = c.euid;
  k.ruid = c.uid;
  k.gid = c.egid;
  k.rgid = c.gid;
  k.svuid = c.euid;
  k.svgid = c.egid;
  k.ngroups = int16_t(c.ngroups);
  std::copy(c.groups.begin(), c.groups.begin() + c.ngroups, k.groups);
  k.tdev = abi::kNoDev;
  k.stat = abi::kLSSLEEP;
  k.realstat = uint64_t(abi::kSACTIVE);
  k.nlwps = 1;
  const std::string comm = p.comm();
  std::memcpy(k.comm, comm.data(), std::min(comm.size(), kMaxComLen));
  std::memcpy(k.ename, "netbsd", 6);
  return k;
}

absl::StatusOr<SysctlReply> Proc2(Kernel& kernel, const SysctlRequest& req) {
  if (req.rest.size() != 4) return Errno(abi::kEINVAL);
  const int op = req.rest[0], arg = req.rest[1];
  const size_t stride = uint32_t(req.rest[2]);
  uint32_t count = uint32_t(req.rest[3]);
  if (!KnownProcOp(op) || stride > kMaxStride) return Errno(abi::kEINVAL);
  RecordWriter out(req.size_query ? 0 : req.oldlen, stride);
  size_t needed = 0;
  for (const std::shared_ptr<Process>& p : kernel.Processes()) {
    if (!ProcMatches(*p, op, arg)) continue;
    if (out.HasRoom() && count > 0) {
      const abi::KinfoProc2 k = ProcRecord(*p);
      out.Append(&k, sizeof(k));
      --count;
    }
    needed += stride;
  }
  if (req.size_query) return SysctlReply(std::string(), needed + kProcSlopRecords * stride);
  const size_t written = out.written();
  SysctlReply reply(out.Take());
  if (needed > written) reply.error = Errno(abi::kENOMEM);
  return reply;
}

// --- kern.file2

uint32_t FileTypeNumber(FileKind kind) {
  switch (kind) {
    case FileKind::kSocket:
      return abi::kDTYPE_SOCKET;
    case FileKind::kPipe:
      return abi::kDTYPE_PIPE;
    case FileKind::kMisc:
      break;
  }
  return abi::kDTYPE_MISC;
}

abi::KinfoFile FileRecord(const FdTable::Entry& e, const Credentials& owner) {
  abi::KinfoFile k;
  std::memset(&k, 0, sizeof(k));
  const FileDescription d = e.file->Describe();
  const int flags = e.file->flags();
  k.fileaddr = e.file->id();
  // FFLAGS: the access mode plus one gives FREAD / FWRITE.
  k.flag = uint32_t((flags & ~abi::kO_ACCMODE) | (((flags & abi::kO_ACCMODE) + 1) & 3));
  k.ftype = FileTypeNumber(d.kind);
  k.count = uint32_t(e.descriptors);
  k.fuid = owner.euid;
  k.fgid = owner.egid;
  k.fdata = d.data_id;
  return k;
}

absl::StatusOr<SysctlReply> File2(Kernel& kernel, const SysctlRequest& req) {
  if (req.rest.size() != 4) return Errno(abi::kEINVAL);
  const int op = req.rest[0], arg = req.rest[1];
  const int elem_size = req.rest[2];
  int count = req.rest[3];
  if (elem_size < 1 || count < 0) return Errno(abi::kEINVAL);
  const size_t stride = size_t(elem_size);
  if (stride > kMaxStride) return Errno(abi::kEINVAL);
  if (op == abi::kKernFileByFile && arg != 0) return Errno(abi::kEINVAL);
  if (op == abi::kKernFileByPid && arg < -1) return Errno(abi::kEINVAL);
  if (op != abi::kKernFileByFile && op != abi::kKernFileByPid) return Errno(abi::kEINVAL);

  RecordWriter out(req.size_query ? 0 : req.oldlen, stride);
  size_t needed = 0;
  auto offer = [&](const abi::KinfoFile& k) {
    if (out.HasRoom() && count > 0) out.Append(&k, sizeof(k));
    needed += stride;
    if (count > 0 && count != INT_MAX) --count;
  };
  std::map<const File*, bool> seen;  // BYFILE: each file once
  for (const std::shared_ptr<Process>& p : kernel.Processes()) {
    if (op == abi::kKernFileByPid && arg > 0 && p->pid() != arg) continue;
    const Credentials owner = p->credentials();
    for (const FdTable::Entry& e : p->fds().Entries()) {
      if (op == abi::kKernFileByFile) {
        if (!seen.emplace(e.file.get(), true).second) continue;
        offer(FileRecord(e, owner));
        continue;
      }
      abi::KinfoFile k = FileRecord(e, owner);
      k.pid = uint32_t(p->pid());
      k.fd = e.fd;
      k.ofileflags = e.cloexec ? 1 : 0;
      offer(k);
    }
  }
  if (req.size_query) needed += size_t(abi::kKernFileSlop) * stride;
  return SysctlReply(out.Take(), needed);
}

}  // namespace

absl::Status AddKinfoSysctlNodes(SysctlTree& tree, Kernel& kernel) {
  const int kern[] = {abi::kCtlKern};
  absl::StatusOr<int> n = tree.AddRequestHandler(
      kern, abi::kKernProc2, "proc2",
      [&kernel](SyscallContext&, const SysctlRequest& req) { return Proc2(kernel, req); },
      "Machine-independent process information", SysctlType::kNode);
  if (!n.ok()) return n.status();
  n = tree.AddRequestHandler(
      kern, abi::kKernFile2, "file2",
      [&kernel](SyscallContext&, const SysctlRequest& req) { return File2(kernel, req); },
      "System open file table", SysctlType::kStruct);
  return n.status();
}

}  // namespace rump
