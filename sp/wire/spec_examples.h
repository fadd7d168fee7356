// The worked byte-level examples of shared/spec/rumpsp-protocol.md §12, as
// bytes, for the codec tests and the fuzzer's seed corpus. Frames are exactly
// as printed there, including the "aa" bytes that stand for rsp_sysresp's
// uninitialised padding (our encoder writes zeros there).
#ifndef RUMP_SP_WIRE_SPEC_EXAMPLES_H_
#define RUMP_SP_WIRE_SPEC_EXAMPLES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sp::wire::testing {

struct SpecExample {
  std::string name;   // e.g. "getpid.response"
  std::string bytes;  // the whole frame
};

// Every example frame of §12, in the order they appear (the banner excluded).
const std::vector<SpecExample>& SpecFrames();

// The bytes of the example called `name`; aborts the test binary if unknown.
const std::string& SpecFrame(absl::string_view name);

// The §12 banner bytes.
std::string SpecBanner();

// "1d 00 0a" -> bytes; whitespace ignored.
std::string FromHex(absl::string_view hex);

}  // namespace sp::wire::testing

#endif  // RUMP_SP_WIRE_SPEC_EXAMPLES_H_
