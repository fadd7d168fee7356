// Nd6Cache: one interface's Neighbor Cache (RFC 4861 7.3): IPv6 neighbour
// -> Ethernet address, with Neighbor Unreachability Detection's states
// and the packets waiting for an address to be resolved.
//
// Like rump/netinet/arp_cache.h it decides and remembers, and never sends:
// callers pass the current time and act on what the methods return (send
// a multicast or unicast Neighbor Solicitation, transmit released packets,
// report queued packets unreachable). Promises:
//  * the states and transitions are RFC 4861 7.3.2 / appendix C's:
//    INCOMPLETE (resolving: a multicast NS every `retrans_timer`, at most
//    `max_multicast_solicit`, then the entry goes and its packets are
//    reported unreachable), REACHABLE (for the randomized ReachableTime
//    after the last confirmation), STALE (used as is; the first packet
//    sent moves it to DELAY), DELAY (`delay_first_probe` for an upper
//    layer to confirm), PROBE (a unicast NS every `retrans_timer`, at most
//    `max_unicast_solicit`, then the entry goes);
//  * Neighbor Advertisements update entries as RFC 4861 7.2.5's rules
//    say (solicited / override / router flags, a link-layer address that
//    is new or not) and never create one; Neighbor Solicitations, Router
//    Solicitations and Advertisements and Redirects carrying a link-layer
//    address create or update entries as STALE (7.2.3, 6.3.4, 8.3);
//  * an INCOMPLETE entry holds at most `max_queue` packets (NetBSD's
//    nd6_maxqueuelen, 1: the newest replaces the oldest, which is
//    counted as dropped); the cache holds at most `max_entries` entries
//    (the oldest INCOMPLETE one, else the least recently used, goes);
//  * ReachableTime is BaseReachableTime times a factor drawn uniformly in
//    [0.5, 1.5) from the injected random source (RFC 4861 6.3.2), drawn
//    again when the base changes (set_base_reachable_time).
// Thread-safe (one std::mutex; the random source is called under it).
// Time is passed in by the caller.
#ifndef RUMP_NETINET6_ND6_CACHE_H_
#define RUMP_NETINET6_ND6_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "rump/abi/in6.h"
#include "rump/netinet6/in6_addr.h"

namespace rump::inet6 {

struct Nd6Config {
  absl::Duration retrans_timer = absl::Milliseconds(abi::kRETRANS_TIMER_MS);
  int max_multicast_solicit = abi::kMAX_MULTICAST_SOLICIT;
  int max_unicast_solicit = abi::kMAX_UNICAST_SOLICIT;
  absl::Duration delay_first_probe = absl::Seconds(abi::kDELAY_FIRST_PROBE_TIME_SECONDS);
  absl::Duration base_reachable_time = absl::Milliseconds(abi::kREACHABLE_TIME_MS);
  size_t max_queue = abi::kNd6MaxQueueLen;
  size_t max_entries = 1024;
  // A uniform draw in [0, 1); empty: a fixed 0.5 (ReachableTime equal to
  // BaseReachableTime), so that nothing is random unless asked for.
  std::function<double()> random;
};

enum class NdState { kIncomplete, kReachable, kStale, kDelay, kProbe };

class Nd6Cache {
 public:
  explicit Nd6Cache(Nd6Config config = Nd6Config());

  using Packet = std::vector<uint8_t>;

  // What the caller does next. Every action names a neighbour.
  struct Action {
    enum Kind {
      kSendMulticastNs,  // to the solicited-node group of `neighbor`
      kSendUnicastNs,    // to `neighbor` at `mac`
      kDeliver,          // send `packets` to `mac`
      kUnreachable,      // resolution failed: `packets` (maybe none) are
                         // to be reported (ICMPv6 address unreachable)
    } kind = kSendMulticastNs;
    In6Address neighbor;
    MacAddress mac{};
    std::vector<Packet> packets;
  };

  struct Resolution {
    bool resolved = false;  // send `packet` to `mac` now
    MacAddress mac{};
    std::vector<Action> actions;  // e.g. the first multicast NS
    size_t dropped = 0;           // queued packets dropped to make room
  };
  // The link-layer address for `neighbor`. When it is not known, `packet`
  // is queued (moved from) and the entry resolves; otherwise it is left
  // alone. Using a STALE entry starts DELAY.
  Resolution Resolve(const In6Address& neighbor, Packet& packet, absl::Time now);

  // A Neighbor Advertisement for `target` (RFC 4861 7.2.5). Returns the
  // packets released (kDeliver) if the entry was INCOMPLETE. *was_router,
  // if given, is set when the neighbour stopped being a router (its
  // default route must go, 7.2.5's last paragraph).
  std::vector<Action> NeighborAdvertisement(const In6Address& target,
                                            const std::optional<MacAddress>& target_lla,
                                            bool solicited, bool override_flag, bool router,
                                            absl::Time now, bool* was_router = nullptr);

  // A link-layer address learnt from a Neighbor Solicitation's source
  // link-layer option (or an RS, RA or Redirect's: `is_router` then says
  // what the message tells of the sender, nullopt: nothing). Creates the
  // entry STALE or updates it (STALE when the address changed).
  std::vector<Action> LinkLayerHint(const In6Address& neighbor, const MacAddress& lla,
                                    absl::Time now, std::optional<bool> is_router = std::nullopt);

  // Upper-layer confirmation that `neighbor` is reachable (a TCP ACK, ...):
  // an entry with an address becomes REACHABLE (RFC 4861 7.3.1).
  void ConfirmReachable(const In6Address& neighbor, absl::Time now);

  // Timers: solicitations to send, entries given up. Call every
  // retrans_timer or so.
  std::vector<Action> Tick(absl::Time now);

  struct Entry {
    NdState state = NdState::kIncomplete;
    std::optional<MacAddress> mac;
    bool is_router = false;
    size_t queued = 0;
  };
  // The entry for `neighbor` as it stands at `now` (a REACHABLE entry
  // past its time reads STALE).
  std::optional<Entry> Lookup(const In6Address& neighbor, absl::Time now) const;
  bool Remove(const In6Address& neighbor, size_t* dropped = nullptr);
  size_t size() const;
  // Forgets everything (the interface went down); returns packets dropped.
  size_t Flush();

  // RFC 4861 6.3.4: a Router Advertisement's non-zero Reachable Time and
  // Retrans Timer.
  void set_base_reachable_time(absl::Duration base);
  void set_retrans_timer(absl::Duration retrans);
  absl::Duration reachable_time() const;

 private:
  struct Neighbor {
    NdState state = NdState::kIncomplete;
    MacAddress mac{};
    bool has_mac = false;
    bool is_router = false;
    int probes = 0;          // solicitations sent in this state
    absl::Time timer;        // next timer event (INCOMPLETE, DELAY, PROBE)
    absl::Time reachable_until;
    absl::Time used;         // last Resolve or creation
    std::deque<Packet> queue;
  };
  using Map = std::map<In6Address, Neighbor>;
  void DrawReachableTimeLocked();
  // REACHABLE entries past their time become STALE.
  void AgeLocked(Neighbor& n, absl::Time now) const;
  void MakeReachableLocked(Neighbor& n, absl::Time now);
  // A new entry (evicting one when the cache is full).
  Map::iterator CreateLocked(const In6Address& neighbor, absl::Time now);
  static Action Deliver(const In6Address& neighbor, Neighbor& n);

  mutable std::mutex mu_;
  Nd6Config config_;
  absl::Duration reachable_time_;
  Map entries_;
};

}  // namespace rump::inet6

#endif  // RUMP_NETINET6_ND6_CACHE_H_
