// The rump_sp server's session logic: one Session per client connection,
// whatever transport carries it (sp/transport only moves frames; this file
// interprets them). Protocol reference: docs/sp-protocol.md.
//
// States:
//   NEW      after accept. HANDSHAKE GUEST → a new kernel process (parent
//            init, pid 1; fds 0-2 on the console; comm = the program name,
//            cut at its NUL or at 16 bytes, NetBSD's MAXCOMLEN) and
//            RESP i32 0 → RUNNING. HANDSHAKE FORK with a PREFORK cookie →
//            the forked process → RUNNING. Anything else: ERROR AUTH, close.
//   RUNNING  SYSCALL (run on the executor, so several calls of one
//            connection are in flight and block independently), PREFORK,
//            HANDSHAKE EXEC, and RESP frames answering the server's own
//            COPYIN / COPYINSTR / ANONMMAP requests.
//   CLOSED   the transport reported the connection gone: copy waiters wake
//            with EFAULT, calls blocked in the kernel are interrupted
//            (rump::Process::Interrupt: their sleeps return EINTR), in-flight
//            calls finish, then the process is released (all its
//            descriptors closed) and the client slot freed.
//
// Errors, as NetBSD's server sends them (ERROR frames carry the reqno of the
// offending request):
//   before the handshake: any frame but HANDSHAKE GUEST/FORK → ERROR AUTH
//     and close; FORK payload not 20 bytes → ERROR MALFORMED and close;
//     unknown or used cookie → ERROR INVALID_PREFORK and close; cancel != 0
//     → the pre-forked process is released, close without an answer.
//   RUNNING: HANDSHAKE other than EXEC → ERROR MALFORMED and close; EXEC or
//     PREFORK while an exec is pending → ERROR INEXEC (EXEC also closes);
//     SYSCALL payload not a multiple of 8 or over 64 bytes → ERROR
//     MALFORMED (kept); unknown request type → ERROR MALFORMED (kept);
//     class ERROR or unknown class → ERROR MALFORMED (kept); executor full
//     → ERROR TRYAGAIN; too many pending forks → ERROR NOMEM.
//   Hostile input closes the connection with a log line, never the server:
//     a RESP for a request the server never made (or already answered), a
//     COPYIN answer of the wrong length, a COPYINSTR answer longer than
//     asked, an ANONMMAP answer that is not an address. An empty COPYIN
//     answer (our client's way of saying "unreadable") fails that copyin
//     with EFAULT and keeps the connection.
//
// Beyond NetBSD (documented deviations): a SYSCALL arriving while an exec
// is pending is answered ERROR INEXEC (NetBSD runs it); short syscall
// payloads are zero-extended to 8 slots (NetBSD reads past its buffer);
// COPYIN answers are checked for length (NetBSD copies blindly); copyinstr
// asks for at most wire::kMaxCopyChunk bytes at once.
//
// The one-round-trip extension (sp/wire/xsyscall.h): an X_SYSCALL request
// runs as a SYSCALL does, with a PrefetchedUserMemory over the buffers it
// carries, and is answered with an X_SYSCALL response (result plus gathered
// copyouts). A malformed one gets ERROR MALFORMED (kept).
//
// The interrupt extension: an X_INTERRUPT request names a call of this
// connection by its reqno (the client caught a signal while waiting for
// it); that call's rump::CallInterrupt is raised, so its sleeps end with
// EINTR and its own answer reports it. X_INTERRUPT is never answered: one
// for a call that already finished, or never existed, or with a payload,
// is ignored (logged with -v). Calls are entered in the table when their
// request is read, so an interrupt that follows its call on the wire always
// finds it. Other extension types get ERROR MALFORMED.
#ifndef RUMP_SP_SERVER_SESSION_H_
#define RUMP_SP_SERVER_SESSION_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/kern/kernel.h"
#include "rump/kern/process.h"
#include "rump/kern/sleep.h"
#include "rump/kern/user_memory.h"
#include "sp/server/worker_pool.h"
#include "sp/transport/connection.h"
#include "sp/wire/decode.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"
#include "sp/wire/xsyscall.h"

namespace sp::server {

// NetBSD's MAXCOMLEN: a process name keeps at most this many bytes.
inline constexpr size_t kMaxCommLen = 16;

struct SessionOptions {
  // Client slots (NetBSD: 255). A connection beyond is refused (closed
  // without banner) by the server's acceptor.
  int max_clients = 255;
  // PREFORK cookies not yet claimed by a FORK handshake; beyond: ERROR NOMEM.
  // (NetBSD keeps them without limit.)
  size_t max_pending_forks = 1024;
  // Log every connect, handshake and disconnect (not only problems), with
  // the client's identity and the credentials its process got.
  bool verbose = false;
  // RLIMIT_NOFILE (soft and hard) of every client's process: how many
  // descriptors one client may hold. 0: the kernel's default
  // (rump::FdTable::kMaxDescriptors).
  uint64_t max_files = 0;
  // RLIMIT_SBSIZE (soft and hard) of every client's process: the socket
  // buffer memory (SO_SNDBUF + SO_RCVBUF of its sockets) one process may
  // hold (rump/kern/socket_buffer_account.h). A forked child gets its own
  // budget of the same size. 0: the kernel's default (unlimited, as
  // NetBSD's).
  uint64_t max_sockbuf = 0;
  // Where log lines go. Default: stderr, "rump_sp: <line>".
  std::function<void(const std::string&)> log;
  // Run the calls that never block and never read client memory (getpid,
  // getppid, get[e]uid, get[e]gid, clock_gettime, gettimeofday) at once on
  // the transport's thread instead of handing them to the executor: no
  // thread hand-off, no wake-up (see RunsInline).
  bool inline_quick_calls = true;
  // After a worker has answered a call, it watches the connection this long
  // for the client's next request and, if one comes, reads and runs it
  // itself (transport::Connection::ReadAhead, RunNextHere): no wake-up of
  // the transport's thread, no hand-off to another worker. At most
  // `max_read_aheads` workers of the server watch at once (they spin,
  // yielding); zero turns it off.
  absl::Duration read_ahead = absl::Microseconds(50);
  int max_read_aheads = 2;
};

// True for the syscalls a session may run on the transport's thread: they
// take no lock that a blocked call holds, never sleep and never copy in
// (a copyin there would wait for an answer that thread has to read).
bool RunsInline(uint32_t sysnum);

// Counters over all sessions of a host (tests and benchmarks count round
// trips with them).
struct SessionStats {
  uint64_t syscalls = 0;         // SYSCALL requests run
  uint64_t xsyscalls = 0;        // X_SYSCALL requests run
  uint64_t inline_calls = 0;     // of those, run on the transport's thread
  uint64_t server_requests = 0;  // COPYIN, COPYINSTR, COPYOUT, ANONMMAP sent
  uint64_t read_aheads = 0;      // times a worker read the next request itself
};

// What the sessions of one server share: the kernel, the executor, the
// pending forks, the slot count. Thread-safe.
class SessionHost {
 public:
  SessionHost(rump::Kernel& kernel, Executor& executor, SessionOptions options);
  ~SessionHost();
  SessionHost(const SessionHost&) = delete;
  SessionHost& operator=(const SessionHost&) = delete;

  rump::Kernel& kernel() { return kernel_; }
  Executor& executor() { return executor_; }
  const SessionOptions& options() const { return options_; }
  void Log(const std::string& line) const;

  // --- client slots
  // Takes a slot for a new connection; false if all are taken or the host
  // is stopping.
  bool TryAcquireSlot();
  // Gives a slot back (a session released its process).
  void ReleaseSlot();
  // Slots in use (connections whose process is not yet released).
  int clients() const;

  // --- stopping
  // From now on sessions start no new work (new syscalls are dropped,
  // handshakes refused): the server is going away.
  void BeginStop();
  bool stopping() const;
  // Blocks until no call runs in any session, or `deadline`. True if idle.
  bool WaitIdle(absl::Time deadline);
  // Blocks until every slot is free, or `deadline`. True if all are.
  bool WaitAllReleased(absl::Time deadline);
  // Calls in flight over all sessions (bookkeeping by Session).
  void CallStarted();
  void CallFinished();

  // --- read-ahead (SessionOptions::read_ahead): false when
  // max_read_aheads workers are already watching.
  bool TryBeginReadAhead();
  void EndReadAhead(bool delivered);

  // --- counters
  SessionStats stats() const;
  void CountSyscall(bool x, bool inline_call);
  void CountServerRequest();

  // --- PREFORK cookies
  // Keeps `process` under a new random cookie. ResourceExhausted when
  // max_pending_forks are pending.
  absl::StatusOr<wire::Cookie> AddPendingFork(std::shared_ptr<rump::Process> process);
  // Removes and returns the process for `cookie`, or nullptr.
  std::shared_ptr<rump::Process> TakePendingFork(const wire::Cookie& cookie);
  // Releases every pending fork's process.
  void ReleasePendingForks();

 private:
  rump::Kernel& kernel_;
  Executor& executor_;
  const SessionOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int clients_ = 0;
  size_t calls_ = 0;
  bool stopping_ = false;
  std::map<wire::Cookie, std::shared_ptr<rump::Process>> forks_;

  // Waits on cv_ until `done` (called with mu_ held) or `deadline`.
  bool WaitUntil(absl::Time deadline, const std::function<bool()>& done);

  std::atomic<uint64_t> n_syscalls_{0}, n_xsyscalls_{0}, n_inline_{0}, n_requests_{0},
      n_read_aheads_{0};
  std::atomic<int> read_aheads_{0};
};

class Session;

// User memory of a remote client: copyin/copyinstr ask the client over the
// connection and wait for the answer; copyout/copyoutstr send COPYOUT
// frames without waiting. NetBSD's rules: zero-length copies never reach
// the wire; a NULL address (or a range past user space) with a non-zero
// length is EFAULT; a dead connection while waiting is EFAULT (NetBSD:
// ENOTCONN, which the kernel turns into EFAULT); copies larger than
// wire::kMaxCopyChunk are split. CopyInString: the answer's length is the
// copied length, and no NUL in it is ENAMETOOLONG. CopyOutString sends
// strlen+1 bytes, or fails with ENAMETOOLONG without sending if that does
// not fit `max` (NetBSD's remote copyoutstr; the in-process one truncates).
class RemoteUserMemory final : public rump::UserMemory {
 public:
  explicit RemoteUserMemory(Session& session) : session_(session) {}
  absl::Status CopyIn(rump::UserAddr from, void* to, size_t n) override;
  absl::Status CopyOut(const void* from, rump::UserAddr to, size_t n) override;
  absl::StatusOr<std::string> CopyInString(rump::UserAddr from, size_t max) override;
  absl::StatusOr<size_t> CopyOutString(const std::string& s, rump::UserAddr to,
                                       size_t max) override;
  // ANONMMAP: `size` bytes of fresh anonymous memory in the client; its
  // address (ENOMEM if the client answered 0).
  absl::StatusOr<rump::UserAddr> AnonMmap(uint64_t size);

 private:
  Session& session_;
};

// User memory of a remote client for one X_SYSCALL (the one-round-trip
// extension, sp/wire/xsyscall.h; the third UserMemory implementation in
// docs/architecture.md): the client sent the bytes of its input buffers with
// the call and named its output buffers. CopyIn / CopyInString of a range inside one input buffer
// are served from those bytes; CopyOut / CopyOutString into one output
// buffer are gathered as segments for the answer. Everything else goes to
// `remote` (ordinary COPYIN / COPYINSTR / COPYOUT round trips), so a client
// that guessed wrong, or not at all, still gets exactly the plain-protocol
// result.
//
// Ordering promise: the client sees the kernel's writes in the kernel's
// order. Before any request goes to `remote` the segments gathered so far
// are sent as COPYOUT frames (they then precede that request and the
// answer); a write into an input buffer also updates those bytes, so a later
// CopyIn of them reads what the kernel wrote. Segments are also flushed
// when they would exceed wire::kXMaxSegments or the declared output size.
// Address rules are RemoteUserMemory's (zero lengths never fail; NULL or
// outside user space with a non-zero length is EFAULT).
class PrefetchedUserMemory final : public rump::UserMemory {
 public:
  PrefetchedUserMemory(RemoteUserMemory& remote, absl::Span<const wire::XBytes> inputs,
                       std::vector<wire::XRange> outputs);
  absl::Status CopyIn(rump::UserAddr from, void* to, size_t n) override;
  absl::Status CopyOut(const void* from, rump::UserAddr to, size_t n) override;
  absl::StatusOr<std::string> CopyInString(rump::UserAddr from, size_t max) override;
  absl::StatusOr<size_t> CopyOutString(const std::string& s, rump::UserAddr to,
                                       size_t max) override;
  RemoteUserMemory& remote() { return remote_; }

  // The gathered copyouts, in order (views into this object).
  std::vector<wire::XBytes> Segments() const;
  // Round trips (COPYIN, COPYINSTR) and COPYOUT frames the call needed.
  size_t fallbacks() const { return fallbacks_; }

 private:
  struct Input {
    uint64_t addr;
    std::string data;
  };
  struct Segment {
    uint64_t addr;
    std::string data;
  };
  // Sends the gathered segments as COPYOUT frames. EFAULT if the
  // connection is gone.
  absl::Status Flush();
  const Input* InputFor(uint64_t addr, uint64_t n) const;

  RemoteUserMemory& remote_;
  std::vector<Input> inputs_;
  const std::vector<wire::XRange> outputs_;
  uint64_t output_capacity_ = 0;
  uint64_t gathered_ = 0;
  std::vector<Segment> segments_;
  size_t fallbacks_ = 0;
};

class Session final : public transport::Receiver,
                      public std::enable_shared_from_this<Session> {
 public:
  // The caller has taken a slot for this session (SessionHost::
  // TryAcquireSlot); the session gives it back when its process is
  // released. `conn` is where its frames go.
  // `credentials`: what the process of a GUEST handshake gets (the
  // server's CredentialPolicy decided it; a FORK handshake's process keeps
  // its parent's, as fork does).
  Session(std::shared_ptr<SessionHost> host, std::shared_ptr<transport::Connection> conn,
          rump::Credentials credentials = {});
  ~Session() override;

  // transport::Receiver
  void OnFrame(wire::Frame frame) override;
  void OnClosed(const absl::Status& why) override;

  // RAISE: posts NetBSD signal `signo` to the client (no answer).
  void Raise(uint32_t signo);

  // For a server's handshake deadline: if the client has not completed a
  // handshake yet, logs "no handshake within <timeout>" and closes the
  // connection. True if it did so. Thread-safe.
  bool ExpireHandshake(absl::Duration timeout);

  // For tests: the kernel process (nullptr before the handshake and after
  // release) and the state.
  std::shared_ptr<rump::Process> process() const;
  bool running() const;
  // True once the process and the slot have both been given back.
  bool released() const;
  // The process name (the handshake's, or the last EXEC's; EXEC also
  // renames the kernel process).
  std::string comm() const;

 private:
  friend class RemoteUserMemory;
  enum class State { kNew, kRunning, kClosed };

  // A request of ours (COPYIN, COPYINSTR, ANONMMAP) waiting for its RESP.
  struct Pending {
    uint16_t type = 0;
    uint64_t len = 0;      // bytes asked for (COPYIN), maximum (COPYINSTR)
    bool done = false;
    bool failed = false;   // connection gone or a bad answer: EFAULT
    std::string data;      // the answer's payload
  };

  // --- frame handling (transport thread)
  void HandleNew(const wire::Frame& f);
  void HandleRunning(wire::Frame& f);
  void HandleGuest(const wire::Frame& f);
  void HandleFork(const wire::Frame& f);
  // A handshake succeeded: `p` is this connection's process, named `comm`;
  // answers request `reqno`.
  void StartRunning(uint64_t reqno, std::shared_ptr<rump::Process> p, std::string comm);
  void HandleExec(const wire::Frame& f);
  void HandleSyscall(const wire::Frame& f);
  void HandlePrefork(const wire::Frame& f);
  void HandleResponse(wire::Frame& f);
  // Our extensions (types 0x100..0x1ff: X_SYSCALL, X_INTERRUPT).
  void HandleExtension(wire::Frame& f);
  void HandleInterrupt(const wire::Frame& f);
  // The interrupt of call `reqno`, entered while its request is read;
  // forgotten when the call ends (or is refused).
  std::shared_ptr<rump::CallInterrupt> TrackCall(uint64_t reqno);
  void ForgetCall(uint64_t reqno);
  // An X_SYSCALL request: decoded in place, then run as a SYSCALL is.
  void HandleXSyscall(wire::Frame& f);
  // Bookkeeping before a call runs: false (and the answer sent) if it must
  // not run (stopping, exec pending).
  bool BeginCall(uint64_t reqno);
  // Runs `job` for call `reqno` of syscall `sysnum`: inline (RunsInline)
  // or on the executor (ERROR TRYAGAIN if it is full).
  // Runs job(false) now (a quick call) or job(true) on the executor.
  void Dispatch(uint64_t reqno, uint32_t sysnum, bool x,
                std::function<void(bool handed_off)> job);

  void SendError(uint64_t reqno, uint32_t code);
  // Logs `why` and closes the connection (hostile or broken input).
  void Drop(const std::string& why);
  // Closes the connection (after what is queued is sent).
  void CloseConnection();

  // --- calls (worker threads)
  struct XCall {
    wire::Frame frame;        // owns the bytes `call` points into
    wire::XSyscallCall call;
  };
  void RunSyscall(uint64_t reqno, wire::SyscallArgs args, int64_t rx_ns, bool handed_off,
                  const std::shared_ptr<rump::CallInterrupt>& interrupt);
  void RunXSyscall(uint64_t reqno, std::shared_ptr<XCall> x, int64_t rx_ns, bool handed_off,
                   const std::shared_ptr<rump::CallInterrupt>& interrupt);
  // A worker that answered a call waits a moment for the next request and
  // runs it (SessionOptions::read_ahead).
  void ReadAheadNext();
  // Records the stages of one call that ran from start_ns to done_ns.
  static void RecordStages(int64_t rx_ns, int64_t start_ns, int64_t done_ns, bool handed_off);
  // The kernel call itself; out of memory is ENOMEM.
  rump::SyscallResult Execute(uint32_t sysnum, absl::Span<const uint64_t> slots,
                              rump::UserMemory& mem, rump::CallInterrupt* interrupt);
  // A call ended: runs a pending exec or the release when it was the last.
  void CallDone();
  void CompleteExec();  // requires in_flight_ == 0
  void Release();       // once: the process goes, the slot is freed

  // --- server requests (RemoteUserMemory)
  // Sends `frame_for(reqno)` as a request that expects an answer and waits
  // for it. The answer's payload, or EFAULT.
  absl::StatusOr<std::string> Request(uint16_t type, uint64_t len,
                                      const std::function<std::string(uint64_t)>& frame_for);
  // Sends a request that has no answer (COPYOUT, RAISE); false if the
  // connection is gone.
  bool SendRequest(const std::function<std::string(uint64_t)>& frame_for);

  const std::shared_ptr<SessionHost> host_;
  const std::shared_ptr<transport::Connection> conn_;
  RemoteUserMemory memory_;
  const rump::Credentials credentials_;

  // Taken before the host's lock when both are held (Release).
  mutable std::mutex mu_;
  std::condition_variable cv_;  // answers to pending requests; disconnect
  State state_ = State::kNew;
  bool closing_ = false;        // we asked the transport to close
  bool releasing_ = false;      // Release() has begun (it runs once)
  bool released_ = false;       // ... and gave back the process and slot
  std::shared_ptr<rump::Process> process_;
  std::string comm_;
  size_t in_flight_ = 0;        // calls (and the exec) running
  bool exec_pending_ = false;
  uint64_t exec_reqno_ = 0;
  std::string exec_name_;
  uint64_t next_reqno_ = 0;     // the server's own request numbers
  std::map<uint64_t, Pending*> pending_;
  // The client's calls in flight, by reqno (X_INTERRUPT).
  std::map<uint64_t, std::shared_ptr<rump::CallInterrupt>> calls_;
};

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_SESSION_H_
