#include "rump/netinet/fuzz/frame_mutator.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace rump::inet_fuzz {
namespace {

// ICMP types the kernel treats differently (RFC 792, RFC 950, RFC 1256).
constexpr std::array<uint8_t, 14> kIcmpTypes = {0, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18};
// ICMP errors that may concern a socket.
constexpr std::array<uint8_t, 5> kIcmpErrorTypes = {3, 3, 11, 12, 4};

// A frame's mutable regions: [begin, end) byte ranges.
struct Region {
  size_t begin;
  size_t end;
  bool fixed_size;  // a header: keep its length
};

std::vector<Region> RegionsOf(const Frame& f, const FrameLayout& l) {
  std::vector<Region> r;
  if (f.size() < kEtherHeaderLen) {
    r.push_back({0, f.size(), false});
    return r;
  }
  r.push_back({0, kEtherHeaderLen, true});
  if (l.arp) {
    const size_t end = std::min(f.size(), kEtherHeaderLen + kArpBodyLen);
    r.push_back({kEtherHeaderLen, end, true});
    r.push_back({end, f.size(), false});
    return r;
  }
  if (!l.ipv4) {
    r.push_back({kEtherHeaderLen, f.size(), false});
    return r;
  }
  const size_t ip_end = kEtherHeaderLen + l.ip_header_len;
  r.push_back({kEtherHeaderLen, ip_end, true});
  if (l.l4_header_len > 0) {
    r.push_back({l.l4, l.l4 + l.l4_header_len, true});
    r.push_back({l.l4 + l.l4_header_len, f.size(), false});
  } else {
    r.push_back({ip_end, f.size(), false});
  }
  return r;
}

// Where ARP's sender and target protocol addresses are in a frame.
constexpr size_t kArpSpaOffset = kEtherHeaderLen + 14;
constexpr size_t kArpTpaOffset = kEtherHeaderLen + 24;

}  // namespace

FrameMutator::FrameMutator(uint32_t seed, ByteMutator byte_mutator)
    : rng_(seed == 0 ? 1 : seed), byte_mutator_(std::move(byte_mutator)) {}

// --- random choices

size_t FrameMutator::Below(size_t n) {
  if (n == 0) return 0;
  return std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
}

bool FrameMutator::OneIn(size_t n) { return Below(n) == 0; }

Bytes FrameMutator::RandomBytes(size_t n) {
  Bytes b(n);
  for (uint8_t& x : b) x = uint8_t(Below(256));
  return b;
}

size_t FrameMutator::PayloadLength() {
  switch (Below(8)) {
    case 0:
      return 0;
    case 1:
      return Below(1473);  // up to a full Ethernet frame of UDP
    case 2:
      return 8 * (1 + Below(8));
    default:
      return Below(48);
  }
}

uint32_t FrameMutator::PickDestination() {
  switch (Below(20)) {
    case 0:
      return kAliasAddr;
    case 1:
    case 2:
      return kHostBroadcast;
    case 3:
      return 0xffffffff;
    case 4:
      return kHostNetwork;
    case 5:
      return kAllHostsGroup;
    case 6:
      return 0xe0000000 | uint32_t(Below(1 << 28));  // some other group
    case 7:
      return kAliasBroadcast;
    case 8:
      return 0x7f000001;
    case 9:
      return 0;
    case 10:
      return kPeers[Below(kPeers.size())].addr;  // not for us
    case 11:
      return uint32_t(Below(uint64_t(1) << 32));
    default:
      return kHostAddr;
  }
}

uint32_t FrameMutator::PickSource() {
  switch (Below(20)) {
    case 0:
    case 1:
      return kSilentPeerAddr;
    case 2:
    case 3:
      return kHostNetwork | uint32_t(1 + Below(254));
    case 4:
      return kHostAddr;
    case 5:
      return kHostBroadcast;
    case 6:
      return 0xffffffff;
    case 7:
      return 0;
    case 8:
      return 0x7f000000 | uint32_t(Below(1 << 24));
    case 9:
      return kAllHostsGroup;
    case 10:
    case 11:
      return uint32_t(Below(uint64_t(1) << 32));
    default:
      return kPeers[Below(kPeers.size())].addr;
  }
}

uint16_t FrameMutator::PickPort() {
  switch (Below(12)) {
    case 0:
      return kUdpWildcardPort;
    case 1:
      return kUdpHostPort;
    case 2:
      return kUdpConnectedPort;
    case 3:
      return kUdpSharedPort;
    case 4:
      return kConnectedPeerPort;
    case 5:
      return OneIn(2) ? 0 : kTcpListenPort;
    case 6:
      return 7;
    case 7:
      return 0xffff;
    default:
      return uint16_t(Below(0x10000));
  }
}

uint8_t FrameMutator::PickProto() {
  switch (Below(8)) {
    case 0:
      return kProtoIcmp;
    case 1:
      return kProtoUdp;
    case 2:
      return kRawProto;
    case 3:
      return kRawConnectedProto;
    case 4:
      return kUnhandledProto;
    case 5:
      return OneIn(2) ? 0 : kProtoTcp;
    default:
      return uint8_t(Below(256));
  }
}

Mac FrameMutator::MacFor(uint32_t addr) {
  for (const Peer& p : kPeers) {
    if (p.addr == addr) return p.mac;
  }
  if (OneIn(16)) return kHostMac;  // our own frames coming back
  return Mac{0x02,         0x42, uint8_t(addr >> 24), uint8_t(addr >> 16), uint8_t(addr >> 8),
             uint8_t(addr)};
}

Mac FrameMutator::DestinationMacFor(uint32_t dst) {
  switch (Below(24)) {
    case 0:
      return kBroadcastMac;
    case 1:
      return kAllHostsMac;
    case 2:
      return kPeers[0].mac;  // another station's frame (dropped)
    case 3: {
      Mac m;
      for (uint8_t& b : m) b = uint8_t(Below(256));
      return m;
    }
    default:
      break;
  }
  if (dst == 0xffffffff || dst == kHostBroadcast || dst == kHostNetwork || dst == kAliasBroadcast) {
    return kBroadcastMac;
  }
  if ((dst >> 28) == 0xe) {
    return Mac{0x01, 0x00, 0x5e, uint8_t((dst >> 16) & 0x7f), uint8_t(dst >> 8), uint8_t(dst)};
  }
  return kHostMac;
}

RepairPlan FrameMutator::PickRepairPlan() {
  if (!OneIn(8)) return RepairPlan();
  return RepairPlan{.ip_length = !OneIn(2),
                    .ip_checksum = !OneIn(2),
                    .l4_length = !OneIn(2),
                    .l4_checksum = !OneIn(2)};
}

// --- frames from scratch

Frame FrameMutator::IpFrame(const Ipv4Fields& fields, const Bytes& payload) {
  Bytes packet = Ipv4Packet(fields, payload);
  return EthernetFrame(DestinationMacFor(fields.dst), MacFor(fields.src), kEtherTypeIpv4, packet);
}

Frame FrameMutator::MakeArp() {
  ArpFields a;
  a.op = OneIn(10) ? uint16_t(Below(6)) : uint16_t(1 + Below(2));
  a.spa = OneIn(4) ? PickSource() : kPeers[Below(kPeers.size())].addr;
  a.sha = MacFor(a.spa);
  switch (Below(8)) {
    case 0:
      a.tpa = kAliasAddr;
      break;
    case 1:
      a.tpa = PickDestination();
      break;
    case 2:
      a.tpa = a.spa;  // gratuitous
      break;
    default:
      a.tpa = kHostAddr;
  }
  if (a.op == 2) a.tha = kHostMac;
  const Mac dst = a.op == 1 || OneIn(8) ? kBroadcastMac : kHostMac;
  Frame f = ArpFrame(dst, a.sha, a);
  if (OneIn(4)) f.resize(60, 0);  // Ethernet's minimum, as a wire pads it
  return f;
}

Frame FrameMutator::MakeUdp() {
  Ipv4Fields ip;
  ip.proto = kProtoUdp;
  ip.id = uint16_t(Below(0x10000));
  uint16_t sport = PickPort(), dport = PickPort();
  if (OneIn(4)) {  // from the connected socket's peer
    ip.src = kPeers[0].addr;
    ip.dst = kHostAddr;
    sport = kConnectedPeerPort;
    dport = kUdpConnectedPort;
  } else {
    ip.src = PickSource();
    ip.dst = PickDestination();
  }
  const Bytes data = RandomBytes(PayloadLength());
  Bytes udp = UdpDatagram(ip.src, ip.dst, sport, dport, data);
  if (OneIn(8)) Store16(&udp[6], 0);  // no checksum
  return IpFrame(ip, udp);
}

Frame FrameMutator::MakeIcmpEcho() {
  Ipv4Fields ip;
  ip.proto = kProtoIcmp;
  ip.id = uint16_t(Below(0x10000));
  ip.src = PickSource();
  ip.dst = PickDestination();
  const uint8_t type = OneIn(6) ? 0 : 8;  // replies go to the raw socket
  return IpFrame(
      ip, IcmpMessage(type, 0, uint32_t(Below(uint64_t(1) << 32)), RandomBytes(PayloadLength())));
}

Frame FrameMutator::MakeIcmpError() {
  // The quoted packet: usually one the connected UDP socket sent.
  Ipv4Fields inner;
  Bytes inner_payload;
  if (!OneIn(3)) {
    inner.src = kHostAddr;
    inner.dst = kPeers[0].addr;
    inner.proto = kProtoUdp;
    inner_payload = UdpDatagram(inner.src, inner.dst, kUdpConnectedPort, kConnectedPeerPort,
                                RandomBytes(Below(16)));
  } else {
    inner.src = OneIn(2) ? kHostAddr : PickSource();
    inner.dst = PickSource();
    inner.proto = PickProto();
    inner_payload = RandomBytes(Below(32));
    if (inner.proto == kProtoIcmp && !inner_payload.empty()) {
      inner_payload[0] = kIcmpTypes[Below(kIcmpTypes.size())];
    }
  }
  inner.ttl = uint8_t(1 + Below(64));
  Bytes quoted = Ipv4Packet(inner, inner_payload);
  // As a router quotes it: the header and 8 bytes, sometimes all of it.
  if (!OneIn(4)) quoted.resize(std::min(quoted.size(), kIpv4HeaderLen + 8));
  const uint8_t type = kIcmpErrorTypes[Below(kIcmpErrorTypes.size())];
  const uint8_t code = uint8_t(OneIn(8) ? Below(256) : Below(16));
  const uint32_t word = type == 3 && code == 4 ? uint32_t(Below(1500)) : 0;  // next-hop MTU
  Ipv4Fields ip;
  ip.proto = kProtoIcmp;
  ip.id = uint16_t(Below(0x10000));
  ip.src = OneIn(4) ? PickSource() : kPeers[Below(kPeers.size())].addr;
  ip.dst = OneIn(8) ? PickDestination() : kHostAddr;
  return IpFrame(ip, IcmpMessage(type, code, word, quoted));
}

Frame FrameMutator::MakeIcmpOther() {
  Ipv4Fields ip;
  ip.proto = kProtoIcmp;
  ip.src = PickSource();
  ip.dst = PickDestination();
  const uint8_t type = OneIn(2) ? kIcmpTypes[Below(kIcmpTypes.size())] : uint8_t(Below(256));
  return IpFrame(ip, IcmpMessage(type, uint8_t(Below(20)), uint32_t(Below(uint64_t(1) << 32)),
                                 RandomBytes(PayloadLength())));
}

Frame FrameMutator::MakeRawProto() {
  Ipv4Fields ip;
  ip.id = uint16_t(Below(0x10000));
  switch (Below(4)) {
    case 0:
      ip.proto = kRawConnectedProto;
      ip.src = OneIn(4) ? PickSource() : kPeers[1].addr;
      break;
    case 1:
      ip.proto = kUnhandledProto;
      ip.src = PickSource();
      break;
    case 2:
      ip.proto = PickProto();
      ip.src = PickSource();
      break;
    default:
      ip.proto = kRawProto;
      ip.src = PickSource();
      break;
  }
  ip.dst = PickDestination();
  if (OneIn(6)) ip.ttl = uint8_t(Below(2));
  if (OneIn(6)) ip.options = RandomBytes(Below(41));
  return IpFrame(ip, RandomBytes(PayloadLength()));
}

std::vector<std::pair<size_t, size_t>> FrameMutator::PickFragmentPieces(size_t len) {
  std::vector<std::pair<size_t, size_t>> pieces;
  // Pieces of at most 1480 bytes, so that every fragment fits a wire frame.
  const size_t step = std::min<size_t>(8 * (1 + Below(std::max<size_t>(len / 8 / 2, 1))), 1480);
  for (size_t b = 0; b < len; b += step) pieces.emplace_back(b, std::min(len, b + step));
  if (pieces.empty()) pieces.emplace_back(0, len);
  switch (Below(8)) {
    case 0:
      std::reverse(pieces.begin(), pieces.end());
      break;
    case 1:
      std::shuffle(pieces.begin(), pieces.end(), rng_);
      break;
    case 2:  // a piece repeated
      pieces.push_back(pieces[Below(pieces.size())]);
      break;
    case 3:  // a piece lost: the datagram waits in the reassembly queue
      if (pieces.size() > 1) pieces.erase(pieces.begin() + long(Below(pieces.size())));
      break;
    case 4: {  // a piece that overlaps its neighbours
      const size_t i = Below(pieces.size());
      pieces[i].first = pieces[i].first >= 8 ? pieces[i].first - 8 : 0;
      pieces[i].second = std::min(len, pieces[i].second + 8 + Below(16));
      break;
    }
    default:
      break;
  }
  return pieces;
}

std::vector<Frame> FrameMutator::MakeFragments() {
  Frame whole;
  switch (Below(3)) {
    case 0:
      whole = MakeIcmpEcho();
      break;
    case 1:
      whole = MakeRawProto();
      break;
    default:
      whole = MakeUdp();
      break;
  }
  // Longer than most datagrams, so that there is something to cut; now and
  // then longer than the MTU, so that an echo reply must be fragmented.
  const FrameLayout l = Dissect(whole);
  const size_t extra =
      OneIn(4) ? 1480 + Below(1500) : (whole.size() < 64 ? 8 * (2 + Below(16)) : 0);
  if (l.ipv4 && extra > 0) {
    const Bytes more = RandomBytes(extra);
    whole.insert(whole.end(), more.begin(), more.end());
    RepairFrame(whole);
  }
  const size_t payload = whole.size() - kEtherHeaderLen - Dissect(whole).ip_header_len;
  std::vector<Frame> out = FragmentFrame(whole, PickFragmentPieces(payload));
  if (out.empty()) out.push_back(std::move(whole));
  return out;
}

Frame FrameMutator::MakeRandomBytes() {
  if (OneIn(2)) return RandomBytes(Below(80));
  static constexpr std::array<uint16_t, 4> kTypes = {kEtherTypeIpv4, kEtherTypeArp, 0x86dd, 0x8100};
  const uint16_t type = OneIn(4) ? uint16_t(Below(0x10000)) : kTypes[Below(kTypes.size())];
  return EthernetFrame(OneIn(3) ? kBroadcastMac : kHostMac, MacFor(PickSource()), type,
                       RandomBytes(Below(100)));
}

uint32_t FrameMutator::PickHostSeq() {
  const uint32_t una = kTcpHostIss + 1;
  switch (Below(8)) {
    case 0:
      return una;
    case 1:
      return una + uint32_t(kTcpHostUnackedBytes);
    case 2:
      return una + uint32_t(kTcpHostUnackedBytes) + 1 + uint32_t(Below(1 << 20));  // unsent
    case 3:
      return una - 1 - uint32_t(Below(1 << 20));  // old
    case 4:
      return uint32_t(Below(uint64_t(1) << 32));
    default:
      return una + uint32_t(Below(kTcpHostUnackedBytes + 1));
  }
}

uint32_t FrameMutator::PickPeerSeq() {
  const uint32_t nxt = kTcpPeerIss + 1;
  switch (Below(10)) {
    case 0:
      return nxt - 1 - uint32_t(Below(2000));  // old
    case 1:
      return nxt + 0x10000 + uint32_t(Below(1 << 24));  // beyond the window
    case 2:
      return uint32_t(Below(uint64_t(1) << 32));
    case 3:
    case 4:
      return nxt + uint32_t(Below(0x10000));  // in the window, out of order
    default:
      return nxt + uint32_t(Below(4)) * 16;
  }
}

uint8_t FrameMutator::PickTcpFlags() {
  static constexpr std::array<uint8_t, 10> kFlags = {
      kTcpFlagAck,
      kTcpFlagAck | kTcpFlagPsh,
      kTcpFlagSyn,
      kTcpFlagSyn | kTcpFlagAck,
      kTcpFlagRst,
      kTcpFlagRst | kTcpFlagAck,
      kTcpFlagFin | kTcpFlagAck,
      kTcpFlagAck | kTcpFlagUrg,
      kTcpFlagAck | 0xc0,  // ECE, CWR
      kTcpFlagFin | kTcpFlagSyn | kTcpFlagRst,
  };
  return OneIn(8) ? uint8_t(Below(256)) : kFlags[Below(kFlags.size())];
}

Bytes FrameMutator::MakeTcpOptions(bool syn) {
  Bytes o;
  const auto add = [&o](const Bytes& b) { o.insert(o.end(), b.begin(), b.end()); };
  if (OneIn(8)) return RandomBytes(Below(41));
  if (syn && !OneIn(4)) add(TcpOptMss(uint16_t(OneIn(4) ? Below(0x10000) : 536 + Below(1000))));
  if (syn && OneIn(2)) add(TcpOptWindowScale(uint8_t(OneIn(4) ? Below(256) : Below(15))));
  if (syn && OneIn(2)) add(TcpOptSackPermitted());
  if (!OneIn(4)) {
    const uint32_t tsval = OneIn(8) ? uint32_t(Below(uint64_t(1) << 32))
                                    : kTcpPeerTsval + uint32_t(Below(100));
    add(TcpOptTimestamps(tsval, uint32_t(Below(uint64_t(1) << 32))));
  }
  if (!syn && OneIn(3)) {
    std::vector<std::pair<uint32_t, uint32_t>> blocks(1 + Below(o.size() > 12 ? 2 : 4));
    for (auto& [start, end] : blocks) {
      start = PickHostSeq();
      end = OneIn(8) ? PickHostSeq() : start + uint32_t(Below(1500));
    }
    add(TcpOptSack(blocks));
  }
  if (OneIn(8) && !o.empty()) o.resize(Below(o.size()));  // cut in the middle of one
  if (o.size() > 40) o.resize(40);
  return o;
}

Frame FrameMutator::MakeTcp() {
  TcpFields t;
  Ipv4Fields ip;
  ip.proto = kProtoTcp;
  ip.id = uint16_t(Below(0x10000));
  t.flags = PickTcpFlags();
  const bool syn = (t.flags & kTcpFlagSyn) != 0;
  switch (Below(8)) {
    case 0:  // to the listener, from anyone
    case 1:
      ip.src = OneIn(4) ? PickSource() : kPeers[Below(kPeers.size())].addr;
      ip.dst = OneIn(8) ? PickDestination() : kHostAddr;
      t.sport = uint16_t(OneIn(2) ? 41000 + Below(8) : Below(0x10000));
      t.dport = kTcpListenPort;
      t.seq = uint32_t(Below(uint64_t(1) << 32));
      t.ack = uint32_t(Below(uint64_t(1) << 32));
      break;
    case 2:  // anywhere
      ip.src = PickSource();
      ip.dst = PickDestination();
      t.sport = PickPort();
      t.dport = OneIn(2) ? kTcpClosedPort : PickPort();
      t.seq = uint32_t(Below(uint64_t(1) << 32));
      t.ack = uint32_t(Below(uint64_t(1) << 32));
      break;
    default:  // the harness's connection
      ip.src = kPeers[kTcpPeerIndex].addr;
      ip.dst = kHostAddr;
      t.sport = kTcpPeerPort;
      t.dport = kTcpListenPort;
      t.seq = PickPeerSeq();
      t.ack = PickHostSeq();
      break;
  }
  t.window = uint16_t(OneIn(8) ? Below(0x10000) : (OneIn(8) ? 0 : 0x4000));
  if (t.flags & kTcpFlagUrg) t.urgent = uint16_t(Below(64));
  t.options = MakeTcpOptions(syn);
  return IpFrame(ip, TcpSegment(ip.src, ip.dst, t, RandomBytes(std::min<size_t>(PayloadLength(), 1400))));
}

bool FrameMutator::SetTcpField(Frame& f, const FrameLayout& l) {
  uint8_t* t = &f[l.l4];
  switch (Below(9)) {
    case 0:
      Store16(t, OneIn(2) ? kTcpPeerPort : PickPort());
      break;
    case 1:
      Store16(t + 2, OneIn(2) ? kTcpListenPort : (OneIn(2) ? kTcpClosedPort : PickPort()));
      break;
    case 2:
      Store32(t + 4, PickPeerSeq());
      break;
    case 3:
      Store32(t + 8, PickHostSeq());
      break;
    case 4:
      t[13] = OneIn(2) ? PickTcpFlags() : uint8_t(t[13] ^ (1u << Below(8)));
      break;
    case 5:
      Store16(t + 14, uint16_t(OneIn(2) ? Below(0x10000) : 0));
      break;
    case 6:
      t[12] = uint8_t((Below(16) << 4) | (OneIn(4) ? Below(16) : 0));  // data offset (no repair of it)
      break;
    case 7:
      Store16(t + 18, uint16_t(Below(0x10000)));  // urgent pointer
      break;
    default: {  // new options, the data offset to match
      const Bytes opts = MakeTcpOptions((t[13] & kTcpFlagSyn) != 0);
      Bytes padded = opts;
      padded.resize((padded.size() + 3) / 4 * 4, 0);
      f.erase(f.begin() + long(l.l4 + kTcpFixedHeaderLen), f.begin() + long(l.l4 + l.l4_header_len));
      f.insert(f.begin() + long(l.l4 + kTcpFixedHeaderLen), padded.begin(), padded.end());
      f[l.l4 + 12] = uint8_t(((kTcpFixedHeaderLen + padded.size()) / 4) << 4);
      break;
    }
  }
  RepairFrame(f, PickRepairPlan());
  return true;
}

std::vector<Frame> FrameMutator::GenerateFrames(FrameKind kind) {
  switch (kind) {
    case FrameKind::kArp:
      return {MakeArp()};
    case FrameKind::kUdp:
      return {MakeUdp()};
    case FrameKind::kIcmpEcho:
      return {MakeIcmpEcho()};
    case FrameKind::kIcmpError:
      return {MakeIcmpError()};
    case FrameKind::kIcmpOther:
      return {MakeIcmpOther()};
    case FrameKind::kRawProto:
      return {MakeRawProto()};
    case FrameKind::kFragments:
      return MakeFragments();
    case FrameKind::kRandomBytes:
      return {MakeRandomBytes()};
    case FrameKind::kTcp:
      return {MakeTcp()};
  }
  return {};
}

// --- mutations

bool FrameMutator::MutateRegion(std::vector<Frame>& frames) {
  if (frames.empty()) return false;
  Frame& f = frames[Below(frames.size())];
  const FrameLayout l = Dissect(f);
  const std::vector<Region> regions = RegionsOf(f, l);
  const Region r = regions[Below(regions.size())];
  const size_t len = r.end - r.begin;
  // A header keeps its size; a payload may grow by up to 64 bytes within a
  // wire frame.
  size_t max = len;
  if (!r.fixed_size && r.begin < kMaxWireFrameLen) {
    max = std::max(len, std::min(len + 64, kMaxWireFrameLen - r.begin));
  }
  if (max == 0) return false;
  Bytes buf(max);
  std::copy(f.begin() + long(r.begin), f.begin() + long(r.end), buf.begin());
  size_t n = byte_mutator_(buf.data(), len, max);
  n = std::min(n, max);
  if (r.fixed_size) {
    // A shorter result keeps the original's tail: the header stays whole.
    std::copy(buf.begin(), buf.begin() + long(n), f.begin() + long(r.begin));
  } else {
    f.erase(f.begin() + long(r.begin), f.begin() + long(r.end));
    f.insert(f.begin() + long(r.begin), buf.begin(), buf.begin() + long(n));
  }
  RepairFrame(f, PickRepairPlan());
  return true;
}

bool FrameMutator::SetArpField(Frame& f) {
  if (f.size() < kEtherHeaderLen + kArpBodyLen) return false;
  uint8_t* arp = &f[kEtherHeaderLen];
  switch (Below(8)) {
    case 0:
      Store16(arp + 6, uint16_t(OneIn(4) ? Below(0x10000) : 1 + Below(2)));  // op
      break;
    case 1:
      Store32(&f[kArpSpaOffset], PickSource());
      break;
    case 2:
      Store32(&f[kArpTpaOffset], OneIn(2) ? kHostAddr : PickDestination());
      break;
    case 3: {  // sender MAC: ours, broadcast, a group, another station
      static constexpr std::array<Mac, 4> kMacs = {kHostMac, kBroadcastMac, kAllHostsMac,
                                                   kPeers[1].mac};
      const Mac& m = kMacs[Below(kMacs.size())];
      std::copy(m.begin(), m.end(), arp + 8);
      break;
    }
    case 4:  // hardware / protocol type
      Store16(arp + (OneIn(2) ? 0 : 2), uint16_t(OneIn(2) ? Below(0x10000) : 0x0800));
      break;
    case 5:  // address lengths
      arp[4 + Below(2)] = uint8_t(Below(256));
      break;
    default: {  // the frame's destination: us, broadcast or another station
      const Mac m = OneIn(2) ? kBroadcastMac : (OneIn(2) ? kHostMac : kPeers[2].mac);
      std::copy(m.begin(), m.end(), f.begin());
      break;
    }
  }
  return true;
}

bool FrameMutator::SetIpField(Frame& f, const FrameLayout& l) {
  uint8_t* ip = &f[kEtherHeaderLen];
  switch (Below(16)) {
    case 0:
      Store32(ip + 12, PickSource());
      break;
    case 1: {
      const uint32_t dst = PickDestination();
      Store32(ip + 16, dst);
      const Mac m = DestinationMacFor(dst);
      std::copy(m.begin(), m.end(), f.begin());
      break;
    }
    case 2:
      ip[9] = PickProto();
      break;
    case 3:
      ip[8] = uint8_t(OneIn(2) ? Below(2) : Below(256));  // TTL
      break;
    case 4: {  // fragment bits and offset
      static constexpr std::array<uint16_t, 6> kOffsets = {
          0, kIpDontFragment, kIpMoreFragments, kIpMoreFragments | 1, kIpOffsetMask, 0x8000};
      Store16(ip + 6, OneIn(3) ? uint16_t(Below(0x10000)) : kOffsets[Below(kOffsets.size())]);
      break;
    }
    case 5: {  // header length, with option bytes to match
      const size_t want = 4 * (5 + Below(11));
      const size_t have = l.ip_header_len;
      if (want > have) {
        Bytes opts(want - have, 1);  // NOPs
        if (OneIn(2)) opts = RandomBytes(want - have);
        f.insert(f.begin() + long(kEtherHeaderLen + have), opts.begin(), opts.end());
      } else if (want < have) {
        f.erase(f.begin() + long(kEtherHeaderLen + want), f.begin() + long(kEtherHeaderLen + have));
      }
      f[kEtherHeaderLen] = uint8_t(0x40 | (want / 4));
      if (OneIn(8)) f[kEtherHeaderLen] = uint8_t(Below(256));  // any version and IHL
      break;
    }
    case 6:
      Store16(ip + 4, uint16_t(Below(0x10000)));  // id
      break;
    case 7:
      ip[1] = uint8_t(Below(256));  // TOS
      break;
    case 8:
      Store16(ip + 2,
              uint16_t(OneIn(2) ? Below(0x10000) : f.size() - kEtherHeaderLen + Below(16) - 8));
      return true;  // the length is the point: no repair
    default: {
      if (l.l4_header_len == 0) return false;
      if (l.proto == kProtoTcp) return SetTcpField(f, l);
      uint8_t* l4 = &f[l.l4];
      if (l.proto == kProtoUdp) {
        switch (Below(4)) {
          case 0:
            Store16(l4, PickPort());
            break;
          case 1:
          case 2:
            Store16(l4 + 2, PickPort());
            break;
          default:
            Store16(l4 + 4, uint16_t(Below(f.size())));  // UDP length
            RepairFrame(f, RepairPlan{.l4_length = false});
            return true;
        }
      } else {
        if (OneIn(2)) {
          l4[0] = OneIn(2) ? kIcmpTypes[Below(kIcmpTypes.size())] : uint8_t(Below(256));
        } else {
          l4[1] = uint8_t(Below(OneIn(2) ? 17 : 256));
        }
      }
      break;
    }
  }
  RepairFrame(f, PickRepairPlan());
  return true;
}

bool FrameMutator::SetField(std::vector<Frame>& frames) {
  if (frames.empty()) return false;
  Frame& f = frames[Below(frames.size())];
  const FrameLayout l = Dissect(f);
  if (l.arp) return SetArpField(f);
  if (l.ipv4) return SetIpField(f, l);
  if (f.size() >= kEtherHeaderLen) {  // another EtherType: try one of ours
    Store16(&f[12], OneIn(2) ? kEtherTypeIpv4 : kEtherTypeArp);
    return true;
  }
  return false;
}

bool FrameMutator::InsertNew(std::vector<Frame>& frames) {
  // TCP, the largest input path, twice as often as the others.
  std::vector<Frame> fresh = GenerateFrames(
      OneIn(kFrameKindCount + 1) ? FrameKind::kTcp : FrameKind(Below(kFrameKindCount)));
  const size_t at = Below(frames.size() + 1);
  frames.insert(frames.begin() + long(at), fresh.begin(), fresh.end());
  if (frames.size() > kMaxFramesPerInput) frames.resize(kMaxFramesPerInput);
  return true;
}

bool FrameMutator::ReplaceWithNew(std::vector<Frame>& frames) {
  if (frames.empty()) return false;
  std::vector<Frame> fresh = GenerateFrames(FrameKind(Below(kFrameKindCount)));
  frames[Below(frames.size())] = std::move(fresh.front());
  return true;
}

bool FrameMutator::Fragment(std::vector<Frame>& frames) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameLayout l = Dissect(frames[i]);
    if (l.ipv4 && !l.fragment) candidates.push_back(i);
  }
  if (candidates.empty()) return false;
  const size_t i = candidates[Below(candidates.size())];
  const size_t payload = frames[i].size() - kEtherHeaderLen - Dissect(frames[i]).ip_header_len;
  if (payload < 16) return false;
  std::vector<Frame> pieces = FragmentFrame(frames[i], PickFragmentPieces(payload));
  if (pieces.empty()) return false;
  frames.erase(frames.begin() + long(i));
  frames.insert(frames.begin() + long(i), pieces.begin(), pieces.end());
  if (frames.size() > kMaxFramesPerInput) frames.resize(kMaxFramesPerInput);
  return true;
}

bool FrameMutator::ResizeFrame(std::vector<Frame>& frames) {
  if (frames.empty()) return false;
  Frame& f = frames[Below(frames.size())];
  if (OneIn(2) && !f.empty()) {
    f.resize(Below(f.size()));  // cut anywhere, headers included
  } else if (f.size() < 60) {
    f.resize(60, 0);  // Ethernet padding after a short packet
  } else {
    const Bytes tail = RandomBytes(1 + Below(32));
    f.insert(f.end(), tail.begin(), tail.end());
  }
  if (OneIn(2)) RepairFrame(f, PickRepairPlan());
  return true;
}

bool FrameMutator::Rearrange(std::vector<Frame>& frames) {
  if (frames.empty()) return false;
  const size_t i = Below(frames.size());
  switch (Below(3)) {
    case 0:
      if (frames.size() < 2) return false;
      frames.erase(frames.begin() + long(i));
      return true;
    case 1:
      if (frames.size() >= kMaxFramesPerInput) return false;
      frames.insert(frames.begin() + long(Below(frames.size() + 1)), Frame(frames[i]));
      return true;
    default:
      std::swap(frames[i], frames[Below(frames.size())]);
      return true;
  }
}

size_t FrameMutator::EncodeInto(const std::vector<Frame>& frames, uint8_t* out, size_t max_size) {
  Bytes bytes = EncodeFrameList(frames);
  if (bytes.size() > max_size) {
    std::vector<Frame> kept = frames;
    while (kept.size() > 1 && EncodeFrameList(kept).size() > max_size) kept.pop_back();
    bytes = EncodeFrameList(kept);
    bytes.resize(std::min(bytes.size(), max_size));
  }
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  return bytes.size();
}

size_t FrameMutator::Mutate(uint8_t* data, size_t size, size_t max_size) {
  if (OneIn(32) && size > 0) {  // plain bytes: length prefixes and all
    return std::min(byte_mutator_(data, size, max_size), max_size);
  }
  std::vector<Frame> frames = DecodeFrameList(absl::MakeConstSpan(data, size));
  bool done = false;
  for (int attempt = 0; attempt < 4 && !done; ++attempt) {
    switch (Below(20)) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
        done = MutateRegion(frames);
        break;
      case 6:
      case 7:
      case 8:
      case 9:
      case 10:
        done = SetField(frames);
        break;
      case 11:
      case 12:
      case 13:
        done = InsertNew(frames);
        break;
      case 14:
        done = ReplaceWithNew(frames);
        break;
      case 15:
      case 16:
        done = Fragment(frames);
        break;
      case 17:
        done = ResizeFrame(frames);
        break;
      default:
        done = Rearrange(frames);
        break;
    }
  }
  if (!done) InsertNew(frames);
  return EncodeInto(frames, data, max_size);
}

size_t FrameMutator::CrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2,
                               size_t size2, uint8_t* out, size_t max_out_size) {
  const std::vector<Frame> a = DecodeFrameList(absl::MakeConstSpan(data1, size1));
  const std::vector<Frame> b = DecodeFrameList(absl::MakeConstSpan(data2, size2));
  // a's head, a run of b's frames, a's tail.
  const size_t cut = Below(a.size() + 1);
  const size_t from = Below(b.size() + 1);
  const size_t to = from + Below(b.size() - from + 1);
  std::vector<Frame> mixed(a.begin(), a.begin() + long(cut));
  mixed.insert(mixed.end(), b.begin() + long(from), b.begin() + long(to));
  mixed.insert(mixed.end(), a.begin() + long(cut), a.end());
  if (mixed.size() > kMaxFramesPerInput) mixed.resize(kMaxFramesPerInput);
  return EncodeInto(mixed, out, max_out_size);
}

}  // namespace rump::inet_fuzz
