// Socket: what socket(2) returns (NetBSD's struct socket behind a file).
//
// This is the minimal socket of the interface layer: it knows its domain,
// type and protocol and carries the interface ioctls ('i' group) to the
// NetStack; reading and writing it fail with EOPNOTSUPP. The protocol
// layers (IPv4, the next issue) subclass it and install their own factory
// with NetStack::SetSocketFactory, keeping Ioctl's behaviour by calling
// Socket::Ioctl for the commands they do not handle.
#ifndef RUMP_NET_SOCKET_H_
#define RUMP_NET_SOCKET_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "rump/kern/file.h"

namespace rump {

class NetStack;

class Socket : public File {
 public:
  // `file_flags` are open(2) flags (O_RDWR, O_NONBLOCK).
  Socket(NetStack& net, int domain, int type, int protocol, int file_flags);

  int domain() const { return domain_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  NetStack& net() const { return net_; }

  // 'i' group: the interface ioctls; FIONREAD: 0 bytes; FIOASYNC accepted;
  // anything else EOPNOTSUPP.
  absl::Status Ioctl(SyscallContext& ctx, uint64_t cmd,
                     absl::Span<uint8_t> data) override;

 private:
  NetStack& net_;
  const int domain_;
  const int type_;
  const int protocol_;
};

// Makes the socket for socket(domain, type, protocol) once the type flags
// (SOCK_CLOEXEC, SOCK_NONBLOCK) are taken off; `file_flags` as above. Errors
// are NetBSD's: EPROTOTYPE, EPROTONOSUPPORT.
using SocketFactory = std::function<absl::StatusOr<std::shared_ptr<Socket>>(
    NetStack& net, int domain, int type, int protocol, int file_flags)>;

// The factory NetStack starts with for AF_INET, AF_INET6, AF_ROUTE and
// AF_LINK: plain Sockets for the (type, protocol) pairs NetBSD's protocol
// switch tables accept.
absl::StatusOr<std::shared_ptr<Socket>> MakeBasicSocket(NetStack& net, int domain,
                                                        int type, int protocol,
                                                        int file_flags);

}  // namespace rump

#endif  // RUMP_NET_SOCKET_H_
