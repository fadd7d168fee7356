#include "sp/client/fake_peer.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/time/clock.h"

namespace sp::client::testing {

FakePeer::~FakePeer() { Close(); }

void FakePeer::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool FakePeer::Write(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

std::optional<wire::Frame> FakePeer::Read(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (auto f = reader_.Next()) return f;
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return std::nullopt;
    struct pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, int(ms)) <= 0) continue;
    char buf[65536];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n <= 0) return std::nullopt;
    if (!reader_.Feed(absl::string_view(buf, size_t(n))).ok()) return std::nullopt;
  }
}

bool FakePeer::SeesEof(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return false;
    struct pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, int(ms)) <= 0) continue;
    char buf[65536];
    const ssize_t n = read(fd_, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return true;
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/rcXXXXXX";
  if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
}

}  // namespace sp::client::testing
