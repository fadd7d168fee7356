// librumpclient's C API against a scripted server (the static library, so
// the frames the wrappers put on the wire can be checked byte by byte):
// rumpclient_init's errors and environment, the argument slots (narrow
// values zero-extended, as NetBSD's client stubs store them), errno
// conventions, rumpclient_syscall. The tests share the process's one client
// and run in order.
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sp/client/fake_peer.h"
#include "sp/wire/banner.h"
#include "sp/wire/xsyscall.h"
#include "sp/wire/encode.h"
#include "sp/wire/frame_reader.h"

namespace {

using ::sp::client::testing::FakePeer;
using ::sp::client::testing::TempDir;
using ::testing::HasSubstr;

std::string Hex(const std::string& s) {
  std::string out;
  for (unsigned char c : s) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2), " ");
  if (!out.empty()) out.pop_back();
  return out;
}

// Runs rumpclient_init() with the environment set as given (nullptr =
// unset); returns {result, errno, stderr}.
struct InitResult {
  int rv;
  int error;
  std::string err;
};
InitResult InitWith(const char* server, const char* parsed = nullptr) {
  if (server) {
    setenv("RUMP_SERVER", server, 1);
  } else {
    unsetenv("RUMP_SERVER");
  }
  if (parsed) {
    setenv("RUMP__PARSEDSERVER", parsed, 1);
  } else {
    unsetenv("RUMP__PARSEDSERVER");
  }
  ::testing::internal::CaptureStderr();
  errno = 0;
  const int rv = rumpclient_init();
  const int e = errno;
  return InitResult{rv, e, ::testing::internal::GetCapturedStderr()};
}

// The fake server every test after Connect talks to.
TempDir* g_dir;
int g_listen = -1;
std::unique_ptr<FakePeer> g_server;

std::string ServerPath() { return g_dir->path() + "/sock"; }

// Removes the fake server's directory (and its socket) once every test has
// run; before, each run of this test left a /tmp/rcXXXXXX behind.
class RemoveServerDir : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_dir;
    g_dir = nullptr;
  }
};
::testing::Environment* const kRemoveServerDir =
    ::testing::AddGlobalTestEnvironment(new RemoveServerDir);

void Listen() {
  g_dir = new TempDir;
  g_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sun = {};
  sun.sun_family = AF_UNIX;
  std::strncpy(sun.sun_path, ServerPath().c_str(), sizeof(sun.sun_path) - 1);
  ASSERT_EQ(bind(g_listen, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
  ASSERT_EQ(listen(g_listen, 4), 0);
}

// The next request from the client, its payload as hex.
sp::wire::Frame Next() {
  std::optional<sp::wire::Frame> f = g_server->Read();
  EXPECT_TRUE(f.has_value());
  return f ? *f : sp::wire::Frame{};
}

void Answer(const sp::wire::Frame& req, int32_t error, int64_t rv0, int64_t rv1 = 0) {
  g_server->Write(sp::wire::SyscallResponse(req.header.reqno, error, rv0, rv1));
}

TEST(RumpclientTest, CallsBeforeInitFailWithEnotconn) {
  errno = 0;
  EXPECT_EQ(rump_sys_getpid(), -1);
  EXPECT_EQ(errno, ENOTCONN);
  EXPECT_EQ(rump_sys_close(3), -1);
  EXPECT_EQ(errno, ENOTCONN);
  long rv[2];
  EXPECT_EQ(rumpclient_syscall(20, nullptr, 0, rv), ENOTCONN);
  errno = 0;
  EXPECT_EQ(rumpclient_prefork(), nullptr);
  EXPECT_EQ(errno, ENOTCONN);
}

TEST(RumpclientTest, ServerNotSet) {
  InitResult r = InitWith(nullptr);
  EXPECT_EQ(r.rv, -1);
  EXPECT_EQ(r.error, ENOENT);
  EXPECT_EQ(r.err, "error: RUMP_SERVER not set\n");
}

TEST(RumpclientTest, BadUrls) {
  const std::pair<const char*, int> cases[] = {
      {"tcp://0:1234/", EINVAL},       {"tcp6://[::1]:1/", EOPNOTSUPP},
      {"tcp://1.2.3.4:65536/", ERANGE}, {"nonsense", EINVAL},
      {"unix://", EINVAL},             {"tcp://host.example:80/", EINVAL},
  };
  for (auto [url, error] : cases) {
    InitResult r = InitWith(url);
    EXPECT_EQ(r.rv, -1) << url;
    EXPECT_EQ(r.error, error) << url;
    EXPECT_THAT(r.err, HasSubstr(url));
  }
  // RUMP__PARSEDSERVER wins over RUMP_SERVER.
  InitResult r = InitWith("unix:///nonexistent/x", "tcp://0:1/");
  EXPECT_EQ(r.error, EINVAL);
}

TEST(RumpclientTest, UnreachableServers) {
  TempDir dir;
  InitResult r = InitWith(absl::StrCat("unix://", dir.path(), "/none").c_str());
  EXPECT_EQ(r.rv, -1);
  EXPECT_EQ(r.error, ENOENT);
  EXPECT_THAT(r.err, HasSubstr("cannot connect"));
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(sin);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
  getsockname(s, reinterpret_cast<sockaddr*>(&sin), &len);
  close(s);  // bound, never listened: refused
  r = InitWith(absl::StrCat("tcp://127.0.0.1:", ntohs(sin.sin_port), "/").c_str());
  EXPECT_EQ(r.error, ECONNREFUSED);
}

TEST(RumpclientTest, Connect) {
  Listen();
  // A relative unix:// URL, as scripts write it.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(g_dir->path().c_str()), 0);
  auto init = std::async(std::launch::async, [] { return InitWith("unix://sock"); });
  const int c = accept4(g_listen, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(c, 0);
  g_server = std::make_unique<FakePeer>(c);
  g_server->Write(*sp::wire::OurBanner().Format());
  sp::wire::Frame hs = Next();
  EXPECT_EQ(hs.header.type, sp::wire::kTypeHandshake);
  EXPECT_EQ(hs.header.u, sp::wire::kHandshakeGuest);
  EXPECT_EQ(hs.payload, std::string("rumpclient_test\0", 16));  // /proc/self/comm
  g_server->Write(sp::wire::HandshakeResponse(0));
  InitResult r = init.get();
  ASSERT_EQ(chdir(cwd), 0);
  EXPECT_EQ(r.rv, 0) << r.err;
  // Once per process: no second connection.
  EXPECT_EQ(rumpclient_init(), 0);
}

// Each call's frame: number and slots, narrow values not sign-extended.
TEST(RumpclientTest, ArgumentSlots) {
  struct Case {
    const char* name;
    std::function<long()> call;
    uint32_t sysnum;
    std::string slots_hex;
  };
  const char path[] = "p";
  char buf[4];
  const uint64_t pa = reinterpret_cast<uintptr_t>(path);
  const uint64_t ba = reinterpret_cast<uintptr_t>(buf);
  auto le = [](uint64_t v) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &v, 8);
    return Hex(s);
  };
  const Case cases[] = {
      {"close(-1)", [] { return long(rump_sys_close(-1)); }, 6, "ff ff ff ff 00 00 00 00"},
      {"dup2(-100, 5)", [] { return long(rump_sys_dup2(-100, 5)); }, 90,
       "9c ff ff ff 00 00 00 00 05 00 00 00 00 00 00 00"},
      {"socket(AF_INET, SOCK_DGRAM, 0)",
       [] { return long(rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0)); }, 394,
       "02 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"},
      {"read(3, buf, (size_t)-1)", [&] { return long(rump_sys_read(3, buf, ~size_t{0})); }, 3,
       "03 00 00 00 00 00 00 00 " + le(ba) + " ff ff ff ff ff ff ff ff"},
      {"open(path, O_CREAT, 0644)",
       [&] { return long(rump_sys_open(path, RUMP_O_CREAT, 0644)); }, 5,
       le(pa) + " 00 02 00 00 00 00 00 00 a4 01 00 00 00 00 00 00"},
      {"open(path, O_RDONLY) (no mode read)", [&] { return long(rump_sys_open(path, 0)); }, 5,
       le(pa) + " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"},
      {"ioctl(3, SIOCGIFFLAGS, buf)",
       [&] { return long(rump_sys_ioctl(3, 0xc0906911UL, buf)); }, 54,
       "03 00 00 00 00 00 00 00 11 69 90 c0 00 00 00 00 " + le(ba)},
      {"setuid((uid_t)-1)", [] { return long(rump_sys_setuid(uid_t(-1))); }, 23,
       "ff ff ff ff 00 00 00 00"},
      {"poll(NULL, 0, -1)", [] { return long(rump_sys_poll(nullptr, 0, -1)); }, 209,
       "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff 00 00 00 00"},
      {"getpid()", [] { return long(rump_sys_getpid()); }, 20, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto call = std::async(std::launch::async, c.call);
    sp::wire::Frame f = Next();
    EXPECT_EQ(f.header.cls, sp::wire::kClassRequest);
    EXPECT_EQ(f.header.u, c.sysnum);
    if (f.header.type == sp::wire::kTypeXSyscall) {
      // The server offers x-batch: calls with known buffers carry them, the
      // slots are the same.
      absl::StatusOr<sp::wire::XSyscallCall> x = sp::wire::DecodeXSyscallRequest(f);
      ASSERT_TRUE(x.ok()) << x.status();
      std::string slots(reinterpret_cast<const char*>(x->slots.data()), 8 * x->nslots);
      EXPECT_EQ(Hex(slots), c.slots_hex);
      EXPECT_FALSE(x->inputs.empty() && x->outputs.empty());
      g_server->Write(sp::wire::XSyscallResponse(f.header.reqno, 0, 7, 0, {}));
    } else {
      EXPECT_EQ(f.header.type, sp::wire::kTypeSyscall);
      EXPECT_EQ(Hex(f.payload), c.slots_hex);
      Answer(f, 0, 7);
    }
    EXPECT_EQ(call.get(), 7);
  }
}

TEST(RumpclientTest, ErrnoConventions) {
  // Success: errno = 0.
  errno = 1234;
  auto call = std::async(std::launch::async, [] {
    const int r = rump_sys_socket(RUMP_AF_INET, RUMP_SOCK_DGRAM, 0);
    return std::make_pair(r, errno);
  });
  Answer(Next(), 0, 3);
  EXPECT_EQ(call.get(), std::make_pair(3, 0));
  // Failure: -1 and the NetBSD number, untranslated (EAFNOSUPPORT 47).
  call = std::async(std::launch::async, [] {
    const int r = rump_sys_socket(99, RUMP_SOCK_DGRAM, 0);
    return std::make_pair(r, errno);
  });
  Answer(Next(), 47, -1);
  EXPECT_EQ(call.get(), std::make_pair(-1, 47));
  // NOERR calls leave errno alone on success.
  call = std::async(std::launch::async, [] {
    errno = 55;
    const int r = rump_sys_getpid();
    return std::make_pair(r, errno);
  });
  Answer(Next(), 0, 6, 1);
  EXPECT_EQ(call.get(), std::make_pair(6, 55));
  // pipe: both descriptors.
  auto pipe = std::async(std::launch::async, [] {
    int fd[2] = {-1, -1};
    const int r = rump_sys_pipe(fd);
    return std::make_tuple(r, fd[0], fd[1]);
  });
  sp::wire::Frame f = Next();
  EXPECT_EQ(f.header.u, 42u);
  Answer(f, 0, 4, 5);
  EXPECT_EQ(pipe.get(), std::make_tuple(0, 4, 5));
  // reboot: the client carries on.
  auto reboot = std::async(std::launch::async, [] { return rump_sys_reboot(0, nullptr); });
  f = Next();
  EXPECT_EQ(f.header.u, 208u);
  Answer(f, 0, 0);
  EXPECT_EQ(reboot.get(), 0);
}

TEST(RumpclientTest, RumpclientSyscall) {
  // Returns the error itself; retval filled; a partial slot zero-padded.
  auto call = std::async(std::launch::async, [] {
    const uint32_t args[3] = {0xffffffffu, 2, 0x11};  // 12 bytes
    long rv[2] = {0, 0};
    const int e = rumpclient_syscall(394, args, sizeof(args), rv);
    return std::make_tuple(e, rv[0], rv[1]);
  });
  sp::wire::Frame f = Next();
  EXPECT_EQ(f.header.u, 394u);
  EXPECT_EQ(Hex(f.payload), "ff ff ff ff 02 00 00 00 11 00 00 00 00 00 00 00");
  Answer(f, 43, -1, 9);
  EXPECT_EQ(call.get(), std::make_tuple(43, -1L, 9L));
  EXPECT_EQ(rumpclient_syscall(1, "x", 65, nullptr), EINVAL);
  EXPECT_EQ(rumpclient_syscall(1, nullptr, 8, nullptr), EINVAL);
}

TEST(RumpclientTest, Constants) {
  EXPECT_EQ(RUMPCLIENT_RETRYCONN_INFTIME, time_t(-1));
  EXPECT_EQ(RUMPCLIENT_RETRYCONN_ONCE, time_t(-2));
  EXPECT_EQ(RUMPCLIENT_RETRYCONN_DIE, time_t(-3));
  EXPECT_EQ(RUMPCLIENT_CLOSE_CLOSE, 0);
  EXPECT_EQ(RUMPCLIENT_CLOSE_DUP2, 1);
  EXPECT_EQ(RUMPCLIENT_CLOSE_FCLOSEM, 2);
}

TEST(RumpclientTest, ClosenotifyMovesTheSocket) {
  // Find our socket: the descriptor the fake server's peer is connected to.
  int ours = -1;
  for (int fd = 3; fd < 1024 && ours < 0; ++fd) {
    sockaddr_un peer = {};
    socklen_t len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0 &&
        peer.sun_family == AF_UNIX && ServerPath() == peer.sun_path) {
      ours = fd;
    }
  }
  ASSERT_GE(ours, 3);
  int fd = ours;
  ASSERT_EQ(rumpclient__closenotify(&fd, RUMPCLIENT_CLOSE_CLOSE), 0);
  close(ours);  // what the application does next
  auto call = std::async(std::launch::async, [] { return rump_sys_getpid(); });
  Answer(Next(), 0, 8, 1);
  EXPECT_EQ(call.get(), 8);
}

TEST(RumpclientTest, ServerGone) {
  auto call = std::async(std::launch::async, [] {
    const int r = rump_sys_close(5);
    return std::make_pair(r, errno);
  });
  Next();
  g_server->Close();
  EXPECT_EQ(call.get(), std::make_pair(-1, ENOTCONN));
  errno = 0;
  EXPECT_EQ(rump_sys_getpid(), -1);
  EXPECT_EQ(errno, ENOTCONN);
}

}  // namespace
