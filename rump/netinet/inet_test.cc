// Kernels in one process on one shmif bus, driven through the socket
// system calls: ARP resolution, ping through raw ICMP sockets, UDP both
// ways, a 60 KB datagram fragmented and reassembled, ICMP port unreachable
// as ECONNREFUSED, TTL 1 through a router, broadcast to every
// kernel, loopback, socket options and errors.
#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "rump/net/testing.h"
#include "shmif/bus.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::EchoRequest;
using testing::Eventually;
using inet_testing::Host;
using inet_testing::Ip;

constexpr int kDgram = abi::kSOCK_DGRAM;
constexpr int kRaw = abi::kSOCK_RAW;
constexpr int kIp = abi::kIPPROTO_IP;

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

class InetTest : public ::testing::Test {
 protected:
  inet_testing::ScratchDir dir_;
  const std::string bus_ = dir_.path() + "/bus";
};

TEST_F(InetTest, ArpResolvesAndUdpGoesBothWays) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int sb = b.Socket(kDgram);
  ASSERT_GE(sb, 0);
  ASSERT_EQ(b.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  const int sa = a.Socket(kDgram);
  ASSERT_GE(sa, 0);
  ASSERT_EQ(a.SetRecvTimeout(sa, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SendTo(sa, Bytes("hello"), "10.0.0.2", 5000), 5);

  std::vector<uint8_t> got;
  uint32_t from = 0;
  uint16_t port = 0;
  ASSERT_EQ(b.RecvFrom(sb, &got, 100, &from, &port), 5);
  EXPECT_EQ(got, Bytes("hello"));
  EXPECT_EQ(from, Ip("10.0.0.1"));
  EXPECT_GE(port, abi::kIPPORT_ANONMIN);  // an ephemeral port, as NetBSD's

  // The sender's name: its port, the wildcard address.
  uint32_t la = 1;
  uint16_t lp = 0;
  ASSERT_EQ(a.SockName(sa, &la, &lp), 0);
  EXPECT_EQ(la, 0u);
  EXPECT_EQ(lp, port);

  ASSERT_EQ(b.SendTo(sb, Bytes("world!"), "10.0.0.1", port), 6);
  ASSERT_EQ(a.RecvFrom(sa, &got, 100, &from, &port), 6);
  EXPECT_EQ(got, Bytes("world!"));
  EXPECT_EQ(from, Ip("10.0.0.2"));
  EXPECT_EQ(port, 5000);

  // Each side learnt the other's MAC.
  auto ca = a.inet().arp_cache(a.ifp().index());
  ASSERT_NE(ca, nullptr);
  auto mac_b = ca->Lookup(Ip("10.0.0.2"), absl::Now());
  ASSERT_TRUE(mac_b.has_value());
  EXPECT_TRUE(std::equal(mac_b->begin(), mac_b->end(), b.ifp().lladdr().begin()));
  EXPECT_GE(a.inet().arp_stats().Get(inet::kArpSndRequest), 1u);
  EXPECT_GE(b.inet().arp_stats().Get(inet::kArpSndReply), 1u);
  EXPECT_EQ(a.inet().udp_stats().Get(abi::kUdpStatOpackets), 1u);
  EXPECT_GE(b.inet().udp_stats().Get(abi::kUdpStatIpackets), 1u);
}

TEST_F(InetTest, PingThroughRawIcmpSockets) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int s = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_GE(s, 0);
  ASSERT_EQ(a.SetRecvTimeout(s, absl::Seconds(10)), 0);
  for (uint16_t seq = 1; seq <= 5; ++seq) {
    ASSERT_EQ(a.SendTo(s, EchoRequest(0x4242, seq, 56), "10.0.0.2", 0), 64);
    std::vector<uint8_t> got;
    uint32_t from = 0;
    ASSERT_EQ(a.RecvFrom(s, &got, 2048, &from), 84);
    EXPECT_EQ(from, Ip("10.0.0.2"));
    // NetBSD's raw delivery: ip_len in host order without the header.
    uint16_t ip_len;
    std::memcpy(&ip_len, got.data() + 2, 2);
    EXPECT_EQ(ip_len, 64);
    EXPECT_EQ(got[9], abi::kIPPROTO_ICMP);
    EXPECT_EQ(got[20], abi::kICMP_ECHOREPLY);
    EXPECT_EQ(got[8], abi::kMAXTTL);  // icmp_reflect sends with MAXTTL, not ip.ttl
    EXPECT_EQ(inet::Get16(got.data() + 24), 0x4242);
    EXPECT_EQ(inet::Get16(got.data() + 26), seq);
    EXPECT_EQ(inet::InetChecksum(absl::MakeSpan(got).subspan(20)), 0);
  }
  EXPECT_EQ(b.inet().icmp_stats().c.Get(inet::kIcmpReflect), 5u);
}

TEST_F(InetTest, PingWithHeaderIncluded) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int s = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.SetInt(s, kIp, abi::kIP_HDRINCL, 1), 0);
  int v = 0;
  ASSERT_EQ(a.GetInt(s, kIp, abi::kIP_HDRINCL, &v), 0);
  EXPECT_EQ(v, 1);
  ASSERT_EQ(a.SetRecvTimeout(s, absl::Seconds(10)), 0);
  std::vector<uint8_t> icmp = EchoRequest(7, 1, 16);
  std::vector<uint8_t> pkt(20 + icmp.size(), 0);
  pkt[0] = 0x45;
  const uint16_t len = uint16_t(pkt.size());  // host order, as ping writes it
  std::memcpy(&pkt[2], &len, 2);
  pkt[8] = 64;
  pkt[9] = abi::kIPPROTO_ICMP;
  const uint32_t dst = Ip("10.0.0.2");
  std::memcpy(&pkt[16], &dst, 4);  // ip_src 0: filled in
  std::memcpy(&pkt[20], icmp.data(), icmp.size());
  const uint64_t localout = a.inet().ip_stats().Get(abi::kIpStatLocalout);
  const uint64_t rawout = a.inet().ip_stats().Get(abi::kIpStatRawout);
  ASSERT_EQ(a.SendTo(s, pkt, "10.0.0.2", 0), int64_t(pkt.size()));
  // A packet with the caller's header is raw output, not "sent from this
  // host" as well (NetBSD counts it once).
  EXPECT_EQ(a.inet().ip_stats().Get(abi::kIpStatRawout), rawout + 1);
  EXPECT_EQ(a.inet().ip_stats().Get(abi::kIpStatLocalout), localout);
  std::vector<uint8_t> got;
  ASSERT_EQ(a.RecvFrom(s, &got, 2048), int64_t(pkt.size()));
  EXPECT_EQ(got[20], abi::kICMP_ECHOREPLY);
  EXPECT_EQ(inet::GetAddr(got.data() + 16), Ip("10.0.0.1"));  // to the filled-in source
  // ip_len that does not match what was written is EINVAL.
  const uint16_t wrong = uint16_t(pkt.size() + 1);
  std::memcpy(&pkt[2], &wrong, 2);
  EXPECT_EQ(a.SendTo(s, pkt, "10.0.0.2", 0), -abi::kEINVAL);
  EXPECT_EQ(a.SendTo(s, std::vector<uint8_t>(10, 0x45), "10.0.0.2", 0), -abi::kEINVAL);
}

TEST_F(InetTest, SixtyKilobyteDatagramIsFragmentedAndReassembled) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int sb = b.Socket(kDgram), sa = a.Socket(kDgram);
  ASSERT_EQ(b.Bind(sb, "10.0.0.2", 6000), 0);
  ASSERT_EQ(b.SetInt(sb, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 200000), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SetInt(sa, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 65536), 0);
  std::vector<uint8_t> big(60000);
  std::mt19937 rng(1);
  for (auto& x : big) x = uint8_t(rng());
  // Too big for the default SO_SNDBUF (9216) was EMSGSIZE; now it goes.
  ASSERT_EQ(a.SendTo(sa, big, "10.0.0.2", 6000), 60000);
  std::vector<uint8_t> got;
  ASSERT_EQ(b.RecvFrom(sb, &got, 65536), 60000);
  EXPECT_EQ(got, big);
  EXPECT_GE(a.inet().ip_stats().Get(abi::kIpStatOfragments), 41u);
  EXPECT_EQ(a.inet().ip_stats().Get(abi::kIpStatFragmented), 1u);
  EXPECT_EQ(b.inet().ip_stats().Get(abi::kIpStatReassembled), 1u);
  EXPECT_EQ(b.inet().reassembler().datagrams(), 0u);
  // Beyond IP_MAXPACKET is EMSGSIZE.
  ASSERT_EQ(a.SetInt(sa, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 100000), 0);
  EXPECT_EQ(a.SendTo(sa, std::vector<uint8_t>(65508), "10.0.0.2", 6000), -abi::kEMSGSIZE);
}

TEST_F(InetTest, PortUnreachableRefusesAConnectedSocket) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int s = a.Socket(kDgram);
  ASSERT_EQ(a.Connect(s, "10.0.0.2", 9999), 0);
  uint32_t la = 0;
  uint16_t lp = 0;
  ASSERT_EQ(a.SockName(s, &la, &lp), 0);
  EXPECT_EQ(la, Ip("10.0.0.1"));  // connect chose the source address
  ASSERT_EQ(a.Send(s, Bytes("anyone?")), 7);
  int err = 0;
  ASSERT_TRUE(Eventually([&] {
    a.GetInt(s, abi::kSOL_SOCKET, abi::kSO_ERROR, &err);
    return err != 0;
  }));
  EXPECT_EQ(err, abi::kECONNREFUSED);
  EXPECT_EQ(b.inet().udp_stats().Get(abi::kUdpStatNoport), 1u);
  // An unconnected socket is not told.
  const int u = a.Socket(kDgram);
  ASSERT_EQ(a.SendTo(u, Bytes("x"), "10.0.0.2", 9998), 1);
  ASSERT_TRUE(Eventually([&] { return b.inet().udp_stats().Get(abi::kUdpStatNoport) == 2; }));
  ASSERT_TRUE(Eventually(
      [&] { return a.inet().icmp_stats().inhist.Get(abi::kICMP_UNREACH) == 2; }));
  a.GetInt(u, abi::kSOL_SOCKET, abi::kSO_ERROR, &err);
  EXPECT_EQ(err, 0);
  // Two PCB hash misses for each, as NetBSD counts them (its v4-mapped
  // second lookup); one for a datagram a bound socket takes.
  EXPECT_EQ(b.inet().udp_stats().Get(abi::kUdpStatPcbhashmiss), 4u);
  const int bound = b.Socket(kDgram);
  ASSERT_EQ(b.Bind(bound, "0.0.0.0", 9997), 0);
  ASSERT_EQ(b.SetRecvTimeout(bound, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SendTo(u, Bytes("y"), "10.0.0.2", 9997), 1);
  std::vector<uint8_t> got;
  ASSERT_EQ(b.RecvFrom(bound, &got, 100), 1);  // delivered after the lookups
  EXPECT_EQ(b.inet().udp_stats().Get(abi::kUdpStatPcbhashmiss), 5u);
}

TEST_F(InetTest, TtlOneToANonLocalAddressIsNotDelivered) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  // 10.9.9.0/24 is reached through b (which has no route there itself).
  inet::Route r;
  r.dst = Ip("10.9.9.0");
  r.netmask = Ip("255.255.255.0");
  r.gateway = Ip("10.0.0.2");
  r.is_gateway = true;
  ASSERT_TRUE(a.inet().routes().Add(r).ok());
  const int listener = b.Socket(kDgram);
  ASSERT_EQ(b.Bind(listener, "0.0.0.0", 7777), 0);
  const int icmp = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.SetRecvTimeout(icmp, absl::Seconds(10)), 0);
  const int s = a.Socket(kDgram);
  ASSERT_EQ(a.SetInt(s, kIp, abi::kIP_TTL, 1), 0);
  int ttl = 0;
  ASSERT_EQ(a.GetInt(s, kIp, abi::kIP_TTL, &ttl), 0);
  EXPECT_EQ(ttl, 1);
  ASSERT_EQ(a.SendTo(s, Bytes("ttl1"), "10.9.9.9", 7777), 4);
  // b answers with time exceeded, as a router does, and delivers nothing.
  std::vector<uint8_t> got;
  ASSERT_GT(a.RecvFrom(icmp, &got, 2048), 28);
  EXPECT_EQ(got[20], abi::kICMP_TIMXCEED);
  EXPECT_EQ(got[21], abi::kICMP_TIMXCEED_INTRANS);
  EXPECT_EQ(got[8], abi::kMAXTTL);  // errors are reflected with MAXTTL too
  EXPECT_EQ(b.inet().ip_stats().Get(abi::kIpStatForward), 0u);
  EXPECT_EQ(b.RecvFrom(listener, &got, 100, nullptr, nullptr, abi::kMSG_DONTWAIT),
            -abi::kEAGAIN);
  EXPECT_EQ(b.inet().udp_stats().Get(abi::kUdpStatIpackets), 0u);
}

TEST_F(InetTest, BroadcastReachesEveryKernelWithSoBroadcast) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2"), c(bus_, "10.0.0.3");
  int sb = b.Socket(kDgram), sc = c.Socket(kDgram), sa = a.Socket(kDgram);
  ASSERT_EQ(b.Bind(sb, "0.0.0.0", 7000), 0);
  ASSERT_EQ(c.Bind(sc, "0.0.0.0", 7000), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  ASSERT_EQ(c.SetRecvTimeout(sc, absl::Seconds(10)), 0);
  EXPECT_EQ(a.SendTo(sa, Bytes("all"), "10.0.0.255", 7000), -abi::kEACCES);
  EXPECT_EQ(a.SendTo(sa, Bytes("all"), "255.255.255.255", 7000), -abi::kEACCES);
  ASSERT_EQ(a.SetInt(sa, abi::kSOL_SOCKET, abi::kSO_BROADCAST, 1), 0);
  for (const char* dst : {"10.0.0.255", "255.255.255.255"}) {
    ASSERT_EQ(a.SendTo(sa, Bytes(dst), dst, 7000), int64_t(strlen(dst)));
    for (Host* h : {&b, &c}) {
      std::vector<uint8_t> got;
      uint32_t from = 0;
      const int fd = h == &b ? sb : sc;
      ASSERT_EQ(h->RecvFrom(fd, &got, 100, &from), int64_t(strlen(dst)));
      EXPECT_EQ(got, Bytes(dst));
      EXPECT_EQ(from, Ip("10.0.0.1"));
    }
  }
  // A broadcast to a port nobody has is not answered with ICMP.
  ASSERT_EQ(a.SendTo(sa, Bytes("?"), "10.0.0.255", 7001), 1);
  ASSERT_TRUE(Eventually([&] { return b.inet().udp_stats().Get(abi::kUdpStatNoportbcast) == 1; }));
  EXPECT_EQ(b.inet().udp_stats().Get(abi::kUdpStatNoport), 0u);
  // Broadcasts are never fragmented.
  ASSERT_EQ(a.SetInt(sa, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 65536), 0);
  EXPECT_EQ(a.SendTo(sa, std::vector<uint8_t>(3000), "10.0.0.255", 7000), -abi::kEMSGSIZE);
}

TEST_F(InetTest, LoopbackAndOwnAddress) {
  Host a(bus_, "10.0.0.1");
  const int r = a.Socket(kDgram), s = a.Socket(kDgram);
  ASSERT_EQ(a.Bind(r, "0.0.0.0", 4000), 0);
  ASSERT_EQ(a.SetRecvTimeout(r, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SetInt(r, kIp, abi::kIP_RECVDSTADDR, 1), 0);
  for (const char* dst : {"127.0.0.1", "10.0.0.1"}) {
    ASSERT_EQ(a.SendTo(s, Bytes(dst), dst, 4000), int64_t(strlen(dst)));
    std::vector<uint8_t> got;
    std::string control;
    int flags = 0;
    ASSERT_EQ(a.RecvMsg(r, &got, 100, &control, &flags), int64_t(strlen(dst)));
    EXPECT_EQ(got, Bytes(dst));
    // IP_RECVDSTADDR: cmsg_len 20, IPPROTO_IP, IP_RECVDSTADDR, the address.
    ASSERT_GE(control.size(), 20u);
    uint32_t len = 0, addr = 0;
    int32_t level = -1, type = -1;
    std::memcpy(&len, control.data(), 4);
    std::memcpy(&level, control.data() + 4, 4);
    std::memcpy(&type, control.data() + 8, 4);
    std::memcpy(&addr, control.data() + 16, 4);
    EXPECT_EQ(len, 20u);
    EXPECT_EQ(level, abi::kIPPROTO_IP);
    EXPECT_EQ(type, abi::kIP_RECVDSTADDR);
    EXPECT_EQ(addr, Ip(dst));
  }
  // Ping ourselves.
  const int icmp = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.SetRecvTimeout(icmp, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SendTo(icmp, EchoRequest(1, 1, 8), "127.0.0.1", 0), 16);
  std::vector<uint8_t> got;
  ASSERT_EQ(a.RecvFrom(icmp, &got, 2048), 36);
  EXPECT_EQ(got[20], abi::kICMP_ECHOREPLY);
}

// One control message as NetBSD lays it out (cmsghdr, then the data at
// CMSG_LEN(0), the next one at CMSG_SPACE).
struct Cmsg {
  int level = -1, type = -1;
  std::string data;
};
std::vector<Cmsg> ParseControl(const std::string& control) {
  std::vector<Cmsg> out;
  size_t at = 0;
  while (at + abi::kCmsghdrSize <= control.size()) {
    uint32_t len = 0;
    Cmsg c;
    std::memcpy(&len, control.data() + at, 4);
    std::memcpy(&c.level, control.data() + at + 4, 4);
    std::memcpy(&c.type, control.data() + at + 8, 4);
    if (len < abi::CmsgLen(0) || at + len > control.size()) {
      ADD_FAILURE() << "bad cmsg_len " << len << " at " << at;
      break;
    }
    c.data = control.substr(at + abi::CmsgLen(0), len - abi::CmsgLen(0));
    out.push_back(c);
    at += abi::CmsgSpace(len - abi::CmsgLen(0));
  }
  EXPECT_EQ(at, control.size()) << "trailing bytes";
  return out;
}

// The receive options as NetBSD's ip_savecontrol hands them up: every one
// on gives SCM_TIMESTAMP, IP_RECVDSTADDR, IP_RECVPKTINFO (the source),
// IP_PKTINFO (the destination), IP_RECVIF, IP_RECVTTL, in that order; raw
// sockets get the same; each option reads back and turns off again; the
// PCB list shows them as INP_* flags.
TEST_F(InetTest, ReceiveOptionsHandUpControlInNetbsdOrder) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int r = b.Socket(kDgram), s = a.Socket(kDgram);
  ASSERT_EQ(b.Bind(r, "0.0.0.0", 4100), 0);
  ASSERT_EQ(b.SetRecvTimeout(r, absl::Seconds(30)), 0);
  const int options[] = {abi::kIP_RECVDSTADDR, abi::kIP_RECVPKTINFO, abi::kIP_PKTINFO,
                         abi::kIP_RECVIF, abi::kIP_RECVTTL};
  for (int o : options) {
    int v = -1;
    ASSERT_EQ(b.GetInt(r, kIp, o, &v), 0) << o;
    EXPECT_EQ(v, 0) << o;
    ASSERT_EQ(b.SetInt(r, kIp, o, 1), 0) << o;
    ASSERT_EQ(b.GetInt(r, kIp, o, &v), 0) << o;
    EXPECT_EQ(v, 1) << o;
  }
  ASSERT_EQ(b.SetInt(r, abi::kSOL_SOCKET, abi::kSO_TIMESTAMP, 1), 0);
  ASSERT_EQ(a.SetInt(s, kIp, abi::kIP_TTL, 33), 0);
  ASSERT_EQ(a.SendTo(s, Bytes("hello"), "10.0.0.2", 4100), 5);
  std::vector<uint8_t> got;
  std::string control;
  int flags = 0;
  ASSERT_EQ(b.RecvMsg(r, &got, 100, &control, &flags), 5);
  const std::vector<Cmsg> c = ParseControl(control);
  ASSERT_EQ(c.size(), 6u);
  const uint32_t index = uint32_t(b.ifp().index());
  EXPECT_EQ(c[0].level, abi::kSOL_SOCKET);
  EXPECT_EQ(c[0].type, abi::kSCM_TIMESTAMP);
  ASSERT_EQ(c[0].data.size(), 16u);
  int64_t sec = 0;
  std::memcpy(&sec, c[0].data.data(), 8);
  EXPECT_GT(sec, 1500000000) << "a wall-clock time";
  auto addr_at = [](const std::string& d, size_t off) {
    uint32_t v = 0;
    std::memcpy(&v, d.data() + off, 4);
    return v;
  };
  EXPECT_EQ(c[1].type, abi::kIP_RECVDSTADDR);
  EXPECT_EQ(addr_at(c[1].data, 0), Ip("10.0.0.2"));
  EXPECT_EQ(c[2].type, abi::kIP_RECVPKTINFO);
  ASSERT_EQ(c[2].data.size(), abi::kInPktinfoSize);
  EXPECT_EQ(addr_at(c[2].data, abi::kIpiAddrOff), Ip("10.0.0.1")) << "the source";
  EXPECT_EQ(addr_at(c[2].data, abi::kIpiIfindexOff), index);
  EXPECT_EQ(c[3].type, abi::kIP_PKTINFO);
  EXPECT_EQ(addr_at(c[3].data, abi::kIpiAddrOff), Ip("10.0.0.2")) << "the destination";
  EXPECT_EQ(addr_at(c[3].data, abi::kIpiIfindexOff), index);
  EXPECT_EQ(c[4].type, abi::kIP_RECVIF);
  ASSERT_EQ(c[4].data.size(), abi::kSockaddrDlSize);
  EXPECT_EQ(uint8_t(c[4].data[abi::kSdlFamilyOff]), abi::kAF_LINK);
  uint16_t sdl_index = 0;
  std::memcpy(&sdl_index, c[4].data.data() + abi::kSdlIndexOff, 2);
  EXPECT_EQ(sdl_index, index);
  EXPECT_EQ(c[5].type, abi::kIP_RECVTTL);
  ASSERT_EQ(c[5].data.size(), 1u);
  EXPECT_EQ(uint8_t(c[5].data[0]), 33);
  for (size_t i = 1; i < c.size(); ++i) EXPECT_EQ(c[i].level, abi::kIPPROTO_IP) << i;

  // Off again, one by one: the last datagram carries nothing.
  for (int o : options) ASSERT_EQ(b.SetInt(r, kIp, o, 0), 0) << o;
  ASSERT_EQ(b.SetInt(r, abi::kSOL_SOCKET, abi::kSO_TIMESTAMP, 0), 0);
  ASSERT_EQ(a.SendTo(s, Bytes("again"), "10.0.0.2", 4100), 5);
  ASSERT_EQ(b.RecvMsg(r, &got, 100, &control, &flags), 5);
  EXPECT_EQ(control, "");

  // A raw socket hands up the same: IP_PKTINFO of an echo reply to us.
  const int icmp = b.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(b.SetRecvTimeout(icmp, absl::Seconds(30)), 0);
  ASSERT_EQ(b.SetInt(icmp, kIp, abi::kIP_PKTINFO, 1), 0);
  ASSERT_EQ(b.SendTo(icmp, EchoRequest(7, 1, 8), "10.0.0.1", 0), 16);
  ASSERT_EQ(b.RecvMsg(icmp, &got, 2048, &control, &flags), 36);
  const std::vector<Cmsg> rc = ParseControl(control);
  ASSERT_EQ(rc.size(), 1u);
  EXPECT_EQ(rc[0].type, abi::kIP_PKTINFO);
  EXPECT_EQ(addr_at(rc[0].data, abi::kIpiAddrOff), Ip("10.0.0.2"));
  EXPECT_EQ(addr_at(rc[0].data, abi::kIpiIfindexOff), index);
}

TEST_F(InetTest, BindRulesAndEphemeralPorts) {
  Host a(bus_, "10.0.0.1");
  const int s1 = a.Socket(kDgram), s2 = a.Socket(kDgram), s3 = a.Socket(kDgram);
  ASSERT_EQ(a.Bind(s1, "0.0.0.0", 3000), 0);
  EXPECT_EQ(a.Bind(s1, "0.0.0.0", 3001), abi::kEINVAL);  // already bound
  EXPECT_EQ(a.Bind(s2, "0.0.0.0", 3000), abi::kEADDRINUSE);
  EXPECT_EQ(a.Bind(s2, "10.0.0.1", 3000), abi::kEADDRINUSE);  // overlaps the wildcard
  // SO_REUSEADDR: a specific address beside the wildcard is fine.
  ASSERT_EQ(a.SetInt(s2, abi::kSOL_SOCKET, abi::kSO_REUSEADDR, 1), 0);
  EXPECT_EQ(a.Bind(s2, "10.0.0.1", 3000), 0);
  // SO_REUSEPORT on both: the same binding twice.
  const int p1 = a.Socket(kDgram), p2 = a.Socket(kDgram);
  ASSERT_EQ(a.SetInt(p1, abi::kSOL_SOCKET, abi::kSO_REUSEPORT, 1), 0);
  ASSERT_EQ(a.SetInt(p2, abi::kSOL_SOCKET, abi::kSO_REUSEPORT, 1), 0);
  EXPECT_EQ(a.Bind(p1, "10.0.0.1", 3100), 0);
  EXPECT_EQ(a.Bind(p2, "10.0.0.1", 3100), 0);
  // Addresses that are not ours.
  EXPECT_EQ(a.Bind(s3, "10.0.0.9", 0), abi::kEADDRNOTAVAIL);
  EXPECT_EQ(a.Bind(s3, "10.0.0.255", 0), 0);  // a broadcast address is ours
  // Port 0: ephemeral ports counting down from 65535.
  uint16_t prev = 0;
  for (int i = 0; i < 3; ++i) {
    const int e = a.Socket(kDgram);
    ASSERT_EQ(a.Bind(e, "0.0.0.0", 0), 0);
    uint32_t la;
    uint16_t lp;
    ASSERT_EQ(a.SockName(e, &la, &lp), 0);
    EXPECT_GE(lp, abi::kIPPORT_ANONMIN);
    if (prev != 0) {
      EXPECT_EQ(lp, prev - 1);
    }
    prev = lp;
  }
  // Bad addresses.
  const int b = a.Socket(kDgram);
  std::vector<uint8_t> sa6(28, 0);
  sa6[1] = abi::kAF_INET6;
  inet_testing::SysResult r = a.Call(abi::kSysBind, {uint64_t(b), uint64_t(reinterpret_cast<uintptr_t>(sa6.data())), 28});
  EXPECT_EQ(r.error, abi::kEINVAL);
  std::vector<uint8_t> sa(16, 0);
  sa[1] = abi::kAF_INET6;
  r = a.Call(abi::kSysBind, {uint64_t(b), uint64_t(reinterpret_cast<uintptr_t>(sa.data())), 16});
  EXPECT_EQ(r.error, abi::kEAFNOSUPPORT);
}

TEST_F(InetTest, ConnectSendAndDisconnectRules) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int sb = b.Socket(kDgram);
  ASSERT_EQ(b.Bind(sb, "0.0.0.0", 5300), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  const int s = a.Socket(kDgram);
  EXPECT_EQ(a.Send(s, Bytes("x")), -abi::kENOTCONN);
  EXPECT_EQ(a.Connect(s, "10.0.0.2", 0), abi::kEADDRNOTAVAIL);
  ASSERT_EQ(a.Connect(s, "10.0.0.2", 5300), 0);
  EXPECT_EQ(a.Connect(s, "10.0.0.2", 5301), abi::kEISCONN);
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "10.0.0.2", 5300), -abi::kEISCONN);
  ASSERT_EQ(a.Send(s, Bytes("connected")), 9);
  std::vector<uint8_t> got;
  ASSERT_EQ(b.RecvFrom(sb, &got, 100), 9);
  // A connected socket hears only from its peer.
  uint32_t la;
  uint16_t lp;
  ASSERT_EQ(a.SockName(s, &la, &lp), 0);
  const int other = b.Socket(kDgram);
  ASSERT_EQ(b.SendTo(other, Bytes("stranger"), "10.0.0.1", lp), 8);
  ASSERT_EQ(b.SendTo(sb, Bytes("peer"), "10.0.0.1", lp), 4);
  ASSERT_EQ(a.SetRecvTimeout(s, absl::Seconds(10)), 0);
  ASSERT_EQ(a.RecvFrom(s, &got, 100), 4);
  EXPECT_EQ(got, Bytes("peer"));
  EXPECT_EQ(a.Disconnect(s), abi::kEAFNOSUPPORT);  // NetBSD's answer, disconnected
  EXPECT_EQ(a.Send(s, Bytes("x")), -abi::kENOTCONN);
  EXPECT_EQ(a.SendTo(s, Bytes("again"), "10.0.0.2", 5300), 5);
  // No route: EHOSTUNREACH; not on the network with MSG_DONTROUTE.
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "192.168.7.7", 5300), -abi::kEHOSTUNREACH);
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "192.168.7.7", 5300, abi::kMSG_DONTROUTE),
            -abi::kENETUNREACH);
  // SO_DONTROUTE does the same for every send of the socket.
  ASSERT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_DONTROUTE, 1), 0);
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "192.168.7.7", 5300), -abi::kENETUNREACH);
  EXPECT_EQ(a.SendTo(s, Bytes("local"), "10.0.0.2", 5300), 5);
}

TEST_F(InetTest, ArpGivesUpWithHostDown) {
  inet_testing::Host a(bus_, "10.0.0.1");
  const int s = a.Socket(kDgram);
  // Nobody has 10.0.0.77: the first send is held, then ARP gives up
  // (5 requests a second apart) and later sends fail with EHOSTDOWN.
  ASSERT_EQ(a.SendTo(s, Bytes("x"), "10.0.0.77", 9), 1);
  ASSERT_TRUE(Eventually([&] { return a.inet().arp_stats().Get(inet::kArpTimeouts) == 1; },
                         absl::Seconds(20)));
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "10.0.0.77", 9), -abi::kEHOSTDOWN);
  EXPECT_EQ(a.inet().arp_stats().Get(inet::kArpSndRequest), 5u + 1u);  // + gratuitous
}

TEST_F(InetTest, SocketTypesAndOptions) {
  Host a(bus_, "10.0.0.1");
  EXPECT_GE(a.Socket(kRaw, 0), 0);
  EXPECT_GE(a.Socket(kRaw, 200), 0);
  EXPECT_EQ(a.Socket(kDgram, abi::kIPPROTO_TCP), -abi::kEPROTONOSUPPORT);
  const int u = a.Socket(kDgram);
  EXPECT_EQ(a.SetInt(u, kIp, abi::kIP_HDRINCL, 1), abi::kENOPROTOOPT);
  EXPECT_EQ(a.SetInt(u, kIp, 9999, 1), abi::kENOPROTOOPT);
  int v = -1;
  ASSERT_EQ(a.GetInt(u, kIp, abi::kIP_TTL, &v), 0);
  EXPECT_EQ(v, 64);  // net.inet.ip.ttl
  ASSERT_EQ(a.SetInt(u, kIp, abi::kIP_TOS, 0x10), 0);
  ASSERT_EQ(a.GetInt(u, kIp, abi::kIP_TOS, &v), 0);
  EXPECT_EQ(v, 0x10);
  ASSERT_EQ(a.GetInt(u, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &v), 0);
  EXPECT_EQ(v, int(abi::kUdpRecvSpace));
  ASSERT_EQ(a.GetInt(u, abi::kSOL_SOCKET, abi::kSO_SNDBUF, &v), 0);
  EXPECT_EQ(v, int(abi::kUdpSendSpace));
  const int r = a.Socket(kRaw, abi::kIPPROTO_ICMP);
  ASSERT_EQ(a.GetInt(r, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &v), 0);
  EXPECT_EQ(v, int(abi::kRipRecvSpace));
  // sysctl net.inet.ip.stats: 30 counters.
  auto mib = a.kernel().sysctl().Resolve("net.inet.ip.stats");
  ASSERT_TRUE(mib.ok()) << mib.status();
  EXPECT_EQ(*mib, (std::vector<int>{4, 2, 0, 24}));
  EXPECT_TRUE(a.kernel().sysctl().Resolve("net.inet.udp.stats").ok());
}

}  // namespace
}  // namespace rump

namespace rump {
namespace {

TEST_F(InetTest, ManyDatagramsAllArrive) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  const int sb = b.Socket(kDgram), sa = a.Socket(kDgram);
  ASSERT_EQ(b.Bind(sb, "0.0.0.0", 5400), 0);
  ASSERT_EQ(b.SetInt(sb, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 200000), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(60)), 0);  // a failure detector only
  constexpr uint32_t kCount = 2000;
  constexpr uint32_t kEndMarker = 0xffffffff;
  // Resolve b's address first: on a loaded machine the ARP reply can take
  // longer than the burst needs to overflow the resolution hold queue
  // (64 packets; NetBSD holds 1), which would drop the first datagrams.
  {
    std::vector<uint8_t> warm(8, 0xff), got;
    ASSERT_EQ(a.SendTo(sa, warm, "10.0.0.2", 5400), 8);
    ASSERT_EQ(b.RecvFrom(sb, &got, 2048), 8);
  }
  std::vector<int> seen(kCount, 0);
  std::atomic<bool> ended{false};
  std::thread reader([&] {
    std::vector<uint8_t> got;
    for (;;) {
      const int64_t n = b.RecvFrom(sb, &got, 2048);
      if (n < 4) {
        ADD_FAILURE() << "recvfrom: " << n;
        break;
      }
      uint32_t seq;
      std::memcpy(&seq, got.data(), 4);
      if (seq == kEndMarker) break;
      if (seq < kCount) ++seen[seq];
    }
    ended = true;
  });
  for (uint32_t i = 0; i < kCount; ++i) {
    std::vector<uint8_t> d(500, uint8_t(i));
    std::memcpy(d.data(), &i, 4);
    ASSERT_EQ(a.SendTo(sa, d, "10.0.0.2", 5400), 500);
    if (i % 8 == 0) absl::SleepFor(absl::Microseconds(100));  // pacing, not waiting
  }
  // The end marker follows every datagram on the bus; sent until the reader
  // has it (a marker too may be lost, and is counted like the others).
  std::vector<uint8_t> end(8, 0xff);
  EXPECT_TRUE(Eventually([&] {
    if (!ended) a.SendTo(sa, end, "10.0.0.2", 5400);
    return ended.load();
  }));
  reader.join();
  int missing = 0, dups = 0;
  for (int n : seen) {
    missing += n == 0;
    dups += n > 1;
  }
  // Every loss is counted: the receiving socket's full buffer (fullsock),
  // the interface's input queue (iqdrops), or the bus ring lapping the
  // receiver (ierrors: a lap loses one frame or more, so then the count is
  // a lower bound).
  const uint64_t fullsock = b.inet().udp_stats().Get(abi::kUdpStatFullsock);
  const uint64_t iqdrops = b.ifp().stats().iqdrops;
  const uint64_t laps = b.ifp().stats().ierrors;
  const std::string counters = absl::StrCat(
      "a sent ", a.ifp().stats().opackets, ", b's interface got ", b.ifp().stats().ipackets,
      " (laps ", laps, ", iqdrops ", iqdrops, "), b's IP ",
      b.inet().ip_stats().Get(abi::kIpStatTotal), ", b's UDP ",
      b.inet().udp_stats().Get(abi::kUdpStatIpackets), " fullsock ", fullsock);
  if (laps == 0) {
    EXPECT_EQ(uint64_t(missing), fullsock + iqdrops) << counters;
  } else {
    EXPECT_GE(uint64_t(missing), fullsock + iqdrops + 1) << counters;
  }
  EXPECT_EQ(dups, 0);
}

}  // namespace
}  // namespace rump

namespace rump {
namespace {

TEST_F(InetTest, InterfaceRoutesFollowAddressesAndState) {
  Host a(bus_, "10.0.0.1");
  const int s = a.Socket(kDgram);
  auto has_route = [&](const char* dst) { return a.inet().routes().Lookup(Ip(dst)).has_value(); };
  EXPECT_TRUE(has_route("10.0.0.77"));
  EXPECT_TRUE(has_route("127.0.0.5"));  // lo0's 127/8
  // A second address adds its network; removing it removes the route.
  ASSERT_TRUE(a.inet().AddAddress(a.ifp(), Ip("192.168.50.1"), Ip("255.255.255.0"), 0).ok());
  EXPECT_TRUE(has_route("192.168.50.9"));
  auto r = a.inet().routes().Lookup(Ip("192.168.50.9"));
  EXPECT_EQ(r->ifaddr, Ip("192.168.50.1"));
  ASSERT_TRUE(a.inet().DeleteAddress(a.ifp(), Ip("192.168.50.1")).ok());
  EXPECT_FALSE(has_route("192.168.50.9"));
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "192.168.50.9", 9), -abi::kEHOSTUNREACH);
  // A default route through a gateway on the interface's network.
  inet::Route def;
  def.gateway = Ip("10.0.0.254");
  def.is_gateway = true;
  ASSERT_TRUE(a.inet().routes().Add(def).ok());
  EXPECT_TRUE(has_route("8.8.8.8"));
  // Down: the interface routes go (the static one stays, and leads to an
  // interface that is down).
  ASSERT_TRUE(a.net().SetFlags(a.ifp(), a.ifp().flags() & ~abi::kIFF_UP).ok());
  r = a.inet().routes().Lookup(Ip("10.0.0.77"));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_gateway);  // only the default route is left
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "10.0.0.77", 9), -abi::kENETDOWN);
  EXPECT_EQ(a.SendTo(s, Bytes("x"), "8.8.8.8", 9), -abi::kENETDOWN);
  ASSERT_TRUE(a.net().SetFlags(a.ifp(), a.ifp().flags() | abi::kIFF_UP).ok());
  r = a.inet().routes().Lookup(Ip("10.0.0.77"));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->is_gateway);
  // Destroyed: everything through it goes.
  ASSERT_TRUE(a.net().DestroyInterface(a.ifp().name()).ok());
  EXPECT_FALSE(has_route("8.8.8.8"));
  EXPECT_FALSE(has_route("10.0.0.77"));
  EXPECT_TRUE(has_route("127.0.0.1"));
}

// Sets the int sysctl `dotted` on h's kernel: the errno.
int SetSysctl(Host& h, const char* dotted, int value) {
  absl::StatusOr<std::vector<int>> mib = h.kernel().sysctl().Resolve(dotted);
  if (!mib.ok()) return -1;
  std::string out;
  size_t oldlen = sizeof(int);
  return rump::testing::Sysctl(h.kernel(), *mib, &out, &oldlen, false, &value, sizeof(value));
}

TEST_F(InetTest, UdpPortAndArpSysctlsTakeEffect) {
  Host a(bus_, "10.0.0.1"), b(bus_, "10.0.0.2");
  // net.inet.udp.sendspace / recvspace: a new socket's buffers.
  ASSERT_EQ(SetSysctl(a, "net.inet.udp.sendspace", 4000), 0);
  ASSERT_EQ(SetSysctl(a, "net.inet.udp.recvspace", 5000), 0);
  EXPECT_EQ(SetSysctl(a, "net.inet.udp.recvspace", 0), abi::kEINVAL);
  const int s = a.Socket(kDgram);
  int v = 0;
  ASSERT_EQ(a.GetInt(s, abi::kSOL_SOCKET, abi::kSO_SNDBUF, &v), 0);
  EXPECT_EQ(v, 4000);
  ASSERT_EQ(a.GetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, &v), 0);
  EXPECT_EQ(v, 5000);
  ASSERT_EQ(a.Bind(s, "0.0.0.0", 0), 0);  // its port from the default range

  // net.inet.ip.anonportmin / anonportmax: where unbound sockets' ports
  // come from; two ports, then none (EAGAIN). min must stay below max.
  ASSERT_EQ(SetSysctl(a, "net.inet.ip.anonportmin", 50000), 0);
  ASSERT_EQ(SetSysctl(a, "net.inet.ip.anonportmax", 50001), 0);
  EXPECT_EQ(SetSysctl(a, "net.inet.ip.anonportmax", 49000), abi::kEINVAL);
  EXPECT_EQ(SetSysctl(a, "net.inet.ip.anonportmax", 70000), abi::kEINVAL);
  std::vector<uint16_t> ports;
  for (int i = 0; i < 2; ++i) {
    const int u = a.Socket(kDgram);
    ASSERT_EQ(a.Bind(u, "0.0.0.0", 0), 0);
    uint32_t addr = 0;
    uint16_t port = 0;
    ASSERT_EQ(a.SockName(u, &addr, &port), 0);
    ports.push_back(port);
  }
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(ports, (std::vector<uint16_t>{50000, 50001}));
  EXPECT_EQ(a.Bind(a.Socket(kDgram), "0.0.0.0", 0), abi::kEAGAIN);

  // net.inet.udp.checksum 0: datagrams go out with no checksum (0, as a
  // watcher on the bus sees), and are taken in all the same.
  absl::StatusOr<std::unique_ptr<shmif::Bus>> watcher = shmif::Bus::Attach(bus_);
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_EQ(SetSysctl(a, "net.inet.udp.checksum", 0), 0);
  const int sb = b.Socket(kDgram);
  ASSERT_EQ(b.Bind(sb, "0.0.0.0", 5000), 0);
  ASSERT_EQ(b.SetRecvTimeout(sb, absl::Seconds(10)), 0);
  ASSERT_EQ(a.SendTo(s, Bytes("bare"), "10.0.0.2", 5000), 4);
  std::vector<uint8_t> got;
  ASSERT_EQ(b.RecvFrom(sb, &got, 100), 4);
  EXPECT_EQ(got, Bytes("bare"));
  std::vector<uint8_t> frame(shmif::kMaxFrameLen);
  for (;;) {
    absl::StatusOr<shmif::ReceivedFrame> f =
        (*watcher)->Receive(absl::MakeSpan(frame), absl::Seconds(10));
    ASSERT_TRUE(f.ok()) << "the datagram never showed on the bus";
    // Ethernet, IPv4, UDP to port 5000.
    if (f->len < 14 + 20 + 8 + 4 || frame[12] != 0x08 || frame[13] != 0x00 ||
        frame[14 + 9] != abi::kIPPROTO_UDP || inet::Get16(&frame[14 + 20 + 2]) != 5000) {
      continue;
    }
    EXPECT_EQ(inet::Get16(&frame[14 + 20 + 6]), 0);
    break;
  }

  // net.inet.arp.keep: b's entry in a's cache (resolved above) lives that
  // long once re-resolved; written, it applies to the existing cache.
  ASSERT_EQ(SetSysctl(a, "net.inet.arp.keep", 1), 0);
  EXPECT_EQ(SetSysctl(a, "net.inet.arp.keep", 0), abi::kEINVAL);
  std::shared_ptr<inet::ArpCache> cache = a.inet().arp_cache(a.ifp().index());
  ASSERT_NE(cache, nullptr);
  // Forgotten after a second or so (before it, the 20-minute default).
  ASSERT_TRUE(cache->Remove(Ip("10.0.0.2"), nullptr));
  ASSERT_EQ(a.SendTo(s, Bytes("again"), "10.0.0.2", 5000), 5);
  got.clear();
  ASSERT_EQ(b.RecvFrom(sb, &got, 100), 5);
  EXPECT_TRUE(Eventually([&] { return !cache->Find(Ip("10.0.0.2"), absl::Now()).has_value(); }));
}

TEST_F(InetTest, SocketBuffersAreBoundByKernSbmax) {
  Host a(bus_, "10.0.0.1");
  const int s = a.Socket(kDgram);
  // The default (256 KiB, 209715 once scaled): 300000 is too much.
  EXPECT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 300000), abi::kENOBUFS);
  EXPECT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 200000), 0);
  ASSERT_EQ(SetSysctl(a, "kern.sbmax", 1 << 20), 0);
  EXPECT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_SNDBUF, 300000), 0);
  EXPECT_EQ(SetSysctl(a, "net.inet.udp.sendspace", 600000), 0);  // its bound too
  ASSERT_EQ(SetSysctl(a, "kern.sbmax", 16 * 1024), 0);
  EXPECT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 20000), abi::kENOBUFS);
  EXPECT_EQ(a.SetInt(s, abi::kSOL_SOCKET, abi::kSO_RCVBUF, 12000), 0);
  EXPECT_EQ(SetSysctl(a, "net.inet.udp.sendspace", 20000), abi::kEINVAL);
  // Below NetBSD's least (16 KiB): EINVAL.
  EXPECT_EQ(SetSysctl(a, "kern.sbmax", 4096), abi::kEINVAL);
}

TEST_F(InetTest, KernelSizesAreReported) {
  Host a(bus_, "10.0.0.1");
  auto read = [&](const char* dotted) {
    absl::StatusOr<std::vector<int>> mib = a.kernel().sysctl().Resolve(dotted);
    EXPECT_TRUE(mib.ok()) << dotted;
    std::string out;
    size_t len = 8;
    EXPECT_EQ(rump::testing::Sysctl(a.kernel(), mib.ok() ? *mib : std::vector<int>{}, &out, &len),
              0);
    uint64_t v = 0;
    std::memcpy(&v, out.data(), std::min(out.size(), sizeof(v)));
    return std::make_pair(v, out.size());
  };
  EXPECT_EQ(read("kern.msgbufsize"), std::make_pair(uint64_t{Kernel::kMessageBufferBytes},
                                                    size_t{4}));
  const auto [mem64, size64] = read("hw.physmem64");
  EXPECT_EQ(size64, 8u);
  EXPECT_GT(mem64, uint64_t{1} << 20);
  EXPECT_EQ(read("hw.physmem").first, std::min<uint64_t>(mem64, INT32_MAX));
}

}  // namespace
}  // namespace rump
