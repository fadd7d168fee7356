// librumpclient end to end: real rump_server processes on every transport
// (relative unix://, tcp://127.0.0.1, tcp://[::1], zmq+tcp://, relative
// zmq+ipc://) and the C client program rumpclient_prog (linked with
// librumpclient.so.0 only) running its scenarios against them. Servers run
// in the foreground (-s) in a short scratch directory under /tmp and are
// stopped by PID; no process outlives a test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/eventually.h"
#include "tests/support/subprocess.h"

extern char** environ;

namespace {

using ::testing::HasSubstr;

// Scans all of `text` with sscanf `format` into `args`; true if every
// conversion matched and nothing is left over.
template <typename... Args>
bool Scan(const std::string& text, const char* format, Args*... args) {
  int used = -1;
  const std::string f = std::string(format) + "%n";
  const int n = std::sscanf(text.c_str(), f.c_str(), args..., &used);
  return n == int(sizeof...(Args)) && used == int(text.size());
}

// A child process with its stdout and stderr captured; killed (SIGKILL)
// and reaped on destruction.
class Proc {
 public:
  Proc(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env_set,
       const std::vector<std::string>& env_unset, const std::string& cwd) {
    int out[2], err[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      const std::string key = kv.substr(0, kv.find('='));
      if (env_set.count(key) || std::count(env_unset.begin(), env_unset.end(), key)) continue;
      env.push_back(kv);
    }
    for (const auto& [k, v] : env_set) env.push_back(k + "=" + v);
    std::vector<char*> envp, args;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& a : argv_copy) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
    const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    EXPECT_EQ(rc, 0) << "cannot start " << argv[0];
    if (rc != 0) pid_ = -1;
  }
  ~Proc() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }
  pid_t pid() const { return pid_; }

  // The next stdout line, or nullopt at EOF or after `timeout`.
  std::optional<std::string> ReadLine(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      if (size_t nl = out_.find('\n'); nl != std::string::npos) {
        std::string line = out_.substr(0, nl);
        out_.erase(0, nl + 1);
        return line;
      }
      if (!Pump(deadline)) return std::nullopt;
    }
  }
  // Waits for the exit (killing the process after `timeout`); collects the
  // rest of its output. The wait status, or -1 if it had to be killed.
  int Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (Pump(deadline)) {
    }
    int status = -1;
    const bool exited = rump::testing::Eventually(
        [&] { return waitpid(pid_, &status, WNOHANG) == pid_; },
        std::max(deadline - absl::Now(), absl::ZeroDuration()));
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      status = -1;
    }
    reaped_ = true;
    // Output written just before exit.
    while (Pump(absl::Now() + absl::Milliseconds(100))) {
    }
    return status;
  }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  // Waits until stderr contains `needle` at least `count` times (true) or
  // `timeout` passes.
  bool WaitErrCount(const std::string& needle, int count, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    auto seen = [&] {
      int n = 0;
      for (size_t at = err_.find(needle); at != std::string::npos;
           at = err_.find(needle, at + needle.size())) {
        ++n;
      }
      return n >= count;
    };
    while (!seen()) {
      if (absl::Now() >= deadline) return false;
      if (!Pump(std::min(deadline, absl::Now() + absl::Milliseconds(100)))) {
        if (out_eof_) return seen();
      }
    }
    return true;
  }
  // Waits until stderr contains `needle` (true) or `timeout` passes.
  bool WaitErr(const std::string& needle, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (err_.find(needle) == std::string::npos) {
      if (absl::Now() >= deadline) return false;
      if (!Pump(std::min(deadline, absl::Now() + absl::Milliseconds(100)))) {
        if (out_eof_) return err_.find(needle) != std::string::npos;
      }
    }
    return true;
  }

 private:
  // Reads what is available; false at EOF on stdout or at the deadline.
  bool Pump(absl::Time deadline) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0 || out_eof_) return false;
    struct pollfd p[2] = {{out_fd_, POLLIN, 0}, {err_eof_ ? -1 : err_fd_, POLLIN, 0}};
    if (poll(p, 2, int(ms)) <= 0) return true;
    char buf[4096];
    if (p[1].revents) {
      const ssize_t n = read(err_fd_, buf, sizeof(buf));
      if (n <= 0) err_eof_ = true;
      else err_.append(buf, size_t(n));
    }
    if (p[0].revents) {
      const ssize_t n = read(out_fd_, buf, sizeof(buf));
      if (n <= 0) {
        out_eof_ = true;
        return false;
      }
      out_.append(buf, size_t(n));
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool reaped_ = false, out_eof_ = false, err_eof_ = false;
  std::string out_, err_;
};

class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/rcXXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Under ThreadSanitizer a client forks while libzmq's threads run, and the
// child (a new connection) starts threads of its own: allowed here. No 1 s
// pause at exit for those threads either. The signal scenario's handler
// makes a remote call, which allocates: TSan calls that signal-unsafe, but
// the library lets a handler run only inside its own wait for the server
// (ppoll), where the thread holds no allocator or library lock.
std::string TsanOptions() {
  const char* base = getenv("TSAN_OPTIONS");
  return absl::StrCat(base ? base : "", base && *base ? ":" : "",
                      "die_after_fork=0:atexit_sleep_ms=0:report_signal_unsafe=0");
}

std::string ServerBin() { return rump_testing::RunfilePath("rump/cmd/rump_server"); }
std::string ProgBin() {
  return std::filesystem::absolute(rump_testing::RunfilePath("capi/rumpclient_prog")).string();
}

bool HaveIpv6Loopback() {
  const int s = socket(AF_INET6, SOCK_STREAM, 0);
  if (s < 0) return false;
  sockaddr_in6 sin6 = {};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_addr = in6addr_loopback;
  const bool ok = bind(s, reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6)) == 0;
  close(s);
  return ok;
}

// A rump_server in the foreground, serving `url` from `dir`.
class Server {
 public:
  Server(const std::string& url, const std::string& dir)
      : proc_({ServerBin(), "-s", "-v", "-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet",
               "-lrumpnet_shmif", url},
              {}, {}, dir) {
    std::optional<std::string> line = proc_.ReadLine(absl::Seconds(30));
    EXPECT_TRUE(line.has_value()) << "rump_server did not start: " << proc_.err();
    const std::string prefix = "rump_server: serving ";
    if (line && absl::StartsWith(*line, prefix)) bound_ = line->substr(prefix.size());
    EXPECT_FALSE(bound_.empty()) << (line ? *line : "") << proc_.err();
  }
  // The URL to give clients: the bound one for tcp (the real port), the
  // relative one as given for unix and zmq+ipc.
  const std::string& bound() const { return bound_; }
  pid_t pid() const { return proc_.pid(); }
  Proc& proc() { return proc_; }
  void Kill() { kill(proc_.pid(), SIGKILL); }
  // Waits until the server's status line (SIGUSR1) reports at least `n`
  // threads asleep in its kernel: that many client calls are blocked there.
  bool WaitAsleep(int n) {
    return rump::testing::Eventually([&] {
      kill(proc_.pid(), SIGUSR1);
      if (!proc_.WaitErrCount("rump_server: status: ", ++status_asked_, absl::Seconds(60))) {
        return false;
      }
      const std::string& err = proc_.err();
      const size_t at = err.rfind("rump_server: status: ");
      int clients = 0, asleep = 0;
      return std::sscanf(err.c_str() + at, "rump_server: status: %d clients, %d", &clients,
                         &asleep) == 2 &&
             asleep >= n;
    });
  }
  int Stop() {
    kill(proc_.pid(), SIGTERM);
    return proc_.Wait(absl::Seconds(60));
  }

 private:
  Proc proc_;
  std::string bound_;
  int status_asked_ = 0;  // SIGUSR1s sent
};

struct Transport {
  const char* name;
  const char* url;  // as given to the server; port 0 = any
  bool relative;    // clients use the URL as given, run from the server's directory
  bool exec_ok;     // the connection survives exec
};

const Transport kTransports[] = {
    {"unix", "unix://sock", true, true},
    {"tcp4", "tcp://127.0.0.1:0/", false, true},
    {"tcp6", "tcp://[::1]:0/", false, true},
    {"zmq_tcp", "zmq+tcp://127.0.0.1:0", false, false},
    {"zmq_ipc", "zmq+ipc://zsock", true, false},
};

class E2eTest : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    if (std::string(GetParam().name) == "tcp6" && !HaveIpv6Loopback()) {
      GTEST_SKIP() << "no IPv6 loopback";
    }
    server_ = std::make_unique<Server>(GetParam().url, dir_.path());
    url_ = GetParam().relative ? GetParam().url : server_->bound();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
  }

  // `scenario` and its arguments, separated by spaces.
  std::unique_ptr<Proc> Client(const std::string& scenario,
                               std::map<std::string, std::string> env = {}) {
    env["RUMP_SERVER"] = url_;
    env["TSAN_OPTIONS"] = TsanOptions();
    std::vector<std::string> argv = {ProgBin()};
    for (absl::string_view a : absl::StrSplit(scenario, ' ')) argv.emplace_back(a);
    return std::make_unique<Proc>(argv, env, std::vector<std::string>{"RUMP__PARSEDSERVER"},
                                  dir_.path());
  }
  // Runs a scenario to its end; its output.
  std::string Run(const std::string& scenario, absl::Duration timeout = absl::Seconds(60),
                  std::map<std::string, std::string> env = {}) {
    auto p = Client(scenario, std::move(env));
    const int status = p->Wait(timeout);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << scenario << ": status " << status << "\nstdout:\n"
        << p->out() << "stderr:\n"
        << p->err();
    return p->out();
  }

  ScratchDir dir_;
  std::unique_ptr<Server> server_;
  std::string url_;
};

TEST_P(E2eTest, Basic) {
  const std::string out = Run("basic");
  // A fresh kernel process: pid >= 2, parent init, first socket fd 3.
  long pid = 0, ppid = 0;
  EXPECT_EQ(std::sscanf(out.c_str(), "pid %ld ppid %ld\n", &pid, &ppid), 2) << out;
  EXPECT_GE(pid, 2);
  EXPECT_EQ(ppid, 1);
  EXPECT_THAT(out, HasSubstr("socket 3 errno 0\n"));
  EXPECT_THAT(out, HasSubstr("shmif0 flags 0x"));
  EXPECT_THAT(out, HasSubstr("lo0 flags 0x"));
  EXPECT_THAT(out, HasSubstr("sysctl kern.ostype=NetBSD mib=1.1\n"));
  EXPECT_THAT(out, HasSubstr("sysctl kern.hostname="));
  EXPECT_THAT(out, HasSubstr("socket(99) -1 errno 47\n"));  // EAFNOSUPPORT, NetBSD's number
  EXPECT_THAT(out, HasSubstr("close again -1 errno 9\n"));
}

// The same scenario in plain NetBSD frames (RUMPCLIENT_NO_XBATCH: the
// client ignores the server's x-batch offer).
TEST_P(E2eTest, BasicWithoutTheExtension) {
  const std::string out =
      Run("basic", absl::Seconds(60), {{"RUMPCLIENT_NO_XBATCH", "1"}});
  EXPECT_THAT(out, HasSubstr("socket 3 errno 0\n"));
  EXPECT_THAT(out, HasSubstr("lo0 flags 0x"));
  EXPECT_THAT(out, HasSubstr("sysctl kern.ostype=NetBSD mib=1.1\n"));
  EXPECT_THAT(out, HasSubstr("socket(99) -1 errno 47\n"));
}

// A client killed while its call is blocked in the kernel (a recvfrom on a
// UDP socket nobody sends to): the call is interrupted and the process
// released at once, and the server goes on serving.
TEST_P(E2eTest, ClientKilledWhileBlockedIsReleased) {
  auto p = Client("block");
  std::optional<std::string> line = p->ReadLine(absl::Seconds(60));
  ASSERT_TRUE(line.has_value()) << p->err();
  long pid = 0;
  ASSERT_TRUE(Scan(*line, "blocked %ld", &pid)) << *line;
  ASSERT_TRUE(server_->WaitAsleep(1)) << server_->proc().err();  // the recvfrom sleeps
  kill(p->pid(), SIGKILL);
  p->Wait(absl::Seconds(60));
  EXPECT_TRUE(server_->proc().WaitErr(absl::StrCat("pid ", pid, " released"), absl::Seconds(60)))
      << server_->proc().err();
  EXPECT_THAT(Run("basic"), HasSubstr("socket 3 errno 0\n"));
}

// A signal caught by a handler installed without SA_RESTART interrupts a
// call blocked in the kernel, which fails with EINTR as a Linux system call
// would (X_INTERRUPT); with SA_RESTART the call goes on and the handler
// runs when it returns. A handler that makes a remote call itself gets its
// answer (the thread that waits reads it). ZeroMQ transports have no
// interruptible wait.
TEST_P(E2eTest, SignalHandlersInterruptBlockedCalls) {
  if (!GetParam().exec_ok) {
    GTEST_SKIP() << "ZeroMQ: a handler runs when the call returns (docs/sp-protocol.md)";
  }
  auto p = Client("signal");
  std::optional<std::string> line = p->ReadLine(absl::Seconds(60));
  ASSERT_TRUE(line.has_value()) << p->err();
  int port = 0;
  ASSERT_TRUE(Scan(*line, "blocked port %d", &port)) << *line;
  ASSERT_TRUE(server_->WaitAsleep(1)) << server_->proc().err();
  kill(p->pid(), SIGUSR2);
  EXPECT_EQ(p->ReadLine(absl::Seconds(60)), "recvfrom -1 errno 4 usr2 1") << p->err();
  ASSERT_EQ(p->ReadLine(absl::Seconds(60)), "blocked again") << p->err();
  ASSERT_TRUE(server_->WaitAsleep(1)) << server_->proc().err();
  kill(p->pid(), SIGWINCH);
  EXPECT_THAT(Run(absl::StrCat("send ", port)), HasSubstr("sent 5 0\n"));
  EXPECT_EQ(p->ReadLine(absl::Seconds(60)), "recvfrom 5 errno 0 winch 1") << p->err();
  EXPECT_EQ(p->ReadLine(absl::Seconds(60)), "getpid ok 1") << p->err();
  const int status = p->Wait(absl::Seconds(60));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p->out() << p->err();
}

TEST_P(E2eTest, ConcurrentBlockingAndQuickCalls) {
  auto p = Client("threads");
  ASSERT_EQ(p->ReadLine(absl::Seconds(60)), "sleepers started") << p->err();
  // Four calls of one connection asleep at once; then the quick calls.
  ASSERT_TRUE(server_->WaitAsleep(4)) << server_->proc().err();
  kill(p->pid(), SIGUSR1);
  const int status = p->Wait(absl::Seconds(120));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p->out() << p->err();
  EXPECT_THAT(p->out(), HasSubstr("threads 3200 calls while 4 threads slept\n"));
}

TEST_P(E2eTest, ServerKilledUnderTheClient) {
  auto p = Client("sleep");
  std::optional<std::string> line = p->ReadLine(absl::Seconds(30));
  ASSERT_EQ(line, "sleeping") << p->err();
  ASSERT_TRUE(server_->WaitAsleep(1)) << server_->proc().err();  // the call sleeps
  server_->Kill();
  const int status = p->Wait(absl::Seconds(60));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p->out() << p->err();
  // ENOTCONN (host 107) long before the hour's sleep is up; later calls too.
  int r1, e1, r2, e2;
  double after;
  ASSERT_TRUE(Scan(p->out(), "nanosleep %d errno %d after %lf s\ngetpid %d errno %d\n", &r1, &e1,
                   &after, &r2, &e2))
      << p->out();
  EXPECT_EQ(r1, -1);
  EXPECT_EQ(e1, ENOTCONN);
  EXPECT_LT(after, 3600.0);
  EXPECT_EQ(r2, -1);
  EXPECT_EQ(e2, ENOTCONN);
  server_.reset();  // killed: nothing to stop
}

TEST_P(E2eTest, Fork) {
  const std::string out = Run("fork");
  long cpid, cppid, ppid;
  int dup;
  ASSERT_TRUE(Scan(out,
                   "child pid %ld ppid %ld dup(3) %d\nchild core limit 0 4096\n"
                   "parent pid %ld still, socket 3 kept\n",
                   &cpid, &cppid, &dup, &ppid))
      << out;
  EXPECT_NE(cpid, ppid);
  EXPECT_EQ(cppid, 1);
  EXPECT_GT(dup, 3);
}

TEST_P(E2eTest, Exec) {
  if (!GetParam().exec_ok) {
    auto p = Client("exec");
    p->Wait(absl::Seconds(30));
    EXPECT_THAT(p->out(), HasSubstr("FAIL: rumpclient_exec: errno 95"));  // EOPNOTSUPP
    return;
  }
  const std::string out = Run("exec");
  long pid, after, was;
  int r3, r4, e4;
  ASSERT_TRUE(Scan(out,
                   "exec from pid %ld with sockets 3 and 4 (close-on-exec)\n"
                   "after exec pid %ld (was %ld) close(3) %d close(4) %d errno %d\n",
                   &pid, &after, &was, &r3, &r4, &e4))
      << out;
  EXPECT_EQ(after, pid);
  EXPECT_EQ(r3, 0);   // kept
  EXPECT_EQ(r4, -1);  // close-on-exec: gone
  EXPECT_EQ(e4, 9);   // EBADF
}

TEST_P(E2eTest, Vfork) {
  if (!GetParam().exec_ok) GTEST_SKIP() << "exec needs a stream connection";
  const std::string out = Run("vfork");
  long cpid, cppid, parent, after;
  ASSERT_TRUE(Scan(out, "vfork child pid %ld ppid %ld (parent %ld)\nparent pid %ld after vfork\n",
                   &cpid, &cppid, &parent, &after))
      << out;
  EXPECT_NE(cpid, parent);
  EXPECT_EQ(cppid, 1);
  EXPECT_EQ(after, parent);
}

TEST_P(E2eTest, Daemon) {
  auto p = Client("daemon");
  EXPECT_EQ(p->Wait(absl::Seconds(30)), 0) << p->err();
  long parent = 0;
  ASSERT_EQ(std::sscanf(p->out().c_str(), "daemonizing pid %ld", &parent), 1) << p->out();
  // The daemon reports through a file (its stdout is /dev/null).
  const std::string file = dir_.path() + "/daemon.out";
  rump::testing::Eventually([&] { return access(file.c_str(), F_OK) == 0; });
  FILE* f = std::fopen(file.c_str(), "r");
  ASSERT_NE(f, nullptr) << "the daemon wrote nothing";
  long host, pid, ppid, parent_seen;
  int s, dup;
  const int n = std::fscanf(f, "daemon host %ld pid %ld ppid %ld parent %ld dup(%d) %d", &host,
                            &pid, &ppid, &parent_seen, &s, &dup);
  std::fclose(f);
  ASSERT_EQ(n, 6);
  // It exits by itself; make sure.
  rump::testing::Eventually([&] { return kill(pid_t(host), 0) != 0; });
  if (kill(pid_t(host), 0) == 0) {
    kill(pid_t(host), SIGKILL);
    ADD_FAILURE() << "the daemon did not exit";
  }
  EXPECT_EQ(parent_seen, parent);
  EXPECT_NE(pid, parent);
  EXPECT_EQ(ppid, 1);
  EXPECT_EQ(s, 3);
  EXPECT_GT(dup, 3);
}

INSTANTIATE_TEST_SUITE_P(Transports, E2eTest, ::testing::ValuesIn(kTransports),
                         [](const auto& info) { return std::string(info.param.name); });

// rumpclient_init's errors, as a program sees them.
class InitErrorsTest : public ::testing::Test {
 protected:
  std::pair<std::string, std::string> Init(std::optional<std::string> server) {
    std::map<std::string, std::string> set;
    std::vector<std::string> unset = {"RUMP__PARSEDSERVER", "RUMPCLIENT__EXECFD"};
    if (server) {
      set["RUMP_SERVER"] = *server;
    } else {
      unset.push_back("RUMP_SERVER");
    }
    Proc p({ProgBin(), "init"}, set, unset, dir_.path());
    EXPECT_EQ(p.Wait(absl::Seconds(30)), 0);
    return {p.out(), p.err()};
  }
  ScratchDir dir_;
};

TEST_F(InitErrorsTest, ServerNotSet) {
  auto [out, err] = Init(std::nullopt);
  EXPECT_EQ(out, "init -1 2\n");
  EXPECT_EQ(err, "error: RUMP_SERVER not set\n");
}

TEST_F(InitErrorsTest, Unreachable) {
  auto [out, err] = Init("unix://nothing-here");
  EXPECT_EQ(out, "init -1 2\n");  // ENOENT
  EXPECT_THAT(err, HasSubstr("cannot connect"));
  // A port nobody listens on.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len);
  const std::string url = absl::StrCat("tcp://127.0.0.1:", ntohs(sin.sin_port), "/");
  std::tie(out, err) = Init(url);
  close(s);
  EXPECT_EQ(out, "init -1 111\n");  // ECONNREFUSED
  std::tie(out, err) = Init("zmq+ipc://nothing-here");
  EXPECT_EQ(out, "init -1 2\n");
}

TEST_F(InitErrorsTest, BadUrls) {
  EXPECT_EQ(Init("tcp://0:1234/").first, "init -1 22\n");        // EINVAL: INADDR_ANY
  EXPECT_EQ(Init("tcp://1.2.3.4:70000/").first, "init -1 34\n");  // ERANGE
  EXPECT_EQ(Init("tcp6://[::1]:1/").first, "init -1 95\n");       // EOPNOTSUPP
  EXPECT_EQ(Init("no-scheme").first, "init -1 22\n");
  const std::string long_path(200, 'x');
  EXPECT_EQ(Init("unix:///" + long_path).first, "init -1 36\n");  // ENAMETOOLONG
}

}  // namespace

namespace {

// rump_init() + rump_init_server() in a program of its own (NetBSD's way of
// embedding a served kernel), a librumpclient program talking to it, and a
// client's reboot ending it.
TEST(EmbeddedServerTest, RumpInitServerServesUntilAClientReboots) {
  ScratchDir dir;
  Proc server({std::filesystem::absolute(rump_testing::RunfilePath("capi/embedded_server"))
                   .string(),
               "unix://esock"},
              {}, {}, dir.path());
  std::optional<std::string> line = server.ReadLine(absl::Seconds(30));
  ASSERT_TRUE(line.has_value()) << server.err();
  EXPECT_EQ(*line, "serving 0 again 48");  // EADDRINUSE: a live server's socket
  auto client = [&](const std::string& scenario) {
    Proc p({ProgBin(), scenario}, {{"RUMP_SERVER", "unix://esock"}, {"TSAN_OPTIONS", TsanOptions()}},
           {"RUMP__PARSEDSERVER"}, dir.path());
    const int status = p.Wait(absl::Seconds(60));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << p.out() << p.err();
    return p.out();
  };
  const std::string out = client("basic");
  EXPECT_THAT(out, HasSubstr("socket 3 errno 0\n"));
  EXPECT_THAT(out, HasSubstr("sysctl kern.ostype=NetBSD mib=1.1\n"));
  EXPECT_EQ(client("reboot"), "reboot 0 0\n");
  const int status = server.Wait(absl::Seconds(20));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << server.err();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/esock"));
}

}  // namespace
