// Transport tests: listeners move frames and nothing else. An echo acceptor
// stands in for the session.
#include "sp/transport/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sp/testing/server_fixture.h"
#include "sp/transport/url.h"
#include "sp/transport/zmq_listener.h"
#include "sp/wire/encode.h"
#include "sp/wire/frame_reader.h"

namespace sp::transport {
namespace {

constexpr char kBanner[] = "BANNER\n";

// Echoes every frame; records how connections ended.
class Echo final : public Acceptor {
 public:
  class Rx final : public Receiver {
   public:
    Rx(Echo* owner, std::shared_ptr<Connection> c) : owner_(owner), conn_(std::move(c)) {}
    void OnFrame(wire::Frame f) override {
      if (f.header.type == 99) {  // "please close"
        conn_->Send(wire::EncodeFrame(f.header.reqno, 1, 99, 0, {}));
        conn_->Close();
        return;
      }
      if (f.header.type == 98) {  // "flood me": u frames of 64 KiB
        const std::string big(64 * 1024 - 24, 'x');
        for (uint32_t i = 0; i < f.header.u; ++i) conn_->Send(wire::EncodeFrame(i, 1, 98, 0, {big}));
        return;
      }
      std::string out(wire::kHeaderSize, '\0');
      wire::EncodeHeader(f.header, reinterpret_cast<uint8_t*>(out.data()));
      out += f.payload;
      conn_->Send(std::move(out));
    }
    void OnClosed(const absl::Status& why) override { owner_->Closed(why); }

   private:
    Echo* owner_;
    std::shared_ptr<Connection> conn_;
  };

  std::shared_ptr<Receiver> OnAccept(std::shared_ptr<Connection> conn) override {
    if (refuse) return nullptr;
    conn->Send(kBanner);
    std::lock_guard<std::mutex> lock(mu_);
    ++accepted_;
    peers_.push_back(conn->peer());
    return std::make_shared<Rx>(this, conn);
  }

  void Closed(const absl::Status& why) {
    std::lock_guard<std::mutex> lock(mu_);
    closes_.push_back(why);
    cv_.notify_all();
  }

  // Waits for the n-th close; its status.
  absl::Status WaitClose(size_t n = 1, absl::Duration timeout = absl::Seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                      [&] { return closes_.size() >= n; })) {
      return absl::DeadlineExceededError("no close");
    }
    return closes_[n - 1];
  }
  int accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }

  std::atomic<bool> refuse{false};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<absl::Status> closes_;
  std::vector<std::string> peers_;
  int accepted_ = 0;
};

// A short working directory under /tmp (sun_path is short; Bazel's
// TEST_TMPDIR is not), removed afterwards.
class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::make_unique<sp::testing::ScratchDir>();
    ASSERT_TRUE(dir_->ok());
  }
  void TearDown() override { dir_.reset(); }

  std::unique_ptr<Listener> Open(const std::string& url_text, ListenerOptions o = {}) {
    absl::StatusOr<Url> url = ParseUrl(url_text, Role::kServer);
    EXPECT_TRUE(url.ok()) << url.status();
    if (!url.ok()) return nullptr;
    o.log = log_.Sink();
    absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open(*url, std::move(o));
    EXPECT_TRUE(l.ok()) << l.status();
    if (!l.ok()) return nullptr;
    return *std::move(l);
  }

  absl::Status OpenError(const std::string& url_text) {
    absl::StatusOr<Url> url = ParseUrl(url_text, Role::kServer);
    if (!url.ok()) return url.status();
    absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open(*url);
    return l.status();
  }

  std::string log() { return log_.text(); }

  std::unique_ptr<sp::testing::ScratchDir> dir_;
  sp::testing::LogCapture log_;
};

// A blocking stream client.
class StreamPeer {
 public:
  explicit StreamPeer(const std::string& url_text) {
    absl::StatusOr<Url> url = ParseUrl(url_text, Role::kClient);
    EXPECT_TRUE(url.ok()) << url.status();
    absl::StatusOr<SocketAddress> sa = SocketAddressOf(*url);
    EXPECT_TRUE(sa.ok());
    fd_ = socket(sa->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(connect(fd_, sa->get(), sa->len), 0) << std::strerror(errno);
  }
  ~StreamPeer() {
    if (fd_ >= 0) close(fd_);
  }
  void Write(absl::string_view b) {
    while (!b.empty()) {
      ssize_t n = send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      b.remove_prefix(size_t(n));
    }
  }
  // Reads exactly n bytes, or fewer at EOF / timeout.
  std::string Read(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    std::string out;
    const absl::Time deadline = absl::Now() + timeout;
    while (out.size() < n) {
      pollfd p{fd_, POLLIN, 0};
      int ms = int(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
      if (poll(&p, 1, ms) <= 0) break;
      char buf[65536];
      ssize_t r = recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (r <= 0) {
        eof_ = true;
        break;
      }
      out.append(buf, size_t(r));
    }
    return out;
  }
  // True if the peer closes within the timeout (data before is skipped).
  bool SeesEof(absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      ssize_t r = recv(fd_, buf, sizeof(buf), 0);
      if (r <= 0) return true;
    }
    return false;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool eof_ = false;
};

TEST_F(TransportTest, UnixFramesSplitAnyWayComeBackWhole) {
  Echo echo;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->BoundUrl(), "unix://" + dir_->path() + "/sock");
  l->Start(&echo);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
  const std::string a = wire::EncodeFrame(1, 0, 5, 6, {"hello"});
  const std::string b = wire::EncodeFrame(2, 0, 5, 6, {});
  const std::string both = a + b;
  for (char ch : both) p.Write(absl::string_view(&ch, 1));
  EXPECT_EQ(p.Read(both.size()), both);
  l->Shutdown(absl::Seconds(1));
  EXPECT_TRUE(echo.WaitClose().ok());
  struct stat st;
  EXPECT_NE(stat("sock", &st), 0) << "socket file left behind";
}

// A receiver whose "worker" answers type-97 frames on a thread of its own
// and then reads ahead (Connection::ReadAhead) for the next request, as the
// server's workers do. Records on which thread each frame arrived.
class AheadAcceptor final : public Acceptor {
 public:
  explicit AheadAcceptor(absl::Duration window) : window_(window) {}
  ~AheadAcceptor() override {
    for (std::thread& t : workers_) t.join();
  }

  struct Arrival {
    uint64_t reqno;
    std::thread::id thread;
  };

  class Rx final : public Receiver {
   public:
    Rx(AheadAcceptor* owner, std::shared_ptr<Connection> c) : owner_(owner), conn_(std::move(c)) {}
    void OnFrame(wire::Frame f) override {
      owner_->Arrived(f.header.reqno);
      std::string out = wire::EncodeFrame(f.header.reqno, 1, f.header.type, 0, {});
      if (f.header.type != 97) {
        conn_->Send(std::move(out));
        return;
      }
      // The worker holds the connection itself: this receiver goes when
      // the connection ends, which may be while the worker still reads.
      owner_->StartWorker([owner = owner_, conn = conn_, out = std::move(out)]() mutable {
        conn->Send(std::move(out));
        owner->AheadResult(conn->ReadAhead(owner->window_));
      });
    }
    void OnClosed(const absl::Status&) override { owner_->Closed(); }

   private:
    AheadAcceptor* owner_;
    std::shared_ptr<Connection> conn_;
  };

  std::shared_ptr<Receiver> OnAccept(std::shared_ptr<Connection> conn) override {
    conn->Send(kBanner);
    return std::make_shared<Rx>(this, conn);
  }

  std::vector<Arrival> arrivals() {
    std::lock_guard<std::mutex> lock(mu_);
    return arrivals_;
  }
  std::set<std::thread::id> worker_ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return worker_ids_;
  }
  // Waits until `n` read-aheads have returned; their results.
  std::vector<bool> WaitAheads(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return aheads_.size() >= n; });
    return aheads_;
  }
  bool WaitClosed() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return closed_; });
  }

 private:
  void Arrived(uint64_t reqno) {
    std::lock_guard<std::mutex> lock(mu_);
    arrivals_.push_back({reqno, std::this_thread::get_id()});
  }
  void StartWorker(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, fn = std::move(fn)] {
      {
        std::lock_guard<std::mutex> l(mu_);
        worker_ids_.insert(std::this_thread::get_id());
      }
      fn();
    });
  }
  void AheadResult(bool delivered) {
    std::lock_guard<std::mutex> lock(mu_);
    aheads_.push_back(delivered);
    cv_.notify_all();
  }
  void Closed() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  const absl::Duration window_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::vector<Arrival> arrivals_;
  std::set<std::thread::id> worker_ids_;
  std::vector<bool> aheads_;
  bool closed_ = false;
};

// A worker that answered a call reads the next request itself when it comes
// while it watches; frames keep their order and arrive once each, whichever
// thread reads them.
TEST_F(TransportTest, ReadAheadDeliversTheNextRequestOnTheAnsweringThread) {
  AheadAcceptor acceptor(absl::Seconds(5));
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  l->Start(&acceptor);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
  uint64_t reqno = 0;
  std::vector<uint64_t> sent;
  // Round k: a type-97 request; once its answer is here, its worker is
  // (almost always) watching: two requests in one write, the second a
  // type-97 again for the next round.
  const int kRounds = 50;
  p.Write(wire::EncodeFrame(++reqno, 0, 97, 0, {}));
  sent.push_back(reqno);
  for (int round = 0; round < kRounds; ++round) {
    const std::string answer = p.Read(wire::kHeaderSize);
    ASSERT_EQ(answer.size(), wire::kHeaderSize) << "round " << round;
    const std::string a = wire::EncodeFrame(++reqno, 0, 5, 0, {"x"});
    sent.push_back(reqno);
    const std::string b = wire::EncodeFrame(++reqno, 0, round + 1 < kRounds ? 97 : 5, 0, {});
    sent.push_back(reqno);
    p.Write(a + b);
    // the answer to a
    ASSERT_EQ(p.Read(wire::kHeaderSize).size(), wire::kHeaderSize) << "round " << round;
  }
  ASSERT_EQ(p.Read(wire::kHeaderSize).size(), wire::kHeaderSize);  // the last b
  const std::vector<bool> aheads = acceptor.WaitAheads(size_t(kRounds));
  ASSERT_EQ(aheads.size(), size_t(kRounds));
  const std::vector<AheadAcceptor::Arrival> arrivals = acceptor.arrivals();
  ASSERT_EQ(arrivals.size(), sent.size());
  int on_workers = 0;
  const std::set<std::thread::id> workers = acceptor.worker_ids();
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(arrivals[i].reqno, sent[i]) << i;
    if (workers.count(arrivals[i].thread) != 0) ++on_workers;
  }
  // Every read-ahead that returned true delivered both frames of its round.
  int delivered = 0;
  for (bool d : aheads) delivered += d ? 1 : 0;
  EXPECT_EQ(on_workers, 2 * delivered);
  EXPECT_GT(delivered, 0) << "no request was read ahead in " << kRounds << " rounds";
  l->Shutdown(absl::Seconds(1));
  EXPECT_TRUE(acceptor.WaitClosed());
}

// The client goes away while a worker watches: the read-ahead gives up and
// the transport ends the connection as usual; a malformed frame read ahead
// ends it too.
TEST_F(TransportTest, ReadAheadLeavesEndAndBadFramesToTheTransport) {
  for (bool bad : {false, true}) {
    SCOPED_TRACE(bad ? "bad frame" : "end of stream");
    AheadAcceptor acceptor(absl::Seconds(5));
    auto l = Open("unix://sock");
    ASSERT_NE(l, nullptr);
    l->Start(&acceptor);
    {
      StreamPeer p("unix://sock");
      EXPECT_EQ(p.Read(7), kBanner);
      p.Write(wire::EncodeFrame(1, 0, 97, 0, {}));
      ASSERT_EQ(p.Read(wire::kHeaderSize).size(), wire::kHeaderSize);
      if (bad) p.Write(std::string(24, '\xff'));  // a length no frame has
    }
    EXPECT_TRUE(acceptor.WaitClosed());
    const std::vector<bool> aheads = acceptor.WaitAheads(1);
    ASSERT_EQ(aheads.size(), 1u);
    EXPECT_FALSE(aheads[0]);
    l->Shutdown(absl::Seconds(1));
  }
}

TEST_F(TransportTest, StaleSocketFileIsReplacedLiveOneIsNot) {
  {
    // A dead server's socket: bound, never unlinked.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, "sock");
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
    close(fd);
  }
  Echo echo;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  EXPECT_NE(log().find("stale"), std::string::npos) << log();
  l->Start(&echo);
  absl::Status second = OpenError("unix://sock");
  EXPECT_EQ(HostErrno(second), EADDRINUSE) << second;
  EXPECT_NE(second.message().find("already listening"), std::string::npos) << second;
  // Still serving.
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
}

TEST_F(TransportTest, NonSocketFilesAreNeverTouched) {
  {
    int fd = open("file", O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "data", 4), 4);
    close(fd);
  }
  for (const char* url : {"unix://file", "zmq+ipc://file"}) {
    absl::Status s = OpenError(url);
    EXPECT_EQ(HostErrno(s), EADDRINUSE) << url << ": " << s;
    EXPECT_NE(s.message().find("not a socket"), std::string::npos) << s;
    struct stat st;
    ASSERT_EQ(stat("file", &st), 0);
    EXPECT_EQ(st.st_size, 4);
  }
}

TEST_F(TransportTest, PathTooLongIsAClearError) {
  const std::string url = "unix://" + std::string(120, 'p');
  absl::Status s = OpenError(url);
  EXPECT_EQ(HostErrno(s), ENAMETOOLONG) << s;
  EXPECT_NE(s.message().find("at most 107"), std::string::npos) << s;
}

TEST_F(TransportTest, StopAcceptingRemovesTheFileButKeepsConnections) {
  Echo echo;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
  l->StopAccepting();
  struct stat st;
  EXPECT_NE(stat("sock", &st), 0);
  const std::string f = wire::EncodeFrame(3, 0, 5, 0, {"x"});
  p.Write(f);
  EXPECT_EQ(p.Read(f.size()), f);
}

TEST_F(TransportTest, BadFramesCloseOnlyTheirConnection) {
  Echo echo;
  ListenerOptions o;
  o.max_frame_len = 1000;
  auto l = Open("unix://sock", o);
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  StreamPeer good("unix://sock");
  EXPECT_EQ(good.Read(7), kBanner);
  {
    StreamPeer bad("unix://sock");
    EXPECT_EQ(bad.Read(7), kBanner);
    std::string hdr(24, '\0');
    hdr[0] = 5;  // len 5 < 24
    bad.Write(hdr);
    EXPECT_TRUE(bad.SeesEof());
    absl::Status why = echo.WaitClose(1);
    EXPECT_TRUE(absl::IsInvalidArgument(why)) << why;
  }
  {
    StreamPeer huge("unix://sock");
    EXPECT_EQ(huge.Read(7), kBanner);
    std::string hdr = wire::EncodeFrame(0, 0, 1, 0, {});
    const uint64_t len = uint64_t{1} << 40;
    std::memcpy(hdr.data(), &len, 8);
    huge.Write(hdr);
    EXPECT_TRUE(huge.SeesEof());
    absl::Status why2 = echo.WaitClose(2);
    EXPECT_TRUE(absl::IsResourceExhausted(why2)) << why2;
  }
  {
    StreamPeer cut("unix://sock");
    EXPECT_EQ(cut.Read(7), kBanner);
    cut.Write(wire::EncodeFrame(0, 0, 1, 0, {"12345678"}).substr(0, 30));
  }
  EXPECT_TRUE(absl::IsDataLoss(echo.WaitClose(3)));
  const std::string f = wire::EncodeFrame(3, 0, 5, 0, {"still here"});
  good.Write(f);
  EXPECT_EQ(good.Read(f.size()), f);
}

// Records the order frames of all connections arrive in; the first frame of
// connection 0 holds the loop thread until released.
class OrderAcceptor final : public Acceptor {
 public:
  class Rx final : public Receiver {
   public:
    Rx(OrderAcceptor* owner, int index) : owner_(owner), index_(index) {}
    void OnFrame(wire::Frame f) override { owner_->Frame(index_, f.header.reqno); }
    void OnClosed(const absl::Status& why) override { owner_->Closed(index_, why); }

   private:
    OrderAcceptor* owner_;
    int index_;
  };

  std::shared_ptr<Receiver> OnAccept(std::shared_ptr<Connection> conn) override {
    conn->Send(kBanner);
    std::lock_guard<std::mutex> lock(mu_);
    return std::make_shared<Rx>(this, accepted_++);
  }

  void Frame(int index, uint64_t reqno) {
    std::unique_lock<std::mutex> lock(mu_);
    order_.emplace_back(index, reqno);
    cv_.notify_all();
    if (index == 0 && reqno == 0) cv_.wait(lock, [&] { return released_; });
  }
  void Closed(int index, const absl::Status& why) {
    std::lock_guard<std::mutex> lock(mu_);
    closes_.emplace_back(index, why);
    cv_.notify_all();
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Waits until `n` frames have arrived.
  bool WaitFrames(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return order_.size() >= n; });
  }
  bool WaitCloses(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return closes_.size() >= n; });
  }
  std::vector<std::pair<int, uint64_t>> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  std::vector<std::pair<int, absl::Status>> closes() {
    std::lock_guard<std::mutex> lock(mu_);
    return closes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int accepted_ = 0;
  bool released_ = false;
  std::vector<std::pair<int, uint64_t>> order_;
  std::vector<std::pair<int, absl::Status>> closes_;
};

// A burst of frames from one connection does not hold the loop thread: the
// other connection's frame comes within two turns (64 frames each), not
// after the whole burst, and the burst still arrives whole and in order.
TEST_F(TransportTest, ABurstFromOneConnectionLetsOthersIn) {
  OrderAcceptor acceptor;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  l->Start(&acceptor);
  StreamPeer burst("unix://sock");
  ASSERT_EQ(burst.Read(7), kBanner);
  StreamPeer other("unix://sock");
  ASSERT_EQ(other.Read(7), kBanner);
  constexpr uint64_t kBurst = 1000;
  std::string frames;
  for (uint64_t i = 0; i < kBurst; ++i) frames += wire::EncodeFrame(i, 0, 1, 0, {});
  burst.Write(frames);
  ASSERT_TRUE(acceptor.WaitFrames(1));  // the loop thread holds frame 0
  other.Write(wire::EncodeFrame(7, 0, 1, 0, {}));
  acceptor.Release();
  ASSERT_TRUE(acceptor.WaitFrames(kBurst + 1));
  const std::vector<std::pair<int, uint64_t>> order = acceptor.order();
  ASSERT_EQ(order.size(), kBurst + 1);
  size_t before_other = 0;
  uint64_t next = 0;
  bool seen_other = false;
  for (const auto& [index, reqno] : order) {
    if (index == 1) {
      EXPECT_EQ(reqno, 7u);
      seen_other = true;
      continue;
    }
    EXPECT_EQ(reqno, next++);  // the burst in order
    if (!seen_other) ++before_other;
  }
  EXPECT_TRUE(seen_other);
  EXPECT_LE(before_other, 128u) << "the other connection waited for the burst";
}

// Frames buffered for a later turn before a bad header are delivered; then
// the connection ends with the header's error.
TEST_F(TransportTest, ABadHeaderAfterABacklogEndsTheConnectionAfterIt) {
  OrderAcceptor acceptor;
  acceptor.Release();
  ListenerOptions o;
  o.max_frame_len = 1000;
  auto l = Open("unix://sock", o);
  ASSERT_NE(l, nullptr);
  l->Start(&acceptor);
  StreamPeer p("unix://sock");
  ASSERT_EQ(p.Read(7), kBanner);
  std::string frames;
  for (uint64_t i = 0; i < 300; ++i) frames += wire::EncodeFrame(i, 0, 1, 0, {});
  std::string bad(24, '\0');
  bad[0] = 5;  // len 5 < 24
  p.Write(frames + bad);
  ASSERT_TRUE(acceptor.WaitCloses(1));
  EXPECT_EQ(acceptor.order().size(), 300u);
  EXPECT_TRUE(absl::IsInvalidArgument(acceptor.closes()[0].second)) << acceptor.closes()[0].second;
  EXPECT_TRUE(p.SeesEof());
}

TEST_F(TransportTest, CloseFlushesThenEnds) {
  Echo echo;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
  p.Write(wire::EncodeFrame(4, 0, 99, 0, {}));
  const std::string want = wire::EncodeFrame(4, 1, 99, 0, {});
  EXPECT_EQ(p.Read(want.size()), want);
  EXPECT_TRUE(p.SeesEof());
  EXPECT_TRUE(echo.WaitClose().ok());
}

TEST_F(TransportTest, APeerThatStopsReadingIsDisconnected) {
  Echo echo;
  ListenerOptions o;
  o.max_output_backlog = 1 << 20;
  auto l = Open("unix://sock", o);
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7), kBanner);
  p.Write(wire::EncodeFrame(0, 0, 98, 200, {}));  // 200 x 64 KiB, never read
  absl::Status why = echo.WaitClose();
  EXPECT_TRUE(absl::IsResourceExhausted(why)) << why;
}

TEST_F(TransportTest, RefusedConnectionsGetNoBanner) {
  Echo echo;
  echo.refuse = true;
  auto l = Open("unix://sock");
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  StreamPeer p("unix://sock");
  EXPECT_EQ(p.Read(7, absl::Seconds(5)), "");
  EXPECT_TRUE(p.SeesEof());
}

TEST_F(TransportTest, TcpV4AndV6WithPortZero) {
  for (const char* url : {"tcp://127.0.0.1:0/", "tcp://[::1]:0/"}) {
    Echo echo;
    auto l = Open(url);
    ASSERT_NE(l, nullptr);
    const std::string bound = l->BoundUrl();
    EXPECT_EQ(bound.find(":0/"), std::string::npos) << bound;
    l->Start(&echo);
    StreamPeer p(bound);
    int nodelay = 0;
    socklen_t len = sizeof(nodelay);
    getsockopt(p.fd(), IPPROTO_TCP, 1 /* TCP_NODELAY */, &nodelay, &len);
    EXPECT_EQ(p.Read(7), kBanner) << bound;
    const std::string f = wire::EncodeFrame(9, 0, 5, 0, {"tcp"});
    p.Write(f);
    EXPECT_EQ(p.Read(f.size()), f);
  }
}

// A ZeroMQ DEALER peer, speaking zmq_listener.h's framing.
class ZmqPeer {
 public:
  explicit ZmqPeer(const std::string& endpoint) : ctx_(1), s_(ctx_, zmq::socket_type::dealer) {
    s_.set(zmq::sockopt::linger, 0);
    s_.connect(endpoint);
  }
  void Send(absl::string_view b, bool more = false) {
    zmq::message_t m(b.data(), b.size());
    s_.send(m, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
  std::optional<std::string> Recv(absl::Duration timeout = absl::Seconds(10)) {
    zmq_pollitem_t item{s_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, long(absl::ToInt64Milliseconds(timeout))) <= 0) return std::nullopt;
    zmq::message_t m;
    (void)s_.recv(m);
    return m.to_string();
  }
  void Kill() { s_.close(); }

 private:
  zmq::context_t ctx_;
  zmq::socket_t s_;
};

TEST_F(TransportTest, ZmqHelloBannerFramesGoodbye) {
  for (const char* url : {"zmq+tcp://127.0.0.1:0", "zmq+ipc://zsock"}) {
    Echo echo;
    auto l = Open(url);
    ASSERT_NE(l, nullptr);
    const std::string bound = l->BoundUrl();
    l->Start(&echo);
    absl::StatusOr<Url> u = ParseUrl(bound, Role::kClient);
    ASSERT_TRUE(u.ok()) << bound << ": " << u.status();
    {
      ZmqPeer p(u->zmq_endpoint);
      p.Send("");
      EXPECT_EQ(p.Recv(), kBanner) << bound;
      const std::string f = wire::EncodeFrame(1, 0, 5, 0, {"zmq"});
      p.Send(f);
      EXPECT_EQ(p.Recv(), f);
      p.Send("");  // goodbye
      EXPECT_TRUE(echo.WaitClose(1).ok());
    }
    {
      // A client that dies without goodbye is noticed (socket monitor).
      ZmqPeer p(u->zmq_endpoint);
      p.Send("");
      EXPECT_EQ(p.Recv(), kBanner);
      p.Kill();
      EXPECT_TRUE(echo.WaitClose(2).ok());
    }
    {
      // Frames before hello: answered with EOF, nothing accepted.
      ZmqPeer p(u->zmq_endpoint);
      const int before = echo.accepted();
      p.Send(wire::EncodeFrame(1, 0, 5, 0, {}));
      EXPECT_EQ(p.Recv(), "");
      EXPECT_EQ(echo.accepted(), before);
    }
    {
      // A message whose size is not its len, and a multi-part message.
      ZmqPeer p(u->zmq_endpoint);
      p.Send("");
      EXPECT_EQ(p.Recv(), kBanner);
      p.Send(wire::EncodeFrame(1, 0, 5, 0, {"abc"}) + "extra");
      EXPECT_EQ(p.Recv(), "");
      EXPECT_TRUE(absl::IsInvalidArgument(echo.WaitClose(3)));
      ZmqPeer q(u->zmq_endpoint);
      q.Send("");
      EXPECT_EQ(q.Recv(), kBanner);
      q.Send(wire::EncodeFrame(1, 0, 5, 0, {}), /*more=*/true);
      q.Send("second part");
      EXPECT_EQ(q.Recv(), "");
      EXPECT_TRUE(absl::IsInvalidArgument(echo.WaitClose(4)));
    }
    {
      // Close() flushes, then the empty EOF message.
      ZmqPeer p(u->zmq_endpoint);
      p.Send("");
      EXPECT_EQ(p.Recv(), kBanner);
      p.Send(wire::EncodeFrame(4, 0, 99, 0, {}));
      EXPECT_EQ(p.Recv(), wire::EncodeFrame(4, 1, 99, 0, {}));
      EXPECT_EQ(p.Recv(), "");
      EXPECT_TRUE(echo.WaitClose(5).ok());
    }
    {
      // Refused: an empty answer, no banner.
      echo.refuse = true;
      ZmqPeer p(u->zmq_endpoint);
      p.Send("");
      EXPECT_EQ(p.Recv(), "");
      echo.refuse = false;
    }
    l->Shutdown(absl::Seconds(1));
  }
  struct stat st;
  EXPECT_NE(stat("zsock", &st), 0) << "ipc socket file left behind";
}

TEST_F(TransportTest, ZmqIpcRefusesALiveServer) {
  Echo echo;
  auto l = Open("zmq+ipc://zsock");
  ASSERT_NE(l, nullptr);
  l->Start(&echo);
  absl::Status s = OpenError("zmq+ipc://zsock");
  EXPECT_EQ(HostErrno(s), EADDRINUSE) << s;
  ZmqPeer p("ipc://" + dir_->path() + "/zsock");
  p.Send("");
  EXPECT_EQ(p.Recv(), kBanner);
}

}  // namespace
}  // namespace sp::transport
