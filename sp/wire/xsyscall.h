// The one-round-trip syscall extension ("x-batch", version 1): frame type
// X_SYSCALL (protocol.h, kTypeXSyscall = 0x100), sent by a client only after
// the server's banner announced "x-batch=1" (banner.h). A NetBSD peer never
// sees these frames.
//
// The idea: in plain rump_sp a sendto costs three round trips (the SYSCALL,
// then a COPYIN for the sockaddr and one for the data). With X_SYSCALL the
// client sends, with the call, the bytes it knows the kernel will read
// ("input buffers") and names the ranges the kernel will write ("output
// buffers"); the server serves copyin from the inputs and gathers copyout
// into the answer. Anything the client did not foresee still works: the
// server falls back to ordinary COPYIN / COPYINSTR / COPYOUT requests for
// addresses the buffers do not cover, so correctness never depends on the
// client's guess.
//
// Request, C -> S: class REQ, type 0x100, u = NetBSD syscall number.
//
//   offset  size          field
//   0       u16           nslots   argument slots, 0..8
//   2       u16           nin      input buffers, 0..kXMaxBuffers
//   4       u16           nout     output buffers, 0..kXMaxBuffers
//   6       u16           flags    0 (anything else: malformed)
//   8       8 x nslots    the argument slots, as in SYSCALL
//   ..      16 x nin      input descriptors  {u64 addr, u64 len}
//   ..      16 x nout     output descriptors {u64 addr, u64 len}
//   ..      sum(in len)   input bytes, back to back, in descriptor order
//
// Rules (a violation is ERROR MALFORMED; the connection stays): the payload
// is exactly that long; every len is 1..kMaxCopyChunk; every range lies in
// user space (decode.h, kUserAddressLimit; addr != 0); input ranges do not
// overlap each other, nor do output ranges (an input may overlap an output:
// an in/out argument such as recvfrom's fromlen is both); the output lengths
// add up to at most kXMaxOutput.
//
// Response, S -> C: class RESP, type 0x100, u = 0, same reqno.
//
//   offset  size          field
//   0       i32           error    0 or a NetBSD errno
//   4       u32           nseg     copyout segments, 0..kXMaxSegments
//   8       i64           rv0
//   16      i64           rv1
//   24      16 x nseg     segment descriptors {u64 addr, u64 len}
//   ..      sum(seg len)  segment bytes, back to back
//
// Each segment is one copyout the kernel made into a declared output range,
// in the order it made them; the client writes them in that order (a later
// one may overwrite an earlier one). Segments lie inside the output ranges
// the request declared (a client checks; len >= 1). COPYOUT frames the
// server sent during the call (fallbacks) precede the answer and were made
// before every segment in it, so applying frames in arrival order gives the
// kernel's order. ERROR frames answer an X_SYSCALL as they answer a SYSCALL.
#ifndef RUMP_SP_WIRE_XSYSCALL_H_
#define RUMP_SP_WIRE_XSYSCALL_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"

namespace sp::wire {

// Limits of version 1.
inline constexpr size_t kXMaxBuffers = 16;            // inputs, and outputs
inline constexpr size_t kXMaxSegments = 64;           // copyout segments in an answer
inline constexpr uint64_t kXMaxOutput = kMaxCopyChunk;  // declared output bytes
inline constexpr size_t kXRequestFixed = 8;           // nslots..flags
inline constexpr size_t kXResponseFixed = 24;         // error..rv1
inline constexpr size_t kXDescriptorSize = 16;        // {u64 addr, u64 len}

// A range of client memory.
struct XRange {
  uint64_t addr = 0;
  uint64_t len = 0;
  bool operator==(const XRange&) const = default;
};

// Client bytes at `addr` (an input buffer, or an answer's segment). The view
// points into a frame or the caller's memory.
struct XBytes {
  uint64_t addr = 0;
  absl::string_view data;
};

// C -> S. Error (InvalidArgument) if the call breaks the rules above.
absl::StatusOr<std::string> XSyscallRequest(uint64_t reqno, uint32_t sysnum,
                                            absl::Span<const uint64_t> slots,
                                            absl::Span<const XBytes> inputs,
                                            absl::Span<const XRange> outputs);

struct XSyscallCall {
  uint32_t sysnum = 0;
  size_t nslots = 0;
  std::array<uint64_t, kMaxSyscallSlots> slots{};  // zero past nslots
  std::vector<XBytes> inputs;                      // views into the frame
  std::vector<XRange> outputs;
};
// Validates everything above; the inputs' views point into `f`'s payload.
absl::StatusOr<XSyscallCall> DecodeXSyscallRequest(const FrameView& f);

// S -> C. Segments: at most kXMaxSegments, each non-empty and in user space
// (the caller keeps to this; checked by the decoder).
std::string XSyscallResponse(uint64_t reqno, int32_t error, int64_t rv0, int64_t rv1,
                             absl::Span<const XBytes> segments);

struct XSyscallResult {
  int32_t error = 0;
  int64_t rv0 = 0;
  int64_t rv1 = 0;
  std::vector<XBytes> segments;  // views into the frame
};
// Validates the layout (class RESP, type X_SYSCALL, exact length, segment
// count and ranges). Containment in the declared outputs is the client's
// check (it knows what it declared).
absl::StatusOr<XSyscallResult> DecodeXSyscallResponse(const FrameView& f);

// True if [r.addr, r.addr + r.len) lies inside one of `ranges`.
bool XContained(const XRange& r, absl::Span<const XRange> ranges);

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_XSYSCALL_H_
