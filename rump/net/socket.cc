#include "rump/net/socket.h"

#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"
#include "rump/net/bytes.h"
#include "rump/net/net_stack.h"

namespace rump {
namespace {

constexpr int IoctlGroup(uint64_t cmd) { return int((cmd >> 8) & 0xff); }

// socreate's answer when no protocol switch entry matches (type, protocol).
absl::Status NoProtocol(int type, int protocol) {
  if (protocol == 0 && type != 0) return abi::Errno(abi::kEPROTOTYPE);
  return abi::Errno(abi::kEPROTONOSUPPORT);
}

}  // namespace

Socket::Socket(NetStack& net, int domain, int type, int protocol, int file_flags)
    : File(file_flags), net_(net), domain_(domain), type_(type), protocol_(protocol) {}

absl::Status Socket::Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) {
  if (cmd == abi::kFIONREAD) {
    bytes::Store<int32_t>(data, 0, 0);  // nothing is ever queued yet
    return absl::OkStatus();
  }
  if (IoctlGroup(cmd) == 'i') return net_.InterfaceIoctl(ctx, domain_, cmd, data);
  return abi::Errno(abi::kEOPNOTSUPP);
}

absl::StatusOr<std::shared_ptr<Socket>> MakeBasicSocket(NetStack& net, int domain,
                                                        int type, int protocol,
                                                        int file_flags) {
  bool ok = false;
  switch (domain) {
    case abi::kAF_INET:
    case abi::kAF_INET6:
      // inetsw / inet6sw: TCP, UDP, and raw IP with any protocol.
      ok = (type == abi::kSOCK_STREAM && (protocol == 0 || protocol == abi::kIPPROTO_TCP)) ||
           (type == abi::kSOCK_DGRAM && (protocol == 0 || protocol == abi::kIPPROTO_UDP)) ||
           type == abi::kSOCK_RAW;
      break;
    case abi::kAF_ROUTE:
      ok = type == abi::kSOCK_RAW;  // any protocol: an address family filter
      break;
    case abi::kAF_LINK:
      ok = type == abi::kSOCK_DGRAM && protocol == 0;
      break;
    default:
      return abi::Errno(abi::kEAFNOSUPPORT);
  }
  if (!ok) return NoProtocol(type, protocol);
  return std::make_shared<Socket>(net, domain, type, protocol, file_flags);
}

}  // namespace rump
