#include "sp/server/raw_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sp/transport/url.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"

namespace sp::testing {
namespace {

int RemainingMs(absl::Time deadline) {
  const absl::Duration d = deadline - absl::Now();
  if (d <= absl::ZeroDuration()) return 0;
  return int(std::min<int64_t>(absl::ToInt64Milliseconds(d) + 1, 1 << 30));
}

class StreamClient final : public RawClient {
 public:
  explicit StreamClient(int fd) : fd_(fd) {}
  ~StreamClient() override { Close(); }

  absl::Status ReadBanner(absl::Time deadline) {
    // NetBSD's client does one read of up to 95 bytes; read on until the
    // LF in case the kernel split it.
    while (banner_.empty() || banner_.back() != '\n') {
      pollfd p{fd_, POLLIN, 0};
      const int r = poll(&p, 1, RemainingMs(deadline));
      if (r == 0) return absl::DeadlineExceededError("no banner");
      if (r < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError(std::strerror(errno));
      }
      char buf[96];
      const ssize_t n = read(fd_, buf, wire::kMaxBannerLen - banner_.size());
      if (n == 0) {
        closed_ = true;
        if (!banner_.empty()) return absl::DataLossError("banner cut short");
        return absl::OkStatus();
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) {
          closed_ = true;
          return absl::OkStatus();
        }
        return absl::InternalError(std::strerror(errno));
      }
      banner_.append(buf, size_t(n));
      if (banner_.size() >= wire::kMaxBannerLen && banner_.back() != '\n') {
        return absl::DataLossError("banner without LF");
      }
    }
    return absl::OkStatus();
  }

  absl::Status SendBytes(absl::string_view bytes) override {
    if (fd_ < 0) return absl::FailedPreconditionError("closed");
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
      }
      bytes.remove_prefix(size_t(n));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<wire::Frame> ReadFrame(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      if (std::optional<wire::Frame> f = reader_.Next()) return *std::move(f);
      if (!reader_.status().ok()) return absl::DataLossError(reader_.status().message());
      if (fd_ < 0 || eof_) return absl::NotFoundError("end of stream");
      pollfd p{fd_, POLLIN, 0};
      const int r = poll(&p, 1, RemainingMs(deadline));
      if (r == 0) return absl::DeadlineExceededError("no frame");
      if (r < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError(std::strerror(errno));
      }
      char buf[65536];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        eof_ = true;
        closed_ = true;
        continue;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError(std::strerror(errno));
      }
      (void)reader_.Feed(absl::string_view(buf, size_t(n)));
    }
  }

  void Close() override {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  bool eof_ = false;
  wire::FrameReader reader_{uint64_t{64} << 20};
};

class ZmqClient final : public RawClient {
 public:
  ZmqClient() : sock_(Context(), zmq::socket_type::dealer) {
    sock_.set(zmq::sockopt::linger, 0);
  }
  ~ZmqClient() override { Close(); }

  absl::Status ConnectAndHello(const transport::Url& url, const CurveKeys& curve,
                               absl::Time deadline) {
    try {
      if (url.ipv6) sock_.set(zmq::sockopt::ipv6, 1);
      if (!curve.server_public_key.empty()) {
        sock_.set(zmq::sockopt::curve_serverkey, curve.server_public_key);
        sock_.set(zmq::sockopt::curve_publickey, curve.public_key);
        sock_.set(zmq::sockopt::curve_secretkey, curve.secret_key);
      }
      sock_.connect(url.zmq_endpoint);
    } catch (const zmq::error_t& e) {
      return absl::UnavailableError(absl::StrCat("zmq connect: ", e.what()));
    }
    if (absl::Status s = SendBytes(""); !s.ok()) return s;
    absl::StatusOr<std::string> m = Receive(deadline);
    if (!m.ok()) return m.status();
    if (m->empty()) {
      closed_ = true;
      return absl::OkStatus();
    }
    banner_ = *m;
    return absl::OkStatus();
  }

  absl::Status SendBytes(absl::string_view bytes) override {
    if (done_) return absl::FailedPreconditionError("closed");
    try {
      zmq::message_t m(bytes.data(), bytes.size());
      sock_.send(m, zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      return absl::UnavailableError(absl::StrCat("zmq send: ", e.what()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<wire::Frame> ReadFrame(absl::Duration timeout) override {
    if (closed_) return absl::NotFoundError("end of stream");
    absl::StatusOr<std::string> m = Receive(absl::Now() + timeout);
    if (!m.ok()) return m.status();
    if (m->empty()) {
      closed_ = true;
      return absl::NotFoundError("end of stream");
    }
    absl::StatusOr<wire::FrameView> f = wire::ParseFrame(*m, uint64_t{64} << 20);
    if (!f.ok()) return absl::DataLossError(f.status().message());
    return wire::Frame{f->header, std::string(f->payload)};
  }

  void Close() override {
    if (done_) return;
    if (!closed_) (void)SendBytes("");  // goodbye
    done_ = true;
    // What was sent still goes out (the context lives on and flushes it).
    sock_.set(zmq::sockopt::linger, 1000);
    sock_.close();
  }

 private:
  absl::StatusOr<std::string> Receive(absl::Time deadline) {
    for (;;) {
      zmq_pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
      const int r = zmq_poll(&item, 1, RemainingMs(deadline));
      if (r < 0) {
        if (zmq_errno() == EINTR) continue;
        return absl::InternalError(zmq_strerror(zmq_errno()));
      }
      if (r == 0) return absl::DeadlineExceededError("no message");
      zmq::message_t m;
      if (!sock_.recv(m, zmq::recv_flags::dontwait)) continue;
      return m.to_string();
    }
  }

  // One context (one I/O thread) for every client of this process.
  static zmq::context_t& Context() {
    static zmq::context_t* ctx = new zmq::context_t(1);
    return *ctx;
  }

  zmq::socket_t sock_;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::Connect(absl::string_view url_text,
                                                              absl::Duration timeout,
                                                              const CurveKeys& curve) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<transport::Url> url = transport::ParseUrl(url_text, transport::Role::kClient);
  if (!url.ok()) return url.status();
  if (url->scheme == transport::Scheme::kZmqTcp || url->scheme == transport::Scheme::kZmqIpc) {
    auto c = std::make_unique<ZmqClient>();
    if (absl::Status s = c->ConnectAndHello(*url, curve, deadline); !s.ok()) return s;
    return std::unique_ptr<RawClient>(std::move(c));
  }
  if (!curve.server_public_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(url_text, ": CURVE needs a zmq+ URL"));
  }
  absl::StatusOr<transport::SocketAddress> sa = transport::SocketAddressOf(*url);
  if (!sa.ok()) return sa.status();
  const int fd = socket(sa->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  if (connect(fd, sa->get(), sa->len) != 0) {
    const int e = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect ", url_text, ": ", std::strerror(e)));
  }
  if (url->scheme == transport::Scheme::kTcp) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  auto c = std::make_unique<StreamClient>(fd);
  if (absl::Status s = c->ReadBanner(deadline); !s.ok()) return s;
  return std::unique_ptr<RawClient>(std::move(c));
}

bool RawClient::WaitClosed(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<wire::Frame> f = ReadFrame(deadline - absl::Now());
    if (f.ok()) continue;
    return absl::IsNotFound(f.status()) || absl::IsDataLoss(f.status());
  }
}

absl::Status RawClient::Handshake(absl::string_view progname) {
  const uint64_t reqno = NextReqno();
  if (absl::Status s = SendBytes(wire::HandshakeGuestRequest(reqno, progname)); !s.ok()) {
    return s;
  }
  absl::StatusOr<wire::Frame> f = Await(reqno, absl::Seconds(10));
  if (!f.ok()) return f.status();
  absl::StatusOr<int32_t> v = wire::DecodeHandshakeResponse(*f);
  if (!v.ok()) return v.status();
  if (*v != 0) return absl::InternalError(absl::StrCat("handshake answered ", *v));
  return absl::OkStatus();
}

absl::StatusOr<RawClient::Result> RawClient::Syscall(uint32_t number, std::vector<uint64_t> slots,
                                                     absl::Duration timeout) {
  const uint64_t reqno = NextReqno();
  absl::StatusOr<std::string> req = wire::SyscallRequest(reqno, number, slots);
  if (!req.ok()) return req.status();
  if (absl::Status s = SendBytes(*req); !s.ok()) return s;
  absl::StatusOr<wire::Frame> f = Await(reqno, timeout);
  if (!f.ok()) return f.status();
  absl::StatusOr<wire::SyscallResult> r = wire::DecodeSyscallResponse(*f);
  if (!r.ok()) return r.status();
  return Result{r->error, r->rv0, r->rv1};
}

absl::StatusOr<wire::Frame> RawClient::Await(uint64_t reqno, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<wire::Frame> f = ReadFrame(deadline - absl::Now());
    if (!f.ok()) return f.status();
    if (f->header.cls == wire::kClassRequest) {
      if (!Serve(*f)) {
        return absl::InternalError(absl::StrCat("unexpected request type ", f->header.type));
      }
      continue;
    }
    if (f->header.reqno != reqno) continue;  // not ours: dropped, as NetBSD's client does
    if (f->header.cls == wire::kClassError) {
      last_error_code_ = f->header.u;
      return absl::FailedPreconditionError(absl::StrCat("ERROR ", f->header.u));
    }
    return f;
  }
}

bool RawClient::Serve(const wire::Frame& f) {
  switch (f.header.type) {
    case wire::kTypeCopyin:
    case wire::kTypeCopyinstr: {
      absl::StatusOr<wire::CopyRequest> c = wire::DecodeCopyRequest(f);
      if (!c.ok()) return false;
      const char* p = reinterpret_cast<const char*>(c->addr);
      size_t n = c->len;
      if (c->type == wire::kTypeCopyinstr) {
        const size_t len = strnlen(p, c->len);
        n = len < c->len ? len + 1 : c->len;
      }
      return SendBytes(wire::CopyinResponse(f.header.reqno, absl::string_view(p, n))).ok();
    }
    case wire::kTypeCopyout:
    case wire::kTypeCopyoutstr: {
      absl::StatusOr<wire::Copyout> c = wire::DecodeCopyout(f);
      if (!c.ok()) return false;
      if (!c->data.empty()) {
        std::memcpy(reinterpret_cast<void*>(c->addr), c->data.data(), c->data.size());
      }
      return true;
    }
    case wire::kTypeAnonmmap: {
      absl::StatusOr<uint64_t> size = wire::DecodeAnonmmapRequest(f);
      if (!size.ok()) return false;
      void* p = mmap(nullptr, *size, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE, -1, 0);
      const uint64_t addr = p == MAP_FAILED ? 0 : reinterpret_cast<uint64_t>(p);
      return SendBytes(wire::AnonmmapResponse(f.header.reqno, addr)).ok();
    }
    case wire::kTypeRaise:
      return true;  // a test client does not raise signals in itself
    default:
      return false;
  }
}

}  // namespace sp::testing
