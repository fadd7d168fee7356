// SysctlTree: the kernel's sysctl tree and the __sysctl system call, with
// NetBSD's MIB numbers, node layout (struct sysctlnode, 96 bytes), the
// CTL_QUERY and CTL_DESCRIBE meta-operations, and NetBSD's rules for sizes,
// partial reads (ENOMEM with the full size reported) and writes.
//
// Components add their nodes while the kernel boots; values live wherever
// their owner keeps them and are reached through the leaf's functions.
// Nodes that are not CTLFLAG_PERMANENT may also come and go at run time
// (NetBSD's CTL_CREATE / sysctl_destroyv from inside the kernel), as the
// per-interface nodes under net.link.impair do: a call that located a node
// before it was removed finishes with it, so a leaf's functions may run
// once after RemoveNode returns and must not outlive what they reach
// (capture a weak_ptr). Thread-safe. The tree's lock is not held while a
// leaf's or handler's functions run, so they may take their own locks (and
// even add or remove nodes).
//
// What a call returns, as NetBSD's sys___sysctl/sysctl_dispatch/
// sysctl_lookup do it (sys/kern/kern_sysctl.c):
//   * *oldlenp is read first (EFAULT), then 1 <= namelen <= 12 (EINVAL), then
//     the name is copied in (EFAULT). After that, *oldlenp is always written
//     back, even on error: the full size of the data when it is known, else
//     what the caller passed.
//   * A name that does not exist is ENOENT; a name that goes on below a leaf
//     is ENOTDIR; reading an interior node is EINVAL (NetBSD: "you can't look
//     up a node"); a negative component other than the last is ENOENT.
//   * A too small buffer gets as much as fits and ENOMEM (CTL_QUERY and
//     CTL_DESCRIBE copy whole records only).
//   * newlen == 0 means "no new value", even with newp set. Writing a
//     read-only leaf is EPERM; an int/quad/bool/struct needs newlen == size
//     exactly (EINVAL); a string takes newlen <= size and ends at the first
//     NUL or at newlen (newlen == size without a NUL is EINVAL); a bool must
//     be 0 or 1. A non-root caller (euid != 0) gets EPERM on writes unless
//     the leaf has CTLFLAG_ANYWRITE.
//   * Last components CTL_QUERY (-2) and CTL_DESCRIBE (-7) list the children
//     of the node before them; CTL_CREATE/CTL_DESTROY from user space are
//     refused (EINVAL without newp, else EPERM); CTL_MMAP is EOPNOTSUPP
//     (after NetBSD's checks of its request); other negative last
//     components are EOPNOTSUPP.
//   * A handler node (AddHandler) gets every call at or below it, writes
//     included, except a CTL_QUERY right below it (which lists no children
//     for a kNode handler and is ENOTDIR for a kStruct one).
#ifndef RUMP_KERN_SYSCTL_H_
#define RUMP_KERN_SYSCTL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/syscall.h"

namespace rump {

// NetBSD node types (the low 4 bits of sysctl_flags).
enum class SysctlType { kNode = 1, kInt = 2, kString = 3, kQuad = 4, kStruct = 5, kBool = 6 };

// A leaf: its type, whether it may be written, and how to reach its value.
// `read` returns the value's bytes (a string without its NUL; an int as 4
// host-order bytes; a quad as 8; a struct as its bytes). `write` receives
// bytes already checked against the type's size rules.
struct SysctlLeaf {
  SysctlType type = SysctlType::kInt;
  bool writable = false;
  std::string description;
  std::function<std::string()> read;
  std::function<absl::Status(absl::string_view)> write;  // may be empty if !writable

  // sysctl_size. Ints, quads and bools have theirs (4, 8, 1); 0 is fine for
  // them. A string's size is its buffer size with the NUL (kern.hostname:
  // 256), the most a write may bring; 0 means "strlen + 1 of the value when
  // the leaf is added", as NetBSD does for read-only strings. A struct's size
  // is the size of its value; 0 means "the size of the value read when the
  // leaf is added".
  size_t size = 0;
  // CTLFLAG_* bits the node has besides its type and READWRITE (which
  // `writable` adds). CTLFLAG_IMMEDIATE puts the value itself into CTL_QUERY
  // records (at offset 48), as NetBSD does for kern.osrevision, hw.pagesize...
  // CTLFLAG_ANYWRITE lets non-root callers write.
  uint32_t flags = abi::kCtlFlagPermanent;
  // Optional, replaces `read`: the value for a caller whose buffer holds
  // `oldlen` bytes (*oldlenp; 0 when oldlenp is NULL). For nodes whose
  // value's size is what the caller asks for (kern.arandom). Its errors are
  // returned as they are.
  std::function<absl::StatusOr<std::string>(size_t oldlen)> read_sized;
  // Optional, replace `read` and `write`: the value as the calling process
  // sees it, and a new value for that process (proc.curproc.*). Such a
  // leaf needs `size` for a string.
  std::function<std::string(Process& caller)> read_process;
  std::function<absl::Status(Process& caller, absl::string_view value)> write_process;
};

// A node whose children are computed on each call (net.route.0 and other
// table dumps): it receives the MIB components after its own and whether a
// new value was supplied, and returns the bytes to copy out.
using SysctlHandler = std::function<absl::StatusOr<std::string>(
    SyscallContext& ctx, absl::Span<const int> rest, bool writing)>;

// Everything a handler node may want to know about the call (NetBSD's
// SYSCTLFN_ARGS, minus the tree). Its answer (SysctlReply) is copied out as
// a read-only leaf's value: as many bytes as fit, *oldlenp set to the
// reply's length, ENOMEM when that is more than the caller's buffer. For a
// size query (oldp NULL) return the size to report (NetBSD's route dumps
// report an estimate, 110% of the need).
struct SysctlRequest {
  absl::Span<const int> rest;  // the MIB components after the handler's node
  bool size_query = false;     // oldp is NULL
  size_t oldlen = 0;           // *oldlenp as passed (0 without oldlenp)
  bool writing = false;        // newp is not NULL
  UserAddr newp = 0;           // the new value, for handlers that take one
  size_t newlen = 0;
};
// A handler's answer. NetBSD's handlers copy out and set *oldlenp
// themselves; the three fields say what they would:
//   data    the bytes for the caller's buffer (as many as fit are copied);
//   length  what *oldlenp reports: by default data.size(); more when the
//           handler counts what it did not copy (records beyond the
//           caller's count, a size query's estimate);
//   error   returned after the copy-out and *oldlenp (NetBSD's kern.proc2
//           copies what fits, sets *oldlenp to that and fails with
//           ENOMEM). With an error, length may be less than data.size():
//           *oldlenp is then exactly length.
// A plain string converts to a reply, so handlers may return one.
struct SysctlReply {
  SysctlReply(std::string bytes) : data(std::move(bytes)), length(data.size()) {}  // NOLINT
  SysctlReply(std::string bytes, size_t reported)
      : data(std::move(bytes)), length(reported) {}
  std::string data;
  size_t length;
  absl::Status error;
};
using SysctlRequestHandler =
    std::function<absl::StatusOr<SysctlReply>(SyscallContext& ctx, const SysctlRequest& req)>;

// A writable int leaf whose value lives in `value` (read and written
// atomically); `check`, when given, vets a value written (EINVAL when it
// says no, and for a value that is not 4 bytes).
SysctlLeaf SysctlIntLeaf(std::atomic<int>* value, std::string description,
                         std::function<bool(int)> check = nullptr);

class SysctlTree {
 public:
  // Pass as `num` to get a dynamic number (1025, 1026, ...), as NetBSD's
  // CTL_CREATE does.
  static constexpr int kDynamicNumber = -1;

  // A tree with NetBSD's fixed top-level nodes (kern 1, vm 2, vfs 3, net 4,
  // debug 5, hw 6, machdep 7, user 8, ddb 9, proc 10, vendor 11, emul 12,
  // security 13).
  SysctlTree();
  ~SysctlTree();
  SysctlTree(const SysctlTree&) = delete;
  SysctlTree& operator=(const SysctlTree&) = delete;

  // Adds an interior node under the node at `parent` (a MIB path; {} is the
  // root). Returns the new node's number. AlreadyExists for a taken number
  // or name, NotFound for a missing parent (or one that is a leaf or a
  // handler), InvalidArgument for a bad name (NetBSD's rule: 1 to 31 of
  // [A-Za-z0-9_-], not starting with a digit) or a negative number other
  // than kDynamicNumber.
  //
  // AddNode only: asking again for an interior node that exists with the
  // same name (and the same number, or kDynamicNumber) returns its number,
  // as NetBSD's sysctl_createv does ("mkdir -p"), so that two components
  // can both make sure that net.inet exists.
  //
  // `flags`: CTLFLAG_* bits besides the type (READWRITE is ignored);
  // without CTLFLAG_PERMANENT the node may be removed with RemoveNode.
  absl::StatusOr<int> AddNode(absl::Span<const int> parent, int num,
                              const std::string& name,
                              const std::string& description = "",
                              uint32_t flags = abi::kCtlFlagPermanent);
  // InvalidArgument also for a leaf without `read` (or `read_sized`), a
  // writable leaf without `write`, a kNode type, or a size that does not fit
  // the type.
  absl::StatusOr<int> AddLeaf(absl::Span<const int> parent, int num,
                              const std::string& name, SysctlLeaf leaf);
  absl::StatusOr<int> AddHandler(absl::Span<const int> parent, int num,
                                 const std::string& name, SysctlHandler handler,
                                 const std::string& description = "");
  // The same with the whole request (see SysctlRequest). `type` is what
  // CTL_QUERY shows: kNode (size 96, as NetBSD's net.route.0 and
  // kern.proc2) or kStruct (size 0, as NetBSD's kern.file2 and pcblist
  // nodes); InvalidArgument for other types.
  absl::StatusOr<int> AddRequestHandler(absl::Span<const int> parent, int num,
                                        const std::string& name,
                                        SysctlRequestHandler handler,
                                        const std::string& description = "",
                                        SysctlType type = SysctlType::kNode);

  // Removes the node at `path` and everything below it (NetBSD's
  // sysctl_destroyv, for a whole subtree). NotFound if there is none,
  // FailedPrecondition if it or a node below it is CTLFLAG_PERMANENT (a
  // leaf is permanent unless its SysctlLeaf::flags say otherwise),
  // InvalidArgument for the root. The parent and its ancestors get a new
  // version, as for an addition; the numbers are not reused.
  absl::Status RemoveNode(absl::Span<const int> path);

  // The MIB of a dotted name such as "net.inet.ip.ttl" (NotFound otherwise).
  // As libc's sysctlgetmibinfo: '/' may separate instead of '.', a leading
  // separator is allowed, a component may be a number; numeric components
  // after a leaf or a handler node are taken as they are.
  absl::StatusOr<std::vector<int>> Resolve(absl::string_view dotted) const;

  // The __sysctl(2) system call: (name, namelen, oldp, oldlenp, newp, newlen).
  absl::StatusOr<SyscallReturn> Syscall(SyscallContext& ctx, const SyscallArgs& args);

 private:
  struct Node;
  struct Located;
  struct Call;

  // Finds where a new child of `parent` goes; mu_ held.
  absl::StatusOr<Node*> ParentForAdd(absl::Span<const int> parent) const;
  // Inserts `node` under `parent`, choosing a dynamic number if asked;
  // mu_ held.
  absl::StatusOr<int> Insert(Node* parent, int num, std::shared_ptr<Node> node);
  absl::StatusOr<int> AddNodeWithHandler(absl::Span<const int> parent, int num,
                                         const std::string& name,
                                         const std::string& description,
                                         SysctlRequestHandler handler, SysctlType type);
  // sysctl_locate: walks `name` from the root; mu_ held.
  Located Locate(absl::Span<const int> name) const;

  // The operations sysctl_dispatch picks.
  absl::Status Lookup(Call& call, Node* node);
  absl::Status Handle(Call& call, Node* node, absl::Span<const int> rest);
  absl::Status Query(Call& call, Node* node);
  absl::Status Describe(Call& call, Node* node);
  absl::Status Mmap(Call& call, Node* node);

  mutable std::mutex mu_;
  std::shared_ptr<Node> root_;
  int next_dynamic_ = 1025;
  uint32_t version_ = 0;  // the root's sysctl_ver: bumped by every addition and removal
};

}  // namespace rump

#endif  // RUMP_KERN_SYSCTL_H_
