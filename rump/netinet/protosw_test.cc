// The IPv4 protocol table (protosw.h): registration rules and NetBSD's
// socket lookup (pffindproto / pffindtype and socreate's errors) on a table
// of its own; then, through kernels on one shmif bus, socket(2) answered
// from the component's table, IP input dispatched to a protocol registered
// in a running kernel and to raw IP for the others, ICMP errors handed to
// the control input of the quoted packet's protocol (UDP, raw IP as
// NetBSD's rip_ctlinput, a registered one), and the protocols' timers.
#include "rump/netinet/protosw.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet::ControlInput;
using inet::IpHeader;
using inet::ProtocolTable;
using inet::ProtoSwitch;
using inet_testing::Host;
using inet_testing::Ip;
using testing::Eventually;

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

// --- the component's table, through kernels on a bus

class ProtoswKernelTest : public ::testing::Test {
 protected:
  inet_testing::ScratchDir dir_;
  const std::string bus_ = dir_.path() + "/bus";
};

// What a protocol registered by a test saw. Called on driver threads.
class Recorder {
 public:
  struct Packet {
    uint8_t proto = 0;
    uint32_t src = 0, dst = 0;
    size_t len = 0;
    bool broadcast = false;
  };
  struct Error {
    int type = 0, code = 0, error = 0;
    uint32_t reporter = 0, inner_src = 0, inner_dst = 0;
    uint8_t inner_proto = 0;
    size_t inner_after_header = 0;
  };

  // An entry for SOCK_RAW / `protocol` whose sockets are raw IP's.
  static ProtoSwitch Switch(const std::shared_ptr<Recorder>& r, Inet& inet, int protocol) {
    ProtoSwitch e;
    e.type = kRaw;
    e.protocol = protocol;
    e.name = "recorder";
    e.input = [r](Interface&, absl::Span<const uint8_t> packet, const IpHeader& h,
                  bool broadcast) {
      std::lock_guard<std::mutex> lock(r->mu_);
      r->packets_.push_back({h.proto, h.src, h.dst, packet.size(), broadcast});
      return true;
    };
    e.ctlinput = [r](const ControlInput& c) {
      std::lock_guard<std::mutex> lock(r->mu_);
      r->errors_.push_back({c.type, c.code, c.error, c.reporter, c.inner_src(), c.inner_dst(),
                            c.inner_protocol(), c.inner_payload().size()});
    };
    inet::RawIp* raw = &inet.raw_ip();
    e.make_socket = [raw](NetStack& net, int type, int proto, int file_flags) {
      return raw->MakeSocket(net, type, proto, file_flags);
    };
    return e;
  }

  std::vector<Packet> packets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return packets_;
  }
  std::vector<Error> errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Packet> packets_;
  std::vector<Error> errors_;
};

TEST_F(ProtoswKernelTest, TheComponentRegistersIcmpUdpTcpAndRawIp) {
  Host a(bus_, "10.0.0.1");
  std::vector<std::string> names;
  for (const ProtoSwitch* e : a.inet().protocols().entries()) {
    names.push_back(e->name + "/" + std::to_string(e->type) + "/" + std::to_string(e->protocol));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"icmp/3/1", "udp/2/17", "tcp/1/6",
                                             "rawip/3/0"}));
  // socket(2) answers from it: UDP, raw IP of any protocol, TCP.
  EXPECT_GE(a.Socket(kDgram), 0);
  EXPECT_GE(a.Socket(kDgram, abi::kIPPROTO_UDP), 0);
  EXPECT_GE(a.Socket(kRaw, 0), 0);
  EXPECT_GE(a.Socket(kRaw, abi::kIPPROTO_ICMP), 0);
  EXPECT_GE(a.Socket(kRaw, 255), 0);
  EXPECT_EQ(a.Socket(kRaw, 256), -abi::kEPROTONOSUPPORT);
  EXPECT_GE(a.Socket(kStream), 0);
  EXPECT_GE(a.Socket(kStream, abi::kIPPROTO_TCP), 0);
  EXPECT_EQ(a.Socket(kStream, abi::kIPPROTO_UDP), -abi::kEPROTONOSUPPORT);
  EXPECT_EQ(a.Socket(kDgram, abi::kIPPROTO_ICMP), -abi::kEPROTONOSUPPORT);
  EXPECT_EQ(a.Socket(abi::kSOCK_SEQPACKET), -abi::kEPROTOTYPE);
  EXPECT_EQ(a.Socket(abi::kSOCK_SEQPACKET, 5), -abi::kEPROTONOSUPPORT);
  // The stream socket is TCP's: it binds.
  const int st = a.Socket(kStream);
  EXPECT_EQ(a.Bind(st, "0.0.0.0", 80), 0);
}

TEST_F(ProtoswKernelTest, InputGoesToTheRegisteredProtocolAndToRawIpForTheOthers) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  auto rec = std::make_shared<Recorder>();
  ASSERT_TRUE(b.inet().RegisterProtocol(Recorder::Switch(rec, b.inet(), 253)).ok());
  // Registered once only.
  EXPECT_EQ(b.inet().RegisterProtocol(Recorder::Switch(rec, b.inet(), 253)).code(),
            absl::StatusCode::kAlreadyExists);
  const int icmp = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.SetRecvTimeout(icmp, absl::Seconds(30)), 0);

  // Unicast, then broadcast, to the registered protocol.
  const int s253 = a.Socket(kRaw, 253);
  ASSERT_GE(s253, 0);
  ASSERT_EQ(a.SendTo(s253, std::vector<uint8_t>(11, 0x53), "10.0.0.2", 0), 11);
  ASSERT_TRUE(Eventually([&] { return rec->packets().size() == 1; }));
  ASSERT_EQ(a.SetInt(s253, abi::kSOL_SOCKET, abi::kSO_BROADCAST, 1), 0);
  ASSERT_EQ(a.SendTo(s253, std::vector<uint8_t>(5, 0x53), "10.0.0.255", 0), 5);
  ASSERT_TRUE(Eventually([&] { return rec->packets().size() == 2; }));
  const std::vector<Recorder::Packet> p = rec->packets();
  EXPECT_EQ(p[0].proto, 253);
  EXPECT_EQ(p[0].src, Ip("10.0.0.1"));
  EXPECT_EQ(p[0].dst, Ip("10.0.0.2"));
  EXPECT_EQ(p[0].len, 20u + 11u);  // the whole datagram, header included
  EXPECT_FALSE(p[0].broadcast);
  EXPECT_EQ(p[1].dst, Ip("10.0.0.255"));
  EXPECT_TRUE(p[1].broadcast);

  // Protocol 252, which no one registered, goes to raw IP: a raw socket of
  // protocol 0 takes it; without one, protocol unreachable.
  const int any = b.Socket(kRaw, 0);
  ASSERT_EQ(b.SetRecvTimeout(any, absl::Seconds(30)), 0);
  const int s252 = a.Socket(kRaw, 252);
  ASSERT_EQ(a.SendTo(s252, std::vector<uint8_t>(7, 0x52), "10.0.0.2", 0), 7);
  std::vector<uint8_t> got;
  ASSERT_EQ(b.RecvFrom(any, &got, 2048), 27);
  EXPECT_EQ(got[9], 252);
  ASSERT_EQ(b.Close(any), 0);
  ASSERT_EQ(a.SendTo(s252, std::vector<uint8_t>(7, 0x52), "10.0.0.2", 0), 7);
  ASSERT_GT(a.RecvFrom(icmp, &got, 2048), 20 + 8 + 20);
  EXPECT_EQ(got[20], abi::kICMP_UNREACH);
  EXPECT_EQ(got[21], abi::kICMP_UNREACH_PROTOCOL);
  EXPECT_EQ(got[20 + 8 + 9], 252);  // about the 252 packet
  // That was the first unreachable a got: the registered protocol's
  // packets, taken, were answered with none.
  EXPECT_EQ(a.inet().icmp_stats().inhist.Get(abi::kICMP_UNREACH), 1u);
  EXPECT_EQ(b.inet().ip_stats().Get(abi::kIpStatNoproto), 1u);
  EXPECT_EQ(b.inet().ip_stats().Get(abi::kIpStatDelivered), 3u);  // 253 twice, 252 once
  EXPECT_EQ(rec->packets().size(), 2u);
}

TEST_F(ProtoswKernelTest, IcmpErrorsReachTheControlInputOfTheQuotedProtocol) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  auto rec = std::make_shared<Recorder>();
  ASSERT_TRUE(a.inet().RegisterProtocol(Recorder::Switch(rec, a.inet(), 252)).ok());
  const int icmp = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.SetRecvTimeout(icmp, absl::Seconds(30)), 0);
  std::vector<uint8_t> got;
  auto next_unreachable = [&](uint8_t quoted_proto) {
    EXPECT_GT(a.RecvFrom(icmp, &got, 2048), 20 + 8 + 20);
    EXPECT_EQ(got[20], abi::kICMP_UNREACH);
    EXPECT_EQ(got[20 + 8 + 9], quoted_proto);  // and the message to raw ICMP
  };

  // UDP: port unreachable is ECONNREFUSED on the connected socket.
  const int u = a.Socket(kDgram);
  ASSERT_EQ(a.Connect(u, "10.0.0.2", 9999), 0);
  ASSERT_EQ(a.Send(u, std::vector<uint8_t>(3, 1)), 3);
  next_unreachable(abi::kIPPROTO_UDP);
  int err = 0;
  ASSERT_EQ(a.GetInt(u, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
  EXPECT_EQ(err, abi::kECONNREFUSED);
  EXPECT_TRUE(rec->errors().empty());
  EXPECT_EQ(a.inet().raw_ip().ctlinput_notified(), 0u);

  // A registered protocol: its own control input, told what NetBSD's
  // ctlinput is told.
  const int s252 = a.Socket(kRaw, 252);
  ASSERT_EQ(a.SendTo(s252, std::vector<uint8_t>(9, 2), "10.0.0.2", 0), 9);
  next_unreachable(252);
  std::vector<Recorder::Error> e = rec->errors();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].type, abi::kICMP_UNREACH);
  EXPECT_EQ(e[0].code, abi::kICMP_UNREACH_PROTOCOL);
  EXPECT_EQ(e[0].error, abi::kECONNREFUSED);
  EXPECT_EQ(e[0].reporter, Ip("10.0.0.2"));
  EXPECT_EQ(e[0].inner_src, Ip("10.0.0.1"));
  EXPECT_EQ(e[0].inner_dst, Ip("10.0.0.2"));
  EXPECT_EQ(e[0].inner_proto, 252);
  EXPECT_EQ(e[0].inner_after_header, 8u);  // what icmp_error quotes
  EXPECT_EQ(a.inet().raw_ip().ctlinput_notified(), 0u);

  // Raw IP (rip_ctlinput): the raw sockets of the protocol bound to the
  // quoted source and connected to its destination are notified, and, as
  // in NetBSD, only lose their cached route: no SO_ERROR, sends go on.
  const int bound_connected = a.Socket(kRaw, 253);
  ASSERT_EQ(a.Bind(bound_connected, "10.0.0.1", 0), 0);
  ASSERT_EQ(a.Connect(bound_connected, "10.0.0.2", 0), 0);
  const int connected_only = a.Socket(kRaw, 253);  // local address unset
  ASSERT_EQ(a.Connect(connected_only, "10.0.0.2", 0), 0);
  const int other_proto = a.Socket(kRaw, 254);
  ASSERT_EQ(a.Bind(other_proto, "10.0.0.1", 0), 0);
  ASSERT_EQ(a.Connect(other_proto, "10.0.0.2", 0), 0);
  const int all_protos = a.Socket(kRaw, 0);
  ASSERT_EQ(a.Bind(all_protos, "10.0.0.1", 0), 0);
  ASSERT_EQ(a.Connect(all_protos, "10.0.0.2", 0), 0);
  // (At least 8 bytes of payload: an error quoting fewer is dropped as
  // too short, as NetBSD's icmp_input drops it.)
  ASSERT_EQ(a.Send(bound_connected, std::vector<uint8_t>(8, 3)), 8);
  next_unreachable(253);
  // bound_connected and all_protos (protocol 0 matches any).
  EXPECT_EQ(a.inet().raw_ip().ctlinput_notified(), 2u);
  for (int fd : {bound_connected, connected_only, other_proto, all_protos}) {
    ASSERT_EQ(a.GetInt(fd, abi::kSOL_SOCKET, abi::kSO_ERROR, &err), 0);
    EXPECT_EQ(err, 0) << fd;
  }
  EXPECT_EQ(a.Send(bound_connected, std::vector<uint8_t>(8, 3)), 8);
  next_unreachable(253);
  EXPECT_EQ(a.inet().raw_ip().ctlinput_notified(), 4u);
  EXPECT_EQ(rec->errors().size(), 1u);  // none of these were the recorder's
}

TEST_F(ProtoswKernelTest, ProtocolTimeoutsRunOnTheKernelsTimers) {
  Host a(bus_, "10.0.0.1");
  auto slow = std::make_shared<std::atomic<int>>(0), fast = std::make_shared<std::atomic<int>>(0);
  ProtoSwitch e;
  e.type = kRaw;
  e.protocol = 251;
  e.name = "timers";
  e.slow_timeout = [slow] { ++*slow; };
  e.fast_timeout = [fast] { ++*fast; };
  ASSERT_TRUE(a.inet().RegisterProtocol(std::move(e)).ok());
  EXPECT_TRUE(Eventually([&] { return *slow >= 2 && *fast >= 2; }));
  // No socket factory: socket(2) for it is EPROTONOSUPPORT, as socreate's
  // for an entry with no pr_usrreqs.
  EXPECT_EQ(a.Socket(kRaw, 251), -abi::kEPROTONOSUPPORT);
}

}  // namespace
}  // namespace rump
