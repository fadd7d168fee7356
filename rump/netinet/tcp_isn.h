// TcpIsnGenerator: initial sequence numbers for new connections, as
// RFC 6528 says: ISN = M + F(localip, localport, remoteip, remoteport,
// secretkey), where M is a clock that ticks every 4 microseconds and F a
// keyed hash (SipHash-2-4 here, the low 32 bits) of the connection's
// addresses and ports under a secret key.
//
// Promises:
//  * one connection identifier at one instant always gives the same ISN;
//    as the clock runs, the ISN of an identifier moves forward with it
//    (one per 4 us, wrapping after about 4.77 hours), so a new incarnation
//    of a connection starts above the old one's numbers (RFC 9293 3.4.1);
//  * without the key, the ISN of one identifier says nothing of another's
//    (RFC 6528 3);
//  * the default constructor draws the key from getrandom() and reads a
//    monotonic clock; tests give a fixed key and their own clock.
// Thread-safe when the clock is (the default one is).
#ifndef RUMP_NETINET_TCP_ISN_H_
#define RUMP_NETINET_TCP_ISN_H_

#include <array>
#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/netinet/tcp_seq.h"

namespace rump::inet {

using SipHashKey = std::array<uint8_t, 16>;

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `message` under `key`: the
// 64-bit result, whose little-endian bytes are the reference output.
uint64_t SipHash24(const SipHashKey& key, absl::Span<const uint8_t> message);

class TcpIsnGenerator {
 public:
  // Time since any fixed origin; it must never go back.
  using Clock = std::function<absl::Duration()>;

  // A random key and the host's monotonic clock.
  TcpIsnGenerator();
  TcpIsnGenerator(const SipHashKey& key, Clock clock);

  // The ISN for a connection from local_addr:local_port to
  // remote_addr:remote_port (addresses in network order, ports in host
  // order).
  TcpSeq Next(uint32_t local_addr, uint16_t local_port, uint32_t remote_addr,
              uint16_t remote_port) const;

 private:
  SipHashKey key_;
  Clock clock_;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_TCP_ISN_H_
