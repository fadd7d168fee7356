// rump.sysctl: NetBSD's sysctl(8) against the rump kernel named by
// RUMP_SERVER (sbin/sysctl's command syntax and output, written anew).
//
//   rump.sysctl [-enq] name ...          print "name = value"
//   rump.sysctl [-en] [-q] -w name=value ...   set; prints "name: old -> new"
//   rump.sysctl [-en] -a | -A            walk the whole tree (CTL_QUERY)
//
// -n prints values only, -e uses "=" without spaces, -q is quiet (an unknown
// name only sets the exit status), -A also shows hidden nodes and what
// cannot be shown. Names resolve as libc's sysctlgetmibinfo does; an
// unknown one is "<prog>: <nth> level name '<x>' in '<name>' is invalid".
// Exit 0, or 1 after any error; bad options print usage and exit 1.
#include <rump/rump_syscalls.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/resource.h"
#include "rump/abi/sysctl.h"
#include "rump/cmd/tools/common.h"

namespace {

using rump::abi::SysctlNode;
namespace abi = rump::abi;
namespace tools = rump::tools;

bool Aflag = false, aflag = false, nflag = false, qflag = false, wflag = false;
const char* eq = " = ";
bool req = false;  // printing what the user named (not walking)
int errs = 0;

const char* const kLevelName[] = {"top",     "second", "third",  "fourth",
                                  "fifth",   "sixth",  "seventh", "eighth",
                                  "ninth",   "tenth",  "eleventh", "twelfth"};

[[noreturn]] void Usage() {
  const char* p = tools::ProgName();
  std::fprintf(stderr,
               "usage:\t%s %s\n\t%s %s\n\t%s %s\n\t%s %s\n", p, "[-neq] variable ...", p,
               "[-ne] [-q] -w variable=value ...", p, "[-ne] -a", p, "[-ne] -A");
  std::exit(1);
}

void Perror(const std::string& msg) {
  std::fflush(stdout);
  std::fprintf(Aflag ? stdout : stderr, "%s: %s\n", tools::ProgName(), msg.c_str());
  ++errs;
}

// sysctlerror: `soft` for reads, where "not available" kinds are quiet
// unless asked for by name.
void SysctlError(const std::string& name, int e, bool soft) {
  if (soft) {
    switch (e) {
      case abi::kENOENT:
      case abi::kENOPROTOOPT:
      case abi::kENOTDIR:
      case abi::kEINVAL:
      case abi::kEOPNOTSUPP:
      case abi::kEPROTONOSUPPORT:
        if (Aflag || req) {
          Perror(name + ": the value is not available (" + tools::ErrorText(e) + ")");
        }
        return;
      default:
        break;
    }
  }
  if (Aflag || req) Perror(name + ": " + tools::ErrorText(e));
  if (!soft) std::exit(1);
}

enum Display { kValue, kOld, kNew };

void DisplayNumber(const SysctlNode& node, const std::string& name, uint64_t v, Display d) {
  if (qflag) return;
  if (nflag && d == kOld) return;
  if (!nflag) {
    if (d == kValue) std::printf("%s%s", name.c_str(), eq);
    if (d == kOld) std::printf("%s: ", name.c_str());
  }
  const uint32_t type = tools::NodeType(node);
  const bool hex = (node.flags & abi::kCtlFlagHex) != 0;
  const bool uns = (node.flags & abi::kCtlFlagUnsigned) != 0;
  if (type == abi::kCtlTypeInt) {
    const int i = int(uint32_t(v));
    if (hex) {
      std::printf("%#x", unsigned(i));
    } else if (uns) {
      std::printf("%u", unsigned(i));
    } else {
      std::printf("%d", i);
    }
  } else if (type == abi::kCtlTypeBool) {
    std::printf(hex ? "%#x" : "%d", int(v != 0));
  } else {
    if (hex) {
      std::printf("%#" PRIx64, v);
    } else {
      std::printf("%" PRIu64, v);
    }
  }
  std::printf(d == kOld ? " -> " : "\n");
}

void DisplayString(const SysctlNode& node, const std::string& name, const std::string& s,
                   Display d) {
  if (qflag) return;
  if (nflag && d == kOld) return;
  if (!nflag) {
    if (d == kValue) std::printf("%s%s", name.c_str(), eq);
    if (d == kOld) std::printf("%s: ", name.c_str());
  }
  // The value up to its NUL.
  const std::string v = s.substr(0, s.find('\0'));
  if (node.flags & abi::kCtlFlagHex) {
    for (unsigned char c : v) std::printf("\\x%2.2x", c);
  } else {
    std::fwrite(v.data(), 1, v.size(), stdout);
  }
  std::printf(d == kOld ? " -> " : "\n");
}

// proc.<pid>.rlimit.<limit>.{soft,hard}: shown and set as "unlimited" for
// RLIM_INFINITY, as sysctl(8)'s proc_limit does.
bool IsRlimit(const std::vector<int>& mib) {
  return mib.size() == 5 && mib[0] == abi::kCtlProc && mib[2] == abi::kProcPidLimit;
}

void DisplayLimit(const SysctlNode& node, const std::string& name, uint64_t v, Display d) {
  if (v == abi::kRlimInfinity) {
    DisplayString(node, name, "unlimited", d);
  } else {
    DisplayNumber(node, name, v, d);
  }
}

// Reads a leaf's value: numbers into a buffer of their size, as sysctl(8)
// does (kern.arandom gives as many bytes as asked for), strings growing the
// buffer on ENOMEM. 0 or errno.
int ReadValue(const std::vector<int>& mib, uint32_t type, size_t hint, std::string* out) {
  size_t fixed = 0;
  if (type == abi::kCtlTypeInt) fixed = 4;
  if (type == abi::kCtlTypeBool) fixed = 1;
  if (type == abi::kCtlTypeQuad) fixed = 8;
  if (fixed != 0) {
    std::string buf(fixed, '\0');
    size_t len = fixed;
    const int e = tools::Sysctl(mib, buf.data(), &len, nullptr, 0);
    if (e != 0) return e;
    buf.resize(std::min(len, fixed));
    *out = std::move(buf);
    return 0;
  }
  std::string buf(std::max<size_t>(hint, 1024), '\0');
  for (int attempt = 0; attempt < 4; ++attempt) {
    size_t len = buf.size();
    const int e = tools::Sysctl(mib, buf.data(), &len, nullptr, 0);
    if (e == 0) {
      buf.resize(std::min(len, buf.size()));
      *out = std::move(buf);
      return 0;
    }
    if (e != abi::kENOMEM || len <= buf.size()) return e;
    buf.assign(len, '\0');
  }
  return abi::kENOMEM;
}

bool IsStatsNode(const std::string& name) {
  // sysctl(8)'s handlers point these to netstat.
  return name.rfind("net.inet", 0) == 0 && name.size() > 6 &&
         name.compare(name.size() - 6, 6, ".stats") == 0;
}

// sysctl(8)'s handlers for the record lists: the program that shows them
// (empty for other names).
std::string ListViewer(const std::string& name) {
  auto ends_with = [&](const std::string& tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (ends_with(".pcblist")) return "'netstat' or 'sockstat'";
  if (name == "kern.proc2" || name == "kern.proc" || name == "kern.proc_args") return "'ps'";
  if (name == "kern.file2" || name == "kern.file") return "'pstat'";
  return "";
}

void PrintTree(std::vector<int>& mib, const SysctlNode& node, const std::string& name, bool add) {
  const uint32_t type = tools::NodeType(node);
  if ((node.flags & abi::kCtlFlagAlias) && add) return;
  if (type == abi::kCtlTypeNode) {
    std::vector<SysctlNode> kids;
    const int e = tools::QueryChildren(mib, &kids);
    if (e != 0 || kids.empty()) {
      if (const std::string viewer = ListViewer(name); !viewer.empty()) {
        if (Aflag || req) Perror(name + ": use " + viewer + " to view this information");
        return;
      }
      // sysctl(8) sends the childless second-level net nodes to netstat.
      const bool net2 = name.rfind("net.", 0) == 0 && name.find('.', 4) == std::string::npos;
      if ((Aflag || req) && net2) {
        Perror(name + ": use 'netstat' to view this information");
      } else if (Aflag || req) {
        std::printf("%s: no children\n", name.c_str());
      }
      return;
    }
    req = false;
    for (const SysctlNode& k : kids) {
      if ((k.flags & abi::kCtlFlagHidden) && !(Aflag || req)) continue;
      mib.push_back(k.num);
      PrintTree(mib, k, name.empty() ? std::string(k.name) : name + "." + k.name, true);
      mib.pop_back();
    }
    return;
  }
  if (type == abi::kCtlTypeStruct) {
    if (Aflag || req) {
      if (IsStatsNode(name)) {
        Perror(name + ": use 'netstat' to view this information");
      } else if (const std::string viewer = ListViewer(name); !viewer.empty()) {
        Perror(name + ": use " + viewer + " to view this information");
      } else {
        Perror(name + ": this type is unknown to this program");
      }
    }
    return;
  }
  std::string value;
  const int e = ReadValue(mib, type, size_t(node.size), &value);
  if (e != 0) {
    SysctlError(name, e, /*soft=*/true);
    return;
  }
  switch (type) {
    case abi::kCtlTypeInt: {
      uint32_t v = 0;
      std::memcpy(&v, value.data(), std::min(value.size(), sizeof(v)));
      DisplayNumber(node, name, v, kValue);
      break;
    }
    case abi::kCtlTypeBool:
      DisplayNumber(node, name, !value.empty() && value[0] != 0, kValue);
      break;
    case abi::kCtlTypeQuad: {
      uint64_t v = 0;
      std::memcpy(&v, value.data(), std::min(value.size(), sizeof(v)));
      if (IsRlimit(mib)) {
        DisplayLimit(node, name, v, kValue);
      } else {
        DisplayNumber(node, name, v, kValue);
      }
      break;
    }
    case abi::kCtlTypeString:
      DisplayString(node, name, value, kValue);
      break;
    default:
      break;
  }
}

void WriteNumber(const tools::MibInfo& info, const std::string& name, const std::string& value) {
  const bool rlimit = IsRlimit(info.mib);
  errno = 0;
  char* end = nullptr;
  unsigned long long q = std::strtoull(value.c_str(), &end, 0);
  if (rlimit && value == "unlimited") {
    q = abi::kRlimInfinity;
  } else if (rlimit && (end == value.c_str() || *end != '\0' || errno != 0)) {
    Perror(name + ": '" + value + "' is not a valid limit");
    std::exit(1);
  } else if (q == ULLONG_MAX && errno == ERANGE) {
    Perror(value + ": " + std::strerror(ERANGE));
    std::exit(1);
  } else if (end == value.c_str() || *end != '\0') {
    Perror(value + ": not a number");
    std::exit(1);
  }
  const uint32_t type = tools::NodeType(info.node);
  uint64_t oldv = 0;
  int e = 0;
  if (type == abi::kCtlTypeInt) {
    const uint32_t hi = uint32_t(q >> 32);
    if (hi != 0 && hi != 0xffffffffu) {
      Perror(value + ": " + tools::ErrorText(abi::kERANGE));
      std::exit(1);
    }
    uint32_t in = uint32_t(q), out = 0;
    size_t olen = sizeof(out);
    e = tools::Sysctl(info.mib, &out, &olen, &in, sizeof(in));
    oldv = out;
  } else if (type == abi::kCtlTypeBool) {
    uint8_t in = q != 0, out = 0;
    size_t olen = sizeof(out);
    e = tools::Sysctl(info.mib, &out, &olen, &in, sizeof(in));
    oldv = out;
  } else {
    uint64_t in = q, out = 0;
    size_t olen = sizeof(out);
    e = tools::Sysctl(info.mib, &out, &olen, &in, sizeof(in));
    oldv = out;
  }
  if (e != 0) {
    SysctlError(name, e, /*soft=*/false);
    return;
  }
  uint64_t newv = q;
  if (type == abi::kCtlTypeInt) newv = uint32_t(q);
  if (type == abi::kCtlTypeBool) newv = q != 0;
  if (rlimit) {
    DisplayLimit(info.node, name, oldv, kOld);
    DisplayLimit(info.node, name, newv, kNew);
    return;
  }
  DisplayNumber(info.node, name, oldv, kOld);
  DisplayNumber(info.node, name, newv, kNew);
}

void WriteString(const tools::MibInfo& info, const std::string& name, const std::string& value) {
  const size_t si = value.size() + 1;
  size_t so = size_t(info.node.size);
  if (so != 0 && si > so) {
    Perror(value + ": string too long");
    std::exit(1);
  }
  if (so == 0) so = 1024;
  std::string out(so, '\0');
  const int e = tools::Sysctl(info.mib, out.data(), &so, value.c_str(), si);
  if (e != 0) {
    SysctlError(name, e, /*soft=*/false);
    return;
  }
  out.resize(std::min(so, out.size()));
  DisplayString(info.node, name, out, kOld);
  DisplayString(info.node, name, value, kNew);
}

void Parse(const std::string& arg) {
  req = true;
  std::string key = arg;
  std::string value;
  bool has_value = false;
  if (const size_t eqpos = arg.find('='); eqpos != std::string::npos) {
    key = arg.substr(0, eqpos);
    value = arg.substr(eqpos + 1);
    has_value = true;
  }
  tools::MibInfo info;
  const int e = tools::ResolveName(key, &info);
  if (e != 0) {
    if (qflag) {
      ++errs;
      return;
    }
    const size_t level = std::min<size_t>(info.level, 11);
    Perror(std::string(kLevelName[level]) + " level name '" + info.bad + "' in '" + key +
           "' is invalid");
    std::exit(1);
  }
  // The name as the user spelled its separators.
  std::string name = info.canonical;
  const size_t first = key.find_first_of("./");
  if (first != std::string::npos && key[first] == '/') {
    for (char& c : name) {
      if (c == '.') c = '/';
    }
    if (key[0] == '/') name = "/" + name;
  }
  const uint32_t type = tools::NodeType(info.node);
  if (!has_value) {
    PrintTree(info.mib, info.node, name, false);
    return;
  }
  if (!wflag) {
    Perror("Must specify -w to set variables");
    std::exit(1);
  }
  switch (type) {
    case abi::kCtlTypeInt:
    case abi::kCtlTypeBool:
    case abi::kCtlTypeQuad:
      WriteNumber(info, name, value);
      break;
    case abi::kCtlTypeString:
      WriteString(info, name, value);
      break;
    default:
      PrintTree(info.mib, info.node, name, type == abi::kCtlTypeNode);
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  tools::SetProgName(argv[0]);
  int ch;
  while ((ch = tools::GetOpt(argc, argv, "Aaenqw")) != -1) {
    switch (ch) {
      case 'A':
        Aflag = true;
        break;
      case 'a':
        aflag = true;
        break;
      case 'e':
        eq = "=";
        break;
      case 'n':
        nflag = true;
        break;
      case 'q':
        qflag = true;
        break;
      case 'w':
        wflag = true;
        break;
      default:
        Usage();
    }
  }
  argc -= optind;
  argv += optind;
  if ((aflag || Aflag) && qflag) Usage();
  if (Aflag && argc == 0) aflag = true;
  if (!aflag && argc == 0) Usage();

  tools::InitClient("prog init failed");

  if (aflag) {
    std::vector<int> mib;
    SysctlNode root{};
    root.flags = rump::abi::kSysctlVersion | rump::abi::kCtlFlagRoot | rump::abi::kCtlTypeNode;
    req = false;
    PrintTree(mib, root, "", false);
    return 0;
  }
  for (int i = 0; i < argc; ++i) Parse(argv[i]);
  return errs ? 1 : 0;
}
