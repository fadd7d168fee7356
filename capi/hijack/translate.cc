#include "capi/hijack/translate.h"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <rump/rumperrno2host.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/tcp.h"

namespace rump::hijack {

namespace nb = rump::abi;

int ToLinuxErrno(int error) {
  if (error <= 0) return error;
  if (error > nb::kELAST) return error;  // the client's own, already a host errno
  return rump_errno2host(error);
}

std::optional<int> ToNetbsdFamily(int linux_family) {
  switch (linux_family) {
    case AF_UNSPEC:
      return nb::kAF_UNSPEC;
    case AF_UNIX:
      return nb::kAF_LOCAL;
    case AF_INET:
      return nb::kAF_INET;
    case AF_INET6:
      return nb::kAF_INET6;
  }
  return std::nullopt;
}

std::optional<int> ToLinuxFamily(int netbsd_family) {
  switch (netbsd_family) {
    case nb::kAF_UNSPEC:
      return AF_UNSPEC;
    case nb::kAF_LOCAL:
      return AF_UNIX;
    case nb::kAF_INET:
      return AF_INET;
    case nb::kAF_INET6:
      return AF_INET6;
  }
  return std::nullopt;
}

std::optional<int> ToNetbsdSocketType(int linux_type) {
  const int flags = linux_type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
  const int type = linux_type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (type < SOCK_STREAM || type > SOCK_SEQPACKET) return std::nullopt;
  // The types themselves are the same numbers (1 stream, 2 dgram, 3 raw,
  // 4 rdm, 5 seqpacket).
  static_assert(SOCK_STREAM == nb::kSOCK_STREAM && SOCK_DGRAM == nb::kSOCK_DGRAM &&
                SOCK_RAW == nb::kSOCK_RAW && SOCK_SEQPACKET == nb::kSOCK_SEQPACKET);
  uint32_t out = uint32_t(type);
  if (flags & SOCK_NONBLOCK) out |= nb::kSOCK_NONBLOCK;
  if (flags & SOCK_CLOEXEC) out |= nb::kSOCK_CLOEXEC;
  return int(out);
}

std::optional<int> ToNetbsdAcceptFlags(int linux_flags) {
  if (linux_flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return std::nullopt;
  uint32_t out = 0;
  if (linux_flags & SOCK_NONBLOCK) out |= nb::kSOCK_NONBLOCK;
  if (linux_flags & SOCK_CLOEXEC) out |= nb::kSOCK_CLOEXEC;
  return int(out);
}

int ToNetbsdSockaddr(const struct sockaddr* in, socklen_t len, uint8_t* out) {
  if (in == nullptr || len < sizeof(sa_family_t)) return -EINVAL;
  std::memset(out, 0, kNetbsdSockaddrMax);
  switch (in->sa_family) {
    case AF_INET: {
      if (len < sizeof(sockaddr_in)) return -EINVAL;
      const auto* sin = reinterpret_cast<const sockaddr_in*>(in);
      out[nb::kSinLenOff] = uint8_t(nb::kSockaddrInSize);
      out[nb::kSinFamilyOff] = uint8_t(nb::kAF_INET);
      std::memcpy(out + nb::kSinPortOff, &sin->sin_port, 2);
      std::memcpy(out + nb::kSinAddrOff, &sin->sin_addr, 4);
      return int(nb::kSockaddrInSize);
    }
    case AF_INET6: {
      // RFC 2133's 24-byte form (no scope id) is still accepted, as Linux does.
      if (len < 24) return -EINVAL;
      // After the two-byte header the layouts agree: port, flow info,
      // address, scope id.
      out[0] = uint8_t(nb::kSockaddrIn6Size);
      out[1] = uint8_t(nb::kAF_INET6);
      std::memcpy(out + 2, reinterpret_cast<const uint8_t*>(in) + 2,
                  std::min<size_t>(len, sizeof(sockaddr_in6)) - 2);
      return int(nb::kSockaddrIn6Size);
    }
    case AF_UNIX: {
      // NetBSD's sun_path holds 104 bytes.
      const size_t path = len - offsetof(sockaddr_un, sun_path);
      if (path > 104) return -EINVAL;
      out[1] = uint8_t(nb::kAF_LOCAL);
      std::memcpy(out + 2, reinterpret_cast<const uint8_t*>(in) + 2, path);
      out[0] = uint8_t(2 + path);
      return int(2 + path);
    }
    case AF_UNSPEC:
      out[0] = 16;
      out[1] = uint8_t(nb::kAF_UNSPEC);
      return 16;
  }
  return -EAFNOSUPPORT;
}

void ToLinuxSockaddr(const uint8_t* in, size_t len, struct sockaddr* out, socklen_t* out_len) {
  if (out_len == nullptr) return;
  uint8_t buf[sizeof(sockaddr_storage)] = {};
  size_t full = 0;
  const int family = len >= 2 ? in[1] : nb::kAF_UNSPEC;
  const std::optional<int> lf = ToLinuxFamily(family);
  const sa_family_t sa_family = sa_family_t(lf.value_or(AF_UNSPEC));
  std::memcpy(buf, &sa_family, sizeof(sa_family));
  if (family == nb::kAF_INET) {
    full = sizeof(sockaddr_in);
    std::memcpy(buf + 2, in + 2, std::min<size_t>(len, nb::kSockaddrInSize) - 2);
    std::memset(buf + 8, 0, 8);  // sin_zero
  } else if (family == nb::kAF_INET6) {
    full = sizeof(sockaddr_in6);
    std::memcpy(buf + 2, in + 2, std::min<size_t>(len, nb::kSockaddrIn6Size) - 2);
  } else if (family == nb::kAF_LOCAL) {
    const size_t path = len > 2 ? std::min<size_t>(len - 2, sizeof(sockaddr_un::sun_path)) : 0;
    std::memcpy(buf + 2, in + 2, path);
    full = 2 + path;
  } else {
    full = len >= 2 ? std::min<size_t>(len, sizeof(buf)) : sizeof(sa_family_t);
    if (len > 2) std::memcpy(buf + 2, in + 2, full - 2);
  }
  if (out != nullptr) std::memcpy(out, buf, std::min<size_t>(*out_len, full));
  *out_len = socklen_t(full);
}

std::optional<SockoptName> ToNetbsdSockopt(int linux_level, int linux_name) {
  switch (linux_level) {
    case SOL_SOCKET: {
      int n = -1;
      switch (linux_name) {
        case SO_DEBUG: n = nb::kSO_DEBUG; break;
        case SO_REUSEADDR: n = nb::kSO_REUSEADDR; break;
        case SO_TYPE: n = nb::kSO_TYPE; break;
        case SO_ERROR: n = nb::kSO_ERROR; break;
        case SO_DONTROUTE: n = nb::kSO_DONTROUTE; break;
        case SO_BROADCAST: n = nb::kSO_BROADCAST; break;
        case SO_SNDBUF: n = nb::kSO_SNDBUF; break;
        case SO_RCVBUF: n = nb::kSO_RCVBUF; break;
        case SO_KEEPALIVE: n = nb::kSO_KEEPALIVE; break;
        case SO_OOBINLINE: n = nb::kSO_OOBINLINE; break;
        case SO_LINGER: n = nb::kSO_LINGER; break;
        case SO_REUSEPORT: n = nb::kSO_REUSEPORT; break;
        case SO_RCVLOWAT: n = nb::kSO_RCVLOWAT; break;
        case SO_SNDLOWAT: n = nb::kSO_SNDLOWAT; break;
        case SO_RCVTIMEO: n = nb::kSO_RCVTIMEO; break;
        case SO_SNDTIMEO: n = nb::kSO_SNDTIMEO; break;
        case SO_ACCEPTCONN: n = nb::kSO_ACCEPTCONN; break;
        case SO_TIMESTAMP: n = nb::kSO_TIMESTAMP; break;
        default: return std::nullopt;
      }
      return SockoptName{nb::kSOL_SOCKET, n};
    }
    case IPPROTO_IP: {
      int n = -1;
      switch (linux_name) {
        case IP_TOS: n = nb::kIP_TOS; break;
        case IP_TTL: n = nb::kIP_TTL; break;
        case IP_HDRINCL: n = nb::kIP_HDRINCL; break;
        case IP_OPTIONS: n = nb::kIP_OPTIONS; break;
        case IP_RECVTTL: n = nb::kIP_RECVTTL; break;
        // Linux's IP_PKTINFO asks for the destination and interface of
        // each datagram: NetBSD's IP_PKTINFO as an int does the same.
        case IP_PKTINFO: n = nb::kIP_PKTINFO; break;
        case IP_MINTTL: n = nb::kIP_MINTTL; break;
        case IP_MULTICAST_IF: n = nb::kIP_MULTICAST_IF; break;
        case IP_MULTICAST_TTL: n = nb::kIP_MULTICAST_TTL; break;
        case IP_MULTICAST_LOOP: n = nb::kIP_MULTICAST_LOOP; break;
        case IP_ADD_MEMBERSHIP: n = nb::kIP_ADD_MEMBERSHIP; break;
        case IP_DROP_MEMBERSHIP: n = nb::kIP_DROP_MEMBERSHIP; break;
        default: return std::nullopt;
      }
      return SockoptName{nb::kIPPROTO_IP, n};
    }
    case IPPROTO_TCP: {
      int n = -1;
      switch (linux_name) {
        case TCP_NODELAY: n = nb::kTCP_NODELAY; break;
        case TCP_MAXSEG: n = nb::kTCP_MAXSEG; break;
        case TCP_KEEPIDLE: n = nb::kTCP_KEEPIDLE; break;
        case TCP_KEEPINTVL: n = nb::kTCP_KEEPINTVL; break;
        case TCP_KEEPCNT: n = nb::kTCP_KEEPCNT; break;
        // Linux's cork and NetBSD's nopush both hold back partial segments.
        case TCP_CORK: n = nb::kTCP_NOPUSH; break;
        default: return std::nullopt;
      }
      return SockoptName{nb::kIPPROTO_TCP, n};
    }
  }
  return std::nullopt;
}

int ToLinuxSockoptInt(int linux_level, int linux_name, int netbsd_value) {
  if (linux_level == SOL_SOCKET && linux_name == SO_ERROR) return ToLinuxErrno(netbsd_value);
  return netbsd_value;  // SO_TYPE: the same numbers; the rest are counts
}

namespace {

struct FlagPair {
  int linux_flag;
  int netbsd_flag;
};

constexpr FlagPair kMsgFlags[] = {
    {MSG_OOB, nb::kMSG_OOB},
    {MSG_PEEK, nb::kMSG_PEEK},
    {MSG_DONTROUTE, nb::kMSG_DONTROUTE},
    {MSG_EOR, nb::kMSG_EOR},
    {MSG_WAITALL, nb::kMSG_WAITALL},
    {MSG_DONTWAIT, nb::kMSG_DONTWAIT},
    {MSG_NOSIGNAL, nb::kMSG_NOSIGNAL},
    {MSG_CMSG_CLOEXEC, nb::kMSG_CMSG_CLOEXEC},
    {MSG_WAITFORONE, nb::kMSG_WAITFORONE},
};

// Received-message flags (recvmsg's msg_flags).
constexpr FlagPair kMsgOutFlags[] = {
    {MSG_OOB, nb::kMSG_OOB},
    {MSG_EOR, nb::kMSG_EOR},
    {MSG_TRUNC, nb::kMSG_TRUNC},
    {MSG_CTRUNC, nb::kMSG_CTRUNC},
};

}  // namespace

std::optional<int> ToNetbsdMsgFlags(int linux_flags) {
  int rest = linux_flags & ~(MSG_MORE | MSG_CONFIRM);
  int out = 0;
  for (const FlagPair& p : kMsgFlags) {
    if (rest & p.linux_flag) {
      out |= p.netbsd_flag;
      rest &= ~p.linux_flag;
    }
  }
  if (rest != 0) return std::nullopt;
  return out;
}

int ToLinuxMsgFlags(int netbsd_flags) {
  int out = 0;
  for (const FlagPair& p : kMsgOutFlags) {
    if (netbsd_flags & p.netbsd_flag) out |= p.linux_flag;
  }
  return out;
}

namespace {

// Appends one Linux control message if it fits in out[*used..cap).
bool PutLinuxCmsg(uint8_t* out, size_t cap, size_t* used, int level, int type, const void* data,
                  size_t n) {
  if (*used + CMSG_LEN(n) > cap) return false;
  cmsghdr h{};
  h.cmsg_len = CMSG_LEN(n);
  h.cmsg_level = level;
  h.cmsg_type = type;
  std::memcpy(out + *used, &h, sizeof(h));
  std::memcpy(out + *used + CMSG_LEN(0), data, n);
  // The padding to the next header (CMSG_SPACE) is zeroed where it fits.
  const size_t next = std::min(*used + CMSG_SPACE(n), cap);
  std::memset(out + *used + CMSG_LEN(n), 0, next - (*used + CMSG_LEN(n)));
  *used = next;
  return true;
}

}  // namespace

size_t ToLinuxControl(const uint8_t* in, size_t len, uint8_t* out, size_t cap, bool* truncated) {
  *truncated = false;
  size_t at = 0, used = 0;
  while (at + nb::kCmsghdrSize <= len) {
    uint32_t clen = 0;
    int32_t level = 0, type = 0;
    std::memcpy(&clen, in + at, 4);
    std::memcpy(&level, in + at + 4, 4);
    std::memcpy(&type, in + at + 8, 4);
    if (clen < nb::CmsgLen(0) || clen > len - at) break;  // cut short by the kernel
    const uint8_t* data = in + at + nb::CmsgLen(0);
    const size_t n = clen - nb::CmsgLen(0);
    at += std::min(len - at, nb::CmsgSpace(n));
    bool ok = true;
    if (level == nb::kSOL_SOCKET && type == nb::kSCM_TIMESTAMP && n == nb::kTimevalSize) {
      int64_t sec = 0;
      int32_t usec = 0;
      std::memcpy(&sec, data, 8);
      std::memcpy(&usec, data + 8, 4);
      timeval tv{};
      tv.tv_sec = time_t(sec);
      tv.tv_usec = suseconds_t(usec);
      ok = PutLinuxCmsg(out, cap, &used, SOL_SOCKET, SCM_TIMESTAMP, &tv, sizeof(tv));
    } else if (level == nb::kIPPROTO_IP && type == nb::kIP_PKTINFO && n == nb::kInPktinfoSize) {
      in_pktinfo pi{};
      uint32_t index = 0;
      std::memcpy(&pi.ipi_addr, data + nb::kIpiAddrOff, 4);
      std::memcpy(&index, data + nb::kIpiIfindexOff, 4);
      pi.ipi_spec_dst = pi.ipi_addr;
      pi.ipi_ifindex = int(index);
      ok = PutLinuxCmsg(out, cap, &used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
    } else if (level == nb::kIPPROTO_IP && type == nb::kIP_RECVTTL && n == 1) {
      const int ttl = data[0];
      ok = PutLinuxCmsg(out, cap, &used, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
    }
    if (!ok) {
      *truncated = true;
      break;
    }
  }
  return used;
}

int CheckLinuxSendControl(const void* control, size_t len, std::string* what) {
  msghdr m{};
  m.msg_control = const_cast<void*>(control);
  m.msg_controllen = len;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      if (pi.ipi_ifindex == 0 && pi.ipi_spec_dst.s_addr == 0) continue;
      *what = "sendmsg with IP_PKTINFO choosing a source address or an interface: the kernel "
              "takes no control data (EOPNOTSUPP)";
      return EOPNOTSUPP;
    }
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      *what = "sendmsg with SCM_RIGHTS: host descriptors cannot be passed into the kernel "
              "(EOPNOTSUPP)";
      return EOPNOTSUPP;
    }
    *what = absl::StrCat("sendmsg with control message level ", c->cmsg_level, " type ",
                         c->cmsg_type, ": the kernel takes no control data (EOPNOTSUPP)");
    return EOPNOTSUPP;
  }
  return 0;
}

// IFF_UP .. IFF_ALLMULTI: the same bits on both sides.
constexpr uint16_t kSharedIfFlags = 0x03ff;
static_assert(IFF_UP == nb::kIFF_UP && IFF_BROADCAST == nb::kIFF_BROADCAST &&
              IFF_LOOPBACK == nb::kIFF_LOOPBACK && IFF_POINTOPOINT == nb::kIFF_POINTOPOINT &&
              IFF_RUNNING == nb::kIFF_RUNNING && IFF_NOARP == nb::kIFF_NOARP &&
              IFF_PROMISC == nb::kIFF_PROMISC && IFF_ALLMULTI == nb::kIFF_ALLMULTI);

int16_t ToLinuxIfFlags(uint16_t netbsd_flags) {
  int out = netbsd_flags & kSharedIfFlags;
  if (netbsd_flags & nb::kIFF_MULTICAST) out |= IFF_MULTICAST;
  return int16_t(out);
}

uint16_t ToNetbsdIfFlags(int16_t linux_flags, uint16_t current) {
  const uint16_t lf = uint16_t(linux_flags);
  uint16_t out = uint16_t((current & ~kSharedIfFlags & ~nb::kIFF_MULTICAST) | (lf & kSharedIfFlags));
  if (lf & IFF_MULTICAST) out |= uint16_t(nb::kIFF_MULTICAST);
  return out;
}

int16_t ToNetbsdPollEvents(int16_t linux_events) {
  int out = linux_events & (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND);
  static_assert(POLLIN == nb::kPOLLIN && POLLPRI == nb::kPOLLPRI && POLLOUT == nb::kPOLLOUT &&
                POLLRDNORM == nb::kPOLLRDNORM && POLLRDBAND == nb::kPOLLRDBAND);
  if (linux_events & POLLWRNORM) out |= nb::kPOLLWRNORM;
  if (linux_events & POLLWRBAND) out |= nb::kPOLLWRBAND;
  return int16_t(out);
}

int16_t ToLinuxPollEvents(int16_t netbsd_revents, int16_t linux_requested) {
  int out = netbsd_revents & (nb::kPOLLIN | nb::kPOLLPRI | nb::kPOLLRDNORM | nb::kPOLLRDBAND);
  static_assert(POLLERR == nb::kPOLLERR && POLLHUP == nb::kPOLLHUP && POLLNVAL == nb::kPOLLNVAL);
  out |= netbsd_revents & (nb::kPOLLERR | nb::kPOLLHUP | nb::kPOLLNVAL);
  // NetBSD's POLLWRNORM is POLLOUT: report whichever of the two was asked.
  if (netbsd_revents & nb::kPOLLOUT) out |= linux_requested & (POLLOUT | POLLWRNORM);
  if (netbsd_revents & nb::kPOLLWRBAND) out |= POLLWRBAND;
  return int16_t(out);
}

int ToNetbsdStatusFlags(int linux_flags) {
  int out = linux_flags & O_ACCMODE;
  static_assert(O_RDWR == nb::kO_RDWR && O_WRONLY == nb::kO_WRONLY);
  if (linux_flags & O_NONBLOCK) out |= nb::kO_NONBLOCK;
  if (linux_flags & O_APPEND) out |= nb::kO_APPEND;
  return out;
}

int ToLinuxStatusFlags(int netbsd_flags) {
  int out = netbsd_flags & nb::kO_ACCMODE;
  if (netbsd_flags & nb::kO_NONBLOCK) out |= O_NONBLOCK;
  if (netbsd_flags & nb::kO_APPEND) out |= O_APPEND;
  return out;
}

}  // namespace rump::hijack
