// Helpers for tests of the IPv4 stack: kernels with every component and a
// shmif interface on a shared bus, and the socket system calls (through
// the syscall table, as the C API makes them) with NetBSD layouts.
// Test-only.
#ifndef RUMP_NETINET_INET_TESTING_H_
#define RUMP_NETINET_INET_TESTING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "rump/kern/kernel.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet.h"

namespace rump::inet_testing {

// An IPv4 address in network order from dotted text.
uint32_t Ip(const std::string& dotted);
std::string Dotted(uint32_t net_addr);

// A fresh directory under TEST_TMPDIR (or /tmp when that path is long)
// for bus files.
std::string TempDir();

// A TempDir() removed with everything in it when this goes.
class ScratchDir {
 public:
  ScratchDir() : path_(TempDir()) {}
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct SysResult {
  int error = 0;
  int64_t rv = 0;
};

// Which interface a Host gets: the cloner's next unit, created with this
// link string (a shmif bus path, a virt tap name, ...).
struct Link {
  std::string cloner;
  std::string linkstr;
};

// One kernel (AllComponents) with shmif0 on `bus` (or the first interface
// of `link`) at addr/mask, up.
class Host {
 public:
  Host(const std::string& bus, const std::string& addr, const std::string& mask = "255.255.255.0");
  Host(const Link& link, const std::string& addr, const std::string& mask = "255.255.255.0");
  ~Host();

  Kernel& kernel() { return *kernel_; }
  NetStack& net() { return *net_; }
  Inet& inet() { return *inet_; }
  Interface& ifp() { return *ifp_; }
  uint32_t addr() const { return addr_; }

  // Another shmif interface, on `bus`, at addr/mask and up (a router's
  // second leg); nullptr (and a test failure) if it cannot be made.
  std::shared_ptr<Interface> AddInterface(const std::string& bus, const std::string& addr,
                                          const std::string& mask = "255.255.255.0");
  // A static route to dst/mask through `gateway` (a test failure if refused).
  void AddRoute(const std::string& dst, const std::string& mask, const std::string& gateway);

  SysResult Call(int number, std::vector<uint64_t> args);
  // socket(AF_INET, type, proto): fd or -errno.
  int Socket(int type, int proto = 0);
  int Bind(int fd, const std::string& addr, uint16_t port);
  int Connect(int fd, const std::string& addr, uint16_t port);
  int Disconnect(int fd);  // connect to AF_UNSPEC
  int SetInt(int fd, int level, int name, int value);
  int GetInt(int fd, int level, int name, int* value);
  int SetRecvTimeout(int fd, absl::Duration d);
  // sendto: bytes sent or -errno.
  int64_t SendTo(int fd, const std::vector<uint8_t>& data, const std::string& addr,
                 uint16_t port, int flags = 0);
  int64_t Send(int fd, const std::vector<uint8_t>& data);
  // recvfrom into `max` bytes: bytes or -errno; *from_addr / *from_port set.
  int64_t RecvFrom(int fd, std::vector<uint8_t>* data, size_t max, uint32_t* from_addr = nullptr,
                   uint16_t* from_port = nullptr, int flags = 0);
  // recvmsg with a control buffer: bytes or -errno.
  int64_t RecvMsg(int fd, std::vector<uint8_t>* data, size_t max, std::string* control,
                  int* msg_flags);
  // getsockname: 0 or errno.
  int SockName(int fd, uint32_t* addr, uint16_t* port);
  int Close(int fd);
  // listen(2): 0 or errno.
  int Listen(int fd, int backlog);
  // accept(2): the new descriptor or -errno; the peer in *addr / *port.
  int Accept(int fd, uint32_t* addr = nullptr, uint16_t* port = nullptr);
  int Shutdown(int fd, int how);
  // poll(2) on one descriptor: its revents, or -errno.
  int Poll(int fd, int events, int timeout_ms);
  // getpeername: 0 or errno.
  int PeerName(int fd, uint32_t* addr, uint16_t* port);
  int SetNonBlocking(int fd);
  // Sends all of `data` on a stream (looping over short sends): 0 or errno.
  int SendAll(int fd, const std::vector<uint8_t>& data);
  // Reads until `n` bytes or end of file: the bytes read (an error ends
  // the reading and is returned in *error).
  std::vector<uint8_t> RecvAll(int fd, size_t n, int* error = nullptr);

 private:
  std::unique_ptr<Kernel> kernel_;
  NetStack* net_ = nullptr;
  Inet* inet_ = nullptr;
  std::shared_ptr<Interface> ifp_;
  uint32_t addr_ = 0;
};

// An ICMP echo request (8 + payload bytes) with a correct checksum.
std::vector<uint8_t> EchoRequest(uint16_t id, uint16_t seq, size_t payload);

}  // namespace rump::inet_testing

#endif  // RUMP_NETINET_INET_TESTING_H_
