// zmq+tcp:// and zmq+ipc:// for clients: one ZeroMQ DEALER per connection,
// framed as sp/transport/zmq_listener.h describes.
//
// A DEALER is not thread-safe, so every call on it is made under mu_. The
// reader waits outside the lock in poll(2) on the DEALER's ZMQ_FD, the
// monitor's ZMQ_FD and an eventfd. ZMQ_FD is edge-triggered and any call on
// the socket may consume its edge, so a sender that finds input pending
// after its send (ZMQ_EVENTS) wakes the reader through the eventfd.
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <zmq.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "sp/client/errors.h"
#include "sp/client/host.h"
#include "sp/client/stream_transport.h"
#include "sp/client/transport.h"

namespace sp::client {
namespace {

constexpr char kMonitorEndpoint[] = "inproc://rumpclient-monitor";
constexpr int kMonitorEvents =
    ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED | ZMQ_EVENT_CONNECT_RETRIED |
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
    ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

bool IsHandshakeFailure(uint16_t event) {
  return event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
         event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
}

// What a failed handshake means, for the user (the server sends nothing
// else: a refused client never sees the banner).
absl::Status HandshakeError(const transport::Url& url, bool curve, uint16_t event, int32_t value) {
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
    return HostError(EACCES, absl::StrCat("rump_sp: ", url.text,
                                          ": the server refused our CURVE key (not on its "
                                          "allow-list; RUMP_CLIENT_KEY names our key)"));
  }
  std::string why;
  if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
      value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
    why = curve ? "the server does not use CURVE (unset RUMP_SERVER_KEY)"
                : "the server requires CURVE (set RUMP_SERVER_KEY to its public key file)";
  } else if (curve) {
    why = "CURVE handshake failed (wrong server key?)";
  } else {
    why = "ZeroMQ handshake failed (does the server require CURVE? set RUMP_SERVER_KEY)";
  }
  return HostError(ECONNREFUSED, absl::StrCat("rump_sp: ", url.text, ": ", why));
}

absl::Status Lost(absl::string_view why) {
  return HostError(ENOTCONN, absl::StrCat("rump_sp: connection to the server lost: ", why));
}

// Reads one monitor event (two parts: {u16 event, u32 value}, address);
// false when none is pending.
bool ReadMonitorEvent(zmq::socket_t& monitor, uint16_t* event, int32_t* value) {
  zmq::message_t head;
  if (!monitor.recv(head, zmq::recv_flags::dontwait)) return false;
  *event = 0;
  *value = -1;
  if (head.size() >= 6) {
    std::memcpy(event, head.data(), 2);
    std::memcpy(value, static_cast<const char*>(head.data()) + 2, 4);
  }
  while (head.more()) {
    zmq::message_t rest;
    if (!monitor.recv(rest)) break;
    head = std::move(rest);
  }
  return true;
}

// The DEALER's reconnect interval: longer than any connection lives.
constexpr int kNoReconnectMs = 1 << 30;  // 12 days

int PollMs(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : int(left.count());
}

class ZmqTransport final : public Transport {
 public:
  ZmqTransport(const TransportOptions& options, int wake_fd)
      : options_(options), wake_fd_(wake_fd) {}

  ~ZmqTransport() override {
    try {
      std::lock_guard<std::mutex> lock(mu_);
      if (!disconnected_ && monitor_.handle() != nullptr) {
        // A break not read yet: no goodbye (it would wait out the linger
        // in a queue nobody sends).
        uint16_t event;
        int32_t value;
        while (ReadMonitorEvent(monitor_, &event, &value)) {
          if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED) disconnected_ = true;
        }
      }
      if (!disconnected_ && conn_fd_ >= 0 && dealer_.handle() != nullptr) {
        // "goodbye"; the server also notices the socket closing.
        dealer_.set(zmq::sockopt::linger, 100);
        (void)dealer_.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::dontwait);
      }
      if (dealer_.handle() != nullptr) zmq_socket_monitor(dealer_.handle(), nullptr, 0);
      monitor_.close();
      dealer_.close();
      ctx_.close();
    } catch (const zmq::error_t&) {
    }
    host::Get().close(wake_fd_);
  }

  // Sets up the sockets, connects, says hello and reads the banner.
  absl::Status Connect(const transport::Url& url, std::string* banner) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
    dealer_ = zmq::socket_t(ctx_, zmq::socket_type::dealer);
    dealer_.set(zmq::sockopt::linger, 0);
    // A break is final (the monitor reports it and the transport ends), but
    // not through reconnect_ivl = -1: with that, libzmq removes the
    // connection's pipe as soon as the break is seen, dropping messages
    // that arrived before it and were not read yet, such as the answer to
    // the reboot that stopped the server. A retry interval of weeks keeps
    // the pipe readable and never comes.
    dealer_.set(zmq::sockopt::reconnect_ivl, kNoReconnectMs);
    dealer_.set(zmq::sockopt::sndhwm, 0);
    dealer_.set(zmq::sockopt::rcvhwm, 0);
    dealer_.set(zmq::sockopt::maxmsgsize, int64_t(options_.max_frame_len));
    if (url.ipv6) dealer_.set(zmq::sockopt::ipv6, 1);
    curve_ = !options_.curve_server_key.empty();
    if (curve_) {
      std::string pub = options_.curve_public_key;
      std::string sec = options_.curve_secret_key;
      if (sec.empty()) {
        // No key of our own: a fresh one for this connection (encryption;
        // a server with an allow-list refuses it).
        char p[41], s[41];
        if (zmq_curve_keypair(p, s) != 0) {
          return ErrnoError(zmq_errno(), "rump_sp: zmq_curve_keypair");
        }
        pub = p;
        sec = s;
      }
      if (pub.size() != 40 || sec.size() != 40 || options_.curve_server_key.size() != 40) {
        return HostError(EINVAL, "rump_sp: CURVE keys must be 40 Z85 characters");
      }
      dealer_.set(zmq::sockopt::curve_serverkey, options_.curve_server_key);
      dealer_.set(zmq::sockopt::curve_publickey, pub);
      dealer_.set(zmq::sockopt::curve_secretkey, sec);
    }
    if (zmq_socket_monitor(dealer_.handle(), kMonitorEndpoint, kMonitorEvents) != 0) {
      return ErrnoError(zmq_errno(), "rump_sp: zmq_socket_monitor");
    }
    monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
    monitor_.set(zmq::sockopt::linger, 0);
    monitor_.connect(kMonitorEndpoint);
    dealer_.connect(url.zmq_endpoint);

    // Wait until the underlying connection is up (or refused).
    for (;;) {
      uint16_t event;
      int32_t value;
      while (ReadMonitorEvent(monitor_, &event, &value)) {
        if (event == ZMQ_EVENT_CONNECTED) {
          conn_fd_ = value;
        } else if (IsHandshakeFailure(event)) {
          disconnected_ = true;
          return HandshakeError(url, curve_, event, value);
        } else {
          int e = ECONNREFUSED;
          struct stat st;
          if (url.scheme == transport::Scheme::kZmqIpc && stat(url.path.c_str(), &st) != 0) {
            e = errno;
          }
          return ErrnoError(e, absl::StrCat("rump_sp: cannot connect to ", url.text));
        }
      }
      if (conn_fd_ >= 0) break;
      zmq::pollitem_t item = {monitor_.handle(), 0, ZMQ_POLLIN, 0};
      const int ms = PollMs(deadline);
      if (ms == 0) return HostError(ETIMEDOUT, absl::StrCat("rump_sp: cannot connect to ", url.text, ": timed out"));
      zmq::poll(&item, 1, std::chrono::milliseconds(ms));
    }

    // hello, then the banner as one message.
    if (!dealer_.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::dontwait)) {
      return HostError(ECONNRESET, "rump_sp: the server closed the connection without a banner");
    }
    for (;;) {
      zmq::message_t msg;
      if (dealer_.recv(msg, zmq::recv_flags::dontwait)) {
        if (msg.size() == 0) {
          disconnected_ = true;
          return HostError(ECONNRESET, "rump_sp: the server closed the connection without a banner");
        }
        const absl::string_view b(static_cast<const char*>(msg.data()), msg.size());
        if (msg.more() || b.size() > wire::kMaxBannerLen || b.back() != '\n') {
          return HostError(EPROTO, absl::StrCat("rump_sp: bad banner \"", absl::CHexEscape(b),
                                                "\": no newline within 95 bytes"));
        }
        banner->assign(b.data(), b.size());
        return absl::OkStatus();
      }
      uint16_t event;
      int32_t value;
      // A failed handshake's event comes before its DISCONNECTED.
      while (ReadMonitorEvent(monitor_, &event, &value)) {
        if (IsHandshakeFailure(event)) {
          disconnected_ = true;
          return HandshakeError(url, curve_, event, value);
        }
        if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED) {
          disconnected_ = true;
          return HostError(ECONNRESET,
                           "rump_sp: the server closed the connection without a banner");
        }
      }
      zmq::pollitem_t items[2] = {{dealer_.handle(), 0, ZMQ_POLLIN, 0},
                                  {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
      const int ms = PollMs(deadline);
      if (ms == 0) return HostError(ETIMEDOUT, "rump_sp: no banner from the server");
      zmq::poll(items, 2, std::chrono::milliseconds(ms));
    }
  }

  absl::Status Send(absl::string_view frame) override {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shut_.load(std::memory_order_acquire) || disconnected_) {
        return Lost("connection closed");
      }
      try {
        if (!dealer_.send(zmq::const_buffer(frame.data(), frame.size()),
                          zmq::send_flags::dontwait)) {
          return Lost("no connection to the server");
        }
        wake = (dealer_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
      } catch (const zmq::error_t& e) {
        return Lost(absl::StrCat("zmq_send: ", e.what()));
      }
    }
    if (wake) Wake();
    return absl::OkStatus();
  }

  absl::Status Receive(std::vector<wire::Frame>* out) override {
    // As the stream transport: watch for the answer a moment before
    // sleeping in poll(2).
    bool spinning = options_.spin_us > 0;
    const auto spin_until =
        std::chrono::steady_clock::now() + std::chrono::microseconds(options_.spin_us);
    for (;;) {
      int dealer_fd, monitor_fd;
      {
        std::lock_guard<std::mutex> lock(mu_);
        try {
          for (;;) {
            zmq::message_t msg;
            if (!dealer_.recv(msg, zmq::recv_flags::dontwait)) break;
            if (msg.size() == 0) {
              // The server's end of the connection. It comes right behind
              // the server's last answers (the reboot's): hand those over
              // first; the next call reports the end.
              disconnected_ = true;
              break;
            }
            if (msg.more()) {
              return HostError(EPROTO, "rump_sp: malformed data from the server: a multi-part message");
            }
            absl::StatusOr<wire::FrameView> f = wire::ParseFrame(
                absl::string_view(static_cast<const char*>(msg.data()), msg.size()),
                options_.max_frame_len);
            if (!f.ok()) {
              return HostError(EPROTO, absl::StrCat("rump_sp: malformed data from the server: ",
                                                    f.status().message()));
            }
            out->push_back(wire::Frame{f->header, std::string(f->payload)});
          }
          if (!out->empty()) return absl::OkStatus();
          if (shut_.load(std::memory_order_acquire)) return Lost("connection closed");
          if (disconnected_) return Lost("the server closed the connection");
          uint16_t event;
          int32_t value;
          bool broke = false;
          while (ReadMonitorEvent(monitor_, &event, &value)) {
            if (event == ZMQ_EVENT_DISCONNECTED || event == ZMQ_EVENT_CLOSED) broke = true;
          }
          if (broke) {
            // Take what arrived before the break first (next round).
            disconnected_ = true;
            continue;
          }
          if (dealer_.get(zmq::sockopt::events) & ZMQ_POLLIN) continue;
          dealer_fd = dealer_.get(zmq::sockopt::fd);
          monitor_fd = monitor_.get(zmq::sockopt::fd);
        } catch (const zmq::error_t& e) {
          return Lost(absl::StrCat("zmq: ", e.what()));
        }
      }
      if (spinning) {
        if (std::chrono::steady_clock::now() < spin_until) {
          std::this_thread::yield();
          continue;
        }
        spinning = false;
      }
      struct pollfd p[3] = {{dealer_fd, POLLIN, 0}, {monitor_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (host::Get().poll(p, 3, -1) > 0 && (p[2].revents & POLLIN)) {
        uint64_t n;
        (void)!host::Get().read(wake_fd_, &n, sizeof(n));
      }
    }
  }

  void Shutdown() override {
    if (shut_.exchange(true, std::memory_order_acq_rel)) return;
    Wake();
  }

  void CloseAfterFork() const override {
    // libzmq's own threads do not exist in the child; only the connection's
    // socket matters to the server.
    if (conn_fd_ >= 0) host::Get().close(conn_fd_);
  }

  int fd() const override { return -1; }

  // libzmq's descriptors cannot be moved; ours (the eventfd) is only
  // polled, and the application closing it only costs wake-ups.
  absl::Status MoveOffFd(int) override { return absl::OkStatus(); }

  std::vector<int> OwnFds() const override {
    std::vector<int> fds = {wake_fd_};
    if (conn_fd_ >= 0) fds.push_back(conn_fd_);
    std::sort(fds.begin(), fds.end());
    return fds;
  }

 private:
  void Wake() {
    const uint64_t one = 1;
    (void)!host::Get().write(wake_fd_, &one, sizeof(one));
  }

  const TransportOptions options_;
  const int wake_fd_;
  int conn_fd_ = -1;  // set during Connect, then constant
  std::atomic<bool> shut_{false};
  std::mutex mu_;  // every call on ctx_, dealer_, monitor_
  zmq::context_t ctx_{1};
  zmq::socket_t dealer_;
  zmq::socket_t monitor_;
  bool disconnected_ = false;
  bool curve_ = false;  // set during Connect, then constant
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> ConnectZmq(const transport::Url& url,
                                                      std::string* banner,
                                                      const TransportOptions& options) {
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return ErrnoError(errno, "rump_sp: eventfd");
  wake = MoveAboveStdio(wake);
  if (wake < 0) return ErrnoError(errno, "rump_sp: fcntl(F_DUPFD)");
  auto t = std::make_unique<ZmqTransport>(options, wake);
  try {
    if (absl::Status st = t->Connect(url, banner); !st.ok()) return st;
  } catch (const zmq::error_t& e) {
    return HostError(e.num() == 0 ? EINVAL : e.num(),
                     absl::StrCat("rump_sp: cannot connect to ", url.text, ": ", e.what()));
  }
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace sp::client

