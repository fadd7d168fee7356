#include "rump/net/socket_syscalls.h"

#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rump/abi/errno.h"
#include "rump/abi/ioctl.h"
#include "rump/abi/socket.h"
#include "rump/abi/syscalls.h"
#include "rump/kern/iov.h"
#include "rump/kern/process.h"
#include "rump/net/bytes.h"
#include "rump/net/socket.h"

namespace rump {
namespace {

using Result = absl::StatusOr<SyscallReturn>;

SyscallReturn Ret(int64_t rv0) { return SyscallReturn{rv0, 0}; }

// getsock(): the socket behind `fd`.
absl::StatusOr<std::shared_ptr<Socket>> GetSocket(SyscallContext& ctx, int fd) {
  absl::StatusOr<std::shared_ptr<File>> f = ctx.process.fds().Get(fd);
  if (!f.ok()) return f.status();
  std::shared_ptr<Socket> so = std::dynamic_pointer_cast<Socket>(*f);
  if (!so) return abi::Errno(abi::kENOTSOCK);
  return so;
}

// sockargs(MT_SONAME): a socket address of 2..255 bytes (EINVAL otherwise)
// whose sa_len byte is replaced by the length the caller gave.
absl::StatusOr<std::vector<uint8_t>> CopyInSockaddr(SyscallContext& ctx, UserAddr addr,
                                                    uint32_t len) {
  if (len > UCHAR_MAX || len < abi::kSaDataOff) return abi::Errno(abi::kEINVAL);
  std::vector<uint8_t> sa(len);
  if (absl::Status s = ctx.mem.CopyIn(addr, sa.data(), len); !s.ok()) return s;
  sa[abi::kSaLenOff] = uint8_t(len);
  return sa;
}

// copyout_sockname(): copies min(*len, name size) bytes of `name` to `asa`
// and stores that length in *len (EINVAL if *len, as an int, is negative).
// Nothing at all when `asa` is null.
absl::Status CopyOutSockname(SyscallContext& ctx, UserAddr asa, int32_t* len,
                             const std::string& name) {
  if (asa == 0) return absl::OkStatus();
  if (*len < 0) return abi::Errno(abi::kEINVAL);
  const size_t n = std::min<size_t>(size_t(*len), name.size());
  if (n > 0) {
    if (absl::Status s = ctx.mem.CopyOut(name.data(), asa, n); !s.ok()) return s;
  }
  *len = int32_t(n);
  return absl::OkStatus();
}

// The same with the length in user memory at `alen`.
absl::Status CopyOutSocknameUser(SyscallContext& ctx, UserAddr asa, UserAddr alen,
                                 const std::string& name) {
  if (asa == 0) return absl::OkStatus();
  absl::StatusOr<int32_t> len = CopyInValue<int32_t>(ctx.mem, alen);
  if (!len.ok()) return len.status();
  int32_t l = *len;
  if (absl::Status s = CopyOutSockname(ctx, asa, &l, name); !s.ok()) return s;
  return CopyOutValue(ctx.mem, l, alen);
}

// bind(2) and connect(2): a descriptor and a sockaddr handed to `op`.
using AddressOp = absl::Status (Socket::*)(SyscallContext&, absl::Span<const uint8_t>);
template <AddressOp op>
Result WithAddress(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  absl::StatusOr<std::vector<uint8_t>> sa = CopyInSockaddr(ctx, a.Ptr(1), a.UInt(2));
  if (!sa.ok()) return sa.status();
  if (absl::Status s = ((**so).*op)(ctx, *sa); !s.ok()) return s;
  return Ret(0);
}

// listen(s, backlog)
Result Listen(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  if (absl::Status s = (*so)->Listen(a.Int(1)); !s.ok()) return s;
  return Ret(0);
}

// accept(s, name, anamelen) and paccept(s, name, anamelen, mask, flags)
// (do_sys_accept): the new descriptor takes the listener's file flags
// (accept) or O_NONBLOCK from SOCK_NONBLOCK only (paccept, which also
// honours SOCK_CLOEXEC); the peer address is copied out as getpeername
// does, and if that fails the new descriptor is closed again. paccept's
// signal mask is copied in (EFAULT) and otherwise ignored: this kernel has
// no signals, nor SOCK_NOSIGPIPE's SIGPIPE to suppress.
Result DoAccept(SyscallContext& ctx, const SyscallArgs& a, bool paccept) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  uint32_t flags = 0;
  if (paccept) {
    if (a.Ptr(3) != 0) {
      uint8_t mask[abi::kSigsetSize];
      if (absl::Status s = ctx.mem.CopyIn(a.Ptr(3), mask, sizeof(mask)); !s.ok()) return s;
    }
    flags = a.UInt(4);
  }
  absl::StatusOr<AcceptedConnection> c = (*so)->Accept(ctx);
  if (!c.ok()) return c.status();
  int file_flags = (*so)->flags();
  if (paccept) {
    file_flags &= ~abi::kO_NONBLOCK;
    if (flags & abi::kSOCK_NONBLOCK) file_flags |= abi::kO_NONBLOCK;
  }
  c->socket->SetStatusFlags(file_flags);
  std::shared_ptr<Socket> accepted = c->socket;
  absl::StatusOr<int> fd = ctx.process.fds().Install(
      std::move(c->socket), paccept && (flags & abi::kSOCK_CLOEXEC) != 0);
  if (!fd.ok()) {
    accepted->LastClose();  // never installed: nobody else will close it
    return fd.status();
  }
  if (absl::Status s = CopyOutSocknameUser(ctx, a.Ptr(1), a.Ptr(2), c->peer); !s.ok()) {
    (void)ctx.process.fds().Close(*fd);
    return s;
  }
  return Ret(*fd);
}

// The common part of sendto and sendmsg (do_sys_sendmsg).
Result DoSend(SyscallContext& ctx, Socket& so, absl::Span<const UserIoVec> iov, UserAddr name,
              uint32_t namelen, UserAddr control, uint32_t controllen, int flags) {
  std::vector<uint8_t> to;
  if (name != 0) {
    absl::StatusOr<std::vector<uint8_t>> sa = CopyInSockaddr(ctx, name, namelen);
    if (!sa.ok()) return sa.status();
    to = std::move(*sa);
  }
  std::vector<uint8_t> cmsg;
  if (control != 0) {
    if (controllen < abi::CmsgAlign(abi::kCmsghdrSize) || controllen > abi::kMaxOptionLen) {
      return abi::Errno(abi::kEINVAL);
    }
    cmsg.resize(controllen);
    if (absl::Status s = ctx.mem.CopyIn(control, cmsg.data(), controllen); !s.ok()) return s;
  }
  absl::StatusOr<size_t> n = so.SendIov(ctx, iov, to, cmsg, flags);
  if (!n.ok()) return n.status();
  return Ret(int64_t(*n));
}

// sendto(s, buf, len, flags, to, tolen)
Result Sendto(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  const UserIoVec iov{a.Ptr(1), a.Size(2)};
  if (iov.len > size_t{INT64_MAX}) return abi::Errno(abi::kEINVAL);
  return DoSend(ctx, **so, absl::MakeConstSpan(&iov, 1), a.Ptr(4), a.UInt(5), 0, 0, a.Int(3));
}

// A NetBSD struct msghdr, decoded.
struct MsgHdr {
  uint8_t raw[abi::kMsghdrSize];
  UserAddr name() const { return bytes::Load<uint64_t>(raw, abi::kMsgNameOff); }
  uint32_t namelen() const { return bytes::Load<uint32_t>(raw, abi::kMsgNamelenOff); }
  UserAddr iov() const { return bytes::Load<uint64_t>(raw, abi::kMsgIovOff); }
  int32_t iovlen() const { return bytes::Load<int32_t>(raw, abi::kMsgIovlenOff); }
  UserAddr control() const { return bytes::Load<uint64_t>(raw, abi::kMsgControlOff); }
  uint32_t controllen() const { return bytes::Load<uint32_t>(raw, abi::kMsgControllenOff); }
};

absl::StatusOr<MsgHdr> CopyInMsghdr(SyscallContext& ctx, UserAddr addr) {
  MsgHdr m;
  if (absl::Status s = ctx.mem.CopyIn(addr, m.raw, sizeof(m.raw)); !s.ok()) return s;
  return m;
}

// msg_iov of a sendmsg/recvmsg: EMSGSIZE for more than IOV_MAX entries.
absl::StatusOr<std::vector<UserIoVec>> MsgIov(SyscallContext& ctx, const MsgHdr& m) {
  if (uint32_t(m.iovlen()) > uint32_t(abi::kIOV_MAX)) return abi::Errno(abi::kEMSGSIZE);
  return CopyInIov(ctx.mem, m.iov(), m.iovlen());
}

// sendmsg(s, msg, flags)
Result Sendmsg(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  absl::StatusOr<MsgHdr> m = CopyInMsghdr(ctx, a.Ptr(1));
  if (!m.ok()) return m.status();
  absl::StatusOr<std::vector<UserIoVec>> iov = MsgIov(ctx, *m);
  if (!iov.ok()) return iov.status();
  return DoSend(ctx, **so, *iov, m->name(), m->namelen(), m->control(), m->controllen(), a.Int(2));
}

// One receive into `iov` (do_sys_recvmsg).
absl::StatusOr<RecvResult> DoRecv(SyscallContext& ctx, Socket& so, absl::Span<const UserIoVec> iov,
                                  int flags) {
  return so.RecvIov(ctx, iov, flags & abi::kMSG_USERFLAGS);
}

// recvfrom(s, buf, len, flags, from, fromlenaddr)
Result Recvfrom(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  const UserIoVec iov{a.Ptr(1), a.Size(2)};
  if (iov.len > size_t{INT64_MAX}) return abi::Errno(abi::kEINVAL);
  absl::StatusOr<RecvResult> d = DoRecv(ctx, **so, absl::MakeConstSpan(&iov, 1), a.Int(3));
  if (!d.ok()) return d.status();
  if (absl::Status s = CopyOutSocknameUser(ctx, a.Ptr(4), a.Ptr(5), d->from); !s.ok()) {
    return s;
  }
  return Ret(int64_t(d->bytes));
}

// recvmsg(s, msg, flags): the msghdr is copied back with msg_namelen,
// msg_controllen and msg_flags updated.
Result Recvmsg(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  absl::StatusOr<MsgHdr> m = CopyInMsghdr(ctx, a.Ptr(1));
  if (!m.ok()) return m.status();
  absl::StatusOr<std::vector<UserIoVec>> iov = MsgIov(ctx, *m);
  if (!iov.ok()) return iov.status();
  const int flags = a.Int(2) & abi::kMSG_USERFLAGS;
  absl::StatusOr<RecvResult> d = DoRecv(ctx, **so, *iov, flags);
  if (!d.ok()) return d.status();
  // soreceive hands back the call's flags with its own added.
  int msg_flags = (flags & ~abi::kMSG_EOR) | d->msg_flags;
  if (m->control() != 0) {  // copyout_msg_control
    const uint32_t room = m->controllen();
    uint32_t copied = 0;
    if (int32_t(room) > 0 && !d->control.empty()) {
      copied = uint32_t(std::min<size_t>(room, d->control.size()));
      if (copied < d->control.size()) msg_flags |= abi::kMSG_CTRUNC;
      if (absl::Status s = ctx.mem.CopyOut(d->control.data(), m->control(), copied); !s.ok()) {
        return s;
      }
    }
    bytes::Store<uint32_t>(absl::MakeSpan(m->raw), abi::kMsgControllenOff, copied);
  }
  if (m->name() != 0) {
    int32_t len = int32_t(m->namelen());
    if (absl::Status s = CopyOutSockname(ctx, m->name(), &len, d->from); !s.ok()) return s;
    bytes::Store<uint32_t>(absl::MakeSpan(m->raw), abi::kMsgNamelenOff, uint32_t(len));
  }
  bytes::Store<int32_t>(absl::MakeSpan(m->raw), abi::kMsgFlagsOff, msg_flags & abi::kMSG_USERFLAGS);
  if (absl::Status s = ctx.mem.CopyOut(m->raw, a.Ptr(1), sizeof(m->raw)); !s.ok()) return s;
  return Ret(int64_t(d->bytes));
}

// getsockname / getpeername (fd, asa, alen)
Result Name(SyscallContext& ctx, const SyscallArgs& a, bool peer) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  absl::StatusOr<std::string> name = peer ? (*so)->PeerName() : (*so)->SockName();
  if (!name.ok()) return name.status();
  if (absl::Status s = CopyOutSocknameUser(ctx, a.Ptr(1), a.Ptr(2), *name); !s.ok()) return s;
  return Ret(0);
}

// setsockopt(s, level, name, val, valsize)
Result Setsockopt(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  const uint32_t len = a.UInt(4);
  if (len > abi::kMaxOptionLen) return abi::Errno(abi::kEINVAL);
  std::vector<uint8_t> val;
  if (a.Ptr(3) != 0 && len > 0) {
    val.resize(len);
    if (absl::Status s = ctx.mem.CopyIn(a.Ptr(3), val.data(), len); !s.ok()) return s;
  }
  if (absl::Status s = (*so)->SetOption(a.Int(1), a.Int(2), val); !s.ok()) return s;
  return Ret(0);
}

// getsockopt(s, level, name, val, avalsize): copies out min(*avalsize,
// value size) bytes and stores that length.
Result Getsockopt(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  const UserAddr val = a.Ptr(3), alen = a.Ptr(4);
  uint32_t valsize = 0;
  if (val != 0) {
    absl::StatusOr<uint32_t> l = CopyInValue<uint32_t>(ctx.mem, alen);
    if (!l.ok()) return l.status();
    valsize = *l;
    if (valsize > abi::kMaxOptionLen) return abi::Errno(abi::kEINVAL);
  }
  absl::StatusOr<std::string> v = (*so)->GetOption(a.Int(1), a.Int(2));
  if (!v.ok()) return v.status();
  if (val != 0 && valsize > 0) {
    const uint32_t n = uint32_t(std::min<size_t>(valsize, v->size()));
    if (n > 0) {
      if (absl::Status s = ctx.mem.CopyOut(v->data(), val, n); !s.ok()) return s;
    }
    if (absl::Status s = CopyOutValue(ctx.mem, n, alen); !s.ok()) return s;
  }
  return Ret(0);
}

Result Shutdown(SyscallContext& ctx, const SyscallArgs& a) {
  absl::StatusOr<std::shared_ptr<Socket>> so = GetSocket(ctx, a.Int(0));
  if (!so.ok()) return so.status();
  if (absl::Status s = (*so)->Shutdown(a.Int(1)); !s.ok()) return s;
  return Ret(0);
}

}  // namespace

void RegisterSocketSyscalls(SyscallTable& t) {
  t.Register(abi::kSysBind, WithAddress<&Socket::Bind>);
  t.Register(abi::kSysConnect, WithAddress<&Socket::Connect>);
  t.Register(abi::kSysListen, Listen);
  t.Register(abi::kSysAccept,
             [](SyscallContext& ctx, const SyscallArgs& a) { return DoAccept(ctx, a, false); });
  t.Register(abi::kSysPaccept,
             [](SyscallContext& ctx, const SyscallArgs& a) { return DoAccept(ctx, a, true); });
  t.Register(abi::kSysSendto, Sendto);
  t.Register(abi::kSysSendmsg, Sendmsg);
  t.Register(abi::kSysRecvfrom, Recvfrom);
  t.Register(abi::kSysRecvmsg, Recvmsg);
  t.Register(abi::kSysGetsockname,
             [](SyscallContext& ctx, const SyscallArgs& a) { return Name(ctx, a, false); });
  t.Register(abi::kSysGetpeername,
             [](SyscallContext& ctx, const SyscallArgs& a) { return Name(ctx, a, true); });
  t.Register(abi::kSysSetsockopt, Setsockopt);
  t.Register(abi::kSysGetsockopt, Getsockopt);
  t.Register(abi::kSysShutdown, Shutdown);
}

}  // namespace rump
