// Ethernet output for IPv4 and ARP, and ARP (NetBSD's if_arp.c and the
// IPv4 half of if_ethersubr.c): requests and replies, the gratuitous ARP of
// a new address and of every address when an interface comes up, and
// duplicate address detection (RFC 5227). The generic part of Ethernet
// input (ether_input) is rump/net's; it hands IPv4 and ARP payloads to
// IpInput and ArpInput by ethertype. Requests for an address published by
// hand (arp -s ... pub) are answered (proxy ARP). Resolution itself
// (ArpCache) is called from SendOnInterface (ip_output.cc); its retries
// from the slow timer (inet.cc).
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "rump/abi/errno.h"
#include "rump/abi/if.h"
#include "rump/netinet/inet.h"
#include "rump/netinet/inet_socket.h"

namespace rump {

using inet::Get16;
using inet::MacAddress;

// --- output

absl::Status Inet::EtherOutput(const IfInfo& info, const MacAddress& dst, uint16_t type,
                               absl::Span<const uint8_t> payload) {
  std::vector<uint8_t> frame(inet::kEtherHeaderLen + payload.size());
  inet::WriteEtherHeader(frame.data(), dst, info.mac, type);
  if (!payload.empty()) {
    std::memcpy(frame.data() + inet::kEtherHeaderLen, payload.data(), payload.size());
  }
  return info.ifp->Output(frame);
}

void Inet::SendArp(const IfInfo& info, uint16_t op, const MacAddress& dst_mac,
                   const MacAddress& tha, uint32_t spa, uint32_t tpa, const MacAddress* sha) {
  inet::ArpPacket a;
  a.op = op;
  a.sha = sha != nullptr ? *sha : info.mac;
  a.spa = spa;
  a.tha = tha;
  a.tpa = tpa;
  const std::vector<uint8_t> frame = inet::BuildArpFrame(dst_mac, info.mac, a);
  if (info.ifp->Output(frame).ok()) {
    arp_stats_.Inc(inet::kArpSndTotal);
    arp_stats_.Inc(op == inet::kArpOpRequest ? inet::kArpSndRequest : inet::kArpSndReply);
  }
}

uint32_t Inet::ArpSourceFor(const IfInfo& info, uint32_t target) {
  for (const inet::InAddress& a : info.addrs) {
    if (inet::IsReady(a) && (a.addr & a.netmask) == (target & a.netmask)) return a.addr;
  }
  return ReadyAddress(info, 0);
}

void Inet::InterfaceUp(Interface& ifp) {
  if (ip_dad_count_.load() <= 0 || !ifp.is_ethernet() || ifp.lladdr().size() != 6 ||
      (ifp.flags() & abi::kIFF_NOARP)) {
    return;
  }
  const int index = ifp.index();
  std::vector<std::pair<uint32_t, uint64_t>> runs;  // address, run id
  (void)net_->Configure(ifp, [&](InterfaceConfig& cfg) -> absl::Status {
    for (const inet::InAddress& a : inet::InAddresses(ifp)) {
      // A tentative address has its run already (a new address that
      // brought the interface up).
      if (a.addr == 0 || (a.flags & abi::kIN_IFF_TENTATIVE)) continue;
      const std::string sin = inet::SockaddrIn(a.addr, 0);
      for (InterfaceAddress r : ifp.addresses(abi::kAF_INET)) {
        if (r.addr != sin) continue;
        DadForget(index, a.addr);
        r.family_flags = abi::kIN_IFF_TENTATIVE;
        ifp.ReplaceAddress(abi::kAF_INET, sin, std::move(r));
        cfg.AddressesChanged();
        runs.emplace_back(a.addr, DadBegin(index, a.addr));
      }
    }
    return absl::OkStatus();
  });
  for (const auto& [addr, id] : runs) DadScheduleTick(index, addr, id, absl::ZeroDuration());
}

void Inet::Announce(Interface& ifp, const inet::InAddress& a) {
  if (!ifp.is_ethernet() || ifp.lladdr().size() != 6 || a.addr == 0) return;
  if (!inet::IsReady(a)) return;  // detection announces it when it ends
  if (!ifp.up_and_running() || (ifp.flags() & abi::kIFF_NOARP)) return;
  IfInfo info;
  info.ifp = net_->FindInterfaceByIndex(ifp.index());
  if (info.ifp == nullptr) return;
  info.index = ifp.index();
  info.ethernet = true;
  std::copy(ifp.lladdr().begin(), ifp.lladdr().end(), info.mac.begin());
  // The gratuitous ARP of arp_ifinit: a request for our own address.
  SendArp(info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{}, a.addr, a.addr);
}

// --- input

void Inet::ArpInput(Interface& ifp, absl::Span<const uint8_t> arp, bool link_broadcast) {
  arp_stats_.Inc(inet::kArpRcvTotal);
  inet::ArpPacket a;
  switch (inet::ParseArp(arp, &a)) {
    case inet::ArpParseError::kNone:
      break;
    case inet::ArpParseError::kTooShort:
      arp_stats_.Inc(inet::kArpRcvBadLen);
      return;
    default:
      arp_stats_.Inc(inet::kArpRcvBadProto);
      return;
  }
  if (link_broadcast) arp_stats_.Inc(inet::kArpRcvMcast);
  auto snap = snapshot();
  const IfInfo* info = snap ? FindIf(*snap, ifp.index()) : nullptr;
  if (info == nullptr || !info->ethernet) {
    arp_stats_.Inc(inet::kArpRcvNoInt);
    return;
  }
  if (a.sha == info->mac) {
    arp_stats_.Inc(inet::kArpRcvLocalSha);
    return;
  }
  if (a.sha == inet::kBroadcastMac) {
    arp_stats_.Inc(inet::kArpRcvBcastSha);
    return;
  }
  // Duplicate address detection (RFC 5227 2.1.1): while one of our
  // addresses is tentative, another station using it as its sender, or
  // probing for it too, makes it a duplicate.
  bool itsme = false, spa_is_mine = false;
  for (const inet::InAddress& x : info->addrs) {
    const bool about_it = a.spa == x.addr || (a.spa == 0 && a.tpa == x.addr);
    if (about_it && (x.flags & abi::kIN_IFF_TENTATIVE)) {
      if (a.spa == 0) arp_stats_.Inc(inet::kArpRcvZeroSpa);
      const int index = ifp.index();
      const uint32_t addr = x.addr;
      const MacAddress claimant = a.sha;
      std::lock_guard<std::mutex> lock(timer_mu_);
      if (!detached_ && kernel_ != nullptr) {
        // The flags change under the interface's configuration lock, which
        // an input thread must not wait for.
        kernel_->timers().Schedule(absl::ZeroDuration(), [this, index, addr, claimant] {
          DadEnd(index, addr, 0, true, claimant);
        });
      }
      return;
    }
    // A request for a tentative address is not answered; a duplicated
    // address is another station's, as far as ARP goes (its mapping is
    // learnt like any peer's, and nothing is answered for it).
    if (x.flags & abi::kIN_IFF_TENTATIVE) {
      if (a.tpa == x.addr) return;
      continue;
    }
    if (!inet::IsReady(x)) continue;
    itsme = itsme || x.addr == a.tpa;
    spa_is_mine = spa_is_mine || x.addr == a.spa;
  }
  if (a.tpa == 0) {
    arp_stats_.Inc(inet::kArpRcvZeroTpa);
    return;
  }
  if (spa_is_mine) {
    // Another station claims one of our addresses: say so, and defend it
    // with a reply that tells the sender who owns it (in_arpinput).
    arp_stats_.Inc(inet::kArpRcvLocalSpa);
    if (kernel_ != nullptr) {
      kernel_->Log(absl::StrFormat("%s: duplicate IP address %s sent from link address %s",
                                   ifp.name(), inet::FormatAddr(a.spa),
                                   inet::FormatMac(a.sha)));
    }
    if (a.op == inet::kArpOpRequest) {
      arp_stats_.Inc(inet::kArpRcvRequest);
      SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.spa, a.spa);
    }
    return;
  }
  if (a.op == inet::kArpOpRequest) {
    arp_stats_.Inc(inet::kArpRcvRequest);
  } else {
    arp_stats_.Inc(inet::kArpRcvReply);
  }
  std::shared_ptr<inet::ArpCache> cache = arp_cache(ifp.index());
  if (cache == nullptr) return;
  const absl::Time now = absl::Now();
  if (a.spa == 0) {
    arp_stats_.Inc(inet::kArpRcvZeroSpa);  // a probe: answer, learn nothing
  } else {
    // An entry is made only by ARP for us; others only refresh theirs.
    inet::ArpCache::UpdateResult u = cache->Update(a.spa, a.sha, itsme, now);
    if (u.changed) arp_stats_.Inc(inet::kArpRcvOver);
    for (std::vector<uint8_t>& p : u.released) {
      if (EtherOutput(*info, a.sha, inet::kEtherTypeIp, p).ok()) {
        arp_stats_.Inc(inet::kArpDfrSent);
      }
    }
  }
  if (!itsme) {
    // Proxy ARP: a request for an address published with arp -s ... pub
    // is answered with the published hardware address.
    if (a.op == inet::kArpOpRequest) {
      if (const std::optional<MacAddress> pub = cache->Published(a.tpa, now)) {
        SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.tpa, a.spa, &*pub);
        return;
      }
    }
    arp_stats_.Inc(inet::kArpRcvOtherHost);
    return;
  }
  if (a.op == inet::kArpOpRequest) {
    SendArp(*info, inet::kArpOpReply, a.sha, a.sha, a.tpa, a.spa);
  }
}

// --- duplicate address detection

uint64_t Inet::DadBegin(int ifindex, uint32_t addr) {
  std::lock_guard<std::mutex> lock(dad_mu_);
  DadRun& run = dad_[{ifindex, addr}];
  run.id = dad_next_id_++;
  run.count = std::max(ip_dad_count_.load(), 1);
  run.sent = 0;
  run.ending = false;
  return run.id;
}

void Inet::DadForget(int ifindex, uint32_t addr) {
  {
    std::lock_guard<std::mutex> lock(dad_mu_);
    if (dad_.erase({ifindex, addr}) == 0) return;
  }
  dad_cv_.notify_all();
}

void Inet::DadScheduleTick(int ifindex, uint32_t addr, uint64_t id, absl::Duration delay) {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (detached_ || kernel_ == nullptr) return;
  kernel_->timers().Schedule(delay, [this, ifindex, addr, id] { DadTick(ifindex, addr, id); });
}

void Inet::DadTick(int ifindex, uint32_t addr, uint64_t id) {
  auto snap = snapshot();
  const IfInfo* info = snap ? FindIf(*snap, ifindex) : nullptr;
  if (info == nullptr && (net_ == nullptr || net_->FindInterfaceByIndex(ifindex) == nullptr)) {
    DadForget(ifindex, addr);  // the interface is gone
    return;
  }
  // While the interface is down or unplugged no probe could be heard:
  // detection starts over once it runs again (NetBSD restarts it on link
  // up), and the address stays tentative until then. (An interface the
  // snapshot does not show yet counts as not running.)
  const bool running = info != nullptr && info->ifp->up_and_running();
  bool probe = false;
  {
    std::lock_guard<std::mutex> lock(dad_mu_);
    auto it = dad_.find({ifindex, addr});
    if (it == dad_.end() || it->second.id != id || it->second.ending) return;  // ended, or a newer run
    if (!running) {
      it->second.sent = 0;
    } else if (it->second.sent < it->second.count) {
      ++it->second.sent;
      probe = true;
    }
  }
  if (!running) {
    DadScheduleTick(ifindex, addr, id, config_.dad_interval);
    return;
  }
  if (!probe) {  // the last probe went unanswered for an interval
    DadEnd(ifindex, addr, id, false, MacAddress{});
    return;
  }
  // A probe: who has `addr`, from 0.0.0.0, so that no one learns a
  // mapping for an address that may not be ours.
  if (info->ethernet) {
    SendArp(*info, inet::kArpOpRequest, inet::kBroadcastMac, MacAddress{}, 0, addr);
  }
  DadScheduleTick(ifindex, addr, id, config_.dad_interval);
}

void Inet::DadEnd(int ifindex, uint32_t addr, uint64_t id, bool duplicated,
                  const MacAddress& claimant) {
  std::shared_ptr<Interface> ifp = net_ != nullptr ? net_->FindInterfaceByIndex(ifindex) : nullptr;
  if (ifp == nullptr) {
    DadForget(ifindex, addr);
    return;
  }
  int sent = 0;
  bool ended = false;
  uint64_t run_id = 0;
  const std::string sin = inet::SockaddrIn(addr, 0);
  (void)net_->Configure(*ifp, [&](InterfaceConfig& cfg) -> absl::Status {
    {
      // Still this run (id 0: whichever is running, for a conflict seen
      // by ARP input)?
      std::lock_guard<std::mutex> lock(dad_mu_);
      auto it = dad_.find({ifindex, addr});
      if (it == dad_.end() || it->second.ending || (id != 0 && it->second.id != id)) {
        return absl::OkStatus();
      }
      sent = it->second.sent;
      it->second.ending = true;
      run_id = it->second.id;
    }
    ended = true;
    for (InterfaceAddress r : ifp->addresses(abi::kAF_INET)) {
      if (r.addr != sin) continue;
      r.family_flags = duplicated ? abi::kIN_IFF_DUPLICATED : 0;
      ifp->ReplaceAddress(abi::kAF_INET, sin, std::move(r));
      cfg.AddressesChanged();
    }
    return absl::OkStatus();
  });
  if (!ended) return;
  // The message or the announcement first: a WaitForDad that returns finds
  // them done.
  if (duplicated) {
    if (kernel_ != nullptr) {
      kernel_->Log(absl::StrFormat(
          "%s: DAD detected duplicate IPv4 address %s (in use by %s) after %d probe(s); "
          "the address stays unused",
          ifp->name(), inet::FormatAddr(addr), inet::FormatMac(claimant), sent));
    }
  } else {
    for (const inet::InAddress& a : inet::InAddresses(*ifp)) {
      if (a.addr == addr) Announce(*ifp, a);
    }
  }
  {
    std::lock_guard<std::mutex> lock(dad_mu_);
    auto it = dad_.find({ifindex, addr});
    if (it != dad_.end() && it->second.id == run_id) dad_.erase(it);
  }
  dad_cv_.notify_all();
}

absl::Status Inet::WaitForDad(const Interface& ifp, uint32_t addr, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  {
    std::unique_lock<std::mutex> lock(dad_mu_);
    while (dad_.count({ifp.index(), addr}) != 0) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return abi::Errno(abi::kETIMEDOUT);
      dad_cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
    }
  }
  for (const inet::InAddress& a : inet::InAddresses(ifp)) {
    if (a.addr != addr) continue;
    if (a.flags & abi::kIN_IFF_DUPLICATED) return abi::Errno(abi::kEADDRINUSE);
    if (a.flags & abi::kIN_IFF_TENTATIVE) return abi::Errno(abi::kETIMEDOUT);
    return absl::OkStatus();
  }
  return abi::Errno(abi::kEADDRNOTAVAIL);
}

}  // namespace rump
