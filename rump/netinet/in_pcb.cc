#include "rump/netinet/in_pcb.h"

#include <algorithm>

#include "rump/abi/errno.h"
#include "rump/abi/in.h"
#include "rump/kern/object_id.h"
#include "rump/kern/privilege.h"
#include "rump/netinet/ip_header.h"

namespace rump::inet {

InPcbTable::PcbRef InPcbTable::Attach(std::weak_ptr<InetSocket> socket, int protocol) {
  auto pcb = std::make_shared<InPcb>();
  pcb->id = NewObjectId();
  pcb->socket = std::move(socket);
  pcb->protocol = protocol;
  std::lock_guard<std::mutex> lock(mu_);
  pcbs_.push_front(pcb);
  return pcb;
}

void InPcbTable::Detach(const PcbRef& pcb) {
  std::lock_guard<std::mutex> lock(mu_);
  UnindexLocked(pcb.get());
  pcbs_.remove(pcb);
}

void InPcbTable::IndexLocked(InPcb* p) {
  if (p->faddr != 0) {
    connected_.emplace(TupleKey{p->laddr, p->faddr, p->lport, p->fport}, p);
  } else if (p->lport != 0) {
    bound_.emplace(p->lport, p);
  }
}

void InPcbTable::UnindexLocked(InPcb* p) {
  if (p->faddr != 0) {
    auto it = connected_.find(TupleKey{p->laddr, p->faddr, p->lport, p->fport});
    if (it != connected_.end() && it->second == p) connected_.erase(it);
  } else if (p->lport != 0) {
    auto [first, last] = bound_.equal_range(p->lport);
    for (auto it = first; it != last; ++it) {
      if (it->second == p) {
        bound_.erase(it);
        break;
      }
    }
  }
}

PcbAddrs InPcbTable::Addrs(const PcbRef& pcb) const {
  std::lock_guard<std::mutex> lock(mu_);
  return PcbAddrs{pcb->laddr, pcb->faddr, pcb->lport, pcb->fport};
}

size_t InPcbTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pcbs_.size();
}

std::vector<PcbRow> InPcbTable::Rows() const {
  std::vector<PcbRow> rows;
  std::lock_guard<std::mutex> lock(mu_);
  rows.reserve(pcbs_.size());
  for (const PcbRef& p : pcbs_) {
    std::shared_ptr<InetSocket> so = p->socket.lock();
    if (so == nullptr) continue;
    rows.push_back(PcbRow{p->id, PcbAddrs{p->laddr, p->faddr, p->lport, p->fport}, p->protocol,
                          p->state, p->anon_port, std::move(so)});
  }
  return rows;
}

const InPcb* InPcbTable::LookupPortLocked(uint32_t laddr, uint16_t lport,
                                          bool wildcard) const {
  const InPcb* match = nullptr;
  int matchwild = 3;
  for (const PcbRef& p : pcbs_) {
    if (p->lport != lport) continue;
    int wild = 0;
    if (p->faddr != 0) ++wild;
    if (p->laddr == 0) {
      if (laddr != 0) ++wild;
    } else if (laddr == 0) {
      ++wild;
    } else if (p->laddr != laddr) {
      continue;
    }
    if (wild && !wildcard) continue;
    if (wild < matchwild) {
      match = p.get();
      matchwild = wild;
      if (wild == 0) break;
    }
  }
  return match;
}

absl::Status InPcbTable::PickEphemeralLocked(InPcb& pcb) {
  int lo = abi::kIPPORT_ANONMIN, hi = abi::kIPPORT_ANONMAX;
  if (anon_range_ != nullptr) {
    lo = std::clamp(anon_range_->min.load(), 1, 65535);
    hi = std::clamp(anon_range_->max.load(), lo, 65535);
  }
  int port = int(last_port_) - 1;
  for (int n = hi - lo + 1; n > 0; --n, --port) {
    if (port < lo || port > hi) port = hi;
    if (LookupPortLocked(pcb.laddr, uint16_t(port), true) == nullptr) {
      last_port_ = uint16_t(port);
      pcb.lport = uint16_t(port);
      pcb.anon_port = true;
      return absl::OkStatus();
    }
  }
  return abi::Errno(abi::kEAGAIN, "no ephemeral port");
}

absl::Status InPcbTable::Bind(const PcbRef& pcb, uint32_t laddr, uint16_t lport,
                              bool reuse_addr, bool reuse_port, const Credentials* cred) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pcb->lport != 0 || pcb->laddr != 0) return abi::Errno(abi::kEINVAL);
  // A reserved port is refused before any conflict is looked for.
  if (cred != nullptr) {
    if (absl::Status s = privilege::BindPort(*cred, lport); !s.ok()) return s;
  }
  pcb->reuse_addr = reuse_addr;
  pcb->reuse_port = reuse_port;
  if (lport != 0) {
    // in_pcbbind_port: with neither option any overlap (wildcards too)
    // conflicts; with one, only an identical local address does, and is
    // allowed when both sockets have SO_REUSEPORT (SO_REUSEADDR counts as
    // SO_REUSEPORT for multicast addresses).
    const bool wild = !reuse_addr && !reuse_port;
    bool mine = reuse_port, theirs_needed_port = true;
    if (IsMulticast(laddr) && reuse_addr) mine = true, theirs_needed_port = false;
    const InPcb* t = LookupPortLocked(laddr, lport, wild);
    if (t != nullptr) {
      const bool theirs = theirs_needed_port ? t->reuse_port : (t->reuse_port || t->reuse_addr);
      if (!(mine && theirs)) return abi::Errno(abi::kEADDRINUSE);
    }
    pcb->laddr = laddr;
    pcb->lport = lport;
    IndexLocked(pcb.get());
    pcb->state = PcbState::kBound;
    return absl::OkStatus();
  }
  pcb->laddr = laddr;
  absl::Status s = PickEphemeralLocked(*pcb);
  if (!s.ok()) {
    pcb->laddr = 0;
  } else {
    pcb->state = PcbState::kBound;
    IndexLocked(pcb.get());
  }
  return s;
}

absl::Status InPcbTable::Connect(const PcbRef& pcb, uint32_t src, uint32_t faddr,
                                 uint16_t fport) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t laddr = pcb->laddr != 0 ? pcb->laddr : src;
  if (pcb->lport != 0) {
    auto it = connected_.find(TupleKey{laddr, faddr, pcb->lport, fport});
    if (it != connected_.end() && it->second != pcb.get()) return abi::Errno(abi::kEADDRINUSE);
  }
  UnindexLocked(pcb.get());
  if (pcb->laddr == 0 && pcb->lport == 0) {
    if (absl::Status s = PickEphemeralLocked(*pcb); !s.ok()) return s;
  }
  pcb->laddr = laddr;
  pcb->faddr = faddr;
  pcb->fport = fport;
  pcb->state = PcbState::kConnected;
  IndexLocked(pcb.get());
  return absl::OkStatus();
}

absl::Status InPcbTable::SetConnected(const PcbRef& pcb, uint32_t laddr, uint16_t lport,
                                      uint32_t faddr, uint16_t fport) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connected_.find(TupleKey{laddr, faddr, lport, fport});
  if (it != connected_.end() && it->second != pcb.get()) return abi::Errno(abi::kEADDRINUSE);
  UnindexLocked(pcb.get());
  pcb->laddr = laddr;
  pcb->lport = lport;
  pcb->faddr = faddr;
  pcb->fport = fport;
  pcb->state = PcbState::kConnected;
  IndexLocked(pcb.get());
  return absl::OkStatus();
}

absl::Status InPcbTable::Disconnect(const PcbRef& pcb) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pcb->faddr == 0) return abi::Errno(abi::kENOTCONN);
  UnindexLocked(pcb.get());
  pcb->faddr = 0;
  pcb->fport = 0;
  pcb->laddr = 0;  // udp_disconnect: back to the wildcard address
  IndexLocked(pcb.get());
  pcb->state = PcbState::kBound;
  return absl::OkStatus();
}

void InPcbTable::SetRaw(const PcbRef& pcb, bool local, uint32_t addr) {
  std::lock_guard<std::mutex> lock(mu_);
  (local ? pcb->laddr : pcb->faddr) = addr;
}

std::vector<std::shared_ptr<InetSocket>> InPcbTable::LookupDatagram(uint32_t src,
                                                                    uint16_t sport,
                                                                    uint32_t dst, uint16_t dport,
                                                                    bool broadcast,
                                                                    bool* not_connected) const {
  std::vector<std::shared_ptr<InetSocket>> out;
  std::lock_guard<std::mutex> lock(mu_);
  if (broadcast) {
    for (const PcbRef& p : pcbs_) {
      if (p->lport != dport) continue;
      if (p->laddr != 0 && p->laddr != dst) continue;
      if (p->faddr != 0 && (p->faddr != src || p->fport != sport)) continue;
      if (auto s = p->socket.lock()) out.push_back(std::move(s));
      if (!p->reuse_addr && !p->reuse_port) break;
    }
    return out;
  }
  // The connected match, else the bound one with the best local address
  // (exact before wildcard; the newest among equals, as the list order).
  const InPcb* best = nullptr;
  if (auto it = connected_.find(TupleKey{dst, src, dport, sport}); it != connected_.end()) {
    best = it->second;
  } else {
    if (not_connected != nullptr) *not_connected = true;
    int best_rank = 3;
    auto [first, last] = bound_.equal_range(dport);
    for (auto it = first; it != last; ++it) {
      const InPcb* p = it->second;
      const int rank = p->laddr == dst ? 1 : p->laddr == 0 ? 2 : 3;
      if (rank <= best_rank && rank < 3) {
        best = p;
        best_rank = rank;
      }
    }
  }
  if (best != nullptr) {
    if (auto s = best->socket.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::shared_ptr<InetSocket>> InPcbTable::LookupConnected(uint32_t laddr,
                                                                     uint16_t lport,
                                                                     uint32_t faddr,
                                                                     uint16_t fport) const {
  std::vector<std::shared_ptr<InetSocket>> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connected_.find(TupleKey{laddr, faddr, lport, fport});
  if (it != connected_.end()) {
    if (auto s = it->second->socket.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::shared_ptr<InetSocket>> InPcbTable::LookupRaw(uint8_t proto, uint32_t src,
                                                               uint32_t dst) const {
  std::vector<std::shared_ptr<InetSocket>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const PcbRef& p : pcbs_) {
    if (p->protocol != 0 && p->protocol != proto) continue;
    if (p->laddr != 0 && p->laddr != dst) continue;
    if (p->faddr != 0 && p->faddr != src) continue;
    if (auto s = p->socket.lock()) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::shared_ptr<InetSocket>> InPcbTable::LookupRawNotify(uint8_t proto,
                                                                     uint32_t laddr,
                                                                     uint32_t faddr) const {
  std::vector<std::shared_ptr<InetSocket>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const PcbRef& p : pcbs_) {
    if (p->protocol != 0 && p->protocol != proto) continue;
    if (p->laddr != laddr || p->faddr != faddr) continue;
    if (auto s = p->socket.lock()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace rump::inet
