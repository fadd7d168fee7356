// VtepTable: where each Ethernet station of a VXLAN segment lives, as a
// VTEP learns it from source addresses: on the local bus, or behind one
// remote VTEP (an IPv4 address and UDP port). Entries not refreshed within
// the ageing time are forgotten.
//
// Promises:
//  * Lookup never returns an entry older than the ageing time, whether or
//    not Age has run since.
//  * Group (multicast and broadcast) source addresses are never learned.
//  * The table holds at most `capacity` stations; a new station beyond that
//    is not learned (counted in `refused()`), so a flood of invented source
//    addresses costs flooding, not memory.
//  * Thread safe: every method may be called from any thread.
#ifndef RUMP_SHMIF_VXLAN_VTEP_TABLE_H_
#define RUMP_SHMIF_VXLAN_VTEP_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace shmif_vxlan {

using MacAddress = std::array<uint8_t, 6>;

// A VTEP on the underlay: IPv4 address and UDP port, both in host order.
struct VtepAddress {
  uint32_t ip = 0;
  uint16_t port = 0;

  friend bool operator==(const VtepAddress& a, const VtepAddress& b) {
    return a.ip == b.ip && a.port == b.port;
  }
  friend bool operator!=(const VtepAddress& a, const VtepAddress& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const VtepAddress& v) {
    return H::combine(std::move(h), v.ip, v.port);
  }
  // "192.0.2.1:4789".
  std::string ToString() const;
};

// "02:00:00:00:00:01".
std::string MacToString(const MacAddress& mac);
// Reads the 6 bytes at `p`.
MacAddress MacAt(const uint8_t* p);
inline bool IsGroupMac(const MacAddress& mac) { return (mac[0] & 1) != 0; }

// Where a station lives.
struct StationPlace {
  enum Kind { kUnknown, kLocal, kRemote };
  Kind kind = kUnknown;
  VtepAddress remote;  // for kRemote
};

class VtepTable {
 public:
  // What a Learn call changed.
  enum class Learned { kRefreshed, kNew, kMoved, kIgnored };

  struct AgedStation {
    MacAddress mac;
    StationPlace place;
  };

  VtepTable(absl::Duration ageing_time, size_t capacity);

  // `mac` sent a frame from `remote` (on the segment) at `now`.
  Learned LearnRemote(const MacAddress& mac, const VtepAddress& remote, absl::Time now);
  // `mac` sent a frame on the local bus at `now`.
  Learned LearnLocal(const MacAddress& mac, absl::Time now);

  StationPlace Lookup(const MacAddress& mac, absl::Time now) const;

  // Forgets the stations not heard from since `now - ageing_time` and
  // returns them.
  std::vector<AgedStation> Age(absl::Time now);

  size_t size() const;
  size_t remote_stations() const;
  uint64_t refused() const;
  absl::Duration ageing_time() const { return ageing_time_; }

 private:
  struct Entry {
    StationPlace place;
    absl::Time last_seen;
  };
  Learned Learn(const MacAddress& mac, const StationPlace& place, absl::Time now);

  const absl::Duration ageing_time_;
  const size_t capacity_;
  mutable std::mutex mu_;
  absl::flat_hash_map<MacAddress, Entry> entries_;  // guarded by mu_
  uint64_t refused_ = 0;                            // guarded by mu_
};

}  // namespace shmif_vxlan

#endif  // RUMP_SHMIF_VXLAN_VTEP_TABLE_H_
