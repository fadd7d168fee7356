// The rump_sp server: a kernel served at a URL (unix://, tcp://, zmq+tcp://,
// zmq+ipc://; see sp/transport/url.h). It ties a transport Listener to the
// sessions (session.h): each accepted connection gets the banner in one
// write, then a Session; a worker pool runs the system calls.
//
// Programs use it two ways:
//   * rump_server (rump/cmd): Server::Start, then on SIGTERM/SIGINT or a
//     client's reboot(2) (the kernel halts) Server::Stop.
//   * the C API's rump_init_server(url): ServeKernel(kernel, url), which
//     stops the server by itself when the kernel halts.
#ifndef RUMP_SP_SERVER_SERVER_H_
#define RUMP_SP_SERVER_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rump/kern/kernel.h"
#include "sp/server/credential_policy.h"
#include "sp/server/session.h"
#include "sp/server/worker_pool.h"
#include "sp/transport/connection.h"
#include "sp/transport/curve_keys.h"
#include "sp/transport/listener.h"

namespace sp::server {

// NetBSD's RB_HALT: halt the kernel but keep the host process running.
inline constexpr int kRbHalt = 0x008;

struct ServerOptions {
  // Client slots, pending-fork limit, verbosity, log sink.
  SessionOptions session;
  // Worker threads for system calls (NetBSD: 128, 16 kept idle).
  WorkerPoolOptions workers;
  // The frame size limit (header included); larger frames close their
  // connection. Default: a COPYOUT of wire::kMaxCopyChunk (16 MiB + 40).
  uint64_t max_frame_len = wire::kDefaultMaxFrameLen;
  // A client that leaves this many bytes unread is disconnected.
  size_t max_output_backlog = size_t{64} << 20;
  // A client that has not completed its handshake this long after it
  // connected is disconnected with a log line (a connection that says
  // nothing holds a client slot). Zero or less: no limit.
  absl::Duration handshake_timeout = absl::Seconds(60);
  // Announce our extensions in the banner ("x-batch=1 x-intr=1").
  bool announce_extensions = true;
  // Who is admitted and with which credentials (credential_policy.h).
  // nullptr: everyone, as root (NetBSD's behaviour).
  std::shared_ptr<const CredentialPolicy> policy;
  // unix:// only: the socket file's mode and owner, in place before any
  // client can connect (transport::ListenerOptions). -1: bind(2)'s.
  int socket_mode = -1;
  int64_t socket_uid = -1;
  int64_t socket_gid = -1;
  // zmq+tcp:// and zmq+ipc:// only: CURVE with this secret key (40 Z85
  // characters; transport::ListenerOptions). A client is then admitted
  // only if its public key is on `curve_allow` (nullptr: any key, i.e.
  // encryption without authentication), and its identity is its key
  // (the policy's `curve KEY` rules). Refused keys are logged once each.
  std::string curve_secret_key;
  std::shared_ptr<const transport::CurveAllowList> curve_allow;
};

class Server final : public transport::Acceptor {
 public:
  // Binds `url` and starts serving `kernel` (which must outlive the
  // server). Returns once the address accepts connections. Errors carry a
  // NetBSD errno (rump::abi::ToErrno gives it: 48 EADDRINUSE for a live
  // server's socket, 63 ENAMETOOLONG for a unix path over sun_path, ...)
  // and a message "rump_sp: failed to bind to URL <url>: <why>".
  static absl::StatusOr<std::unique_ptr<Server>> Start(rump::Kernel& kernel,
                                                       absl::string_view url,
                                                       ServerOptions options = {});
  // Stop(5 s).
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops serving: no new connections (the unix socket file is removed at
  // once), new requests are ignored, calls in flight finish and send their
  // answers (the reboot(2) that halted the kernel is answered success),
  // then every connection is closed after its output is flushed and every
  // client process released. Waits at most `grace` for calls that do not
  // finish (blocked in the kernel); returns false if some did not, and then
  // leaves them running (they keep what they use alive). Idempotent.
  bool Stop(absl::Duration grace = absl::Seconds(5));

  // The bound address, e.g. "unix:///tmp/sp.x/sock", "tcp://127.0.0.1:40112/"
  // (the real port if 0 was asked for), "zmq+tcp://127.0.0.1:5555".
  const std::string& url() const { return url_; }
  // The banner every client gets.
  const std::string& banner() const { return banner_; }
  // Connected clients (slots in use).
  int clients() const { return host_->clients(); }
  // Calls run and requests sent so far, over all connections.
  SessionStats stats() const { return host_->stats(); }

  // Replaces the credential policy (rump_server's SIGHUP re-reads its
  // file). Connections from now on are judged by `policy`; clients already
  // admitted keep their processes and credentials. nullptr: root for all.
  void SetPolicy(std::shared_ptr<const CredentialPolicy> policy);

  // Replaces the CURVE allow-list (rump_server's SIGHUP re-reads its
  // file): handshakes from now on are judged by it; connected clients stay.
  // nullptr: every key is admitted.
  void SetCurveAllowList(std::shared_ptr<const transport::CurveAllowList> allow);

  // transport::Acceptor: a slot and a Session, or nullptr (closed without
  // banner) when all slots are taken or the server is stopping.
  std::shared_ptr<transport::Receiver> OnAccept(
      std::shared_ptr<transport::Connection> conn) override;

 private:
  explicit Server(ServerOptions options);

  // The policy's decision for `conn`: its credentials, or nullopt (refused,
  // logged once per identity).
  std::optional<rump::Credentials> Admit(const transport::Connection& conn);
  // The ZAP decision for a CURVE client's key (on the transport's thread).
  bool AuthorizeCurveKey(const std::string& key, const std::string& address);

  // Closes the connections that are still without a handshake at their
  // deadline (ServerOptions::handshake_timeout).
  void WatchHandshakes();

  const ServerOptions options_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  // New sessions by deadline (one timeout for all: arrival order is
  // deadline order); guarded by watch_mu_.
  std::deque<std::pair<absl::Time, std::weak_ptr<Session>>> watched_;
  bool watch_stop_ = false;  // guarded by watch_mu_
  bool watch_handshakes_ = false;  // set before the listener starts
  std::thread watcher_;
  std::mutex policy_mu_;
  std::shared_ptr<const CredentialPolicy> policy_;  // guarded by policy_mu_
  std::set<std::string> refused_;                   // guarded by policy_mu_
  std::shared_ptr<const transport::CurveAllowList> curve_allow_;  // guarded by policy_mu_
  std::set<std::string> refused_keys_;                            // guarded by policy_mu_
  std::string banner_;
  std::string url_;
  std::unique_ptr<WorkerPool> pool_;
  std::shared_ptr<SessionHost> host_;
  std::unique_ptr<transport::Listener> listener_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  bool stop_result_ = true;
};

struct ServeOptions {
  ServerOptions server;
  // When the kernel halts without RB_HALT, exit the host process with
  // status 0 after the server has stopped (NetBSD's rump kernel does: a
  // halted kernel ends its process). With RB_HALT the process continues.
  bool exit_on_halt = true;
};

// rump_init_server(url): serves `kernel` at `url` for as long as the kernel
// runs (several calls serve several URLs). Returns once the address accepts
// connections; errors as Server::Start. When the kernel halts (a client's
// reboot(2), or the program's own), the server answers the reboot, stops
// (removing its socket file) and, unless RB_HALT or !exit_on_halt, the
// process exits 0. `kernel` must live until the process ends (the C API's
// kernel does).
absl::Status ServeKernel(rump::Kernel& kernel, absl::string_view url, ServeOptions options = {});

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_SERVER_H_
