// rump.arp: NetBSD's arp(8) against the rump kernel named by RUMP_SERVER
// (usr.sbin/arp's syntax, messages and exit status as in NetBSD 7, written
// anew). The table is read with the route sysctl
// {CTL_NET, PF_ROUTE, 0, AF_INET, NET_RT_FLAGS, RTF_LLINFO}; entries are
// looked up, added and deleted through a routing socket (RTM_GET, RTM_ADD,
// RTM_DELETE with RTF_LLINFO), as NetBSD's arp does.
//
//   rump.arp [-n] hostname            the entry of one host
//   rump.arp [-nv] -a                 every entry
//   rump.arp [-v] -d [-a|hostname [pub [proxy]]]
//   rump.arp -s hostname ether_addr [temp] [pub [proxy]]
//   rump.arp -f filename              "-s" lines from a file ("-": stdin)
//
// Output lines: "? (10.0.0.2) at b2:a0:..:.. on shmif0[ permanent]
// [ published (proxy only)]". A rump kernel has no name service, so hosts
// are numeric addresses and every entry's name is "?" (what NetBSD prints
// when a lookup finds nothing); a name is refused with NetBSD's
// "Host name lookup failure". `-d -a` leaves the entries of the kernel's
// own addresses alone (the kernel refuses to delete those).
#include <arpa/inet.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/sysctl.h"
#include "rump/cmd/tools/common.h"

namespace {

namespace abi = rump::abi;
namespace tools = rump::tools;

bool nflag = false, vflag = false;
bool found_entry = false;
int rtsock = -1;
int rtseq = 0;

// Per request of set(): as NetBSD's globals of the same names.
int flags = 0;
bool doing_proxy = false, export_only = false;
int64_t expire_time = 0;

[[noreturn]] void Usage() {
  const char* p = tools::ProgName();
  std::fprintf(stderr, "Usage: %s [-n] hostname\n", p);
  std::fprintf(stderr, "\t      %s [-nv] -a\n", p);
  std::fprintf(stderr, "\t      %s [-v] -d [-a|hostname [pub [proxy]]]\n", p);
  std::fprintf(stderr, "       %s -s hostname ether_addr [temp] [pub [proxy]]\n", p);
  std::fprintf(stderr, "       %s -f filename\n", p);
  std::exit(1);
}

template <typename T>
T Load(const std::string& b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}
template <typename T>
void Store(std::string& b, size_t off, T v) {
  if (off + sizeof(T) <= b.size()) std::memcpy(&b[off], &v, sizeof(T));
}

std::string Ntoa(uint32_t net) {
  char buf[INET_ADDRSTRLEN];
  in_addr a;
  a.s_addr = net;
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// A host argument: a dotted address (there is no name service to ask).
bool GetInetAddr(const std::string& host, uint32_t* out) {
  in_addr a;
  if (inet_aton(host.c_str(), &a) != 0) {
    *out = a.s_addr;
    return true;
  }
  tools::Warnx(host + ": Host name lookup failure");
  return false;
}

// struct sockaddr_inarp for `addr`.
std::string SinArp(uint32_t addr, uint16_t other) {
  std::string s(abi::kSockaddrInSize, '\0');
  s[abi::kSinLenOff] = char(s.size());
  s[abi::kSinFamilyOff] = char(abi::kAF_INET);
  Store<uint32_t>(s, abi::kSinAddrOff, addr);
  Store<uint16_t>(s, abi::kSinOtherOff, other);
  return s;
}

// A blank struct sockaddr_dl (20 bytes), as arp(8) starts from.
std::string BlankSdl() {
  std::string s(abi::kSockaddrDlSize, '\0');
  s[abi::kSdlLenOff] = char(s.size());
  s[abi::kSdlFamilyOff] = char(abi::kAF_LINK);
  return s;
}

// Hex bytes separated by ':' into the sockaddr_dl's address; false when
// the text does not start with one.
bool AtoSdl(const std::string& text, std::string* sdl) {
  const char* s = text.c_str();
  char* end = nullptr;
  unsigned long b = std::strtoul(s, &end, 16);
  if (b > 255 || end == s) return false;
  std::string addr(1, char(b));
  const char* t = end;
  while (addr.size() < sdl->size() - abi::kSdlDataOff && *t++ == ':') {
    b = std::strtoul(t, &end, 16);
    if (b > 255 || end == t) break;
    addr.push_back(char(b));
    t = end;
  }
  sdl->replace(abi::kSdlDataOff, addr.size(), addr);
  (*sdl)[abi::kSdlAlenOff] = char(addr.size());
  return true;
}

// The sockaddrs of a routing message by RTAX index (empty: absent).
std::vector<std::string> Sockaddrs(const std::string& m) {
  std::vector<std::string> out(abi::kRTAX_MAX);
  const int addrs = Load<int32_t>(m, abi::kRtmAddrsOff);
  size_t at = abi::kRtMsghdrSize;
  for (int i = 0; i < abi::kRTAX_MAX && at < m.size(); ++i) {
    if ((addrs & (1 << i)) == 0) continue;
    const size_t len = uint8_t(m[at]);
    out[size_t(i)] = m.substr(at, len);
    at += abi::RtRoundup(len);
  }
  return out;
}

bool IsLlinfo(const std::string& sdl, int rtflags) {
  if (sdl.size() <= abi::kSdlTypeOff || uint8_t(sdl[abi::kSdlFamilyOff]) != abi::kAF_LINK ||
      (rtflags & (abi::kRTF_LLINFO | abi::kRTF_GATEWAY)) != abi::kRTF_LLINFO) {
    return false;
  }
  return uint8_t(sdl[abi::kSdlTypeOff]) == abi::kIFT_ETHER;
}

void GetSocket() {
  if (rtsock >= 0) return;
  rtsock = rump_sys_socket(RUMP_PF_ROUTE, RUMP_SOCK_RAW, 0);
  if (rtsock < 0) tools::Err(1, errno, "socket");
}

// Writes a request to the routing socket and returns the kernel's answer
// to it (matched by sequence number and pid); false after a warning.
// `resend`: a whole message to send again (delete of a looked-up entry).
bool RtMsg(int cmd, const std::string* resend, const std::string& sin, const std::string& sdl,
           std::string* reply) {
  GetSocket();
  std::string m;
  if (resend != nullptr) {
    m = *resend;
  } else {
    m.assign(abi::kRtMsghdrSize, '\0');
    int rtflags = flags;
    int addrs = 0;
    bool netmask = false;
    if (cmd == abi::kRTM_ADD) {
      addrs |= abi::kRTA_GATEWAY;
      Store<int64_t>(m, abi::kRtmRmxOff + abi::kRmxExpireOff, expire_time);
      Store<uint64_t>(m, abi::kRtmInitsOff, uint64_t(abi::kRTV_EXPIRE));
      rtflags |= abi::kRTF_HOST | abi::kRTF_STATIC | abi::kRTF_LLINFO;
      if (doing_proxy && !export_only) {
        netmask = true;
        addrs |= abi::kRTA_NETMASK;
        rtflags &= ~abi::kRTF_HOST;
      }
      addrs |= abi::kRTA_DST;
    } else {  // RTM_GET
      rtflags |= abi::kRTF_LLINFO;
      addrs |= abi::kRTA_DST | abi::kRTA_IFP;
    }
    Store<int32_t>(m, abi::kRtmFlagsOff, rtflags);
    Store<int32_t>(m, abi::kRtmAddrsOff, addrs);
    auto append = [&](const std::string& sa) {
      std::string padded = sa;
      padded.resize(abi::RtRoundup(sa.size()), '\0');
      m += padded;
    };
    append(sin);
    if (addrs & abi::kRTA_GATEWAY) append(sdl);
    if (netmask) {  // a host netmask: sin_len 8, all-ones address
      std::string mask(8, '\0');
      mask[0] = 8;
      Store<uint32_t>(mask, abi::kSinAddrOff, 0xffffffffu);
      append(mask);
    }
    Store<uint16_t>(m, abi::kRtmMsglenOff, uint16_t(m.size()));
  }
  m[abi::kRtmVersionOff] = char(abi::kRTM_VERSION);
  m[abi::kRtmTypeOff] = char(cmd);
  const int seq = ++rtseq;
  Store<int32_t>(m, abi::kRtmSeqOff, seq);
  if (rump_sys_write(rtsock, m.data(), m.size()) < 0) {
    const int e = errno;
    if (e != abi::kESRCH || cmd != abi::kRTM_DELETE) {
      tools::Warn(e, "writing to routing socket");
      errno = e;
      return false;
    }
  }
  const int pid = int(rump_sys_getpid());
  std::string buf(2048, '\0');
  while (true) {
    const ssize_t l = rump_sys_read(rtsock, buf.data(), buf.size());
    if (l < 0) {
      tools::Warn(errno, "read from routing socket");
      return false;
    }
    if (l == 0) return false;
    const std::string got = buf.substr(0, size_t(l));
    if (Load<int32_t>(got, abi::kRtmSeqOff) == seq && Load<int32_t>(got, abi::kRtmPidOff) == pid) {
      *reply = got;
      return true;
    }
  }
}

// The route sysctl's ARP table: one RTM_GET message per entry.
std::vector<std::string> ArpTable() {
  const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, abi::kAF_INET,
                                abi::kNET_RT_FLAGS, abi::kRTF_LLINFO};
  size_t needed = 0;
  int e = tools::Sysctl(mib, nullptr, &needed, nullptr, 0);
  if (e != 0) tools::Err(1, e, "route-sysctl-estimate");
  std::vector<std::string> out;
  if (needed == 0) return out;
  std::string buf(needed, '\0');
  e = tools::Sysctl(mib, buf.data(), &needed, nullptr, 0);
  if (e != 0) tools::Err(1, e, "actual retrieval of routing table");
  buf.resize(needed);
  for (size_t at = 0; at + 2 <= buf.size();) {
    const size_t len = Load<uint16_t>(buf, at);
    if (len < abi::kRtMsghdrSize || at + len > buf.size()) break;
    out.push_back(buf.substr(at, len));
    at += len;
  }
  return out;
}

// Interface names by index, from NET_RT_IFLIST (what if_indextoname reads).
std::string IfName(int index) {
  static std::map<int, std::string> names;
  static bool loaded = false;
  if (!loaded) {
    loaded = true;
    const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0};
    size_t needed = 0;
    if (tools::Sysctl(mib, nullptr, &needed, nullptr, 0) == 0 && needed != 0) {
      std::string buf(needed, '\0');
      if (tools::Sysctl(mib, buf.data(), &needed, nullptr, 0) == 0) {
        buf.resize(needed);
        for (size_t at = 0; at + 4 <= buf.size();) {
          const size_t len = Load<uint16_t>(buf, at);
          if (len == 0 || at + len > buf.size()) break;
          const std::string m = buf.substr(at, len);
          at += len;
          if (uint8_t(m[abi::kIfmTypeOff]) != abi::kRTM_IFINFO) continue;
          if ((Load<int32_t>(m, abi::kIfmAddrsOff) & abi::kRTA_IFP) == 0) continue;
          const std::string sdl = m.substr(abi::kIfMsghdrSize);
          const size_t nlen = sdl.size() > abi::kSdlNlenOff ? uint8_t(sdl[abi::kSdlNlenOff]) : 0;
          if (abi::kSdlDataOff + nlen > sdl.size()) continue;
          names[Load<uint16_t>(m, abi::kIfmIndexOff)] = sdl.substr(abi::kSdlDataOff, nlen);
        }
      }
    }
  }
  auto it = names.find(index);
  return it == names.end() ? std::string() : it->second;
}

std::string LinkNtoa(const std::string& sdl) {
  const size_t nlen = uint8_t(sdl[abi::kSdlNlenOff]);
  const size_t alen = uint8_t(sdl[abi::kSdlAlenOff]);
  if (abi::kSdlDataOff + nlen + alen > sdl.size()) return "<invalid>";
  std::string out;
  for (size_t i = 0; i < alen; ++i) {
    char b[4];
    std::snprintf(b, sizeof(b), "%02x", uint8_t(sdl[abi::kSdlDataOff + nlen + i]));
    if (i) out += ':';
    out += b;
  }
  return out;
}

// Prints the table, or only the entry of `addr` when it is not 0.
void Dump(uint32_t addr) {
  for (const std::string& m : ArpTable()) {
    const std::vector<std::string> sa = Sockaddrs(m);
    const std::string& sin = sa[abi::kRTAX_DST];
    const std::string& sdl = sa[abi::kRTAX_GATEWAY];
    if (sin.size() < abi::kSockaddrInSize || sdl.size() < abi::kSdlDataOff) continue;
    const uint32_t a = Load<uint32_t>(sin, abi::kSinAddrOff);
    if (addr != 0) {
      if (addr != a) continue;
      found_entry = true;
    }
    // No name service: every name is unknown.
    std::printf("? (%s) at ", Ntoa(a).c_str());
    if (uint8_t(sdl[abi::kSdlAlenOff]) != 0) {
      std::printf("%s", LinkNtoa(sdl).c_str());
    } else {
      std::printf("(incomplete)");
    }
    const int index = Load<uint16_t>(sdl, abi::kSdlIndexOff);
    if (index != 0) {
      const std::string name = IfName(index);
      if (!name.empty()) std::printf(" on %s", name.c_str());
    }
    if (Load<int64_t>(m, abi::kRtmRmxOff + abi::kRmxExpireOff) == 0) std::printf(" permanent");
    if (Load<uint16_t>(sin, abi::kSinOtherOff) & abi::kSIN_PROXY) {
      std::printf(" published (proxy only)");
    }
    if (Load<int32_t>(m, abi::kRtmAddrsOff) & abi::kRTA_NETMASK) {
      const std::string& mask = sa[abi::kRTAX_NETMASK];
      if (Load<uint32_t>(mask, abi::kSinAddrOff) == 0xffffffffu) std::printf(" published");
      if (mask.size() != 8) std::printf("(weird)");
    }
    std::printf("\n");
  }
  std::fflush(stdout);
}

void Get(const std::string& host) {
  uint32_t addr = 0;
  if (!GetInetAddr(host, &addr)) std::exit(1);
  Dump(addr);
  if (!found_entry) tools::Errx(1, host + " (" + Ntoa(addr) + ") -- no entry");
}

// Deletes the entry of `host`; `skip_local`: quietly leave our own
// addresses' entries (for -d -a). 1 when it could not be looked up (after
// a message), else 0.
int Delete(const std::string& host, const char* info, bool skip_local) {
  uint32_t addr = 0;
  if (!GetInetAddr(host, &addr)) return 0;  // as NetBSD 7's arp: not an error
  uint16_t other = (info != nullptr && std::strncmp(info, "pro", 3) == 0) ? abi::kSIN_PROXY : 0;
  std::string reply;
  while (true) {
    if (!RtMsg(abi::kRTM_GET, nullptr, SinArp(addr, other), BlankSdl(), &reply)) {
      tools::Warn(errno, host);
      return 1;
    }
    const std::vector<std::string> sa = Sockaddrs(reply);
    const int rtflags = Load<int32_t>(reply, abi::kRtmFlagsOff);
    if (Load<uint32_t>(sa[abi::kRTAX_DST], abi::kSinAddrOff) == addr &&
        IsLlinfo(sa[abi::kRTAX_GATEWAY], rtflags)) {
      break;
    }
    if (other & abi::kSIN_PROXY) {
      tools::Warnx("delete: can't locate " + host);
      return 1;
    }
    other = abi::kSIN_PROXY;
  }
  if (skip_local && (Load<int32_t>(reply, abi::kRtmFlagsOff) & abi::kRTF_LOCAL) != 0) return 0;
  // A refused delete has been reported; NetBSD 7's arp still exits 0.
  std::string done;
  if (RtMsg(abi::kRTM_DELETE, &reply, "", "", &done) && vflag) {
    std::printf("%s (%s) deleted\n", host.c_str(), Ntoa(addr).c_str());
  }
  return 0;
}

int DeleteAll() {
  int rv = 0;
  for (const std::string& m : ArpTable()) {
    const std::string sin = Sockaddrs(m)[abi::kRTAX_DST];
    if (sin.size() < abi::kSockaddrInSize) continue;
    rv |= Delete(Ntoa(Load<uint32_t>(sin, abi::kSinAddrOff)), nullptr, true);
  }
  return rv;
}

// -s host ether_addr [temp] [pub [proxy]] (argv[0] is the host). 0, or 1
// after a message.
int Set(const std::vector<std::string>& args) {
  const std::string& host = args[0];
  const std::string& eaddr = args[1];
  uint32_t addr = 0;
  if (!GetInetAddr(host, &addr)) return 1;
  std::string sdl = BlankSdl();
  if (!AtoSdl(eaddr, &sdl)) {
    tools::Warnx("invalid link-level address '" + eaddr + "'");
    return 1;
  }
  flags = 0;
  doing_proxy = export_only = false;
  expire_time = 0;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i].compare(0, 4, "temp") == 0) {
      timeval tv;
      gettimeofday(&tv, nullptr);
      expire_time = int64_t(tv.tv_sec) + 20 * 60;
    } else if (args[i].compare(0, 3, "pub") == 0) {
      flags |= abi::kRTF_ANNOUNCE;
      doing_proxy = true;
      if (i + 1 < args.size() && args[i + 1].compare(0, 3, "pro") == 0) {
        export_only = true;
        ++i;
      }
    } else if (args[i].compare(0, 5, "trail") == 0) {
      tools::Warnx(host + ": Sending trailers is no longer supported");
    }
  }
  uint16_t other = 0;
  std::string reply;
  std::vector<std::string> sa;
  while (true) {
    if (!RtMsg(abi::kRTM_GET, nullptr, SinArp(addr, other), sdl, &reply)) {
      tools::Warn(errno, host);
      return 1;
    }
    sa = Sockaddrs(reply);
    if (Load<uint32_t>(sa[abi::kRTAX_DST], abi::kSinAddrOff) != addr) break;
    if (IsLlinfo(sa[abi::kRTAX_GATEWAY], Load<int32_t>(reply, abi::kRtmFlagsOff))) break;
    if (!doing_proxy) {
      tools::Warnx("set: can only proxy for " + host);
      return 1;
    }
    if (other & abi::kSIN_PROXY) {
      tools::Warnx("set: proxy entry exists for non 802 device");
      return 1;
    }
    other = abi::kSIN_PROXY;
    export_only = true;
  }
  const std::string& gw = sa[abi::kRTAX_GATEWAY];
  if (gw.size() < abi::kSdlDataOff || uint8_t(gw[abi::kSdlFamilyOff]) != abi::kAF_LINK) {
    tools::Warnx("cannot intuit interface index and type for " + host);
    return 1;
  }
  sdl[abi::kSdlTypeOff] = gw[abi::kSdlTypeOff];
  Store<uint16_t>(sdl, abi::kSdlIndexOff, Load<uint16_t>(gw, abi::kSdlIndexOff));
  other = (doing_proxy && export_only) ? abi::kSIN_PROXY : 0;
  std::string done;
  const bool ok = RtMsg(abi::kRTM_ADD, nullptr, SinArp(addr, other), sdl, &done);
  if (vflag) std::printf("%s (%s) added\n", host.c_str(), eaddr.c_str());
  return ok ? 0 : 1;
}

// -f: one "-s" line per entry (up to five words); '#' starts a comment.
int File(const std::string& name) {
  FILE* fp = stdin;
  if (name != "-") {
    fp = std::fopen(name.c_str(), "r");
    // A host file: the host's error text.
    if (fp == nullptr) tools::Errx(1, "Cannot open " + name + ": " + std::strerror(errno));
  }
  int retval = 0;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, fp)) >= 0) {
    std::string l(line, size_t(n));
    if (!l.empty() && l.back() == '\n') l.pop_back();
    // As fparseln(3): a comment line is skipped, a blank one is not.
    const size_t hash = l.find('#');
    if (hash == 0) continue;
    if (hash != std::string::npos) l.erase(hash);
    std::vector<std::string> args;
    size_t at = 0;
    while (args.size() < 5) {
      at = l.find_first_not_of(" \t", at);
      if (at == std::string::npos) break;
      const size_t end = l.find_first_of(" \t", at);
      args.push_back(l.substr(at, end == std::string::npos ? std::string::npos : end - at));
      if (end == std::string::npos) break;
      at = end;
    }
    if (args.size() < 2) {
      tools::Warnx("bad line: " + l);
      retval = 1;
      continue;
    }
    if (Set(args) != 0) retval = 1;
  }
  std::free(line);
  if (fp != stdin) std::fclose(fp);
  return retval;
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  bool aflag = false;
  int op = 0;
  int ch;
  while ((ch = tools::GetOpt(argc, argv, "andsfv")) != -1) {
    switch (ch) {
      case 'a':
        aflag = true;
        break;
      case 'd':
      case 's':
      case 'f':
        if (op != 0) Usage();
        op = ch;
        break;
      case 'n':
        nflag = true;
        break;
      case 'v':
        vflag = true;
        break;
      default:
        Usage();
    }
  }
  std::vector<std::string> args(argv + optind, argv + argc);
  if (op == 0 && aflag) op = 'a';
  // The arguments first, so that bad ones never reach the server.
  switch (op) {
    case 'a':
      break;
    case 'd':
      if (!(aflag && args.empty()) && (aflag || args.empty() || args.size() > 2)) Usage();
      break;
    case 's':
      if (args.size() < 2 || args.size() > 7) Usage();
      break;
    case 'f':
      if (args.size() != 1) Usage();
      break;
    default:
      if (args.size() != 1) Usage();
  }
  tools::InitClient("init failed");
  switch (op) {
    case 'a':
      Dump(0);
      return 0;
    case 'd':
      if (aflag) return DeleteAll();
      return Delete(args[0], args.size() > 1 ? args[1].c_str() : nullptr, false);
    case 's':
      return Set(args);
    case 'f':
      return File(args[0]);
    default:
      Get(args[0]);
      return 0;
  }
}
