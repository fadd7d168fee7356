// The client side of the rump_sp transports: what the connection needs from
// a socket, and nothing about the protocol beyond frame boundaries.
//
//   unix://, tcp://     a stream socket: one blocking read of the banner
//                       (at most 95 bytes, the last one '\n', as NetBSD's
//                       client), then frames cut by sp/wire's FrameReader.
//                       TCP_NODELAY on tcp; sends use MSG_NOSIGNAL.
//   zmq+tcp://, zmq+ipc://  a ZeroMQ DEALER (framing: sp/transport/
//                       zmq_listener.h): an empty "hello" message, the banner
//                       as one message, then one frame per message; an empty
//                       message from the server is its close. A socket
//                       monitor reports the underlying connection's loss, and
//                       the DEALER never reconnects by itself. With
//                       TransportOptions::curve_server_key the DEALER uses
//                       CURVE; a handshake the server refuses (our key not
//                       admitted, a wrong server key, CURVE on one side
//                       only) fails the connect at once, with a message
//                       that says which (the monitor's HANDSHAKE_FAILED
//                       events).
//
// Threads: Send may be called from any thread (senders are serialised, so
// frames never interleave); Receive by one thread at a time, concurrently
// with Send; Shutdown from any thread.
#ifndef RUMP_SP_CLIENT_TRANSPORT_H_
#define RUMP_SP_CLIENT_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sp/transport/url.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"

namespace sp::client {

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends one whole frame (header included). Errors carry the host errno:
  // ENOTCONN when the connection is gone (EPIPE, ECONNRESET, EBADF and a
  // shut down transport all become ENOTCONN).
  virtual absl::Status Send(absl::string_view frame) = 0;

  // Blocks until at least one complete frame has arrived and appends every
  // complete frame to `out`. Errors: Unavailable + ENOTCONN when the server
  // closed the connection (or Shutdown was called); DataLoss + EPROTO when
  // the server sent something that is not a frame (too long, too short,
  // a message whose size is not its frame's); both end the connection.
  // Frames that arrived before the end are returned first (OK), and the
  // error with the next call: the server's last answers (the reboot's) come
  // right before it closes.
  virtual absl::Status Receive(std::vector<wire::Frame>* out) = 0;

  // Ends the connection: a blocked Receive returns ENOTCONN, later Sends
  // fail. Idempotent; the descriptors stay open until destruction.
  virtual void Shutdown() = 0;

  // In the child of a host fork(): closes this process's copies of the
  // descriptors that carry the connection, without any I/O on it and
  // without writing to this object's memory (a vfork child shares it), so
  // the parent's connection is undisturbed and the server sees the
  // connection end when the parent closes it. The object must then be
  // leaked, never used or destroyed in the child.
  virtual void CloseAfterFork() const = 0;

  // The stream socket, which survives exec (rumpclient_exec); -1 for a
  // transport that cannot be handed to a new program image (ZeroMQ).
  virtual int fd() const = 0;

  // Moves the descriptors this transport owns off `fd` (rumpclient__closenotify:
  // the application is about to close or dup2 over it): re-dups them to a
  // free number above 2 and above `fd`. The old number is left open for the
  // application to close. OK if nothing of ours is on `fd`.
  virtual absl::Status MoveOffFd(int fd) = 0;

  // Every descriptor this transport holds that the application must not
  // close (for F_CLOSEM handling), highest last.
  virtual std::vector<int> OwnFds() const = 0;
};

struct TransportOptions {
  // Frames longer than this (header included) end the connection.
  uint64_t max_frame_len = wire::kDefaultMaxFrameLen;
  // How long connecting and reading the banner may take before ETIMEDOUT.
  int connect_timeout_ms = 60000;
  // Receive watches the socket this long (non-blocking reads, yielding the
  // CPU in between) before it sleeps in a blocking read: an answer usually
  // follows its request within microseconds, and a sleeping thread's
  // wake-up costs more than a whole getpid. 0: block at once.
  int spin_us = 50;
  // zmq+tcp:// and zmq+ipc:// only: CURVE. The server's public key (40 Z85
  // characters); empty: no CURVE. Our key pair (Z85); empty: a fresh
  // ephemeral pair for this connection. ConnectTransport refuses a server
  // key with any other scheme (EINVAL).
  std::string curve_server_key;
  std::string curve_public_key;
  std::string curve_secret_key;
};

// Connects to `url` (parsed for Role::kClient) and reads the banner, which
// is returned in `*banner` ('\n' included). Errors carry the host errno:
// the connect's (ECONNREFUSED, ENOENT...), ETIMEDOUT, ECONNRESET when the
// server closed without a banner, EPROTO for a banner that does not end in
// '\n' within 95 bytes; with CURVE, EACCES when the server refused our key
// and ECONNREFUSED when the handshake failed otherwise.
absl::StatusOr<std::unique_ptr<Transport>> ConnectTransport(const transport::Url& url,
                                                            std::string* banner,
                                                            const TransportOptions& options = {});

// Takes over a connected stream socket whose banner was already read (by
// the program image before an exec): made blocking and close-on-exec.
// EBADF if `fd` is not open, ENOTSOCK if it is not a stream socket.
absl::StatusOr<std::unique_ptr<Transport>> AdoptStreamSocket(int fd,
                                                             const TransportOptions& options = {});

// Wraps a connected stream socket that has not sent its banner yet (tests:
// one end of a socketpair); reads the banner as ConnectTransport does.
absl::StatusOr<std::unique_ptr<Transport>> StreamTransportForTest(
    int fd, std::string* banner, const TransportOptions& options = {});

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_TRANSPORT_H_
