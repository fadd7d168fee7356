#include "rump/dev/virt/virt.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "hostif/tap.h"
#include "rump/kern/syscall.h"
#include "rump/kern/user_memory.h"
#include "rump/net/bytes.h"
#include "rump/net/ether.h"
#include "rump/net/linkstr.h"
#include "rump/net/net_stack.h"

namespace rump {
namespace {

using bytes::Load;
using hostif::TapDevice;
using bytes::Store;

// Frames read per wake-up of the receive thread, at most.
constexpr int kReceiveBatch = 64;
// Frames queued for the transmit thread before sends fail with ENOBUFS.
constexpr size_t kTransmitQueueLimit = 4096;
// How often the receive thread looks at the host side's state when no
// frame arrives.
constexpr absl::Duration kHostCheckInterval = absl::Seconds(1);

// A tap error as the NetBSD errno a system call returns.
absl::Status TapErrno(const absl::Status& s) {
  return abi::Errno(abi::FromHostErrno(TapDevice::HostErrno(s)), s.message());
}

class VirtDriver final : public InterfaceDriver {
 public:
  VirtDriver(Kernel& kernel, std::shared_ptr<TapDevice> tap)
      : kernel_(kernel), tap_(std::move(tap)) {}

  ~VirtDriver() override { StopReceiver(); }

  absl::Status Start(Interface& ifp) override {
    if (running_ && gone_.load()) StopReceiver();  // the host deleted the tap
    std::shared_ptr<TapDevice> tap = CurrentTap();
    if (tap == nullptr) {
      // Created without one (no permission then), or the old one is gone:
      // try the default again.
      absl::StatusOr<std::unique_ptr<TapDevice>> t =
          TapDevice::Open(absl::StrCat("tun", ifp.unit()));
      if (!t.ok()) {
        kernel_.Log(absl::StrCat(ifp.name(), ": ", t.status().message()));
        return TapErrno(t.status());
      }
      tap = std::move(*t);
      std::lock_guard<std::mutex> lock(mu_);
      tap_ = tap;
    }
    if (!running_) {
      gone_.store(false);
      stop_.store(false);
      rx_tap_ = tap;
      thread_ = std::thread([this, &ifp, tap] { ReceiveLoop(ifp, *tap); });
      {
        std::lock_guard<std::mutex> lock(tx_mu_);
        tx_running_ = true;
      }
      tx_thread_ = std::thread([this, &ifp] { TransmitLoop(ifp); });
      running_ = true;
    }
    RefreshLinkState(ifp, *tap);
    return absl::OkStatus();
  }

  void Stop(Interface& ifp) override {
    StopReceiver();
    ifp.SetLinkState(CurrentTap() ? abi::kLinkStateDown : abi::kLinkStateUnknown);
  }

  absl::Status Output(Interface& ifp, absl::Span<const uint8_t> frame) override {
    std::shared_ptr<TapDevice> tap = CurrentTap();
    if (tap == nullptr) return abi::Errno(abi::kENETDOWN, "virt: no tap");
    if (frame.size() < kEtherHeaderLen) return abi::Errno(abi::kEINVAL);
    // A frame is written by the sending thread itself when it is alone
    // (outside an output burst, or the burst's first frame) and nothing
    // is queued before it: a request/response pays no hand-off. The rest
    // of a burst goes to the transmit thread, so that the tap's write
    // system calls run beside the stack's work.
    const bool in_burst = OutputBurst::Defer(this, [] { t_burst_driver = nullptr; });
    const bool first = !in_burst || t_burst_driver != this;
    if (in_burst) t_burst_driver = this;
    {
      std::unique_lock<std::mutex> lock(tx_mu_);
      if (tx_running_ && (!first || !txq_.empty() || tx_busy_)) {
        if (txq_.size() >= kTransmitQueueLimit) return abi::Errno(abi::kENOBUFS);
        txq_.emplace_back(frame.begin(), frame.end());
        if (txq_.size() == 1) tx_cv_.notify_one();
        return absl::OkStatus();
      }
    }
    return WriteNow(ifp, *tap, frame);
  }

  // The transmit thread: writes what Output queued, in order.
  void TransmitLoop(Interface& ifp) {
    std::deque<std::vector<uint8_t>> batch;
    std::unique_lock<std::mutex> lock(tx_mu_);
    while (tx_running_) {
      if (txq_.empty()) {
        tx_cv_.wait(lock);
        continue;
      }
      batch.swap(txq_);
      tx_busy_ = true;
      lock.unlock();
      std::shared_ptr<TapDevice> tap = CurrentTap();
      for (const std::vector<uint8_t>& f : batch) {
        // Errors are counted and acted on as for a direct write; nobody
        // waits for this frame's status.
        if (tap != nullptr && !WriteNow(ifp, *tap, f).ok()) ifp.CountOutputError();
      }
      batch.clear();
      lock.lock();
      tx_busy_ = false;
    }
  }

  absl::Status WriteNow(Interface& ifp, TapDevice& tap_ref, absl::Span<const uint8_t> frame) {
    TapDevice* tap = &tap_ref;
    absl::Status s = tap->Write(frame);
    if (s.ok()) return s;
    const int err = TapDevice::HostErrno(s);
    if (err == EIO) {  // the host side is down
      ifp.SetLinkState(abi::kLinkStateDown);
      return abi::Errno(abi::kENETDOWN, s.message());
    }
    if (err == EBADFD) {
      Gone(ifp, *tap, s);
      return abi::Errno(abi::kENETDOWN, s.message());
    }
    return TapErrno(s);
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
    StopReceiver();
    std::lock_guard<std::mutex> lock(mu_);
    tap_.reset();
    ifp.SetLinkState(abi::kLinkStateUnknown);
  }

 private:
  std::shared_ptr<TapDevice> CurrentTap() {
    std::lock_guard<std::mutex> lock(mu_);
    return tap_;
  }

  void ReceiveLoop(Interface& ifp, TapDevice& tap) {
    const std::vector<uint8_t>& lladdr = ifp.lladdr();
    auto deliver = [&](absl::Span<const uint8_t> frame) {
      if (frame.size() < kEtherHeaderLen) {
        ifp.CountInputError();
        return;
      }
      const bool for_us = std::memcmp(frame.data(), lladdr.data(), 6) == 0;
      if (!for_us && !EtherIsMulticast(frame) && !(ifp.flags() & abi::kIFF_PROMISC)) return;
      ifp.Input(frame);
    };
    while (!stop_.load()) {
      if (!tap.Wait(kHostCheckInterval)) {
        if (!stop_.load()) RefreshLinkState(ifp, tap);
        continue;
      }
      // What the stack sends in answer to a batch (ACKs, replies) goes out
      // as one burst.
      OutputBurst burst;
      absl::StatusOr<int> n = tap.ReadFrames(kReceiveBatch, deliver);
      if (n.ok()) {
        if (*n > 0 && ifp.link_state() != abi::kLinkStateUp) {
          ifp.SetLinkState(abi::kLinkStateUp);
        }
        continue;
      }
      if (TapDevice::HostErrno(n.status()) == EBADFD) {
        Gone(ifp, tap, n.status());
        return;
      }
      // Anything else should not happen; count it and do not spin.
      ifp.CountInputError();
      tap.Wait(absl::Milliseconds(10));
    }
  }

  // The host deleted the tap: say so once, drop it, link down.
  void Gone(Interface& ifp, TapDevice& tap, const absl::Status& why) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (tap_.get() != &tap) return;  // already handled
      tap_.reset();
    }
    gone_.store(true);
    ifp.SetLinkState(abi::kLinkStateDown);
    kernel_.Log(absl::StrCat(ifp.name(), ": host interface ", tap.name(),
                             " is gone (", why.message(),
                             "); link down until the interface is taken down and up again"));
  }

  void RefreshLinkState(Interface& ifp, TapDevice& tap) {
    absl::StatusOr<TapDevice::HostState> st = tap.QueryHost();
    ifp.SetLinkState(st.ok() && st->up ? abi::kLinkStateUp : abi::kLinkStateDown);
  }

  void StopReceiver() {
    if (!running_) return;
    {
      std::lock_guard<std::mutex> lock(tx_mu_);
      tx_running_ = false;
      txq_.clear();
      tx_cv_.notify_all();
    }
    tx_thread_.join();
    stop_.store(true);
    rx_tap_->Interrupt();
    thread_.join();
    rx_tap_.reset();
    running_ = false;
  }

  absl::Status GetLinkStr(SyscallContext& ctx, absl::Span<uint8_t> data) {
    std::shared_ptr<TapDevice> tap = CurrentTap();
    if (tap == nullptr) return abi::Errno(abi::kENOENT);
    return linkstr::Answer(ctx, data, tap->name());
  }

  absl::Status SetLinkStr(Interface& ifp, SyscallContext& ctx, absl::Span<uint8_t> data) {
    if (ifp.flags() & abi::kIFF_UP) return abi::Errno(abi::kEBUSY);
    const linkstr::Command cmd = linkstr::CommandOf(data);
    if (cmd == linkstr::Command::kInvalid) return abi::Errno(abi::kEINVAL);
    absl::StatusOr<linkstr::Value> link;
    if (cmd == linkstr::Command::kSet) {
      link = linkstr::ReadValue(ctx, data);
      if (!link.ok()) return link.status();
    }
    // The old tap goes first: naming the same host interface again must
    // not find it busy.
    StopReceiver();
    {
      std::lock_guard<std::mutex> lock(mu_);
      tap_.reset();
    }
    if (cmd == linkstr::Command::kUnset) {
      ifp.SetLinkState(abi::kLinkStateUnknown);
      return absl::OkStatus();
    }
    absl::StatusOr<std::unique_ptr<TapDevice>> tap = TapDevice::OpenLink(link->str);
    if (!tap.ok()) {
      ifp.SetLinkState(abi::kLinkStateUnknown);
      kernel_.Log(absl::StrCat(ifp.name(), ": linkstr ", link->str, ": ", tap.status().message()));
      return TapErrno(tap.status());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      tap_ = std::move(*tap);
    }
    ifp.SetLinkState(abi::kLinkStateDown);
    return absl::OkStatus();
  }

  Kernel& kernel_;

  std::mutex mu_;  // guards tap_
  std::shared_ptr<TapDevice> tap_;

  // The receive thread; touched only by Start/Stop/Ioctl/Detach (serialized).
  std::thread thread_;
  std::shared_ptr<TapDevice> rx_tap_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> gone_{false};
  bool running_ = false;

  // The transmit thread and its queue (see Output).
  std::mutex tx_mu_;
  std::condition_variable tx_cv_;
  std::deque<std::vector<uint8_t>> txq_;  // guarded by tx_mu_
  bool tx_running_ = false;               // guarded by tx_mu_
  bool tx_busy_ = false;                  // writing a batch; guarded by tx_mu_
  std::thread tx_thread_;

  // The driver whose frames this thread's output burst has begun to
  // queue (the burst's end resets it).
  static thread_local const VirtDriver* t_burst_driver;
};

thread_local const VirtDriver* VirtDriver::t_burst_driver = nullptr;

MacAddress VirtMac(int unit) {
  std::random_device rd;
  return MacAddress{0xb2, 0x0a, uint8_t(rd()), 0x0b, 0x0e, uint8_t(unit)};
}

class VirtCloner final : public InterfaceCloner {
 public:
  explicit VirtCloner(Kernel& kernel) : kernel_(kernel) {}

  absl::string_view name() const override { return "virt"; }

  absl::StatusOr<InterfaceSpec> Create(int unit, const char* linkstr) override {
    const std::string link = linkstr != nullptr ? linkstr : absl::StrCat("tun", unit);
    std::shared_ptr<TapDevice> tap;
    absl::StatusOr<std::unique_ptr<TapDevice>> t = TapDevice::OpenLink(link);
    if (t.ok()) {
      tap = std::move(*t);
    } else {
      const int err = TapDevice::HostErrno(t.status());
      // Without the permission (or without /dev/net/tun) the interface is
      // made anyway, so that a tap descriptor can be given to it.
      if (linkstr != nullptr || (err != EPERM && err != EACCES && err != ENOENT)) {
        return TapErrno(t.status());
      }
      kernel_.Log(absl::StrCat("virt", unit, ": no tap: ", t.status().message()));
    }
    int mtu = abi::kEtherMtu;
    if (tap != nullptr) {
      if (absl::StatusOr<TapDevice::HostState> st = tap->QueryHost(); st.ok()) mtu = st->mtu;
    }
    const MacAddress mac = VirtMac(unit);
    InterfaceSpec spec;
    spec.driver = std::make_unique<VirtDriver>(kernel_, std::move(tap));
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.mtu = std::min(mtu, abi::kEtherMtuJumbo);
    spec.max_mtu = abi::kEtherMtuJumbo;  // beyond NetBSD's virt: jumbo frames
    spec.lladdr.assign(mac.begin(), mac.end());
    spec.hdrlen = abi::kEtherHdrLen;
    spec.baudrate = 10'000'000;  // ether_ifattach's default, IF_Mbps(10)
    spec.dlt = abi::kDLT_EN10MB;
    return spec;
  }

 private:
  Kernel& kernel_;
};

}  // namespace

std::unique_ptr<InterfaceCloner> MakeVirtCloner(Kernel& kernel) {
  return std::make_unique<VirtCloner>(kernel);
}

absl::Status Virtif::Attach(Kernel& kernel) {
  NetStack* net = kernel.Find<NetStack>();
  if (net == nullptr) {
    return absl::FailedPreconditionError(
        "virtif needs the net component (rumpnet_net) attached before it");
  }
  return net->RegisterCloner(MakeVirtCloner(kernel));
}

}  // namespace rump
