#include "rump/netinet/protosw.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "rump/abi/errno.h"
#include "rump/abi/socket.h"

namespace rump::inet {

absl::Status ProtocolTable::Register(ProtoSwitch entry) {
  const bool wildcard = entry.protocol == 0 && entry.type == abi::kSOCK_RAW;
  if (entry.type == 0) {
    return absl::InvalidArgumentError(absl::StrCat("protocol ", entry.name, ": no socket type"));
  }
  if (!wildcard && (entry.protocol < 1 || entry.protocol > 255)) {
    return absl::InvalidArgumentError(
        absl::StrCat("protocol ", entry.name, ": number ", entry.protocol, " not in 1..255"));
  }
  if (entry.ctlinput && !entry.input) {
    return absl::InvalidArgumentError(
        absl::StrCat("protocol ", entry.name, ": a ctlinput needs an input"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<const ProtoSwitch>& e : entries_) {
    if (e->type == entry.type && e->protocol == entry.protocol) {
      return absl::AlreadyExistsError(absl::StrCat("protocol ", entry.name, ": type ", entry.type,
                                                   " protocol ", entry.protocol, " is ",
                                                   e->name, "'s"));
    }
  }
  if (entry.input && !wildcard) {
    const ProtoSwitch* other = protox_[entry.protocol].load(std::memory_order_relaxed);
    if (other != nullptr) {
      return absl::AlreadyExistsError(absl::StrCat("protocol ", entry.name, ": input for ",
                                                   entry.protocol, " is ", other->name, "'s"));
    }
  }
  entries_.push_back(std::make_unique<const ProtoSwitch>(std::move(entry)));
  const ProtoSwitch* e = entries_.back().get();
  // Published last, fully built: input paths read these without the lock.
  if (wildcard) {
    wildcard_.store(e, std::memory_order_release);
  } else if (e->input) {
    protox_[e->protocol].store(e, std::memory_order_release);
  }
  return absl::OkStatus();
}

absl::StatusOr<const ProtoSwitch*> ProtocolTable::FindForSocket(int type, int protocol) const {
  const ProtoSwitch* found = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const ProtoSwitch* maybe = nullptr;
    for (const std::unique_ptr<const ProtoSwitch>& e : entries_) {
      if (protocol != 0) {
        // pffindproto: the exact pair; for SOCK_RAW, else the wildcard.
        if (e->type == type && e->protocol == protocol) {
          found = e.get();
          break;
        }
        if (type == abi::kSOCK_RAW && e->type == abi::kSOCK_RAW && e->protocol == 0 &&
            maybe == nullptr) {
          maybe = e.get();
        }
      } else if (e->type == type) {  // pffindtype: the first of that type
        found = e.get();
        break;
      }
    }
    if (found == nullptr) found = maybe;
  }
  if (found == nullptr) {
    return SocketTypeError(type, protocol);  // socreate's answer
  }
  if (!found->make_socket) return abi::Errno(abi::kEPROTONOSUPPORT);
  return found;
}

absl::StatusOr<std::shared_ptr<Socket>> ProtocolTable::MakeSocket(NetStack& net, int type,
                                                                  int protocol,
                                                                  int file_flags) const {
  absl::StatusOr<const ProtoSwitch*> e = FindForSocket(type, protocol);
  if (!e.ok()) return e.status();
  return (*e)->make_socket(net, type, protocol, file_flags);
}

void ProtocolTable::CtlInput(const ControlInput& c) const {
  const ProtoSwitch* e = ForInput(c.inner_protocol());
  if (e != nullptr && e->ctlinput) e->ctlinput(c);
}

std::vector<const ProtoSwitch*> ProtocolTable::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const ProtoSwitch*> out;
  out.reserve(entries_.size());
  for (const std::unique_ptr<const ProtoSwitch>& e : entries_) out.push_back(e.get());
  return out;
}

void ProtocolTable::SlowTimeout() const {
  for (const ProtoSwitch* e : entries()) {
    if (e->slow_timeout) e->slow_timeout();
  }
}

void ProtocolTable::FastTimeout() const {
  for (const ProtoSwitch* e : entries()) {
    if (e->fast_timeout) e->fast_timeout();
  }
}

bool ProtocolTable::has_fast_timeout() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<const ProtoSwitch>& e : entries_) {
    if (e->fast_timeout) return true;
  }
  return false;
}

}  // namespace rump::inet
