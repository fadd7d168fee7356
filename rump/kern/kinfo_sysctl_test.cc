// kern.proc2 and kern.file2 through __sysctl: the records' bytes at
// NetBSD's offsets, the four extra MIB components, size queries, counts,
// short buffers and the errors of NetBSD's handlers.
#include "rump/kern/kinfo_sysctl.h"

#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/kernel.h"

namespace rump {
namespace {

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

template <typename T>
T At(const std::string& buf, size_t off) {
  T v;
  std::memcpy(&v, buf.data() + off, sizeof(v));
  return v;
}

// A file that says it is a socket with a given data id.
class FakeSocketFile final : public File {
 public:
  explicit FakeSocketFile(uint64_t data) : File(abi::kO_RDWR | abi::kO_NONBLOCK), data_(data) {}
  FileDescription Describe() const override {
    return FileDescription{FileKind::kSocket, data_};
  }

 private:
  uint64_t data_;
};

class KinfoSysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = Kernel::Boot(KernelOptions{});
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = std::move(*k);
  }

  int Sysctl(const std::vector<int>& name, void* oldp, size_t* oldlenp) {
    const uint64_t args[6] = {P(name.data()), name.size(), P(oldp), P(oldlenp), 0, 0};
    return kernel_->Syscall(abi::kSysSysctl, args).error;
  }
  // Size query, then a read into a buffer of that size.
  std::string Read(const std::vector<int>& name) {
    size_t len = 0;
    EXPECT_EQ(Sysctl(name, nullptr, &len), 0);
    std::string buf(len, '\0');
    EXPECT_EQ(Sysctl(name, buf.data(), &len), 0);
    buf.resize(len);
    return buf;
  }
  std::vector<int> File2(int op, int arg, int size = int(abi::kKinfoFileSize),
                         int count = INT_MAX) {
    return {abi::kCtlKern, abi::kKernFile2, op, arg, size, count};
  }
  std::vector<int> Proc2(int op, int arg, int size = int(abi::kKinfoProc2Size),
                         int count = INT_MAX) {
    return {abi::kCtlKern, abi::kKernProc2, op, arg, size, count};
  }

  std::unique_ptr<Kernel> kernel_;
};

TEST_F(KinfoSysctlTest, NamesAndNodeTypes) {
  EXPECT_EQ(*kernel_->sysctl().Resolve("kern.proc2"),
            (std::vector<int>{abi::kCtlKern, abi::kKernProc2}));
  EXPECT_EQ(*kernel_->sysctl().Resolve("kern.file2"),
            (std::vector<int>{abi::kCtlKern, abi::kKernFile2}));
  abi::SysctlNode q{};
  q.flags = abi::kSysctlVersion;
  std::vector<abi::SysctlNode> kids(64);
  size_t len = kids.size() * sizeof(abi::SysctlNode);
  const std::vector<int> name = {abi::kCtlKern, abi::kCtlQuery};
  const uint64_t args[6] = {P(name.data()), 2, P(kids.data()), P(&len), P(&q), sizeof(q)};
  ASSERT_EQ(kernel_->Syscall(abi::kSysSysctl, args).error, 0);
  int found = 0;
  for (size_t i = 0; i < len / sizeof(abi::SysctlNode); ++i) {
    if (kids[i].num == abi::kKernProc2) {  // as NetBSD's: a permanent node
      EXPECT_STREQ(kids[i].name, "proc2");
      EXPECT_EQ(kids[i].flags, 0x01000201u);
      ++found;
    }
    if (kids[i].num == abi::kKernFile2) {  // a permanent struct of size 0
      EXPECT_STREQ(kids[i].name, "file2");
      EXPECT_EQ(kids[i].flags, 0x01000205u);
      EXPECT_EQ(kids[i].size, 0u);
      ++found;
    }
  }
  EXPECT_EQ(found, 2);
}

TEST_F(KinfoSysctlTest, Proc2RecordOfOneProcess) {
  std::shared_ptr<Process> p = kernel_->NewProcess(1, "a-rather-long-command-name");
  p->set_credentials(Credentials{1001, 1002, 2001, 2002});
  const std::string all = Read(Proc2(abi::kKernProcPid, p->pid()));
  ASSERT_EQ(all.size(), abi::kKinfoProc2Size);
  EXPECT_EQ(At<int32_t>(all, 116), p->pid());    // p_pid
  EXPECT_EQ(At<int32_t>(all, 120), 1);           // p_ppid
  EXPECT_EQ(At<uint32_t>(all, 136), 1002u);      // p_uid (effective)
  EXPECT_EQ(At<uint32_t>(all, 140), 1001u);      // p_ruid
  EXPECT_EQ(At<uint32_t>(all, 144), 2002u);      // p_gid (effective)
  EXPECT_EQ(At<uint32_t>(all, 148), 2001u);      // p_rgid
  EXPECT_EQ(At<uint32_t>(all, 220), 0xffffffffu);  // p_tdev: NODEV
  EXPECT_EQ(At<int8_t>(all, 360), abi::kLSSLEEP);  // p_stat
  // p_comm: MAXCOMLEN (16) characters, NUL-terminated in its 24 bytes.
  EXPECT_EQ(std::string(all.data() + 368), "a-rather-long-co");
  EXPECT_EQ(At<uint64_t>(all, 616), 1u);         // p_nlwps
  EXPECT_EQ(At<uint64_t>(all, 632), uint64_t(abi::kSACTIVE));  // p_realstat
  EXPECT_EQ(At<uint32_t>(all, 640), 1002u);      // p_svuid
  EXPECT_EQ(At<uint32_t>(all, 644), 2002u);      // p_svgid
  EXPECT_EQ(std::string(all.data() + 648), "netbsd");  // p_ename
  // Everything before p_eflag is kernel addresses: zero.
  EXPECT_EQ(all.substr(0, 104), std::string(104, '\0'));

  // A caller with a smaller record gets its first bytes.
  std::string small(200, 'x');
  size_t len = small.size();
  ASSERT_EQ(Sysctl(Proc2(abi::kKernProcPid, p->pid(), 120, 1), small.data(), &len), 0);
  EXPECT_EQ(len, 120u);
  EXPECT_EQ(At<int32_t>(small, 116), p->pid());
  EXPECT_EQ(small[120], 'x');
}

TEST_F(KinfoSysctlTest, Proc2SelectsCountsAndFails) {
  std::shared_ptr<Process> a = kernel_->NewProcess(1, "a");
  std::shared_ptr<Process> b = kernel_->NewProcess(1, "b");
  b->set_credentials(Credentials{7, 7, 7, 7});
  const size_t kSize = abi::kKinfoProc2Size;
  // All: 1, a, b by pid; the size query adds five records.
  size_t len = 0;
  ASSERT_EQ(Sysctl(Proc2(abi::kKernProcAll, 0), nullptr, &len), 0);
  EXPECT_EQ(len, 8 * kSize);
  std::string buf(len, '\0');
  ASSERT_EQ(Sysctl(Proc2(abi::kKernProcAll, 0), buf.data(), &len), 0);
  ASSERT_EQ(len, 3 * kSize);
  EXPECT_EQ(At<int32_t>(buf, 116), 1);
  EXPECT_EQ(At<int32_t>(buf, kSize + 116), a->pid());
  EXPECT_EQ(At<int32_t>(buf, 2 * kSize + 116), b->pid());
  // By uid and real uid.
  EXPECT_EQ(Read(Proc2(abi::kKernProcUid, 7)).size(), kSize);
  EXPECT_EQ(Read(Proc2(abi::kKernProcRuid, 0)).size(), 2 * kSize);
  EXPECT_EQ(Read(Proc2(abi::kKernProcTty, abi::kKernProcTtyNodev)).size(), 3 * kSize);
  EXPECT_EQ(Read(Proc2(abi::kKernProcPid, 9999)).size(), 0u);
  // A count of two copies two and fails with ENOMEM, *oldlenp the two.
  len = buf.size();
  EXPECT_EQ(Sysctl(Proc2(abi::kKernProcAll, 0, int(kSize), 2), buf.data(), &len), abi::kENOMEM);
  EXPECT_EQ(len, 2 * kSize);
  // So does a buffer for one and a half.
  len = kSize + kSize / 2;
  EXPECT_EQ(Sysctl(Proc2(abi::kKernProcAll, 0), buf.data(), &len), abi::kENOMEM);
  EXPECT_EQ(len, kSize);
  // Unknown op, wrong component count, oversized records.
  len = buf.size();
  EXPECT_EQ(Sysctl(Proc2(99, 0), buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl({abi::kCtlKern, abi::kKernProc2, 0, 0, int(kSize)}, buf.data(), &len),
            abi::kEINVAL);
  EXPECT_EQ(Sysctl(Proc2(abi::kKernProcAll, 0, 8192), buf.data(), &len), abi::kEINVAL);
}

TEST_F(KinfoSysctlTest, File2ByPid) {
  std::shared_ptr<Process> p = kernel_->NewProcess(1, "holder");
  p->set_credentials(Credentials{5, 6, 7, 8});
  auto sock = std::make_shared<FakeSocketFile>(0xabcdef);
  ASSERT_EQ(*p->fds().Install(sock, /*cloexec=*/true), 3);
  ASSERT_EQ(*p->fds().Dup(3, 10, false), 10);

  const std::string all = Read(File2(abi::kKernFileByPid, p->pid()));
  const size_t kSize = abi::kKinfoFileSize;
  ASSERT_EQ(all.size(), 5 * kSize);  // the console on 0-2, then 3 and 10
  auto rec = [&](int i) { return all.substr(size_t(i) * kSize, kSize); };
  // The console: one file behind 0-2, FWRITE|FREAD, misc, no data.
  const std::string c0 = rec(0);
  EXPECT_EQ(At<uint32_t>(c0, 16), abi::kDTYPE_MISC);  // ki_ftype
  EXPECT_EQ(At<uint32_t>(c0, 20), 3u);                // ki_count
  EXPECT_EQ(At<uint64_t>(c0, 64), 0u);                // ki_fdata
  EXPECT_EQ(At<int32_t>(c0, 108), 0);                 // ki_fd
  EXPECT_EQ(At<uint64_t>(rec(2), 0), At<uint64_t>(c0, 0));  // same ki_fileaddr
  EXPECT_EQ(At<int32_t>(rec(2), 108), 2);
  // The socket, twice.
  const std::string s3 = rec(3), s10 = rec(4);
  EXPECT_EQ(At<uint64_t>(s3, 0), sock->id());  // ki_fileaddr
  EXPECT_NE(At<uint64_t>(s3, 0), 0u);
  EXPECT_EQ(At<uint32_t>(s3, 8), abi::kFREAD | abi::kFWRITE | uint32_t(abi::kO_NONBLOCK));
  EXPECT_EQ(At<uint32_t>(s3, 12), 0u);                 // ki_iflags
  EXPECT_EQ(At<uint32_t>(s3, 16), abi::kDTYPE_SOCKET);
  EXPECT_EQ(At<uint32_t>(s3, 20), 2u);                 // two descriptors
  EXPECT_EQ(At<uint32_t>(s3, 40), 6u);                 // ki_fuid: effective
  EXPECT_EQ(At<uint32_t>(s3, 44), 8u);                 // ki_fgid: effective
  EXPECT_EQ(At<uint64_t>(s3, 64), 0xabcdefu);          // ki_fdata
  EXPECT_EQ(At<uint32_t>(s3, 104), uint32_t(p->pid()));  // ki_pid
  EXPECT_EQ(At<int32_t>(s3, 108), 3);                  // ki_fd
  EXPECT_EQ(At<uint32_t>(s3, 112), 1u);                // ki_ofileflags: close-on-exec
  EXPECT_EQ(At<int32_t>(s10, 108), 10);
  EXPECT_EQ(At<uint32_t>(s10, 112), 0u);
  EXPECT_EQ(At<uint64_t>(s10, 0), sock->id());

  // Every process (arg 0 or -1): pid 1's console too.
  EXPECT_EQ(Read(File2(abi::kKernFileByPid, 0)).size(), 8 * kSize);
  EXPECT_EQ(Read(File2(abi::kKernFileByPid, -1)).size(), 8 * kSize);
}

TEST_F(KinfoSysctlTest, File2ByFileListsEachFileOnce) {
  std::shared_ptr<Process> p = kernel_->NewProcess(1, "holder");
  auto sock = std::make_shared<FakeSocketFile>(42);
  ASSERT_TRUE(p->fds().Install(sock, false).ok());
  ASSERT_TRUE(p->fds().Install(sock, false).ok());
  // Two consoles (pid 1's and the holder's) and the socket.
  const std::string all = Read(File2(abi::kKernFileByFile, 0));
  ASSERT_EQ(all.size(), 3 * abi::kKinfoFileSize);
  const std::string s = all.substr(2 * abi::kKinfoFileSize);
  EXPECT_EQ(At<uint64_t>(s, 64), 42u);
  EXPECT_EQ(At<uint32_t>(s, 20), 2u);
  EXPECT_EQ(At<uint32_t>(s, 104), 0u);  // no process information
  EXPECT_EQ(At<int32_t>(s, 108), 0);
}

TEST_F(KinfoSysctlTest, File2SizesCountsAndErrors) {
  const size_t kSize = abi::kKinfoFileSize;
  // pid 1 has three descriptors; a size query adds ten records.
  size_t len = 0;
  ASSERT_EQ(Sysctl(File2(abi::kKernFileByPid, 1), nullptr, &len), 0);
  EXPECT_EQ(len, 13 * kSize);
  std::string buf(13 * kSize, 'x');
  // A buffer for two: two copied, all three reported, ENOMEM.
  len = 2 * kSize + 10;
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, 1), buf.data(), &len), abi::kENOMEM);
  EXPECT_EQ(len, 3 * kSize);
  EXPECT_EQ(buf[2 * kSize], 'x');
  // A count of one in a big buffer: one copied, three reported, no error.
  len = buf.size();
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, 1, int(kSize), 1), buf.data(), &len), 0);
  EXPECT_EQ(len, 3 * kSize);
  // Smaller records: the first bytes of each, at the caller's stride.
  buf.assign(buf.size(), 'x');
  len = buf.size();
  ASSERT_EQ(Sysctl(File2(abi::kKernFileByPid, 1, 112), buf.data(), &len), 0);
  EXPECT_EQ(len, 3 * 112u);
  EXPECT_EQ(At<int32_t>(buf, 112 + 108), 1);  // the second record's ki_fd
  EXPECT_EQ(buf[3 * 112], 'x');
  // NetBSD's refusals.
  len = buf.size();
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, 1, 0), buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, 1, int(kSize), -1), buf.data(), &len),
            abi::kEINVAL);
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, -2), buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByFile, 1), buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl(File2(3, 0), buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl({abi::kCtlKern, abi::kKernFile2, 2, 0, 120}, buf.data(), &len),
            abi::kEINVAL);
  EXPECT_EQ(Sysctl(File2(abi::kKernFileByPid, 1, 8192), buf.data(), &len), abi::kEINVAL);
}

TEST_F(KinfoSysctlTest, ObjectIdsAreDistinct) {
  auto a = std::make_shared<FakeSocketFile>(1);
  auto b = std::make_shared<FakeSocketFile>(1);
  EXPECT_NE(a->id(), 0u);
  EXPECT_NE(a->id(), b->id());
}

}  // namespace
}  // namespace rump
