#include "sp/testing/server_fixture.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "gtest/gtest.h"
#include "rump/abi/syscalls.h"

namespace sp::testing {

ScratchDir::ScratchDir(bool make_cwd) {
  char tmpl[] = "/tmp/sp.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return;
  }
  path_ = tmpl;
  if (!make_cwd) return;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd)) == nullptr || chdir(path_.c_str()) != 0) {
    ADD_FAILURE() << "cannot change to " << path_ << ": " << std::strerror(errno);
    return;
  }
  old_cwd_ = cwd;
}

ScratchDir::~ScratchDir() {
  if (!old_cwd_.empty()) (void)!chdir(old_cwd_.c_str());
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::function<void(const std::string&)> LogCapture::Sink() {
  return [this](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += line + "\n";
  };
}

std::string LogCapture::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

std::unique_ptr<RawClient> ConnectRaw(const std::string& url) {
  absl::StatusOr<std::unique_ptr<RawClient>> c = RawClient::Connect(url);
  EXPECT_TRUE(c.ok()) << url << ": " << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

void ExpectGuestGetpidSocket(RawClient& c, absl::string_view progname, int64_t pid) {
  EXPECT_EQ(c.banner(), kOurBanner);
  absl::Status hs = c.Handshake(progname);
  ASSERT_TRUE(hs.ok()) << hs;
  absl::StatusOr<RawClient::Result> r = c.Syscall(rump::abi::kSysGetpid, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rv0, pid);
  EXPECT_EQ(r->rv1, 1);
  r = c.Syscall(rump::abi::kSysSocket, {2, 2, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 3);
}

}  // namespace sp::testing
