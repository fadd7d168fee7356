// Eventually: waiting for a condition that another thread or process makes
// true, in tests.
//
// A test that needs "the other side has done X" polls for X with
// Eventually instead of sleeping a fixed time: it returns as soon as X
// holds, and its limit is only a failure detector for a test that would
// otherwise hang, far beyond any normal run even on a loaded machine under
// a sanitizer. Never use the limit to assert that something is fast.
#ifndef TESTS_SUPPORT_EVENTUALLY_H_
#define TESTS_SUPPORT_EVENTUALLY_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace rump::testing {

// How long Eventually waits by default before it gives up.
inline constexpr absl::Duration kEventuallyLimit = absl::Seconds(60);

// Calls pred() until it returns true (then returns true) or `limit` has
// passed (then returns false). pred() is called at once, then every
// millisecond or so; it must be safe to call from the test's thread.
template <typename Pred>
bool Eventually(Pred pred, absl::Duration limit = kEventuallyLimit) {
  const absl::Time deadline = absl::Now() + limit;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

}  // namespace rump::testing

#endif  // TESTS_SUPPORT_EVENTUALLY_H_
