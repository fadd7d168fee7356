// The interface ioctls: NetBSD's ifioctl (sys/net/if.c) and the common part
// of the drivers' ioctl routines (ifioctl_common, ether_ioctl), on
// copied-in arguments. What is left goes to the socket's address family
// (AddressFamily::control).
#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/socket.h"
#include "rump/kern/privilege.h"
#include "rump/kern/process.h"
#include "rump/kern/syscall.h"
#include "rump/net/bytes.h"
#include "rump/net/net_stack.h"
#include "rump/net/sockaddr.h"

namespace rump {
namespace {

bool IsErrno(const absl::Status& s, int e) { return abi::ToErrno(s) == e; }

}  // namespace

absl::Status NetStack::InterfaceIoctl(SyscallContext& ctx, int domain, uint64_t cmd,
                                      absl::Span<uint8_t> data) {
  // Creating and destroying interfaces is refused before the name is looked
  // at, the other changes once the interface is known to exist.
  const Credentials cred = ctx.process.credentials();
  if (cmd == abi::kSIOCIFCREATE || cmd == abi::kSIOCIFDESTROY) {
    if (absl::Status s = privilege::InterfaceIoctl(cred, cmd); !s.ok()) return s;
  }
  // Commands handled before any interface lookup.
  switch (cmd) {
    case abi::kSIOCGIFCONF:
      return IfConf(ctx, data);
    case abi::kSIOCIFCREATE:
      return CreateInterface(bytes::Name(data, abi::kIfrNameOff, abi::kIfNameSize)).status();
    case abi::kSIOCIFDESTROY:
      return DestroyInterface(bytes::Name(data, abi::kIfrNameOff, abi::kIfNameSize));
    case abi::kSIOCIFGCLONERS:
      return ClonerList(ctx, data);
    default:
      break;
  }
  if (data.size() < abi::kIfNameSize) return abi::Errno(abi::kENOTTY);
  std::shared_ptr<Interface> ifp =
      FindInterface(bytes::Name(data, abi::kIfrNameOff, abi::kIfNameSize));
  if (ifp == nullptr) return abi::Errno(abi::kENXIO);
  // SIOCDIFADDR is checked by the family once it has found the address.
  if (cmd != abi::kSIOCDIFADDR) {
    if (absl::Status s = privilege::InterfaceIoctl(cred, cmd); !s.ok()) return s;
  }

  std::shared_ptr<const AddressFamily> family = FindFamily(domain);
  return Configure(*ifp, [&](InterfaceConfig& cfg) {
    cfg.cred_ = cred;
    // The driver first, then the common code, then the socket's family.
    absl::Status status = ifp->driver().Ioctl(*ifp, ctx, cmd, data);
    if (IsErrno(status, abi::kENOTTY)) status = CommonIoctl(*ifp, cmd, data);
    if (IsErrno(status, abi::kENOTTY)) {
      status = family != nullptr && family->control ? family->control(cfg, cmd, data)
                                                    : abi::Errno(abi::kEOPNOTSUPP);
    }
    return status;
  });
}

absl::Status NetStack::CommonIoctl(Interface& ifp, uint64_t cmd, absl::Span<uint8_t> data) {
  switch (cmd) {
    case abi::kSIOCSIFFLAGS:
      return SetFlagsLocked(ifp, bytes::Load<uint16_t>(data, abi::kIfrFlagsOff));
    case abi::kSIOCGIFFLAGS:
      bytes::Store<uint16_t>(data, abi::kIfrFlagsOff, uint16_t(ifp.flags()));
      return absl::OkStatus();
    case abi::kSIOCGIFMETRIC:
      bytes::Store<int32_t>(data, abi::kIfrMetricOff, ifp.metric());
      return absl::OkStatus();
    case abi::kSIOCSIFMETRIC:
      ifp.metric_.store(bytes::Load<int32_t>(data, abi::kIfrMetricOff));
      return absl::OkStatus();
    case abi::kSIOCGIFMTU:
      bytes::Store<int32_t>(data, abi::kIfrMtuOff, ifp.mtu());
      return absl::OkStatus();
    case abi::kSIOCSIFMTU: {
      const int mtu = bytes::Load<int32_t>(data, abi::kIfrMtuOff);
      if (ifp.is_ethernet() && (mtu < abi::kEtherMin || mtu > ifp.max_mtu())) {
        return abi::Errno(abi::kEINVAL);
      }
      if (ifp.is_loopback() && unsigned(mtu) > unsigned(abi::kLoMtuMax)) {
        return abi::Errno(abi::kEINVAL);
      }
      // A running Ethernet interface would be re-initialized; ours need not.
      ifp.mtu_.store(mtu);
      return absl::OkStatus();
    }
    case abi::kSIOCGIFDLT:
      bytes::Store<int32_t>(data, abi::kIfrDltOff, ifp.dlt());
      return absl::OkStatus();
    case abi::kSIOCGIFINDEX:
      bytes::Store<uint32_t>(data, abi::kIfrIndexOff, uint32_t(ifp.index()));
      return absl::OkStatus();
    case abi::kSIOCGIFDATA:
      bytes::Put(data, abi::kIfdrDataOff, ifp.IfDataBytes());
      return absl::OkStatus();
    case abi::kSIOCZIFDATA: {
      bytes::Put(data, abi::kIfdrDataOff, ifp.IfDataBytes());
      ifp.ZeroStats();
      std::lock_guard<std::mutex> lock(ifp.mu_);
      ifp.last_change_ = absl::Now();
      return absl::OkStatus();
    }
    case abi::kSIOCGIFCAP:  // no offload capabilities
      bytes::Store<uint64_t>(data, abi::kIfcrCapabilitiesOff, 0);
      bytes::Store<uint64_t>(data, abi::kIfcrCapenableOff, 0);
      return absl::OkStatus();
    case abi::kSIOCSIFCAP:
      if (bytes::Load<uint64_t>(data, abi::kIfcrCapenableOff) != 0) {
        return abi::Errno(abi::kEINVAL);
      }
      return absl::OkStatus();
    case abi::kSIOCGETHERCAP:
      if (!ifp.is_ethernet()) return abi::Errno(abi::kENOTTY);
      bytes::Store<int32_t>(data, abi::kEccrCapabilitiesOff, 0);
      bytes::Store<int32_t>(data, abi::kEccrCapenableOff, 0);
      return absl::OkStatus();
    default:
      // SIOCGIFMEDIA / SIOCSIFMEDIA end here for drivers without media.
      return abi::Errno(abi::kENOTTY);
  }
}

absl::Status NetStack::LinkControl(InterfaceConfig& cfg, uint64_t cmd,
                                  absl::Span<uint8_t> data) {
  if (cmd != abi::kSIOCGLIFADDR) return abi::Errno(abi::kENOTTY);
  if (data.size() < abi::kIfLaddrreqSize) return abi::Errno(abi::kEINVAL);
  const Interface& ifp = cfg.ifp();
  // The request names a link address of this interface: family AF_LINK,
  // an address as long as the interface's.
  const absl::Span<uint8_t> sdl = data.subspan(abi::kIflrAddrOff, abi::kSockaddrStorageSize);
  if (sdl[abi::kSdlFamilyOff] != abi::kAF_LINK) return abi::Errno(abi::kEINVAL);
  const size_t nlen = sdl[abi::kSdlNlenOff], alen = sdl[abi::kSdlAlenOff];
  if (alen != ifp.lladdr().size()) return abi::Errno(abi::kEINVAL);
  if (abi::kSdlDataOff + nlen + alen > sdl.size()) return abi::Errno(abi::kEINVAL);
  const uint32_t flags = bytes::Load<uint32_t>(data, abi::kIflrFlagsOff);
  const std::string ours = LinkSockaddr(ifp);
  if (flags & abi::kIFLR_PREFIX) {
    // A full-length prefix: the address itself, which must be one of ours.
    if (bytes::Load<uint32_t>(data, abi::kIflrPrefixlenOff) != 8 * alen) {
      return abi::Errno(abi::kEINVAL);
    }
    if (!std::equal(ifp.lladdr().begin(), ifp.lladdr().end(),
                    sdl.begin() + abi::kSdlDataOff + nlen)) {
      return abi::Errno(abi::kEADDRNOTAVAIL);
    }
  }
  // Without a prefix: the first link address, which is ours too.
  bytes::Store<uint32_t>(data, abi::kIflrFlagsOff, abi::kIFLR_ACTIVE | abi::kIFLR_FACTORY);
  std::memcpy(sdl.data(), ours.data(), std::min(ours.size(), sdl.size()));
  return absl::OkStatus();
}

absl::Status NetStack::IfConf(SyscallContext& ctx, absl::Span<uint8_t> data) const {
  const int32_t given = bytes::Load<int32_t>(data, abi::kIfcLenOff);
  const UserAddr req = bytes::Load<uint64_t>(data, abi::kIfcReqOff);
  const bool docopy = req != 0;
  const size_t space = docopy ? size_t(std::max(given, 0)) : 0;
  size_t written = 0, needed = 0;
  std::vector<uint8_t> rec(abi::kIfreqSize);
  for (const std::shared_ptr<Interface>& ifp : Interfaces()) {
    // One record per address, the link-level one first; an interface
    // without any gets one record with a zeroed address.
    std::vector<std::string> sas = {LinkSockaddr(*ifp)};
    for (const InterfaceAddress& a : ifp->addresses()) sas.push_back(a.addr);
    for (const std::string& sa : sas) {
      needed += abi::kIfreqSize;
      if (!docopy || space - written < abi::kIfreqSize) continue;
      std::fill(rec.begin(), rec.end(), 0);
      std::memcpy(rec.data(), ifp->name().data(),
                  std::min(ifp->name().size(), abi::kIfNameSize));
      std::memcpy(rec.data() + abi::kIfrUnionOff, sa.data(),
                  std::min(sa.size(), abi::kIfrUnionSize));
      if (absl::Status s = ctx.mem.CopyOut(rec.data(), req + written, rec.size()); !s.ok()) {
        return s;
      }
      written += abi::kIfreqSize;
    }
  }
  bytes::Store<int32_t>(data, abi::kIfcLenOff, int32_t(docopy ? written : needed));
  return absl::OkStatus();
}

absl::Status NetStack::ClonerList(SyscallContext& ctx, absl::Span<uint8_t> data) const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // In the order of registration: the loopback cloner (the stack's own)
    // first, then the drivers' (NetBSD's rump kernels list "lo shmif").
    for (const auto& c : cloners_) names.emplace_back(c->name());
  }
  bytes::Store<int32_t>(data, abi::kIfcrTotalOff, int32_t(names.size()));
  const int32_t count = bytes::Load<int32_t>(data, abi::kIfcrCountOff);
  const UserAddr buf = bytes::Load<uint64_t>(data, abi::kIfcrBufferOff);
  if (buf == 0) return absl::OkStatus();  // just asking how many
  if (count < 0) return abi::Errno(abi::kEINVAL);
  const size_t n = std::min(names.size(), size_t(count));
  for (size_t i = 0; i < n; ++i) {
    char out[abi::kIfNameSize] = {};
    std::memcpy(out, names[i].data(), std::min(names[i].size(), sizeof(out) - 1));
    if (absl::Status s = ctx.mem.CopyOut(out, buf + i * sizeof(out), sizeof(out)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace rump
