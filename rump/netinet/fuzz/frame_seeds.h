// The frame fuzzer's seed inputs: one valid input per kind of frame the
// kernel handles, each aimed at the fuzzed kernel (fuzz_network.h) so that
// it is delivered, answered or counted: ARP requests and replies, UDP to
// each socket (unicast, broadcast, from the connected socket's peer), ICMP
// echo, ICMP errors about the connected socket's datagrams, raw protocols
// (delivered and unreachable), a fragmented datagram, bytes that are no
// frame at all; TCP: SYNs with every option, odd and truncated options, to
// the listener and to a closed port, bad checksum and data offsets, and on
// the harness's established connection data in order, out of order,
// beyond the window, old, FIN, RSTs and SYN exact and in the window, SACK
// blocks, acknowledgments of sent and unsent data. Written by write_frame_fuzz_seeds and replayed by
// frame_fuzz_harness_test.
#ifndef RUMP_NETINET_FUZZ_FRAME_SEEDS_H_
#define RUMP_NETINET_FUZZ_FRAME_SEEDS_H_

#include <string>
#include <vector>

#include "rump/netinet/fuzz/frame_builder.h"

namespace rump::inet_fuzz {

struct SeedInput {
  std::string name;  // a file name
  std::vector<Frame> frames;
};

std::vector<SeedInput> SeedInputs();

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_FRAME_SEEDS_H_
