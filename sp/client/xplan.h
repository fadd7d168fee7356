// The client's half of the one-round-trip extension (sp/wire/xsyscall.h):
// for a NetBSD system call and its argument slots, which of the caller's
// buffers the kernel will read (sent with the call) and which it will write
// (named, so that the server returns the bytes with the answer).
//
// A plan is only a guess that saves round trips: the server falls back to
// COPYIN / COPYOUT for anything not covered, so a call missing here, or a
// buffer left out (unreadable, too big, overlapping another), costs time,
// never correctness. Buffers are read from this process's memory with
// ReadOwnMemory (memory.h): an unreadable one is left out, and the server's
// COPYIN for it then gets the usual EFAULT treatment.
//
// Calls covered: read, write, readv, writev, open (the path), sendto,
// recvfrom, bind, connect, accept, getsockname, getpeername, setsockopt,
// getsockopt, socketpair, pipe2, ioctl (IOC_IN / IOC_OUT by the command's
// encoding), __sysctl (name, *oldlenp, oldp, newp), poll, pollts,
// nanosleep, clock_gettime, gettimeofday.
#ifndef RUMP_SP_CLIENT_XPLAN_H_
#define RUMP_SP_CLIENT_XPLAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "sp/wire/xsyscall.h"

namespace sp::client {

// Limits a plan keeps to (beyond them the server's fallbacks are as good).
inline constexpr size_t kXMaxInputBytes = 256 * 1024;      // all inputs of one call
inline constexpr uint64_t kXMaxOutputBytes = 4 << 20;      // all outputs of one call
inline constexpr uint64_t kXMaxLengthRead = 64 * 1024;     // a size read from *lenp

class XPlan {
 public:
  // The plan for syscall `sysnum` with `slots` (NetBSD numbers and layouts).
  static XPlan For(uint32_t sysnum, absl::Span<const uint64_t> slots);

  bool empty() const { return inputs_.empty() && outputs_.empty(); }
  // The inputs as the codec takes them (views into this plan).
  std::vector<wire::XBytes> inputs() const;
  const std::vector<wire::XRange>& outputs() const { return outputs_; }

  // Adds `len` bytes at `addr` as an input, read now; left out if empty,
  // unreadable, over the limits, or overlapping an input already there.
  void AddInput(uint64_t addr, uint64_t len);
  // Adds an output range; left out if empty, over the limits, outside user
  // space or overlapping an output already there.
  void AddOutput(uint64_t addr, uint64_t len);
  // Both (an in/out argument such as *fromlen).
  void AddInOut(uint64_t addr, uint64_t len) {
    AddInput(addr, len);
    AddOutput(addr, len);
  }

 private:
  struct Input {
    uint64_t addr;
    std::string data;
  };
  std::vector<Input> inputs_;
  size_t input_bytes_ = 0;
  std::vector<wire::XRange> outputs_;
  uint64_t output_bytes_ = 0;
};

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_XPLAN_H_
