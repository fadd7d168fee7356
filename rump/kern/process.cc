#include "rump/kern/process.h"

namespace rump {

Credentials Process::credentials() const {
  const uint64_t u = uids_.load(std::memory_order_relaxed);
  const uint64_t g = gids_.load(std::memory_order_relaxed);
  return Credentials{uint32_t(u), uint32_t(u >> 32), uint32_t(g), uint32_t(g >> 32)};
}

void Process::set_credentials(const Credentials& c) {
  uids_.store(uint64_t{c.uid} | (uint64_t{c.euid} << 32), std::memory_order_relaxed);
  gids_.store(uint64_t{c.gid} | (uint64_t{c.egid} << 32), std::memory_order_relaxed);
}

}  // namespace rump
