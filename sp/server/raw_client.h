// A raw rump_sp client for tests and the benchmark: it speaks the protocol
// frame by frame (sp/wire) over unix://, tcp:// and zmq+tcp:// / zmq+ipc://
// (the ZeroMQ spelling of sp/transport/zmq_listener.h), and serves the
// server's COPYIN / COPYINSTR / COPYOUT requests from this process's own
// memory, as NetBSD's librumpclient does: pointer arguments are real
// addresses here. Not the client library (that is librumpclient, later):
// one thread, one call at a time, no reconnection. On the ZeroMQ transports
// it can authenticate with CURVE (CurveKeys).
#ifndef RUMP_SP_SERVER_RAW_CLIENT_H_
#define RUMP_SP_SERVER_RAW_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sp/wire/frame_reader.h"

namespace sp::testing {

class RawClient {
 public:
  // CURVE for zmq+tcp:// and zmq+ipc:// (Z85 text, 40 characters each): the
  // server's public key and this client's key pair. All empty: no CURVE.
  struct CurveKeys {
    std::string server_public_key;
    std::string public_key;
    std::string secret_key;
  };

  // Connects to `url` and reads the banner. A server that closes the
  // connection without a banner gives a client whose banner() is empty and
  // closed() is true (not an error). `curve` applies to ZeroMQ URLs only
  // (InvalidArgument for another scheme); a server that refuses the key
  // sends nothing, so such a Connect ends with DeadlineExceeded.
  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(
      absl::string_view url, absl::Duration timeout = absl::Seconds(10),
      const CurveKeys& curve = {});
  virtual ~RawClient() = default;

  const std::string& banner() const { return banner_; }
  bool closed() const { return closed_; }

  // Raw bytes: on a stream, written as they are (any split of frames); on
  // ZeroMQ, one message.
  virtual absl::Status SendBytes(absl::string_view bytes) = 0;
  // The next frame from the server. NotFound at end of stream (the server
  // closed the connection), DeadlineExceeded on timeout, DataLoss on a
  // malformed stream.
  virtual absl::StatusOr<wire::Frame> ReadFrame(absl::Duration timeout) = 0;
  // Closes our end (ZeroMQ: sends the goodbye message first).
  virtual void Close() = 0;

  // True if the server ends the connection within `timeout` (frames that
  // arrive meanwhile are skipped).
  bool WaitClosed(absl::Duration timeout);

  // HANDSHAKE GUEST with `progname` (reqno = NextReqno()); OK if answered
  // RESP i32 0.
  absl::Status Handshake(absl::string_view progname = "rawclient");

  struct Result {
    int32_t error = 0;
    int64_t rv0 = 0;
    int64_t rv1 = 0;
  };
  // One system call; serves the server's copy requests meanwhile. An ERROR
  // frame answering it gives FailedPrecondition with "ERROR <code>" (the
  // code also via LastErrorCode()).
  absl::StatusOr<Result> Syscall(uint32_t number, std::vector<uint64_t> slots,
                                 absl::Duration timeout = absl::Seconds(10));
  // Waits for the answer to request `reqno` (sent with SendBytes), serving
  // copy requests meanwhile. RESP → its frame; ERROR → FailedPrecondition.
  absl::StatusOr<wire::Frame> Await(uint64_t reqno, absl::Duration timeout);
  uint32_t LastErrorCode() const { return last_error_code_; }

  uint64_t NextReqno() { return next_reqno_++; }

 protected:
  RawClient() = default;
  std::string banner_;
  bool closed_ = false;

 private:
  // Serves a server request; false if it is not one.
  bool Serve(const wire::Frame& f);
  uint64_t next_reqno_ = 0;
  uint32_t last_error_code_ = 0;
};

}  // namespace sp::testing

#endif  // RUMP_SP_SERVER_RAW_CLIENT_H_
