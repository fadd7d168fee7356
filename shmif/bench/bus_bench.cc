// Benchmark of the shmif bus between two processes on one bus file.
//
// Prints, one line per figure:
//  * one-way throughput (frames/s delivered to the receiver) for 64- and
//    1514-byte frames, sent one per Send and in batches of 32 per SendBatch.
//    "paced" runs keep the sender less than half a ring ahead of the receiver
//    (the receiver publishes its count in shared memory), so nothing is lost
//    and the figure is the lossless rate; "unpaced" runs let the sender lap
//    the receiver, as the lossy ring allows, and report what got through.
//  * wake-up latency: from just before the sender's Send to the return of the
//    receiver's blocking Receive, with the receiver asleep in between (frames
//    sent every 200 us), median and 99th percentile.
//  * dead-holder recovery: a child process takes the bus lock and is
//    SIGKILLed while holding it; the time from its death to the return of
//    the next Send (which must find the holder dead and take the lock over),
//    median and max over 20 rounds. The test suite checks that recovery
//    happens; this is where its speed is measured.
//
// Usage: bus_bench [--frames N] [--samples N] [--dir DIR]
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "shmif/bus.h"
#include "shmif/bus_format.h"
#include "shmif/bus_lock.h"

namespace {

using shmif::Bus;

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

void Die(const std::string& what) {
  fprintf(stderr, "bus_bench: %s\n", what.c_str());
  exit(1);
}

std::unique_ptr<Bus> AttachOrDie(const std::string& path) {
  auto bus = Bus::Attach(path);
  if (!bus.ok()) Die(bus.status().ToString());
  return std::move(*bus);
}

// Sequence number at offset 14, send time (ns) at offset 22.
void Stamp(std::vector<uint8_t>& f, uint64_t seq, uint64_t ns) {
  std::memcpy(f.data() + 14, &seq, 8);
  std::memcpy(f.data() + 22, &ns, 8);
}

// A receiver child: reads until it sees the end marker (seq == ~0), then
// writes its figures to `out_fd`: frames received, first/last arrival ns,
// and for latency runs every sample.
// The receiver's progress, shared with the sender for pacing.
struct Progress {
  std::atomic<uint64_t> received{0};
};

void Receiver(const std::string& path, int ready_fd, int out_fd, bool latency,
              Progress* progress) {
  auto bus = AttachOrDie(path);
  char c = 1;
  if (write(ready_fd, &c, 1) != 1) Die("pipe");
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  uint64_t count = 0, start = 0, end = 0;
  std::vector<uint64_t> samples;
  for (;;) {
    auto got = bus->Receive(absl::MakeSpan(buf), absl::Seconds(10));
    if (!got.ok()) Die(absl::StrCat("receive: ", got.status().ToString()));
    const uint64_t now = NowNs();
    uint64_t seq, sent;
    std::memcpy(&seq, buf.data() + 14, 8);
    std::memcpy(&sent, buf.data() + 22, 8);
    if (seq == ~uint64_t{0}) break;
    if (count == 0) start = now;
    end = now;
    ++count;
    progress->received.store(seq + 1, std::memory_order_relaxed);
    if (latency) samples.push_back(now - sent);
  }
  const uint64_t overruns = bus->stats().overruns;
  uint64_t header[4] = {count, start, end, overruns};
  if (write(out_fd, header, sizeof(header)) != sizeof(header)) Die("pipe");
  uint64_t n = samples.size();
  if (write(out_fd, &n, 8) != 8) Die("pipe");
  for (uint64_t s : samples) {
    if (write(out_fd, &s, 8) != 8) Die("pipe");
  }
  _exit(0);
}

bool ReadAll(int fd, void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  while (n > 0) {
    ssize_t r = read(fd, b, n);
    if (r <= 0) return false;
    b += r;
    n -= size_t(r);
  }
  return true;
}

struct RunResult {
  uint64_t received = 0, overruns = 0;
  double seconds = 0;
  std::vector<uint64_t> samples;
};

// Runs one sender (this process) against one receiver (a child process).
RunResult Run(const std::string& path, size_t frame_len, uint64_t frames,
              size_t batch, uint64_t gap_ns, bool latency, bool paced) {
  unlink(path.c_str());
  void* shared = mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) Die("mmap");
  auto* progress = new (shared) Progress;
  // Frames the sender may be ahead: half the ring.
  const uint64_t window = shmif::kDataSize / 2 / (frame_len + shmif::kFrameHeaderSize);
  int ready[2], out[2];
  if (pipe(ready) != 0 || pipe(out) != 0) Die("pipe");
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    close(ready[0]);
    close(out[0]);
    Receiver(path, ready[1], out[1], latency, progress);
  }
  close(ready[1]);
  close(out[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) Die("receiver did not start");
  auto bus = AttachOrDie(path);

  std::vector<std::vector<uint8_t>> frames_buf(batch, std::vector<uint8_t>(frame_len, 0x5a));
  std::vector<absl::Span<const uint8_t>> spans;
  for (auto& f : frames_buf) {
    std::memset(f.data(), 0xff, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    spans.emplace_back(f);
  }
  uint64_t seq = 0;
  while (seq < frames) {
    const size_t n = std::min<uint64_t>(batch, frames - seq);
    while (paced && seq + n > progress->received.load(std::memory_order_relaxed) + window) {
      sched_yield();
    }
    const uint64_t now = NowNs();
    for (size_t i = 0; i < n; ++i) Stamp(frames_buf[i], seq + i, now);
    absl::Status s = n == 1 ? bus->Send(spans[0])
                            : bus->SendBatch(absl::MakeConstSpan(spans.data(), n));
    if (!s.ok()) Die(s.ToString());
    seq += n;
    if (gap_ns) {
      const uint64_t until = NowNs() + gap_ns;
      while (NowNs() < until) {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, nullptr);
      }
    }
  }
  // End marker, repeated until the receiver has surely seen one.
  Stamp(frames_buf[0], ~uint64_t{0}, 0);
  for (int i = 0; i < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    if (!bus->Send(spans[0]).ok()) Die("send");
  }
  RunResult r;
  uint64_t header[4], n;
  if (!ReadAll(out[0], header, sizeof(header)) || !ReadAll(out[0], &n, 8)) {
    Die("receiver failed");
  }
  r.samples.resize(n);
  if (n && !ReadAll(out[0], r.samples.data(), n * 8)) Die("receiver failed");
  int status;
  waitpid(child, &status, 0);
  close(ready[0]);
  close(out[0]);
  r.received = header[0];
  r.seconds = double(header[2] - header[1]) / 1e9;
  r.overruns = header[3];
  munmap(shared, sizeof(Progress));
  return r;
}

// One round of dead-holder recovery: nanoseconds from the holder's death
// to the end of a Send by a live attachment.
uint64_t DeadHolderRecoveryNs(const std::string& path) {
  int ready[2];
  if (pipe(ready) != 0) Die("pipe failed");
  const pid_t child = fork();
  if (child < 0) Die("fork failed");
  if (child == 0) {
    auto bus = AttachOrDie(path);  // registers the child's liveness mark
    const int fd = open(path.c_str(), O_RDWR);
    void* mem = mmap(nullptr, shmif::kBusSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd < 0 || mem == MAP_FAILED) _exit(2);
    shmif::BusLock lock(static_cast<uint8_t*>(mem), fd);
    lock.Acquire(/*writer=*/false);
    if (write(ready[1], "L", 1) != 1) _exit(2);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) Die("the lock-holding child failed");
  close(ready[0]);
  auto sender = AttachOrDie(path);
  kill(child, SIGKILL);
  int status;
  waitpid(child, &status, 0);
  const uint64_t dead = NowNs();
  std::vector<uint8_t> frame(64, 0);
  if (!sender->Send(frame).ok()) Die("send after a dead holder failed");
  const uint64_t took = NowNs() - dead;
  if (sender->stats().lock_recoveries != 1) Die("the dead holder's lock was not taken over");
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t frames = 2000000, samples = 5000;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--frames" && absl::SimpleAtoi(argv[i + 1], &frames)) continue;
    if (flag == "--samples" && absl::SimpleAtoi(argv[i + 1], &samples)) continue;
    if (flag == "--dir") {
      dir = argv[i + 1];
      continue;
    }
    fprintf(stderr, "usage: bus_bench [--frames N] [--samples N] [--dir DIR]\n");
    return 1;
  }
  if (argc % 2 == 0) {
    fprintf(stderr, "usage: bus_bench [--frames N] [--samples N] [--dir DIR]\n");
    return 1;
  }
  const std::string path = absl::StrCat(dir, "/bus_bench.", getpid(), ".bus");
  printf("shmif bus benchmark: 2 processes, one bus file (%s)\n", path.c_str());
  for (bool paced : {true, false}) {
    for (size_t len : {size_t{64}, size_t{1514}}) {
      for (size_t batch : {size_t{1}, size_t{32}}) {
        RunResult r = Run(path, len, frames, batch, 0, false, paced);
        printf("throughput %-7s %4zu-byte frames, %2zu per send: %9.0f frames/s "
               "received (%6.1f MB/s), %llu of %llu received, %llu overruns\n",
               paced ? "paced" : "unpaced", len, batch, r.received / r.seconds,
               r.received * len / r.seconds / 1e6, (unsigned long long)r.received,
               (unsigned long long)frames, (unsigned long long)r.overruns);
      }
    }
  }
  RunResult r = Run(path, 64, samples, 1, 200000, true, false);
  std::sort(r.samples.begin(), r.samples.end());
  if (!r.samples.empty()) {
    printf("wake-up latency (send -> blocked receive returns), %zu samples: "
           "median %.1f us, p99 %.1f us, max %.1f us\n",
           r.samples.size(), r.samples[r.samples.size() / 2] / 1e3,
           r.samples[r.samples.size() * 99 / 100] / 1e3, r.samples.back() / 1e3);
  }
  std::vector<uint64_t> recovery;
  for (int i = 0; i < 20; ++i) recovery.push_back(DeadHolderRecoveryNs(path));
  std::sort(recovery.begin(), recovery.end());
  printf("dead-holder recovery (holder SIGKILLed -> next Send returns), %zu rounds: "
         "median %.1f ms, max %.1f ms\n",
         recovery.size(), recovery[recovery.size() / 2] / 1e6, recovery.back() / 1e6);
  unlink(path.c_str());
  return 0;
}
