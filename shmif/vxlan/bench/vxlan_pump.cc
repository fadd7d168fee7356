// vxlan_pump: drives frames through a pair of shmif_vxlan relays for the
// benchmark (tests/hostnet/vxlan_bench.sh): sends numbered frames of one size
// on FROM_BUS and counts them arriving on TO_BUS, keeping at most a window
// of bytes in flight so that no ring is lapped (a frame missing for half a
// second counts as lost and frees its place in the window).
//
//   vxlan_pump FROM_BUS TO_BUS FRAME_BYTES SECONDS
//
// Prints "FRAME_BYTES-byte frames: N relayed in T s: F frames/s, G Gbit/s,
// L lost".
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "shmif/bus.h"

namespace {

constexpr int kBurst = 32;
constexpr size_t kWindowBytes = 256 * 1024;
constexpr uint8_t kFrom[6] = {0x02, 0x00, 0x00, 0x00, 0xbe, 0x01};
constexpr uint8_t kTo[6] = {0x02, 0x00, 0x00, 0x00, 0xbe, 0x02};

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: vxlan_pump FROM_BUS TO_BUS FRAME_BYTES SECONDS\n");
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) Usage();
  uint32_t size = 0;
  int seconds = 0;
  if (!absl::SimpleAtoi(argv[3], &size) || size < 64 || size > shmif::kMaxFrameLen ||
      !absl::SimpleAtoi(argv[4], &seconds) || seconds < 1) {
    Usage();
  }
  auto from = shmif::Bus::Attach(argv[1]);
  shmif::AttachOptions receive;
  receive.receive_spin = absl::Microseconds(50);
  auto to = shmif::Bus::Attach(argv[2], receive);
  if (!from.ok() || !to.ok()) {
    std::fprintf(stderr, "vxlan_pump: %s\n",
                 std::string((from.ok() ? to.status() : from.status()).message()).c_str());
    return 1;
  }
  std::atomic<uint64_t> received{0};
  std::atomic<bool> stop{false};
  std::thread counter([&] {
    std::vector<uint8_t> buf(shmif::kMaxFrameLen);
    while (!stop.load()) {
      auto r = (*to)->Receive(absl::MakeSpan(buf), absl::Milliseconds(100));
      if (!r.ok()) continue;
      if (r->len == size && std::memcmp(buf.data(), kTo, 6) == 0 &&
          std::memcmp(buf.data() + 6, kFrom, 6) == 0) {
        received.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });

  std::vector<std::vector<uint8_t>> frames(kBurst, std::vector<uint8_t>(size, 0x5a));
  std::vector<absl::Span<const uint8_t>> spans;
  for (auto& f : frames) {
    std::memcpy(f.data(), kTo, 6);
    std::memcpy(f.data() + 6, kFrom, 6);
    f[12] = 0x88;  // IEEE 802 local experimental EtherType
    f[13] = 0xb5;
    spans.emplace_back(f.data(), f.size());
  }
  const uint64_t window = std::max<uint64_t>(kWindowBytes / (size + 24), kBurst);
  uint64_t sent = 0, lost = 0, last_received = 0;
  absl::Time last_progress = absl::Now();
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  while (absl::Now() < end) {
    const uint64_t got = received.load(std::memory_order_relaxed);
    if (got != last_received) {
      last_received = got;
      last_progress = absl::Now();
    }
    if (sent - got - lost + kBurst > window) {
      if (absl::Now() - last_progress > absl::Milliseconds(500)) {
        lost = sent - got;
        last_progress = absl::Now();
      }
      std::this_thread::yield();
      continue;
    }
    for (int i = 0; i < kBurst; ++i) {
      const uint64_t seq = sent + i;
      std::memcpy(frames[i].data() + 14, &seq, sizeof seq);
    }
    if ((*from)->SendBatch(spans).ok()) sent += kBurst;
  }
  // Let the last frames arrive.
  const absl::Time drain_until = absl::Now() + absl::Seconds(1);
  while (received.load() + lost < sent && absl::Now() < drain_until) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  stop.store(true);
  (*to)->Interrupt();
  counter.join();
  const uint64_t got = received.load();
  std::printf("%u-byte frames: %llu relayed in %.2f s: %.0f frames/s, %.2f Gbit/s, %llu lost\n",
              size, (unsigned long long)got, elapsed, got / elapsed, got * size * 8.0 / elapsed / 1e9,
              (unsigned long long)(sent - got));
  return 0;
}
