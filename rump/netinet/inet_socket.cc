#include "rump/netinet/inet_socket.h"

#include <time.h>

#include <cstring>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/abi/kinfo.h"
#include "rump/abi/poll.h"
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

}  // namespace inet

namespace {

// Appends one control message (NetBSD's cmsghdr, the data, padding to
// CMSG_SPACE).
void AppendControl(std::string& out, int level, int type, const void* data, size_t n) {
  const size_t at = out.size();
  out.resize(at + abi::CmsgSpace(n), '\0');
  const uint32_t len = uint32_t(abi::CmsgLen(n));
  const int32_t lvl = level, typ = type;
  std::memcpy(out.data() + at, &len, 4);
  std::memcpy(out.data() + at + 4, &lvl, 4);
  std::memcpy(out.data() + at + 8, &typ, 4);
  std::memcpy(out.data() + at + abi::CmsgLen(0), data, n);
}

void AppendPktinfo(std::string& out, int type, uint32_t addr, int ifindex) {
  uint8_t ipi[abi::kInPktinfoSize] = {};
  const uint32_t index = uint32_t(ifindex);
  std::memcpy(ipi + abi::kIpiAddrOff, &addr, 4);
  std::memcpy(ipi + abi::kIpiIfindexOff, &index, 4);
  AppendControl(out, abi::kIPPROTO_IP, type, ipi, sizeof(ipi));
}

// The receive options and the PCB flag (INP_*) each one sets.
uint32_t InputOptionFlag(int name) {
  switch (name) {
    case abi::kIP_RECVDSTADDR:
      return abi::kINP_RECVDSTADDR;
    case abi::kIP_RECVIF:
      return abi::kINP_RECVIF;
    case abi::kIP_RECVTTL:
      return abi::kINP_RECVTTL;
    case abi::kIP_PKTINFO:
      return abi::kINP_PKTINFO;
    case abi::kIP_RECVPKTINFO:
      return abi::kINP_RECVPKTINFO;
  }
  return 0;
}

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

std::string InetSocket::InputControl(const inet::IpHeader& h, int ifindex) const {
  std::string out;
  // In NetBSD's order (ip_savecontrol): the time, then the IPPROTO_IP ones.
  if (timestamp()) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint8_t tv[abi::kTimevalSize] = {};
    const int64_t sec = now.tv_sec;
    const int32_t usec = int32_t(now.tv_nsec / 1000);
    std::memcpy(tv, &sec, 8);
    std::memcpy(tv + 8, &usec, 4);
    AppendControl(out, abi::kSOL_SOCKET, abi::kSCM_TIMESTAMP, tv, sizeof(tv));
  }
  const uint32_t flags = input_options();
  if (flags & abi::kINP_RECVDSTADDR) {
    AppendControl(out, abi::kIPPROTO_IP, abi::kIP_RECVDSTADDR, &h.dst, 4);
  }
  // IP_RECVPKTINFO names the sender, IP_PKTINFO (Linux's meaning) the
  // destination.
  if (flags & abi::kINP_RECVPKTINFO) AppendPktinfo(out, abi::kIP_RECVPKTINFO, h.src, ifindex);
  if (flags & abi::kINP_PKTINFO) AppendPktinfo(out, abi::kIP_PKTINFO, h.dst, ifindex);
  if (flags & abi::kINP_RECVIF) {
    uint8_t sdl[abi::kSockaddrDlSize] = {};
    sdl[abi::kSdlLenOff] = uint8_t(abi::kSockaddrDlSize);
    sdl[abi::kSdlFamilyOff] = uint8_t(abi::kAF_LINK);
    const uint16_t index = uint16_t(ifindex);
    std::memcpy(sdl + abi::kSdlIndexOff, &index, 2);
    AppendControl(out, abi::kIPPROTO_IP, abi::kIP_RECVIF, sdl, sizeof(sdl));
  }
  if (flags & abi::kINP_RECVTTL) AppendControl(out, abi::kIPPROTO_IP, abi::kIP_RECVTTL, &h.ttl, 1);
  return out;
}

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
    case abi::kIP_RECVIF:
    case abi::kIP_RECVTTL:
    case abi::kIP_PKTINFO:
    case abi::kIP_RECVPKTINFO:
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
      } else if (*v != 0) {
        input_options_.fetch_or(InputOptionFlag(name));
      } else {
        input_options_.fetch_and(~InputOptionFlag(name));
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
    case abi::kIP_RECVIF:
    case abi::kIP_RECVTTL:
    case abi::kIP_PKTINFO:
    case abi::kIP_RECVPKTINFO:
      return inet::IntOptionValue((input_options() & InputOptionFlag(name)) != 0 ? 1 : 0);
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

void InetSocket::ProtoDetach() {
  if (pcb_ != nullptr) table_.Detach(pcb_);
}

}  // namespace rump
