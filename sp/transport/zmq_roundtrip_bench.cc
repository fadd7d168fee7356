// zmq_roundtrip_bench: what a request/answer round trip costs on this
// machine below the rump_sp protocol, so that the ZeroMQ rows of
// client_bench and sp_bench can be read against a floor. Two processes (a
// forked echo server and the client), one 40-byte message each way (the
// size of a getpid request and answer), one outstanding, nothing of ours in
// the path:
//
//   thread hand-off    two threads of one process passing a token through a
//                      std::condition_variable: one round trip is two
//                      wake-ups (what every extra thread in a path costs)
//   unix socket        blocking write/read on a unix stream socket
//   tcp socket         the same over TCP on 127.0.0.1 (TCP_NODELAY)
//   zmq tcp / ipc      libzmq DEALER (client) and ROUTER (server), blocking
//                      zmq_send/zmq_recv, the socket types sp uses
//   zmq tcp curve      the same with CURVE (keys made here)
//
// libzmq moves every message through its I/O thread: a send hands the
// message to that thread (a mailbox and an eventfd), which writes it to the
// socket; a receive waits for that thread to hand over what it read. So a
// ZeroMQ round trip carries four thread hand-offs more than a socket's; the
// "thread hand-off" row prices them. docs/latency.md reads the figures.
//
//   bazel run -c opt //sp/transport:zmq_roundtrip_bench [-- messages]
//
// Prints median, p99 and average in microseconds per round trip (the best
// median of three runs of `messages`, default 20000, after a warm-up).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMessage = 40;

struct Figures {
  double median_us = 0, p99_us = 0, average_us = 0;
};

Figures TimeOnce(long n, const std::function<void()>& round_trip) {
  std::vector<double> us(static_cast<size_t>(n));
  for (long i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    round_trip();
    us[size_t(i)] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  double sum = 0;
  for (double u : us) sum += u;
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], sum / double(n)};
}

Figures Time(long n, const std::function<void()>& round_trip) {
  for (long i = 0; i < n / 10; ++i) round_trip();
  Figures best = TimeOnce(n, round_trip);
  for (int rep = 1; rep < 3; ++rep) {
    const Figures f = TimeOnce(n, round_trip);
    if (f.median_us < best.median_us) best = f;
  }
  return best;
}

void Print(const char* label, const Figures& f) {
  printf("%-18s %9.1f %9.1f %9.1f\n", label, f.median_us, f.p99_us, f.average_us);
  fflush(stdout);
}

[[noreturn]] void Die(const std::string& what) {
  perror(what.c_str());
  exit(1);
}

bool ReadFull(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= size_t(r);
  }
  return true;
}

// The child echoes until its peer goes; the parent times.
pid_t ForkServer(const std::function<void()>& serve) {
  const pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    serve();
    _exit(0);
  }
  return pid;
}

void Reap(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "zmq_roundtrip_bench: server %d did not end cleanly\n", int(pid));
    exit(1);
  }
}

void ThreadHandOff(long n) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 0: the timer's, 1: the echo thread's, 2: stop
  std::thread echo([&] {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      cv.notify_all();
    }
  });
  Print("thread hand-off", Time(n, [&] {
          std::unique_lock<std::mutex> lock(mu);
          turn = 1;
          cv.notify_all();
          cv.wait(lock, [&] { return turn == 0; });
        }));
  {
    std::lock_guard<std::mutex> lock(mu);
    turn = 2;
  }
  cv.notify_all();
  echo.join();
}

void Stream(const char* label, long n, bool tcp) {
  const int lfd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
  if (lfd < 0) Die("socket");
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string path;
  if (tcp) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*sin);
  } else {
    char dir[] = "/tmp/zrtXXXXXX";
    if (mkdtemp(dir) == nullptr) Die("mkdtemp");
    path = std::string(dir) + "/s";
    auto* sun = reinterpret_cast<sockaddr_un*>(&ss);
    sun->sun_family = AF_UNIX;
    snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path.c_str());
    len = sizeof(*sun);
  }
  if (bind(lfd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(lfd, 1) != 0) Die("bind");
  if (getsockname(lfd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) Die("getsockname");
  const pid_t pid = ForkServer([&] {
    const int fd = accept(lfd, nullptr, nullptr);
    if (fd < 0) _exit(1);
    const int one = 1;
    if (tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char buf[kMessage];
    while (ReadFull(fd, buf, sizeof(buf))) {
      if (write(fd, buf, sizeof(buf)) != ssize_t(sizeof(buf))) _exit(1);
    }
  });
  close(lfd);
  const int fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) Die("connect");
  const int one = 1;
  if (tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  char buf[kMessage] = {};
  Print(label, Time(n, [&] {
          if (write(fd, buf, sizeof(buf)) != ssize_t(sizeof(buf)) ||
              !ReadFull(fd, buf, sizeof(buf))) {
            Die("echo");
          }
        }));
  close(fd);
  Reap(pid);
  if (!path.empty()) {
    unlink(path.c_str());
    rmdir(path.substr(0, path.rfind('/')).c_str());
  }
}

void Zmq(const char* label, long n, const std::string& endpoint, bool curve) {
  char server_public[41] = {}, server_secret[41] = {}, client_public[41] = {},
       client_secret[41] = {};
  if (curve && (zmq_curve_keypair(server_public, server_secret) != 0 ||
                zmq_curve_keypair(client_public, client_secret) != 0)) {
    Die("zmq_curve_keypair");
  }
  // The child makes its own context (a context does not survive fork),
  // binds (a TCP endpoint on a port the system picks) and writes the
  // endpoint it bound to the pipe.
  int ready[2];
  if (pipe(ready) != 0) Die("pipe");
  const pid_t pid = ForkServer([&] {
    close(ready[0]);
    void* ctx = zmq_ctx_new();
    void* router = zmq_socket(ctx, ZMQ_ROUTER);
    if (curve) {
      const int one = 1;
      zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof(one));
      zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, server_secret, 40);
    }
    if (zmq_bind(router, endpoint.c_str()) != 0) _exit(1);
    char bound[256] = {};
    size_t bound_len = sizeof(bound) - 1;
    if (zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, bound, &bound_len) != 0) _exit(1);
    if (write(ready[1], bound, strlen(bound)) != ssize_t(strlen(bound))) _exit(1);
    close(ready[1]);
    char id[256], buf[kMessage];
    for (;;) {
      const int idn = zmq_recv(router, id, sizeof(id), 0);
      const int m = zmq_recv(router, buf, sizeof(buf), 0);
      if (idn < 0 || m < 0) _exit(1);
      if (m == 0) break;  // the client's goodbye
      zmq_send(router, id, size_t(idn), ZMQ_SNDMORE);
      zmq_send(router, buf, size_t(m), 0);
    }
    zmq_close(router);
    zmq_ctx_term(ctx);
  });
  close(ready[1]);
  char bound[256] = {};
  if (read(ready[0], bound, sizeof(bound) - 1) <= 0) Die("server start");
  close(ready[0]);
  void* ctx = zmq_ctx_new();
  void* dealer = zmq_socket(ctx, ZMQ_DEALER);
  if (curve) {
    zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, server_public, 40);
    zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, client_public, 40);
    zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, client_secret, 40);
  }
  if (zmq_connect(dealer, bound) != 0) Die("zmq_connect");
  char buf[kMessage] = {};
  Print(label, Time(n, [&] {
          if (zmq_send(dealer, buf, sizeof(buf), 0) < 0 || zmq_recv(dealer, buf, sizeof(buf), 0) < 0) {
            Die("zmq echo");
          }
        }));
  zmq_send(dealer, "", 0, 0);
  const int linger = 1000;
  zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_close(dealer);
  zmq_ctx_term(ctx);
  Reap(pid);
}

}  // namespace

int main(int argc, char** argv) {
  long n = 20000;
  if (argc > 1) {
    char* end = nullptr;
    n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n < 100) {
      fprintf(stderr, "usage: zmq_roundtrip_bench [messages >= 100]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  printf("round trip of a %zu-byte message, %ld per run, best median of 3 (us)\n", kMessage, n);
  printf("%-18s %9s %9s %9s\n", "path", "median", "p99", "average");
  ThreadHandOff(n);
  Stream("unix socket", n, false);
  Stream("tcp socket", n, true);
  Zmq("zmq tcp", n, "tcp://127.0.0.1:*", false);
  char dir[] = "/tmp/zrtXXXXXX";
  if (mkdtemp(dir) == nullptr) Die("mkdtemp");
  const std::string ipc = std::string(dir) + "/z";
  Zmq("zmq ipc", n, "ipc://" + ipc, false);
  unlink(ipc.c_str());
  rmdir(dir);
  Zmq("zmq tcp curve", n, "tcp://127.0.0.1:*", true);
  return 0;
}
