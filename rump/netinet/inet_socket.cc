#include "rump/netinet/inet_socket.h"

#include <cstring>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/socket.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/ip_header.h"

namespace rump {
namespace inet {

std::string SockaddrIn(uint32_t addr, uint16_t port) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(abi::kSockaddrInSize);
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  s[abi::kSinPortOff] = char(port >> 8);
  s[abi::kSinPortOff + 1] = char(port);
  std::memcpy(s.data() + abi::kSinAddrOff, &addr, 4);
  return s;
}

absl::StatusOr<SockIn> ParseSockaddrIn(absl::Span<const uint8_t> sa) {
  if (sa.size() != abi::kSockaddrInSize) return abi::Errno(abi::kEINVAL);
  if (sa[abi::kSinFamilyOff] != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);
  SockIn s;
  s.port = Get16(sa.data() + abi::kSinPortOff);
  s.addr = GetAddr(sa.data() + abi::kSinAddrOff);
  return s;
}

std::string IntOptionValue(int v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

std::string DstAddrControl(uint32_t dst) {
  std::string c(abi::CmsgSpace(4), '\0');
  const uint32_t len = uint32_t(abi::CmsgLen(4));
  const int32_t level = abi::kIPPROTO_IP, type = abi::kIP_RECVDSTADDR;
  std::memcpy(c.data(), &len, 4);
  std::memcpy(c.data() + 4, &level, 4);
  std::memcpy(c.data() + 8, &type, 4);
  std::memcpy(c.data() + abi::CmsgLen(0), &dst, 4);
  return c;
}

}  // namespace inet

namespace {

absl::StatusOr<int> IntOption(absl::Span<const uint8_t> value) {
  if (value.size() != sizeof(int32_t)) return abi::Errno(abi::kEINVAL);
  int32_t v;
  std::memcpy(&v, value.data(), sizeof(v));
  return v;
}

}  // namespace

// --- InetSocket

InetSocket::InetSocket(Inet& inet, inet::InPcbTable& table, NetStack& net, int type,
                       int protocol, int file_flags)
    : Socket(net, abi::kAF_INET, type, protocol, file_flags), inet_(inet), table_(table) {}

void InetSocket::AttachPcb(const std::shared_ptr<InetSocket>& self) {
  pcb_ = table_.Attach(self, type() == abi::kSOCK_RAW ? protocol() : 0);
}

inet::PcbAddrs InetSocket::addrs() const { return table_.Addrs(pcb_); }

int InetSocket::ttl() const {
  const int t = ttl_.load(std::memory_order_relaxed);
  return t >= 0 ? t : inet_.default_ttl();
}

absl::StatusOr<std::string> InetSocket::ProtoSockName() const {
  const inet::PcbAddrs a = addrs();
  return inet::SockaddrIn(a.laddr, a.lport);
}

absl::StatusOr<std::string> InetSocket::ProtoPeerName() const {
  const inet::PcbAddrs a = addrs();
  if (a.faddr == 0) return abi::Errno(abi::kENOTCONN);
  return inet::SockaddrIn(a.faddr, a.fport);
}

absl::Status InetSocket::ProtoSetOption(int level, int name, absl::Span<const uint8_t> value) {
  if (level == abi::kSOL_SOCKET) return absl::OkStatus();  // the socket layer's
  if (level != abi::kIPPROTO_IP) return abi::Errno(abi::kENOPROTOOPT);
  switch (name) {
    case abi::kIP_TTL:
    case abi::kIP_TOS:
    case abi::kIP_RECVDSTADDR:
    case abi::kIP_HDRINCL: {
      absl::StatusOr<int> v = IntOption(value);
      if (!v.ok()) return v.status();
      absl::Status s;
      if (ExtraSetOption(name, *v, &s)) return s;
      if (name == abi::kIP_HDRINCL) return abi::Errno(abi::kENOPROTOOPT);
      if (name == abi::kIP_TTL) {
        ttl_.store(*v & 0xff);  // ip_ttl is a u_char
      } else if (name == abi::kIP_TOS) {
        tos_.store(*v & 0xff);
      } else {
        recv_dstaddr_.store(*v != 0);
      }
      return absl::OkStatus();
    }
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

absl::StatusOr<std::string> InetSocket::ProtoGetOption(int level, int name) {
  if (level != abi::kIPPROTO_IP) return abi::Errno(abi::kENOPROTOOPT);
  absl::StatusOr<std::string> out;
  if (ExtraGetOption(name, &out)) return out;
  switch (name) {
    case abi::kIP_TTL:
      return inet::IntOptionValue(ttl());
    case abi::kIP_TOS:
      return inet::IntOptionValue(tos());
    case abi::kIP_RECVDSTADDR:
      return inet::IntOptionValue(recv_dstaddr() ? 1 : 0);
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

void InetSocket::ProtoDetach() {
  if (pcb_ != nullptr) table_.Detach(pcb_);
}

}  // namespace rump
