// The IPv4 control routine (NetBSD's in_control and in_ifinit,
// sys/netinet/in.c): the AF_INET interface ioctls on copied-in arguments,
// and the C++ calls that do the same.
#include <algorithm>
#include <cstring>
#include <utility>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/in.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/kern/privilege.h"
#include "rump/netinet/in_ifaddr.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_socket.h"
#include "rump/netinet/ip_header.h"

namespace rump {
namespace {

using inet::InAddress;

// Writes `sa` into the ifreq union (ifreq_setaddr: the union is cleared).
void SetIfreqAddr(absl::Span<uint8_t> data, const std::string& sa) {
  if (data.size() < abi::kIfreqSize) return;
  std::memset(data.data() + abi::kIfrUnionOff, 0, abi::kIfrUnionSize);
  std::memcpy(data.data() + abi::kIfrUnionOff, sa.data(),
              std::min(sa.size(), abi::kIfrUnionSize));
}

// A 16-byte sockaddr slot of an ifaliasreq, overwritten with `sa`.
void SetSlot(absl::Span<uint8_t> data, size_t off, const std::string& sa) {
  if (off + abi::kSockaddrSize > data.size()) return;
  std::memset(data.data() + off, 0, abi::kSockaddrSize);
  std::memcpy(data.data() + off, sa.data(), std::min(sa.size(), abi::kSockaddrSize));
}

uint32_t Load32(absl::Span<const uint8_t> data, size_t off) {
  uint32_t v = 0;
  if (off + 4 <= data.size()) std::memcpy(&v, data.data() + off, 4);
  return v;
}

std::string Sin(uint32_t addr) { return inet::SockaddrIn(addr, 0); }

}  // namespace

// The fields of a SIOCAIFADDR request (struct ifaliasreq) that matter.
// Addresses in network order; a *_len of 0 means "not given".
struct Inet::AliasRequest {
  uint8_t addr_len = 0;
  int addr_family = 0;
  uint32_t addr = 0;
  uint8_t mask_len = 0;
  uint32_t mask = 0;
  int brd_family = 0;
  uint32_t brd = 0;
};

absl::Status Inet::AddAddressLocked(InterfaceConfig& cfg, const AliasRequest& req) {
  Interface& ifp = cfg.ifp();
  const std::vector<InAddress> addrs = inet::InAddresses(ifp);
  int idx = -1;
  if (req.addr_family == abi::kAF_INET) {
    for (size_t i = 0; i < addrs.size(); ++i) {
      if (addrs[i].addr == req.addr) idx = int(i);
    }
  } else if (!addrs.empty()) {
    idx = 0;  // NetBSD's IFP_TO_IA: the interface's first address
  }
  uint32_t host = req.addr;
  int family = req.addr_family;
  bool host_is_new = true;
  if (idx >= 0) {
    if (req.addr_len == 0) {  // no address given: change the existing one
      host = addrs[idx].addr;
      family = abi::kAF_INET;
      host_is_new = false;
    } else if (addrs[idx].addr == req.addr) {
      host_is_new = false;
    }
  }
  if (family != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);

  InAddress a = idx >= 0 ? addrs[idx] : InAddress{};
  uint32_t subnetmask = a.netmask;
  bool mask_is_new = false;
  if (req.mask_len != 0) {
    subnetmask = req.mask;
    mask_is_new = true;
  }
  bool announce = false;
  uint64_t dad_id = 0;
  if (host_is_new || mask_is_new) {
    // in_ifinit -> if_addr_init: the interface comes up; the new address
    // is announced here (arp_ifinit), or by detection when it ends.
    if (absl::Status s = cfg.BringUp(); !s.ok()) return s;
    a.addr = host;
    if (subnetmask == 0) subnetmask = inet::ClassNetmask(host);
    a.netmask = subnetmask;
    if (ifp.flags() & abi::kIFF_BROADCAST) {
      a.broadaddr = (host & subnetmask) | ~subnetmask;
    } else if (ifp.flags() & abi::kIFF_LOOPBACK) {
      a.broadaddr = host;
    }
    announce = host != 0;
  }
  // Setting a duplicated address again tries detection again (in_ifinit).
  const bool retry_dad =
      !host_is_new && idx >= 0 && (addrs[idx].flags & abi::kIN_IFF_DUPLICATED) != 0;
  if (host_is_new || retry_dad) {
    if (idx >= 0) DadForget(ifp.index(), addrs[idx].addr);
    a.flags = 0;
    // A new address of an ARP interface is tentative until detection ends
    // (arp_ifinit's IN_IFF_TRYTENTATIVE); the announcement comes then.
    if (host != 0 && ifp.is_ethernet() && ifp.lladdr().size() == 6 &&
        !(ifp.flags() & abi::kIFF_NOARP) && ip_dad_count_.load() > 0) {
      a.flags = abi::kIN_IFF_TENTATIVE;
      dad_id = DadBegin(ifp.index(), host);
      announce = false;
    }
  }
  if ((ifp.flags() & abi::kIFF_BROADCAST) && req.brd_family == abi::kAF_INET) {
    a.broadaddr = req.brd;
  }
  InterfaceAddress record = inet::ToRecord(a);
  // On an ARP interface NetBSD marks the address RTF_CLONING (arp_ifinit)
  // and IFA_ROUTE (its prefix route is in); on lo0 it reports neither.
  if (ifp.is_ethernet()) record.flags = abi::kRTF_CLONING | abi::kIFA_ROUTE;
  if (idx < 0) {
    ifp.AddAddress(std::move(record));
  } else {
    ifp.ReplaceAddress(abi::kAF_INET, Sin(addrs[idx].addr), std::move(record));
  }
  cfg.AddressesChanged();
  if (announce) {
    std::shared_ptr<Interface> ref = net_->FindInterfaceByIndex(ifp.index());
    if (ref != nullptr) cfg.AfterUnlock([this, ref, a] { Announce(*ref, a); });
  }
  if (dad_id != 0) {
    const int index = ifp.index();
    cfg.AfterUnlock([this, index, host, dad_id] {
      DadScheduleTick(index, host, dad_id, absl::ZeroDuration());
    });
  }
  return absl::OkStatus();
}

absl::Status Inet::AddAddress(Interface& ifp, uint32_t addr, uint32_t netmask,
                              uint32_t broadaddr) {
  AliasRequest req;
  req.addr_len = abi::kSockaddrInSize;
  req.addr_family = abi::kAF_INET;
  req.addr = addr;
  req.mask_len = netmask != 0 ? abi::kSockaddrInSize : 0;
  req.mask = netmask;
  req.brd_family = broadaddr != 0 ? abi::kAF_INET : 0;
  req.brd = broadaddr;
  return net_->Configure(ifp, [&](InterfaceConfig& cfg) { return AddAddressLocked(cfg, req); });
}

absl::Status Inet::DeleteAddress(Interface& ifp, uint32_t addr) {
  return net_->Configure(ifp, [&](InterfaceConfig& cfg) -> absl::Status {
    if (!ifp.RemoveAddress(abi::kAF_INET, Sin(addr))) return abi::Errno(abi::kEADDRNOTAVAIL);
    DadForget(ifp.index(), addr);
    cfg.AddressesChanged();
    return absl::OkStatus();
  });
}

absl::Status Inet::Control(InterfaceConfig& cfg, uint64_t cmd, absl::Span<uint8_t> data) {
  Interface& ifp = cfg.ifp();
  const std::vector<InAddress> addrs = inet::InAddresses(ifp);
  const uint32_t flags = ifp.flags();
  switch (cmd) {
    case abi::kSIOCAIFADDR: {
      if (data.size() < abi::kIfaliasreqSize) return abi::Errno(abi::kEINVAL);
      AliasRequest req;
      req.addr_len = data[abi::kIfraAddrOff + abi::kSinLenOff];
      req.addr_family = data[abi::kIfraAddrOff + abi::kSinFamilyOff];
      req.addr = Load32(data, abi::kIfraAddrOff + abi::kSinAddrOff);
      req.mask_len = data[abi::kIfraMaskOff + abi::kSinLenOff];
      req.mask = Load32(data, abi::kIfraMaskOff + abi::kSinAddrOff);
      req.brd_family = data[abi::kIfraBroadaddrOff + abi::kSinFamilyOff];
      req.brd = Load32(data, abi::kIfraBroadaddrOff + abi::kSinAddrOff);
      return AddAddressLocked(cfg, req);
    }
    case abi::kSIOCDIFADDR:
    case abi::kSIOCGIFALIAS:
    case abi::kSIOCGIFAFLAG_IN: {
      if (data.size() < abi::kIfraAddrOff + abi::kSockaddrSize) return abi::Errno(abi::kEINVAL);
      // ifr_addr (ifreq) and ifra_addr (ifaliasreq) share offset 16.
      const uint8_t len = data[abi::kIfraAddrOff + abi::kSinLenOff];
      int family = data[abi::kIfraAddrOff + abi::kSinFamilyOff];
      const uint32_t addr = Load32(data, abi::kIfraAddrOff + abi::kSinAddrOff);
      int idx = -1;
      if (family == abi::kAF_INET) {
        for (size_t i = 0; i < addrs.size(); ++i) {
          if (addrs[i].addr == addr) idx = int(i);
        }
      } else if (!addrs.empty()) {
        idx = 0;
      }
      if (idx < 0) return abi::Errno(abi::kEADDRNOTAVAIL);
      if (absl::Status s = privilege::InterfaceIoctl(cfg.cred(), cmd); !s.ok()) return s;
      if (cmd == abi::kSIOCDIFADDR && family == abi::kAF_UNSPEC) family = abi::kAF_INET;
      if (len == 0) {  // in_control copies the interface's address in
        family = abi::kAF_INET;
        if (cmd == abi::kSIOCGIFALIAS) SetSlot(data, abi::kIfraAddrOff, Sin(addrs[idx].addr));
      }
      if (family != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);
      const InAddress& a = addrs[idx];
      if (cmd == abi::kSIOCGIFAFLAG_IN) {
        if (data.size() < abi::kIfrAddrflagsOff + 4) return abi::Errno(abi::kEINVAL);
        // Tentative or duplicated as detection left it; detached while
        // the interface is not up and running or its link is down
        // (in_if_link_down).
        const bool attached =
            (flags & (abi::kIFF_UP | abi::kIFF_RUNNING)) == (abi::kIFF_UP | abi::kIFF_RUNNING) &&
            ifp.link_state() != abi::kLinkStateDown;
        const int32_t aflags = a.flags | (attached ? 0 : abi::kIN_IFF_DETACHED);
        std::memcpy(data.data() + abi::kIfrAddrflagsOff, &aflags, 4);
        return absl::OkStatus();
      }
      if (cmd == abi::kSIOCGIFALIAS) {
        SetSlot(data, abi::kIfraMaskOff, inet::InMaskSockaddr(a.netmask));
        SetSlot(data, abi::kIfraBroadaddrOff,
                (flags & abi::kIFF_BROADCAST) ? Sin(a.broadaddr) : std::string());
        return absl::OkStatus();
      }
      if (ifp.RemoveAddress(abi::kAF_INET, Sin(a.addr))) cfg.AddressesChanged();
      DadForget(ifp.index(), a.addr);
      return absl::OkStatus();
    }
    case abi::kSIOCGIFADDRPREF: {
      // The preference of one of the interface's addresses: always 0, as
      // nothing sets one (SIOCSIFADDRPREF is not supported).
      if (data.size() < abi::kIfAddrprefreqSize) return abi::Errno(abi::kEINVAL);
      if (data[abi::kIfapAddrOff + abi::kSinFamilyOff] != abi::kAF_INET ||
          data[abi::kIfapAddrOff + abi::kSinLenOff] != abi::kSockaddrInSize) {
        return abi::Errno(abi::kEINVAL);
      }
      const uint32_t addr = Load32(data, abi::kIfapAddrOff + abi::kSinAddrOff);
      if (std::none_of(addrs.begin(), addrs.end(),
                       [addr](const InAddress& a) { return a.addr == addr; })) {
        return abi::Errno(abi::kEADDRNOTAVAIL);
      }
      const int16_t preference = 0;
      std::memcpy(data.data() + abi::kIfapPreferenceOff, &preference, 2);
      return absl::OkStatus();
    }
    case abi::kSIOCGIFADDR:
    case abi::kSIOCGIFNETMASK:
    case abi::kSIOCGIFBRDADDR:
    case abi::kSIOCGIFDSTADDR: {
      if (addrs.empty()) return abi::Errno(abi::kEADDRNOTAVAIL);
      const InAddress& a = addrs.front();
      if (cmd == abi::kSIOCGIFADDR) {
        SetIfreqAddr(data, Sin(a.addr));
      } else if (cmd == abi::kSIOCGIFNETMASK) {
        SetIfreqAddr(data, Sin(a.netmask));  // sin_len 16 here
      } else if (cmd == abi::kSIOCGIFBRDADDR) {
        if (!(flags & abi::kIFF_BROADCAST)) return abi::Errno(abi::kEINVAL);
        SetIfreqAddr(data, Sin(a.broadaddr));
      } else {
        if (!(flags & abi::kIFF_POINTOPOINT)) return abi::Errno(abi::kEINVAL);
        SetIfreqAddr(data, Sin(a.broadaddr));
      }
      return absl::OkStatus();
    }
    default:
      return abi::Errno(abi::kENOTTY);
  }
}

}  // namespace rump
