// rump_init() and the other bootstrap entry points of <rump/rump.h>.
#include <fcntl.h>
#include <rump/rump.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/components.h"
#include "rump/kern/kernel.h"
#include "sp/server/server.h"

namespace rump::capi {

std::atomic<Kernel*> g_kernel{nullptr};

namespace {

constexpr int kNetbsdVersion = 799003400;  // __NetBSD_Version__, 7.99.34

std::mutex g_init_mu;         // serialises rump_init and daemonizing
int g_daemon_fd = -1;         // the child's end of the daemonize socketpair
std::atomic<int> g_boothowto{0};
std::atomic<int> g_sigmodel{RUMP_SIGMODEL_RAISE};

// RUMP_NCPU: a number, or "host" for the host's CPU count; default 2.
int NcpuFromEnvironment() {
  const char* v = std::getenv("RUMP_NCPU");
  if (v == nullptr || *v == '\0') return 2;
  if (std::strcmp(v, "host") == 0) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? int(n) : 2;
  }
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n > 0 && n <= 1024) ? int(n) : 2;
}

// Writes all of `n` bytes, retrying on EINTR. 0 or a host errno.
int WriteAll(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += w;
    n -= size_t(w);
  }
  return 0;
}

}  // namespace
}  // namespace rump::capi

using rump::capi::g_init_mu;
using rump::capi::g_kernel;

extern "C" {

int rump_init(void) {
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (g_kernel.load(std::memory_order_acquire) != nullptr) return 0;
  rump::KernelOptions options;
  options.ncpu = rump::capi::NcpuFromEnvironment();
  options.components = rump::AllComponents();
  absl::StatusOr<std::unique_ptr<rump::Kernel>> k = rump::Kernel::Boot(std::move(options));
  if (!k.ok()) {
    std::fprintf(stderr, "rump_init: %s\n", std::string(k.status().message()).c_str());
    const int e = rump::abi::ToErrno(k.status());
    return e != 0 ? e : rump::abi::kEINVAL;
  }
  g_kernel.store(k->release(), std::memory_order_release);
  return 0;
}

// Serves the kernel to remote clients at `url` (sp/server): returns once the
// address accepts connections; the server runs on its own threads until
// the kernel halts (a client's reboot), and then, as NetBSD's, ends the
// process unless the halt was RB_HALT. Several calls serve several URLs.
int rump_init_server(const char* url) {
  rump::Kernel* k = g_kernel.load(std::memory_order_acquire);
  if (k == nullptr) return rump::abi::kENXIO;  // no rump_init() yet
  if (url == nullptr) return rump::abi::kEINVAL;
  const absl::Status s = sp::server::ServeKernel(*k, url);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    const int e = rump::abi::ToErrno(s);
    return e != 0 ? e : rump::abi::kEINVAL;
  }
  return 0;
}

int rump_daemonize_begin(void) {
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (g_kernel.load(std::memory_order_acquire) != nullptr ||
      rump::capi::g_daemon_fd != -1) {
    return rump::abi::kEALREADY;
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
    return rump::abi::FromHostErrno(errno);
  }
  const pid_t pid = fork();
  if (pid == -1) {
    const int e = errno;
    close(sv[0]);
    close(sv[1]);
    return rump::abi::FromHostErrno(e);
  }
  if (pid > 0) {
    // The parent: wait for the child's report and exit with it. A child
    // that dies without reporting gives ESRCH.
    close(sv[1]);
    int error = 0;
    size_t got = 0;
    while (got < sizeof(error)) {
      const ssize_t n = read(sv[0], reinterpret_cast<char*>(&error) + got,
                             sizeof(error) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += size_t(n);
    }
    if (got != sizeof(error)) error = rump::abi::kESRCH;
    _exit(error);
  }
  close(sv[0]);
  setsid();
  rump::capi::g_daemon_fd = sv[1];
  return 0;
}

int rump_daemonize_done(int error) {
  std::lock_guard<std::mutex> lock(g_init_mu);
  const int fd = rump::capi::g_daemon_fd;
  if (fd == -1) return rump::abi::kEINVAL;  // no rump_daemonize_begin()
  if (error == RUMP_DAEMONIZE_SUCCESS) {
    const int null = open("/dev/null", O_RDWR);
    if (null == -1) return rump::abi::FromHostErrno(errno);
    for (int target = 0; target < 3; ++target) dup2(null, target);
    if (null > 2) close(null);
  }
  const int e = rump::capi::WriteAll(fd, &error, sizeof(error));
  close(fd);
  rump::capi::g_daemon_fd = -1;
  return rump::abi::FromHostErrno(e);
}

int rump_getversion(void) { return rump::capi::kNetbsdVersion; }
int rump_pub_getversion(void) { return rump::capi::kNetbsdVersion; }

int rump_nativeabi_p(void) {
#if defined(__x86_64__)
  return 1;
#else
  return 0;
#endif
}

int rump_boot_gethowto(void) { return rump::capi::g_boothowto.load(); }
void rump_boot_sethowto(int howto) { rump::capi::g_boothowto.store(howto); }
void rump_boot_setsigmodel(enum rump_sigmodel model) { rump::capi::g_sigmodel.store(model); }

void rump_schedule(void) {}
void rump_unschedule(void) {}
void rump_printevcnts(void) {}

}  // extern "C"
