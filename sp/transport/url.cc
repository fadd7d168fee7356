#include "sp/transport/url.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sp::transport {
namespace {

constexpr char kErrnoPayload[] = "rump.sp/host-errno";

absl::Status Error(absl::string_view url, int host_errno, absl::string_view why) {
  return HostErrnoStatus(
      host_errno, absl::StrCat("rump_sp URL \"", absl::CHexEscape(url), "\": ", why));
}

// unix:// and zmq+ipc://: the absolute path, checked against sun_path.
absl::StatusOr<std::string> AbsolutePath(absl::string_view url, absl::string_view path) {
  if (path.empty()) return Error(url, EINVAL, "empty socket path");
  if (path.find('\0') != absl::string_view::npos) {
    return Error(url, EINVAL, "socket path contains a NUL byte");
  }
  std::string abs;
  if (path.front() == '/') {
    abs = std::string(path);
  } else {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      int e = errno;
      return Error(
          url, e,
          absl::StrCat("cannot make the relative path absolute: getcwd: ", std::strerror(e)));
    }
    abs = absl::StrCat(cwd, std::string_view(cwd) == "/" ? "" : "/", path);
  }
  if (abs.size() > kMaxUnixPath) {
    return Error(url, ENAMETOOLONG,
                 absl::StrCat("socket path \"", abs, "\" is ", abs.size(),
                              " bytes long; a unix socket path has at most ", kMaxUnixPath));
  }
  return abs;
}

// A decimal port at the front of `*s`; on success `*s` is what follows.
absl::StatusOr<uint32_t> ParsePort(absl::string_view url, absl::string_view* s) {
  size_t n = 0;
  while (n < s->size() && absl::ascii_isdigit((*s)[n])) ++n;
  if (n == 0) return Error(url, EINVAL, "missing port number after ':'");
  uint64_t port = 0;
  for (size_t i = 0; i < n && port < 65536; ++i) port = port * 10 + ((*s)[i] - '0');
  if (port >= 65536) return Error(url, ERANGE, "port number is 65536 or more");
  s->remove_prefix(n);
  if (!s->empty() && s->front() != '/') {
    return Error(url, EINVAL,
                 absl::StrCat("unexpected \"", absl::CHexEscape(*s),
                              "\" after the port (expected '/' or the end)"));
  }
  return static_cast<uint32_t>(port);
}

// "[v6addr%scope]" without the brackets -> sockaddr_in6 (port not set).
absl::Status ParseIpv6(absl::string_view url, absl::string_view host, sockaddr_in6* sin6) {
  if (host.size() > kMaxTcpHostLen) {
    return Error(url, EINVAL, absl::StrCat("address longer than ", kMaxTcpHostLen, " characters"));
  }
  std::string addr(host);
  std::string scope;
  if (size_t pct = addr.find('%'); pct != std::string::npos) {
    scope = addr.substr(pct + 1);
    addr.resize(pct);
    if (scope.empty()) return Error(url, EINVAL, "empty IPv6 scope after '%'");
  }
  *sin6 = sockaddr_in6{};
  sin6->sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, addr.c_str(), &sin6->sin6_addr) != 1) {
    return Error(url, EINVAL,
                 absl::StrCat("\"", absl::CHexEscape(addr), "\" is not an IPv6 address"));
  }
  if (!scope.empty()) {
    uint32_t index = 0;
    if (!absl::SimpleAtoi(scope, &index)) index = if_nametoindex(scope.c_str());
    if (index == 0) {
      return Error(
          url, EINVAL,
          absl::StrCat("unknown IPv6 scope (interface) \"", absl::CHexEscape(scope), "\""));
    }
    sin6->sin6_scope_id = index;
  }
  return absl::OkStatus();
}

// Splits "host:port…" or "[v6]:port…" into host text (brackets removed) and
// the rest after the ':'.
absl::Status SplitHostPort(absl::string_view url, absl::string_view addr, absl::string_view* host,
                           absl::string_view* rest, bool* bracketed) {
  *bracketed = !addr.empty() && addr.front() == '[';
  if (*bracketed) {
    size_t close = addr.find(']');
    if (close == absl::string_view::npos) return Error(url, EINVAL, "missing ']'");
    *host = addr.substr(1, close - 1);
    addr.remove_prefix(close + 1);
    if (addr.empty() || addr.front() != ':') {
      return Error(url, EINVAL, "missing ':port' after the IPv6 address");
    }
    *rest = addr.substr(1);
    return absl::OkStatus();
  }
  size_t colon = addr.find(':');
  if (colon == absl::string_view::npos) return Error(url, EINVAL, "missing ':port'");
  *host = addr.substr(0, colon);
  *rest = addr.substr(colon + 1);
  if (host->empty()) return Error(url, EINVAL, "missing address before ':port'");
  return absl::OkStatus();
}

constexpr absl::string_view kWildcardRefused = "a client needs a specific address, not INADDR_ANY";

absl::Status ParseTcp(absl::string_view url, absl::string_view addr, Role role, Url* out) {
  absl::string_view host, rest;
  bool bracketed;
  if (auto s = SplitHostPort(url, addr, &host, &rest, &bracketed); !s.ok()) return s;
  SocketAddress& sa = out->address;
  if (bracketed) {
    sockaddr_in6 sin6;
    if (auto s = ParseIpv6(url, host, &sin6); !s.ok()) return s;
    out->ipv6 = true;
    out->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr);
    std::memcpy(&sa.storage, &sin6, sizeof(sin6));
    sa.len = sizeof(sin6);
  } else {
    if (host.size() > kMaxTcpHostLen) {
      return Error(url, EINVAL,
                   absl::StrCat("address longer than ", kMaxTcpHostLen, " characters"));
    }
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    if (host == "*" || host == "0") {
      sin.sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, std::string(host).c_str(), &sin.sin_addr) != 1) {
      return Error(url, EINVAL,
                   absl::StrCat("\"", absl::CHexEscape(host),
                                "\" is not a dotted IPv4 address (host names are not "
                                "supported; IPv6 goes in brackets)"));
    }
    out->wildcard = sin.sin_addr.s_addr == htonl(INADDR_ANY);
    std::memcpy(&sa.storage, &sin, sizeof(sin));
    sa.len = sizeof(sin);
  }
  auto port = ParsePort(url, &rest);
  if (!port.ok()) return port.status();
  if (out->wildcard && role == Role::kClient) return Error(url, EINVAL, kWildcardRefused);
  if (out->ipv6) {
    reinterpret_cast<sockaddr_in6*>(&sa.storage)->sin6_port = htons(*port);
  } else {
    reinterpret_cast<sockaddr_in*>(&sa.storage)->sin_port = htons(*port);
  }
  return absl::OkStatus();
}

bool IsHostName(absl::string_view host) {
  if (host.empty() || !absl::ascii_isalnum(host.front())) return false;
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

absl::Status ParseZmqTcp(absl::string_view url, absl::string_view addr, Role role, Url* out) {
  absl::string_view host, rest;
  bool bracketed;
  if (auto s = SplitHostPort(url, addr, &host, &rest, &bracketed); !s.ok()) return s;
  std::string endpoint_host;
  if (bracketed) {
    sockaddr_in6 sin6;
    if (auto s = ParseIpv6(url, host, &sin6); !s.ok()) return s;
    out->ipv6 = true;
    out->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr);
    endpoint_host = absl::StrCat("[", host, "]");
  } else if (host == "*" || host == "0") {
    out->wildcard = true;
    endpoint_host = "*";
  } else {
    if (host.size() > 253 || !IsHostName(host)) {
      return Error(
          url, EINVAL,
          absl::StrCat("\"", absl::CHexEscape(host), "\" is not an IPv4 address or a host name"));
    }
    in_addr a;
    if (inet_pton(AF_INET, std::string(host).c_str(), &a) == 1 && a.s_addr == htonl(INADDR_ANY)) {
      out->wildcard = true;
    }
    endpoint_host = std::string(host);
  }
  auto port = ParsePort(url, &rest);
  if (!port.ok()) return port.status();
  if (role == Role::kClient) {
    if (out->wildcard) return Error(url, EINVAL, kWildcardRefused);
    if (*port == 0) return Error(url, EINVAL, "a client needs a port other than 0");
  }
  out->zmq_endpoint = absl::StrCat("tcp://", endpoint_host, ":", *port);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Url> ParseUrl(absl::string_view url, Role role) {
  size_t sep = url.find("://");
  if (sep == absl::string_view::npos) {
    return Error(url, EINVAL, "not of the form <scheme>://<address>");
  }
  absl::string_view scheme = url.substr(0, sep);
  absl::string_view addr = url.substr(sep + 3);
  if (scheme.size() > kMaxSchemeLen) {
    return Error(url, EINVAL, absl::StrCat("scheme longer than ", kMaxSchemeLen, " characters"));
  }
  Url out;
  out.text = std::string(url);
  if (scheme == "unix" || scheme == "zmq+ipc") {
    auto path = AbsolutePath(url, addr);
    if (!path.ok()) return path.status();
    out.path = *std::move(path);
    if (scheme == "unix") {
      out.scheme = Scheme::kUnix;
    } else {
      out.scheme = Scheme::kZmqIpc;
      out.zmq_endpoint = absl::StrCat("ipc://", out.path);
    }
    return out;
  }
  if (scheme == "tcp") {
    out.scheme = Scheme::kTcp;
    if (auto s = ParseTcp(url, addr, role, &out); !s.ok()) return s;
    return out;
  }
  if (scheme == "zmq+tcp") {
    out.scheme = Scheme::kZmqTcp;
    if (auto s = ParseZmqTcp(url, addr, role, &out); !s.ok()) return s;
    return out;
  }
  if (scheme == "tcp6") {
    return Error(url, EOPNOTSUPP,
                 "tcp6:// is not supported (as in NetBSD); write tcp://[addr]:port/");
  }
  return Error(url, EINVAL,
               absl::StrCat("unknown scheme \"", absl::CHexEscape(scheme),
                            "\" (known: unix, tcp, zmq+tcp, zmq+ipc)"));
}

std::string Url::Canonical() const {
  switch (scheme) {
    case Scheme::kUnix:
      return absl::StrCat("unix://", path);
    case Scheme::kTcp: {
      char buf[INET6_ADDRSTRLEN] = "?";
      if (address.family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
        inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
        std::string scope = sin6->sin6_scope_id ? absl::StrCat("%", sin6->sin6_scope_id) : "";
        return absl::StrCat("tcp://[", buf, scope, "]:", ntohs(sin6->sin6_port), "/");
      }
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&address.storage);
      inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
      return absl::StrCat("tcp://", buf, ":", ntohs(sin->sin_port), "/");
    }
    case Scheme::kZmqTcp:
    case Scheme::kZmqIpc:
      return absl::StrCat("zmq+", zmq_endpoint);
  }
  return text;
}

absl::StatusOr<SocketAddress> SocketAddressOf(const Url& url) {
  switch (url.scheme) {
    case Scheme::kUnix: {
      if (url.path.empty() || url.path.size() > kMaxUnixPath) {
        return Error(url.text, ENAMETOOLONG, "socket path empty or too long");
      }
      SocketAddress sa;
      auto* sun = reinterpret_cast<sockaddr_un*>(&sa.storage);
      sun->sun_family = AF_UNIX;
      std::memcpy(sun->sun_path, url.path.data(), url.path.size());
      sun->sun_path[url.path.size()] = '\0';
      sa.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + url.path.size() + 1);
      return sa;
    }
    case Scheme::kTcp:
      return url.address;
    case Scheme::kZmqTcp:
    case Scheme::kZmqIpc:
      break;
  }
  return absl::FailedPreconditionError(absl::StrCat("rump_sp URL \"", url.text,
                                                    "\": a ZeroMQ URL has no socket address; use ",
                                                    url.zmq_endpoint));
}

int UrlErrno(const absl::Status& status) {
  if (status.ok()) return 0;
  int e = 0;
  if (auto payload = status.GetPayload(kErrnoPayload);
      payload && absl::SimpleAtoi(std::string(*payload), &e) && e > 0) {
    return e;
  }
  return EINVAL;
}

absl::Status HostErrnoStatus(int host_errno, absl::string_view message) {
  absl::StatusCode code;
  switch (host_errno) {
    case ENOTCONN: case ECONNRESET: case EPIPE: case ECONNREFUSED: case ETIMEDOUT:
      code = absl::StatusCode::kUnavailable;
      break;
    case ENOENT:
      code = absl::StatusCode::kNotFound;
      break;
    case EADDRINUSE:
      code = absl::StatusCode::kAlreadyExists;
      break;
    case EACCES: case EPERM:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case EINVAL: case ENAMETOOLONG:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case ERANGE:
      code = absl::StatusCode::kOutOfRange;
      break;
    case EOPNOTSUPP:
      code = absl::StatusCode::kUnimplemented;
      break;
    case EPROTO:
      code = absl::StatusCode::kDataLoss;
      break;
    case ENOMEM:
      code = absl::StatusCode::kResourceExhausted;
      break;
    default:
      code = absl::StatusCode::kFailedPrecondition;
      break;
  }
  absl::Status s(code, message);
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(host_errno)));
  return s;
}

}  // namespace sp::transport
