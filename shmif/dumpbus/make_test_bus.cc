// make_test_bus LAYOUT OUTPUT: writes a hand-made bus file with known frames
// for shmif_dumpbus_test.sh, byte by byte (HandBuiltBus), never through the
// live ring code.
//
// Every layout except `fresh` carries the same two frames:
//   an ARP request, 10.0.0.1 (b2:a0:0a:00:00:01) asking for 10.0.0.2,
//     broadcast, 42 bytes, ts 1700000000/000001;
//   a UDP datagram 10.0.0.1.1234 > 10.0.0.2.5678 carrying "hello shmif",
//     53 bytes, correct checksums, ts 1700000000/250000.
// Layouts (offsets are data offsets; see shmif_dumpbus_test.sh for the
// expected dump of each):
//   fresh         as an attacher leaves a new bus: version 0, no frames.
//   plain         a bus that has not wrapped: the all-zero entry at 0, the
//                 ARP frame's header at 0x18, the UDP frame's at 0x5a.
//   v2            like plain, on a version 2 bus (12-byte frame headers).
//   foreign       like plain, with every integer byte-swapped.
//   header-wrap   wrapped ring: the UDP frame's header is split by the end
//                 of the data area.
//   payload-wrap  wrapped ring: the UDP frame (the newest) has its payload
//                 split by the end of the data area, and stale frames from
//                 the previous lap follow it.
//   bad-length    like plain, but the UDP frame's length is 65535.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "shmif/bus_format.h"
#include "shmif/dumpbus/hand_built_bus.h"
#include "shmif/demo/protocol_frames.h"

namespace shmif::testing {
namespace {

constexpr uint32_t kSec = 1700000000;
constexpr uint32_t kArpUsec = 1;
constexpr uint32_t kUdpUsec = 250000;
constexpr uint64_t kSenderA = 0x1111222233334444ull;

struct Frames {
  std::vector<uint8_t> arp = demo::MakeArpRequest(demo::kMacA, demo::kIpA, demo::kIpB);
  std::vector<uint8_t> udp =
      demo::MakeUdpFrame(demo::kMacB, demo::kMacA, demo::kIpA, demo::kIpB, 1234, 5678, 1, "hello shmif");
};

// The state after two sends on a new bus: `first` still at the "empty"
// marker (nothing has wrapped), the all-zero entry at 0, then the frames.
HandBuiltBus Plain(ByteOrder order, int version, bool bad_length) {
  const Frames f;
  const uint32_t header_size = version == 2 ? 12 : 24;
  HandBuiltBus bus(order);
  bus.SetVersion(version);
  bus.SetFirst(kDataSize);
  uint32_t off = header_size;  // past the all-zero entry at 0
  off = bus.PutFrame(off, f.arp, kSec, kArpUsec, kSenderA, version);
  const uint32_t udp_at = off;
  if (bad_length) {
    bus.PutFrameHeader(udp_at, 65535, kSec, kUdpUsec, kSenderA, version);
  } else {
    bus.PutFrame(udp_at, f.udp, kSec, kUdpUsec, kSenderA, version);
  }
  bus.SetLast(udp_at);
  return bus;
}

// A ring that has wrapped once: the ARP frame ends `udp_header_room` bytes
// before the end of the data area, where the UDP frame's header starts.
HandBuiltBus Wrapped(uint32_t udp_header_room) {
  const Frames f;
  HandBuiltBus bus(HostByteOrder());
  bus.SetVersion(3);
  bus.SetGeneration(1);
  const uint32_t udp_at = kDataSize - udp_header_room;
  const uint32_t arp_at = udp_at - 24 - static_cast<uint32_t>(f.arp.size());
  bus.PutFrame(arp_at, f.arp, kSec, kArpUsec, kSenderA);
  const uint32_t end = bus.PutFrame(udp_at, f.udp, kSec, kUdpUsec, kSenderA);
  // What is left of the previous lap: complete-looking old frames, which a
  // reader must not mistake for new ones.
  const uint32_t stale_at = bus.PutFrame(end, f.arp, 1, 0, kSenderA);
  bus.PutFrame(stale_at, f.udp, 2, 0, kSenderA);
  bus.SetFirst(arp_at);
  bus.SetLast(udp_at);
  return bus;
}

int Main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_test_bus LAYOUT OUTPUT\n");
    return 2;
  }
  const std::string layout = argv[1];
  HandBuiltBus bus(HostByteOrder());
  if (layout == "fresh") {
    bus.SetFirst(kDataSize);
  } else if (layout == "plain") {
    bus = Plain(HostByteOrder(), 3, false);
  } else if (layout == "v2") {
    bus = Plain(HostByteOrder(), 2, false);
  } else if (layout == "foreign") {
    bus = Plain(ForeignByteOrder(), 3, false);
  } else if (layout == "bad-length") {
    bus = Plain(HostByteOrder(), 3, true);
  } else if (layout == "header-wrap") {
    bus = Wrapped(8);  // 8 of the 24 header bytes fit before the end
  } else if (layout == "payload-wrap") {
    bus = Wrapped(24 + 10);  // the header fits, 10 payload bytes do
  } else {
    std::fprintf(stderr, "make_test_bus: unknown layout %s\n", argv[1]);
    return 2;
  }
  if (absl::Status s = bus.WriteToFile(argv[2]); !s.ok()) {
    std::fprintf(stderr, "make_test_bus: %s\n",
                 std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace shmif::testing

int main(int argc, char** argv) { return shmif::testing::Main(argc, argv); }
