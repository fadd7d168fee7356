// The X_SYSCALL codec: bytes of a worked example (the reference sendto of
// spec_examples.h as one frame), round trips, and every rule the decoders
// enforce against hostile frames.
#include "sp/wire/xsyscall.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/protocol.h"

namespace sp::wire {
namespace {

std::string Hex(absl::string_view hex) {
  std::string clean;
  for (char c : hex) {
    if (c != ' ' && c != '\n') clean.push_back(c);
  }
  return absl::HexStringToBytes(clean);
}

template <typename T>
std::string Le(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
}

FrameView View(const std::string& bytes) {
  absl::StatusOr<FrameView> v = ParseFrame(bytes);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

// A request payload built by hand (so that bad ones can be made).
std::string Payload(uint16_t nslots, uint16_t nin, uint16_t nout, uint16_t flags,
                    std::vector<uint64_t> words, std::string data = "") {
  std::string p = Le(nslots) + Le(nin) + Le(nout) + Le(flags);
  for (uint64_t w : words) p += Le(w);
  return p + data;
}

std::string Req(const std::string& payload, uint32_t sysnum = 133) {
  return EncodeFrame(7, kClassRequest, kTypeXSyscall, sysnum, {payload});
}

// sendto(3, buf=0x7ffc0000a000 "hello", 5, 0, to=0x7ffc0000b000, 16): the
// reference call (spec_examples.h), inputs in one frame, no outputs.
const char kSendtoHex[] =
    "85 00 00 00 00 00 00 00  02 00 00 00 00 00 00 00"  // len 133, reqno 2
    "00 00 00 01 85 00 00 00"                           // REQ, type 0x100, u 133
    "06 00 02 00 00 00 00 00"                           // 6 slots, 2 in, 0 out, flags 0
    "03 00 00 00 00 00 00 00  00 a0 00 00 fc 7f 00 00"  // s, buf
    "05 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00"  // len, flags
    "00 b0 00 00 fc 7f 00 00  10 00 00 00 00 00 00 00"  // to, tolen
    "00 a0 00 00 fc 7f 00 00  05 00 00 00 00 00 00 00"  // input 0: buf, 5
    "00 b0 00 00 fc 7f 00 00  10 00 00 00 00 00 00 00"  // input 1: to, 16
    "68 65 6c 6c 6f"                                    // "hello"
    "10 02 00 07 0a 00 00 02  00 00 00 00 00 00 00 00";  // sockaddr_in 10.0.0.2:7

TEST(XSyscallTest, SendtoInOneFrameByteByByte) {
  const std::string hello = "hello";
  const std::string sin = Hex("10 02 00 07 0a 00 00 02 00 00 00 00 00 00 00 00");
  const std::vector<uint64_t> slots = {3, 0x7ffc0000a000, 5, 0, 0x7ffc0000b000, 16};
  const std::vector<XBytes> in = {{0x7ffc0000a000, hello}, {0x7ffc0000b000, sin}};
  absl::StatusOr<std::string> f = XSyscallRequest(2, 133, slots, in, {});
  ASSERT_TRUE(f.ok()) << f.status();
  // 24 header + 8 counts + 48 slots + 32 descriptors + 5 + 16 data = 133.
  const std::string want = Hex(kSendtoHex);
  ASSERT_EQ(want.size(), 133u);
  EXPECT_EQ(absl::BytesToHexString(*f), absl::BytesToHexString(want));

  absl::StatusOr<XSyscallCall> c = DecodeXSyscallRequest(View(*f));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sysnum, 133u);
  EXPECT_EQ(c->nslots, 6u);
  EXPECT_EQ(c->slots[4], 0x7ffc0000b000u);
  EXPECT_EQ(c->slots[6], 0u);
  ASSERT_EQ(c->inputs.size(), 2u);
  EXPECT_EQ(c->inputs[0].addr, 0x7ffc0000a000u);
  EXPECT_EQ(c->inputs[0].data, "hello");
  EXPECT_EQ(c->inputs[1].data, sin);
  EXPECT_TRUE(c->outputs.empty());
}

TEST(XSyscallTest, ResponseByteByByteAndRoundTrip) {
  // An ioctl answer: error 0, rv 0, one 4-byte segment at 0x1000.
  const std::string seg("\x2a\x00\x00\x00", 4);
  const std::vector<XBytes> segs = {{0x1000, absl::string_view(seg.data(), 4)}};
  const std::string f = XSyscallResponse(9, 0, 5, -1, segs);
  EXPECT_EQ(absl::BytesToHexString(f),
            absl::BytesToHexString(Hex("44 00 00 00 00 00 00 00  09 00 00 00 00 00 00 00"
                                       "01 00 00 01 00 00 00 00"
                                       "00 00 00 00 01 00 00 00"
                                       "05 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff"
                                       "00 10 00 00 00 00 00 00  04 00 00 00 00 00 00 00"
                                       "2a 00 00 00")));
  absl::StatusOr<XSyscallResult> r = DecodeXSyscallResponse(View(f));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 5);
  EXPECT_EQ(r->rv1, -1);
  ASSERT_EQ(r->segments.size(), 1u);
  EXPECT_EQ(r->segments[0].addr, 0x1000u);
  EXPECT_EQ(r->segments[0].data, seg);
}

TEST(XSyscallTest, InputsMayOverlapOutputsButNotEachOther) {
  const std::string four = "abcd";
  // fromlen: both an input and an output.
  EXPECT_TRUE(XSyscallRequest(0, 29, {}, {{0x2000, four}}, {{0x2000, 4}, {0x3000, 16}}).ok());
  EXPECT_FALSE(XSyscallRequest(0, 29, {}, {{0x2000, four}, {0x2002, four}}, {}).ok());
  EXPECT_FALSE(XSyscallRequest(0, 29, {}, {}, {{0x2000, 4}, {0x2003, 4}}).ok());
  // Adjacent is fine.
  EXPECT_TRUE(XSyscallRequest(0, 29, {}, {{0x2000, four}, {0x2004, four}}, {}).ok());
}

TEST(XSyscallTest, EncoderRefusesWhatTheDecoderWould) {
  const std::string four = "abcd";
  EXPECT_FALSE(XSyscallRequest(0, 1, std::vector<uint64_t>(9, 0), {}, {}).ok());
  EXPECT_FALSE(XSyscallRequest(0, 1, {}, {{0, four}}, {}).ok());           // NULL
  EXPECT_FALSE(XSyscallRequest(0, 1, {}, {{0x1000, ""}}, {}).ok());        // empty
  EXPECT_FALSE(XSyscallRequest(0, 1, {}, {}, {{kUserAddressLimit - 2, 4}}).ok());
  std::vector<XRange> many(kXMaxBuffers + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i] = XRange{0x1000 + 16 * i, 16};
  EXPECT_FALSE(XSyscallRequest(0, 1, {}, {}, many).ok());
  many.pop_back();
  EXPECT_TRUE(XSyscallRequest(0, 1, {}, {}, many).ok());
  // Output total over the limit.
  EXPECT_FALSE(
      XSyscallRequest(0, 1, {}, {}, {{0x1000, kMaxCopyChunk}, {0x1000 + kMaxCopyChunk, 1}}).ok());
}

TEST(XSyscallTest, HostileRequestsAreRejected) {
  auto bad = [](const std::string& payload, const std::string& needle) {
    absl::StatusOr<XSyscallCall> c = DecodeXSyscallRequest(View(Req(payload)));
    ASSERT_FALSE(c.ok()) << "accepted: " << absl::BytesToHexString(payload);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status();
  };
  bad("", "shorter than 8");
  bad("abcdefg", "shorter than 8");
  bad(Payload(9, 0, 0, 0, std::vector<uint64_t>(9, 0)), "9 slots");
  bad(Payload(0, 17, 0, 0, {}), "17 input");
  bad(Payload(0, 0, 0xffff, 0, {}), "65535 output");
  bad(Payload(0, 0, 0, 1, {}), "flags");
  bad(Payload(2, 0, 0, 0, {1}), "shorter than its descriptors");
  // Lengths that disagree with the data.
  bad(Payload(0, 1, 0, 0, {0x1000, 4}, "abc"), "input bytes are 3, descriptors say 4");
  bad(Payload(0, 1, 0, 0, {0x1000, 4}, "abcde"), "input bytes are 5");
  // Huge, empty, NULL, wrapping, outside user space.
  bad(Payload(0, 1, 0, 0, {0x1000, ~uint64_t{0}}, "x"), "too long");
  bad(Payload(0, 1, 0, 0, {0x1000, kMaxCopyChunk + 1}), "too long");
  bad(Payload(0, 0, 1, 0, {0x1000, 0}), "empty");
  bad(Payload(0, 0, 1, 0, {0, 4}), "outside user space");
  bad(Payload(0, 0, 1, 0, {~uint64_t{0} - 2, 4}), "outside user space");
  bad(Payload(0, 0, 1, 0, {kUserAddressLimit, 4}), "outside user space");
  // Overlaps.
  bad(Payload(0, 2, 0, 0, {0x1000, 4, 0x1003, 4}, "abcdefgh"), "overlap");
  bad(Payload(0, 0, 2, 0, {0x1000, 8, 0x1000, 8}), "overlap");
  // Output total.
  std::vector<uint64_t> big;
  for (int i = 0; i < 2; ++i) {
    big.push_back(0x1000 + uint64_t(i) * kMaxCopyChunk);
    big.push_back(kMaxCopyChunk);
  }
  bad(Payload(0, 0, 2, 0, big), "output buffers add up to");
  // Wrong class or type.
  EXPECT_FALSE(DecodeXSyscallRequest(View(EncodeFrame(0, kClassResponse, kTypeXSyscall, 0,
                                                      {Payload(0, 0, 0, 0, {})})))
                   .ok());
  EXPECT_FALSE(DecodeXSyscallRequest(
                   View(EncodeFrame(0, kClassRequest, kTypeSyscall, 0, {Payload(0, 0, 0, 0, {})})))
                   .ok());
  // The minimal request is fine.
  EXPECT_TRUE(DecodeXSyscallRequest(View(Req(Payload(0, 0, 0, 0, {})))).ok());
}

TEST(XSyscallTest, HostileResponsesAreRejected) {
  auto resp = [](uint32_t nseg, std::vector<uint64_t> words, std::string data = "") {
    std::string p = Le(int32_t{0}) + Le(nseg) + Le(int64_t{1}) + Le(int64_t{2});
    for (uint64_t w : words) p += Le(w);
    return EncodeFrame(3, kClassResponse, kTypeXSyscall, 0, {p + data});
  };
  EXPECT_TRUE(DecodeXSyscallResponse(View(resp(0, {}))).ok());
  EXPECT_TRUE(DecodeXSyscallResponse(View(resp(1, {0x1000, 2}, "ab"))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(1, {0x1000, 2}, "abc"))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(1, {0x1000, 2}, "a"))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(2, {0x1000, 2}, "ab"))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(65, {}))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(1, {0, 2}, "ab"))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(1, {0x1000, 0}))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(resp(1, {0x1000, ~uint64_t{0}}))).ok());
  EXPECT_FALSE(DecodeXSyscallResponse(
                   View(EncodeFrame(3, kClassResponse, kTypeXSyscall, 0, {"short"})))
                   .ok());
  EXPECT_FALSE(DecodeXSyscallResponse(View(SyscallResponse(3, 0, 0, 0))).ok());
}

TEST(XSyscallTest, Containment) {
  const std::vector<XRange> outs = {{0x1000, 16}, {0x2000, 4}};
  EXPECT_TRUE(XContained({0x1000, 16}, outs));
  EXPECT_TRUE(XContained({0x1004, 4}, outs));
  EXPECT_TRUE(XContained({0x2000, 4}, outs));
  EXPECT_FALSE(XContained({0x100c, 8}, outs));
  EXPECT_FALSE(XContained({0x1ffe, 4}, outs));
  EXPECT_FALSE(XContained({0x3000, 1}, outs));
  EXPECT_FALSE(XContained({~uint64_t{0} - 1, 4}, outs));
}

}  // namespace
}  // namespace sp::wire
