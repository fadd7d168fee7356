// Every URL rule of docs/sp-protocol.md ("Transports and URLs") and issue 5.
#include "sp/transport/url.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace sp::transport {
namespace {

std::string Cwd() {
  char buf[4096];
  EXPECT_NE(getcwd(buf, sizeof(buf)), nullptr);
  return buf;
}

// A short new directory under /tmp (TEST_TMPDIR is too long for socket
// paths), removed at the end.
class ShortTempDir {
 public:
  ShortTempDir() {
    char tmpl[] = "/tmp/urlXXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~ShortTempDir() { rmdir(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Makes `dir` the current directory for its lifetime.
class InDir {
 public:
  explicit InDir(const std::string& dir) : old_(Cwd()) { EXPECT_EQ(chdir(dir.c_str()), 0); }
  ~InDir() { EXPECT_EQ(chdir(old_.c_str()), 0); }

 private:
  std::string old_;
};

void ExpectError(absl::string_view url, Role role, int want_errno, absl::string_view needle) {
  auto u = ParseUrl(url, role);
  ASSERT_FALSE(u.ok()) << url << " parsed as " << u->Canonical();
  EXPECT_EQ(UrlErrno(u.status()), want_errno) << u.status();
  EXPECT_NE(u.status().message().find(absl::CHexEscape(url)), std::string::npos)
      << "error does not name the URL: " << u.status();
  EXPECT_NE(u.status().message().find(std::string(needle)), std::string::npos)
      << "error \"" << u.status().message() << "\" lacks \"" << needle << "\"";
}

const sockaddr_in& V4(const Url& u) {
  return *reinterpret_cast<const sockaddr_in*>(&u.address.storage);
}
const sockaddr_in6& V6(const Url& u) {
  return *reinterpret_cast<const sockaddr_in6*>(&u.address.storage);
}

TEST(UrlTest, UnixAbsolute) {
  auto u = ParseUrl("unix:///tmp/rump.sock", Role::kServer);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, Scheme::kUnix);
  EXPECT_EQ(u->path, "/tmp/rump.sock");
  EXPECT_EQ(u->Canonical(), "unix:///tmp/rump.sock");
  auto sa = SocketAddressOf(*u);
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(sa->family(), AF_UNIX);
  const auto* sun = reinterpret_cast<const sockaddr_un*>(&sa->storage);
  EXPECT_STREQ(sun->sun_path, "/tmp/rump.sock");
  EXPECT_EQ(sa->len, offsetof(sockaddr_un, sun_path) + 15);
}

TEST(UrlTest, UnixRelativeUsesTheCwdAtParseTime) {
  ShortTempDir tmp;
  const std::string& dir = tmp.path();
  Url u;
  {
    InDir in(dir);
    auto parsed = ParseUrl("unix://sub/sock", Role::kClient);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    u = *parsed;
  }
  // Made absolute with the cwd at parse time.
  EXPECT_NE(Cwd(), dir);
  EXPECT_EQ(u.path, absl::StrCat(dir, "/sub/sock"));
  EXPECT_EQ(u.Canonical(), absl::StrCat("unix://", dir, "/sub/sock"));
  {
    InDir in("/");
    auto root = ParseUrl("unix://sock", Role::kServer);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(root->path, "/sock");
  }
}

TEST(UrlTest, UnixPathLimitIsSunPath) {
  EXPECT_EQ(kMaxUnixPath, 107u);
  std::string ok = "/" + std::string(106, 'p');  // 107 bytes
  auto u = ParseUrl("unix://" + ok, Role::kServer);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(SocketAddressOf(*u).ok());
  ExpectError("unix://" + ok + "q", Role::kServer, ENAMETOOLONG, "at most 107");

  // A relative path is checked after it is made absolute.
  ShortTempDir tmp;
  InDir in(tmp.path());
  std::string cwd = Cwd();
  size_t room = kMaxUnixPath - cwd.size() - 1;
  EXPECT_TRUE(ParseUrl("unix://" + std::string(room, 'r'), Role::kClient).ok());
  ExpectError("unix://" + std::string(room + 1, 'r'), Role::kClient, ENAMETOOLONG,
              "108 bytes long");
}

TEST(UrlTest, UnixEmptyOrNulPath) {
  ExpectError("unix://", Role::kServer, EINVAL, "empty socket path");
  ExpectError(std::string("unix:///tmp/a\0b", 15), Role::kServer, EINVAL, "NUL");
}

TEST(UrlTest, TcpIpv4) {
  auto u = ParseUrl("tcp://10.0.0.2:3755/", Role::kClient);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, Scheme::kTcp);
  EXPECT_FALSE(u->wildcard);
  EXPECT_FALSE(u->ipv6);
  EXPECT_EQ(V4(*u).sin_family, AF_INET);
  EXPECT_EQ(ntohs(V4(*u).sin_port), 3755);
  EXPECT_EQ(ntohl(V4(*u).sin_addr.s_addr), 0x0a000002u);
  EXPECT_EQ(u->address.len, sizeof(sockaddr_in));
  EXPECT_EQ(u->Canonical(), "tcp://10.0.0.2:3755/");
  auto sa = SocketAddressOf(*u);
  ASSERT_TRUE(sa.ok());
  EXPECT_EQ(sa->len, sizeof(sockaddr_in));
  EXPECT_EQ(0, std::memcmp(&sa->storage, &u->address.storage, sizeof(sockaddr_in)));

  // No slash, or anything after it, is fine.
  for (const char* s :
       {"tcp://127.0.0.1:1", "tcp://127.0.0.1:65535/whatever/else", "tcp://127.0.0.1:0/"}) {
    EXPECT_TRUE(ParseUrl(s, Role::kClient).ok()) << s;
  }
}

TEST(UrlTest, TcpWildcardIsForServersOnly) {
  for (const char* s : {"tcp://0:3755/", "tcp://*:3755/", "tcp://0.0.0.0:3755"}) {
    auto u = ParseUrl(s, Role::kServer);
    ASSERT_TRUE(u.ok()) << s << ": " << u.status();
    EXPECT_TRUE(u->wildcard);
    EXPECT_EQ(V4(*u).sin_addr.s_addr, htonl(INADDR_ANY));
    EXPECT_EQ(ntohs(V4(*u).sin_port), 3755);
    ExpectError(s, Role::kClient, EINVAL, "not INADDR_ANY");
  }
}

TEST(UrlTest, TcpPortRules) {
  ExpectError("tcp://1.2.3.4:65536/", Role::kServer, ERANGE, "65536 or more");
  ExpectError("tcp://1.2.3.4:99999999999999999999999/", Role::kServer, ERANGE, "65536");
  EXPECT_EQ(ParseUrl("tcp://1.2.3.4:65536/", Role::kServer).status().code(),
            absl::StatusCode::kOutOfRange);
  ExpectError("tcp://1.2.3.4:80x", Role::kServer, EINVAL, "after the port");
  ExpectError("tcp://1.2.3.4:80:81", Role::kServer, EINVAL, "after the port");
  ExpectError("tcp://1.2.3.4:", Role::kServer, EINVAL, "missing port");
  ExpectError("tcp://1.2.3.4:/", Role::kServer, EINVAL, "missing port");
  ExpectError("tcp://1.2.3.4:-1", Role::kServer, EINVAL, "missing port");
  ExpectError("tcp://1.2.3.4", Role::kServer, EINVAL, "missing ':port'");
}

TEST(UrlTest, TcpAddressRules) {
  ExpectError("tcp://localhost:80/", Role::kClient, EINVAL, "not a dotted IPv4 address");
  ExpectError("tcp://1.2.3:80/", Role::kClient, EINVAL, "not a dotted IPv4 address");
  ExpectError("tcp://:80/", Role::kServer, EINVAL, "missing address");
  ExpectError("tcp://" + std::string(64, '1') + ":80/", Role::kServer, EINVAL, "longer than 63");
}

TEST(UrlTest, TcpIpv6) {
  auto u = ParseUrl("tcp://[::1]:3755/", Role::kClient);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->ipv6);
  EXPECT_FALSE(u->wildcard);
  EXPECT_EQ(V6(*u).sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(V6(*u).sin6_port), 3755);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&V6(*u).sin6_addr));
  EXPECT_EQ(u->address.len, sizeof(sockaddr_in6));
  EXPECT_EQ(u->Canonical(), "tcp://[::1]:3755/");

  auto any = ParseUrl("tcp://[::]:80", Role::kServer);
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_TRUE(any->wildcard);
  ExpectError("tcp://[::]:80/", Role::kClient, EINVAL, "not INADDR_ANY");

  auto scoped = ParseUrl("tcp://[fe80::1%lo]:80/", Role::kClient);
  ASSERT_TRUE(scoped.ok()) << scoped.status();
  EXPECT_EQ(V6(*scoped).sin6_scope_id, if_nametoindex("lo"));
  auto numeric = ParseUrl("tcp://[fe80::1%7]:80/", Role::kClient);
  ASSERT_TRUE(numeric.ok()) << numeric.status();
  EXPECT_EQ(V6(*numeric).sin6_scope_id, 7u);
  EXPECT_EQ(numeric->Canonical(), "tcp://[fe80::1%7]:80/");

  ExpectError("tcp://[fe80::1%nosuchif0]:80/", Role::kClient, EINVAL, "unknown IPv6 scope");
  ExpectError("tcp://[::1:80/", Role::kClient, EINVAL, "missing ']'");
  ExpectError("tcp://[::1]/", Role::kClient, EINVAL, "missing ':port'");
  ExpectError("tcp://[::1]:70000/", Role::kClient, ERANGE, "65536");
  ExpectError("tcp://[1.2.3.4]:80/", Role::kClient, EINVAL, "not an IPv6 address");
  ExpectError("tcp://[]:80/", Role::kClient, EINVAL, "not an IPv6 address");
}

TEST(UrlTest, Tcp6IsNotSupported) {
  ExpectError("tcp6://[::1]:80/", Role::kClient, EOPNOTSUPP, "not supported");
  EXPECT_EQ(ParseUrl("tcp6://x", Role::kServer).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(UrlTest, SchemeRules) {
  ExpectError("/tmp/sock", Role::kClient, EINVAL, "<scheme>://<address>");
  ExpectError("unix:/tmp/sock", Role::kClient, EINVAL, "<scheme>://<address>");
  ExpectError("udp://1.2.3.4:5/", Role::kClient, EINVAL, "unknown scheme");
  ExpectError("UNIX:///tmp/sock", Role::kClient, EINVAL, "unknown scheme");
  ExpectError("abcdefghijklmnop://x", Role::kClient, EINVAL, "longer than 15");
  ExpectError("", Role::kClient, EINVAL, "<scheme>://<address>");
}

TEST(UrlTest, ZmqTcp) {
  auto u = ParseUrl("zmq+tcp://127.0.0.1:5555", Role::kClient);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, Scheme::kZmqTcp);
  EXPECT_EQ(u->zmq_endpoint, "tcp://127.0.0.1:5555");
  EXPECT_EQ(u->Canonical(), "zmq+tcp://127.0.0.1:5555");
  EXPECT_EQ(SocketAddressOf(*u).status().code(), absl::StatusCode::kFailedPrecondition);

  auto host = ParseUrl("zmq+tcp://rump-host.example:80/ignored", Role::kClient);
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(host->zmq_endpoint, "tcp://rump-host.example:80");

  auto v6 = ParseUrl("zmq+tcp://[::1]:5555", Role::kClient);
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->zmq_endpoint, "tcp://[::1]:5555");

  for (const char* s : {"zmq+tcp://*:5555", "zmq+tcp://0:5555"}) {
    auto any = ParseUrl(s, Role::kServer);
    ASSERT_TRUE(any.ok()) << any.status();
    EXPECT_TRUE(any->wildcard);
    EXPECT_EQ(any->zmq_endpoint, "tcp://*:5555");
    ExpectError(s, Role::kClient, EINVAL, "not INADDR_ANY");
  }
  auto any4 = ParseUrl("zmq+tcp://0.0.0.0:1", Role::kServer);
  ASSERT_TRUE(any4.ok());
  EXPECT_TRUE(any4->wildcard);
  ExpectError("zmq+tcp://0.0.0.0:1", Role::kClient, EINVAL, "not INADDR_ANY");
  ExpectError("zmq+tcp://[::]:1", Role::kClient, EINVAL, "not INADDR_ANY");

  auto ephemeral = ParseUrl("zmq+tcp://127.0.0.1:0", Role::kServer);
  ASSERT_TRUE(ephemeral.ok()) << ephemeral.status();
  EXPECT_EQ(ephemeral->zmq_endpoint, "tcp://127.0.0.1:0");
  ExpectError("zmq+tcp://127.0.0.1:0", Role::kClient, EINVAL, "port other than 0");

  ExpectError("zmq+tcp://127.0.0.1:65536", Role::kClient, ERANGE, "65536");
  ExpectError("zmq+tcp://127.0.0.1", Role::kClient, EINVAL, "missing ':port'");
  ExpectError("zmq+tcp://bad_host:1", Role::kClient, EINVAL, "not an IPv4 address or a host name");
  ExpectError("zmq+tcp://-x:1", Role::kClient, EINVAL, "not an IPv4 address or a host name");
  ExpectError("zmq+tcp://h:1x", Role::kClient, EINVAL, "after the port");
}

TEST(UrlTest, ZmqIpc) {
  auto u = ParseUrl("zmq+ipc:///tmp/rump.ipc", Role::kServer);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, Scheme::kZmqIpc);
  EXPECT_EQ(u->path, "/tmp/rump.ipc");
  EXPECT_EQ(u->zmq_endpoint, "ipc:///tmp/rump.ipc");
  EXPECT_EQ(u->Canonical(), "zmq+ipc:///tmp/rump.ipc");

  ShortTempDir tmp;
  InDir in(tmp.path());
  auto rel = ParseUrl("zmq+ipc://rel.ipc", Role::kClient);
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(rel->path, Cwd() + "/rel.ipc");
  EXPECT_EQ(rel->zmq_endpoint, "ipc://" + Cwd() + "/rel.ipc");
  ExpectError("zmq+ipc:///" + std::string(107, 'z'), Role::kServer, ENAMETOOLONG, "at most 107");
  ExpectError("zmq+ipc://", Role::kServer, EINVAL, "empty socket path");
}

TEST(UrlTest, UrlErrnoOfOtherStatuses) {
  EXPECT_EQ(UrlErrno(absl::OkStatus()), 0);
  EXPECT_EQ(UrlErrno(absl::InternalError("x")), EINVAL);
}

}  // namespace
}  // namespace sp::transport
