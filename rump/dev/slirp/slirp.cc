#include "rump/dev/slirp/slirp.h"

#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/dev/slirp/settings.h"
#include "rump/kern/syscall.h"
#include "rump/kern/user_memory.h"
#include "rump/net/bytes.h"
#include "rump/net/ether.h"
#include "rump/net/linkstr.h"
#include "rump/net/net_stack.h"

namespace rump {
namespace {

using bytes::Load;
using bytes::Store;

// Frames the kernel may have queued for slirp's thread before sends fail
// with ENOBUFS.
constexpr size_t kQueueLimit = 4096;

int64_t MonotonicNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct in_addr InAddr(uint32_t host_order) {
  struct in_addr a;
  a.s_addr = htonl(host_order);
  return a;
}

class SlirpDriver final : public InterfaceDriver {
 public:
  SlirpDriver(Kernel& kernel, SlirpSettings settings)
      : kernel_(kernel), settings_(std::move(settings)) {}

  ~SlirpDriver() override { StopNat(); }

  absl::Status Start(Interface& ifp) override {
    if (running_) return absl::OkStatus();
    if (absl::Status s = StartNat(ifp); !s.ok()) return s;
    ifp.SetLinkState(abi::kLinkStateUp);
    return absl::OkStatus();
  }

  void Stop(Interface& ifp) override {
    StopNat();
    ifp.SetLinkState(abi::kLinkStateDown);
  }

  absl::Status Output(Interface&, absl::Span<const uint8_t> frame) override {
    if (frame.size() < kEtherHeaderLen) return abi::Errno(abi::kEINVAL);
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (!accepting_) return abi::Errno(abi::kENETDOWN);
      if (to_slirp_.size() >= kQueueLimit) return abi::Errno(abi::kENOBUFS);
      to_slirp_.emplace_back(frame.begin(), frame.end());
    }
    Wake();
    return absl::OkStatus();
  }

  absl::Status Ioctl(Interface& ifp, SyscallContext& ctx, uint64_t cmd,
                     absl::Span<uint8_t> data) override {
    switch (cmd) {
      case abi::kSIOCGLINKSTR:
        return GetLinkStr(ctx, data);
      case abi::kSIOCSLINKSTR:
        return SetLinkStr(ifp, ctx, data);
      default:
        return abi::Errno(abi::kENOTTY);
    }
  }

  void Detach(Interface& ifp) override {
    StopNat();
    ifp.SetLinkState(abi::kLinkStateUnknown);
  }

 private:
  struct Timer {
    SlirpTimerCb cb;
    void* cb_opaque;
    int64_t expire_ms = -1;  // -1: not armed
  };

  // --- start and stop (serialized by NetStack)

  absl::Status StartNat(Interface& ifp) {
    const SlirpSettings& s = settings_;
    SlirpConfig cfg;
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4;
    cfg.in_enabled = true;
    cfg.vnetwork = InAddr(s.network);
    cfg.vnetmask = InAddr(s.netmask());
    cfg.vhost = InAddr(s.host);
    cfg.vdhcp_start = InAddr(s.default_guest());
    cfg.vnameserver = InAddr(s.dns);
    cfg.if_mtu = size_t(abi::kEtherMtu);
    cfg.if_mru = size_t(abi::kEtherMtu);
    cfg.disable_dhcp = true;  // the kernel has no DHCP client: configured by hand

    static const SlirpCb callbacks = {
        .send_packet = &SlirpDriver::SendPacket,
        .guest_error = &SlirpDriver::GuestError,
        .clock_get_ns = &SlirpDriver::ClockNanos,
        .timer_new = &SlirpDriver::TimerNew,
        .timer_free = &SlirpDriver::TimerFree,
        .timer_mod = &SlirpDriver::TimerMod,
        .register_poll_fd = &SlirpDriver::NoPollFd,
        .unregister_poll_fd = &SlirpDriver::NoPollFd,
        .notify = &SlirpDriver::Notify,
        .init_completed = nullptr,
        .timer_new_opaque = nullptr,
    };
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return abi::Errno(abi::FromHostErrno(errno), "slirp: eventfd");
    slirp_ = slirp_new(&cfg, &callbacks, this);
    if (slirp_ == nullptr) {
      close(wake_fd_);
      wake_fd_ = -1;
      return abi::Errno(abi::kENOMEM, "slirp_new failed");
    }
    for (const SlirpSettings::Forward& f : s.forwards) {
      if (slirp_add_hostfwd(slirp_, f.udp ? 1 : 0, InAddr(f.host_addr), f.host_port,
                            InAddr(f.guest_addr), f.guest_port) != 0) {
        const int err = errno != 0 ? errno : EADDRINUSE;
        kernel_.Log(absl::StrCat(ifp.name(), ": cannot forward host ", f.udp ? "udp" : "tcp",
                                 " port ", f.host_port, ": ", std::strerror(err)));
        slirp_cleanup(slirp_);
        slirp_ = nullptr;
        DropTimers();
        close(wake_fd_);
        wake_fd_ = -1;
        return abi::Errno(abi::FromHostErrno(err));
      }
    }
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      accepting_ = true;
    }
    stop_.store(false);
    thread_ = std::thread([this, &ifp] { Run(ifp); });
    running_ = true;
    return absl::OkStatus();
  }

  void StopNat() {
    if (!running_) return;
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      accepting_ = false;
      to_slirp_.clear();
    }
    stop_.store(true);
    Wake();
    thread_.join();
    slirp_cleanup(slirp_);
    slirp_ = nullptr;
    DropTimers();
    close(wake_fd_);
    wake_fd_ = -1;
    running_ = false;
  }

  void DropTimers() {
    for (Timer* t : timers_) delete t;
    timers_.clear();
  }

  void Wake() {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof(one)) < 0) { /* a wake-up is pending */ }
  }

  // --- the NAT's thread: the only caller of libslirp while it runs

  void Run(Interface& ifp) {
    std::vector<std::vector<uint8_t>> batch;
    while (!stop_.load()) {
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        batch.assign(std::make_move_iterator(to_slirp_.begin()),
                     std::make_move_iterator(to_slirp_.end()));
        to_slirp_.clear();
      }
      for (const std::vector<uint8_t>& f : batch) {
        slirp_input(slirp_, f.data(), int(f.size()));
      }
      Deliver(ifp);

      pfds_.clear();
      pfds_.push_back({wake_fd_, POLLIN, 0});
      uint32_t timeout_ms = 1000;
      slirp_pollfds_fill(slirp_, &timeout_ms, &SlirpDriver::AddPoll, this);
      const int64_t now_ms = MonotonicNanos() / 1000000;
      for (const Timer* t : timers_) {
        if (t->expire_ms >= 0) {
          timeout_ms = uint32_t(std::clamp<int64_t>(t->expire_ms - now_ms, 0, timeout_ms));
        }
      }
      const int rc = poll(pfds_.data(), pfds_.size(), int(timeout_ms));
      if (rc > 0 && (pfds_[0].revents & POLLIN)) {
        uint64_t v;
        if (read(wake_fd_, &v, sizeof(v)) < 0) { /* drained already */ }
      }
      slirp_pollfds_poll(slirp_, rc < 0 ? 1 : 0, &SlirpDriver::GetRevents, this);
      RunTimers();
      Deliver(ifp);
    }
  }

  // Frames slirp sent, passed up outside any libslirp call: the stack may
  // answer at once (its Output only queues).
  void Deliver(Interface& ifp) {
    if (to_kernel_.empty()) return;
    std::vector<std::vector<uint8_t>> frames;
    frames.swap(to_kernel_);
    OutputBurst burst;
    for (const std::vector<uint8_t>& f : frames) {
      if (f.size() >= kEtherHeaderLen) ifp.Input(f);
    }
  }

  void RunTimers() {
    const int64_t now_ms = MonotonicNanos() / 1000000;
    // A callback may free or re-arm timers: collect first.
    std::vector<Timer*> due;
    for (Timer* t : timers_) {
      if (t->expire_ms >= 0 && t->expire_ms <= now_ms) due.push_back(t);
    }
    for (Timer* t : due) {
      if (std::find(timers_.begin(), timers_.end(), t) == timers_.end()) continue;
      t->expire_ms = -1;
      t->cb(t->cb_opaque);
    }
  }

  // --- libslirp's callbacks (on the NAT's thread)

  static ssize_t SendPacket(const void* buf, size_t len, void* opaque) {
    auto* self = static_cast<SlirpDriver*>(opaque);
    const auto* p = static_cast<const uint8_t*>(buf);
    self->to_kernel_.emplace_back(p, p + len);
    return ssize_t(len);
  }
  static void GuestError(const char* msg, void* opaque) {
    static_cast<SlirpDriver*>(opaque)->kernel_.Log(absl::StrCat("slirp: ", msg));
  }
  static int64_t ClockNanos(void*) { return MonotonicNanos(); }
  static void* TimerNew(SlirpTimerCb cb, void* cb_opaque, void* opaque) {
    auto* t = new Timer{cb, cb_opaque};
    static_cast<SlirpDriver*>(opaque)->timers_.push_back(t);
    return t;
  }
  static void TimerFree(void* timer, void* opaque) {
    auto& timers = static_cast<SlirpDriver*>(opaque)->timers_;
    timers.remove(static_cast<Timer*>(timer));
    delete static_cast<Timer*>(timer);
  }
  static void TimerMod(void* timer, int64_t expire_ms, void*) {
    static_cast<Timer*>(timer)->expire_ms = expire_ms;
  }
  static void NoPollFd(int, void*) {}
  static void Notify(void* opaque) { static_cast<SlirpDriver*>(opaque)->Wake(); }
  static int AddPoll(int fd, int events, void* opaque) {
    auto* self = static_cast<SlirpDriver*>(opaque);
    short ev = 0;
    if (events & SLIRP_POLL_IN) ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    self->pfds_.push_back({fd, ev, 0});
    return int(self->pfds_.size() - 1);
  }
  static int GetRevents(int idx, void* opaque) {
    auto* self = static_cast<SlirpDriver*>(opaque);
    if (idx < 0 || size_t(idx) >= self->pfds_.size()) return 0;
    const short r = self->pfds_[size_t(idx)].revents;
    int out = 0;
    if (r & POLLIN) out |= SLIRP_POLL_IN;
    if (r & POLLOUT) out |= SLIRP_POLL_OUT;
    if (r & POLLPRI) out |= SLIRP_POLL_PRI;
    if (r & POLLERR) out |= SLIRP_POLL_ERR;
    if (r & POLLHUP) out |= SLIRP_POLL_HUP;
    return out;
  }

  // --- link strings

  absl::Status GetLinkStr(SyscallContext& ctx, absl::Span<uint8_t> data) {
    return linkstr::Answer(ctx, data, settings_.ToString());
  }

  absl::Status SetLinkStr(Interface& ifp, SyscallContext& ctx, absl::Span<uint8_t> data) {
    if (ifp.flags() & abi::kIFF_UP) return abi::Errno(abi::kEBUSY);
    switch (linkstr::CommandOf(data)) {
      case linkstr::Command::kInvalid:
        return abi::Errno(abi::kEINVAL);
      case linkstr::Command::kUnset:
        settings_ = SlirpSettings{};
        return absl::OkStatus();
      case linkstr::Command::kSet:
        break;
    }
    absl::StatusOr<linkstr::Value> str = linkstr::ReadValue(ctx, data);
    if (!str.ok()) return str.status();
    absl::StatusOr<SlirpSettings> s = ParseSlirpSettings(str->str);
    if (!s.ok()) {
      kernel_.Log(absl::StrCat(ifp.name(), ": ", s.status().message()));
      return abi::Errno(abi::kEINVAL, s.status().message());
    }
    settings_ = std::move(*s);
    return absl::OkStatus();
  }

  Kernel& kernel_;
  SlirpSettings settings_;  // touched only by Start/Stop/Ioctl (serialized)

  // Frames from the kernel to slirp, and whether the NAT takes them.
  std::mutex queue_mu_;
  std::deque<std::vector<uint8_t>> to_slirp_;
  bool accepting_ = false;

  // The NAT's thread and what only it touches while it runs.
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool running_ = false;
  int wake_fd_ = -1;
  Slirp* slirp_ = nullptr;
  std::list<Timer*> timers_;
  std::vector<struct pollfd> pfds_;
  std::vector<std::vector<uint8_t>> to_kernel_;
};

MacAddress SlirpMac(int unit) {
  std::random_device rd;
  const uint32_t r = rd();
  return MacAddress{0xb2, 0x0c, uint8_t(r), uint8_t(r >> 8), uint8_t(r >> 16), uint8_t(unit)};
}

class SlirpCloner final : public InterfaceCloner {
 public:
  explicit SlirpCloner(Kernel& kernel) : kernel_(kernel) {}

  absl::string_view name() const override { return "slirp"; }

  absl::StatusOr<InterfaceSpec> Create(int unit, const char* linkstr) override {
    absl::StatusOr<SlirpSettings> settings = ParseSlirpSettings(linkstr ? linkstr : "");
    if (!settings.ok()) {
      kernel_.Log(absl::StrCat("slirp", unit, ": ", settings.status().message()));
      return abi::Errno(abi::kEINVAL, settings.status().message());
    }
    const MacAddress mac = SlirpMac(unit);
    InterfaceSpec spec;
    spec.driver = std::make_unique<SlirpDriver>(kernel_, std::move(*settings));
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.mtu = abi::kEtherMtu;
    spec.lladdr.assign(mac.begin(), mac.end());
    spec.hdrlen = abi::kEtherHdrLen;
    spec.baudrate = 10'000'000;
    spec.dlt = abi::kDLT_EN10MB;
    return spec;
  }

 private:
  Kernel& kernel_;
};

}  // namespace

std::unique_ptr<InterfaceCloner> MakeSlirpCloner(Kernel& kernel) {
  return std::make_unique<SlirpCloner>(kernel);
}

absl::Status Slirpif::Attach(Kernel& kernel) {
  NetStack* net = kernel.Find<NetStack>();
  if (net == nullptr) {
    return absl::FailedPreconditionError(
        "slirpif needs the net component (rumpnet_net) attached before it");
  }
  return net->RegisterCloner(MakeSlirpCloner(kernel));
}

}  // namespace rump
