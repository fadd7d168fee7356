// poll(2) (209), pollts(2) (__pollts50, 437) and select(2) (__select50,
// 417), with NetBSD's rules: POLLNVAL for descriptors that are not open,
// negative descriptors ignored, EBADF from select for a set bit that names
// no open descriptor, EINVAL for bad timeouts. All three sleep through one
// Poller registered with every file they watch, so a wake-up from any of
// them ends the sleep, and Process::Interrupt ends it with EINTR.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rump/abi/errno.h"
#include "rump/abi/poll.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/kern_syscalls.h"
#include "rump/kern/kernel.h"
#include "rump/kern/poll.h"
#include "rump/kern/sleep.h"

namespace rump {
namespace {

using Result = absl::StatusOr<SyscallReturn>;

// NetBSD refuses nfds beyond the descriptor limit plus this slack.
constexpr uint32_t kPollSlack = 1000;
// The smallest descriptor table NetBSD has (NDFILE).
constexpr int kNdfile = 20;

// A Poller registered with a set of files for the length of one call.
class Registration {
 public:
  explicit Registration(Poller& p) : poller_(p) {}
  ~Registration() {
    for (const auto& f : files_) f->poll_waiters().Remove(&poller_);
  }
  void Add(std::shared_ptr<File> f) {
    f->poll_waiters().Add(&poller_);
    files_.push_back(std::move(f));
  }

 private:
  Poller& poller_;
  std::vector<std::shared_ptr<File>> files_;
};

// A timeout as a deadline; InfiniteFuture for "no timeout".
absl::StatusOr<absl::Time> DeadlineFromTimespec(int64_t sec, int64_t nsec) {
  if (sec < 0 || nsec < 0 || nsec >= 1000000000) return abi::Errno(abi::kEINVAL);
  return absl::Now() + absl::Seconds(sec) + absl::Nanoseconds(nsec);
}

absl::StatusOr<absl::Time> ReadTimespec(SyscallContext& ctx, UserAddr addr) {
  if (addr == 0) return absl::InfiniteFuture();
  uint8_t ts[abi::kTimespecSize];
  if (absl::Status s = ctx.mem.CopyIn(addr, ts, sizeof(ts)); !s.ok()) return s;
  int64_t sec, nsec;
  std::memcpy(&sec, ts + abi::kTsSecOff, 8);
  std::memcpy(&nsec, ts + abi::kTsNsecOff, 8);
  return DeadlineFromTimespec(sec, nsec);
}

absl::StatusOr<absl::Time> ReadTimeval(SyscallContext& ctx, UserAddr addr) {
  if (addr == 0) return absl::InfiniteFuture();
  uint8_t tv[abi::kTimevalSize];
  if (absl::Status s = ctx.mem.CopyIn(addr, tv, sizeof(tv)); !s.ok()) return s;
  int64_t sec;
  int32_t usec;
  std::memcpy(&sec, tv + abi::kTvSecOff, 8);
  std::memcpy(&usec, tv + abi::kTvUsecOff, 4);
  if (usec < 0 || usec >= 1000000) return abi::Errno(abi::kEINVAL);
  return DeadlineFromTimespec(sec, int64_t{usec} * 1000);
}

// The core of poll and pollts.
Result PollCommon(SyscallContext& ctx, UserAddr fds_addr, uint32_t nfds, absl::Time deadline) {
  if (nfds > uint32_t(FdTable::kMaxDescriptors) + kPollSlack) {
    return abi::Errno(abi::kEINVAL);
  }
  std::vector<uint8_t> raw(size_t(nfds) * abi::kPollfdSize);
  if (nfds > 0) {
    if (absl::Status s = ctx.mem.CopyIn(fds_addr, raw.data(), raw.size()); !s.ok()) return s;
  }
  struct Entry {
    int fd;
    int events;
    std::shared_ptr<File> file;  // null: not open (POLLNVAL) or fd < 0
    int16_t revents = 0;
  };
  std::vector<Entry> entries(nfds);
  Poller poller;
  Registration reg(poller);
  for (uint32_t i = 0; i < nfds; ++i) {
    const uint8_t* p = raw.data() + size_t(i) * abi::kPollfdSize;
    int32_t fd;
    int16_t events;
    std::memcpy(&fd, p + abi::kPollfdFdOff, 4);
    std::memcpy(&events, p + abi::kPollfdEventsOff, 2);
    entries[i].fd = fd;
    entries[i].events = uint16_t(events);
    if (fd < 0) continue;
    absl::StatusOr<std::shared_ptr<File>> f = ctx.process.fds().Get(fd);
    if (!f.ok()) continue;
    entries[i].file = *f;
    reg.Add(*f);
  }
  int ready = 0;
  for (;;) {
    poller.Arm();
    ready = 0;
    for (Entry& e : entries) {
      if (e.fd < 0) {
        e.revents = 0;
      } else if (!e.file) {
        e.revents = abi::kPOLLNVAL;
      } else {
        e.revents = int16_t(e.file->Poll(e.events | abi::kPOLLERR | abi::kPOLLHUP));
      }
      if (e.revents != 0) ++ready;
    }
    if (ready > 0) break;
    absl::Status s = poller.Wait(ctx, deadline);
    if (IsSleepTimeout(s)) break;
    if (!s.ok()) return s;
  }
  for (uint32_t i = 0; i < nfds; ++i) {
    std::memcpy(raw.data() + size_t(i) * abi::kPollfdSize + abi::kPollfdReventsOff,
                &entries[i].revents, 2);
  }
  if (nfds > 0) {
    if (absl::Status s = ctx.mem.CopyOut(raw.data(), fds_addr, raw.size()); !s.ok()) return s;
  }
  return SyscallReturn{ready, 0};
}

Result Poll(SyscallContext& ctx, const SyscallArgs& a) {
  const int timeout_ms = a.Int(2);
  absl::Time deadline = absl::InfiniteFuture();
  if (timeout_ms != abi::kINFTIM) {
    if (timeout_ms < 0) return abi::Errno(abi::kEINVAL);
    deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  }
  return PollCommon(ctx, a.Ptr(0), a.UInt(1), deadline);
}

Result Pollts(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<absl::Time> deadline = ReadTimespec(ctx, a.Ptr(2));
  if (!deadline.ok()) return deadline.status();
  // a.Ptr(3), the signal mask, is ignored: there are no signals here.
  return PollCommon(ctx, a.Ptr(0), a.UInt(1), *deadline);
}

// __select50(nd, in, ou, ex, tv)
Result Select(SyscallContext& ctx, const SyscallArgs& a) {
  int nd = a.Int(0);
  if (nd < 0) return abi::Errno(abi::kEINVAL);
  // As NetBSD, forgiving: nd beyond the descriptor table's size is cut to
  // it (the table has room for at least NDFILE = 20 descriptors and grows
  // with the highest one open), so only that many bits are read.
  const int table_size = std::max(ctx.process.fds().MaxFd() + 1, kNdfile);
  if (nd > table_size) nd = table_size;
  const size_t words = (size_t(nd) + abi::kNFDBITS - 1) / abi::kNFDBITS;
  const UserAddr addrs[3] = {a.Ptr(1), a.Ptr(2), a.Ptr(3)};
  std::vector<uint32_t> in[3], out[3];
  for (int k = 0; k < 3; ++k) {
    in[k].assign(words, 0);
    out[k].assign(words, 0);
    if (addrs[k] != 0 && words > 0) {
      if (absl::Status s = ctx.mem.CopyIn(addrs[k], in[k].data(), words * 4); !s.ok()) {
        return s;
      }
    }
  }
  absl::StatusOr<absl::Time> deadline = ReadTimeval(ctx, a.Ptr(4));
  if (!deadline.ok()) return deadline.status();

  // What each set asks a file (NetBSD's sel_flag).
  constexpr int kFlags[3] = {abi::kPOLLRDNORM | abi::kPOLLHUP | abi::kPOLLERR,
                             abi::kPOLLWRNORM | abi::kPOLLHUP | abi::kPOLLERR, abi::kPOLLRDBAND};
  struct Entry {
    int fd;
    std::shared_ptr<File> file;
    int sets;  // bit k: in set k
  };
  std::vector<Entry> entries;
  Poller poller;
  Registration reg(poller);
  for (int fd = 0; fd < nd; ++fd) {
    int sets = 0;
    for (int k = 0; k < 3; ++k) {
      if (in[k][fd / abi::kNFDBITS] & (uint32_t{1} << (fd % abi::kNFDBITS))) sets |= 1 << k;
    }
    if (sets == 0) continue;
    absl::StatusOr<std::shared_ptr<File>> f = ctx.process.fds().Get(fd);
    if (!f.ok()) return abi::Errno(abi::kEBADF);
    entries.push_back(Entry{fd, *f, sets});
    reg.Add(*f);
  }
  int ready = 0;
  for (;;) {
    poller.Arm();
    ready = 0;
    for (int k = 0; k < 3; ++k) std::fill(out[k].begin(), out[k].end(), 0);
    for (const Entry& e : entries) {
      for (int k = 0; k < 3; ++k) {
        if (!(e.sets & (1 << k))) continue;
        if (e.file->Poll(kFlags[k]) != 0) {
          out[k][e.fd / abi::kNFDBITS] |= uint32_t{1} << (e.fd % abi::kNFDBITS);
          ++ready;
        }
      }
    }
    if (ready > 0) break;
    absl::Status s = poller.Wait(ctx, *deadline);
    if (IsSleepTimeout(s)) break;
    if (!s.ok()) return s;
  }
  for (int k = 0; k < 3; ++k) {
    if (addrs[k] != 0 && words > 0) {
      if (absl::Status s = ctx.mem.CopyOut(out[k].data(), addrs[k], words * 4); !s.ok()) {
        return s;
      }
    }
  }
  return SyscallReturn{ready, 0};
}

}  // namespace

void RegisterPollSyscalls(SyscallTable& t) {
  t.Register(abi::kSysPoll, Poll);
  t.Register(abi::kSysPollts, Pollts);
  t.Register(abi::kSysSelect, Select);
}

}  // namespace rump
