// Where a remote system call's time goes: one LatencyHistogram per stage of
// its path, per process, always on. A rump_server started with -t prints
// them at exit and on SIGUSR1; a librumpclient program with
// RUMPCLIENT_STATS=1 in its environment prints its own at exit.
// docs/latency.md says how to read them.
//
// The stages, in the order a call passes them (S: server, K: kernel, C:
// client):
//   C client.call   the caller's view: request written until answer read
//   S sp.handoff    a request read by the transport until a worker runs it
//   S sp.inline     a quick call run on the transport's thread, request
//                   read until answer written (no hand-off)
//   S sp.call       the system call in the kernel, sleeps included
//   S sp.reply      the call returned until its answer is written
//   K bus.transit   a frame's sender's timestamp until this process read it
//                   off the bus (microsecond clock: coarse)
//   K net.input     one frame through the network stack (the input path)
//   K kern.wake     a frame read off a bus until a system call that slept
//                   waiting for it runs again (input + thread wake-up)
//   K kern.sleep    one sleep of a system call (what it waited for)
// Counts and times are for this process only (two kernels in one process
// share them).
#ifndef RUMP_TRACE_STAGES_H_
#define RUMP_TRACE_STAGES_H_

#include <cstdint>
#include <string>

#include "trace/latency_histogram.h"

namespace trace {

enum class Stage {
  kClientCall,
  kSpHandoff,
  kSpInline,
  kSpCall,
  kSpReply,
  kBusTransit,
  kNetInput,
  kKernWake,
  kKernSleep,
  kCount,
};

// CLOCK_MONOTONIC in nanoseconds (the clock every stage is measured on).
int64_t NowNanos();

// The histogram of `stage` in this process.
LatencyHistogram& HistogramOf(Stage stage);

// Adds now - start_ns to `stage`'s histogram.
inline void RecordSince(Stage stage, int64_t start_ns) {
  HistogramOf(stage).Add(NowNanos() - start_ns);
}

// The network input path notes each frame it reads off a bus; a sleeper
// woken after that frame attributes its wake-up to it (kern.wake).
void NoteFrameRead(int64_t now_ns);
int64_t LastFrameRead();

// One line per stage that has samples: name, count, median, p90, p99,
// average, max (microseconds), and what the stage is; a header line first.
// Empty if nothing was recorded.
std::string FormatStages();

}  // namespace trace

#endif  // RUMP_TRACE_STAGES_H_
