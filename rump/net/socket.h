// Socket: what socket(2) returns (NetBSD's struct socket behind a file).
//
// The socket layer (this class and socket_syscalls.cc) owns everything that
// is the same for every protocol: the socket-level options (SOL_SOCKET),
// the pending error (SO_ERROR), shutdown state, the receive queue of
// datagrams with its byte limit, blocking with SO_RCVTIMEO / SO_SNDTIMEO /
// O_NONBLOCK / MSG_DONTWAIT, poll readiness, and the 'i'-group interface
// ioctls. A protocol (UDP, raw IP; later TCP) subclasses Socket and fills in
// the Proto* hooks; its input path hands received datagrams to
// DeliverDatagram.
//
// Socket addresses cross this interface as NetBSD sockaddr bytes (byte 0
// the length, byte 1 the family) as the caller passed them, except that the
// system calls set byte 0 to the length the caller gave and refuse lengths
// outside 2..255 (NetBSD's sockargs): the protocol parses and validates
// them (NetBSD's pr_usrreq gets an mbuf with the sockaddr too). Addresses
// going out (SockName, PeerName, Datagram::from) are copied to the caller
// truncated to its buffer, and the length stored is the truncated one.
//
// Thread-safe: any number of threads may send, receive, poll and change
// options at once; DeliverDatagram and SetError may be called from driver
// threads. A thread blocked in Recv returns when a datagram arrives, the
// timeout passes, the socket is shut down for reading or closed, an error is
// posted, or the calling process is interrupted (EINTR).
#ifndef RUMP_NET_SOCKET_H_
#define RUMP_NET_SOCKET_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/kern/file.h"

namespace rump {

class NetStack;

// One received datagram as recvmsg(2) returns it.
struct Datagram {
  std::string from;               // sender's sockaddr bytes (may be empty)
  std::vector<uint8_t> data;      // the payload (for raw IP: the IP packet)
  std::string control;            // cmsg bytes, NetBSD layout (IP_RECVDSTADDR...)
  int msg_flags = 0;              // MSG_TRUNC, set by Recv; a protocol may
                                  // set MSG_BCAST / MSG_MCAST (kept)
};

// The arguments of one send (sendto / sendmsg / write).
struct SendRequest {
  absl::Span<const uint8_t> data;  // the gathered payload
  absl::Span<const uint8_t> to;    // destination sockaddr bytes; empty: none
  absl::Span<const uint8_t> control;  // cmsg bytes; empty: none
  int flags = 0;                   // MSG_*
};

class Socket : public File {
 public:
  // `file_flags` are open(2) flags (O_RDWR, O_NONBLOCK).
  Socket(NetStack& net, int domain, int type, int protocol, int file_flags);
  ~Socket() override;

  int domain() const { return domain_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  NetStack& net() const { return net_; }

  // --- the socket system calls (socket_syscalls.cc calls these after
  // copying the arguments in)
  absl::Status Bind(SyscallContext& ctx, absl::Span<const uint8_t> addr);
  // A sockaddr with family AF_UNSPEC disconnects a datagram socket, as
  // NetBSD's soconnect does: ProtoDisconnect is called (its ENOTCONN, when
  // not connected, is ignored; another error gives EISCONN) and the call
  // then fails with EAFNOSUPPORT, which is what NetBSD's protocols answer
  // for the null address after the disconnect. Anything else: ProtoConnect.
  absl::Status Connect(SyscallContext& ctx, absl::Span<const uint8_t> addr);
  // Returns the number of bytes sent. In NetBSD's order: EPIPE after
  // shutdown for writing, then the pending error (returned and cleared),
  // then EMSGSIZE for a datagram (SOCK_DGRAM/RAW/RDM/SEQPACKET) larger than
  // SO_SNDBUF, then ProtoSend. Datagram sends never block.
  absl::StatusOr<size_t> Send(SyscallContext& ctx, const SendRequest& req);
  // Receives one datagram of at most `max_len` bytes; when it is longer
  // MSG_TRUNC is set in msg_flags and, unless MSG_PEEK, the rest is dropped
  // (NetBSD sets MSG_TRUNC with MSG_PEEK too). MSG_PEEK leaves it queued.
  // Order, as soreceive: a queued datagram first; then the pending error
  // (returned, and cleared unless MSG_PEEK); then end of file (0 bytes, an
  // empty Datagram) after shutdown(SHUT_RD); then EAGAIN if the file is
  // O_NONBLOCK or `flags` has MSG_DONTWAIT/MSG_NBIO; otherwise it sleeps
  // until one of those happens, SO_RCVTIMEO passes (EAGAIN, NetBSD's
  // EWOULDBLOCK), the process is interrupted (EINTR), or the last
  // descriptor is closed under it (EBADF, as NetBSD's restarted call sees).
  virtual absl::StatusOr<Datagram> Recv(SyscallContext& ctx, size_t max_len, int flags);
  absl::StatusOr<std::string> SockName() const;
  absl::StatusOr<std::string> PeerName() const;  // ENOTCONN when not connected
  // SHUT_RD discards the queue and makes later receives return end of file
  // (waking blocked readers); SHUT_WR makes sends fail with EPIPE; EINVAL
  // for anything else. Not connected is no error (NetBSD 7).
  absl::Status Shutdown(int how);
  // `level` SOL_SOCKET is handled here (an accepted value is then passed
  // to ProtoSetOption too, so a protocol may watch it; its answer is
  // ignored); other levels go to the protocol. SOL_SOCKET values have
  // NetBSD's exact sizes (EINVAL otherwise): int (4 bytes) for the flags
  // SO_DEBUG, SO_KEEPALIVE,
  // SO_DONTROUTE, SO_USELOOPBACK, SO_BROADCAST, SO_REUSEADDR, SO_REUSEPORT,
  // SO_OOBINLINE, SO_TIMESTAMP, SO_NOSIGPIPE and for SO_SNDBUF / SO_RCVBUF
  // (EINVAL below 1, ENOBUFS above sb_max_adj = 209715) and the low
  // water marks; struct linger (8) for SO_LINGER (EDOM for a bad time);
  // struct timeval (16) for SO_SNDTIMEO / SO_RCVTIMEO (EDOM when out of
  // range; kept in 10 ms ticks, rounded down, at least one tick). Others,
  // including the read-only SO_ERROR and SO_TYPE: ENOPROTOOPT.
  absl::Status SetOption(int level, int name, absl::Span<const uint8_t> value);
  // The option's value bytes (the syscall layer truncates them to the
  // caller's length as getsockopt does). SOL_SOCKET: the options above
  // (flags read as 0 or 1), SO_ACCEPTCONN, SO_TYPE, SO_ERROR (reading it
  // clears it), SO_OVERFLOWED (drops); ENOPROTOOPT for unknown names.
  absl::StatusOr<std::string> GetOption(int level, int name);

  // Copies in the payload of a send from user buffers, after the checks
  // Send makes before anything else (EPIPE, pending error, EMSGSIZE), so an
  // oversized datagram fails before anything is copied or allocated. A
  // stream socket's payload is cut to SO_SNDBUF.
  absl::StatusOr<std::vector<uint8_t>> GatherIov(SyscallContext& ctx,
                                                 absl::Span<const UserIoVec> iov);
  // Copies `data` out across the user buffers; returns the bytes copied.
  static absl::StatusOr<size_t> CopyOutIov(SyscallContext& ctx,
                                           absl::Span<const uint8_t> data,
                                           absl::Span<const UserIoVec> iov);

  // --- File
  absl::StatusOr<size_t> Read(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override;
  absl::StatusOr<size_t> Write(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override;
  // Read = Recv without an address (one datagram across the buffers);
  // Write = Send of the gathered buffers with an empty `to` (an unconnected
  // datagram socket's protocol answers EDESTADDRREQ).
  // 'i' group: the interface ioctls; FIONREAD: NetBSD's so_rcv.sb_cc, the
  // bytes of every queued datagram including its sender address and control
  // (what DeliverDatagram charges), not just the next payload; FIONWRITE 0;
  // FIONSPACE SO_SNDBUF; SIOCATMARK 0; FIONBIO sets O_NONBLOCK (normally the
  // generic ioctl layer does that before we are called); FIOASYNC accepted;
  // anything else: ProtoIoctl (default EOPNOTSUPP).
  absl::Status Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) override;
  // NetBSD's sopoll: POLLIN/POLLRDNORM when a datagram is queued, reading
  // is shut down, the socket is closed or an error is pending; POLLOUT /
  // POLLWRNORM always for datagram sockets (no send queue), and for any
  // socket when a write would fail at once (shut down for writing, error
  // pending). Like NetBSD, sockets never report POLLERR/POLLHUP.
  int Poll(int events) override;
  // Detaches the protocol (ProtoDetach), discards the queue and wakes every
  // blocked reader (EBADF) and poller.
  void LastClose() override;

  // --- for protocols
  // Queues a received datagram; false (and counted as a drop) when it does
  // not fit in the space left under SO_RCVBUF (NetBSD's sbspace: payload +
  // sender address + control bytes are charged; the mbuf overhead is not
  // modelled) or reading was shut down or the socket closed. Wakes readers
  // and pollers. Callable from any thread, with no protocol lock needed
  // (it takes only the socket layer's own lock, and never calls back into
  // the protocol).
  bool DeliverDatagram(Datagram d);
  // Posts an asynchronous error (so_error, e.g. ECONNREFUSED from an ICMP
  // port unreachable); wakes readers, writers and pollers.
  void SetError(int netbsd_errno);
  // Socket-level option values the protocols read.
  bool reuse_addr() const;
  bool reuse_port() const;
  bool broadcast_allowed() const;
  bool dont_route() const;         // SO_DONTROUTE
  size_t recv_buffer_limit() const;
  size_t send_buffer_limit() const;
  uint64_t receive_drops() const;  // datagrams dropped for a full queue
  size_t receive_queue_bytes() const;  // bytes charged against SO_RCVBUF

 protected:
  // Defaults for SO_SNDBUF / SO_RCVBUF (the protocol's sendspace /
  // recvspace), called by the protocol's constructor. Without it a socket
  // has 8192 / 8192.
  void SetBufferLimits(size_t send_limit, size_t recv_limit);

  // --- protocol hooks (NetBSD's pr_usrreqs). Defaults: EOPNOTSUPP, but
  // ENOPROTOOPT for the two option hooks (NetBSD's answer for a protocol
  // without pr_ctloutput) and ENOTCONN for ProtoPeerName (never
  // connected). They are called without socket-layer locks held.
  virtual absl::Status ProtoBind(absl::Span<const uint8_t> addr);
  virtual absl::Status ProtoConnect(absl::Span<const uint8_t> addr);
  virtual absl::Status ProtoDisconnect();
  virtual absl::StatusOr<size_t> ProtoSend(const SendRequest& req);
  virtual absl::StatusOr<std::string> ProtoSockName() const;
  virtual absl::StatusOr<std::string> ProtoPeerName() const;
  virtual absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value);
  virtual absl::StatusOr<std::string> ProtoGetOption(int level, int name);
  virtual absl::Status ProtoIoctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data);
  // The last descriptor was closed: leave the protocol's tables (after
  // this the protocol must not call DeliverDatagram, though calls that
  // race with it are harmless).
  virtual void ProtoDetach() {}

 private:
  NetStack& net_;
  const int domain_;
  const int type_;
  const int protocol_;
  // EPIPE / pending error / EMSGSIZE for a send of `len` bytes.
  absl::Status CheckSend(size_t len);

  // The socket layer's state (options, queue, error, shutdown flags) lives
  // here; see socket.cc. Pollers wait on File::poll_waiters().
  struct State;
  std::unique_ptr<State> state_;
};

// Makes the socket for socket(domain, type, protocol) once the type flags
// (SOCK_CLOEXEC, SOCK_NONBLOCK) are taken off; `file_flags` as above. Errors
// are NetBSD's: EPROTOTYPE, EPROTONOSUPPORT.
using SocketFactory = std::function<absl::StatusOr<std::shared_ptr<Socket>>(
    NetStack& net, int domain, int type, int protocol, int file_flags)>;

// The factory of the domains the interface layer serves itself, AF_ROUTE
// and AF_LINK: plain Sockets (no protocol behind them yet) for the (type,
// protocol) pairs NetBSD's protocol switch tables accept.
absl::StatusOr<std::shared_ptr<Socket>> MakeBasicSocket(NetStack& net, int domain,
                                                        int type, int protocol,
                                                        int file_flags);

// socreate's answer when no protocol switch entry of a domain matches
// (type, protocol): EPROTOTYPE for a known protocol 0 with a type no entry
// has, EPROTONOSUPPORT otherwise.
absl::Status SocketTypeError(int type, int protocol);

}  // namespace rump

#endif  // RUMP_NET_SOCKET_H_
