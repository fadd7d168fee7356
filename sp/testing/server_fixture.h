// Test-only helpers for tests that start rump_sp servers (in process or as
// programs) and talk to them: a short scratch directory for socket files,
// a log sink to look at afterwards, and a raw client's usual first steps.
// Failures are reported through googletest (EXPECT_*), never thrown.
#ifndef RUMP_SP_TESTING_SERVER_FIXTURE_H_
#define RUMP_SP_TESTING_SERVER_FIXTURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "sp/server/raw_client.h"

namespace sp::testing {

// The banner our server sends (x-batch and x-intr announced).
inline constexpr char kOurBanner[] = "RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1 x-intr=1\n";

// A fresh directory /tmp/sp.XXXXXX (unix socket paths must stay under 107
// bytes; Bazel's TEST_TMPDIR is too long), by default also the working
// directory so that relative unix:// and zmq+ipc:// URLs land in it. The
// destructor restores the working directory and removes the tree.
class ScratchDir {
 public:
  explicit ScratchDir(bool make_cwd = true);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // False if the directory could not be made (a test failure is recorded).
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string old_cwd_;  // empty: the working directory was not changed
};

// Collects log lines (ServerOptions::session.log, ListenerOptions::log) from
// any thread.
class LogCapture {
 public:
  // A sink that appends each line and a newline; valid while this lives.
  std::function<void(const std::string&)> Sink();
  // Everything logged so far.
  std::string text() const;

 private:
  mutable std::mutex mu_;
  std::string text_;
};

// RawClient::Connect, expecting success; nullptr (and a test failure) if not.
std::unique_ptr<RawClient> ConnectRaw(const std::string& url);

// A new client's first steps against a fresh kernel, each expected to
// succeed: the banner is ours, a GUEST handshake as `progname`, getpid is
// (`pid`, ppid 1), and the first socket(AF_INET, SOCK_DGRAM) is fd 3.
void ExpectGuestGetpidSocket(RawClient& c, absl::string_view progname, int64_t pid = 2);

}  // namespace sp::testing

#endif  // RUMP_SP_TESTING_SERVER_FIXTURE_H_
