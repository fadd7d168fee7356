// Reference frames of NetBSD's rump_sp 0.4 as a NetBSD 7.99.34 (amd64)
// client and server exchange them (a handshake, getpid, a sendto with its two
// COPYINs, a failing socket call, COPYOUT, PREFORK, a FORK handshake, ERROR
// and RAISE; layouts in docs/sp-protocol.md), as bytes, for the codec tests
// and the fuzzer's seed corpus. The "aa" bytes stand for rsp_sysresp's
// padding, which NetBSD leaves uninitialised (our encoder writes zeros).
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

// Every reference frame, in the order above (the banner excluded).
const std::vector<SpecExample>& SpecFrames();

// The bytes of the example called `name`; aborts the test binary if unknown.
const std::string& SpecFrame(absl::string_view name);

// NetBSD 7.99.34's banner on amd64, as bytes.
std::string SpecBanner();

// "1d 00 0a" -> bytes; whitespace ignored.
std::string FromHex(absl::string_view hex);

}  // namespace sp::wire::testing

#endif  // RUMP_SP_WIRE_SPEC_EXAMPLES_H_
