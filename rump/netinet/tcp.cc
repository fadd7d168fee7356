#include "rump/netinet/tcp.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/in_pcblist.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/tcp_socket.h"

namespace rump::inet {

Tcp::Tcp(Inet& inet)
    : inet_(inet),
      epoch_(absl::Now()),
      rst_limiter_(abi::kTcpRstPpsLimit),
      ack_limiter_(abi::kTcpRstPpsLimit) {}

Tcp::~Tcp() { Detach(); }

ProtoSwitch Tcp::Switch() {
  ProtoSwitch pr;
  pr.type = abi::kSOCK_STREAM;
  pr.protocol = abi::kIPPROTO_TCP;
  pr.name = "tcp";
  pr.input = [this](Interface& ifp, absl::Span<const uint8_t> packet, const IpHeader& h,
                    bool broadcast) { return Input(ifp, packet, h, broadcast); };
  pr.ctlinput = [this](const ControlInput& c) { CtlInput(c); };
  pr.make_socket = [this](NetStack& net, int type, int protocol, int file_flags) {
    return MakeSocket(net, type, protocol, file_flags);
  };
  return pr;
}

uint32_t Tcp::TimestampNow() const {
  return uint32_t(absl::ToInt64Milliseconds(absl::Now() - epoch_)) + 1;
}

bool Tcp::Input(Interface&, absl::Span<const uint8_t> packet, const IpHeader& h,
                bool broadcast) {
  stats_.Inc(abi::kTcpStatRcvtotal);
  const absl::Span<const uint8_t> seg_bytes = packet.subspan(h.hlen);
  // Segments to broadcast or multicast addresses are never TCP's.
  if (broadcast || IsMulticast(h.dst) || IsMulticast(h.src) || h.src == 0xffffffffu) {
    return true;
  }
  if (seg_bytes.size() < kTcpHeaderLen) {
    stats_.Inc(abi::kTcpStatRcvshort);
    return true;
  }
  absl::StatusOr<TcpSegment> seg = ParseTcpSegment(seg_bytes, h.src, h.dst);
  if (!seg.ok()) {
    const size_t off = size_t(seg_bytes[12] >> 4) * 4;
    stats_.Inc(off < kTcpHeaderLen || off > seg_bytes.size() ? abi::kTcpStatRcvbadoff
                                                             : abi::kTcpStatRcvbadsum);
    return true;
  }
  // A connection that reaches CLOSED while the segment is on its way in
  // (TIME_WAIT ending, a SYN that reopens it) gives it back: look again.
  for (int tries = 0; tries < 3; ++tries) {
    std::vector<std::shared_ptr<InetSocket>> socks =
        pcbs_.LookupDatagram(h.src, seg->header.sport, h.dst, seg->header.dport, false);
    if (socks.empty()) break;
    auto s = std::static_pointer_cast<TcpSocket>(socks.front());
    if (s->Input(*seg, h.src, h.dst)) return true;
  }
  stats_.Inc(abi::kTcpStatNoport);
  SendReset(h.src, h.dst, *seg);
  return true;
}

void Tcp::SendReset(uint32_t src, uint32_t dst, const TcpSegment& seg) {
  const TcpHeader& th = seg.header;
  if (th.has(kTcpRst)) return;  // never answer a RST
  rst_limiter_.set_limit(tunables_.rstppslimit.load());
  if (!rst_limiter_.Allow(absl::Now())) return;
  TcpHeader r;
  r.sport = th.dport;
  r.dport = th.sport;
  if (th.has(kTcpAck)) {
    r.seq = th.ack;
    r.flags = kTcpRst;
  } else {
    uint32_t len = uint32_t(seg.payload.size());
    if (th.has(kTcpSyn)) ++len;
    if (th.has(kTcpFin)) ++len;
    r.seq = TcpSeq(0);
    r.ack = th.seq + len;
    r.flags = kTcpRst | kTcpAck;
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = BuildTcpSegment(r, TcpOptions(), {}, dst, src);
  if (!bytes.ok()) return;
  Inet::OutputRequest out;
  out.src = dst;
  out.dst = src;
  out.proto = abi::kIPPROTO_TCP;
  out.payload = *bytes;
  if (inet_.Output(out).ok()) {
    stats_.Inc(abi::kTcpStatSndtotal);
    stats_.Inc(abi::kTcpStatSndctrl);
  }
}

bool Tcp::AllowChallengeAck() {
  ack_limiter_.set_limit(tunables_.ackdropppslimit.load());
  return ack_limiter_.Allow(absl::Now());
}

void Tcp::CtlInput(const ControlInput& c) {
  const absl::Span<const uint8_t> ports = c.inner_payload();
  const uint16_t sport = Get16(ports.data()), dport = Get16(ports.data() + 2);
  for (const std::shared_ptr<InetSocket>& s :
       pcbs_.LookupConnected(c.inner_src(), sport, c.inner_dst(), dport)) {
    std::static_pointer_cast<TcpSocket>(s)->CtlInput(c);
  }
}

absl::StatusOr<std::shared_ptr<Socket>> Tcp::MakeSocket(NetStack& net, int, int,
                                                        int file_flags) {
  auto s = std::make_shared<TcpSocket>(inet_, *this, net, file_flags);
  s->AttachPcb(s);
  return s;
}

void Tcp::Adopt(std::shared_ptr<TcpSocket> s) {
  std::lock_guard<std::mutex> lock(orphans_mu_);
  if (detached_) return;
  const TcpSocket* key = s.get();
  orphans_.emplace(key, std::move(s));
}

void Tcp::Release(const TcpSocket* s) {
  std::shared_ptr<TcpSocket> last;  // destroyed after the lock is let go
  std::lock_guard<std::mutex> lock(orphans_mu_);
  auto it = orphans_.find(s);
  if (it == orphans_.end()) return;
  last = std::move(it->second);
  orphans_.erase(it);
}

size_t Tcp::orphans() const {
  std::lock_guard<std::mutex> lock(orphans_mu_);
  return orphans_.size();
}

std::string Tcp::DebugConnections() const {
  std::string out;
  std::vector<std::shared_ptr<TcpSocket>> orphans;
  {
    std::lock_guard<std::mutex> lock(orphans_mu_);
    for (const auto& [key, s] : orphans_) orphans.push_back(s);
  }
  for (const PcbRow& row : pcbs_.Rows()) {
    if (auto* s = dynamic_cast<const TcpSocket*>(row.socket.get())) {
      out += s->DebugString() + "\n";
    }
  }
  for (const auto& s : orphans) out += "orphan " + s->DebugString() + "\n";
  return out;
}

void Tcp::Detach() {
  std::unordered_map<const TcpSocket*, std::shared_ptr<TcpSocket>> gone;
  {
    std::lock_guard<std::mutex> lock(orphans_mu_);
    detached_ = true;
    gone.swap(orphans_);
  }
}

absl::Status Tcp::AddSysctlNodes(SysctlTree& tree) {
  const int net = abi::kCtlNet, inet = abi::kAF_INET, tcp = abi::kIPPROTO_TCP;
  const std::vector<int> path = {net, inet, tcp};
  std::vector<absl::StatusOr<int>> r;
  r.push_back(tree.AddNode({net, inet}, tcp, "tcp", "TCP related settings"));
  auto positive = [](int v) { return v > 0; };
  auto flag = [](int v) { return v == 0 || v == 1; };
  auto add = [&](int num, const char* name, std::atomic<int>* v, const char* desc,
                 std::function<bool(int)> check) {
    r.push_back(tree.AddLeaf(path, num, name, SysctlIntLeaf(v, desc, std::move(check))));
  };
  TcpTunables& t = tunables_;
  add(abi::kTcpctlRfc1323, "rfc1323", &t.rfc1323, "Enable RFC1323 TCP extensions", flag);
  add(abi::kTcpctlSendspace, "sendspace", &t.sendspace, "Default TCP send buffer size",
      [](int v) { return v > 0 && v <= 256 * 1024 * 4; });
  add(abi::kTcpctlRecvspace, "recvspace", &t.recvspace, "Default TCP receive buffer size",
      [](int v) { return v > 0 && v <= 256 * 1024 * 4; });
  add(abi::kTcpctlMssdflt, "mssdflt", &t.mssdflt, "Default maximum segment size",
      [](int v) { return v >= abi::kTcpMinMss && v <= 65535 - 40; });
  add(abi::kTcpctlInitWin, "init_win", &t.init_win, "Initial TCP congestion window",
      [](int v) { return v >= 0 && v <= 10; });
  add(abi::kTcpctlMssIfmtu, "mss_ifmtu", &t.mss_ifmtu,
      "Use interface MTU for calculating MSS", flag);
  add(abi::kTcpctlWscale, "win_scale", &t.win_scale, "Use RFC1323 window scale options",
      flag);
  add(abi::kTcpctlTstamp, "timestamps", &t.timestamps, "Use RFC1323 time stamp options",
      flag);
  add(abi::kTcpctlAckOnPush, "ack_on_push", &t.ack_on_push,
      "Immediately return ACK when PSH is received", flag);
  add(abi::kTcpctlKeepidle, "keepidle", &t.keepidle, "Allowed connection idle ticks",
      positive);
  add(abi::kTcpctlKeepintvl, "keepintvl", &t.keepintvl,
      "Ticks before next keepalive probe is sent", positive);
  add(abi::kTcpctlKeepcnt, "keepcnt", &t.keepcnt, "Number of keepalive probes to send",
      positive);
  add(abi::kTcpctlLogRefused, "log_refused", &t.log_refused,
      "Log refused TCP connections", flag);
  add(abi::kTcpctlRstppslimit, "rstppslimit", &t.rstppslimit,
      "Maximum number of RST packets per second", [](int v) { return v >= -1; });
  add(abi::kTcpctlDelackTicks, "delack_ticks", &t.delack_ticks,
      "Number of ticks to delay sending an ACK", [](int v) { return v >= 0; });
  add(abi::kTcpctlInitWinLocal, "init_win_local", &t.init_win_local,
      "Initial TCP window size (in segments) for local networks",
      [](int v) { return v >= 0 && v <= 10; });
  add(abi::kTcpctlAckdropratelimit, "ackdropppslimit", &t.ackdropppslimit,
      "Maximum number of ACK-drops (challenge ACKs) per second",
      [](int v) { return v >= -1; });
  add(abi::kTcpctlLoopbackcksum, "do_loopback_cksum", &t.do_loopback_cksum,
      "Perform TCP checksum on loopback", flag);
  add(abi::kTcpctlMsl, "msl", &t.msl, "Maximum Segment Life", positive);
  add(abi::kTcpctlKeepinit, "keepinit", &t.keepinit,
      "Ticks before initial tcp connection times out", positive);
  auto bufsize = [this](int v) { return v > 0 && size_t(v) <= inet_.net().sb_max_adj(); };
  add(abi::kTcpctlSendbufAuto, "sendbuf_auto", &t.sendbuf_auto,
      "Enable automatic send buffer sizing (experimental)", flag);
  add(abi::kTcpctlSendbufInc, "sendbuf_inc", &t.sendbuf_inc,
      "Incrementor step size of automatic send buffer", bufsize);
  add(abi::kTcpctlSendbufMax, "sendbuf_max", &t.sendbuf_max,
      "Max size of automatic send buffer", bufsize);
  add(abi::kTcpctlRecvbufAuto, "recvbuf_auto", &t.recvbuf_auto,
      "Enable automatic receive buffer sizing (experimental)", flag);
  add(abi::kTcpctlRecvbufInc, "recvbuf_inc", &t.recvbuf_inc,
      "Incrementor step size of automatic receive buffer", bufsize);
  add(abi::kTcpctlRecvbufMax, "recvbuf_max", &t.recvbuf_max,
      "Max size of automatic receive buffer", bufsize);
  SysctlLeaf slowhz;
  slowhz.type = SysctlType::kInt;
  slowhz.description = "Keepalive ticks per second";
  slowhz.read = [] {
    const int v = abi::kPR_SLOWHZ;
    return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
  };
  r.push_back(tree.AddLeaf(path, abi::kTcpctlSlowhz, "slowhz", slowhz));
  SysctlLeaf stats;
  stats.type = SysctlType::kStruct;
  stats.description = "TCP statistics";
  stats.read = [this] { return stats_.Bytes(); };
  stats.size = size_t(abi::kTcpStatNStats) * sizeof(uint64_t);
  r.push_back(tree.AddLeaf(path, abi::kTcpctlStats, "stats", stats));
  r.push_back(tree.AddNode(path, abi::kTcpctlSackNode, "sack", "RFC2018 Selective ACKnowledgement tunables"));
  r.push_back(tree.AddLeaf({net, inet, tcp, abi::kTcpctlSackNode}, abi::kTcpctlSackEnable,
                           "enable", SysctlIntLeaf(&t.sack, "Enable RFC2018 Selective ACKnowledgement", flag)));
  for (const absl::StatusOr<int>& x : r) {
    if (!x.ok()) return x.status();
  }
  // net.inet.tcp.pcblist: every PCB with its connection's state (the table
  // holds TcpSockets only).
  return AddPcblistNode(
      tree, path, abi::kTcpctlPcblist, pcbs_, abi::kSOCK_STREAM, abi::kIPPROTO_TCP,
      [](const PcbRow& row, abi::KinfoPcb& k) {
        k.tstate = static_cast<const TcpSocket&>(*row.socket).tcp_state();
      },
      "TCP protocol control block list");
}

}  // namespace rump::inet
