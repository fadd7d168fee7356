// libFuzzer target for the network stack's input path (built with clang++
// -fsanitize=fuzzer,address,undefined by //bazel:libfuzzer.bzl and run by
// frame_fuzz_test; README.md says how to run it for longer).
//
// One kernel for the whole run (fuzz_host.h): booted in
// LLVMFuzzerInitialize with fuzz0 up at 10.0.0.1/24 and 192.168.7.1/16,
// ARP entries for its peers and UDP and raw sockets open. Each input is a
// list of Ethernet frames (frame_builder.h), handed one by one to fuzz0's
// input path; then every socket is drained and the kernel is probed (a
// ping and a datagram must still get through) and its tables checked. A
// violated invariant aborts with a message.
//
// The custom mutator (frame_mutator.h) edits frames field by field and
// repairs their lengths and checksums, so that mutations get past the
// checksum checks; the custom cross-over splices frame lists.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "absl/types/span.h"
#include "rump/netinet/fuzz/frame_mutator.h"
#include "rump/netinet/fuzz/fuzz_host.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

// Reachable for the whole run, so not a leak; the kernel's threads keep
// running until exit.
rump::inet_fuzz::FuzzedHost* host = nullptr;

rump::inet_fuzz::FrameMutator MutatorFor(unsigned int seed) {
  return rump::inet_fuzz::FrameMutator(seed, &LLVMFuzzerMutate);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  host = new rump::inet_fuzz::FuzzedHost();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  host->RunInput(absl::MakeConstSpan(data, size));
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  return MutatorFor(seed).Mutate(data, size, max_size);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1,
                                            const uint8_t* data2, size_t size2, uint8_t* out,
                                            size_t max_out_size, unsigned int seed) {
  return MutatorFor(seed).CrossOver(data1, size1, data2, size2, out, max_out_size);
}
