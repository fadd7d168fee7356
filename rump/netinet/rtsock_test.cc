// Routing sockets and the route sysctl against one kernel with shmif0 at
// 10.7.0.1/24: what route(8) writes (RTM_ADD, RTM_CHANGE, RTM_GET,
// RTM_DELETE) changes the IPv4 routing table and is answered on every
// routing socket; malformed requests are refused with NetBSD's errno and
// change nothing; NET_RT_DUMP and NET_RT_FLAGS list the table and the ARP
// cache as NetBSD's kernel lists its own.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/syscalls.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/net/testing.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/route_table.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Ip;
using inet_testing::ScratchDir;

template <typename T>
T Get(const std::string& m, size_t off) {
  T v{};
  if (off + sizeof(T) <= m.size()) std::memcpy(&v, m.data() + off, sizeof(T));
  return v;
}
template <typename T>
void Put(std::string& m, size_t off, T v) {
  std::memcpy(&m[off], &v, sizeof(T));
}

std::string Sin(const std::string& addr) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(s.size());
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  Put<uint32_t>(s, abi::kSinAddrOff, Ip(addr));
  return s;
}

// A routing message: header, then the sockaddrs (by RTAX index) packed.
std::string Message(uint8_t type, int flags, int seq,
                    const std::vector<std::pair<int, std::string>>& sas) {
  std::string m(abi::kRtMsghdrSize, '\0');
  int addrs = 0;
  for (const auto& [index, sa] : sas) {
    addrs |= 1 << index;
    std::string padded = sa;
    padded.resize(abi::RtRoundup(sa.empty() ? 0 : uint8_t(sa[0])), '\0');
    m += padded;
  }
  Put<uint16_t>(m, abi::kRtmMsglenOff, uint16_t(m.size()));
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kRtmTypeOff] = char(type);
  Put<int32_t>(m, abi::kRtmFlagsOff, flags);
  Put<int32_t>(m, abi::kRtmAddrsOff, addrs);
  Put<int32_t>(m, abi::kRtmSeqOff, seq);
  return m;
}

// The sockaddrs of a routing message by RTAX index (empty: absent).
std::vector<std::string> Sockaddrs(const std::string& m) {
  std::vector<std::string> out(abi::kRTAX_MAX);
  const int addrs = Get<int32_t>(m, abi::kRtmAddrsOff);
  size_t at = abi::kRtMsghdrSize;
  for (int i = 0; i < abi::kRTAX_MAX && at < m.size(); ++i) {
    if ((addrs & (1 << i)) == 0) continue;
    const size_t len = uint8_t(m[at]);
    out[size_t(i)] = m.substr(at, len);
    at += abi::RtRoundup(len);
  }
  return out;
}

uint32_t AddrOf(const std::string& sa) { return Get<uint32_t>(sa, abi::kSinAddrOff); }

// A routing table as comparable tuples.
std::vector<std::vector<uint32_t>> Table(Host& h) {
  std::vector<std::vector<uint32_t>> t;
  for (const inet::Route& r : h.inet().routes().Entries()) {
    t.push_back({r.dst, r.netmask, r.gateway, uint32_t(r.ifindex), r.is_gateway, r.is_host,
                 r.is_interface});
  }
  return t;
}

class RouteSocketTest : public ::testing::Test {
 protected:
  int RouteSocket(int family = 0) {
    const inet_testing::SysResult r = h_.Call(abi::kSysSocket, {uint64_t(abi::kAF_ROUTE),
                                                                uint64_t(abi::kSOCK_RAW),
                                                                uint64_t(family)});
    return r.error != 0 ? -r.error : int(r.rv);
  }
  // write(2): 0 or the errno.
  int Write(int fd, const std::string& m) {
    const inet_testing::SysResult r =
        h_.Call(abi::kSysWrite, {uint64_t(fd), reinterpret_cast<uint64_t>(m.data()), m.size()});
    if (r.error == 0) {
      EXPECT_EQ(r.rv, int64_t(m.size()));
    }
    return r.error;
  }
  // The next message queued on `fd` ("" when none is).
  std::string Next(int fd) {
    std::vector<uint8_t> buf;  // the descriptor is non-blocking
    if (h_.RecvFrom(fd, &buf, 4096) <= 0) return "";
    return std::string(buf.begin(), buf.end());
  }
  int Pid() { return int(h_.Call(abi::kSysGetpid, {}).rv); }

  ScratchDir dir_;
  Host h_{dir_.path() + "/bus", "10.7.0.1"};
};

TEST_F(RouteSocketTest, AddChangeGetDeleteAreCarriedOutAndAnswered) {
  const int fd = RouteSocket();
  ASSERT_GE(fd, 0);
  const int monitor = RouteSocket(abi::kAF_INET);
  ASSERT_GE(monitor, 0);
  ASSERT_EQ(h_.SetNonBlocking(fd), 0);
  ASSERT_EQ(h_.SetNonBlocking(monitor), 0);
  const int gw = abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_STATIC;

  // route add default 10.7.0.2
  ASSERT_EQ(Write(fd, Message(abi::kRTM_ADD, gw, 1,
                              {{abi::kRTAX_DST, Sin("0.0.0.0")},
                               {abi::kRTAX_GATEWAY, Sin("10.7.0.2")},
                               {abi::kRTAX_NETMASK, std::string()}})),
            0);
  std::optional<inet::Route> r = h_.inet().routes().Lookup(Ip("8.8.8.8"));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->is_gateway);
  EXPECT_EQ(r->gateway, Ip("10.7.0.2"));
  // The answer, on the writer's socket and the listener's alike.
  for (int s : {fd, monitor}) {
    const std::string a = Next(s);
    ASSERT_GE(a.size(), abi::kRtMsghdrSize);
    EXPECT_EQ(Get<uint16_t>(a, abi::kRtmMsglenOff), a.size());
    EXPECT_EQ(uint8_t(a[abi::kRtmVersionOff]), abi::kRTM_VERSION);
    EXPECT_EQ(uint8_t(a[abi::kRtmTypeOff]), abi::kRTM_ADD);
    EXPECT_EQ(Get<int32_t>(a, abi::kRtmSeqOff), 1);
    EXPECT_EQ(Get<int32_t>(a, abi::kRtmPidOff), Pid());
    EXPECT_EQ(Get<int32_t>(a, abi::kRtmErrnoOff), 0);
    EXPECT_EQ(Get<int32_t>(a, abi::kRtmFlagsOff), gw | abi::kRTF_DONE);
    EXPECT_EQ(AddrOf(Sockaddrs(a)[abi::kRTAX_GATEWAY]), Ip("10.7.0.2"));
    // The interface only to a request that asks for it (NetBSD's report).
    EXPECT_TRUE(Sockaddrs(a)[abi::kRTAX_IFA].empty());
    EXPECT_TRUE(Sockaddrs(a)[abi::kRTAX_IFP].empty());
  }
  // route add -net 10.20.0.0/16 10.7.0.3, then route change to 10.7.0.4.
  std::string mask16(abi::kSinAddrOff + 2, char(0xff));
  mask16[0] = char(mask16.size());
  ASSERT_EQ(Write(fd, Message(abi::kRTM_ADD, gw, 2,
                              {{abi::kRTAX_DST, Sin("10.20.0.0")},
                               {abi::kRTAX_GATEWAY, Sin("10.7.0.3")},
                               {abi::kRTAX_NETMASK, mask16}})),
            0);
  EXPECT_EQ(h_.inet().routes().Lookup(Ip("10.20.5.5"))->gateway, Ip("10.7.0.3"));
  ASSERT_EQ(Write(fd, Message(abi::kRTM_CHANGE, gw, 3,
                              {{abi::kRTAX_DST, Sin("10.20.0.0")},
                               {abi::kRTAX_GATEWAY, Sin("10.7.0.4")},
                               {abi::kRTAX_NETMASK, mask16}})),
            0);
  EXPECT_EQ(h_.inet().routes().Lookup(Ip("10.20.5.5"))->gateway, Ip("10.7.0.4"));
  // route get 10.20.1.1: the longest match, with its netmask and source.
  while (!Next(fd).empty()) {
  }
  // (It asks for the interface, as route(8) does: an empty sockaddr_dl.)
  std::string ifp_sa(20, '\0');
  ifp_sa[0] = char(ifp_sa.size());
  ifp_sa[1] = char(abi::kAF_LINK);
  ASSERT_EQ(Write(fd, Message(abi::kRTM_GET, abi::kRTF_UP, 4,
                              {{abi::kRTAX_DST, Sin("10.20.1.1")}, {abi::kRTAX_IFP, ifp_sa}})),
            0);
  const std::string got = Next(fd);
  ASSERT_GE(got.size(), abi::kRtMsghdrSize);
  EXPECT_EQ(uint8_t(got[abi::kRtmTypeOff]), abi::kRTM_GET);
  EXPECT_EQ(Get<int32_t>(got, abi::kRtmSeqOff), 4);
  const std::vector<std::string> sa = Sockaddrs(got);
  EXPECT_EQ(AddrOf(sa[abi::kRTAX_DST]), Ip("10.20.0.0"));
  EXPECT_EQ(AddrOf(sa[abi::kRTAX_GATEWAY]), Ip("10.7.0.4"));
  EXPECT_EQ(sa[abi::kRTAX_NETMASK], std::string("\x06\xff\xff\xff\xff\xff", 6));
  EXPECT_EQ(AddrOf(sa[abi::kRTAX_IFA]), Ip("10.7.0.1"));
  EXPECT_EQ(uint8_t(sa[abi::kRTAX_IFP][1]), abi::kAF_LINK);
  // route delete default; again: ESRCH, answered with rtm_errno.
  const std::string del = Message(abi::kRTM_DELETE, gw, 5,
                                  {{abi::kRTAX_DST, Sin("0.0.0.0")},
                                   {abi::kRTAX_NETMASK, std::string()}});
  ASSERT_EQ(Write(fd, del), 0);
  EXPECT_FALSE(h_.inet().routes().Lookup(Ip("8.8.8.8")).has_value());
  while (!Next(fd).empty()) {
  }
  EXPECT_EQ(Write(fd, del), abi::kESRCH);
  const std::string err = Next(fd);
  ASSERT_GE(err.size(), abi::kRtMsghdrSize);
  EXPECT_EQ(Get<int32_t>(err, abi::kRtmErrnoOff), abi::kESRCH);
  // A route that exists already: EEXIST.
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, gw, 6,
                              {{abi::kRTAX_DST, Sin("10.20.0.0")},
                               {abi::kRTAX_GATEWAY, Sin("10.7.0.9")},
                               {abi::kRTAX_NETMASK, mask16}})),
            abi::kEEXIST);
  EXPECT_EQ(h_.inet().routes().Lookup(Ip("10.20.5.5"))->gateway, Ip("10.7.0.4"));
}

TEST_F(RouteSocketTest, MalformedRequestsAreRefusedAndChangeNothing) {
  const int fd = RouteSocket();
  ASSERT_GE(fd, 0);
  const int gw = abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_STATIC;
  const std::string good = Message(abi::kRTM_ADD, gw | abi::kRTF_HOST, 1,
                                   {{abi::kRTAX_DST, Sin("10.9.9.9")},
                                    {abi::kRTAX_GATEWAY, Sin("10.7.0.2")}});
  const auto before = Table(h_);
  // Short: less than a header, and less than its rtm_msglen.
  EXPECT_EQ(Write(fd, good.substr(0, 50)), abi::kEINVAL);
  EXPECT_EQ(Write(fd, good.substr(0, good.size() - 8)), abi::kEINVAL);
  std::string longer = good + std::string(8, '\0');
  EXPECT_EQ(Write(fd, longer), abi::kEINVAL);
  // Another version (NetBSD's answer: EPROTONOSUPPORT).
  std::string v = good;
  v[abi::kRtmVersionOff] = 3;
  EXPECT_EQ(Write(fd, v), abi::kEPROTONOSUPPORT);
  // A sockaddr that runs past the end, or is shorter than its header.
  std::string past = good;
  past[abi::kRtMsghdrSize + 16] = char(40);
  EXPECT_EQ(Write(fd, past), abi::kEINVAL);
  std::string tiny = good;
  tiny[abi::kRtMsghdrSize] = char(1);
  EXPECT_EQ(Write(fd, tiny), abi::kEINVAL);
  // Address bits beyond RTAX_MAX.
  std::string bits = good;
  Put<int32_t>(bits, abi::kRtmAddrsOff, 0x3 | 0x1000);
  EXPECT_EQ(Write(fd, bits), abi::kEINVAL);
  // A message type that is no request.
  std::string type = good;
  type[abi::kRtmTypeOff] = char(abi::kRTM_IFINFO);
  EXPECT_EQ(Write(fd, type), abi::kEOPNOTSUPP);
  // No destination; a destination of another family; no gateway.
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, gw, 2, {{abi::kRTAX_GATEWAY, Sin("10.7.0.2")}})),
            abi::kEINVAL);
  std::string link_dst = Sin("10.9.9.9");
  link_dst[abi::kSinFamilyOff] = char(abi::kAF_LINK);
  EXPECT_NE(Write(fd, Message(abi::kRTM_ADD, gw, 3,
                              {{abi::kRTAX_DST, link_dst}, {abi::kRTAX_GATEWAY, Sin("10.7.0.2")}})),
            0);
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, gw | abi::kRTF_HOST, 4,
                              {{abi::kRTAX_DST, Sin("10.9.9.9")}})),
            abi::kEINVAL);
  // A netmask that is not contiguous.
  std::string holes(abi::kSinAddrOff + 3, '\0');
  holes[0] = char(holes.size());
  holes[abi::kSinAddrOff] = char(0xff);
  holes[abi::kSinAddrOff + 2] = char(0xff);
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, gw, 5,
                              {{abi::kRTAX_DST, Sin("10.9.0.0")},
                               {abi::kRTAX_GATEWAY, Sin("10.7.0.2")},
                               {abi::kRTAX_NETMASK, holes}})),
            abi::kEINVAL);
  // A gateway no interface reaches.
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, gw | abi::kRTF_HOST, 6,
                              {{abi::kRTAX_DST, Sin("10.9.9.9")},
                               {abi::kRTAX_GATEWAY, Sin("192.168.1.1")}})),
            abi::kENETUNREACH);
  EXPECT_EQ(Table(h_), before);
  // The well-formed one works.
  EXPECT_EQ(Write(fd, good), 0);
  EXPECT_EQ(Table(h_).size(), before.size() + 1);
}

// The messages of a route sysctl answer, split on rtm_msglen.
std::vector<std::string> Split(const std::string& all) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at + 2 <= all.size()) {
    const size_t len = Get<uint16_t>(all, at);
    if (len == 0 || at + len > all.size()) break;
    out.push_back(all.substr(at, len));
    at += len;
  }
  EXPECT_EQ(at, all.size());
  return out;
}

TEST_F(RouteSocketTest, RouteSysctlListsRoutesAndNeighboursAsNetBsd) {
  inet::Route def;
  def.gateway = Ip("10.7.0.2");
  def.is_gateway = true;
  ASSERT_TRUE(h_.inet().routes().Add(def).ok());
  auto dump = [&](int op, int arg) {
    std::string out;
    size_t len = 0;
    const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, abi::kAF_INET, op, arg};
    EXPECT_EQ(testing::Sysctl(h_.kernel(), mib, nullptr, &len, /*query_size=*/true), 0);
    EXPECT_EQ(testing::Sysctl(h_.kernel(), mib, &out, &len), 0);
    return Split(out);
  };
  // By destination: default, 10.7.0/24 (the interface's, cloning), the
  // local route of 10.7.0.1 through lo0, that of 127.0.0.1.
  const std::vector<std::string> routes = dump(abi::kNET_RT_DUMP, 0);
  ASSERT_EQ(routes.size(), 4u);
  const int up = abi::kRTF_UP;
  const std::vector<int> flags = {
      up | abi::kRTF_GATEWAY | abi::kRTF_STATIC, up | abi::kRTF_CLONING,
      up | abi::kRTF_HOST | abi::kRTF_LOCAL | abi::kRTF_LLINFO,
      up | abi::kRTF_HOST | abi::kRTF_LOCAL};
  const std::vector<std::string> dsts = {"0.0.0.0", "10.7.0.0", "10.7.0.1", "127.0.0.1"};
  for (size_t i = 0; i < routes.size(); ++i) {
    EXPECT_EQ(uint8_t(routes[i][abi::kRtmTypeOff]), abi::kRTM_GET) << i;
    EXPECT_EQ(Get<int32_t>(routes[i], abi::kRtmFlagsOff), flags[i]) << i;
    EXPECT_EQ(AddrOf(Sockaddrs(routes[i])[abi::kRTAX_DST]), Ip(dsts[i])) << i;
  }
  // The radix tree's netmasks: empty for the default route, cut after the
  // last non-zero byte with all-ones family and port for /24.
  EXPECT_EQ(Sockaddrs(routes[0])[abi::kRTAX_NETMASK], "");
  EXPECT_NE(Get<int32_t>(routes[0], abi::kRtmAddrsOff) & abi::kRTA_NETMASK, 0);
  EXPECT_EQ(Sockaddrs(routes[1])[abi::kRTAX_NETMASK], std::string("\x07\xff\xff\xff\xff\xff\xff", 7));
  // NET_RT_FLAGS with RTF_GATEWAY: the default route only; with 0: the
  // ARP entries (our own address, permanent: rmx_expire 0).
  EXPECT_EQ(dump(abi::kNET_RT_FLAGS, abi::kRTF_GATEWAY).size(), 1u);
  const std::vector<std::string> arp = dump(abi::kNET_RT_FLAGS, 0);
  ASSERT_EQ(arp.size(), 1u);
  EXPECT_EQ(Get<int32_t>(arp[0], abi::kRtmFlagsOff),
            abi::kRTF_HOST | abi::kRTF_LLINFO | abi::kRTF_STATIC);
  EXPECT_EQ(Get<int64_t>(arp[0], abi::kRtmRmxOff + abi::kRmxExpireOff), 0);
  const std::string sdl = Sockaddrs(arp[0])[abi::kRTAX_GATEWAY];
  ASSERT_EQ(sdl.size(), abi::SockaddrDlLen(0, 6));
  EXPECT_EQ(sdl.substr(abi::kSdlDataOff),
            std::string(h_.ifp().lladdr().begin(), h_.ifp().lladdr().end()));
}

// A struct sockaddr_dl (20 bytes) of interface `index`, type Ethernet,
// holding `mac` (none: alen 0), as arp(8) sends it.
std::string Sdl(int index, const std::vector<uint8_t>& mac) {
  std::string s(abi::kSockaddrDlSize, '\0');
  s[abi::kSdlLenOff] = char(s.size());
  s[abi::kSdlFamilyOff] = char(abi::kAF_LINK);
  Put<uint16_t>(s, abi::kSdlIndexOff, uint16_t(index));
  s[abi::kSdlTypeOff] = char(abi::kIFT_ETHER);
  s[abi::kSdlAlenOff] = char(mac.size());
  s.replace(abi::kSdlDataOff, mac.size(), std::string(mac.begin(), mac.end()));
  return s;
}

// The MAC address a link-level sockaddr holds ("" with none).
std::string LinkAddr(const std::string& sdl) {
  const size_t nlen = uint8_t(sdl[abi::kSdlNlenOff]), alen = uint8_t(sdl[abi::kSdlAlenOff]);
  return sdl.substr(abi::kSdlDataOff + nlen, alen);
}

// What NetBSD 7's arp(8) writes: RTM_GET with RTF_LLINFO and RTA_IFP
// asked for (no sockaddr for it), RTM_ADD of a neighbour with a link-level
// gateway (permanent, or with rmx_expire and RTV_EXPIRE), RTM_DELETE of
// the looked-up entry; the ARP cache changes as asked, the route sysctl
// shows it, and our own addresses are left alone.
TEST_F(RouteSocketTest, ArpRequestsSetGetAndDeleteNeighbours) {
  const int fd = RouteSocket();
  ASSERT_GE(fd, 0);
  ASSERT_EQ(h_.SetNonBlocking(fd), 0);
  const int index = h_.ifp().index();
  auto get = [&](const std::string& host, int seq) {
    std::string m = Message(abi::kRTM_GET, abi::kRTF_LLINFO, seq, {{abi::kRTAX_DST, Sin(host)}});
    Put<int32_t>(m, abi::kRtmAddrsOff, abi::kRTA_DST | abi::kRTA_IFP);
    while (!Next(fd).empty()) {
    }
    const int e = Write(fd, m);
    return std::make_pair(e, e == 0 ? Next(fd) : std::string());
  };
  // An on-link host with no entry: the neighbour itself, no link address.
  auto [e1, none] = get("10.7.0.5", 1);
  ASSERT_EQ(e1, 0);
  std::vector<std::string> sa = Sockaddrs(none);
  EXPECT_EQ(AddrOf(sa[abi::kRTAX_DST]), Ip("10.7.0.5"));
  ASSERT_GE(sa[abi::kRTAX_GATEWAY].size(), abi::kSdlDataOff);
  EXPECT_EQ(uint8_t(sa[abi::kRTAX_GATEWAY][abi::kSdlFamilyOff]), abi::kAF_LINK);
  EXPECT_EQ(Get<uint16_t>(sa[abi::kRTAX_GATEWAY], abi::kSdlIndexOff), index);
  EXPECT_EQ(uint8_t(sa[abi::kRTAX_GATEWAY][abi::kSdlTypeOff]), abi::kIFT_ETHER);
  EXPECT_EQ(LinkAddr(sa[abi::kRTAX_GATEWAY]), "");
  const int got_flags = Get<int32_t>(none, abi::kRtmFlagsOff);
  EXPECT_EQ(got_flags & (abi::kRTF_LLINFO | abi::kRTF_GATEWAY), abi::kRTF_LLINFO);
  EXPECT_EQ(AddrOf(sa[abi::kRTAX_IFA]), Ip("10.7.0.1"));

  // arp -s 10.7.0.5 02:00:00:00:00:05
  const std::vector<uint8_t> mac5 = {2, 0, 0, 0, 0, 5};
  const int add_flags = abi::kRTF_HOST | abi::kRTF_STATIC | abi::kRTF_LLINFO;
  std::string add = Message(abi::kRTM_ADD, add_flags, 2,
                            {{abi::kRTAX_DST, Sin("10.7.0.5")},
                             {abi::kRTAX_GATEWAY, Sdl(index, mac5)}});
  Put<uint64_t>(add, abi::kRtmInitsOff, uint64_t(abi::kRTV_EXPIRE));
  ASSERT_EQ(Write(fd, add), 0);
  const std::string added = Next(fd);
  EXPECT_EQ(Get<int32_t>(added, abi::kRtmFlagsOff), add_flags | abi::kRTF_DONE);
  auto cache = h_.inet().arp_cache(index);
  ASSERT_NE(cache, nullptr);
  std::optional<inet::MacAddress> mac = cache->Lookup(Ip("10.7.0.5"), absl::Now());
  ASSERT_TRUE(mac.has_value());
  EXPECT_TRUE(std::equal(mac->begin(), mac->end(), mac5.begin()));
  auto [e2, found] = get("10.7.0.5", 3);
  ASSERT_EQ(e2, 0);
  EXPECT_EQ(LinkAddr(Sockaddrs(found)[abi::kRTAX_GATEWAY]), std::string(mac5.begin(), mac5.end()));
  EXPECT_EQ(Get<int64_t>(found, abi::kRtmRmxOff + abi::kRmxExpireOff), 0);  // permanent

  // arp -s 10.7.0.6 02:00:00:00:00:06 temp pub: published, expiring.
  const int64_t expire = absl::ToUnixSeconds(absl::Now()) + 1200;
  std::string mask(8, '\0');
  mask[0] = 8;
  Put<uint32_t>(mask, abi::kSinAddrOff, 0xffffffffu);
  std::string pub = Message(abi::kRTM_ADD, abi::kRTF_STATIC | abi::kRTF_LLINFO | abi::kRTF_ANNOUNCE,
                            4,
                            {{abi::kRTAX_DST, Sin("10.7.0.6")},
                             {abi::kRTAX_GATEWAY, Sdl(index, {2, 0, 0, 0, 0, 6})},
                             {abi::kRTAX_NETMASK, mask}});
  Put<uint64_t>(pub, abi::kRtmInitsOff, uint64_t(abi::kRTV_EXPIRE));
  Put<int64_t>(pub, abi::kRtmRmxOff + abi::kRmxExpireOff, expire);
  ASSERT_EQ(Write(fd, pub), 0);
  EXPECT_TRUE(cache->Published(Ip("10.7.0.6"), absl::Now()).has_value());

  // The ARP table (NET_RT_FLAGS with RTF_LLINFO): only neighbours, no
  // routes (not the local route of 10.7.0.1, which has RTF_LLINFO too).
  auto arp_dump = [&] {
    std::string out;
    size_t len = 0;
    const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, abi::kAF_INET,
                                  abi::kNET_RT_FLAGS, abi::kRTF_LLINFO};
    EXPECT_EQ(testing::Sysctl(h_.kernel(), mib, nullptr, &len, /*query_size=*/true), 0);
    EXPECT_EQ(testing::Sysctl(h_.kernel(), mib, &out, &len), 0);
    return Split(out);
  };
  std::vector<std::string> table = arp_dump();
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(AddrOf(Sockaddrs(table[0])[abi::kRTAX_DST]), Ip("10.7.0.1"));
  EXPECT_EQ(AddrOf(Sockaddrs(table[1])[abi::kRTAX_DST]), Ip("10.7.0.5"));
  EXPECT_EQ(Get<int32_t>(table[1], abi::kRtmFlagsOff),
            abi::kRTF_HOST | abi::kRTF_LLINFO | abi::kRTF_STATIC);
  EXPECT_EQ(Get<int64_t>(table[1], abi::kRtmRmxOff + abi::kRmxExpireOff), 0);
  EXPECT_EQ(Get<uint16_t>(Sockaddrs(table[1])[abi::kRTAX_DST], abi::kSinOtherOff), 0);
  EXPECT_EQ(AddrOf(Sockaddrs(table[2])[abi::kRTAX_DST]), Ip("10.7.0.6"));
  EXPECT_NE(Get<int32_t>(table[2], abi::kRtmFlagsOff) & abi::kRTF_ANNOUNCE, 0);
  EXPECT_GE(Get<int64_t>(table[2], abi::kRtmRmxOff + abi::kRmxExpireOff), expire - 1);
  EXPECT_EQ(Get<uint16_t>(Sockaddrs(table[2])[abi::kRTAX_DST], abi::kSinOtherOff),
            abi::kSIN_PROXY);
  // The neighbour caches are per family: none named is EINVAL.
  size_t len = 0;
  EXPECT_EQ(testing::Sysctl(h_.kernel(),
                            {abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_FLAGS,
                             abi::kRTF_LLINFO},
                            nullptr, &len, true),
            abi::kEINVAL);

  // arp -d 10.7.0.5: the looked-up entry written back as RTM_DELETE.
  found[abi::kRtmTypeOff] = char(abi::kRTM_DELETE);
  ASSERT_EQ(Write(fd, found), 0);
  EXPECT_FALSE(cache->Lookup(Ip("10.7.0.5"), absl::Now()).has_value());
  EXPECT_EQ(Write(fd, found), abi::kENOENT);  // as NetBSD's lltable
  EXPECT_EQ(arp_dump().size(), 2u);

  // Our own address: found as local, neither deleted nor replaced.
  auto [e3, own] = get("10.7.0.1", 5);
  ASSERT_EQ(e3, 0);
  EXPECT_NE(Get<int32_t>(own, abi::kRtmFlagsOff) & abi::kRTF_LOCAL, 0);
  own[abi::kRtmTypeOff] = char(abi::kRTM_DELETE);
  EXPECT_EQ(Write(fd, own), abi::kEPERM);
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, add_flags, 6,
                              {{abi::kRTAX_DST, Sin("10.7.0.1")},
                               {abi::kRTAX_GATEWAY, Sdl(index, mac5)}})),
            abi::kEEXIST);
  // Not an Ethernet address; not on the interface's network.
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, add_flags, 7,
                              {{abi::kRTAX_DST, Sin("10.7.0.8")},
                               {abi::kRTAX_GATEWAY, Sdl(index, {2, 0})}})),
            abi::kEINVAL);
  EXPECT_EQ(Write(fd, Message(abi::kRTM_ADD, add_flags, 8,
                              {{abi::kRTAX_DST, Sin("10.9.0.8")},
                               {abi::kRTAX_GATEWAY, Sdl(index, mac5)}})),
            abi::kENETUNREACH);
  // Off-link with no route: a route lookup's answer, ESRCH.
  EXPECT_EQ(get("10.9.0.8", 9).first, abi::kESRCH);
  EXPECT_EQ(arp_dump().size(), 2u);
}

// A published entry is answered for: another kernel on the bus that asks
// for 10.7.0.77 learns the published MAC address (proxy ARP).
TEST_F(RouteSocketTest, PublishedEntriesAreAnsweredForProxyArp) {
  Host other(dir_.path() + "/bus", "10.7.0.2");
  const int fd = RouteSocket();
  ASSERT_GE(fd, 0);
  const std::vector<uint8_t> mine(h_.ifp().lladdr().begin(), h_.ifp().lladdr().end());
  ASSERT_EQ(Write(fd, Message(abi::kRTM_ADD,
                              abi::kRTF_HOST | abi::kRTF_STATIC | abi::kRTF_LLINFO |
                                  abi::kRTF_ANNOUNCE,
                              1,
                              {{abi::kRTAX_DST, Sin("10.7.0.77")},
                               {abi::kRTAX_GATEWAY, Sdl(h_.ifp().index(), mine)}})),
            0);
  const int s = other.Socket(abi::kSOCK_DGRAM);
  ASSERT_GE(s, 0);
  auto cache = other.inet().arp_cache(other.ifp().index());
  ASSERT_NE(cache, nullptr);
  // The datagram waits for the answer to the ARP request it starts.
  ASSERT_EQ(other.SendTo(s, {1}, "10.7.0.77", 9), 1);
  ASSERT_TRUE(rump::testing::Eventually(
      [&] { return cache->Lookup(Ip("10.7.0.77"), absl::Now()).has_value(); }));
  const std::optional<inet::MacAddress> got = cache->Lookup(Ip("10.7.0.77"), absl::Now());
  EXPECT_TRUE(std::equal(got->begin(), got->end(), mine.begin()));
}

TEST_F(RouteSocketTest, InterfaceChangesAreAnnounced) {
  // IPv4's messages (the kernel has inet6 too: its link-local address comes
  // and goes with the interface, announced to AF_INET6 and unfiltered
  // listeners only).
  const int fd = RouteSocket(abi::kAF_INET);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(h_.SetNonBlocking(fd), 0);
  auto types = [&] {
    std::vector<int> t;
    for (std::string m = Next(fd); !m.empty(); m = Next(fd)) {
      EXPECT_EQ(Get<uint16_t>(m, abi::kRtmMsglenOff), m.size());
      t.push_back(uint8_t(m[abi::kRtmTypeOff]));
      if (t.back() == abi::kRTM_IFANNOUNCE) {
        EXPECT_EQ(m.substr(abi::kIfanNameOff, 6), "shmif1");
        t.push_back(1000 + Get<uint16_t>(m, abi::kIfanWhatOff));
      }
    }
    return t;
  };
  absl::StatusOr<std::shared_ptr<Interface>> ifp =
      h_.net().CreateNextInterface("shmif", (dir_.path() + "/bus2").c_str());
  ASSERT_TRUE(ifp.ok()) << ifp.status();
  ASSERT_EQ((*ifp)->name(), "shmif1");
  EXPECT_EQ(types(), (std::vector<int>{abi::kRTM_IFANNOUNCE, 1000 + abi::kIFAN_ARRIVAL}));
  // An address (the interface comes up with it) with its local and
  // network routes, then down.
  ASSERT_TRUE(h_.inet().AddAddress(**ifp, Ip("10.8.0.1"), Ip("255.255.255.0"), 0).ok());
  EXPECT_EQ(types(), (std::vector<int>{abi::kRTM_IFINFO, abi::kRTM_NEWADDR, abi::kRTM_ADD,
                                       abi::kRTM_ADD}));
  ASSERT_TRUE(h_.net().SetFlags(**ifp, (*ifp)->flags() & ~abi::kIFF_UP).ok());
  EXPECT_EQ(types(), (std::vector<int>{abi::kRTM_IFINFO}));
  // A second address, then its removal: the routes it brings, as NetBSD
  // announces them (the network route's departure no longer UP).
  ASSERT_TRUE(h_.inet().AddAddress(**ifp, Ip("10.9.0.1"), Ip("255.255.0.0"), 0).ok());
  std::vector<std::string> added;
  for (std::string m = Next(fd); !m.empty(); m = Next(fd)) added.push_back(m);
  // (The address brings the interface up again: RTM_IFINFO first.)
  ASSERT_EQ(added.size(), 4u);  // IFINFO, NEWADDR, the local route, the network's
  EXPECT_EQ(uint8_t(added[0][abi::kRtmTypeOff]), abi::kRTM_IFINFO);
  EXPECT_EQ(uint8_t(added[2][abi::kRtmTypeOff]), abi::kRTM_ADD);
  EXPECT_EQ(Get<int32_t>(added[2], abi::kRtmFlagsOff),
            abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_LLINFO | abi::kRTF_LOCAL);
  EXPECT_EQ(Get<int32_t>(added[2], abi::kRtmAddrsOff), abi::kRTA_DST | abi::kRTA_GATEWAY);
  EXPECT_EQ(AddrOf(Sockaddrs(added[2])[abi::kRTAX_DST]), Ip("10.9.0.1"));
  EXPECT_EQ(Get<int32_t>(added[3], abi::kRtmFlagsOff),
            abi::kRTF_UP | abi::kRTF_DONE | abi::kRTF_CONNECTED);
  EXPECT_EQ(AddrOf(Sockaddrs(added[3])[abi::kRTAX_DST]), Ip("10.9.0.0"));
  EXPECT_EQ(AddrOf(Sockaddrs(added[3])[abi::kRTAX_IFA]), Ip("10.9.0.1"));
  EXPECT_EQ(Sockaddrs(added[3])[abi::kRTAX_NETMASK], std::string("\x06\xff\xff\xff\xff\xff", 6));
  ASSERT_TRUE(h_.inet().DeleteAddress(**ifp, Ip("10.9.0.1")).ok());
  std::vector<std::string> removed;
  for (std::string m = Next(fd); !m.empty(); m = Next(fd)) removed.push_back(m);
  ASSERT_EQ(removed.size(), 3u);
  EXPECT_EQ(uint8_t(removed[0][abi::kRtmTypeOff]), abi::kRTM_DELETE);
  EXPECT_EQ(Get<int32_t>(removed[0], abi::kRtmFlagsOff), abi::kRTF_DONE | abi::kRTF_CONNECTED);
  EXPECT_EQ(AddrOf(Sockaddrs(removed[0])[abi::kRTAX_DST]), Ip("10.9.0.0"));
  EXPECT_EQ(Get<int32_t>(removed[1], abi::kRtmFlagsOff),
            abi::kRTF_UP | abi::kRTF_HOST | abi::kRTF_DONE | abi::kRTF_LLINFO | abi::kRTF_LOCAL);
  EXPECT_EQ(uint8_t(removed[2][abi::kRtmTypeOff]), abi::kRTM_DELADDR);
  ASSERT_TRUE(h_.net().DestroyInterface("shmif1").ok());
  EXPECT_EQ(types(), (std::vector<int>{abi::kRTM_DELETE, abi::kRTM_DELETE, abi::kRTM_DELADDR,
                                       abi::kRTM_IFANNOUNCE, 1000 + abi::kIFAN_DEPARTURE}));
}

}  // namespace
}  // namespace rump
