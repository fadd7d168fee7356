// The banner: NetBSD's bytes, our extension token, parsing and its errors.
#include "sp/wire/banner.h"

#include <string>

#include "gtest/gtest.h"
#include "sp/wire/spec_examples.h"

namespace sp::wire {
namespace {

TEST(BannerTest, DefaultIsNetbsdsBannerByteForByte) {
  auto text = BannerInfo().Format();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, testing::SpecBanner());
  EXPECT_EQ(*text, kNetbsdBanner);
  EXPECT_EQ(text->size(), 32u);
}

TEST(BannerTest, OursAnnouncesTheBatchExtensionBeforeTheNewline) {
  auto text = OurBanner().Format();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1 x-intr=1\n");
  // What a NetBSD client requires: one read of <= 95 bytes ending in LF.
  EXPECT_LE(text->size(), kMaxBannerLen);
  EXPECT_EQ(text->back(), '\n');
}

TEST(BannerTest, ParsesNetbsdsPlainBanner) {
  auto info = BannerInfo::Parse(testing::SpecBanner());
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->major, 0);
  EXPECT_EQ(info->minor, 4);
  EXPECT_EQ(info->ostype, "NetBSD");
  EXPECT_EQ(info->osrelease, "7.99.34");
  EXPECT_EQ(info->machine, "amd64");
  EXPECT_EQ(info->batch_version, 0);
  EXPECT_TRUE(info->other_tokens.empty());
  EXPECT_EQ(*info, BannerInfo());
}

TEST(BannerTest, ParsesOurs) {
  auto info = BannerInfo::Parse("RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1 x-intr=1\n");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->batch_version, 1);
  EXPECT_EQ(info->interrupt_version, 1);
  EXPECT_EQ(*info, OurBanner());
  // Each on its own (an older server of ours offers only x-batch).
  info = BannerInfo::Parse("RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1\n");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->interrupt_version, 0);
}

TEST(BannerTest, KeepsUnknownTokensAndIgnoresBadBatchValues) {
  auto info = BannerInfo::Parse(
      "RUMPSP-1.12-Linux-6.1.0-13/x86_64 future=7  x-batch=zz x-batch=0 x-batch=3 x-intr=x "
      "x-intr=2\n");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->major, 1);
  EXPECT_EQ(info->minor, 12);
  EXPECT_EQ(info->ostype, "Linux");
  EXPECT_EQ(info->osrelease, "6.1.0-13");
  EXPECT_EQ(info->machine, "x86_64");
  EXPECT_EQ(info->batch_version, 3);
  EXPECT_EQ(info->interrupt_version, 2);
  EXPECT_EQ(info->other_tokens,
            (std::vector<std::string>{"future=7", "x-batch=zz", "x-batch=0", "x-intr=x"}));
}

TEST(BannerTest, FormatParseRoundTrip) {
  BannerInfo b;
  b.major = 3;
  b.minor = 14;
  b.ostype = "Rump";
  b.osrelease = "1.0-rc2";
  b.machine = "x86_64";
  b.batch_version = 2;
  b.other_tokens = {"a=b", "c"};
  auto text = b.Format();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "RUMPSP-3.14-Rump-1.0-rc2/x86_64 x-batch=2 a=b c\n");
  auto back = BannerInfo::Parse(*text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, b);
}

TEST(BannerTest, RejectsMalformedBanners) {
  const std::string bad[] = {
      "",
      "RUMPSP-0.4-NetBSD-7.99.34/amd64",                                 // no LF
      "RUMPSP-0.4-NetBSD-7.99.34/amd64\n\n",                             // second LF
      std::string("RUMPSP-0.4-Net\0BSD-7/amd64\n", 27),                  // NUL
      "RUMPXX-0.4-NetBSD-7.99.34/amd64\n",                               // prefix
      "RUMPSP-0-NetBSD-7.99.34/amd64\n",                                 // no minor
      "RUMPSP-a.4-NetBSD-7.99.34/amd64\n",                               // not a number
      "RUMPSP-0.4NetBSD-7.99.34/amd64\n",                                // no '-' after version
      "RUMPSP-0.4-NetBSD/amd64\n",                                       // no '-' after ostype
      "RUMPSP-0.4-NetBSD-7.99.34-amd64\n",                               // no '/'
      "RUMPSP-0.4--7.99.34/amd64\n",                                     // empty ostype
      "RUMPSP-0.4-NetBSD-/amd64\n",                                      // empty osrelease
      "RUMPSP-0.4-NetBSD-7.99.34/\n",                                    // empty machine
      "RUMPSP-0.4-NetBSD-7.99.34/ x-batch=1\n",                          // empty machine
      "RUMPSP-1234567890.4-NetBSD-7.99.34/amd64\n",                      // absurd version
      "RUMPSP-0.4-NetBSD-7.99.34/amd64 " + std::string(63, 'x') + "\n",  // 96 bytes
  };
  for (const std::string& b : bad) {
    EXPECT_FALSE(BannerInfo::Parse(b).ok()) << b;
  }
  // 95 bytes is still fine.
  EXPECT_TRUE(
      BannerInfo::Parse("RUMPSP-0.4-NetBSD-7.99.34/amd64 " + std::string(62, 'x') + "\n").ok());
}

TEST(BannerTest, FormatRefusesWhatWouldNotParseBack) {
  BannerInfo b;
  b.ostype = "Net-BSD";
  EXPECT_FALSE(b.Format().ok());
  b = BannerInfo();
  b.osrelease = "7/99";
  EXPECT_FALSE(b.Format().ok());
  b = BannerInfo();
  b.machine = "amd 64";
  EXPECT_FALSE(b.Format().ok());
  b = BannerInfo();
  b.machine = "";
  EXPECT_FALSE(b.Format().ok());
  b = BannerInfo();
  b.other_tokens = {"two words"};
  EXPECT_FALSE(b.Format().ok());
  b = BannerInfo();
  b.other_tokens = {std::string(80, 'x')};
  EXPECT_FALSE(b.Format().ok());  // 113 bytes
}

}  // namespace
}  // namespace sp::wire
