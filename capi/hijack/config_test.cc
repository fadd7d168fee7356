#include "capi/hijack/config.h"

#include <sys/socket.h>

#include "gtest/gtest.h"

namespace rump::hijack {
namespace {

TEST(HijackConfigTest, NetbsdDefaultTakesEveryFamilyButLocal) {
  absl::StatusOr<HijackConfig> c = ParseHijackConfig(kDefaultHijack);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->path, "/rump");
  EXPECT_TRUE(c->HijacksFamily(AF_INET));
  EXPECT_TRUE(c->HijacksFamily(AF_INET6));
  EXPECT_FALSE(c->HijacksFamily(AF_UNIX));
  // Linux-only families stay on the host even under "all".
  EXPECT_FALSE(c->HijacksFamily(AF_NETLINK));
  EXPECT_FALSE(c->HijacksFamily(AF_PACKET));
  EXPECT_FALSE(c->sysctl);
  EXPECT_EQ(c->fdoff, 128);
}

TEST(HijackConfigTest, EmptyStringHijacksNothing) {
  absl::StatusOr<HijackConfig> c = ParseHijackConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->HijacksFamily(AF_INET));
  EXPECT_EQ(c->path, "");
}

TEST(HijackConfigTest, FamilyListsAddAndRemove) {
  absl::StatusOr<HijackConfig> c = ParseHijackConfig("socket=inet:inet6");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->HijacksFamily(AF_INET));
  EXPECT_FALSE(c->HijacksFamily(AF_UNIX));
  c = ParseHijackConfig("socket=all:noinet");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->HijacksFamily(AF_INET));
  EXPECT_TRUE(c->HijacksFamily(AF_INET6));
  EXPECT_TRUE(c->HijacksFamily(AF_UNIX));
  c = ParseHijackConfig("socket=");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->HijacksFamily(AF_INET));
}

TEST(HijackConfigTest, EveryKeyParses) {
  absl::StatusOr<HijackConfig> c =
      ParseHijackConfig("path=/rump/,blanket=/dev/bpf:/x,socket=inet,sysctl=yes,fdoff=300,vfs=all");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->path, "/rump");
  ASSERT_EQ(c->blanket.size(), 2u);
  EXPECT_EQ(c->blanket[0], "/dev/bpf");
  EXPECT_TRUE(c->sysctl);
  EXPECT_EQ(c->fdoff, 300);
}

TEST(HijackConfigTest, BadInputIsNamed) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"sockets=inet", "unknown name \"sockets\""},
      {"socket=inet:ipx", "unknown protocol family \"ipx\""},
      {"socket=inet:all", "\"all\" may only be the first"},
      {"fdoff=2", "fdoff: \"2\""},
      {"fdoff=many", "fdoff: \"many\""},
      {"sysctl=maybe", "sysctl: \"maybe\""},
      {"path=rump", "not an absolute path"},
      {"socket", "is not name=value"},
  };
  for (const Case& k : cases) {
    absl::StatusOr<HijackConfig> c = ParseHijackConfig(k.text);
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_NE(c.status().message().find(k.says), absl::string_view::npos)
        << k.text << ": " << c.status();
    EXPECT_NE(c.status().message().find("RUMPHIJACK"), absl::string_view::npos);
  }
}

}  // namespace
}  // namespace rump::hijack
