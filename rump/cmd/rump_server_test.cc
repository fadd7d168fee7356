// rump_server and rump_allserver as real processes on real sockets, driven
// by raw protocol clients (sp/server/raw_client.h).
//
// Every test runs in a short directory of its own under /tmp (sun_path is
// short; TEST_TMPDIR is long) with relative unix:// URLs, and stops every
// server it started by PID. The test process is a child subreaper, so a
// daemonized server (whose parent exits) becomes our child and is reaped
// here, never left running.
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "rump/abi/errno.h"
#include "rump/abi/syscalls.h"
#include "sp/server/raw_client.h"
#include "sp/testing/server_fixture.h"
#include "sp/wire/encode.h"
#include "tests/support/subprocess.h"

namespace {

using rump_testing::RunfilePath;
using rump_testing::Subprocess;
using sp::testing::RawClient;

using sp::testing::kOurBanner;
constexpr int kRbHalt = 0x008;

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

std::string ServerPath() { return RunfilePath("rump/cmd/rump_server"); }
std::string AllServerPath() { return RunfilePath("rump/cmd/rump_allserver"); }

// argv run with stderr merged into the captured stdout.
std::vector<std::string> Merged(std::vector<std::string> argv) {
  std::vector<std::string> out = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

struct Finished {
  int status = -1;  // wait status
  std::string output;
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// Runs to completion (output read until every writer is gone).
Finished RunToEnd(std::vector<std::string> argv) {
  Finished f;
  absl::StatusOr<Subprocess> p = Subprocess::Start(Merged(std::move(argv)));
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return f;
  while (std::optional<std::string> line = p->ReadLine(absl::Seconds(60))) {
    f.output += *line + "\n";
  }
  absl::StatusOr<int> st = p->Wait(absl::Seconds(60));
  EXPECT_TRUE(st.ok()) << st.status();
  if (st.ok()) f.status = *st;
  return f;
}

// The pid of the process that listens on unix socket `path`.
pid_t ListenerPid(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, path.c_str(), sizeof(sun.sun_path) - 1);
  pid_t pid = -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) == 0) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) pid = cred.pid;
  }
  close(fd);
  return pid;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// A daemonized server: our child thanks to the subreaper; killed and
// reaped at the end whatever happens.
class Daemon {
 public:
  explicit Daemon(pid_t pid) : pid_(pid) {}
  ~Daemon() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // Its wait status, or nullopt if it still runs after `timeout`.
  std::optional<int> Wait(absl::Duration timeout) {
    int st = 0;
    if (!rump::testing::Eventually([&] { return waitpid(pid_, &st, WNOHANG) == pid_; }, timeout)) {
      return std::nullopt;
    }
    reaped_ = true;
    return st;
  }

 private:
  pid_t pid_;
  bool reaped_ = false;
};

// A server in the foreground (-s -v), its output collected by a thread.
class Foreground {
 public:
  static std::unique_ptr<Foreground> Start(const std::string& program,
                                           std::vector<std::string> args) {
    std::vector<std::string> argv = {program, "-s", "-v"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<Subprocess> p = Subprocess::Start(Merged(argv));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return nullptr;
    auto f = std::unique_ptr<Foreground>(new Foreground(*std::move(p)));
    std::optional<std::string> line = f->WaitForLine(": serving ", absl::Seconds(30));
    EXPECT_TRUE(line.has_value()) << f->Output();
    if (!line.has_value()) return nullptr;
    f->url_ = line->substr(line->find(": serving ") + 10);
    return f;
  }

  ~Foreground() {
    process_.Kill(SIGKILL);
    (void)process_.Wait(absl::Seconds(30));
    if (reader_.joinable()) reader_.join();
  }

  const std::string& url() const { return url_; }
  pid_t pid() const { return process_.pid(); }
  void Signal(int sig) { process_.Kill(sig); }
  absl::StatusOr<int> Wait(absl::Duration timeout) { return process_.Wait(timeout); }

  // The first output line containing `needle` (waits for it).
  std::optional<std::string> WaitForLine(const std::string& needle, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      for (const std::string& l : lines_) {
        if (absl::StrContains(l, needle)) {
          found = l;
          return true;
        }
      }
      return eof_;
    });
    if (!found) {
      for (const std::string& l : lines_) {
        if (absl::StrContains(l, needle)) found = l;
      }
    }
    return found;
  }
  std::string Output() {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrJoin(lines_, "\n");
  }

 private:
  explicit Foreground(Subprocess p) : process_(std::move(p)) {
    reader_ = std::thread([this] {
      while (std::optional<std::string> l = reader_process()->ReadLine(absl::Hours(1))) {
        std::lock_guard<std::mutex> lock(mu_);
        lines_.push_back(*l);
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      eof_ = true;
      cv_.notify_all();
    });
  }
  Subprocess* reader_process() { return &process_; }

  Subprocess process_;
  std::string url_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  bool eof_ = false;
};

class RumpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }

  void SetUp() override {
    dir_ = std::make_unique<sp::testing::ScratchDir>();
    ASSERT_TRUE(dir_->ok());
  }
  void TearDown() override { dir_.reset(); }

  std::unique_ptr<RawClient> Connect(const std::string& url) {
    return sp::testing::ConnectRaw(url);
  }

  std::unique_ptr<sp::testing::ScratchDir> dir_;
};

TEST_F(RumpServerTest, UsageAndUnsupportedFlags) {
  const std::string usage =
      "usage: rump_server [-st] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl";
  Finished f = RunToEnd({ServerPath()});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find(usage), std::string::npos) << f.output;
  f = RunToEnd({ServerPath(), "unix://a", "unix://b"});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find(usage), std::string::npos) << f.output;
  f = RunToEnd({ServerPath(), "-x", "unix://a"});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find(usage), std::string::npos) << f.output;
  f = RunToEnd({ServerPath(), "-lrumpnet_bogus", "unix://a"});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find("rumpnet_bogus"), std::string::npos) << f.output;
  f = RunToEnd({ServerPath(), "-l", "librumpnet_nothere.so", "unix://a"});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find("rumpnet_nothere"), std::string::npos) << f.output;
  for (const char* flag : {"-m", "-d"}) {
    f = RunToEnd({ServerPath(), flag, "x", "unix://a"});
    EXPECT_EQ(f.exit_code(), 1) << flag;
    EXPECT_NE(f.output.find("not supported"), std::string::npos) << f.output;
  }
  f = RunToEnd({ServerPath(), "-r", "12q", "unix://a"});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find("-r"), std::string::npos) << f.output;
  f = RunToEnd({ServerPath(), "-c", "0", "unix://a"});
  EXPECT_EQ(f.exit_code(), 1);
  f = RunToEnd({ServerPath(), "-s", "unix:///" + std::string(120, 'x')});
  EXPECT_EQ(f.exit_code(), 1);
  EXPECT_NE(f.output.find("rump server init failed: File name too long"), std::string::npos)
      << f.output;
  EXPECT_FALSE(Exists("a"));
}

TEST_F(RumpServerTest, DaemonReturnsOnlyWhenAcceptingAndRefusesALiveSocket) {
  Finished f = RunToEnd({ServerPath(), "-lrumpnet_netinet", "-l", "rumpnet",
                         "-Llibrumpnet_shmif.so", "-r", "64m", "-c", "4", "unix://sock"});
  ASSERT_EQ(f.exit_code(), 0) << f.output;
  // No retry: it accepts now.
  const pid_t pid = ListenerPid("sock");
  ASSERT_GT(pid, 0);
  Daemon daemon(pid);
  std::unique_ptr<RawClient> c = Connect("unix://sock");
  ASSERT_NE(c, nullptr);
  ASSERT_NO_FATAL_FAILURE(sp::testing::ExpectGuestGetpidSocket(*c, "daemontest"));

  // A live server's socket: 48 (NetBSD EADDRINUSE) through the daemonize
  // channel, 1 in the foreground; its file stays.
  f = RunToEnd({ServerPath(), "unix://sock"});
  EXPECT_EQ(f.exit_code(), 48) << f.output;
  EXPECT_NE(f.output.find("rump server init failed: Address already in use"), std::string::npos)
      << f.output;
  f = RunToEnd({ServerPath(), "-s", "unix://sock"});
  EXPECT_EQ(f.exit_code(), 1) << f.output;
  EXPECT_TRUE(Exists("sock"));
  EXPECT_TRUE(c->Syscall(rump::abi::kSysGetpid, {}).ok());

  // SIGTERM: clean exit, socket file removed, clients disconnected.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::optional<int> st = daemon.Wait(absl::Seconds(30));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
  EXPECT_FALSE(Exists("sock"));
  EXPECT_TRUE(c->WaitClosed(absl::Seconds(10)));
}

TEST_F(RumpServerTest, StaleSocketFileIsReplaced) {
  {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, "sock");
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
    close(fd);  // a dead server's file
  }
  Finished f = RunToEnd({ServerPath(), "unix://sock"});
  ASSERT_EQ(f.exit_code(), 0) << f.output;
  const pid_t pid = ListenerPid("sock");
  ASSERT_GT(pid, 0);
  Daemon daemon(pid);
  std::unique_ptr<RawClient> c = Connect("unix://sock");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->banner(), kOurBanner);
  kill(pid, SIGINT);
  std::optional<int> st = daemon.Wait(absl::Seconds(30));
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  EXPECT_FALSE(Exists("sock"));
}

TEST_F(RumpServerTest, RebootIsAnsweredThenTheServerExits) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {"unix://sock"});
  ASSERT_NE(s, nullptr);
  std::unique_ptr<RawClient> other = Connect(s->url());
  ASSERT_TRUE(other->Handshake().ok());
  std::unique_ptr<RawClient> halt = Connect(s->url());
  ASSERT_TRUE(halt->Handshake("rump.halt").ok());
  absl::StatusOr<RawClient::Result> r = halt->Syscall(rump::abi::kSysReboot, {0, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 0);
  EXPECT_EQ(r->rv1, 0);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status() << "\n" << s->Output();
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st << "\n" << s->Output();
  EXPECT_FALSE(Exists("sock"));
  EXPECT_TRUE(halt->WaitClosed(absl::Seconds(10)));
  EXPECT_TRUE(other->WaitClosed(absl::Seconds(10)));
}

// -t: the latency stages of the calls served, after SIGUSR1's status line
// and at exit; without -t, neither.
TEST_F(RumpServerTest, LatencyStagesWithDashT) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {"-t", "unix://sock"});
  ASSERT_NE(s, nullptr);
  std::unique_ptr<RawClient> c = Connect(s->url());
  ASSERT_TRUE(c->Handshake().ok());
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysGetpid, {});
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // nanosleep runs on a worker and sleeps in the kernel (10 ms: long
  // enough to sleep even on a slow machine).
  const uint64_t ts[2] = {0, 10'000'000};
  absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysNanosleep, {P(ts), 0});
  ASSERT_TRUE(r.ok()) << r.status();
  // The worker records a call's stages just after answering it: ask again
  // until the nanosleep is in.
  EXPECT_TRUE(rump::testing::Eventually([&] {
    s->Signal(SIGUSR1);
    return s->WaitForLine("sp.handoff", absl::Milliseconds(200)).has_value();
  })) << s->Output();
  std::optional<std::string> line = s->WaitForLine("sp.inline", absl::Seconds(30));
  ASSERT_TRUE(line.has_value()) << s->Output();
  // Five getpids ran on the transport's thread.
  EXPECT_TRUE(absl::StartsWith(*line, "sp.inline ")) << *line;
  EXPECT_TRUE(absl::StrContains(*line, " 5 ")) << *line;
  EXPECT_TRUE(s->WaitForLine("kern.sleep", absl::Seconds(30)).has_value()) << s->Output();
  s->Signal(SIGTERM);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(s->WaitForLine("latency stages (pid", absl::Seconds(30)).has_value())
      << s->Output();

  std::unique_ptr<Foreground> plain = Foreground::Start(ServerPath(), {"unix://sock2"});
  ASSERT_NE(plain, nullptr);
  plain->Signal(SIGUSR1);
  ASSERT_TRUE(plain->WaitForLine("status:", absl::Seconds(30)).has_value()) << plain->Output();
  plain->Signal(SIGTERM);
  ASSERT_TRUE(plain->Wait(absl::Seconds(30)).ok());
  EXPECT_FALSE(absl::StrContains(plain->Output(), "median")) << plain->Output();
  EXPECT_FALSE(absl::StrContains(plain->Output(), "latency stages")) << plain->Output();
}

TEST_F(RumpServerTest, RbHaltStopsServingButTheProcessStays) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {"unix://sock"});
  ASSERT_NE(s, nullptr);
  std::unique_ptr<RawClient> halt = Connect(s->url());
  ASSERT_TRUE(halt->Handshake("rump.halt").ok());
  absl::StatusOr<RawClient::Result> r = halt->Syscall(rump::abi::kSysReboot, {kRbHalt, 0});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_TRUE(halt->WaitClosed(absl::Seconds(10)));
  EXPECT_TRUE(s->WaitForLine("RB_HALT", absl::Seconds(10)).has_value()) << s->Output();
  EXPECT_FALSE(Exists("sock"));
  EXPECT_FALSE(s->Wait(absl::Milliseconds(300)).ok()) << "exited on RB_HALT";
  s->Signal(SIGTERM);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
}

class TransportTest : public RumpServerTest,
                      public ::testing::WithParamInterface<std::string> {};

TEST_P(TransportTest, ClientsSyscallsAndCleanExit) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {"-lrumpnet_netinet", GetParam()});
  ASSERT_NE(s, nullptr);
  std::unique_ptr<RawClient> c = Connect(s->url());
  ASSERT_NE(c, nullptr);
  ASSERT_NO_FATAL_FAILURE(sp::testing::ExpectGuestGetpidSocket(*c, "e2e"));
  int mib[2] = {1, 2};  // kern.osrelease
  char buf[32] = {};
  uint64_t oldlen = sizeof(buf);
  absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysSysctl, {P(mib), 2, P(buf), P(&oldlen), 0, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, 0);
  EXPECT_STREQ(buf, "7.99.34");
  // A client that dies waiting (its copyin never answered): its process
  // goes, the others stay.
  {
    std::unique_ptr<RawClient> dying = Connect(s->url());
    ASSERT_TRUE(dying->Handshake("dying").ok());
    ASSERT_TRUE(dying->SendBytes(*sp::wire::SyscallRequest(dying->NextReqno(),
                                                           rump::abi::kSysSysctl,
                                                           {P(mib), 2, P(buf), P(&oldlen), 0, 0}))
                    .ok());
    absl::StatusOr<sp::wire::Frame> f = dying->ReadFrame(absl::Seconds(10));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->header.type, sp::wire::kTypeCopyin);
    dying->Close();
  }
  EXPECT_TRUE(s->WaitForLine("pid 3 released", absl::Seconds(10)).has_value()) << s->Output();
  r = c->Syscall(rump::abi::kSysGetpid, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rv0, 2);
  s->Signal(SIGTERM);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st << "\n" << s->Output();
  EXPECT_TRUE(c->WaitClosed(absl::Seconds(10)));
  EXPECT_FALSE(Exists("sock"));
  EXPECT_FALSE(Exists("zsock"));
}

TEST_P(TransportTest, HostileInputIsDroppedAndTheServerKeepsServing) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {GetParam()});
  ASSERT_NE(s, nullptr);
  std::unique_ptr<RawClient> good = Connect(s->url());
  ASSERT_TRUE(good->Handshake().ok());
  std::mt19937 rng(7);
  auto random_bytes = [&](size_t n) {
    std::string b(n, '\0');
    for (char& ch : b) ch = char(rng());
    return b;
  };
  std::string huge = sp::wire::EncodeFrame(1, 0, 1, 20, {});
  const uint64_t big = uint64_t{1} << 62;
  std::memcpy(huge.data(), &big, 8);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"random", random_bytes(3000)},
      {"random small", random_bytes(30)},
      {"huge length", huge},
      {"truncated", sp::wire::EncodeFrame(1, 0, 1, 20, {"12345678"}).substr(0, 29)},
      {"copyin answer never asked for", sp::wire::CopyinResponse(3, "xyz")},
      {"wrong class", sp::wire::EncodeFrame(1, 5, 1, 20, {})},
      {"wrong type", sp::wire::EncodeFrame(1, 0, 42, 0, {})},
      {"bad syscall payload", sp::wire::EncodeFrame(1, 0, 1, 20, {"abc"})},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    for (bool handshake : {false, true}) {
      std::unique_ptr<RawClient> bad = Connect(s->url());
      ASSERT_NE(bad, nullptr);
      if (handshake) {
        ASSERT_TRUE(bad->Handshake().ok());
      }
      (void)bad->SendBytes(bytes);
      bad->Close();
      absl::StatusOr<RawClient::Result> r = good->Syscall(rump::abi::kSysGetpid, {});
      ASSERT_TRUE(r.ok()) << r.status() << "\n" << s->Output();
      EXPECT_EQ(r->rv0, 2);
    }
  }
  EXPECT_TRUE(s->WaitForLine("dropping connection", absl::Seconds(10)).has_value())
      << s->Output();
  s->Signal(SIGTERM);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(30));
  ASSERT_TRUE(st.ok()) << st.status();
  // Under ASan any error report aborts the server: a clean 0 means none.
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st << "\n" << s->Output();
}

INSTANTIATE_TEST_SUITE_P(Urls, TransportTest,
                         ::testing::Values("unix://sock", "tcp://127.0.0.1:0/", "tcp://[::1]:0/",
                                           "zmq+tcp://127.0.0.1:0", "zmq+ipc://zsock"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.find(':'));
                           if (absl::StrContains(info.param, "[::1]")) n += "6";
                           for (char& ch : n) {
                             if (ch == '+') ch = '_';
                           }
                           return n;
                         });

TEST_F(RumpServerTest, TwoHundredFiftyFiveClientsAndNoMore) {
  std::unique_ptr<Foreground> s = Foreground::Start(ServerPath(), {"unix://sock"});
  ASSERT_NE(s, nullptr);
  std::vector<std::unique_ptr<RawClient>> clients;
  std::set<int64_t> pids;
  for (int i = 0; i < 255; ++i) {
    std::unique_ptr<RawClient> c = Connect("unix://sock");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(c->banner(), kOurBanner) << i;
    ASSERT_TRUE(c->Handshake().ok()) << i;
    clients.push_back(std::move(c));
  }
  std::unique_ptr<RawClient> extra = Connect("unix://sock");
  ASSERT_NE(extra, nullptr);
  EXPECT_EQ(extra->banner(), "");
  EXPECT_TRUE(extra->closed());
  for (auto& c : clients) {
    absl::StatusOr<RawClient::Result> r = c->Syscall(rump::abi::kSysGetpid, {});
    ASSERT_TRUE(r.ok()) << r.status();
    pids.insert(r->rv0);
  }
  EXPECT_EQ(pids.size(), 255u);
  s->Signal(SIGTERM);
  absl::StatusOr<int> st = s->Wait(absl::Seconds(60));
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << *st;
}

TEST_F(RumpServerTest, AllServerHasEveryComponent) {
  std::unique_ptr<Foreground> all = Foreground::Start(AllServerPath(), {"unix://all"});
  ASSERT_NE(all, nullptr);
  std::unique_ptr<Foreground> bare = Foreground::Start(ServerPath(), {"unix://bare"});
  ASSERT_NE(bare, nullptr);
  std::unique_ptr<RawClient> a = Connect(all->url());
  std::unique_ptr<RawClient> b = Connect(bare->url());
  ASSERT_TRUE(a->Handshake().ok());
  ASSERT_TRUE(b->Handshake().ok());
  absl::StatusOr<RawClient::Result> r = a->Syscall(rump::abi::kSysSocket, {2, 2, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 3);
  r = b->Syscall(rump::abi::kSysSocket, {2, 2, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, rump::abi::kENOSYS);  // no network component loaded
}

}  // namespace
