// The seam between transports and the session logic: a transport only moves
// frames. It accepts connections, reads bytes or messages, cuts them into
// rump_sp frames (sp/wire's FrameReader or ParseFrame) and hands whole frames
// to a Receiver; the Receiver (sp/server's Session) interprets them and sends
// frames back through the Connection. Nothing in a transport knows what a
// frame means, and nothing in a session knows which transport carries it.
//
//   Listener (listener.h)  --OnAccept-->   Acceptor (the server)
//        |                                     | returns a Receiver (Session)
//        +--OnFrame / OnClosed-->  Receiver    |
//        <--------Send / Close----------  Connection
#ifndef RUMP_SP_TRANSPORT_CONNECTION_H_
#define RUMP_SP_TRANSPORT_CONNECTION_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "sp/wire/frame_reader.h"

namespace sp::transport {

// Who is at the other end of a connection, as far as the transport can
// tell. A unix:// stream socket knows the peer process's ids (SO_PEERCRED,
// taken when it connected) and its supplementary groups (SO_PEERGROUPS); a
// ZeroMQ connection with CURVE knows the client's public key
// (authenticated by the handshake, admitted by the listener's ZAP
// handler); tcp:// and plain ZeroMQ peers are anonymous (their address is
// for log lines only, never an identity).
struct PeerIdentity {
  enum class Kind { kAnonymous, kUnix, kCurve };
  Kind kind = Kind::kAnonymous;
  // kUnix: the connecting process's pid, effective uid and gid.
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  // kUnix: the peer's supplementary groups, all of them, in the order the
  // host kernel gives them (Linux: ascending). What a rump kernel keeps of
  // them (its NGROUPS_MAX) is the server's business.
  std::vector<gid_t> groups;
  // kUnix: why `groups` is empty although the peer may have groups
  // (SO_PEERGROUPS failed, e.g. a kernel before Linux 4.13); "" when the
  // list was read. For log lines.
  std::string groups_error;
  // kCurve: the client's public key, 40 characters of Z85.
  std::string curve_key;

  // "uid 1000 gid 1000 pid 4242" (with " groups 10,20" after the gid when
  // the peer has supplementary groups), "curve <key>" or "anonymous".
  std::string ToString() const {
    if (kind == Kind::kAnonymous) return "anonymous";
    if (kind == Kind::kCurve) return absl::StrCat("curve ", curve_key);
    std::string out = absl::StrCat("uid ", uid, " gid ", gid);
    if (!groups.empty()) absl::StrAppend(&out, " groups ", absl::StrJoin(groups, ","));
    absl::StrAppend(&out, " pid ", pid);
    return out;
  }
};

// One client connection, as the session uses it. Thread-safe: any thread may
// send (a syscall's worker thread answers it).
class Connection {
 public:
  virtual ~Connection() = default;

  // Queues `bytes` (one whole frame, or the banner) for the peer. Frames go
  // out whole and in call order; a frame never interleaves with another.
  // Never blocks on the peer: what the socket does not take now is queued.
  // Dropped silently once the connection is closing or closed. A peer whose
  // queue grows past the listener's backlog limit is disconnected.
  virtual void Send(std::string bytes) = 0;

  // Stops delivering frames, sends what is queued, then closes the
  // connection (the Receiver's OnClosed follows). Idempotent.
  virtual void Close() = 0;

  // The peer for log lines: "unix #7", "tcp 127.0.0.1:40112",
  // "zmq+tcp id 0080000001".
  virtual const std::string& peer() const = 0;

  // Who the peer is (see PeerIdentity). Fixed for the connection's life.
  virtual const PeerIdentity& identity() const {
    static const PeerIdentity kAnonymous;
    return kAnonymous;
  }

  // Offered by a thread that has just answered a call of this connection:
  // the client's next request usually follows within microseconds. If a
  // whole frame arrives within `window`, it is read and delivered
  // (Receiver::OnFrame) on the calling thread, in order with everything
  // else the connection delivers, and true is returned (a read the
  // transport's own thread is in the middle of is waited for, within the
  // window). False, at once, when another thread already reads ahead, when
  // the connection is closing, or when the transport does not do it
  // (ZeroMQ: its socket belongs to the loop thread). Trouble found
  // meanwhile (end of stream, a malformed frame) is left to the
  // transport's own thread, which ends the connection as usual.
  virtual bool ReadAhead(absl::Duration window) {
    (void)window;
    return false;
  }
};

// What the transport delivers one connection's input to.
class Receiver {
 public:
  virtual ~Receiver() = default;

  // One whole frame (header.len == 24 + payload size <= the frame limit).
  // Called from the transport's thread, in arrival order, never concurrently
  // for one connection, never after Close() was called or OnClosed ran.
  virtual void OnFrame(wire::Frame frame) = 0;

  // The connection is gone; called exactly once, from the transport's
  // thread. `why` is OK for a clean end (the peer closed, or Close() was
  // asked for) and an error naming the problem otherwise (a malformed or
  // oversized frame, a stream that ended inside a frame, a socket error, a
  // peer that stopped reading).
  virtual void OnClosed(const absl::Status& why) = 0;
};

// What a listener hands new connections to.
class Acceptor {
 public:
  virtual ~Acceptor() = default;

  // A new connection. Returning nullptr refuses it: it is closed at once and
  // nothing is sent. Otherwise the acceptor sends the banner itself (its
  // first Send goes out in one write) and the returned Receiver gets the
  // connection's frames. Called from the transport's thread.
  virtual std::shared_ptr<Receiver> OnAccept(std::shared_ptr<Connection> conn) = 0;
};

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_CONNECTION_H_
