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

// SO_SNDTIMEO / SO_RCVTIMEO are kept in clock ticks, as NetBSD keeps them.
absl::Duration TicksToDuration(int ticks) { return absl::Microseconds(int64_t{ticks} * kTickUsec); }

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

}  // namespace

struct Socket::State {
  mutable std::mutex mu;
  std::condition_variable cv;  // readers: queue / error / shutdown / close

  // Options (so_options bits for the on/off ones).
  int options = 0;
  int linger = 0;
  size_t snd_hiwat = kDefaultSendSpace;
  size_t rcv_hiwat = kDefaultRecvSpace;
  size_t snd_lowat = 0;  // 0: derived (MCLBYTES capped at snd_hiwat)
  size_t rcv_lowat = 1;
  int snd_timeo = 0;  // ticks; 0: none
  int rcv_timeo = 0;

  // Receive queue; `queued` counts what sbappendaddr charges (payload,
  // address and control bytes: NetBSD's sb_cc).
  std::deque<Datagram> queue;
  size_t queued = 0;
  uint64_t drops = 0;

  int so_error = 0;
  bool cant_recv = false;  // SS_CANTRCVMORE
  bool cant_send = false;  // SS_CANTSENDMORE
  bool closed = false;     // LastClose ran

  static size_t Charge(const Datagram& d) {
    return d.data.size() + d.from.size() + d.control.size();
  }
  size_t SndLowat() const { return snd_lowat ? snd_lowat : std::min<size_t>(2048, snd_hiwat); }
  void Flush() {
    queue.clear();
    queued = 0;
  }
};

Socket::Socket(NetStack& net, int domain, int type, int protocol, int file_flags)
    : File(file_flags),
      net_(net),
      domain_(domain),
      type_(type),
      protocol_(protocol),
      state_(std::make_unique<State>()) {}

Socket::~Socket() = default;

// --- system calls

absl::Status Socket::Bind(SyscallContext&, absl::Span<const uint8_t> addr) {
  return ProtoBind(addr);
}

absl::Status Socket::Connect(SyscallContext&, absl::Span<const uint8_t> addr) {
  if (addr.size() >= 2 && addr[abi::kSaFamilyOff] == abi::kAF_UNSPEC) {
    // soconnect: a connected datagram socket is disconnected first; the
    // protocol then refuses the null address itself.
    absl::Status s = ProtoDisconnect();
    if (!s.ok() && abi::ToErrno(s) != abi::kENOTCONN) return abi::Errno(abi::kEISCONN);
    return abi::Errno(abi::kEAFNOSUPPORT);
  }
  return ProtoConnect(addr);
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

absl::StatusOr<size_t> Socket::Send(SyscallContext&, const SendRequest& req) {
  if (absl::Status s = CheckSend(req.data.size()); !s.ok()) return s;
  return ProtoSend(req);
}

absl::StatusOr<Datagram> Socket::Recv(SyscallContext& ctx, size_t max_len, int flags) {
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
      st.cant_recv = true;  // sorflush: queued datagrams are discarded
      st.Flush();
    }
    if (how != abi::kSHUT_RD) st.cant_send = true;
  }
  st.cv.notify_all();
  poll_waiters().Wake();
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
        std::lock_guard<std::mutex> lock(st.mu);
        switch (name) {
          case abi::kSO_SNDBUF:
            if (n > abi::kSbMaxAdj) return abi::Errno(abi::kENOBUFS);  // sbreserve
            st.snd_hiwat = n;
            if (st.snd_lowat > n) st.snd_lowat = n;
            break;
          case abi::kSO_RCVBUF:
            if (n > abi::kSbMaxAdj) return abi::Errno(abi::kENOBUFS);
            st.rcv_hiwat = n;
            if (st.rcv_lowat > n) st.rcv_lowat = n;
            break;
          case abi::kSO_SNDLOWAT:
            st.snd_lowat = std::min(n, st.snd_hiwat);
            break;
          case abi::kSO_RCVLOWAT:
            st.rcv_lowat = std::min(n, st.rcv_hiwat);
            break;
        }
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
  size_t total = 0;
  for (const UserIoVec& v : iov) total += v.len;
  absl::StatusOr<Datagram> d = Recv(ctx, total, 0);
  if (!d.ok()) return d.status();
  return CopyOutIov(ctx, d->data, iov);
}

absl::StatusOr<size_t> Socket::Write(SyscallContext& ctx, absl::Span<const UserIoVec> iov) {
  absl::StatusOr<std::vector<uint8_t>> data = GatherIov(ctx, iov);
  if (!data.ok()) return data.status();
  SendRequest req;
  req.data = *data;
  return Send(ctx, req);
}

absl::StatusOr<std::vector<uint8_t>> Socket::GatherIov(SyscallContext& ctx,
                                                       absl::Span<const UserIoVec> iov) {
  size_t total = 0;
  for (const UserIoVec& v : iov) {
    if (v.len > SIZE_MAX - total) return abi::Errno(abi::kEINVAL);
    total += v.len;
  }
  // A datagram over SO_SNDBUF fails before anything is copied (and before
  // anything of that size is allocated); a stream takes what fits.
  if (absl::Status s = CheckSend(IsAtomic(type_) ? total : 0); !s.ok()) return s;
  if (!IsAtomic(type_)) total = std::min(total, std::max<size_t>(send_buffer_limit(), 1));
  std::vector<uint8_t> data(total);
  size_t off = 0;
  for (const UserIoVec& v : iov) {
    if (off == total) break;
    const size_t n = std::min(v.len, total - off);
    if (n == 0) continue;
    if (absl::Status s = ctx.mem.CopyIn(v.base, data.data() + off, n); !s.ok()) return s;
    off += n;
  }
  return data;
}

absl::StatusOr<size_t> Socket::CopyOutIov(SyscallContext& ctx, absl::Span<const uint8_t> data,
                                          absl::Span<const UserIoVec> iov) {
  size_t off = 0;
  for (const UserIoVec& v : iov) {
    if (off == data.size()) break;
    const size_t n = std::min(v.len, data.size() - off);
    if (n == 0) continue;
    if (absl::Status s = ctx.mem.CopyOut(data.data() + off, v.base, n); !s.ok()) return s;
    off += n;
  }
  return off;
}

absl::Status Socket::Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) {
  State& st = *state_;
  if (cmd == abi::kFIONREAD) {
    std::lock_guard<std::mutex> lock(st.mu);
    bytes::Store<int32_t>(data, 0, int32_t(std::min<size_t>(st.queued, INT_MAX)));
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONWRITE) {
    bytes::Store<int32_t>(data, 0, 0);  // datagrams leave at once
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONSPACE) {
    bytes::Store<int32_t>(data, 0, int32_t(std::min<size_t>(send_buffer_limit(), INT_MAX)));
    return absl::OkStatus();
  }
  if (cmd == abi::kFIONBIO) {
    const int on = bytes::Load<int32_t>(data, 0);
    SetStatusFlags(on ? flags() | abi::kO_NONBLOCK : flags() & ~abi::kO_NONBLOCK);
    return absl::OkStatus();
  }
  if (cmd == abi::kFIOASYNC) return absl::OkStatus();  // no signals here
  if (cmd == abi::kSIOCATMARK) {
    bytes::Store<int32_t>(data, 0, 0);  // no out-of-band data on datagrams
    return absl::OkStatus();
  }
  if (abi::IoctlGroup(cmd) == 'i') return net_.InterfaceIoctl(ctx, domain_, cmd, data);
  return ProtoIoctl(ctx, cmd, data);
}

int Socket::Poll(int events) {
  State& st = *state_;
  std::lock_guard<std::mutex> lock(st.mu);
  int revents = 0;
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
  ProtoDetach();
  State& st = *state_;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.closed = true;
    st.cant_recv = st.cant_send = true;
    st.Flush();
  }
  st.cv.notify_all();
  poll_waiters().Wake();
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
  return state_->queued;
}

void Socket::SetBufferLimits(size_t send_limit, size_t recv_limit) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->snd_hiwat = send_limit;
  state_->rcv_hiwat = recv_limit;
}

// --- protocol hook defaults

absl::Status Socket::ProtoBind(absl::Span<const uint8_t>) { return abi::Errno(abi::kEOPNOTSUPP); }
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
  return std::make_shared<Socket>(net, domain, type, protocol, file_flags);
}

absl::Status SocketTypeError(int type, int protocol) {
  if (protocol == 0 && type != 0) return abi::Errno(abi::kEPROTOTYPE);
  return abi::Errno(abi::kEPROTONOSUPPORT);
}

}  // namespace rump
