#include "rump/net/sockaddr.h"

#include <arpa/inet.h>

#include <cstring>

#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/net/interface.h"

namespace rump {

std::string LinkSockaddr(const Interface& ifp) {
  const std::string& name = ifp.name();
  const std::vector<uint8_t>& ll = ifp.lladdr();
  std::string s(abi::SockaddrDlLen(name.size(), ll.size()), '\0');
  s[abi::kSdlLenOff] = char(s.size());
  s[abi::kSdlFamilyOff] = char(abi::kAF_LINK);
  const uint16_t index = uint16_t(ifp.index());
  std::memcpy(&s[abi::kSdlIndexOff], &index, 2);
  s[abi::kSdlTypeOff] = char(ifp.type());
  s[abi::kSdlNlenOff] = char(name.size());
  s[abi::kSdlAlenOff] = char(ll.size());
  std::memcpy(&s[abi::kSdlDataOff], name.data(), name.size());
  if (!ll.empty()) std::memcpy(&s[abi::kSdlDataOff + name.size()], ll.data(), ll.size());
  return s;
}

std::string LinkMaskSockaddr(const Interface& ifp) {
  const size_t nlen = ifp.name().size();
  std::string s(abi::SockaddrDlLen(nlen, 0), '\0');
  s[abi::kSdlLenOff] = char(s.size());
  for (size_t i = 0; i < nlen; ++i) s[abi::kSdlDataOff + i] = char(0xff);
  return s;
}

void AppendRtSockaddr(std::string& out, const std::string& sa) {
  const size_t len = sa.empty() ? 0 : uint8_t(sa[0]);
  const size_t space = abi::RtRoundup(len);
  const size_t copy = std::min(space, sa.size());
  out.append(sa, 0, copy);
  out.append(space - copy, '\0');
}

}  // namespace rump
