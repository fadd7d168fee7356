// client_bench: remote system call cost through librumpclient.so.0, against
// real rump_server processes on each transport, with and without the
// one-round-trip extension (x-batch; "off" rows set RUMPCLIENT_NO_XBATCH=1,
// i.e. plain NetBSD frames):
//   getpid       no user memory
//   sendto 1KiB  a UDP datagram to 127.0.0.1:9 (plain: COPYIN of the
//                sockaddr and of the data)
//   ioctl        SIOCGIFFLAGS on lo0 (plain: one COPYIN + one COPYOUT)
// The ZeroMQ transports also run with CURVE ("... curve" rows: the server
// with --curve-key and --curve-allow, the client with RUMP_SERVER_KEY and
// RUMP_CLIENT_KEY; keys made here).
// Latency per call (median, p99, microseconds) and calls per second, one
// thread, one call outstanding; each cell is the best (lowest median) of
// three runs.
//
//   bazel run -c opt //capi:client_bench [-- [--table] [calls]]
//
// The parent starts one server per transport (foreground, in a scratch
// directory under /tmp), runs itself as the client against it ("--client
// LABEL CALLS"; rumpclient_init is once per process), prints the table, and
// stops every server it started.
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sp/transport/curve_keys.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  double median_us, p99_us, per_s;
};

template <typename F>
Stats TimeOnce(long calls, F call) {
  std::vector<double> us(size_t(calls), 0.0);
  const auto start = Clock::now();
  for (long i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    call();
    us[size_t(i)] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(us.begin(), us.end());
  return Stats{us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)],
               double(calls) / total};
}

// Three runs of `calls` calls; the one with the lowest median (the machine
// is shared: the least disturbed run says most about the code).
template <typename F>
Stats Time(long calls, F call) {
  for (long i = 0; i < calls / 10; ++i) call();  // warm up
  Stats best = TimeOnce(calls, call);
  for (int rep = 1; rep < 3; ++rep) {
    const Stats s = TimeOnce(calls, call);
    if (s.median_us < best.median_us) best = s;
  }
  return best;
}

// NetBSD struct ifreq (144 bytes) and SIOCGIFFLAGS.
struct NbIfreq {
  char name[16];
  union {
    short flags;
    unsigned char space[128];
    void* data;
  } u;
};
static_assert(sizeof(NbIfreq) == 144);
constexpr unsigned long kSiocgifflags = _RUMP_IOWR('i', 17, NbIfreq);

// NetBSD struct sockaddr_in.
struct NbSockaddrIn {
  uint8_t len, family;
  uint16_t port_be;
  uint32_t addr_be;
  char zero[8];
};
static_assert(sizeof(NbSockaddrIn) == 16);

int RunClient(const std::string& label, long calls) {
  if (rumpclient_init() == -1) {
    std::fprintf(stderr, "client_bench: rumpclient_init: %s\n", std::strerror(errno));
    return 1;
  }
  const Stats getpid = Time(calls, [] {
    if (rump_sys_getpid() < 2) std::abort();
  });
  const int s = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
  if (s < 0) std::abort();
  const NbSockaddrIn to = {16, 2, 0x0900, 0x0100007f, {}};  // 127.0.0.1:9 (discard)
  char payload[1024];
  std::memset(payload, 'x', sizeof(payload));
  const Stats sendto = Time(calls, [&] {
    if (rump_sys_sendto(s, payload, sizeof(payload), 0,
                        reinterpret_cast<const struct sockaddr*>(&to), sizeof(to)) != 1024) {
      std::fprintf(stderr, "client_bench: sendto: errno %d\n", errno);
      std::abort();
    }
  });
  NbIfreq ifr = {};
  std::strcpy(ifr.name, "lo0");
  const Stats ioctl = Time(calls, [&] {
    if (rump_sys_ioctl(s, kSiocgifflags, &ifr) != 0) std::abort();
  });
  const char* no_x = getenv("RUMPCLIENT_NO_XBATCH");
  std::printf("| %-13s | %-4s | %6.1f | %6.1f | %7.0f | %6.1f | %6.1f | %7.0f | %6.1f | %6.1f | %7.0f |\n",
              label.c_str(), no_x != nullptr ? "off" : "on", getpid.median_us, getpid.p99_us,
              getpid.per_s, sendto.median_us, sendto.p99_us, sendto.per_s, ioctl.median_us,
              ioctl.p99_us, ioctl.per_s);
  std::fflush(stdout);
  return 0;
}

std::string ServerPath(const char* argv0) {
  if (const char* dir = getenv("RUNFILES_DIR")) {
    return std::string(dir) + "/rump/rump/cmd/rump_server";
  }
  const std::string beside = std::string(argv0) + ".runfiles/rump/rump/cmd/rump_server";
  if (access(beside.c_str(), X_OK) == 0) return beside;
  return "rump/cmd/rump_server";
}

// Spawns argv with its stdout on a pipe; returns the pid and the read end.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& cwd,
            const std::vector<std::string>& extra_env, int* out, bool quiet = false) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  std::vector<std::string> env_strings = extra_env;
  for (char** e = environ; *e; ++e) env_strings.push_back(*e);
  std::vector<char*> args, env;
  std::vector<std::string> a = argv;
  for (auto& s : a) args.push_back(s.data());
  args.push_back(nullptr);
  for (auto& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  // The server's -v log (connections) would interleave with the table.
  if (quiet) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return -1;
  }
  *out = p[0];
  return pid;
}

std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  char c;
  while (true) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) break;
    if (read(fd, &c, 1) != 1 || c == '\n') break;
    line.push_back(c);
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  long calls = 100000;
  if (argc == 4 && std::strcmp(argv[1], "--client") == 0) {
    return RunClient(argv[2], std::atol(argv[3]));
  }
  int argi = 1;
  if (argi < argc && std::strcmp(argv[argi], "--table") == 0) ++argi;  // the default
  if (argc - argi > 1 || (argc - argi == 1 && (calls = std::atol(argv[argi])) <= 0)) {
    std::fprintf(stderr, "usage: client_bench [--table] [calls]\n");
    return 1;
  }
  char tmpl[] = "/tmp/rcbXXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  const std::string server = std::filesystem::absolute(ServerPath(argv[0])).string();
  const std::string self = std::filesystem::canonical("/proc/self/exe").string();
  struct Transport {
    const char* label;
    const char* url;
    bool relative;
    bool curve = false;
  };
  const Transport transports[] = {
      {"unix", "unix://sock", true},
      {"tcp", "tcp://127.0.0.1:0/", false},
      {"tcp6", "tcp://[::1]:0/", false},
      {"zmq+tcp", "zmq+tcp://127.0.0.1:0", false},
      {"zmq+ipc", "zmq+ipc://zsock", true},
      {"zmq+tcp curve", "zmq+tcp://127.0.0.1:0", false, true},
      {"zmq+ipc curve", "zmq+ipc://zsock", true, true},
  };
  // CURVE keys: the server's, and one client key on the allow-list.
  {
    auto server_keys = sp::transport::GenerateCurveKeyPair();
    auto client_keys = sp::transport::GenerateCurveKeyPair();
    if (!server_keys.ok() || !client_keys.ok() ||
        !sp::transport::WriteKeyFiles(dir + "/server", *server_keys, false).ok() ||
        !sp::transport::WriteKeyFiles(dir + "/client", *client_keys, false).ok()) {
      std::fprintf(stderr, "client_bench: cannot make CURVE keys in %s\n", dir.c_str());
      return 1;
    }
    FILE* allow = std::fopen((dir + "/allow").c_str(), "w");
    if (allow == nullptr) return 1;
    std::fprintf(allow, "%s bench\n", client_keys->public_key.c_str());
    std::fclose(allow);
  }
  std::printf("remote syscalls through librumpclient.so.0, %ld calls per cell; latency in us "
              "(median, p99), calls/s on one thread; best of 3 runs\n\n",
              calls);
  std::printf("| %-13s | %-4s | %6s | %6s | %7s | %6s | %6s | %7s | %6s | %6s | %7s |\n", "url",
              "x", "getpid", "p99", "/s", "sendto", "p99", "/s", "ioctl", "p99", "/s");
  std::printf("|---------------|------|--------|--------|---------|--------|--------|---------|--------|"
              "--------|---------|\n");
  std::fflush(stdout);
  int failures = 0;
  for (const Transport& t : transports) {
    int out;
    std::vector<std::string> server_argv = {server, "-s", "-v", "-lrumpnet", "-lrumpnet_net",
                                            "-lrumpnet_netinet"};
    if (t.curve) {
      server_argv.push_back("--curve-key=server.key");
      server_argv.push_back("--curve-allow=allow");
    }
    server_argv.push_back(t.url);
    const pid_t spid = Spawn(server_argv, dir, {}, &out, /*quiet=*/true);
    if (spid < 0) {
      std::fprintf(stderr, "client_bench: cannot start %s\n", server.c_str());
      return 1;
    }
    const std::string line = ReadLine(out, 30000);
    const std::string prefix = "rump_server: serving ";
    std::string url = t.url;
    if (line.rfind(prefix, 0) != 0) {
      std::fprintf(stderr, "client_bench: %s did not start (%s)\n", t.url, line.c_str());
      kill(spid, SIGKILL);
      waitpid(spid, nullptr, 0);
      close(out);
      ++failures;
      continue;
    }
    if (!t.relative) url = line.substr(prefix.size());
    for (const bool xbatch : {true, false}) {
      std::vector<std::string> env = {"RUMP_SERVER=" + url};
      if (!xbatch) env.push_back("RUMPCLIENT_NO_XBATCH=1");
      if (t.curve) {
        env.push_back("RUMP_SERVER_KEY=server.pub");
        env.push_back("RUMP_CLIENT_KEY=client.key");
      }
      int cout;
      const pid_t cpid =
          Spawn({self, "--client", t.label, std::to_string(calls)}, dir, env, &cout);
      std::string row;
      for (std::string l; !(l = ReadLine(cout, 600000)).empty();) row += l + "\n";
      int status = 0;
      waitpid(cpid, &status, 0);
      close(cout);
      std::fputs(row.c_str(), stdout);
      std::fflush(stdout);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    }
    kill(spid, SIGTERM);
    waitpid(spid, nullptr, 0);
    close(out);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return failures == 0 ? 0 : 1;
}
