#include "sp/transport/zmq_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sp/transport/curve_keys.h"
#include "sp/transport/listener_loop.h"
#include "sp/transport/socket_file.h"
#include "sp/wire/frame_reader.h"

namespace sp::transport {
namespace {

constexpr int kMessagesPerPoll = 256;  // fairness between input and output

// ZAP (RFC 27): where libzmq asks who may connect, and our domain.
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr char kZapDomain[] = "rump_sp";
// Distinct refusals remembered for "logged once" (then no more lines).
constexpr size_t kMaxRememberedFailures = 4096;

// The IP address of a socket's peer ("127.0.0.1", "::1"), "" if none.
std::string PeerAddressOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof(buf));
  } else if (ss.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

class ZmqListener;

// One of libzmq's underlying connections: its descriptor number and which
// connection of that number (descriptors are reused).
struct Link {
  int fd = -1;
  uint64_t epoch = 0;
  bool operator<(const Link& o) const { return fd != o.fd ? fd < o.fd : epoch < o.epoch; }
};

class ZmqConn final : public Connection, public std::enable_shared_from_this<ZmqConn> {
 public:
  ZmqConn(ZmqListener* owner, std::string id, std::string peer, int fd, PeerIdentity identity)
      : owner_(owner),
        id_(std::move(id)),
        peer_(std::move(peer)),
        fd_(fd),
        identity_(std::move(identity)) {}

  void Send(std::string bytes) override;
  void Close() override;
  const std::string& peer() const override { return peer_; }
  const PeerIdentity& identity() const override { return identity_; }

  const std::string& id() const { return id_; }
  int fd() const { return fd_; }
  bool closing() const { return closing_.load(std::memory_order_acquire); }
  bool finalized() const { return finalized_.load(std::memory_order_acquire); }

  // --- listener thread only
  std::shared_ptr<Receiver> receiver;
  Link link;

 private:
  friend class ZmqListener;
  ZmqListener* const owner_;
  const std::string id_;
  const std::string peer_;
  const int fd_;  // the underlying connection's descriptor in libzmq, or -1
  const PeerIdentity identity_;
  std::atomic<bool> closing_{false};
  std::atomic<bool> finalized_{false};
};

// Something for the listener thread to do.
struct OutItem {
  enum Kind { kData, kClose, kCommand } kind = kData;
  std::shared_ptr<ZmqConn> conn;
  std::string bytes;
  std::function<void()> command;
};

class ZmqListener final : public internal::LoopListener {
 public:
  ZmqListener(Url url, ListenerOptions options, std::unique_ptr<zmq::context_t> ctx,
              std::unique_ptr<zmq::socket_t> router, std::unique_ptr<zmq::socket_t> monitor,
              std::unique_ptr<zmq::socket_t> zap, int wake_fd, std::string bound_url,
              internal::FileId file_id)
      : LoopListener(std::move(url), std::move(options), wake_fd, std::move(bound_url), file_id),
        ctx_(std::move(ctx)),
        router_(std::move(router)),
        monitor_(std::move(monitor)),
        zap_(std::move(zap)) {}

  ~ZmqListener() override { Shutdown(absl::ZeroDuration()); }

  void Shutdown(absl::Duration flush) override {
    RunInLoop([this, flush] {
      StopAcceptingInLoop();
      FlushOutput();
      std::vector<std::shared_ptr<ZmqConn>> all;
      for (auto& [id, c] : conns_) all.push_back(c);
      for (auto& c : all) {
        SendEof(c->id());
        Finalize(c, absl::OkStatus());
      }
      linger_ms_ = int(std::max<int64_t>(0, absl::ToInt64Milliseconds(flush)));
      stop_ = true;
    });
    loop_.Join();
    CloseSockets();
  }

  // From any thread: queue work for the listener thread.
  void Enqueue(OutItem item) {
    std::lock_guard<std::mutex> lock(loop_.mu());
    if (loop_.ended()) return;
    PushLocked(std::move(item));
  }

 private:
  // Appends to the queue, waking the thread if it was empty. Requires
  // loop_.mu().
  void PushLocked(OutItem item) {
    const bool wake = out_.empty();
    out_.push_back(std::move(item));
    if (wake) Wake();
  }

  // Commands run in turn with queued output.
  void PostCommandLocked(std::function<void()> command) override {
    OutItem item;
    item.kind = OutItem::kCommand;
    item.command = std::move(command);
    PushLocked(std::move(item));
  }

  void StopAcceptingInLoop() override {
    if (!accepting_) return;
    accepting_ = false;
    if (url_.scheme == Scheme::kZmqIpc) internal::RemoveIfSame(url_.path, file_id_);
  }

  void CloseSockets() {
    std::lock_guard<std::mutex> lock(sockets_mu_);
    if (!router_) return;
    try {
      zmq_socket_monitor(router_->handle(), nullptr, 0);
      router_->set(zmq::sockopt::linger, linger_ms_);
    } catch (const zmq::error_t&) {
    }
    router_.reset();
    zap_.reset();
    monitor_.reset();
    ctx_.reset();  // waits (up to the linger time) for queued messages
    if (url_.scheme == Scheme::kZmqIpc) internal::RemoveIfSame(url_.path, file_id_);
  }

  void Loop() override {
    while (!stop_) {
      zmq_pollitem_t items[4] = {
          {router_->handle(), 0, ZMQ_POLLIN, 0},
          {monitor_->handle(), 0, ZMQ_POLLIN, 0},
          {nullptr, wake_fd_, ZMQ_POLLIN, 0},
          {zap_ != nullptr ? zap_->handle() : nullptr, 0, ZMQ_POLLIN, 0},
      };
      const int nitems = zap_ != nullptr ? 4 : 3;
      int n = 0;
      if (busy_) {
        // Activity last round: watch a moment before sleeping (see the
        // stream listener), yielding the CPU.
        busy_ = false;
        const absl::Time until = absl::Now() + absl::Microseconds(50);
        while ((n = zmq_poll(items, nitems, 0)) == 0 && absl::Now() < until) {
          std::this_thread::yield();
        }
      }
      if (n == 0) n = zmq_poll(items, nitems, -1);
      if (n < 0) {
        if (zmq_errno() == EINTR) continue;
        Log(absl::StrCat("zmq_poll: ", zmq_strerror(zmq_errno())));
        break;
      }
      if (items[2].revents & ZMQ_POLLIN) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof(v));
      }
      if (zap_ != nullptr) ServeZap();
      DrainMonitor();
      ReadMessages();  // also when only the monitor spoke: applies disconnects
      FlushOutput();
      busy_ = n > 0;
    }
    std::vector<std::shared_ptr<ZmqConn>> all;
    for (auto& [id, c] : conns_) all.push_back(c);
    for (auto& c : all) Finalize(c, absl::OkStatus());
    std::deque<OutItem> rest;  // destroyed here; their waiters run the commands
    loop_.Ended([&] { rest.swap(out_); });
  }

  // Reads what the ROUTER has (up to a batch); once it is empty, applies
  // the disconnects seen meanwhile, so that what a client sent before its
  // connection broke is handled before the break.
  void ReadMessages() {
    for (int i = 0; i < kMessagesPerPoll; ++i) {
      zmq::message_t id;
      zmq::message_t body;
      bool extra = false;
      try {
        if (!router_->recv(id, zmq::recv_flags::dontwait)) {
          ApplyDisconnects();
          return;
        }
        if (!id.more()) continue;  // a ROUTER always gives identity + body
        (void)router_->recv(body, zmq::recv_flags::none);
        while (body.more()) {
          extra = true;
          zmq::message_t part;
          (void)router_->recv(part, zmq::recv_flags::none);
          if (!part.more()) break;
        }
      } catch (const zmq::error_t& e) {
        Log(absl::StrCat("zmq recv: ", e.what()));
        return;
      }
      // A new connection's ACCEPTED event precedes its messages: see it
      // before its hello (its descriptor may be a reused one).
      DrainMonitor();
      HandleMessage(id.to_string(), body, extra);
    }
  }

  void HandleMessage(const std::string& key, zmq::message_t& body, bool extra) {
    auto it = conns_.find(key);
    if (it == conns_.end()) {
      // An identity we closed (its goodbye, or frames sent before it saw
      // our EOF): ignored until its connection goes.
      if (closed_ids_.count(key) != 0) return;
      if (body.size() != 0 || extra) {
        SendEof(key);  // not connected: EOF
        return;
      }
      if (!accepting_) {
        SendEof(key);
        return;
      }
      // Who it is: with CURVE, the public key our ZAP handler admitted
      // (its user id, carried by every message of the connection).
      PeerIdentity identity;
      if (zap_ != nullptr) {
        const char* user = zmq_msg_gets(body.handle(), "User-Id");
        if (user == nullptr || !IsZ85Key(user)) {
          Log(absl::StrCat("zmq id ", absl::BytesToHexString(key),
                           ": a hello without an authenticated CURVE key; refused"));
          SendEof(key);
          return;
        }
        identity.kind = PeerIdentity::Kind::kCurve;
        identity.curve_key = user;
      }
      // Which underlying connection it came over (for its disconnect).
      const int fd = zmq_msg_get(body.handle(), ZMQ_SRCFD);
      const Link link{fd, fd >= 0 ? epochs_[fd] : 0};
      auto c = std::make_shared<ZmqConn>(
          this, key,
          absl::StrCat(url_.scheme == Scheme::kZmqIpc ? "zmq+ipc" : "zmq+tcp", " id ",
                       absl::BytesToHexString(key)),
          link.fd, std::move(identity));
      c->link = link;
      conns_[key] = c;
      if (fd >= 0) link_ids_[link].insert(key);
      std::shared_ptr<Receiver> r = acceptor_ != nullptr ? acceptor_->OnAccept(c) : nullptr;
      if (r == nullptr) {
        SendEof(key);
        Finalize(c, absl::OkStatus());
        return;
      }
      c->receiver = std::move(r);
      return;
    }
    std::shared_ptr<ZmqConn> c = it->second;
    if (c->closing()) return;  // no more input after Close()
    if (extra) {
      SendEof(key);
      Finalize(c, absl::InvalidArgumentError("a multi-part message (a frame is one part)"));
      return;
    }
    if (body.size() == 0) {
      Finalize(c, absl::OkStatus());  // goodbye
      return;
    }
    absl::string_view bytes(static_cast<const char*>(body.data()), body.size());
    absl::StatusOr<wire::FrameView> f = wire::ParseFrame(bytes, options_.max_frame_len);
    if (!f.ok()) {
      SendEof(key);
      Finalize(c, f.status());
      return;
    }
    wire::Frame frame{f->header, std::string(f->payload)};
    if (c->receiver != nullptr) c->receiver->OnFrame(std::move(frame));
  }

  // Monitor events: ACCEPTED starts a new epoch of a descriptor number;
  // DISCONNECTED ends the current one (applied by ApplyDisconnects).
  void DrainMonitor() {
    for (;;) {
      zmq::message_t ev;
      zmq::message_t addr;
      try {
        if (!monitor_->recv(ev, zmq::recv_flags::dontwait)) return;
        if (ev.more()) (void)monitor_->recv(addr, zmq::recv_flags::none);
      } catch (const zmq::error_t&) {
        return;
      }
      if (ev.size() < 6) continue;
      uint16_t event;
      int32_t value;
      std::memcpy(&event, ev.data(), sizeof(event));
      std::memcpy(&value, static_cast<const char*>(ev.data()) + 2, sizeof(value));
      if (event == ZMQ_EVENT_ACCEPTED) {
        ++epochs_[value];
        // For a refusal's log line (the events of a failed handshake do not
        // carry the peer): read now, while the descriptor is that peer's.
        addresses_[value] = PeerAddressOf(value);
      } else if (event == ZMQ_EVENT_DISCONNECTED) {
        disconnects_.push_back(Link{value, epochs_[value]});
        if (failed_event_ != 0) LogHandshakeFailure(addresses_[value]);
        addresses_.erase(value);
      } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                 event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        // The connection's DISCONNECTED follows at once (one I/O thread:
        // nothing comes between); the line waits for its descriptor.
        failed_event_ = event;
        failed_value_ = value;
      }
    }
  }

  // A handshake that failed before (or without) our ZAP handler: once per
  // peer address and reason. Keys our handler refused were logged by the
  // authorize callback.
  void LogHandshakeFailure(const std::string& address) {
    const uint16_t event = failed_event_;
    const int32_t value = failed_value_;
    failed_event_ = 0;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return;
    const bool curve = zap_ != nullptr;
    std::string why;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      why = curve ? "the client does not use CURVE (a client needs the server's public key)"
                  : "the client uses CURVE, which this server does not";
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
               value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) {
      why = "the CURVE handshake failed (the client has a wrong server public key?)";
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
      why = absl::StrCat("the ZeroMQ handshake failed (protocol error 0x",
                         absl::Hex(uint32_t(value)), ")");
    } else {
      why = absl::StrCat("the ZeroMQ handshake failed (", zmq_strerror(value),
                         curve ? "; a client without CURVE, or with a wrong server public key?"
                               : "",
                         ")");
    }
    // (A tcp peer that was gone before its ACCEPTED was read has no
    // address: such failures share one line.)
    const std::string who = absl::StrCat(
        url_.scheme == Scheme::kZmqIpc ? "zmq+ipc" : "zmq+tcp",
        address.empty() ? (url_.scheme == Scheme::kZmqIpc ? "" : " (address unknown)") : " ",
        address);
    const std::string remember = absl::StrCat(who, "\n", why);
    if (logged_failures_.size() >= kMaxRememberedFailures ||
        !logged_failures_.insert(remember).second) {
      return;
    }
    Log(absl::StrCat(who, ": refused: ", why, "; further such failures of ", who,
                     " are not logged"));
  }

  // One ZAP request (RFC 27), answered at once: version, request id,
  // domain, address, routing id, mechanism, credentials (CURVE: the
  // client's 32-byte public key). The reply's user id is the key in Z85,
  // which the connection's messages then carry ("User-Id").
  void ServeZap() {
    for (;;) {
      std::vector<zmq::message_t> parts;
      try {
        zmq::message_t m;
        if (!zap_->recv(m, zmq::recv_flags::dontwait)) return;
        bool more = m.more();
        parts.push_back(std::move(m));
        while (more) {
          zmq::message_t next;
          (void)zap_->recv(next, zmq::recv_flags::none);
          more = next.more();
          parts.push_back(std::move(next));
        }
      } catch (const zmq::error_t& e) {
        Log(absl::StrCat("ZAP recv: ", e.what()));
        return;
      }
      std::string status = "400";
      std::string text = "malformed ZAP request";
      std::string user;
      const std::string request_id = parts.size() > 1 ? parts[1].to_string() : "";
      if (parts.size() >= 7 && parts[0].to_string() == "1.0" &&
          parts[5].to_string() == "CURVE" && parts[6].size() == 32) {
        char z85[41];
        zmq_z85_encode(z85, static_cast<const uint8_t*>(parts[6].data()), 32);
        const std::string address = parts[3].to_string();
        const bool ok = !options_.curve_authorize || options_.curve_authorize(z85, address);
        if (ok) {
          status = "200";
          text = "OK";
          user = z85;
        } else {
          text = "key not allowed";
        }
      } else {
        Log("ZAP: a malformed request (not CURVE 1.0); refused");
      }
      try {
        const std::string version = "1.0";
        zap_->send(zmq::buffer(version), zmq::send_flags::sndmore);
        zap_->send(zmq::buffer(request_id), zmq::send_flags::sndmore);
        zap_->send(zmq::buffer(status), zmq::send_flags::sndmore);
        zap_->send(zmq::buffer(text), zmq::send_flags::sndmore);
        zap_->send(zmq::buffer(user), zmq::send_flags::sndmore);
        zap_->send(zmq::const_buffer(nullptr, 0), zmq::send_flags::none);
      } catch (const zmq::error_t& e) {
        Log(absl::StrCat("ZAP send: ", e.what()));
        return;
      }
    }
  }

  void ApplyDisconnects() {
    DrainMonitor();
    std::vector<Link> links;
    links.swap(disconnects_);
    for (const Link& link : links) {
      auto it = link_ids_.find(link);
      if (it == link_ids_.end()) continue;
      std::set<std::string> ids = std::move(it->second);
      link_ids_.erase(it);
      for (const std::string& id : ids) {
        auto c = conns_.find(id);
        if (c != conns_.end()) {
          std::shared_ptr<ZmqConn> conn = c->second;
          Finalize(conn, absl::OkStatus());
        }
        closed_ids_.erase(id);
      }
    }
  }

  void FlushOutput() {
    for (;;) {
      std::deque<OutItem> items;
      {
        std::lock_guard<std::mutex> lock(loop_.mu());
        if (out_.empty()) return;
        items.swap(out_);
      }
      for (OutItem& item : items) {
        switch (item.kind) {
          case OutItem::kCommand:
            item.command();
            break;
          case OutItem::kClose:
            if (item.conn->finalized()) break;
            SendEof(item.conn->id());
            Finalize(item.conn, absl::OkStatus());
            break;
          case OutItem::kData:
            if (item.conn->finalized()) break;
            if (absl::Status s = SendRaw(item.conn->id(), item.bytes); !s.ok()) {
              Finalize(item.conn, s);
            }
            break;
        }
      }
    }
  }

  // The empty message that tells a client its connection is closed.
  void SendEof(const std::string& id) { (void)SendRaw(id, std::string()); }

  // One message to identity `id`.
  absl::Status SendRaw(const std::string& id, const std::string& bytes) {
    try {
      zmq::message_t idmsg(id.data(), id.size());
      zmq::message_t body(bytes.data(), bytes.size());
      if (!router_->send(idmsg, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "the peer left more than ", kZmqMaxUnreadMessages, " messages unread"));
      }
      (void)router_->send(body, zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EHOSTUNREACH) return absl::UnavailableError("the peer is gone");
      return absl::UnavailableError(absl::StrCat("zmq send: ", e.what()));
    }
    return absl::OkStatus();
  }

  void Finalize(const std::shared_ptr<ZmqConn>& c, const absl::Status& why) {
    if (c->finalized_.exchange(true)) return;
    c->closing_.store(true, std::memory_order_release);
    conns_.erase(c->id());
    // Until its connection goes, the identity stays known as closed.
    if (link_ids_.count(c->link) != 0) closed_ids_.insert(c->id());
    std::shared_ptr<Receiver> r = std::move(c->receiver);
    if (r != nullptr) r->OnClosed(why);
  }

  std::mutex sockets_mu_;
  std::unique_ptr<zmq::context_t> ctx_;
  std::unique_ptr<zmq::socket_t> router_;
  std::unique_ptr<zmq::socket_t> monitor_;
  std::unique_ptr<zmq::socket_t> zap_;  // the ZAP handler (REP), with CURVE only
  std::deque<OutItem> out_;  // guarded by loop_.mu()

  // --- listener thread only (or before Start / after the thread ended)
  std::unordered_map<std::string, std::shared_ptr<ZmqConn>> conns_;
  // libzmq's connections, as (descriptor, epoch): the identities seen on
  // each (open or closed), the closed identities, the epoch of each
  // descriptor number, and disconnects not yet applied.
  std::map<Link, std::set<std::string>> link_ids_;
  std::set<std::string> closed_ids_;
  std::map<int, uint64_t> epochs_;
  std::vector<Link> disconnects_;
  // Peer addresses by descriptor (from ACCEPTED), the handshake failure
  // waiting for its DISCONNECTED, and the failures already logged.
  std::map<int, std::string> addresses_;
  uint16_t failed_event_ = 0;
  int32_t failed_value_ = 0;
  std::set<std::string> logged_failures_;
  bool accepting_ = true;
  bool stop_ = false;
  int linger_ms_ = 0;
  bool busy_ = false;
};

void ZmqConn::Send(std::string bytes) {
  if (bytes.empty() || closing() || finalized()) return;
  OutItem item;
  item.kind = OutItem::kData;
  item.conn = shared_from_this();
  item.bytes = std::move(bytes);
  owner_->Enqueue(std::move(item));
}

void ZmqConn::Close() {
  if (finalized() || closing_.exchange(true)) return;
  OutItem item;
  item.kind = OutItem::kClose;
  item.conn = shared_from_this();
  owner_->Enqueue(std::move(item));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> OpenZmqListener(const Url& url,
                                                          ListenerOptions options) {
  if (url.scheme != Scheme::kZmqTcp && url.scheme != Scheme::kZmqIpc) {
    return absl::InvalidArgumentError(
        absl::StrCat("rump_sp: ", url.text, " is not a zmq+tcp:// or zmq+ipc:// URL"));
  }
  if (url.scheme == Scheme::kZmqIpc) {
    // libzmq would remove whatever is at the path; refuse a live server's
    // socket and anything that is not a socket first.
    if (absl::Status s = internal::FreeSocketPath(url.text, url.path, options.log); !s.ok()) {
      return s;
    }
  }
  std::unique_ptr<zmq::context_t> ctx;
  std::unique_ptr<zmq::socket_t> router;
  std::unique_ptr<zmq::socket_t> monitor;
  std::unique_ptr<zmq::socket_t> zap;
  std::string bound;
  const bool curve = !options.curve_secret_key.empty();
  if (curve && !IsZ85Key(options.curve_secret_key)) {
    return HostError(EINVAL, absl::StrCat("rump_sp: ", url.text,
                                          ": the CURVE secret key is not 40 Z85 characters"));
  }
  if (curve && zmq_has("curve") == 0) {
    return HostError(EOPNOTSUPP,
                     absl::StrCat("rump_sp: ", url.text, ": this libzmq has no CURVE support"));
  }
  try {
    ctx = std::make_unique<zmq::context_t>(1);
    if (curve) {
      // The ZAP handler is bound before the ROUTER accepts anyone: with no
      // handler bound, libzmq would admit every CURVE client unchecked.
      zap = std::make_unique<zmq::socket_t>(*ctx, zmq::socket_type::rep);
      zap->set(zmq::sockopt::linger, 0);
      zap->bind(kZapEndpoint);
    }
    router = std::make_unique<zmq::socket_t>(*ctx, zmq::socket_type::router);
    if (curve) {
      router->set(zmq::sockopt::curve_server, 1);
      router->set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
      router->set(zmq::sockopt::zap_domain, kZapDomain);
    }
    router->set(zmq::sockopt::router_mandatory, 1);
    router->set(zmq::sockopt::sndhwm, kZmqMaxUnreadMessages);
    router->set(zmq::sockopt::maxmsgsize, int64_t(options.max_frame_len));
    router->set(zmq::sockopt::linger, 0);
    if (url.ipv6) router->set(zmq::sockopt::ipv6, 1);
    const std::string mon_endpoint =
        absl::StrCat("inproc://rump-sp-monitor-", reinterpret_cast<uintptr_t>(router.get()));
    constexpr int kEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                            ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                            ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(router->handle(), mon_endpoint.c_str(), kEvents) != 0) {
      throw zmq::error_t();
    }
    monitor = std::make_unique<zmq::socket_t>(*ctx, zmq::socket_type::pair);
    monitor->set(zmq::sockopt::rcvhwm, 0);
    monitor->connect(mon_endpoint);
    router->bind(url.zmq_endpoint);
    bound = router->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    const int err = e.num() > 0 ? e.num() : EINVAL;
    if (router) {
      zmq_socket_monitor(router->handle(), nullptr, 0);
    }
    monitor.reset();
    router.reset();
    zap.reset();
    ctx.reset();
    return HostError(err, absl::StrCat("rump_sp: failed to bind to URL ", url.text, ": ",
                                       zmq_strerror(err)));
  }
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    const int e = errno;
    return HostError(e, absl::StrCat("rump_sp: eventfd: ", std::strerror(e)));
  }
  internal::FileId file_id;
  if (url.scheme == Scheme::kZmqIpc) file_id = internal::IdOfFile(url.path);
  return std::unique_ptr<Listener>(new ZmqListener(url, std::move(options), std::move(ctx),
                                                   std::move(router), std::move(monitor),
                                                   std::move(zap), wake,
                                                   absl::StrCat("zmq+", bound), file_id));
}

}  // namespace sp::transport
