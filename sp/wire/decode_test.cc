// Malformed payloads: every decoder rejects wrong classes, types, sizes,
// counts and addresses with an error, and accepts the edge cases it should.
#include "sp/wire/decode.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "sp/wire/encode.h"
#include "sp/wire/protocol.h"

namespace sp::wire {
namespace {

// A frame with the given header fields and payload (len computed).
struct Built {
  Built(uint16_t cls, uint16_t type, uint32_t u, std::string payload, uint64_t reqno = 1)
      : bytes(EncodeFrame(reqno, cls, type, u, {payload})) {}
  FrameView view() const {
    auto v = ParseFrame(bytes);
    EXPECT_TRUE(v.ok()) << v.status();
    return *v;
  }
  std::string bytes;
};

std::string U64s(std::vector<uint64_t> v) {
  std::string out;
  for (uint64_t x : v) out.append(reinterpret_cast<const char*>(&x), 8);
  return out;
}

void ExpectInvalid(const absl::Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(needle), std::string::npos)
      << "message \"" << s.message() << "\" lacks \"" << needle << "\"";
}

TEST(DecodeSyscallTest, PayloadMustBeWholeSlots) {
  for (size_t n : {1, 7, 9, 12, 63}) {
    ExpectInvalid(
        DecodeSyscallRequest(Built(kClassRequest, kTypeSyscall, 3, std::string(n, 'a')).view())
            .status(),
        "not a whole number of 8-byte slots");
  }
}

TEST(DecodeSyscallTest, AtMostEightSlots) {
  ExpectInvalid(
      DecodeSyscallRequest(Built(kClassRequest, kTypeSyscall, 3, std::string(72, 'a')).view())
          .status(),
      "9 argument slots, more than 8");
  std::vector<uint64_t> nine(9, 1);
  auto enc = SyscallRequest(0, 3, nine);
  ExpectInvalid(enc.status(), "more than 8");
  EXPECT_TRUE(SyscallRequest(0, 3, std::vector<uint64_t>(8, 1)).ok());
}

TEST(DecodeSyscallTest, ShortCallsAreZeroExtended) {
  auto a =
      DecodeSyscallRequest(Built(kClassRequest, kTypeSyscall, 3, U64s({0xffffffff, 7})).view());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->nslots, 2u);
  EXPECT_EQ(a->slots[0], 0xffffffffu);
  EXPECT_EQ(a->slots[1], 7u);
  for (size_t i = 2; i < kMaxSyscallSlots; ++i) EXPECT_EQ(a->slots[i], 0u);
}

TEST(DecodeSyscallTest, WrongClassOrType) {
  EXPECT_FALSE(DecodeSyscallRequest(Built(kClassResponse, kTypeSyscall, 3, "").view()).ok());
  EXPECT_FALSE(DecodeSyscallRequest(Built(kClassRequest, kTypeCopyin, 3, "").view()).ok());
  EXPECT_FALSE(DecodeSyscallRequest(Built(kClassRequest, kTypeXSyscall, 3, "").view()).ok());
}

TEST(DecodeSyscallTest, ResponseIsExactly24Bytes) {
  for (size_t n : {0, 4, 23, 25, 48}) {
    ExpectInvalid(
        DecodeSyscallResponse(Built(kClassResponse, kTypeSyscall, 0, std::string(n, 0)).view())
            .status(),
        "expected 24");
  }
  EXPECT_FALSE(
      DecodeSyscallResponse(Built(kClassRequest, kTypeSyscall, 0, std::string(24, 0)).view()).ok());
  EXPECT_FALSE(
      DecodeSyscallResponse(Built(kClassError, kTypeSyscall, 0, std::string(24, 0)).view()).ok());
}

TEST(DecodeHandshakeTest, NameIsBoundedAndMayBeUnterminated) {
  // The names are views into the frames, which must outlive them.
  const Built ping(kClassRequest, kTypeHandshake, kHandshakeGuest, "ping");
  auto n = DecodeHandshakeName(ping.view());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, "ping");
  const Built empty(kClassRequest, kTypeHandshake, kHandshakeGuest, "");
  n = DecodeHandshakeName(empty.view());
  ASSERT_TRUE(n.ok()) << n.status();  // NetBSD's server crashes here; we don't
  EXPECT_EQ(*n, "");
  const Built sh(kClassRequest, kTypeHandshake, kHandshakeExec, std::string("sh\0junk", 7));
  n = DecodeHandshakeName(sh.view());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, "sh");
  EXPECT_TRUE(DecodeHandshakeName(Built(kClassRequest, kTypeHandshake, kHandshakeGuest,
                                        std::string(kMaxHandshakeNamePayload, 'n'))
                                      .view())
                  .ok());
  ExpectInvalid(DecodeHandshakeName(Built(kClassRequest, kTypeHandshake, kHandshakeGuest,
                                          std::string(kMaxHandshakeNamePayload + 1, 'n'))
                                        .view())
                    .status(),
                "longer than 1024");
  for (uint32_t kind : {kHandshakeAuth, kHandshakeFork, 4u, 0xffffffffu}) {
    ExpectInvalid(
        DecodeHandshakeName(Built(kClassRequest, kTypeHandshake, kind, "x").view()).status(),
        "does not carry a program name");
  }
  EXPECT_FALSE(DecodeHandshakeName(Built(kClassResponse, kTypeHandshake, 0, "x").view()).ok());
}

TEST(DecodeHandshakeTest, ForkPayloadIsExactly20Bytes) {
  for (size_t n : {0, 16, 19, 21, 24}) {
    ExpectInvalid(
        DecodeHandshakeFork(
            Built(kClassRequest, kTypeHandshake, kHandshakeFork, std::string(n, 1)).view())
            .status(),
        "expected 20");
  }
  EXPECT_FALSE(DecodeHandshakeFork(
                   Built(kClassRequest, kTypeHandshake, kHandshakeGuest, std::string(20, 1)).view())
                   .ok());
  auto f = DecodeHandshakeFork(Built(kClassRequest, kTypeHandshake, kHandshakeFork,
                                     std::string(16, 7) + std::string("\x01\0\0\0", 4))
                                   .view());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->cancel, 1);
  EXPECT_EQ(f->cookie[15], 7);
}

TEST(DecodeHandshakeTest, ResponseIsExactly4Bytes) {
  for (size_t n : {0, 3, 5, 8}) {
    EXPECT_FALSE(
        DecodeHandshakeResponse(Built(kClassResponse, kTypeHandshake, 0, std::string(n, 0)).view())
            .ok());
  }
  EXPECT_FALSE(
      DecodeHandshakeResponse(Built(kClassError, kTypeHandshake, 0, std::string(4, 0)).view())
          .ok());
}

TEST(DecodeCopyTest, RequestSizeLengthAndAddress) {
  for (size_t n : {0, 8, 15, 17, 32}) {
    ExpectInvalid(
        DecodeCopyRequest(Built(kClassRequest, kTypeCopyin, 0, std::string(n, 1)).view()).status(),
        "expected 16");
  }
  ExpectInvalid(
      DecodeCopyRequest(Built(kClassRequest, kTypeCopyin, 0, U64s({16, 0})).view()).status(),
      "null address");
  EXPECT_TRUE(DecodeCopyRequest(Built(kClassRequest, kTypeCopyin, 0, U64s({0, 0})).view()).ok());
  ExpectInvalid(DecodeCopyRequest(
                    Built(kClassRequest, kTypeCopyinstr, 0, U64s({16, ~uint64_t{0} - 4})).view())
                    .status(),
                "outside user space");
  ExpectInvalid(DecodeCopyRequest(
                    Built(kClassRequest, kTypeCopyin, 0, U64s({2, kUserAddressLimit - 1})).view())
                    .status(),
                "outside user space");
  EXPECT_TRUE(DecodeCopyRequest(
                  Built(kClassRequest, kTypeCopyin, 0, U64s({1, kUserAddressLimit - 1})).view())
                  .ok());
  ExpectInvalid(DecodeCopyRequest(
                    Built(kClassRequest, kTypeCopyin, 0, U64s({kMaxCopyChunk + 1, 0x1000})).view())
                    .status(),
                "more than the limit");
  // A caller talking to a NetBSD server may allow more.
  EXPECT_TRUE(DecodeCopyRequest(
                  Built(kClassRequest, kTypeCopyin, 0, U64s({kMaxCopyChunk + 1, 0x1000})).view(),
                  kMaxCopyChunk * 4)
                  .ok());
  EXPECT_FALSE(
      DecodeCopyRequest(Built(kClassRequest, kTypeCopyout, 0, U64s({1, 0x1000})).view()).ok());
  EXPECT_FALSE(
      DecodeCopyRequest(Built(kClassResponse, kTypeCopyin, 0, U64s({1, 0x1000})).view()).ok());
}

TEST(DecodeCopyTest, CopyinAnswerMustHaveTheRequestedLength) {
  Built answer(kClassResponse, kTypeCopyin, 0, "hell");
  ExpectInvalid(DecodeCopyinResponse(answer.view(), 5).status(), "4 bytes, but 5");
  ExpectInvalid(DecodeCopyinResponse(answer.view(), 3).status(), "4 bytes, but 3");
  EXPECT_TRUE(DecodeCopyinResponse(answer.view(), 4).ok());
  // Any response type is accepted (NetBSD matches by reqno only)...
  EXPECT_TRUE(DecodeCopyinResponse(Built(kClassResponse, kTypeAnonmmap, 0, "hell").view(), 4).ok());
  // ...but not a request.
  EXPECT_FALSE(DecodeCopyinResponse(Built(kClassRequest, kTypeCopyin, 0, "hell").view(), 4).ok());
}

TEST(DecodeCopyTest, CopyinstrAnswerAtMostMaxlen) {
  Built answer(kClassResponse, kTypeCopyin, 0, std::string("abc\0", 4));
  EXPECT_TRUE(DecodeCopyinstrResponse(answer.view(), 4).ok());
  EXPECT_TRUE(DecodeCopyinstrResponse(answer.view(), 100).ok());
  ExpectInvalid(DecodeCopyinstrResponse(answer.view(), 3).status(), "more than the maximum 3");
}

TEST(DecodeCopyTest, CopyoutLengthMustMatchTheData) {
  ExpectInvalid(
      DecodeCopyout(Built(kClassRequest, kTypeCopyout, 0, U64s({5, 0x1000}) + "abcd").view())
          .status(),
      "says 5 bytes but 4 follow");
  ExpectInvalid(
      DecodeCopyout(Built(kClassRequest, kTypeCopyout, 0, U64s({3, 0x1000}) + "abcd").view())
          .status(),
      "says 3 bytes but 4 follow");
  ExpectInvalid(
      DecodeCopyout(Built(kClassRequest, kTypeCopyout, 0, U64s({~uint64_t{0}, 0x1000})).view())
          .status(),
      "follow");
  for (size_t n : {0, 8, 15}) {
    ExpectInvalid(
        DecodeCopyout(Built(kClassRequest, kTypeCopyout, 0, std::string(n, 0)).view()).status(),
        "shorter than the 16-byte copy header");
  }
  ExpectInvalid(
      DecodeCopyout(Built(kClassRequest, kTypeCopyout, 0, U64s({4, 0}) + "abcd").view()).status(),
      "null address");
  ExpectInvalid(
      DecodeCopyout(
          Built(kClassRequest, kTypeCopyoutstr, 0, U64s({4, kUserAddressLimit}) + "abcd").view())
          .status(),
      "outside user space");
  EXPECT_FALSE(
      DecodeCopyout(Built(kClassRequest, kTypeCopyin, 0, U64s({4, 0x1000}) + "abcd").view()).ok());
  EXPECT_FALSE(
      DecodeCopyout(Built(kClassResponse, kTypeCopyout, 0, U64s({4, 0x1000}) + "abcd").view())
          .ok());
}

TEST(DecodeMiscTest, Anonmmap) {
  EXPECT_FALSE(
      DecodeAnonmmapRequest(Built(kClassRequest, kTypeAnonmmap, 0, U64s({0})).view()).ok());
  EXPECT_FALSE(
      DecodeAnonmmapRequest(Built(kClassRequest, kTypeAnonmmap, 0, std::string(7, 1)).view()).ok());
  EXPECT_FALSE(
      DecodeAnonmmapRequest(Built(kClassRequest, kTypeAnonmmap, 0, U64s({1, 2})).view()).ok());
  EXPECT_FALSE(
      DecodeAnonmmapResponse(Built(kClassResponse, kTypeAnonmmap, 0, std::string(9, 0)).view())
          .ok());
  EXPECT_FALSE(
      DecodeAnonmmapResponse(Built(kClassResponse, kTypeAnonmmap, 0, U64s({~uint64_t{0}})).view())
          .ok());
}

TEST(DecodeMiscTest, Prefork) {
  EXPECT_TRUE(DecodePreforkRequest(Built(kClassRequest, kTypePrefork, 0, "").view()).ok());
  ExpectInvalid(DecodePreforkRequest(Built(kClassRequest, kTypePrefork, 0, "x").view()),
                "expected 0");
  EXPECT_FALSE(DecodePreforkRequest(Built(kClassResponse, kTypePrefork, 0, "").view()).ok());
  for (size_t n : {0, 15, 17}) {
    EXPECT_FALSE(
        DecodePreforkResponse(Built(kClassResponse, kTypePrefork, 0, std::string(n, 0)).view())
            .ok());
  }
}

TEST(DecodeMiscTest, RaiseAndError) {
  EXPECT_FALSE(DecodeRaise(Built(kClassRequest, kTypeRaise, 13, "x").view()).ok());
  EXPECT_FALSE(DecodeRaise(Built(kClassResponse, kTypeRaise, 13, "").view()).ok());
  EXPECT_FALSE(DecodeError(Built(kClassError, 0, 7, "x").view()).ok());
  EXPECT_FALSE(DecodeError(Built(kClassResponse, 0, 7, "").view()).ok());
  auto unknown = DecodeError(Built(kClassError, 0, 99, "").view());
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, 99u);
}

TEST(DecodeMiscTest, MessagesNameTheFrame) {
  absl::Status s =
      DecodeSyscallRequest(Built(kClassRequest, kTypeSyscall, 394, "abc", 42).view()).status();
  EXPECT_NE(s.message().find("REQ SYSCALL frame"), std::string::npos) << s;
  EXPECT_NE(s.message().find("reqno 42"), std::string::npos) << s;
  EXPECT_NE(s.message().find("syscall 394"), std::string::npos) << s;
}

}  // namespace
}  // namespace sp::wire
