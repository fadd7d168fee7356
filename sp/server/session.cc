#include "sp/server/session.h"

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "trace/stages.h"

namespace sp::server {
namespace {

absl::Status Efault() { return rump::abi::Errno(rump::abi::kEFAULT); }

// [addr, addr + n) is a non-empty range in the client's user space.
bool UserRange(uint64_t addr, uint64_t n) {
  return addr != 0 && addr < wire::kUserAddressLimit && n <= wire::kUserAddressLimit - addr;
}

// copyoutstr over `mem`'s CopyOut: strlen+1 bytes, or ENAMETOOLONG without
// writing if that does not fit `max`.
absl::StatusOr<size_t> CopyOutStringWith(rump::UserMemory& mem, const std::string& s,
                                         rump::UserAddr to, size_t max) {
  const size_t len = std::min(s.find('\0'), s.size()) + 1;  // strlen + 1
  if (len > max) return rump::abi::Errno(rump::abi::kENAMETOOLONG);
  if (!UserRange(to, len)) return Efault();
  std::string bytes = s.substr(0, len - 1);
  bytes.push_back('\0');
  if (absl::Status st = mem.CopyOut(bytes.data(), to, len); !st.ok()) return st;
  return len;
}

std::string CommOf(absl::string_view name) {
  return std::string(name.substr(0, std::min(name.size(), kMaxCommLen)));
}

bool FillRandom(uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(buf + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += size_t(r);
  }
  return true;
}

}  // namespace

bool RunsInline(uint32_t sysnum) {
  namespace abi = rump::abi;
  switch (sysnum) {
    case abi::kSysGetpid:
    case abi::kSysGetppid:
    case abi::kSysGetuid:
    case abi::kSysGeteuid:
    case abi::kSysGetgid:
    case abi::kSysGetegid:
    case abi::kSysClockGettime:
    case abi::kSysGettimeofday:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------- SessionHost

SessionHost::SessionHost(rump::Kernel& kernel, Executor& executor, SessionOptions options)
    : kernel_(kernel), executor_(executor), options_(std::move(options)) {}

SessionHost::~SessionHost() { ReleasePendingForks(); }

void SessionHost::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
    return;
  }
  std::string out = absl::StrCat("rump_sp: ", line, "\n");
  (void)!write(STDERR_FILENO, out.data(), out.size());
}

bool SessionHost::TryAcquireSlot() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || clients_ >= options_.max_clients) return false;
  ++clients_;
  return true;
}

void SessionHost::ReleaseSlot() {
  std::lock_guard<std::mutex> lock(mu_);
  --clients_;
  cv_.notify_all();
}

int SessionHost::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_;
}

void SessionHost::BeginStop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
}

bool SessionHost::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

bool SessionHost::WaitUntil(absl::Time deadline, const std::function<bool()>& done) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::min(left, absl::Seconds(1))));
  }
  return true;
}

bool SessionHost::WaitIdle(absl::Time deadline) {
  return WaitUntil(deadline, [this] { return calls_ == 0; });
}

bool SessionHost::WaitAllReleased(absl::Time deadline) {
  return WaitUntil(deadline, [this] { return clients_ == 0; });
}

void SessionHost::CallStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
}

void SessionHost::CallFinished() {
  std::lock_guard<std::mutex> lock(mu_);
  --calls_;
  if (calls_ == 0) cv_.notify_all();
}

SessionStats SessionHost::stats() const {
  SessionStats st;
  st.syscalls = n_syscalls_.load(std::memory_order_relaxed);
  st.xsyscalls = n_xsyscalls_.load(std::memory_order_relaxed);
  st.inline_calls = n_inline_.load(std::memory_order_relaxed);
  st.server_requests = n_requests_.load(std::memory_order_relaxed);
  st.read_aheads = n_read_aheads_.load(std::memory_order_relaxed);
  return st;
}

bool SessionHost::TryBeginReadAhead() {
  if (options_.read_ahead <= absl::ZeroDuration()) return false;
  int n = read_aheads_.load(std::memory_order_relaxed);
  do {
    if (n >= options_.max_read_aheads) return false;
  } while (!read_aheads_.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  return true;
}

void SessionHost::EndReadAhead(bool delivered) {
  read_aheads_.fetch_sub(1, std::memory_order_acq_rel);
  if (delivered) n_read_aheads_.fetch_add(1, std::memory_order_relaxed);
}

void SessionHost::CountSyscall(bool x, bool inline_call) {
  (x ? n_xsyscalls_ : n_syscalls_).fetch_add(1, std::memory_order_relaxed);
  if (inline_call) n_inline_.fetch_add(1, std::memory_order_relaxed);
}

void SessionHost::CountServerRequest() { n_requests_.fetch_add(1, std::memory_order_relaxed); }

absl::StatusOr<wire::Cookie> SessionHost::AddPendingFork(std::shared_ptr<rump::Process> process) {
  wire::Cookie cookie;
  std::lock_guard<std::mutex> lock(mu_);
  if (forks_.size() >= options_.max_pending_forks) {
    return absl::ResourceExhaustedError(
        absl::StrCat(forks_.size(), " forks are pending already"));
  }
  do {
    if (!FillRandom(cookie.data(), cookie.size())) {
      return absl::InternalError(absl::StrCat("getrandom: ", std::strerror(errno)));
    }
  } while (forks_.count(cookie) != 0);
  forks_.emplace(cookie, std::move(process));
  return cookie;
}

std::shared_ptr<rump::Process> SessionHost::TakePendingFork(const wire::Cookie& cookie) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = forks_.find(cookie);
  if (it == forks_.end()) return nullptr;
  std::shared_ptr<rump::Process> p = std::move(it->second);
  forks_.erase(it);
  return p;
}

void SessionHost::ReleasePendingForks() {
  std::map<wire::Cookie, std::shared_ptr<rump::Process>> forks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    forks.swap(forks_);
  }
  for (auto& [cookie, p] : forks) kernel_.ReleaseProcess(p->pid());
}

// ---------------------------------------------------------- RemoteUserMemory

absl::Status RemoteUserMemory::CopyIn(rump::UserAddr from, void* to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (!UserRange(from, n)) return Efault();
  char* dst = static_cast<char*>(to);
  while (n > 0) {
    const uint64_t chunk = std::min<uint64_t>(n, wire::kMaxCopyChunk);
    const uint64_t addr = from;
    absl::StatusOr<std::string> data = session_.Request(
        wire::kTypeCopyin, chunk,
        [&](uint64_t reqno) { return wire::CopyinRequest(reqno, chunk, addr); });
    if (!data.ok()) return data.status();
    std::memcpy(dst, data->data(), chunk);
    dst += chunk;
    from += chunk;
    n -= chunk;
  }
  return absl::OkStatus();
}

absl::Status RemoteUserMemory::CopyOut(const void* from, rump::UserAddr to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (!UserRange(to, n)) return Efault();
  const char* src = static_cast<const char*>(from);
  while (n > 0) {
    const uint64_t chunk = std::min<uint64_t>(n, wire::kMaxCopyChunk);
    const uint64_t addr = to;
    const absl::string_view data(src, chunk);
    if (!session_.SendRequest(
            [&](uint64_t reqno) { return wire::CopyoutRequest(reqno, addr, data); })) {
      return Efault();
    }
    src += chunk;
    to += chunk;
    n -= chunk;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RemoteUserMemory::CopyInString(rump::UserAddr from, size_t max) {
  if (max == 0) return rump::abi::Errno(rump::abi::kENAMETOOLONG);
  if (!UserRange(from, 1)) return Efault();
  // Ask for no more than fits in user space and in one copy.
  const uint64_t ask = std::min<uint64_t>(
      {uint64_t(max), wire::kMaxCopyChunk, wire::kUserAddressLimit - from});
  absl::StatusOr<std::string> data = session_.Request(
      wire::kTypeCopyinstr, ask,
      [&](uint64_t reqno) { return wire::CopyinstrRequest(reqno, ask, from); });
  if (!data.ok()) return data.status();
  const size_t nul = data->find('\0');
  if (nul == std::string::npos) return rump::abi::Errno(rump::abi::kENAMETOOLONG);
  data->resize(nul);
  return data;
}

absl::StatusOr<size_t> RemoteUserMemory::CopyOutString(const std::string& s, rump::UserAddr to,
                                                       size_t max) {
  return CopyOutStringWith(*this, s, to, max);
}

absl::StatusOr<rump::UserAddr> RemoteUserMemory::AnonMmap(uint64_t size) {
  if (size == 0 || size >= wire::kUserAddressLimit) {
    return rump::abi::Errno(rump::abi::kEINVAL);
  }
  absl::StatusOr<std::string> data = session_.Request(
      wire::kTypeAnonmmap, wire::kAnonmmapSize,
      [&](uint64_t reqno) { return wire::AnonmmapRequest(reqno, size); });
  if (!data.ok()) return data.status();
  uint64_t addr = 0;
  std::memcpy(&addr, data->data(), sizeof(addr));
  if (addr == 0) return rump::abi::Errno(rump::abi::kENOMEM);
  return addr;
}

// ------------------------------------------------------- PrefetchedUserMemory

PrefetchedUserMemory::PrefetchedUserMemory(RemoteUserMemory& remote,
                                           absl::Span<const wire::XBytes> inputs,
                                           std::vector<wire::XRange> outputs)
    : remote_(remote), outputs_(std::move(outputs)) {
  inputs_.reserve(inputs.size());
  for (const wire::XBytes& b : inputs) inputs_.push_back(Input{b.addr, std::string(b.data)});
  for (const wire::XRange& r : outputs_) output_capacity_ += r.len;
}

const PrefetchedUserMemory::Input* PrefetchedUserMemory::InputFor(uint64_t addr,
                                                                  uint64_t n) const {
  for (const Input& b : inputs_) {
    if (addr >= b.addr && n <= b.data.size() && addr - b.addr <= b.data.size() - n) return &b;
  }
  return nullptr;
}

absl::Status PrefetchedUserMemory::Flush() {
  absl::Status result;
  for (const Segment& seg : segments_) {
    ++fallbacks_;
    if (absl::Status s = remote_.CopyOut(seg.data.data(), seg.addr, seg.data.size());
        !s.ok() && result.ok()) {
      result = s;
    }
  }
  segments_.clear();
  gathered_ = 0;
  return result;
}

absl::Status PrefetchedUserMemory::CopyIn(rump::UserAddr from, void* to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (!UserRange(from, n)) return Efault();
  if (const Input* b = InputFor(from, n); b != nullptr) {
    std::memcpy(to, b->data.data() + (from - b->addr), n);
    return absl::OkStatus();
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  ++fallbacks_;
  return remote_.CopyIn(from, to, n);
}

absl::Status PrefetchedUserMemory::CopyOut(const void* from, rump::UserAddr to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (!UserRange(to, n)) return Efault();
  const char* src = static_cast<const char*>(from);
  // What the kernel writes, it reads back (the client's memory will hold it).
  for (Input& b : inputs_) {
    const uint64_t lo = std::max<uint64_t>(to, b.addr);
    const uint64_t hi = std::min<uint64_t>(to + n, b.addr + b.data.size());
    if (lo < hi) std::memcpy(b.data.data() + (lo - b.addr), src + (lo - to), hi - lo);
  }
  if (wire::XContained(wire::XRange{to, n}, outputs_)) {
    if (segments_.size() >= wire::kXMaxSegments || gathered_ + n > output_capacity_) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    segments_.push_back(Segment{to, std::string(src, n)});
    gathered_ += n;
    return absl::OkStatus();
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  ++fallbacks_;
  return remote_.CopyOut(from, to, n);
}

absl::StatusOr<std::string> PrefetchedUserMemory::CopyInString(rump::UserAddr from, size_t max) {
  if (max == 0) return rump::abi::Errno(rump::abi::kENAMETOOLONG);
  if (!UserRange(from, 1)) return Efault();
  if (const Input* b = InputFor(from, 1); b != nullptr) {
    const size_t off = size_t(from - b->addr);
    const size_t avail = b->data.size() - off;
    const absl::string_view have(b->data.data() + off, std::min(avail, max));
    if (const size_t nul = have.find('\0'); nul != absl::string_view::npos) {
      return std::string(have.substr(0, nul));
    }
    if (avail >= max) return rump::abi::Errno(rump::abi::kENAMETOOLONG);
    // The string goes on past the buffer: ask the client.
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  ++fallbacks_;
  return remote_.CopyInString(from, max);
}

absl::StatusOr<size_t> PrefetchedUserMemory::CopyOutString(const std::string& s,
                                                           rump::UserAddr to, size_t max) {
  return CopyOutStringWith(*this, s, to, max);
}

std::vector<wire::XBytes> PrefetchedUserMemory::Segments() const {
  std::vector<wire::XBytes> out;
  out.reserve(segments_.size());
  for (const Segment& seg : segments_) out.push_back(wire::XBytes{seg.addr, seg.data});
  return out;
}

// -------------------------------------------------------------------- Session

Session::Session(std::shared_ptr<SessionHost> host, std::shared_ptr<transport::Connection> conn,
                 rump::Credentials credentials)
    : host_(std::move(host)), conn_(std::move(conn)), memory_(*this), credentials_(credentials) {
  if (host_->options().verbose) {
    const transport::PeerIdentity& id = conn_->identity();
    std::string note;
    if (!id.groups_error.empty()) {
      note = absl::StrCat("; ", id.groups_error, ": no supplementary groups");
    } else if (id.groups.size() > static_cast<size_t>(rump::abi::kNgroupsMax)) {
      note = absl::StrCat("; ", id.groups.size(), " supplementary groups: a process keeps the first ",
                          rump::abi::kNgroupsMax);
    }
    host_->Log(absl::StrCat(conn_->peer(), ": connected (", id.ToString(), note, ")"));
  }
}

Session::~Session() {
  // Normally released when the transport reported the close; a session
  // dropped without that (a test, a transport torn down) still frees its
  // process and slot.
  Release();
}

std::shared_ptr<rump::Process> Session::process() const {
  std::lock_guard<std::mutex> lock(mu_);
  return process_;
}

bool Session::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == State::kRunning;
}

bool Session::released() const {
  std::lock_guard<std::mutex> lock(mu_);
  return released_;
}

std::string Session::comm() const {
  std::lock_guard<std::mutex> lock(mu_);
  return comm_;
}

void Session::OnFrame(wire::Frame frame) {
  State state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || state_ == State::kClosed) return;
    state = state_;
  }
  if (state == State::kNew) {
    HandleNew(frame);
  } else {
    HandleRunning(frame);
  }
}

void Session::OnClosed(const absl::Status& why) {
  if (!why.ok()) {
    if (absl::IsUnavailable(why)) {
      if (host_->options().verbose) {
        host_->Log(absl::StrCat(conn_->peer(), ": connection lost: ", why.message()));
      }
    } else {
      host_->Log(absl::StrCat(conn_->peer(), ": dropping connection: ", why.message()));
    }
  }
  bool release_now;
  std::shared_ptr<rump::Process> interrupt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = State::kClosed;
    closing_ = true;
    for (auto& [reqno, p] : pending_) p->failed = true;
    pending_.clear();
    release_now = in_flight_ == 0;
    if (!release_now) interrupt = process_;
  }
  cv_.notify_all();
  // Calls still blocked in the kernel (a recvfrom, a poll) return EINTR
  // now, as NetBSD makes a dead client's lwps exit; the last one to finish
  // releases the process.
  if (interrupt != nullptr) interrupt->Interrupt();
  if (release_now) Release();
}

void Session::Raise(uint32_t signo) {
  // NetBSD leaves a RAISE's reqno uninitialised; ours is the next number,
  // not consumed.
  std::string frame;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || state_ != State::kRunning) return;
    frame = wire::RaiseRequest(next_reqno_, signo);
  }
  conn_->Send(std::move(frame));
}

// ------------------------------------------------------------ frame handling

void Session::HandleNew(const wire::Frame& f) {
  const wire::Header& h = f.header;
  if (h.cls != wire::kClassRequest || h.type != wire::kTypeHandshake ||
      (h.u != wire::kHandshakeGuest && h.u != wire::kHandshakeFork)) {
    if (host_->options().verbose) {
      host_->Log(absl::StrCat(conn_->peer(), ": ", wire::ClassName(h.cls), " ",
                              wire::TypeName(h.type), " (u=", h.u,
                              ") before the handshake; closing"));
    }
    SendError(h.reqno, wire::kErrAuth);
    CloseConnection();
    return;
  }
  if (host_->stopping()) {
    CloseConnection();
    return;
  }
  if (h.u == wire::kHandshakeGuest) {
    HandleGuest(f);
  } else {
    HandleFork(f);
  }
}

void Session::HandleGuest(const wire::Frame& f) {
  absl::StatusOr<absl::string_view> name = wire::DecodeHandshakeName(f);
  if (!name.ok()) {
    SendError(f.header.reqno, wire::kErrMalformedRequest);
    Drop(std::string(name.status().message()));
    return;
  }
  const std::string comm = CommOf(*name);
  std::shared_ptr<rump::Process> p = host_->kernel().NewProcess(1, comm);
  p->InitCredentials(credentials_);
  if (const uint64_t n = host_->options().max_files; n != 0) {
    (void)p->SetLimit(rump::abi::kRlimitNofile, rump::abi::Rlimit{n, n}, /*privileged=*/true);
  }
  if (const uint64_t n = host_->options().max_sockbuf; n != 0) {
    (void)p->SetLimit(rump::abi::kRlimitSbsize, rump::abi::Rlimit{n, n}, /*privileged=*/true);
  }
  StartRunning(f.header.reqno, p, comm);
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": \"", absl::CHexEscape(comm), "\" is pid ",
                            p->pid(), ", uid ", credentials_.euid, " gid ", credentials_.egid,
                            credentials_.ngroups == 0 ? "" : " groups ",
                            absl::StrJoin(credentials_.group_list(), ",")));
  }
}

void Session::HandleFork(const wire::Frame& f) {
  absl::StatusOr<wire::HandshakeFork> fork = wire::DecodeHandshakeFork(f);
  if (!fork.ok()) {
    SendError(f.header.reqno, wire::kErrMalformedRequest);
    Drop(std::string(fork.status().message()));
    return;
  }
  std::shared_ptr<rump::Process> middle = host_->TakePendingFork(fork->cookie);
  if (middle == nullptr) {
    if (host_->options().verbose) {
      host_->Log(absl::StrCat(conn_->peer(), ": FORK handshake with an unknown cookie"));
    }
    SendError(f.header.reqno, wire::kErrInvalidPrefork);
    CloseConnection();
    return;
  }
  rump::Kernel& kernel = host_->kernel();
  if (fork->cancel != 0) {
    kernel.ReleaseProcess(middle->pid());
    CloseConnection();
    return;
  }
  // NetBSD forks once more from the pre-forked process, sharing its
  // descriptor table (RFFD_SHARE), and releases it, so the child's parent
  // is init.
  std::shared_ptr<rump::Process> child =
      kernel.NewProcess(1, middle->comm(), middle->shared_fds());
  child->InheritLimits(*middle);
  child->InitCredentials(middle->credentials(), middle->set_ugid());
  kernel.ReleaseProcess(middle->pid());
  StartRunning(f.header.reqno, child, middle->comm());
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": forked, pid ", child->pid()));
  }
}

void Session::StartRunning(uint64_t reqno, std::shared_ptr<rump::Process> p, std::string comm) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    process_ = std::move(p);
    comm_ = std::move(comm);
    state_ = State::kRunning;
  }
  conn_->Send(wire::HandshakeResponse(reqno, 0));
}

void Session::HandleRunning(wire::Frame& f) {
  const wire::Header& h = f.header;
  if (h.cls == wire::kClassResponse) {
    HandleResponse(f);
    return;
  }
  if (h.cls != wire::kClassRequest) {
    // Clients never send ERROR frames (or unknown classes). If it names a
    // request of ours, that request fails.
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = pending_.find(h.reqno); h.cls == wire::kClassError && it != pending_.end()) {
        it->second->failed = true;
        pending_.erase(it);
      }
    }
    cv_.notify_all();
    SendError(h.reqno, wire::kErrMalformedRequest);
    return;
  }
  switch (h.type) {
    case wire::kTypeHandshake:
      if (h.u == wire::kHandshakeExec) {
        HandleExec(f);
      } else {
        SendError(h.reqno, wire::kErrMalformedRequest);
        Drop(absl::StrCat("HANDSHAKE kind ", h.u, " after the handshake"));
      }
      return;
    case wire::kTypeSyscall:
      HandleSyscall(f);
      return;
    case wire::kTypePrefork:
      HandlePrefork(f);
      return;
    default:
      if (h.type >= wire::kTypeExtensionFirst && h.type <= wire::kTypeExtensionLast) {
        HandleExtension(f);
        return;
      }
      if (host_->options().verbose) {
        host_->Log(absl::StrCat(conn_->peer(), ": unknown request type ", h.type));
      }
      SendError(h.reqno, wire::kErrMalformedRequest);
      return;
  }
}

void Session::HandleExtension(wire::Frame& f) {
  if (f.header.type == wire::kTypeXSyscall) {
    HandleXSyscall(f);
    return;
  }
  if (f.header.type == wire::kTypeXInterrupt) {
    HandleInterrupt(f);
    return;
  }
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": unknown extension request type ", f.header.type));
  }
  SendError(f.header.reqno, wire::kErrMalformedRequest);
}

void Session::HandleInterrupt(const wire::Frame& f) {
  const uint64_t reqno = f.header.reqno;
  std::shared_ptr<rump::CallInterrupt> call;
  if (f.payload.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = calls_.find(reqno); it != calls_.end()) call = it->second;
  }
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": X_INTERRUPT for call ", reqno,
                            !f.payload.empty() ? ": has a payload, ignored"
                            : call == nullptr  ? ": no such call running, ignored"
                                               : ""));
  }
  if (call != nullptr) call->Raise();
}

std::shared_ptr<rump::CallInterrupt> Session::TrackCall(uint64_t reqno) {
  auto call = std::make_shared<rump::CallInterrupt>();
  std::lock_guard<std::mutex> lock(mu_);
  calls_[reqno] = call;
  return call;
}

void Session::ForgetCall(uint64_t reqno) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(reqno);
}

bool Session::BeginCall(uint64_t reqno) {
  if (host_->stopping()) return false;  // the connection closes soon
  bool in_exec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_exec = exec_pending_;
    if (!in_exec) ++in_flight_;
  }
  if (in_exec) {
    SendError(reqno, wire::kErrInExec);  // (NetBSD would run it)
    return false;
  }
  host_->CallStarted();
  return true;
}

void Session::Dispatch(uint64_t reqno, uint32_t sysnum, bool x,
                       std::function<void(bool handed_off)> job) {
  const bool now = host_->options().inline_quick_calls && RunsInline(sysnum);
  host_->CountSyscall(x, now);
  if (now) {
    job(false);
    return;
  }
  // Owned by this session: the pool takes clients' waiting calls in turn
  // and keeps a reserve of threads for clients with few calls running.
  const uint64_t owner = reinterpret_cast<uintptr_t>(this);
  if (!host_->executor().SubmitFor(owner, [job = std::move(job)] { job(true); })) {
    ForgetCall(reqno);
    SendError(reqno, wire::kErrTryAgain);
    CallDone();
  }
}

void Session::HandleSyscall(const wire::Frame& f) {
  const int64_t rx_ns = trace::NowNanos();
  absl::StatusOr<wire::SyscallArgs> args = wire::DecodeSyscallRequest(f);
  if (!args.ok()) {
    if (host_->options().verbose) {
      host_->Log(absl::StrCat(conn_->peer(), ": ", args.status().message()));
    }
    SendError(f.header.reqno, wire::kErrMalformedRequest);
    return;
  }
  const uint64_t reqno = f.header.reqno;
  if (!BeginCall(reqno)) return;
  std::shared_ptr<Session> self = shared_from_this();
  Dispatch(reqno, args->sysnum, false,
           [self, reqno, a = *args, rx_ns, i = TrackCall(reqno)](bool handed_off) {
             self->RunSyscall(reqno, a, rx_ns, handed_off, i);
           });
}

void Session::HandleXSyscall(wire::Frame& f) {
  const int64_t rx_ns = trace::NowNanos();
  auto x = std::make_shared<XCall>();
  x->frame = std::move(f);
  absl::StatusOr<wire::XSyscallCall> call = wire::DecodeXSyscallRequest(x->frame);
  const uint64_t reqno = x->frame.header.reqno;
  if (!call.ok()) {
    if (host_->options().verbose) {
      host_->Log(absl::StrCat(conn_->peer(), ": ", call.status().message()));
    }
    SendError(reqno, wire::kErrMalformedRequest);
    return;
  }
  x->call = *std::move(call);
  if (!BeginCall(reqno)) return;
  const uint32_t sysnum = x->call.sysnum;
  std::shared_ptr<Session> self = shared_from_this();
  Dispatch(reqno, sysnum, true,
           [self, reqno, x = std::move(x), rx_ns, i = TrackCall(reqno)](bool handed_off) {
             self->RunXSyscall(reqno, x, rx_ns, handed_off, i);
           });
}

rump::SyscallResult Session::Execute(uint32_t sysnum, absl::Span<const uint64_t> slots,
                                     rump::UserMemory& mem, rump::CallInterrupt* interrupt) {
  std::shared_ptr<rump::Process> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    p = process_;
  }
  try {
    return host_->kernel().Syscall(*p, mem, static_cast<int>(sysnum), slots, interrupt);
  } catch (const std::bad_alloc&) {
    // A client asked the kernel for more memory than there is (a huge
    // length): that call fails, the server goes on.
    host_->Log(absl::StrCat(conn_->peer(), ": syscall ", sysnum,
                            " ran out of memory; answering ENOMEM"));
    return rump::SyscallResult{rump::abi::kENOMEM, 0, 0};
  }
}

void Session::RecordStages(int64_t rx_ns, int64_t start_ns, int64_t done_ns, bool handed_off) {
  const int64_t sent_ns = trace::NowNanos();
  if (handed_off) {
    trace::HistogramOf(trace::Stage::kSpHandoff).Add(start_ns - rx_ns);
    trace::HistogramOf(trace::Stage::kSpCall).Add(done_ns - start_ns);
    trace::HistogramOf(trace::Stage::kSpReply).Add(sent_ns - done_ns);
  } else {
    trace::HistogramOf(trace::Stage::kSpInline).Add(sent_ns - rx_ns);
  }
}

void Session::RunSyscall(uint64_t reqno, wire::SyscallArgs args, int64_t rx_ns,
                         bool handed_off, const std::shared_ptr<rump::CallInterrupt>& interrupt) {
  const int64_t start_ns = trace::NowNanos();
  // Short payloads were zero-extended by the decoder: pass all 8 slots.
  const rump::SyscallResult r =
      Execute(args.sysnum, absl::MakeConstSpan(args.slots), memory_, interrupt.get());
  ForgetCall(reqno);
  const int64_t done_ns = trace::NowNanos();
  conn_->Send(wire::SyscallResponse(reqno, r.error, r.rv0, r.rv1));
  RecordStages(rx_ns, start_ns, done_ns, handed_off);
  CallDone();
  if (handed_off) ReadAheadNext();
}

void Session::RunXSyscall(uint64_t reqno, std::shared_ptr<XCall> x, int64_t rx_ns,
                          bool handed_off, const std::shared_ptr<rump::CallInterrupt>& interrupt) {
  const int64_t start_ns = trace::NowNanos();
  PrefetchedUserMemory mem(memory_, x->call.inputs, x->call.outputs);
  const rump::SyscallResult r =
      Execute(x->call.sysnum, absl::MakeConstSpan(x->call.slots), mem, interrupt.get());
  ForgetCall(reqno);
  const int64_t done_ns = trace::NowNanos();
  conn_->Send(wire::XSyscallResponse(reqno, r.error, r.rv0, r.rv1, mem.Segments()));
  RecordStages(rx_ns, start_ns, done_ns, handed_off);
  CallDone();
  if (handed_off) ReadAheadNext();
}

void Session::ReadAheadNext() {
  if (!host_->TryBeginReadAhead()) return;
  bool delivered;
  {
    // A request read here is run by this thread once this job returns.
    RunNextHere claim;
    delivered = conn_->ReadAhead(host_->options().read_ahead);
  }
  host_->EndReadAhead(delivered);
}

void Session::CallDone() {
  bool exec = false;
  bool release = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    if (in_flight_ == 0) {
      if (state_ == State::kClosed) {
        release = true;
      } else if (exec_pending_) {
        in_flight_ = 1;  // the exec itself
        exec = true;
      }
    }
  }
  host_->CallFinished();
  if (exec) {
    host_->CallStarted();
    CompleteExec();
  }
  if (release) Release();
}

void Session::HandleExec(const wire::Frame& f) {
  bool in_exec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_exec = exec_pending_;
  }
  if (in_exec) {
    SendError(f.header.reqno, wire::kErrInExec);
    CloseConnection();
    return;
  }
  absl::StatusOr<absl::string_view> name = wire::DecodeHandshakeName(f);
  if (!name.ok()) {
    SendError(f.header.reqno, wire::kErrMalformedRequest);
    Drop(std::string(name.status().message()));
    return;
  }
  bool now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    exec_pending_ = true;
    exec_reqno_ = f.header.reqno;
    exec_name_ = CommOf(*name);
    now = in_flight_ == 0;
    if (now) in_flight_ = 1;  // the exec itself
  }
  // Otherwise the last call in flight completes it (CallDone).
  if (now) {
    host_->CallStarted();
    CompleteExec();
  }
}

void Session::CompleteExec() {
  std::shared_ptr<rump::Process> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    p = process_;
  }
  rump::FdTable& fds = p->fds();
  const int max = fds.MaxFd();
  for (int fd = 0; fd <= max; ++fd) {
    absl::StatusOr<bool> cloexec = fds.GetCloexec(fd);
    if (cloexec.ok() && *cloexec) (void)fds.Close(fd);
  }
  uint64_t reqno;
  {
    std::lock_guard<std::mutex> lock(mu_);
    comm_ = exec_name_;
    exec_pending_ = false;
    reqno = exec_reqno_;
  }
  p->set_comm(comm());
  conn_->Send(wire::HandshakeResponse(reqno, 0));
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": pid ", p->pid(), " exec'd \"",
                            absl::CHexEscape(comm()), "\""));
  }
  CallDone();
}

void Session::HandlePrefork(const wire::Frame& f) {
  if (absl::Status s = wire::DecodePreforkRequest(f); !s.ok()) {
    SendError(f.header.reqno, wire::kErrMalformedRequest);
    return;
  }
  std::shared_ptr<rump::Process> parent;
  std::string comm;
  bool in_exec;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_exec = exec_pending_;
    parent = process_;
    comm = comm_;
  }
  if (in_exec) {
    SendError(f.header.reqno, wire::kErrInExec);
    return;
  }
  rump::Kernel& kernel = host_->kernel();
  std::shared_ptr<rump::Process> middle = kernel.NewProcess(parent->pid(), comm);
  middle->fds().CloseAll();
  middle->fds().CopyFrom(parent->fds());
  absl::StatusOr<wire::Cookie> cookie = host_->AddPendingFork(middle);
  if (!cookie.ok()) {
    kernel.ReleaseProcess(middle->pid());
    host_->Log(absl::StrCat(conn_->peer(), ": PREFORK refused: ", cookie.status().message()));
    SendError(f.header.reqno, absl::IsResourceExhausted(cookie.status()) ? wire::kErrNoMem
                                                                          : wire::kErrRforkFailed);
    return;
  }
  conn_->Send(wire::PreforkResponse(f.header.reqno, *cookie));
}

void Session::HandleResponse(wire::Frame& f) {
  const uint64_t reqno = f.header.reqno;
  std::string bad;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(reqno);
    if (it == pending_.end()) {
      bad = absl::StrCat("a response (type ", f.header.type, ") to request ", reqno,
                         ", which the server never made or has its answer to");
    } else {
      Pending* p = it->second;
      pending_.erase(it);
      absl::Status s;
      if (p->type == wire::kTypeCopyin && p->len > 0 && f.payload.empty() &&
          f.header.cls == wire::kClassResponse) {
        // Our client's answer for memory it cannot read: that copyin fails
        // with EFAULT, the connection stays.
        p->failed = true;
        cv_.notify_all();
        return;
      }
      switch (p->type) {
        case wire::kTypeCopyin:
          s = wire::DecodeCopyinResponse(f, p->len).status();
          break;
        case wire::kTypeCopyinstr:
          s = wire::DecodeCopyinstrResponse(f, p->len).status();
          break;
        case wire::kTypeAnonmmap:
          s = wire::DecodeAnonmmapResponse(f).status();
          break;
        default:
          s = absl::InternalError("unexpected pending request type");
          break;
      }
      if (s.ok()) {
        p->data = std::move(f.payload);
        p->done = true;
      } else {
        p->failed = true;
        bad = std::string(s.message());
      }
    }
  }
  cv_.notify_all();
  if (!bad.empty()) Drop(bad);
}

void Session::SendError(uint64_t reqno, uint32_t code) {
  conn_->Send(wire::ErrorFrame(reqno, code));
}

bool Session::ExpireHandshake(absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != State::kNew || closing_) return false;
  }
  Drop(absl::StrCat("no handshake within ", absl::FormatDuration(timeout)));
  return true;
}

void Session::Drop(const std::string& why) {
  host_->Log(absl::StrCat(conn_->peer(), ": dropping connection: ", why));
  CloseConnection();
}

void Session::CloseConnection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    closing_ = true;
  }
  conn_->Close();
}

void Session::Release() {
  std::shared_ptr<rump::Process> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (releasing_) return;
    releasing_ = true;
    p = std::move(process_);
  }
  if (p != nullptr) host_->kernel().ReleaseProcess(p->pid());
  {
    // The slot goes back and released_ turns true in one critical section
    // (our lock, then the host's: the host never calls into a session), so
    // whoever sees one of them sees the other, and the process gone.
    std::lock_guard<std::mutex> lock(mu_);
    host_->ReleaseSlot();
    released_ = true;
  }
  if (host_->options().verbose) {
    host_->Log(absl::StrCat(conn_->peer(), ": disconnected",
                            p != nullptr ? absl::StrCat(", pid ", p->pid(), " released") : ""));
  }
}

// ------------------------------------------------------------ server requests

absl::StatusOr<std::string> Session::Request(
    uint16_t type, uint64_t len, const std::function<std::string(uint64_t)>& frame_for) {
  Pending p;
  p.type = type;
  p.len = len;
  std::string frame;
  uint64_t reqno;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || state_ != State::kRunning) return Efault();
    reqno = next_reqno_++;
    pending_[reqno] = &p;
    frame = frame_for(reqno);
  }
  host_->CountServerRequest();
  // The answer may arrive (even re-entrantly) before Send returns: the
  // request is registered already.
  conn_->Send(std::move(frame));
  // The client answers at once: read the answer on this thread if it comes
  // within the read-ahead window (as after a call: no transport wake-up).
  if (host_->TryBeginReadAhead()) {
    const absl::Time until = absl::Now() + host_->options().read_ahead;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (p.done || p.failed) break;
      }
      const absl::Duration left = until - absl::Now();
      if (left <= absl::ZeroDuration() || !conn_->ReadAhead(left)) break;
    }
    host_->EndReadAhead(false);
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (!p.done && !p.failed) {
    // Waiting for the client, not for a CPU: the client's other calls may
    // run meanwhile (WorkerPoolOptions::runnable_per_owner).
    WorkerPool::NoteBlocked(true);
    cv_.wait(lock, [&] { return p.done || p.failed; });
    WorkerPool::NoteBlocked(false);
  }
  if (p.failed) return Efault();
  return std::move(p.data);
}

bool Session::SendRequest(const std::function<std::string(uint64_t)>& frame_for) {
  std::string frame;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || state_ != State::kRunning) return false;
    frame = frame_for(next_reqno_++);
  }
  host_->CountServerRequest();
  conn_->Send(std::move(frame));
  return true;
}

}  // namespace sp::server
