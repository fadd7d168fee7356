#include "rump/net/net_stack.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/route.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/abi/sysctl.h"
#include "rump/kern/process.h"
#include "rump/net/ether.h"
#include "rump/net/loopback.h"
#include "rump/net/net_internal.h"
#include "rump/net/sockaddr.h"
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

// A sysctl int leaf kept in `value`; `check` vets values written.
SysctlLeaf IntLeaf(std::atomic<int>* value, std::string description,
                   std::function<bool(int)> check = nullptr) {
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

}  // namespace

NetStack::NetStack() = default;

NetStack::~NetStack() { StopAll(); }

absl::Status NetStack::Attach(Kernel& kernel) {
  if (absl::Status s = RegisterCloner(MakeLoopbackCloner()); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<Interface>> lo0 = CreateInterface("lo0");
  if (!lo0.ok()) return lo0.status();
  // What NetBSD's netinet component does at boot: 127.0.0.1/8, which also
  // brings lo0 up.
  if (absl::Status s = AddIpv4Address(**lo0, htonl(0x7f000001u), htonl(0xff000000u),
                                      htonl(0x7fffffffu));
      !s.ok()) {
    return s;
  }
  for (int domain : {abi::kAF_INET, abi::kAF_INET6, abi::kAF_ROUTE, abi::kAF_LINK}) {
    SetSocketFactory(domain, MakeBasicSocket);
  }
  kernel.syscalls().Register(abi::kSysSocket,
                             [this](SyscallContext& ctx, const SyscallArgs& args) {
                               return SocketSyscall(ctx, args);
                             });
  RegisterSocketSyscalls(kernel.syscalls());
  return AddSysctlNodes(kernel.sysctl());
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
  std::lock_guard<std::mutex> lock(mu_);
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

absl::StatusOr<int> NetStack::CreateShmif(const char* path) {
  std::lock_guard<std::mutex> clone_lock(clone_mu_);
  InterfaceCloner* cloner = FindCloner("shmif");
  if (cloner == nullptr) return abi::Errno(abi::kENXIO, "no shmif component");
  absl::StatusOr<std::shared_ptr<Interface>> ifp = Clone(*cloner, -1, path);
  if (!ifp.ok()) return ifp.status();
  return (*ifp)->unit();
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
  ifp.driver().Stop(ifp);
  // Loopback interfaces stay RUNNING for life, as NetBSD's.
  if (!ifp.is_loopback()) ifp.StoreFlags(ifp.flags() & ~abi::kIFF_RUNNING);
}

void NetStack::SetUpLocked(Interface& ifp, bool up) {
  const uint32_t f = ifp.flags();
  ifp.StoreFlags(up ? f | abi::kIFF_UP : f & ~abi::kIFF_UP);
  std::lock_guard<std::mutex> lock(ifp.mu_);
  ifp.last_change_ = absl::Now();
}

absl::Status NetStack::SetFlagsLocked(Interface& ifp, uint32_t requested, bool* announce) {
  const uint32_t old = ifp.flags();
  const uint32_t want =
      ((old & abi::kIFF_CANTCHANGE) | (requested & ~abi::kIFF_CANTCHANGE)) & 0xffff;
  if ((old ^ want) & abi::kIFF_UP) SetUpLocked(ifp, (want & abi::kIFF_UP) != 0);
  ifp.StoreFlags(want);
  absl::Status status;
  if (ifp.is_ethernet()) {
    // ether_ioctl's SIOCSIFFLAGS: stop what is marked down, start what is
    // marked up (a failed start leaves IFF_UP set, as in NetBSD).
    switch (want & kUpRunning) {
      case abi::kIFF_RUNNING:
        StopLocked(ifp);
        break;
      case abi::kIFF_UP:
        status = StartLocked(ifp);
        break;
      default:
        break;
    }
  }
  *announce = (old & abi::kIFF_UP) == 0 && ifp.up_and_running();
  return status;
}

absl::Status NetStack::SetFlags(Interface& ifp, uint32_t flags) {
  bool announce = false;
  absl::Status status;
  uint32_t old = 0;
  {
    std::lock_guard<std::mutex> lock(ifp.ioctl_mu_);
    if (ifp.dying_) return abi::Errno(abi::kENXIO);
    old = ifp.flags();
    status = SetFlagsLocked(ifp, flags, &announce);
  }
  if (announce) Announce(ifp, ifp.ipv4_addresses());
  if ((old ^ ifp.flags()) & abi::kIFF_UP) {
    Notify(ifp, (ifp.flags() & abi::kIFF_UP) ? InterfaceEvent::kUp : InterfaceEvent::kDown);
  }
  return status;
}

absl::Status NetStack::AddAddressLocked(Interface& ifp, const AliasRequest& req,
                                        std::vector<Ipv4Address>* announce) {
  const std::vector<Ipv4Address> addrs = ifp.ipv4_addresses();
  int idx = -1;
  if (req.addr_family == abi::kAF_INET) {
    for (size_t i = 0; i < addrs.size(); ++i) {
      if (addrs[i].addr == req.addr) idx = int(i);
    }
  } else if (!addrs.empty()) {
    idx = 0;  // NetBSD's IFP_TO_IA: the interface's first address
  }
  uint32_t host = req.addr;
  int family = req.addr_family;
  bool host_is_new = true;
  if (idx >= 0) {
    if (req.addr_len == 0) {  // no address given: change the existing one
      host = addrs[idx].addr;
      family = abi::kAF_INET;
      host_is_new = false;
    } else if (addrs[idx].addr == req.addr) {
      host_is_new = false;
    }
  }
  if (family != abi::kAF_INET) return abi::Errno(abi::kEAFNOSUPPORT);

  Ipv4Address a = idx >= 0 ? addrs[idx] : Ipv4Address{};
  uint32_t subnetmask = a.netmask;
  bool mask_is_new = false;
  if (req.mask_len != 0) {
    subnetmask = req.mask;
    mask_is_new = true;
  }
  if (host_is_new || mask_is_new) {
    // in_ifinit -> if_addr_init -> the driver's SIOCINITIFADDR: the
    // interface comes up (and an Ethernet one starts, which fails with
    // ENXIO for a shmif without a bus; IFF_UP stays set, as in NetBSD).
    if (!ifp.up_and_running()) {
      if (!(ifp.flags() & abi::kIFF_UP)) SetUpLocked(ifp, true);
      if (ifp.is_ethernet() && !(ifp.flags() & abi::kIFF_RUNNING)) {
        if (absl::Status s = StartLocked(ifp); !s.ok()) return s;
      }
    }
    a.addr = host;
    if (subnetmask == 0) subnetmask = ClassNetmask(host);
    a.netmask = subnetmask;
    if (ifp.flags() & abi::kIFF_BROADCAST) {
      a.broadaddr = (host & subnetmask) | ~subnetmask;
    } else if (ifp.flags() & abi::kIFF_LOOPBACK) {
      a.broadaddr = host;
    }
    if (ifp.is_ethernet() && host != 0) announce->push_back(a);  // arp_ifinit
  }
  if ((ifp.flags() & abi::kIFF_BROADCAST) && req.brd_family == abi::kAF_INET) {
    a.broadaddr = req.brd;
    for (Ipv4Address& x : *announce) {
      if (x.addr == a.addr) x = a;
    }
  }
  std::lock_guard<std::mutex> lock(ifp.mu_);
  if (idx < 0) {
    ifp.addresses_.push_back(a);
  } else if (size_t(idx) < ifp.addresses_.size()) {
    ifp.addresses_[idx] = a;
  }
  return absl::OkStatus();
}

absl::Status NetStack::AddIpv4Address(Interface& ifp, uint32_t addr, uint32_t netmask,
                                      uint32_t broadaddr) {
  AliasRequest req;
  req.addr_len = abi::kSockaddrInSize;
  req.addr_family = abi::kAF_INET;
  req.addr = addr;
  req.mask_len = netmask != 0 ? abi::kSockaddrInSize : 0;
  req.mask = netmask;
  req.brd_family = broadaddr != 0 ? abi::kAF_INET : 0;
  req.brd = broadaddr;
  std::vector<Ipv4Address> announce;
  absl::Status status;
  uint32_t old = 0;
  {
    std::lock_guard<std::mutex> lock(ifp.ioctl_mu_);
    if (ifp.dying_) return abi::Errno(abi::kENXIO);
    old = ifp.flags();
    status = AddAddressLocked(ifp, req, &announce);
  }
  Announce(ifp, announce);
  if ((old ^ ifp.flags()) & abi::kIFF_UP) Notify(ifp, InterfaceEvent::kUp);
  if (status.ok()) Notify(ifp, InterfaceEvent::kAddressesChanged);
  return status;
}

absl::Status NetStack::DeleteIpv4Address(Interface& ifp, uint32_t addr) {
  {
    std::lock_guard<std::mutex> lock(ifp.ioctl_mu_);
    if (ifp.dying_) return abi::Errno(abi::kENXIO);
    std::lock_guard<std::mutex> alock(ifp.mu_);
    auto it = std::find_if(ifp.addresses_.begin(), ifp.addresses_.end(),
                           [&](const Ipv4Address& a) { return a.addr == addr; });
    if (it == ifp.addresses_.end()) return abi::Errno(abi::kEADDRNOTAVAIL);
    ifp.addresses_.erase(it);
  }
  Notify(ifp, InterfaceEvent::kAddressesChanged);
  return absl::OkStatus();
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

// --- hooks

void NetStack::SetEtherInput(FrameInput input) {
  auto p = input ? std::make_shared<const FrameInput>(std::move(input)) : nullptr;
  std::lock_guard<std::mutex> lock(hooks_mu_);
  ether_input_ = std::move(p);
}

void NetStack::SetLoopbackInput(FrameInput input) {
  auto p = input ? std::make_shared<const FrameInput>(std::move(input)) : nullptr;
  std::lock_guard<std::mutex> lock(hooks_mu_);
  loop_input_ = std::move(p);
}

void NetStack::SetAddressAnnouncer(AddressAnnouncer announcer) {
  auto p = announcer ? std::make_shared<const AddressAnnouncer>(std::move(announcer))
                     : nullptr;
  std::lock_guard<std::mutex> lock(hooks_mu_);
  announcer_ = std::move(p);
}

void NetStack::SetInterfaceObserver(InterfaceObserver observer) {
  auto p = observer ? std::make_shared<const InterfaceObserver>(std::move(observer))
                    : nullptr;
  std::lock_guard<std::mutex> lock(hooks_mu_);
  observer_ = std::move(p);
}

void NetStack::SetSocketFactory(int domain, SocketFactory factory) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  if (factory) {
    socket_factories_[domain] = std::move(factory);
  } else {
    socket_factories_.erase(domain);
  }
}

void NetStack::DeliverEther(Interface& ifp, absl::Span<const uint8_t> frame) {
  std::shared_ptr<const FrameInput> input;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    input = ether_input_;
  }
  if (input) {
    (*input)(ifp, frame);
  } else {
    ifp.CountNoProto();  // nothing above the interface layer yet
  }
}

void NetStack::DeliverLoopback(Interface& ifp, absl::Span<const uint8_t> packet) {
  std::shared_ptr<const FrameInput> input;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    input = loop_input_;
  }
  if (input) {
    (*input)(ifp, packet);
  } else {
    ifp.CountNoProto();
  }
}

void NetStack::Announce(Interface& ifp, const std::vector<Ipv4Address>& addrs) {
  if (addrs.empty() || !ifp.is_ethernet() || !ifp.up_and_running()) return;
  if (ifp.flags() & abi::kIFF_NOARP) return;
  std::shared_ptr<const AddressAnnouncer> announcer;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    announcer = announcer_;
  }
  for (const Ipv4Address& a : addrs) {
    if (a.addr == 0) continue;
    if (announcer) {
      (*announcer)(ifp, a);
      continue;
    }
    if (ifp.lladdr().size() != 6) continue;
    MacAddress mac;
    std::copy(ifp.lladdr().begin(), ifp.lladdr().end(), mac.begin());
    // The gratuitous ARP of NetBSD's arp_ifinit: sender and target are the
    // address itself. A failure to send is only counted (oerrors).
    (void)ifp.Output(BuildArpRequest(mac, a.addr, a.addr));
  }
}

void NetStack::Notify(Interface& ifp, InterfaceEvent event) {
  std::shared_ptr<const InterfaceObserver> observer;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    observer = observer_;
  }
  if (observer) (*observer)(ifp, event);
}

// --- socket(2)

absl::StatusOr<SyscallReturn> NetStack::SocketSyscall(SyscallContext& ctx,
                                                      const SyscallArgs& args) {
  const int domain = args.Int(0);
  const uint32_t raw_type = args.UInt(1);
  const int protocol = args.Int(2);
  const uint32_t type_flags = raw_type & abi::kSOCK_FLAGS_MASK;
  const int type = int(raw_type & ~abi::kSOCK_FLAGS_MASK);
  SocketFactory factory;
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    auto it = socket_factories_.find(domain);
    if (it != socket_factories_.end()) factory = it->second;
  }
  if (!factory) return abi::Errno(abi::kEAFNOSUPPORT);
  const int file_flags =
      abi::kO_RDWR | ((type_flags & abi::kSOCK_NONBLOCK) ? abi::kO_NONBLOCK : 0);
  absl::StatusOr<std::shared_ptr<Socket>> sock =
      factory(*this, domain, type, protocol, file_flags);
  if (!sock.ok()) return sock.status();
  absl::StatusOr<int> fd =
      ctx.process.fds().Install(std::move(*sock), (type_flags & abi::kSOCK_CLOEXEC) != 0);
  if (!fd.ok()) return fd.status();
  return SyscallReturn{*fd, 0};
}

// --- sysctl

absl::Status NetStack::AddSysctlNodes(SysctlTree& tree) {
  const int net = abi::kCtlNet;
  const int inet = abi::kAF_INET;
  const int ip = abi::kIPPROTO_IP;
  std::vector<absl::StatusOr<int>> results;
  results.push_back(tree.AddNode({net}, inet, "inet", "PF_INET related settings"));
  results.push_back(tree.AddNode({net, inet}, ip, "ip", "IPv4 related settings"));
  results.push_back(tree.AddLeaf(
      {net, inet, ip}, abi::kIpctlForwarding, "forwarding",
      IntLeaf(&ip_forwarding_, "Enable forwarding of INET datagrams")));
  results.push_back(tree.AddLeaf(
      {net, inet, ip}, abi::kIpctlDefttl, "ttl",
      IntLeaf(&ip_ttl_, "Default TTL for an INET datagram",
              [](int v) { return v >= 1 && v <= 255; })));
  results.push_back(tree.AddLeaf({net, inet, ip}, abi::kIpctlDadCount, "dad_count",
                                 IntLeaf(&ip_dad_count_, "Number of probes to send")));
  results.push_back(tree.AddNode({net}, abi::kAF_ROUTE, "route", "PF_ROUTE information"));
  results.push_back(tree.AddRequestHandler(
      {net, abi::kAF_ROUTE}, 0, "rtable",
      [this](SyscallContext&, const SysctlRequest& req) { return RouteSysctl(req); },
      "Routing table information"));
  for (const absl::StatusOr<int>& r : results) {
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace rump
