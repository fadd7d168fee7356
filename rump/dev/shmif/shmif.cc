#include "rump/dev/shmif/shmif.h"

#include <time.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/kern/syscall.h"
#include "rump/kern/user_memory.h"
#include "rump/net/ether.h"
#include "rump/net/linkstr.h"
#include "rump/net/net_stack.h"
#include "shmif/bus.h"
#include "trace/stages.h"

namespace rump {
namespace {

// Errors of Bus::Attach as the NetBSD errno rump_shmif_create and
// SIOCSLINKSTR return: ENOEXEC for a file that is not a bus (NetBSD's "bus is
// not magical"), the open/mmap errno otherwise.
absl::Status BusError(const absl::Status& s) {
  return abi::Errno(abi::FromHostErrno(shmif::AttachErrno(s)), s.message());
}

absl::StatusOr<std::shared_ptr<shmif::Bus>> AttachBus(const std::string& path) {
  // A kernel's traffic is mostly request/response: watching the ring a
  // little before sleeping saves the notification wake-up on each answer.
  shmif::AttachOptions options;
  options.receive_spin = absl::Microseconds(50);
  absl::StatusOr<std::unique_ptr<shmif::Bus>> bus = shmif::Bus::Attach(path, options);
  if (!bus.ok()) return BusError(bus.status());
  return std::shared_ptr<shmif::Bus>(std::move(*bus));
}

MacAddress RandomShmifMac() {
  std::random_device rd;
  const uint32_t r = rd();
  return MacAddress{0xb2, 0xa0, uint8_t(r), uint8_t(r >> 8), uint8_t(r >> 16),
                    uint8_t(r >> 24)};
}

template <typename T>
T Load(absl::Span<const uint8_t> b, size_t off) {
  T v{};
  if (off + sizeof(T) <= b.size()) std::memcpy(&v, b.data() + off, sizeof(T));
  return v;
}
template <typename T>
void Store(absl::Span<uint8_t> b, size_t off, T v) {
  if (off + sizeof(T) <= b.size()) std::memcpy(b.data() + off, &v, sizeof(T));
}

// One shmif interface's driver. Start/Stop/Ioctl/Detach are serialized by
// NetStack (the interface's ioctl lock); Output and the receive thread use
// mu_ only to pick up the bus.
class ShmifDriver final : public InterfaceDriver {
 public:
  ShmifDriver(MacAddress mac, std::shared_ptr<shmif::Bus> bus, std::string path,
              size_t linklen)
      : mac_(mac), bus_(std::move(bus)), path_(std::move(path)), linklen_(linklen) {}

  ~ShmifDriver() override { StopReceiver(); }

  absl::Status Start(Interface& ifp) override {
    std::shared_ptr<shmif::Bus> bus;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bus = bus_;
    }
    if (bus == nullptr) return abi::Errno(abi::kENXIO, "shmif: no bus (linkstr)");
    if (!running_) {
      // As NetBSD's shmif_init, start reading at the bus's present end:
      // what was sent while the interface was down is not received.
      std::vector<uint8_t> buf(shmif::kMaxFrameLen);
      for (int i = 0; i < (1 << 20); ++i) {
        absl::StatusOr<shmif::ReceivedFrame> r =
            bus->Receive(absl::MakeSpan(buf), absl::ZeroDuration());
        if (!r.ok() && !absl::IsCancelled(r.status()) && !absl::IsDataLoss(r.status())) {
          break;
        }
      }
      stop_.store(false);
      rx_bus_ = bus;
      thread_ = std::thread([this, &ifp, bus] { ReceiveLoop(ifp, *bus); });
      running_ = true;
    }
    UpdateLinkState(ifp);
    return absl::OkStatus();
  }

  void Stop(Interface& ifp) override {
    StopReceiver();
    UpdateLinkState(ifp);
  }

  absl::Status Output(Interface&, absl::Span<const uint8_t> frame) override {
    if (link_down_.load()) return abi::Errno(abi::kENETDOWN, "shmif: media none");
    std::shared_ptr<shmif::Bus> bus;
    {
      std::lock_guard<std::mutex> lock(mu_);
      bus = bus_;
    }
    if (bus == nullptr) return abi::Errno(abi::kENXIO);
    if (frame.size() < shmif::kEtherHeaderLen || frame.size() > shmif::kMaxFrameLen) {
      return abi::Errno(abi::kEMSGSIZE);
    }
    // In an output burst the receivers are woken once, when it ends.
    absl::Status s;
    shmif::Bus* raw = bus.get();
    if (OutputBurst::Defer(raw, [bus] { bus->WakeReceivers(); })) {
      s = bus->SendWithoutWake(absl::MakeConstSpan(&frame, 1));
    } else {
      s = bus->Send(frame);
    }
    // DataLoss: the ring was found corrupt and reset, the frame sent anyway.
    if (!s.ok() && !absl::IsDataLoss(s)) return abi::Errno(abi::kEIO, s.message());
    return absl::OkStatus();
  }

  absl::Status Ioctl(Interface& ifp, SyscallContext& ctx, uint64_t cmd,
                     absl::Span<uint8_t> data) override {
    switch (cmd) {
      case abi::kSIOCGLINKSTR:
        return GetLinkStr(ctx, data);
      case abi::kSIOCSLINKSTR:
        return SetLinkStr(ifp, ctx, data);
      case abi::kSIOCGIFMEDIA:
        return GetMedia(ifp, ctx, data);
      case abi::kSIOCSIFMEDIA:
        return SetMedia(ifp, data);
      default:
        return abi::Errno(abi::kENOTTY);
    }
  }

  void Detach(Interface& ifp) override {
    StopReceiver();
    std::lock_guard<std::mutex> lock(mu_);
    bus_.reset();
    path_.clear();
    linklen_ = 0;
    ifp.SetLinkState(abi::kLinkStateUnknown);
  }

 private:
  void ReceiveLoop(Interface& ifp, shmif::Bus& bus) {
    std::vector<uint8_t> buf(shmif::kMaxFrameLen);
    uint64_t overruns = bus.overruns();
    // What the stack sends in answer to a batch of frames read together
    // (ACKs, replies) wakes the bus's receivers once, after the batch.
    std::optional<OutputBurst> burst;
    while (!stop_.load()) {
      if (burst && bus.staged_frames() == 0) burst.reset();
      absl::StatusOr<shmif::ReceivedFrame> r =
          bus.Receive(absl::MakeSpan(buf), absl::InfiniteDuration());
      // Each time the ring lapped this receiver (frames lost before it
      // could read them) is an input error of the interface.
      if (const uint64_t now = bus.overruns(); now != overruns) {
        for (; overruns < now; ++overruns) ifp.CountInputError();
      }
      if (!r.ok()) {
        // Cancelled: Stop's Interrupt (or a stale one); DataLoss: a corrupt
        // ring was reset. Anything else should not happen: do not spin.
        if (!absl::IsCancelled(r.status()) && !absl::IsDataLoss(r.status())) {
          absl::SleepFor(absl::Milliseconds(10));
        }
        continue;
      }
      if (r->len < shmif::kEtherHeaderLen || r->len > buf.size()) continue;
      const absl::Span<const uint8_t> frame(buf.data(), r->len);
      const bool for_us = std::memcmp(frame.data(), mac_.data(), mac_.size()) == 0;
      if (!for_us && !EtherIsMulticast(frame) && !(ifp.flags() & abi::kIFF_PROMISC)) {
        continue;
      }
      if (link_down_.load()) {  // media "none": nothing comes in; count it
        ifp.CountInputDrop();
        continue;
      }
      if (!burst && bus.staged_frames() > 0) burst.emplace();
      // Latency stages: the frame's time on the bus (the sender's clock is
      // the wall clock, in microseconds) and through the input path.
      const int64_t read_ns = trace::NowNanos();
      if (r->sec != 0) {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        trace::HistogramOf(trace::Stage::kBusTransit)
            .Add((int64_t(wall.tv_sec) - int64_t(r->sec)) * 1000000000 +
                 (int64_t(wall.tv_nsec) - int64_t(r->usec) * 1000));
      }
      trace::NoteFrameRead(read_ns);
      ifp.Input(frame);
      trace::RecordSince(trace::Stage::kNetInput, read_ns);
    }
  }

  void StopReceiver() {
    if (!running_) return;
    stop_.store(true);
    rx_bus_->Interrupt();
    thread_.join();
    rx_bus_.reset();
    running_ = false;
  }

  // Without a bus the link is unknown; with media "none" it is down;
  // otherwise it is up while the interface runs.
  void UpdateLinkState(Interface& ifp) {
    bool has_bus;
    {
      std::lock_guard<std::mutex> lock(mu_);
      has_bus = bus_ != nullptr;
    }
    int state = abi::kLinkStateUnknown;
    if (has_bus && link_down_.load()) {
      state = abi::kLinkStateDown;
    } else if (has_bus && running_) {
      state = abi::kLinkStateUp;
    }
    ifp.SetLinkState(state);
  }

  absl::Status GetLinkStr(SyscallContext& ctx, absl::Span<uint8_t> data) {
    std::string path;
    size_t linklen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (bus_ == nullptr) return abi::Errno(abi::kENOENT);
      path = path_;
      linklen = linklen_;
    }
    return linkstr::Answer(ctx, data, path, linklen);
  }

  absl::Status SetLinkStr(Interface& ifp, SyscallContext& ctx, absl::Span<uint8_t> data) {
    if (ifp.flags() & abi::kIFF_UP) return abi::Errno(abi::kEBUSY);
    switch (linkstr::CommandOf(data)) {
      case linkstr::Command::kInvalid:
        return abi::Errno(abi::kEINVAL);
      case linkstr::Command::kUnset:
        StopReceiver();
        {
          std::lock_guard<std::mutex> lock(mu_);
          bus_.reset();
          path_.clear();
          linklen_ = 0;
        }
        UpdateLinkState(ifp);
        return absl::OkStatus();
      case linkstr::Command::kSet:
        break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (bus_ != nullptr) return abi::Errno(abi::kEBUSY);
    }
    absl::StatusOr<linkstr::Value> path = linkstr::ReadValue(ctx, data);
    if (!path.ok()) return path.status();
    absl::StatusOr<std::shared_ptr<shmif::Bus>> bus = AttachBus(path->str);
    if (!bus.ok()) return bus.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      bus_ = std::move(*bus);
      path_ = std::move(path->str);
      linklen_ = path->len;  // NetBSD keeps ifd_len as the link string's length
    }
    UpdateLinkState(ifp);
    return absl::OkStatus();
  }

  absl::Status GetMedia(Interface& ifp, SyscallContext& ctx, absl::Span<uint8_t> data) {
    static constexpr int32_t kWords[] = {int32_t(abi::kMediaEtherAuto),
                                         int32_t(abi::kMediaEtherNone)};
    constexpr int32_t kCount = 2;
    const int32_t count = Load<int32_t>(data, abi::kIfmCountOff);
    if (count < 0) return abi::Errno(abi::kEINVAL);
    const int32_t media = int32_t(media_.load());
    Store<int32_t>(data, abi::kIfmCurrentOff, media);
    Store<int32_t>(data, abi::kIfmMaskOff, 0);
    uint32_t status = abi::kIFM_AVALID;
    if (ifp.link_state() == abi::kLinkStateUp) status |= abi::kIFM_ACTIVE;
    Store<int32_t>(data, abi::kIfmStatusOff, int32_t(status));
    Store<int32_t>(data, abi::kIfmActiveOff, media);
    if (count != 0) {  // ifmedia_ioctl: as many words as fit, E2BIG if not all
      const int32_t n = std::min(count, kCount);
      const UserAddr ulist = Load<uint64_t>(data, abi::kIfmUlistOff);
      if (absl::Status s = ctx.mem.CopyOut(kWords, ulist, size_t(n) * sizeof(int32_t));
          !s.ok()) {
        return s;
      }
      if (n < kCount) return abi::Errno(abi::kE2BIG);
    }
    Store<int32_t>(data, abi::kIfmCountOff, kCount);
    return absl::OkStatus();
  }

  absl::Status SetMedia(Interface& ifp, absl::Span<uint8_t> data) {
    const uint32_t media = Load<uint32_t>(data, abi::kIfrMediaOff);
    if (media != abi::kMediaEtherAuto && media != abi::kMediaEtherNone) {
      return abi::Errno(abi::kEINVAL);
    }
    media_.store(media);
    link_down_.store(media == abi::kMediaEtherNone);
    UpdateLinkState(ifp);
    return absl::OkStatus();
  }

  const MacAddress mac_;
  std::atomic<uint32_t> media_{abi::kMediaEtherAuto};
  std::atomic<bool> link_down_{false};

  std::mutex mu_;  // guards the bus and link string
  std::shared_ptr<shmif::Bus> bus_;
  std::string path_;
  size_t linklen_ = 0;

  // The receive thread; touched only by Start/Stop/Detach (serialized).
  std::thread thread_;
  std::shared_ptr<shmif::Bus> rx_bus_;
  std::atomic<bool> stop_{false};
  bool running_ = false;
};

class ShmifCloner final : public InterfaceCloner {
 public:
  absl::string_view name() const override { return "shmif"; }

  absl::StatusOr<InterfaceSpec> Create(int, const char* linkstr) override {
    std::shared_ptr<shmif::Bus> bus;
    std::string path;
    if (linkstr != nullptr) {
      path = linkstr;
      absl::StatusOr<std::shared_ptr<shmif::Bus>> b = AttachBus(path);
      if (!b.ok()) return b.status();
      bus = std::move(*b);
    }
    const MacAddress mac = RandomShmifMac();
    InterfaceSpec spec;
    const size_t linklen = bus ? path.size() + 1 : 0;
    spec.driver = std::make_unique<ShmifDriver>(mac, std::move(bus), std::move(path), linklen);
    spec.type = abi::kIFT_ETHER;
    spec.flags = abi::kIFF_BROADCAST | abi::kIFF_SIMPLEX | abi::kIFF_MULTICAST;
    spec.mtu = abi::kEtherMtu;
    spec.lladdr.assign(mac.begin(), mac.end());
    spec.hdrlen = abi::kEtherHdrLen;
    spec.baudrate = 10'000'000;  // ether_ifattach's default, IF_Mbps(10)
    spec.dlt = abi::kDLT_EN10MB;
    return spec;
  }
};

}  // namespace

std::unique_ptr<InterfaceCloner> MakeShmifCloner() {
  return std::make_unique<ShmifCloner>();
}

absl::Status Shmif::Attach(Kernel& kernel) {
  NetStack* net = kernel.Find<NetStack>();
  if (net == nullptr) {
    return absl::FailedPreconditionError(
        "shmif needs the net component (rumpnet_net) attached before it");
  }
  return net->RegisterCloner(MakeShmifCloner());
}

}  // namespace rump
