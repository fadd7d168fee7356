#include "sp/transport/stream_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "sp/transport/listener_loop.h"
#include "sp/transport/socket_file.h"
#include "sp/wire/frame_reader.h"

namespace sp::transport {
namespace {

constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadsPerEvent = 16;             // fairness between connections
// Frames delivered from one connection before the others get a turn: a
// client that sends hundreds of requests at once (they arrive in one read)
// does not hold the loop thread, which runs quick calls inline, for all of
// them while another client's request waits. With 64, another client's
// getpid p99 rose 16-21x under a pipelining flooder (fairness_bench); with
// 8, 3-9x; 4 was no better than 8 (more turns, each costing a loop pass).
constexpr size_t kFramesPerTurn = 8;
constexpr absl::Duration kCloseFlush = absl::Seconds(5);  // Close(): time to drain output
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);  // after EMFILE & co.
constexpr absl::Duration kBusyPoll = absl::Microseconds(50);  // see Loop()

std::string ErrnoText(int e) { return std::strerror(e); }

std::string PeerName(Scheme scheme, int fd, const sockaddr_storage& ss) {
  if (scheme == Scheme::kUnix) return absl::StrCat("unix #", fd);
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("tcp [", buf, "]:", ntohs(sin6->sin6_port));
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
  return absl::StrCat("tcp ", buf, ":", ntohs(sin->sin_port));
}

// The supplementary groups of a unix socket's peer (SO_PEERGROUPS, Linux
// 4.13 and later: the groups it had when it connected). A buffer too small
// gives ERANGE and the length needed; the list is read again with that.
// On failure `id` gets no groups and the reason in groups_error.
void ReadPeerGroups(int fd, PeerIdentity& id) {
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
      groups.resize(len / sizeof(gid_t));
      id.groups = std::move(groups);
      return;
    }
    const int e = errno;
    if (e != ERANGE || len / sizeof(gid_t) <= groups.size()) {
      id.groups_error = absl::StrCat("SO_PEERGROUPS: ", ErrnoText(e));
      return;
    }
    groups.resize(len / sizeof(gid_t));  // the length needed
  }
  // Not reached on Linux (the list is fixed when the peer connects).
  id.groups_error = "SO_PEERGROUPS: the needed length kept changing";
}

// A unix socket's peer is the process that connected (its ids then);
// anything else is anonymous.
PeerIdentity IdentityOf(Scheme scheme, int fd) {
  PeerIdentity id;
  if (scheme != Scheme::kUnix) return id;
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
    return id;  // no ids: treated as anonymous
  }
  id.kind = PeerIdentity::Kind::kUnix;
  id.pid = cred.pid;
  id.uid = cred.uid;
  id.gid = cred.gid;
  ReadPeerGroups(fd, id);
  return id;
}

class StreamListener;

class StreamConn final : public Connection, public std::enable_shared_from_this<StreamConn> {
 public:
  StreamConn(StreamListener* owner, uint64_t id, int fd, std::string peer,
             PeerIdentity identity, uint64_t max_frame_len, size_t max_backlog)
      : reader(max_frame_len),
        owner_(owner),
        id_(id),
        peer_(std::move(peer)),
        identity_(identity),
        max_backlog_(max_backlog),
        fd_(fd) {}

  void Send(std::string bytes) override;
  void Close() override;
  const std::string& peer() const override { return peer_; }
  const PeerIdentity& identity() const override { return identity_; }
  bool ReadAhead(absl::Duration window) override;

  uint64_t id() const { return id_; }
  bool closing() const { return closing_.load(std::memory_order_acquire); }

  // --- reading: by the loop thread, or by a thread reading ahead
  // (ReadAhead), whichever holds read_mu. Lock order: read_mu, then mu_.
  std::mutex read_mu;
  wire::FrameReader reader;
  std::shared_ptr<Receiver> receiver;  // set before the first read; reset by Finalize

  // --- loop thread only
  absl::Time close_deadline = absl::InfiniteFuture();
  // Complete frames are waiting in `reader` for another turn (kFramesPerTurn):
  // the connection is in the listener's backlog and is not read meanwhile.
  bool backlogged = false;

 private:
  friend class StreamListener;

  // Registers the interest the state asks for. Requires mu_.
  void UpdateInterestLocked();
  // Marks the connection broken (closed at once by the loop). Requires mu_.
  void BreakLocked(absl::Status why);
  // ReadAhead's reading, with read_mu held: true once a frame was delivered.
  bool ReadAheadLocked(absl::Time until);

  StreamListener* const owner_;
  const uint64_t id_;
  const std::string peer_;
  const PeerIdentity identity_;
  const size_t max_backlog_;
  std::atomic<bool> closing_{false};  // Close() asked: no more frames

  std::mutex mu_;
  int fd_;                   // -1 once closed
  std::string out_;          // queued output, from out_off_
  size_t out_off_ = 0;
  bool want_out_ = false;    // EPOLLOUT registered
  bool reading_ = true;      // EPOLLIN registered (unless ahead_)
  bool ahead_ = false;       // a thread reads ahead: EPOLLIN left out meanwhile
  bool broken_ = false;      // a send failed or the backlog overflowed
  absl::Status broken_why_;
};

class StreamListener final : public internal::LoopListener {
 public:
  StreamListener(Url url, ListenerOptions options, int listen_fd, int epoll_fd, int wake_fd,
                 std::string bound_url, internal::FileId file_id)
      : LoopListener(std::move(url), std::move(options), wake_fd, std::move(bound_url), file_id),
        listen_fd_(listen_fd),
        epoll_fd_(epoll_fd) {}

  ~StreamListener() override {
    Shutdown(absl::ZeroDuration());
    close(epoll_fd_);
  }

  void Shutdown(absl::Duration flush) override {
    RunInLoop([this, flush] {
      StopAcceptingInLoop();
      shutting_down_ = true;
      shutdown_deadline_ = absl::Now() + flush;
      std::vector<std::shared_ptr<StreamConn>> all;
      for (auto& [id, c] : conns_) all.push_back(c);
      for (auto& c : all) {
        c->closing_.store(true, std::memory_order_release);
        c->close_deadline = std::min(c->close_deadline, shutdown_deadline_);
        MaybeFinishClose(c);
      }
    });
    loop_.Join();
  }

  // Queues `c` for the loop's attention (closing or broken) and wakes it.
  void Post(std::shared_ptr<StreamConn> c) {
    {
      std::lock_guard<std::mutex> lock(loop_.mu());
      posted_.push_back(std::move(c));
    }
    Wake();
  }

  int epoll_fd() const { return epoll_fd_; }

 private:
  void PostCommandLocked(std::function<void()> command) override {
    commands_.push_back(std::move(command));
    Wake();
  }

  void StopAcceptingInLoop() override {
    if (listen_fd_ < 0) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
    close(listen_fd_);
    listen_fd_ = -1;
    if (url_.scheme == Scheme::kUnix) internal::RemoveIfSame(url_.path, file_id_);
  }

  void Loop() override {
    epoll_event events[64];
    for (;;) {
      int timeout_ms = -1;
      absl::Time next = absl::InfiniteFuture();
      if (accept_paused_) next = std::min(next, accept_resume_);
      for (uint64_t id : closing_ids_) {
        auto it = conns_.find(id);
        if (it != conns_.end()) next = std::min(next, it->second->close_deadline);
      }
      if (shutting_down_) next = std::min(next, shutdown_deadline_);
      if (next != absl::InfiniteFuture()) {
        const absl::Duration d = next - absl::Now();
        timeout_ms = d <= absl::ZeroDuration()
                         ? 0
                         : int(std::min<int64_t>(absl::ToInt64Milliseconds(d) + 1, 60000));
      }
      if (!backlog_.empty()) timeout_ms = 0;  // frames are waiting for a turn
      int n = 0;
      if (busy_ && backlog_.empty()) {
        // Frames came in last time: a busy client's next request usually
        // follows within microseconds. Watch for it a moment before
        // sleeping (a wake-up costs more than a getpid), yielding the CPU.
        busy_ = false;
        const absl::Time until = absl::Now() + kBusyPoll;
        while ((n = epoll_wait(epoll_fd_, events, 64, 0)) == 0 && absl::Now() < until) {
          std::this_thread::yield();
        }
      }
      if (n == 0) n = epoll_wait(epoll_fd_, events, 64, timeout_ms);
      if (n < 0 && errno != EINTR) {
        Log(absl::StrCat("epoll_wait: ", ErrnoText(errno)));
        break;
      }
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kListenId) {
          Accept();
        } else if (id == kWakeId) {
          uint64_t v;
          (void)!read(wake_fd_, &v, sizeof(v));
        } else {
          auto it = conns_.find(id);
          if (it == conns_.end()) continue;  // finalized earlier in this batch
          std::shared_ptr<StreamConn> c = it->second;
          const uint32_t ev = events[i].events;
          if (ev & EPOLLOUT) OnWritable(c);
          if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) OnReadable(c);
        }
      }
      ServeBacklog();
      RunCommands();
      HandlePosted();
      CheckTimers();
      if (shutting_down_ && (conns_.empty() || absl::Now() >= shutdown_deadline_)) {
        std::vector<std::shared_ptr<StreamConn>> all;
        for (auto& [id, c] : conns_) all.push_back(c);
        for (auto& c : all) Finalize(c, absl::OkStatus());
        break;
      }
    }
    std::vector<std::shared_ptr<StreamConn>> all;
    for (auto& [id, c] : conns_) all.push_back(c);
    for (auto& c : all) Finalize(c, absl::OkStatus());
    // Commands still queued are run by their callers (RunInLoop), now that
    // this thread touches nothing any more.
    loop_.Ended([this] { commands_.clear(); });
  }

  void RunCommands() {
    std::deque<std::function<void()>> cmds;
    {
      std::lock_guard<std::mutex> lock(loop_.mu());
      cmds.swap(commands_);
    }
    for (auto& fn : cmds) fn();
  }

  void HandlePosted() {
    std::vector<std::shared_ptr<StreamConn>> posted;
    {
      std::lock_guard<std::mutex> lock(loop_.mu());
      posted.swap(posted_);
    }
    for (auto& c : posted) {
      if (conns_.find(c->id()) == conns_.end()) continue;
      absl::Status why;
      bool broken;
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        broken = c->broken_;
        why = c->broken_why_;
      }
      if (broken) {
        Finalize(c, why);
        continue;
      }
      if (c->closing()) {
        if (c->close_deadline == absl::InfiniteFuture()) {
          c->close_deadline = absl::Now() + kCloseFlush;
        }
        MaybeFinishClose(c);
      }
    }
  }

  // A closing connection: finalize it once its output is flushed; until
  // then stop reading and wait for EPOLLOUT.
  void MaybeFinishClose(const std::shared_ptr<StreamConn>& c) {
    bool empty;
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      if (c->fd_ < 0) return;
      empty = c->out_off_ == c->out_.size();
      if (!empty) {
        c->reading_ = false;
        c->UpdateInterestLocked();
      }
    }
    if (empty) {
      Finalize(c, absl::OkStatus());
    } else {
      closing_ids_.insert(c->id());
    }
  }

  void CheckTimers() {
    const absl::Time now = absl::Now();
    if (accept_paused_ && now >= accept_resume_ && listen_fd_ >= 0) {
      accept_paused_ = false;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    }
    std::vector<std::shared_ptr<StreamConn>> expired;
    for (auto it = closing_ids_.begin(); it != closing_ids_.end();) {
      auto c = conns_.find(*it);
      if (c == conns_.end()) {
        it = closing_ids_.erase(it);
        continue;
      }
      if (now >= c->second->close_deadline) expired.push_back(c->second);
      ++it;
    }
    for (auto& c : expired) Finalize(c, absl::OkStatus());
  }

  void Accept() {
    for (;;) {
      if (listen_fd_ < 0) return;
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int e = errno;
        if (e == EINTR || e == ECONNABORTED) continue;
        if (e == EAGAIN || e == EWOULDBLOCK) return;
        // Out of descriptors or memory: say so, and stop accepting for a
        // moment rather than spin on a listening socket that stays readable.
        Log(absl::StrCat("accept on ", bound_url_, ": ", ErrnoText(e), "; pausing accept for ",
                         absl::FormatDuration(kAcceptPause)));
        epoll_event ev{};
        ev.data.u64 = kListenId;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused_ = true;
        accept_resume_ = absl::Now() + kAcceptPause;
        return;
      }
      if (url_.scheme == Scheme::kTcp) {
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      }
      const uint64_t id = next_id_++;
      auto c = std::make_shared<StreamConn>(this, id, fd, PeerName(url_.scheme, fd, ss),
                                            IdentityOf(url_.scheme, fd), options_.max_frame_len,
                                            options_.max_output_backlog);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = id;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        Log(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
        close(fd);
        continue;
      }
      conns_[id] = c;
      std::shared_ptr<Receiver> r = acceptor_ != nullptr ? acceptor_->OnAccept(c) : nullptr;
      if (r == nullptr) {
        Finalize(c, absl::OkStatus());
        continue;
      }
      std::lock_guard<std::mutex> read_lock(c->read_mu);
      c->receiver = std::move(r);
    }
  }

  void OnReadable(const std::shared_ptr<StreamConn>& c) {
    if (c->closing()) {
      // Not reading any more; a hang-up while flushing ends the connection.
      bool reading;
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        reading = c->reading_;
      }
      if (!reading) {
        Finalize(c, absl::OkStatus());
        return;
      }
    }
    // Frames of it wait for their turn: nothing more is read until they
    // are delivered (the end of the stream is seen then too).
    if (c->backlogged) return;
    // A thread reading ahead has the connection: it gives EPOLLIN back when
    // done, and what is left to read is reported again then.
    std::unique_lock<std::mutex> read_lock(c->read_mu, std::try_to_lock);
    if (!read_lock.owns_lock()) return;
    char buf[kReadChunk];
    for (int i = 0; i < kReadsPerEvent; ++i) {
      int fd;
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        fd = c->fd_;
      }
      if (fd < 0) return;
      const ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        const absl::Status fed = c->reader.Feed(absl::string_view(buf, size_t(n)));
        const bool more = Deliver(c);
        if (!fed.ok() && !more) {
          read_lock.unlock();
          Finalize(c, fed);
          return;
        }
        if (conns_.find(c->id()) == conns_.end() || c->closing()) return;
        if (more) {
          // The rest waits for its turn (a bad header after them ends the
          // connection once they are delivered).
          c->backlogged = true;
          backlog_.push_back(c->id());
          return;
        }
        if (size_t(n) < sizeof(buf)) return;
        continue;
      }
      if (n == 0) {
        absl::Status end = c->reader.Finish();
        if (!end.ok()) {
          end = absl::DataLossError(absl::StrCat("the stream ended inside a frame: ", end.message()));
        }
        read_lock.unlock();
        Finalize(c, end);
        return;
      }
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      read_lock.unlock();
      Finalize(c, absl::UnavailableError(absl::StrCat("recv: ", ErrnoText(e))));
      return;
    }
  }

  // Delivers up to kFramesPerTurn complete frames of `c` (read_mu held);
  // true if more are ready for another turn.
  bool Deliver(const std::shared_ptr<StreamConn>& c) {
    for (size_t i = 0; i < kFramesPerTurn; ++i) {
      if (c->closing() || c->receiver == nullptr) return false;
      std::optional<wire::Frame> f = c->reader.Next();
      if (!f) return false;
      busy_ = true;
      c->receiver->OnFrame(std::move(*f));
      if (conns_.find(c->id()) == conns_.end()) return false;
    }
    return c->reader.ready() > 0 && !c->closing();
  }

  // One turn for each backlogged connection, in order.
  void ServeBacklog() {
    for (size_t n = backlog_.size(); n > 0; --n) {
      const uint64_t id = backlog_.front();
      backlog_.pop_front();
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      std::shared_ptr<StreamConn> c = it->second;
      std::unique_lock<std::mutex> read_lock(c->read_mu, std::try_to_lock);
      if (!read_lock.owns_lock()) {  // a thread reading ahead delivers them
        backlog_.push_back(id);
        continue;
      }
      if (Deliver(c)) {
        backlog_.push_back(id);
        continue;
      }
      c->backlogged = false;
      const absl::Status& bad = c->reader.status();
      if (!bad.ok() && conns_.count(id) != 0 && !c->closing()) {
        const absl::Status why = bad;
        read_lock.unlock();
        Finalize(c, why);
        continue;
      }
      // Reading resumes: level-triggered epoll reports what is waiting.
    }
  }

  void OnWritable(const std::shared_ptr<StreamConn>& c) {
    bool finished_closing = false;
    {
      std::lock_guard<std::mutex> lock(c->mu_);
      if (c->fd_ < 0) return;
      while (c->out_off_ < c->out_.size()) {
        const ssize_t n = send(c->fd_, c->out_.data() + c->out_off_, c->out_.size() - c->out_off_,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          c->out_off_ += size_t(n);
          continue;
        }
        const int e = errno;
        if (n < 0 && e == EINTR) continue;
        if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK)) break;
        c->BreakLocked(absl::UnavailableError(absl::StrCat("send: ", ErrnoText(e))));
        break;
      }
      if (!c->broken_ && c->out_off_ == c->out_.size()) {
        c->out_.clear();
        c->out_off_ = 0;
        c->want_out_ = false;
        if (c->closing()) {
          finished_closing = true;
        } else {
          c->UpdateInterestLocked();
        }
      } else if (c->out_off_ > (size_t{1} << 20) && c->out_off_ > c->out_.size() / 2) {
        c->out_.erase(0, c->out_off_);
        c->out_off_ = 0;
      }
    }
    // A broken connection was posted by BreakLocked; the loop finalizes it.
    if (finished_closing) Finalize(c, absl::OkStatus());
  }

  // Closes the connection for good and tells its receiver. Loop thread,
  // without c->read_mu (a thread reading ahead is waited for).
  void Finalize(const std::shared_ptr<StreamConn>& c, const absl::Status& why) {
    std::shared_ptr<Receiver> r;
    {
      std::lock_guard<std::mutex> read_lock(c->read_mu);
      {
        std::lock_guard<std::mutex> lock(c->mu_);
        if (c->fd_ >= 0) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd_, nullptr);
          close(c->fd_);
          c->fd_ = -1;
        }
        c->out_.clear();
        c->out_.shrink_to_fit();
        c->out_off_ = 0;
      }
      c->closing_.store(true, std::memory_order_release);
      r = std::move(c->receiver);
    }
    conns_.erase(c->id());
    closing_ids_.erase(c->id());
    if (r != nullptr) r->OnClosed(why);
  }

  int listen_fd_;  // loop thread (or before Start); -1 once closed
  const int epoll_fd_;

  // Guarded by loop_.mu().
  std::deque<std::function<void()>> commands_;
  std::vector<std::shared_ptr<StreamConn>> posted_;

  // --- loop thread only
  std::unordered_map<uint64_t, std::shared_ptr<StreamConn>> conns_;
  std::unordered_set<uint64_t> closing_ids_;
  uint64_t next_id_ = 2;
  std::deque<uint64_t> backlog_;  // connections with frames waiting for a turn
  bool accept_paused_ = false;
  absl::Time accept_resume_;
  bool shutting_down_ = false;
  absl::Time shutdown_deadline_ = absl::InfiniteFuture();
  bool busy_ = false;  // frames were delivered in the last round
};

void StreamConn::UpdateInterestLocked() {
  if (fd_ < 0) return;
  epoll_event ev{};
  ev.events = (reading_ && !ahead_ ? uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) |
              (want_out_ ? uint32_t{EPOLLOUT} : 0u);
  ev.data.u64 = id_;
  epoll_ctl(owner_->epoll_fd(), EPOLL_CTL_MOD, fd_, &ev);
}

void StreamConn::BreakLocked(absl::Status why) {
  if (broken_) return;
  broken_ = true;
  broken_why_ = std::move(why);
  out_.clear();
  out_off_ = 0;
  owner_->Post(shared_from_this());
}

void StreamConn::Send(std::string bytes) {
  if (bytes.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0 || broken_ || closing()) return;
  if (out_off_ == out_.size()) {
    // Nothing queued: write directly.
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        done += size_t(n);
        continue;
      }
      const int e = errno;
      if (n < 0 && e == EINTR) continue;
      if (n < 0 && (e == EAGAIN || e == EWOULDBLOCK)) break;
      BreakLocked(absl::UnavailableError(absl::StrCat("send: ", ErrnoText(e))));
      return;
    }
    if (done == bytes.size()) return;
    out_.assign(bytes, done, std::string::npos);
    out_off_ = 0;
  } else {
    out_.append(bytes);
  }
  if (out_.size() - out_off_ > max_backlog_) {
    BreakLocked(absl::ResourceExhaustedError(
        absl::StrCat("the peer left more than ", max_backlog_, " bytes unread")));
    return;
  }
  if (!want_out_) {
    want_out_ = true;
    UpdateInterestLocked();
  }
}

bool StreamConn::ReadAhead(absl::Duration window) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || broken_ || !reading_ || ahead_ || closing()) return false;
    ahead_ = true;
    UpdateInterestLocked();
  }
  bool delivered = false;
  // The loop thread may still be finishing the read that delivered the call
  // just answered: it lets go within microseconds (delivery never blocks).
  const absl::Time until = absl::Now() + window;
  std::unique_lock<std::mutex> read_lock(read_mu, std::try_to_lock);
  while (!read_lock.owns_lock() && absl::Now() < until && !closing()) {
    std::this_thread::yield();
    read_lock.try_lock();
  }
  if (read_lock.owns_lock()) delivered = ReadAheadLocked(until);
  // Give EPOLLIN back (with read_mu still held: Finalize cannot close the
  // socket in between); level-triggered, it reports anything left.
  std::lock_guard<std::mutex> lock(mu_);
  ahead_ = false;
  UpdateInterestLocked();
  return delivered;
}

bool StreamConn::ReadAheadLocked(absl::Time until) {
  // Frames left for another turn by the loop thread come first.
  bool buffered = false;
  while (!closing() && receiver != nullptr && reader.ready() > 0) {
    std::optional<wire::Frame> f = reader.Next();
    receiver->OnFrame(std::move(*f));
    buffered = true;
  }
  if (buffered) return true;
  char buf[16 * 1024];
  for (;;) {
    int fd;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fd = fd_;
    }
    if (fd < 0 || closing() || receiver == nullptr) return false;
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      const absl::Status fed = reader.Feed(absl::string_view(buf, size_t(n)));
      bool delivered = false;
      while (!closing() && receiver != nullptr) {
        std::optional<wire::Frame> f = reader.Next();
        if (!f) break;
        receiver->OnFrame(std::move(*f));
        delivered = true;
      }
      if (!fed.ok()) {
        // The loop thread ends the connection, as when it reads the bytes.
        std::lock_guard<std::mutex> lock(mu_);
        BreakLocked(fed);
        return delivered;
      }
      if (delivered) return true;
      continue;  // part of a frame: the rest is on its way
    }
    if (n < 0 && errno == EINTR) continue;
    // The end of the stream or an error: the loop thread finds it too.
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    if (absl::Now() >= until) return false;
    std::this_thread::yield();
  }
}

void StreamConn::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ < 0 || closing()) return;
    closing_.store(true, std::memory_order_release);
  }
  owner_->Post(shared_from_this());
}

std::string TcpBoundUrl(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "tcp://?";
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("tcp://[", buf, "]:", ntohs(sin6->sin6_port), "/");
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
  return absl::StrCat("tcp://", buf, ":", ntohs(sin->sin_port), "/");
}

// Binds `fd` to url.path with the socket file's mode and owner already
// set when the file appears there: the socket is bound inside a new private
// directory (mode 0700) beside the path, given its mode and owner, then
// renamed into place (never over an existing file).
absl::Status BindWithMode(int fd, const Url& url, const ListenerOptions& options) {
  auto fail = [&](int e, const std::string& what) {
    return HostError(e, absl::StrCat("rump_sp: failed to bind to URL ", url.text, ": ", what,
                                     ": ", ErrnoText(e)));
  };
  const size_t slash = url.path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : url.path.substr(0, slash);
  std::string private_dir = absl::StrCat(dir, "/.rump_sp.XXXXXX");
  const std::string probe = absl::StrCat(private_dir, "/s");
  sockaddr_un sun{};
  if (probe.size() >= sizeof(sun.sun_path)) {
    return HostError(ENAMETOOLONG,
                     absl::StrCat("rump_sp: failed to bind to URL ", url.text,
                                  ": setting the socket's mode or owner binds it first at ",
                                  probe, ", which is longer than ", sizeof(sun.sun_path) - 1,
                                  " bytes; use a shorter path"));
  }
  if (mkdtemp(private_dir.data()) == nullptr) return fail(errno, "mkdtemp in " + dir);
  const std::string tmp = absl::StrCat(private_dir, "/s");
  auto cleanup = [&] {
    unlink(tmp.c_str());
    rmdir(private_dir.c_str());
  };
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, tmp.data(), tmp.size());
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sun),
           socklen_t(offsetof(sockaddr_un, sun_path) + tmp.size() + 1)) != 0) {
    const int e = errno;
    rmdir(private_dir.c_str());
    return fail(e, "bind");
  }
  if (options.socket_mode >= 0 && chmod(tmp.c_str(), mode_t(options.socket_mode)) != 0) {
    const int e = errno;
    cleanup();
    return fail(e, absl::StrCat("chmod ", absl::StrFormat("%04o", options.socket_mode)));
  }
  if ((options.socket_uid >= 0 || options.socket_gid >= 0) &&
      chown(tmp.c_str(), options.socket_uid >= 0 ? uid_t(options.socket_uid) : uid_t(-1),
            options.socket_gid >= 0 ? gid_t(options.socket_gid) : gid_t(-1)) != 0) {
    const int e = errno;
    cleanup();
    return fail(e, absl::StrCat("chown ", options.socket_uid, ":", options.socket_gid));
  }
  if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, url.path.c_str(), RENAME_NOREPLACE) != 0) {
    const int e = errno;
    cleanup();
    if (e == EEXIST) {
      return HostError(EADDRINUSE, absl::StrCat("rump_sp: failed to bind to URL ", url.text, ": ",
                                                url.path, " was created by someone else meanwhile"));
    }
    return fail(e, "rename into place");
  }
  rmdir(private_dir.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> OpenStreamListener(const Url& url,
                                                             ListenerOptions options) {
  if (url.scheme != Scheme::kUnix && url.scheme != Scheme::kTcp) {
    return absl::InvalidArgumentError(
        absl::StrCat("rump_sp: ", url.text, " is not a unix:// or tcp:// URL"));
  }
  absl::StatusOr<SocketAddress> addr = SocketAddressOf(url);
  if (!addr.ok()) return addr.status();
  auto fail = [&](int e, const std::string& what) {
    return HostError(e, absl::StrCat("rump_sp: failed to bind to URL ", url.text, ": ", what, ": ",
                                     ErrnoText(e)));
  };
  if (url.scheme == Scheme::kUnix) {
    if (absl::Status s = internal::FreeSocketPath(url.text, url.path, options.log); !s.ok()) {
      return s;
    }
  }
  const int fd = socket(addr->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno, "socket");
  if (url.scheme == Scheme::kTcp) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  const bool set_file = url.scheme == Scheme::kUnix &&
                        (options.socket_mode >= 0 || options.socket_uid >= 0 ||
                         options.socket_gid >= 0);
  if (set_file) {
    if (absl::Status s = BindWithMode(fd, url, options); !s.ok()) {
      close(fd);
      return s;
    }
  } else if (bind(fd, addr->get(), addr->len) != 0) {
    const int e = errno;
    close(fd);
    if (e == EADDRINUSE && url.scheme == Scheme::kUnix) {
      return HostError(e, absl::StrCat("rump_sp: failed to bind to URL ", url.text, ": ",
                                       url.path, " was created by someone else meanwhile"));
    }
    return fail(e, "bind");
  }
  internal::FileId file_id;
  if (url.scheme == Scheme::kUnix) file_id = internal::IdOfFile(url.path);
  auto undo = [&] {
    close(fd);
    if (url.scheme == Scheme::kUnix) internal::RemoveIfSame(url.path, file_id);
  };
  if (listen(fd, options.backlog) != 0) {
    const int e = errno;
    undo();
    return fail(e, "listen");
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    const int e = errno;
    undo();
    return fail(e, "epoll_create1");
  }
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    const int e = errno;
    close(ep);
    undo();
    return fail(e, "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(ep, EPOLL_CTL_ADD, wake, &ev);
  std::string bound =
      url.scheme == Scheme::kUnix ? absl::StrCat("unix://", url.path) : TcpBoundUrl(fd);
  return std::unique_ptr<Listener>(
      new StreamListener(url, std::move(options), fd, ep, wake, std::move(bound), file_id));
}

}  // namespace sp::transport
