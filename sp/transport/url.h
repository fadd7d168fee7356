// Server and client addresses of the rump_sp protocol: "<scheme>://<address>"
// as NetBSD's rump_sp(7) and RUMP_SERVER spell them, plus IPv6 and ZeroMQ.
//
//   unix://rel/path        a unix socket; a relative path is made absolute
//   unix:///abs/path       with the current directory at parse time. The
//                          absolute path must fit sun_path (kMaxUnixPath).
//   tcp://a.b.c.d:port[/…] IPv4, dotted quad only (no host names); anything
//                          after the '/' is ignored. Address "*" or "0" is
//                          INADDR_ANY, for servers only. Port decimal < 65536.
//   tcp://[v6addr]:port[/…]  beyond NetBSD: an IPv6 literal, optionally with
//                          a %scope (interface name or number); [::] is the
//                          wildcard, for servers only.
//   tcp6://…               recognised and refused (EOPNOTSUPP), as NetBSD.
//   zmq+tcp://host:port[/…]  ZeroMQ over TCP: host is an IPv4 literal, a
//                          bracketed IPv6 literal, a host name, or "*"/"0"
//                          (servers only); port 1..65535 (0 = any, servers
//                          only). Endpoint "tcp://host:port".
//   zmq+ipc://path         ZeroMQ over a unix socket; path as for unix://.
//                          Endpoint "ipc:///abs/path".
//
// Every error names the URL and the problem, and carries the *host* errno
// NetBSD's librumpclient reports for it (EINVAL, ERANGE, ENAMETOOLONG,
// EOPNOTSUPP, or getcwd's errno); UrlErrno() reads it back. (A server that
// reports NetBSD errno numbers translates it.)
#ifndef RUMP_SP_TRANSPORT_URL_H_
#define RUMP_SP_TRANSPORT_URL_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sp::transport {

enum class Scheme { kUnix, kTcp, kZmqTcp, kZmqIpc };

// Who will use the address: a server binds (wildcards allowed), a client
// connects (wildcards refused with EINVAL, as NetBSD's client does).
enum class Role { kServer, kClient };

// The longest unix socket path: sun_path less its terminating NUL (107).
inline constexpr size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;
// NetBSD's limits on the scheme name and on tcp:// address text.
inline constexpr size_t kMaxSchemeLen = 15;
inline constexpr size_t kMaxTcpHostLen = 63;

// A socket address ready for bind() or connect().
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// A parsed URL. Which fields are set depends on the scheme.
struct Url {
  Scheme scheme = Scheme::kUnix;
  std::string text;          // the URL as given
  std::string path;          // kUnix, kZmqIpc: the absolute socket path
  SocketAddress address;     // kTcp: AF_INET or AF_INET6 address and port
  bool wildcard = false;     // kTcp, kZmqTcp: any address (servers only)
  bool ipv6 = false;         // kTcp, kZmqTcp: an IPv6 literal (set ZMQ_IPV6)
  std::string zmq_endpoint;  // kZmqTcp, kZmqIpc: for zmq bind/connect

  // The URL with the path made absolute, e.g. for RUMP__PARSEDSERVER:
  // "unix:///abs/path", "tcp://10.0.0.1:80/", "tcp://[::1]:80/",
  // "zmq+tcp://host:5555", "zmq+ipc:///abs/path".
  std::string Canonical() const;
};

// Parses `url` for `role`. Errors as described at the top of this file.
absl::StatusOr<Url> ParseUrl(absl::string_view url, Role role);

// The sockaddr_un / sockaddr_in / sockaddr_in6 for a kUnix or kTcp URL;
// FailedPrecondition for ZeroMQ URLs (libzmq takes zmq_endpoint instead).
absl::StatusOr<SocketAddress> SocketAddressOf(const Url& url);

// The host errno carried by an error from this file; 0 for OK; EINVAL for a
// status that carries none.
int UrlErrno(const absl::Status& status);

// A status carrying host errno `host_errno` (read back by UrlErrno), with a
// canonical code that matches it. The one way sp/ makes such statuses: URL,
// listener and client errors all go through it.
absl::Status HostErrnoStatus(int host_errno, absl::string_view message);

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_URL_H_
