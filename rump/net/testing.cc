#include "rump/net/testing.h"

#include <arpa/inet.h>

#include <random>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"

#include "rump/abi/if.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"

namespace rump::testing {

uint32_t Ip(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return a.s_addr;
}

Buf& Buf::Name(const std::string& name, size_t off) {
  std::memcpy(b_.data() + off, name.data(), std::min(name.size(), b_.size() - off));
  return *this;
}

Buf& Buf::Sin(size_t off, const char* dotted) {
  b_[off + abi::kSinLenOff] = abi::kSockaddrInSize;
  b_[off + abi::kSinFamilyOff] = abi::kAF_INET;
  return Set<uint32_t>(off + abi::kSinAddrOff, Ip(dotted));
}

std::string Buf::Str(size_t off, size_t max) const {
  const char* p = reinterpret_cast<const char*>(b_.data() + off);
  return std::string(p, strnlen(p, max));
}

Buf Ifreq(const std::string& ifname) {
  Buf b(abi::kIfreqSize);
  b.Name(ifname);
  return b;
}

int Ioctl(Kernel& k, int fd, uint64_t cmd, uint64_t arg) {
  return k.Syscall(abi::kSysIoctl, {uint64_t(fd), cmd, arg}).error;
}

int Socket(Kernel& k, int domain, int type, int protocol) {
  SyscallResult r = k.Syscall(abi::kSysSocket, {uint64_t(uint32_t(domain)),
                                               uint64_t(uint32_t(type)),
                                               uint64_t(uint32_t(protocol))});
  return r.error ? -r.error : int(r.rv0);
}

int Sysctl(Kernel& k, const std::vector<int>& mib, std::string* out, size_t* oldlen,
           bool query_size, const void* newp, size_t newlen) {
  size_t len = *oldlen;
  std::string buf(query_size ? 0 : len, '\0');
  SyscallResult r = k.Syscall(
      abi::kSysSysctl, {P(mib.data()), mib.size(), query_size ? 0 : P(buf.data()), P(&len),
                       P(newp), newlen});
  *oldlen = len;
  if (out != nullptr) *out = buf.substr(0, std::min(len, buf.size()));
  return r.error;
}

size_t BoundedUserMemory::Reach(UserAddr a) const {
  for (const auto& [start, n] : ranges_) {
    if (a >= start && a - start < n) return n - (a - start);
  }
  return 0;
}

absl::Status BoundedUserMemory::CopyIn(UserAddr from, void* to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (Reach(from) < n) return abi::Errno(abi::kEFAULT);
  std::memcpy(to, reinterpret_cast<const void*>(from), n);
  return absl::OkStatus();
}

absl::Status BoundedUserMemory::CopyOut(const void* from, UserAddr to, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (Reach(to) < n) return abi::Errno(abi::kEFAULT);
  std::memcpy(reinterpret_cast<void*>(to), from, n);
  return absl::OkStatus();
}

absl::StatusOr<std::string> BoundedUserMemory::CopyInString(UserAddr from, size_t max) {
  const size_t reach = Reach(from);
  if (reach == 0) return abi::Errno(abi::kEFAULT);
  const char* p = reinterpret_cast<const char*>(from);
  const size_t len = strnlen(p, std::min(max, reach));
  if (len == max) return abi::Errno(abi::kENAMETOOLONG);
  if (len == reach) return abi::Errno(abi::kEFAULT);
  return std::string(p, len);
}

absl::StatusOr<size_t> BoundedUserMemory::CopyOutString(const std::string& s, UserAddr to,
                                                        size_t max) {
  if (max == 0) return abi::Errno(abi::kENAMETOOLONG);
  const size_t n = std::min(s.size(), max - 1);
  if (Reach(to) < n + 1) return abi::Errno(abi::kEFAULT);
  char* p = reinterpret_cast<char*>(to);
  std::memcpy(p, s.data(), n);
  p[n] = '\0';
  if (n < s.size()) return abi::Errno(abi::kENAMETOOLONG);
  return n + 1;
}

void FuzzInterfaceIoctls(Kernel& k, const std::vector<std::string>& names,
                         int iterations, uint32_t seed) {
  static const uint64_t kKnown[] = {
      abi::kSIOCSIFADDR,   abi::kSIOCSIFFLAGS,   abi::kSIOCGIFFLAGS,  abi::kSIOCGIFMETRIC,
      abi::kSIOCSIFMETRIC, abi::kSIOCDIFADDR,    abi::kSIOCAIFADDR,   abi::kSIOCGIFALIAS,
      abi::kSIOCGIFADDR,   abi::kSIOCGIFDSTADDR, abi::kSIOCGIFBRDADDR, abi::kSIOCGIFNETMASK,
      abi::kSIOCGIFCONF,   abi::kSIOCGIFAFLAG_IN, abi::kSIOCADDMULTI, abi::kSIOCSIFMEDIA,
      abi::kSIOCGIFMEDIA,  abi::kSIOCGIFDLT,     abi::kSIOCIFGCLONERS, abi::kSIOCIFDESTROY,
      abi::kSIOCIFCREATE,  abi::kSIOCSDRVSPEC,   abi::kSIOCGIFMTU,    abi::kSIOCSIFMTU,
      abi::kSIOCGIFDATA,   abi::kSIOCZIFDATA,    abi::kSIOCGLINKSTR,  abi::kSIOCSLINKSTR,
      abi::kSIOCGIFINDEX,  abi::kSIOCGIFCAP,     abi::kSIOCSIFCAP,    abi::kSIOCGETHERCAP,
      abi::kSIOCGLIFADDR,  abi::kSIOCGIFADDRPREF};
  std::mt19937 rng(seed);
  std::vector<int> fds;
  for (int domain : {abi::kAF_INET, abi::kAF_INET6, abi::kAF_ROUTE}) {
    fds.push_back(Socket(k, domain, domain == abi::kAF_ROUTE ? abi::kSOCK_RAW
                                                               : abi::kSOCK_DGRAM));
  }
  fds.push_back(Socket(k, abi::kAF_LINK, abi::kSOCK_DGRAM));
  std::vector<uint8_t> arg(8192), scratch(4096);
  for (int i = 0; i < iterations; ++i) {
    uint64_t cmd;
    const uint32_t pick = rng() % 4;
    if (pick < 3) {
      cmd = kKnown[rng() % (sizeof(kKnown) / sizeof(kKnown[0]))];
    } else {
      const uint32_t dir = (rng() % 3 + 1) << 30;
      cmd = abi::Ioc(dir, 'i', rng() % 256, rng() % 300);
    }
    for (auto& b : arg) b = uint8_t(rng());
    // A zeroed scratch area: a link string read from it is "", which opens
    // no file.
    std::fill(scratch.begin(), scratch.end(), 0);
    if (!names.empty() && rng() % 4 != 0) {
      const std::string& n = names[rng() % names.size()];
      std::memset(arg.data(), 0, abi::kIfNameSize);
      std::memcpy(arg.data(), n.data(), std::min(n.size(), abi::kIfNameSize - 1));
    }
    // Some flags the kernel acts on, so that it also does real work.
    if (cmd == abi::kSIOCSIFFLAGS && rng() % 2) {
      const uint16_t f = rng() % 2 ? abi::kIFF_UP : 0;
      std::memcpy(&arg[abi::kIfrFlagsOff], &f, 2);
    }
    // Embedded pointers: wild, NULL, or into the scratch buffer.
    for (size_t off : {size_t(8), size_t(16), size_t(24), size_t(32), size_t(40)}) {
      const uint32_t how = rng() % 3;
      const uint64_t p = how == 0 ? 0 : how == 1 ? P(scratch.data() + rng() % 64) : rng();
      if (rng() % 2) std::memcpy(&arg[off], &p, 8);
    }
    BoundedUserMemory mem;
    mem.Allow(arg.data(), arg.size());
    mem.Allow(scratch.data(), scratch.size());
    const int fd = fds[rng() % fds.size()];
    const uint64_t data = rng() % 8 == 0 ? 0 : P(arg.data());
    const uint64_t args[] = {uint64_t(fd), cmd, data};
    SyscallResult r = k.Syscall(k.init(), mem, abi::kSysIoctl, args);
    if (r.error < 0 || r.error > abi::kELAST) {
      ADD_FAILURE() << "ioctl " << std::hex << cmd << " returned errno " << std::dec
                    << r.error;
    }
  }
  for (int fd : fds) k.Syscall(abi::kSysClose, {uint64_t(fd)});
}

bool ParseRtMessages(const std::string& dump, std::vector<RtMessage>* out) {
  size_t off = 0;
  while (off < dump.size()) {
    if (dump.size() - off < 4) return false;
    RtMessage m;
    std::memcpy(&m.msglen, &dump[off], 2);
    m.version = uint8_t(dump[off + 2]);
    m.type = uint8_t(dump[off + 3]);
    if (m.msglen < 4 || m.msglen > dump.size() - off) return false;
    const std::string msg = dump.substr(off, m.msglen);
    size_t hdr;
    if (m.type == abi::kRTM_IFINFO) {
      hdr = abi::kIfMsghdrSize;
      if (msg.size() < hdr) return false;
      std::memcpy(&m.addrs, &msg[abi::kIfmAddrsOff], 4);
      std::memcpy(&m.flags, &msg[abi::kIfmFlagsOff], 4);
      std::memcpy(&m.index, &msg[abi::kIfmIndexOff], 2);
    } else {
      hdr = abi::kIfaMsghdrSize;
      if (msg.size() < hdr) return false;
      std::memcpy(&m.addrs, &msg[abi::kIfamAddrsOff], 4);
      std::memcpy(&m.flags, &msg[abi::kIfamFlagsOff], 4);
      std::memcpy(&m.index, &msg[abi::kIfamIndexOff], 2);
    }
    m.header = msg.substr(0, hdr);
    size_t p = hdr;
    for (int bit = 0; bit < abi::kRTAX_MAX; ++bit) {
      if (!(m.addrs & (1 << bit))) continue;
      if (p >= msg.size()) return false;
      const size_t n = abi::RtRoundup(uint8_t(msg[p]));
      if (n > msg.size() - p) return false;
      m.sockaddrs.push_back(msg.substr(p, n));
      p += n;
    }
    if (p != msg.size()) return false;
    out->push_back(std::move(m));
    off += msg.size();
  }
  return true;
}

}  // namespace rump::testing
