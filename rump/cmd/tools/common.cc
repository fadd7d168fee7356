#include "rump/cmd/tools/common.h"

#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumperr.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

namespace rump::tools {
namespace {

std::string g_prog = "rump";

constexpr int kNetbsdElast = 96;  // ELAST: the last NetBSD errno

bool ParseInt(const std::string& s, int* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < INT32_MIN || v > INT32_MAX) return false;
  *out = int(v);
  return true;
}

std::vector<std::string> SplitName(const std::string& name) {
  // sysctlgetmibinfo: the first '.' or '/' decides the separator; a leading
  // separator is allowed.
  const size_t first = name.find_first_of("./");
  const char sep = first == std::string::npos ? '.' : name[first];
  std::string s = name;
  if (!s.empty() && s[0] == sep) s.erase(0, 1);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  // "kern." names the node kern, as libc accepts a trailing separator.
  if (parts.size() > 1 && parts.back().empty()) parts.pop_back();
  return parts;
}

}  // namespace

void SetProgName(const char* argv0) {
  if (argv0 == nullptr || *argv0 == '\0') return;
  const char* slash = std::strrchr(argv0, '/');
  g_prog = slash != nullptr ? slash + 1 : argv0;
}

const char* ProgName() { return g_prog.c_str(); }

int GetOpt(int argc, char* const argv[], const char* optstring) {
  opterr = 0;
  // '+': stop at the first operand, as BSD getopt does ("ifconfig shmif0
  // -linkstr" has no options after the interface).
  const std::string posix = std::string("+") + optstring;
  const int ch = getopt(argc, argv, posix.c_str());
  if (ch == '?' || ch == ':') {
    const char* p = optopt != 0 ? std::strchr(optstring, optopt) : nullptr;
    if (p != nullptr && p[1] == ':') {
      std::fprintf(stderr, "%s: option requires an argument -- %c\n", ProgName(), optopt);
    } else {
      std::fprintf(stderr, "%s: unknown option -- %c\n", ProgName(), optopt);
    }
    return '?';
  }
  return ch;
}

std::string ErrorText(int error) {
  if (error > 0 && error <= kNetbsdElast) return rump_strerror(error);
  return std::strerror(error);
}

void Err(int status, int error, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s: %s\n", ProgName(), what.c_str(), ErrorText(error).c_str());
  std::exit(status);
}

void Errx(int status, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", ProgName(), what.c_str());
  std::exit(status);
}

void Warn(int error, const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s: %s\n", ProgName(), what.c_str(), ErrorText(error).c_str());
}

void Warnx(const std::string& what) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", ProgName(), what.c_str());
}

void InitClient(const std::string& what) {
  if (rumpclient_init() == -1) {
    const int e = errno;
    std::fflush(stdout);
    // A host errno: librumpclient reports connection failures in host terms.
    std::fprintf(stderr, "%s: %s: %s\n", ProgName(), what.c_str(), std::strerror(e));
    std::exit(1);
  }
}

int Sysctl(const std::vector<int>& mib, void* oldp, size_t* oldlenp, const void* newp,
           size_t newlen) {
  if (rump_sys___sysctl(mib.data(), unsigned(mib.size()), oldp, oldlenp, newp, newlen) == -1) {
    return errno;
  }
  return 0;
}

uint32_t NodeType(const abi::SysctlNode& n) { return abi::SysctlType(n.flags); }

int QueryChildren(const std::vector<int>& mib, std::vector<abi::SysctlNode>* out) {
  out->clear();
  std::vector<int> q = mib;
  q.push_back(abi::kCtlQuery);
  abi::SysctlNode req{};
  req.flags = abi::kSysctlVersion;
  std::vector<abi::SysctlNode> buf(16);
  for (int attempt = 0; attempt < 8; ++attempt) {
    size_t len = buf.size() * sizeof(abi::SysctlNode);
    const int e = Sysctl(q, buf.data(), &len, &req, sizeof(req));
    if (e == 0) {
      buf.resize(len / sizeof(abi::SysctlNode));
      std::sort(buf.begin(), buf.end(),
                [](const abi::SysctlNode& a, const abi::SysctlNode& b) { return a.num < b.num; });
      *out = std::move(buf);
      return 0;
    }
    if (e != abi::kENOMEM) return e;
    const size_t need = len / sizeof(abi::SysctlNode) + 4;
    buf.resize(std::max(need, buf.size() * 2));
  }
  return abi::kENOMEM;
}

int ResolveName(const std::string& name, MibInfo* info) {
  *info = MibInfo{};
  const std::vector<std::string> parts = SplitName(name);
  bool below_leaf = false;  // past a node we cannot query (a handler)
  for (size_t i = 0; i < parts.size(); ++i) {
    info->level = i;
    info->bad = parts[i];
    if (i >= size_t(abi::kCtlMaxName)) return abi::kEINVAL;
    if (parts[i].empty()) return abi::kENOENT;
    int num = 0;
    const bool numeric = ParseInt(parts[i], &num);
    std::vector<abi::SysctlNode> kids;
    const int e = below_leaf ? abi::kENOTDIR : QueryChildren(info->mib, &kids);
    const abi::SysctlNode* found = nullptr;
    for (const abi::SysctlNode& k : kids) {
      if ((numeric && k.num == num) || parts[i] == k.name) {
        found = &k;
        break;
      }
    }
    if (found == nullptr) {
      // Below a node that lists no children (a handler such as
      // net.route.0), numeric components go through as they are.
      if (numeric && i > 0 && (below_leaf || kids.empty()) &&
          abi::SysctlType(info->node.flags) == abi::kCtlTypeNode) {
        below_leaf = true;
        info->mib.push_back(num);
        info->canonical += "." + parts[i];
        continue;
      }
      return e == abi::kENOTDIR ? abi::kENOTDIR : abi::kENOENT;
    }
    info->mib.push_back(found->num);
    info->node = *found;
    if (!info->canonical.empty()) info->canonical += ".";
    info->canonical += found->name;
    if (abi::SysctlType(found->flags) != abi::kCtlTypeNode && i + 1 < parts.size()) {
      info->level = i + 1;
      info->bad = parts[i + 1];
      return abi::kENOTDIR;
    }
  }
  return 0;
}

int InterfaceIndexes(std::vector<InterfaceIndex>* out) {
  out->clear();
  const std::vector<int> mib = {abi::kCtlNet, abi::kAF_ROUTE, 0, 0, abi::kNET_RT_IFLIST, 0};
  std::vector<uint8_t> buf;
  for (int attempt = 0;; ++attempt) {
    size_t len = 0;
    if (int e = Sysctl(mib, nullptr, &len, nullptr, 0); e != 0) return e;
    buf.assign(len + 1024, 0);
    len = buf.size();
    const int e = Sysctl(mib, buf.data(), &len, nullptr, 0);
    if (e == 0) {
      buf.resize(len);
      break;
    }
    if (e != abi::kENOMEM || attempt > 4) return e;
  }
  size_t off = 0;
  while (off + 4 <= buf.size()) {
    uint16_t msglen;
    std::memcpy(&msglen, buf.data() + off, 2);
    if (msglen < 4 || off + msglen > buf.size()) break;
    const uint8_t* m = buf.data() + off;
    if (m[abi::kIfmTypeOff] == abi::kRTM_IFINFO && msglen >= abi::kIfMsghdrSize) {
      int32_t addrs;
      uint16_t index;
      std::memcpy(&addrs, m + abi::kIfmAddrsOff, 4);
      std::memcpy(&index, m + abi::kIfmIndexOff, 2);
      // The link-level sockaddr (RTAX_IFP) names the interface.
      size_t p = abi::kIfMsghdrSize;
      for (int i = 0; i < abi::kRTAX_IFP && p < msglen; ++i) {
        if (addrs & (1 << i)) p += abi::RtRoundup(m[p]);
      }
      if ((addrs & (1 << abi::kRTAX_IFP)) && p + abi::kSdlDataOff <= msglen) {
        const size_t nlen = std::min<size_t>(m[p + abi::kSdlNlenOff],
                                             msglen - p - abi::kSdlDataOff);
        out->push_back({index, std::string(reinterpret_cast<const char*>(m + p + abi::kSdlDataOff),
                                           nlen)});
      }
    }
    off += msglen;
  }
  return 0;
}

}  // namespace rump::tools
