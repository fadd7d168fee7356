// The frame fuzzer's structure-aware mutator: what LLVMFuzzerCustomMutator
// and LLVMFuzzerCustomCrossOver do (frame_fuzzer.cc), kept apart from
// libFuzzer so that the ordinary build can test it.
//
// An input is a list of Ethernet frames (frame_builder.h). One mutation
// decodes the list, changes it in one of these ways, and encodes it again
// within the size libFuzzer allows:
//  * mutates one region of one frame (Ethernet header, ARP body, IPv4
//    header with its options, transport header, payload) with libFuzzer's
//    own byte mutator;
//  * sets one header field to a value that matters to the kernel (its own
//    addresses and MAC, the broadcast and multicast addresses, its sockets'
//    ports and protocols, fragment bits, TTL 0 and 1, header lengths,
//    ICMP types and codes, ARP operations, TCP ports, flags, sequence and
//    acknowledgment numbers in and around the harness connection's
//    windows, data offsets, options);
//  * inserts or replaces a frame built from scratch: ARP, UDP, ICMP echo,
//    ICMP errors that quote a datagram of a connected socket, other ICMP,
//    raw protocols, TCP segments (to the harness's connection with
//    sequence numbers in, around and out of its windows, to the listener,
//    to a closed port, with every option, SACK blocks, odd options), a
//    datagram cut into (possibly overlapping, reordered,
//    incomplete) fragments, random bytes;
//  * cuts an IPv4 frame into fragments, truncates or pads a frame, deletes,
//    duplicates or moves one;
//  * rarely, mutates the encoded input as plain bytes.
// After a field or region change the frame is repaired: lengths and
// checksums recomputed (RepairFrame), most of the time all of them, else
// a random subset so that wrong checksums and lengths still arrive.
//
// Deterministic: the same input, seed and byte mutator give the same
// output.
#ifndef RUMP_NETINET_FUZZ_FRAME_MUTATOR_H_
#define RUMP_NETINET_FUZZ_FRAME_MUTATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "rump/netinet/fuzz/frame_builder.h"

namespace rump::inet_fuzz {

// libFuzzer's LLVMFuzzerMutate: mutates data[0, size) in place, into at
// most max_size bytes (the buffer holds max_size), and returns the new size.
using ByteMutator = std::function<size_t(uint8_t* data, size_t size, size_t max_size)>;

// What GenerateFrames builds.
enum class FrameKind {
  kArp,
  kUdp,
  kIcmpEcho,
  kIcmpError,
  kIcmpOther,
  kRawProto,
  kFragments,
  kRandomBytes,
  kTcp,
};
inline constexpr int kFrameKindCount = 9;

class FrameMutator {
 public:
  FrameMutator(uint32_t seed, ByteMutator byte_mutator);

  // LLVMFuzzerCustomMutator: `data` holds `size` bytes in a buffer of
  // `max_size`; returns the new size (at most max_size).
  size_t Mutate(uint8_t* data, size_t size, size_t max_size);
  // LLVMFuzzerCustomCrossOver: frames of both inputs into `out`.
  size_t CrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                   uint8_t* out, size_t max_out_size);

  // A new frame of `kind` aimed at the fuzzed kernel (several for
  // kFragments).
  std::vector<Frame> GenerateFrames(FrameKind kind);

 private:
  // Random choices.
  size_t Below(size_t n);  // uniform in [0, n); 0 when n == 0
  bool OneIn(size_t n);
  Bytes RandomBytes(size_t n);
  size_t PayloadLength();
  uint32_t PickDestination();
  uint32_t PickSource();
  uint16_t PickPort();
  uint8_t PickProto();
  Mac MacFor(uint32_t addr);  // the station that has `addr`
  Mac DestinationMacFor(uint32_t dst);
  RepairPlan PickRepairPlan();

  // Frame builders behind GenerateFrames.
  Frame MakeArp();
  Frame MakeUdp();
  Frame MakeIcmpEcho();
  Frame MakeIcmpError();
  Frame MakeIcmpOther();
  Frame MakeRawProto();
  std::vector<Frame> MakeFragments();
  Frame MakeRandomBytes();
  Frame MakeTcp();
  Bytes MakeTcpOptions(bool syn);
  uint32_t PickHostSeq();  // the connection's kernel sequence space (nominal)
  uint32_t PickPeerSeq();  // the peer's
  uint8_t PickTcpFlags();
  bool SetTcpField(Frame& f, const FrameLayout& l);
  Frame IpFrame(const Ipv4Fields& fields, const Bytes& payload);
  std::vector<std::pair<size_t, size_t>> PickFragmentPieces(size_t payload_len);

  // The mutations; each returns false when it did not apply.
  bool MutateRegion(std::vector<Frame>& frames);
  bool SetField(std::vector<Frame>& frames);
  bool InsertNew(std::vector<Frame>& frames);
  bool ReplaceWithNew(std::vector<Frame>& frames);
  bool Fragment(std::vector<Frame>& frames);
  bool ResizeFrame(std::vector<Frame>& frames);
  bool Rearrange(std::vector<Frame>& frames);
  bool SetArpField(Frame& f);
  bool SetIpField(Frame& f, const FrameLayout& l);

  // Encodes `frames` into `out`, dropping frames from the end (and cutting
  // the last one) until it fits in max_size.
  static size_t EncodeInto(const std::vector<Frame>& frames, uint8_t* out, size_t max_size);

  std::minstd_rand rng_;
  ByteMutator byte_mutator_;
};

}  // namespace rump::inet_fuzz

#endif  // RUMP_NETINET_FUZZ_FRAME_MUTATOR_H_
