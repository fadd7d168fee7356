// Socket: what socket(2) returns (NetBSD's struct socket behind a file).
//
// The socket layer (this class and socket_syscalls.cc) owns everything that
// is the same for every protocol, as NetBSD's uipc_socket.c and
// uipc_socket2.c do: the socket-level options (SOL_SOCKET), the pending
// error (SO_ERROR), the shutdown and connection states, the socket buffers
// with their high- and low-water marks, blocking with SO_RCVTIMEO /
// SO_SNDTIMEO / O_NONBLOCK / MSG_DONTWAIT, listen and accept queues, poll
// readiness, and the 'i'-group interface ioctls. A protocol (UDP, raw IP;
// later TCP) subclasses Socket and fills in the Proto* hooks.
//
// Two kinds of socket share the layer, chosen by the socket type:
//
// Datagram sockets (SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET): a
// receive queue of whole datagrams charged against SO_RCVBUF (the protocol's
// input path hands them to DeliverDatagram); sends go to ProtoSend at once,
// whole or not at all (EMSGSIZE above SO_SNDBUF), and never block; there is
// no send queue, so they always poll writable; listen and accept answer
// EOPNOTSUPP.
//
// Stream sockets (SOCK_STREAM; NetBSD's PR_CONNREQUIRED | PR_LISTEN |
// PR_WANTRCVD protocols): a byte-stream receive buffer and a send buffer.
// The layer does the buffering, blocking and readiness; the protocol moves
// bytes:
//
//   send(2)   the layer appends the caller's bytes to the send buffer as
//             space under SO_SNDBUF allows (copying them in at most one
//             buffer's worth at a time), calling ProtoOutput after each
//             append. The protocol reads the buffer with CopySendBuffer and
//             drops what the peer has acknowledged with DropSendBuffer,
//             which wakes blocked writers.
//   input     the protocol appends received bytes with AppendStream and
//             marks the end of the peer's data with CantRecvMore.
//   recv(2)   the layer copies bytes out to the caller and then calls
//             ProtoRcvd, so the protocol can open its window (and pull
//             more data in).
//   connect   ProtoConnect starts the connection and calls SetConnecting,
//             or SetConnected if it is immediate; later SetConnected,
//             SetError / SetDisconnected end the wait of a blocking
//             connect(2).
//   listen    ProtoListen, then the layer marks the socket listening.
//             For an incoming connection the protocol calls NewConnection
//             on the listener (sonewconn): a new socket of the protocol,
//             made by ProtoNewConnection and queued on the listener,
//             becomes acceptable once SetConnected is called on it.
//   shutdown  SHUT_WR marks the socket unable to send (later sends EPIPE)
//             and calls ProtoShutdown; SHUT_RD discards the receive buffer
//             and makes reads return end of file.
//   close     a listener's queued connections are aborted (ProtoAbort on
//             each); then ProtoDetach. A stream protocol may keep reading
//             and dropping the send buffer after ProtoDetach to finish
//             transmission, holding a shared_ptr to the socket.
//
// Socket addresses cross this interface as NetBSD sockaddr bytes (byte 0
// the length, byte 1 the family) as the caller passed them, except that the
// system calls set byte 0 to the length the caller gave and refuse lengths
// outside 2..255 (NetBSD's sockargs): the protocol parses and validates
// them (NetBSD's pr_usrreq gets an mbuf with the sockaddr too). Addresses
// going out (SockName, PeerName, the accepted peer, Datagram::from) are
// copied to the caller truncated to its buffer, and the length stored is
// the truncated one.
//
// Socket buffer memory (RLIMIT_SBSIZE; rump/kern/socket_buffer_account.h):
// a socket's two high-water marks (SO_SNDBUF + SO_RCVBUF) are charged to
// an account, as NetBSD's sbreserve charges them to the owner's uid; here
// to a process, not a uid (see there). socket(2) charges the caller's
// process (ChargeBuffers; ENOBUFS, and no socket, if the marks do not
// fit); a connection made by NewConnection is charged to its listener's
// account (beyond the limit it is dropped as if the queue were full) and
// moves to the process that accepts it if it fits there (otherwise it
// stays where it is). SO_SNDBUF / SO_RCVBUF charge the difference (ENOBUFS
// if a raise does not fit; the old size stays); automatic growth
// (GrowSendBuffer, GrowRecvBuffer) that does not fit stops for good, as in
// NetBSD. Decreases always succeed. The charge is given back, whole, when
// the buffers are no longer needed: at the last close, except for a
// stream whose connection is still up or closing, which gives it back
// when the protocol calls SetDisconnected (TCP: on entering TIME_WAIT or
// CLOSED; NetBSD keeps it through TIME_WAIT, until sofree, but TIME_WAIT
// holds no data); at the latest when the socket is destroyed. A socket
// made without ChargeBuffers (inside the kernel) is charged to nobody.
//
// Signals: this kernel posts none, so where NetBSD raises SIGPIPE with
// EPIPE (unless MSG_NOSIGNAL / SO_NOSIGPIPE) a send only fails with EPIPE.
//
// Ownership: a Socket is always owned by a std::shared_ptr (File's rule);
// the layer uses weak_from_this() to link queued connections to their
// listener, so a subclass must not add an enable_shared_from_this base of
// its own (downcast shared_from_this() instead).
//
// Thread-safety: any number of threads may send, receive, accept, connect,
// poll and change options at once, from any processes that share the
// socket. The protocol-facing methods ("for protocols" below) may be called
// from any thread (driver threads, timers, other sockets' system calls);
// they take only the socket layer's own locks (this socket's, and for
// SetConnected / SetDisconnected of a queued connection its listener's,
// one at a time), never hold one while calling out, and never call a
// Proto* hook, so a protocol may call them with its own locks held. The
// exception is NewConnection, which calls ProtoNewConnection on the
// listener (and ProtoAbort on the new socket if the listener closed
// meanwhile): call it without holding locks those hooks take. The layer
// calls the Proto* hooks without any socket-layer lock held (a hook may
// call back into the layer, on this socket or another), from the thread
// of the system call (or of LastClose, or of the protocol's own
// NewConnection call).
//
// Blocking: every wait is an interruptible SleepUntil (rump/kern/sleep.h).
// A blocked call returns when its condition is met, its timeout passes
// (SO_RCVTIMEO for receives, SO_SNDTIMEO for sends; each wait gets the full
// timeout, as NetBSD's sbwait does), the socket is shut down, an error is
// posted, the last descriptor is closed under it (EBADF for a receive,
// accept or connect, EPIPE for a send), or the calling process is
// interrupted or the kernel halts (EINTR). On a stream each wait of a send
// or receive gets the full timeout (NetBSD's sbwait), and a send or
// receive that already moved bytes returns their count instead of a
// timeout or EINTR; a datagram receive has one deadline.
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
#include "rump/kern/process.h"
#include "rump/kern/socket_buffer_account.h"

namespace rump {

class NetStack;
class Socket;

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
  int pid = 0;                     // the sending process
  Credentials cred;                // and its credentials
};

// What one receive into user buffers produced (recvfrom / recvmsg / read).
struct RecvResult {
  size_t bytes = 0;     // copied to the caller's buffers
  std::string from;     // sender's sockaddr bytes (datagrams; empty for streams)
  std::string control;  // cmsg bytes (datagrams)
  int msg_flags = 0;    // MSG_TRUNC, MSG_BCAST, MSG_MCAST
};

// A connection taken off a listener's queue by Accept.
struct AcceptedConnection {
  std::shared_ptr<Socket> socket;
  std::string peer;  // ProtoAccept's answer: the peer's sockaddr bytes
};

class Socket : public File, public std::enable_shared_from_this<Socket> {
 public:
  // `file_flags` are open(2) flags (O_RDWR, O_NONBLOCK).
  Socket(NetStack& net, int domain, int type, int protocol, int file_flags);
  ~Socket() override;

  int domain() const { return domain_; }
  int type() const { return type_; }
  int protocol() const { return protocol_; }
  NetStack& net() const { return net_; }
  // SOCK_STREAM: byte-stream buffers, connections, listen and accept.
  bool is_stream() const { return stream_; }

  // --- the socket system calls (socket_syscalls.cc calls these after
  // copying the arguments in)
  absl::Status Bind(SyscallContext& ctx, absl::Span<const uint8_t> addr);
  // Datagram sockets: a sockaddr with family AF_UNSPEC disconnects, as
  // NetBSD's soconnect does: ProtoDisconnect is called (its ENOTCONN, when
  // not connected, is ignored; another error gives EISCONN) and the call
  // then fails with EAFNOSUPPORT, which is what NetBSD's protocols answer
  // for the null address after the disconnect. Anything else: ProtoConnect.
  //
  // Stream sockets (do_sys_connect + soconnect): EALREADY while a connect
  // is in progress; EOPNOTSUPP on a listening socket; EISCONN when
  // connected (whatever the address); EAFNOSUPPORT for AF_UNSPEC; then
  // ProtoConnect, which calls SetConnecting or SetConnected (its error is
  // returned). A non-blocking socket still connecting then gets
  // EINPROGRESS; a blocking one sleeps until it is connected or an error is
  // posted (no timeout), and returns the pending error (clearing it). EINTR
  // leaves the connect in progress (a later connect gets EALREADY).
  absl::Status Connect(SyscallContext& ctx, absl::Span<const uint8_t> addr);
  // listen(2) (solisten): EOPNOTSUPP for datagram sockets; EINVAL if
  // connected, connecting or disconnecting; then ProtoListen (default
  // EOPNOTSUPP). The socket then listens (SO_ACCEPTCONN reads 1) with a
  // backlog of min(max(backlog, 0), SOMAXCONN = 128); listen again only
  // changes the backlog. NetBSD's sonewconn admits a connection while the
  // queued ones (incomplete and complete) number at most 3 * backlog / 2.
  absl::Status Listen(int backlog);
  // accept(2) (do_sys_accept): EOPNOTSUPP for datagram sockets, EINVAL if
  // not listening; EAGAIN (EWOULDBLOCK) when the file is O_NONBLOCK and no
  // connection is complete; otherwise sleeps (no timeout) until one is,
  // an error is posted (returned and cleared), the socket is shut down for
  // reading (ECONNABORTED), closed (EBADF) or the process interrupted
  // (EINTR). The connection is taken off the queue, ProtoAccept gives its
  // peer address (on error the connection is closed and the error
  // returned). The caller owns the socket: it installs it in a descriptor
  // table (or calls LastClose) and sets its file flags.
  absl::StatusOr<AcceptedConnection> Accept(SyscallContext& ctx);

  // sendto / sendmsg / write / writev from user buffers; returns the bytes
  // sent. Datagram sockets: GatherIov, then Send. Stream sockets (sosend):
  // EINVAL for control data (none is defined for streams yet); `to` is
  // ignored (as NetBSD's TCP does). Each round checks, in order: EPIPE
  // after shutdown for writing, disconnection or close; the pending error
  // (returned and cleared); ENOTCONN unless connected; then, if the space
  // under SO_SNDBUF is smaller than the rest of the data and smaller than
  // SO_SNDLOWAT, it fails with EAGAIN (O_NONBLOCK, MSG_DONTWAIT, MSG_NBIO)
  // or sleeps for space; otherwise it copies in what fits, appends it and
  // calls ProtoOutput. It returns when everything is appended; on EAGAIN,
  // an SO_SNDTIMEO timeout or EINTR after some bytes were appended it
  // returns their count instead of the error (do_sys_sendmsg); other errors
  // (EPIPE, EFAULT, the protocol's) are returned even then, as in NetBSD.
  // MSG_DONTWAIT makes a send non-blocking as in current NetBSD (NetBSD 7
  // only honoured MSG_NBIO there). Unlike NetBSD there is no send-side
  // sblock: two threads writing one stream at once may interleave, one
  // round (at most the free space) at a time.
  absl::StatusOr<size_t> SendIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                                 absl::Span<const uint8_t> to,
                                 absl::Span<const uint8_t> control, int flags);
  // The same from kernel memory. Datagram sockets, in NetBSD's order: EPIPE
  // after shutdown for writing, then the pending error (returned and
  // cleared), then EMSGSIZE for a datagram (SOCK_DGRAM/RAW/RDM/SEQPACKET)
  // larger than SO_SNDBUF, then ProtoSend. Datagram sends never block.
  // Stream sockets: as SendIov.
  absl::StatusOr<size_t> Send(SyscallContext& ctx, const SendRequest& req);

  // recvfrom / recvmsg / read / readv into user buffers. Datagram sockets:
  // Recv of at most the buffers' total, then CopyOutIov. Stream sockets
  // (soreceive): if fewer bytes are buffered than asked for and either none
  // are, or (unless MSG_DONTWAIT) fewer than SO_RCVLOWAT, or MSG_WAITALL is
  // given and the request fits in SO_RCVBUF, then in this order: buffered
  // bytes are returned if there is an error or end of file; else the
  // pending error (returned, and cleared unless MSG_PEEK); 0 at end of file
  // (shutdown(SHUT_RD), the protocol's CantRecvMore, disconnection); EBADF
  // when closed; ENOTCONN unless connected or connecting; 0 for a zero
  // length; EAGAIN when non-blocking (O_NONBLOCK, MSG_DONTWAIT, MSG_NBIO:
  // note that O_NONBLOCK alone does not lower SO_RCVLOWAT, as in NetBSD);
  // otherwise it sleeps and tries again (SO_RCVTIMEO: EAGAIN). Then it
  // copies out what is buffered (MSG_PEEK: leaving it there); with
  // MSG_WAITALL it keeps waiting for the rest, returning the short count if
  // an error, end of file, a timeout, an interrupt or the close comes
  // first (or, with MSG_PEEK, the buffer is full). Unless MSG_PEEK,
  // ProtoRcvd is called after the bytes are taken (and before each
  // MSG_WAITALL wait). Readers take turns (NetBSD's sblock): a second
  // reader waits until the first has copied out.
  absl::StatusOr<RecvResult> RecvIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                                     int flags);
  // Receives into kernel memory: at most `max_len` bytes. Datagram
  // sockets: one datagram; when it is longer MSG_TRUNC is set in msg_flags
  // and, unless MSG_PEEK, the rest is dropped (NetBSD sets MSG_TRUNC with
  // MSG_PEEK too). MSG_PEEK leaves it queued. Order, as soreceive: a queued
  // datagram first; then the pending error (returned, and cleared unless
  // MSG_PEEK); then end of file (0 bytes, an empty Datagram) after
  // shutdown(SHUT_RD); then EAGAIN if the file is O_NONBLOCK or `flags` has
  // MSG_DONTWAIT/MSG_NBIO; otherwise it sleeps until one of those happens,
  // SO_RCVTIMEO passes (EAGAIN, NetBSD's EWOULDBLOCK), the process is
  // interrupted (EINTR), or the last descriptor is closed under it (EBADF,
  // as NetBSD's restarted call sees). Stream sockets: as RecvIov, the
  // bytes in `data`.
  virtual absl::StatusOr<Datagram> Recv(SyscallContext& ctx, size_t max_len, int flags);
  absl::StatusOr<std::string> SockName() const;
  absl::StatusOr<std::string> PeerName() const;  // ENOTCONN when not connected
  // SHUT_RD discards what is queued and makes later receives return end of
  // file (waking blocked readers); SHUT_WR makes sends fail with EPIPE
  // (waking blocked writers) and then calls ProtoShutdown, whose error is
  // returned; SHUT_RDWR both; EINVAL for anything else. Not connected is no
  // error (NetBSD 7).
  absl::Status Shutdown(int how);
  // `level` SOL_SOCKET is handled here (an accepted value is then passed
  // to ProtoSetOption too, so a protocol may watch it; its answer is
  // ignored); other levels go to the protocol. SOL_SOCKET values have
  // NetBSD's exact sizes (EINVAL otherwise): int (4 bytes) for the flags
  // SO_DEBUG, SO_KEEPALIVE,
  // SO_DONTROUTE, SO_USELOOPBACK, SO_BROADCAST, SO_REUSEADDR, SO_REUSEPORT,
  // SO_OOBINLINE, SO_TIMESTAMP, SO_NOSIGPIPE and for SO_SNDBUF / SO_RCVBUF
  // (EINVAL below 1, ENOBUFS above sb_max_adj = 209715) and the low
  // water marks (capped at the high water mark); struct linger (8) for
  // SO_LINGER (EDOM for a bad time);
  // struct timeval (16) for SO_SNDTIMEO / SO_RCVTIMEO (EDOM when out of
  // range; kept in 10 ms ticks, rounded down, at least one tick). Others,
  // including the read-only SO_ERROR, SO_TYPE and SO_ACCEPTCONN:
  // ENOPROTOOPT. Changing a buffer size or low water mark wakes blocked
  // callers and pollers so they see the new limits.
  absl::Status SetOption(int level, int name, absl::Span<const uint8_t> value);
  // The option's value bytes (the syscall layer truncates them to the
  // caller's length as getsockopt does). SOL_SOCKET: the options above
  // (flags read as 0 or 1), SO_ACCEPTCONN (1 while listening), SO_TYPE,
  // SO_ERROR (reading it clears it), SO_OVERFLOWED (drops); ENOPROTOOPT
  // for unknown names.
  absl::StatusOr<std::string> GetOption(int level, int name);

  // Copies in the payload of a datagram send from user buffers, after the
  // checks Send makes before anything else (EPIPE, pending error,
  // EMSGSIZE), so an oversized datagram fails before anything is copied or
  // allocated. (A stream socket's payload is cut to SO_SNDBUF; SendIov does
  // not use this for streams.)
  absl::StatusOr<std::vector<uint8_t>> GatherIov(SyscallContext& ctx,
                                                 absl::Span<const UserIoVec> iov);
  // The one copy-in and copy-out path between socket data and user
  // buffers: copies `out.size()` bytes that start `offset` bytes into the
  // user buffers (EFAULT if the buffers are shorter), or copies `data` out
  // across the buffers starting `offset` bytes into them and returns the
  // bytes copied (short when the buffers end first).
  static absl::Status CopyInIov(SyscallContext& ctx, absl::Span<const UserIoVec> iov,
                                size_t offset, absl::Span<uint8_t> out);
  static absl::StatusOr<size_t> CopyOutIov(SyscallContext& ctx,
                                           absl::Span<const uint8_t> data,
                                           absl::Span<const UserIoVec> iov, size_t offset = 0);

  // --- File
  // Read = RecvIov without an address; Write = SendIov with an empty `to`
  // (an unconnected datagram socket's protocol answers EDESTADDRREQ).
  absl::StatusOr<size_t> Read(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override;
  absl::StatusOr<size_t> Write(SyscallContext& ctx, absl::Span<const UserIoVec> iov) override;
  // 'i' group: the interface ioctls. FIONREAD: NetBSD's so_rcv.sb_cc: for
  // a stream the bytes in the receive buffer; for datagrams the bytes of
  // every queued datagram including its sender address and control (what
  // DeliverDatagram charges), not just the next payload. FIONWRITE: the
  // bytes in the send buffer (0 for datagrams, which leave at once).
  // FIONSPACE: the space left under SO_SNDBUF. SIOCATMARK 0 (no
  // out-of-band data). FIONBIO sets O_NONBLOCK (normally the generic ioctl
  // layer does that before we are called); FIOASYNC accepted; anything
  // else: ProtoIoctl (default EOPNOTSUPP).
  absl::Status Ioctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data) override;
  // NetBSD's sopoll (soreadable / sowritable). POLLIN/POLLRDNORM: for a
  // datagram socket when a datagram is queued; for a stream when at least
  // SO_RCVLOWAT bytes are buffered or (listening) a connection is
  // complete; for both when reading is shut down (end of file), the socket
  // is closed or an error is pending. POLLOUT/POLLWRNORM: always for
  // datagram sockets (no send queue); for a connected stream when the send
  // buffer has at least SO_SNDLOWAT bytes of space; for both when a write
  // would fail at once (shut down for writing, error pending). Like
  // NetBSD, sockets never report POLLERR/POLLHUP.
  int Poll(int events) override;
  // Aborts a listener's queued connections (ProtoAbort on each), then
  // ProtoDetach; discards the receive buffer (not the send buffer, which
  // the protocol may still be transmitting) and wakes every blocked caller
  // (EBADF for readers, EPIPE for writers) and poller.
  void LastClose() override;
  // SO_LINGER with a time, on a blocking stream socket that was connected:
  // close(2) waits until the disconnection completes (everything sent is
  // acknowledged, with our FIN) or the time runs out, as NetBSD's soclose.
  absl::Status Linger(SyscallContext& ctx) override;

  // --- for protocols: datagrams
  // Queues a received datagram; false (and counted as a drop) when it does
  // not fit in the space left under SO_RCVBUF (NetBSD's sbspace: payload +
  // sender address + control bytes are charged; the mbuf overhead is not
  // modelled) or reading was shut down or the socket closed. Wakes readers
  // and pollers.
  bool DeliverDatagram(Datagram d);

  // --- for protocols: stream buffers (stream sockets only)
  // sbappendstream: appends received bytes to the receive buffer and wakes
  // readers and pollers. Returns the bytes appended: all of them, even
  // beyond SO_RCVBUF (the protocol keeps within receive_space(), its
  // window, as TCP does), or 0 after shutdown for reading, end of file
  // (CantRecvMore) or close.
  size_t AppendStream(absl::Span<const uint8_t> data);
  // Copies up to out.size() bytes of the send buffer starting `offset`
  // bytes from its front (the oldest unacknowledged byte); returns the
  // bytes copied.
  size_t CopySendBuffer(size_t offset, absl::Span<uint8_t> out) const;
  // sbdrop: removes up to `n` bytes from the front of the send buffer
  // (acknowledged or transmitted) and wakes writers and pollers.
  void DropSendBuffer(size_t n);
  size_t send_buffer_bytes() const;   // so_snd.sb_cc
  size_t send_space() const;          // sbspace(&so_snd), at least 0
  size_t receive_space() const;       // sbspace(&so_rcv), at least 0

  // --- for protocols: connection state (soisconnecting and friends)
  // A connection attempt started (connect(2) then waits or answers
  // EINPROGRESS).
  void SetConnecting();
  // The connection is established: wakes connect(2), readers, writers and
  // pollers; a connection made by NewConnection moves to its listener's
  // complete queue, ready for accept(2).
  void SetConnected();
  // The connection is closing: no more sends or receives (both
  // CantSendMore and CantRecvMore); buffered bytes can still be read.
  void SetDisconnecting();
  // The connection is gone: as SetDisconnecting, and no longer connected.
  // A connection made by NewConnection that never completed is taken off
  // its listener's incomplete queue and closed (NetBSD's sofree); the
  // protocol drops its own references to it.
  void SetDisconnected();
  // socantsendmore: later sends fail with EPIPE; wakes writers.
  void CantSendMore();
  // socantrcvmore: the peer sends no more; reads return end of file once
  // the buffer is empty; wakes readers.
  void CantRecvMore();
  // sonewconn: on a listening socket, a new socket of the same protocol for
  // an incoming connection, made by ProtoNewConnection, with this socket's
  // options (except SO_ACCEPTCONN), linger, buffer sizes, low water marks
  // and timeouts. It is queued on this listener: as complete (and marked
  // connected) when `connected`, otherwise as incomplete until the
  // protocol calls SetConnected on it. A complete connection can be
  // accepted (ProtoAccept called on it) at once, on another thread, so
  // pass `connected` only if ProtoNewConnection set up everything the
  // protocol needs; otherwise queue it incomplete, set it up, then call
  // SetConnected (as TCP does at the end of its handshake). Unlike
  // NetBSD's, the new socket does not share the listener's lock, so no
  // lock keeps accept(2) away meanwhile. nullptr when this socket is not
  // listening or is closed, when the queues already hold more than
  // 3 * backlog / 2 connections, or when ProtoNewConnection fails. Wakes
  // accept(2) and pollers for a complete connection.
  std::shared_ptr<Socket> NewConnection(bool connected);
  bool connected() const;
  bool connecting() const;
  bool listening() const;
  // Connections queued on a listener: complete (acceptable), incomplete.
  size_t accept_queue_length() const;
  size_t incomplete_queue_length() const;

  // --- for protocols: errors and option values
  // Posts an asynchronous error (so_error, e.g. ECONNREFUSED from an ICMP
  // port unreachable); wakes readers, writers, connect, accept and pollers.
  void SetError(int netbsd_errno);
  // Socket-level option values the protocols read.
  bool reuse_addr() const;
  bool reuse_port() const;
  bool broadcast_allowed() const;
  bool dont_route() const;         // SO_DONTROUTE
  bool keep_alive() const;         // SO_KEEPALIVE
  bool timestamp() const;          // SO_TIMESTAMP
  // SO_LINGER: the linger time in seconds when it is on, -1 when off.
  int linger_seconds() const;
  size_t recv_buffer_limit() const;
  size_t send_buffer_limit() const;
  // RLIMIT_SBSIZE: charges both marks to `account` instead of the account
  // charged now (if any), which gets its charge back; ENOBUFS (nothing
  // changes) if they do not fit. Nothing happens on a closed socket or
  // for the account charged already. socket(2) and accept(2) call it.
  absl::Status ChargeBuffers(std::shared_ptr<SocketBufferAccount> account);
  // The account charged (null: none) and the bytes charged to it.
  std::shared_ptr<SocketBufferAccount> buffer_account() const;
  size_t buffer_charge() const;
  // Automatic buffer sizing (NetBSD's SB_AUTOSIZE): raise SO_SNDBUF /
  // SO_RCVBUF to `limit` unless the user has set that size with
  // setsockopt (which ends automatic sizing for it, as in NetBSD), or the
  // growth does not fit the socket's RLIMIT_SBSIZE account (which ends it
  // too, as in NetBSD). Growing the send buffer wakes blocked writers and
  // pollers. True if it grew.
  bool GrowSendBuffer(size_t limit);
  bool GrowRecvBuffer(size_t limit);
  uint64_t receive_drops() const;  // datagrams dropped for a full queue
  // Bytes charged against SO_RCVBUF (datagrams: with addresses and
  // control; streams: the buffered bytes).
  size_t receive_queue_bytes() const;

  // --- for sysctl (kern.file2, the PCB lists)
  // The socket's own id (object_id.h), distinct from its file's id():
  // kern.file2's ki_fdata and a PCB record's ki_sockaddr.
  uint64_t socket_id() const { return socket_id_; }
  // kSocket with socket_id().
  FileDescription Describe() const override;
  uint32_t StatMode() const override;  // S_IFSOCK
  // What NetBSD's struct socket shows in so_state and the buffer counts,
  // read in one critical section.
  struct Snapshot {
    bool connecting = false;     // SS_ISCONNECTING
    bool connected = false;      // SS_ISCONNECTED
    bool disconnecting = false;  // SS_ISDISCONNECTING
    bool cant_send = false;      // SS_CANTSENDMORE
    bool cant_recv = false;      // SS_CANTRCVMORE
    size_t receive_bytes = 0;    // so_rcv.sb_cc: as receive_queue_bytes()
    size_t send_bytes = 0;       // so_snd.sb_cc: as send_buffer_bytes()
  };
  Snapshot snapshot() const;

 protected:
  // Defaults for SO_SNDBUF / SO_RCVBUF (the protocol's sendspace /
  // recvspace), called by the protocol's constructor (before the socket is
  // charged). Without it a socket has 8192 / 8192.
  void SetBufferLimits(size_t send_limit, size_t recv_limit);

  // --- protocol hooks (NetBSD's pr_usrreqs). Defaults: EOPNOTSUPP, but
  // ENOPROTOOPT for the two option hooks (NetBSD's answer for a protocol
  // without pr_ctloutput), ENOTCONN for ProtoPeerName (never connected),
  // and the no-ops noted below. They are called without socket-layer locks
  // held.
  // `cred`: the binding process's credentials (reserved ports).
  virtual absl::Status ProtoBind(const Credentials& cred, absl::Span<const uint8_t> addr);
  virtual absl::Status ProtoConnect(absl::Span<const uint8_t> addr);
  virtual absl::Status ProtoDisconnect();
  // Datagram sockets: send one datagram.
  virtual absl::StatusOr<size_t> ProtoSend(const SendRequest& req);
  virtual absl::StatusOr<std::string> ProtoSockName() const;
  virtual absl::StatusOr<std::string> ProtoPeerName() const;
  virtual absl::Status ProtoSetOption(int level, int name, absl::Span<const uint8_t> value);
  virtual absl::StatusOr<std::string> ProtoGetOption(int level, int name);
  virtual absl::Status ProtoIoctl(SyscallContext& ctx, uint64_t cmd, absl::Span<uint8_t> data);
  // Stream sockets (pr_listen): get ready to accept connections (e.g. bind
  // an ephemeral address).
  virtual absl::Status ProtoListen();
  // Stream sockets (pr_attach for sonewconn): a fresh socket of this
  // protocol, not yet connected, for an incoming connection; the layer
  // copies the listener's settings into it and queues it.
  virtual absl::StatusOr<std::shared_ptr<Socket>> ProtoNewConnection();
  // Stream sockets (pr_accept): called on an accepted connection, gives
  // the peer's address. Default: ProtoPeerName().
  virtual absl::StatusOr<std::string> ProtoAccept();
  // Stream sockets (pr_send): bytes were appended to the send buffer;
  // transmit what the protocol can. An error fails the send.
  virtual absl::Status ProtoOutput(int flags);
  // Stream sockets (pr_rcvd): a read took bytes from the receive buffer
  // (`flags`: the MSG_* of the read). Default: nothing.
  virtual void ProtoRcvd(int /*flags*/) {}
  // pr_shutdown: the socket was shut down for writing (CantSendMore is
  // already done); e.g. send a FIN after the buffered data. Default: OK.
  virtual absl::Status ProtoShutdown();
  // pr_abort: an unaccepted connection is dropped because its listener was
  // closed. Default: ProtoDetach(). The layer then closes it as LastClose
  // does (without calling ProtoDetach again).
  virtual void ProtoAbort() { ProtoDetach(); }
  // The last descriptor was closed: leave the protocol's tables (after
  // this the protocol must not call DeliverDatagram or AppendStream,
  // though calls that race with it are harmless).
  virtual void ProtoDetach() {}

 private:
  NetStack& net_;
  const int domain_;
  const int type_;
  const int protocol_;
  const bool stream_;
  const uint64_t socket_id_;
  // EPIPE / pending error / EMSGSIZE for a datagram send of `len` bytes.
  absl::Status CheckSend(size_t len);
  // The stream send and receive loops; `source` copies bytes of the
  // payload starting at an offset in, `sink` copies received bytes out at
  // an offset.
  using Source = std::function<absl::Status(size_t offset, absl::Span<uint8_t> out)>;
  using Sink = std::function<absl::Status(size_t offset, absl::Span<const uint8_t> data)>;
  absl::StatusOr<size_t> StreamSend(SyscallContext& ctx, size_t total, int flags,
                                    const Source& source);
  absl::StatusOr<size_t> StreamReceive(SyscallContext& ctx, size_t resid, int flags,
                                       const Sink& sink);
  // Marks the socket closed, discards the receive side and wakes everyone;
  // the part of LastClose after the protocol hook.
  void Close();
  // Drops a connection that was never accepted (the listener closed).
  void Abort();

  // The socket layer's state (options, buffers, error, shutdown and
  // connection state, accept queues) lives here; see socket.cc. Pollers
  // wait on File::poll_waiters().
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

// A routing socket (PF_ROUTE, SOCK_RAW; rtsock.cc): writes are requests
// to the routing tables, and it receives the routing messages of every
// change (of the address family `protocol`, or all for 0).
std::shared_ptr<Socket> MakeRouteSocket(NetStack& net, int protocol, int file_flags);

// socreate's answer when no protocol switch entry of a domain matches
// (type, protocol): EPROTOTYPE for a known protocol 0 with a type no entry
// has, EPROTONOSUPPORT otherwise.
absl::Status SocketTypeError(int type, int protocol);

}  // namespace rump

#endif  // RUMP_NET_SOCKET_H_
