#include "rump/kern/process.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "rump/abi/sysctl.h"

namespace rump {
namespace {

int NofileSoft(const ResourceLimits& limits) {
  const absl::StatusOr<abi::Rlimit> l = limits.Get(abi::kRlimitNofile);
  return l.ok() ? int(std::min<uint64_t>(l->rlim_cur, FdTable::kMaxDescriptors))
                : FdTable::kMaxDescriptors;
}

uint64_t SbsizeSoft(const ResourceLimits& limits) {
  const absl::StatusOr<abi::Rlimit> l = limits.Get(abi::kRlimitSbsize);
  return l.ok() ? l->rlim_cur : abi::kRlimInfinity;
}

}  // namespace

Process::Process(pid_t pid, pid_t ppid, std::string comm, std::shared_ptr<FdTable> fds,
                 const ResourceLimits& limits)
    : pid_(pid),
      ppid_(ppid),
      comm_(std::move(comm)),
      fds_(fds ? std::move(fds) : std::make_shared<FdTable>()),
      limits_(limits),
      sb_account_(std::make_shared<SocketBufferAccount>(SbsizeSoft(limits_))) {
  fds_->set_limit(NofileSoft(limits_));
}

absl::Status Process::SetLimit(int which, abi::Rlimit value, bool privileged) {
  absl::Status s = limits_.Set(which, value, privileged);
  if (s.ok() && which == abi::kRlimitNofile) fds_->set_limit(NofileSoft(limits_));
  if (s.ok() && which == abi::kRlimitSbsize) sb_account_->set_limit(SbsizeSoft(limits_));
  return s;
}

void Process::InheritLimits(const Process& from) {
  limits_ = from.limits_;
  fds_->set_limit(NofileSoft(limits_));
  sb_account_->set_limit(SbsizeSoft(limits_));
}

bool Process::stop_flag(int which) const {
  const int bit = which - abi::kProcPidStopfork;
  if (bit < 0 || bit > 2) return false;
  return (stop_flags_.load(std::memory_order_relaxed) >> bit) & 1;
}

void Process::set_stop_flag(int which, bool on) {
  const int bit = which - abi::kProcPidStopfork;
  if (bit < 0 || bit > 2) return;
  if (on) {
    stop_flags_.fetch_or(1u << bit, std::memory_order_relaxed);
  } else {
    stop_flags_.fetch_and(~(1u << bit), std::memory_order_relaxed);
  }
}

std::string Process::comm() const {
  std::lock_guard<std::mutex> lock(comm_mu_);
  return comm_;
}

void Process::set_comm(std::string comm) {
  std::lock_guard<std::mutex> lock(comm_mu_);
  comm_ = std::move(comm);
}

Credentials Process::credentials() const {
  std::lock_guard<std::mutex> lock(cred_mu_);
  return cred_;
}

void Process::set_credentials(const Credentials& c, bool mark_set_ugid) {
  bool changed;
  {
    std::lock_guard<std::mutex> lock(cred_mu_);
    changed = !(cred_ == c);
    cred_ = c;
  }
  if (changed || mark_set_ugid) sugid_.store(true, std::memory_order_relaxed);
}

void Process::InitCredentials(const Credentials& c, bool set_ugid) {
  {
    std::lock_guard<std::mutex> lock(cred_mu_);
    cred_ = c;
  }
  sugid_.store(set_ugid, std::memory_order_relaxed);
}

void Process::Interrupt() {
  std::vector<Sleeper*> sleepers;
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    interrupted_.store(true, std::memory_order_release);
    sleepers = sleepers_;
    ++interrupting_;  // keeps every listed sleeper (and its mutex) in place
  }
  for (Sleeper* s : sleepers) {
    // A registered sleeper holds its mutex from its last look at
    // interrupted() until it waits; taking the mutex here means it is
    // waiting now (or gone past), so the notification cannot be lost.
    { std::lock_guard<std::mutex> lock(*s->mu); }
    s->cv->notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    --interrupting_;
  }
  sleep_cv_.notify_all();
}

}  // namespace rump
