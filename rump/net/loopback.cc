#include "rump/net/loopback.h"

#include <cstring>
#include <vector>

#include "rump/abi/errno.h"

namespace rump {
namespace {

class LoopbackDriver final : public InterfaceDriver {
 public:
  absl::Status Start(Interface&) override { return absl::OkStatus(); }
  void Stop(Interface&) override {}
  absl::Status Output(Interface& ifp, absl::Span<const uint8_t> packet) override {
    ifp.Input(packet);
    return absl::OkStatus();
  }
};

class LoopbackCloner final : public InterfaceCloner {
 public:
  absl::string_view name() const override { return "lo"; }
  absl::StatusOr<InterfaceSpec> Create(int, const char*) override {
    InterfaceSpec spec;
    spec.driver = std::make_unique<LoopbackDriver>();
    spec.type = abi::kIFT_LOOP;
    spec.flags = abi::kIFF_LOOPBACK | abi::kIFF_MULTICAST | abi::kIFF_RUNNING;
    spec.mtu = abi::kLoMtu;
    spec.dlt = abi::kDLT_NULL;
    return spec;
  }
  absl::Status CheckDestroy(const Interface& ifp) const override {
    if (ifp.unit() == 0) return abi::Errno(abi::kEPERM, "lo0 cannot be destroyed");
    return absl::OkStatus();
  }
};

}  // namespace

std::unique_ptr<InterfaceCloner> MakeLoopbackCloner() {
  return std::make_unique<LoopbackCloner>();
}

absl::Status LoopOutput(Interface& ifp, int family, absl::Span<const uint8_t> packet) {
  std::vector<uint8_t> frame(kLoopHeaderLen + packet.size());
  const uint32_t af = uint32_t(family);
  std::memcpy(frame.data(), &af, kLoopHeaderLen);
  if (!packet.empty()) std::memcpy(frame.data() + kLoopHeaderLen, packet.data(), packet.size());
  return ifp.Output(frame);
}

bool ParseLoopFrame(absl::Span<const uint8_t> frame, int* family,
                    absl::Span<const uint8_t>* packet) {
  if (frame.size() < kLoopHeaderLen) return false;
  uint32_t af = 0;
  std::memcpy(&af, frame.data(), kLoopHeaderLen);
  *family = int(af);
  *packet = frame.subspan(kLoopHeaderLen);
  return true;
}

}  // namespace rump
