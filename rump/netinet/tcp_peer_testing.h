// ScriptedPeer: a hand-driven TCP station on a shmif bus, for packet-level
// tests of a kernel's TCP. Test-only.
//
// The peer attaches to the bus file as one more station (its own IPv4
// address and MAC), answers the kernel's ARP requests for its address, and
// otherwise does nothing by itself: a test sends hand-made segments with
// Send and reads, one by one and in bus order, the TCP segments the kernel
// sent to the peer's address with Expect. Every other frame (ARP for other
// addresses, other protocols, other stations' traffic) is skipped.
//
// Thread-safe: a receive thread of its own reads the bus from the moment
// the peer is made; Send and Expect may be called from any thread.
#ifndef RUMP_NETINET_TCP_PEER_TESTING_H_
#define RUMP_NETINET_TCP_PEER_TESTING_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/net/ether.h"
#include "rump/netinet/tcp_header.h"
#include "shmif/bus.h"

namespace rump::inet_testing {

// A copy of a segment the kernel sent.
struct PeerSegment {
  inet::TcpHeader header;
  inet::TcpOptions options;
  std::vector<uint8_t> payload;

  bool has(uint8_t flag) const { return header.has(flag); }
  // Flags by name ("SYN|ACK"), sequence numbers, window, options, length:
  // for failure messages.
  std::string ToString() const;
};

// How long Expect waits by default: only a hang detector (the kernel
// answers in microseconds; a sanitizer on a busy machine needs far more).
inline constexpr absl::Duration kPeerExpectLimit = absl::Seconds(30);

class ScriptedPeer {
 public:
  // Attaches to `bus_path` as `ip` (network order) with `mac`, talking to
  // the kernel at `kernel_ip` whose interface has `kernel_mac`. Failures
  // are reported as gtest failures (and status() is not OK).
  ScriptedPeer(const std::string& bus_path, uint32_t ip, const MacAddress& mac,
               uint32_t kernel_ip, const MacAddress& kernel_mac);
  ~ScriptedPeer();
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  const absl::Status& status() const { return status_; }
  uint32_t ip() const { return ip_; }

  // Sends one segment to the kernel (its checksum computed).
  absl::Status Send(const inet::TcpHeader& h, const inet::TcpOptions& options = {},
                    absl::Span<const uint8_t> payload = {});

  // The next TCP segment the kernel sent to the peer (in bus order),
  // waiting up to `timeout`: DeadlineExceeded when none came.
  absl::StatusOr<PeerSegment> Expect(absl::Duration timeout = kPeerExpectLimit);
  // The next one for which `pred` holds; the ones before it are discarded.
  absl::StatusOr<PeerSegment> Expect(const std::function<bool(const PeerSegment&)>& pred,
                                     absl::Duration timeout = kPeerExpectLimit);
  // Segments received and not yet taken by Expect.
  size_t pending() const;
  // Drops every segment received and not yet taken.
  void Clear();
  // ARP requests for our address that were answered.
  uint64_t arp_replies() const;

 private:
  void ReceiveLoop();
  void HandleFrame(absl::Span<const uint8_t> frame);

  const uint32_t ip_;
  const MacAddress mac_;
  const uint32_t kernel_ip_;
  const MacAddress kernel_mac_;
  absl::Status status_;
  std::unique_ptr<shmif::Bus> bus_;
  uint16_t ip_id_ = 1;  // guarded by mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PeerSegment> segments_;  // guarded by mu_
  uint64_t arp_replies_ = 0;          // guarded by mu_
  std::thread receiver_;
};

}  // namespace rump::inet_testing

#endif  // RUMP_NETINET_TCP_PEER_TESTING_H_
