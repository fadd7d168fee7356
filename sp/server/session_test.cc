// Session tests over an in-memory transport: the test is both the transport
// (it calls OnFrame / OnClosed, as a listener thread would) and the client
// (it reads what the session sends and answers COPYIN requests from this
// process's memory, as NetBSD's client does).
#include "sp/server/session.h"

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/server/worker_pool.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/spec_examples.h"
#include "sp/wire/xsyscall.h"
#include "tests/support/eventually.h"

namespace sp::server {
namespace {

using rump::testing::Eventually;
using wire::Frame;

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

// Test-only system calls (numbers no NetBSD call uses here) that exercise
// RemoteUserMemory directly.
constexpr int kSysTestCopyIn = 500;      // (addr, len) -> rv0 = sum of bytes
constexpr int kSysTestCopyOut = 501;     // (addr, len, byte) -> fills
constexpr int kSysTestCopyInStr = 502;   // (addr, max) -> rv0 = strlen
constexpr int kSysTestCopyOutStr = 503;  // (addr, max) -> copies "hello"; rv0 = done
constexpr int kSysTestAnonMmap = 504;    // (size) -> rv0 = address
constexpr int kSysTestOutThenIn = 505;   // (out, in, n) -> writes n 'M's at out,
                                         //   then rv0 = sum of n bytes at in
constexpr int kSysTestManyOuts = 506;    // (addr, n) -> n one-byte copyouts i+1 at addr+i

void RegisterTestSyscalls(rump::Kernel& k) {
  using rump::SyscallArgs;
  using rump::SyscallContext;
  using rump::SyscallReturn;
  k.syscalls().Register(kSysTestCopyIn,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          std::string buf(a.Size(1), '\0');
                          if (absl::Status s = ctx.mem.CopyIn(a.Ptr(0), buf.data(), buf.size());
                              !s.ok()) {
                            return s;
                          }
                          int64_t sum = 0;
                          for (unsigned char c : buf) sum += c;
                          return SyscallReturn{sum, 0};
                        });
  k.syscalls().Register(kSysTestCopyOut,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          std::string buf(a.Size(1), char(a.Int(2)));
                          if (absl::Status s = ctx.mem.CopyOut(buf.data(), a.Ptr(0), buf.size());
                              !s.ok()) {
                            return s;
                          }
                          return SyscallReturn{};
                        });
  k.syscalls().Register(kSysTestCopyInStr,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          absl::StatusOr<std::string> s = ctx.mem.CopyInString(a.Ptr(0), a.Size(1));
                          if (!s.ok()) return s.status();
                          return SyscallReturn{int64_t(s->size()), 0};
                        });
  k.syscalls().Register(kSysTestCopyOutStr,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          absl::StatusOr<size_t> n =
                              ctx.mem.CopyOutString("hello", a.Ptr(0), a.Size(1));
                          if (!n.ok()) return n.status();
                          return SyscallReturn{int64_t(*n), 0};
                        });
  k.syscalls().Register(kSysTestAnonMmap,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          auto* remote = dynamic_cast<RemoteUserMemory*>(&ctx.mem);
                          if (remote == nullptr) return rump::abi::Errno(rump::abi::kENOSYS);
                          absl::StatusOr<rump::UserAddr> addr = remote->AnonMmap(a.U64(0));
                          if (!addr.ok()) return addr.status();
                          return SyscallReturn{int64_t(*addr), 0};
                        });
  k.syscalls().Register(kSysTestOutThenIn,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          std::string buf(a.Size(2), 'M');
                          if (absl::Status s = ctx.mem.CopyOut(buf.data(), a.Ptr(0), buf.size());
                              !s.ok()) {
                            return s;
                          }
                          if (absl::Status s = ctx.mem.CopyIn(a.Ptr(1), buf.data(), buf.size());
                              !s.ok()) {
                            return s;
                          }
                          int64_t sum = 0;
                          for (unsigned char c : buf) sum += c;
                          return SyscallReturn{sum, 0};
                        });
  k.syscalls().Register(kSysTestManyOuts,
                        [](SyscallContext& ctx, const SyscallArgs& a)
                            -> absl::StatusOr<SyscallReturn> {
                          for (size_t i = 0; i < a.Size(1); ++i) {
                            const char c = char(i + 1);
                            if (absl::Status s = ctx.mem.CopyOut(&c, a.Ptr(0) + i, 1); !s.ok()) {
                              return s;
                            }
                          }
                          return SyscallReturn{};
                        });
}

// The session's outgoing side: frames queue up for the test to read.
class FakeConnection final : public transport::Connection {
 public:
  void Send(std::string bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (close_asked_) return;
    sent_.push_back(std::move(bytes));
    cv_.notify_all();
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    close_asked_ = true;
    cv_.notify_all();
  }
  const std::string& peer() const override { return peer_; }

  bool close_asked() {
    std::lock_guard<std::mutex> lock(mu_);
    return close_asked_;
  }
  // The next frame sent, or nullopt after `timeout`.
  std::optional<Frame> Next(absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [&] { return !sent_.empty(); })) {
      return std::nullopt;
    }
    std::string bytes = std::move(sent_.front());
    sent_.pop_front();
    absl::StatusOr<wire::FrameView> f = wire::ParseFrame(bytes);
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok()) return std::nullopt;
    return Frame{f->header, std::string(f->payload)};
  }
  // Waits until Close() was asked and nothing is left to read.
  bool WaitClosed(absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return close_asked_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> sent_;
  bool close_asked_ = false;
  std::string peer_ = "fake";
};

class Client {
 public:
  Client(std::shared_ptr<SessionHost> host) : conn_(std::make_shared<FakeConnection>()) {
    EXPECT_TRUE(host->TryAcquireSlot());
    session_ = std::make_shared<Session>(host, conn_);
  }
  ~Client() { Disconnect(); }

  // The transport delivers `bytes` (one whole frame); after a requested
  // close it reports the connection gone, as a listener would.
  void Feed(const std::string& bytes) {
    absl::StatusOr<wire::FrameView> f = wire::ParseFrame(bytes);
    ASSERT_TRUE(f.ok()) << f.status();
    if (conn_->close_asked()) return;  // a transport delivers nothing more
    session_->OnFrame(Frame{f->header, std::string(f->payload)});
    if (conn_->close_asked()) Disconnect();
  }
  void Disconnect() {
    if (!disconnected_) {
      disconnected_ = true;
      session_->OnClosed(absl::OkStatus());
    }
  }

  std::optional<Frame> Next(absl::Duration timeout = absl::Seconds(10)) {
    return conn_->Next(timeout);
  }

  // Expects an ERROR frame with `code` for `reqno`.
  void ExpectError(uint64_t reqno, uint32_t code) {
    std::optional<Frame> f = Next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->header.cls, wire::kClassError);
    EXPECT_EQ(f->header.reqno, reqno);
    EXPECT_EQ(f->header.u, code);
    EXPECT_EQ(f->header.len, wire::kHeaderSize);
  }

  void Guest(const std::string& name = "ping") {
    const uint64_t r = reqno_++;
    Feed(wire::HandshakeGuestRequest(r, name));
    std::optional<Frame> f = Next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->header.cls, wire::kClassResponse);
    EXPECT_EQ(f->header.reqno, r);
    absl::StatusOr<int32_t> v = wire::DecodeHandshakeResponse(*f);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, 0);
  }

  uint64_t SendSyscall(uint32_t num, std::vector<uint64_t> slots) {
    const uint64_t r = reqno_++;
    Feed(*wire::SyscallRequest(r, num, slots));
    return r;
  }

  // Serves copy requests until the answer to `reqno`; returns it.
  rump::SyscallResult Await(uint64_t reqno) {
    for (;;) {
      std::optional<Frame> f = Next();
      if (!f.has_value()) {
        ADD_FAILURE() << "no answer to request " << reqno;
        return rump::SyscallResult{-1, 0, 0};
      }
      if (f->header.cls == wire::kClassRequest) {
        Serve(*f);
        continue;
      }
      EXPECT_EQ(f->header.reqno, reqno);
      if (f->header.cls == wire::kClassError) {
        ADD_FAILURE() << "ERROR " << f->header.u;
        return rump::SyscallResult{-1, 0, 0};
      }
      absl::StatusOr<wire::SyscallResult> r = wire::DecodeSyscallResponse(*f);
      EXPECT_TRUE(r.ok()) << r.status();
      return rump::SyscallResult{r->error, r->rv0, r->rv1};
    }
  }

  rump::SyscallResult Syscall(uint32_t num, std::vector<uint64_t> slots = {}) {
    return Await(SendSyscall(num, std::move(slots)));
  }

  // X_SYSCALL: the input buffers' bytes are read here and sent along; the
  // answer's segments are written to this process's memory. Counts what
  // the exchange cost in `frames_in` (frames the server sent, answer
  // included) and `segments`.
  struct XOutcome {
    rump::SyscallResult result{-1, 0, 0};
    int frames_in = 0;
    size_t segments = 0;
  };
  XOutcome XSyscall(uint32_t num, std::vector<uint64_t> slots, std::vector<wire::XRange> in,
                    std::vector<wire::XRange> out) {
    std::vector<wire::XBytes> inputs;
    for (const wire::XRange& r : in) {
      inputs.push_back(wire::XBytes{
          r.addr, absl::string_view(reinterpret_cast<const char*>(r.addr), size_t(r.len))});
    }
    absl::StatusOr<std::string> req = wire::XSyscallRequest(reqno_, num, slots, inputs, out);
    EXPECT_TRUE(req.ok()) << req.status();
    XOutcome o;
    if (!req.ok()) return o;
    const uint64_t r = reqno_++;
    Feed(*req);
    for (;;) {
      std::optional<Frame> f = Next();
      if (!f.has_value()) {
        ADD_FAILURE() << "no answer to X_SYSCALL " << r;
        return o;
      }
      ++o.frames_in;
      if (f->header.cls == wire::kClassRequest) {
        Serve(*f);
        continue;
      }
      EXPECT_EQ(f->header.reqno, r);
      if (f->header.cls == wire::kClassError) {
        ADD_FAILURE() << "ERROR " << f->header.u;
        return o;
      }
      absl::StatusOr<wire::XSyscallResult> x = wire::DecodeXSyscallResponse(*f);
      EXPECT_TRUE(x.ok()) << x.status();
      if (!x.ok()) return o;
      for (const wire::XBytes& seg : x->segments) {
        EXPECT_TRUE(wire::XContained(wire::XRange{seg.addr, seg.data.size()}, out));
        std::memcpy(reinterpret_cast<void*>(seg.addr), seg.data.data(), seg.data.size());
      }
      o.segments = x->segments.size();
      o.result = rump::SyscallResult{x->error, x->rv0, x->rv1};
      return o;
    }
  }

  // Answers one server request from this process's memory.
  void Serve(const Frame& f) {
    ++served_[f.header.type];
    switch (f.header.type) {
      case wire::kTypeCopyin:
      case wire::kTypeCopyinstr: {
        absl::StatusOr<wire::CopyRequest> c = wire::DecodeCopyRequest(f);
        ASSERT_TRUE(c.ok()) << c.status();
        const char* p = reinterpret_cast<const char*>(c->addr);
        size_t n = c->len;
        if (c->type == wire::kTypeCopyinstr) {
          const size_t len = strnlen(p, c->len);
          n = len < c->len ? len + 1 : c->len;
        }
        Feed(wire::CopyinResponse(f.header.reqno, absl::string_view(p, n)));
        return;
      }
      case wire::kTypeCopyout: {
        absl::StatusOr<wire::Copyout> c = wire::DecodeCopyout(f);
        ASSERT_TRUE(c.ok()) << c.status();
        std::memcpy(reinterpret_cast<void*>(c->addr), c->data.data(), c->data.size());
        return;
      }
      case wire::kTypeAnonmmap:
        Feed(wire::AnonmmapResponse(f.header.reqno, 0x7f0000001000));
        return;
      default:
        ADD_FAILURE() << "unexpected request type " << f.header.type;
    }
  }

  int served(uint16_t type) { return served_[type]; }
  uint64_t NextReqno() { return reqno_++; }
  Session& session() { return *session_; }
  FakeConnection& conn() { return *conn_; }

 private:
  std::shared_ptr<FakeConnection> conn_;
  std::shared_ptr<Session> session_;
  uint64_t reqno_ = 0;
  bool disconnected_ = false;
  std::map<uint16_t, int> served_;
};

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rump::KernelOptions ko;
    ko.components = rump::AllComponents();
    absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(ko));
    ASSERT_TRUE(k.ok()) << k.status();
    kernel_ = *std::move(k);
    RegisterTestSyscalls(*kernel_);
    SessionOptions so;
    so.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    host_ = std::make_shared<SessionHost>(*kernel_, pool_, so);
  }

  void TearDown() override {
    pool_.Shutdown(absl::Seconds(10));
    host_.reset();
  }

  bool Logged(const std::string& needle) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string& l : log_) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::unique_ptr<rump::Kernel> kernel_;
  WorkerPool pool_;
  std::shared_ptr<SessionHost> host_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(SessionTest, GuestHandshakeMatchesTheSpecBytes) {
  Client c(host_);
  c.Feed(wire::testing::SpecFrame("handshake.guest"));
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  std::string bytes(wire::kHeaderSize, '\0');
  wire::EncodeHeader(f->header, reinterpret_cast<uint8_t*>(bytes.data()));
  bytes += f->payload;
  EXPECT_EQ(bytes, wire::testing::SpecFrame("handshake.response"));
  EXPECT_TRUE(c.session().running());
  ASSERT_NE(c.session().process(), nullptr);
  EXPECT_EQ(c.session().process()->comm(), "ping");
}

TEST_F(SessionTest, GetpidIsTwoWithParentInit) {
  Client c(host_);
  c.Guest();
  rump::SyscallResult r = c.Syscall(rump::abi::kSysGetpid);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 2);
  EXPECT_EQ(r.rv1, 1);
  Client d(host_);
  d.Guest("second");
  EXPECT_EQ(d.Syscall(rump::abi::kSysGetpid).rv0, 3);
}

TEST_F(SessionTest, LongAndUnterminatedNamesAreBounded) {
  Client c(host_);
  // 40 bytes, no NUL: NetBSD's server would write past its buffer.
  const std::string name(40, 'x');
  c.Feed(wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeHandshake, 0, {name}));
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.cls, wire::kClassResponse);
  EXPECT_EQ(c.session().process()->comm(), std::string(kMaxCommLen, 'x'));
  Client e(host_);
  e.Feed(wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeHandshake, 0, {}));
  f = e.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.cls, wire::kClassResponse);
  EXPECT_EQ(e.session().process()->comm(), "");
}

TEST_F(SessionTest, SysctlKernOstypeThroughCopyinAndCopyout) {
  Client c(host_);
  c.Guest();
  int mib[2] = {1, 1};  // CTL_KERN, KERN_OSTYPE
  char buf[64] = {};
  uint64_t oldlen = sizeof(buf);
  rump::SyscallResult r =
      c.Syscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
  EXPECT_EQ(r.error, 0);
  EXPECT_STREQ(buf, "NetBSD");
  EXPECT_EQ(oldlen, 7u);
  EXPECT_GE(c.served(wire::kTypeCopyin), 2);
  EXPECT_GE(c.served(wire::kTypeCopyout), 2);
}

TEST_F(SessionTest, SocketIsFdThreeAndIoctlCopiesBothWays) {
  Client c(host_);
  c.Guest();
  rump::SyscallResult s =
      c.Syscall(rump::abi::kSysSocket, {uint64_t(rump::abi::kAF_INET), rump::abi::kSOCK_DGRAM, 0});
  ASSERT_EQ(s.error, 0);
  EXPECT_EQ(s.rv0, 3);
  uint8_t ifr[rump::abi::kIfreqSize] = {};
  std::memcpy(ifr, "lo0", 3);
  const int in_before = c.served(wire::kTypeCopyin);
  rump::SyscallResult r =
      c.Syscall(rump::abi::kSysIoctl, {3, rump::abi::kSIOCGIFFLAGS, P(ifr)});
  ASSERT_EQ(r.error, 0);
  EXPECT_EQ(c.served(wire::kTypeCopyin), in_before + 1);
  EXPECT_GE(c.served(wire::kTypeCopyout), 1);
  uint16_t flags;
  std::memcpy(&flags, ifr + 16, sizeof(flags));
  EXPECT_TRUE(flags & rump::abi::kIFF_UP);
}

TEST_F(SessionTest, FramesBeforeTheHandshakeGetErrorAuthAndClose) {
  {
    Client c(host_);
    c.Feed(wire::testing::SpecFrame("getpid.request"));
    c.ExpectError(1, wire::kErrAuth);
    EXPECT_TRUE(c.conn().close_asked());
  }
  {
    Client c(host_);
    c.Feed(wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeHandshake,
                             wire::kHandshakeAuth, {}));
    c.ExpectError(0, wire::kErrAuth);
    EXPECT_TRUE(c.conn().close_asked());
  }
  {
    Client c(host_);
    c.Feed(wire::HandshakeExecRequest(0, "x"));
    c.ExpectError(0, wire::kErrAuth);
  }
  {
    Client c(host_);
    c.Feed(wire::EncodeFrame(5, wire::kClassResponse, wire::kTypeCopyin, 0, {"abc"}));
    c.ExpectError(5, wire::kErrAuth);
  }
  EXPECT_EQ(host_->clients(), 0);
}

TEST_F(SessionTest, UnknownTypesAndClassesGetMalformedAndTheConnectionStays) {
  Client c(host_);
  c.Guest();
  c.Feed(wire::EncodeFrame(7, wire::kClassRequest, 9, 0, {}));
  c.ExpectError(7, wire::kErrMalformedRequest);
  c.Feed(wire::EncodeFrame(8, wire::kClassRequest, wire::kTypeCopyin, 0, {}));
  c.ExpectError(8, wire::kErrMalformedRequest);
  c.Feed(wire::EncodeFrame(9, wire::kClassRequest, wire::kTypeXSyscall, 0, {}));
  c.ExpectError(9, wire::kErrMalformedRequest);
  c.Feed(wire::ErrorFrame(10, wire::kErrAuth));
  c.ExpectError(10, wire::kErrMalformedRequest);
  c.Feed(wire::EncodeFrame(11, 77, 1, 0, {}));
  c.ExpectError(11, wire::kErrMalformedRequest);
  // Syscall payloads: not whole slots, or more than 8 of them.
  c.Feed(wire::EncodeFrame(12, wire::kClassRequest, wire::kTypeSyscall, 20, {"abcdefghijkl"}));
  c.ExpectError(12, wire::kErrMalformedRequest);
  c.Feed(wire::EncodeFrame(13, wire::kClassRequest, wire::kTypeSyscall, 20,
                           {std::string(72, '\0')}));
  c.ExpectError(13, wire::kErrMalformedRequest);
  EXPECT_FALSE(c.conn().close_asked());
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid).rv0, 2);
}

TEST_F(SessionTest, ShortSyscallPayloadsAreZeroExtended) {
  Client c(host_);
  c.Guest();
  // getpid with two stray slots, __sysctl with only 1 slot: reads 0s.
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid, {1, 2}).rv0, 2);
  rump::SyscallResult r = c.Syscall(rump::abi::kSysSysctl, {0});
  EXPECT_NE(r.error, 0);
  EXPECT_EQ(c.Syscall(600).error, rump::abi::kENOSYS);
  EXPECT_EQ(c.Syscall(0xffffffffu).error, rump::abi::kENOSYS);
}

TEST_F(SessionTest, SecondGuestHandshakeIsMalformedAndCloses) {
  Client c(host_);
  c.Guest();
  c.Feed(wire::HandshakeGuestRequest(1, "again"));
  c.ExpectError(1, wire::kErrMalformedRequest);
  EXPECT_TRUE(c.conn().close_asked());
}

TEST_F(SessionTest, PreforkAndForkShareDescriptorsAndReparentToInit) {
  Client parent(host_);
  parent.Guest("parent");
  ASSERT_EQ(parent.Syscall(rump::abi::kSysSocket, {2, 2, 0}).rv0, 3);
  const uint64_t r = parent.NextReqno();
  parent.Feed(wire::PreforkRequest(r));
  std::optional<Frame> f = parent.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.len, 40u);
  absl::StatusOr<wire::Cookie> cookie = wire::DecodePreforkResponse(*f);
  ASSERT_TRUE(cookie.ok()) << cookie.status();

  Client child(host_);
  child.Feed(wire::HandshakeForkRequest(0, *cookie));
  f = child.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.len, 28u);
  EXPECT_EQ(f->header.cls, wire::kClassResponse);
  rump::SyscallResult pid = child.Syscall(rump::abi::kSysGetpid);
  EXPECT_EQ(pid.rv0, 4);  // 3 was the intermediate process
  EXPECT_EQ(pid.rv1, 1);
  EXPECT_EQ(kernel_->FindProcess(3), nullptr);
  // The parent's socket is there.
  EXPECT_EQ(child.Syscall(rump::abi::kSysFcntl, {3, rump::abi::kF_GETFD, 0}).error, 0);
  EXPECT_EQ(child.Syscall(rump::abi::kSysFcntl, {4, rump::abi::kF_GETFD, 0}).error,
            rump::abi::kEBADF);
  EXPECT_EQ(child.session().process()->comm(), "parent");

  // The cookie is used up.
  Client again(host_);
  again.Feed(wire::HandshakeForkRequest(0, *cookie));
  again.ExpectError(0, wire::kErrInvalidPrefork);
  EXPECT_TRUE(again.conn().close_asked());
}

TEST_F(SessionTest, ForkKeepsTheParentsCredentials) {
  Client parent(host_);
  parent.Guest("parent");
  ASSERT_EQ(parent.Syscall(rump::abi::kSysSetgid, {50}).error, 0);
  ASSERT_EQ(parent.Syscall(rump::abi::kSysSetuid, {1000}).error, 0);
  const uint64_t r = parent.NextReqno();
  parent.Feed(wire::PreforkRequest(r));
  std::optional<Frame> f = parent.Next();
  ASSERT_TRUE(f.has_value());
  absl::StatusOr<wire::Cookie> cookie = wire::DecodePreforkResponse(*f);
  ASSERT_TRUE(cookie.ok()) << cookie.status();
  Client child(host_);
  child.Feed(wire::HandshakeForkRequest(0, *cookie));
  f = child.Next();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->header.cls, wire::kClassResponse);
  // Not init's root: the parent's ids, and its issetugid flag.
  rump::SyscallResult uid = child.Syscall(rump::abi::kSysGetuid);
  EXPECT_EQ(uid.rv0, 1000);
  EXPECT_EQ(uid.rv1, 1000);
  EXPECT_EQ(child.Syscall(rump::abi::kSysGetgid).rv0, 50);
  EXPECT_TRUE(child.session().process()->set_ugid());
  EXPECT_EQ(child.Syscall(rump::abi::kSysSetuid, {0}).error, rump::abi::kEPERM);
}

TEST_F(SessionTest, ForkWithBadCookieOrPayload) {
  Client a(host_);
  wire::Cookie bogus{};
  bogus.fill(0x42);
  a.Feed(wire::HandshakeForkRequest(0, bogus));
  a.ExpectError(0, wire::kErrInvalidPrefork);
  EXPECT_TRUE(a.conn().close_asked());

  Client b(host_);
  b.Feed(wire::EncodeFrame(0, wire::kClassRequest, wire::kTypeHandshake, wire::kHandshakeFork,
                           {std::string(16, '\x42')}));
  b.ExpectError(0, wire::kErrMalformedRequest);
  EXPECT_TRUE(b.conn().close_asked());
}

TEST_F(SessionTest, ForkCancelReleasesThePreforkedProcess) {
  Client parent(host_);
  parent.Guest();
  parent.Feed(wire::PreforkRequest(parent.NextReqno()));
  std::optional<Frame> f = parent.Next();
  ASSERT_TRUE(f.has_value());
  absl::StatusOr<wire::Cookie> cookie = wire::DecodePreforkResponse(*f);
  ASSERT_TRUE(cookie.ok());
  ASSERT_NE(kernel_->FindProcess(3), nullptr);
  Client child(host_);
  child.Feed(wire::HandshakeForkRequest(0, *cookie, /*cancel=*/1));
  EXPECT_TRUE(child.conn().close_asked());
  EXPECT_FALSE(child.Next(absl::Milliseconds(50)).has_value());
  EXPECT_EQ(kernel_->FindProcess(3), nullptr);
}

TEST_F(SessionTest, ExecClosesCloexecDescriptorsAndRenames) {
  Client c(host_);
  c.Guest("sh");
  ASSERT_EQ(c.Syscall(rump::abi::kSysSocket, {2, 2 | rump::abi::kSOCK_CLOEXEC, 0}).rv0, 3);
  ASSERT_EQ(c.Syscall(rump::abi::kSysSocket, {2, 2, 0}).rv0, 4);
  const uint64_t r = c.NextReqno();
  c.Feed(wire::HandshakeExecRequest(r, "ifconfig"));
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, r);
  EXPECT_EQ(f->header.cls, wire::kClassResponse);
  EXPECT_EQ(c.Syscall(rump::abi::kSysFcntl, {3, rump::abi::kF_GETFD, 0}).error,
            rump::abi::kEBADF);
  EXPECT_EQ(c.Syscall(rump::abi::kSysFcntl, {4, rump::abi::kF_GETFD, 0}).error, 0);
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid).rv0, 2);
  EXPECT_EQ(c.session().comm(), "ifconfig");
  EXPECT_EQ(c.session().process()->comm(), "ifconfig");
}

TEST_F(SessionTest, SeveralCallsOfOneConnectionBlockIndependently) {
  Client c(host_);
  c.Guest();
  // nanosleep(1 hour) is in flight while getpid comes and goes.
  int64_t ts[2] = {3600, 0};
  const uint64_t slow = c.SendSyscall(rump::abi::kSysNanosleep, {P(ts), 0});
  // Serve its copyin first.
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->header.type, wire::kTypeCopyin);
  c.Serve(*f);
  const uint64_t fast = c.SendSyscall(rump::abi::kSysGetpid, {});
  f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, fast);
  // An exec waits for the sleeping call: it is answered only after the
  // sleep, ended here by interrupting the process.
  ASSERT_TRUE(Eventually([&] { return kernel_->sleeping_threads() >= 1; }));
  const uint64_t exec = c.NextReqno();
  c.Feed(wire::HandshakeExecRequest(exec, "next"));
  c.session().process()->Interrupt();
  f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, slow);
  f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, exec);
  EXPECT_EQ(f->header.type, wire::kTypeHandshake);
}

TEST_F(SessionTest, RemoteMemoryRules) {
  Client c(host_);
  c.Guest();
  // Zero-length copies and NULL addresses never reach the wire.
  EXPECT_EQ(c.Syscall(kSysTestCopyIn, {0, 0}).error, 0);
  EXPECT_EQ(c.Syscall(kSysTestCopyIn, {0, 4}).error, rump::abi::kEFAULT);
  EXPECT_EQ(c.Syscall(kSysTestCopyOut, {0, 4, 1}).error, rump::abi::kEFAULT);
  EXPECT_EQ(c.Syscall(kSysTestCopyIn, {uint64_t{1} << 60, 4}).error, rump::abi::kEFAULT);
  EXPECT_EQ(c.served(wire::kTypeCopyin), 0);
  EXPECT_EQ(c.served(wire::kTypeCopyout), 0);

  // A copy larger than one chunk is split.
  std::string big(wire::kMaxCopyChunk + 100, '\x01');
  rump::SyscallResult r = c.Syscall(kSysTestCopyIn, {P(big.data()), big.size()});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, int64_t(big.size()));
  EXPECT_EQ(c.served(wire::kTypeCopyin), 2);
  r = c.Syscall(kSysTestCopyOut, {P(big.data()), big.size(), 7});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(big.back(), '\x07');
  EXPECT_EQ(big.front(), '\x07');
  EXPECT_EQ(c.served(wire::kTypeCopyout), 2);

  // copyinstr: the answer's length is the copied length; no NUL is
  // ENAMETOOLONG.
  const char str[] = "hello world";
  r = c.Syscall(kSysTestCopyInStr, {P(str), 64});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 11);
  r = c.Syscall(kSysTestCopyInStr, {P(str), 5});
  EXPECT_EQ(r.error, rump::abi::kENAMETOOLONG);
  EXPECT_EQ(c.Syscall(kSysTestCopyInStr, {P(str), 0}).error, rump::abi::kENAMETOOLONG);
  EXPECT_EQ(c.Syscall(kSysTestCopyInStr, {0, 10}).error, rump::abi::kEFAULT);

  // copyoutstr: strlen+1 bytes, or ENAMETOOLONG without sending.
  char out[16];
  std::memset(out, 'z', sizeof(out));
  const int before = c.served(wire::kTypeCopyout);
  r = c.Syscall(kSysTestCopyOutStr, {P(out), 5});
  EXPECT_EQ(r.error, rump::abi::kENAMETOOLONG);
  EXPECT_EQ(c.served(wire::kTypeCopyout), before);
  EXPECT_EQ(out[0], 'z');
  r = c.Syscall(kSysTestCopyOutStr, {P(out), 6});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.rv0, 6);
  EXPECT_STREQ(out, "hello");

  // ANONMMAP.
  r = c.Syscall(kSysTestAnonMmap, {4096});
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(uint64_t(r.rv0), 0x7f0000001000u);
}

TEST_F(SessionTest, ServerRequestNumbersCountFromZero) {
  Client c(host_);
  c.Guest();
  int mib[2] = {1, 1};
  char buf[64];
  uint64_t oldlen = sizeof(buf);
  const uint64_t r = c.SendSyscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
  std::vector<uint64_t> seen;
  for (;;) {
    std::optional<Frame> f = c.Next();
    ASSERT_TRUE(f.has_value());
    if (f->header.cls != wire::kClassRequest) {
      EXPECT_EQ(f->header.reqno, r);
      break;
    }
    seen.push_back(f->header.reqno);
    c.Serve(*f);
  }
  ASSERT_GE(seen.size(), 2u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
}

TEST_F(SessionTest, UnknownResponseDropsTheConnection) {
  Client c(host_);
  c.Guest();
  c.Feed(wire::CopyinResponse(99, "abcd"));
  EXPECT_TRUE(c.conn().close_asked());
  EXPECT_TRUE(Logged("request 99"));
  EXPECT_TRUE(c.session().released());
  EXPECT_EQ(host_->clients(), 0);
}

TEST_F(SessionTest, WrongLengthCopyinAnswerFailsTheCallAndDrops) {
  Client c(host_);
  c.Guest();
  int64_t ts[2] = {0, 1};
  c.SendSyscall(rump::abi::kSysNanosleep, {P(ts), 0});
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->header.type, wire::kTypeCopyin);
  c.Feed(wire::CopyinResponse(f->header.reqno, "short"));
  EXPECT_TRUE(c.conn().close_asked());
  EXPECT_TRUE(Logged("copyin answer of 5 bytes"));
  // The call ends (EFAULT, not delivered: the connection is gone) and the
  // process goes.
  EXPECT_TRUE(Eventually([&] { return c.session().released(); }));
}

TEST_F(SessionTest, ClientKilledWhileTheServerWaitsForCopyin) {
  Client c(host_);
  c.Guest();
  ASSERT_EQ(c.Syscall(rump::abi::kSysSocket, {2, 2, 0}).rv0, 3);
  const pid_t pid = c.session().process()->pid();
  int mib[2] = {1, 1};
  char buf[64];
  uint64_t oldlen = sizeof(buf);
  c.SendSyscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->header.type, wire::kTypeCopyin);
  EXPECT_NE(kernel_->FindProcess(pid), nullptr);
  EXPECT_EQ(host_->clients(), 1);
  c.Disconnect();  // the client died; nobody will answer
  EXPECT_TRUE(Eventually([&] { return c.session().released(); }));
  EXPECT_EQ(kernel_->FindProcess(pid), nullptr);
  EXPECT_EQ(host_->clients(), 0);
  EXPECT_TRUE(host_->WaitIdle(absl::Now() + absl::Seconds(60)));
}

TEST_F(SessionTest, InlineExecutorRunsCallsInTheTransportThread) {
  InlineExecutor inline_exec;
  auto host = std::make_shared<SessionHost>(*kernel_, inline_exec, SessionOptions{});
  Client c(host);
  c.Guest();
  const uint64_t r = c.SendSyscall(rump::abi::kSysGetpid, {});
  std::optional<Frame> f = c.Next(absl::ZeroDuration());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, r);
}

TEST_F(SessionTest, SlotsAreLimited) {
  SessionOptions so;
  so.max_clients = 2;
  auto host = std::make_shared<SessionHost>(*kernel_, pool_, so);
  EXPECT_TRUE(host->TryAcquireSlot());
  EXPECT_TRUE(host->TryAcquireSlot());
  EXPECT_FALSE(host->TryAcquireSlot());
  host->ReleaseSlot();
  EXPECT_TRUE(host->TryAcquireSlot());
  host->ReleaseSlot();
  host->ReleaseSlot();
}

TEST_F(SessionTest, PendingForksAreLimited) {
  SessionOptions so;
  so.max_pending_forks = 1;
  auto host = std::make_shared<SessionHost>(*kernel_, pool_, so);
  Client c(host);
  c.Guest();
  c.Feed(wire::PreforkRequest(c.NextReqno()));
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.cls, wire::kClassResponse);
  const uint64_t r = c.NextReqno();
  c.Feed(wire::PreforkRequest(r));
  c.ExpectError(r, wire::kErrNoMem);
}

}  // namespace
}  // namespace sp::server

namespace sp::server {
namespace {

wire::XRange R(const void* p, size_t n) { return wire::XRange{P(p), n}; }

// -------------------------------------------------- the one-round-trip extension

TEST_F(SessionTest, XSyscallWithKilobyteInputIsOneRequestAndOneAnswer) {
  Client c(host_);
  c.Guest();
  std::string data(1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = char(i % 251);
  int64_t sum = 0;
  for (unsigned char ch : data) sum += ch;
  const SessionStats before = host_->stats();
  Client::XOutcome o = c.XSyscall(kSysTestCopyIn, {P(data.data()), data.size()},
                                  {R(data.data(), data.size())}, {});
  EXPECT_EQ(o.result.error, 0);
  EXPECT_EQ(o.result.rv0, sum);
  EXPECT_EQ(o.frames_in, 1);  // the answer, nothing else
  EXPECT_EQ(host_->stats().server_requests, before.server_requests);
  EXPECT_EQ(host_->stats().xsyscalls, before.xsyscalls + 1);
  // Without the buffer: the same result through one COPYIN.
  o = c.XSyscall(kSysTestCopyIn, {P(data.data()), data.size()}, {}, {});
  EXPECT_EQ(o.result.rv0, sum);
  EXPECT_EQ(o.frames_in, 2);
  EXPECT_EQ(c.served(wire::kTypeCopyin), 1);
}

TEST_F(SessionTest, XSyscallIoctlCopiesBothWaysInOneRoundTrip) {
  Client c(host_);
  c.Guest();
  rump::SyscallResult s =
      c.Syscall(rump::abi::kSysSocket, {uint64_t(rump::abi::kAF_INET), rump::abi::kSOCK_DGRAM, 0});
  ASSERT_EQ(s.error, 0);
  uint8_t ifr[rump::abi::kIfreqSize] = {};
  std::memcpy(ifr, "lo0", 3);
  Client::XOutcome o = c.XSyscall(rump::abi::kSysIoctl, {3, rump::abi::kSIOCGIFFLAGS, P(ifr)},
                                  {R(ifr, sizeof(ifr))}, {R(ifr, sizeof(ifr))});
  ASSERT_EQ(o.result.error, 0);
  EXPECT_EQ(o.frames_in, 1);
  EXPECT_EQ(o.segments, 1u);
  EXPECT_EQ(c.served(wire::kTypeCopyin) + c.served(wire::kTypeCopyout), 0);
  uint16_t flags;
  std::memcpy(&flags, ifr + 16, sizeof(flags));
  EXPECT_TRUE(flags & rump::abi::kIFF_UP);
  // Declared nothing: plain COPYIN + COPYOUT, same answer.
  uint8_t ifr2[rump::abi::kIfreqSize] = {};
  std::memcpy(ifr2, "lo0", 3);
  o = c.XSyscall(rump::abi::kSysIoctl, {3, rump::abi::kSIOCGIFFLAGS, P(ifr2)}, {}, {});
  ASSERT_EQ(o.result.error, 0);
  EXPECT_EQ(o.segments, 0u);
  EXPECT_EQ(c.served(wire::kTypeCopyin), 1);
  EXPECT_EQ(c.served(wire::kTypeCopyout), 1);
  EXPECT_EQ(std::memcmp(ifr, ifr2, sizeof(ifr)), 0);
}

TEST_F(SessionTest, XSyscallKeepsTheKernelsOrderAcrossFallbacks) {
  Client c(host_);
  c.Guest();
  // Written into a declared output, then read from an address nobody
  // declared: the write goes out as a COPYOUT before the COPYIN.
  char out[8] = {};
  char in[8] = "abcdefg";
  Client::XOutcome o = c.XSyscall(kSysTestOutThenIn, {P(out), P(in), 8}, {}, {R(out, 8)});
  EXPECT_EQ(o.result.error, 0);
  EXPECT_EQ(o.result.rv0, 'a' + 'b' + 'c' + 'd' + 'e' + 'f' + 'g');
  EXPECT_EQ(std::string(out, 8), "MMMMMMMM");
  EXPECT_EQ(c.served(wire::kTypeCopyout), 1);
  EXPECT_EQ(c.served(wire::kTypeCopyin), 1);
  EXPECT_EQ(o.segments, 0u);
  // Reading back what it wrote, the buffer being both input and output:
  // served from the updated input bytes, no request at all.
  char both[8] = "1234567";
  o = c.XSyscall(kSysTestOutThenIn, {P(both), P(both), 8}, {R(both, 8)}, {R(both, 8)});
  EXPECT_EQ(o.result.rv0, 8 * 'M');
  EXPECT_EQ(o.frames_in, 1);
  EXPECT_EQ(std::string(both, 8), "MMMMMMMM");
  // Written where nobody declared an output, read from a declared input it
  // overlaps: COPYOUT, and the read sees the new bytes.
  char shared[8] = "zzzzzzz";
  o = c.XSyscall(kSysTestOutThenIn, {P(shared), P(shared), 8}, {R(shared, 8)}, {});
  EXPECT_EQ(o.result.rv0, 8 * 'M');
  EXPECT_EQ(c.served(wire::kTypeCopyout), 2);
  EXPECT_EQ(c.served(wire::kTypeCopyin), 1);
}

TEST_F(SessionTest, XSyscallSpillsSegmentsBeyondTheLimitAsCopyouts) {
  Client c(host_);
  c.Guest();
  char buf[100] = {};
  Client::XOutcome o = c.XSyscall(kSysTestManyOuts, {P(buf), sizeof(buf)}, {}, {R(buf, 100)});
  EXPECT_EQ(o.result.error, 0);
  EXPECT_EQ(size_t(c.served(wire::kTypeCopyout)) + o.segments, sizeof(buf));
  EXPECT_LE(o.segments, wire::kXMaxSegments);
  for (size_t i = 0; i < sizeof(buf); ++i) EXPECT_EQ(buf[i], char(i + 1)) << i;
}

TEST_F(SessionTest, XSyscallStringsFromInputsAndPastThem) {
  Client c(host_);
  c.Guest();
  char name[16] = "hello";
  Client::XOutcome o = c.XSyscall(kSysTestCopyInStr, {P(name), 16}, {R(name, 16)}, {});
  EXPECT_EQ(o.result.rv0, 5);
  EXPECT_EQ(o.frames_in, 1);
  // No NUL within max inside the buffer: ENAMETOOLONG without asking.
  o = c.XSyscall(kSysTestCopyInStr, {P(name), 3}, {R(name, 16)}, {});
  EXPECT_EQ(o.result.error, rump::abi::kENAMETOOLONG);
  EXPECT_EQ(o.frames_in, 1);
  // The buffer ends before the NUL: COPYINSTR for the whole string.
  o = c.XSyscall(kSysTestCopyInStr, {P(name), 16}, {R(name, 3)}, {});
  EXPECT_EQ(o.result.rv0, 5);
  EXPECT_EQ(c.served(wire::kTypeCopyinstr), 1);
  // copyoutstr into a declared output.
  char out[16] = {};
  o = c.XSyscall(kSysTestCopyOutStr, {P(out), 16}, {}, {R(out, 16)});
  EXPECT_EQ(o.result.rv0, 6);
  EXPECT_EQ(o.frames_in, 1);
  EXPECT_STREQ(out, "hello");
}

TEST_F(SessionTest, XSyscallBadAddressesAreEfaultNotRequests) {
  Client c(host_);
  c.Guest();
  Client::XOutcome o = c.XSyscall(kSysTestCopyIn, {0, 4}, {}, {});
  EXPECT_EQ(o.result.error, rump::abi::kEFAULT);
  o = c.XSyscall(kSysTestCopyOut, {wire::kUserAddressLimit - 2, 4, 'x'}, {}, {});
  EXPECT_EQ(o.result.error, rump::abi::kEFAULT);
  EXPECT_EQ(o.frames_in, 1);
}

TEST_F(SessionTest, HostileExtensionFramesGetMalformedAndTheConnectionStays) {
  Client c(host_);
  c.Guest();
  auto payload = [](uint16_t nslots, uint16_t nin, uint16_t nout, std::vector<uint64_t> words,
                    std::string data) {
    std::string p;
    for (uint16_t v : {nslots, nin, nout, uint16_t{0}}) p.append(reinterpret_cast<char*>(&v), 2);
    for (uint64_t w : words) p.append(reinterpret_cast<char*>(&w), 8);
    return p + data;
  };
  const std::vector<std::string> bad = {
      "",
      "xyz",
      payload(9, 0, 0, std::vector<uint64_t>(9, 0), ""),          // too many slots
      payload(0, 17, 0, {}, ""),                                    // too many buffers
      payload(0, 1, 0, {0x10000, 8}, "abc"),                        // short data
      payload(0, 1, 0, {0x10000, 2}, "abc"),                        // long data
      payload(0, 1, 0, {0x10000, ~uint64_t{0}}, "abc"),             // huge length
      payload(0, 2, 0, {0x10000, 2, 0x10001, 2}, "abcd"),           // overlapping inputs
      payload(0, 0, 2, {0x10000, 8, 0x10004, 8}, ""),               // overlapping outputs
      payload(0, 0, 1, {0, 8}, ""),                                 // NULL
      payload(0, 0, 2, {0x10000, 1 << 24, 0x10000 + (1 << 24), 1}, ""),  // output total
  };
  uint64_t r = 100;
  for (const std::string& p : bad) {
    c.Feed(wire::EncodeFrame(r, wire::kClassRequest, wire::kTypeXSyscall, 20, {p}));
    c.ExpectError(r, wire::kErrMalformedRequest);
    ++r;
  }
  // Other extension types, and an X_SYSCALL answer sent to the server.
  c.Feed(wire::EncodeFrame(r, wire::kClassRequest, 0x102, 0, {}));
  c.ExpectError(r, wire::kErrMalformedRequest);
  EXPECT_FALSE(c.conn().close_asked());
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid).rv0, 2);
  // A response of type X_SYSCALL to a request never made drops it.
  c.Feed(wire::XSyscallResponse(5000, 0, 0, 0, {}));
  EXPECT_TRUE(c.conn().WaitClosed());
}

TEST_F(SessionTest, XSyscallBeforeTheHandshakeIsAuthError) {
  Client c(host_);
  c.Feed(*wire::XSyscallRequest(0, rump::abi::kSysGetpid, {}, {}, {}));
  c.ExpectError(0, wire::kErrAuth);
  EXPECT_TRUE(c.conn().close_asked());
}

TEST_F(SessionTest, QuickCallsRunInlineOthersOnTheExecutor) {
  Client c(host_);
  c.Guest();
  const SessionStats before = host_->stats();
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid).rv0, 2);
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetuid).error, 0);
  int64_t ts[2] = {};
  Client::XOutcome o = c.XSyscall(rump::abi::kSysClockGettime, {0, P(ts)}, {}, {R(ts, 16)});
  EXPECT_EQ(o.result.error, 0);
  EXPECT_EQ(o.frames_in, 1);
  EXPECT_GT(ts[0] + ts[1], 0);
  EXPECT_EQ(c.Syscall(kSysTestCopyOut, {P(ts), 1, 0}).error, 0);
  const SessionStats after = host_->stats();
  EXPECT_EQ(after.inline_calls - before.inline_calls, 3u);
  EXPECT_EQ(after.syscalls - before.syscalls, 3u);
  EXPECT_EQ(after.xsyscalls - before.xsyscalls, 1u);
  EXPECT_FALSE(RunsInline(rump::abi::kSysRead));
  EXPECT_FALSE(RunsInline(rump::abi::kSysIoctl));
}

}  // namespace
}  // namespace sp::server

namespace sp::server {
namespace {

// X_INTERRUPT ends the sleep of the call it names, with EINTR in that
// call's own answer, and only that call's: another call of the connection
// sleeps on and the process is not torn down. Interrupts that name no
// running call, or carry a payload, get no answer and keep the connection.
TEST_F(SessionTest, XInterruptEndsTheNamedCallsSleepOnly) {
  Client c(host_);
  c.Guest();
  std::shared_ptr<rump::Process> p = c.session().process();
  ASSERT_NE(p, nullptr);
  const int64_t ts[2] = {3600, 0};
  auto nanosleep_request = [&](uint64_t reqno) {
    absl::StatusOr<std::string> req = wire::XSyscallRequest(
        reqno, rump::abi::kSysNanosleep, {P(ts), 0},
        {wire::XBytes{P(ts), absl::string_view(reinterpret_cast<const char*>(ts), sizeof(ts))}},
        {});
    EXPECT_TRUE(req.ok());
    return req.ok() ? *req : std::string();
  };
  auto expect_eintr = [&](uint64_t reqno) {
    std::optional<Frame> f = c.Next();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->header.cls, wire::kClassResponse);
    EXPECT_EQ(f->header.reqno, reqno);
    absl::StatusOr<wire::XSyscallResult> r = wire::DecodeXSyscallResponse(*f);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->error, rump::abi::kEINTR);
  };
  const uint64_t a = c.NextReqno(), b = c.NextReqno();
  c.Feed(nanosleep_request(a));
  c.Feed(nanosleep_request(b));
  ASSERT_TRUE(Eventually([&] { return kernel_->sleeping_threads() >= 2; }));
  c.Feed(wire::XInterruptRequest(9999));  // no such call
  c.Feed(wire::EncodeFrame(b, wire::kClassRequest, wire::kTypeXInterrupt, 0, {"x"}));
  c.Feed(wire::XInterruptRequest(a));
  expect_eintr(a);
  EXPECT_TRUE(Eventually([&] { return kernel_->sleeping_threads() == 1; }));
  EXPECT_FALSE(p->interrupted());
  EXPECT_FALSE(c.conn().close_asked());
  // The connection goes on: a call now is answered next, b still asleep.
  EXPECT_GT(c.Syscall(rump::abi::kSysGetpid).rv0, 1);
  c.Feed(wire::XInterruptRequest(b));
  expect_eintr(b);
  // b is finished: interrupting it again changes nothing and is not answered.
  c.Feed(wire::XInterruptRequest(b));
  EXPECT_GT(c.Syscall(rump::abi::kSysGetpid).rv0, 1);
  // A later sleep of the same process is not cut short by the old interrupts.
  const int64_t short_ts[2] = {0, 1000000};
  absl::StatusOr<std::string> req = wire::XSyscallRequest(
      c.NextReqno(), rump::abi::kSysNanosleep, {P(short_ts), 0},
      {wire::XBytes{P(short_ts),
                    absl::string_view(reinterpret_cast<const char*>(short_ts), sizeof(short_ts))}},
      {});
  ASSERT_TRUE(req.ok());
  c.Feed(*req);
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  absl::StatusOr<wire::XSyscallResult> r = wire::DecodeXSyscallResponse(*f);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
}

TEST_F(SessionTest, DisconnectInterruptsABlockedCallAndReleasesTheProcess) {
  Client c(host_);
  c.Guest();
  std::shared_ptr<rump::Process> p = c.session().process();
  ASSERT_NE(p, nullptr);
  const pid_t pid = p->pid();
  p.reset();
  // nanosleep(1 hour) with its timespec sent along: blocked in the kernel.
  const int64_t ts[2] = {3600, 0};
  absl::StatusOr<std::string> req = wire::XSyscallRequest(
      c.NextReqno(), rump::abi::kSysNanosleep, {P(ts), 0},
      {wire::XBytes{P(ts), absl::string_view(reinterpret_cast<const char*>(ts), sizeof(ts))}},
      {});
  ASSERT_TRUE(req.ok());
  c.Feed(*req);
  ASSERT_TRUE(Eventually([&] { return kernel_->sleeping_threads() >= 1; }));  // asleep
  EXPECT_FALSE(c.session().released());
  // Released long before the hour is up: the sleep was interrupted.
  c.Disconnect();
  EXPECT_TRUE(host_->WaitAllReleased(absl::Now() + absl::Seconds(60)));
  EXPECT_TRUE(c.session().released());
  EXPECT_EQ(kernel_->FindProcess(pid), nullptr);
  EXPECT_EQ(host_->clients(), 0);
  // Others go on.
  Client d(host_);
  d.Guest();
  EXPECT_GT(d.Syscall(rump::abi::kSysGetpid).rv0, 2);
}

}  // namespace
}  // namespace sp::server

namespace sp::server {
namespace {

TEST_F(SessionTest, EmptyCopyinAnswerIsEfaultAndTheConnectionStays) {
  Client c(host_);
  c.Guest();
  char buf[4] = {1, 2, 3, 4};
  const uint64_t r = c.SendSyscall(kSysTestCopyIn, {P(buf), 4});
  std::optional<Frame> f = c.Next();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->header.type, wire::kTypeCopyin);
  c.Feed(wire::CopyinResponse(f->header.reqno, ""));
  f = c.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, r);
  absl::StatusOr<wire::SyscallResult> res = wire::DecodeSyscallResponse(*f);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->error, rump::abi::kEFAULT);
  EXPECT_FALSE(c.conn().close_asked());
  EXPECT_EQ(c.Syscall(rump::abi::kSysGetpid).rv0, 2);
}

}  // namespace
}  // namespace sp::server
