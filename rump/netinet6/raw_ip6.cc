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
  if (absl::Status s = inet6_.Output(ifp.get(), In6Address(), dst, abi::kIPPROTO_ICMPV6,
                                     req.data);
      !s.ok()) {
    return s;
  }
  return req.data.size();
}

absl::Status Icmp6Socket::ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) {
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
  std::string from = SockaddrIn6Embedded(h.src, 0);
  if (HasLinkZone(h.src)) {
    const uint32_t zone = uint32_t(ifp.index());
    std::memcpy(from.data() + abi::kSin6ScopeIdOff, &zone, 4);
  }
  for (const std::shared_ptr<Icmp6Socket>& s : sockets) {
    if (!s->Passes(msg[0])) continue;
    Datagram d;
    d.from = from;
    d.data.assign(msg.begin(), msg.end());
    (void)s->DeliverDatagram(std::move(d));
  }
}

}  // namespace rump
