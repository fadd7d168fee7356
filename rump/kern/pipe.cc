#include "rump/kern/pipe.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/stat.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kernel.h"
#include "rump/kern/process.h"
#include "rump/kern/sleep.h"

namespace rump {
namespace {

// What both ends share: the bytes in flight and whether each end is open.
struct PipeState {
  std::mutex mu;
  std::condition_variable cv;  // data, space or a closed end
  std::deque<uint8_t> bytes;
  bool reader_open = true;
  bool writer_open = true;
  // The two ends' poll waiters, woken on any change; an end clears its own
  // when it is destroyed (the other end may outlive it).
  PollWaiters* read_waiters = nullptr;
  PollWaiters* write_waiters = nullptr;

  void WakeAll() {
    cv.notify_all();
    if (read_waiters != nullptr) read_waiters->Wake();
    if (write_waiters != nullptr) write_waiters->Wake();
  }
};

class PipeEnd final : public File {
 public:
  PipeEnd(std::shared_ptr<PipeState> state, bool read_end, bool nonblocking)
      : File((read_end ? abi::kO_RDONLY : abi::kO_WRONLY) | (nonblocking ? abi::kO_NONBLOCK : 0)),
        state_(std::move(state)),
        read_end_(read_end) {}

  ~PipeEnd() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    (read_end_ ? state_->read_waiters : state_->write_waiters) = nullptr;
  }

  absl::StatusOr<size_t> Read(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override {
    if (!read_end_) return abi::Errno(abi::kEBADF);
    size_t want = 0;
    for (const UserIoVec& v : iov) want += v.len;
    if (want == 0) return 0;
    std::vector<uint8_t> chunk;
    {
      std::unique_lock<std::mutex> lock(state_->mu);
      const absl::Time deadline = nonblocking() ? absl::InfinitePast() : absl::InfiniteFuture();
      absl::Status s = SleepUntil(ctx, lock, state_->cv, deadline, [&] {
        return !state_->bytes.empty() || !state_->writer_open || !state_->reader_open;
      });
      if (IsSleepTimeout(s)) return abi::Errno(abi::kEAGAIN);
      if (!s.ok()) return s;
      if (state_->bytes.empty()) return 0;  // end of file (or closed under us)
      const size_t n = std::min(want, state_->bytes.size());
      chunk.assign(state_->bytes.begin(), state_->bytes.begin() + n);
      state_->bytes.erase(state_->bytes.begin(), state_->bytes.begin() + n);
      state_->WakeAll();
    }
    // Copied out without the lock (a remote caller's copy is a round trip).
    // Bytes a failed copy could not deliver are lost, as on NetBSD.
    size_t done = 0;
    for (const UserIoVec& v : iov) {
      if (done == chunk.size()) break;
      const size_t n = std::min(v.len, chunk.size() - done);
      if (absl::Status s = ctx.mem.CopyOut(chunk.data() + done, v.base, n); !s.ok()) {
        if (done > 0) return done;
        return s;
      }
      done += n;
    }
    return done;
  }

  absl::StatusOr<size_t> Write(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override {
    if (read_end_) return abi::Errno(abi::kEBADF);
    size_t total = 0;
    for (const UserIoVec& v : iov) total += v.len;
    size_t written = 0;
    std::vector<uint8_t> piece;
    size_t vi = 0, voff = 0;  // position in iov
    while (written < total) {
      // Copied in before taking the lock, at most what could fit at once.
      const size_t n = std::min(total - written, kPipeSize);
      piece.resize(n);
      for (size_t got = 0; got < n;) {
        while (voff == iov[vi].len) {
          ++vi;
          voff = 0;
        }
        const size_t m = std::min(n - got, iov[vi].len - voff);
        if (absl::Status s = ctx.mem.CopyIn(iov[vi].base + voff, piece.data() + got, m); !s.ok()) {
          if (written > 0) return written;
          return s;
        }
        got += m;
        voff += m;
      }
      std::unique_lock<std::mutex> lock(state_->mu);
      for (size_t off = 0; off < n;) {
        // A write of at most kPipeBuf bytes waits for room for all of it.
        const size_t need = (total <= kPipeBuf) ? n : 1;
        const absl::Time deadline = nonblocking() ? absl::InfinitePast() : absl::InfiniteFuture();
        absl::Status s = SleepUntil(ctx, lock, state_->cv, deadline, [&] {
          return !state_->reader_open || !state_->writer_open ||
                 kPipeSize - state_->bytes.size() >= need;
        });
        if (!state_->reader_open || !state_->writer_open) {
          if (written + off > 0) return written + off;
          return abi::Errno(abi::kEPIPE);
        }
        if (IsSleepTimeout(s)) {
          if (written + off > 0) return written + off;
          return abi::Errno(abi::kEAGAIN);
        }
        if (!s.ok()) {
          if (written + off > 0) return written + off;
          return s;
        }
        const size_t m = std::min(n - off, kPipeSize - state_->bytes.size());
        state_->bytes.insert(state_->bytes.end(), piece.begin() + off, piece.begin() + off + m);
        off += m;
        state_->WakeAll();
      }
      written += n;
    }
    return written;
  }

  int Poll(int events) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    int r = 0;
    if (read_end_) {
      if (!state_->bytes.empty() || !state_->writer_open) {
        r |= events & (abi::kPOLLIN | abi::kPOLLRDNORM);
      }
      if (!state_->writer_open) r |= abi::kPOLLHUP;
    } else {
      if (!state_->reader_open) {
        r |= abi::kPOLLHUP | abi::kPOLLERR;
      } else if (kPipeSize - state_->bytes.size() >= kPipeBuf) {
        r |= events & (abi::kPOLLOUT | abi::kPOLLWRNORM);
      }
    }
    return r;
  }

  absl::Status Ioctl(SyscallContext&, uint64_t cmd, absl::Span<uint8_t> data) override {
    if (cmd != abi::kFIONREAD || data.size() < sizeof(int)) return abi::Errno(abi::kENOTTY);
    std::lock_guard<std::mutex> lock(state_->mu);
    const int n = read_end_ ? int(state_->bytes.size()) : 0;
    std::memcpy(data.data(), &n, sizeof(n));
    return absl::OkStatus();
  }

  void LastClose() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (read_end_) {
      state_->reader_open = false;
      state_->bytes.clear();
    } else {
      state_->writer_open = false;
    }
    state_->WakeAll();
  }

  uint32_t StatMode() const override { return abi::kS_IFIFO | 0600; }
  FileDescription Describe() const override { return FileDescription{FileKind::kPipe, 0}; }

 private:
  const std::shared_ptr<PipeState> state_;
  const bool read_end_;
};

using Result = absl::StatusOr<SyscallReturn>;

// Both ends installed, or neither.
absl::StatusOr<std::pair<int, int>> InstallPipe(SyscallContext& ctx, int flags) {
  auto [r, w] = MakePipe((flags & abi::kO_NONBLOCK) != 0);
  const bool cloexec = (flags & abi::kO_CLOEXEC) != 0;
  absl::StatusOr<int> rfd = ctx.process.fds().Install(r, cloexec);
  if (!rfd.ok()) return rfd.status();
  absl::StatusOr<int> wfd = ctx.process.fds().Install(w, cloexec);
  if (!wfd.ok()) {
    (void)ctx.process.fds().Close(*rfd);
    return wfd.status();
  }
  return std::make_pair(*rfd, *wfd);
}

}  // namespace

std::pair<std::shared_ptr<File>, std::shared_ptr<File>> MakePipe(bool nonblocking) {
  auto state = std::make_shared<PipeState>();
  auto r = std::make_shared<PipeEnd>(state, true, nonblocking);
  auto w = std::make_shared<PipeEnd>(state, false, nonblocking);
  std::lock_guard<std::mutex> lock(state->mu);
  state->read_waiters = &r->poll_waiters();
  state->write_waiters = &w->poll_waiters();
  return {r, w};
}

void RegisterPipeSyscalls(SyscallTable& t) {
  t.Register(abi::kSysPipe, [](SyscallContext& ctx, const SyscallArgs&) -> Result {
    absl::StatusOr<std::pair<int, int>> fds = InstallPipe(ctx, 0);
    if (!fds.ok()) return fds.status();
    return SyscallReturn{fds->first, fds->second};
  });
  t.Register(abi::kSysPipe2, [](SyscallContext& ctx, const SyscallArgs& a) -> Result {
    const int flags = a.Int(1);
    if (flags & ~(abi::kO_CLOEXEC | abi::kO_NONBLOCK | abi::kO_NOSIGPIPE)) {
      return abi::Errno(abi::kEINVAL);
    }
    absl::StatusOr<std::pair<int, int>> fds = InstallPipe(ctx, flags);
    if (!fds.ok()) return fds.status();
    const int out[2] = {fds->first, fds->second};
    if (absl::Status s = ctx.mem.CopyOut(out, a.Ptr(0), sizeof(out)); !s.ok()) {
      (void)ctx.process.fds().Close(fds->first);
      (void)ctx.process.fds().Close(fds->second);
      return s;
    }
    return SyscallReturn{0, 0};
  });
}

}  // namespace rump
