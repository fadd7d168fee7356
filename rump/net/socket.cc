#include "rump/net/socket.h"

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstring>

#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/poll.h"
#include "rump/abi/socket.h"
#include "rump/abi/stat.h"
#include "rump/kern/object_id.h"
#include "rump/kern/sleep.h"
#include "rump/kern/syscall.h"
#include "rump/net/bytes.h"
#include "rump/net/net_stack.h"

namespace rump {
namespace {

// Buffer sizes a socket gets when its protocol sets none.
constexpr size_t kDefaultSendSpace = 8192;
constexpr size_t kDefaultRecvSpace = 8192;
constexpr int kTickUsec = 1000000 / abi::kHz;
// SOMAXCONN: the largest listen(2) backlog.
constexpr int kSomaxconn = 128;
// The most bytes one round of a stream send or receive copies between user
// memory and a socket buffer (bounds the kernel's temporary buffer).
constexpr size_t kCopyChunk = 64 * 1024;

// SO_SNDTIMEO / SO_RCVTIMEO are kept in clock ticks, as NetBSD keeps them.
absl::Duration TicksToDuration(int ticks) { return absl::Microseconds(int64_t{ticks} * kTickUsec); }

// The deadline of one wait under a socket buffer timeout (0: none).
absl::Time WaitDeadline(int ticks) {
  return ticks > 0 ? absl::Now() + TicksToDuration(ticks) : absl::InfiniteFuture();
}

std::string IntValue(int v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}

absl::StatusOr<int> IntArg(absl::Span<const uint8_t> value) {
  if (value.size() != sizeof(int32_t)) return abi::Errno(abi::kEINVAL);
  return bytes::Load<int32_t>(value, 0);
}

// Options that are plain on/off bits of so_options.
bool IsFlagOption(int name) {
  switch (name) {
    case abi::kSO_DEBUG:
    case abi::kSO_KEEPALIVE:
    case abi::kSO_DONTROUTE:
    case abi::kSO_USELOOPBACK:
    case abi::kSO_BROADCAST:
    case abi::kSO_REUSEADDR:
    case abi::kSO_REUSEPORT:
    case abi::kSO_OOBINLINE:
    case abi::kSO_TIMESTAMP:
    case abi::kSO_NOSIGPIPE:
      return true;
    default:
      return false;
  }
}

// Protocols whose datagrams go whole or not at all (PR_ATOMIC).
bool IsAtomic(int type) {
  return type == abi::kSOCK_DGRAM || type == abi::kSOCK_RAW || type == abi::kSOCK_RDM ||
         type == abi::kSOCK_SEQPACKET;
}

// The total length of user buffers; EINVAL if it overflows.
absl::StatusOr<size_t> IovTotal(absl::Span<const UserIoVec> iov) {
  size_t total = 0;
  for (const UserIoVec& v : iov) {
    if (v.len > SIZE_MAX - total) return abi::Errno(abi::kEINVAL);
    total += v.len;
  }
  return total;
}

// The bytes of a stream socket buffer (NetBSD's mbuf chain without
// records): a FIFO of chunks of at most kChunk bytes.
class ByteQueue {
 public:
  size_t size() const { return size_; }

  void Append(absl::Span<const uint8_t> data) {
    size_ += data.size();
    while (!data.empty()) {
      if (chunks_.empty() || chunks_.back().size() >= kChunk) {
        chunks_.emplace_back();
        chunks_.back().reserve(std::min(kChunk, data.size()));
      }
      std::vector<uint8_t>& back = chunks_.back();
      const size_t n = std::min(kChunk - back.size(), data.size());
      back.insert(back.end(), data.begin(), data.begin() + n);
      data.remove_prefix(n);
    }
  }

  // Copies up to out.size() bytes that start `offset` bytes from the front.
  size_t Copy(size_t offset, absl::Span<uint8_t> out) const {
    size_t copied = 0;
    size_t skip = head_ + offset;
    for (const std::vector<uint8_t>& c : chunks_) {
      if (copied == out.size()) break;
      if (skip >= c.size()) {
        skip -= c.size();
        continue;
      }
      const size_t n = std::min(c.size() - skip, out.size() - copied);
      std::memcpy(out.data() + copied, c.data() + skip, n);
      copied += n;
      skip = 0;
    }
    return copied;
  }

  // Removes up to `n` bytes from the front.
  void Drop(size_t n) {
    n = std::min(n, size_);
    size_ -= n;
    while (n > 0) {
      const size_t avail = chunks_.front().size() - head_;
      if (n < avail) {
        head_ += n;
        return;
      }
      n -= avail;
      chunks_.pop_front();
      head_ = 0;
    }
    if (size_ == 0) Clear();
  }

  void Clear() {
    chunks_.clear();
    head_ = 0;
    size_ = 0;
  }

 private:
  static constexpr size_t kChunk = 16 * 1024;
  std::deque<std::vector<uint8_t>> chunks_;
  size_t head_ = 0;  // bytes of the front chunk already dropped
  size_t size_ = 0;
};

}  // namespace

struct Socket::State {
  mutable std::mutex mu;
  // Every waiter sleeps on this one: readers (queue / buffer / error /
  // shutdown / close), writers (space), connect, accept and the receive
  // lock. Every change any of them waits for notifies it.
  std::condition_variable cv;

  // Options (so_options bits for the on/off ones, SO_ACCEPTCONN included).
  int options = 0;
  int linger = 0;
  size_t snd_hiwat = kDefaultSendSpace;
  size_t rcv_hiwat = kDefaultRecvSpace;
  size_t snd_lowat = 0;  // 0: derived (MCLBYTES capped at snd_hiwat)
  size_t rcv_lowat = 1;
  // SB_AUTOSIZE: the protocol may grow the buffer (until the user sets it).
  bool snd_autosize = true;
  bool rcv_autosize = true;
  int snd_timeo = 0;  // ticks; 0: none
  int rcv_timeo = 0;

  // Datagram receive queue; `queued` counts what sbappendaddr charges
  // (payload, address and control bytes: NetBSD's sb_cc).
  std::deque<Datagram> queue;
  size_t queued = 0;
  uint64_t drops = 0;

  // Stream buffers (so_rcv / so_snd of a SOCK_STREAM socket).
  ByteQueue rcv;
  ByteQueue snd;
  bool rcv_busy = false;  // sblock(&so_rcv): a reader is copying out

  int so_error = 0;
  bool cant_recv = false;  // SS_CANTRCVMORE
  bool cant_send = false;  // SS_CANTSENDMORE
  bool closed = false;     // LastClose ran

  // Connection state (SS_ISCONNECTING, SS_ISCONNECTED, SS_ISDISCONNECTING).
  bool is_connecting = false;
  bool is_connected = false;
  bool is_disconnecting = false;

  // Listening: so_qlimit, so_q0 (incomplete), so_q (complete).
  int qlimit = 0;
  std::deque<std::shared_ptr<Socket>> q0;
  std::deque<std::shared_ptr<Socket>> q;
  // While this socket waits on a listener's queue: the listener (so_head).
  std::weak_ptr<Socket> head;

  // RLIMIT_SBSIZE: the account this socket's buffers are charged to (null:
  // not charged, or given back) and what is charged, snd_hiwat + rcv_hiwat
  // while `account` is set (NetBSD's sbreserve / chgsbsize).
  std::shared_ptr<SocketBufferAccount> account;
  size_t charged = 0;

  static size_t Charge(const Datagram& d) {
    return d.data.size() + d.from.size() + d.control.size();
  }
  size_t SndLowat() const { return snd_lowat ? snd_lowat : std::min<size_t>(2048, snd_hiwat); }
  size_t SndSpace() const { return snd_hiwat > snd.size() ? snd_hiwat - snd.size() : 0; }
  size_t RcvSpace() const { return rcv_hiwat > rcv.size() ? rcv_hiwat - rcv.size() : 0; }
  // sonewconn's limit: more than 3/2 of the backlog already queued.
  bool QueuesFull() const { return q.size() + q0.size() > size_t(3 * qlimit / 2); }
  void Flush() {
    queue.clear();
    queued = 0;
    rcv.Clear();
  }
  // Charges the marks snd + rcv in place of the current charge; false
  // (nothing changed) if an increase does not fit the account's limit.
  // The caller then sets the marks.
  bool Recharge(size_t snd, size_t rcv_mark) {
    if (!account) return true;
    const size_t want = snd + rcv_mark;
    if (want > charged) {
      if (!account->Reserve(want - charged)) return false;
    } else {
      account->Release(charged - want);
    }
    charged = want;
    return true;
  }
  // Gives the whole charge back (NetBSD's sofree).
  void Uncharge() {
    if (account) account->Release(charged);
    account.reset();
    charged = 0;
  }
};

Socket::Socket(NetStack& net, int domain, int type, int protocol, int file_flags)
    : File(file_flags),
      net_(net),
      domain_(domain),
      type_(type),
      protocol_(protocol),
      stream_(type == abi::kSOCK_STREAM),
      socket_id_(NewObjectId()),
      state_(std::make_unique<State>()) {}

Socket::~Socket() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->Uncharge();
}

// --- system calls

absl::Status Socket::Bind(SyscallContext& ctx, absl::Span<const uint8_t> addr) {
  return ProtoBind(ctx.process.credentials(), addr);
}

absl::Status Socket::Connect(SyscallContext& ctx, absl::Span<const uint8_t> addr) {
  const bool unspec = addr.size() >= 2 && addr[abi::kSaFamilyOff] == abi::kAF_UNSPEC;
  if (!stream_) {
    if (unspec) {
      // soconnect: a connected datagram socket is disconnected first; the
      // protocol then refuses the null address itself.
      absl::Status s = ProtoDisconnect();
      if (!s.ok() && abi::ToErrno(s) != abi::kENOTCONN) return abi::Errno(abi::kEISCONN);
      return abi::Errno(abi::kEAFNOSUPPORT);
    }
    return ProtoConnect(addr);
  }
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.is_connecting) return abi::Errno(abi::kEALREADY);
    if (st.options & abi::kSO_ACCEPTCONN) return abi::Errno(abi::kEOPNOTSUPP);
    // A connection-oriented protocol connects once (PR_CONNREQUIRED).
    if (st.is_connected) return abi::Errno(abi::kEISCONN);
  }
  if (unspec) return abi::Errno(abi::kEAFNOSUPPORT);
  absl::Status s = ProtoConnect(addr);
  std::unique_lock<std::mutex> lock(st.mu);
  if (!s.ok()) {
    st.is_connecting = false;
    return s;
  }
  if (st.is_connecting && nonblocking()) return abi::Errno(abi::kEINPROGRESS);
  absl::Status w = SleepUntil(ctx, lock, st.cv, absl::InfiniteFuture(), [&st] {
    return !st.is_connecting || st.so_error != 0 || st.closed;
  });
  if (!w.ok()) return w;  // EINTR: the connect stays in progress
  if (st.is_connecting && st.so_error == 0) {  // closed under us
    st.is_connecting = false;
    return abi::Errno(abi::kEBADF);
  }
  st.is_connecting = false;
  const int e = st.so_error;
  st.so_error = 0;
  if (e != 0) return abi::Errno(e);
  return absl::OkStatus();
}

absl::Status Socket::Listen(int backlog) {
  if (!stream_) return abi::Errno(abi::kEOPNOTSUPP);
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.is_connected || st.is_connecting || st.is_disconnecting) {
      return abi::Errno(abi::kEINVAL);
    }
  }
  if (absl::Status s = ProtoListen(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(st.mu);
  st.options |= abi::kSO_ACCEPTCONN;
  st.qlimit = std::min(std::max(backlog, 0), kSomaxconn);
  return absl::OkStatus();
}

absl::StatusOr<AcceptedConnection> Socket::Accept(SyscallContext& ctx) {
  if (!stream_) return abi::Errno(abi::kEOPNOTSUPP);
  State& st = *state_;
  std::shared_ptr<Socket> so;
  {
    std::unique_lock<std::mutex> lock(st.mu);
    if (!(st.options & abi::kSO_ACCEPTCONN)) return abi::Errno(abi::kEINVAL);
    if (nonblocking() && st.q.empty()) return abi::Errno(abi::kEWOULDBLOCK);
    while (st.q.empty() && st.so_error == 0) {
      if (st.closed) return abi::Errno(abi::kEBADF);
      if (st.cant_recv) {
        st.so_error = abi::kECONNABORTED;
        break;
      }
      absl::Status s = SleepUntil(ctx, lock, st.cv, absl::InfiniteFuture(), [&st] {
        return !st.q.empty() || st.so_error != 0 || st.cant_recv || st.closed;
      });
      if (!s.ok()) return s;
    }
    if (st.so_error != 0) {
      const int e = st.so_error;
      st.so_error = 0;
      return abi::Errno(e);
    }
    so = std::move(st.q.front());
    st.q.pop_front();
  }
  {
    std::lock_guard<std::mutex> lock(so->state_->mu);
    so->state_->head.reset();
  }
  // The connection's buffers were charged to the listener's account; they
  // move to the acceptor's if they fit there (they stay put otherwise).
  (void)so->ChargeBuffers(ctx.process.sb_account());
  absl::StatusOr<std::string> peer = so->ProtoAccept();
  if (!peer.ok()) {
    so->LastClose();
    return peer.status();
  }
  return AcceptedConnection{std::move(so), std::move(*peer)};
}

absl::Status Socket::CheckSend(size_t len) {
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  if (st.cant_send || st.closed) return abi::Errno(abi::kEPIPE);
  if (st.so_error != 0) {
    const int e = st.so_error;
    st.so_error = 0;
    return abi::Errno(e);
  }
  if (IsAtomic(type_) && len > st.snd_hiwat) return abi::Errno(abi::kEMSGSIZE);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Socket::SendIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                                       absl::Span<const uint8_t> to,
                                       absl::Span<const uint8_t> control, int flags) {
  if (!stream_) {
    absl::StatusOr<std::vector<uint8_t>> data = GatherIov(ctx, iov);
    if (!data.ok()) return data.status();
    SendRequest req;
    req.data = *data;
    req.to = to;
    req.control = control;
    req.flags = flags;
    return Send(ctx, req);
  }
  if (!control.empty()) return abi::Errno(abi::kEINVAL);
  absl::StatusOr<size_t> total = IovTotal(iov);
  if (!total.ok()) return total.status();
  return StreamSend(ctx, *total, flags, [&ctx, iov](size_t offset, absl::Span<uint8_t> out) {
    return CopyInIov(ctx, iov, offset, out);
  });
}

absl::StatusOr<size_t> Socket::Send(SyscallContext& ctx, const SendRequest& req) {
  if (stream_) {
    if (!req.control.empty()) return abi::Errno(abi::kEINVAL);
    const absl::Span<const uint8_t> data = req.data;
    return StreamSend(ctx, data.size(), req.flags,
                      [data](size_t offset, absl::Span<uint8_t> out) {
                        std::memcpy(out.data(), data.data() + offset, out.size());
                        return absl::OkStatus();
                      });
  }
  if (absl::Status s = CheckSend(req.data.size()); !s.ok()) return s;
  SendRequest with_pid = req;
  with_pid.pid = int(ctx.process.pid());
  with_pid.cred = ctx.process.credentials();
  return ProtoSend(with_pid);
}

// sosend for a stream: each round appends what fits and tells the protocol.
absl::StatusOr<size_t> Socket::StreamSend(SyscallContext& ctx, size_t total, int flags,
                                          const Source& source) {
  State& st = *state_;
  const bool nbio = nonblocking() || (flags & (abi::kMSG_DONTWAIT | abi::kMSG_NBIO)) != 0;
  size_t done = 0;               // bytes appended to the send buffer
  std::vector<uint8_t> pending;  // bytes after those, copied in, not yet appended
  absl::Status err;
  std::unique_lock<std::mutex> lock(st.mu);
  for (;;) {
    if (total > 0 && done == total) break;  // all appended
    if (st.cant_send || st.closed) {
      err = abi::Errno(abi::kEPIPE);
      break;
    }
    if (st.so_error != 0) {
      err = abi::Errno(st.so_error);
      st.so_error = 0;
      break;
    }
    if (!st.is_connected) {
      err = abi::Errno(abi::kENOTCONN);
      break;
    }
    if (total == 0) break;  // a zero-length send only checks
    const size_t resid = total - done;
    size_t space = st.SndSpace();
    if (space < resid && space < st.SndLowat()) {
      if (nbio) {
        err = abi::Errno(abi::kEWOULDBLOCK);
        break;
      }
      absl::Status s = SleepUntil(ctx, lock, st.cv, WaitDeadline(st.snd_timeo), [&st, resid] {
        const size_t sp = st.SndSpace();
        return st.cant_send || st.closed || st.so_error != 0 || !st.is_connected ||
               sp >= resid || sp >= st.SndLowat();
      });
      if (IsSleepTimeout(s)) {
        err = abi::Errno(abi::kEWOULDBLOCK);
        break;
      }
      if (!s.ok()) {
        err = s;
        break;
      }
      continue;
    }
    if (pending.empty()) {
      // Copy in at most the space there is, never the whole request at once.
      pending.resize(std::min({space, resid, kCopyChunk}));
      lock.unlock();
      absl::Status c = source(done, absl::MakeSpan(pending));
      lock.lock();
      if (!c.ok()) {
        err = c;
        break;
      }
      if (st.cant_send || st.closed) {
        err = abi::Errno(abi::kEPIPE);
        break;
      }
      space = st.SndSpace();
    }
    const size_t k = std::min(space, pending.size());
    if (k == 0) continue;  // the space went meanwhile: wait for it above
    st.snd.Append(absl::MakeConstSpan(pending).first(k));
    pending.erase(pending.begin(), pending.begin() + ptrdiff_t(k));
    done += k;
    lock.unlock();
    absl::Status o = ProtoOutput(flags);
    lock.lock();
    if (!o.ok()) {
      err = o;
      break;
    }
  }
  lock.unlock();
  if (!err.ok()) {
    // do_sys_sendmsg: a timeout or an interrupt after some bytes went is a
    // short count; anything else is the error.
    const int e = abi::ToErrno(err);
    if (done > 0 && (e == abi::kEWOULDBLOCK || e == abi::kEINTR)) return done;
    return err;
  }
  return done;
}

absl::StatusOr<RecvResult> Socket::RecvIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                                           int flags) {
  size_t total = 0;
  for (const UserIoVec& v : iov) total += std::min(v.len, SIZE_MAX - total);
  RecvResult r;
  if (!stream_) {
    absl::StatusOr<Datagram> d = Recv(ctx, total, flags);
    if (!d.ok()) return d.status();
    absl::StatusOr<size_t> n = CopyOutIov(ctx, d->data, iov);
    if (!n.ok()) return n.status();
    r.bytes = *n;
    r.from = std::move(d->from);
    r.control = std::move(d->control);
    r.msg_flags = d->msg_flags;
    return r;
  }
  absl::StatusOr<size_t> n =
      StreamReceive(ctx, total, flags, [&ctx, iov](size_t offset, absl::Span<const uint8_t> data) {
        absl::StatusOr<size_t> c = CopyOutIov(ctx, data, iov, offset);
        return c.ok() ? absl::OkStatus() : c.status();
      });
  if (!n.ok()) return n.status();
  r.bytes = *n;
  return r;
}

absl::StatusOr<Datagram> Socket::Recv(SyscallContext& ctx, size_t max_len, int flags) {
  if (stream_) {
    Datagram d;
    absl::StatusOr<size_t> n =
        StreamReceive(ctx, max_len, flags, [&d](size_t offset, absl::Span<const uint8_t> data) {
          d.data.resize(offset + data.size());
          std::memcpy(d.data.data() + offset, data.data(), data.size());
          return absl::OkStatus();
        });
    if (!n.ok()) return n.status();
    return d;
  }
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  const bool dontwait = nonblocking() || (flags & (abi::kMSG_DONTWAIT | abi::kMSG_NBIO)) != 0;
  const absl::Time deadline =
      st.rcv_timeo > 0 ? absl::Now() + TicksToDuration(st.rcv_timeo) : absl::InfiniteFuture();
  for (;;) {
    if (!st.queue.empty()) break;
    if (st.closed) return abi::Errno(abi::kEBADF);  // closed under us
    if (st.so_error != 0) {
      const int e = st.so_error;
      if (!(flags & abi::kMSG_PEEK)) st.so_error = 0;
      return abi::Errno(e);
    }
    if (st.cant_recv) return Datagram{};  // end of file
    if (dontwait) return abi::Errno(abi::kEAGAIN);
    absl::Status s = SleepUntil(ctx, lock, st.cv, deadline, [&st] {
      return !st.queue.empty() || st.closed || st.so_error != 0 || st.cant_recv;
    });
    if (IsSleepTimeout(s)) return abi::Errno(abi::kEWOULDBLOCK);
    if (!s.ok()) return s;
  }
  Datagram d;
  if (flags & abi::kMSG_PEEK) {
    const Datagram& front = st.queue.front();
    d.from = front.from;
    d.control = front.control;
    d.msg_flags = front.msg_flags;
    d.data.assign(front.data.begin(), front.data.begin() + std::min(max_len, front.data.size()));
    if (front.data.size() > max_len) d.msg_flags |= abi::kMSG_TRUNC;
    return d;
  }
  d = std::move(st.queue.front());
  st.queue.pop_front();
  st.queued -= State::Charge(d);
  if (d.data.size() > max_len) {
    d.data.resize(max_len);
    d.msg_flags |= abi::kMSG_TRUNC;
  }
  return d;
}

// soreceive for a stream.
absl::StatusOr<size_t> Socket::StreamReceive(SyscallContext& ctx, size_t resid, int flags,
                                             const Sink& sink) {
  State& st = *state_;
  const bool peek = (flags & abi::kMSG_PEEK) != 0;
  const bool waitall = (flags & abi::kMSG_WAITALL) != 0;
  const bool dontwait = (flags & abi::kMSG_DONTWAIT) != 0;
  const bool nbio = nonblocking() || (flags & (abi::kMSG_DONTWAIT | abi::kMSG_NBIO)) != 0;
  // Whether soreceive must wait for more before it takes anything.
  auto must_wait = [&st, resid, dontwait, waitall] {
    const size_t cc = st.rcv.size();
    return cc == 0 || (!dontwait && cc < resid &&
                       (cc < st.rcv_lowat || (waitall && resid <= st.rcv_hiwat)));
  };
  std::unique_lock<std::mutex> lock(st.mu);
  for (;;) {
    // sblock(&so_rcv): one reader at a time copies out.
    while (st.rcv_busy) {
      if (st.closed) return abi::Errno(abi::kEBADF);
      if (dontwait) return abi::Errno(abi::kEWOULDBLOCK);
      absl::Status s = SleepUntil(ctx, lock, st.cv, absl::InfiniteFuture(),
                                  [&st] { return !st.rcv_busy || st.closed; });
      if (!s.ok()) return s;
    }
    if (!must_wait()) break;
    const bool have = st.rcv.size() > 0;
    if (st.closed) return abi::Errno(abi::kEBADF);  // closed under us
    if (st.so_error != 0) {
      if (have) break;
      const int e = st.so_error;
      if (!peek) st.so_error = 0;
      return abi::Errno(e);
    }
    if (st.cant_recv) {
      if (have) break;
      return size_t{0};  // end of file
    }
    if (!st.is_connected && !st.is_connecting) return abi::Errno(abi::kENOTCONN);
    if (resid == 0) return size_t{0};
    if (nbio) return abi::Errno(abi::kEWOULDBLOCK);
    absl::Status s = SleepUntil(ctx, lock, st.cv, WaitDeadline(st.rcv_timeo), [&] {
      return st.closed || st.so_error != 0 || st.cant_recv ||
             (!st.is_connected && !st.is_connecting) || (!st.rcv_busy && !must_wait());
    });
    if (IsSleepTimeout(s)) return abi::Errno(abi::kEWOULDBLOCK);
    if (!s.ok()) return s;
  }
  // dontblock: copy out, holding the receive lock.
  st.rcv_busy = true;
  size_t done = 0;
  size_t peek_off = 0;
  absl::Status err;
  std::vector<uint8_t> chunk;
  while (resid > 0) {
    const size_t avail = st.rcv.size() > peek_off ? st.rcv.size() - peek_off : 0;
    if (avail == 0) {
      // MSG_WAITALL: wait for the rest, unless nothing more can come.
      if (!waitall || st.so_error != 0 || st.cant_recv || st.closed) break;
      if (peek && st.RcvSpace() == 0) break;  // nothing more to peek at
      lock.unlock();
      ProtoRcvd(flags);  // the buffer is drained: let the protocol refill it
      lock.lock();
      absl::Status s = SleepUntil(ctx, lock, st.cv, WaitDeadline(st.rcv_timeo), [&] {
        return st.rcv.size() > peek_off || st.so_error != 0 || st.cant_recv || st.closed ||
               (peek && st.RcvSpace() == 0);
      });
      if (!s.ok()) break;  // a timeout or an interrupt: the short count
      continue;
    }
    chunk.resize(std::min({resid, avail, kCopyChunk}));
    st.rcv.Copy(peek_off, absl::MakeSpan(chunk));
    lock.unlock();
    absl::Status c = sink(done, chunk);
    lock.lock();
    if (!c.ok()) {
      err = c;
      break;
    }
    if (peek) {
      peek_off += chunk.size();
    } else {
      st.rcv.Drop(chunk.size());
    }
    done += chunk.size();
    resid -= chunk.size();
  }
  st.rcv_busy = false;
  lock.unlock();
  st.cv.notify_all();  // the next reader
  if (!peek && done > 0) ProtoRcvd(flags);
  if (!err.ok()) return err;
  return done;
}

absl::StatusOr<std::string> Socket::SockName() const { return ProtoSockName(); }

absl::StatusOr<std::string> Socket::PeerName() const { return ProtoPeerName(); }

absl::Status Socket::Shutdown(int how) {
  if (how != abi::kSHUT_RD && how != abi::kSHUT_WR && how != abi::kSHUT_RDWR) {
    return abi::Errno(abi::kEINVAL);
  }
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (how != abi::kSHUT_WR) {
      st.cant_recv = true;  // sorflush: what is queued is discarded
      st.Flush();
    }
    if (how != abi::kSHUT_RD) st.cant_send = true;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
  if (how != abi::kSHUT_RD) return ProtoShutdown();
  return absl::OkStatus();
}

absl::Status Socket::SetOption(int level, int name, absl::Span<const uint8_t> value) {
  if (level != abi::kSOL_SOCKET) return ProtoSetOption(level, name, value);
  State& st = *state_;
  if (IsFlagOption(name)) {
    absl::StatusOr<int> v = IntArg(value);
    if (!v.ok()) return v.status();
    std::lock_guard<std::mutex> lock(st.mu);
    if (*v) {
      st.options |= name;
    } else {
      st.options &= ~name;
    }
  } else {
    switch (name) {
      case abi::kSO_LINGER: {
        if (value.size() != abi::kLingerSize) return abi::Errno(abi::kEINVAL);
        const int32_t onoff = bytes::Load<int32_t>(value, 0);
        const int32_t secs = bytes::Load<int32_t>(value, 4);
        if (secs < 0 || secs > 65535 || secs > INT_MAX / abi::kHz) {
          return abi::Errno(abi::kEDOM);
        }
        std::lock_guard<std::mutex> lock(st.mu);
        st.linger = secs;
        if (onoff) {
          st.options |= abi::kSO_LINGER;
        } else {
          st.options &= ~abi::kSO_LINGER;
        }
        break;
      }
      case abi::kSO_SNDBUF:
      case abi::kSO_RCVBUF:
      case abi::kSO_SNDLOWAT:
      case abi::kSO_RCVLOWAT: {
        absl::StatusOr<int> v = IntArg(value);
        if (!v.ok()) return v.status();
        if (*v < 1) return abi::Errno(abi::kEINVAL);
        const size_t n = size_t(*v);
        {
          std::lock_guard<std::mutex> lock(st.mu);
          switch (name) {
            case abi::kSO_SNDBUF:
              // sbreserve: above sb_max_adj, or beyond RLIMIT_SBSIZE.
              if (n > net_.sb_max_adj() || !st.Recharge(n, st.rcv_hiwat)) {
                return abi::Errno(abi::kENOBUFS);
              }
              st.snd_hiwat = n;
              st.snd_autosize = false;  // the user chose: no automatic growth
              if (st.snd_lowat > n) st.snd_lowat = n;
              break;
            case abi::kSO_RCVBUF:
              if (n > net_.sb_max_adj() || !st.Recharge(st.snd_hiwat, n)) {
                return abi::Errno(abi::kENOBUFS);
              }
              st.rcv_hiwat = n;
              st.rcv_autosize = false;
              if (st.rcv_lowat > n) st.rcv_lowat = n;
              break;
            case abi::kSO_SNDLOWAT:
              st.snd_lowat = std::min(n, st.snd_hiwat);
              break;
            case abi::kSO_RCVLOWAT:
              st.rcv_lowat = std::min(n, st.rcv_hiwat);
              break;
          }
        }
        // Blocked callers and pollers judge by the new marks.
        st.cv.notify_all();
        poll_waiters().Wake();
        break;
      }
      case abi::kSO_SNDTIMEO:
      case abi::kSO_RCVTIMEO: {
        if (value.size() != abi::kTimevalSize) return abi::Errno(abi::kEINVAL);
        const int64_t sec = bytes::Load<int64_t>(value, 0);
        const int32_t usec = bytes::Load<int32_t>(value, 8);
        if (sec < 0 || usec < 0 || usec >= 1000000) return abi::Errno(abi::kEDOM);
        if (sec > (INT_MAX - usec / kTickUsec) / abi::kHz) return abi::Errno(abi::kEDOM);
        int ticks = int(sec) * abi::kHz + usec / kTickUsec;
        if (ticks == 0 && usec != 0) ticks = 1;
        std::lock_guard<std::mutex> lock(st.mu);
        (name == abi::kSO_SNDTIMEO ? st.snd_timeo : st.rcv_timeo) = ticks;
        break;
      }
      case abi::kSO_ACCEPTFILTER:
        return abi::Errno(abi::kEINVAL);  // only on a listening socket
      default:
        return abi::Errno(abi::kENOPROTOOPT);
    }
  }
  // The protocol sees the socket-level options the layer accepted too; the
  // value is set, so the protocol's answer is not the caller's.
  (void)ProtoSetOption(level, name, value);
  return absl::OkStatus();
}

absl::StatusOr<std::string> Socket::GetOption(int level, int name) {
  if (level != abi::kSOL_SOCKET) return ProtoGetOption(level, name);
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  if (IsFlagOption(name) || name == abi::kSO_ACCEPTCONN) {
    return IntValue((st.options & name) ? 1 : 0);
  }
  switch (name) {
    case abi::kSO_LINGER: {
      std::string s(abi::kLingerSize, '\0');
      bytes::Store<int32_t>(s, 0, (st.options & abi::kSO_LINGER) ? 1 : 0);
      bytes::Store<int32_t>(s, 4, st.linger);
      return s;
    }
    case abi::kSO_TYPE:
      return IntValue(type_);
    case abi::kSO_ERROR: {
      const int e = st.so_error;
      st.so_error = 0;
      return IntValue(e);
    }
    case abi::kSO_SNDBUF:
      return IntValue(int(st.snd_hiwat));
    case abi::kSO_RCVBUF:
      return IntValue(int(st.rcv_hiwat));
    case abi::kSO_SNDLOWAT:
      return IntValue(int(st.SndLowat()));
    case abi::kSO_RCVLOWAT:
      return IntValue(int(st.rcv_lowat));
    case abi::kSO_OVERFLOWED:
      return IntValue(int(std::min<uint64_t>(st.drops, INT_MAX)));
    case abi::kSO_SNDTIMEO:
    case abi::kSO_RCVTIMEO: {
      const int ticks = name == abi::kSO_SNDTIMEO ? st.snd_timeo : st.rcv_timeo;
      std::string s(abi::kTimevalSize, '\0');
      bytes::Store<int64_t>(s, 0, ticks / abi::kHz);
      bytes::Store<int32_t>(s, 8, (ticks % abi::kHz) * kTickUsec);
      return s;
    }
    default:
      return abi::Errno(abi::kENOPROTOOPT);
  }
}

// --- File

absl::StatusOr<size_t> Socket::Read(SyscallContext& ctx, absl::Span<const UserIoVec> iov) {
  absl::StatusOr<RecvResult> r = RecvIov(ctx, iov, 0);
  if (!r.ok()) return r.status();
  return r->bytes;
}

absl::StatusOr<size_t> Socket::Write(SyscallContext& ctx, absl::Span<const UserIoVec> iov) {
  return SendIov(ctx, iov, {}, {}, 0);
}

absl::StatusOr<std::vector<uint8_t>> Socket::GatherIov(SyscallContext& ctx,
                                                       absl::Span<const UserIoVec> iov) {
  absl::StatusOr<size_t> t = IovTotal(iov);
  if (!t.ok()) return t.status();
  size_t total = *t;
  // A datagram over SO_SNDBUF fails before anything is copied (and before
  // anything of that size is allocated); a stream takes what fits.
  if (absl::Status s = CheckSend(IsAtomic(type_) ? total : 0); !s.ok()) return s;
  if (!IsAtomic(type_)) total = std::min(total, std::max<size_t>(send_buffer_limit(), 1));
  std::vector<uint8_t> data(total);
  if (absl::Status s = CopyInIov(ctx, iov, 0, absl::MakeSpan(data)); !s.ok()) return s;
  return data;
}

absl::Status Socket::CopyInIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                               size_t offset, absl::Span<uint8_t> out) {
  size_t off = 0;
  for (const UserIoVec& v : iov) {
    if (off == out.size()) break;
    if (offset >= v.len) {  // before the piece we want
      offset -= v.len;
      continue;
    }
    const size_t n = std::min(v.len - offset, out.size() - off);
    if (n == 0) continue;
    if (absl::Status s = ctx.mem.CopyIn(v.base + offset, out.data() + off, n); !s.ok()) return s;
    off += n;
    offset = 0;
  }
  if (off != out.size()) return abi::Errno(abi::kEFAULT);  // the buffers ended first
  return absl::OkStatus();
}

absl::StatusOr<size_t> Socket::CopyOutIov(SyscallContext& ctx, absl::Span<const uint8_t> data,
                                          absl::Span<const UserIoVec> iov, size_t offset) {
  size_t off = 0;
  for (const UserIoVec& v : iov) {
    if (off == data.size()) break;
    if (offset >= v.len) {
      offset -= v.len;
      continue;
    }
    const size_t n = std::min(v.len - offset, data.size() - off);
    if (n == 0) continue;
    if (absl::Status s = ctx.mem.CopyOut(data.data() + off, v.base + offset, n); !s.ok()) {
      return s;
    }
    off += n;
    offset = 0;
  }
  return off;
}

absl::Status Socket::Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) {
  State& st = *state_;
  if (cmd == abi::kFIONREAD) {
    std::lock_guard<std::mutex> lock(st.mu);
    const size_t n = stream_ ? st.rcv.size() : st.queued;
    bytes::Store<int32_t>(data, 0, int32_t(std::min<size_t>(n, INT_MAX)));
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONWRITE) {
    std::lock_guard<std::mutex> lock(st.mu);
    // Datagrams leave at once; a stream's bytes wait in the send buffer.
    bytes::Store<int32_t>(data, 0, int32_t(std::min<size_t>(st.snd.size(), INT_MAX)));
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONSPACE) {
    std::lock_guard<std::mutex> lock(st.mu);
    bytes::Store<int32_t>(data, 0, int32_t(std::min<size_t>(st.SndSpace(), INT_MAX)));
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONBIO) {
    const int on = bytes::Load<int32_t>(data, 0);
    SetStatusFlags(on ? flags() | abi::kO_NONBLOCK : flags() & ~abi::kO_NONBLOCK);
    return absl::OkStatus();
  }
  if (cmd == abi::kFIOASYNC) return absl::OkStatus();  // no signals here
  if (cmd == abi::kSIOCATMARK) {
    bytes::Store<int32_t>(data, 0, 0);  // no out-of-band data
    return absl::OkStatus();
  }
  if (abi::IoctlGroup(cmd) == 'i') return net_.InterfaceIoctl(ctx, domain_, cmd, data);
  return ProtoIoctl(ctx, cmd, data);
}

int Socket::Poll(int events) {
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  int revents = 0;
  if (stream_) {
    // soreadable: SO_RCVLOWAT bytes, end of file, a connection to accept,
    // an error to report.
    if (st.rcv.size() >= st.rcv_lowat || st.cant_recv || st.closed || !st.q.empty() ||
        st.so_error != 0) {
      revents |= events & (abi::kPOLLIN | abi::kPOLLRDNORM);
    }
    // sowritable: SO_SNDLOWAT bytes of space on a connection, or a write
    // that would fail at once (EPIPE, the pending error).
    if ((st.is_connected && st.SndSpace() >= st.SndLowat()) || st.cant_send ||
        st.so_error != 0) {
      revents |= events & (abi::kPOLLOUT | abi::kPOLLWRNORM);
    }
    return revents;
  }
  // soreadable: data, end of file or an error to report.
  if (!st.queue.empty() || st.cant_recv || st.closed || st.so_error != 0) {
    revents |= events & (abi::kPOLLIN | abi::kPOLLRDNORM);
  }
  // sowritable: datagram sockets have no send queue to fill; a write that
  // would fail at once (EPIPE, the pending error) does not block either.
  if (IsAtomic(type_) || st.cant_send || st.so_error != 0) {
    revents |= events & (abi::kPOLLOUT | abi::kPOLLWRNORM);
  }
  return revents;
}

void Socket::LastClose() {
  // soclose: the connections nobody accepted are dropped first.
  std::deque<std::shared_ptr<Socket>> q0, q;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->options &= ~abi::kSO_ACCEPTCONN;  // NewConnection refuses from now on
    q0.swap(state_->q0);
    q.swap(state_->q);
  }
  for (const std::shared_ptr<Socket>& so : q0) so->Abort();
  for (const std::shared_ptr<Socket>& so : q) so->Abort();
  ProtoDetach();
  Close();
}

absl::Status Socket::Linger(SyscallContext& ctx) {
  const int secs = linger_seconds();
  if (!stream_ || secs <= 0 || nonblocking()) return absl::OkStatus();
  State& st = *state_;
  std::unique_lock<std::mutex> lock(st.mu);
  absl::Status s = SleepUntil(ctx, lock, st.cv, absl::Now() + absl::Seconds(secs),
                              [&st] { return !st.is_connected; });
  if (IsSleepTimeout(s)) return absl::OkStatus();  // the time ran out: close anyway
  return s;
}

void Socket::Close() {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.closed = true;
    st.cant_recv = st.cant_send = true;
    st.Flush();
    // The buffers' charge goes back now unless a stream protocol is still
    // moving bytes (SetDisconnected gives it back then).
    if (!stream_ || !(st.is_connected || st.is_connecting || st.is_disconnecting)) {
      st.Uncharge();
    }
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

void Socket::Abort() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->head.reset();
  }
  ProtoAbort();
  Close();
}

// --- for protocols

bool Socket::DeliverDatagram(Datagram d) {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    const size_t charge = State::Charge(d);
    // sbappendaddr: the record must fit in the space left (sbspace).
    if (st.cant_recv || st.closed || charge > st.rcv_hiwat - std::min(st.queued, st.rcv_hiwat)) {
      ++st.drops;
      return false;
    }
    d.msg_flags &= abi::kMSG_BCAST | abi::kMSG_MCAST;  // the protocol's to set
    st.queued += charge;
    st.queue.push_back(std::move(d));
  }
  st.cv.notify_all();
  poll_waiters().Wake();
  return true;
}

size_t Socket::AppendStream(absl::Span<const uint8_t> data) {
  if (!stream_ || data.empty()) return 0;
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (st.cant_recv || st.closed) return 0;
    st.rcv.Append(data);
  }
  st.cv.notify_all();
  poll_waiters().Wake();
  return data.size();
}

size_t Socket::CopySendBuffer(size_t offset, absl::Span<uint8_t> out) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->snd.Copy(offset, out);
}

void Socket::DropSendBuffer(size_t n) {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.snd.Drop(n);
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

size_t Socket::send_buffer_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->snd.size();
}

size_t Socket::send_space() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->SndSpace();
}

size_t Socket::receive_space() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->RcvSpace();
}

void Socket::SetConnecting() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->is_connected = false;
  state_->is_disconnecting = false;
  state_->is_connecting = true;
}

void Socket::SetConnected() {
  State& st = *state_;
  std::weak_ptr<Socket> head;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.is_connecting = false;
    st.is_disconnecting = false;
    st.is_connected = true;
    head = st.head;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
  // soisconnected: an incomplete connection becomes acceptable.
  std::shared_ptr<Socket> listener = head.lock();
  if (!listener) return;
  State& ls = *listener->state_;
  bool moved = false;
  {
    std::lock_guard<std::mutex> lock(ls.mu);
    auto it = std::find_if(ls.q0.begin(), ls.q0.end(),
                           [this](const std::shared_ptr<Socket>& so) { return so.get() == this; });
    if (it != ls.q0.end()) {
      ls.q.push_back(std::move(*it));
      ls.q0.erase(it);
      moved = true;
    }
  }
  if (moved) {
    ls.cv.notify_all();
    listener->poll_waiters().Wake();
  }
}

void Socket::SetDisconnecting() {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.is_connecting = false;
    st.is_disconnecting = true;
    st.cant_recv = st.cant_send = true;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

void Socket::SetDisconnected() {
  State& st = *state_;
  std::weak_ptr<Socket> head;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.is_connecting = st.is_connected = st.is_disconnecting = false;
    st.cant_recv = st.cant_send = true;
    head = st.head;
    // An orphaned connection's buffers are no longer needed (TIME_WAIT
    // holds no data).
    if (st.closed) st.Uncharge();
  }
  st.cv.notify_all();
  poll_waiters().Wake();
  // sofree: a connection that never completed leaves its listener's
  // incomplete queue and is closed (a complete one stays for accept).
  std::shared_ptr<Socket> listener = head.lock();
  if (!listener) return;
  std::shared_ptr<Socket> removed;  // may be the last reference to this
  {
    State& ls = *listener->state_;
    std::lock_guard<std::mutex> lock(ls.mu);
    auto it = std::find_if(ls.q0.begin(), ls.q0.end(),
                           [this](const std::shared_ptr<Socket>& so) { return so.get() == this; });
    if (it != ls.q0.end()) {
      removed = std::move(*it);
      ls.q0.erase(it);
    }
  }
  if (removed) {
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.head.reset();
    }
    Close();
  }
}

void Socket::CantSendMore() {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.cant_send = true;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

void Socket::CantRecvMore() {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.cant_recv = true;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

std::shared_ptr<Socket> Socket::NewConnection(bool connected) {
  if (!stream_) return nullptr;
  State& st = *state_;
  // What the new socket inherits (sonewconn).
  int options, linger, snd_timeo, rcv_timeo;
  size_t snd_hiwat, rcv_hiwat, snd_lowat, rcv_lowat;
  bool snd_autosize, rcv_autosize;
  std::shared_ptr<SocketBufferAccount> account;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (!(st.options & abi::kSO_ACCEPTCONN) || st.closed || st.QueuesFull()) return nullptr;
    account = st.account;
    options = st.options & ~abi::kSO_ACCEPTCONN;
    linger = st.linger;
    snd_hiwat = st.snd_hiwat;
    rcv_hiwat = st.rcv_hiwat;
    snd_lowat = st.snd_lowat;
    rcv_lowat = st.rcv_lowat;
    snd_timeo = st.snd_timeo;
    rcv_timeo = st.rcv_timeo;
    snd_autosize = st.snd_autosize;
    rcv_autosize = st.rcv_autosize;
  }
  absl::StatusOr<std::shared_ptr<Socket>> made = ProtoNewConnection();
  if (!made.ok() || *made == nullptr) return nullptr;
  std::shared_ptr<Socket> so = std::move(*made);
  if (!so->stream_) {
    so->LastClose();
    return nullptr;
  }
  bool reserved = true;  // beyond RLIMIT_SBSIZE: dropped, as a full queue
  {
    State& ns = *so->state_;
    std::lock_guard<std::mutex> lock(ns.mu);
    ns.options = options;
    ns.linger = linger;
    ns.snd_hiwat = snd_hiwat;
    ns.rcv_hiwat = rcv_hiwat;
    ns.snd_lowat = snd_lowat;
    ns.rcv_lowat = rcv_lowat;
    ns.snd_timeo = snd_timeo;
    ns.rcv_timeo = rcv_timeo;
    ns.snd_autosize = snd_autosize;
    ns.rcv_autosize = rcv_autosize;
    ns.head = weak_from_this();
    if (connected) ns.is_connected = true;
    // sonewconn's soreserve, charged to the listener's account.
    ns.account = std::move(account);
    ns.charged = 0;
    if (!ns.Recharge(snd_hiwat, rcv_hiwat)) {
      ns.account.reset();
      reserved = false;
    }
  }
  bool queued = false;
  if (reserved) {
    std::lock_guard<std::mutex> lock(st.mu);
    // Checked again: the listener may have closed or filled up meanwhile.
    if ((st.options & abi::kSO_ACCEPTCONN) && !st.closed && !st.QueuesFull()) {
      (connected ? st.q : st.q0).push_back(so);
      queued = true;
    }
  }
  if (!queued) {
    so->Abort();
    return nullptr;
  }
  if (connected) {
    st.cv.notify_all();
    poll_waiters().Wake();
  }
  return so;
}

bool Socket::connected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->is_connected;
}

bool Socket::connecting() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->is_connecting;
}

bool Socket::listening() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_ACCEPTCONN) != 0;
}

size_t Socket::accept_queue_length() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->q.size();
}

size_t Socket::incomplete_queue_length() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->q0.size();
}

void Socket::SetError(int netbsd_errno) {
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.so_error = netbsd_errno;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
}

bool Socket::reuse_addr() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_REUSEADDR) != 0;
}

bool Socket::reuse_port() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_REUSEPORT) != 0;
}

bool Socket::broadcast_allowed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_BROADCAST) != 0;
}

bool Socket::keep_alive() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_KEEPALIVE) != 0;
}

int Socket::linger_seconds() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_LINGER) != 0 ? state_->linger : -1;
}

bool Socket::timestamp() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_TIMESTAMP) != 0;
}

bool Socket::dont_route() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return (state_->options & abi::kSO_DONTROUTE) != 0;
}

size_t Socket::recv_buffer_limit() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->rcv_hiwat;
}

size_t Socket::send_buffer_limit() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->snd_hiwat;
}

uint64_t Socket::receive_drops() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->drops;
}

size_t Socket::receive_queue_bytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return stream_ ? state_->rcv.size() : state_->queued;
}

uint32_t Socket::StatMode() const { return abi::kS_IFSOCK; }

FileDescription Socket::Describe() const {
  return FileDescription{FileKind::kSocket, socket_id_};
}

Socket::Snapshot Socket::snapshot() const {
  const State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  Snapshot s;
  s.connecting = st.is_connecting;
  s.connected = st.is_connected;
  s.disconnecting = st.is_disconnecting;
  s.cant_send = st.cant_send;
  s.cant_recv = st.cant_recv;
  s.receive_bytes = stream_ ? st.rcv.size() : st.queued;
  s.send_bytes = st.snd.size();
  return s;
}

void Socket::SetBufferLimits(size_t send_limit, size_t recv_limit) {
  std::lock_guard<std::mutex> lock(state_->mu);
  // Protocols call this before the socket is charged; a charged socket
  // keeps its marks if the new ones do not fit.
  if (!state_->Recharge(send_limit, recv_limit)) return;
  state_->snd_hiwat = send_limit;
  state_->rcv_hiwat = recv_limit;
}

bool Socket::GrowSendBuffer(size_t limit) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->snd_autosize || limit <= state_->snd_hiwat) return false;
    // Beyond RLIMIT_SBSIZE: give up growing, as NetBSD's tcp_output does.
    if (!state_->Recharge(limit, state_->rcv_hiwat)) {
      state_->snd_autosize = false;
      return false;
    }
    state_->snd_hiwat = limit;
  }
  state_->cv.notify_all();
  poll_waiters().Wake();
  return true;
}

bool Socket::GrowRecvBuffer(size_t limit) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->rcv_autosize || limit <= state_->rcv_hiwat) return false;
  if (!state_->Recharge(state_->snd_hiwat, limit)) {  // as NetBSD's tcp_input
    state_->rcv_autosize = false;
    return false;
  }
  state_->rcv_hiwat = limit;
  return true;
}

absl::Status Socket::ChargeBuffers(std::shared_ptr<SocketBufferAccount> account) {
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  if (account == st.account || st.closed) return absl::OkStatus();
  const size_t want = st.snd_hiwat + st.rcv_hiwat;
  if (account != nullptr && !account->Reserve(want)) return abi::Errno(abi::kENOBUFS);
  st.Uncharge();
  st.account = std::move(account);
  st.charged = st.account != nullptr ? want : 0;
  return absl::OkStatus();
}

std::shared_ptr<SocketBufferAccount> Socket::buffer_account() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->account;
}

size_t Socket::buffer_charge() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->charged;
}

// --- protocol hook defaults

absl::Status Socket::ProtoBind(const Credentials&, absl::Span<const uint8_t>) { return abi::Errno(abi::kEOPNOTSUPP); }
absl::Status Socket::ProtoConnect(absl::Span<const uint8_t>) {
  return abi::Errno(abi::kEOPNOTSUPP);
}
absl::Status Socket::ProtoDisconnect() { return abi::Errno(abi::kEOPNOTSUPP); }
absl::StatusOr<size_t> Socket::ProtoSend(const SendRequest&) {
  return abi::Errno(abi::kEOPNOTSUPP);
}
absl::StatusOr<std::string> Socket::ProtoSockName() const { return abi::Errno(abi::kEOPNOTSUPP); }
absl::StatusOr<std::string> Socket::ProtoPeerName() const { return abi::Errno(abi::kENOTCONN); }
absl::Status Socket::ProtoSetOption(int, int, absl::Span<const uint8_t>) {
  return abi::Errno(abi::kENOPROTOOPT);
}
absl::StatusOr<std::string> Socket::ProtoGetOption(int, int) {
  return abi::Errno(abi::kENOPROTOOPT);
}
absl::Status Socket::ProtoIoctl(SyscallContext&, uint64_t, absl::Span<uint8_t>) {
  return abi::Errno(abi::kEOPNOTSUPP);
}
absl::Status Socket::ProtoListen() { return abi::Errno(abi::kEOPNOTSUPP); }
absl::StatusOr<std::shared_ptr<Socket>> Socket::ProtoNewConnection() {
  return abi::Errno(abi::kEOPNOTSUPP);
}
absl::StatusOr<std::string> Socket::ProtoAccept() { return ProtoPeerName(); }
absl::Status Socket::ProtoOutput(int) { return abi::Errno(abi::kEOPNOTSUPP); }
absl::Status Socket::ProtoShutdown() { return absl::OkStatus(); }

absl::StatusOr<std::shared_ptr<Socket>> MakeBasicSocket(NetStack& net, int domain, int type,
                                                        int protocol, int file_flags) {
  bool ok = false;
  switch (domain) {
    case abi::kAF_ROUTE:
      ok = type == abi::kSOCK_RAW;  // any protocol: an address family filter
      break;
    case abi::kAF_LINK:
      ok = type == abi::kSOCK_DGRAM && protocol == 0;
      break;
    default:
      return abi::Errno(abi::kEAFNOSUPPORT);
  }
  if (!ok) return SocketTypeError(type, protocol);
  if (domain == abi::kAF_ROUTE) return MakeRouteSocket(net, protocol, file_flags);
  return std::make_shared<Socket>(net, domain, type, protocol, file_flags);
}

absl::Status SocketTypeError(int type, int protocol) {
  if (protocol == 0 && type != 0) return abi::Errno(abi::kEPROTOTYPE);
  return abi::Errno(abi::kEPROTONOSUPPORT);
}

}  // namespace rump
