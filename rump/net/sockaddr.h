// Socket addresses of the interface layer as NetBSD lays them out, built
// as byte strings: the link-level sockaddr_dl of an interface and its
// netmask, and their packing into routing messages. Used by the interface
// ioctls and the routing messages. Internal to //rump/net.
#ifndef RUMP_NET_SOCKADDR_H_
#define RUMP_NET_SOCKADDR_H_

#include <cstdint>
#include <string>

namespace rump {

class Interface;

// The interface's link address: sockaddr_dl with its name and link-level
// address, sdl_len = 8 + name length + address length.
std::string LinkSockaddr(const Interface& ifp);
// The netmask of the link address: sdl_len = 8 + name length, family 0,
// 0xff over the name bytes.
std::string LinkMaskSockaddr(const Interface& ifp);

// Appends `sa` as a routing message carries it: RT_ROUNDUP(sa_len) bytes,
// zero-padded.
void AppendRtSockaddr(std::string& out, const std::string& sa);

}  // namespace rump

#endif  // RUMP_NET_SOCKADDR_H_
