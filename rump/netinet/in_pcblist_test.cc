// net.inet.udp.pcblist and net.inet.raw.pcblist through __sysctl on a
// kernel with sockets in every state: the 640-byte records at NetBSD's
// offsets, their join with kern.file2, the size query, short buffers,
// counts and errors; and a protocol's own fields (what TCP adds).
#include "rump/netinet/in_pcblist.h"

#include <arpa/inet.h>

#include <climits>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/abi/tcp.h"
#include "rump/netinet/inet_testing.h"
#include "rump/netinet/tcp_socket.h"
#include "tests/support/eventually.h"

namespace rump {
namespace {

using inet_testing::Host;
using inet_testing::Ip;
using inet_testing::ScratchDir;
using rump::testing::Eventually;

constexpr size_t kRec = abi::kKinfoPcbSize;

uint64_t P(const void* p) { return reinterpret_cast<uint64_t>(p); }

template <typename T>
T At(const std::string& buf, size_t off) {
  T v;
  std::memcpy(&v, buf.data() + off, sizeof(v));
  return v;
}

// A sockaddr_in as the record holds it, and the rest of its 264 bytes.
std::string SinBytes(const std::string& addr, uint16_t port) {
  std::string s(abi::kKinfoPcbAddrSize, '\0');
  s[0] = 16;
  s[1] = char(abi::kAF_INET);
  s[2] = char(port >> 8);
  s[3] = char(port & 0xff);
  const uint32_t a = Ip(addr);
  std::memcpy(&s[4], &a, 4);
  return s;
}
const std::string kNoAddress(abi::kKinfoPcbAddrSize, '\0');

// One record, read at NetBSD's byte offsets (not through abi::KinfoPcb).
struct Pcb {
  explicit Pcb(const std::string& r)
      : pcbaddr(At<uint64_t>(r, 0)),
        ppcbaddr(At<uint64_t>(r, 8)),
        sockaddr(At<uint64_t>(r, 16)),
        family(At<uint32_t>(r, 24)),
        type(At<uint32_t>(r, 28)),
        protocol(At<uint32_t>(r, 32)),
        pflags(At<uint32_t>(r, 36)),
        sostate(At<uint32_t>(r, 40)),
        prstate(At<uint32_t>(r, 44)),
        tstate(At<int32_t>(r, 48)),
        tflags(At<uint32_t>(r, 52)),
        rcvq(At<uint64_t>(r, 56)),
        sndq(At<uint64_t>(r, 64)),
        src(r.substr(72, 264)),
        dst(r.substr(336, 264)),
        tail(r.substr(600, 40)) {}
  uint64_t pcbaddr, ppcbaddr, sockaddr;
  uint32_t family, type, protocol, pflags, sostate, prstate;
  int32_t tstate;
  uint32_t tflags;
  uint64_t rcvq, sndq;
  std::string src, dst, tail;
  uint16_t lport() const { return uint16_t(uint8_t(src[2]) << 8 | uint8_t(src[3])); }
};

class PcbListTest : public ::testing::Test {
 protected:
  PcbListTest() : host_(dir_.path() + "/bus", "10.3.0.1") {}

  int Sysctl(const std::vector<int>& name, void* oldp, size_t* oldlenp) {
    return host_
        .Call(abi::kSysSysctl, {P(name.data()), name.size(), P(oldp), P(oldlenp), 0, 0})
        .error;
  }
  // The MIB of `dotted` with {PCB_ALL, 0, elem_size, elem_count} after it.
  std::vector<int> Mib(const std::string& dotted, int elem_size = int(kRec),
                       int count = INT_MAX) {
    absl::StatusOr<std::vector<int>> m = host_.kernel().sysctl().Resolve(dotted);
    EXPECT_TRUE(m.ok()) << m.status();
    std::vector<int> mib = m.ok() ? *m : std::vector<int>{};
    mib.insert(mib.end(), {abi::kPcbAll, 0, elem_size, count});
    return mib;
  }
  // As netstat does: a size query, then a read with the count it allows.
  std::vector<Pcb> List(const std::string& dotted) {
    std::vector<int> mib = Mib(dotted, 0, 0);
    size_t len = 0;
    EXPECT_EQ(Sysctl(mib, nullptr, &len), 0);
    EXPECT_EQ(len % kRec, 0u);
    std::string buf(len, '\0');
    mib[mib.size() - 2] = int(kRec);
    mib[mib.size() - 1] = int(len / kRec);
    EXPECT_EQ(Sysctl(mib, buf.data(), &len), 0);
    EXPECT_EQ(len % kRec, 0u);
    std::vector<Pcb> out;
    for (size_t off = 0; off + kRec <= len; off += kRec) out.emplace_back(buf.substr(off, kRec));
    return out;
  }
  // kern.file2 BYPID for pid 1: ki_fdata by descriptor.
  std::map<int, uint64_t> FileData() {
    const std::vector<int> mib = {abi::kCtlKern, abi::kKernFile2, abi::kKernFileByPid, 1,
                                  int(abi::kKinfoFileSize), INT_MAX};
    size_t len = 0;
    EXPECT_EQ(Sysctl(mib, nullptr, &len), 0);
    std::string buf(len, '\0');
    EXPECT_EQ(Sysctl(mib, buf.data(), &len), 0);
    std::map<int, uint64_t> out;
    for (size_t off = 0; off + abi::kKinfoFileSize <= len; off += abi::kKinfoFileSize) {
      const std::string r = buf.substr(off, abi::kKinfoFileSize);
      if (At<uint32_t>(r, 16) == abi::kDTYPE_SOCKET) out[At<int32_t>(r, 108)] = At<uint64_t>(r, 64);
    }
    return out;
  }

  ScratchDir dir_;
  Host host_;
};

TEST_F(PcbListTest, UdpRecords) {
  // a: bound to *:7777; b: 127.0.0.1:5555 connected to 127.0.0.1:7777;
  // c: connected without a bind (the kernel picks its address and port);
  // d: never bound, with IP_RECVDSTADDR and IP_PKTINFO.
  const int a = host_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_.Bind(a, "0.0.0.0", 7777), 0);
  const int b = host_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_.Bind(b, "127.0.0.1", 5555), 0);
  ASSERT_EQ(host_.Connect(b, "127.0.0.1", 7777), 0);
  const int c = host_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_.Connect(c, "10.3.0.9", 53), 0);
  const int d = host_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_.SetInt(d, abi::kIPPROTO_IP, abi::kIP_RECVDSTADDR, 1), 0);
  ASSERT_EQ(host_.SetInt(d, abi::kIPPROTO_IP, abi::kIP_PKTINFO, 1), 0);
  ASSERT_EQ(host_.Send(b, {'h', 'e', 'l', 'l', 'o'}), 5);

  // a's queue: the datagram and its sender's address, as NetBSD's sb_cc.
  std::vector<Pcb> pcbs;
  ASSERT_TRUE(Eventually([&] {
    pcbs = List("net.inet.udp.pcblist");
    return pcbs.size() == 4 && pcbs[3].rcvq == 16 + 5;
  }));
  // Newest first, as NetBSD's list.
  const Pcb pd = pcbs[0];  // copies: pcbs is read again below
  const Pcb pc = pcbs[1];
  const Pcb pb = pcbs[2];
  const Pcb pa = pcbs[3];

  const std::map<int, uint64_t> files = FileData();
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(pa.sockaddr, files.at(a));  // what sockstat joins on
  EXPECT_EQ(pb.sockaddr, files.at(b));
  EXPECT_EQ(pc.sockaddr, files.at(c));
  EXPECT_EQ(pd.sockaddr, files.at(d));

  for (const Pcb* p : {&pa, &pb, &pc, &pd}) {
    EXPECT_NE(p->pcbaddr, 0u);
    EXPECT_NE(p->pcbaddr, p->sockaddr);
    EXPECT_EQ(p->ppcbaddr, 0u);
    EXPECT_EQ(p->family, uint32_t(abi::kAF_INET));
    EXPECT_EQ(p->type, uint32_t(abi::kSOCK_DGRAM));
    EXPECT_EQ(p->protocol, uint32_t(abi::kIPPROTO_UDP));
    EXPECT_EQ(p->tstate, 0);
    EXPECT_EQ(p->tflags, 0u);
    EXPECT_EQ(p->sndq, 0u);
    EXPECT_EQ(p->tail, std::string(40, '\0'));
  }
  EXPECT_NE(pa.pcbaddr, pb.pcbaddr);

  EXPECT_EQ(pa.pflags, 0u);
  EXPECT_EQ(pa.sostate, 0u);
  EXPECT_EQ(pa.prstate, abi::kINP_BOUND);
  EXPECT_EQ(pa.src, SinBytes("0.0.0.0", 7777));
  EXPECT_EQ(pa.dst, kNoAddress);

  EXPECT_EQ(pb.pflags, 0u);
  EXPECT_EQ(pb.sostate, abi::kSS_ISCONNECTED);
  EXPECT_EQ(pb.prstate, abi::kINP_CONNECTED);
  EXPECT_EQ(pb.rcvq, 0u);
  EXPECT_EQ(pb.src, SinBytes("127.0.0.1", 5555));
  EXPECT_EQ(pb.dst, SinBytes("127.0.0.1", 7777));

  EXPECT_EQ(pc.pflags, abi::kINP_ANONPORT);
  EXPECT_EQ(pc.prstate, abi::kINP_CONNECTED);
  EXPECT_GE(pc.lport(), abi::kIPPORT_ANONMIN);
  EXPECT_EQ(pc.src, SinBytes("10.3.0.1", pc.lport()));
  EXPECT_EQ(pc.dst, SinBytes("10.3.0.9", 53));

  EXPECT_EQ(pd.pflags, abi::kINP_RECVDSTADDR | abi::kINP_PKTINFO);
  EXPECT_EQ(pd.sostate, 0u);
  EXPECT_EQ(pd.prstate, abi::kINP_ATTACHED);
  EXPECT_EQ(pd.src, SinBytes("0.0.0.0", 0));
  EXPECT_EQ(pd.dst, kNoAddress);

  // Disconnecting (AF_UNSPEC) makes b bound again, its address the
  // wildcard; closing a takes it off the list.
  ASSERT_EQ(host_.Disconnect(b), abi::kEAFNOSUPPORT);
  ASSERT_EQ(host_.Close(a), 0);
  pcbs = List("net.inet.udp.pcblist");
  ASSERT_EQ(pcbs.size(), 3u);
  EXPECT_EQ(pcbs[2].sockaddr, pb.sockaddr);
  EXPECT_EQ(pcbs[2].prstate, abi::kINP_BOUND);
  EXPECT_EQ(pcbs[2].sostate, 0u);
  EXPECT_EQ(pcbs[2].src, SinBytes("0.0.0.0", 5555));
  EXPECT_EQ(pcbs[2].dst, kNoAddress);
}

TEST_F(PcbListTest, RawRecords) {
  // An ICMP socket with IP_HDRINCL, bound and connected; a socket for
  // protocol 0 (made by the ICMP entry, as in our protocol table); one for
  // protocol 17 (made by the wildcard entry, protocol 0).
  const int icmp = host_.Socket(abi::kSOCK_RAW, abi::kIPPROTO_ICMP);
  ASSERT_GE(icmp, 0);
  ASSERT_EQ(host_.SetInt(icmp, abi::kIPPROTO_IP, abi::kIP_HDRINCL, 1), 0);
  ASSERT_EQ(host_.Bind(icmp, "10.3.0.1", 0), 0);
  ASSERT_EQ(host_.Connect(icmp, "10.3.0.2", 0), 0);
  const int any = host_.Socket(abi::kSOCK_RAW, 0);
  const int udp = host_.Socket(abi::kSOCK_RAW, abi::kIPPROTO_UDP);
  ASSERT_GE(udp, 0);

  const std::vector<Pcb> pcbs = List("net.inet.raw.pcblist");
  ASSERT_EQ(pcbs.size(), 3u);
  const std::map<int, uint64_t> files = FileData();
  const Pcb& pu = pcbs[0];
  const Pcb& pany = pcbs[1];
  const Pcb& pi = pcbs[2];
  EXPECT_EQ(pi.sockaddr, files.at(icmp));
  EXPECT_EQ(pany.sockaddr, files.at(any));
  EXPECT_EQ(pu.sockaddr, files.at(udp));

  EXPECT_EQ(pi.type, uint32_t(abi::kSOCK_RAW));
  EXPECT_EQ(pi.protocol, uint32_t(abi::kIPPROTO_ICMP));
  EXPECT_EQ(pi.pflags, abi::kINP_HDRINCL);
  // As NetBSD's raw sockets: connected for the socket layer, but the PCB
  // stays attached and the record shows no foreign address.
  EXPECT_EQ(pi.sostate, abi::kSS_ISCONNECTED);
  EXPECT_EQ(pi.prstate, abi::kINP_ATTACHED);
  EXPECT_EQ(pi.src, SinBytes("10.3.0.1", 0));
  EXPECT_EQ(pi.dst, kNoAddress);

  EXPECT_EQ(pany.protocol, uint32_t(abi::kIPPROTO_ICMP));
  EXPECT_EQ(pany.pflags, 0u);
  EXPECT_EQ(pany.sostate, 0u);
  EXPECT_EQ(pu.protocol, 0u);
  EXPECT_EQ(pu.src, SinBytes("0.0.0.0", 0));
  // The UDP list does not have them.
  EXPECT_TRUE(List("net.inet.udp.pcblist").empty());
}

TEST_F(PcbListTest, SizesShortBuffersCountsAndErrors) {
  for (int i = 0; i < 3; ++i) ASSERT_GE(host_.Socket(abi::kSOCK_DGRAM), 0);
  // A size query: every record plus PCB_SLOP, whatever the last four say.
  size_t len = 0;
  ASSERT_EQ(Sysctl(Mib("net.inet.udp.pcblist", 0, 0), nullptr, &len), 0);
  EXPECT_EQ(len, (3 + abi::kPcbSlop) * kRec);
  ASSERT_EQ(Sysctl(Mib("net.inet.udp.pcblist", 7, -1), nullptr, &len), 0);
  EXPECT_EQ(len, (3 + abi::kPcbSlop) * kRec);

  std::string buf(4 * kRec, 'x');
  // Room for one and a half: one record, all three reported, ENOMEM.
  len = kRec + kRec / 2;
  EXPECT_EQ(Sysctl(Mib("net.inet.udp.pcblist"), buf.data(), &len), abi::kENOMEM);
  EXPECT_EQ(len, 3 * kRec);
  EXPECT_EQ(At<uint32_t>(buf, 24), uint32_t(abi::kAF_INET));
  EXPECT_EQ(buf[kRec], 'x');
  // A count of two in a big buffer: two copied, three reported, no error.
  buf.assign(buf.size(), 'x');
  len = buf.size();
  EXPECT_EQ(Sysctl(Mib("net.inet.udp.pcblist", int(kRec), 2), buf.data(), &len), 0);
  EXPECT_EQ(len, 3 * kRec);
  EXPECT_EQ(At<uint32_t>(buf, kRec + 24), uint32_t(abi::kAF_INET));
  EXPECT_EQ(buf[2 * kRec], 'x');
  // Another record size, another number of components.
  len = buf.size();
  EXPECT_EQ(Sysctl(Mib("net.inet.udp.pcblist", int(kRec) - 8), buf.data(), &len),
            abi::kEINVAL);
  std::vector<int> three = Mib("net.inet.udp.pcblist");
  three.pop_back();
  EXPECT_EQ(Sysctl(three, buf.data(), &len), abi::kEINVAL);
  EXPECT_EQ(Sysctl(*host_.kernel().sysctl().Resolve("net.inet.udp.pcblist"), buf.data(), &len),
            abi::kEINVAL);
}

TEST_F(PcbListTest, NodesAreStructsFoundByName) {
  EXPECT_EQ(*host_.kernel().sysctl().Resolve("net.inet.udp.pcblist"),
            (std::vector<int>{abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_UDP,
                              abi::kUdpctlPcblist}));
  EXPECT_EQ(*host_.kernel().sysctl().Resolve("net.inet.raw.pcblist"),
            (std::vector<int>{abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_RAW,
                              abi::kRawctlPcblist}));
  // What libc's name walk sees: CTL_QUERY of net.inet.udp.
  abi::SysctlNode q{};
  q.flags = abi::kSysctlVersion;
  std::vector<abi::SysctlNode> kids(16);
  size_t len = kids.size() * sizeof(abi::SysctlNode);
  const std::vector<int> name = {abi::kCtlNet, abi::kAF_INET, abi::kIPPROTO_UDP,
                                 abi::kCtlQuery};
  ASSERT_EQ(host_
                .Call(abi::kSysSysctl,
                      {P(name.data()), name.size(), P(kids.data()), P(&len), P(&q), sizeof(q)})
                .error,
            0);
  bool found = false;
  for (size_t i = 0; i < len / sizeof(abi::SysctlNode); ++i) {
    if (std::string(kids[i].name) != "pcblist") continue;
    found = true;
    EXPECT_EQ(kids[i].num, abi::kUdpctlPcblist);
    EXPECT_EQ(kids[i].flags, 0x01000205u);  // a permanent struct, as NetBSD's
    EXPECT_EQ(kids[i].size, 0u);
  }
  EXPECT_TRUE(found);
}

// What TCP does: its own list with its fields filled in by a PcbFieldsFn
// (here over the UDP table, under a node of the test's own).
TEST_F(PcbListTest, ProtocolFields) {
  SysctlTree& tree = host_.kernel().sysctl();
  ASSERT_TRUE(tree.AddNode({abi::kCtlNet, abi::kAF_INET}, 200, "fake").ok());
  std::vector<uint64_t> seen;
  ASSERT_TRUE(inet::AddPcblistNode(tree, {abi::kCtlNet, abi::kAF_INET, 200}, 0x102,
                                   host_.inet().udp_pcbs(), abi::kSOCK_STREAM,
                                   abi::kIPPROTO_TCP,
                                   [&seen](const inet::PcbRow& row, abi::KinfoPcb& k) {
                                     seen.push_back(row.id);
                                     k.tstate = abi::kTCPS_ESTABLISHED;
                                     k.tflags = 0x1234;
                                     k.ppcbaddr = row.id + 1;
                                   })
                  .ok());
  // The same node again, or a parent of another depth, is refused.
  EXPECT_EQ(inet::AddPcblistNode(tree, {abi::kCtlNet, abi::kAF_INET, 200}, 0x102,
                                 host_.inet().udp_pcbs(), abi::kSOCK_STREAM, abi::kIPPROTO_TCP)
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(inet::AddPcblistNode(tree, {abi::kCtlNet, abi::kAF_INET}, 0x103,
                                 host_.inet().udp_pcbs(), abi::kSOCK_STREAM, abi::kIPPROTO_TCP)
                .code(),
            absl::StatusCode::kInvalidArgument);

  const int s = host_.Socket(abi::kSOCK_DGRAM);
  ASSERT_EQ(host_.Bind(s, "10.3.0.1", 80), 0);
  const std::vector<Pcb> pcbs = List("net.inet.fake.pcblist");
  ASSERT_EQ(pcbs.size(), 1u);
  ASSERT_EQ(seen.size(), 1u);  // the size query does not build records
  EXPECT_EQ(pcbs[0].pcbaddr, seen[0]);
  EXPECT_EQ(pcbs[0].ppcbaddr, seen[0] + 1);
  EXPECT_EQ(pcbs[0].type, uint32_t(abi::kSOCK_STREAM));
  EXPECT_EQ(pcbs[0].protocol, uint32_t(abi::kIPPROTO_TCP));
  EXPECT_EQ(pcbs[0].tstate, abi::kTCPS_ESTABLISHED);
  EXPECT_EQ(pcbs[0].tflags, 0x1234u);
  EXPECT_EQ(pcbs[0].src, SinBytes("10.3.0.1", 80));
}

// TCP's table through the hook TCP is to use (its state from the socket):
// a listener, a connection made by connect and one made by accept.
TEST_F(PcbListTest, TcpRecordsThroughTheHook) {
  SysctlTree& tree = host_.kernel().sysctl();
  ASSERT_TRUE(tree.AddNode({abi::kCtlNet, abi::kAF_INET}, 202, "tcplist").ok());
  ASSERT_TRUE(inet::AddPcblistNode(tree, {abi::kCtlNet, abi::kAF_INET, 202}, 0x102,
                                   host_.inet().tcp_pcbs(), abi::kSOCK_STREAM,
                                   abi::kIPPROTO_TCP,
                                   [](const inet::PcbRow& row, abi::KinfoPcb& k) {
                                     const auto* t = dynamic_cast<const TcpSocket*>(row.socket.get());
                                     if (t != nullptr) k.tstate = t->tcp_state();
                                   })
                  .ok());
  const int l = host_.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(host_.Bind(l, "0.0.0.0", 8080), 0);
  ASSERT_EQ(host_.Call(abi::kSysListen, {uint64_t(l), 5}).error, 0);
  const int c = host_.Socket(abi::kSOCK_STREAM);
  ASSERT_EQ(host_.Connect(c, "127.0.0.1", 8080), 0);
  const inet_testing::SysResult a = host_.Call(abi::kSysAccept, {uint64_t(l), 0, 0});
  ASSERT_EQ(a.error, 0);
  ASSERT_EQ(host_.Send(c, {'a', 'b', 'c'}), 3);

  std::vector<Pcb> pcbs;
  ASSERT_TRUE(Eventually([&] {
    pcbs = List("net.inet.tcplist.pcblist");
    return pcbs.size() == 3 && pcbs[0].rcvq == 3;
  }));
  const std::map<int, uint64_t> files = FileData();
  const Pcb& acc = pcbs[0];
  const Pcb& cli = pcbs[1];
  const Pcb& lis = pcbs[2];
  EXPECT_EQ(acc.sockaddr, files.at(int(a.rv)));
  EXPECT_EQ(cli.sockaddr, files.at(c));
  EXPECT_EQ(lis.sockaddr, files.at(l));

  EXPECT_EQ(lis.tstate, abi::kTCPS_LISTEN);
  EXPECT_EQ(lis.prstate, abi::kINP_BOUND);
  EXPECT_EQ(lis.sostate, 0u);
  EXPECT_EQ(lis.src, SinBytes("0.0.0.0", 8080));
  EXPECT_EQ(lis.dst, kNoAddress);

  EXPECT_EQ(cli.tstate, abi::kTCPS_ESTABLISHED);
  EXPECT_EQ(cli.prstate, abi::kINP_CONNECTED);
  EXPECT_EQ(cli.sostate, abi::kSS_ISCONNECTED);
  EXPECT_EQ(cli.pflags, abi::kINP_ANONPORT);
  EXPECT_EQ(cli.src, SinBytes("127.0.0.1", cli.lport()));
  EXPECT_EQ(cli.dst, SinBytes("127.0.0.1", 8080));

  EXPECT_EQ(acc.tstate, abi::kTCPS_ESTABLISHED);
  EXPECT_EQ(acc.prstate, abi::kINP_CONNECTED);  // InPcbTable::SetConnected
  EXPECT_EQ(acc.sostate, abi::kSS_ISCONNECTED);
  EXPECT_EQ(acc.src, SinBytes("127.0.0.1", 8080));
  EXPECT_EQ(acc.dst, SinBytes("127.0.0.1", cli.lport()));
  for (const Pcb* p : {&acc, &cli, &lis}) {
    EXPECT_EQ(p->type, uint32_t(abi::kSOCK_STREAM));
    EXPECT_EQ(p->protocol, uint32_t(abi::kIPPROTO_TCP));
  }
}

}  // namespace
}  // namespace rump
