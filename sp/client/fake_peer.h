// Test helper: the server's end of a stream connection, scripted by a test
// (reads the client's frames, writes whatever bytes the test wants).
#ifndef RUMP_SP_CLIENT_FAKE_PEER_H_
#define RUMP_SP_CLIENT_FAKE_PEER_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sp/wire/frame_reader.h"

namespace sp::client::testing {

class FakePeer {
 public:
  explicit FakePeer(int fd) : fd_(fd) {}
  ~FakePeer();
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  // Writes all of `bytes` (false if the client is gone).
  bool Write(absl::string_view bytes);
  // The next frame from the client, or nullopt at EOF / after `timeout`.
  std::optional<wire::Frame> Read(absl::Duration timeout = absl::Seconds(10));
  // True if the client closed its end (EOF) within `timeout`.
  bool SeesEof(absl::Duration timeout = absl::Seconds(10));
  void Close();
  int fd() const { return fd_; }

 private:
  int fd_;
  wire::FrameReader reader_;
};

// A unix socket path in a fresh short directory under /tmp (sun_path is
// short; TEST_TMPDIR is long). Removed with the directory by ~TempDir.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sp::client::testing

#endif  // RUMP_SP_CLIENT_FAKE_PEER_H_
