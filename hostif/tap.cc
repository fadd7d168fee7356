#include "hostif/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace hostif {
namespace {

constexpr char kErrnoPayload[] = "hostif.errno";

// Linux's largest tap frame without a vnet header: an interface MTU of
// 65535 plus the Ethernet and VLAN headers.
constexpr size_t kMaxTapFrame = 65535 + 18;

absl::Status HostError(int err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  if (err == EPERM || err == EACCES) {
    absl::StrAppend(&msg,
                    " (a tap device needs root or CAP_NET_ADMIN; or hand the kernel a tap"
                    " descriptor opened by a privileged process: linkstr fd:N)");
  }
  absl::Status s = absl::ErrnoToStatus(err, msg);
  s.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(err)));
  return s;
}

// SIOCGIF* on a throwaway datagram socket, as ip(8) does.
int HostIfIoctl(unsigned long cmd, struct ifreq* ifr) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  const int rc = ioctl(s, cmd, ifr);
  const int err = rc < 0 ? errno : 0;
  close(s);
  return err;
}

int NewWakeFd() { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

}  // namespace

int TapDevice::HostErrno(const absl::Status& s) {
  if (s.ok()) return 0;
  if (auto payload = s.GetPayload(kErrnoPayload)) {
    int e;
    if (absl::SimpleAtoi(std::string(*payload), &e)) return e;
  }
  return EIO;
}

absl::StatusOr<std::unique_ptr<TapDevice>> TapDevice::Open(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return HostError(EINVAL, absl::StrCat("tap name '", name, "'"));
  }
  const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return HostError(errno, "open /dev/net/tun");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    close(fd);
    return HostError(err, absl::StrCat("attach tap ", name, " (TUNSETIFF)"));
  }
  const int wake = NewWakeFd();
  if (wake < 0) {
    const int err = errno;
    close(fd);
    return HostError(err, "eventfd");
  }
  return std::unique_ptr<TapDevice>(new TapDevice(fd, wake, ifr.ifr_name));
}

absl::StatusOr<std::unique_ptr<TapDevice>> TapDevice::Adopt(int fd) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
    return HostError(errno, absl::StrCat("descriptor ", fd, " is not an attached tap (TUNGETIFF)"));
  }
  if ((ifr.ifr_flags & IFF_TAP) == 0 || (ifr.ifr_flags & IFF_NO_PI) == 0) {
    return HostError(EINVAL, absl::StrCat("descriptor ", fd, " (", ifr.ifr_name,
                                          ") is not a tap opened with IFF_TAP|IFF_NO_PI"));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    return HostError(errno, absl::StrCat("descriptor ", fd));
  }
  const int wake = NewWakeFd();
  if (wake < 0) return HostError(errno, "eventfd");
  return std::unique_ptr<TapDevice>(new TapDevice(fd, wake, ifr.ifr_name));
}

absl::StatusOr<std::unique_ptr<TapDevice>> TapDevice::OpenLink(const std::string& link) {
  if (absl::StartsWith(link, "fd:")) {
    int fd;
    if (!absl::SimpleAtoi(link.substr(3), &fd) || fd < 0) {
      return HostError(EINVAL, absl::StrCat("bad descriptor in '", link, "'"));
    }
    return Adopt(fd);
  }
  return Open(link);
}

TapDevice::TapDevice(int fd, int wake_fd, std::string name)
    : fd_(fd), wake_fd_(wake_fd), name_(std::move(name)) {}

TapDevice::~TapDevice() {
  close(fd_);
  close(wake_fd_);
}

absl::Status TapDevice::Write(absl::Span<const uint8_t> frame) {
  for (;;) {
    const ssize_t n = write(fd_, frame.data(), frame.size());
    if (n >= 0) return absl::OkStatus();
    if (errno == EINTR) continue;
    // The tap never pushes back (Linux queues or drops), so EAGAIN is not
    // expected; report it like any other failure.
    return HostError(errno, absl::StrCat("write to tap ", name_));
  }
}

absl::StatusOr<int> TapDevice::ReadFrames(
    int max_frames, const std::function<void(absl::Span<const uint8_t>)>& deliver) {
  thread_local std::vector<uint8_t> buf(kMaxTapFrame);
  int got = 0;
  while (got < max_frames) {
    const ssize_t n = read(fd_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      if (got > 0) break;  // report it on the next call
      return HostError(errno, absl::StrCat("read from tap ", name_));
    }
    if (n == 0) break;
    ++got;
    deliver(absl::MakeConstSpan(buf.data(), size_t(n)));
  }
  return got;
}

bool TapDevice::Wait(absl::Duration timeout) {
  struct pollfd pfd[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int ms = timeout == absl::InfiniteDuration()
                     ? -1
                     : int(std::max<int64_t>(0, absl::ToInt64Milliseconds(timeout)));
  const int rc = poll(pfd, 2, ms);
  if (rc <= 0) return false;
  if (pfd[1].revents & POLLIN) {
    uint64_t v;
    if (read(wake_fd_, &v, sizeof(v)) < 0) { /* already drained */ }
    return false;
  }
  // POLLERR/POLLHUP count as readable: the read reports what happened.
  return pfd[0].revents != 0;
}

void TapDevice::Interrupt() {
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) { /* counter full: a wake-up is pending */ }
}

absl::StatusOr<TapDevice::HostState> TapDevice::QueryHost() const {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::memcpy(ifr.ifr_name, name_.data(), std::min(name_.size(), size_t(IFNAMSIZ - 1)));
  if (int err = HostIfIoctl(SIOCGIFFLAGS, &ifr); err != 0) {
    return HostError(err == ENODEV ? ENXIO : err, absl::StrCat("host interface ", name_));
  }
  HostState st;
  st.up = (ifr.ifr_flags & IFF_UP) != 0;
  if (HostIfIoctl(SIOCGIFMTU, &ifr) == 0) st.mtu = ifr.ifr_mtu;
  return st;
}

}  // namespace hostif
