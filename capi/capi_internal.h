// What the C API's files share: the process-wide kernel that rump_init()
// makes, and host errno translation. Not installed; C++ only.
#ifndef RUMP_CAPI_CAPI_INTERNAL_H_
#define RUMP_CAPI_CAPI_INTERNAL_H_

#include <atomic>

#include "rump/kern/kernel.h"

namespace rump::capi {

// Set once by rump_init(), never cleared: the kernel lives until the host
// process exits (as NetBSD's does).
extern std::atomic<Kernel*> g_kernel;

// The kernel, or nullptr before rump_init() has succeeded.
inline Kernel* TheKernel() { return g_kernel.load(std::memory_order_acquire); }


}  // namespace rump::capi

#endif  // RUMP_CAPI_CAPI_INTERNAL_H_
