#include "sp/wire/xsyscall.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sp/wire/bytes.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"

namespace sp::wire {
namespace {

using internal::Append;
using internal::Load;

absl::Status Bad(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", why));
}

// A non-empty range in user space of at most kMaxCopyChunk bytes.
bool GoodRange(uint64_t addr, uint64_t len) {
  return len > 0 && len <= kMaxCopyChunk && addr != 0 && addr < kUserAddressLimit &&
         len <= kUserAddressLimit - addr;
}

bool Overlap(const XRange& a, const XRange& b) {
  return a.addr < b.addr + b.len && b.addr < a.addr + a.len;
}

// Every range good, none overlapping another. Empty string if fine.
std::string CheckRanges(absl::Span<const XRange> ranges, absl::string_view kind) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    const XRange& r = ranges[i];
    if (!GoodRange(r.addr, r.len)) {
      return absl::StrCat(kind, " buffer ", i, " (0x", absl::Hex(r.addr), " + ", r.len,
                          ") is empty, too long or outside user space");
    }
    for (size_t j = 0; j < i; ++j) {
      if (Overlap(r, ranges[j])) {
        return absl::StrCat(kind, " buffers ", j, " and ", i, " overlap");
      }
    }
  }
  return "";
}

}  // namespace

bool XContained(const XRange& r, absl::Span<const XRange> ranges) {
  for (const XRange& o : ranges) {
    if (r.addr >= o.addr && r.len <= o.len && r.addr - o.addr <= o.len - r.len) return true;
  }
  return false;
}

absl::StatusOr<std::string> XSyscallRequest(uint64_t reqno, uint32_t sysnum,
                                            absl::Span<const uint64_t> slots,
                                            absl::Span<const XBytes> inputs,
                                            absl::Span<const XRange> outputs) {
  constexpr absl::string_view kWhat = "X_SYSCALL request";
  if (slots.size() > kMaxSyscallSlots) return Bad(kWhat, "more than 8 slots");
  if (inputs.size() > kXMaxBuffers || outputs.size() > kXMaxBuffers) {
    return Bad(kWhat, absl::StrCat("more than ", kXMaxBuffers, " buffers"));
  }
  std::vector<XRange> in;
  for (const XBytes& b : inputs) in.push_back(XRange{b.addr, b.data.size()});
  if (std::string why = CheckRanges(in, "input"); !why.empty()) return Bad(kWhat, why);
  if (std::string why = CheckRanges(outputs, "output"); !why.empty()) return Bad(kWhat, why);
  uint64_t out_total = 0;
  for (const XRange& r : outputs) out_total += r.len;  // <= 16 x 16 MiB: no overflow
  if (out_total > kXMaxOutput) return Bad(kWhat, "output buffers too long");

  std::string p;
  size_t size = kXRequestFixed + kSlotSize * slots.size() +
                kXDescriptorSize * (inputs.size() + outputs.size());
  for (const XBytes& b : inputs) size += b.data.size();
  p.reserve(size);
  Append<uint16_t>(&p, uint16_t(slots.size()));
  Append<uint16_t>(&p, uint16_t(inputs.size()));
  Append<uint16_t>(&p, uint16_t(outputs.size()));
  Append<uint16_t>(&p, 0);
  for (uint64_t s : slots) Append<uint64_t>(&p, s);
  for (const XBytes& b : inputs) {
    Append<uint64_t>(&p, b.addr);
    Append<uint64_t>(&p, b.data.size());
  }
  for (const XRange& r : outputs) {
    Append<uint64_t>(&p, r.addr);
    Append<uint64_t>(&p, r.len);
  }
  for (const XBytes& b : inputs) p.append(b.data.data(), b.data.size());
  return EncodeFrame(reqno, kClassRequest, kTypeXSyscall, sysnum, {p});
}

absl::StatusOr<XSyscallCall> DecodeXSyscallRequest(const FrameView& f) {
  const std::string what = absl::StrCat("X_SYSCALL request (reqno ", f.header.reqno, ")");
  if (f.header.cls != kClassRequest || f.header.type != kTypeXSyscall) {
    return Bad(what, "not an X_SYSCALL request");
  }
  const absl::string_view p = f.payload;
  if (p.size() < kXRequestFixed) return Bad(what, "payload shorter than 8 bytes");
  const size_t nslots = Load<uint16_t>(p.data());
  const size_t nin = Load<uint16_t>(p.data() + 2);
  const size_t nout = Load<uint16_t>(p.data() + 4);
  const uint16_t flags = Load<uint16_t>(p.data() + 6);
  if (nslots > kMaxSyscallSlots) return Bad(what, absl::StrCat(nslots, " slots"));
  if (nin > kXMaxBuffers || nout > kXMaxBuffers) {
    return Bad(what, absl::StrCat(nin, " input and ", nout, " output buffers"));
  }
  if (flags != 0) return Bad(what, absl::StrCat("flags 0x", absl::Hex(flags)));
  const size_t fixed = kXRequestFixed + kSlotSize * nslots + kXDescriptorSize * (nin + nout);
  if (p.size() < fixed) return Bad(what, "payload shorter than its descriptors");

  XSyscallCall call;
  call.sysnum = f.header.u;
  call.nslots = nslots;
  size_t off = kXRequestFixed;
  for (size_t i = 0; i < nslots; ++i, off += kSlotSize) call.slots[i] = Load<uint64_t>(p.data() + off);
  std::vector<XRange> in(nin);
  for (XRange& r : in) {
    r.addr = Load<uint64_t>(p.data() + off);
    r.len = Load<uint64_t>(p.data() + off + 8);
    off += kXDescriptorSize;
  }
  call.outputs.resize(nout);
  for (XRange& r : call.outputs) {
    r.addr = Load<uint64_t>(p.data() + off);
    r.len = Load<uint64_t>(p.data() + off + 8);
    off += kXDescriptorSize;
  }
  if (std::string why = CheckRanges(in, "input"); !why.empty()) return Bad(what, why);
  if (std::string why = CheckRanges(call.outputs, "output"); !why.empty()) return Bad(what, why);
  uint64_t in_total = 0, out_total = 0;  // each len <= 16 MiB, at most 16 of them
  for (const XRange& r : in) in_total += r.len;
  for (const XRange& r : call.outputs) out_total += r.len;
  if (out_total > kXMaxOutput) {
    return Bad(what, absl::StrCat("output buffers add up to ", out_total, " bytes"));
  }
  if (p.size() - fixed != in_total) {
    return Bad(what, absl::StrCat("input bytes are ", p.size() - fixed, ", descriptors say ",
                                  in_total));
  }
  call.inputs.reserve(nin);
  for (const XRange& r : in) {
    call.inputs.push_back(XBytes{r.addr, p.substr(off, size_t(r.len))});
    off += size_t(r.len);
  }
  return call;
}

std::string XSyscallResponse(uint64_t reqno, int32_t error, int64_t rv0, int64_t rv1,
                             absl::Span<const XBytes> segments) {
  std::string p;
  size_t size = kXResponseFixed + kXDescriptorSize * segments.size();
  for (const XBytes& s : segments) size += s.data.size();
  p.reserve(size);
  Append<int32_t>(&p, error);
  Append<uint32_t>(&p, uint32_t(segments.size()));
  Append<int64_t>(&p, rv0);
  Append<int64_t>(&p, rv1);
  for (const XBytes& s : segments) {
    Append<uint64_t>(&p, s.addr);
    Append<uint64_t>(&p, s.data.size());
  }
  for (const XBytes& s : segments) p.append(s.data.data(), s.data.size());
  return EncodeFrame(reqno, kClassResponse, kTypeXSyscall, 0, {p});
}

absl::StatusOr<XSyscallResult> DecodeXSyscallResponse(const FrameView& f) {
  const std::string what = absl::StrCat("X_SYSCALL answer (reqno ", f.header.reqno, ")");
  if (f.header.cls != kClassResponse || f.header.type != kTypeXSyscall) {
    return Bad(what, "not an X_SYSCALL answer");
  }
  const absl::string_view p = f.payload;
  if (p.size() < kXResponseFixed) return Bad(what, "payload shorter than 24 bytes");
  XSyscallResult r;
  r.error = Load<int32_t>(p.data());
  const uint32_t nseg = Load<uint32_t>(p.data() + 4);
  r.rv0 = Load<int64_t>(p.data() + 8);
  r.rv1 = Load<int64_t>(p.data() + 16);
  if (nseg > kXMaxSegments) return Bad(what, absl::StrCat(nseg, " segments"));
  size_t off = kXResponseFixed;
  if (p.size() - off < kXDescriptorSize * nseg) {
    return Bad(what, "payload shorter than its descriptors");
  }
  std::vector<XRange> seg(nseg);
  uint64_t total = 0;
  for (XRange& s : seg) {
    s.addr = Load<uint64_t>(p.data() + off);
    s.len = Load<uint64_t>(p.data() + off + 8);
    off += kXDescriptorSize;
    if (!GoodRange(s.addr, s.len)) {
      return Bad(what, absl::StrCat("segment 0x", absl::Hex(s.addr), " + ", s.len,
                                    " is empty, too long or outside user space"));
    }
    total += s.len;  // <= 64 x 16 MiB: no overflow
  }
  if (p.size() - off != total) {
    return Bad(what, absl::StrCat("segment bytes are ", p.size() - off, ", descriptors say ",
                                  total));
  }
  r.segments.reserve(nseg);
  for (const XRange& s : seg) {
    r.segments.push_back(XBytes{s.addr, p.substr(off, size_t(s.len))});
    off += size_t(s.len);
  }
  return r;
}

}  // namespace sp::wire
