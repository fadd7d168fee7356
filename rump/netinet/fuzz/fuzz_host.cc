#include "rump/netinet/fuzz/fuzz_host.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/tcp.h"
#include "rump/abi/ioctl.h"
#include "rump/dev/shmif/shmif.h"

namespace rump::inet_fuzz {
namespace {

[[noreturn]] __attribute__((format(printf, 1, 2))) void Violation(const char* fmt, ...) {
  std::fprintf(stderr, "frame fuzzer: invariant violated: ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  std::abort();
}

void Require(bool ok, const char* what) {
  if (!ok) Violation("%s", what);
}

std::string Dotted(uint32_t host_order) {
  return std::to_string(host_order >> 24) + "." + std::to_string((host_order >> 16) & 0xff) + "." +
         std::to_string((host_order >> 8) & 0xff) + "." + std::to_string(host_order & 0xff);
}

bool IsOurAddress(uint32_t a) { return a == kHostAddr || a == kAliasAddr; }

// Addresses that name no single host here: a reply or an error must never
// go to one.
bool IsGroupAddress(uint32_t a) {
  return a == 0 || a == 0xffffffff || (a >> 28) == 0xe || a == kHostBroadcast ||
         a == kHostNetwork || a == kAliasBroadcast || a == (kAliasAddr & kAliasNetmask);
}

// ICMP_INFOTYPE: queries and replies (errors may be sent about these only).
bool IsIcmpInfoType(uint8_t t) {
  return t == 0 || t == 8 || t == 9 || t == 10 || t == 13 || t == 14 || t == 15 || t == 16 ||
         t == 17 || t == 18;
}

bool IsIcmpErrorType(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }

Mac MacAt(const uint8_t* p) {
  Mac m;
  std::memcpy(m.data(), p, m.size());
  return m;
}

// The checks on one frame the kernel transmits (see fuzz_host.h).
void CheckTransmitted(absl::Span<const uint8_t> f) {
  if (f.size() < kEtherHeaderLen || f.size() > kEtherHeaderLen + abi::kEtherMtu) {
    Violation("transmitted a frame of %zu bytes", f.size());
  }
  if (MacAt(&f[6]) != kHostMac) Violation("transmitted a frame with another source MAC");
  const uint16_t type = Load16(&f[12]);
  const uint8_t* p = &f[kEtherHeaderLen];
  const size_t len = f.size() - kEtherHeaderLen;
  if (type == kEtherTypeArp) {
    if (len < kArpBodyLen || Load16(p) != 1 || Load16(p + 2) != kEtherTypeIpv4 || p[4] != 6 ||
        p[5] != 4) {
      Violation("transmitted a malformed ARP packet");
    }
    const uint16_t op = Load16(p + 6);
    if (MacAt(p + 8) != kHostMac) Violation("transmitted ARP with another sender MAC");
    if (!IsOurAddress(Load32(p + 14))) {
      Violation("transmitted ARP for %s, not our address", Dotted(Load32(p + 14)).c_str());
    }
    if (op == 1) {
      if (MacAt(&f[0]) != kBroadcastMac) Violation("transmitted a unicast ARP request");
    } else if (op == 2) {
      // (Its target address is 0.0.0.0 when it answers a probe, RFC 5227.)
      if (MacAt(&f[0]) != MacAt(p + 18)) Violation("transmitted an ARP reply to a third MAC");
    } else {
      Violation("transmitted ARP operation %u", op);
    }
    return;
  }
  if (type != kEtherTypeIpv4) Violation("transmitted EtherType 0x%04x", type);
  if (len < kIpv4HeaderLen || (p[0] >> 4) != 4) Violation("transmitted a malformed IPv4 header");
  const size_t hlen = size_t(p[0] & 0xf) * 4;
  if (hlen < kIpv4HeaderLen || hlen > len) Violation("transmitted IPv4 header length %zu", hlen);
  if (Load16(p + 2) != len) {
    Violation("transmitted IPv4 total length %u in a %zu-byte payload", Load16(p + 2), len);
  }
  if (InternetChecksum(absl::MakeConstSpan(p, hlen)) != 0) {
    Violation("transmitted a bad IPv4 header checksum");
  }
  if (p[8] == 0) Violation("transmitted TTL 0");
  const uint32_t src = Load32(p + 12), dst = Load32(p + 16);
  // From one of our addresses, or forwarded (a rump kernel forwards by
  // default): then from a source naming one host, as ip_input and
  // ip_forward let through, to a destination in_canforward allows.
  if (!IsOurAddress(src)) {
    if (src == 0 || src == 0xffffffff || (src >> 28) == 0xe || (src >> 24) == 127 ||
        src == kHostBroadcast || src == kAliasBroadcast) {
      Violation("forwarded a packet from %s", Dotted(src).c_str());
    }
    if ((dst >> 24) == 0 || (dst >> 28) >= 0xe) {
      Violation("forwarded a packet to %s", Dotted(dst).c_str());
    }
    return;  // the rest is about what the host itself sends
  }
  if (IsOurAddress(dst) || IsGroupAddress(dst) || (dst >> 24) == 127) {
    Violation("transmitted an IPv4 packet to %s", Dotted(dst).c_str());
  }
  if (MacAt(&f[0]) == kBroadcastMac) Violation("transmitted unicast IPv4 to the broadcast MAC");
  const uint16_t off = Load16(p + 6);
  if ((off & (kIpMoreFragments | kIpOffsetMask)) != 0) return;
  if (p[9] == kProtoTcp) {
    const absl::Span<const uint8_t> seg(p + hlen, len - hlen);
    if (seg.size() < kTcpFixedHeaderLen || size_t(seg[12] >> 4) * 4 < kTcpFixedHeaderLen ||
        size_t(seg[12] >> 4) * 4 > seg.size()) {
      Violation("transmitted a %zu-byte TCP segment with data offset %u", seg.size(), seg[12] >> 4);
    }
    if (ChecksumFold(ChecksumAccumulate(
            PseudoHeaderSum(src, dst, kProtoTcp, uint16_t(seg.size())), seg)) != 0) {
      Violation("transmitted a badly summed TCP segment");
    }
    return;
  }
  if (p[9] != kProtoIcmp) return;
  // A whole ICMP message.
  const absl::Span<const uint8_t> icmp(p + hlen, len - hlen);
  if (icmp.size() < kIcmpHeaderLen || InternetChecksum(icmp) != 0) {
    Violation("transmitted a short or badly summed ICMP message");
  }
  if (!IsIcmpErrorType(icmp[0])) return;
  // An error: about a unicast packet from the host it goes to, which was no
  // ICMP error and no later fragment (RFC 1122 3.2.2).
  const absl::Span<const uint8_t> inner = icmp.subspan(kIcmpHeaderLen);
  if (inner.size() < kIpv4HeaderLen) Violation("transmitted an ICMP error quoting no header");
  const size_t ihl = size_t(inner[0] & 0xf) * 4;
  const uint32_t isrc = Load32(&inner[12]), idst = Load32(&inner[16]);
  if (isrc != dst) {
    Violation("transmitted an ICMP error to %s about a packet from %s", Dotted(dst).c_str(),
              Dotted(isrc).c_str());
  }
  if (IsGroupAddress(idst)) {
    Violation("transmitted an ICMP error about a packet to %s", Dotted(idst).c_str());
  }
  if ((Load16(&inner[6]) & kIpOffsetMask) != 0) {
    Violation("transmitted an ICMP error about a non-first fragment");
  }
  if (inner[9] == kProtoIcmp && ihl >= kIpv4HeaderLen && inner.size() > ihl &&
      !IsIcmpInfoType(inner[ihl])) {
    Violation("transmitted an ICMP error about ICMP type %u", inner[ihl]);
  }
}

}  // namespace

// Where fuzz0's transmitted frames go: checked, counted, and kept while a
// probe listens. Transmit runs on any kernel thread.
class WireTap {
 public:
  void Transmit(absl::Span<const uint8_t> frame) {
    CheckTransmitted(frame);
    std::lock_guard<std::mutex> lock(mu_);
    ++transmitted_;
    if (capturing_) captured_.emplace_back(frame.begin(), frame.end());
  }
  void StartCapture() {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = true;
    captured_.clear();
  }
  std::vector<Frame> StopCapture() {
    std::lock_guard<std::mutex> lock(mu_);
    capturing_ = false;
    return std::move(captured_);
  }
  uint64_t transmitted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return transmitted_;
  }

 private:
  mutable std::mutex mu_;
  bool capturing_ = false;
  std::vector<Frame> captured_;
  uint64_t transmitted_ = 0;
};

namespace {

class TapDriver final : public InterfaceDriver {
 public:
  explicit TapDriver(std::shared_ptr<WireTap> tap) : tap_(std::move(tap)) {}
  absl::Status Start(Interface& ifp) override {
    ifp.SetLinkState(abi::kLinkStateUp);
    return absl::OkStatus();
  }
  void Stop(Interface& ifp) override { ifp.SetLinkState(abi::kLinkStateDown); }
  absl::Status Output(Interface&, absl::Span<const uint8_t> frame) override {
    tap_->Transmit(frame);
    return absl::OkStatus();
  }

 private:
  const std::shared_ptr<WireTap> tap_;
};

// Makes fuzz<N>: Ethernet interfaces as shmif's, with kHostMac.
class TapCloner final : public InterfaceCloner {
 public:
  explicit TapCloner(std::shared_ptr<WireTap> tap) : tap_(std::move(tap)) {}
  absl::string_view name() const override { return "fuzz"; }
  absl::StatusOr<InterfaceSpec> Create(int, const char*) override {
    InterfaceSpec spec;
    spec.driver = std::make_unique<TapDriver>(tap_);
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.mtu = abi::kEtherMtu;
    spec.lladdr.assign(kHostMac.begin(), kHostMac.end());
    spec.hdrlen = abi::kEtherHdrLen;
    spec.dlt = abi::kDLT_EN10MB;
    return spec;
  }

 private:
  const std::shared_ptr<WireTap> tap_;
};

uint64_t Ptr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// NetBSD's struct sockaddr_in.
std::array<uint8_t, 16> SockaddrIn(uint32_t addr, uint16_t port) {
  std::array<uint8_t, 16> s{};
  s[0] = 16;
  s[1] = uint8_t(abi::kAF_INET);
  Store16(&s[2], port);
  Store32(&s[4], addr);
  return s;
}

constexpr uint16_t kProbeEchoId = 0xfeed;
constexpr uint16_t kProbeSourcePort = 5555;
constexpr int kMaxDatagramsPerDrain = 100000;

// The right checksum of the unfragmented TCP segment in `f` (its checksum
// field taken as zero), summed as far as the IP header's total length says.
uint16_t RightTcpChecksum(const Frame& f, const FrameLayout& l) {
  const size_t ip = kEtherHeaderLen;
  const size_t ip_end = std::clamp<size_t>(ip + Load16(&f[ip + 2]), l.l4, f.size());
  const size_t len = ip_end - l.l4;
  uint64_t sum = PseudoHeaderSum(Load32(&f[ip + 12]), Load32(&f[ip + 16]), kProtoTcp,
                                 uint16_t(len));
  sum = ChecksumAccumulate(sum, absl::MakeConstSpan(&f[l.l4], std::min<size_t>(len, 16)));
  if (len > 18) sum = ChecksumAccumulate(sum, absl::MakeConstSpan(&f[l.l4 + 18], len - 18));
  return ChecksumFold(sum);
}

// The TSval in a TCP segment's options, or 0.
uint32_t TimestampValue(absl::Span<const uint8_t> opts) {
  for (size_t i = 0; i < opts.size();) {
    if (opts[i] == 0) break;
    if (opts[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size() || opts[i + 1] < 2 || i + opts[i + 1] > opts.size()) break;
    if (opts[i] == 8 && opts[i + 1] == 10) return Load32(&opts[i + 2]);
    i += opts[i + 1];
  }
  return 0;
}

}  // namespace

FuzzedHost::FuzzedHost() : tap_(std::make_shared<WireTap>()), recv_buf_(0x10000) {
  Inet::Config inet_config;
  inet_config.icmp_error_pps = -1;  // no rate limit: output depends on the input only
  KernelOptions options;
  options.hostname = "frame-fuzzer";
  options.components = {
      [] { return std::make_unique<NetStack>(); },
      [inet_config] { return std::make_unique<Inet>(inet_config); },
      [] { return std::make_unique<Shmif>(); },
  };
  absl::StatusOr<std::unique_ptr<Kernel>> k = Kernel::Boot(std::move(options));
  if (!k.ok()) Violation("boot: %s", k.status().ToString().c_str());
  kernel_ = std::move(*k);
  net_ = kernel_->Find<NetStack>();
  inet_ = kernel_->Find<Inet>();
  Require(net_ != nullptr && inet_ != nullptr, "the kernel has no net or inet component");
  // Addresses usable at once: duplicate address detection would hold them
  // tentative, and its probes and timers would make output depend on time.
  inet_->set_ip_dad_count(0);
  Require(net_->RegisterCloner(std::make_unique<TapCloner>(tap_)).ok(), "register fuzz cloner");
  absl::StatusOr<std::shared_ptr<Interface>> ifp = net_->CreateInterface("fuzz0");
  Require(ifp.ok(), "create fuzz0");
  ifp_ = std::move(*ifp);
  Require(inet_->AddAddress(*ifp_, htonl(kHostAddr), htonl(kHostNetmask), 0).ok(),
          "add 10.0.0.1/24");
  Require(inet_->AddAddress(*ifp_, htonl(kAliasAddr), htonl(kAliasNetmask), 0).ok(),
          "add 192.168.7.1/16");
  Require(net_->SetFlags(*ifp_, ifp_->flags() | abi::kIFF_UP).ok() && ifp_->up_and_running(),
          "bring fuzz0 up");
  LearnPeers();

  sockets_.push_back({OpenUdp(0, kUdpWildcardPort, false, true), false});
  udp_host_fd_ = OpenUdp(kHostAddr, kUdpHostPort, false, false);
  sockets_.push_back({udp_host_fd_, false});
  const int connected = OpenUdp(kHostAddr, kUdpConnectedPort, false, false);
  BindOrConnect(abi::kSysConnect, connected, kPeers[0].addr, kConnectedPeerPort);
  sockets_.push_back({connected, false});
  sockets_.push_back({OpenUdp(0, kUdpSharedPort, true, false), false});
  sockets_.push_back({OpenUdp(0, kUdpSharedPort, true, true), false});
  sockets_.push_back({OpenRaw(kProtoIcmp), true});
  sockets_.push_back({OpenRaw(kRawProto), true});
  const int raw_connected = OpenRaw(kRawConnectedProto);
  BindOrConnect(abi::kSysBind, raw_connected, kHostAddr, 0);
  BindOrConnect(abi::kSysConnect, raw_connected, kPeers[1].addr, 0);
  sockets_.push_back({raw_connected, true});

  // No rate limit on RSTs and challenge ACKs either.
  inet_->tcp().tunables().rstppslimit = -1;
  inet_->tcp().tunables().ackdropppslimit = -1;
  OpenTcpListener();
  EstablishTcp();
  AbortTcp();
  CheckStillServing();
}

FuzzedHost::~FuzzedHost() = default;

uint64_t FuzzedHost::frames_transmitted() const { return tap_->transmitted(); }

int64_t FuzzedHost::Call(int number, std::vector<uint64_t> args, int* error) {
  const SyscallResult r = kernel_->Syscall(number, args);
  if (error != nullptr) {
    *error = r.error;
  } else if (r.error != 0) {
    Violation("system call %d failed with errno %d", number, r.error);
  }
  return r.rv0;
}

int FuzzedHost::OpenUdp(uint32_t addr, uint16_t port, bool reuse_port, bool recv_dstaddr) {
  const int fd = int(Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(abi::kSOCK_DGRAM),
                                            uint64_t(abi::kIPPROTO_UDP)}));
  const int32_t on = 1;
  if (reuse_port) {
    Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kSOL_SOCKET),
                               uint64_t(abi::kSO_REUSEPORT), Ptr(&on), sizeof(on)});
  }
  if (recv_dstaddr) {
    Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kIPPROTO_IP),
                               uint64_t(abi::kIP_RECVDSTADDR), Ptr(&on), sizeof(on)});
  }
  BindOrConnect(abi::kSysBind, fd, addr, port);
  return fd;
}

int FuzzedHost::OpenRaw(int proto) {
  return int(
      Call(abi::kSysSocket, {uint64_t(abi::kAF_INET), uint64_t(abi::kSOCK_RAW), uint64_t(proto)}));
}

void FuzzedHost::BindOrConnect(int number, int fd, uint32_t addr, uint16_t port) {
  const std::array<uint8_t, 16> sin = SockaddrIn(addr, port);
  Call(number, {uint64_t(fd), Ptr(sin.data()), sin.size()});
}

void FuzzedHost::LearnPeers() {
  for (const Peer& p : kPeers) {
    InjectFrame(ArpFrame(
        kHostMac, p.mac,
        ArpFields{.op = 2, .sha = p.mac, .spa = p.addr, .tha = kHostMac, .tpa = kHostAddr}));
  }
  std::shared_ptr<inet::ArpCache> cache = inet_->arp_cache(ifp_->index());
  Require(cache != nullptr, "fuzz0 has an ARP cache");
  for (const Peer& p : kPeers) {
    Require(cache->Lookup(htonl(p.addr), absl::Now()) == p.mac, "ARP learned a peer");
  }
}

void FuzzedHost::InjectFrame(absl::Span<const uint8_t> frame) {
  ++frames_injected_;
  ifp_->Input(frame);
}

void FuzzedHost::RunInput(absl::Span<const uint8_t> input) {
  EstablishTcp();
  for (Frame& f : DecodeFrameList(input)) {
    ShiftTcpSequence(f);
    InjectFrame(f);
  }
  DrainSockets();
  DrainTcp();
  AbortTcp();
  CheckStillServing();
  CheckBounds();
  ++inputs_run_;
}

void FuzzedHost::CheckReceived(const OpenSocket& s, absl::Span<const uint8_t> d) {
  if (!s.raw) {
    if (d.size() > abi::kIP_MAXPACKET - kIpv4HeaderLen - kUdpHeaderLen) {
      Violation("a UDP socket received %zu bytes", d.size());
    }
    return;
  }
  // rip_input's packet: the header with ip_len (less the header) and ip_off
  // in host order.
  if (d.size() < kIpv4HeaderLen || (d[0] >> 4) != 4) {
    Violation("a raw socket received %zu bytes that are no IPv4 packet", d.size());
  }
  const size_t hlen = size_t(d[0] & 0xf) * 4;
  uint16_t ip_len;
  std::memcpy(&ip_len, &d[2], sizeof(ip_len));
  if (hlen < kIpv4HeaderLen || hlen > d.size() || ip_len != d.size() - hlen) {
    Violation("a raw socket received a %zu-byte packet with header length %zu and ip_len %u",
              d.size(), hlen, ip_len);
  }
}

void FuzzedHost::DrainSockets() {
  for (const OpenSocket& s : sockets_) {
    for (int n = 0;; ++n) {
      if (n > kMaxDatagramsPerDrain) Violation("socket %d never runs dry", s.fd);
      std::array<uint8_t, 16> from{};
      uint32_t fromlen = from.size();
      int error = 0;
      const int64_t got = Call(abi::kSysRecvfrom,
                               {uint64_t(s.fd), Ptr(recv_buf_.data()), recv_buf_.size(),
                                uint64_t(abi::kMSG_DONTWAIT), Ptr(from.data()), Ptr(&fromlen)},
                               &error);
      if (error == abi::kEAGAIN) break;
      if (error != 0) continue;  // a pending error (ECONNREFUSED, ...), reported once
      if (got < 0 || size_t(got) > recv_buf_.size()) Violation("recvfrom returned %ld", long(got));
      CheckReceived(s, absl::MakeConstSpan(recv_buf_.data(), size_t(got)));
    }
  }
}

Frame TcpFromPeer(const TcpFields& t) {
  const Peer& peer = kPeers[kTcpPeerIndex];
  Ipv4Fields ip;
  ip.proto = kProtoTcp;
  ip.src = peer.addr;
  ip.dst = kHostAddr;
  return EthernetFrame(kHostMac, peer.mac, kEtherTypeIpv4,
                       Ipv4Packet(ip, TcpSegment(peer.addr, kHostAddr, t, {})));
}

void FuzzedHost::EstablishTcp() {
  const Peer& peer = kPeers[kTcpPeerIndex];
  TcpFields syn;
  syn.sport = kTcpPeerPort;
  syn.dport = kTcpListenPort;
  syn.seq = kTcpPeerIss;
  syn.flags = kTcpFlagSyn;
  syn.window = kTcpPeerWindow;
  for (const Bytes& o : {TcpOptMss(kTcpPeerMss), TcpOptWindowScale(kTcpPeerWindowShift),
                         TcpOptSackPermitted(), TcpOptTimestamps(kTcpPeerTsval, 0)}) {
    syn.options.insert(syn.options.end(), o.begin(), o.end());
  }
  // The input before may have left a half-open connection with this
  // 4-tuple (its own SYN after a RST): what answers our SYN then is an
  // ACK, whose acknowledgment number is the sequence number of a RST that
  // clears it; then the SYN again.
  bool answered = false;
  uint32_t tsval = 0;
  size_t sent_count = 0;
  for (int attempt = 0; attempt < 3 && !answered; ++attempt) {
    tap_->StartCapture();
    InjectFrame(TcpFromPeer(syn));
    const std::vector<Frame> sent = tap_->StopCapture();
    sent_count = sent.size();
    for (const Frame& f : sent) {
      const FrameLayout l = Dissect(f);
      if (!l.ipv4 || l.fragment || l.proto != kProtoTcp || l.l4_header_len == 0) continue;
      const uint8_t* t = &f[l.l4];
      if (Load32(&f[kEtherHeaderLen + 16]) != peer.addr || Load16(t) != kTcpListenPort ||
          Load16(t + 2) != kTcpPeerPort) {
        continue;
      }
      if (t[13] == (kTcpFlagSyn | kTcpFlagAck) && Load32(t + 8) == kTcpPeerIss + 1) {
        answered = true;
        tcp_host_iss_ = Load32(t + 4);
        tsval = TimestampValue(absl::MakeConstSpan(t + kTcpFixedHeaderLen,
                                                   l.l4_header_len - kTcpFixedHeaderLen));
      } else if ((t[13] & (kTcpFlagAck | kTcpFlagRst)) == kTcpFlagAck) {
        TcpFields rst = syn;
        rst.seq = Load32(t + 8);
        rst.flags = kTcpFlagRst;
        rst.options.clear();
        InjectFrame(TcpFromPeer(rst));
      }
    }
  }
  if (!answered) {
    Violation("the TCP listener did not answer a SYN (%zu frames sent)", sent_count);
  }
  TcpFields ack = syn;
  ack.seq = kTcpPeerIss + 1;
  ack.ack = tcp_host_iss_ + 1;
  ack.flags = kTcpFlagAck;
  ack.window = uint16_t(kTcpPeerWindow >> kTcpPeerWindowShift);
  ack.options = TcpOptTimestamps(kTcpPeerTsval, tsval);
  InjectFrame(TcpFromPeer(ack));
  for (int n = 0; tcp_conn_fd_ < 0; ++n) {
    std::array<uint8_t, 16> from{};
    uint32_t fromlen = from.size();
    int error = 0;
    const int fd = int(Call(abi::kSysAccept,
                            {uint64_t(tcp_listener_fd_), Ptr(from.data()), Ptr(&fromlen)}, &error));
    if (error != 0 || n > 2 * kTcpBacklog) {
      Violation("the TCP listener did not accept the connection (errno %d)", error);
    }
    if (Load32(&from[4]) == peer.addr && Load16(&from[2]) == kTcpPeerPort) {
      tcp_conn_fd_ = fd;
    } else {
      AbortSocket(fd);
    }
  }
  const int32_t on = 1;
  Call(abi::kSysSetsockopt, {uint64_t(tcp_conn_fd_), uint64_t(abi::kIPPROTO_TCP),
                             uint64_t(abi::kTCP_NODELAY), Ptr(&on), sizeof(on)});
  const Bytes data(kTcpHostUnackedBytes, 'x');
  const int64_t wrote =
      Call(abi::kSysSendto, {uint64_t(tcp_conn_fd_), Ptr(data.data()), data.size(),
                             uint64_t(abi::kMSG_DONTWAIT), 0, 0});
  if (size_t(wrote) != data.size()) Violation("the TCP connection took %ld bytes", long(wrote));
}

void FuzzedHost::OpenTcpListener() {
  tcp_listener_fd_ = int(Call(abi::kSysSocket, {uint64_t(abi::kAF_INET),
                                                uint64_t(abi::kSOCK_STREAM),
                                                uint64_t(abi::kIPPROTO_TCP)}));
  int32_t on = 1;
  Call(abi::kSysSetsockopt, {uint64_t(tcp_listener_fd_), uint64_t(abi::kSOL_SOCKET),
                             uint64_t(abi::kSO_REUSEADDR), Ptr(&on), sizeof(on)});
  BindOrConnect(abi::kSysBind, tcp_listener_fd_, kHostAddr, kTcpListenPort);
  Call(abi::kSysListen, {uint64_t(tcp_listener_fd_), uint64_t(kTcpBacklog)});
  Call(abi::kSysIoctl, {uint64_t(tcp_listener_fd_), abi::kFIONBIO, Ptr(&on)});
}

void FuzzedHost::AbortSocket(int fd) {
  const int32_t linger[2] = {1, 0};  // struct linger: on, no time: close sends a RST
  int error = 0;
  Call(abi::kSysSetsockopt, {uint64_t(fd), uint64_t(abi::kSOL_SOCKET), uint64_t(abi::kSO_LINGER),
                             Ptr(linger), sizeof(linger)},
       &error);
  Call(abi::kSysClose, {uint64_t(fd)});
}

void FuzzedHost::AbortTcp() {
  if (tcp_conn_fd_ >= 0) AbortSocket(tcp_conn_fd_);
  tcp_conn_fd_ = -1;
  for (int n = 0;; ++n) {
    if (n > 4 * kTcpBacklog) Violation("the TCP listener's queue never empties");
    int error = 0;
    const int fd = int(Call(abi::kSysAccept, {uint64_t(tcp_listener_fd_), 0, 0}, &error));
    if (error == abi::kEAGAIN) break;
    if (error == 0) AbortSocket(fd);
  }
  // Half-open connections the input left (SYNs never completed) would
  // fill the listener's queues for 75 s, and a full listener drops SYNs:
  // a new listener each time.
  Call(abi::kSysClose, {uint64_t(tcp_listener_fd_)});
  OpenTcpListener();
}

void FuzzedHost::DrainTcp() {
  for (int n = 0; tcp_conn_fd_ >= 0; ++n) {
    if (n > kMaxDatagramsPerDrain) Violation("the TCP connection never runs dry");
    int error = 0;
    const int64_t got = Call(abi::kSysRecvfrom,
                             {uint64_t(tcp_conn_fd_), Ptr(recv_buf_.data()), recv_buf_.size(),
                              uint64_t(abi::kMSG_DONTWAIT), 0, 0},
                             &error);
    if (error != 0 || got == 0) break;  // EAGAIN, a reset, the peer's FIN
    if (got < 0 || size_t(got) > recv_buf_.size()) Violation("recv returned %ld", long(got));
  }
}

void FuzzedHost::ShiftTcpSequence(Frame& f) const {
  const uint32_t delta = tcp_host_iss_ - kTcpHostIss;
  const FrameLayout l = Dissect(f);
  if (delta == 0 || !l.ipv4 || l.fragment || l.proto != kProtoTcp || l.l4_header_len == 0) return;
  const Peer& peer = kPeers[kTcpPeerIndex];
  uint8_t* t = &f[l.l4];
  if (Load32(&f[kEtherHeaderLen + 12]) != peer.addr || Load32(&f[kEtherHeaderLen + 16]) != kHostAddr ||
      Load16(t) != kTcpPeerPort || Load16(t + 2) != kTcpListenPort) {
    return;
  }
  // Keep the checksum as wrong as it was.
  const uint16_t off_by = uint16_t(Load16(t + 16) - RightTcpChecksum(f, l));
  Store32(t + 8, Load32(t + 8) + delta);
  const size_t end = l.l4_header_len;
  for (size_t i = kTcpFixedHeaderLen; i < end;) {
    if (t[i] == 0) break;
    if (t[i] == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= end || t[i + 1] < 2 || i + t[i + 1] > end) break;
    if (t[i] == 5 && (t[i + 1] - 2) % 8 == 0) {
      for (size_t e = i + 2; e < size_t(i + t[i + 1]); e += 4) Store32(t + e, Load32(t + e) + delta);
    }
    i += t[i + 1];
  }
  Store16(t + 16, uint16_t(RightTcpChecksum(f, l) + off_by));
}

void FuzzedHost::CheckStillServing() {
  const Peer& pinger = kPeers[0];
  ++probe_seq_;
  // The ping: re-teach pinger's MAC (the input may have changed it), then
  // an echo request, answered on this thread before InjectFrame returns.
  tap_->StartCapture();
  InjectFrame(ArpFrame(
      kHostMac, pinger.mac,
      ArpFields{
          .op = 2, .sha = pinger.mac, .spa = pinger.addr, .tha = kHostMac, .tpa = kHostAddr}));
  Bytes text(16);
  std::snprintf(reinterpret_cast<char*>(text.data()), text.size(), "probe %u", probe_seq_);
  Ipv4Fields ip;
  ip.proto = kProtoIcmp;
  ip.id = probe_seq_;
  ip.src = pinger.addr;
  ip.dst = kHostAddr;
  const uint32_t id_seq = (uint32_t(kProbeEchoId) << 16) | probe_seq_;
  InjectFrame(EthernetFrame(kHostMac, pinger.mac, kEtherTypeIpv4,
                            Ipv4Packet(ip, IcmpMessage(8, 0, id_seq, text))));
  const std::vector<Frame> sent = tap_->StopCapture();
  bool answered = false;
  for (const Frame& f : sent) {
    const FrameLayout l = Dissect(f);
    if (!l.ipv4 || l.fragment || l.proto != kProtoIcmp || l.l4_header_len == 0) continue;
    const uint8_t* icmp = &f[l.l4];
    answered = answered ||
               (MacAt(f.data()) == pinger.mac && Load32(&f[kEtherHeaderLen + 16]) == pinger.addr &&
                icmp[0] == 0 && Load32(icmp + 4) == id_seq && f.size() == l.l4 + 8 + text.size() &&
                std::memcmp(icmp + 8, text.data(), text.size()) == 0);
  }
  if (!answered) {
    Violation("probe ping %u from %s unanswered (%zu frames sent meanwhile)", probe_seq_,
              Dotted(pinger.addr).c_str(), sent.size());
  }

  // The datagram: delivered to 10.0.0.1:7001 (drained before) at once.
  const Peer& sender = kPeers[1];
  ip.proto = kProtoUdp;
  ip.src = sender.addr;
  InjectFrame(EthernetFrame(
      kHostMac, sender.mac, kEtherTypeIpv4,
      Ipv4Packet(ip, UdpDatagram(sender.addr, kHostAddr, kProbeSourcePort, kUdpHostPort, text))));
  std::array<uint8_t, 16> from{};
  uint32_t fromlen = from.size();
  int error = 0;
  const int64_t got = Call(abi::kSysRecvfrom,
                           {uint64_t(udp_host_fd_), Ptr(recv_buf_.data()), recv_buf_.size(),
                            uint64_t(abi::kMSG_DONTWAIT), Ptr(from.data()), Ptr(&fromlen)},
                           &error);
  if (error != 0 || size_t(got) != text.size() ||
      std::memcmp(recv_buf_.data(), text.data(), text.size()) != 0 ||
      Load16(&from[2]) != kProbeSourcePort || Load32(&from[4]) != sender.addr) {
    Violation("probe datagram %u to %s:%u not received (errno %d, %ld bytes)", probe_seq_,
              Dotted(kHostAddr).c_str(), kUdpHostPort, error, long(got));
  }
}

void FuzzedHost::CheckBounds() {
  const inet::ReassemblyConfig reass;
  if (inet_->reassembler().bytes() > reass.max_bytes ||
      inet_->reassembler().datagrams() > reass.max_datagrams) {
    Violation("reassembly holds %zu bytes in %zu datagrams", inet_->reassembler().bytes(),
              inet_->reassembler().datagrams());
  }
  const inet::ArpConfig arp;
  std::shared_ptr<inet::ArpCache> cache = inet_->arp_cache(ifp_->index());
  Require(cache != nullptr, "fuzz0 keeps its ARP cache");
  const size_t entries = cache->size(), held = cache->held();
  if (entries > arp.max_entries || held > entries * arp.max_hold) {
    Violation("ARP cache has %zu entries holding %zu packets", entries, held);
  }
  const uint64_t counted = ifp_->stats().ipackets;
  if (counted != frames_injected_) {
    Violation("fuzz0 counted %lu input frames, %lu were handed over",
              static_cast<unsigned long>(counted), static_cast<unsigned long>(frames_injected_));
  }
}

}  // namespace rump::inet_fuzz
