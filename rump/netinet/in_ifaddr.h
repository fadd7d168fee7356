// The IPv4 addresses of interfaces (NetBSD's struct in_ifaddr, in_var.h):
// how the inet component keeps them in the interface layer's
// family-neutral address records (InterfaceAddress, rump/net/interface.h)
// and reads them back. Addresses are in network order.
#ifndef RUMP_NETINET_IN_IFADDR_H_
#define RUMP_NETINET_IN_IFADDR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "rump/abi/in.h"
#include "rump/net/interface.h"

namespace rump::inet {

struct InAddress {
  uint32_t addr = 0;
  uint32_t netmask = 0;
  // The broadcast address on a broadcast interface; on a loopback interface
  // NetBSD keeps the address itself here (ia_dstaddr), and so do we.
  uint32_t broadaddr = 0;
  // NetBSD's ia4_flags: abi::kIN_IFF_TENTATIVE while duplicate address
  // detection runs, kIN_IFF_DUPLICATED once another host was found using
  // the address. Either makes the address unusable (IsReady).
  int flags = 0;
};

// Whether `a` may be used: as a source, as a destination of input, in
// ARP replies.
inline bool IsReady(const InAddress& a) {
  return (a.flags & (abi::kIN_IFF_TENTATIVE | abi::kIN_IFF_DUPLICATED)) == 0;
}

// The record of `a`: sockaddr_in bytes for the address and the broadcast
// address, and the netmask trimmed as NetBSD keeps it (ia_sockmask:
// sin_len just past the last non-zero byte), as routing messages carry it.
InterfaceAddress ToRecord(const InAddress& a);
// The IPv4 records of `ifp`, decoded, in the order they were added.
std::vector<InAddress> InAddresses(const Interface& ifp);

// The trimmed netmask sockaddr_in of ToRecord.
std::string InMaskSockaddr(uint32_t mask);
// The class netmask of `addr`: IN_CLASSA/B/C_NET.
uint32_t ClassNetmask(uint32_t addr);

}  // namespace rump::inet

#endif  // RUMP_NETINET_IN_IFADDR_H_
