#include "shmif/bus.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace shmif {
namespace {

constexpr char kErrnoPayload[] = "shmif.bus/errno";

absl::Status WithErrno(absl::Status s, int err) {
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(err)));
  return s;
}

absl::Status PathError(int err, const std::string& path, absl::string_view what) {
  return WithErrno(absl::ErrnoToStatus(err, absl::StrCat("bus ", path, ": ", what)), err);
}

// A file that is not (and cannot become) a bus: NetBSD answers ENOEXEC.
absl::Status NotABus(std::string message) {
  return WithErrno(absl::FailedPreconditionError(std::move(message)), ENOEXEC);
}

// Checks, before anything is written, that the file at `fd` is a bus or may
// become one (a new, empty file or a bus shorter than the bus size).
absl::Status CheckBusFile(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return PathError(errno, path, "cannot stat");
  if (!S_ISREG(st.st_mode)) {
    return NotABus(absl::StrCat("bus ", path, ": not a regular file"));
  }
  if (st.st_size > kBusSize) {
    return NotABus(absl::StrCat("bus ", path, ": not a shmif bus (", st.st_size,
                                " bytes, a bus has ", kBusSize, ")"));
  }
  uint32_t magic = 0;
  if (st.st_size > 0 && pread(fd, &magic, sizeof(magic), 0) < 0) {
    return PathError(errno, path, "cannot read");
  }
  if (magic != 0 && magic != kBusMagic) {
    if (__builtin_bswap32(magic) == kBusMagic) {
      return NotABus(
          absl::StrCat("bus ", path, ": written by a host of the other byte order"));
    }
    return NotABus(absl::StrFormat("bus %s: not a shmif bus (magic 0x%08x)", path, magic));
  }
  if (st.st_size < kBusSize && ftruncate(fd, kBusSize) != 0) {
    return PathError(errno, path, "cannot extend to the bus size");
  }
  return absl::OkStatus();
}

uint64_t RandomSenderId() {
  uint64_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      id = (uint64_t(getpid()) << 40) ^ uint64_t(ts.tv_nsec) ^
           (uint64_t(ts.tv_sec) << 20);
    }
  }
  return id;
}

// A file descriptor closed on scope exit unless released.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

int AttachErrno(const absl::Status& status) {
  if (status.ok()) return 0;
  if (auto payload = status.GetPayload(kErrnoPayload)) {
    int e;
    if (absl::SimpleAtoi(std::string(*payload), &e)) return e;
  }
  return EIO;
}

absl::StatusOr<std::unique_ptr<Bus>> Bus::Attach(const std::string& path,
                                                 AttachOptions options) {
  if (path.empty()) {
    return WithErrno(absl::InvalidArgumentError("bus path is empty"), ENOENT);
  }
  ScopedFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return PathError(errno, path, "cannot open");
  if (absl::Status s = CheckBusFile(fd.get(), path); !s.ok()) return s;

  void* mem = mmap(nullptr, kBusSize, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, fd.get(), 0);
  if (mem == MAP_FAILED) return PathError(errno, path, "cannot map");

  ScopedFd notify(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  ScopedFd wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  const std::string self = absl::StrCat("/proc/self/fd/", fd.get());
  if (notify.get() < 0 || wake.get() < 0 ||
      inotify_add_watch(notify.get(), self.c_str(), IN_MODIFY) < 0) {
    const int err = errno;
    munmap(mem, kBusSize);
    return PathError(err, path, "cannot watch for wakeups");
  }

  std::unique_ptr<Bus> bus(new Bus(path, fd.release(), notify.release(),
                                   wake.release(), static_cast<uint8_t*>(mem),
                                   options));
  if (absl::Status s = bus->lock_.RegisterLiveness(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("bus ", path, ": ", s.message()));
  }

  const BusLock::Takeover takeover = bus->lock_.Acquire(/*writer=*/false);
  if (takeover != BusLock::Takeover::kNone) ++bus->lock_recoveries_;
  BusRing& ring = bus->ring_;
  ring.InitializeIfNew();
  absl::Status status;
  if (ring.magic() != kBusMagic) {
    status = NotABus(absl::StrFormat("bus %s: not a shmif bus (magic 0x%08x)", path,
                                     ring.magic()));
  } else {
    absl::StatusOr<ReadCursor> fresh = ring.NewFramesCursor();
    if (takeover == BusLock::Takeover::kFromDeadWriter || !fresh.ok()) {
      ring.Reset();
      ++bus->corrupt_resets_;
      fresh = ring.NewFramesCursor();
    }
    bus->cursor_ = options.read_from == ReadFrom::kOldest ? ring.OldestCursor()
                                                           : *fresh;
  }
  bus->lock_.Release();
  if (!status.ok()) return status;
  return bus;
}

Bus::Bus(std::string path, int fd, int notify_fd, int wake_fd, uint8_t* mem,
         AttachOptions options)
    : path_(std::move(path)),
      fd_(fd),
      notify_fd_(notify_fd),
      wake_fd_(wake_fd),
      mem_(mem),
      options_(options),
      sender_id_(RandomSenderId()),
      lock_(mem, fd),
      ring_(mem),
      staging_(kStagingBytes) {}

Bus::~Bus() {
  munmap(mem_, kBusSize);
  close(wake_fd_);
  close(notify_fd_);
  close(fd_);
}

BusStats Bus::stats() const {
  BusStats s;
  s.frames_sent = frames_sent_.load(std::memory_order_relaxed);
  s.frames_received = frames_received_.load(std::memory_order_relaxed);
  s.overruns = overruns_.load(std::memory_order_relaxed);
  s.corrupt_resets = corrupt_resets_.load(std::memory_order_relaxed);
  s.lock_recoveries = lock_recoveries_.load(std::memory_order_relaxed);
  s.receive_watches = receive_watches_.load(std::memory_order_relaxed);
  s.receive_sleeps = receive_sleeps_.load(std::memory_order_relaxed);
  s.lock_holder_checks = lock_.holder_checks();
  return s;
}

absl::Status Bus::Send(absl::Span<const uint8_t> frame) {
  return SendBatch(absl::MakeConstSpan(&frame, 1));
}

absl::Status Bus::SendBatch(absl::Span<const absl::Span<const uint8_t>> frames) {
  absl::Status status = SendWithoutWake(frames);
  if (!absl::IsInvalidArgument(status) && !frames.empty()) WakeReceivers();
  return status;
}

absl::Status Bus::SendWithoutWake(absl::Span<const absl::Span<const uint8_t>> frames) {
  for (const auto& f : frames) {
    if (f.size() < kEtherHeaderLen || f.size() > kMaxFrameLen) {
      return absl::InvalidArgumentError(absl::StrCat(
          "frame of ", f.size(), " bytes: an Ethernet frame on a shmif bus has ",
          kEtherHeaderLen, " to ", kMaxFrameLen, " bytes"));
    }
  }
  if (frames.empty()) return absl::OkStatus();
  return SendLocked(frames);
}

absl::Status Bus::SendLocked(absl::Span<const absl::Span<const uint8_t>> frames) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  FrameHeader h;
  h.sec = static_cast<uint32_t>(now.tv_sec);
  h.usec = static_cast<uint32_t>(now.tv_nsec / 1000);
  h.sender = sender_id_;

  absl::Status status;
  const BusLock::Takeover takeover = lock_.Acquire(/*writer=*/true);
  if (takeover != BusLock::Takeover::kNone) ++lock_recoveries_;
  if (takeover == BusLock::Takeover::kFromDeadWriter) ring_.Reset();
  for (const auto& f : frames) {
    h.len = static_cast<uint32_t>(f.size());
    absl::Status s = ring_.Append(h, f);
    if (absl::IsDataLoss(s)) {
      // Corrupt ring: start it afresh and send the frame into the clean ring.
      ring_.Reset();
      ++corrupt_resets_;
      status = s;
      s = ring_.Append(h, f);
    }
    if (!s.ok()) {
      status = s;
      break;
    }
    ++frames_sent_;
  }
  lock_.Release();
  return status;
}

void Bus::WakeReceivers() {
  // NetBSD's wakeup: any write to the file is a modification event for the
  // receivers blocked on it, whatever their implementation.
  const uint32_t version = kBusVersion;
  while (pwrite(fd_, &version, sizeof(version), kVersionOffset) < 0 &&
         errno == EINTR) {
  }
}

void Bus::Interrupt() {
  interrupted_.store(true, std::memory_order_release);
  const uint64_t one = 1;
  while (write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void Bus::DrainNotifications() {
  alignas(struct inotify_event) char buf[4096];
  while (read(notify_fd_, buf, sizeof(buf)) > 0) {
  }
}

uint64_t Bus::RingStamp() const {
  const uint64_t gen = __atomic_load_n(
      reinterpret_cast<const uint64_t*>(mem_ + kGenOffset), __ATOMIC_ACQUIRE);
  const uint32_t last = __atomic_load_n(
      reinterpret_cast<const uint32_t*>(mem_ + kLastOffset), __ATOMIC_ACQUIRE);
  return (gen << 32) ^ last;
}

bool Bus::SpinForFrames(absl::Time until) {
  for (int i = 0;; ++i) {
    if (RingStamp() != seen_stamp_) return true;
    if (interrupted_.load(std::memory_order_acquire)) return false;
    // Check the clock now and then; let the other runnable threads (the
    // sender we are waiting for, on a small machine) have the CPU.
    if ((i & 15) == 15) {
      if (absl::Now() >= until) return false;
      sched_yield();
    }
  }
}

absl::StatusOr<bool> Bus::FillStaging() {
  staged_.clear();
  staged_at_.clear();
  staged_next_ = 0;
  const BusLock::Takeover takeover = lock_.Acquire(/*writer=*/false);
  seen_stamp_ = RingStamp();
  if (takeover != BusLock::Takeover::kNone) ++lock_recoveries_;
  if (takeover == BusLock::Takeover::kFromDeadWriter) ring_.Reset();
  absl::Status status;
  bool progressed = false;
  size_t used = 0;
  while (staging_.size() - used >= kMaxFrameLen && staged_.size() < kMaxStaged) {
    absl::StatusOr<BusRing::ReadResult> r =
        ring_.Read(cursor_, absl::MakeSpan(staging_).subspan(used));
    if (!r.ok()) {
      ring_.Reset();
      ++corrupt_resets_;
      cursor_ = *ring_.NewFramesCursor();
      status = r.status();
      break;
    }
    if (r->overrun) ++overruns_;
    if (!r->frame) break;
    progressed = true;
    const FrameHeader& h = r->header;
    if (h.len < kEtherHeaderLen) continue;  // not a frame (a new bus has one)
    if (h.sender == sender_id_ && !options_.receive_own) continue;
    staged_.push_back(ReceivedFrame{h.len, h.sec, h.usec, h.sender,
                                    r->payload_offset});
    staged_at_.push_back(static_cast<uint32_t>(used));
    used += h.len;
  }
  lock_.Release();
  if (!status.ok()) {
    // Frames taken before the corruption was found are dropped with it.
    staged_.clear();
    staged_at_.clear();
    return status;
  }
  return progressed;
}

absl::StatusOr<ReceivedFrame> Bus::Receive(absl::Span<uint8_t> buf,
                                           absl::Duration timeout) {
  if (buf.size() < kMaxFrameLen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receive buffer of ", buf.size(), " bytes; need ", kMaxFrameLen));
  }
  const absl::Time deadline = absl::Now() + timeout;  // infinite stays so
  bool drained = false;
  for (;;) {
    if (interrupted_.exchange(false, std::memory_order_acq_rel)) {
      return absl::CancelledError("bus receive interrupted");
    }
    if (staged_next_ < staged_.size()) {
      const ReceivedFrame frame = staged_[staged_next_];
      std::memcpy(buf.data(), staging_.data() + staged_at_[staged_next_],
                  frame.len);
      ++staged_next_;
      ++frames_received_;
      return frame;
    }
    absl::StatusOr<bool> progressed = FillStaging();
    if (!progressed.ok()) return progressed.status();
    if (*progressed) {
      if (options_.receive_spin > absl::ZeroDuration()) last_frame_time_ = absl::Now();
      continue;
    }
    if (options_.receive_spin > absl::ZeroDuration() && timeout > absl::ZeroDuration()) {
      const absl::Time now = absl::Now();
      if (now - last_frame_time_ < options_.receive_spin_window) {
        receive_watches_.fetch_add(1, std::memory_order_relaxed);
        if (SpinForFrames(std::min(deadline, now + options_.receive_spin))) continue;
      }
    }

    // Nothing new. Forget old wakeups, then look once more: a frame that
    // lands after this second look will leave a fresh notification.
    if (!drained) {
      DrainNotifications();
      drained = true;
      continue;
    }
    drained = false;
    struct timespec ts, *tsp = nullptr;
    if (deadline != absl::InfiniteFuture()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError("no frame on the bus");
      }
      ts = absl::ToTimespec(left);
      tsp = &ts;
    }
    struct pollfd fds[2] = {{notify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    receive_sleeps_.fetch_add(1, std::memory_order_relaxed);
    if (ppoll(fds, 2, tsp, nullptr) > 0 && (fds[1].revents & POLLIN)) {
      uint64_t count;
      while (read(wake_fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
      }
    }
  }
}

}  // namespace shmif
