// libFuzzer target for the IPv6 extension header walk (ip6_header.h):
// ParseIp6Header and WalkIp6Chain on arbitrary packets. The input format
// and the properties are ip6_chain_fuzz.h's. Built by //bazel:libfuzzer.bzl
// (clang++ -fsanitize=fuzzer,address,undefined) and run by
// ip6_chain_fuzz_test.
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "rump/netinet6/fuzz/ip6_chain_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rump::inet6_fuzz::CheckIp6Chain(absl::MakeConstSpan(data, size));
  return 0;
}
