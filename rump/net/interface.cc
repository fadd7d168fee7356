#include "rump/net/interface.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/net/bytes.h"
#include "rump/net/ether.h"
#include "rump/net/loopback.h"
#include "rump/net/net_stack.h"

namespace rump {

namespace {

struct BurstState {
  int depth = 0;
  std::vector<std::pair<const void*, std::function<void()>>> actions;
};
thread_local BurstState burst_state;

}  // namespace

OutputBurst::OutputBurst() { ++burst_state.depth; }

OutputBurst::~OutputBurst() {
  if (--burst_state.depth > 0) return;
  // An action may transmit (and open a burst) itself: take the list first.
  while (!burst_state.actions.empty()) {
    std::vector<std::pair<const void*, std::function<void()>>> actions;
    actions.swap(burst_state.actions);
    for (auto& [key, action] : actions) action();
  }
}

bool OutputBurst::Defer(const void* key, std::function<void()> action) {
  if (burst_state.depth == 0) return false;
  for (const auto& a : burst_state.actions) {
    if (a.first == key) return true;
  }
  burst_state.actions.emplace_back(key, std::move(action));
  return true;
}

absl::Status InterfaceDriver::Ioctl(Interface&, SyscallContext&, uint64_t,
                                    absl::Span<uint8_t>) {
  return abi::Errno(abi::kENOTTY);
}

Interface::Interface(NetStack& stack, std::string name, std::string cloner, int unit,
                     int index, InterfaceSpec spec)
    : stack_(stack),
      name_(std::move(name)),
      cloner_(std::move(cloner)),
      unit_(unit),
      index_(index),
      type_(spec.type),
      lladdr_(std::move(spec.lladdr)),
      hdrlen_(spec.hdrlen),
      baudrate_(spec.baudrate),
      dlt_(spec.dlt),
      max_mtu_(spec.max_mtu),
      driver_(std::move(spec.driver)),
      flags_(spec.flags & 0xffff),
      mtu_(spec.mtu),
      impair_(
          [this](absl::Span<const uint8_t> frame) {
            // A frame the impairment sends later finds the interface as it
            // is then.
            if (!up_and_running()) {
              oerrors_.fetch_add(1, std::memory_order_relaxed);
              return abi::Errno(abi::kENETDOWN);
            }
            return TransmitNow(frame);
          },
          stack.timers_ == nullptr
              ? LinkImpairment::Schedule()
              : [this, timers = stack.timers_](absl::Duration delay, std::function<void()> fn) {
                  // The timer keeps no interface alive, and runs into none
                  // that is gone.
                  timers->Schedule(delay, [self = weak_from_this(), fn = std::move(fn)] {
                    if (std::shared_ptr<Interface> ifp = self.lock()) fn();
                  });
                },
          // Frames it discards or cannot queue are output errors.
          [this](size_t n) { oerrors_.fetch_add(n, std::memory_order_relaxed); }) {}

Interface::~Interface() = default;

bool Interface::up_and_running() const {
  constexpr uint32_t kBoth = abi::kIFF_UP | abi::kIFF_RUNNING;
  return (flags() & kBoth) == kBoth;
}

InterfaceStats Interface::stats() const {
  InterfaceStats s;
  s.ipackets = ipackets_.load(std::memory_order_relaxed);
  s.ierrors = ierrors_.load(std::memory_order_relaxed);
  s.opackets = opackets_.load(std::memory_order_relaxed);
  s.oerrors = oerrors_.load(std::memory_order_relaxed);
  s.collisions = collisions_.load(std::memory_order_relaxed);
  s.ibytes = ibytes_.load(std::memory_order_relaxed);
  s.obytes = obytes_.load(std::memory_order_relaxed);
  s.imcasts = imcasts_.load(std::memory_order_relaxed);
  s.omcasts = omcasts_.load(std::memory_order_relaxed);
  s.iqdrops = iqdrops_.load(std::memory_order_relaxed);
  s.noproto = noproto_.load(std::memory_order_relaxed);
  return s;
}

void Interface::ZeroStats() {
  for (auto* c : {&ipackets_, &ierrors_, &opackets_, &oerrors_, &collisions_, &ibytes_,
                  &obytes_, &imcasts_, &omcasts_, &iqdrops_, &noproto_}) {
    c->store(0, std::memory_order_relaxed);
  }
  impair_.ZeroCounters();
}

void Interface::DiscardPending() { (void)impair_.Discard(); }

absl::Time Interface::last_change() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_change_;
}

std::vector<InterfaceAddress> Interface::addresses(int family) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (family == 0) return addresses_;
  std::vector<InterfaceAddress> out;
  for (const InterfaceAddress& a : addresses_) {
    if (a.family == family) out.push_back(a);
  }
  return out;
}

void Interface::AddAddress(InterfaceAddress a) {
  std::lock_guard<std::mutex> lock(mu_);
  addresses_.push_back(std::move(a));
}

bool Interface::ReplaceAddress(int family, absl::string_view addr, InterfaceAddress a) {
  std::lock_guard<std::mutex> lock(mu_);
  for (InterfaceAddress& x : addresses_) {
    if (x.family == family && x.addr == addr) {
      x = std::move(a);
      return true;
    }
  }
  return false;
}

bool Interface::RemoveAddress(int family, absl::string_view addr) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = addresses_.begin(); it != addresses_.end(); ++it) {
    if (it->family == family && it->addr == addr) {
      addresses_.erase(it);
      return true;
    }
  }
  return false;
}

std::string Interface::IfDataBytes() const {
  std::string d(abi::kIfDataSize, '\0');
  d[abi::kIfiTypeOff] = static_cast<char>(type_);
  d[abi::kIfiAddrlenOff] = static_cast<char>(lladdr_.size());
  d[abi::kIfiHdrlenOff] = static_cast<char>(hdrlen_);
  bytes::Store<int32_t>(d, abi::kIfiLinkStateOff, link_state());
  bytes::Store<uint64_t>(d, abi::kIfiMtuOff, uint64_t(mtu()));
  bytes::Store<uint64_t>(d, abi::kIfiMetricOff, uint64_t(int64_t(metric())));
  bytes::Store<uint64_t>(d, abi::kIfiBaudrateOff, baudrate_);
  const InterfaceStats s = stats();
  bytes::Store<uint64_t>(d, abi::kIfiIpacketsOff, s.ipackets);
  bytes::Store<uint64_t>(d, abi::kIfiIerrorsOff, s.ierrors);
  bytes::Store<uint64_t>(d, abi::kIfiOpacketsOff, s.opackets);
  bytes::Store<uint64_t>(d, abi::kIfiOerrorsOff, s.oerrors);
  bytes::Store<uint64_t>(d, abi::kIfiCollisionsOff, s.collisions);
  bytes::Store<uint64_t>(d, abi::kIfiIbytesOff, s.ibytes);
  bytes::Store<uint64_t>(d, abi::kIfiObytesOff, s.obytes);
  bytes::Store<uint64_t>(d, abi::kIfiImcastsOff, s.imcasts);
  bytes::Store<uint64_t>(d, abi::kIfiOmcastsOff, s.omcasts);
  bytes::Store<uint64_t>(d, abi::kIfiIqdropsOff, s.iqdrops);
  bytes::Store<uint64_t>(d, abi::kIfiNoprotoOff, s.noproto);
  const timespec ts = absl::ToTimespec(last_change());
  bytes::Store<int64_t>(d, abi::kIfiLastchangeOff, int64_t(ts.tv_sec));
  bytes::Store<int64_t>(d, abi::kIfiLastchangeOff + 8, int64_t(ts.tv_nsec));
  return d;
}

size_t Interface::CountedBytes(absl::Span<const uint8_t> frame) const {
  if (!is_loopback()) return frame.size();
  return frame.size() - std::min(frame.size(), kLoopHeaderLen);
}

absl::Status Interface::Output(absl::Span<const uint8_t> frame) {
  if (!up_and_running()) return abi::Errno(abi::kENETDOWN);
  if (impair_.active()) return impair_.Output(frame);
  return TransmitNow(frame);
}

absl::Status Interface::TransmitNow(absl::Span<const uint8_t> frame) {
  absl::Status s = driver_->Output(*this, frame);
  if (!s.ok()) {
    oerrors_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  opackets_.fetch_add(1, std::memory_order_relaxed);
  obytes_.fetch_add(CountedBytes(frame), std::memory_order_relaxed);
  // NetBSD counts M_MCAST frames only (ifq_enqueue): output broadcasts are
  // not "multicasts", though input counts both (ether_input).
  if (is_ethernet() && EtherIsMulticast(frame) && !EtherIsBroadcast(frame)) {
    omcasts_.fetch_add(1, std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

void Interface::Input(absl::Span<const uint8_t> frame) {
  ipackets_.fetch_add(1, std::memory_order_relaxed);
  ibytes_.fetch_add(CountedBytes(frame), std::memory_order_relaxed);
  if (is_loopback()) {
    stack_.DeliverLoopback(*this, frame);
    return;
  }
  if (EtherIsMulticast(frame)) imcasts_.fetch_add(1, std::memory_order_relaxed);
  stack_.DeliverEther(*this, frame);
}

}  // namespace rump
