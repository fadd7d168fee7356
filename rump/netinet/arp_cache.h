// ArpCache: one Ethernet interface's IPv4 -> MAC table (NetBSD's ARP
// llinfo entries), with the packets waiting for an answer.
//
// It decides and remembers; it does not send. Callers pass the current time
// and act on what the methods return (send a request, send released
// packets, report EHOSTDOWN). Promises:
//  * a resolved entry is used until `keep` after it was last confirmed,
//    then removed (the next packet asks again);
//  * an unresolved entry holds at most `max_hold` packets (older ones are
//    dropped first, counted) and asks again every `retry_interval`; after
//    `max_tries` unanswered requests it drops what it holds and is "down"
//    for `down`: packets to it are refused at once (EHOSTDOWN, or
//    EHOSTUNREACH through a gateway, as NetBSD's arpresolve);
//  * at most `max_entries` entries (the oldest unresolved, else the oldest,
//    is evicted), so a flood of addresses cannot grow it without bound;
//  * entries set by hand (arp -s: SetManual) are never changed by ARP
//    packets nor evicted; they last until removed, or until their own
//    expiry time ("temp"); a published one (RTF_ANNOUNCE, "pub") is an
//    address ARP answers for (proxy ARP).
// Thread-safe. Addresses in network order.
#ifndef RUMP_NETINET_ARP_CACHE_H_
#define RUMP_NETINET_ARP_CACHE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "rump/abi/in.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet {

struct ArpConfig {
  absl::Duration keep = absl::Seconds(abi::kArptKeepSeconds);
  absl::Duration down = absl::Seconds(abi::kArptDownSeconds);
  absl::Duration retry_interval = absl::Seconds(1);  // one request a second
  int max_tries = abi::kArpMaxTries;
  // NetBSD 7 holds a single packet per entry (la_hold); we hold more, so
  // that the fragments of a datagram sent to a host not yet resolved are
  // not all but the last one dropped.
  size_t max_hold = 64;
  size_t max_entries = 1024;
};

class ArpCache {
 public:
  explicit ArpCache(ArpConfig config = ArpConfig()) : config_(config) {}

  // How long entries resolved from now on live (net.inet.arp.keep), and
  // how long a host stays down (net.inet.arp.down).
  void set_lifetimes(absl::Duration keep, absl::Duration down) {
    std::lock_guard<std::mutex> lock(mu_);
    config_.keep = keep;
    config_.down = down;
  }

  using Packet = std::vector<uint8_t>;

  struct Resolution {
    enum Kind { kResolved, kQueued, kHostDown } kind = kQueued;
    MacAddress mac{};           // kResolved
    bool send_request = false;  // kQueued: ask now
    size_t dropped = 0;         // held packets dropped to make room
  };
  // The MAC for `ip`. When it is not known, `packet` is held (moved from)
  // until it is, and send_request says whether to ask now; when the host
  // is down, `packet` is left alone.
  Resolution Resolve(uint32_t ip, Packet& packet, absl::Time now);

  struct UpdateResult {
    bool updated = false;        // an entry now holds `mac`
    bool changed = false;        // it held another MAC before
    std::vector<Packet> released;  // held packets to send to `mac`
  };
  // What an ARP packet from `ip` at `mac` teaches: an existing entry is
  // updated; a new one is made only when `create` (the packet was for us).
  UpdateResult Update(uint32_t ip, const MacAddress& mac, bool create, absl::Time now);

  struct TickResult {
    std::vector<uint32_t> requests;  // ask for these now
    size_t dropped = 0;              // held packets given up
    size_t timeouts = 0;             // entries that went down
  };
  // Expiry and retries; call every retry_interval or so.
  TickResult Tick(absl::Time now);

  std::optional<MacAddress> Lookup(uint32_t ip, absl::Time now) const;
  // The resolved entries that have not expired at `now`, by address.
  struct Known {
    uint32_t ip = 0;
    MacAddress mac{};
    absl::Time expire;        // InfiniteFuture for a permanent entry
    bool manual = false;      // set by hand (SetManual)
    bool is_static = false;   // manual, and asked for with RTF_STATIC
    bool published = false;   // manual, and answered for (proxy ARP)
  };
  std::vector<Known> Resolved(absl::Time now) const;
  // The resolved entry for `ip` at `now`, if any.
  std::optional<Known> Find(uint32_t ip, absl::Time now) const;

  // An entry set by hand (arp -s): `mac` until `expire` (nullopt:
  // permanent). Replaces whatever entry `ip` had; returns the packets that
  // were waiting for it (to send to `mac`).
  struct Manual {
    MacAddress mac{};
    std::optional<absl::Time> expire;
    bool is_static = false;
    bool published = false;
  };
  std::vector<Packet> SetManual(uint32_t ip, const Manual& m, absl::Time now);
  // Removes the entry for `ip` (arp -d), whatever its state. False when
  // there is none; `*dropped` counts the packets it held.
  bool Remove(uint32_t ip, size_t* dropped);
  // The MAC address to answer an ARP request for `ip` with, when `ip` is a
  // published entry (proxy ARP).
  std::optional<MacAddress> Published(uint32_t ip, absl::Time now) const;
  size_t size() const;
  size_t held() const;  // packets held across entries
  // Forgets every entry but those set by hand (the interface went down);
  // returns packets dropped.
  size_t Flush();

 private:
  struct Entry {
    bool resolved = false;
    MacAddress mac{};
    absl::Time expire;        // resolved: until; down: until
    bool down = false;
    bool manual = false, is_static = false, published = false;
    int tries = 0;
    absl::Time last_request;
    absl::Time created;
    std::deque<Packet> hold;
  };
  void EvictOneLocked();

  mutable std::mutex mu_;
  ArpConfig config_;  // keep and down change (set_lifetimes); guarded by mu_
  std::map<uint32_t, Entry> entries_;
  size_t held_ = 0;
};

}  // namespace rump::inet

#endif  // RUMP_NETINET_ARP_CACHE_H_
