#include "trace/stages.h"

#include <time.h>

#include <array>
#include <atomic>

#include "absl/strings/str_format.h"

namespace trace {
namespace {

struct StageInfo {
  const char* name;
  const char* what;
};

constexpr std::array<StageInfo, size_t(Stage::kCount)> kInfo = {{
    {"client.call", "remote call as the caller sees it"},
    {"sp.handoff", "request read -> worker runs it"},
    {"sp.inline", "quick call on the transport thread, read -> answered"},
    {"sp.call", "system call in the kernel, sleeps included"},
    {"sp.reply", "call returned -> answer written"},
    {"bus.transit", "frame sent (sender's clock) -> read off the bus"},
    {"net.input", "one frame through the input path"},
    {"kern.wake", "frame read -> woken system call runs"},
    {"kern.sleep", "one sleep of a system call"},
}};

std::array<LatencyHistogram, size_t(Stage::kCount)>& Histograms() {
  static auto* h = new std::array<LatencyHistogram, size_t(Stage::kCount)>;
  return *h;
}

std::atomic<int64_t> g_last_frame{0};

}  // namespace

int64_t NowNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

LatencyHistogram& HistogramOf(Stage stage) { return Histograms()[size_t(stage)]; }

void NoteFrameRead(int64_t now_ns) { g_last_frame.store(now_ns, std::memory_order_relaxed); }

int64_t LastFrameRead() { return g_last_frame.load(std::memory_order_relaxed); }

std::string FormatStages() {
  std::string out;
  for (size_t i = 0; i < size_t(Stage::kCount); ++i) {
    const LatencyHistogram::Summary s = Histograms()[i].Summarize();
    if (s.count == 0) continue;
    if (out.empty()) {
      out = absl::StrFormat("%-12s %9s %9s %9s %9s %9s %9s  (us)\n", "stage", "count", "median",
                            "p90", "p99", "avg", "max");
    }
    absl::StrAppendFormat(&out, "%-12s %9u %9.1f %9.1f %9.1f %9.1f %9.1f  %s\n", kInfo[i].name,
                          s.count, s.p50_us, s.p90_us, s.p99_us, s.avg_us, s.max_us, kInfo[i].what);
  }
  return out;
}

}  // namespace trace
