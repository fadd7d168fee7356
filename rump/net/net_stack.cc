#include "rump/net/net_stack.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/privilege.h"
#include "rump/kern/process.h"
#include "rump/net/ether.h"
#include "rump/net/loopback.h"
#include "rump/net/socket_syscalls.h"

namespace rump {
namespace {

constexpr uint32_t kUpRunning = abi::kIFF_UP | abi::kIFF_RUNNING;

// Splits "shmif12" into ("shmif", 12) as NetBSD's if_clone_lookup does:
// a non-empty name part, then a unit of digits only (no leading zero, below
// INT_MAX / 10), the whole shorter than IFNAMSIZ.
bool ParseCloneName(absl::string_view name, absl::string_view* prefix, int* unit) {
  if (name.empty() || name.size() >= abi::kIfNameSize) return false;
  size_t i = 0;
  while (i < name.size() && !absl::ascii_isdigit(name[i])) ++i;
  if (i == 0 || i == name.size()) return false;
  const absl::string_view digits = name.substr(i);
  if (digits.size() > 1 && digits[0] == '0') return false;
  int u = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c) || u >= INT_MAX / 10) return false;
    u = u * 10 + (c - '0');
  }
  *prefix = name.substr(0, i);
  *unit = u;
  return true;
}

}  // namespace

NetStack::NetStack() = default;

NetStack::~NetStack() { StopAll(); }

absl::Status NetStack::Attach(Kernel& kernel) {
  timers_ = &kernel.timers();
  sysctl_ = &kernel.sysctl();
  // The sysctl nodes first: lo0 gets its net.link.impair.lo0.
  if (absl::Status s = AddSysctlNodes(kernel.sysctl()); !s.ok()) return s;
  if (absl::Status s = RegisterCloner(MakeLoopbackCloner()); !s.ok()) return s;
  if (absl::Status s = CreateInterface("lo0").status(); !s.ok()) return s;
  // The domains of this layer: routing sockets and link-level sockets.
  for (auto [family, name] : {std::pair<int, const char*>{abi::kAF_ROUTE, "route"},
                              std::pair<int, const char*>{abi::kAF_LINK, "link"}}) {
    AddressFamily f;
    f.family = family;
    f.name = name;
    f.socket_factory = MakeBasicSocket;
    if (family == abi::kAF_LINK) f.control = &NetStack::LinkControl;
    if (absl::Status s = RegisterFamily(std::move(f)); !s.ok()) return s;
  }
  kernel.syscalls().Register(abi::kSysSocket,
                             [this](SyscallContext& ctx, const SyscallArgs& args) {
                               return SocketSyscall(ctx, args);
                             });
  RegisterSocketSyscalls(kernel.syscalls());
  return absl::OkStatus();
}

void NetStack::Detach(Kernel&) { StopAll(); }

void NetStack::StopAll() {
  halted_.store(true);
  for (const std::shared_ptr<Interface>& ifp : Interfaces()) {
    std::lock_guard<std::mutex> lock(ifp->ioctl_mu_);
    if (!ifp->dying_) StopLocked(*ifp);
  }
}

// --- cloners and interfaces

absl::Status NetStack::RegisterCloner(std::unique_ptr<InterfaceCloner> cloner) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : cloners_) {
    if (c->name() == cloner->name()) {
      return absl::AlreadyExistsError(absl::StrCat("cloner ", cloner->name(), " exists"));
    }
  }
  cloners_.push_back(std::move(cloner));
  return absl::OkStatus();
}

InterfaceCloner* NetStack::FindCloner(absl::string_view name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : cloners_) {
    if (c->name() == name) return c.get();
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<Interface>> NetStack::Clone(InterfaceCloner& cloner,
                                                           int unit,
                                                           const char* linkstr) {
  const std::string prefix(cloner.name());
  if (unit < 0) {  // the lowest free unit
    std::lock_guard<std::mutex> lock(mu_);
    for (unit = 0;; ++unit) {
      const std::string candidate = absl::StrCat(prefix, unit);
      bool taken = false;
      for (const auto& i : interfaces_) taken = taken || i->name() == candidate;
      if (!taken) break;
    }
  }
  std::string name = absl::StrCat(prefix, unit);
  if (name.size() >= abi::kIfNameSize) return abi::Errno(abi::kEINVAL, "name too long");
  if (FindInterface(name) != nullptr) return abi::Errno(abi::kEEXIST, name);
  absl::StatusOr<InterfaceSpec> spec = cloner.Create(unit, linkstr);
  if (!spec.ok()) return spec.status();
  if (spec->driver == nullptr) return abi::Errno(abi::kENXIO, "cloner gave no driver");
  std::unique_lock<std::mutex> lock(mu_);
  auto index_taken = [this](int index) {
    for (const auto& i : interfaces_) {
      if (i->index() == index) return true;
    }
    return false;
  };
  // NetBSD's if_getindex: the index counter moves on only past taken slots.
  while (index_taken(next_index_)) {
    if (++next_index_ > 0xffff) next_index_ = 1;
  }
  auto ifp = std::make_shared<Interface>(*this, std::move(name), prefix, unit, next_index_,
                                         std::move(*spec));
  interfaces_.push_back(ifp);
  lock.unlock();
  // Callers hold clone_mu_, which also orders the sysctl nodes of a name.
  if (absl::Status s = AddImpairmentSysctl(ifp); !s.ok()) {
    RemoveImpairmentSysctl(*ifp);
    std::lock_guard<std::mutex> relock(mu_);
    interfaces_.erase(std::find(interfaces_.begin(), interfaces_.end(), ifp));
    return s;
  }
  RouteAnnounce(*ifp, true);
  return ifp;
}

absl::StatusOr<std::shared_ptr<Interface>> NetStack::CreateInterface(
    absl::string_view name) {
  absl::string_view prefix;
  int unit = 0;
  if (!ParseCloneName(name, &prefix, &unit)) return abi::Errno(abi::kEINVAL);
  std::lock_guard<std::mutex> clone_lock(clone_mu_);
  InterfaceCloner* cloner = FindCloner(prefix);
  if (cloner == nullptr) return abi::Errno(abi::kEINVAL, "no such cloner");
  if (FindInterface(name) != nullptr) return abi::Errno(abi::kEEXIST);
  return Clone(*cloner, unit, nullptr);
}

absl::StatusOr<std::shared_ptr<Interface>> NetStack::CreateNextInterface(
    absl::string_view cloner_name, const char* linkstr) {
  std::lock_guard<std::mutex> clone_lock(clone_mu_);
  InterfaceCloner* cloner = FindCloner(cloner_name);
  if (cloner == nullptr) {
    return abi::Errno(abi::kENXIO, absl::StrCat("no ", cloner_name, " cloner"));
  }
  return Clone(*cloner, -1, linkstr);
}

absl::Status NetStack::DestroyInterface(absl::string_view name) {
  absl::string_view prefix;
  int unit = 0;
  if (!ParseCloneName(name, &prefix, &unit)) return abi::Errno(abi::kEINVAL);
  std::shared_ptr<Interface> ifp;
  {
    std::lock_guard<std::mutex> clone_lock(clone_mu_);
    InterfaceCloner* cloner = FindCloner(prefix);
    if (cloner == nullptr) return abi::Errno(abi::kEINVAL, "no such cloner");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(interfaces_.begin(), interfaces_.end(),
                           [&](const auto& i) { return i->name() == name; });
    if (it == interfaces_.end()) return abi::Errno(abi::kENXIO);
    if (absl::Status s = cloner->CheckDestroy(**it); !s.ok()) return s;
    ifp = *it;
    interfaces_.erase(it);
    RemoveImpairmentSysctl(*ifp);
  }
  {
    std::lock_guard<std::mutex> lock(ifp->ioctl_mu_);
    ifp->dying_ = true;
    StopLocked(*ifp);
    if (ifp->flags() & abi::kIFF_UP) SetUpLocked(*ifp, false);
    ifp->driver().Detach(*ifp);
  }
  Notify(*ifp, InterfaceEvent::kDestroyed);
  return absl::OkStatus();
}

std::shared_ptr<Interface> NetStack::FindInterface(absl::string_view name) const {
  if (name.empty() || name.size() >= abi::kIfNameSize) return nullptr;
  if (std::all_of(name.begin(), name.end(), absl::ascii_isdigit)) {
    int index = 0;
    for (char c : name) index = index * 10 + (c - '0');
    return FindInterfaceByIndex(index);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& i : interfaces_) {
    if (i->name() == name) return i;
  }
  return nullptr;
}

std::shared_ptr<Interface> NetStack::FindInterfaceByIndex(int index) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& i : interfaces_) {
    if (i->index() == index) return i;
  }
  return nullptr;
}

std::vector<std::shared_ptr<Interface>> NetStack::Interfaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interfaces_;
}

// --- configuration

absl::Status NetStack::StartLocked(Interface& ifp) {
  if (halted_.load()) return abi::Errno(abi::kENXIO, "kernel halted");
  if (absl::Status s = ifp.driver().Start(ifp); !s.ok()) return s;
  ifp.StoreFlags(ifp.flags() | abi::kIFF_RUNNING);
  return absl::OkStatus();
}

void NetStack::StopLocked(Interface& ifp) {
  ifp.DiscardPending();
  ifp.driver().Stop(ifp);
  // Loopback interfaces stay RUNNING for life, as NetBSD's.
  if (!ifp.is_loopback()) ifp.StoreFlags(ifp.flags() & ~abi::kIFF_RUNNING);
}

void NetStack::SetUpLocked(Interface& ifp, bool up) {
  const uint32_t f = ifp.flags();
  ifp.StoreFlags(up ? f | abi::kIFF_UP : f & ~abi::kIFF_UP);
  // Down: what the impairment holds back is not sent (lo stays RUNNING, so
  // this is its only chance).
  if (!up) ifp.DiscardPending();
  std::lock_guard<std::mutex> lock(ifp.mu_);
  ifp.last_change_ = absl::Now();
}

absl::Status NetStack::SetFlagsLocked(Interface& ifp, uint32_t requested) {
  const uint32_t old = ifp.flags();
  const uint32_t want =
      ((old & abi::kIFF_CANTCHANGE) | (requested & ~abi::kIFF_CANTCHANGE)) & 0xffff;
  if ((old ^ want) & abi::kIFF_UP) SetUpLocked(ifp, (want & abi::kIFF_UP) != 0);
  ifp.StoreFlags(want);
  if (!ifp.is_ethernet()) return absl::OkStatus();
  // ether_ioctl's SIOCSIFFLAGS: stop what is marked down, start what is
  // marked up (a failed start leaves IFF_UP set, as in NetBSD).
  switch (want & kUpRunning) {
    case abi::kIFF_RUNNING:
      StopLocked(ifp);
      return absl::OkStatus();
    case abi::kIFF_UP:
      return StartLocked(ifp);
    default:
      return absl::OkStatus();
  }
}

absl::Status NetStack::SetFlags(Interface& ifp, uint32_t flags) {
  return Configure(ifp, [&](InterfaceConfig&) { return SetFlagsLocked(ifp, flags); });
}

absl::Status InterfaceConfig::BringUp() {
  if (ifp_.up_and_running()) return absl::OkStatus();
  if (!(ifp_.flags() & abi::kIFF_UP)) net_.SetUpLocked(ifp_, true);
  if (ifp_.is_ethernet() && !(ifp_.flags() & abi::kIFF_RUNNING)) {
    return net_.StartLocked(ifp_);
  }
  return absl::OkStatus();
}

absl::Status NetStack::Configure(Interface& ifp,
                                 const std::function<absl::Status(InterfaceConfig&)>& fn) {
  InterfaceConfig cfg(*this, ifp);
  uint32_t old_flags = 0;
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(ifp.ioctl_mu_);
    if (ifp.dying_) return abi::Errno(abi::kENXIO);
    old_flags = ifp.flags();
    status = fn(cfg);
  }
  Finish(ifp, old_flags, cfg);
  return status;
}

void NetStack::Finish(Interface& ifp, uint32_t old_flags, InterfaceConfig& cfg) {
  const uint32_t new_flags = ifp.flags();
  if ((old_flags ^ new_flags) & abi::kIFF_UP) {
    Notify(ifp, (new_flags & abi::kIFF_UP) ? InterfaceEvent::kUp : InterfaceEvent::kDown);
  }
  if (cfg.addresses_changed_) Notify(ifp, InterfaceEvent::kAddressesChanged);
  for (std::function<void()>& fn : cfg.after_) fn();
}

absl::Status NetStack::SetPromiscuous(Interface& ifp, bool on) {
  std::lock_guard<std::mutex> lock(ifp.ioctl_mu_);
  if (ifp.dying_) return abi::Errno(abi::kENXIO);
  if (on) {
    if (ifp.promisc_count_++ == 0) ifp.StoreFlags(ifp.flags() | abi::kIFF_PROMISC);
  } else if (ifp.promisc_count_ > 0 && --ifp.promisc_count_ == 0) {
    ifp.StoreFlags(ifp.flags() & ~abi::kIFF_PROMISC);
  }
  return absl::OkStatus();
}

// --- seams

absl::Status NetStack::RegisterFamily(AddressFamily family) {
  const int af = family.family;
  auto f = std::make_shared<const AddressFamily>(std::move(family));
  std::lock_guard<std::mutex> lock(hooks_mu_);
  if (!families_.emplace(af, std::move(f)).second) {
    return absl::AlreadyExistsError(absl::StrCat("address family ", af, " is registered"));
  }
  return absl::OkStatus();
}

void NetStack::UnregisterFamily(int family) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  families_.erase(family);
}

std::shared_ptr<const AddressFamily> NetStack::FindFamily(int family) const {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  auto it = families_.find(family);
  return it == families_.end() ? nullptr : it->second;
}

void NetStack::SetEtherTypeInput(uint16_t ethertype, EtherTypeInput input) {
  auto p = input ? std::make_shared<const EtherTypeInput>(std::move(input)) : nullptr;
  std::lock_guard<std::mutex> lock(hooks_mu_);
  if (p) {
    ether_inputs_[ethertype] = std::move(p);
  } else {
    ether_inputs_.erase(ethertype);
  }
}

int NetStack::Subscribe(InterfaceObserver observer) {
  auto p = std::make_shared<const InterfaceObserver>(std::move(observer));
  std::lock_guard<std::mutex> lock(hooks_mu_);
  const int handle = next_observer_++;
  observers_.emplace_back(handle, std::move(p));
  return handle;
}

void NetStack::Unsubscribe(int handle) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  observers_.erase(std::remove_if(observers_.begin(), observers_.end(),
                                  [handle](const auto& o) { return o.first == handle; }),
                   observers_.end());
}

void NetStack::DeliverEther(Interface& ifp, absl::Span<const uint8_t> frame) {
  // The generic part of NetBSD's ether_input.
  if (frame.size() < kEtherHeaderLen) {  // a runt
    ifp.CountInputError();
    return;
  }
  const std::vector<uint8_t>& mac = ifp.lladdr();
  const bool group = EtherIsMulticast(frame);
  if (mac.size() == 6) {
    // Frames for other stations (seen when promiscuous) are not ours, and
    // our own frames coming back are ignored.
    if (!group && std::memcmp(frame.data(), mac.data(), 6) != 0) return;
    if (std::memcmp(frame.data() + 6, mac.data(), 6) == 0) return;
  }
  std::shared_ptr<const EtherTypeInput> input;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    auto it = ether_inputs_.find(EtherType(frame));
    if (it != ether_inputs_.end()) input = it->second;
  }
  if (input) {
    (*input)(ifp, frame.subspan(kEtherHeaderLen), group);
  } else {
    ifp.CountNoProto();
  }
}

void NetStack::DeliverLoopback(Interface& ifp, absl::Span<const uint8_t> frame) {
  int family = 0;
  absl::Span<const uint8_t> packet;
  if (!ParseLoopFrame(frame, &family, &packet)) {
    ifp.CountInputError();
    return;
  }
  std::shared_ptr<const AddressFamily> f = FindFamily(family);
  if (f != nullptr && f->loop_input) {
    f->loop_input(ifp, packet);
  } else {
    ifp.CountNoProto();
  }
}

void NetStack::Notify(Interface& ifp, InterfaceEvent event) {
  RouteInterfaceEvent(ifp, event);
  std::vector<std::shared_ptr<const InterfaceObserver>> observers;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const auto& o : observers_) observers.push_back(o.second);
  }
  for (const auto& o : observers) (*o)(ifp, event);
}

// --- socket(2)

absl::StatusOr<SyscallReturn> NetStack::SocketSyscall(SyscallContext& ctx,
                                                      const SyscallArgs& args) {
  const int domain = args.Int(0);
  const uint32_t raw_type = args.UInt(1);
  const int protocol = args.Int(2);
  const uint32_t type_flags = raw_type & abi::kSOCK_FLAGS_MASK;
  const int type = int(raw_type & ~abi::kSOCK_FLAGS_MASK);
  // socreate asks before it looks for the domain and protocol.
  if (absl::Status s = privilege::OpenSocket(ctx.process.credentials(), domain, type); !s.ok()) {
    return s;
  }
  std::shared_ptr<const AddressFamily> family = FindFamily(domain);
  if (family == nullptr || !family->socket_factory) return abi::Errno(abi::kEAFNOSUPPORT);
  const SocketFactory& factory = family->socket_factory;
  const int file_flags =
      abi::kO_RDWR | ((type_flags & abi::kSOCK_NONBLOCK) ? abi::kO_NONBLOCK : 0);
  absl::StatusOr<std::shared_ptr<Socket>> sock =
      factory(*this, domain, type, protocol, file_flags);
  if (!sock.ok()) return sock.status();
  // soreserve at attach: the buffers are charged to the caller's process
  // (RLIMIT_SBSIZE); beyond its limit there is no socket (ENOBUFS).
  if (absl::Status s = (*sock)->ChargeBuffers(ctx.process.sb_account()); !s.ok()) {
    (*sock)->LastClose();
    return s;
  }
  absl::StatusOr<int> fd =
      ctx.process.fds().Install(std::move(*sock), (type_flags & abi::kSOCK_CLOEXEC) != 0);
  if (!fd.ok()) return fd.status();
  return SyscallReturn{*fd, 0};
}

// --- sysctl

absl::Status NetStack::AddSysctlNodes(SysctlTree& tree) {
  const int net = abi::kCtlNet;
  std::vector<absl::StatusOr<int>> results;
  results.push_back(tree.AddNode({net}, abi::kAF_ROUTE, "route", "PF_ROUTE information"));
  results.push_back(tree.AddRequestHandler(
      {net, abi::kAF_ROUTE}, 0, "rtable",
      [this](SyscallContext&, const SysctlRequest& req) { return RouteSysctl(req); },
      "Routing table information"));
  results.push_back(tree.AddLeaf({abi::kCtlKern}, abi::kKernSbmax, "sbmax",
                                 SysctlIntLeaf(&sb_max_, "Maximum socket buffer size",
                                               [](int v) { return v >= abi::kSbMaxMin; })));
  SysctlLeaf stats;
  stats.type = SysctlType::kStruct;
  stats.description = "Routing statistics";
  stats.read = [this] {
    uint64_t v[abi::kRtStatNStats];
    for (int i = 0; i < abi::kRtStatNStats; ++i) v[i] = route_stat(i);
    return std::string(reinterpret_cast<const char*>(v), sizeof(v));
  };
  stats.size = sizeof(uint64_t) * abi::kRtStatNStats;
  results.push_back(
      tree.AddLeaf({net, abi::kAF_ROUTE}, SysctlTree::kDynamicNumber, "stats", stats));
  // net.link (PF_LINK, as the other domains' nodes have their PF number)
  // and our own net.link.impair, with a dynamic number.
  results.push_back(tree.AddNode({net}, abi::kAF_LINK, "link", "link-layer settings"));
  for (const absl::StatusOr<int>& r : results) {
    if (!r.ok()) return r.status();
  }
  absl::StatusOr<int> impair =
      tree.AddNode({net, abi::kAF_LINK}, SysctlTree::kDynamicNumber, "impair",
                   "Lossy-link impairment of transmitted frames, per interface");
  if (!impair.ok()) return impair.status();
  impair_sysctl_ = *impair;
  return absl::OkStatus();
}

namespace {

std::string Int32Bytes(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string QuadBytes(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

}  // namespace

absl::Status NetStack::AddImpairmentSysctl(const std::shared_ptr<Interface>& ifp) {
  if (sysctl_ == nullptr || impair_sysctl_ < 0) return absl::OkStatus();
  const int net = abi::kCtlNet, link = abi::kAF_LINK;
  absl::StatusOr<int> node =
      sysctl_->AddNode({net, link, impair_sysctl_}, SysctlTree::kDynamicNumber, ifp->name(),
                       "Impairment of " + ifp->name(), /*flags=*/0);
  if (!node.ok()) return node.status();
  ifp->sysctl_num_ = *node;
  const std::vector<int> parent = {net, link, impair_sysctl_, *node};
  const std::weak_ptr<Interface> weak = ifp;

  // A read-write int field of the configuration, in its sysctl unit.
  struct IntField {
    const char* name;
    const char* description;
    std::function<int32_t(const ImpairmentConfig&)> get;
    std::function<void(ImpairmentConfig&, int32_t)> set;
    int32_t max;
  };
  const IntField fields[] = {
      {"drop", "Frames dropped, parts per million",
       [](const ImpairmentConfig& c) { return int32_t(c.drop_ppm); },
       [](ImpairmentConfig& c, int32_t v) { c.drop_ppm = uint32_t(v); },
       int32_t(ImpairmentConfig::kMillion)},
      {"duplicate", "Frames sent twice, parts per million",
       [](const ImpairmentConfig& c) { return int32_t(c.duplicate_ppm); },
       [](ImpairmentConfig& c, int32_t v) { c.duplicate_ppm = uint32_t(v); },
       int32_t(ImpairmentConfig::kMillion)},
      {"reorder", "Frames held back until after the next one, parts per million",
       [](const ImpairmentConfig& c) { return int32_t(c.reorder_ppm); },
       [](ImpairmentConfig& c, int32_t v) { c.reorder_ppm = uint32_t(v); },
       int32_t(ImpairmentConfig::kMillion)},
      {"delay_us", "Delay added to every frame, microseconds",
       [](const ImpairmentConfig& c) { return int32_t(absl::ToInt64Microseconds(c.delay)); },
       [](ImpairmentConfig& c, int32_t v) { c.delay = absl::Microseconds(v); },
       int32_t(absl::ToInt64Microseconds(LinkImpairment::kMaxDelay))},
  };
  std::vector<absl::StatusOr<int>> results;
  for (const IntField& f : fields) {
    SysctlLeaf leaf;
    leaf.type = SysctlType::kInt;
    leaf.writable = true;
    leaf.flags = 0;  // goes with the interface
    leaf.description = f.description;
    leaf.read = [weak, get = f.get] {
      std::shared_ptr<Interface> i = weak.lock();
      return Int32Bytes(i ? get(i->impairment().config()) : 0);
    };
    leaf.write = [weak, set = f.set, max = f.max](absl::string_view bytes) -> absl::Status {
      std::shared_ptr<Interface> i = weak.lock();
      if (i == nullptr) return abi::Errno(abi::kENXIO);
      int32_t v = 0;
      std::memcpy(&v, bytes.data(), sizeof(v));
      if (v < 0 || v > max) return abi::Errno(abi::kEINVAL);
      return i->impairment().Update([&](ImpairmentConfig& c) { set(c, v); }, /*reseed=*/false);
    };
    results.push_back(sysctl_->AddLeaf(parent, SysctlTree::kDynamicNumber, f.name, leaf));
  }
  {
    SysctlLeaf leaf;
    leaf.type = SysctlType::kQuad;
    leaf.writable = true;
    leaf.flags = 0;
    leaf.description = "Seed of the decisions; writing it restarts them";
    leaf.read = [weak] {
      std::shared_ptr<Interface> i = weak.lock();
      return QuadBytes(i ? i->impairment().config().seed : 0);
    };
    leaf.write = [weak](absl::string_view bytes) -> absl::Status {
      std::shared_ptr<Interface> i = weak.lock();
      if (i == nullptr) return abi::Errno(abi::kENXIO);
      uint64_t v = 0;
      std::memcpy(&v, bytes.data(), sizeof(v));
      return i->impairment().Update([&](ImpairmentConfig& c) { c.seed = v; }, /*reseed=*/true);
    };
    results.push_back(sysctl_->AddLeaf(parent, SysctlTree::kDynamicNumber, "seed", leaf));
  }
  const std::pair<const char*, uint64_t ImpairmentCounters::*> counters[] = {
      {"dropped", &ImpairmentCounters::dropped},
      {"duplicated", &ImpairmentCounters::duplicated},
      {"reordered", &ImpairmentCounters::reordered},
      {"delayed", &ImpairmentCounters::delayed},
  };
  for (const auto& [name, member] : counters) {
    SysctlLeaf leaf;
    leaf.type = SysctlType::kQuad;
    leaf.flags = 0;
    leaf.description = std::string("Frames ") + name;
    leaf.read = [weak, member = member] {
      std::shared_ptr<Interface> i = weak.lock();
      return QuadBytes(i ? i->impairment().counters().*member : 0);
    };
    results.push_back(sysctl_->AddLeaf(parent, SysctlTree::kDynamicNumber, name, leaf));
  }
  for (const absl::StatusOr<int>& r : results) {
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

void NetStack::RemoveImpairmentSysctl(Interface& ifp) {
  if (sysctl_ == nullptr || ifp.sysctl_num_ < 0) return;
  (void)sysctl_->RemoveNode({abi::kCtlNet, abi::kAF_LINK, impair_sysctl_, ifp.sysctl_num_});
  ifp.sysctl_num_ = -1;
}

}  // namespace rump
