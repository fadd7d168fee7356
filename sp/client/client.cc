#include "sp/client/client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "sp/client/errors.h"
#include "sp/client/host.h"
#include "sp/client/signals.h"

namespace sp::client {
namespace {

std::atomic<int64_t> g_retry_policy{0};

constexpr char kExecFdVar[] = "RUMPCLIENT__EXECFD";
constexpr char kParsedServerVar[] = "RUMP__PARSEDSERVER";

}  // namespace

void SetConnRetry(int64_t policy) {
  if (policy < kRetryConnDie) return;
  g_retry_policy.store(policy, std::memory_order_relaxed);
}

int64_t ConnRetry() { return g_retry_policy.load(std::memory_order_relaxed); }

absl::Duration ReconnectBackoff(int attempt) {
  if (attempt < 10) return absl::Milliseconds(100) * attempt;
  return absl::Seconds(std::min(10, attempt - 9));
}

std::string ProgramName() {
  const host::Calls& h = host::Get();
  const int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "???";
  char buf[128];
  ssize_t n;
  do {
    n = h.read(fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  h.close(fd);
  if (n <= 0) return "???";
  std::string name(buf, size_t(n));
  if (!name.empty() && name.back() == '\n') name.pop_back();
  // The handshake ends the name at its first NUL.
  if (const size_t nul = name.find('\0'); nul != std::string::npos) name.resize(nul);
  return name;
}

Client::Client(std::optional<transport::Url> url, const ConnectionOptions& options,
               std::unique_ptr<Connection> conn)
    : url_(std::move(url)), options_(options), conn_(std::move(conn)) {
  raw_conn_.store(conn_.get());
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const transport::Url& url,
                                                        const ConnectionOptions& options) {
  ScopedBlockSignals block;
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Connect(url, options);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Client>(new Client(url, options, *std::move(c)));
}

absl::StatusOr<std::unique_ptr<Client>> Client::ConnectForked(const transport::Url& url,
                                                              const wire::Cookie& cookie,
                                                              const ConnectionOptions& options) {
  ScopedBlockSignals block;
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::ConnectForked(url, cookie, options);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Client>(new Client(url, options, *std::move(c)));
}

absl::StatusOr<std::unique_ptr<Client>> Client::ResumeAfterExec(
    int fd, std::optional<transport::Url> url, const ConnectionOptions& options) {
  ScopedBlockSignals block;
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::ResumeAfterExec(fd, options);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Client>(new Client(std::move(url), options, *std::move(c)));
}

std::shared_ptr<Connection> Client::connection() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conn_;
}

SyscallResult Client::Syscall(uint32_t sysnum, absl::Span<const uint64_t> slots) {
  ScopedBlockSignals block;
  // The caller's errno survives the transport's own (EAGAIN from a
  // non-blocking read, ...): NetBSD's NOERR calls leave it alone.
  const int saved_errno = errno;
  struct RestoreErrno {
    int value;
    ~RestoreErrno() { errno = value; }
  } restore{saved_errno};
  for (;;) {
    std::shared_ptr<Connection> c;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      c = conn_;
      gen = gen_;
    }
    SyscallResult r = c->Syscall(sysnum, slots);
    if (!r.lost) return r;
    c.reset();
    if (!Reconnect(gen)) return r;
  }
}

bool Client::Reconnect(uint64_t gen) {
  const int64_t policy = ConnRetry();
  if (policy == 0) return false;
  if (policy == kRetryConnDie) {
    std::fprintf(stderr, "rump_sp: connection to kernel lost, exiting\n");
    _exit(1);
  }
  if (!url_) return false;
  uint64_t round;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gen_ != gen) return true;
    round = rounds_;
  }
  std::lock_guard<std::mutex> one_round(reconnect_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (gen_ != gen) return true;        // another thread reconnected meanwhile
    if (rounds_ != round) return false;  // another thread's round gave up
  }
  const absl::Time start = absl::Now();
  absl::Time last_message = absl::InfinitePast();
  for (int attempt = 1;; ++attempt) {
    const absl::Time now = absl::Now();
    if (attempt >= 2 && now - last_message >= absl::Seconds(120)) {
      std::fprintf(stderr, "rump_sp: connection to kernel lost, trying to reconnect ...\n");
      last_message = now;
    }
    absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Connect(*url_, options_);
    if (c.ok()) {
      std::shared_ptr<Connection> fresh = *std::move(c);
      std::shared_ptr<Connection> old;
      {
        std::lock_guard<std::mutex> lock(mu_);
        old = std::exchange(conn_, fresh);
        raw_conn_.store(fresh.get());
        ++gen_;
        ++rounds_;
      }
      return true;
    }
    if (policy == kRetryConnOnce && attempt >= 2) break;
    absl::Duration pause = ReconnectBackoff(attempt);
    if (policy > 0) {
      const absl::Duration left = absl::Seconds(policy) - (absl::Now() - start);
      if (left <= absl::ZeroDuration()) break;
      pause = std::min(pause, left);
    }
    absl::SleepFor(pause);
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++rounds_;
  return false;
}

absl::StatusOr<wire::Cookie> Client::Prefork() {
  ScopedBlockSignals block;
  return connection()->Prefork();
}

void Client::CloseAfterFork() const {
  if (Connection* c = raw_conn_.load(); c != nullptr) c->transport().CloseAfterFork();
}

int Client::SocketFd() const { return connection()->transport().fd(); }

absl::Status Client::MoveOffFd(int fd) { return connection()->transport().MoveOffFd(fd); }

std::vector<int> Client::OwnFds() const { return connection()->transport().OwnFds(); }

std::vector<std::string> ExecEnvironment(const char* const* envp, int fd,
                                         const std::optional<transport::Url>& url) {
  std::vector<std::string> env;
  const std::string execfd_prefix = absl::StrCat(kExecFdVar, "=");
  const std::string parsed_prefix = absl::StrCat(kParsedServerVar, "=");
  for (const char* const* e = envp; e != nullptr && *e != nullptr; ++e) {
    if (absl::StartsWith(*e, execfd_prefix) || absl::StartsWith(*e, parsed_prefix)) continue;
    env.emplace_back(*e);
  }
  env.push_back(absl::StrCat(execfd_prefix, fd, ",-1"));
  if (url) env.push_back(absl::StrCat(parsed_prefix, url->Canonical()));
  return env;
}

absl::StatusOr<int> ParseExecFd(const char* value) {
  absl::string_view v = value == nullptr ? "" : value;
  const size_t comma = v.find(',');
  int fd;
  if (!absl::SimpleAtoi(v.substr(0, comma), &fd) || fd < 0) {
    return HostError(EINVAL, absl::StrCat("rump_sp: bad ", kExecFdVar, " \"", v, "\""));
  }
  return fd;
}

}  // namespace sp::client
