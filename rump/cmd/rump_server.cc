// rump_server / rump_allserver: a rump kernel served to remote clients over
// rump_sp (NetBSD's usr.bin/rump_allserver, written anew).
//
//   rump_server [-sv] [-c ncpu] [-d drivespec] [-l library] [-L library]
//               [-m module] [-r total_ram] url
//
//   url   unix://path, tcp://a.b.c.d:port/, tcp://[v6]:port/, zmq+tcp://host:port,
//         zmq+ipc://path (sp/transport/url.h).
//   -l L  add the kernel component of NetBSD library L; may repeat. Spelled
//   -L L  -lrumpnet_shmif, -l rumpnet_shmif or -l librumpnet_shmif.so
//         (a path's directory is ignored). An unknown component is an error
//         naming it. -L is the same as -l.
//   -c N  the kernel's CPU count (1..1024; default 2, as NetBSD's).
//   -r S  total RAM, decimal with an optional k/m/g suffix: checked, then
//         not enforced (this kernel has no page allocator to limit).
//   -s    stay in the foreground.
//   -v    verbose: log connections and print "rump_server: serving <url>"
//         on stdout once the server accepts.
//   -m, -d  kernel modules and drive mappings need a file system, which
//         this kernel does not have: an error ("not supported"), exit 1.
//
// rump_allserver is the same program with every component loaded.
//
// Start-up, as NetBSD's: unless -s, the program forks and the parent waits;
// the child boots the kernel, binds the URL and reports; the parent exits
// with status 0 only once the URL accepts connections, or with the child's
// error number (a NetBSD errno: 48 EADDRINUSE for a URL a live server
// holds) after the child printed "rump server init failed: <message>".
// With -s a start-up failure exits 1.
//
// Shutdown: SIGTERM or SIGINT halts the kernel as reboot(2) would. Then,
// and after a client's reboot(2) (rump.halt), the server answers the
// reboot, stops (the unix socket file is removed, every client is
// disconnected and its process released), the kernel is destroyed (its
// interfaces detached from their buses) and the program exits 0. With
// RB_HALT (rump.halt -h) the kernel halts and the server stops, but the
// process keeps running, serving nothing, until SIGTERM or SIGINT ends it
// (exit 0). With RB_DUMP (rump.halt -d) it aborts and dumps core.
//
// Status: SIGUSR1 (as dd(1) does; NetBSD would use SIGINFO) prints one line
// on stderr, "<prog>: status: N clients, M threads asleep in the kernel":
// how many clients are connected and how many system calls are blocked
// (a receive waiting for data, a poll, a nanosleep...).
//
// Access control (beyond NetBSD; docs/access-control.md):
//   --policy=FILE       who is admitted and with which kernel credentials
//                       (sp/server/credential_policy.h); re-read on SIGHUP
//                       (new connections only; a bad file keeps the old
//                       policy and says why). Without it: root for all.
//   --socket-mode=MODE  unix:// socket file permissions (octal, e.g. 0660),
//   --socket-owner=U[:G] and owner (names or numbers), set before any client
//                       can connect.
//   --max-clients=N     connected clients at most (1..65535; default 255,
//                       NetBSD's); more are refused with a log line.
//   --max-files=N       RLIMIT_NOFILE of every client's process (1..1024;
//                       default 1024).
//   --max-sockbuf=BYTES RLIMIT_SBSIZE of every client's process: the socket
//                       buffer memory (SO_SNDBUF + SO_RCVBUF of its sockets)
//                       it may hold; beyond it socket(2) and setsockopt
//                       fail with ENOBUFS and TCP buffers stop growing.
//                       Decimal with an optional k, m or g suffix; default
//                       unlimited (NetBSD's). -v prints it at start.
//   --max-running=N     calls of one client that may run on a CPU at once
//                       (1..128; calls asleep in the kernel do not count):
//                       a client pipelining many calls cannot crowd out the
//                       others. Default: the number of CPUs, at least 2.
//   --handshake-timeout=S  a client that has not completed its handshake S
//                       seconds after connecting is disconnected (it holds
//                       a client slot); 0: never. Default 60.
//   --curve-key=FILE    zmq+tcp:// and zmq+ipc:// only: CURVE (encryption and
//                       client keys) with the server's secret key FILE
//                       (rump.keygen's NAME.key; sp/transport/curve_keys.h).
//                       Clients need the public key (NAME.pub, RUMP_SERVER_KEY).
//   --curve-allow=FILE  the client public keys admitted, one per line;
//                       re-read on SIGHUP with --policy (new connections
//                       only; a bad file keeps the old list and says why).
//                       Without it every CURVE client is admitted, whatever
//                       its key (encryption only; --policy's `curve` rules
//                       still decide its credentials). A refused client gets
//                       nothing, not even the banner; the refusal is logged
//                       once per key (or per address, for a handshake that
//                       fails before the key is known).
//
// Latency (-t, beyond NetBSD): the per-stage latency histograms of the
// remote calls served (trace/stages.h; docs/latency.md reads them) are
// printed on stderr after each SIGUSR1 status line and when the server
// exits.
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/abi/resource.h"
#include "rump/components.h"
#include "rump/kern/fd_table.h"
#include "rump/kern/kernel.h"
#include "sp/server/credential_policy.h"
#include "sp/server/server.h"
#include "sp/transport/curve_keys.h"
#include "trace/stages.h"

namespace {

constexpr int kRbHalt = 0x008;
constexpr int kRbDump = 0x100;

std::string g_prog = "rump_server";

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: %s [-st] [-c ncpu] [-d drivespec] [-l libs] [-m modules] bindurl\n"
               "  beyond NetBSD: [-v] [--policy=file] [--socket-mode=mode]\n"
               "       [--socket-owner=user[:group]] [--max-clients=n] [--max-files=n]\n"
               "       [--max-sockbuf=bytes[k|m|g]] [--max-running=n] [--handshake-timeout=s]\n"
               "       [--curve-key=file] [--curve-allow=file]\n",
               g_prog.c_str());
  std::exit(1);
}

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", g_prog.c_str(), msg.c_str());
  std::exit(1);
}

// "-lrumpnet_shmif", "-l librumpnet_shmif.so", "/usr/lib/librumpnet_shmif.so.0"
// all name the library "rumpnet_shmif".
std::string LibraryName(std::string arg) {
  if (size_t slash = arg.rfind('/'); slash != std::string::npos) arg = arg.substr(slash + 1);
  if (size_t so = arg.find(".so"); so != std::string::npos) arg.resize(so);
  if (absl::StartsWith(arg, "lib")) arg = arg.substr(3);
  return arg;
}

// NetBSD's -r syntax: decimal with an optional k, m or g suffix.
bool ParseMemSize(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  std::string digits = s;
  uint64_t mult = 1;
  switch (absl::ascii_tolower(static_cast<unsigned char>(s.back()))) {
    case 'k':
      mult = uint64_t{1} << 10;
      break;
    case 'm':
      mult = uint64_t{1} << 20;
      break;
    case 'g':
      mult = uint64_t{1} << 30;
      break;
    default:
      break;
  }
  if (mult != 1) digits.pop_back();
  if (digits.empty()) return false;
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  uint64_t v;
  if (!absl::SimpleAtoi(digits, &v) || v == 0 || v > UINT64_MAX / mult) return false;
  *out = v * mult;
  return true;
}

// A user or group by name or number; -1 if there is none.
int64_t UserId(const std::string& name) {
  uint32_t id;
  if (absl::SimpleAtoi(name, &id)) return id;
  const passwd* pw = getpwnam(name.c_str());
  return pw != nullptr ? int64_t{pw->pw_uid} : -1;
}
int64_t GroupId(const std::string& name) {
  uint32_t id;
  if (absl::SimpleAtoi(name, &id)) return id;
  const group* gr = getgrnam(name.c_str());
  return gr != nullptr ? int64_t{gr->gr_gid} : -1;
}

// The parent's side of daemonizing: the report channel and its child.
int g_report_fd = -1;

// Forks. The parent waits for the child's report and exits with it; the
// child returns and reports with Report().
void DaemonizeBegin() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    Die(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) Die(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid > 0) {
    close(sv[1]);
    int error = 0;
    size_t got = 0;
    while (got < sizeof(error)) {
      const ssize_t n =
          read(sv[0], reinterpret_cast<char*>(&error) + got, sizeof(error) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += size_t(n);
    }
    if (got != sizeof(error)) {
      std::fprintf(stderr, "%s: the server process died during start-up\n", g_prog.c_str());
      _exit(1);
    }
    _exit(error);
  }
  close(sv[0]);
  setsid();
  g_report_fd = sv[1];
}

// The child's report: 0 once serving (stdio then goes to /dev/null), or a
// NetBSD errno.
void Report(int error) {
  if (g_report_fd < 0) return;
  if (error == 0) {
    std::fflush(stdout);
    std::fflush(stderr);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) close(null);
    }
  }
  const char* p = reinterpret_cast<const char*>(&error);
  size_t left = sizeof(error);
  while (left > 0) {
    const ssize_t n = write(g_report_fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    p += n;
    left -= size_t(n);
  }
  close(g_report_fd);
  g_report_fd = -1;
}

// A start-up failure: message, then the exit status the spec asks for.
[[noreturn]] void InitFailed(const char* what, int netbsd_errno, const std::string& detail) {
  if (!detail.empty()) std::fprintf(stderr, "%s\n", detail.c_str());
  std::fprintf(stderr, "%s init failed: %s\n", what, rump::abi::ErrnoMessage(netbsd_errno));
  if (g_report_fd >= 0) {
    Report(netbsd_errno);
    _exit(netbsd_errno);
  }
  std::exit(1);
}

// -t: the latency stages on stderr.
void PrintLatency() {
  const std::string out = absl::StrCat(g_prog, ": latency stages (pid ", getpid(), "):\n",
                                       trace::FormatStages());
  (void)!write(STDERR_FILENO, out.data(), out.size());
}

// Turns SIGTERM / SIGINT into a kernel halt (or, once halted with
// RB_HALT, into the end of the program), and SIGUSR1 into a status line.
class SignalThread {
 public:
  SignalThread(rump::Kernel& kernel, std::function<std::string()> status,
               std::function<void()> reload)
      : kernel_(kernel), status_(std::move(status)), reload_(std::move(reload)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGHUP);   // re-read the credential policy
    sigaddset(&set_, SIGUSR1);  // print the status line
    sigaddset(&set_, SIGUSR2);  // our own wake-up, to end the thread
    thread_ = std::thread([this] { Run(); });
  }
  ~SignalThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }
  // Blocks until a signal asks the halted program to exit.
  void WaitExit() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return exit_; });
  }

 private:
  void Run() {
    for (;;) {
      int sig = 0;
      if (sigwait(&set_, &sig) != 0) continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (quit_) return;
        if (sig == SIGUSR2) continue;
        if (sig == SIGHUP) {
          reload_();
          continue;
        }
        if (sig == SIGUSR1) {
          const std::string line = absl::StrCat(g_prog, ": status: ", status_(), "\n");
          (void)!write(STDERR_FILENO, line.data(), line.size());
          continue;
        }
        if (kernel_.halted()) {
          exit_ = true;
          cv_.notify_all();
          continue;
        }
      }
      kernel_.Halt(0);  // as rump_sys_reboot(0, NULL)
    }
  }

  rump::Kernel& kernel_;
  const std::function<std::string()> status_;
  const std::function<void()> reload_;
  sigset_t set_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool quit_ = false;
  bool exit_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr) {
    g_prog = argv[0];
    if (size_t slash = g_prog.rfind('/'); slash != std::string::npos) {
      g_prog = g_prog.substr(slash + 1);
    }
  }
  bool foreground = false;
  bool verbose = false;
  bool latency = false;
  int ncpu = 2;
  std::vector<std::string> libraries;
  std::string policy_file;
  std::string curve_key_file;
  std::string curve_allow_file;
  sp::server::ServerOptions so;
  enum {
    kPolicy = 256,
    kSocketMode,
    kSocketOwner,
    kMaxClients,
    kMaxFiles,
    kMaxSockbuf,
    kMaxRunning,
    kHandshakeTimeout,
    kCurveKey,
    kCurveAllow,
  };
  static const option kLongOptions[] = {
      {"policy", required_argument, nullptr, kPolicy},
      {"socket-mode", required_argument, nullptr, kSocketMode},
      {"socket-owner", required_argument, nullptr, kSocketOwner},
      {"max-clients", required_argument, nullptr, kMaxClients},
      {"max-files", required_argument, nullptr, kMaxFiles},
      {"max-sockbuf", required_argument, nullptr, kMaxSockbuf},
      {"max-running", required_argument, nullptr, kMaxRunning},
      {"handshake-timeout", required_argument, nullptr, kHandshakeTimeout},
      {"curve-key", required_argument, nullptr, kCurveKey},
      {"curve-allow", required_argument, nullptr, kCurveAllow},
      {nullptr, 0, nullptr, 0},
  };
  int opt;
  while ((opt = getopt_long(argc, argv, "c:d:l:L:m:r:stv", kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case kPolicy:
        policy_file = optarg;
        break;
      case kCurveKey:
        curve_key_file = optarg;
        break;
      case kCurveAllow:
        curve_allow_file = optarg;
        break;
      case kSocketMode: {
        const std::string text = optarg;
        const bool octal = !text.empty() && text.size() <= 5 &&
                           text.find_first_not_of("01234567") == std::string::npos;
        const unsigned long mode = octal ? std::strtoul(text.c_str(), nullptr, 8) : 0;
        if (!octal || mode > 07777) {
          Die(absl::StrCat("--socket-mode: invalid mode \"", text,
                           "\" (octal permission bits, e.g. 0660)"));
        }
        so.socket_mode = int(mode);
        break;
      }
      case kSocketOwner: {
        const std::string text = optarg;
        const size_t colon = text.find(':');
        const std::string user = text.substr(0, colon);
        const std::string grp = colon == std::string::npos ? "" : text.substr(colon + 1);
        if (user.empty() && grp.empty()) {
          Die("--socket-owner: expected user[:group], :group, or numbers");
        }
        if (!user.empty() && (so.socket_uid = UserId(user)) < 0) {
          Die(absl::StrCat("--socket-owner: no such user \"", user, "\""));
        }
        if (!grp.empty() && (so.socket_gid = GroupId(grp)) < 0) {
          Die(absl::StrCat("--socket-owner: no such group \"", grp, "\""));
        }
        break;
      }
      case kMaxClients: {
        int n;
        if (!absl::SimpleAtoi(optarg, &n) || n < 1 || n > 65535) {
          Die(absl::StrCat("--max-clients: invalid count \"", optarg, "\" (1..65535)"));
        }
        so.session.max_clients = n;
        break;
      }
      case kMaxFiles: {
        int n;
        if (!absl::SimpleAtoi(optarg, &n) || n < 1 || n > rump::FdTable::kMaxDescriptors) {
          Die(absl::StrCat("--max-files: invalid count \"", optarg, "\" (1..",
                           rump::FdTable::kMaxDescriptors, ")"));
        }
        so.session.max_files = uint64_t(n);
        break;
      }
      case kMaxSockbuf: {
        uint64_t bytes;
        if (!ParseMemSize(optarg, &bytes) || bytes >= rump::abi::kRlimInfinity) {
          Die(absl::StrCat("--max-sockbuf: invalid size \"", optarg,
                           "\" (bytes, at least 1, with an optional k, m or g suffix)"));
        }
        so.session.max_sockbuf = bytes;
        break;
      }
      case kMaxRunning: {
        int n;
        if (!absl::SimpleAtoi(optarg, &n) || n < 1 || n > 128) {
          Die(absl::StrCat("--max-running: invalid count \"", optarg, "\" (1..128)"));
        }
        so.workers.runnable_per_owner = size_t(n);
        break;
      }
      case kHandshakeTimeout: {
        int n;
        if (!absl::SimpleAtoi(optarg, &n) || n < 0 || n > 86400) {
          Die(absl::StrCat("--handshake-timeout: invalid seconds \"", optarg,
                           "\" (0..86400; 0: no limit)"));
        }
        so.handshake_timeout = absl::Seconds(n);
        break;
      }
      case 'c': {
        int n;
        if (!absl::SimpleAtoi(optarg, &n) || n < 1 || n > 1024) {
          Die(absl::StrCat("-c: invalid CPU count \"", optarg, "\" (1..1024)"));
        }
        ncpu = n;
        break;
      }
      case 'd':
        Die(absl::StrCat("-d ", optarg,
                         ": drive mappings are not supported (this rump kernel has no "
                         "file system)"));
      case 'm':
        Die(absl::StrCat("-m ", optarg,
                         ": kernel modules are not supported (this rump kernel has no "
                         "file system to load them from)"));
      case 'l':
      case 'L':
        libraries.push_back(LibraryName(optarg));
        break;
      case 'r': {
        uint64_t bytes;
        if (!ParseMemSize(optarg, &bytes)) {
          Die(absl::StrCat("-r: invalid memory size \"", optarg,
                           "\" (a number with an optional k, m or g suffix)"));
        }
        break;
      }
      case 's':
        foreground = true;
        break;
      case 't':
        latency = true;
        break;
      case 'v':
        verbose = true;
        break;
      default:
        Usage();
    }
  }
  if (argc - optind != 1) Usage();
  const std::string url = argv[optind];

  if (!policy_file.empty()) {
    absl::StatusOr<sp::server::CredentialPolicy> policy =
        sp::server::CredentialPolicy::Load(policy_file);
    if (!policy.ok()) Die(absl::StrCat("--policy: ", policy.status().message()));
    so.policy = std::make_shared<const sp::server::CredentialPolicy>(*std::move(policy));
  }
  if (!curve_allow_file.empty() && curve_key_file.empty()) {
    Die("--curve-allow needs --curve-key (the server's secret key)");
  }
  if (!curve_key_file.empty()) {
    absl::StatusOr<sp::transport::CurveKeyPair> keys =
        sp::transport::ReadSecretKeyFile(curve_key_file);
    if (!keys.ok()) Die(absl::StrCat("--curve-key: ", keys.status().message()));
    so.curve_secret_key = keys->secret_key;
  }
  if (!curve_allow_file.empty()) {
    absl::StatusOr<sp::transport::CurveAllowList> allow =
        sp::transport::ReadAllowList(curve_allow_file);
    if (!allow.ok()) Die(absl::StrCat("--curve-allow: ", allow.status().message()));
    so.curve_allow = std::make_shared<const sp::transport::CurveAllowList>(*std::move(allow));
  }

  absl::StatusOr<std::vector<rump::ComponentFactory>> components =
      rump::ComponentsFor(libraries);
  if (!components.ok()) {
    Die(absl::StrCat("failed to load -libraries: ", components.status().message()));
  }
#ifdef RUMP_ALLSERVER
  components = rump::AllComponents();
#endif

  if (!foreground) DaemonizeBegin();

  // The console writes to stdout, which may be a pipe whose reader went
  // away: that must not kill the server (its sockets use MSG_NOSIGNAL).
  signal(SIGPIPE, SIG_IGN);

  // Every thread from here on inherits this mask; SignalThread takes them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  rump::KernelOptions ko;
  ko.ncpu = ncpu;
  ko.components = *std::move(components);
  absl::StatusOr<std::unique_ptr<rump::Kernel>> booted = rump::Kernel::Boot(std::move(ko));
  if (!booted.ok()) {
    const int e = rump::abi::ToErrno(booted.status());
    InitFailed("rump", e != 0 ? e : rump::abi::kEINVAL,
               absl::StrCat(g_prog, ": ", booted.status().message()));
  }
  std::unique_ptr<rump::Kernel> kernel = *std::move(booted);

  so.session.verbose = verbose;
  absl::StatusOr<std::unique_ptr<sp::server::Server>> started =
      sp::server::Server::Start(*kernel, url, so);
  if (!started.ok()) {
    const int e = rump::abi::ToErrno(started.status());
    InitFailed("rump server", e != 0 ? e : rump::abi::kEINVAL,
               std::string(started.status().message()));
  }
  std::unique_ptr<sp::server::Server> server = *std::move(started);

  int howto;
  {
    SignalThread signals(*kernel, [&] {
      const int asleep = kernel->sleeping_threads();
      std::string status = absl::StrCat(server->clients(), " clients, ", asleep,
                                        asleep == 1 ? " thread" : " threads",
                                        " asleep in the kernel");
      if (latency) absl::StrAppend(&status, "\n", trace::FormatStages());
      return status;
    }, [&] {
      // SIGHUP: the policy file and the CURVE allow-list again. Stderr is
      // /dev/null once detached; the line still says what happened when -s
      // keeps it.
      if (!curve_allow_file.empty()) {
        absl::StatusOr<sp::transport::CurveAllowList> allow =
            sp::transport::ReadAllowList(curve_allow_file);
        std::string line;
        if (allow.ok()) {
          line = absl::StrCat(g_prog, ": SIGHUP: ", curve_allow_file, ": ", allow->size(),
                              allow->size() == 1 ? " key" : " keys", " allowed\n");
          server->SetCurveAllowList(
              std::make_shared<const sp::transport::CurveAllowList>(*std::move(allow)));
        } else {
          line = absl::StrCat(g_prog, ": SIGHUP: ", allow.status().message(),
                              "; the previous allow-list stays in force\n");
        }
        (void)!write(STDERR_FILENO, line.data(), line.size());
      }
      if (policy_file.empty()) return;
      absl::StatusOr<sp::server::CredentialPolicy> policy =
          sp::server::CredentialPolicy::Load(policy_file);
      std::string line;
      if (policy.ok()) {
        line = absl::StrCat(g_prog, ": SIGHUP: ", policy_file, ": ", policy->rules(),
                            policy->rules() == 1 ? " rule" : " rules", " in force\n");
        server->SetPolicy(std::make_shared<const sp::server::CredentialPolicy>(*std::move(policy)));
      } else {
        line = absl::StrCat(g_prog, ": SIGHUP: ", policy.status().message(),
                            "; the previous policy stays in force\n");
      }
      (void)!write(STDERR_FILENO, line.data(), line.size());
    });
    // Serving, and the signals are taken: a SIGHUP sent as soon as this is
    // said re-reads the policy.
    if (verbose) {
      if (so.session.max_sockbuf != 0) {
        std::printf("%s: socket buffers of each client process limited to %llu bytes\n",
                    g_prog.c_str(), static_cast<unsigned long long>(so.session.max_sockbuf));
      }
      if (so.workers.runnable_per_owner != 0) {
        std::printf("%s: calls of one client running at once: at most %zu\n", g_prog.c_str(),
                    so.workers.runnable_per_owner);
      }
      std::printf("%s: serving %s\n", g_prog.c_str(), server->url().c_str());
      std::fflush(stdout);
    }
    Report(0);
    howto = kernel->WaitHalted();
    const bool stopped = server->Stop();
    if (howto & kRbDump) std::abort();
    if (howto & kRbHalt) {
      std::printf("rump kernel halted (RB_HALT): not serving; SIGTERM or SIGINT exits\n");
      std::fflush(stdout);
      signals.WaitExit();
    }
    if (!stopped) {
      // Calls are stuck in the kernel: it cannot be destroyed under them.
      if (latency) PrintLatency();
      std::fflush(nullptr);
      _exit(0);
    }
  }
  server.reset();
  kernel.reset();
  if (latency) PrintLatency();
  return 0;
}
