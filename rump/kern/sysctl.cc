// The sysctl tree and __sysctl(2). The rules are NetBSD's (see sysctl.h);
// the code is this project's own.
//
// Locking: mu_ guards the tree's structure (children, versions,
// descriptions). Nodes are shared: a call takes a reference to the node it
// located while mu_ is held, so a node removed meanwhile (RemoveNode) stays
// valid until the call is done. A node's name, type, flags, leaf and handler
// never change; user memory, leaf functions and handlers are reached
// without mu_.
#include "rump/kern/sysctl.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_format.h"
#include "rump/abi/errno.h"
#include "rump/kern/process.h"

namespace rump {

SysctlLeaf SysctlIntLeaf(std::atomic<int>* value, std::string description,
                         std::function<bool(int)> check) {
  SysctlLeaf leaf;
  leaf.type = SysctlType::kInt;
  leaf.writable = true;
  leaf.description = std::move(description);
  leaf.read = [value] {
    const int v = value->load();
    return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
  };
  leaf.write = [value, check](absl::string_view bytes) -> absl::Status {
    int v = 0;
    if (bytes.size() != sizeof(v)) return abi::Errno(abi::kEINVAL);
    std::memcpy(&v, bytes.data(), sizeof(v));
    if (check && !check(v)) return abi::Errno(abi::kEINVAL);
    value->store(v);
    return absl::OkStatus();
  };
  return leaf;
}

using abi::Errno;

struct SysctlTree::Node {
  int num = 0;
  std::string name;
  uint32_t type = abi::kCtlTypeNode;   // CTLTYPE_*
  uint32_t flags = 0;                  // CTLFLAG_* (no type, no version)
  uint32_t ver = 0;                    // sysctl_ver
  size_t size = abi::kSysctlNodeSize;  // sysctl_size
  std::string description;
  Node* parent = nullptr;  // mu_; nullptr once removed from the tree
  std::map<int, std::shared_ptr<Node>> children;        // by number
  std::shared_ptr<const SysctlLeaf> leaf;               // leaves
  std::shared_ptr<const SysctlRequestHandler> handler;  // handler nodes

  bool is_node() const { return type == abi::kCtlTypeNode; }
};

// What sysctl_locate found: the deepest node reached, how many components
// it took, and 0, ENOENT (no such child) or ENOTDIR (below a leaf).
struct SysctlTree::Located {
  std::shared_ptr<Node> node;
  size_t consumed;
  int error;
};

// One __sysctl call in progress.
struct SysctlTree::Call {
  SyscallContext& ctx;
  absl::Span<const int> name;
  UserAddr oldp;
  size_t oldlen;  // in: the caller's buffer size; out: the data's size
  UserAddr newp;
  size_t newlen;
  bool root;  // euid 0
};

namespace {

// NetBSD's fixed top-level nodes with their names and descriptions
// (sys/kern/init_sysctl_base.c), which CTL_QUERY and CTL_DESCRIBE show.
// Only `vendor` is writable (user space may add nodes below it in NetBSD).
struct TopLevel {
  int num;
  const char* name;
  const char* description;
  bool writable;
};
constexpr TopLevel kTopLevel[] = {
    {abi::kCtlKern, "kern", "High kernel", false},
    {abi::kCtlVm, "vm", "Virtual memory", false},
    {abi::kCtlVfs, "vfs", "Filesystem", false},
    {abi::kCtlNet, "net", "Networking", false},
    {abi::kCtlDebug, "debug", "Debugging", false},
    {abi::kCtlHw, "hw", "Generic CPU, I/O", false},
    {abi::kCtlMachdep, "machdep", "Machine dependent", false},
    {abi::kCtlUser, "user", "User-level", false},
    {abi::kCtlDdb, "ddb", "In-kernel debugger", false},
    {abi::kCtlProc, "proc", "Per-process", false},
    {abi::kCtlVendor, "vendor", "Vendor specific", true},
    {abi::kCtlEmul, "emul", "Emulation settings", false},
    {abi::kCtlSecurity, "security", "Security", false},
};

// NetBSD's rule for node names (sysctl_create).
bool ValidName(const std::string& name) {
  if (name.empty() || name.size() >= size_t(abi::kSysctlNameLen)) return false;
  if (name[0] >= '0' && name[0] <= '9') return false;
  for (char c : name) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The child array size NetBSD would have allocated for `clen` children
// (SYSCTL_DEFSIZE at first, doubled whenever full).
uint32_t ChildArraySize(size_t clen) {
  if (clen == 0) return 0;
  uint32_t csize = abi::kSysctlDefSize;
  while (csize < clen) csize *= 2;
  return csize;
}

template <typename T>
void Put(std::string& buf, size_t off, T v) {
  std::memcpy(&buf[off], &v, sizeof(v));
}

// A leaf's value as the bytes sysctl_lookup copies out: a string up to its
// first NUL plus the NUL; other types padded or cut to the node's size.
std::string LeafData(uint32_t type, size_t size, std::string value, bool sized) {
  if (type == abi::kCtlTypeString) {
    value.resize(strnlen(value.data(), value.size()));
    value.push_back('\0');
    return value;
  }
  if (!sized) value.resize(size, '\0');
  return value;
}

bool Fits(uint32_t type, size_t size) {
  switch (type) {
    case abi::kCtlTypeInt:
      return size == sizeof(int32_t);
    case abi::kCtlTypeQuad:
      return size == sizeof(uint64_t);
    case abi::kCtlTypeBool:
      return size == 1;
    default:
      return true;
  }
}

}  // namespace

SysctlTree::SysctlTree() : root_(std::make_shared<Node>()) {
  root_->name = "(root)";
  root_->flags = abi::kCtlFlagRoot | abi::kCtlFlagReadWrite | abi::kCtlFlagPermanent;
  std::lock_guard<std::mutex> lock(mu_);
  for (const TopLevel& t : kTopLevel) {
    auto n = std::make_shared<Node>();
    n->name = t.name;
    n->description = t.description;
    n->flags = abi::kCtlFlagPermanent | (t.writable ? abi::kCtlFlagReadWrite : 0);
    (void)Insert(root_.get(), t.num, std::move(n));
  }
}

SysctlTree::~SysctlTree() = default;

// --- building the tree

absl::StatusOr<SysctlTree::Node*> SysctlTree::ParentForAdd(absl::Span<const int> parent) const {
  Node* p = root_.get();
  for (int num : parent) {
    if (!p->is_node() || p->handler) {
      return absl::NotFoundError(absl::StrFormat("sysctl: %s is not a node", p->name));
    }
    auto it = p->children.find(num);
    if (it == p->children.end()) {
      return absl::NotFoundError(absl::StrFormat("sysctl: %s has no child %d", p->name, num));
    }
    p = it->second.get();
  }
  if (!p->is_node() || p->handler) {
    return absl::NotFoundError(absl::StrFormat("sysctl: %s is not a node", p->name));
  }
  return p;
}

absl::StatusOr<int> SysctlTree::Insert(Node* parent, int num, std::shared_ptr<Node> node) {
  for (const auto& [n, child] : parent->children) {
    if (child->name == node->name || n == num) {
      return absl::AlreadyExistsError(
          absl::StrFormat("sysctl: %s already has %s (%d)", parent->name, child->name, n));
    }
  }
  if (num == kDynamicNumber) {
    // As sysctl_create: the next number of the tree-wide counter, then the
    // next one free under this parent.
    num = next_dynamic_++;
    while (parent->children.count(num)) ++num;
  }
  node->num = num;
  node->parent = parent;
  // Every addition gives the new node and its ancestors a new version.
  const uint32_t v = ++version_;
  node->ver = v;
  for (Node* p = parent; p != nullptr; p = p->parent) p->ver = v;
  parent->children.emplace(num, std::move(node));
  return num;
}

absl::StatusOr<int> SysctlTree::AddNode(absl::Span<const int> parent, int num,
                                        const std::string& name, const std::string& description,
                                        uint32_t flags) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad name '%s'", name));
  }
  if (num < 0 && num != kDynamicNumber) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad number %d", num));
  }
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Node*> p = ParentForAdd(parent);
  if (!p.ok()) return p.status();
  // "mkdir -p": the same interior node again is not an error.
  for (const auto& [n, child] : (*p)->children) {
    if (child->name == name && (num == n || num == kDynamicNumber) && child->is_node() &&
        !child->handler) {
      if (child->description.empty()) child->description = description;
      return n;
    }
  }
  auto node = std::make_shared<Node>();
  node->name = name;
  node->description = description;
  node->flags = flags & abi::kSysctlFlagMask & ~abi::kCtlFlagReadWrite;
  return Insert(*p, num, std::move(node));
}

absl::Status SysctlTree::RemoveNode(absl::Span<const int> path) {
  if (path.empty()) return absl::InvalidArgumentError("sysctl: the root cannot be removed");
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Node*> p = ParentForAdd(path.first(path.size() - 1));
  if (!p.ok()) return p.status();
  auto it = (*p)->children.find(path.back());
  if (it == (*p)->children.end()) {
    return absl::NotFoundError(absl::StrFormat("sysctl: %s has no child %d", (*p)->name,
                                               path.back()));
  }
  // As NetBSD's sysctl_destroy: permanent nodes stay, and so does
  // everything above one.
  std::vector<Node*> subtree = {it->second.get()};
  for (size_t i = 0; i < subtree.size(); ++i) {
    if (subtree[i]->flags & abi::kCtlFlagPermanent) {
      return absl::FailedPreconditionError(
          absl::StrFormat("sysctl: %s is permanent", subtree[i]->name));
    }
    for (const auto& [n, child] : subtree[i]->children) subtree.push_back(child.get());
  }
  // Calls in progress keep their references; the nodes leave the tree now.
  for (Node* n : subtree) n->parent = nullptr;
  (*p)->children.erase(it);
  const uint32_t v = ++version_;
  for (Node* a = *p; a != nullptr; a = a->parent) a->ver = v;
  return absl::OkStatus();
}

absl::StatusOr<int> SysctlTree::AddLeaf(absl::Span<const int> parent, int num,
                                        const std::string& name, SysctlLeaf leaf) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad name '%s'", name));
  }
  if (num < 0 && num != kDynamicNumber) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad number %d", num));
  }
  const uint32_t type = static_cast<uint32_t>(leaf.type);
  if (type < abi::kCtlTypeInt || type > abi::kCtlTypeBool) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: %s: bad leaf type", name));
  }
  if (!leaf.read && !leaf.read_sized && !leaf.read_process) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: %s: no read function", name));
  }
  if (leaf.writable && !leaf.write && !leaf.write_process) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: %s: no write function", name));
  }
  if ((leaf.flags & abi::kCtlFlagImmediate) &&
      (type == abi::kCtlTypeString || type == abi::kCtlTypeStruct || !leaf.read)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sysctl: %s: only ints, quads and bools are immediate", name));
  }
  size_t size = leaf.size;
  switch (type) {
    case abi::kCtlTypeInt:
      if (size == 0) size = sizeof(int32_t);
      break;
    case abi::kCtlTypeQuad:
      if (size == 0) size = sizeof(uint64_t);
      break;
    case abi::kCtlTypeBool:
      if (size == 0) size = 1;
      break;
    case abi::kCtlTypeString:
      if (size == 0) {
        if (!leaf.read) {
          return absl::InvalidArgumentError(
              absl::StrFormat("sysctl: %s: a string needs a size or read", name));
        }
        const std::string v = leaf.read();
        size = strnlen(v.data(), v.size()) + 1;
      }
      break;
    case abi::kCtlTypeStruct:
      if (size == 0 && leaf.read) size = leaf.read().size();
      break;
  }
  if (!Fits(type, size)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sysctl: %s: size %d does not fit its type", name, size));
  }
  auto node = std::make_shared<Node>();
  node->name = name;
  node->type = type;
  node->flags = (leaf.flags & abi::kSysctlFlagMask & ~abi::kCtlFlagReadWrite) |
                (leaf.writable ? abi::kCtlFlagReadWrite : 0);
  node->size = size;
  node->description = leaf.description;
  node->leaf = std::make_shared<const SysctlLeaf>(std::move(leaf));
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Node*> p = ParentForAdd(parent);
  if (!p.ok()) return p.status();
  return Insert(*p, num, std::move(node));
}

absl::StatusOr<int> SysctlTree::AddNodeWithHandler(absl::Span<const int> parent, int num,
                                                   const std::string& name,
                                                   const std::string& description,
                                                   SysctlRequestHandler handler,
                                                   SysctlType type) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad name '%s'", name));
  }
  if (num < 0 && num != kDynamicNumber) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: bad number %d", num));
  }
  if (!handler) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: %s: no handler", name));
  }
  if (type != SysctlType::kNode && type != SysctlType::kStruct) {
    return absl::InvalidArgumentError(
        absl::StrFormat("sysctl: %s: a handler is a node or a struct", name));
  }
  auto node = std::make_shared<Node>();
  node->name = name;
  node->description = description;
  node->flags = abi::kCtlFlagPermanent;
  if (type == SysctlType::kStruct) {
    node->type = abi::kCtlTypeStruct;
    node->size = 0;
  }
  node->handler = std::make_shared<const SysctlRequestHandler>(std::move(handler));
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<Node*> p = ParentForAdd(parent);
  if (!p.ok()) return p.status();
  return Insert(*p, num, std::move(node));
}

absl::StatusOr<int> SysctlTree::AddHandler(absl::Span<const int> parent, int num,
                                           const std::string& name, SysctlHandler handler,
                                           const std::string& description) {
  if (!handler) {
    return absl::InvalidArgumentError(absl::StrFormat("sysctl: %s: no handler", name));
  }
  return AddNodeWithHandler(
      parent, num, name, description,
      [h = std::move(handler)](SyscallContext& ctx,
                               const SysctlRequest& req) -> absl::StatusOr<SysctlReply> {
        absl::StatusOr<std::string> data = h(ctx, req.rest, req.writing);
        if (!data.ok()) return data.status();
        return SysctlReply(std::move(*data));
      },
      SysctlType::kNode);
}

absl::StatusOr<int> SysctlTree::AddRequestHandler(absl::Span<const int> parent, int num,
                                                  const std::string& name,
                                                  SysctlRequestHandler handler,
                                                  const std::string& description,
                                                  SysctlType type) {
  return AddNodeWithHandler(parent, num, name, description, std::move(handler), type);
}

// --- names

absl::StatusOr<std::vector<int>> SysctlTree::Resolve(absl::string_view dotted) const {
  const size_t first_sep = dotted.find_first_of("./");
  const char sep = first_sep == absl::string_view::npos ? '.' : dotted[first_sep];
  if (!dotted.empty() && dotted[0] == sep) dotted.remove_prefix(1);
  auto not_found = [&] {
    return absl::NotFoundError(absl::StrFormat("sysctl: no node '%s'", dotted));
  };
  if (dotted.empty()) return not_found();

  std::vector<int> mib;
  std::lock_guard<std::mutex> lock(mu_);
  const Node* node = root_.get();
  size_t pos = 0;
  while (pos <= dotted.size()) {
    size_t end = dotted.find(sep, pos);
    if (end == absl::string_view::npos) end = dotted.size();
    const std::string token(dotted.substr(pos, end - pos));
    pos = end + 1;
    if (token.empty() && end == dotted.size() && !mib.empty()) break;  // "kern."
    if (token.empty()) return not_found();
    // A number, as libc's strtoimax(token, &end, 0) accepts it.
    bool have_number = false;
    int number = 0;
    {
      errno = 0;
      char* rest = nullptr;
      const long long q = std::strtoll(token.c_str(), &rest, 0);
      if (errno == 0 && *rest == '\0' && q >= INT_MIN && q <= UINT_MAX) {
        have_number = true;
        number = static_cast<int>(q);
      }
    }
    if (!node->is_node() || node->handler) {
      if (!have_number) return not_found();
      mib.push_back(number);
    } else {
      const Node* found = nullptr;
      for (const auto& [n, child] : node->children) {
        if ((have_number && n == number) || child->name == token) {
          found = child.get();
          break;
        }
      }
      if (found == nullptr) return not_found();
      mib.push_back(found->num);
      node = found;
    }
    if (mib.size() > size_t(abi::kCtlMaxName)) return not_found();
  }
  return mib;
}

// --- the system call

SysctlTree::Located SysctlTree::Locate(absl::Span<const int> name) const {
  const std::shared_ptr<Node>* node = &root_;
  size_t ni = 0;
  int error = 0;
  for (; ni < name.size(); ++ni) {
    if (!(*node)->is_node()) {
      error = abi::kENOTDIR;
      break;
    }
    auto it = (*node)->children.find(name[ni]);
    if (it == (*node)->children.end()) {
      error = abi::kENOENT;
      break;
    }
    node = &it->second;
  }
  return Located{*node, ni, error};
}

absl::StatusOr<SyscallReturn> SysctlTree::Syscall(SyscallContext& ctx, const SyscallArgs& args) {
  const UserAddr name_ptr = args.Ptr(0);
  const uint32_t namelen = args.UInt(1);
  const UserAddr oldp = args.Ptr(2);
  const UserAddr oldlenp = args.Ptr(3);
  const UserAddr newp = args.Ptr(4);
  const size_t newlen = args.Size(5);

  // As sys___sysctl: oldlen first, then the name.
  uint64_t oldlen = 0;
  if (oldlenp != 0) {
    if (absl::Status s = ctx.mem.CopyIn(oldlenp, &oldlen, sizeof(oldlen)); !s.ok()) {
      return s;
    }
  }
  const uint64_t savelen = oldlen;
  if (namelen < 1 || namelen > uint32_t(abi::kCtlMaxName)) return Errno(abi::kEINVAL);
  int name[abi::kCtlMaxName];
  if (absl::Status s = ctx.mem.CopyIn(name_ptr, name, namelen * sizeof(int)); !s.ok()) {
    return s;
  }

  Call call{ctx,    absl::MakeConstSpan(name, namelen), oldp, size_t(oldlen), newp,
            newlen, ctx.process.credentials().euid == 0};
  absl::Status error;
  Located loc{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    loc = Locate(call.name);
  }
  // `loc` keeps the node alive even if it is removed meanwhile.
  Node* node = loc.node.get();
  // As sysctl_dispatch: a node with a function gets everything below it; a
  // node found is looked up; a missing last component that is a
  // meta-operation applies to its parent.
  if (node->handler) {
    error = Handle(call, node, call.name.subspan(loc.consumed));
  } else if (loc.error == 0) {
    error = Lookup(call, node);
  } else if (loc.error == abi::kENOENT && loc.consumed + 1 == namelen && name[loc.consumed] < 0) {
    switch (name[loc.consumed]) {
      case abi::kCtlQuery:
        error = Query(call, node);
        break;
      case abi::kCtlDescribe:
        error = Describe(call, node);
        break;
      case abi::kCtlMmap:
        error = Mmap(call, node);
        break;
      case abi::kCtlCreate:
      case abi::kCtlDestroy:
        // User-created nodes are not supported: refused as NetBSD refuses
        // them under a read-only parent.
        error = Errno(newp == 0 ? abi::kEINVAL : abi::kEPERM);
        break;
      default:  // CTL_CREATESYM without ksyms, and unknown operations
        error = Errno(abi::kEOPNOTSUPP);
        break;
    }
  } else {
    error = Errno(loc.error);
  }

  // oldlen goes back even on error; then a short buffer is ENOMEM.
  if (oldlenp != 0) {
    const uint64_t out = call.oldlen;
    absl::Status s = ctx.mem.CopyOut(&out, oldlenp, sizeof(out));
    if (error.ok()) error = s;
  }
  if (error.ok() && oldp != 0 && savelen < call.oldlen) error = Errno(abi::kENOMEM);
  if (!error.ok()) return error;
  return SyscallReturn{};
}

absl::Status SysctlTree::Lookup(Call& call, Node* node) {
  // Nodes are queried, not looked up; nothing is below a leaf.
  if (node->is_node()) return Errno(abi::kEINVAL);
  const SysctlLeaf& leaf = *node->leaf;  // set for every non-node
  const uint32_t type = node->type;
  const size_t size = node->size;
  const uint32_t flags = node->flags;
  const UserAddr newp = call.newlen == 0 ? 0 : call.newp;

  std::string data;
  if (leaf.read_sized) {
    absl::StatusOr<std::string> v = leaf.read_sized(call.oldlen);
    if (!v.ok()) return v.status();
    data = LeafData(type, size, std::move(*v), /*sized=*/true);
  }
  if (newp != 0 && !(flags & abi::kCtlFlagAnyWrite) && !call.root) {
    return Errno(abi::kEPERM);
  }
  if (newp != 0 && (flags & abi::kCtlFlagReadWrite) == 0) return Errno(abi::kEPERM);
  if (leaf.read_process) {
    data = LeafData(type, size, leaf.read_process(call.ctx.process), /*sized=*/false);
  } else if (!leaf.read_sized) {
    data = LeafData(type, size, leaf.read(), /*sized=*/false);
  }

  if (call.oldp != 0) {
    const size_t n = std::min(data.size(), call.oldlen);
    if (absl::Status s = call.ctx.mem.CopyOut(data.data(), call.oldp, n); !s.ok()) return s;
  }
  call.oldlen = data.size();
  if (newp == 0) return absl::OkStatus();

  // The new value: strings may be shorter than the node's size, everything
  // else must be exactly its size.
  std::string in;
  switch (type) {
    case abi::kCtlTypeString: {
      if (call.newlen > size) return Errno(abi::kEINVAL);
      in.resize(call.newlen);
      if (absl::Status s = call.ctx.mem.CopyIn(newp, in.data(), in.size()); !s.ok()) {
        return s;
      }
      if (in.back() != '\0' && call.newlen == size) return Errno(abi::kEINVAL);
      in.resize(strnlen(in.data(), in.size()));
      break;
    }
    case abi::kCtlTypeBool:
    case abi::kCtlTypeInt:
    case abi::kCtlTypeQuad:
    case abi::kCtlTypeStruct:
      if (call.newlen != size) return Errno(abi::kEINVAL);
      in.resize(size);
      if (absl::Status s = call.ctx.mem.CopyIn(newp, in.data(), in.size()); !s.ok()) {
        return s;
      }
      if (type == abi::kCtlTypeBool && in[0] != 0 && in[0] != 1) return Errno(abi::kEINVAL);
      break;
    default:
      return Errno(abi::kEINVAL);
  }
  if (leaf.write_process) return leaf.write_process(call.ctx.process, in);
  return leaf.write(in);
}

absl::Status SysctlTree::Handle(Call& call, Node* node, absl::Span<const int> rest) {
  // As net.route.0 does in NetBSD: a query right below the node lists its
  // (no) children; everything else is the handler's.
  if (rest.size() == 1 && rest[0] == abi::kCtlQuery) return Query(call, node);
  SysctlRequest req;
  req.rest = rest;
  req.size_query = call.oldp == 0;
  req.oldlen = call.oldlen;
  req.writing = call.newp != 0;
  req.newp = call.newp;
  req.newlen = call.newlen;
  absl::StatusOr<SysctlReply> reply = (*node->handler)(call.ctx, req);
  if (!reply.ok()) return reply.status();
  if (call.oldp != 0) {
    const size_t n = std::min(reply->data.size(), call.oldlen);
    if (absl::Status s = call.ctx.mem.CopyOut(reply->data.data(), call.oldp, n); !s.ok()) {
      return s;
    }
  }
  if (!reply->error.ok()) {
    call.oldlen = reply->length;
    return reply->error;
  }
  call.oldlen = std::max(reply->length, reply->data.size());
  return absl::OkStatus();
}

namespace {

// sysctl_cvt_in: the struct sysctlnode a meta-operation brings in newp.
absl::StatusOr<abi::SysctlNode> NodeIn(UserMemory& mem, UserAddr newp, size_t newlen) {
  uint32_t flags = 0;
  if (newp == 0 || newlen < sizeof(flags)) return Errno(abi::kEINVAL);
  if (absl::Status s = mem.CopyIn(newp, &flags, sizeof(flags)); !s.ok()) return s;
  if (newlen != abi::kSysctlNodeSize || abi::SysctlVers(flags) != abi::kSysctlVersion) {
    return Errno(abi::kEINVAL);
  }
  abi::SysctlNode n;
  if (absl::Status s = mem.CopyIn(newp, &n, sizeof(n)); !s.ok()) return s;
  return n;
}

}  // namespace

absl::Status SysctlTree::Query(Call& call, Node* node) {
  if (!node->is_node()) return Errno(abi::kENOTDIR);
  absl::StatusOr<abi::SysctlNode> q = NodeIn(call.ctx.mem, call.newp, call.newlen);
  if (!q.ok()) return q.status();

  // One record per child, in number order (libc sorts them anyway).
  std::string out;
  std::vector<std::pair<size_t, std::shared_ptr<const SysctlLeaf>>> immediates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (q->ver != 0 && q->ver != node->ver && q->ver != version_) {
      return Errno(abi::kEINVAL);
    }
    out.assign(node->children.size() * abi::kSysctlNodeSize, '\0');
    size_t off = 0;
    for (const auto& [num, child] : node->children) {
      Put<uint32_t>(out, off + abi::kSysctlNodeFlagsOff,
                    abi::kSysctlVersion | child->flags | child->type);
      Put<int32_t>(out, off + abi::kSysctlNodeNumOff, num);
      std::memcpy(&out[off + abi::kSysctlNodeNameOff], child->name.data(),
                  std::min(child->name.size(), size_t(abi::kSysctlNameLen) - 1));
      Put<uint32_t>(out, off + abi::kSysctlNodeVerOff, child->ver);
      if (child->is_node()) {
        Put<uint32_t>(out, off + abi::kSysctlNodeCsizeOff, ChildArraySize(child->children.size()));
        Put<uint32_t>(out, off + abi::kSysctlNodeClenOff,
                      static_cast<uint32_t>(child->children.size()));
      } else if (child->flags & abi::kCtlFlagImmediate) {
        immediates.emplace_back(off, child->leaf);
      }
      // Kernel pointers (child, data, func, parent, desc) stay 0.
      Put<uint64_t>(out, off + abi::kSysctlNodeSizeOff, child->size);
      off += abi::kSysctlNodeSize;
    }
  }
  for (const auto& [off, leaf] : immediates) {
    const std::string v = leaf->read();
    std::memcpy(&out[off + abi::kSysctlNodeQdataOff], v.data(),
                std::min(v.size(), sizeof(uint64_t)));
  }
  // Whole records only, as many as fit.
  if (call.oldp != 0) {
    const size_t fit =
        std::min(out.size(), call.oldlen / abi::kSysctlNodeSize * abi::kSysctlNodeSize);
    if (absl::Status s = call.ctx.mem.CopyOut(out.data(), call.oldp, fit); !s.ok()) return s;
  }
  call.oldlen = out.size();
  return absl::OkStatus();
}

absl::Status SysctlTree::Describe(Call& call, Node* node) {
  if (!node->is_node()) return Errno(abi::kENOTDIR);
  bool one = false;
  abi::SysctlNode d{};
  if (call.newp != 0) {
    absl::StatusOr<abi::SysctlNode> q = NodeIn(call.ctx.mem, call.newp, call.newlen);
    if (!q.ok()) return q.status();
    d = *q;
    one = true;
    if (d.desc != 0) {
      // Setting a description: only root, only on a node that is not
      // permanent and has none yet.
      if (!call.root) return Errno(abi::kEPERM);
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = node->children.find(d.num);
        if (it == node->children.end()) return Errno(abi::kENOENT);
        if (d.ver != 0 && d.ver != it->second->ver) return Errno(abi::kEINVAL);
        if ((it->second->flags & abi::kCtlFlagPermanent) || !it->second->description.empty()) {
          return Errno(abi::kEPERM);
        }
      }
      absl::StatusOr<std::string> text =
          call.ctx.mem.CopyInString(d.desc, size_t(abi::kMaxDescLen));
      if (!text.ok()) return text.status();
      std::lock_guard<std::mutex> lock(mu_);
      Node* child = node->children.at(d.num).get();
      if (!child->description.empty()) return Errno(abi::kEPERM);
      child->description = *text;
    }
  }

  std::string out;
  size_t left = call.oldlen;
  size_t total = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [num, child] : node->children) {
      if (one && num != d.num) continue;
      // A description that does not fit NetBSD's buffer reads as empty.
      std::string text = child->description;
      if (text.size() + 1 > size_t(abi::kMaxDescLen) - abi::kSysctlDescStrOff) text.clear();
      const uint32_t len = static_cast<uint32_t>(text.size() + 1);
      const size_t sz = abi::SysctlDescRecordSize(len);
      if (call.oldp != 0 && left >= sz) {
        const size_t off = out.size();
        out.resize(off + sz, '\0');
        Put<int32_t>(out, off + abi::kSysctlDescNumOff, num);
        Put<uint32_t>(out, off + abi::kSysctlDescVerOff, child->ver);
        Put<uint32_t>(out, off + abi::kSysctlDescLenOff, len);
        std::memcpy(&out[off + abi::kSysctlDescStrOff], text.data(), text.size());
        left -= sz;
      }
      total += sz;
      if (one) break;
    }
  }
  if (one && total == 0) return Errno(abi::kENOENT);
  if (!out.empty()) {
    if (absl::Status s = call.ctx.mem.CopyOut(out.data(), call.oldp, out.size()); !s.ok()) {
      return s;
    }
  }
  call.oldlen = total;
  return absl::OkStatus();
}

absl::Status SysctlTree::Mmap(Call& call, Node* node) {
  if (call.newp == 0 || call.newlen != abi::kSysctlNodeSize) return Errno(abi::kEINVAL);
  abi::SysctlNode n;
  if (absl::Status s = call.ctx.mem.CopyIn(call.newp, &n, sizeof(n)); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  if (!node->is_node()) return Errno(abi::kENOTDIR);
  if (node->children.count(n.num) == 0) return Errno(abi::kENOENT);
  return Errno(abi::kEOPNOTSUPP);  // no node here handles mmap
}

}  // namespace rump
