#include "rump/components.h"

#include "gtest/gtest.h"
#include "rump/dev/shmif/shmif.h"
#include "rump/kern/kernel.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet.h"

namespace rump {
namespace {

std::vector<std::string> NamesOf(const std::vector<ComponentFactory>& fs) {
  std::vector<std::string> names;
  for (const auto& f : fs) names.push_back(f()->name());
  return names;
}

TEST(ComponentsTest, ShmifBringsTheNetStackFirst) {
  auto fs = ComponentsFor({"rumpnet_shmif"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "shmif"}));
}

TEST(ComponentsTest, NamesFoldedIntoOneComponentAreDeduplicated) {
  auto fs = ComponentsFor({"rumpnet_shmif", "rumpnet", "rumpnet_net", "rumpnet_netinet",
                           "rumpvfs", "rumpdev", "rumpkern_sysproxy", "rumpnet"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "inet", "shmif"}));
}

TEST(ComponentsTest, NetinetBringsTheNetStackFirst) {
  auto fs = ComponentsFor({"rumpnet_netinet"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "inet"}));
}

TEST(ComponentsTest, Netinet6ComesAfterNetinet) {
  auto fs = ComponentsFor({"rumpnet_shmif", "rumpnet_netinet6", "rumpnet_netinet"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "inet", "inet6", "shmif"}));
  fs = ComponentsFor({"librumpnet_netinet6"});
  EXPECT_FALSE(fs.ok());  // rump_server strips "lib" and ".so" itself
  fs = ComponentsFor({"rumpnet_netinet6"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "inet6"}));
}

TEST(ComponentsTest, ConfigBringsTheNetStack) {
  auto fs = ComponentsFor({"rumpnet_config"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net"}));
  fs = ComponentsFor({"rumpnet_config", "rumpnet_netinet", "rumpnet_shmif"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_EQ(NamesOf(*fs), (std::vector<std::string>{"net", "inet", "shmif"}));
}

TEST(ComponentsTest, KnownNamesThatAddNothingYet) {
  auto fs = ComponentsFor({"rump", "rumpuser", "rumpkern", "rumpvfs", "rumpnet_local"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  EXPECT_TRUE(fs->empty());
  fs = ComponentsFor({});
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(fs->empty());
}

TEST(ComponentsTest, UnknownNameIsNotFoundAndNamed) {
  auto fs = ComponentsFor({"rumpnet", "rumpfs_bogus"});
  ASSERT_FALSE(fs.ok());
  EXPECT_TRUE(absl::IsNotFound(fs.status()));
  EXPECT_NE(fs.status().message().find("rumpfs_bogus"), std::string::npos);
}

TEST(ComponentsTest, AllComponentsBoot) {
  KernelOptions o;
  o.components = AllComponents();
  auto k = Kernel::Boot(std::move(o));
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_NE((*k)->Find<NetStack>(), nullptr);
  EXPECT_NE((*k)->Find<Shmif>(), nullptr);
  EXPECT_NE((*k)->Find<Inet>(), nullptr);
  EXPECT_TRUE((*k)->HasComponent("net"));
  EXPECT_TRUE((*k)->HasComponent("inet"));
  EXPECT_TRUE((*k)->HasComponent("inet6"));
  EXPECT_TRUE((*k)->HasComponent("shmif"));
  EXPECT_TRUE((*k)->HasComponent("virtif"));
  EXPECT_TRUE((*k)->HasComponent("slirpif"));
}

TEST(ComponentsTest, VirtifBringsTheNetBase) {
  auto fs = ComponentsFor({"rumpnet_virtif"});
  ASSERT_TRUE(fs.ok()) << fs.status();
  KernelOptions o;
  o.components = std::move(*fs);
  auto k = Kernel::Boot(std::move(o));
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_TRUE((*k)->HasComponent("net"));
  EXPECT_TRUE((*k)->HasComponent("virtif"));
  EXPECT_FALSE((*k)->HasComponent("shmif"));
}

TEST(ComponentsTest, ShmifAloneFailsClearly) {
  KernelOptions o;
  o.components.push_back([] { return std::make_unique<Shmif>(); });
  auto k = Kernel::Boot(std::move(o));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("net component"), std::string::npos) << k.status();
}

}  // namespace
}  // namespace rump
