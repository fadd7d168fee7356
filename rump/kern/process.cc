#include "rump/kern/process.h"

namespace rump {

std::string Process::comm() const {
  std::lock_guard<std::mutex> lock(comm_mu_);
  return comm_;
}

void Process::set_comm(std::string comm) {
  std::lock_guard<std::mutex> lock(comm_mu_);
  comm_ = std::move(comm);
}

Credentials Process::credentials() const {
  const uint64_t u = uids_.load(std::memory_order_relaxed);
  const uint64_t g = gids_.load(std::memory_order_relaxed);
  return Credentials{uint32_t(u), uint32_t(u >> 32), uint32_t(g), uint32_t(g >> 32)};
}

void Process::set_credentials(const Credentials& c) {
  const uint64_t uids = uint64_t{c.uid} | (uint64_t{c.euid} << 32);
  const uint64_t gids = uint64_t{c.gid} | (uint64_t{c.egid} << 32);
  const bool uids_changed = uids_.exchange(uids, std::memory_order_relaxed) != uids;
  const bool gids_changed = gids_.exchange(gids, std::memory_order_relaxed) != gids;
  if (uids_changed || gids_changed) sugid_.store(true, std::memory_order_relaxed);
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
