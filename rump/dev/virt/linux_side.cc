#include "rump/dev/virt/linux_side.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rump::virt_testing {
namespace {

absl::Status HostIoctl(unsigned long cmd, struct ifreq* ifr, const char* what) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return absl::ErrnoToStatus(errno, "socket");
  const int rc = ioctl(s, cmd, ifr);
  const int err = rc < 0 ? errno : 0;
  close(s);
  if (err != 0) return absl::ErrnoToStatus(err, absl::StrCat(what, " ", ifr->ifr_name));
  return absl::OkStatus();
}

struct ifreq Ifreq(const std::string& name) {
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return ifr;
}

}  // namespace

const std::string& EnterOwnNetworkNamespace() {
  static const std::string* problem = [] {
    if (unshare(CLONE_NEWNET) != 0) {
      return new std::string(absl::StrCat(
          "needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) for a network namespace and tap "
          "devices: unshare(CLONE_NEWNET): ",
          std::strerror(errno)));
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
      return new std::string("no /dev/net/tun on this machine");
    }
    return new std::string();
  }();
  return *problem;
}

bool HostHas(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

absl::Status HostSetUp(const std::string& name, bool up) {
  struct ifreq ifr = Ifreq(name);
  if (absl::Status s = HostIoctl(SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS"); !s.ok()) return s;
  if (up) {
    ifr.ifr_flags |= IFF_UP;
  } else {
    ifr.ifr_flags &= ~IFF_UP;
  }
  return HostIoctl(SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
}

absl::Status HostSetMtu(const std::string& name, int mtu) {
  struct ifreq ifr = Ifreq(name);
  ifr.ifr_mtu = mtu;
  return HostIoctl(SIOCSIFMTU, &ifr, "SIOCSIFMTU");
}

absl::Status HostSetAddress(const std::string& name, const char* addr, const char* mask) {
  struct ifreq ifr = Ifreq(name);
  auto* sin = reinterpret_cast<struct sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) return absl::InvalidArgumentError(addr);
  if (absl::Status s = HostIoctl(SIOCSIFADDR, &ifr, "SIOCSIFADDR"); !s.ok()) return s;
  if (inet_pton(AF_INET, mask, &sin->sin_addr) != 1) return absl::InvalidArgumentError(mask);
  return HostIoctl(SIOCSIFNETMASK, &ifr, "SIOCSIFNETMASK");
}

}  // namespace rump::virt_testing
