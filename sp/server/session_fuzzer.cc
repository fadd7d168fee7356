// libFuzzer target for the server's session logic (built with clang++
// -fsanitize=fuzzer,address,undefined by //bazel:libfuzzer.bzl and run by
// session_fuzz_test), against a real rump kernel (no components).
//
// Input: a sequence of chunks [s][n lo][n hi][n bytes]: s % 3 picks one of
// three client connections, and the n bytes are what that client sends
// next (cut into frames by a FrameReader, so a frame may span chunks). The
// bytes after the last whole chunk are the clients' "memory": COPYIN and
// COPYINSTR requests are answered (at once, re-entrantly, the executor
// running calls inline) with bytes taken from it in turn; its first byte
// decides how answers are shaped (exact, one byte short, one byte long:
// the last two must drop the connection). A FORK handshake whose cookie
// starts with 0xcc gets the most recent PREFORK cookie instead, so that
// the fuzzer reaches real forks.
//
// The three clients' processes get different credentials, as a server's
// credential policy would give them (root, an ordinary user, real root with
// an unprivileged effective id), so the kernel's privilege checks are
// fuzzed too.
//
// X_SYSCALL frames (the one-round-trip extension) are fed like any other;
// their answers must decode.
//
// Checked: every frame the server sends parses and is one it may send;
// ERROR frames carry known codes; a server request is answered only while
// its connection lives; after every connection is closed all client
// processes are released and every slot is free. Blocking system calls
// (nanosleep, poll, pollts, select) are replaced by non-blocking stand-ins, and read/write/readv/
// writev lengths are capped (the console allocates what it is asked for).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "sp/server/session.h"
#include "sp/server/worker_pool.h"
#include "sp/transport/connection.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/xsyscall.h"

namespace {

using namespace sp;  // NOLINT

void Check(bool cond) {
  if (!cond) __builtin_trap();
}

struct Memory {
  absl::string_view bytes;
  size_t pos = 0;
  uint8_t shape = 0;
  std::string Take(size_t n) {
    std::string out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      out.push_back(bytes.empty() ? char(i) : bytes[(pos + i) % bytes.size()]);
    }
    pos += n;
    return out;
  }
};

wire::Cookie g_last_cookie{};  // the newest PREFORK answer (reset per input)

class FuzzConn final : public transport::Connection {
 public:
  explicit FuzzConn(Memory* mem) : mem_(mem) {}

  void Send(std::string bytes) override {
    Check(!closed_reported_);
    if (close_asked_) return;
    absl::StatusOr<wire::FrameView> f = wire::ParseFrame(bytes);
    Check(f.ok());
    const wire::Header& h = f->header;
    if (h.cls == wire::kClassError) {
      Check(h.u >= wire::kErrTryAgain && h.u <= wire::kErrLast);
      Check(f->payload.empty());
      return;
    }
    if (h.cls == wire::kClassResponse) {
      Check(h.type == wire::kTypeHandshake || h.type == wire::kTypeSyscall ||
            h.type == wire::kTypePrefork || h.type == wire::kTypeXSyscall);
      if (h.type == wire::kTypeXSyscall) {
        absl::StatusOr<wire::XSyscallResult> x = wire::DecodeXSyscallResponse(*f);
        Check(x.ok());
        Check(x->segments.size() <= wire::kXMaxSegments);
      }
      if (h.type == wire::kTypePrefork) {
        absl::StatusOr<wire::Cookie> c = wire::DecodePreforkResponse(*f);
        Check(c.ok());
        g_last_cookie = *c;
      }
      if (h.type == wire::kTypeSyscall) Check(wire::DecodeSyscallResponse(*f).ok());
      if (h.type == wire::kTypeHandshake) Check(wire::DecodeHandshakeResponse(*f).ok());
      return;
    }
    Check(h.cls == wire::kClassRequest);
    switch (h.type) {
      case wire::kTypeCopyin:
      case wire::kTypeCopyinstr: {
        absl::StatusOr<wire::CopyRequest> c = wire::DecodeCopyRequest(*f);
        Check(c.ok());
        Check(c->len > 0);  // zero-length copies never reach the wire
        // Answer at once, as a client would; the call waits for it.
        size_t n = c->len;
        switch (mem_->shape % 8) {
          case 6:
            n = n > 0 ? n - 1 : 0;
            break;
          case 7:
            n = n + 1;
            break;
          default:
            break;
        }
        n = std::min<size_t>(n, 1 << 20);
        std::string data = mem_->Take(n);
        ++mem_->shape;
        const std::string answer = wire::CopyinResponse(h.reqno, data);
        absl::StatusOr<wire::FrameView> resp = wire::ParseFrame(answer);
        Check(resp.ok());
        Deliver(wire::Frame{resp->header, std::string(resp->payload)});
        return;
      }
      case wire::kTypeCopyout:
        Check(wire::DecodeCopyout(*f).ok());
        return;
      case wire::kTypeAnonmmap:
        Check(wire::DecodeAnonmmapRequest(*f).ok());
        Deliver(wire::Frame{
            wire::Header{wire::kHeaderSize + 8, h.reqno, wire::kClassResponse,
                         wire::kTypeAnonmmap, 0},
            std::string(8, '\0')});
        return;
      case wire::kTypeRaise:
        return;
      default:
        Check(false);
    }
  }
  void Close() override { close_asked_ = true; }
  const std::string& peer() const override { return peer_; }

  // The transport side: a frame in, and the close report once asked.
  void Deliver(wire::Frame f) {
    if (close_asked_ || closed_reported_) return;
    session->OnFrame(std::move(f));
  }
  void ReportClosedIfAsked() {
    if (close_asked_ && !closed_reported_) {
      closed_reported_ = true;
      session->OnClosed(absl::OkStatus());
    }
  }
  void ReportClosed() {
    if (!closed_reported_) {
      closed_reported_ = true;
      session->OnClosed(absl::OkStatus());
    }
  }
  bool closed() const { return closed_reported_; }

  std::shared_ptr<server::Session> session;
  wire::FrameReader reader;

 private:
  Memory* mem_;
  bool close_asked_ = false;
  bool closed_reported_ = false;
  std::string peer_ = "fuzz";
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  // Split the chunks from the memory.
  std::vector<std::pair<int, absl::string_view>> chunks;
  size_t pos = 0;
  while (pos + 3 <= in.size()) {
    const int sel = uint8_t(in[pos]) % 3;
    const size_t n = uint8_t(in[pos + 1]) | size_t(uint8_t(in[pos + 2])) << 8;
    if (pos + 3 + n > in.size()) break;
    chunks.emplace_back(sel, in.substr(pos + 3, n));
    pos += 3 + n;
  }
  g_last_cookie = wire::Cookie{};
  Memory mem;
  mem.bytes = in.substr(pos);
  mem.shape = mem.bytes.empty() ? 0 : uint8_t(mem.bytes[0]);

  rump::KernelOptions ko;
  ko.hostname = "fuzz";
  absl::StatusOr<std::unique_ptr<rump::Kernel>> booted = rump::Kernel::Boot(std::move(ko));
  Check(booted.ok());
  std::unique_ptr<rump::Kernel> kernel = *std::move(booted);
  // Nothing may block: the executor runs calls inline.
  kernel->syscalls().Register(
      rump::abi::kSysNanosleep,
      [](rump::SyscallContext& ctx,
         const rump::SyscallArgs& a) -> absl::StatusOr<rump::SyscallReturn> {
        int64_t ts[2];
        if (absl::Status s = ctx.mem.CopyIn(a.Ptr(0), ts, sizeof(ts)); !s.ok()) return s;
        return rump::SyscallReturn{};
      });
  // poll with a zero timeout; pollts and select (whose "no timeout" is a
  // null pointer, i.e. forever) answer "nothing ready" at once.
  {
    const rump::SyscallHandler real_poll = *kernel->syscalls().Find(rump::abi::kSysPoll);
    kernel->syscalls().Register(
        rump::abi::kSysPoll,
        [real_poll](rump::SyscallContext& ctx,
                    const rump::SyscallArgs& a) -> absl::StatusOr<rump::SyscallReturn> {
          const uint64_t slots[3] = {a.U64(0), a.U64(1), 0};
          return real_poll(ctx, rump::SyscallArgs(slots));
        });
    for (int num : {rump::abi::kSysPollts, rump::abi::kSysSelect}) {
      kernel->syscalls().Register(
          num, [](rump::SyscallContext&,
                  const rump::SyscallArgs&) -> absl::StatusOr<rump::SyscallReturn> {
            return rump::SyscallReturn{};
          });
    }
  }

  // The console copies a whole write in at once (a remote client can make
  // it allocate any size; reported): cap the lengths it sees here.
  for (int num : {rump::abi::kSysWrite, rump::abi::kSysRead}) {
    const rump::SyscallHandler real = *kernel->syscalls().Find(num);
    kernel->syscalls().Register(
        num,
        [real](rump::SyscallContext& ctx,
               const rump::SyscallArgs& a) -> absl::StatusOr<rump::SyscallReturn> {
          if (a.Size(2) > (1 << 20)) return rump::abi::Errno(rump::abi::kEINVAL);
          return real(ctx, a);
        });
  }
  for (int num : {rump::abi::kSysWritev, rump::abi::kSysReadv}) {
    kernel->syscalls().Register(
        num, [](rump::SyscallContext&, const rump::SyscallArgs&)
                 -> absl::StatusOr<rump::SyscallReturn> {
          return rump::abi::Errno(rump::abi::kEINVAL);
        });
  }

  // What a server's credential policy may give: root; an ordinary user
  // (the kernel's privilege checks refuse it); real root with an
  // unprivileged effective id (set*id may go back).
  static const rump::Credentials kCredentials[3] = {
      {0, 0, 0, 0}, {1000, 1000, 1000, 1000}, {0, 65534, 0, 65534}};
  server::InlineExecutor executor;
  server::SessionOptions so;
  so.max_clients = 3;
  so.max_pending_forks = 4;
  so.log = [](const std::string&) {};
  {
    auto host = std::make_shared<server::SessionHost>(*kernel, executor, so);
    std::vector<std::shared_ptr<FuzzConn>> conns;
    for (int i = 0; i < 3; ++i) {
      auto c = std::make_shared<FuzzConn>(&mem);
      Check(host->TryAcquireSlot());
      c->session = std::make_shared<server::Session>(host, c, kCredentials[i]);
      conns.push_back(c);
    }
    Check(!host->TryAcquireSlot());
    for (const auto& [sel, bytes] : chunks) {
      FuzzConn& c = *conns[sel];
      if (c.closed()) continue;
      const bool fed = c.reader.Feed(bytes).ok();
      while (std::optional<wire::Frame> f = c.reader.Next()) {
        if (f->header.cls == wire::kClassRequest && f->header.type == wire::kTypeHandshake &&
            f->header.u == wire::kHandshakeFork && f->payload.size() == wire::kHandshakeForkSize &&
            uint8_t(f->payload[0]) == 0xcc) {
          std::memcpy(f->payload.data(), g_last_cookie.data(), g_last_cookie.size());
        }
        c.Deliver(std::move(*f));
        c.ReportClosedIfAsked();
        if (c.closed()) break;
      }
      if (!fed) c.ReportClosed();  // a bad header: the transport drops it
    }
    for (auto& c : conns) c->ReportClosed();
    // Everything ran inline: every process is released, every slot free.
    Check(host->clients() == 0);
    Check(host->WaitIdle(absl::Now()));
    for (auto& c : conns) {
      Check(c->session->released());
      Check(c->session->process() == nullptr);
    }
    host->ReleasePendingForks();
    for (pid_t p = 2; p < 64; ++p) Check(kernel->FindProcess(p) == nullptr);
    for (auto& c : conns) c->session.reset();
  }
  return 0;
}
