// Raw ICMPv6 sockets (NetBSD's raw_ip6.c and icmp6's ICMP6_FILTER, for the
// ICMPv6 protocol only).
#include <cstring>
#include <utility>

#include "rump/abi/errno.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/kern/privilege.h"
#include "rump/netinet6/inet6.h"

namespace rump {

using inet6::In6Address;

namespace {

bool HasLinkZone(const In6Address& a) {
  return a.IsLinkLocal() || (a.IsMulticast() && a.multicast_scope() <= inet6::kScopeLinkLocal);
}

}  // namespace

Icmp6Socket::Icmp6Socket(Inet6& inet6, NetStack& net, int file_flags)
    : Socket(net, abi::kAF_INET6, abi::kSOCK_RAW, abi::kIPPROTO_ICMPV6, file_flags),
      inet6_(inet6) {
  std::memset(filter_, 0xff, sizeof(filter_));
}

bool Icmp6Socket::Passes(uint8_t type) const {
  std::lock_guard<std::mutex> lock(mu_);
  return (filter_[type >> 5] >> (type & 31)) & 1;
}

absl::StatusOr<size_t> Icmp6Socket::ProtoSend(const SendRequest& req) {
  if (req.to.empty()) return abi::Errno(abi::kEDESTADDRREQ);
  if (req.to.size() < abi::kSockaddrIn6Size) return abi::Errno(abi::kEINVAL);
  if (req.to[abi::kSin6FamilyOff] != abi::kAF_INET6) return abi::Errno(abi::kEAFNOSUPPORT);
  In6Address dst = In6Address::FromWire(req.to.data() + abi::kSin6AddrOff);
  uint32_t scope = 0;
  std::memcpy(&scope, req.to.data() + abi::kSin6ScopeIdOff, 4);
  std::shared_ptr<Interface> ifp;
  if (HasLinkZone(dst)) {
    In6Address::Bytes b = dst.bytes();
    if (scope == 0) scope = uint32_t((b[2] << 8) | b[3]);
    b[2] = b[3] = 0;
    dst = In6Address(b);
    if (scope == 0) return abi::Errno(abi::kEHOSTUNREACH);
    ifp = inet6_.FindInterface(int(scope));
    if (ifp == nullptr) return abi::Errno(abi::kENXIO);
  }
  if (req.data.size() < 4) return abi::Errno(abi::kEINVAL);
  In6Address src;
  {
    std::lock_guard<std::mutex> lock(mu_);
    src = local_;
  }
  if (absl::Status s = inet6_.Output(ifp.get(), src, dst, abi::kIPPROTO_ICMPV6,
                                     req.data);
      !s.ok()) {
    return s;
  }
  return req.data.size();
}

namespace {

// A sockaddr_in6's address, zone-free, and its zone (sin6_scope_id or
// embedded).
absl::Status ReadSin6(absl::Span<const uint8_t> sa, In6Address* addr, int* zone) {
  if (sa.size() < abi::kSockaddrIn6Size) return abi::Errno(abi::kEINVAL);
  if (sa[abi::kSin6FamilyOff] != abi::kAF_INET6) return abi::Errno(abi::kEAFNOSUPPORT);
  In6Address a = In6Address::FromWire(sa.data() + abi::kSin6AddrOff);
  uint32_t scope = 0;
  std::memcpy(&scope, sa.data() + abi::kSin6ScopeIdOff, 4);
  if (HasLinkZone(a)) {
    In6Address::Bytes b = a.bytes();
    if (scope == 0) scope = uint32_t((b[2] << 8) | b[3]);
    b[2] = b[3] = 0;
    a = In6Address(b);
  }
  *addr = a;
  *zone = int(scope);
  return absl::OkStatus();
}

std::string Sin6WithZone(const In6Address& a, int zone) {
  std::string sa = SockaddrIn6Embedded(a, 0);
  if (HasLinkZone(a)) {
    const uint32_t z = uint32_t(zone);
    std::memcpy(sa.data() + abi::kSin6ScopeIdOff, &z, 4);
  }
  return sa;
}

// IPv6 options a program sets that change nothing here yet (hop limits,
// multicast settings, path MTU use): accepted and ignored.
bool IgnoredIpv6Option(int name) {
  switch (name) {
    case 4:   // IPV6_UNICAST_HOPS
    case 9:   // IPV6_MULTICAST_IF
    case 10:  // IPV6_MULTICAST_HOPS
    case 11:  // IPV6_MULTICAST_LOOP
    case abi::kIPV6_USE_MIN_MTU:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status Icmp6Socket::ProtoBind(const Credentials&, absl::Span<const uint8_t> addr) {
  In6Address a;
  int zone = 0;
  if (absl::Status s = ReadSin6(addr, &a, &zone); !s.ok()) return s;
  if (!a.IsUnspecified()) {
    absl::StatusOr<Inet6::Route6> r = inet6_.SelectRoute(a, zone);
    bool ours = false;
    if (r.ok()) {
      for (const In6IfAddress& x : Inet6::Addresses(*r->ifp)) ours |= x.addr == a;
    }
    if (!ours) return abi::Errno(abi::kEADDRNOTAVAIL);
  }
  std::lock_guard<std::mutex> lock(mu_);
  local_ = a;
  local_zone_ = zone;
  return absl::OkStatus();
}

absl::StatusOr<std::string> Icmp6Socket::ProtoSockName() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Sin6WithZone(local_, local_zone_);
}

absl::Status Icmp6Socket::ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) {
  if (level == abi::kIPPROTO_IPV6) {
    if (name == abi::kIPV6_RECVPKTINFO || name == abi::kIPV6_RECVHOPLIMIT) {
      if (value.size() != 4) return abi::Errno(abi::kEINVAL);
      int on = 0;
      std::memcpy(&on, value.data(), 4);
      std::lock_guard<std::mutex> lock(mu_);
      (name == abi::kIPV6_RECVPKTINFO ? recv_pktinfo_ : recv_hoplimit_) = on != 0;
      return absl::OkStatus();
    }
    if (IgnoredIpv6Option(name)) return absl::OkStatus();
  }
  if (level != abi::kIPPROTO_ICMPV6 || name != abi::kICMP6_FILTER) {
    return Socket::ProtoSetOption(level, name, value);
  }
  if (value.size() != sizeof(filter_)) return abi::Errno(abi::kEINVAL);
  std::lock_guard<std::mutex> lock(mu_);
  std::memcpy(filter_, value.data(), sizeof(filter_));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Icmp6Socket::ProtoGetOption(int level, int name) {
  if (level != abi::kIPPROTO_ICMPV6 || name != abi::kICMP6_FILTER) {
    return Socket::ProtoGetOption(level, name);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return std::string(reinterpret_cast<const char*>(filter_), sizeof(filter_));
}

Udp6StubSocket::Udp6StubSocket(Inet6& inet6, NetStack& net, int protocol, int file_flags)
    : Socket(net, abi::kAF_INET6, abi::kSOCK_DGRAM, protocol, file_flags), inet6_(inet6) {}

absl::Status Udp6StubSocket::ProtoConnect(absl::Span<const uint8_t> addr) {
  In6Address dst;
  int zone = 0;
  if (absl::Status s = ReadSin6(addr, &dst, &zone); !s.ok()) return s;
  absl::StatusOr<Inet6::Route6> r = inet6_.SelectRoute(dst, zone);
  if (!r.ok()) return r.status();
  std::lock_guard<std::mutex> lock(mu_);
  local_ = Sin6WithZone(r->src, r->ifp->index());
  return absl::OkStatus();
}

absl::StatusOr<std::string> Udp6StubSocket::ProtoSockName() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (local_.empty()) return Sin6WithZone(In6Address(), 0);
  return local_;
}

absl::Status Udp6StubSocket::ProtoSetOption(int level, int name,
                                            absl::Span<const uint8_t> value) {
  if (level == abi::kIPPROTO_IPV6 && IgnoredIpv6Option(name)) return absl::OkStatus();
  return Socket::ProtoSetOption(level, name, value);
}

absl::StatusOr<std::shared_ptr<Socket>> Inet6::MakeIcmp6Socket(NetStack& net, int file_flags) {
  auto so = std::make_shared<Icmp6Socket>(*this, net, file_flags);
  std::lock_guard<std::mutex> lock(mu_);
  // Drop the records of closed sockets as new ones come.
  std::erase_if(raw_sockets_, [](const std::weak_ptr<Icmp6Socket>& w) { return w.expired(); });
  raw_sockets_.push_back(so);
  return std::shared_ptr<Socket>(so);
}

void Inet6::RawInput(Interface& ifp, const inet6::Ip6Header& h, absl::Span<const uint8_t> msg) {
  std::vector<std::shared_ptr<Icmp6Socket>> sockets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::weak_ptr<Icmp6Socket>& w : raw_sockets_) {
      if (std::shared_ptr<Icmp6Socket> s = w.lock()) sockets.push_back(std::move(s));
    }
  }
  if (sockets.empty()) return;
  const std::string from = Sin6WithZone(h.src, ifp.index());
  for (const std::shared_ptr<Icmp6Socket>& s : sockets) {
    if (!s->Passes(msg[0])) continue;
    bool pktinfo, hoplimit;
    {
      std::lock_guard<std::mutex> lock(s->mu_);
      pktinfo = s->recv_pktinfo_;
      hoplimit = s->recv_hoplimit_;
    }
    Datagram d;
    d.from = from;
    d.data.assign(msg.begin(), msg.end());
    auto add_cmsg = [&d](int type, const void* data, size_t len) {
      std::string c(abi::CmsgSpace(len), '\0');
      const uint32_t clen = uint32_t(abi::CmsgLen(len));
      const int level = abi::kIPPROTO_IPV6;
      std::memcpy(c.data(), &clen, 4);
      std::memcpy(c.data() + 4, &level, 4);
      std::memcpy(c.data() + 8, &type, 4);
      std::memcpy(c.data() + abi::CmsgAlign(abi::kCmsghdrSize), data, len);
      d.control += c;
    };
    if (pktinfo) {  // struct in6_pktinfo: the destination, the interface
      uint8_t pi[abi::kIn6PktinfoSize] = {};
      h.dst.ToWire(pi + abi::kIpi6AddrOff);
      const uint32_t index = uint32_t(ifp.index());
      std::memcpy(pi + abi::kIpi6IfindexOff, &index, 4);
      add_cmsg(abi::kIPV6_PKTINFO, pi, sizeof(pi));
    }
    if (hoplimit) {
      const int hlim = h.hop_limit;
      add_cmsg(abi::kIPV6_HOPLIMIT, &hlim, 4);
    }
    (void)s->DeliverDatagram(std::move(d));
  }
}

}  // namespace rump
