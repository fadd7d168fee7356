// The codec byte for byte against NetBSD's reference frames (spec_examples.h;
// layouts in docs/sp-protocol.md), and round trips of every frame kind.
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sp/wire/decode.h"
#include "sp/wire/encode.h"
#include "sp/wire/frame_reader.h"
#include "sp/wire/protocol.h"
#include "sp/wire/spec_examples.h"

namespace sp::wire {
namespace {

using testing::SpecFrame;

// Our encoder writes rsp_sysresp's padding (bytes 28..31) as zeros where the
// spec shows NetBSD's garbage as "aa".
std::string WithZeroPadding(std::string frame) {
  EXPECT_EQ(frame.substr(28, 4), "\xaa\xaa\xaa\xaa");
  frame.replace(28, 4, std::string(4, '\0'));
  return frame;
}

// The one frame in `bytes` (which must be exactly one frame).
FrameView View(const std::string& bytes) {
  auto v = ParseFrame(bytes);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : FrameView(Header{}, "");
}

std::string Encoded(absl::StatusOr<std::string> s) {
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

const Cookie kCookie = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                        0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

TEST(ProtocolTest, NumbersAreNetbsds) {
  EXPECT_EQ(kHeaderSize, 24u);
  EXPECT_EQ(kClassRequest, 0);
  EXPECT_EQ(kClassResponse, 1);
  EXPECT_EQ(kClassError, 2);
  const uint16_t types[] = {kTypeHandshake, kTypeSyscall, kTypeCopyin,
                            kTypeCopyinstr, kTypeCopyout, kTypeCopyoutstr,
                            kTypeAnonmmap,  kTypePrefork, kTypeRaise};
  for (uint16_t i = 0; i < 9; ++i) EXPECT_EQ(types[i], i);
  EXPECT_EQ(kHandshakeGuest, 0u);
  EXPECT_EQ(kHandshakeAuth, 1u);
  EXPECT_EQ(kHandshakeFork, 2u);
  EXPECT_EQ(kHandshakeExec, 3u);
  EXPECT_EQ(kErrMalformedRequest, 7u);
  EXPECT_EQ(kMaxSyscallSlots, 8u);
  EXPECT_EQ(kMaxBannerLen, 95u);
  EXPECT_EQ(kHandshakeForkSize, 20u);
  EXPECT_EQ(kDefaultMaxFrameLen, (16u << 20) + 40);
  // Extension types are far from NetBSD's.
  EXPECT_EQ(kTypeXSyscall, 0x100);
  EXPECT_STREQ(TypeName(kTypeXSyscall), "X_SYSCALL");
  EXPECT_STREQ(TypeName(9), "?");
}

TEST(ProtocolTest, ErrorCodesMapToNetbsdClientErrnos) {
  EXPECT_EQ(ErrorCodeToHostErrno(kErrNone), 0);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrTryAgain), EAGAIN);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrAuth), EPERM);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrInvalidPrefork), ESRCH);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrRforkFailed), EIO);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrInExec), EBUSY);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrNoMem), ENOMEM);
  EXPECT_EQ(ErrorCodeToHostErrno(kErrMalformedRequest), EINVAL);
  EXPECT_EQ(ErrorCodeToHostErrno(8), EPROTO);
  EXPECT_EQ(ErrorCodeToHostErrno(0xffffffff), EPROTO);
  EXPECT_STREQ(ErrorCodeName(kErrMalformedRequest), "MALFORMED_REQUEST");
}

TEST(ProtocolTest, HeaderBytes) {
  uint8_t raw[kHeaderSize];
  Header h{0x0102030405060708, 0x1112131415161718, 0x2122, 0x3132, 0x41424344};
  EncodeHeader(h, raw);
  const uint8_t want[kHeaderSize] = {8,    7,    6,    5,    4,    3,    2,    1,
                                     0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
                                     0x22, 0x21, 0x32, 0x31, 0x44, 0x43, 0x42, 0x41};
  EXPECT_EQ(0, std::memcmp(raw, want, kHeaderSize));
  EXPECT_EQ(DecodeHeader(raw), h);
}

// Reference frames: handshake.
TEST(SpecExamplesTest, GuestHandshake) {
  EXPECT_EQ(HandshakeGuestRequest(0, "ping"), SpecFrame("handshake.guest"));
  FrameView f = View(SpecFrame("handshake.guest"));
  EXPECT_EQ(f.header, (Header{29, 0, kClassRequest, kTypeHandshake, kHandshakeGuest}));
  auto name = DecodeHandshakeName(f);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "ping");
}

TEST(SpecExamplesTest, HandshakeResponse) {
  EXPECT_EQ(HandshakeResponse(0), SpecFrame("handshake.response"));
  auto v = DecodeHandshakeResponse(View(SpecFrame("handshake.response")));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 0);
}

// getpid.
TEST(SpecExamplesTest, Getpid) {
  EXPECT_EQ(Encoded(SyscallRequest(1, 20, {})), SpecFrame("getpid.request"));
  auto args = DecodeSyscallRequest(View(SpecFrame("getpid.request")));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->sysnum, 20u);
  EXPECT_EQ(args->nslots, 0u);

  EXPECT_EQ(SyscallResponse(1, 0, 2, 1), WithZeroPadding(SpecFrame("getpid.response")));
  // NetBSD's garbage padding decodes the same.
  auto r = DecodeSyscallResponse(View(SpecFrame("getpid.response")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, 0);
  EXPECT_EQ(r->rv0, 2);
  EXPECT_EQ(r->rv1, 1);
}

// sendto with two COPYINs.
TEST(SpecExamplesTest, Sendto) {
  const uint64_t buf = 0x7ffc0000a000, to = 0x7ffc0000b000;
  EXPECT_EQ(Encoded(SyscallRequest(2, 133, {3, buf, 5, 0, to, 16})), SpecFrame("sendto.request"));
  auto args = DecodeSyscallRequest(View(SpecFrame("sendto.request")));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->sysnum, 133u);
  ASSERT_EQ(args->nslots, 6u);
  EXPECT_EQ(args->slots[1], buf);
  EXPECT_EQ(args->slots[4], to);
  EXPECT_EQ(args->slots[5], 16u);
  EXPECT_EQ(args->slots[6], 0u);

  EXPECT_EQ(CopyinRequest(0, 16, to), SpecFrame("sendto.copyin1"));
  auto c1 = DecodeCopyRequest(View(SpecFrame("sendto.copyin1")));
  ASSERT_TRUE(c1.ok()) << c1.status();
  EXPECT_EQ(c1->type, kTypeCopyin);
  EXPECT_EQ(c1->len, 16u);
  EXPECT_EQ(c1->addr, to);

  const std::string sin("\x10\x02\x00\x07\x0a\x00\x00\x02\0\0\0\0\0\0\0\0", 16);
  EXPECT_EQ(CopyinResponse(0, sin), SpecFrame("sendto.copyin1.response"));
  auto d1 = DecodeCopyinResponse(View(SpecFrame("sendto.copyin1.response")), 16);
  ASSERT_TRUE(d1.ok()) << d1.status();
  EXPECT_EQ(*d1, sin);

  EXPECT_EQ(CopyinRequest(1, 5, buf), SpecFrame("sendto.copyin2"));
  EXPECT_EQ(CopyinResponse(1, "hello"), SpecFrame("sendto.copyin2.response"));
  auto d2 = DecodeCopyinResponse(View(SpecFrame("sendto.copyin2.response")), 5);
  ASSERT_TRUE(d2.ok()) << d2.status();
  EXPECT_EQ(*d2, "hello");

  EXPECT_EQ(SyscallResponse(2, 0, 5, 0), WithZeroPadding(SpecFrame("sendto.response")));
  auto r = DecodeSyscallResponse(View(SpecFrame("sendto.response")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rv0, 5);
}

// An error return.
TEST(SpecExamplesTest, SocketErrorResponse) {
  EXPECT_EQ(Encoded(SyscallRequest(3, 394, {99, 2, 0})), SpecFrame("socket.request"));
  EXPECT_EQ(SyscallResponse(3, 47, 0, 0), WithZeroPadding(SpecFrame("socket.response")));
  auto r = DecodeSyscallResponse(View(SpecFrame("socket.response")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error, 47);
}

// COPYOUT, PREFORK, FORK, ERROR, RAISE.
TEST(SpecExamplesTest, Copyout) {
  const std::string value("\x2a\0\0\0", 4);
  EXPECT_EQ(CopyoutRequest(2, 0x7ffc0000c000, value), SpecFrame("copyout"));
  auto o = DecodeCopyout(View(SpecFrame("copyout")));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->type, kTypeCopyout);
  EXPECT_EQ(o->addr, 0x7ffc0000c000u);
  EXPECT_EQ(o->data, value);
}

TEST(SpecExamplesTest, PreforkAndAnswer) {
  EXPECT_EQ(PreforkRequest(4), SpecFrame("prefork.request"));
  EXPECT_TRUE(DecodePreforkRequest(View(SpecFrame("prefork.request"))).ok());
  EXPECT_EQ(PreforkResponse(4, kCookie), SpecFrame("prefork.response"));
  auto c = DecodePreforkResponse(View(SpecFrame("prefork.response")));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, kCookie);
}

TEST(SpecExamplesTest, ForkHandshake) {
  EXPECT_EQ(HandshakeForkRequest(0, kCookie), SpecFrame("handshake.fork"));
  auto f = DecodeHandshakeFork(View(SpecFrame("handshake.fork")));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->cookie, kCookie);
  EXPECT_EQ(f->cancel, 0);
}

TEST(SpecExamplesTest, ErrorFrame) {
  EXPECT_EQ(ErrorFrame(7, kErrMalformedRequest), SpecFrame("error.malformed"));
  auto code = DecodeError(View(SpecFrame("error.malformed")));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, kErrMalformedRequest);
}

TEST(SpecExamplesTest, Raise) {
  EXPECT_EQ(RaiseRequest(0xdeadbeef, 13), SpecFrame("raise.sigpipe"));
  auto sig = DecodeRaise(View(SpecFrame("raise.sigpipe")));
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, 13u);
}

// Round trips with values other than the examples'.
TEST(RoundTripTest, EveryFrameKind) {
  const uint64_t big = 0xfedcba9876543210;
  {
    const std::string bytes = HandshakeExecRequest(big, "a-much-longer-program-name");
    FrameView f = View(bytes);
    EXPECT_EQ(f.header.u, kHandshakeExec);
    EXPECT_EQ(f.header.reqno, big);
    EXPECT_EQ(*DecodeHandshakeName(f), "a-much-longer-program-name");
  }
  {
    std::string bytes = HandshakeForkRequest(9, kCookie, -1);
    EXPECT_EQ(bytes.size(), 44u);
    auto f = DecodeHandshakeFork(View(bytes));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->cancel, -1);
  }
  EXPECT_EQ(*DecodeHandshakeResponse(View(HandshakeResponse(5, -3))), -3);
  {
    std::vector<uint64_t> slots = {~0ull, 0xffffffff, 1, 2, 3, 4, 5, 0x8000000000000000};
    std::string bytes = Encoded(SyscallRequest(big, 511, slots));
    EXPECT_EQ(bytes.size(), 24u + 64);
    auto a = DecodeSyscallRequest(View(bytes));
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ(a->sysnum, 511u);
    EXPECT_EQ(a->nslots, 8u);
    EXPECT_EQ(std::vector<uint64_t>(a->slots.begin(), a->slots.end()), slots);
  }
  {
    auto r = DecodeSyscallResponse(View(SyscallResponse(1, -1, INT64_MIN, INT64_MAX)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->error, -1);
    EXPECT_EQ(r->rv0, INT64_MIN);
    EXPECT_EQ(r->rv1, INT64_MAX);
  }
  {
    auto c = DecodeCopyRequest(View(CopyinstrRequest(3, 1024, 0x1000)));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->type, kTypeCopyinstr);
    EXPECT_EQ(c->len, 1024u);
    // COPYINSTR is answered with type COPYIN, with the string and its NUL.
    std::string answer = CopyinResponse(3, std::string("eth0\0", 5));
    EXPECT_EQ(View(answer).header.type, kTypeCopyin);
    auto s = DecodeCopyinstrResponse(View(answer), 1024);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, std::string("eth0\0", 5));
  }
  {
    std::string data(100000, 'z');
    const std::string bytes = CopyoutstrRequest(4, 0x2000, data);
    auto o = DecodeCopyout(View(bytes));
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->type, kTypeCopyoutstr);
    EXPECT_EQ(o->data, data);
    const std::string empty_bytes = CopyoutRequest(4, 0, "");
    auto empty = DecodeCopyout(View(empty_bytes));
    ASSERT_TRUE(empty.ok()) << empty.status();  // zero length: no address needed
    EXPECT_TRUE(empty->data.empty());
  }
  {
    std::string req = AnonmmapRequest(6, 1 << 20);
    EXPECT_EQ(req.size(), 32u);
    EXPECT_EQ(*DecodeAnonmmapRequest(View(req)), 1u << 20);
    std::string resp = AnonmmapResponse(6, 0x7f0000000000);
    EXPECT_EQ(View(resp).header.cls, kClassResponse);
    EXPECT_EQ(View(resp).header.type, kTypeAnonmmap);
    EXPECT_EQ(*DecodeAnonmmapResponse(View(resp)), 0x7f0000000000u);
    EXPECT_EQ(*DecodeAnonmmapResponse(View(AnonmmapResponse(6, 0))), 0u);  // failed
  }
  for (uint32_t code = 0; code <= kErrLast; ++code) {
    EXPECT_EQ(*DecodeError(View(ErrorFrame(big, code))), code);
  }
  EXPECT_EQ(*DecodeRaise(View(RaiseRequest(0, 32))), 32u);
  {
    // Extension frames are ordinary frames to the reader.
    std::string x = EncodeFrame(8, kClassRequest, kTypeXSyscall, 133, {"ab", "", "cde"});
    FrameView f = View(x);
    EXPECT_EQ(f.header, (Header{29, 8, kClassRequest, kTypeXSyscall, 133}));
    EXPECT_EQ(f.payload, "abcde");
    EXPECT_FALSE(DecodeSyscallRequest(f).ok());
  }
}

}  // namespace
}  // namespace sp::wire
