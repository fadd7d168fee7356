// A client process's connection to a rump kernel server, with NetBSD's
// reconnect policy (rumpclient_setconnretry): what librumpclient keeps per
// host process. Thread-safe.
#ifndef RUMP_SP_CLIENT_CLIENT_H_
#define RUMP_SP_CLIENT_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "sp/client/connection.h"
#include "sp/transport/url.h"
#include "sp/wire/protocol.h"

namespace sp::client {

// Reconnect policies (NetBSD's RUMPCLIENT_RETRYCONN_*): 0 never reconnects
// (lost connections give ENOTCONN), n > 0 keeps trying for n seconds.
inline constexpr int64_t kRetryConnInfTime = -1;  // forever
inline constexpr int64_t kRetryConnOnce = -2;     // give up after the second attempt
inline constexpr int64_t kRetryConnDie = -3;      // _exit(1) when the connection is lost

// The process-wide policy. Values below kRetryConnDie are ignored.
void SetConnRetry(int64_t policy);
int64_t ConnRetry();

// The pause after failed reconnect attempt `n` (1, 2, ...): n x 100 ms for
// n < 10, then min(10, n - 9) s.
absl::Duration ReconnectBackoff(int attempt);

// This program's name as the handshake carries it: /proc/self/comm (at most
// 128 bytes, trailing newline removed), "???" if that cannot be read.
std::string ProgramName();

class Client {
 public:
  // Connects to `url` with a GUEST handshake.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const transport::Url& url,
                                                         const ConnectionOptions& options);
  // In the child of a host fork: a new connection with a FORK handshake.
  static absl::StatusOr<std::unique_ptr<Client>> ConnectForked(const transport::Url& url,
                                                               const wire::Cookie& cookie,
                                                               const ConnectionOptions& options);
  // After exec: continues on the inherited socket `fd` (EXEC handshake).
  // `url` (if known) is where to reconnect to.
  static absl::StatusOr<std::unique_ptr<Client>> ResumeAfterExec(
      int fd, std::optional<transport::Url> url, const ConnectionOptions& options);

  // A system call with every signal blocked in the calling thread for its
  // duration (a signal the server raises is delivered when it returns);
  // errno is as it was before the call.
  // When the connection is lost, reconnects (GUEST: a new kernel process)
  // and sends the call again as the policy says; otherwise ENOTCONN.
  SyscallResult Syscall(uint32_t sysnum, absl::Span<const uint64_t> slots);

  // PREFORK on the current connection (signals blocked).
  absl::StatusOr<wire::Cookie> Prefork();

  // Child of a host fork: closes this process's copy of the connection's
  // descriptors; writes no memory (see Transport::CloseAfterFork). The
  // Client must then be leaked.
  void CloseAfterFork() const;

  // The current connection's stream socket (for exec), -1 if it has none.
  int SocketFd() const;
  // rumpclient__closenotify support (Transport::MoveOffFd / OwnFds).
  absl::Status MoveOffFd(int fd);
  std::vector<int> OwnFds() const;

  // The server's URL, if known.
  const std::optional<transport::Url>& url() const { return url_; }
  std::shared_ptr<Connection> connection() const;

 private:
  Client(std::optional<transport::Url> url, const ConnectionOptions& options,
         std::unique_ptr<Connection> conn);

  // Replaces the connection of generation `gen` after it was lost; true
  // when a working connection is in place (made here or by another thread).
  bool Reconnect(uint64_t gen);

  const std::optional<transport::Url> url_;
  const ConnectionOptions options_;

  mutable std::mutex mu_;
  std::shared_ptr<Connection> conn_;
  uint64_t gen_ = 0;     // bumped by each new connection
  uint64_t rounds_ = 0;  // reconnect rounds finished
  // Read without the lock by CloseAfterFork (no other thread in a child).
  std::atomic<Connection*> raw_conn_{nullptr};

  std::mutex reconnect_mu_;  // one reconnect round at a time
};

// The environment for exec'ing a program that continues this connection:
// `envp` without any RUMPCLIENT__EXECFD= or RUMP__PARSEDSERVER= entries,
// plus RUMPCLIENT__EXECFD=<fd>,-1 and (if `url` is given)
// RUMP__PARSEDSERVER=<url with an absolute path>.
std::vector<std::string> ExecEnvironment(const char* const* envp, int fd,
                                         const std::optional<transport::Url>& url);

// Parses RUMPCLIENT__EXECFD's value "<fd>,<fd>" (NetBSD's; the second is
// ignored, and may be missing): the connection's descriptor, or EINVAL.
absl::StatusOr<int> ParseExecFd(const char* value);

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_CLIENT_H_
