// ICMP redirects received (NetBSD's icmp_input and rtredirect): kernels in
// one process on one bus, a host `a` whose routes go through the router
// `r`, and a second router `c` beside them. A redirect from the router a
// uses makes a dynamic host route (or changes the gateway of a host route);
// one from anyone else, or naming a gateway a cannot reach directly or its
// own address, changes nothing. Either way net.route.stats counts it and
// a's routing sockets hear RTM_REDIRECT. The routes expire after
// net.inet.icmp.redirtimeout; net.inet.icmp.rediraccept 0 ignores them.
// Also the other net.inet.icmp settings: errors quote returndatabytes of
// the datagram, mask requests are answered with maskrepl, broadcast echo
// requests with bmcastecho.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/syscalls.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/route_table.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Ip;
using testing::Eventually;

constexpr int kRaw = abi::kSOCK_RAW;

template <typename T>
T Get(const std::vector<uint8_t>& m, size_t off) {
  T v{};
  if (off + sizeof(T) <= m.size()) std::memcpy(&v, m.data() + off, sizeof(T));
  return v;
}

// An ICMP redirect (code host) to `dst` through `gateway`, quoting a
// datagram from `from` to `dst`.
std::vector<uint8_t> Redirect(uint32_t from, uint32_t dst, uint32_t gateway) {
  std::vector<uint8_t> m(8 + 20 + 8, 0);
  m[0] = abi::kICMP_REDIRECT;
  m[1] = abi::kICMP_REDIRECT_HOST;
  inet::PutAddr(&m[4], gateway);
  inet::IpHeader q;
  q.total_len = 28;
  q.ttl = 64;
  q.proto = abi::kIPPROTO_UDP;
  q.src = from;
  q.dst = dst;
  inet::WriteIpHeader(q, &m[8]);
  inet::Put16(&m[2], inet::InetChecksum(m));
  return m;
}

class RedirectTest : public ::testing::Test {
 protected:
  RedirectTest() : a_(bus_, "10.1.0.1"), r_(bus_, "10.1.0.254"), c_(bus_, "10.1.0.3") {
    a_.AddRoute("0.0.0.0", "0.0.0.0", "10.1.0.254");
    a_.AddRoute("10.6.0.0", "255.255.255.0", "10.1.0.3");
  }

  // A raw ICMP socket on `h` whose reads wait up to 10 s.
  static int IcmpSocket(Host& h) {
    const int s = h.Socket(kRaw, abi::kIPPROTO_ICMP);
    EXPECT_GE(s, 0);
    EXPECT_EQ(h.SetRecvTimeout(s, absl::Seconds(10)), 0);
    return s;
  }
  // A routing socket on a for AF_INET, non-blocking.
  int RouteSocket() {
    const inet_testing::SysResult r = a_.Call(
        abi::kSysSocket, {uint64_t(abi::kAF_ROUTE), uint64_t(kRaw), uint64_t(abi::kAF_INET)});
    EXPECT_EQ(r.error, 0);
    EXPECT_EQ(a_.SetNonBlocking(int(r.rv)), 0);
    return int(r.rv);
  }
  // `from` sends a redirect to a; waits until a has acted on it (its
  // raw ICMP socket `seen` has it).
  void SendRedirect(Host& from, uint32_t dst, uint32_t gateway, int seen) {
    const int s = from.Socket(kRaw, abi::kIPPROTO_ICMP);
    ASSERT_GE(s, 0);
    const std::vector<uint8_t> m = Redirect(a_.addr(), dst, gateway);
    ASSERT_EQ(from.SendTo(s, m, "10.1.0.1", 0), int64_t(m.size()));
    from.Close(s);
    std::vector<uint8_t> got;
    for (;;) {
      got.clear();
      ASSERT_GE(a_.RecvFrom(seen, &got, 2048), 28) << "no redirect reached a";
      if (got[20] == abi::kICMP_REDIRECT) break;
    }
    EXPECT_EQ(Get<uint32_t>(got, 20 + 8 + 16), dst);
  }
  // The next routing message on `fd` (empty when none is queued).
  std::vector<uint8_t> NextMessage(int fd) {
    std::vector<uint8_t> m;
    if (a_.RecvFrom(fd, &m, 4096) <= 0) return {};
    return m;
  }
  // net.route.stats of a.
  uint64_t Stat(int which) { return a_.net().route_stat(which); }
  // Sets net.inet.icmp.<leaf> on h.
  static void SetIcmp(Host& h, int leaf, int value) {
    std::string out;
    size_t oldlen = sizeof(int);
    ASSERT_EQ(rump::testing::Sysctl(h.kernel(), {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_ICMP,
                                                 leaf},
                                    &out, &oldlen, false, &value, sizeof(value)),
              0);
  }
  std::optional<inet::Route> HostRoute(const char* dst) {
    return a_.inet().routes().Find(Ip(dst), 0xffffffffu, true);
  }

  inet_testing::ScratchDir dir_;
  const std::string bus_ = dir_.path() + "/bus";
  Host a_, r_, c_;
};

// The header fields and sockaddrs (dst, gateway, author) of an
// RTM_REDIRECT message.
void ExpectRedirectMessage(const std::vector<uint8_t>& m, uint32_t dst, uint32_t gateway,
                           uint32_t author, int error, int flags) {
  ASSERT_GE(m.size(), abi::kRtMsghdrSize + 3 * 16);
  EXPECT_EQ(m[abi::kRtmVersionOff], abi::kRTM_VERSION);
  EXPECT_EQ(m[abi::kRtmTypeOff], abi::kRTM_REDIRECT);
  EXPECT_EQ(Get<int32_t>(m, abi::kRtmErrnoOff), error);
  EXPECT_EQ(Get<int32_t>(m, abi::kRtmFlagsOff), flags | abi::kRTF_DONE);
  EXPECT_EQ(Get<int32_t>(m, abi::kRtmAddrsOff),
            abi::kRTA_DST | abi::kRTA_GATEWAY | abi::kRTA_AUTHOR);
  const size_t at = abi::kRtMsghdrSize + abi::kSinAddrOff;
  EXPECT_EQ(Get<uint32_t>(m, at), dst);
  EXPECT_EQ(Get<uint32_t>(m, at + 16), gateway);
  EXPECT_EQ(Get<uint32_t>(m, at + 32), author);
}

TEST_F(RedirectTest, TheRoutersRedirectSendsTrafficToTheBetterGateway) {
  const int seen = IcmpSocket(a_);
  const int rt = RouteSocket();
  // The real thing: a sends to 10.5.0.9 through r; r knows c is the way
  // and says so.
  r_.AddRoute("10.5.0.0", "255.255.255.0", "10.1.0.3");
  const int s = a_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(a_.SendTo(s, {'x'}, "10.5.0.9", 5000), 1);
  std::vector<uint8_t> got;
  ASSERT_GE(a_.RecvFrom(seen, &got, 2048), 56);  // raw sockets still hear it
  EXPECT_EQ(got[20], abi::kICMP_REDIRECT);
  std::optional<inet::Route> h = HostRoute("10.5.0.9");
  ASSERT_TRUE(h.has_value());
  EXPECT_TRUE(h->is_gateway);
  EXPECT_TRUE(h->dynamic);
  EXPECT_FALSE(h->modified);
  EXPECT_EQ(h->gateway, Ip("10.1.0.3"));
  EXPECT_EQ(a_.inet().routes().Lookup(Ip("10.5.0.9"))->gateway, Ip("10.1.0.3"));
  EXPECT_EQ(a_.inet().routes().Lookup(Ip("10.5.0.10"))->gateway, Ip("10.1.0.254"));
  EXPECT_EQ(Stat(abi::kRtStatDynamic), 1u);
  EXPECT_EQ(Stat(abi::kRtStatBadredirect), 0u);
  ExpectRedirectMessage(NextMessage(rt), Ip("10.5.0.9"), Ip("10.1.0.3"), Ip("10.1.0.254"), 0,
                        abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_HOST | abi::kRTF_DYNAMIC);
  // The next datagram goes to c directly: r forwards nothing more.
  const uint64_t forwarded = r_.inet().ip_stats().Get(abi::kIpStatForward);
  const uint64_t c_in = c_.inet().ip_stats().Get(abi::kIpStatTotal);
  ASSERT_EQ(a_.SendTo(s, {'y'}, "10.5.0.9", 5000), 1);
  EXPECT_TRUE(Eventually([&] { return c_.inet().ip_stats().Get(abi::kIpStatTotal) > c_in; }));
  EXPECT_EQ(r_.inet().ip_stats().Get(abi::kIpStatForward), forwarded);
  // netstat -rn's view (the route sysctl): UGHD.
  const std::string dump = a_.net().RouteDump(abi::kAF_INET, false, 0);
  const std::vector<uint8_t> d(dump.begin(), dump.end());
  bool listed = false;
  for (size_t at = 0; at + abi::kRtMsghdrSize <= d.size();) {
    const uint16_t len = Get<uint16_t>(d, at + abi::kRtmMsglenOff);
    ASSERT_GE(len, abi::kRtMsghdrSize);
    if (Get<uint32_t>(d, at + abi::kRtMsghdrSize + abi::kSinAddrOff) == Ip("10.5.0.9")) {
      listed = true;
      EXPECT_EQ(Get<int32_t>(d, at + abi::kRtmFlagsOff),
                abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_HOST | abi::kRTF_DYNAMIC);
    }
    at += len;
  }
  EXPECT_TRUE(listed);
}

TEST_F(RedirectTest, RedirectsThatCannotBeTrustedChangeNothing) {
  const int seen = IcmpSocket(a_);
  const int rt = RouteSocket();
  const auto before = a_.inet().routes().Entries().size();
  // From c, which is not a's router for 10.5.0.9 (r is): EINVAL.
  SendRedirect(c_, Ip("10.5.0.9"), Ip("10.1.0.3"), seen);
  ExpectRedirectMessage(NextMessage(rt), Ip("10.5.0.9"), Ip("10.1.0.3"), Ip("10.1.0.3"),
                        abi::kEINVAL, abi::kRTF_GATEWAY | abi::kRTF_HOST);
  // From c, a's router for 10.6.0.0/24: a gateway off every network of
  // a's (ENETUNREACH), and a's own address (EHOSTUNREACH).
  SendRedirect(c_, Ip("10.6.0.1"), Ip("10.9.9.9"), seen);
  ExpectRedirectMessage(NextMessage(rt), Ip("10.6.0.1"), Ip("10.9.9.9"), Ip("10.1.0.3"),
                        abi::kENETUNREACH, abi::kRTF_GATEWAY | abi::kRTF_HOST);
  SendRedirect(c_, Ip("10.6.0.1"), Ip("10.1.0.1"), seen);
  ExpectRedirectMessage(NextMessage(rt), Ip("10.6.0.1"), Ip("10.1.0.1"), Ip("10.1.0.3"),
                        abi::kEHOSTUNREACH, abi::kRTF_GATEWAY | abi::kRTF_HOST);
  EXPECT_EQ(a_.inet().routes().Entries().size(), before);
  EXPECT_EQ(Stat(abi::kRtStatBadredirect), 3u);
  EXPECT_EQ(Stat(abi::kRtStatDynamic), 0u);
  // With net.inet.icmp.rediraccept 0, even a good one is ignored, and
  // not announced (a's raw socket does not hear it either: NetBSD drops it).
  SetIcmp(a_, abi::kIcmpctlRediraccept, 0);
  const int s = r_.Socket(kRaw, abi::kIPPROTO_ICMP);
  const std::vector<uint8_t> m = Redirect(a_.addr(), Ip("10.5.0.9"), Ip("10.1.0.3"));
  ASSERT_EQ(r_.SendTo(s, m, "10.1.0.1", 0), int64_t(m.size()));
  // (An echo request behind it: once its reply is in, the redirect was
  // handled.)
  const std::vector<uint8_t> echo = inet_testing::EchoRequest(7, 7, 8);
  const int ping = IcmpSocket(r_);
  ASSERT_EQ(r_.SendTo(ping, echo, "10.1.0.1", 0), int64_t(echo.size()));
  std::vector<uint8_t> got;
  ASSERT_GE(r_.RecvFrom(ping, &got, 2048), 28);
  EXPECT_FALSE(HostRoute("10.5.0.9").has_value());
  EXPECT_TRUE(NextMessage(rt).empty());
  EXPECT_EQ(Stat(abi::kRtStatBadredirect), 3u);
}

TEST_F(RedirectTest, ASecondRedirectChangesTheGatewayAndRoutesExpire) {
  const int seen = IcmpSocket(a_);
  const int rt = RouteSocket();
  // c, a's router for 10.6.0.0/24, says r is better for 10.6.0.1.
  SendRedirect(c_, Ip("10.6.0.1"), Ip("10.1.0.254"), seen);
  ASSERT_TRUE(HostRoute("10.6.0.1").has_value());
  EXPECT_EQ(HostRoute("10.6.0.1")->gateway, Ip("10.1.0.254"));
  (void)NextMessage(rt);
  // Now r is the router for 10.6.0.1; it sends it back to c: the host
  // route's gateway changes (RTF_MODIFIED).
  SendRedirect(r_, Ip("10.6.0.1"), Ip("10.1.0.3"), seen);
  std::optional<inet::Route> h = HostRoute("10.6.0.1");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->gateway, Ip("10.1.0.3"));
  EXPECT_TRUE(h->modified);
  EXPECT_TRUE(h->dynamic);
  EXPECT_EQ(Stat(abi::kRtStatDynamic), 1u);
  EXPECT_EQ(Stat(abi::kRtStatNewgateway), 1u);
  ExpectRedirectMessage(NextMessage(rt), Ip("10.6.0.1"), Ip("10.1.0.3"), Ip("10.1.0.254"), 0,
                        abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_HOST |
                            abi::kRTF_MODIFIED | abi::kRTF_DYNAMIC);
  // With a lifetime of 1 s, a new redirect's route goes by itself.
  SetIcmp(a_, abi::kIcmpctlRedirtimeout, 1);
  SendRedirect(r_, Ip("10.5.0.7"), Ip("10.1.0.3"), seen);
  ASSERT_TRUE(HostRoute("10.5.0.7").has_value());
  EXPECT_TRUE(Eventually([&] { return !HostRoute("10.5.0.7").has_value(); }));
  EXPECT_EQ(a_.inet().routes().Lookup(Ip("10.5.0.7"))->gateway, Ip("10.1.0.254"));
  // The one made with the default lifetime (600 s) is still there.
  EXPECT_TRUE(HostRoute("10.6.0.1").has_value());
}

TEST_F(RedirectTest, ErrorsQuoteReturndatabytes) {
  // A datagram to a closed port of r: the port unreachable quotes the
  // header and 8 bytes (28 in all), then, with returndatabytes 64, 64.
  const int seen = IcmpSocket(a_);
  const int s = a_.Socket(abi::kSOCK_DGRAM);
  const std::vector<uint8_t> payload(200, 'p');
  for (int bytes : {8, 64}) {
    SetIcmp(r_, abi::kIcmpctlReturndatabytes, bytes);
    ASSERT_EQ(a_.SendTo(s, payload, "10.1.0.254", 9), int64_t(payload.size()));
    std::vector<uint8_t> got;
    do {
      got.clear();
      ASSERT_GE(a_.RecvFrom(seen, &got, 2048), 28);
    } while (got[20] != abi::kICMP_UNREACH);
    EXPECT_EQ(got.size(), size_t(20 + 8 + 20 + bytes));
  }
  // Out of NetBSD's range (8..512): EINVAL.
  std::string out;
  size_t oldlen = sizeof(int);
  const int bad = 4;
  EXPECT_EQ(rump::testing::Sysctl(r_.kernel(), {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_ICMP,
                                                abi::kIcmpctlReturndatabytes},
                                  &out, &oldlen, false, &bad, sizeof(bad)),
            abi::kEINVAL);
}

TEST_F(RedirectTest, MaskRequestsAndBroadcastEchoAreAnsweredWhenAsked) {
  const int ping = IcmpSocket(a_);
  // An address mask request (type 17, 12 bytes) to r: ignored by default;
  // with maskrepl, the reply carries r's netmask.
  std::vector<uint8_t> req(12, 0);
  req[0] = abi::kICMP_MASKREQ;
  inet::Put16(&req[4], 0x55);
  inet::Put16(&req[2], inet::InetChecksum(req));
  SetIcmp(r_, abi::kIcmpctlMaskrepl, 1);
  ASSERT_EQ(a_.SendTo(ping, req, "10.1.0.254", 0), int64_t(req.size()));
  std::vector<uint8_t> got;
  do {
    got.clear();
    ASSERT_GE(a_.RecvFrom(ping, &got, 2048), 32);
  } while (got[20] != abi::kICMP_MASKREPLY);
  EXPECT_EQ(Get<uint32_t>(got, 12), Ip("10.1.0.254"));
  EXPECT_EQ(Get<uint32_t>(got, 20 + 8), Ip("255.255.255.0"));
  EXPECT_EQ(inet::InetChecksum(absl::MakeConstSpan(got).subspan(20)), 0);
  // An echo request to the broadcast address: with bmcastecho, r and c
  // answer, each from its own address.
  SetIcmp(r_, abi::kIcmpctlBmcastecho, 1);
  SetIcmp(c_, abi::kIcmpctlBmcastecho, 1);
  ASSERT_EQ(a_.SetInt(ping, abi::kSOL_SOCKET, abi::kSO_BROADCAST, 1), 0);
  const std::vector<uint8_t> echo = inet_testing::EchoRequest(9, 1, 8);
  ASSERT_EQ(a_.SendTo(ping, echo, "10.1.0.255", 0), int64_t(echo.size()));
  std::vector<uint32_t> from;
  while (from.size() < 2) {
    got.clear();
    uint32_t f = 0;
    ASSERT_GE(a_.RecvFrom(ping, &got, 2048, &f), 28);
    if (got[20] == abi::kICMP_ECHOREPLY) from.push_back(f);
  }
  std::sort(from.begin(), from.end());
  EXPECT_EQ(from, (std::vector<uint32_t>{std::min(Ip("10.1.0.3"), Ip("10.1.0.254")),
                                         std::max(Ip("10.1.0.3"), Ip("10.1.0.254"))}));
}

}  // namespace
}  // namespace rump
