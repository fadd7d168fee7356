// rtadd NET/LEN GATEWAY: adds a static route through a routing socket of
// the server named by RUMP_SERVER (what "route add -net NET/LEN GATEWAY"
// does), for the scenarios until a rump.route tool exists. Exit 0, or 1
// with a message.
#include <arpa/inet.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpdefs.h>
#include <rump/rumperr.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "rump/abi/route.h"
#include "rump/abi/socket.h"

namespace abi = rump::abi;

namespace {

std::string Sin(uint32_t addr) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(s.size());
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  std::memcpy(&s[abi::kSinAddrOff], &addr, 4);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: rtadd NET/LEN GATEWAY\n");
    return 1;
  }
  const std::string net = argv[1];
  const size_t slash = net.find('/');
  in_addr dst, gw;
  const int len = slash == std::string::npos ? -1 : std::atoi(net.c_str() + slash + 1);
  if (len < 0 || len > 32 || inet_aton(net.substr(0, slash).c_str(), &dst) == 0 ||
      inet_aton(argv[2], &gw) == 0) {
    std::fprintf(stderr, "rtadd: bad arguments\n");
    return 1;
  }
  if (rumpclient_init() != 0) {
    std::perror("rtadd: rumpclient_init");
    return 1;
  }
  const uint32_t mask = len == 0 ? 0 : htonl(~uint32_t(0) << (32 - len));
  std::string m(abi::kRtMsghdrSize, '\0');
  for (const std::string& sa : {Sin(dst.s_addr & mask), Sin(gw.s_addr), Sin(mask)}) {
    std::string padded = sa;
    padded.resize(abi::RtRoundup(sa.size()), '\0');
    m += padded;
  }
  const uint16_t msglen = uint16_t(m.size());
  std::memcpy(&m[abi::kRtmMsglenOff], &msglen, 2);
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kRtmTypeOff] = char(abi::kRTM_ADD);
  const int32_t flags = abi::kRTF_UP | abi::kRTF_GATEWAY | abi::kRTF_STATIC;
  const int32_t addrs = abi::kRTA_DST | abi::kRTA_GATEWAY | abi::kRTA_NETMASK;
  std::memcpy(&m[abi::kRtmFlagsOff], &flags, 4);
  std::memcpy(&m[abi::kRtmAddrsOff], &addrs, 4);
  const int s = rump_sys_socket(RUMP_PF_ROUTE, RUMP_SOCK_RAW, 0);
  if (s < 0 || rump_sys_write(s, m.data(), m.size()) < 0) {
    std::fprintf(stderr, "rtadd: %s\n", rump_strerror(errno));
    return 1;
  }
  return 0;
}
