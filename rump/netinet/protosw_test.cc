// The IPv4 protocol table (protosw.h): registration rules, NetBSD's socket
// lookup (pffindproto / pffindtype and socreate's errors), dispatch of
// input and control input by protocol number, and the timeouts.
#include "rump/netinet/protosw.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/ip_header.h"

namespace rump {
namespace {

using inet::ControlInput;
using inet::IpHeader;
using inet::ProtocolTable;
using inet::ProtoSwitch;

constexpr int kDgram = abi::kSOCK_DGRAM;
constexpr int kRaw = abi::kSOCK_RAW;
constexpr int kStream = abi::kSOCK_STREAM;

// An entry that makes no socket of its own (FindForSocket is what these
// tests look at) and takes every packet.
ProtoSwitch Entry(int type, int protocol, const std::string& name, bool input = true) {
  ProtoSwitch e;
  e.type = type;
  e.protocol = protocol;
  e.name = name;
  if (input) e.input = [](Interface&, absl::Span<const uint8_t>, const IpHeader&, bool) {
    return true;
  };
  e.make_socket = [](NetStack&, int, int, int) -> absl::StatusOr<std::shared_ptr<Socket>> {
    return absl::UnimplementedError("not in this test");
  };
  return e;
}

// NetBSD's inetsw as far as we have it: ICMP, UDP, TCP (no input yet), the
// raw wildcard.
void RegisterInetsw(ProtocolTable& t) {
  ASSERT_TRUE(t.Register(Entry(kRaw, abi::kIPPROTO_ICMP, "icmp")).ok());
  ASSERT_TRUE(t.Register(Entry(kDgram, abi::kIPPROTO_UDP, "udp")).ok());
  ASSERT_TRUE(t.Register(Entry(kStream, abi::kIPPROTO_TCP, "tcp", /*input=*/false)).ok());
  ASSERT_TRUE(t.Register(Entry(kRaw, 0, "raw")).ok());
}

// The entry's name, or the NetBSD errno of the lookup.
std::string Find(const ProtocolTable& t, int type, int protocol) {
  absl::StatusOr<const ProtoSwitch*> e = t.FindForSocket(type, protocol);
  if (!e.ok()) return "errno " + std::to_string(abi::ToErrno(e.status()));
  return (*e)->name;
}

std::string Errno(int e) { return "errno " + std::to_string(e); }

TEST(ProtocolTableTest, RegistrationRules) {
  ProtocolTable t;
  RegisterInetsw(t);
  // The same pair twice; a second input for one protocol number.
  EXPECT_EQ(t.Register(Entry(kDgram, abi::kIPPROTO_UDP, "udp2")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.Register(Entry(kRaw, abi::kIPPROTO_UDP, "udp-raw")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t.Register(Entry(kRaw, 0, "raw2")).code(), absl::StatusCode::kAlreadyExists);
  // Without an input, a second entry for a number is fine.
  EXPECT_TRUE(t.Register(Entry(kRaw, abi::kIPPROTO_UDP, "udp-raw", /*input=*/false)).ok());
  // No type; protocol 0 other than the raw wildcard; out of range.
  EXPECT_EQ(t.Register(Entry(0, 99, "typeless")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Register(Entry(kDgram, 0, "dgram-wildcard")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Register(Entry(kRaw, 256, "big")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Register(Entry(kRaw, -1, "negative")).code(), absl::StatusCode::kInvalidArgument);
  // A control input needs an input.
  ProtoSwitch ctl_only = Entry(kRaw, 99, "ctl-only", /*input=*/false);
  ctl_only.ctlinput = [](const ControlInput&) {};
  EXPECT_EQ(t.Register(std::move(ctl_only)).code(), absl::StatusCode::kInvalidArgument);

  std::vector<std::string> names;
  for (const ProtoSwitch* e : t.entries()) names.push_back(e->name);
  EXPECT_EQ(names, (std::vector<std::string>{"icmp", "udp", "tcp", "raw", "udp-raw"}));
}

TEST(ProtocolTableTest, SocketLookupIsNetBsdsSocreate) {
  ProtocolTable t;
  RegisterInetsw(t);
  // pffindtype: protocol 0 takes the first entry of the type (for SOCK_RAW
  // that is ICMP's, as in NetBSD's inetsw; its sockets are raw IP's).
  EXPECT_EQ(Find(t, kDgram, 0), "udp");
  EXPECT_EQ(Find(t, kStream, 0), "tcp");
  EXPECT_EQ(Find(t, kRaw, 0), "icmp");
  // pffindproto: the exact pair, and for SOCK_RAW the wildcard.
  EXPECT_EQ(Find(t, kDgram, abi::kIPPROTO_UDP), "udp");
  EXPECT_EQ(Find(t, kStream, abi::kIPPROTO_TCP), "tcp");
  EXPECT_EQ(Find(t, kRaw, abi::kIPPROTO_ICMP), "icmp");
  EXPECT_EQ(Find(t, kRaw, abi::kIPPROTO_UDP), "raw");
  EXPECT_EQ(Find(t, kRaw, 200), "raw");
  EXPECT_EQ(Find(t, kRaw, 300), "raw");  // the factory judges the range
  // socreate's errors.
  EXPECT_EQ(Find(t, kDgram, abi::kIPPROTO_TCP), Errno(abi::kEPROTONOSUPPORT));
  EXPECT_EQ(Find(t, kStream, abi::kIPPROTO_UDP), Errno(abi::kEPROTONOSUPPORT));
  EXPECT_EQ(Find(t, kDgram, abi::kIPPROTO_ICMP), Errno(abi::kEPROTONOSUPPORT));
  EXPECT_EQ(Find(t, abi::kSOCK_SEQPACKET, 0), Errno(abi::kEPROTOTYPE));
  EXPECT_EQ(Find(t, abi::kSOCK_SEQPACKET, 5), Errno(abi::kEPROTONOSUPPORT));
  EXPECT_EQ(Find(t, 0, 0), Errno(abi::kEPROTONOSUPPORT));
  // An entry with no socket factory (no pr_usrreqs).
  ProtoSwitch bare = Entry(kRaw, 77, "bare");
  bare.make_socket = nullptr;
  ASSERT_TRUE(t.Register(std::move(bare)).ok());
  EXPECT_EQ(Find(t, kRaw, 77), Errno(abi::kEPROTONOSUPPORT));

  // Without a wildcard, SOCK_RAW is only what is registered.
  ProtocolTable no_raw;
  ASSERT_TRUE(no_raw.Register(Entry(kRaw, abi::kIPPROTO_ICMP, "icmp")).ok());
  EXPECT_EQ(Find(no_raw, kRaw, abi::kIPPROTO_ICMP), "icmp");
  EXPECT_EQ(Find(no_raw, kRaw, 0), "icmp");
  EXPECT_EQ(Find(no_raw, kRaw, 200), Errno(abi::kEPROTONOSUPPORT));
}

TEST(ProtocolTableTest, InputAndControlInputGoByProtocolNumber) {
  ProtocolTable t;
  EXPECT_EQ(t.ForInput(17), nullptr);  // an empty table
  std::vector<std::string> ctl;
  auto with_ctl = [&](ProtoSwitch e) {
    const std::string name = e.name;
    e.ctlinput = [&ctl, name](const ControlInput&) { ctl.push_back(name); };
    return e;
  };
  ASSERT_TRUE(t.Register(with_ctl(Entry(kRaw, abi::kIPPROTO_ICMP, "icmp"))).ok());
  ASSERT_TRUE(t.Register(with_ctl(Entry(kDgram, abi::kIPPROTO_UDP, "udp"))).ok());
  ASSERT_TRUE(t.Register(Entry(kStream, abi::kIPPROTO_TCP, "tcp", /*input=*/false)).ok());
  ASSERT_TRUE(t.Register(Entry(kRaw, 50, "esp")).ok());  // an input, no ctlinput
  EXPECT_EQ(t.ForInput(200), nullptr);  // no wildcard yet
  ASSERT_TRUE(t.Register(with_ctl(Entry(kRaw, 0, "raw"))).ok());
  EXPECT_EQ(t.ForInput(abi::kIPPROTO_UDP)->name, "udp");
  EXPECT_EQ(t.ForInput(abi::kIPPROTO_ICMP)->name, "icmp");
  EXPECT_EQ(t.ForInput(abi::kIPPROTO_TCP)->name, "raw");  // no input registered
  EXPECT_EQ(t.ForInput(200)->name, "raw");
  EXPECT_EQ(t.ForInput(0)->name, "raw");

  // A quoted packet: 20-byte header of protocol p, 8 bytes after it.
  auto quoted = [](uint8_t p) {
    std::vector<uint8_t> inner(28, 0);
    inner[0] = 0x45;
    inner[9] = p;
    return inner;
  };
  for (uint8_t p : {uint8_t(abi::kIPPROTO_UDP), uint8_t(abi::kIPPROTO_ICMP),
                    uint8_t(abi::kIPPROTO_TCP), uint8_t(50), uint8_t(200)}) {
    const std::vector<uint8_t> inner = quoted(p);
    ControlInput c;
    c.type = abi::kICMP_UNREACH;
    c.inner = inner;
    t.CtlInput(c);
  }
  // esp has no ctlinput: its errors reach no one (not raw IP either).
  EXPECT_EQ(ctl, (std::vector<std::string>{"udp", "icmp", "raw", "raw"}));
}

TEST(ProtocolTableTest, TimeoutsRunEveryEntrysInOrder) {
  ProtocolTable t;
  std::vector<std::string> ran;
  ProtoSwitch a = Entry(kRaw, 1, "a"), b = Entry(kDgram, 17, "b"), c = Entry(kRaw, 0, "c");
  a.slow_timeout = [&] { ran.push_back("a slow"); };
  b.slow_timeout = [&] { ran.push_back("b slow"); };
  ASSERT_TRUE(t.Register(std::move(a)).ok());
  ASSERT_TRUE(t.Register(std::move(b)).ok());
  ASSERT_TRUE(t.Register(std::move(c)).ok());
  EXPECT_FALSE(t.has_fast_timeout());
  ProtoSwitch d = Entry(kStream, 6, "d", /*input=*/false);
  d.fast_timeout = [&] { ran.push_back("d fast"); };
  d.slow_timeout = [&] { ran.push_back("d slow"); };
  ASSERT_TRUE(t.Register(std::move(d)).ok());
  EXPECT_TRUE(t.has_fast_timeout());
  t.SlowTimeout();
  t.FastTimeout();
  EXPECT_EQ(ran, (std::vector<std::string>{"a slow", "b slow", "d slow", "d fast"}));
}

}  // namespace
}  // namespace rump
