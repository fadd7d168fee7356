// shmif_tapbridge: plugs a Linux tap device into a shmif bus as one more
// station, so that the Linux kernel itself is a host on the bus (beyond
// NetBSD, which has no such tool).
//
//   shmif_tapbridge [-f] BUS TAP
//
// BUS is a bus file (created if missing, as an interface would); TAP is the
// host interface to open or create (needs root or CAP_NET_ADMIN), or fd:N
// for a tap descriptor a privileged process opened and left inherited.
// Every frame another station sends on the bus is written to the tap, and
// every frame Linux sends on the tap is sent on the bus (several per lock
// hold and wake-up when they come in a batch). The bridge has no address of
// its own: Linux's tap interface is the station, with its own MAC.
//
// Without -f it detaches once both ends are open: the parent prints the
// bridge's PID and exits 0 (errors before that are its exit status), and
// the bridge's standard streams go to /dev/null. It stops cleanly on
// SIGTERM, SIGINT or SIGHUP; in the foreground (-f) it prints its counters
// on SIGUSR1 and at exit, on standard error. A bridge killed any other way leaves the bus
// as usable by the others as a killed kernel does.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "hostif/tap.h"
#include "shmif/bus.h"
#include "shmif/daemon.h"

namespace {

// Frames taken from the tap per wake-up, at most; sent as one batch.
constexpr int kBatch = 32;

struct Counters {
  std::atomic<uint64_t> to_tap_frames{0}, to_tap_bytes{0}, to_tap_errors{0};
  std::atomic<uint64_t> to_bus_frames{0}, to_bus_bytes{0}, to_bus_dropped{0};
};

Counters g_counters;
std::atomic<bool> g_stop{false};
std::atomic<int> g_exit_status{0};

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: shmif_tapbridge [-f] BUS TAP\n"
                       "  TAP: a host tap interface name, or fd:N (an inherited tap descriptor)\n");
  std::exit(1);
}

void PrintCounters(const char* when) {
  std::fprintf(stderr,
               "shmif_tapbridge: %s: bus -> tap %llu frames %llu bytes (%llu not written); "
               "tap -> bus %llu frames %llu bytes (%llu dropped: longer than a bus frame)\n",
               when, (unsigned long long)g_counters.to_tap_frames.load(),
               (unsigned long long)g_counters.to_tap_bytes.load(),
               (unsigned long long)g_counters.to_tap_errors.load(),
               (unsigned long long)g_counters.to_bus_frames.load(),
               (unsigned long long)g_counters.to_bus_bytes.load(),
               (unsigned long long)g_counters.to_bus_dropped.load());
}

// Ends the bridge from a worker thread: the main thread's sigwait wakes.
void Fail(const std::string& why) {
  std::fprintf(stderr, "shmif_tapbridge: %s\n", why.c_str());
  g_exit_status.store(1);
  kill(getpid(), SIGTERM);
}

void BusToTap(shmif::Bus& bus, hostif::TapDevice& tap) {
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  while (!g_stop.load()) {
    absl::StatusOr<shmif::ReceivedFrame> r = bus.Receive(absl::MakeSpan(buf),
                                                         absl::InfiniteDuration());
    if (!r.ok()) continue;  // Cancelled (stopping) or DataLoss (ring reset)
    absl::Status s = tap.Write(absl::MakeConstSpan(buf.data(), r->len));
    if (s.ok()) {
      g_counters.to_tap_frames.fetch_add(1, std::memory_order_relaxed);
      g_counters.to_tap_bytes.fetch_add(r->len, std::memory_order_relaxed);
      continue;
    }
    g_counters.to_tap_errors.fetch_add(1, std::memory_order_relaxed);
    if (hostif::TapDevice::HostErrno(s) == EBADFD) {
      Fail(absl::StrFormat("the host deleted %s: stopping", tap.name()));
      return;
    }
    // EIO: Linux's side is down; the frame is lost, as on a cable.
  }
}

void TapToBus(hostif::TapDevice& tap, shmif::Bus& bus) {
  std::vector<std::vector<uint8_t>> frames;
  std::vector<absl::Span<const uint8_t>> spans;
  while (!g_stop.load()) {
    if (!tap.Wait(absl::InfiniteDuration())) continue;
    frames.clear();
    absl::StatusOr<int> n = tap.ReadFrames(kBatch, [&](absl::Span<const uint8_t> f) {
      if (f.size() < shmif::kEtherHeaderLen || f.size() > shmif::kMaxFrameLen) {
        g_counters.to_bus_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      frames.emplace_back(f.begin(), f.end());
    });
    if (!n.ok()) {
      if (hostif::TapDevice::HostErrno(n.status()) == EBADFD) {
        Fail(absl::StrFormat("the host deleted %s: stopping", tap.name()));
        return;
      }
      Fail(absl::StrFormat("reading %s: %s", tap.name(), n.status().message()));
      return;
    }
    if (frames.empty()) continue;
    spans.assign(frames.begin(), frames.end());
    absl::Status s = bus.SendBatch(spans);
    if (!s.ok() && !absl::IsDataLoss(s)) {
      g_counters.to_bus_dropped.fetch_add(frames.size(), std::memory_order_relaxed);
      continue;
    }
    g_counters.to_bus_frames.fetch_add(frames.size(), std::memory_order_relaxed);
    for (const auto& f : frames) {
      g_counters.to_bus_bytes.fetch_add(f.size(), std::memory_order_relaxed);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool foreground = false;
  int opt;
  while ((opt = getopt(argc, argv, "f")) != -1) {
    if (opt == 'f') {
      foreground = true;
    } else {
      Usage();
    }
  }
  if (argc - optind != 2) Usage();
  const std::string bus_path = argv[optind];
  const std::string tap_arg = argv[optind + 1];

  absl::StatusOr<std::unique_ptr<shmif::Bus>> bus = shmif::Bus::Attach(bus_path);
  if (!bus.ok()) {
    std::fprintf(stderr, "shmif_tapbridge: %s\n", std::string(bus.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<hostif::TapDevice>> tap = hostif::TapDevice::OpenLink(tap_arg);
  if (!tap.ok()) {
    std::fprintf(stderr, "shmif_tapbridge: %s\n", std::string(tap.status().message()).c_str());
    return 1;
  }

  if (!foreground) {
    shmif::Daemonize("shmif_tapbridge");
  }

  // Signals are taken by the main thread's sigwait only.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::fprintf(stderr, "shmif_tapbridge: bridging bus %s and tap %s\n", bus_path.c_str(),
               (*tap)->name().c_str());
  std::thread to_tap(BusToTap, std::ref(**bus), std::ref(**tap));
  std::thread to_bus(TapToBus, std::ref(**tap), std::ref(**bus));
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR1) {
      PrintCounters("counters");
      continue;
    }
    break;
  }
  g_stop.store(true);
  (*bus)->Interrupt();
  (*tap)->Interrupt();
  to_tap.join();
  to_bus.join();
  PrintCounters("exiting");
  return g_exit_status.load();
}
