// XPlan: which buffers a call carries (inputs read now) and names (outputs).
#include "sp/client/xplan.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/syscalls.h"

namespace sp::client {
namespace {

namespace abi = rump::abi;

uint64_t A(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(XPlanTest, SysctlNameOldlenOldpNewp) {
  const int mib[2] = {1, 1};
  char old[64];
  uint64_t oldlen = sizeof(old);
  const char newv[4] = {1, 2, 3, 4};
  XPlan p = XPlan::For(abi::kSysSysctl, {A(mib), 2, A(old), A(&oldlen), A(newv), 4});
  std::vector<wire::XBytes> in = p.inputs();
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[0].addr, A(mib));
  EXPECT_EQ(in[0].data.size(), 8u);
  EXPECT_EQ(in[1].addr, A(&oldlen));
  EXPECT_EQ(in[2].data, absl::string_view(newv, 4));
  ASSERT_EQ(p.outputs().size(), 2u);
  EXPECT_EQ(p.outputs()[0], (wire::XRange{A(&oldlen), 8}));
  EXPECT_EQ(p.outputs()[1], (wire::XRange{A(old), 64}));
}

TEST(XPlanTest, IoctlDirectionFromTheCommand) {
  char buf[144] = "lo0";
  XPlan inout = XPlan::For(abi::kSysIoctl, {3, abi::Iowr('i', 17, 144), A(buf)});
  EXPECT_EQ(inout.inputs().size(), 1u);
  EXPECT_EQ(inout.outputs().size(), 1u);
  XPlan in = XPlan::For(abi::kSysIoctl, {3, abi::Iow('i', 12, 144), A(buf)});
  EXPECT_EQ(in.inputs().size(), 1u);
  EXPECT_TRUE(in.outputs().empty());
  XPlan out = XPlan::For(abi::kSysIoctl, {3, abi::kFIONREAD, A(buf)});
  EXPECT_TRUE(out.inputs().empty());
  EXPECT_EQ(out.outputs(), (std::vector<wire::XRange>{{A(buf), 4}}));
  EXPECT_TRUE(XPlan::For(abi::kSysIoctl, {3, abi::kFIOCLEX, A(buf)}).empty());
  EXPECT_TRUE(XPlan::For(abi::kSysIoctl, {3, abi::Iowr('i', 17, 144), 0}).empty());
}

TEST(XPlanTest, UnreadableOverlappingAndHugeBuffersAreLeftOut) {
  // An unmapped page: not readable, so not sent (the server will ask).
  void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  char sin[16] = {};
  XPlan p = XPlan::For(abi::kSysSendto, {3, A(page), 100, 0, A(sin), 16});
  ASSERT_EQ(p.inputs().size(), 1u);
  EXPECT_EQ(p.inputs()[0].addr, A(sin));
  munmap(page, 4096);
  // The data and the address overlap: only the first is sent.
  char both[32] = {};
  p = XPlan::For(abi::kSysSendto, {3, A(both), 32, 0, A(both + 8), 16});
  EXPECT_EQ(p.inputs().size(), 1u);
  // Over the input limit: the server's COPYIN does it.
  std::string big(kXMaxInputBytes + 1, 'b');
  EXPECT_TRUE(XPlan::For(abi::kSysWrite, {1, A(big.data()), big.size()}).empty());
  // NULL, zero length, addresses outside user space.
  EXPECT_TRUE(XPlan::For(abi::kSysWrite, {1, 0, 10}).empty());
  EXPECT_TRUE(XPlan::For(abi::kSysWrite, {1, A(sin), 0}).empty());
  EXPECT_TRUE(XPlan::For(abi::kSysRead, {1, ~uint64_t{0} - 4, 10}).empty());
}

TEST(XPlanTest, SockaddrResultsUseTheLengthInMemory) {
  char addr[128];
  uint32_t len = 16;
  XPlan p = XPlan::For(abi::kSysGetsockname, {3, A(addr), A(&len)});
  ASSERT_EQ(p.inputs().size(), 1u);
  EXPECT_EQ(p.inputs()[0].addr, A(&len));
  EXPECT_EQ(p.outputs(), (std::vector<wire::XRange>{{A(&len), 4}, {A(addr), 16}}));
}

TEST(XPlanTest, OpenSendsThePathWithItsNul) {
  const char path[] = "/dev/null";
  XPlan p = XPlan::For(abi::kSysOpen, {A(path), 0, 0});
  ASSERT_EQ(p.inputs().size(), 1u);
  EXPECT_EQ(p.inputs()[0].data, absl::string_view(path, sizeof(path)));
}

TEST(XPlanTest, UnknownCallsHaveNoPlan) {
  EXPECT_TRUE(XPlan::For(abi::kSysGetpid, {}).empty());
  EXPECT_TRUE(XPlan::For(9999, {1, 2, 3}).empty());
}

}  // namespace
}  // namespace sp::client
