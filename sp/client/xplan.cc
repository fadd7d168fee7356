#include "sp/client/xplan.h"

#include <algorithm>

#include "rump/abi/ioctl.h"
#include "rump/abi/syscalls.h"
#include "sp/client/memory.h"
#include "sp/wire/decode.h"

namespace sp::client {
namespace {

namespace abi = rump::abi;

// NetBSD sizes (amd64) of what the calls below point at.
constexpr uint64_t kSocklenSize = 4;    // socklen_t
constexpr uint64_t kSizeTSize = 8;      // size_t
constexpr uint64_t kTimespecSize = 16;  // struct timespec {time_t; long}
constexpr uint64_t kTimevalSize = 16;   // struct timeval {time_t; suseconds_t; pad}
constexpr uint64_t kTimezoneSize = 8;   // struct timezone {int; int}
constexpr uint64_t kSigsetSize = 16;    // sigset_t
constexpr uint64_t kPollfdSize = 8;     // struct pollfd {int; short; short}
constexpr uint64_t kIovecSize = 16;     // struct iovec {void*; size_t}
constexpr uint64_t kMaxSockaddr = 256;  // longer sockaddrs: let the server ask
constexpr uint64_t kMaxIovecs = 16;
constexpr uint64_t kMaxPollfds = 1024;
constexpr uint64_t kMaxSysctlName = 24;  // CTL_MAXNAME is 12
constexpr size_t kMaxPath = 1024;        // NetBSD's MAXPATHLEN

bool Good(uint64_t addr, uint64_t len) {
  return len > 0 && len <= wire::kMaxCopyChunk && addr != 0 && addr < wire::kUserAddressLimit &&
         len <= wire::kUserAddressLimit - addr;
}

bool Overlaps(uint64_t addr, uint64_t len, uint64_t oaddr, uint64_t olen) {
  return addr < oaddr + olen && oaddr < addr + len;
}

// A socklen_t (or other u32) at `addr`, or 0 if unreadable.
uint64_t ReadU32(uint64_t addr) {
  uint32_t v = 0;
  if (addr == 0 || !ReadOwnMemory(addr, sizeof(v), reinterpret_cast<char*>(&v))) return 0;
  return v;
}

uint64_t ReadU64(uint64_t addr) {
  uint64_t v = 0;
  if (addr == 0 || !ReadOwnMemory(addr, sizeof(v), reinterpret_cast<char*>(&v))) return 0;
  return v;
}

// Argument `i` as the kernel reads an int/u_int slot.
uint64_t U32(absl::Span<const uint64_t> s, size_t i) {
  return i < s.size() ? uint32_t(s[i]) : 0;
}
uint64_t U64(absl::Span<const uint64_t> s, size_t i) { return i < s.size() ? s[i] : 0; }

// An address and a *lenp of a sockaddr result (accept, getsockname, ...).
void SockaddrOut(XPlan& plan, uint64_t addr, uint64_t lenp) {
  if (lenp == 0) return;
  plan.AddInOut(lenp, kSocklenSize);
  if (addr != 0) plan.AddOutput(addr, std::min(ReadU32(lenp), kMaxSockaddr));
}

void Iovecs(XPlan& plan, uint64_t iov, uint64_t cnt, bool write) {
  if (iov == 0 || cnt == 0 || cnt > kMaxIovecs) return;
  plan.AddInput(iov, cnt * kIovecSize);
  for (uint64_t i = 0; i < cnt; ++i) {
    const uint64_t base = ReadU64(iov + i * kIovecSize);
    const uint64_t len = ReadU64(iov + i * kIovecSize + 8);
    if (write) {
      plan.AddInput(base, len);
    } else {
      plan.AddOutput(base, len);
    }
  }
}

}  // namespace

void XPlan::AddInput(uint64_t addr, uint64_t len) {
  if (!Good(addr, len) || inputs_.size() >= wire::kXMaxBuffers ||
      len > kXMaxInputBytes - input_bytes_) {
    return;
  }
  for (const Input& in : inputs_) {
    if (Overlaps(addr, len, in.addr, in.data.size())) return;
  }
  std::string data(size_t(len), '\0');
  if (!ReadOwnMemory(addr, data.size(), data.data())) return;
  input_bytes_ += data.size();
  inputs_.push_back(Input{addr, std::move(data)});
}

void XPlan::AddOutput(uint64_t addr, uint64_t len) {
  if (!Good(addr, len) || outputs_.size() >= wire::kXMaxBuffers ||
      len > kXMaxOutputBytes - output_bytes_) {
    return;
  }
  for (const wire::XRange& o : outputs_) {
    if (Overlaps(addr, len, o.addr, o.len)) return;
  }
  output_bytes_ += len;
  outputs_.push_back(wire::XRange{addr, len});
}

std::vector<wire::XBytes> XPlan::inputs() const {
  std::vector<wire::XBytes> v;
  v.reserve(inputs_.size());
  for (const Input& in : inputs_) v.push_back(wire::XBytes{in.addr, in.data});
  return v;
}

XPlan XPlan::For(uint32_t sysnum, absl::Span<const uint64_t> s) {
  XPlan p;
  switch (int(sysnum)) {
    case abi::kSysRead:  // (fd, buf, nbyte)
      p.AddOutput(U64(s, 1), U64(s, 2));
      break;
    case abi::kSysWrite:  // (fd, buf, nbyte)
      p.AddInput(U64(s, 1), U64(s, 2));
      break;
    case abi::kSysReadv:  // (fd, iov, iovcnt)
      Iovecs(p, U64(s, 1), U32(s, 2), false);
      break;
    case abi::kSysWritev:
      Iovecs(p, U64(s, 1), U32(s, 2), true);
      break;
    case abi::kSysOpen: {  // (path, flags, mode)
      const uint64_t path = U64(s, 0);
      if (path == 0) break;
      const std::string str = ReadOwnString(path, kMaxPath);
      if (!str.empty() && str.back() == '\0') p.AddInput(path, str.size());
      break;
    }
    case abi::kSysSendto:  // (s, buf, len, flags, to, tolen)
      p.AddInput(U64(s, 1), U64(s, 2));
      p.AddInput(U64(s, 4), std::min(U32(s, 5), kMaxSockaddr));
      break;
    case abi::kSysRecvfrom:  // (s, buf, len, flags, from, fromlenaddr)
      p.AddOutput(U64(s, 1), U64(s, 2));
      SockaddrOut(p, U64(s, 4), U64(s, 5));
      break;
    case abi::kSysBind:  // (s, name, namelen)
    case abi::kSysConnect:
      p.AddInput(U64(s, 1), std::min(U32(s, 2), kMaxSockaddr));
      break;
    case abi::kSysAccept:  // (s, name, anamelen)
    case abi::kSysGetsockname:
    case abi::kSysGetpeername:
      SockaddrOut(p, U64(s, 1), U64(s, 2));
      break;
    case abi::kSysSetsockopt:  // (s, level, name, val, valsize)
      p.AddInput(U64(s, 3), std::min(U32(s, 4), kXMaxLengthRead));
      break;
    case abi::kSysGetsockopt: {  // (s, level, name, val, avalsize)
      const uint64_t lenp = U64(s, 4);
      if (lenp == 0) break;
      p.AddInOut(lenp, kSocklenSize);
      p.AddOutput(U64(s, 3), std::min(ReadU32(lenp), kXMaxLengthRead));
      break;
    }
    case abi::kSysSocketpair:  // (domain, type, protocol, rsv)
      p.AddOutput(U64(s, 3), 2 * sizeof(int32_t));
      break;
    case abi::kSysPipe2:  // (fildes, flags)
      p.AddOutput(U64(s, 0), 2 * sizeof(int32_t));
      break;
    case abi::kSysIoctl: {  // (fd, com, data)
      const uint64_t cmd = U64(s, 1);
      const uint64_t len = abi::IoctlLength(cmd);
      const uint64_t data = U64(s, 2);
      if (len == 0 || data == 0) break;
      if (abi::IoctlIn(cmd)) p.AddInput(data, len);
      if (abi::IoctlOut(cmd)) p.AddOutput(data, len);
      break;
    }
    case abi::kSysSysctl: {  // (name, namelen, oldv, oldlenp, newv, newlen)
      const uint64_t namelen = U32(s, 1);
      if (namelen > 0 && namelen <= kMaxSysctlName) p.AddInput(U64(s, 0), namelen * 4);
      const uint64_t oldlenp = U64(s, 3);
      if (oldlenp != 0) {
        p.AddInOut(oldlenp, kSizeTSize);
        if (U64(s, 2) != 0) p.AddOutput(U64(s, 2), ReadU64(oldlenp));
      }
      p.AddInput(U64(s, 4), U64(s, 5));
      break;
    }
    case abi::kSysPoll: {  // (fds, nfds, timeout)
      const uint64_t n = U32(s, 1);
      if (n <= kMaxPollfds) p.AddInOut(U64(s, 0), n * kPollfdSize);
      break;
    }
    case abi::kSysPollts: {  // (fds, nfds, ts, mask)
      const uint64_t n = U32(s, 1);
      if (n <= kMaxPollfds) p.AddInOut(U64(s, 0), n * kPollfdSize);
      p.AddInput(U64(s, 2), kTimespecSize);
      p.AddInput(U64(s, 3), kSigsetSize);
      break;
    }
    case abi::kSysNanosleep:  // (rqtp, rmtp)
      p.AddInput(U64(s, 0), kTimespecSize);
      p.AddOutput(U64(s, 1), kTimespecSize);
      break;
    case abi::kSysClockGettime:  // (clock_id, tp)
      p.AddOutput(U64(s, 1), kTimespecSize);
      break;
    case abi::kSysGettimeofday:  // (tp, tzp)
      p.AddOutput(U64(s, 0), kTimevalSize);
      p.AddOutput(U64(s, 1), kTimezoneSize);
      break;
    default:
      break;
  }
  return p;
}

}  // namespace sp::client
