// sysctl as NetBSD's __sysctl(2) answers it: name lookup the way libc does
// it (CTL_QUERY walks), the 96-byte node records, sizes and partial reads,
// writes, errors, CTL_DESCRIBE, dynamic numbers, handler nodes, and values
// that belong to one kernel.
#include "rump/kern/sysctl.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/kern_sysctl.h"
#include "rump/kern/kernel.h"

namespace rump {
namespace {

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

abi::SysctlNode QueryNode() {
  abi::SysctlNode q{};
  q.flags = abi::kSysctlVersion;
  return q;
}

template <typename T>
T Get(const std::string& buf, size_t off) {
  T v;
  std::memcpy(&v, buf.data() + off, sizeof(v));
  return v;
}

int32_t Int(const std::string& bytes) { return Get<int32_t>(bytes, 0); }
std::string IntBytes(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

// This process's memory, except that the first page faults (so that tests
// can pass bad addresses without crashing).
class LowFaultMemory final : public UserMemory {
 public:
  absl::Status CopyIn(UserAddr from, void* to, size_t n) override {
    if (n && from < 4096) return abi::Errno(abi::kEFAULT);
    return DirectUserMemory::Get().CopyIn(from, to, n);
  }
  absl::Status CopyOut(const void* from, UserAddr to, size_t n) override {
    if (n && to < 4096) return abi::Errno(abi::kEFAULT);
    return DirectUserMemory::Get().CopyOut(from, to, n);
  }
  absl::StatusOr<std::string> CopyInString(UserAddr from, size_t max) override {
    if (from < 4096) return abi::Errno(abi::kEFAULT);
    return DirectUserMemory::Get().CopyInString(from, max);
  }
  absl::StatusOr<size_t> CopyOutString(const std::string& s, UserAddr to, size_t max) override {
    if (to < 4096) return abi::Errno(abi::kEFAULT);
    return DirectUserMemory::Get().CopyOutString(s, to, max);
  }
};

// Calls __sysctl through the kernel's syscall table, as a client does.
class SysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Kernel::Boot(KernelOptions{});
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = std::move(*k);
  }

  int Sysctl(const int* name, uint64_t namelen, void* oldp, size_t* oldlenp, const void* newp,
             size_t newlen, Kernel* k = nullptr) {
    const uint64_t args[6] = {P(name), namelen, P(oldp), P(oldlenp), P(newp), newlen};
    return (k ? k : kernel_.get())->Syscall(abi::kSysSysctl, args).error;
  }
  int Sysctl(const std::vector<int>& name, void* oldp, size_t* oldlenp, const void* newp = nullptr,
             size_t newlen = 0, Kernel* k = nullptr) {
    return Sysctl(name.data(), name.size(), oldp, oldlenp, newp, newlen, k);
  }

  // Reads a value the way sysctl(3) users do: size first, then the data.
  std::string Read(const std::vector<int>& name, Kernel* k = nullptr) {
    size_t len = 0;
    EXPECT_EQ(Sysctl(name, nullptr, &len, nullptr, 0, k), 0);
    std::string buf(len, '\0');
    EXPECT_EQ(Sysctl(name, buf.data(), &len, nullptr, 0, k), 0);
    buf.resize(len);
    return buf;
  }

  // The children of `mib`, as libc's __learn_tree gets them: a first try
  // with room for SYSCTL_DEFSIZE records, then again with the size the
  // kernel reported; sorted by number.
  std::vector<abi::SysctlNode> Query(std::vector<int> mib, Kernel* k = nullptr) {
    mib.push_back(abi::kCtlQuery);
    const abi::SysctlNode q = QueryNode();
    size_t sz = abi::kSysctlDefSize * sizeof(abi::SysctlNode);
    std::vector<abi::SysctlNode> nodes(abi::kSysctlDefSize);
    int e = Sysctl(mib, nodes.data(), &sz, &q, sizeof(q), k);
    while (e == abi::kENOMEM) {  // libc tries twice; nodes may come meanwhile
      nodes.resize(sz / sizeof(abi::SysctlNode));
      e = Sysctl(mib, nodes.data(), &sz, &q, sizeof(q), k);
    }
    EXPECT_EQ(e, 0);
    EXPECT_EQ(sz % sizeof(abi::SysctlNode), 0u);
    nodes.resize(e == 0 ? sz / sizeof(abi::SysctlNode) : 0);
    std::sort(nodes.begin(), nodes.end(),
              [](const auto& a, const auto& b) { return a.num < b.num; });
    return nodes;
  }

  // libc's sysctlnametomib: a CTL_QUERY walk from the root. ENOENT (as
  // libc sets errno) when a component is missing.
  int NameToMib(const std::string& dotted, std::vector<int>* mib) {
    mib->clear();
    size_t pos = 0;
    while (pos <= dotted.size()) {
      size_t dot = dotted.find('.', pos);
      if (dot == std::string::npos) dot = dotted.size();
      const std::string token = dotted.substr(pos, dot - pos);
      pos = dot + 1;
      const std::vector<abi::SysctlNode> children = Query(*mib);
      if (children.empty()) return abi::kENOENT;  // libc: no child array
      auto it = std::find_if(children.begin(), children.end(),
                             [&](const abi::SysctlNode& n) { return token == n.name; });
      if (it == children.end()) return abi::kENOENT;
      mib->push_back(it->num);
    }
    return 0;
  }

  SyscallContext Ctx() {
    return SyscallContext{*kernel_, kernel_->init(), DirectUserMemory::Get()};
  }

  // __sysctl on a given tree, with user memory whose first page faults.
  int TreeSysctl(SysctlTree& tree, const std::vector<int>& name, void* oldp, size_t* oldlenp,
                 const void* newp = nullptr, size_t newlen = 0) {
    const uint64_t args[6] = {P(name.data()), name.size(), P(oldp), P(oldlenp), P(newp), newlen};
    SyscallContext ctx{*kernel_, kernel_->init(), faulty_};
    return abi::ToErrno(tree.Syscall(ctx, SyscallArgs(args)).status());
  }

  std::unique_ptr<Kernel> kernel_;
  LowFaultMemory faulty_;
};

const abi::SysctlNode* Find(const std::vector<abi::SysctlNode>& nodes, int num) {
  for (const auto& n : nodes) {
    if (n.num == num) return &n;
  }
  return nullptr;
}

TEST_F(SysctlTest, RootHasNetBsdsThirteenTopLevelNodes) {
  const std::vector<abi::SysctlNode> top = Query({});
  const std::vector<std::pair<int, std::string>> want = {
      {1, "kern"},    {2, "vm"},      {3, "vfs"},      {4, "net"}, {5, "debug"},
      {6, "hw"},      {7, "machdep"}, {8, "user"},     {9, "ddb"}, {10, "proc"},
      {11, "vendor"}, {12, "emul"},   {13, "security"}};
  ASSERT_EQ(top.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(top[i].num, want[i].first);
    EXPECT_STREQ(top[i].name, want[i].second.c_str());
    const uint32_t flags = want[i].first == abi::kCtlVendor
                               ? 0x01000271u   // vendor is CTLFLAG_READWRITE
                               : 0x01000201u;  // VERSION | PERMANENT | NODE
    EXPECT_EQ(top[i].flags, flags) << top[i].name;
    EXPECT_EQ(top[i].size, abi::kSysctlNodeSize);
  }
  // vfs has no children: no file-system faction.
  EXPECT_EQ(Find(top, abi::kCtlVfs)->un[4], 0);
  EXPECT_TRUE(Query({abi::kCtlVfs}).empty());
}

TEST_F(SysctlTest, NamesResolveByQueryWalkAsLibcDoes) {
  std::vector<int> mib;
  ASSERT_EQ(NameToMib("kern.hostname", &mib), 0);
  EXPECT_EQ(mib, (std::vector<int>{1, 10}));
  ASSERT_EQ(NameToMib("kern.ostype", &mib), 0);
  EXPECT_EQ(mib, (std::vector<int>{1, 1}));
  ASSERT_EQ(NameToMib("hw.machine_arch", &mib), 0);
  EXPECT_EQ(mib, (std::vector<int>{6, 10}));
  ASSERT_EQ(NameToMib("hw.pagesize", &mib), 0);
  EXPECT_EQ(mib, (std::vector<int>{6, 7}));
  ASSERT_EQ(NameToMib("kern.arandom", &mib), 0);
  EXPECT_EQ(mib, (std::vector<int>{1, 81}));
  // `sysctl vfs.generic.fstypes` on a rump kernel without the VFS faction:
  // the query of vfs succeeds with no children and libc gives ENOENT
  // ("second level name 'generic' in 'vfs.generic.fstypes' is invalid").
  EXPECT_EQ(NameToMib("vfs.generic.fstypes", &mib), abi::kENOENT);
  EXPECT_EQ(NameToMib("kern.nosuchnode", &mib), abi::kENOENT);

  // Resolve agrees.
  SysctlTree& t = kernel_->sysctl();
  EXPECT_EQ(*t.Resolve("kern.hostname"), (std::vector<int>{1, 10}));
  EXPECT_EQ(*t.Resolve("/kern/hostname"), (std::vector<int>{1, 10}));
  EXPECT_EQ(*t.Resolve("kern.10"), (std::vector<int>{1, 10}));
  EXPECT_EQ(*t.Resolve("hw.ncpu"), (std::vector<int>{6, 3}));
  EXPECT_EQ(*t.Resolve("kern."), (std::vector<int>{1}));
  EXPECT_EQ(t.Resolve("vfs.generic.fstypes").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.Resolve("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.Resolve("kern..hostname").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.Resolve("kern.hostname.x").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SysctlTest, KernelValues) {
  EXPECT_EQ(Read({1, 1}), std::string("NetBSD", 7));
  EXPECT_EQ(Read({1, 2}), std::string("7.99.34", 8));
  EXPECT_EQ(Int(Read({1, 3})), 799003400);
  const std::string version = Read({1, 4});
  EXPECT_EQ(version.rfind("NetBSD 7.99.34 (RUMP-ROAST) #0: ", 0), 0u) << version;
  EXPECT_EQ(version.back(), '\0');
  EXPECT_EQ(Read({1, 10}), kernel_->hostname_default() + std::string(1, '\0'));
  EXPECT_EQ(kernel_->hostname_default().rfind("rump-", 0), 0u);
  EXPECT_EQ(Read({1, 22}), std::string(1, '\0'));
  EXPECT_EQ(Int(Read({1, 24})), 3);
  EXPECT_EQ(Read({6, 1}), std::string("amd64", 6));
  EXPECT_EQ(Read({6, 2}), std::string("rumpcore (virtual)", 19));
  EXPECT_EQ(Int(Read({6, 3})), 2);  // KernelOptions' default
  EXPECT_EQ(Int(Read({6, 4})), 1234);
  EXPECT_EQ(Int(Read({6, 7})), 4096);
  EXPECT_EQ(Read({6, 10}), std::string("x86_64", 7));
  EXPECT_EQ(Int(Read({6, 11})), 7);
  EXPECT_EQ(Int(Read({6, 16})), 2);
}

// Every byte of a record, at NetBSD's offsets.
TEST_F(SysctlTest, QueryRecordsAreNetBsdsSysctlnodeByteByByte) {
  const int name[] = {abi::kCtlKern, abi::kCtlQuery};
  const abi::SysctlNode q = QueryNode();
  std::string buf(20 * abi::kSysctlNodeSize, '\xee');
  size_t len = buf.size();
  ASSERT_EQ(Sysctl(name, 2, buf.data(), &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len % abi::kSysctlNodeSize, 0u);
  const size_t count = len / abi::kSysctlNodeSize;
  EXPECT_EQ(count, 12u);        // ostype osrelease osrevision version hostname
                                // domainname rawpartition msgbufsize proc2
                                // file2 urandom arandom
  EXPECT_EQ(buf[len], '\xee');  // nothing written past the records

  auto record = [&](int num) -> std::string {
    for (size_t i = 0; i < count; ++i) {
      std::string r = buf.substr(i * abi::kSysctlNodeSize, abi::kSysctlNodeSize);
      if (Get<int32_t>(r, abi::kSysctlNodeNumOff) == num) return r;
    }
    ADD_FAILURE() << "no record " << num;
    return std::string(abi::kSysctlNodeSize, '\0');
  };
  auto expect_record = [&](int num, const char* nm, uint32_t flags, uint64_t size,
                           const std::string& un) {
    SCOPED_TRACE(nm);
    const std::string r = record(num);
    EXPECT_EQ(Get<uint32_t>(r, abi::kSysctlNodeFlagsOff), flags);
    EXPECT_EQ(Get<int32_t>(r, abi::kSysctlNodeNumOff), num);
    std::string want_name(abi::kSysctlNameLen, '\0');
    std::memcpy(want_name.data(), nm, std::strlen(nm));
    EXPECT_EQ(r.substr(abi::kSysctlNodeNameOff, abi::kSysctlNameLen), want_name);
    EXPECT_NE(Get<uint32_t>(r, abi::kSysctlNodeVerOff), 0u);
    EXPECT_EQ(Get<uint32_t>(r, abi::kSysctlNodeRsvdOff), 0u);
    EXPECT_EQ(r.substr(48, 16), un);
    EXPECT_EQ(Get<uint64_t>(r, abi::kSysctlNodeSizeOff), size);
    EXPECT_EQ(Get<uint64_t>(r, abi::kSysctlNodeFuncOff), 0u);
    EXPECT_EQ(Get<uint64_t>(r, abi::kSysctlNodeParentOff), 0u);
    EXPECT_EQ(Get<uint64_t>(r, abi::kSysctlNodeDescOff), 0u);
  };
  const std::string zero16(16, '\0');
  std::string osrev = zero16;
  const int32_t rev = 799003400;
  std::memcpy(osrev.data(), &rev, 4);
  // VERSION 0x01000000 | PERMANENT 0x200 | type
  expect_record(1, "ostype", 0x01000203, 7, zero16);
  expect_record(2, "osrelease", 0x01000203, 8, zero16);
  // | IMMEDIATE 0x800: the value is in the record
  expect_record(3, "osrevision", 0x01000a02, 4, osrev);
  // | READWRITE 0x70; the size is the buffer's, MAXHOSTNAMELEN
  expect_record(10, "hostname", 0x01000273, 256, zero16);
  expect_record(22, "domainname", 0x01000273, 256, zero16);
  // Registered with a sysctl log in NetBSD: not PERMANENT.
  expect_record(61, "urandom", 0x01000002, 4, zero16);
  expect_record(81, "arandom", 0x01000002, 4, zero16);
  // Handler nodes: kern.proc2 a childless node, kern.file2 a struct.
  expect_record(47, "proc2", 0x01000201, 96, zero16);
  expect_record(77, "file2", 0x01000205, 0, zero16);

  // An interior node's record: csize (NetBSD's child array, 8 then
  // doubled) and clen.
  const std::vector<abi::SysctlNode> top = Query({});
  const abi::SysctlNode* kern = Find(top, abi::kCtlKern);
  ASSERT_NE(kern, nullptr);
  std::string un(reinterpret_cast<const char*>(kern->un), 16);
  EXPECT_EQ(Get<uint32_t>(un, 0), 16u);  // csize
  EXPECT_EQ(Get<uint32_t>(un, 4), 12u);  // clen
  EXPECT_EQ(Get<uint64_t>(un, 8), 0u);   // child pointer
  const abi::SysctlNode* hw = Find(top, abi::kCtlHw);
  std::string hun(reinterpret_cast<const char*>(hw->un), 16);
  EXPECT_EQ(Get<uint32_t>(hun, 0), 16u);
  EXPECT_EQ(Get<uint32_t>(hun, 4), 10u);
  const abi::SysctlNode* net = Find(top, abi::kCtlNet);
  std::string nun(reinterpret_cast<const char*>(net->un), 16);
  EXPECT_EQ(Get<uint32_t>(nun, 0), 0u);
  EXPECT_EQ(Get<uint32_t>(nun, 4), 0u);

  const std::vector<abi::SysctlNode> hwn = Query({abi::kCtlHw});
  const abi::SysctlNode* pagesize = Find(hwn, abi::kHwPagesize);
  ASSERT_NE(pagesize, nullptr);
  EXPECT_EQ(pagesize->flags, 0x01000a02u);
  EXPECT_EQ(Get<int32_t>(std::string(reinterpret_cast<const char*>(pagesize->un), 16), 0), 4096);
  EXPECT_EQ(Find(hwn, abi::kHwNcpu)->flags, 0x01000202u);
  EXPECT_EQ(Find(hwn, abi::kHwModel)->size, 19u);
}

TEST_F(SysctlTest, ShortBufferGetsWhatFitsEnomemAndTheFullSize) {
  const int name[] = {1, 1};
  char buf[8] = "xxxxxxx";
  size_t len = 3;
  EXPECT_EQ(Sysctl(name, 2, buf, &len, nullptr, 0), abi::kENOMEM);
  EXPECT_EQ(std::string(buf, 4), "Netx");
  EXPECT_EQ(len, 7u);
  // An int into 2 bytes.
  const int pagesize[] = {6, 7};
  int32_t v = -1;
  len = 2;
  EXPECT_EQ(Sysctl(pagesize, 2, &v, &len, nullptr, 0), abi::kENOMEM);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(v & 0xffff, 4096);
  // No oldlenp with a buffer: nothing fits.
  EXPECT_EQ(Sysctl(name, 2, buf, nullptr, nullptr, 0), abi::kENOMEM);
  // A larger buffer: oldlen shrinks to the size.
  char big[64];
  len = sizeof(big);
  EXPECT_EQ(Sysctl(name, 2, big, &len, nullptr, 0), 0);
  EXPECT_EQ(len, 7u);
  EXPECT_STREQ(big, "NetBSD");
}

TEST_F(SysctlTest, SizeQuery) {
  const int name[] = {1, 1};
  size_t len = 0;
  EXPECT_EQ(Sysctl(name, 2, nullptr, &len, nullptr, 0), 0);
  EXPECT_EQ(len, 7u);
  len = 1;  // the caller's value does not matter
  EXPECT_EQ(Sysctl(name, 2, nullptr, &len, nullptr, 0), 0);
  EXPECT_EQ(len, 7u);
  EXPECT_EQ(Sysctl(name, 2, nullptr, nullptr, nullptr, 0), 0);
}

TEST_F(SysctlTest, HostnameIsWritableAndReadsBack) {
  const int name[] = {1, 10};
  const std::string old = Read({1, 10});
  // A write returns the old value in the same call.
  char prev[300];
  size_t len = sizeof(prev);
  const char host[] = "testhost";
  ASSERT_EQ(Sysctl(name, 2, prev, &len, host, sizeof(host)), 0);
  EXPECT_EQ(std::string(prev, len), old);
  EXPECT_EQ(Read({1, 10}), std::string("testhost", 9));
  // Without a NUL: the string ends at newlen.
  ASSERT_EQ(Sysctl(name, 2, nullptr, nullptr, "abcdef", 4), 0);
  EXPECT_EQ(Read({1, 10}), std::string("abcd", 5));
  // Ends at the first NUL.
  ASSERT_EQ(Sysctl(name, 2, nullptr, nullptr, "xy\0z", 4), 0);
  EXPECT_EQ(Read({1, 10}), std::string("xy", 3));
  // 255 characters and a NUL fit; 256 without a NUL or 257 do not.
  std::string longest(255, 'h');
  ASSERT_EQ(Sysctl(name, 2, nullptr, nullptr, longest.c_str(), 256), 0);
  EXPECT_EQ(Read({1, 10}), longest + std::string(1, '\0'));
  std::string too_long(257, 'i');
  EXPECT_EQ(Sysctl(name, 2, nullptr, nullptr, too_long.data(), 256), abi::kEINVAL);
  EXPECT_EQ(Sysctl(name, 2, nullptr, nullptr, too_long.data(), 257), abi::kEINVAL);
  EXPECT_EQ(Read({1, 10}), longest + std::string(1, '\0'));
  // The domain name too.
  const int dom[] = {1, 22};
  ASSERT_EQ(Sysctl(dom, 2, nullptr, nullptr, "example.org", 12), 0);
  EXPECT_EQ(Read({1, 22}), std::string("example.org", 12));
}

TEST_F(SysctlTest, WritingReadOnlyIsEpermAndNewlenZeroIsARead) {
  const int ostype[] = {1, 1};
  const int ncpu[] = {6, 3};
  const int32_t four = 4;
  size_t len = 123;
  EXPECT_EQ(Sysctl(ncpu, 2, nullptr, &len, &four, sizeof(four)), abi::kEPERM);
  EXPECT_EQ(len, 123u);  // untouched by a refused call
  EXPECT_EQ(Sysctl(ncpu, 2, nullptr, nullptr, &four, 3), abi::kEPERM);
  EXPECT_EQ(Sysctl(ostype, 2, nullptr, nullptr, "Linux", 6), abi::kEPERM);
  // newlen 0: no new value at all.
  len = 0;
  EXPECT_EQ(Sysctl(ostype, 2, nullptr, &len, "Linux", 0), 0);
  EXPECT_EQ(len, 7u);
  // An interior node cannot be read (or written).
  const int kern[] = {1};
  EXPECT_EQ(Sysctl(kern, 1, nullptr, &len, nullptr, 0), abi::kEINVAL);
  EXPECT_EQ(Sysctl(kern, 1, nullptr, nullptr, &four, 4), abi::kEINVAL);
}

TEST_F(SysctlTest, NonRootCannotWrite) {
  std::shared_ptr<Process> p = kernel_->NewProcess(1, "user");
  Credentials c;
  c.uid = c.euid = 1000;
  p->set_credentials(c);
  const int name[] = {1, 10};
  const uint64_t args[6] = {P(name), 2, 0, 0, P("evil"), 5};
  EXPECT_EQ(kernel_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSysctl, args).error,
            abi::kEPERM);
  const uint64_t read_args[6] = {P(name), 2, 0, 0, 0, 0};
  EXPECT_EQ(kernel_->Syscall(*p, DirectUserMemory::Get(), abi::kSysSysctl, read_args).error, 0);
  EXPECT_NE(Read({1, 10}), std::string("evil", 5));
}

TEST_F(SysctlTest, NameLength) {
  const int name[13] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  size_t len = 77;
  EXPECT_EQ(Sysctl(name, 0, nullptr, &len, nullptr, 0), abi::kEINVAL);
  EXPECT_EQ(Sysctl(name, 13, nullptr, &len, nullptr, 0), abi::kEINVAL);
  EXPECT_EQ(len, 77u);  // not written back: the call stopped before
  EXPECT_EQ(Sysctl(name, uint64_t{1} << 32 | 2, nullptr, &len, nullptr, 0), 0)
      << "namelen is a u_int: the upper half of the slot is ignored";
  EXPECT_EQ(len, 7u);
  len = 77;
  EXPECT_EQ(Sysctl(name, 12, nullptr, &len, nullptr, 0), abi::kENOTDIR);
  EXPECT_EQ(len, 77u);
}

TEST_F(SysctlTest, BadPointersAreEfault) {
  SysctlTree& t = kernel_->sysctl();
  size_t len = 7;
  const std::vector<int> ostype = {1, 1};
  // NULL name.
  const uint64_t args[6] = {0, 2, 0, P(&len), 0, 0};
  SyscallContext ctx{*kernel_, kernel_->init(), faulty_};
  EXPECT_EQ(abi::ToErrno(t.Syscall(ctx, SyscallArgs(args)).status()), abi::kEFAULT);
  // oldlenp is read before anything else, even before namelen is checked.
  const uint64_t bad_oldlenp[6] = {P(ostype.data()), 0, 0, 8, 0, 0};
  EXPECT_EQ(abi::ToErrno(t.Syscall(ctx, SyscallArgs(bad_oldlenp)).status()), abi::kEFAULT);
  // Through the faulting memory below: a bad buffer keeps oldlen as passed.
  len = 7;
  EXPECT_EQ(TreeSysctl(t, ostype, reinterpret_cast<void*>(8), &len), abi::kEFAULT);
  EXPECT_EQ(len, 7u);
  EXPECT_EQ(TreeSysctl(t, {1, 10}, nullptr, nullptr, reinterpret_cast<void*>(16), 4), abi::kEFAULT);
  const abi::SysctlNode q = QueryNode();
  EXPECT_EQ(TreeSysctl(t, {1, abi::kCtlQuery}, nullptr, &len, reinterpret_cast<void*>(16),
                       sizeof(abi::SysctlNode)),
            abi::kEFAULT);
  len = 1000;
  EXPECT_EQ(TreeSysctl(t, {1, abi::kCtlQuery}, reinterpret_cast<void*>(24), &len, &q, sizeof(q)),
            abi::kEFAULT);
}

TEST_F(SysctlTest, MissingNamesAndLeavesAndMetaOperations) {
  size_t len = 0;
  EXPECT_EQ(Sysctl({99}, nullptr, &len), abi::kENOENT);
  EXPECT_EQ(Sysctl({1, 9999}, nullptr, &len), abi::kENOENT);
  // vfs.generic (3.0) does not exist without the VFS faction.
  EXPECT_EQ(Sysctl({abi::kCtlVfs, 0}, nullptr, &len), abi::kENOENT);
  EXPECT_EQ(Sysctl({abi::kCtlVfs, 0, 1025}, nullptr, &len), abi::kENOENT);
  // Below a leaf.
  EXPECT_EQ(Sysctl({1, 1, 5}, nullptr, &len), abi::kENOTDIR);
  EXPECT_EQ(Sysctl({6, 7, 0, 0}, nullptr, &len), abi::kENOTDIR);
  // A meta-operation that is not last is just a missing name.
  EXPECT_EQ(Sysctl({abi::kCtlQuery, 1}, nullptr, &len), abi::kENOENT);
  // Unknown and unsupported meta-operations.
  EXPECT_EQ(Sysctl({1, -9}, nullptr, &len), abi::kEOPNOTSUPP);
  EXPECT_EQ(Sysctl({1, abi::kCtlCreateSym}, nullptr, &len), abi::kEOPNOTSUPP);
  EXPECT_EQ(Sysctl({1, abi::kCtlCreate}, nullptr, &len), abi::kEINVAL);
  const abi::SysctlNode q = QueryNode();
  EXPECT_EQ(Sysctl({1, abi::kCtlCreate}, nullptr, &len, &q, sizeof(q)), abi::kEPERM);
  EXPECT_EQ(Sysctl({1, abi::kCtlDestroy}, nullptr, &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl({1, abi::kCtlDestroy}, nullptr, &len, &q, sizeof(q)), abi::kEPERM);
  EXPECT_EQ(Sysctl({1, abi::kCtlMmap}, nullptr, &len), abi::kEINVAL);
  abi::SysctlNode m = QueryNode();
  m.num = 1;
  EXPECT_EQ(Sysctl({1, abi::kCtlMmap}, nullptr, &len, &m, sizeof(m)), abi::kEOPNOTSUPP);
  m.num = 4242;
  EXPECT_EQ(Sysctl({1, abi::kCtlMmap}, nullptr, &len, &m, sizeof(m)), abi::kENOENT);
}

TEST_F(SysctlTest, QueryChecksItsRequest) {
  const abi::SysctlNode good = QueryNode();
  size_t len = 0;
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, &good, sizeof(good)), 0);
  EXPECT_EQ(len, 12 * abi::kSysctlNodeSize);
  // No request, a wrong size, a wrong version.
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len), abi::kEINVAL);
  char bytes[200] = {};
  std::memcpy(bytes, &good, sizeof(good));
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, bytes, 95), abi::kEINVAL);
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, bytes, 97), abi::kEINVAL);
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, bytes, 3), abi::kEINVAL);
  abi::SysctlNode v0{};
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, &v0, sizeof(v0)), abi::kEINVAL);
  abi::SysctlNode v2 = QueryNode();
  v2.flags = 0x02000000;
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, &v2, sizeof(v2)), abi::kEINVAL);
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, nullptr, sizeof(good)), abi::kEINVAL);
  // A version that is neither the node's nor the root's.
  const abi::SysctlNode kern = *Find(Query({}), abi::kCtlKern);
  abi::SysctlNode ver = QueryNode();
  ver.ver = kern.ver;
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, &ver, sizeof(ver)), 0);
  ver.ver = 1000000;
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, nullptr, &len, &ver, sizeof(ver)), abi::kEINVAL);
  // Querying a leaf.
  EXPECT_EQ(Sysctl({1, 1, abi::kCtlQuery}, nullptr, &len, &good, sizeof(good)), abi::kENOTDIR);
  // Too small a buffer: whole records only, ENOMEM, the size needed.
  std::string buf(3 * abi::kSysctlNodeSize, '\x5a');
  len = 2 * abi::kSysctlNodeSize + 50;
  EXPECT_EQ(Sysctl({1, abi::kCtlQuery}, buf.data(), &len, &good, sizeof(good)), abi::kENOMEM);
  EXPECT_EQ(len, 12 * abi::kSysctlNodeSize);
  EXPECT_EQ(Get<int32_t>(buf, abi::kSysctlNodeNumOff), 1);
  EXPECT_EQ(Get<int32_t>(buf, abi::kSysctlNodeSize + abi::kSysctlNodeNumOff), 2);
  EXPECT_EQ(buf.substr(2 * abi::kSysctlNodeSize), std::string(abi::kSysctlNodeSize, '\x5a'));
}

TEST_F(SysctlTest, DescribeRecords) {
  // All of hw's children.
  size_t len = 0;
  ASSERT_EQ(Sysctl({6, abi::kCtlDescribe}, nullptr, &len), 0);
  std::string buf(len, '\0');
  ASSERT_EQ(Sysctl({6, abi::kCtlDescribe}, buf.data(), &len), 0);
  ASSERT_EQ(len, buf.size());
  std::vector<std::pair<int, std::string>> got;
  const std::vector<abi::SysctlNode> children = Query({6});
  for (size_t off = 0; off < len;) {
    const int32_t num = Get<int32_t>(buf, off + abi::kSysctlDescNumOff);
    const uint32_t ver = Get<uint32_t>(buf, off + abi::kSysctlDescVerOff);
    const uint32_t slen = Get<uint32_t>(buf, off + abi::kSysctlDescLenOff);
    const std::string s = buf.substr(off + abi::kSysctlDescStrOff, slen);
    ASSERT_EQ(s.back(), '\0');
    EXPECT_EQ(ver, Find(children, num)->ver);
    got.emplace_back(num, s.substr(0, slen - 1));
    const size_t rec = 12 + (slen + 3) / 4 * 4;
    EXPECT_EQ(rec, abi::SysctlDescRecordSize(slen));
    // Padding is zero.
    for (size_t i = off + abi::kSysctlDescStrOff + slen; i < off + rec; ++i) {
      EXPECT_EQ(buf[i], '\0');
    }
    off += rec;
  }
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0], (std::pair<int, std::string>(1, "Machine class")));
  EXPECT_EQ(got[1], (std::pair<int, std::string>(2, "Machine model")));
  EXPECT_EQ(got[4], (std::pair<int, std::string>(5, "Bytes of physical memory")));
  EXPECT_EQ(got[5], (std::pair<int, std::string>(7, "Software page size")));

  // One child, named by a sysctlnode in newp.
  abi::SysctlNode one = QueryNode();
  one.num = abi::kHwPagesize;
  char rec[64];
  len = sizeof(rec);
  ASSERT_EQ(Sysctl({6, abi::kCtlDescribe}, rec, &len, &one, sizeof(one)), 0);
  ASSERT_EQ(len, 12u + 20u);  // "Software page size" is 19 with the NUL
  EXPECT_EQ(Get<int32_t>(std::string(rec, len), 0), abi::kHwPagesize);
  EXPECT_EQ(Get<uint32_t>(std::string(rec, len), 8), 19u);
  EXPECT_STREQ(rec + 12, "Software page size");
  one.num = 4242;
  EXPECT_EQ(Sysctl({6, abi::kCtlDescribe}, rec, &len, &one, sizeof(one)), abi::kENOENT);
  // Too small: whole records, ENOMEM.
  len = 20;
  EXPECT_EQ(Sysctl({6, abi::kCtlDescribe}, rec, &len), abi::kENOMEM);
  EXPECT_EQ(len, buf.size());
  // Top-level descriptions are NetBSD's.
  len = 0;
  ASSERT_EQ(Sysctl({abi::kCtlDescribe}, nullptr, &len), 0);
  std::string top(len, '\0');
  ASSERT_EQ(Sysctl({abi::kCtlDescribe}, top.data(), &len), 0);
  EXPECT_EQ(Get<uint32_t>(top, 8), 12u);
  EXPECT_STREQ(top.c_str() + 12, "High kernel");
  // A permanent node's description cannot be set.
  abi::SysctlNode set = QueryNode();
  set.num = abi::kHwPagesize;
  set.desc = P("new text");
  EXPECT_EQ(Sysctl({6, abi::kCtlDescribe}, nullptr, &len, &set, sizeof(set)), abi::kEPERM);
  // Describing below a leaf.
  EXPECT_EQ(Sysctl({6, 7, abi::kCtlDescribe}, nullptr, &len), abi::kENOTDIR);
}

TEST_F(SysctlTest, RandomNodes) {
  std::set<int32_t> seen;
  for (int i = 0; i < 8; ++i) {
    const std::string v = Read({1, abi::kKernUrnd});
    ASSERT_EQ(v.size(), 4u);
    seen.insert(Int(v));
  }
  EXPECT_GT(seen.size(), 1u);
  // kern.arandom returns as many bytes as asked, up to 256.
  std::string a(64, '\0'), b(64, '\0');
  size_t len = 64;
  ASSERT_EQ(Sysctl({1, abi::kKernArnd}, a.data(), &len), 0);
  EXPECT_EQ(len, 64u);
  len = 64;
  ASSERT_EQ(Sysctl({1, abi::kKernArnd}, b.data(), &len), 0);
  EXPECT_NE(a, b);
  std::string big(300, '\0');
  len = 300;
  EXPECT_EQ(Sysctl({1, abi::kKernArnd}, big.data(), &len), abi::kE2BIG);
  EXPECT_EQ(len, 300u);
  len = 0;
  EXPECT_EQ(Sysctl({1, abi::kKernArnd}, nullptr, &len), 0);
  EXPECT_EQ(len, 0u);
  const int32_t x = 1;
  len = 4;
  EXPECT_EQ(Sysctl({1, abi::kKernUrnd}, nullptr, &len, &x, 4), abi::kEPERM);
}

TEST_F(SysctlTest, TwoKernelsHaveTheirOwnValues) {
  KernelOptions opts;
  opts.hostname = "second";
  opts.ncpu = 5;
  auto other = Kernel::Boot(opts);
  ASSERT_TRUE(other.ok());
  const int name[] = {1, 10};
  ASSERT_EQ(Sysctl(name, 2, nullptr, nullptr, "first", 6), 0);
  EXPECT_EQ(Read({1, 10}), std::string("first", 6));
  EXPECT_EQ(Read({1, 10}, other->get()), std::string("second", 7));
  EXPECT_EQ(Int(Read({6, 3}, other->get())), 5);
  EXPECT_EQ(Int(Read({6, 3})), 2);
}

// A tree of our own, as the network component builds net.*.
TEST_F(SysctlTest, NodesLeavesAndDynamicNumbers) {
  SysctlTree t;
  EXPECT_EQ(*t.AddNode({abi::kCtlNet}, 2, "inet"), 2);
  EXPECT_EQ(*t.AddNode({abi::kCtlNet, 2}, 0, "ip"), 0);
  auto ttl = std::make_shared<std::atomic<int32_t>>(64);
  SysctlLeaf leaf;
  leaf.type = SysctlType::kInt;
  leaf.writable = true;
  leaf.description = "Default TTL for an INET datagram";
  leaf.read = [ttl] { return IntBytes(ttl->load()); };
  leaf.write = [ttl](absl::string_view v) {
    int32_t x;
    std::memcpy(&x, v.data(), 4);
    if (x < 1 || x > 255) return abi::Errno(abi::kEINVAL);
    ttl->store(x);
    return absl::OkStatus();
  };
  EXPECT_EQ(*t.AddLeaf({4, 2, 0}, abi::kIpctlDefttl, "ttl", leaf), 3);
  EXPECT_EQ(*t.Resolve("net.inet.ip.ttl"), (std::vector<int>{4, 2, 0, 3}));

  int32_t v = 0;
  size_t len = 4;
  ASSERT_EQ(TreeSysctl(t, {4, 2, 0, 3}, &v, &len), 0);
  EXPECT_EQ(v, 64);
  const int32_t nv = 32;
  EXPECT_EQ(TreeSysctl(t, {4, 2, 0, 3}, nullptr, nullptr, &nv, 4), 0);
  EXPECT_EQ(ttl->load(), 32);
  // An int takes exactly 4 bytes.
  EXPECT_EQ(TreeSysctl(t, {4, 2, 0, 3}, nullptr, nullptr, &nv, 3), abi::kEINVAL);
  EXPECT_EQ(TreeSysctl(t, {4, 2, 0, 3}, nullptr, nullptr, &nv, 8), abi::kEINVAL);
  // The leaf's own refusal.
  const int32_t bad = 1000;
  EXPECT_EQ(TreeSysctl(t, {4, 2, 0, 3}, nullptr, nullptr, &bad, 4), abi::kEINVAL);
  EXPECT_EQ(ttl->load(), 32);

  // Dynamic numbers start at 1025 and go on across the tree.
  EXPECT_EQ(*t.AddNode({4}, SysctlTree::kDynamicNumber, "sdl"), 1025);
  EXPECT_EQ(*t.AddNode({4}, SysctlTree::kDynamicNumber, "ether"), 1026);
  EXPECT_EQ(*t.AddNode({4, 2}, SysctlTree::kDynamicNumber, "dyn"), 1027);
  EXPECT_EQ(*t.AddNode({4}, 1028, "fixed"), 1028);
  EXPECT_EQ(*t.AddNode({4}, SysctlTree::kDynamicNumber, "skips"), 1029);
  // "mkdir -p" for interior nodes; other collisions are errors.
  EXPECT_EQ(*t.AddNode({4}, 2, "inet"), 2);
  EXPECT_EQ(*t.AddNode({4}, SysctlTree::kDynamicNumber, "ether"), 1026);
  EXPECT_EQ(t.AddNode({4}, 2, "inet4").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.AddNode({4}, 7, "inet").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.AddLeaf({4, 2, 0}, 3, "ttl2", leaf).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.AddLeaf({4, 2, 0}, 4, "ttl", leaf).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.AddNode({4, 2, 0, 3}, 1, "below").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.AddNode({4, 99}, 1, "orphan").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.AddNode({4}, 50, "1abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.AddNode({4}, 50, "a.b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.AddNode({4}, 50, std::string(32, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.AddNode({4}, -5, "neg").status().code(), absl::StatusCode::kInvalidArgument);
  SysctlLeaf no_read;
  EXPECT_EQ(t.AddLeaf({4}, 60, "noread", no_read).status().code(),
            absl::StatusCode::kInvalidArgument);

  // The dynamic ones are found by a query.
  const int name[] = {4, abi::kCtlQuery};
  const abi::SysctlNode q = QueryNode();
  std::vector<abi::SysctlNode> nodes(16);
  len = nodes.size() * sizeof(abi::SysctlNode);
  ASSERT_EQ(TreeSysctl(t, {name[0], name[1]}, nodes.data(), &len, &q, sizeof(q)), 0);
  nodes.resize(len / sizeof(abi::SysctlNode));
  std::vector<std::string> names;
  for (const auto& n : nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"inet", "sdl", "ether", "fixed", "skips"}));
  // Versions: an addition renews the versions of all its ancestors.
  const abi::SysctlNode* inet = &nodes[0];
  abi::SysctlNode below[4];
  len = sizeof(below);
  ASSERT_EQ(TreeSysctl(t, {4, 2, abi::kCtlQuery}, below, &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len, 2 * sizeof(abi::SysctlNode));
  EXPECT_STREQ(below[0].name, "ip");
  EXPECT_STREQ(below[1].name, "dyn");
  EXPECT_GT(below[1].ver, below[0].ver);  // "dyn" came after ip's last change
  EXPECT_EQ(inet->ver, below[1].ver);     // and renewed inet's version
}

TEST_F(SysctlTest, StringBoolStructAndImmediateLeaves) {
  SysctlTree t;
  auto text = std::make_shared<std::string>("abc");
  SysctlLeaf s;
  s.type = SysctlType::kString;
  s.writable = true;
  s.size = 8;
  s.read = [text] { return *text; };
  s.write = [text](absl::string_view v) {
    *text = std::string(v);
    return absl::OkStatus();
  };
  ASSERT_TRUE(t.AddLeaf({11}, 1, "str", s).ok());
  EXPECT_EQ(TreeSysctl(t, {11, 1}, nullptr, nullptr, "1234567", 8), 0);
  EXPECT_EQ(*text, "1234567");
  EXPECT_EQ(TreeSysctl(t, {11, 1}, nullptr, nullptr, "12345678", 8), abi::kEINVAL);
  EXPECT_EQ(TreeSysctl(t, {11, 1}, nullptr, nullptr, "123456789", 9), abi::kEINVAL);

  auto flag = std::make_shared<bool>(false);
  SysctlLeaf b;
  b.type = SysctlType::kBool;
  b.writable = true;
  b.read = [flag] { return std::string(1, *flag ? 1 : 0); };
  b.write = [flag](absl::string_view v) {
    *flag = v[0] != 0;
    return absl::OkStatus();
  };
  b.flags |= abi::kCtlFlagImmediate;
  ASSERT_TRUE(t.AddLeaf({11}, 2, "flag", b).ok());
  const char one = 1, two = 2;
  EXPECT_EQ(TreeSysctl(t, {11, 2}, nullptr, nullptr, &one, 1), 0);
  EXPECT_TRUE(*flag);
  EXPECT_EQ(TreeSysctl(t, {11, 2}, nullptr, nullptr, &two, 1), abi::kEINVAL);
  EXPECT_EQ(TreeSysctl(t, {11, 2}, nullptr, nullptr, &one, 4), abi::kEINVAL);

  SysctlLeaf st;
  st.type = SysctlType::kStruct;
  st.read = [] { return std::string("0123456789ab", 12); };
  ASSERT_TRUE(t.AddLeaf({11}, 3, "blob", st).ok());
  char blob[16] = {};
  size_t len = sizeof(blob);
  EXPECT_EQ(TreeSysctl(t, {11, 3}, blob, &len), 0);
  EXPECT_EQ(len, 12u);

  // The query shows sizes, and the immediate bool's value.
  std::vector<abi::SysctlNode> nodes(4);
  const abi::SysctlNode q = QueryNode();
  len = nodes.size() * sizeof(abi::SysctlNode);
  ASSERT_EQ(TreeSysctl(t, {11, abi::kCtlQuery}, nodes.data(), &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len, 3 * sizeof(abi::SysctlNode));
  EXPECT_EQ(nodes[0].flags, 0x01000273u);
  EXPECT_EQ(nodes[0].size, 8u);
  EXPECT_EQ(nodes[1].flags, 0x01000a76u);
  EXPECT_EQ(nodes[1].size, 1u);
  EXPECT_EQ(nodes[1].un[0], 1);
  EXPECT_EQ(nodes[2].flags, 0x01000205u);
  EXPECT_EQ(nodes[2].size, 12u);
}

TEST_F(SysctlTest, HandlerNodes) {
  SysctlTree t;
  ASSERT_TRUE(t.AddNode({4}, 34, "route").ok());
  std::vector<std::vector<int>> calls;
  ASSERT_TRUE(t.AddHandler({4, 34}, 0, "rtable",
                           [&calls](SyscallContext&, absl::Span<const int> rest,
                                    bool writing) -> absl::StatusOr<std::string> {
                             if (writing) return abi::Errno(abi::kEPERM);
                             if (rest.size() != 3) return abi::Errno(abi::kEINVAL);
                             calls.emplace_back(rest.begin(), rest.end());
                             return std::string(100, 'r');
                           })
                  .ok());
  EXPECT_EQ(*t.Resolve("net.route.rtable"), (std::vector<int>{4, 34, 0}));
  EXPECT_EQ(*t.Resolve("net.route.0.0.5.0"), (std::vector<int>{4, 34, 0, 0, 5, 0}));

  size_t len = 0;
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, 0, 5, 0}, nullptr, &len), 0);
  EXPECT_EQ(len, 100u);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], (std::vector<int>{0, 5, 0}));
  char buf[128];
  len = 40;
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, 0, 5, 0}, buf, &len), abi::kENOMEM);
  EXPECT_EQ(len, 100u);
  len = sizeof(buf);
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, 0, 5, 0}, buf, &len), 0);
  EXPECT_EQ(std::string(buf, len), std::string(100, 'r'));
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, 0, 5}, nullptr, &len), abi::kEINVAL);
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0}, nullptr, &len), abi::kEINVAL);
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, 0, 5, 0}, nullptr, &len, "x", 1), abi::kEPERM);
  // A query right below the handler node lists no children.
  const abi::SysctlNode q = QueryNode();
  len = 1000;
  EXPECT_EQ(TreeSysctl(t, {4, 34, 0, abi::kCtlQuery}, buf, &len, &q, sizeof(q)), 0);
  EXPECT_EQ(len, 0u);
  // Its parent lists it as a childless node.
  abi::SysctlNode rt{};
  len = sizeof(rt);
  ASSERT_EQ(TreeSysctl(t, {4, 34, abi::kCtlQuery}, &rt, &len, &q, sizeof(q)), 0);
  EXPECT_STREQ(rt.name, "rtable");
  EXPECT_EQ(rt.flags, 0x01000201u);
  EXPECT_EQ(rt.size, abi::kSysctlNodeSize);
  // Nothing may be added below a handler.
  EXPECT_EQ(t.AddNode({4, 34, 0}, 1, "x").status().code(), absl::StatusCode::kNotFound);

  // The request form sees the whole call.
  SysctlRequest seen;
  ASSERT_TRUE(t.AddRequestHandler(
                   {4, 34}, 1, "estimate",
                   [&seen](SyscallContext&, const SysctlRequest& r) -> absl::StatusOr<std::string> {
                     seen = r;
                     return std::string(r.size_query ? 110 : 100, 'e');
                   })
                  .ok());
  len = 7;
  EXPECT_EQ(TreeSysctl(t, {4, 34, 1, 9}, nullptr, &len), 0);
  EXPECT_TRUE(seen.size_query);
  EXPECT_EQ(seen.oldlen, 7u);
  EXPECT_EQ(len, 110u);
  len = sizeof(buf);
  EXPECT_EQ(TreeSysctl(t, {4, 34, 1, 9}, buf, &len, "abc", 3), 0);
  EXPECT_FALSE(seen.size_query);
  EXPECT_TRUE(seen.writing);
  EXPECT_EQ(seen.newlen, 3u);
  EXPECT_EQ(len, 100u);
}

TEST_F(SysctlTest, RemovedSubtreesLeaveTheTree) {
  SysctlTree t;
  ASSERT_EQ(*t.AddNode({abi::kCtlNet}, 18, "link"), 18);
  const int dyn = *t.AddNode({4, 18}, SysctlTree::kDynamicNumber, "ifs", "", 0);
  const int if0 = *t.AddNode({4, 18, dyn}, SysctlTree::kDynamicNumber, "if0", "", 0);
  auto value = std::make_shared<std::atomic<int32_t>>(7);
  SysctlLeaf leaf;
  leaf.type = SysctlType::kInt;
  leaf.flags = 0;  // removable
  leaf.read = [value] { return IntBytes(value->load()); };
  const int x = *t.AddLeaf({4, 18, dyn, if0}, SysctlTree::kDynamicNumber, "x", leaf);
  EXPECT_EQ(*t.Resolve("net.link.ifs.if0.x"), (std::vector<int>{4, 18, dyn, if0, x}));
  int32_t v = 0;
  size_t len = 4;
  ASSERT_EQ(TreeSysctl(t, {4, 18, dyn, if0, x}, &v, &len), 0);
  EXPECT_EQ(v, 7);

  // The records say which nodes are permanent.
  std::vector<abi::SysctlNode> kids(4);
  const abi::SysctlNode q = QueryNode();
  len = kids.size() * sizeof(abi::SysctlNode);
  ASSERT_EQ(TreeSysctl(t, {4, 18, abi::kCtlQuery}, kids.data(), &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len, sizeof(abi::SysctlNode));
  EXPECT_EQ(kids[0].flags & abi::kCtlFlagPermanent, 0u);
  const uint32_t link_ver = kids[0].ver;

  // Permanent nodes, and what is above one, stay.
  EXPECT_EQ(t.RemoveNode({4, 18}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t.RemoveNode({}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.RemoveNode({4, 18, dyn, 12345}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(t.RemoveNode({4, 99, 1}).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(t.AddNode({4, 18, dyn}, SysctlTree::kDynamicNumber, "pinned").ok());
  const int pinned = (*t.Resolve("net.link.ifs.pinned")).back();
  EXPECT_EQ(t.RemoveNode({4, 18, dyn}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(t.Resolve("net.link.ifs.if0.x").ok());  // nothing was removed

  // A removable subtree goes at once, with everything below it.
  ASSERT_TRUE(t.RemoveNode({4, 18, dyn, if0}).ok());
  EXPECT_EQ(t.Resolve("net.link.ifs.if0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(TreeSysctl(t, {4, 18, dyn, if0, x}, &v, &len), abi::kENOENT);
  len = kids.size() * sizeof(abi::SysctlNode);
  ASSERT_EQ(TreeSysctl(t, {4, 18, dyn, abi::kCtlQuery}, kids.data(), &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len, sizeof(abi::SysctlNode));
  EXPECT_EQ(kids[0].num, pinned);
  // The ancestors have a new version.
  len = kids.size() * sizeof(abi::SysctlNode);
  ASSERT_EQ(TreeSysctl(t, {4, 18, abi::kCtlQuery}, kids.data(), &len, &q, sizeof(q)), 0);
  EXPECT_GT(kids[0].ver, link_ver);

  // The name may come again, under a new number.
  const int again = *t.AddNode({4, 18, dyn}, SysctlTree::kDynamicNumber, "if0", "", 0);
  EXPECT_NE(again, if0);
  EXPECT_TRUE(t.AddLeaf({4, 18, dyn, again}, SysctlTree::kDynamicNumber, "x", leaf).ok());
  EXPECT_TRUE(t.Resolve("net.link.ifs.if0.x").ok());
}

TEST_F(SysctlTest, ACallInProgressFinishesWithARemovedLeaf) {
  // The leaf's read blocks until the leaf has been removed: the call still
  // returns its value, and nothing is freed under it (ASan).
  SysctlTree& t = kernel_->sysctl();
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, removed = false;
  SysctlLeaf leaf;
  leaf.type = SysctlType::kInt;
  leaf.flags = 0;
  leaf.read = [&] {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return removed; });
    return IntBytes(42);
  };
  const int node = *t.AddNode({abi::kCtlNet}, SysctlTree::kDynamicNumber, "gone", "", 0);
  const int x = *t.AddLeaf({abi::kCtlNet, node}, SysctlTree::kDynamicNumber, "x", leaf);
  int32_t v = 0;
  int error = -1;
  std::thread reader([&] {
    size_t len = sizeof(v);
    error = Sysctl({abi::kCtlNet, node, x}, &v, &len);
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  ASSERT_TRUE(t.RemoveNode({abi::kCtlNet, node}).ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    removed = true;
    cv.notify_all();
  }
  reader.join();
  EXPECT_EQ(error, 0);
  EXPECT_EQ(v, 42);
  size_t len = sizeof(v);
  EXPECT_EQ(Sysctl({abi::kCtlNet, node, x}, &v, &len), abi::kENOENT);
}

// A handler's reply may report more than it copies (records it counted
// but did not copy, a size estimate), or fail after copying (kern.proc2's
// ENOMEM); a handler may show itself as a struct, as NetBSD's pcblist and
// kern.file2 nodes do.
TEST_F(SysctlTest, HandlerReplies) {
  SysctlTree t;
  ASSERT_TRUE(t.AddRequestHandler(
                   {11}, 1, "counted",
                   [](SyscallContext&, const SysctlRequest& r) -> absl::StatusOr<SysctlReply> {
                     if (r.size_query) return SysctlReply(std::string(), 300);
                     return SysctlReply(std::string(std::min<size_t>(r.oldlen, 200), 'c'), 200);
                   },
                   "", SysctlType::kStruct)
                  .ok());
  ASSERT_TRUE(t.AddRequestHandler(
                   {11}, 2, "failing",
                   [](SyscallContext&, const SysctlRequest&) -> absl::StatusOr<SysctlReply> {
                     SysctlReply r(std::string(10, 'f'));
                     r.error = abi::Errno(abi::kENOMEM);
                     return r;
                   })
                  .ok());
  EXPECT_EQ(t.AddRequestHandler(
                 {11}, 3, "leafy",
                 [](SyscallContext&, const SysctlRequest&) -> absl::StatusOr<SysctlReply> {
                   return std::string();
                 },
                 "", SysctlType::kInt)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  size_t len = 0;
  EXPECT_EQ(TreeSysctl(t, {11, 1}, nullptr, &len), 0);
  EXPECT_EQ(len, 300u);
  char buf[256];
  std::memset(buf, 'x', sizeof(buf));
  len = sizeof(buf);
  EXPECT_EQ(TreeSysctl(t, {11, 1}, buf, &len), 0);  // 200 fit: no ENOMEM
  EXPECT_EQ(len, 200u);
  EXPECT_EQ(buf[199], 'c');
  EXPECT_EQ(buf[200], 'x');
  len = 150;
  EXPECT_EQ(TreeSysctl(t, {11, 1}, buf, &len), abi::kENOMEM);
  EXPECT_EQ(len, 200u);

  std::memset(buf, 'x', sizeof(buf));
  len = 4;
  EXPECT_EQ(TreeSysctl(t, {11, 2}, buf, &len), abi::kENOMEM);
  EXPECT_EQ(len, 10u);  // the reply's length, even with the error
  EXPECT_EQ(std::string(buf, 5), "ffffx");

  // CTL_QUERY shows the struct with size 0, the other as a node.
  const abi::SysctlNode q = QueryNode();
  abi::SysctlNode kids[4] = {};
  len = sizeof(kids);
  ASSERT_EQ(TreeSysctl(t, {11, abi::kCtlQuery}, kids, &len, &q, sizeof(q)), 0);
  ASSERT_EQ(len, 2 * sizeof(abi::SysctlNode));
  EXPECT_STREQ(kids[0].name, "counted");
  EXPECT_EQ(kids[0].flags, 0x01000205u);
  EXPECT_EQ(kids[0].size, 0u);
  EXPECT_EQ(kids[1].flags, 0x01000201u);
  EXPECT_EQ(kids[1].size, abi::kSysctlNodeSize);
  // Below a struct handler a query is not a listing.
  len = sizeof(kids);
  EXPECT_EQ(TreeSysctl(t, {11, 1, abi::kCtlQuery}, kids, &len, &q, sizeof(q)), abi::kENOTDIR);
  // Names still resolve through it.
  EXPECT_EQ(*t.Resolve("vendor.counted.0.0.640.7"), (std::vector<int>{11, 1, 0, 0, 640, 7}));
}

TEST_F(SysctlTest, ConcurrentReadsWritesAndAdditions) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  SysctlTree& t = kernel_->sysctl();
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      const std::string me = "host" + std::to_string(i);
      const int name[] = {1, 10};
      while (!stop.load()) {
        ASSERT_EQ(Sysctl(name, 2, nullptr, nullptr, me.c_str(), me.size() + 1), 0);
        char buf[300];
        size_t len = sizeof(buf);
        ASSERT_EQ(Sysctl(name, 2, buf, &len, nullptr, 0), 0);
        ASSERT_EQ(std::string(buf, 4), "host");
        (void)Query({abi::kCtlNet});
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(
        t.AddNode({abi::kCtlNet}, SysctlTree::kDynamicNumber, "n" + std::to_string(i)).ok());
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(Query({abi::kCtlNet}).size(), 200u);
}

}  // namespace
}  // namespace rump
