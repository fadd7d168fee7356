#include "rump/netinet/in_ifaddr.h"

#include <arpa/inet.h>

#include <cstring>

#include "rump/abi/socket.h"
#include "rump/netinet/inet_socket.h"

namespace rump::inet {
namespace {

uint32_t AddrOf(const std::string& sa) {
  uint32_t a = 0;
  if (sa.size() >= abi::kSinAddrOff + 4) {
    std::memcpy(&a, sa.data() + abi::kSinAddrOff, 4);
  } else if (sa.size() > abi::kSinAddrOff) {  // a trimmed netmask
    std::memcpy(&a, sa.data() + abi::kSinAddrOff, sa.size() - abi::kSinAddrOff);
  }
  return a;
}

}  // namespace

std::string InMaskSockaddr(uint32_t mask) {
  std::string s = SockaddrIn(mask, 0);
  size_t len = 0;
  for (size_t i = 4; i > 0; --i) {
    if (s[abi::kSinAddrOff + i - 1] != 0) {
      len = abi::kSinAddrOff + i;
      break;
    }
  }
  s[abi::kSinLenOff] = char(len);
  return s;
}

InterfaceAddress ToRecord(const InAddress& a) {
  InterfaceAddress r;
  r.family = abi::kAF_INET;
  r.addr = SockaddrIn(a.addr, 0);
  r.netmask = InMaskSockaddr(a.netmask);
  r.broadaddr = SockaddrIn(a.broadaddr, 0);
  r.family_flags = a.flags;
  return r;
}

std::vector<InAddress> InAddresses(const Interface& ifp) {
  std::vector<InAddress> out;
  for (const InterfaceAddress& r : ifp.addresses(abi::kAF_INET)) {
    InAddress a;
    a.addr = AddrOf(r.addr);
    a.netmask = AddrOf(r.netmask);
    a.broadaddr = AddrOf(r.broadaddr);
    a.flags = r.family_flags;
    out.push_back(a);
  }
  return out;
}

uint32_t ClassNetmask(uint32_t addr) {
  const uint32_t a = ntohl(addr);
  if ((a & 0x80000000u) == 0) return htonl(0xff000000u);           // class A
  if ((a & 0xc0000000u) == 0x80000000u) return htonl(0xffff0000u);  // class B
  return htonl(0xffffff00u);                                        // C and above
}

}  // namespace rump::inet
