// One rump_sp connection from the client side: one kernel process on the
// server. Transport-independent (transport.h moves the frames).
//
// Many threads may have calls in flight on one connection at once. Each call
// gets its own request number (counting from 0 per connection; the handshake
// is 0) and waits for the response carrying it. At any time one waiting
// thread reads the transport; it services the server's requests for any
// outstanding call (COPYIN and COPYINSTR answered with RESP type COPYIN,
// COPYOUT and COPYOUTSTR written into this process's memory, ANONMMAP
// answered with a fresh anonymous mapping or 0, RAISE raised here as the
// host signal), hands each response to its caller, drops responses nobody
// waits for, and passes the reading on when its own response has come.
//
// Everything the server sends is validated (frame and payload sizes, copy
// lengths and address ranges, classes and types). A violation ends the
// connection with a log line; the calls in flight, and every later call,
// then fail with ENOTCONN ("lost"), as they do when the server goes away.
#ifndef RUMP_SP_CLIENT_CONNECTION_H_
#define RUMP_SP_CLIENT_CONNECTION_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sp/client/transport.h"
#include "sp/transport/url.h"
#include "sp/wire/banner.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"

namespace sp::client {

// The outcome of a remote system call.
struct SyscallResult {
  // 0; a NetBSD errno from the server; or a host errno the client produced
  // (ENOTCONN for a lost connection, EPERM/ESRCH/EIO/... for ERROR frames
  // as NetBSD's errmap, EINVAL for more than 8 argument slots).
  int error = 0;
  int64_t rv0 = 0;
  int64_t rv1 = 0;
  // The connection was lost before the answer came (error is ENOTCONN): the
  // call may or may not have run; a caller may reconnect and send it again.
  bool lost = false;
};

struct ConnectionOptions {
  // The program name for GUEST and EXEC handshakes (sent with a NUL).
  std::string progname = "???";
  TransportOptions transport;
  // The largest COPYIN a server may ask for (the answer is built in memory).
  uint64_t max_copyin = uint64_t{256} << 20;
  // Where log lines go (protocol violations); default: stderr.
  std::function<void(const std::string&)> log;
  // Use the one-round-trip extension (X_SYSCALL, sp/wire/xsyscall.h) when
  // the server's banner offers it. Off: plain NetBSD frames only
  // (librumpclient turns it off when RUMPCLIENT_NO_XBATCH is set).
  bool xbatch = true;
};

class Connection {
 public:
  // Connects to `url` and does a GUEST handshake: a new kernel process.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(const transport::Url& url,
                                                             const ConnectionOptions& options);
  // The child's side of a fork: connects and does a FORK handshake with the
  // cookie the parent's Prefork returned.
  static absl::StatusOr<std::unique_ptr<Connection>> ConnectForked(
      const transport::Url& url, const wire::Cookie& cookie, const ConnectionOptions& options);
  // Releases a pre-forked process nobody will claim: connects, sends a FORK
  // handshake with cancel = 1 (the server answers by closing) and closes.
  static absl::Status CancelFork(const transport::Url& url, const wire::Cookie& cookie,
                                 const ConnectionOptions& options);
  // After exec: continues the connection on the inherited socket `fd` (no
  // banner) with an EXEC handshake; the kernel process and its descriptors
  // without close-on-exec survive.
  static absl::StatusOr<std::unique_ptr<Connection>> ResumeAfterExec(
      int fd, const ConnectionOptions& options);

  enum class Handshake { kGuest, kFork, kExec };
  // Any of the above over a ready transport (tests): sends the handshake
  // (reqno 0) and waits for its answer. `banner` may be empty (exec).
  static absl::StatusOr<std::unique_ptr<Connection>> Start(std::unique_ptr<Transport> transport,
                                                           std::string banner,
                                                           Handshake handshake,
                                                           const wire::Cookie& cookie,
                                                           const ConnectionOptions& options);

  // Ends the connection (the server releases the process) and waits for no
  // one: calls still in flight fail with ENOTCONN. Must not be destroyed
  // while a call is running on it (hold it in a shared_ptr).
  ~Connection();

  // A system call: number `sysnum`, one 8-byte slot per argument (at most
  // 8). An ERROR/TRYAGAIN answer is retried transparently. When the
  // extension is in use (uses_xbatch) and XPlan knows buffers of the call,
  // it goes as one X_SYSCALL with them and the answer's output bytes are
  // written here; otherwise as NetBSD's SYSCALL.
  SyscallResult Syscall(uint32_t sysnum, absl::Span<const uint64_t> slots);

  // PREFORK: the server copies this process; returns the cookie for the
  // child's FORK handshake. Errors carry the host errno (ENOTCONN, or
  // ESRCH/EIO/EBUSY/ENOMEM for ERROR frames).
  absl::StatusOr<wire::Cookie> Prefork();

  // False once the connection has ended.
  bool alive() const;
  // Ends the connection now (as a protocol violation or the server would).
  void Shutdown();

  // The banner as received ('\n' included; empty after exec) and what could
  // be parsed from it (NetBSD's defaults if it did not parse).
  const std::string& banner() const { return banner_; }
  const wire::BannerInfo& banner_info() const { return banner_info_; }
  // The server announced the x-batch extension (our server). Used only to
  // choose the safest answer to a COPYIN of unreadable memory.
  bool peer_is_ours() const { return banner_info_.batch_version > 0; }
  // X_SYSCALL frames are sent: the server offers x-batch and the options
  // allow it.
  bool uses_xbatch() const {
    return options_.xbatch && banner_info_.batch_version >= wire::kBatchVersion;
  }
  // A signal handler (without SA_RESTART) that runs while a call waits for
  // its answer interrupts the call: the server offers X_INTERRUPT. Against
  // NetBSD's server such a handler runs after the call returns.
  bool uses_interrupts() const {
    return banner_info_.interrupt_version >= wire::kInterruptVersion;
  }

  Transport& transport() const { return *transport_; }

 private:
  struct Waiter {
    uint64_t reqno = 0;
    bool done = false;
    bool lost = false;
    bool interrupt_sent = false;  // X_INTERRUPT went for it (once at most)
    wire::Frame frame;
    std::condition_variable cv;
  };

  Connection(std::unique_ptr<Transport> transport, std::string banner,
             const ConnectionOptions& options);

  // Sends the frame `build(reqno)` with a fresh reqno and waits for the RESP
  // or ERROR that answers it. Unavailable + ENOTCONN if the connection ends.
  absl::StatusOr<wire::Frame> Transact(const std::function<std::string(uint64_t)>& build);
  absl::StatusOr<wire::Frame> Wait(Waiter& w);
  // Reader side: one frame from the server.
  absl::Status HandleFrame(wire::Frame& f);
  absl::Status HandleRequest(const wire::Frame& f);
  // Ends the connection for `why` (logged if it is a protocol error); every
  // waiter fails. Needs mu_.
  void FailLocked(const absl::Status& why);
  void Fail(const absl::Status& why);
  void Log(const std::string& line) const;

  const std::unique_ptr<Transport> transport_;
  const std::string banner_;
  wire::BannerInfo banner_info_;
  const ConnectionOptions options_;

  mutable std::mutex mu_;
  uint64_t next_reqno_ = 0;
  absl::flat_hash_map<uint64_t, Waiter*> waiters_;
  bool reader_active_ = false;
  bool dead_ = false;
};

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_CONNECTION_H_
