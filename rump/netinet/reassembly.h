// Reassembler: IPv4 fragment reassembly (RFC 791, RFC 815 hole tracking).
//
// Promises:
//  * datagrams are keyed by (source, destination, id, protocol) and
//    completed whatever order their fragments arrive in;
//  * overlapping fragments never overwrite bytes already received (the
//    first copy wins, as BSD's ip_reass trims the newcomer); exact
//    duplicates are ignored; fragments that contradict the datagram's
//    known end (data beyond it, a second different last fragment) drop
//    the whole datagram;
//  * a datagram is never larger than 65535 bytes; a non-last fragment
//    whose length is not a multiple of 8 is refused;
//  * incomplete datagrams are dropped `timeout` after their first
//    fragment; the bytes held by all incomplete datagrams never exceed
//    `max_bytes` and their number never exceeds `max_datagrams` (the oldest
//    are dropped to make room).
// Thread-safe. Time is passed in by the caller.
#ifndef RUMP_NETINET_REASSEMBLY_H_
#define RUMP_NETINET_REASSEMBLY_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/abi/in.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet {

struct ReassemblyConfig {
  absl::Duration timeout = absl::Seconds(abi::kIPFRAGTTL_SECONDS);
  size_t max_bytes = 4 << 20;
  size_t max_datagrams = 200;                  // ip_maxfragpackets
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblyConfig config = ReassemblyConfig()) : config_(config) {}

  struct Result {
    // The reassembled datagram (header of the first fragment, lengths and
    // checksum fixed, no fragment bits), when this fragment completed one.
    std::optional<std::vector<uint8_t>> packet;
    size_t dropped_fragments = 0;  // fragments discarded (this one included)
    bool bad_fragment = false;     // this fragment was malformed
    bool overlap = false;          // this fragment overlapped received data
  };
  // `packet` is one whole fragment (header h, already validated, trimmed
  // to h.total_len).
  Result Add(const IpHeader& h, absl::Span<const uint8_t> packet, absl::Time now);

  // Drops what has timed out; returns the number of fragments dropped.
  size_t Expire(absl::Time now);

  size_t datagrams() const;
  size_t bytes() const;

 private:
  using Key = std::tuple<uint32_t, uint32_t, uint16_t, uint8_t>;
  struct Datagram {
    absl::Time created;
    std::vector<uint8_t> header;              // of the offset-0 fragment
    std::vector<uint8_t> data;                // payload bytes so far
    std::map<size_t, size_t> have;            // received [start, end)
    std::optional<size_t> total;              // payload length, once known
    size_t fragments = 0;
    size_t charged = 0;                       // bytes counted in bytes_
  };
  void DropLocked(std::map<Key, Datagram>::iterator it);
  void MakeRoomLocked(size_t need, const Key& keep, size_t* dropped);

  const ReassemblyConfig config_;
  mutable std::mutex mu_;
  std::map<Key, Datagram> queues_;
  size_t bytes_ = 0;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_REASSEMBLY_H_
