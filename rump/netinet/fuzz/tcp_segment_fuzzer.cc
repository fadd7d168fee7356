// libFuzzer target for the TCP segment codec alone (tcp_header.h):
// ParseTcpSegment and ParseTcpOptions on arbitrary bytes, and the round
// trip through BuildTcpSegment. The input format and the properties are
// tcp_segment_fuzz.h's. Built and run by tcp_segment_fuzz_test through
// //bazel:libfuzzer.bzl (clang++ -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "rump/netinet/fuzz/tcp_segment_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rump::inet_fuzz::CheckTcpSegmentCodec(absl::MakeConstSpan(data, size));
  return 0;
}
