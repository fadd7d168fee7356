// Subprocess: a child process started by a test, with its standard output
// read line by line, stopped by PID when the test is done.
//
// Promises: the child is killed (SIGKILL) and reaped when the Subprocess is
// destroyed, so no test leaves a process behind, whatever assertion fails.
#ifndef RUMP_TESTS_SUPPORT_SUBPROCESS_H_
#define RUMP_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rump_testing {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with `argv`; its stdout is captured, its stderr
  // goes to the test's stderr.
  static absl::StatusOr<Subprocess> Start(const std::vector<std::string>& argv);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }

  // The next line of output (without the newline), or nullopt at end of
  // output or when `timeout` passes first.
  std::optional<std::string> ReadLine(absl::Duration timeout);

  // Waits for the child to exit; its wait status, or DeadlineExceeded (the
  // child is then still running).
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Sends `signal` to the child.
  void Kill(int signal);

 private:
  Subprocess(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}

  pid_t pid_;
  int out_fd_;
  bool reaped_ = false;
  std::string pending_;
  bool eof_ = false;
};

// The path of a binary in this test's runfiles, e.g. "shmif/bus_peer".
std::string RunfilePath(const std::string& workspace_relative);

}  // namespace rump_testing

#endif  // RUMP_TESTS_SUPPORT_SUBPROCESS_H_
