// Helpers for tests that drive the interface layer through system calls:
// byte buffers laid out as NetBSD structures, ioctl and sysctl calls, and a
// parser for routing messages. Test-only.
#ifndef RUMP_NET_TESTING_H_
#define RUMP_NET_TESTING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "rump/kern/kernel.h"
#include "rump/kern/user_memory.h"

namespace rump::testing {

inline uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

// An IPv4 address in network order from dotted text.
uint32_t Ip(const char* dotted);

// A zeroed buffer of `size` bytes with typed field access by offset.
class Buf {
 public:
  explicit Buf(size_t size) : b_(size, 0) {}
  uint8_t* data() { return b_.data(); }
  size_t size() const { return b_.size(); }
  uint64_t addr() { return P(b_.data()); }
  const std::vector<uint8_t>& bytes() const { return b_; }
  template <typename T>
  T Get(size_t off) const {
    T v;
    std::memcpy(&v, b_.data() + off, sizeof(v));
    return v;
  }
  template <typename T>
  Buf& Set(size_t off, T v) {
    std::memcpy(b_.data() + off, &v, sizeof(v));
    return *this;
  }
  Buf& Name(const std::string& name, size_t off = 0);
  // A sockaddr_in at `off` (len 16, AF_INET) for `dotted`.
  Buf& Sin(size_t off, const char* dotted);
  std::string Str(size_t off, size_t max) const;

 private:
  std::vector<uint8_t> b_;
};

// An ifreq (144 bytes) naming `ifname`.
Buf Ifreq(const std::string& ifname);

// Errno of ioctl(fd, cmd, arg) in pid 1.
int Ioctl(Kernel& k, int fd, uint64_t cmd, uint64_t arg);
inline int Ioctl(Kernel& k, int fd, uint64_t cmd, Buf& b) { return Ioctl(k, fd, cmd, b.addr()); }
// socket(domain, type, protocol): the descriptor, or -errno.
int Socket(Kernel& k, int domain = 2, int type = 2, int protocol = 0);

// __sysctl on `mib`: errno; *out receives the data (oldp of `oldlen` bytes,
// or a size query when `query_size`), *oldlen the reported length.
int Sysctl(Kernel& k, const std::vector<int>& mib, std::string* out, size_t* oldlen,
           bool query_size = false, const void* newp = nullptr, size_t newlen = 0);

// User memory that reaches only the ranges it was given (EFAULT elsewhere),
// so that tests can hand the kernel wild pointers without crashing.
class BoundedUserMemory final : public UserMemory {
 public:
  void Allow(const void* p, size_t n) { ranges_.push_back({P(p), n}); }
  absl::Status CopyIn(UserAddr from, void* to, size_t n) override;
  absl::Status CopyOut(const void* from, UserAddr to, size_t n) override;
  absl::StatusOr<std::string> CopyInString(UserAddr from, size_t max) override;
  absl::StatusOr<size_t> CopyOutString(const std::string& s, UserAddr to,
                                        size_t max) override;

 private:
  // The bytes reachable from `a` on, within one range (0 if none).
  size_t Reach(UserAddr a) const;
  std::vector<std::pair<UserAddr, size_t>> ranges_;
};

// Throws `iterations` ioctls with random commands and random argument bytes
// (valid interface names in some, wild pointers in all) at a socket of each
// domain; every call must return a NetBSD errno (or 0), never crash.
void FuzzInterfaceIoctls(Kernel& k, const std::vector<std::string>& names,
                         int iterations, uint32_t seed);

// One routing message from a NET_RT_IFLIST dump.
struct RtMessage {
  uint16_t msglen = 0;
  uint8_t version = 0;
  uint8_t type = 0;
  int32_t addrs = 0;
  int32_t flags = 0;
  uint16_t index = 0;
  std::string header;                // the fixed header's bytes
  std::vector<std::string> sockaddrs;  // each as packed (RT_ROUNDUP bytes)
};
// Splits `dump` into messages; false if a length is inconsistent.
bool ParseRtMessages(const std::string& dump, std::vector<RtMessage>* out);

}  // namespace rump::testing

#endif  // RUMP_NET_TESTING_H_
