#include "rump/kern/kern_sysctl.h"

#include <sys/random.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "rump/abi/errno.h"
#include "rump/abi/resource.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/process.h"

namespace rump {
namespace {

// The writable values, one set per tree.
struct KernValues {
  std::mutex mu;
  std::string hostname;
  std::string domainname;
};

std::string IntBytes(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

void RandomBytes(void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t got = getrandom(p, n, 0);
    if (got <= 0) break;
    p += got;
    n -= size_t(got);
  }
  if (n > 0) {  // getrandom unavailable: still random enough for a sysctl
    static thread_local std::random_device rd;
    for (; n > 0; --n) *p++ = static_cast<char>(rd());
  }
}

SysctlLeaf ConstString(std::string value, std::string description) {
  SysctlLeaf leaf;
  leaf.type = SysctlType::kString;
  leaf.description = std::move(description);
  leaf.read = [v = std::move(value)] { return v; };
  return leaf;
}

SysctlLeaf ConstInt(int32_t value, std::string description, bool immediate) {
  SysctlLeaf leaf;
  leaf.type = SysctlType::kInt;
  leaf.description = std::move(description);
  leaf.read = [value] { return IntBytes(value); };
  if (immediate) leaf.flags |= abi::kCtlFlagImmediate;
  return leaf;
}

SysctlLeaf NameString(std::shared_ptr<KernValues> values, std::string KernValues::*field,
                      std::string description) {
  SysctlLeaf leaf;
  leaf.type = SysctlType::kString;
  leaf.writable = true;
  leaf.size = abi::kMaxHostNameLen;
  leaf.description = std::move(description);
  leaf.read = [values, field] {
    std::lock_guard<std::mutex> lock(values->mu);
    return (*values).*field;
  };
  leaf.write = [values, field](absl::string_view v) {
    std::lock_guard<std::mutex> lock(values->mu);
    (*values).*field = std::string(v);
    return absl::OkStatus();
  };
  return leaf;
}

// proc.curproc: the calling process's core file name, limits and stop
// flags, as NetBSD's sysctl_proc_setup makes them (every leaf
// CTLFLAG_ANYWRITE: a process may change its own; the limits' own rules
// decide what).
absl::Status AddCurprocNodes(SysctlTree& tree) {
  const int proc[] = {abi::kCtlProc};
  absl::StatusOr<int> n =
      tree.AddNode(proc, abi::kProcCurproc, "curproc", "Per-process settings");
  if (!n.ok()) return n.status();
  const int curproc[] = {abi::kCtlProc, abi::kProcCurproc};
  const uint32_t rw = abi::kCtlFlagPermanent | abi::kCtlFlagAnyWrite;

  SysctlLeaf corename;
  corename.type = SysctlType::kString;
  corename.writable = true;
  corename.flags = rw;
  corename.size = 1024;  // MAXPATHLEN
  corename.description = "Core file name";
  corename.read_process = [](Process& p) { return p.limits().corename(); };
  corename.write_process = [](Process& p, absl::string_view v) {
    return p.SetCorename(std::string(v));
  };
  n = tree.AddLeaf(curproc, abi::kProcPidCorename, "corename", std::move(corename));
  if (!n.ok()) return n.status();

  n = tree.AddNode(curproc, abi::kProcPidLimit, "rlimit", "Process limits");
  if (!n.ok()) return n.status();
  static constexpr const char* kLimitNames[abi::kRlimNlimits] = {
      "cputime",      "filesize",  "datasize",    "stacksize", "coredumpsize", "memoryuse",
      "memorylocked", "maxproc",   "descriptors", "sbsize",    "vmemoryuse",   "maxlwp"};
  for (int which = 0; which < abi::kRlimNlimits; ++which) {
    const std::string name = kLimitNames[which];
    const int rlimit[] = {abi::kCtlProc, abi::kProcCurproc, abi::kProcPidLimit};
    n = tree.AddNode(rlimit, which + 1, name, "Process " + name + " limits");
    if (!n.ok()) return n.status();
    const int limit[] = {abi::kCtlProc, abi::kProcCurproc, abi::kProcPidLimit, which + 1};
    for (const bool hard : {false, true}) {
      SysctlLeaf leaf;
      leaf.type = SysctlType::kQuad;
      leaf.writable = true;
      leaf.flags = rw;
      leaf.description =
          absl::StrFormat("Process %s %s limit", hard ? "hard" : "soft", name);
      leaf.read_process = [which, hard](Process& p) {
        const abi::Rlimit l = *p.limits().Get(which);
        const uint64_t v = hard ? l.rlim_max : l.rlim_cur;
        return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
      };
      leaf.write_process = [which, hard](Process& p, absl::string_view v) {
        abi::Rlimit l = *p.limits().Get(which);
        std::memcpy(hard ? &l.rlim_max : &l.rlim_cur, v.data(), sizeof(uint64_t));
        return p.SetLimit(which, l, p.credentials().euid == 0);
      };
      n = tree.AddLeaf(limit, hard ? abi::kProcPidLimitTypeHard : abi::kProcPidLimitTypeSoft,
                       hard ? "hard" : "soft", std::move(leaf));
      if (!n.ok()) return n.status();
    }
  }

  struct Stop {
    int num;
    const char* name;
    const char* description;
  };
  for (const Stop& stop : {Stop{abi::kProcPidStopfork, "stopfork", "Stop process at fork(2)"},
                           Stop{abi::kProcPidStopexec, "stopexec", "Stop process at execve(2)"},
                           Stop{abi::kProcPidStopexit, "stopexit",
                                "Stop process before completing exit"}}) {
    SysctlLeaf leaf;
    leaf.type = SysctlType::kInt;
    leaf.writable = true;
    leaf.flags = rw;
    leaf.description = stop.description;
    const int num = stop.num;
    leaf.read_process = [num](Process& p) { return IntBytes(p.stop_flag(num) ? 1 : 0); };
    leaf.write_process = [num](Process& p, absl::string_view v) {
      int32_t on;
      std::memcpy(&on, v.data(), sizeof(on));
      p.set_stop_flag(num, on != 0);
      return absl::OkStatus();
    };
    n = tree.AddLeaf(curproc, stop.num, stop.name, std::move(leaf));
    if (!n.ok()) return n.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AddKernelSysctlNodes(SysctlTree& tree, const KernelSysctlInfo& info) {
  auto values = std::make_shared<KernValues>();
  values->hostname = info.default_hostname.substr(0, abi::kMaxHostNameLen - 1);

  const int kern[] = {abi::kCtlKern};
  const int hw[] = {abi::kCtlHw};
  struct Entry {
    const int* parent;
    int num;
    const char* name;
    SysctlLeaf leaf;
  };
  std::vector<Entry> entries;
  auto add = [&](const int* parent, int num, const char* name, SysctlLeaf leaf) {
    entries.push_back(Entry{parent, num, name, std::move(leaf)});
  };

  add(kern, abi::kKernOstype, "ostype", ConstString(kSysctlOsType, "Operating system type"));
  add(kern, abi::kKernOsrelease, "osrelease",
      ConstString(kSysctlOsRelease, "Operating system release"));
  add(kern, abi::kKernOsrev, "osrevision",
      ConstInt(kSysctlOsRevision, "Operating system revision", /*immediate=*/true));
  add(kern, abi::kKernVersion, "version",
      ConstString(absl::StrFormat("NetBSD %s (RUMP-ROAST) #0: rump kernel in C++ "
                                  "(NetBSD ABI, Linux host)\n",
                                  kSysctlOsRelease),
                  "Kernel version"));
  add(kern, abi::kKernHostname, "hostname",
      NameString(values, &KernValues::hostname, "System hostname"));
  add(kern, abi::kKernDomainname, "domainname",
      NameString(values, &KernValues::domainname, "YP domain name"));
  add(kern, abi::kKernRawpartition, "rawpartition",
      ConstInt(3, "Raw partition of a disk", /*immediate=*/true));
  add(kern, abi::kKernMsgbufsize, "msgbufsize",
      ConstInt(info.msgbufsize, "Size of the kernel message buffer", /*immediate=*/false));
  {
    // Both registered by NetBSD with a sysctl log, so not CTLFLAG_PERMANENT.
    SysctlLeaf urandom;
    urandom.type = SysctlType::kInt;
    urandom.flags = 0;
    urandom.description = "Random integer value";
    urandom.read = [] {
      int32_t v;
      RandomBytes(&v, sizeof(v));
      return IntBytes(v);
    };
    add(kern, abi::kKernUrnd, "urandom", std::move(urandom));

    SysctlLeaf arandom;
    arandom.type = SysctlType::kInt;
    arandom.flags = 0;
    arandom.description = "n bytes of random data";
    arandom.read_sized = [](size_t oldlen) -> absl::StatusOr<std::string> {
      if (oldlen > 256) return abi::Errno(abi::kE2BIG);
      std::string v(oldlen, '\0');
      RandomBytes(v.data(), v.size());
      return v;
    };
    add(kern, abi::kKernArnd, "arandom", std::move(arandom));
  }

  add(hw, abi::kHwModel, "model", ConstString(kSysctlHwModel, "Machine model"));
  add(hw, abi::kHwMachine, "machine", ConstString(kSysctlHwMachine, "Machine class"));
  add(hw, abi::kHwMachineArch, "machine_arch",
      ConstString(kSysctlHwMachineArch, "Machine CPU class"));
  add(hw, abi::kHwNcpu, "ncpu",
      ConstInt(info.ncpu, "Number of CPUs configured", /*immediate=*/false));
  add(hw, abi::kHwByteorder, "byteorder", ConstInt(1234, "System byte order", /*immediate=*/true));
  add(hw, abi::kHwPagesize, "pagesize",
      ConstInt(kSysctlPageSize, "Software page size", /*immediate=*/true));
  add(hw, abi::kHwAlignbytes, "alignbytes",
      ConstInt(7, "Alignment constraint for all possible data types", /*immediate=*/true));
  add(hw, abi::kHwPhysmem, "physmem",
      ConstInt(int32_t(std::min<uint64_t>(info.physmem, INT32_MAX)), "Bytes of physical memory",
               /*immediate=*/false));
  {
    SysctlLeaf physmem64;
    physmem64.type = SysctlType::kQuad;
    physmem64.description = "Bytes of physical memory";
    const uint64_t v = info.physmem;
    physmem64.read = [v] { return std::string(reinterpret_cast<const char*>(&v), sizeof(v)); };
    add(hw, abi::kHwPhysmem64, "physmem64", std::move(physmem64));
  }
  add(hw, abi::kHwNcpuonline, "ncpuonline",
      ConstInt(info.ncpu, "Number of CPUs online", /*immediate=*/false));

  for (Entry& e : entries) {
    absl::StatusOr<int> n =
        tree.AddLeaf(absl::MakeConstSpan(e.parent, 1), e.num, e.name, std::move(e.leaf));
    if (!n.ok()) return n.status();
  }
  return AddCurprocNodes(tree);
}

}  // namespace rump
