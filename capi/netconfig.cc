// <rump/netconfig.h>: NetBSD's rumpnet_config functions over the kernel's
// C++ configuration calls. Each is an absl::Status function here; the C
// entry points at the bottom turn it into a NetBSD errno.
//
// What each does, in kernel terms:
//   ifcreate / ifdestroy   NetStack::CreateInterface / DestroyInterface
//   ifup / ifdown          NetStack::SetFlags with IFF_UP set / cleared;
//                          ifup then waits for the addresses' detection
//   ifsetlinkstr           SIOCSLINKSTR through NetStack::InterfaceIoctl,
//                          the link string read from our own memory (the
//                          driver owns link strings; there is no other path)
//   ipv4_ifaddr[_cidr]     Inet::AddAddress (what SIOCAIFADDR does), then
//                          Inet::WaitForDad: the address is usable on return
//   ipv4_gw                an RTM_ADD written with NetStack::RouteOutput,
//                          as NetBSD's netconfig writes it to a routing
//                          socket, so route monitors hear it
#include <arpa/inet.h>
#include <rump/netconfig.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "capi/capi_internal.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/kern/user_memory.h"
#include "rump/net/interface.h"
#include "rump/net/net_stack.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_socket.h"

namespace rump::capi {
namespace {

// The kernel and its network stack (ENXIO before rump_init(), or in a
// kernel booted without networking).
struct Net {
  Kernel* kernel;
  NetStack* net;
};

absl::StatusOr<Net> TheNet() {
  Kernel* k = TheKernel();
  if (k == nullptr) return abi::Errno(abi::kENXIO, "no rump_init()");
  NetStack* net = k->Find<NetStack>();
  if (net == nullptr) return abi::Errno(abi::kENXIO, "no network stack");
  return Net{k, net};
}

// The IPv4 component (EAFNOSUPPORT without it, as NetBSD's netconfig
// answers when the kernel has no inet domain).
absl::StatusOr<Inet*> TheInet(const Net& n) {
  Inet* inet = n.kernel->Find<Inet>();
  if (inet == nullptr) return abi::Errno(abi::kEAFNOSUPPORT);
  return inet;
}

// A name that may be an interface's: not NULL (EINVAL); one that cannot
// fit IFNAMSIZ names no interface.
absl::Status CheckName(const char* name) {
  if (name == nullptr) return abi::Errno(abi::kEINVAL, "NULL interface name");
  if (strnlen(name, abi::kIfNameSize) >= abi::kIfNameSize) {
    return abi::Errno(abi::kENXIO, "interface name too long");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Interface>> FindInterface(const Net& n, const char* name) {
  if (absl::Status s = CheckName(name); !s.ok()) return s;
  std::shared_ptr<Interface> ifp = n.net->FindInterface(name);
  if (ifp == nullptr) return abi::Errno(abi::kENXIO);
  return ifp;
}

// Dotted-quad text to an address in network order (EINVAL otherwise).
absl::StatusOr<uint32_t> ParseIpv4(const char* text) {
  if (text == nullptr) return abi::Errno(abi::kEINVAL, "NULL address");
  in_addr a;
  if (inet_pton(AF_INET, text, &a) != 1) return abi::Errno(abi::kEINVAL, "bad IPv4 address");
  return uint32_t(a.s_addr);
}

absl::Status IfCreate(const char* ifname) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  if (ifname == nullptr) return abi::Errno(abi::kEINVAL);
  if (strnlen(ifname, abi::kIfNameSize) >= abi::kIfNameSize) return abi::Errno(abi::kEINVAL);
  return n->net->CreateInterface(ifname).status();
}

absl::Status IfDestroy(const char* ifname) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  if (absl::Status s = CheckName(ifname); !s.ok()) return s;
  return n->net->DestroyInterface(ifname);
}

absl::Status SetUp(const char* ifname, bool up) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  absl::StatusOr<std::shared_ptr<Interface>> ifp = FindInterface(*n, ifname);
  if (!ifp.ok()) return ifp.status();
  const uint32_t flags = (*ifp)->flags();
  absl::Status s =
      n->net->SetFlags(**ifp, up ? flags | abi::kIFF_UP : flags & ~uint32_t(abi::kIFF_UP));
  if (!s.ok() || !up || (flags & abi::kIFF_UP)) return s;
  // Coming up runs detection for every address again: usable on return, as
  // after ipv4_ifaddr. A duplicated one stays so; ifup itself succeeded.
  absl::StatusOr<Inet*> inet = TheInet(*n);
  if (!inet.ok()) return absl::OkStatus();  // no IPv4 in this kernel
  for (const inet::InAddress& a : inet::InAddresses(**ifp)) {
    (void)(*inet)->WaitForDad(**ifp, a.addr, absl::Seconds(30));
  }
  return absl::OkStatus();
}

absl::Status IfSetLinkStr(const char* ifname, const char* linkstr) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  if (absl::Status s = CheckName(ifname); !s.ok()) return s;
  if (linkstr == nullptr) return abi::Errno(abi::kEINVAL, "NULL link string");
  // A struct ifdrv as `ifconfig IF linkstr` passes it; its ifd_data points
  // into this process, which is the kernel's own memory here.
  uint8_t ifd[abi::kIfdrvSize] = {};
  std::memcpy(ifd + abi::kIfdNameOff, ifname, std::strlen(ifname));
  const uint64_t cmd = 0, len = std::strlen(linkstr) + 1;
  const uint64_t data = reinterpret_cast<uintptr_t>(linkstr);
  std::memcpy(ifd + abi::kIfdCmdOff, &cmd, sizeof(cmd));
  std::memcpy(ifd + abi::kIfdLenOff, &len, sizeof(len));
  std::memcpy(ifd + abi::kIfdDataOff, &data, sizeof(data));
  SyscallContext ctx{*n->kernel, n->kernel->CurrentProcess(), DirectUserMemory::Get()};
  return n->net->InterfaceIoctl(ctx, abi::kAF_INET, abi::kSIOCSLINKSTR, absl::MakeSpan(ifd));
}

absl::Status Ipv4IfAddr(const char* ifname, const char* addr, absl::StatusOr<uint32_t> mask) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  if (absl::Status s = CheckName(ifname); !s.ok()) return s;
  absl::StatusOr<uint32_t> a = ParseIpv4(addr);
  if (!a.ok()) return a.status();
  if (!mask.ok()) return mask.status();
  absl::StatusOr<Inet*> inet = TheInet(*n);
  if (!inet.ok()) return inet.status();
  absl::StatusOr<std::shared_ptr<Interface>> ifp = FindInterface(*n, ifname);
  if (!ifp.ok()) return ifp.status();
  // Broadcast 0: the one the netmask gives (addr | ~mask), what NetBSD's
  // netconfig passes explicitly.
  if (absl::Status s = (*inet)->AddAddress(**ifp, *a, *mask, 0); !s.ok()) return s;
  // Usable when this returns: duplicate address detection (well under a
  // second on a bus) is waited for. Another host owning the address is
  // EADDRINUSE; the address then stays, duplicated, as NetBSD leaves it.
  return (*inet)->WaitForDad(**ifp, *a, absl::Seconds(30));
}

absl::StatusOr<uint32_t> PrefixMask(int len) {
  if (len < 0 || len > 32) return abi::Errno(abi::kEINVAL, "prefix length");
  return len == 0 ? 0u : htonl(~uint32_t{0} << (32 - len));
}

absl::Status Ipv4Gateway(const char* gwaddr) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  absl::StatusOr<uint32_t> gw = ParseIpv4(gwaddr);
  if (!gw.ok()) return gw.status();
  absl::StatusOr<Inet*> inet = TheInet(*n);
  if (!inet.ok()) return inet.status();
  // RTM_ADD of 0.0.0.0/0 through gw: rt_msghdr, then the destination,
  // gateway and netmask sockaddrs (16 bytes each, so no padding).
  const std::string dst = inet::SockaddrIn(0, 0), via = inet::SockaddrIn(*gw, 0);
  std::string msg(abi::kRtMsghdrSize, '\0');
  msg += dst;
  msg += via;
  msg += dst;  // the netmask: all zeros
  auto put = [&msg](size_t off, auto v) { std::memcpy(msg.data() + off, &v, sizeof(v)); };
  put(abi::kRtmMsglenOff, uint16_t(msg.size()));
  msg[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  msg[abi::kRtmTypeOff] = char(abi::kRTM_ADD);
  put(abi::kRtmFlagsOff, int32_t(abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_STATIC));
  put(abi::kRtmAddrsOff, int32_t(abi::kRTA_DST | abi::kRTA_GATEWAY | abi::kRTA_NETMASK));
  put(abi::kRtmSeqOff, int32_t(1));
  const rump::Process& p = n->kernel->CurrentProcess();
  return n->net->RouteOutput(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(msg.data()), msg.size()), p.pid(),
      p.credentials());
}

// IPv6 is not in this kernel: EAFNOSUPPORT once there is a kernel.
absl::Status NoIpv6() {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  return abi::Errno(abi::kEAFNOSUPPORT, "no IPv6");
}

absl::Status AutoIpv6(const char* ifname) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  absl::StatusOr<std::shared_ptr<Interface>> ifp = FindInterface(*n, ifname);
  if (!ifp.ok()) return ifp.status();
  if (!(*ifp)->is_ethernet()) return abi::Errno(abi::kEINVAL);
  return abi::Errno(abi::kEAFNOSUPPORT, "no IPv6");
}

absl::Status DhcpOneshot(const char* ifname) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  absl::StatusOr<std::shared_ptr<Interface>> ifp = FindInterface(*n, ifname);
  if (!ifp.ok()) return ifp.status();
  return abi::Errno(abi::kENOTSUP, "no DHCP client");
}

absl::Status Bridge(const char* bridgename, const char* ifname) {
  absl::StatusOr<Net> n = TheNet();
  if (!n.ok()) return n.status();
  if (ifname == nullptr) return abi::Errno(abi::kEINVAL);
  absl::StatusOr<std::shared_ptr<Interface>> br = FindInterface(*n, bridgename);
  if (!br.ok()) return br.status();
  return abi::Errno(abi::kENOTTY, "not a bridge");  // no bridge driver yet
}

int Edge(const absl::Status& s) { return abi::ToErrno(s); }

}  // namespace
}  // namespace rump::capi

using rump::capi::Edge;

extern "C" {

int rump_pub_netconfig_ifcreate(const char* ifname) {
  return Edge(rump::capi::IfCreate(ifname));
}

int rump_pub_netconfig_ifdestroy(const char* ifname) {
  return Edge(rump::capi::IfDestroy(ifname));
}

int rump_pub_netconfig_ifup(const char* ifname) {
  return Edge(rump::capi::SetUp(ifname, true));
}

int rump_pub_netconfig_ifdown(const char* ifname) {
  return Edge(rump::capi::SetUp(ifname, false));
}

int rump_pub_netconfig_ifsetlinkstr(const char* ifname, const char* linkstr) {
  return Edge(rump::capi::IfSetLinkStr(ifname, linkstr));
}

int rump_pub_netconfig_ipv4_ifaddr(const char* ifname, const char* addr, const char* mask) {
  return Edge(rump::capi::Ipv4IfAddr(ifname, addr, rump::capi::ParseIpv4(mask)));
}

int rump_pub_netconfig_ipv4_ifaddr_cidr(const char* ifname, const char* addr, int mask) {
  return Edge(rump::capi::Ipv4IfAddr(ifname, addr, rump::capi::PrefixMask(mask)));
}

int rump_pub_netconfig_ipv4_gw(const char* gwaddr) {
  return Edge(rump::capi::Ipv4Gateway(gwaddr));
}

int rump_pub_netconfig_ipv6_ifaddr(const char*, const char*, int) {
  return Edge(rump::capi::NoIpv6());
}

int rump_pub_netconfig_ipv6_gw(const char*) { return Edge(rump::capi::NoIpv6()); }

int rump_pub_netconfig_auto_ipv6(const char* ifname) {
  return Edge(rump::capi::AutoIpv6(ifname));
}

int rump_pub_netconfig_dhcp_ipv4_oneshot(const char* ifname) {
  return Edge(rump::capi::DhcpOneshot(ifname));
}

int rump_pub_netconfig_bradd(const char* bridgename, const char* ifname) {
  return Edge(rump::capi::Bridge(bridgename, ifname));
}

int rump_pub_netconfig_brdel(const char* bridgename, const char* ifname) {
  return Edge(rump::capi::Bridge(bridgename, ifname));
}

}  // extern "C"
