// Frag6Reassembler: IPv6 fragment reassembly (RFC 8200 4.5), with the
// stricter rules that followed it.
//
// Promises:
//  * a datagram is keyed by (source, destination, identification) and
//    completed whatever order its fragments arrive in; the result is the
//    first fragment's unfragmentable part (fixed header and the extension
//    headers before the fragment header) with the fragment header removed,
//    its next header and payload length fixed, then the fragmentable data;
//  * an atomic fragment (offset 0, M clear) is a whole datagram: it is
//    handed back at once, its fragment header removed, and never touches a
//    queue, even one with the same key (RFC 6946);
//  * any overlap between fragments of a datagram, exact duplicates
//    included, abandons the datagram: every fragment received for it is
//    dropped, no ICMP is due, and its later fragments are dropped silently
//    until the datagram's timeout (RFC 5722);
//  * a non-last fragment whose data is not a multiple of 8 bytes asks for
//    a Parameter Problem (code 0) pointing at its payload length; one that
//    would make the reassembled payload longer than 65535 bytes, pointing
//    at its fragment offset (RFC 8200 4.5); neither is kept;
//  * a first fragment that does not hold the whole extension header chain
//    (RFC 7112) is dropped, and so is a contradiction about where the
//    datagram ends (it abandons the datagram);
//  * incomplete datagrams are dropped `timeout` after their first
//    fragment arrived (Expire, which returns what is needed for ICMP
//    Time Exceeded); the bytes held never exceed `max_bytes`, the
//    datagrams `max_datagrams` and the fragments `max_fragments` (the
//    oldest datagrams make room; a fragment that still does not fit is
//    dropped).
// Thread-safe (one std::mutex). Time is passed in by the caller.
#ifndef RUMP_NETINET6_FRAG6_H_
#define RUMP_NETINET6_FRAG6_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rump/abi/in6.h"
#include "rump/netinet6/in6_addr.h"
#include "rump/netinet6/ip6_header.h"

namespace rump::inet6 {

struct Frag6Config {
  absl::Duration timeout = absl::Seconds(abi::kIPV6_FRAGTTL_SECONDS);
  size_t max_bytes = 4 << 20;
  size_t max_datagrams = abi::kIp6MaxFragPackets;  // ip6_maxfragpackets
  size_t max_fragments = abi::kIp6MaxFrags;        // ip6_maxfrags
};

// Why a fragment was not kept.
enum class Frag6Drop {
  kNone,
  kMalformed,        // a bad fragment (the parameter problems, an empty
                     // non-last fragment, a fragment header out of place)
  kIncompleteChain,  // a first fragment without the whole header chain
  kOverlap,          // it overlapped: the datagram was abandoned
  kAbandoned,        // its datagram was abandoned earlier (RFC 5722)
  kContradiction,    // it disagreed about the datagram's end: abandoned
  kTooLong,          // the reassembled datagram would exceed 65535 bytes
  kNoRoom,           // the limits left no room for it
};

class Frag6Reassembler {
 public:
  explicit Frag6Reassembler(Frag6Config config = Frag6Config()) : config_(config) {}

  struct Result {
    enum Verdict {
      kHeld,          // kept; nothing to do
      kComplete,      // `packet` is a whole datagram
      kDropped,       // dropped silently (see `drop`)
      kParamProblem,  // dropped; send Parameter Problem `code`, `pointer`
    } verdict = kHeld;
    Frag6Drop drop = Frag6Drop::kNone;
    // kComplete: the datagram, and where to resume the header walk in it
    // (WalkIp6ChainFrom(packet, resume_at, packet[next_header_at],
    // next_header_at, resume_at == 40)).
    std::vector<uint8_t> packet;
    size_t resume_at = 0;
    size_t next_header_at = 0;
    bool atomic = false;  // it was an atomic fragment
    // kParamProblem: offsets in the fragment given to Add.
    uint8_t code = 0;
    uint32_t pointer = 0;
    size_t dropped_fragments = 0;  // fragments discarded (this one included)
  };
  // `packet` is one fragment, trimmed to 40 + payload length, whose fixed
  // header ParseIp6Header accepted; `chain` is WalkIp6Chain's result for
  // it, which stopped at its fragment header (chain.fragment is set).
  Result Add(absl::Span<const uint8_t> packet, const Ip6Chain& chain, absl::Time now);

  struct Expired {
    size_t dropped_fragments = 0;
    // For each datagram dropped whose first fragment had arrived: the
    // start of that fragment (at most 1232 bytes, what an ICMPv6 error
    // quotes), to send Time Exceeded code 1 about (RFC 8200 4.5).
    std::vector<std::vector<uint8_t>> time_exceeded;
  };
  // Drops what has timed out, and forgets abandoned datagrams whose
  // timeout has passed.
  Expired Expire(absl::Time now);

  size_t datagrams() const;  // incomplete datagrams held
  size_t fragments() const;  // their fragments
  size_t bytes() const;      // their data bytes

 private:
  using Key = std::tuple<In6Address, In6Address, uint32_t>;
  struct Datagram {
    absl::Time created;
    std::vector<uint8_t> unfragmentable;  // of the offset-0 fragment
    size_t next_header_at = 0;            // in it, the byte naming the rest
    std::vector<uint8_t> quote;           // the first fragment's start
    std::vector<uint8_t> data;            // fragmentable bytes so far
    std::map<size_t, size_t> pieces;      // received [start, end)
    size_t received = 0;
    std::optional<size_t> total;          // fragmentable length, once known
    size_t fragments = 0;
    size_t charged = 0;                   // bytes counted in bytes_
  };
  void DropLocked(std::map<Key, Datagram>::iterator it);
  void AbandonLocked(std::map<Key, Datagram>::iterator it, absl::Time now);
  // Drops the oldest datagram other than `keep`; false if there is none.
  bool DropOldestLocked(const Key& keep, size_t* dropped);

  const Frag6Config config_;
  mutable std::mutex mu_;
  std::map<Key, Datagram> queues_;
  std::map<Key, absl::Time> abandoned_;  // until when fragments are dropped
  size_t bytes_ = 0;
  size_t fragments_ = 0;
};

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_FRAG6_H_
