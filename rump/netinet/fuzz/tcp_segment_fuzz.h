// The TCP segment codec's fuzz property (tcp_header.h), shared by the
// libFuzzer target tcp_segment_fuzzer.cc and the gcc-built
// tcp_segment_fuzz_harness_test.
//
// An input is a control byte and then bytes (absent control byte: the
// empty input, which is skipped). Control bit 1 clear ("wire"): the rest
// is a TCP segment from 10.0.0.2 to 10.0.0.1; with bit 0 set its checksum
// field is first set right (when it has 20 bytes), so that most inputs
// get past the checksum. Checked:
//  * ParseTcpOptions on the bytes after the fixed header never reads out
//    of bounds; on their first 40 (an option area's most) it gives a
//    window shift of at most 14 and at most 4 SACK blocks;
//  * ParseTcpSegment refuses exactly what is shorter than 20 bytes, has a
//    data offset below 5 words or past the segment, or a wrong checksum;
//    what it accepts has the header fields at their wire offsets, the
//    options ParseTcpOptions finds between the header and the data, and
//    the rest as payload;
//  * the round trip: an accepted segment, rebuilt by BuildTcpSegment from
//    its header, options (truncated cleared) and payload, either is
//    refused because its options do not fit in 40 bytes once aligned
//    (EncodeTcpOptions refuses them too), or parses again to the same
//    header fields, options and payload.
// Control bit 1 set ("build"): the rest describes options, header fields
// and a payload; BuildTcpSegment must accept them exactly when
// EncodeTcpOptions does (a shift above 14, more than 4 SACK blocks or
// more than 40 option bytes refused), and what it builds parses back to
// them.
// A violation prints what and aborts.
#ifndef RUMP_NETINET_FUZZ_TCP_SEGMENT_FUZZ_H_
#define RUMP_NETINET_FUZZ_TCP_SEGMENT_FUZZ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace rump::inet_fuzz {

void CheckTcpSegmentCodec(absl::Span<const uint8_t> input);

struct TcpSegmentSeed {
  std::string name;
  std::vector<uint8_t> input;
};
// Segments with every option, odd and truncated options, SACK blocks,
// data, bad offsets and checksums, and build descriptions.
std::vector<TcpSegmentSeed> TcpSegmentSeeds();

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_TCP_SEGMENT_FUZZ_H_
