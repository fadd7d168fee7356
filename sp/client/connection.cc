#include "sp/client/connection.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sp/client/errors.h"
#include "sp/client/memory.h"
#include "sp/client/signals.h"
#include "sp/client/xplan.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/xsyscall.h"
#include "trace/stages.h"

namespace sp::client {
namespace {

absl::Status LostError() {
  return HostError(ENOTCONN, "rump_sp: not connected to the server");
}

absl::Status Malformed(absl::string_view what, const absl::Status& why) {
  return HostError(EPROTO, absl::StrCat("rump_sp: malformed ", what, " from the server: ",
                                        why.message()));
}

absl::Status ErrorFrameStatus(const wire::Frame& f, absl::string_view what) {
  const uint32_t code = f.header.u;
  return HostError(wire::ErrorCodeToHostErrno(code),
                   absl::StrCat("rump_sp: the server refused the ", what, ": ",
                                wire::ErrorCodeName(code)));
}

}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, std::string banner,
                       const ConnectionOptions& options)
    : transport_(std::move(transport)), banner_(std::move(banner)), options_(options) {
  if (!banner_.empty()) {
    // Never required: only the trailing '\n' is (checked by the transport).
    if (absl::StatusOr<wire::BannerInfo> info = wire::BannerInfo::Parse(banner_); info.ok()) {
      banner_info_ = *std::move(info);
    }
  }
}

Connection::~Connection() { transport_->Shutdown(); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(const transport::Url& url,
                                                                const ConnectionOptions& options) {
  std::string banner;
  absl::StatusOr<std::unique_ptr<Transport>> t = ConnectTransport(url, &banner, options.transport);
  if (!t.ok()) return t.status();
  return Start(*std::move(t), std::move(banner), Handshake::kGuest, wire::Cookie{}, options);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::ConnectForked(
    const transport::Url& url, const wire::Cookie& cookie, const ConnectionOptions& options) {
  std::string banner;
  absl::StatusOr<std::unique_ptr<Transport>> t = ConnectTransport(url, &banner, options.transport);
  if (!t.ok()) return t.status();
  return Start(*std::move(t), std::move(banner), Handshake::kFork, cookie, options);
}

absl::Status Connection::CancelFork(const transport::Url& url, const wire::Cookie& cookie,
                                    const ConnectionOptions& options) {
  std::string banner;
  absl::StatusOr<std::unique_ptr<Transport>> t = ConnectTransport(url, &banner, options.transport);
  if (!t.ok()) return t.status();
  return (*t)->Send(wire::HandshakeForkRequest(0, cookie, /*cancel=*/1));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::ResumeAfterExec(
    int fd, const ConnectionOptions& options) {
  absl::StatusOr<std::unique_ptr<Transport>> t = AdoptStreamSocket(fd, options.transport);
  if (!t.ok()) return t.status();
  return Start(*std::move(t), "", Handshake::kExec, wire::Cookie{}, options);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Start(std::unique_ptr<Transport> transport,
                                                              std::string banner,
                                                              Handshake handshake,
                                                              const wire::Cookie& cookie,
                                                              const ConnectionOptions& options) {
  std::unique_ptr<Connection> c(new Connection(std::move(transport), std::move(banner), options));
  absl::StatusOr<wire::Frame> resp = c->Transact([&](uint64_t reqno) {
    switch (handshake) {
      case Handshake::kFork:
        return wire::HandshakeForkRequest(reqno, cookie, 0);
      case Handshake::kExec:
        return wire::HandshakeExecRequest(reqno, options.progname);
      case Handshake::kGuest:
        break;
    }
    return wire::HandshakeGuestRequest(reqno, options.progname);
  });
  if (!resp.ok()) {
    return HostError(ErrnoOf(resp.status()),
                     absl::StrCat("rump_sp: handshake failed: ", resp.status().message()));
  }
  if (resp->header.cls == wire::kClassError) return ErrorFrameStatus(*resp, "handshake");
  absl::StatusOr<int32_t> value = wire::DecodeHandshakeResponse(*resp);
  if (!value.ok()) {
    absl::Status st = Malformed("handshake answer", value.status());
    c->Fail(st);
    return st;
  }
  if (*value != 0) {
    return HostError(*value > 0 && *value < 4096 ? *value : EPROTO,
                     absl::StrCat("rump_sp: the server refused the handshake (", *value, ")"));
  }
  return c;
}

bool Connection::alive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !dead_;
}

void Connection::Shutdown() { Fail(LostError()); }

void Connection::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void Connection::FailLocked(const absl::Status& why) {
  if (!dead_) {
    dead_ = true;
    if (ErrnoOf(why) == EPROTO) Log(absl::StrCat(why.message(), "; closing the connection"));
    transport_->Shutdown();
  }
  for (auto& [reqno, w] : waiters_) {
    w->done = true;
    w->lost = true;
    w->cv.notify_one();
  }
  waiters_.clear();
}

void Connection::Fail(const absl::Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  FailLocked(why);
}

absl::StatusOr<wire::Frame> Connection::Transact(
    const std::function<std::string(uint64_t)>& build) {
  Waiter w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return LostError();
    w.reqno = next_reqno_++;
    waiters_[w.reqno] = &w;
  }
  const int64_t start_ns = trace::NowNanos();
  if (absl::Status st = transport_->Send(build(w.reqno)); !st.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    FailLocked(st);
    return LostError();
  }
  absl::StatusOr<wire::Frame> answer = Wait(w);
  trace::RecordSince(trace::Stage::kClientCall, start_ns);
  return answer;
}

namespace {

// The connection this thread is reading for everyone on, if any.
thread_local const Connection* t_reading = nullptr;

}  // namespace

absl::StatusOr<wire::Frame> Connection::Wait(Waiter& w) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!w.done) {
    // A call made by a signal handler that runs inside this thread's own
    // read (an interruptible wait) reads too: the outer read is parked in
    // its poll, between frames, and nobody else would read.
    const bool nested = reader_active_ && t_reading == this;
    if (reader_active_ && !nested) {
      w.cv.wait(lock);
      continue;
    }
    // Read for everyone until our own answer is in.
    reader_active_ = true;
    const bool interruptible = !nested && !w.interrupt_sent && uses_interrupts();
    lock.unlock();
    std::vector<wire::Frame> frames;
    absl::Status st;
    {
      const Connection* const outer = std::exchange(t_reading, this);
      InterruptibleWait wait(interruptible);
      st = transport_->Receive(&frames);
      t_reading = outer;
    }
    if (IsSignalInterruption(st)) {
      // A handler ran: ask the server to interrupt the call (it answers
      // EINTR, or its result if it was done first), and wait for that.
      bool done;
      {
        std::lock_guard<std::mutex> g(mu_);
        done = w.done;
        w.interrupt_sent = true;
      }
      st = done ? absl::OkStatus() : transport_->Send(wire::XInterruptRequest(w.reqno));
    }
    // Frames that arrived before an error are still answers.
    for (wire::Frame& f : frames) {
      if (absl::Status h = HandleFrame(f); !h.ok()) {
        st = h;
        break;
      }
    }
    lock.lock();
    if (!nested) reader_active_ = false;
    if (!st.ok()) FailLocked(st);
  }
  // Pass the reading on to a thread still waiting.
  if (!reader_active_ && !waiters_.empty()) waiters_.begin()->second->cv.notify_one();
  if (w.lost) return LostError();
  return std::move(w.frame);
}

absl::Status Connection::HandleFrame(wire::Frame& f) {
  switch (f.header.cls) {
    case wire::kClassResponse:
    case wire::kClassError: {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = waiters_.find(f.header.reqno);
      if (it == waiters_.end()) return absl::OkStatus();  // nobody asked: dropped
      Waiter* w = it->second;
      waiters_.erase(it);
      w->frame = std::move(f);
      w->done = true;
      w->cv.notify_one();
      return absl::OkStatus();
    }
    case wire::kClassRequest:
      return HandleRequest(f);
    default:
      return HostError(EPROTO, absl::StrCat("rump_sp: malformed frame from the server: class ",
                                            f.header.cls));
  }
}

absl::Status Connection::HandleRequest(const wire::Frame& f) {
  switch (f.header.type) {
    case wire::kTypeCopyin:
    case wire::kTypeCopyinstr: {
      absl::StatusOr<wire::CopyRequest> req = wire::DecodeCopyRequest(f, options_.max_copyin);
      if (!req.ok()) return Malformed(wire::TypeName(f.header.type), req.status());
      std::string data;
      if (req->type == wire::kTypeCopyinstr) {
        data = ReadOwnString(req->addr, size_t(req->len));
      } else {
        data.resize(size_t(req->len));
        if (!ReadOwnMemory(req->addr, data.size(), data.data())) {
          // Unreadable: our server takes a short answer as EFAULT; a NetBSD
          // server would read past a short answer, so it gets zeros.
          if (peer_is_ours()) {
            data.clear();
          } else {
            std::fill(data.begin(), data.end(), '\0');
          }
        }
      }
      return transport_->Send(wire::CopyinResponse(f.header.reqno, data));
    }
    case wire::kTypeCopyout:
    case wire::kTypeCopyoutstr: {
      absl::StatusOr<wire::Copyout> out = wire::DecodeCopyout(f);
      if (!out.ok()) return Malformed(wire::TypeName(f.header.type), out.status());
      // A bad address has no answer in the protocol: the bytes are dropped.
      WriteOwnMemory(out->addr, out->data);
      return absl::OkStatus();
    }
    case wire::kTypeAnonmmap: {
      absl::StatusOr<uint64_t> size = wire::DecodeAnonmmapRequest(f);
      if (!size.ok()) return Malformed("ANONMMAP", size.status());
      uint64_t addr = 0;
      if (*size <= uint64_t(SIZE_MAX)) {
        void* p = mmap(nullptr, size_t(*size), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
                       -1, 0);
        if (p != MAP_FAILED) addr = reinterpret_cast<uintptr_t>(p);
      }
      return transport_->Send(wire::AnonmmapResponse(f.header.reqno, addr));
    }
    case wire::kTypeRaise: {
      absl::StatusOr<uint32_t> signo = wire::DecodeRaise(f);
      if (!signo.ok()) return Malformed("RAISE", signo.status());
      // Blocked while the call runs (as in NetBSD's client), so delivered
      // when the calling thread's mask is restored.
      if (const int host = NetbsdToHostSignal(*signo); host > 0) raise(host);
      return absl::OkStatus();
    }
    default:
      return HostError(EPROTO, absl::StrCat("rump_sp: malformed frame from the server: request "
                                            "type ",
                                            f.header.type, " (", wire::TypeName(f.header.type),
                                            ")"));
  }
}

SyscallResult Connection::Syscall(uint32_t sysnum, absl::Span<const uint64_t> slots) {
  SyscallResult r;
  if (slots.size() > wire::kMaxSyscallSlots) {
    r.error = EINVAL;
    return r;
  }
  XPlan plan;
  if (uses_xbatch()) plan = XPlan::For(sysnum, slots);
  const std::vector<wire::XBytes> inputs = plan.inputs();
  const bool x = !plan.empty();
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<wire::Frame> resp = Transact([&](uint64_t reqno) {
      if (x) {
        // The plan keeps to the codec's rules, so this does not fail.
        if (absl::StatusOr<std::string> f =
                wire::XSyscallRequest(reqno, sysnum, slots, inputs, plan.outputs());
            f.ok()) {
          return *std::move(f);
        }
      }
      // Cannot fail: the slot count was checked.
      return *wire::SyscallRequest(reqno, sysnum, slots);
    });
    if (!resp.ok()) {
      r.error = ENOTCONN;
      r.lost = true;
      return r;
    }
    if (resp->header.cls == wire::kClassError) {
      absl::StatusOr<uint32_t> code = wire::DecodeError(*resp);
      if (!code.ok()) {
        Fail(Malformed("ERROR frame", code.status()));
        r.error = ENOTCONN;
        r.lost = true;
        return r;
      }
      if (*code == wire::kErrTryAgain) {
        // The server had no worker free: send it again (NetBSD's EAGAIN).
        if (attempt >= 8) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      r.error = wire::ErrorCodeToHostErrno(*code);
      return r;
    }
    if (x && resp->header.type == wire::kTypeXSyscall) {
      absl::StatusOr<wire::XSyscallResult> xr = wire::DecodeXSyscallResponse(*resp);
      absl::Status bad = xr.status();
      if (xr.ok()) {
        for (const wire::XBytes& seg : xr->segments) {
          if (!wire::XContained(wire::XRange{seg.addr, seg.data.size()}, plan.outputs())) {
            bad = absl::InvalidArgumentError(
                absl::StrCat("segment at 0x", absl::Hex(seg.addr), " + ", seg.data.size(),
                             " is outside the declared output buffers"));
            break;
          }
        }
      }
      if (!bad.ok()) {
        Fail(Malformed("X_SYSCALL answer", bad));
        r.error = ENOTCONN;
        r.lost = true;
        return r;
      }
      // A bad address has no answer in the protocol (as for COPYOUT).
      for (const wire::XBytes& seg : xr->segments) WriteOwnMemory(seg.addr, seg.data);
      r.error = xr->error;
      r.rv0 = xr->rv0;
      r.rv1 = xr->rv1;
      return r;
    }
    absl::StatusOr<wire::SyscallResult> sr = wire::DecodeSyscallResponse(*resp);
    if (!sr.ok()) {
      Fail(Malformed("syscall answer", sr.status()));
      r.error = ENOTCONN;
      r.lost = true;
      return r;
    }
    r.error = sr->error;
    r.rv0 = sr->rv0;
    r.rv1 = sr->rv1;
    return r;
  }
}

absl::StatusOr<wire::Cookie> Connection::Prefork() {
  absl::StatusOr<wire::Frame> resp =
      Transact([](uint64_t reqno) { return wire::PreforkRequest(reqno); });
  if (!resp.ok()) return resp.status();
  if (resp->header.cls == wire::kClassError) return ErrorFrameStatus(*resp, "prefork");
  absl::StatusOr<wire::Cookie> cookie = wire::DecodePreforkResponse(*resp);
  if (!cookie.ok()) {
    absl::Status st = Malformed("PREFORK answer", cookie.status());
    Fail(st);
    return HostError(ENOTCONN, st.message());
  }
  return *cookie;
}

}  // namespace sp::client
