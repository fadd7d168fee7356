// SocketBufferAccount: the socket buffer memory charged to one process, and
// the bound on it, NetBSD's RLIMIT_SBSIZE (its uidinfo ui_sbsize and
// chgsbsize, kern/kern_uidinfo.c; sbreserve in kern/uipc_socket2.c).
//
// What is charged is what NetBSD charges: the high-water marks of a
// socket's two buffers (SO_SNDBUF + SO_RCVBUF), not the bytes they hold.
// The socket layer (rump/net/socket.h) charges a socket when it is made
// (socket(2), an incoming connection on a listener), when SO_SNDBUF or
// SO_RCVBUF raise a mark and when TCP grows a buffer automatically, and
// gives the charge back when the buffers are no longer needed (see
// Socket). A raise that would take the total above the limit fails
// (socket(2) and setsockopt answer ENOBUFS; automatic growth stops); a
// decrease always succeeds, so lowering the limit below what is in use
// leaves existing sockets alone and only refuses new reservations.
//
// Deviation from NetBSD: NetBSD charges the socket owner's uid (every
// socket of every process of that user shares one total) against the soft
// limit of the process that is running at the time. Here every process
// has its own account, bounded by its own soft RLIMIT_SBSIZE (Process
// keeps the limit in step). A remote client's processes would otherwise
// share one budget with every other client: under the default policy all
// of them are root. A client's forked children are processes of their
// own, each with its own account, and the server bounds how many there
// are (--max-clients), so the total stays bounded.
//
// An account lives as long as anything holds it: its process, and every
// socket charged to it (a socket may outlive the process that made it:
// an orphaned TCP connection, a descriptor handed on).
//
// Thread-safe and lock-free: the socket layer calls it with its own locks
// held.
#ifndef RUMP_KERN_SOCKET_BUFFER_ACCOUNT_H_
#define RUMP_KERN_SOCKET_BUFFER_ACCOUNT_H_

#include <atomic>
#include <cassert>
#include <cstdint>

namespace rump {

class SocketBufferAccount {
 public:
  // `limit`: the soft RLIMIT_SBSIZE in bytes (abi::kRlimInfinity: none).
  explicit SocketBufferAccount(uint64_t limit) : limit_(limit) {}
  SocketBufferAccount(const SocketBufferAccount&) = delete;
  SocketBufferAccount& operator=(const SocketBufferAccount&) = delete;

  // chgsbsize for an increase: adds `n` bytes if the total stays at or
  // below the limit and returns true; otherwise changes nothing and
  // returns false. Reserve(0) always succeeds.
  bool Reserve(uint64_t n) {
    const uint64_t limit = limit_.load(std::memory_order_relaxed);
    uint64_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit || used > limit - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }

  // Gives back `n` bytes reserved before. Never fails; never takes the
  // total below zero (giving back more than was reserved is a bug: it
  // asserts, and the total stops at zero).
  void Release(uint64_t n) {
    uint64_t used = used_.load(std::memory_order_relaxed);
    uint64_t next;
    do {
      assert(n <= used && "SocketBufferAccount: released more than was reserved");
      next = n <= used ? used - n : 0;
    } while (!used_.compare_exchange_weak(used, next, std::memory_order_relaxed));
  }

  // Bytes charged now.
  uint64_t used() const { return used_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  // A new soft limit (setrlimit): applies to later reservations only.
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> used_{0};
  std::atomic<uint64_t> limit_;
};

}  // namespace rump

#endif  // RUMP_KERN_SOCKET_BUFFER_ACCOUNT_H_
