// The IPv6 extension header walk's fuzz property (ip6_header.h), shared by
// the libFuzzer target ip6_chain_fuzzer.cc and the gcc-built
// ip6_chain_fuzz_harness_test.
//
// An input is a control byte and then bytes (the empty input is skipped).
// The control byte's low three bits choose the fixed header's next header
// (hop-by-hop, routing, fragment, destination options, UDP, No Next
// Header, or the byte itself); bit 3 set keeps the payload length the
// input gives in its next two bytes instead of the true one. The rest is
// the payload, placed after a fixed header from 2001:db8::1 (bit 4 clear)
// or to ff02::1 (bit 4 set), in a buffer of exactly the packet's size.
// Checked:
//  * ParseIp6Header accepts exactly a version 6 header whose payload
//    length fits, and WalkIp6Chain never reads outside the packet;
//  * an accepted walk ends inside the packet, names its protocol at
//    next_header_at, stops at a fragment header exactly when it reports
//    one, and walked at most kMaxExtensionHeaders headers;
//  * a refusal with a Parameter Problem points inside the packet, with
//    code 1 at a byte naming a hop-by-hop header, code 0 at a routing
//    type with non-zero segments left after it, code 2 at an option whose
//    high bits ask for the action reported;
//  * the walk is deterministic, and walking from the fixed header gives
//    the same as WalkIp6ChainFrom(packet, 40, next header, 6, true).
// A violation prints what and aborts.
#ifndef RUMP_NETINET6_FUZZ_IP6_CHAIN_FUZZ_H_
#define RUMP_NETINET6_FUZZ_IP6_CHAIN_FUZZ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace rump::inet6_fuzz {

void CheckIp6Chain(absl::Span<const uint8_t> input);

struct Ip6ChainSeed {
  std::string name;
  std::vector<uint8_t> input;
};
// Chains of every extension header, options of every action, routing
// types with and without segments left, fragment headers, truncations.
std::vector<Ip6ChainSeed> Ip6ChainSeeds();

}  // namespace rump::inet6_fuzz

#endif  // RUMP_NETINET6_FUZZ_IP6_CHAIN_FUZZ_H_
