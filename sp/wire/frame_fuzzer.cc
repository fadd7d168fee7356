// libFuzzer target for the rump_sp codec (built with clang++
// -fsanitize=fuzzer,address,undefined by //bazel:libfuzzer.bzl and run by
// frame_fuzz_test).
//
// Input: one control byte, then bytes as a peer would send them. The control
// byte picks the frame size limit (bit 7 set: the default; else a small limit
// so that the "too long" path is reached) and the seed of the chunk sizes in
// which the bytes are fed to FrameReader. Every frame that comes out goes
// through every decoder; what decodes must re-encode to the same bytes where
// the encoding is canonical. The rest of the input is also tried as a banner
// and as one whole ZeroMQ-style message.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "sp/wire/banner.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"
#include "sp/wire/xsyscall.h"

namespace {

using namespace sp::wire;  // NOLINT

void Check(bool cond) {
  if (!cond) __builtin_trap();
}

// The frame's bytes; with `zero_u`, as if header u were 0 (for decoders that
// ignore u, whose re-encoding writes 0 there).
std::string Bytes(const FrameView& f, bool zero_u = false) {
  std::string out(kHeaderSize, '\0');
  Header h = f.header;
  if (zero_u) h.u = 0;
  EncodeHeader(h, reinterpret_cast<uint8_t*>(out.data()));
  out.append(f.payload.data(), f.payload.size());
  return out;
}

void Exercise(const FrameView& f, uint64_t max_len) {
  Check(f.header.len == kHeaderSize + f.payload.size());
  Check(f.header.len <= max_len);
  const std::string original = Bytes(f);
  const std::string original_u0 = Bytes(f, /*zero_u=*/true);
  const uint64_t reqno = f.header.reqno;

  if (auto name = DecodeHandshakeName(f); name.ok()) {
    Check(name->size() <= f.payload.size());
    Check(name->find('\0') == absl::string_view::npos);
  }
  if (auto fork = DecodeHandshakeFork(f); fork.ok()) {
    Check(HandshakeForkRequest(reqno, fork->cookie, fork->cancel) == original);
  }
  if (auto v = DecodeHandshakeResponse(f); v.ok()) {
    Check(f.payload.size() == kHandshakeRespSize);
  }
  if (auto args = DecodeSyscallRequest(f); args.ok()) {
    Check(args->nslots <= kMaxSyscallSlots);
    auto again =
        SyscallRequest(reqno, args->sysnum, absl::MakeConstSpan(args->slots.data(), args->nslots));
    Check(again.ok() && *again == original);
    for (size_t i = args->nslots; i < kMaxSyscallSlots; ++i) Check(args->slots[i] == 0);
  }
  if (auto r = DecodeSyscallResponse(f); r.ok()) {
    std::string again = SyscallResponse(reqno, r->error, r->rv0, r->rv1);
    auto back = DecodeSyscallResponse(*ParseFrame(again));
    Check(back.ok() && back->error == r->error && back->rv0 == r->rv0 && back->rv1 == r->rv1);
  }
  if (auto c = DecodeCopyRequest(f); c.ok()) {
    Check(c->len <= kMaxCopyChunk);
    Check(c->len == 0 || (c->addr != 0 && c->addr + c->len <= kUserAddressLimit));
    std::string again = c->type == kTypeCopyin ? CopyinRequest(reqno, c->len, c->addr)
                                               : CopyinstrRequest(reqno, c->len, c->addr);
    Check(again == original_u0);
    // Answers of every length: only the exact one is a COPYIN answer.
    for (uint64_t want : {c->len, c->len + 1, uint64_t{0}}) {
      auto d = DecodeCopyinResponse(f, want);
      Check(d.ok() == (f.header.cls == kClassResponse && f.payload.size() == want));
    }
  }
  {
    auto d = DecodeCopyinResponse(f, f.payload.size());
    Check(d.ok() == (f.header.cls == kClassResponse));
    auto s = DecodeCopyinstrResponse(f, f.payload.size() / 2);
    Check(!s.ok() || f.payload.size() <= f.payload.size() / 2);
  }
  if (auto o = DecodeCopyout(f); o.ok()) {
    Check(o->data.size() + kCopydataSize == f.payload.size());
    std::string again = o->type == kTypeCopyout ? CopyoutRequest(reqno, o->addr, o->data)
                                                : CopyoutstrRequest(reqno, o->addr, o->data);
    Check(again == original_u0);
  }
  if (auto size = DecodeAnonmmapRequest(f); size.ok()) {
    Check(AnonmmapRequest(reqno, *size) == original_u0);
  }
  if (auto addr = DecodeAnonmmapResponse(f); addr.ok()) {
    Check(*addr < kUserAddressLimit);
  }
  if (DecodePreforkRequest(f).ok()) Check(PreforkRequest(reqno) == original_u0);
  if (auto cookie = DecodePreforkResponse(f); cookie.ok()) {
    Check(f.payload.size() == kCookieSize);
  }
  if (auto sig = DecodeRaise(f); sig.ok()) Check(RaiseRequest(reqno, *sig) == original);
  if (auto code = DecodeError(f); code.ok()) {
    Check(ErrorCodeToHostErrno(*code) >= 0);
    Check(ErrorCodeName(*code) != nullptr);
  }
  // The one-round-trip extension: what decodes encodes back the same.
  if (auto x = DecodeXSyscallRequest(f); x.ok()) {
    auto again = XSyscallRequest(reqno, x->sysnum,
                                 absl::MakeConstSpan(x->slots.data(), x->nslots), x->inputs,
                                 x->outputs);
    Check(again.ok() && *again == original);
  }
  if (auto x = DecodeXSyscallResponse(f); x.ok()) {
    Check(x->segments.size() <= kXMaxSegments);
    Check(XSyscallResponse(reqno, x->error, x->rv0, x->rv1, x->segments) == original_u0);
  }
  Check(TypeName(f.header.type) != nullptr && ClassName(f.header.cls) != nullptr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint64_t max_len =
      (control & 0x80) ? kDefaultMaxFrameLen : kHeaderSize + (control & 0x7f) * 2;

  // The stream, in pseudo-random chunks of 1..64 bytes.
  FrameReader reader(max_len);
  uint32_t rng = control * 2654435761u + 1;
  absl::string_view rest = in;
  bool failed = false;
  while (!rest.empty() && !failed) {
    rng = rng * 1103515245u + 12345u;
    size_t chunk = 1 + (rng >> 16) % 64;
    if (chunk > rest.size()) chunk = rest.size();
    failed = !reader.Feed(rest.substr(0, chunk)).ok();
    rest.remove_prefix(chunk);
    while (auto f = reader.Next()) Exercise(*f, max_len);
  }
  Check(failed == !reader.status().ok());
  if (failed) Check(!reader.Feed("x").ok());
  (void)reader.Finish();

  // The same bytes as one message.
  if (auto f = ParseFrame(in, max_len); f.ok()) Exercise(*f, max_len);

  // And as a banner: what parses and formats must parse back the same.
  if (auto b = BannerInfo::Parse(in); b.ok()) {
    if (auto text = b->Format(); text.ok()) {
      auto again = BannerInfo::Parse(*text);
      Check(again.ok() && again->major == b->major && again->minor == b->minor &&
            again->ostype == b->ostype && again->osrelease == b->osrelease &&
            again->machine == b->machine);
    }
  }
  return 0;
}
