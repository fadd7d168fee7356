// Socket addresses as NetBSD lays them out, built as byte strings: the
// sockaddr_in of an IPv4 address, a trimmed netmask (in_socktrim), and the
// link-level sockaddr_dl of an interface and its netmask. Used by the
// interface ioctls and the routing messages. Internal to //rump/net.
#ifndef RUMP_NET_SOCKADDR_H_
#define RUMP_NET_SOCKADDR_H_

#include <cstdint>
#include <string>

namespace rump {

class Interface;

// sockaddr_in (16 bytes) for `addr` (network order), port 0.
std::string InetSockaddr(uint32_t addr);
// The netmask sockaddr_in as NetBSD keeps it (ia_sockmask): sin_len trimmed
// to just past the last non-zero byte (0 for 0.0.0.0), family AF_INET.
std::string InetMaskSockaddr(uint32_t mask);
// The interface's link address: sockaddr_dl with its name and link-level
// address, sdl_len = 8 + name length + address length.
std::string LinkSockaddr(const Interface& ifp);
// The netmask of the link address: sdl_len = 8 + name length, family 0,
// 0xff over the name bytes.
std::string LinkMaskSockaddr(const Interface& ifp);

// The class netmask of `addr` (network order): IN_CLASSA/B/C_NET.
uint32_t ClassNetmask(uint32_t addr);

// Appends `sa` as a routing message carries it: RT_ROUNDUP(sa_len) bytes,
// zero-padded.
void AppendRtSockaddr(std::string& out, const std::string& sa);

}  // namespace rump

#endif  // RUMP_NET_SOCKADDR_H_
