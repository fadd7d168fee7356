#include "rump/kern/object_id.h"

#include <atomic>

namespace rump {

uint64_t NewObjectId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace rump
