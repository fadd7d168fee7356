// Server-side transports: a Listener binds a rump_sp URL, accepts clients
// and moves frames between their connections and the session logic
// (connection.h). One transport thread per listener does all the socket
// work; sessions send from any thread.
//
//   unix://path, tcp://a.b.c.d:port/, tcp://[v6]:port/   stream_listener.h:
//       non-blocking stream sockets, epoll, TCP_NODELAY, MSG_NOSIGNAL,
//       frames cut by sp/wire's FrameReader.
//   zmq+tcp://host:port, zmq+ipc://path                    zmq_listener.h:
//       a ZeroMQ ROUTER; one sp frame per message (framing documented there).
//
// unix:// and zmq+ipc:// socket files: a file left behind by a dead server
// (nobody accepts on it: connect() gives ECONNREFUSED) is replaced; a live
// server's is not (EADDRINUSE); anything that is not a socket is never
// touched (EADDRINUSE). The file is removed when the listener stops
// accepting, if it is still the one this listener created.
//
// Errors carry the host errno (HostErrno()), as URL errors do.
#ifndef RUMP_SP_TRANSPORT_LISTENER_H_
#define RUMP_SP_TRANSPORT_LISTENER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sp/transport/connection.h"
#include "sp/transport/url.h"
#include "sp/wire/protocol.h"

namespace sp::transport {

struct ListenerOptions {
  // Frames longer than this (header included) close their connection. Must
  // admit a COPYOUT of wire::kMaxCopyChunk bytes for a full-speed server.
  uint64_t max_frame_len = wire::kDefaultMaxFrameLen;
  // A peer that leaves more than this many bytes unread is disconnected.
  size_t max_output_backlog = size_t{64} << 20;
  // listen(2) backlog (NetBSD's).
  int backlog = 256;
  // unix:// only: the socket file's permission bits (e.g. 0660) and owner
  // (uid, gid). The file has them from the moment it appears at its path
  // (bound in a private directory beside it, then renamed into place), so
  // no client ever connects through looser permissions. -1 leaves each to
  // bind(2) (the umask, the process's ids). Other schemes: InvalidArgument
  // when any is set.
  int socket_mode = -1;
  int64_t socket_uid = -1;
  int64_t socket_gid = -1;
  // zmq+tcp:// and zmq+ipc:// only: CURVE (encryption and client
  // authentication, zmq_listener.h). The server's secret key, 40 Z85
  // characters; empty: no CURVE. Other schemes: InvalidArgument when set.
  std::string curve_secret_key;
  // With CURVE: asked on the transport's thread, during each client's
  // handshake, with the client's public key (Z85) and its address ("" or
  // an IP address); true admits it, false refuses it (the client gets
  // nothing, not even the banner). Must not block. Unset: every key is
  // admitted (encryption without authentication).
  std::function<bool(const std::string& key, const std::string& address)> curve_authorize;
  // Where the transport's own log lines go (accept failures, replaced stale
  // socket files). Default: stderr, prefixed "rump_sp: ".
  std::function<void(const std::string&)> log;
};

class Listener {
 public:
  // Binds and listens on `url` (parsed for Role::kServer). Returns once the
  // address accepts connections (they wait in the backlog until Start).
  static absl::StatusOr<std::unique_ptr<Listener>> Open(const Url& url,
                                                        ListenerOptions options = {});

  // Stops everything (Shutdown with no flush time) if still running.
  virtual ~Listener() = default;

  // Starts the transport thread, which hands connections to `acceptor`
  // (which must outlive the thread: until Shutdown returns). Once.
  virtual void Start(Acceptor* acceptor) = 0;

  // Stops accepting: closes the listening socket and removes the unix
  // socket file. Existing connections continue. Idempotent.
  virtual void StopAccepting() = 0;

  // Closes every connection, first sending what is queued for it for at
  // most `flush`; OnClosed runs for each. Then stops the transport thread.
  // Implies StopAccepting. Idempotent.
  virtual void Shutdown(absl::Duration flush) = 0;

  // The address actually bound, as a URL: "unix:///abs/path",
  // "tcp://127.0.0.1:40112/" (the real port when 0 was asked for),
  // "zmq+tcp://127.0.0.1:5555", "zmq+ipc:///abs/path".
  virtual std::string BoundUrl() const = 0;
};

// An error status carrying `host_errno` (read back with HostErrno; the same
// payload as URL errors, so UrlErrno reads it too).
absl::Status HostError(int host_errno, const std::string& message);
// The host errno carried by a transport or URL error; 0 for OK; EINVAL for
// a status that carries none.
int HostErrno(const absl::Status& status);

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_LISTENER_H_
