// unix:// and tcp:// for clients: a blocking stream socket.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sp/client/errors.h"
#include "sp/client/host.h"
#include "sp/client/signals.h"
#include "sp/client/stream_transport.h"
#include "sp/client/transport.h"

namespace sp::client {
namespace {

absl::Status Lost(absl::string_view why) {
  return HostError(ENOTCONN, absl::StrCat("rump_sp: connection to the server lost: ", why));
}

class StreamTransport final : public Transport {
 public:
  StreamTransport(int fd, const TransportOptions& options)
      : fd_(fd), reader_(options.max_frame_len), spin_(std::chrono::microseconds(options.spin_us)) {}

  ~StreamTransport() override { host::Get().close(fd_.load()); }

  absl::Status Send(absl::string_view frame) override {
    const host::Calls& h = host::Get();
    std::lock_guard<std::mutex> lock(send_mu_);
    if (shut_.load(std::memory_order_acquire)) return Lost("connection closed");
    const int fd = fd_.load(std::memory_order_relaxed);
    while (!frame.empty()) {
      const ssize_t n = h.send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
      if (n > 0) {
        frame.remove_prefix(size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        struct pollfd p = {fd, POLLOUT, 0};
        h.poll(&p, 1, -1);
        continue;
      }
      return Lost(absl::StrCat("send: ", std::strerror(n < 0 ? errno : EPIPE)));
    }
    return absl::OkStatus();
  }

  absl::Status Receive(std::vector<wire::Frame>* out) override {
    const host::Calls& h = host::Get();
    bool spinning = spin_.count() > 0;
    const auto spin_until = std::chrono::steady_clock::now() + spin_;
    for (;;) {
      while (auto f = reader_.Next()) out->push_back(std::move(*f));
      if (!out->empty()) return absl::OkStatus();
      if (!pending_error_.ok()) return pending_error_;
      if (shut_.load(std::memory_order_acquire)) return Lost("connection closed");
      const int fd = fd_.load(std::memory_order_relaxed);
      ssize_t n;
      if (spinning) {
        n = h.recv(fd, buf_, sizeof(buf_), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          if (std::chrono::steady_clock::now() >= spin_until) {
            spinning = false;
          } else {
            std::this_thread::yield();
          }
          continue;
        }
      } else {
        // Sleeps with the signals that end the process unblocked
        // (WaitMask), then reads what is there. EINTR means a handler ran
        // (Linux restarts ppoll transparently when none did).
        const sigset_t mask = WaitMask();
        struct pollfd p = {fd, POLLIN, 0};
        if (h.ppoll(&p, 1, nullptr, &mask) < 0) {
          if (errno != EINTR) return Lost(absl::StrCat("poll: ", std::strerror(errno)));
          if (InterruptibleWait::on()) return SignalInterruption();
        }
        n = h.recv(fd, buf_, sizeof(buf_), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      }
      if (n > 0) {
        absl::Status st = reader_.Feed(absl::string_view(buf_, size_t(n)));
        if (!st.ok()) {
          pending_error_ = HostError(
              EPROTO, absl::StrCat("rump_sp: malformed data from the server: ", st.message()));
        }
        continue;
      }
      if (n == 0) {
        if (!reader_.AtFrameBoundary()) {
          return Lost(absl::StrCat("the server closed the connection in the middle of a frame (",
                                   reader_.Finish().message(), ")"));
        }
        return Lost("the server closed the connection");
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd p = {fd, POLLIN, 0};
        h.poll(&p, 1, -1);
        continue;
      }
      return Lost(absl::StrCat("read: ", std::strerror(errno)));
    }
  }

  void Shutdown() override {
    if (shut_.exchange(true, std::memory_order_acq_rel)) return;
    host::Get().shutdown(fd_.load(), SHUT_RDWR);
  }

  void CloseAfterFork() const override { host::Get().close(fd_.load()); }

  int fd() const override { return fd_.load(); }

  absl::Status MoveOffFd(int fd) override {
    std::lock_guard<std::mutex> lock(send_mu_);
    const int cur = fd_.load();
    if (cur != fd) return absl::OkStatus();
    const int moved = host::Get().fcntl(cur, F_DUPFD_CLOEXEC, std::max(3, fd + 1));
    if (moved < 0) return ErrnoError(errno, "rump_sp: cannot move the client socket");
    fd_.store(moved);
    return absl::OkStatus();
  }

  std::vector<int> OwnFds() const override { return {fd_.load()}; }

 private:
  std::atomic<int> fd_;
  std::atomic<bool> shut_{false};
  std::mutex send_mu_;
  // Receive side: one thread at a time.
  wire::FrameReader reader_;
  absl::Status pending_error_;
  const std::chrono::microseconds spin_;
  char buf_[64 * 1024];
};

}  // namespace

int MoveAboveStdio(int fd) {
  if (fd > 2) return fd;
  const host::Calls& h = host::Get();
  const int moved = h.fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int e = errno;
  h.close(fd);
  errno = e;
  return moved;
}

absl::Status ReadBanner(int fd, int timeout_ms, std::string* banner) {
  const host::Calls& h = host::Get();
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  do {
    r = h.poll(&p, 1, timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoError(errno, "rump_sp: waiting for the banner");
  if (r == 0) return HostError(ETIMEDOUT, "rump_sp: no banner from the server");
  // One read, as NetBSD's client: the whole banner arrives in one piece.
  char buf[wire::kMaxBannerLen];
  ssize_t n;
  do {
    n = h.read(fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError(errno, "rump_sp: reading the banner");
  if (n == 0) return HostError(ECONNRESET, "rump_sp: the server closed the connection without a banner");
  if (buf[n - 1] != '\n') {
    return HostError(EPROTO, absl::StrCat("rump_sp: bad banner \"",
                                          absl::CHexEscape(absl::string_view(buf, size_t(n))),
                                          "\": no newline within 95 bytes"));
  }
  banner->assign(buf, size_t(n));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Transport>> ConnectStream(const transport::Url& url,
                                                         std::string* banner,
                                                         const TransportOptions& options) {
  absl::StatusOr<transport::SocketAddress> addr = transport::SocketAddressOf(url);
  if (!addr.ok()) return addr.status();
  const host::Calls& h = host::Get();
  int fd = h.socket(addr->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "rump_sp: socket");
  fd = MoveAboveStdio(fd);
  if (fd < 0) return ErrnoError(errno, "rump_sp: fcntl(F_DUPFD)");
  int r = h.connect(fd, addr->get(), addr->len);
  if (r < 0 && errno == EINTR) {
    // The connection continues in the background: wait for it.
    struct pollfd p = {fd, POLLOUT, 0};
    while (h.poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    int err = 0;
    socklen_t len = sizeof(err);
    h.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    errno = err;
    r = err == 0 ? 0 : -1;
  }
  if (r < 0) {
    const int e = errno;
    h.close(fd);
    return ErrnoError(e, absl::StrCat("rump_sp: cannot connect to ", url.text));
  }
  if (addr->family() == AF_INET || addr->family() == AF_INET6) {
    const int one = 1;
    h.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (absl::Status st = ReadBanner(fd, options.connect_timeout_ms, banner); !st.ok()) {
    h.close(fd);
    return st;
  }
  return std::unique_ptr<Transport>(new StreamTransport(fd, options));
}

absl::StatusOr<std::unique_ptr<Transport>> AdoptStreamSocket(int fd,
                                                             const TransportOptions& options) {
  const host::Calls& h = host::Get();
  int type = 0;
  socklen_t len = sizeof(type);
  if (h.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    return ErrnoError(errno, absl::StrCat("rump_sp: inherited connection ", fd));
  }
  if (type != SOCK_STREAM) {
    return HostError(ENOTSOCK, absl::StrCat("rump_sp: inherited descriptor ", fd,
                                            " is not a stream socket"));
  }
  const int flags = h.fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK)) h.fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  h.fcntl(fd, F_SETFD, FD_CLOEXEC);
  return std::unique_ptr<Transport>(new StreamTransport(fd, options));
}

absl::StatusOr<std::unique_ptr<Transport>> StreamTransportForTest(int fd, std::string* banner,
                                                                  const TransportOptions& options) {
  if (absl::Status st = ReadBanner(fd, options.connect_timeout_ms, banner); !st.ok()) return st;
  return std::unique_ptr<Transport>(new StreamTransport(fd, options));
}

absl::StatusOr<std::unique_ptr<Transport>> ConnectTransport(const transport::Url& url,
                                                            std::string* banner,
                                                            const TransportOptions& options) {
  switch (url.scheme) {
    case transport::Scheme::kUnix:
    case transport::Scheme::kTcp:
      if (!options.curve_server_key.empty()) {
        return HostError(EINVAL, absl::StrCat("rump_sp: ", url.text,
                                              ": CURVE needs a zmq+tcp:// or zmq+ipc:// URL"));
      }
      return ConnectStream(url, banner, options);
    case transport::Scheme::kZmqTcp:
    case transport::Scheme::kZmqIpc:
      return ConnectZmq(url, banner, options);
  }
  return HostError(EINVAL, "rump_sp: unknown URL scheme");
}

}  // namespace sp::client
