#include "rump/netinet6/inet6.h"

#include <cstring>
#include <utility>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in6.h"
#include "rump/abi/socket.h"
#include "rump/kern/privilege.h"

namespace rump {

using inet6::In6Address;

namespace {

// A link-local unicast or link-local-scope multicast address: one whose
// zone is an interface.
bool HasLinkZone(const In6Address& a) {
  return a.IsLinkLocal() ||
         (a.IsMulticast() && (a.multicast_scope() == inet6::kScopeLinkLocal ||
                              a.multicast_scope() == inet6::kScopeInterfaceLocal));
}

In6Address ClearZone(const In6Address& a) {
  if (!HasLinkZone(a)) return a;
  In6Address::Bytes b = a.bytes();
  b[2] = b[3] = 0;
  return In6Address(b);
}

// The number of leading one bits of a contiguous mask, or -1.
int MaskLen(const In6Address& mask) {
  int len = 0;
  bool zeros = false;
  for (uint8_t byte : mask.bytes()) {
    for (int bit = 7; bit >= 0; --bit) {
      const bool one = (byte >> bit) & 1;
      if (one && zeros) return -1;
      if (one) ++len;
      else zeros = true;
    }
  }
  return len;
}

uint32_t Load32(absl::Span<const uint8_t> d, size_t off) {
  uint32_t v = 0;
  std::memcpy(&v, d.data() + off, 4);
  return v;
}

void Store32(absl::Span<uint8_t> d, size_t off, uint32_t v) { std::memcpy(d.data() + off, &v, 4); }

}  // namespace

std::string SockaddrIn6Embedded(const In6Address& addr, int zone) {
  std::string sa(abi::kSockaddrIn6Size, '\0');
  sa[abi::kSin6LenOff] = char(abi::kSockaddrIn6Size);
  sa[abi::kSin6FamilyOff] = char(abi::kAF_INET6);
  In6Address::Bytes b = addr.bytes();
  if (HasLinkZone(addr) && zone != 0) {
    b[2] = uint8_t(zone >> 8);
    b[3] = uint8_t(zone);
  }
  std::memcpy(sa.data() + abi::kSin6AddrOff, b.data(), 16);
  return sa;
}

Inet6::Inet6() = default;

Inet6::~Inet6() {
  bool detached;
  {
    std::lock_guard<std::mutex> lock(mu_);
    detached = detached_;
  }
  if (!detached) UnregisterFromNet();
}

absl::Status Inet6::Attach(Kernel& kernel) {
  net_ = kernel.Find<NetStack>();
  if (net_ == nullptr) {
    return absl::FailedPreconditionError(
        "inet6 needs the net component (rumpnet_net) attached before it");
  }
  kernel_ = &kernel;
  if (absl::Status s = RegisterWithNet(); !s.ok()) return s;
  // What NetBSD's in6_ifattach gives the loopback interface.
  if (std::shared_ptr<Interface> lo0 = net_->FindInterface("lo0"); lo0 != nullptr) {
    if (absl::Status s = AddAddress(*lo0, inet6::kIn6Loopback, 128); !s.ok()) return s;
    In6Address::Bytes ll{0xfe, 0x80};
    ll[15] = 1;
    if (absl::Status s = AddAddress(*lo0, In6Address(ll), 64); !s.ok()) return s;
  }
  // Interfaces already up (none at boot, but a late attach may find some).
  for (const std::shared_ptr<Interface>& ifp : net_->Interfaces()) {
    if (ifp->is_ethernet() && (ifp->flags() & abi::kIFF_UP)) {
      InterfaceEvent(*ifp, NetStack::InterfaceEvent::kUp);
    }
  }
  ScheduleTick();
  return absl::OkStatus();
}

void Inet6::Detach(Kernel&) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    detached_ = true;
    caches_.clear();
  }
  UnregisterFromNet();
}

absl::Status Inet6::RegisterWithNet() {
  subscription_ = net_->Subscribe(
      [this](Interface& ifp, NetStack::InterfaceEvent e) { InterfaceEvent(ifp, e); });
  net_->SetEtherTypeInput(abi::kETHERTYPE_IPV6,
                          [this](Interface& ifp, absl::Span<const uint8_t> p, bool group) {
                            Ip6Input(ifp, p, group);
                          });
  AddressFamily f;
  f.family = abi::kAF_INET6;
  f.name = "inet6";
  f.socket_factory = [this](NetStack& net, int domain, int type, int protocol,
                            int file_flags) -> absl::StatusOr<std::shared_ptr<Socket>> {
    if (type == abi::kSOCK_RAW && protocol == abi::kIPPROTO_ICMPV6) {
      return MakeIcmp6Socket(net, file_flags);
    }
    // UDP: only enough of a socket to carry the address ioctls, for now.
    if (type == abi::kSOCK_DGRAM && (protocol == 0 || protocol == abi::kIPPROTO_UDP)) {
      (void)domain;
      return std::make_shared<Udp6StubSocket>(*this, net, protocol, file_flags);
    }
    return abi::Errno(abi::kEPROTONOSUPPORT);
  };
  f.control = [this](InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data) {
    return Control(cfg, cmd, data);
  };
  return net_->RegisterFamily(std::move(f));
}

void Inet6::UnregisterFromNet() {
  if (net_ == nullptr) return;
  net_->UnregisterFamily(abi::kAF_INET6);
  net_->SetEtherTypeInput(abi::kETHERTYPE_IPV6, nullptr);
  if (subscription_ != 0) net_->Unsubscribe(subscription_);
  subscription_ = 0;
}

void Inet6::InterfaceEvent(Interface& ifp, NetStack::InterfaceEvent e) {
  if (e == NetStack::InterfaceEvent::kDestroyed) {
    std::lock_guard<std::mutex> lock(mu_);
    caches_.erase(ifp.index());
    return;
  }
  if (e == NetStack::InterfaceEvent::kDown) {
    if (std::shared_ptr<inet6::Nd6Cache> c = cache(ifp.index(), false)) c->Flush();
    return;
  }
  if (e != NetStack::InterfaceEvent::kUp || !ifp.is_ethernet() || ifp.lladdr().size() != 6) {
    return;
  }
  // NetBSD's in6_ifattach_linklocal: fe80::/64 with the modified EUI-64.
  MacAddress mac;
  std::copy(ifp.lladdr().begin(), ifp.lladdr().end(), mac.begin());
  const In6Address ll =
      inet6::SlaacAddress(In6Address(In6Address::Bytes{0xfe, 0x80}), inet6::InterfaceIdFromMac(mac));
  for (const In6IfAddress& a : Addresses(ifp)) {
    if (a.addr.IsLinkLocal()) return;  // it has one already
  }
  (void)AddAddress(ifp, ll, 64);
}

std::vector<In6IfAddress> Inet6::Addresses(const Interface& ifp) {
  std::vector<In6IfAddress> out;
  for (const InterfaceAddress& r : ifp.addresses(abi::kAF_INET6)) {
    if (r.addr.size() < abi::kSockaddrIn6Size) continue;
    In6IfAddress a;
    a.addr = ClearZone(
        In6Address::FromWire(reinterpret_cast<const uint8_t*>(r.addr.data()) + abi::kSin6AddrOff));
    a.prefix_len = 128;
    if (r.netmask.size() >= abi::kSockaddrIn6Size) {
      a.prefix_len = MaskLen(In6Address::FromWire(
          reinterpret_cast<const uint8_t*>(r.netmask.data()) + abi::kSin6AddrOff));
    }
    a.flags = r.family_flags;
    out.push_back(a);
  }
  return out;
}

absl::Status Inet6::AddAddress(Interface& ifp, const In6Address& addr, int prefix_len,
                               int flags) {
  return net_->Configure(ifp, [&](InterfaceConfig& cfg) {
    return AddAddressLocked(cfg, addr, prefix_len, flags);
  });
}

absl::Status Inet6::RemoveAddress(Interface& ifp, const In6Address& addr) {
  return net_->Configure(ifp, [&](InterfaceConfig& cfg) -> absl::Status {
    if (!cfg.ifp().RemoveAddress(abi::kAF_INET6, SockaddrIn6Embedded(addr, ifp.index()))) {
      return abi::Errno(abi::kEADDRNOTAVAIL);
    }
    cfg.AddressesChanged();
    return absl::OkStatus();
  });
}

absl::Status Inet6::AddAddressLocked(InterfaceConfig& cfg, const In6Address& addr,
                                     int prefix_len, int flags) {
  Interface& ifp = cfg.ifp();
  if (prefix_len < 0 || prefix_len > 128) return abi::Errno(abi::kEINVAL);
  // A link-local address is on a /64 (RFC 4291 2.5.6), as in6_update_ifa
  // insists.
  if (addr.IsLinkLocal() && prefix_len != 64) return abi::Errno(abi::kEINVAL);
  if (addr.IsMulticast() || addr.IsUnspecified()) return abi::Errno(abi::kEINVAL);
  const std::string sa = SockaddrIn6Embedded(addr, ifp.index());
  bool exists = false;
  for (const In6IfAddress& a : Addresses(ifp)) {
    if (a.addr == addr) {
      // The prefix length of an existing address cannot change.
      if (a.prefix_len != prefix_len) return abi::Errno(abi::kEINVAL);
      exists = true;
    }
  }
  if (absl::Status s = cfg.BringUp(); !s.ok() && !exists) {
    // in6_ifinit's if_addr_init: a shmif without a bus stays configured
    // (IFF_UP set), as NetBSD does; other failures are the caller's.
    if (abi::ToErrno(s) != abi::kENXIO) return s;
  }
  InterfaceAddress r;
  r.family = abi::kAF_INET6;
  r.addr = sa;
  r.netmask = SockaddrIn6Embedded(inet6::PrefixMask(prefix_len), 0);
  r.family_flags = flags & (abi::kIN6_IFF_ANYCAST | abi::kIN6_IFF_DEPRECATED |
                            abi::kIN6_IFF_NODAD | abi::kIN6_IFF_AUTOCONF |
                            abi::kIN6_IFF_TEMPORARY);
  if (exists) {
    ifp.ReplaceAddress(abi::kAF_INET6, sa, std::move(r));
  } else {
    ifp.AddAddress(std::move(r));
  }
  cfg.AddressesChanged();
  return absl::OkStatus();
}

absl::Status Inet6::Control(InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data) {
  Interface& ifp = cfg.ifp();
  const int zone = ifp.index();
  // The address a request names, made zone-free: a link-local one must be
  // of this interface's zone, named in sin6_scope_id or embedded in the
  // address (EINVAL otherwise, sa6_embedscope's check).
  auto read_addr = [&](size_t off, In6Address* out) -> absl::Status {
    if (off + abi::kSockaddrIn6Size > data.size()) return abi::Errno(abi::kEINVAL);
    In6Address a = In6Address::FromWire(data.data() + off + abi::kSin6AddrOff);
    if (HasLinkZone(a)) {
      const uint32_t scope = Load32(data, off + abi::kSin6ScopeIdOff);
      const int embedded = (a[2] << 8) | a[3];
      if ((scope != 0 && int(scope) != zone) || (embedded != 0 && embedded != zone)) {
        return abi::Errno(abi::kEINVAL);
      }
      a = ClearZone(a);
    }
    *out = a;
    return absl::OkStatus();
  };
  // Writes `a` to the sockaddr_in6 at `off` as the ioctls answer: the zone
  // in sin6_scope_id (sa6_recoverscope).
  auto write_addr = [&](size_t off, const In6Address& a) {
    std::string sa = SockaddrIn6Embedded(a, 0);
    std::memcpy(data.data() + off, sa.data(), sa.size());
    if (HasLinkZone(a)) Store32(data, off + abi::kSin6ScopeIdOff, uint32_t(zone));
  };

  switch (cmd) {
    case abi::kSIOCAIFADDR_IN6: {
      if (data.size() < abi::kIn6AliasreqSize) return abi::Errno(abi::kEINVAL);
      if (!privilege::IsRoot(cfg.cred())) return abi::Errno(abi::kEPERM);
      if (data[abi::kIfra6AddrOff + abi::kSin6FamilyOff] != abi::kAF_INET6) {
        return abi::Errno(abi::kEAFNOSUPPORT);
      }
      if (data[abi::kIfra6AddrOff + abi::kSin6LenOff] != abi::kSockaddrIn6Size) {
        return abi::Errno(abi::kEINVAL);
      }
      const int dst_family = data[abi::kIfra6DstaddrOff + abi::kSin6FamilyOff];
      if (dst_family != abi::kAF_INET6 && dst_family != abi::kAF_UNSPEC) {
        return abi::Errno(abi::kEAFNOSUPPORT);
      }
      In6Address addr;
      if (absl::Status s = read_addr(abi::kIfra6AddrOff, &addr); !s.ok()) return s;
      int plen = 128;
      if (data[abi::kIfra6PrefixmaskOff + abi::kSin6LenOff] != 0) {
        plen = MaskLen(In6Address::FromWire(data.data() + abi::kIfra6PrefixmaskOff +
                                            abi::kSin6AddrOff));
        if (plen <= 0) return abi::Errno(abi::kEINVAL);
      }
      const uint32_t vltime = Load32(data, abi::kIfra6LifetimeOff + abi::kIa6tVltimeOff);
      const uint32_t pltime = Load32(data, abi::kIfra6LifetimeOff + abi::kIa6tPltimeOff);
      if (pltime > vltime) return abi::Errno(abi::kEINVAL);
      if (vltime == 0) {
        // An address that is already invalid: nothing to add.
        bool exists = false;
        for (const In6IfAddress& a : Addresses(ifp)) exists |= a.addr == addr;
        if (!exists) return absl::OkStatus();
      }
      int flags = 0;
      std::memcpy(&flags, data.data() + abi::kIfra6FlagsOff, 4);
      return AddAddressLocked(cfg, addr, plen, flags);
    }
    case abi::kSIOCDIFADDR_IN6:
    case abi::kSIOCGIFADDR_IN6:
    case abi::kSIOCGIFNETMASK_IN6:
    case abi::kSIOCGIFAFLAG_IN6:
    case abi::kSIOCGIFALIFETIME_IN6: {
      if (data.size() < abi::kIn6IfreqSize) return abi::Errno(abi::kEINVAL);
      In6Address addr;
      if (data[abi::kIn6IfrAddrOff + abi::kSin6FamilyOff] != abi::kAF_INET6 ||
          !read_addr(abi::kIn6IfrAddrOff, &addr).ok()) {
        return abi::Errno(abi::kEADDRNOTAVAIL);
      }
      std::optional<In6IfAddress> found;
      for (const In6IfAddress& a : Addresses(ifp)) {
        if (a.addr == addr) found = a;
      }
      if (!found) return abi::Errno(abi::kEADDRNOTAVAIL);
      const size_t off = abi::kIn6IfrAddrOff;
      std::memset(data.data() + off, 0, abi::kIn6IfreqSize - off);
      switch (cmd) {
        case abi::kSIOCDIFADDR_IN6:
          if (!privilege::IsRoot(cfg.cred())) return abi::Errno(abi::kEPERM);
          ifp.RemoveAddress(abi::kAF_INET6, SockaddrIn6Embedded(addr, zone));
          cfg.AddressesChanged();
          return absl::OkStatus();
        case abi::kSIOCGIFADDR_IN6:
          write_addr(off, found->addr);
          return absl::OkStatus();
        case abi::kSIOCGIFNETMASK_IN6:
          write_addr(off, inet6::PrefixMask(found->prefix_len));
          return absl::OkStatus();
        case abi::kSIOCGIFAFLAG_IN6: {
          // Detached while the interface is down (NetBSD's in6_if_down),
          // as NetBSD's ifconfig then shows it; lo0 never is.
          const bool down = !ifp.is_loopback() && (ifp.flags() & abi::kIFF_UP) == 0;
          Store32(data, abi::kIn6IfrFlags6Off,
                  uint32_t(found->flags | (down ? abi::kIN6_IFF_DETACHED : 0)));
          return absl::OkStatus();
        }
        default:  // SIOCGIFALIFETIME_IN6: expire 0 (never), infinite times
          Store32(data, abi::kIn6IfrLifetimeOff + abi::kIa6tVltimeOff,
                  abi::kND6_INFINITE_LIFETIME);
          Store32(data, abi::kIn6IfrLifetimeOff + abi::kIa6tPltimeOff,
                  abi::kND6_INFINITE_LIFETIME);
          return absl::OkStatus();
      }
    }
    case abi::kSIOCGIFADDRPREF: {
      // The preference of one of the interface's addresses (what NetBSD's
      // ifconfig asks for each one it lists): always 0, nothing sets one.
      if (data.size() < abi::kIfAddrprefreqSize) return abi::Errno(abi::kEINVAL);
      if (data[abi::kIfapAddrOff + abi::kSin6FamilyOff] != abi::kAF_INET6 ||
          data[abi::kIfapAddrOff + abi::kSin6LenOff] != abi::kSockaddrIn6Size) {
        return abi::Errno(abi::kEINVAL);
      }
      In6Address addr;
      if (!read_addr(abi::kIfapAddrOff, &addr).ok()) return abi::Errno(abi::kEADDRNOTAVAIL);
      bool found = false;
      for (const In6IfAddress& a : Addresses(ifp)) found |= a.addr == addr;
      if (!found) return abi::Errno(abi::kEADDRNOTAVAIL);
      const int16_t preference = 0;
      std::memcpy(data.data() + abi::kIfapPreferenceOff, &preference, 2);
      return absl::OkStatus();
    }
    default:
      return abi::Errno(abi::kENOTTY);
  }
}

}  // namespace rump
