#include "rump/netinet/fuzz/frame_seeds.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

namespace rump::inet_fuzz {
namespace {

const Peer& peer0 = kPeers[0];
const Peer& peer1 = kPeers[1];

Bytes Text(const char* s) { return Bytes(s, s + std::char_traits<char>::length(s)); }

Frame IpFrame(const Mac& dst_mac, const Mac& src_mac, const Ipv4Fields& ip,
              absl::Span<const uint8_t> payload) {
  return EthernetFrame(dst_mac, src_mac, kEtherTypeIpv4, Ipv4Packet(ip, payload));
}

Ipv4Fields Ip(uint8_t proto, uint32_t src, uint32_t dst) {
  Ipv4Fields f;
  f.proto = proto;
  f.src = src;
  f.dst = dst;
  return f;
}

Frame Udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Mac& dst_mac,
          const Mac& src_mac, const char* text) {
  return IpFrame(dst_mac, src_mac, Ip(kProtoUdp, src, dst),
                 UdpDatagram(src, dst, sport, dport, Text(text)));
}

// An ICMP error from peer1 (a router) about a datagram our connected socket
// sent to peer0.
Frame IcmpErrorAboutConnected(uint8_t type, uint8_t code) {
  const Bytes udp =
      UdpDatagram(kHostAddr, peer0.addr, kUdpConnectedPort, kConnectedPeerPort, Text("ping"));
  Bytes quoted = Ipv4Packet(Ip(kProtoUdp, kHostAddr, peer0.addr), udp);
  quoted.resize(kIpv4HeaderLen + 8);
  return IpFrame(kHostMac, peer1.mac, Ip(kProtoIcmp, peer1.addr, kHostAddr),
                 IcmpMessage(type, code, 0, quoted));
}

// TCP from the connection's peer (fuzz_network.h), its numbers relative to
// the harness's nominal ISNs: `seq` counts from kTcpPeerIss + 1, `ack` from
// kTcpHostIss + 1.
const Peer& tcp_peer = kPeers[kTcpPeerIndex];

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Frame TcpFrame(uint32_t src, const Mac& src_mac, const TcpFields& t, const Bytes& data) {
  return IpFrame(kHostMac, src_mac, Ip(kProtoTcp, src, kHostAddr),
                 TcpSegment(src, kHostAddr, t, data));
}

TcpFields OnConnection(uint32_t seq, uint32_t ack, uint8_t flags, Bytes options = {}) {
  TcpFields t;
  t.sport = kTcpPeerPort;
  t.dport = kTcpListenPort;
  t.seq = kTcpPeerIss + 1 + seq;
  t.ack = kTcpHostIss + 1 + ack;
  t.flags = flags;
  t.window = uint16_t(kTcpPeerWindow >> kTcpPeerWindowShift);
  t.options = options.empty() ? TcpOptTimestamps(kTcpPeerTsval + 1, 0) : std::move(options);
  return t;
}

Frame Conn(const TcpFields& t, const Bytes& data = {}) {
  return TcpFrame(tcp_peer.addr, tcp_peer.mac, t, data);
}

std::vector<SeedInput> TcpSeeds() {
  std::vector<SeedInput> seeds;
  const Bytes all_options = Cat({TcpOptMss(1400), TcpOptWindowScale(7), TcpOptSackPermitted(),
                                 TcpOptTimestamps(12345, 0)});
  TcpFields syn;
  syn.sport = 41000;
  syn.dport = kTcpListenPort;
  syn.seq = 0x01020304;
  syn.flags = kTcpFlagSyn;
  syn.options = all_options;
  const Frame new_syn = TcpFrame(kPeers[0].addr, kPeers[0].mac, syn, {});
  seeds.push_back({"tcp_syn_all_options", {new_syn}});
  // The handshake with the listener completed: SYN, then the ACK of a
  // SYN-ACK whose ISN the input cannot know (so it is answered by a RST).
  TcpFields ack = syn;
  ack.seq += 1;
  ack.flags = kTcpFlagAck;
  ack.options = TcpOptTimestamps(12346, 0);
  seeds.push_back({"tcp_syn_then_ack", {new_syn, TcpFrame(kPeers[0].addr, kPeers[0].mac, ack, {})}});
  seeds.push_back({"tcp_ack_to_listener", {TcpFrame(kPeers[1].addr, kPeers[1].mac, ack, {})}});
  // More SYNs than the listener queues, never completed: the queues full
  // (found by the fuzzer: the next input's handshake went unanswered
  // until the harness opened a new listener after each input).
  std::vector<Frame> flood;
  for (uint16_t port = 42000; port < 42000 + 16; ++port) {
    TcpFields s1 = syn;
    s1.sport = port;
    flood.push_back(TcpFrame(kPeers[0].addr, kPeers[0].mac, s1, {}));
  }
  seeds.push_back({"tcp_syn_flood", std::move(flood)});
  TcpFields closed = syn;
  closed.dport = kTcpClosedPort;
  seeds.push_back({"tcp_syn_closed_port", {TcpFrame(kPeers[0].addr, kPeers[0].mac, closed, {})}});
  closed.flags = kTcpFlagAck | kTcpFlagPsh;
  seeds.push_back({"tcp_data_closed_port",
                   {TcpFrame(kPeers[0].addr, kPeers[0].mac, closed, Text("anyone?"))}});
  TcpFields syn_odd = syn;
  syn_odd.sport = 41001;
  syn_odd.options = {2, 4, 0, 0, 3, 3, 200, 4, 2, 8, 9, 1, 2, 3, 4, 5, 6, 7};  // MSS 0, shift 200, short TS
  seeds.push_back({"tcp_syn_odd_options", {TcpFrame(kPeers[1].addr, kPeers[1].mac, syn_odd, {})}});
  syn_odd.options = {1, 1, 2, 1, 9, 0, 0, 0};  // a length byte below 2: parsing stops
  seeds.push_back(
      {"tcp_syn_truncated_option", {TcpFrame(kPeers[1].addr, kPeers[1].mac, syn_odd, {})}});
  syn_odd.options = {1, 1, 1, 5};  // a length byte past the options
  seeds.push_back(
      {"tcp_syn_option_past_end", {TcpFrame(kPeers[1].addr, kPeers[1].mac, syn_odd, {})}});
  TcpFields syn_bad = syn;
  syn_bad.bad_checksum = true;
  seeds.push_back({"tcp_bad_checksum", {TcpFrame(kPeers[0].addr, kPeers[0].mac, syn_bad, {})}});
  syn_bad.bad_checksum = false;
  syn_bad.data_offset = 4;
  seeds.push_back(
      {"tcp_data_offset_too_small", {TcpFrame(kPeers[0].addr, kPeers[0].mac, syn_bad, {})}});
  syn_bad.data_offset = 15;
  seeds.push_back(
      {"tcp_data_offset_past_end", {TcpFrame(kPeers[0].addr, kPeers[0].mac, syn_bad, {})}});

  // On the established connection.
  const Bytes text = Text("0123456789abcdef");
  seeds.push_back({"tcp_conn_data", {Conn(OnConnection(0, 0, kTcpFlagAck | kTcpFlagPsh), text)}});
  seeds.push_back({"tcp_conn_ack_all",
                   {Conn(OnConnection(0, uint32_t(kTcpHostUnackedBytes), kTcpFlagAck))}});
  seeds.push_back({"tcp_conn_data_out_of_order",
                   {Conn(OnConnection(100, 0, kTcpFlagAck), text),
                    Conn(OnConnection(200, 0, kTcpFlagAck), text),
                    Conn(OnConnection(0, 0, kTcpFlagAck), Bytes(100, 'a'))}});
  seeds.push_back(
      {"tcp_conn_data_beyond_window", {Conn(OnConnection(0x100000, 0, kTcpFlagAck), text)}});
  seeds.push_back(
      {"tcp_conn_old_data", {Conn(OnConnection(uint32_t(-100), 0, kTcpFlagAck), Bytes(116, 'o'))}});
  seeds.push_back({"tcp_conn_ack_unsent",
                   {Conn(OnConnection(0, uint32_t(kTcpHostUnackedBytes) + 1000, kTcpFlagAck))}});
  seeds.push_back({"tcp_conn_fin",
                   {Conn(OnConnection(0, 0, kTcpFlagAck | kTcpFlagFin), text),
                    Conn(OnConnection(17, 0, kTcpFlagAck))}});
  seeds.push_back({"tcp_conn_rst_exact", {Conn(OnConnection(0, 0, kTcpFlagRst))}});
  seeds.push_back({"tcp_conn_rst_in_window", {Conn(OnConnection(1000, 0, kTcpFlagRst))}});
  // A new SYN on the 4-tuple after the RST: a half-open connection that
  // the next input's handshake meets (found by the fuzzer; the harness
  // clears it with a RST).
  seeds.push_back({"tcp_conn_rst_then_syn",
                   {Conn(OnConnection(0, 0, kTcpFlagRst)),
                    Conn(OnConnection(5000, 0, kTcpFlagSyn, TcpOptMss(1000)))}});
  seeds.push_back({"tcp_conn_syn_in_window", {Conn(OnConnection(10, 0, kTcpFlagSyn))}});
  seeds.push_back({"tcp_conn_sack",
                   {Conn(OnConnection(0, 0, kTcpFlagAck,
                                      Cat({TcpOptTimestamps(kTcpPeerTsval + 1, 0),
                                           TcpOptSack({{kTcpHostIss + 1 + 1000, kTcpHostIss + 1 + 1460},
                                                       {kTcpHostIss + 1 + 1700, kTcpHostIss + 1 + 2000}})}))),
                    Conn(OnConnection(0, 0, kTcpFlagAck,
                                      Cat({TcpOptTimestamps(kTcpPeerTsval + 1, 0),
                                           TcpOptSack({{kTcpHostIss + 1 + 500, kTcpHostIss + 1 + 2000}})}))),
                    Conn(OnConnection(0, 0, kTcpFlagAck,
                                      Cat({TcpOptTimestamps(kTcpPeerTsval + 1, 0),
                                           TcpOptSack({{kTcpHostIss + 1 + 500, kTcpHostIss + 1 + 2000}})}))),
                    Conn(OnConnection(0, 0, kTcpFlagAck,
                                      Cat({TcpOptTimestamps(kTcpPeerTsval + 1, 0),
                                           TcpOptSack({{kTcpHostIss + 1 + 500, kTcpHostIss + 1 + 2000}})})))}});
  seeds.push_back({"tcp_conn_paws_old_timestamp",
                   {Conn(OnConnection(0, 0, kTcpFlagAck, TcpOptTimestamps(1, 0)), text)}});
  seeds.push_back({"tcp_conn_urgent", {Conn([] {
                     TcpFields t = OnConnection(0, 0, kTcpFlagAck | kTcpFlagUrg);
                     t.urgent = 4;
                     return t;
                   }(), text)}});
  seeds.push_back({"tcp_conn_zero_window", {Conn([] {
                     TcpFields t = OnConnection(0, 10, kTcpFlagAck);
                     t.window = 0;
                     return t;
                   }())}});
  return seeds;
}

}  // namespace

std::vector<SeedInput> SeedInputs() {
  std::vector<SeedInput> seeds;
  ArpFields request{.op = 1, .sha = peer1.mac, .spa = peer1.addr, .tha = {}, .tpa = kHostAddr};
  ArpFields reply{.op = 2, .sha = peer0.mac, .spa = peer0.addr, .tha = kHostMac, .tpa = kHostAddr};
  ArpFields new_station{
      .op = 1, .sha = {0x02, 0x42, 10, 0, 0, 77}, .spa = 0x0a00004d, .tha = {}, .tpa = kAliasAddr};
  seeds.push_back({"arp_request", {ArpFrame(kBroadcastMac, peer1.mac, request)}});
  seeds.push_back({"arp_reply", {ArpFrame(kHostMac, peer0.mac, reply)}});
  seeds.push_back({"arp_new_station", {ArpFrame(kBroadcastMac, new_station.sha, new_station)}});
  // An RFC 5227 probe (sender address 0.0.0.0) for our address: answered
  // with a reply whose target address is 0.0.0.0, nothing learned.
  ArpFields probe{.op = 1, .sha = kPeers[2].mac, .spa = 0, .tha = {}, .tpa = kHostAddr};
  seeds.push_back({"arp_probe", {ArpFrame(kBroadcastMac, kPeers[2].mac, probe)}});

  seeds.push_back({"udp_wildcard",
                   {Udp(peer1.addr, kHostAddr, 4000, kUdpWildcardPort, kHostMac, peer1.mac,
                        "to 0.0.0.0:7000")}});
  seeds.push_back(
      {"udp_host",
       {Udp(peer1.addr, kHostAddr, 4001, kUdpHostPort, kHostMac, peer1.mac, "to 10.0.0.1:7001")}});
  seeds.push_back({"udp_connected",
                   {Udp(peer0.addr, kHostAddr, kConnectedPeerPort, kUdpConnectedPort, kHostMac,
                        peer0.mac, "reply")}});
  seeds.push_back({"udp_broadcast",
                   {Udp(kPeers[2].addr, kHostBroadcast, 4002, kUdpSharedPort, kBroadcastMac,
                        kPeers[2].mac, "to both")}});
  seeds.push_back(
      {"udp_no_port", {Udp(peer1.addr, kHostAddr, 4003, 4444, kHostMac, peer1.mac, "nobody")}});
  seeds.push_back(
      {"udp_from_silent_peer",
       {Udp(kSilentPeerAddr, kHostAddr, 4004, 4445, kHostMac, {0x02, 0x42, 10, 0, 0, 5}, "hold")}});

  Bytes payload = Text("0123456789abcdef0123456789abcdef");
  seeds.push_back({"icmp_echo",
                   {IpFrame(kHostMac, peer0.mac, Ip(kProtoIcmp, peer0.addr, kHostAddr),
                            IcmpMessage(8, 0, 0x12340001, payload))}});
  seeds.push_back({"icmp_echo_alias",
                   {IpFrame(kHostMac, peer1.mac, Ip(kProtoIcmp, peer1.addr, kAliasAddr),
                            IcmpMessage(8, 0, 0x12340002, payload))}});
  seeds.push_back({"icmp_echo_reply",
                   {IpFrame(kHostMac, peer0.mac, Ip(kProtoIcmp, peer0.addr, kHostAddr),
                            IcmpMessage(0, 0, 0x12340003, payload))}});
  seeds.push_back({"icmp_port_unreachable", {IcmpErrorAboutConnected(3, 3)}});
  seeds.push_back({"icmp_needfrag", {IcmpErrorAboutConnected(3, 4)}});
  seeds.push_back({"icmp_time_exceeded", {IcmpErrorAboutConnected(11, 0)}});
  seeds.push_back({"icmp_param_problem", {IcmpErrorAboutConnected(12, 0)}});

  seeds.push_back(
      {"raw_proto",
       {IpFrame(kHostMac, peer0.mac, Ip(kRawProto, peer0.addr, kHostAddr), Text("raw 253"))}});
  seeds.push_back({"raw_connected_proto",
                   {IpFrame(kHostMac, peer1.mac, Ip(kRawConnectedProto, peer1.addr, kHostAddr),
                            Text("raw 254"))}});
  seeds.push_back(
      {"unhandled_proto",
       {IpFrame(kHostMac, peer0.mac, Ip(kUnhandledProto, peer0.addr, kHostAddr), Text("proto 99"))}});
  Ipv4Fields ttl1 = Ip(kRawProto, peer0.addr, 0x0a000063);
  ttl1.ttl = 1;
  seeds.push_back({"not_for_us_ttl1", {IpFrame(kHostMac, peer0.mac, ttl1, Text("route me"))}});

  Bytes big(600);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i);
  Ipv4Fields frag_ip = Ip(kProtoUdp, peer0.addr, kHostAddr);
  frag_ip.id = 0x4242;
  const Frame whole = IpFrame(kHostMac, peer0.mac, frag_ip,
                              UdpDatagram(peer0.addr, kHostAddr, 4005, kUdpWildcardPort, big));
  seeds.push_back({"udp_fragments", FragmentFrame(whole, {{0, 200}, {200, 400}, {400, 608}})});
  seeds.push_back({"udp_fragments_reordered_overlapping",
                   FragmentFrame(whole, {{400, 608}, {0, 256}, {192, 400}})});

  seeds.push_back({"not_a_frame", {Text("runt"), Bytes(60, 0)}});
  seeds.push_back(
      {"other_ethertype", {EthernetFrame(kHostMac, peer0.mac, 0x86dd, Bytes(40, 0x60))}});

  std::vector<Frame> all;
  for (const SeedInput& s : seeds) all.insert(all.end(), s.frames.begin(), s.frames.end());
  seeds.push_back({"all", std::move(all)});

  std::vector<Frame> tcp_all;
  for (SeedInput& s : TcpSeeds()) {
    tcp_all.insert(tcp_all.end(), s.frames.begin(), s.frames.end());
    seeds.push_back(std::move(s));
  }
  tcp_all.resize(std::min(tcp_all.size(), kMaxFramesPerInput));
  seeds.push_back({"tcp_all", std::move(tcp_all)});
  return seeds;
}

}  // namespace rump::inet_fuzz
