// bus_peer: a small program that the multi-process bus tests run as real
// processes on one bus file.
//
//   bus_peer send BUS ID COUNT MINLEN MAXLEN BATCH PAUSE_EVERY PAUSE_US
//       sends COUNT checksummed frames as sender ID, BATCH per SendBatch,
//       sleeping PAUSE_US after every PAUSE_EVERY frames (0: never);
//       prints "sent N" and exits.
//   bus_peer blast BUS ID
//       sends checksummed frames until killed.
//   bus_peer recv BUS SENDERS COUNT TIMEOUT_MS
//       prints "ready" once attached, then receives until it has COUNT
//       frames from each of SENDERS senders (others' frames are checked too) (or TIMEOUT_MS passes without a
//       frame) and prints
//       "received=R torn=T disorder=D overruns=O complete=C"; exits 0 when
//       no frame was torn or out of order and every frame arrived unless the
//       receiver was lapped (overruns > 0).
//   bus_peer hold-lock BUS [torn]
//       takes the bus lock as a writer (with "torn": also starts a frame it
//       never finishes), prints "locked" and sleeps until killed.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "shmif/bus.h"
#include "shmif/test_frames.h"

namespace {

using shmif::Bus;

using shmif::testing::CheckTestFrame;
using shmif::testing::MakeTestFrame;

std::unique_ptr<Bus> AttachOrDie(const char* path) {
  auto bus = Bus::Attach(path);
  if (!bus.ok()) {
    fprintf(stderr, "bus_peer: %s\n", bus.status().ToString().c_str());
    exit(2);
  }
  return std::move(*bus);
}

uint32_t Arg(char** argv, int i) {
  uint32_t v;
  if (!absl::SimpleAtoi(argv[i], &v)) {
    fprintf(stderr, "bus_peer: bad number '%s'\n", argv[i]);
    exit(2);
  }
  return v;
}

int Send(char** argv) {
  auto bus = AttachOrDie(argv[2]);
  const uint32_t id = Arg(argv, 3), count = Arg(argv, 4), min_len = Arg(argv, 5),
                 max_len = Arg(argv, 6), batch = Arg(argv, 7),
                 pause_every = Arg(argv, 8), pause_us = Arg(argv, 9);
  std::mt19937 rng(id);
  std::uniform_int_distribution<uint32_t> lens(min_len, max_len);
  uint32_t seq = 0;
  while (seq < count) {
    std::vector<std::vector<uint8_t>> frames;
    std::vector<absl::Span<const uint8_t>> spans;
    for (uint32_t i = 0; i < batch && seq < count; ++i, ++seq) {
      frames.push_back(MakeTestFrame(id, seq, lens(rng)));
      if (pause_every && (seq + 1) % pause_every == 0) {
        ++seq;
        break;
      }
    }
    for (const auto& f : frames) spans.emplace_back(f);
    if (absl::Status s = bus->SendBatch(spans); !s.ok()) {
      fprintf(stderr, "bus_peer: send: %s\n", s.ToString().c_str());
      return 1;
    }
    if (pause_every && seq % pause_every == 0) usleep(pause_us);
  }
  printf("sent %u\n", seq);
  return 0;
}

int Blast(char** argv) {
  auto bus = AttachOrDie(argv[2]);
  const uint32_t id = Arg(argv, 3);
  std::mt19937 rng(id);
  std::uniform_int_distribution<uint32_t> lens(shmif::testing::kMinTestFrameLen, shmif::kMaxFrameLen);
  printf("sending\n");
  fflush(stdout);
  for (uint32_t seq = 0;; ++seq) {
    auto f = MakeTestFrame(id, seq, lens(rng));
    if (!bus->Send(f).ok()) return 1;
  }
}

int Receive(char** argv) {
  auto bus = AttachOrDie(argv[2]);
  const uint32_t senders = Arg(argv, 3), count = Arg(argv, 4),
                 timeout_ms = Arg(argv, 5);
  printf("ready\n");
  fflush(stdout);
  std::map<uint32_t, int64_t> last_seq;  // by sender id
  std::map<uint32_t, uint32_t> got;
  uint64_t received = 0, torn = 0, disorder = 0;
  std::vector<uint8_t> buf(shmif::kMaxFrameLen);
  auto complete = [&] {
    uint32_t done = 0;
    for (const auto& [id, n] : got) done += n >= count;
    return done >= senders;
  };
  while (!complete()) {
    auto r = bus->Receive(absl::MakeSpan(buf), absl::Milliseconds(timeout_ms));
    if (absl::IsDeadlineExceeded(r.status())) break;
    if (absl::IsDataLoss(r.status())) continue;  // counted by the bus
    if (!r.ok()) {
      fprintf(stderr, "bus_peer: receive: %s\n", r.status().ToString().c_str());
      return 1;
    }
    uint32_t id, seq;
    ++received;
    if (!CheckTestFrame(buf.data(), r->len, &id, &seq)) {
      ++torn;
      continue;
    }
    auto it = last_seq.find(id);
    if (it != last_seq.end() && int64_t(seq) <= it->second) ++disorder;
    last_seq[id] = seq;
    ++got[id];
  }
  const uint64_t overruns = bus->stats().overruns;
  const bool done = complete();
  printf("received=%llu torn=%llu disorder=%llu overruns=%llu complete=%d\n",
         (unsigned long long)received, (unsigned long long)torn,
         (unsigned long long)disorder, (unsigned long long)overruns, done);
  return torn == 0 && disorder == 0 && (done || overruns > 0) ? 0 : 1;
}

int HoldLock(int argc, char** argv) {
  auto bus = AttachOrDie(argv[2]);  // registers this process on the bus
  const bool torn = argc > 3 && std::string(argv[3]) == "torn";
  int fd = open(argv[2], O_RDWR);
  void* mem = mmap(nullptr, shmif::kBusSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (fd < 0 || mem == MAP_FAILED) return 2;
  auto* bytes = static_cast<uint8_t*>(mem);
  shmif::BusLock lock(bytes, fd);
  lock.Acquire(/*writer=*/true);
  if (torn) {
    // Start a frame the way a writer does (move `last`, write a header) and
    // stop before its payload: a receiver must never see this frame.
    shmif::BusRing ring(bytes);
    const uint32_t at = *ring.NextFrameOffset(ring.last());
    uint32_t last = at;
    std::memcpy(bytes + shmif::kLastOffset, &last, 4);
    shmif::FrameHeader h{1000, 0, 0, 0x1234};
    uint8_t raw[shmif::kFrameHeaderSize];
    shmif::EncodeFrameHeader(h, raw);
    for (uint32_t i = 0; i < sizeof(raw); ++i) {
      bytes[shmif::kBusHeaderSize + (at + i) % shmif::kDataSize] = raw[i];
    }
  }
  printf("locked\n");
  fflush(stdout);
  for (;;) pause();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "send" && argc == 10) return Send(argv);
  if (cmd == "blast" && argc == 4) return Blast(argv);
  if (cmd == "recv" && argc == 6) return Receive(argv);
  if (cmd == "hold-lock" && (argc == 3 || argc == 4)) return HoldLock(argc, argv);
  fprintf(stderr,
          "usage: bus_peer send BUS ID COUNT MINLEN MAXLEN BATCH PAUSE_EVERY PAUSE_US\n"
          "       bus_peer blast BUS ID\n"
          "       bus_peer recv BUS SENDERS COUNT TIMEOUT_MS\n"
          "       bus_peer hold-lock BUS [torn]\n");
  return 2;
}
