#include "rump/netinet/inet_testing.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>

#include "gtest/gtest.h"
#include "rump/abi/in.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/components.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet_testing {

namespace {
uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

std::vector<uint8_t> Sin(const std::string& addr, uint16_t port) {
  std::vector<uint8_t> s(16, 0);
  s[0] = 16;
  s[1] = uint8_t(abi::kAF_INET);
  s[2] = uint8_t(port >> 8);
  s[3] = uint8_t(port);
  const uint32_t a = Ip(addr);
  std::memcpy(&s[4], &a, 4);
  return s;
}
}  // namespace

uint32_t Ip(const std::string& dotted) {
  in_addr a{};
  EXPECT_EQ(inet_pton(AF_INET, dotted.c_str(), &a), 1) << dotted;
  return a.s_addr;
}

std::string Dotted(uint32_t net_addr) {
  char buf[INET_ADDRSTRLEN];
  in_addr a{};
  a.s_addr = net_addr;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

std::string TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/inetXXXXXX";
  if (tmpl.size() > 80) tmpl = "/tmp/inetXXXXXX";  // keep paths short
  std::vector<char> b(tmpl.begin(), tmpl.end());
  b.push_back('\0');
  const char* d = mkdtemp(b.data());
  EXPECT_NE(d, nullptr);
  return d ? d : "/tmp";
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Host::Host(const std::string& bus, const std::string& addr, const std::string& mask)
    : Host(Link{"shmif", bus}, addr, mask) {}

Host::Host(const Link& link, const std::string& addr, const std::string& mask) {
  KernelOptions o;
  o.components = AllComponents();
  auto k = Kernel::Boot(std::move(o));
  EXPECT_TRUE(k.ok()) << k.status();
  if (!k.ok()) return;
  kernel_ = std::move(*k);
  net_ = kernel_->Find<NetStack>();
  inet_ = kernel_->Find<Inet>();
  // Addresses usable at once: no duplicate address detection (its tests
  // turn it back on).
  inet_->set_ip_dad_count(0);
  auto ifp = net_->CreateNextInterface(link.cloner, link.linkstr.c_str());
  EXPECT_TRUE(ifp.ok()) << ifp.status();
  if (!ifp.ok()) return;
  ifp_ = *ifp;
  addr_ = Ip(addr);
  absl::Status s = inet_->AddAddress(*ifp_, addr_, Ip(mask), 0);
  EXPECT_TRUE(s.ok()) << s;
}

Host::~Host() = default;

std::shared_ptr<Interface> Host::AddInterface(const std::string& bus, const std::string& addr,
                                              const std::string& mask) {
  auto ifp = net_->CreateNextInterface("shmif", bus.c_str());
  EXPECT_TRUE(ifp.ok()) << ifp.status();
  if (!ifp.ok()) return nullptr;
  absl::Status s = inet_->AddAddress(**ifp, Ip(addr), Ip(mask), 0);
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() ? *ifp : nullptr;
}

void Host::AddRoute(const std::string& dst, const std::string& mask,
                    const std::string& gateway) {
  inet::Route r;
  r.dst = Ip(dst);
  r.netmask = Ip(mask);
  r.gateway = Ip(gateway);
  r.is_gateway = true;
  r.is_host = r.netmask == 0xffffffffu;
  absl::Status s = inet_->routes().Add(r);
  EXPECT_TRUE(s.ok()) << s;
}

SysResult Host::Call(int number, std::vector<uint64_t> args) {
  SyscallResult r = kernel_->Syscall(number, args);
  return SysResult{r.error, r.rv0};
}

int Host::Socket(int type, int proto) {
  SysResult r = Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(type), uint64_t(proto)});
  return r.error ? -r.error : int(r.rv);
}

int Host::Bind(int fd, const std::string& addr, uint16_t port) {
  std::vector<uint8_t> s = Sin(addr, port);
  return Call(abi::kSysBind, {uint64_t(fd), P(s.data()), s.size()}).error;
}

int Host::Connect(int fd, const std::string& addr, uint16_t port) {
  std::vector<uint8_t> s = Sin(addr, port);
  return Call(abi::kSysConnect, {uint64_t(fd), P(s.data()), s.size()}).error;
}

int Host::Disconnect(int fd) {
  std::vector<uint8_t> s(16, 0);
  s[0] = 16;
  s[1] = abi::kAF_UNSPEC;
  return Call(abi::kSysConnect, {uint64_t(fd), P(s.data()), s.size()}).error;
}

int Host::SetInt(int fd, int level, int name, int value) {
  int32_t v = value;
  return Call(abi::kSysSetsockopt,
              {uint64_t(fd), uint64_t(level), uint64_t(name), P(&v), sizeof(v)})
      .error;
}

int Host::GetInt(int fd, int level, int name, int* value) {
  int32_t v = 0;
  uint32_t len = sizeof(v);
  const int e =
      Call(abi::kSysGetsockopt, {uint64_t(fd), uint64_t(level), uint64_t(name), P(&v), P(&len)})
          .error;
  *value = v;
  return e;
}

int Host::SetRecvTimeout(int fd, absl::Duration d) {
  uint8_t tv[16] = {};
  const int64_t sec = absl::ToInt64Seconds(d);
  const int32_t usec = int32_t(absl::ToInt64Microseconds(d - absl::Seconds(sec)));
  std::memcpy(tv, &sec, 8);
  std::memcpy(tv + 8, &usec, 4);
  return Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kSOL_SOCKET),
                                    uint64_t(abi::kSO_RCVTIMEO), P(tv), sizeof(tv)})
      .error;
}

int64_t Host::SendTo(int fd, const std::vector<uint8_t>& data, const std::string& addr,
                     uint16_t port, int flags) {
  std::vector<uint8_t> s = Sin(addr, port);
  SysResult r = Call(abi::kSysSendto, {uint64_t(fd), P(data.data()), data.size(),
                                       uint64_t(flags), P(s.data()), s.size()});
  return r.error ? -r.error : r.rv;
}

int64_t Host::Send(int fd, const std::vector<uint8_t>& data) {
  SysResult r = Call(abi::kSysSendto, {uint64_t(fd), P(data.data()), data.size(), 0, 0, 0});
  return r.error ? -r.error : r.rv;
}

int64_t Host::RecvFrom(int fd, std::vector<uint8_t>* data, size_t max, uint32_t* from_addr,
                       uint16_t* from_port, int flags) {
  data->assign(max, 0);
  uint8_t from[16] = {};
  uint32_t fromlen = sizeof(from);
  SysResult r = Call(abi::kSysRecvfrom, {uint64_t(fd), P(data->data()), max, uint64_t(flags),
                                         P(from), P(&fromlen)});
  if (r.error) return -r.error;
  data->resize(size_t(r.rv));
  if (from_addr) std::memcpy(from_addr, from + 4, 4);
  if (from_port) *from_port = uint16_t((from[2] << 8) | from[3]);
  return r.rv;
}

int64_t Host::RecvMsg(int fd, std::vector<uint8_t>* data, size_t max, std::string* control,
                      int* msg_flags) {
  data->assign(max, 0);
  uint8_t from[16] = {};
  uint8_t cbuf[256] = {};
  uint8_t iov[16];
  const uint64_t base = P(data->data());
  const uint64_t len = max;
  std::memcpy(iov, &base, 8);
  std::memcpy(iov + 8, &len, 8);
  uint8_t msg[48] = {};
  const uint64_t name = P(from), iovp = P(iov), ctl = P(cbuf);
  const uint32_t namelen = sizeof(from), ctllen = sizeof(cbuf);
  const int32_t iovlen = 1;
  std::memcpy(msg + 0, &name, 8);
  std::memcpy(msg + 8, &namelen, 4);
  std::memcpy(msg + 16, &iovp, 8);
  std::memcpy(msg + 24, &iovlen, 4);
  std::memcpy(msg + 32, &ctl, 8);
  std::memcpy(msg + 40, &ctllen, 4);
  SysResult r = Call(abi::kSysRecvmsg, {uint64_t(fd), P(msg), 0});
  if (r.error) return -r.error;
  data->resize(size_t(r.rv));
  uint32_t got = 0;
  std::memcpy(&got, msg + 40, 4);
  control->assign(reinterpret_cast<const char*>(cbuf), std::min<size_t>(got, sizeof(cbuf)));
  int32_t f = 0;
  std::memcpy(&f, msg + 44, 4);
  *msg_flags = f;
  return r.rv;
}

int Host::SockName(int fd, uint32_t* addr, uint16_t* port) {
  uint8_t sa[16] = {};
  uint32_t len = sizeof(sa);
  const int e = Call(abi::kSysGetsockname, {uint64_t(fd), P(sa), P(&len)}).error;
  std::memcpy(addr, sa + 4, 4);
  *port = uint16_t((sa[2] << 8) | sa[3]);
  return e;
}

int Host::Close(int fd) { return Call(abi::kSysClose, {uint64_t(fd)}).error; }

int Host::Listen(int fd, int backlog) {
  return Call(abi::kSysListen, {uint64_t(fd), uint64_t(backlog)}).error;
}

int Host::Accept(int fd, uint32_t* addr, uint16_t* port) {
  uint8_t sa[16] = {};
  uint32_t len = sizeof(sa);
  SysResult r = Call(abi::kSysAccept, {uint64_t(fd), P(sa), P(&len)});
  if (r.error) return -r.error;
  if (addr) std::memcpy(addr, sa + 4, 4);
  if (port) *port = uint16_t((sa[2] << 8) | sa[3]);
  return int(r.rv);
}

int Host::Shutdown(int fd, int how) {
  return Call(abi::kSysShutdown, {uint64_t(fd), uint64_t(how)}).error;
}

int Host::Poll(int fd, int events, int timeout_ms) {
  uint8_t pfd[8] = {};
  const int32_t f = fd;
  const int16_t ev = int16_t(events);
  std::memcpy(pfd, &f, 4);
  std::memcpy(pfd + 4, &ev, 2);
  SysResult r = Call(abi::kSysPoll, {P(pfd), 1, uint64_t(int64_t(timeout_ms))});
  if (r.error) return -r.error;
  int16_t rev = 0;
  std::memcpy(&rev, pfd + 6, 2);
  return rev;
}

int Host::PeerName(int fd, uint32_t* addr, uint16_t* port) {
  uint8_t sa[16] = {};
  uint32_t len = sizeof(sa);
  const int e = Call(abi::kSysGetpeername, {uint64_t(fd), P(sa), P(&len)}).error;
  std::memcpy(addr, sa + 4, 4);
  *port = uint16_t((sa[2] << 8) | sa[3]);
  return e;
}

int Host::SetNonBlocking(int fd) {
  SysResult r = Call(abi::kSysFcntl, {uint64_t(fd), uint64_t(abi::kF_GETFL), 0});
  if (r.error) return r.error;
  return Call(abi::kSysFcntl,
              {uint64_t(fd), uint64_t(abi::kF_SETFL), uint64_t(r.rv | abi::kO_NONBLOCK)})
      .error;
}

int Host::SendAll(int fd, const std::vector<uint8_t>& data) {
  size_t off = 0;
  while (off < data.size()) {
    SysResult r = Call(abi::kSysSendto,
                       {uint64_t(fd), P(data.data() + off), data.size() - off, 0, 0, 0});
    if (r.error) return r.error;
    off += size_t(r.rv);
  }
  return 0;
}

std::vector<uint8_t> Host::RecvAll(int fd, size_t n, int* error) {
  std::vector<uint8_t> out(n);
  size_t got = 0;
  if (error) *error = 0;
  while (got < n) {
    SysResult r = Call(abi::kSysRecvfrom, {uint64_t(fd), P(out.data() + got), n - got, 0, 0, 0});
    if (r.error) {
      if (error) *error = r.error;
      break;
    }
    if (r.rv == 0) break;
    got += size_t(r.rv);
  }
  out.resize(got);
  return out;
}

std::vector<uint8_t> EchoRequest(uint16_t id, uint16_t seq, size_t payload) {
  std::vector<uint8_t> m(8 + payload);
  m[0] = abi::kICMP_ECHO;
  inet::Put16(m.data() + 4, id);
  inet::Put16(m.data() + 6, seq);
  for (size_t i = 0; i < payload; ++i) m[8 + i] = uint8_t(i);
  inet::Put16(m.data() + 2, inet::InetChecksum(m));
  return m;
}

}  // namespace rump::inet_testing
