// librumpclient: <rump/rumpclient.h> over sp/client. One client per host
// process (the connection is the process's kernel process); it is never
// destroyed (a host process's rump connection lives as long as the process,
// and a fork child must not touch its parent's), only leaked when replaced.
#include <rump/rumpclient.h>

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "capi/rumpclient_internal.h"
#include "sp/client/client.h"
#include "sp/client/errors.h"
#include "sp/client/host.h"
#include "sp/transport/curve_keys.h"
#include "sp/transport/url.h"
#include "trace/stages.h"

static_assert(std::is_same_v<register_t, long>, "rumpclient_syscall's retval is register_t");
static_assert(RUMPCLIENT_RETRYCONN_INFTIME == sp::client::kRetryConnInfTime);
static_assert(RUMPCLIENT_RETRYCONN_ONCE == sp::client::kRetryConnOnce);
static_assert(RUMPCLIENT_RETRYCONN_DIE == sp::client::kRetryConnDie);

struct rumpclient_fork {
  using Self = rumpclient_fork;  // the name is hidden by the function rumpclient_fork()
  sp::wire::Cookie cookie;
  std::optional<sp::transport::Url> url;
  // The parent's state, for rumpclient_fork_vparent.
  sp::client::Client* saved_client;
  pid_t saved_pid;
};

namespace rump::capi::client {
namespace {

using sp::client::Client;

// The host process's client, and the host pid that made it (a fork child
// inherits the pointer but must not use the connection).
std::atomic<Client*> g_client{nullptr};
std::atomic<pid_t> g_client_pid{0};
std::mutex g_init_mu;

constexpr char kExecFdVar[] = "RUMPCLIENT__EXECFD";

}  // namespace

namespace {

// The CURVE keys read by the first rumpclient_init (a fork child's new
// connection and reconnects use the same ones). Guarded by g_init_mu for
// writing; written once, before any connection exists.
std::atomic<sp::client::TransportOptions*> g_curve{nullptr};

const char* Env(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

// RUMP_SERVER_KEY: the file with the server's public key (a rump.keygen
// NAME.pub, a ZeroMQ certificate, or a bare Z85 key): zmq+tcp:// and
// zmq+ipc:// connections then use CURVE. RUMP_CLIENT_KEY: our secret key
// file (NAME.key); without it each connection makes a fresh key pair.
absl::Status LoadCurveKeys(const sp::transport::Url& url) {
  if (g_curve.load() != nullptr) return absl::OkStatus();
  const char* server_key = Env("RUMP_SERVER_KEY");
  const char* client_key = Env("RUMP_CLIENT_KEY");
  if (server_key == nullptr) {
    if (client_key != nullptr) {
      return sp::client::HostError(
          EINVAL, "rump_sp: RUMP_CLIENT_KEY is set but RUMP_SERVER_KEY is not (CURVE needs "
                  "the server's public key)");
    }
    return absl::OkStatus();
  }
  if (url.scheme != sp::transport::Scheme::kZmqTcp &&
      url.scheme != sp::transport::Scheme::kZmqIpc) {
    return sp::client::HostError(
        EINVAL, absl::StrCat("rump_sp: RUMP_SERVER_KEY is set, but ", url.text,
                             " is not a zmq+tcp:// or zmq+ipc:// URL (CURVE is ZeroMQ's)"));
  }
  auto t = std::make_unique<sp::client::TransportOptions>();
  absl::StatusOr<std::string> server = sp::transport::ReadPublicKeyFile(server_key);
  if (!server.ok()) {
    return sp::client::HostError(sp::transport::UrlErrno(server.status()),
                                 absl::StrCat("rump_sp: RUMP_SERVER_KEY: ", server.status().message()));
  }
  t->curve_server_key = *server;
  if (client_key != nullptr) {
    absl::StatusOr<sp::transport::CurveKeyPair> ours = sp::transport::ReadSecretKeyFile(client_key);
    if (!ours.ok()) {
      return sp::client::HostError(sp::transport::UrlErrno(ours.status()),
                                   absl::StrCat("rump_sp: RUMP_CLIENT_KEY: ", ours.status().message()));
    }
    t->curve_public_key = ours->public_key;
    t->curve_secret_key = ours->secret_key;
  }
  g_curve.store(t.release());  // kept for the process's life
  return absl::OkStatus();
}

}  // namespace

// RUMPCLIENT_NO_XBATCH (set, not "0"): plain NetBSD frames even when the
// server offers the one-round-trip extension. The CURVE keys, if any.
sp::client::ConnectionOptions Options() {
  sp::client::ConnectionOptions o;
  o.progname = sp::client::ProgramName();
  const char* no_x = getenv("RUMPCLIENT_NO_XBATCH");
  o.xbatch = no_x == nullptr || std::strcmp(no_x, "0") == 0;
  if (const sp::client::TransportOptions* curve = g_curve.load(); curve != nullptr) {
    o.transport.curve_server_key = curve->curve_server_key;
    o.transport.curve_public_key = curve->curve_public_key;
    o.transport.curve_secret_key = curve->curve_secret_key;
  }
  return o;
}

namespace {

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
  errno = sp::client::ErrnoOf(st);
  return -1;
}

// Clients this process no longer uses (its parent's, after a host fork; a
// vfork child's, after rumpclient_fork_vparent) are never destroyed: their
// descriptors and mutexes may belong to another process. They stay
// reachable from here, so leak checkers do not report them.
struct Abandoned {
  Client* client;
  Abandoned* next;
};
std::atomic<Abandoned*> g_abandoned{nullptr};

void Abandon(Client* c) {
  if (c == nullptr) return;
  auto* a = new Abandoned{c, g_abandoned.load()};
  while (!g_abandoned.compare_exchange_weak(a->next, a)) {
  }
}

// In a host fork child: let go of the parent's connection without touching it.
void DropInherited() {
  Client* old = g_client.load();
  if (old != nullptr && g_client_pid.load() != getpid()) {
    old->CloseAfterFork();
    Abandon(old);
    g_client.store(nullptr);
  }
}

// The environment of the last rumpclient_exec(), kept reachable: after a
// vfork the exec'ing child's allocations stay in the parent's memory.
std::vector<std::string>* g_exec_env = nullptr;
std::vector<char*>* g_exec_envv = nullptr;

void Install(std::unique_ptr<Client> c) {
  g_client_pid.store(getpid());
  g_client.store(c.release());  // leaked on purpose (see the top)
}

// RUMPCLIENT_STATS (set, not "0"): at exit, the process prints its remote
// calls' latency (trace/stages.h) on stderr.
void PrintStats() {
  const std::string stages = trace::FormatStages();
  if (stages.empty()) return;
  const std::string out =
      absl::StrCat("rumpclient stats, ", sp::client::ProgramName(), " (pid ", getpid(), "):\n", stages);
  (void)!write(STDERR_FILENO, out.data(), out.size());
}

int Init() {
  std::lock_guard<std::mutex> lock(g_init_mu);
  const pid_t self = getpid();
  if (g_client.load() != nullptr && g_client_pid.load() == self) return 0;
  DropInherited();
  static bool stats_registered = false;
  if (const char* stats = getenv("RUMPCLIENT_STATS");
      !stats_registered && stats != nullptr && std::strcmp(stats, "0") != 0) {
    stats_registered = true;
    std::atexit(PrintStats);
  }

  const char* url_text = getenv("RUMP__PARSEDSERVER");
  if (url_text == nullptr) url_text = getenv("RUMP_SERVER");

  if (const char* execfd = getenv(kExecFdVar); execfd != nullptr) {
    absl::StatusOr<int> fd = sp::client::ParseExecFd(execfd);
    unsetenv(kExecFdVar);
    if (!fd.ok()) return Fail(fd.status());
    std::optional<sp::transport::Url> url;
    if (url_text != nullptr) {
      if (auto u = sp::transport::ParseUrl(url_text, sp::transport::Role::kClient); u.ok()) {
        url = *std::move(u);
      }
    }
    auto c = Client::ResumeAfterExec(*fd, std::move(url), Options());
    if (!c.ok()) return Fail(c.status());
    Install(*std::move(c));
    return 0;
  }

  if (url_text == nullptr) {
    std::fprintf(stderr, "error: RUMP_SERVER not set\n");
    errno = ENOENT;
    return -1;
  }
  absl::StatusOr<sp::transport::Url> url =
      sp::transport::ParseUrl(url_text, sp::transport::Role::kClient);
  if (!url.ok()) return Fail(url.status());
  if (absl::Status keys = LoadCurveKeys(*url); !keys.ok()) return Fail(keys);
  auto c = Client::Connect(*url, Options());
  if (!c.ok()) return Fail(c.status());
  Install(*std::move(c));
  return 0;
}

// The client this process may use, or nullptr.
Client* Current() {
  Client* c = g_client.load(std::memory_order_acquire);
  return c;
}

}  // namespace

RemoteResult RemoteSyscall(int number, std::initializer_list<uint64_t> slots) {
  Client* c = Current();
  if (c == nullptr) return RemoteResult{ENOTCONN, 0, 0};
  sp::client::SyscallResult r =
      c->Syscall(uint32_t(number), absl::MakeConstSpan(slots.begin(), slots.size()));
  return RemoteResult{r.error, r.rv0, r.rv1};
}

pid_t ForkWith(pid_t (*host_fork)()) {
  struct rumpclient_fork* rf = rumpclient_prefork();
  if (rf == nullptr) return -1;
  const pid_t pid = host_fork();
  if (pid == -1) {
    const int e = errno;
    rumpclient_fork_cancel(rf);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    const int r = rumpclient_fork_init(rf);
    delete rf;
    return r == -1 ? -1 : 0;
  }
  delete rf;
  return pid;
}

bool ConnectedInThisProcess() {
  return Current() != nullptr && g_client_pid.load() == getpid();
}

}  // namespace rump::capi::client

using rump::capi::client::Abandon;
using rump::capi::client::Client;
using rump::capi::client::Current;
using rump::capi::client::g_client;
using rump::capi::client::g_client_pid;
using rump::capi::client::g_exec_env;
using rump::capi::client::g_exec_envv;

extern "C" {

int rumpclient_init(void) { return rump::capi::client::Init(); }

int rumpclient_syscall(int num, const void* sysarg, size_t argsize, long* retval) {
  if (argsize > 64 || (argsize > 0 && sysarg == nullptr)) return EINVAL;
  uint64_t slots[8] = {};
  if (argsize > 0) std::memcpy(slots, sysarg, argsize);
  Client* c = Current();
  if (c == nullptr) return ENOTCONN;
  sp::client::SyscallResult r =
      c->Syscall(uint32_t(num), absl::MakeConstSpan(slots, (argsize + 7) / 8));
  if (retval != nullptr) {
    retval[0] = r.rv0;
    retval[1] = r.rv1;
  }
  return r.error;
}

struct rumpclient_fork* rumpclient_prefork(void) {
  Client* c = Current();
  if (c == nullptr) {
    errno = ENOTCONN;
    return nullptr;
  }
  absl::StatusOr<sp::wire::Cookie> cookie = c->Prefork();
  if (!cookie.ok()) {
    errno = sp::client::ErrnoOf(cookie.status());
    return nullptr;
  }
  using Fork = ::rumpclient_fork::Self;
  return new Fork{*cookie, c->url(), c, g_client_pid.load()};
}

// In the child. Writes only our globals and new memory: after a vfork the
// parent gets its state back with rumpclient_fork_vparent.
int rumpclient_fork_init(struct rumpclient_fork* rf) {
  if (rf == nullptr) {
    errno = EINVAL;
    return -1;
  }
  if (rf->saved_client != nullptr) {
    rf->saved_client->CloseAfterFork();
    Abandon(rf->saved_client);
  }
  g_client.store(nullptr);
  if (!rf->url) {
    errno = ENOTCONN;
    return -1;
  }
  auto c = Client::ConnectForked(*rf->url, rf->cookie, rump::capi::client::Options());
  if (!c.ok()) {
    errno = sp::client::ErrnoOf(c.status());
    return -1;
  }
  g_client_pid.store(getpid());
  g_client.store(c->release());
  return 0;
}

void rumpclient_fork_cancel(struct rumpclient_fork* rf) {
  if (rf == nullptr) return;
  const int saved_errno = errno;
  if (rf->url) {
    (void)sp::client::Connection::CancelFork(*rf->url, rf->cookie,
                                             rump::capi::client::Options());
  }
  delete rf;
  errno = saved_errno;
}

void rumpclient_fork_vparent(struct rumpclient_fork* rf) {
  if (rf == nullptr) return;
  if (Client* child = g_client.load(); child != rf->saved_client) Abandon(child);
  g_client_pid.store(rf->saved_pid);
  g_client.store(rf->saved_client);
  delete rf;
}

pid_t rumpclient_fork(void) { return rump::capi::client::ForkWith(&fork); }

int rumpclient_exec(const char* path, char* const argv[], char* const envp[]) {
  Client* c = Current();
  if (c == nullptr) return sp::client::host::Get().execve(path, argv, envp);
  const int fd = c->SocketFd();
  if (fd < 0) {
    errno = EOPNOTSUPP;  // a ZeroMQ connection lives in libzmq's state
    return -1;
  }
  delete g_exec_envv;
  delete g_exec_env;
  g_exec_env = new std::vector<std::string>(sp::client::ExecEnvironment(envp, fd, c->url()));
  g_exec_envv = new std::vector<char*>;
  g_exec_envv->reserve(g_exec_env->size() + 1);
  for (std::string& e : *g_exec_env) g_exec_envv->push_back(e.data());
  g_exec_envv->push_back(nullptr);
  const sp::client::host::Calls& h = sp::client::host::Get();
  const int flags = h.fcntl(fd, F_GETFD);
  h.fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  h.execve(path, argv, g_exec_envv->data());
  const int e = errno;
  h.fcntl(fd, F_SETFD, flags);
  errno = e;
  return -1;
}

int rumpclient_daemon(int nochdir, int noclose) {
  struct rumpclient_fork* rf = rumpclient_prefork();
  if (rf == nullptr) return -1;
  switch (fork()) {
    case -1: {
      const int e = errno;
      rumpclient_fork_cancel(rf);
      errno = e;
      return -1;
    }
    case 0:
      break;
    default:
      _exit(0);
  }
  if (setsid() == -1) {
    delete rf;
    return -1;
  }
  if (!nochdir) (void)!chdir("/");
  if (!noclose) {
    const int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) close(null);
    }
  }
  const int r = rumpclient_fork_init(rf);
  delete rf;
  return r;
}

void rumpclient_setconnretry(time_t timeout) { sp::client::SetConnRetry(int64_t(timeout)); }

int rumpclient__closenotify(int* fdp, enum rumpclient_closevariant variant) {
  Client* c = Current();
  if (c == nullptr || fdp == nullptr) return 0;
  switch (variant) {
    case RUMPCLIENT_CLOSE_CLOSE:
    case RUMPCLIENT_CLOSE_DUP2:
      if (absl::Status st = c->MoveOffFd(*fdp); !st.ok()) {
        errno = sp::client::ErrnoOf(st);
        return -1;
      }
      return 0;
    case RUMPCLIENT_CLOSE_FCLOSEM: {
      const std::vector<int> own = c->OwnFds();
      if (own.empty() || *fdp > own.back()) return 0;
      const sp::client::host::Calls& h = sp::client::host::Get();
      for (int fd = *fdp; fd < own.back(); ++fd) {
        bool ours = false;
        for (int o : own) ours = ours || o == fd;
        if (!ours) h.close(fd);
      }
      *fdp = own.back() + 1;
      return 0;
    }
  }
  errno = EINVAL;
  return -1;
}

}  // extern "C"
