// The frame fuzzer's parts in the ordinary build (also under ASan and
// TSan): the seeds are frames the stack's own parsers accept, repaired
// frames have right checksums, the mutator's output always fits and
// decodes, and the harness runs the seeds and their mutants with every
// check on, then shuts the kernel down.
#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rump/netinet/checksum.h"
#include "rump/netinet/fuzz/frame_builder.h"
#include "rump/netinet/fuzz/frame_mutator.h"
#include "rump/netinet/fuzz/frame_seeds.h"
#include "rump/netinet/fuzz/fuzz_host.h"
#include "rump/netinet/ip_header.h"
#include "rump/netinet/tcp_header.h"

namespace rump::inet_fuzz {
namespace {

// A stand-in for LLVMFuzzerMutate: flips, inserts or drops a few bytes.
class SimpleByteMutator {
 public:
  size_t operator()(uint8_t* data, size_t size, size_t max_size) {
    switch (Next() % 3) {
      case 0:
        if (size > 0) data[Next() % size] ^= uint8_t(1 + Next() % 255);
        return size;
      case 1:
        if (size < max_size) {
          data[size] = uint8_t(Next());
          return size + 1;
        }
        return size;
      default:
        return size > 0 ? size - 1 : 0;
    }
  }

 private:
  uint32_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  uint32_t state_ = 2463534242u;
};

// What the stack makes of an IPv4 frame with every length and checksum
// right: true if its parsers and checksums accept it.
void ExpectStackAccepts(const Frame& f, const std::string& what) {
  const FrameLayout l = Dissect(f);
  if (l.arp) {
    inet::ArpPacket a;
    EXPECT_EQ(inet::ParseArp(absl::MakeConstSpan(f).subspan(kEtherHeaderLen), &a),
              inet::ArpParseError::kNone)
        << what;
    return;
  }
  if (!l.ipv4) return;
  const absl::Span<const uint8_t> packet = absl::MakeConstSpan(f).subspan(kEtherHeaderLen);
  inet::IpHeader h;
  ASSERT_EQ(inet::ParseIpHeader(packet, &h), inet::IpParseError::kNone) << what;
  if (l.fragment || l.l4_header_len == 0) return;
  const absl::Span<const uint8_t> seg = packet.subspan(h.hlen, h.total_len - h.hlen);
  if (h.proto == kProtoUdp) {
    const uint16_t ulen = Load16(seg.data() + 4);
    ASSERT_EQ(ulen, seg.size()) << what;
    EXPECT_EQ(inet::ChecksumFinish(
                  inet::ChecksumAdd(inet::PseudoHeaderSum(h.src, h.dst, kProtoUdp, ulen), seg)),
              0)
        << what;
  } else if (h.proto == kProtoIcmp) {
    EXPECT_EQ(inet::InetChecksum(seg), 0) << what;
  } else if (h.proto == kProtoTcp) {
    EXPECT_EQ(inet::ChecksumFinish(inet::ChecksumAdd(
                  inet::PseudoHeaderSum(h.src, h.dst, kProtoTcp, uint16_t(seg.size())), seg)),
              0)
        << what;
    // (Random bytes as TCP, kRawProto's, may have any data offset.)
    const size_t offset = size_t(seg[12] >> 4) * 4;
    if (offset >= kTcpFixedHeaderLen && offset <= seg.size()) {
      EXPECT_TRUE(inet::ParseTcpSegment(seg, h.src, h.dst).ok()) << what;
    }
  }
}

TEST(FrameBuilderTest, FrameListRoundTrips) {
  const std::vector<Frame> frames = {{}, {1, 2, 3}, Frame(1514, 7)};
  EXPECT_EQ(DecodeFrameList(EncodeFrameList(frames)), frames);
  // Every byte string decodes: a length past the end takes the rest, a lone
  // byte is a frame.
  EXPECT_EQ(DecodeFrameList(std::vector<uint8_t>{0, 9, 1, 2}), (std::vector<Frame>{{1, 2}}));
  EXPECT_EQ(DecodeFrameList(std::vector<uint8_t>{0, 1, 5, 6}), (std::vector<Frame>{{5}, {6}}));
  EXPECT_TRUE(DecodeFrameList({}).empty());
}

TEST(FrameBuilderTest, ChecksumsAgreeWithTheStack) {
  std::vector<uint8_t> data(301);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  EXPECT_EQ(InternetChecksum(data), inet::InetChecksum(data));
  EXPECT_EQ(ChecksumFold(PseudoHeaderSum(kHostAddr, kPeers[0].addr, 17, 301)),
            inet::ChecksumFinish(
                inet::PseudoHeaderSum(htonl(kHostAddr), htonl(kPeers[0].addr), 17, 301)));
}

TEST(FrameBuilderTest, SeedsAreFramesTheStackAccepts) {
  size_t frames = 0;
  for (const SeedInput& s : SeedInputs()) {
    ASSERT_FALSE(s.frames.empty()) << s.name;
    ASSERT_LE(s.frames.size(), kMaxFramesPerInput) << s.name;
    if (s.name == "not_a_frame" || s.name == "other_ethertype" || s.name == "all" ||
        s.name == "tcp_all" || s.name == "tcp_bad_checksum" ||
        s.name.rfind("tcp_data_offset", 0) == 0) {
      continue;
    }
    for (const Frame& f : s.frames) {
      ExpectStackAccepts(f, s.name);
      ++frames;
    }
  }
  EXPECT_GT(frames, 20u);
}

TEST(FrameBuilderTest, RepairRestoresLengthsAndChecksums) {
  FrameMutator m(7, SimpleByteMutator());
  for (int i = 0; i < 500; ++i) {
    for (FrameKind kind :
         {FrameKind::kUdp, FrameKind::kIcmpEcho, FrameKind::kIcmpError, FrameKind::kRawProto,
          FrameKind::kTcp}) {
      std::vector<Frame> frames = m.GenerateFrames(kind);
      ASSERT_EQ(frames.size(), 1u);
      Frame f = frames[0];
      Bytes more = {1, 2, 3, 4, 5};
      f.insert(f.end(), more.begin(), more.end());  // a longer payload, lengths stale
      f[kEtherHeaderLen] = 0x45;                    // no options (random ones may be bad)
      f.erase(f.begin() + kEtherHeaderLen + 20,
              f.begin() + kEtherHeaderLen + Dissect(frames[0]).ip_header_len);
      f[kEtherHeaderLen + 8] = 64;          // TTL
      Store16(&f[kEtherHeaderLen + 6], 0);  // not a fragment
      RepairFrame(f);
      ExpectStackAccepts(f, "kind " + std::to_string(int(kind)));
    }
  }
}

TEST(FrameMutatorTest, OutputFitsAndIsDeterministic) {
  std::vector<uint8_t> input = EncodeFrameList(SeedInputs().front().frames);
  const size_t max_size = 4096;
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    std::vector<uint8_t> a = input, b = input;
    a.resize(max_size);
    b.resize(max_size);
    const size_t na =
        FrameMutator(seed, SimpleByteMutator()).Mutate(a.data(), input.size(), max_size);
    const size_t nb =
        FrameMutator(seed, SimpleByteMutator()).Mutate(b.data(), input.size(), max_size);
    ASSERT_LE(na, max_size);
    ASSERT_EQ(na, nb);
    a.resize(na);
    b.resize(nb);
    ASSERT_EQ(a, b) << "seed " << seed;
    ASSERT_LE(DecodeFrameList(a).size(), kMaxFramesPerInput);
    if (seed % 4 != 0) input = a;  // walk on from the mutant
    if (input.empty()) input = EncodeFrameList(SeedInputs().back().frames);
  }
}

TEST(FrameMutatorTest, CrossOverFits) {
  const std::vector<SeedInput> seeds = SeedInputs();
  const std::vector<uint8_t> a = EncodeFrameList(seeds.back().frames);
  const std::vector<uint8_t> b = EncodeFrameList(seeds.front().frames);
  std::vector<uint8_t> out(512);
  for (uint32_t seed = 1; seed < 200; ++seed) {
    const size_t n = FrameMutator(seed, SimpleByteMutator())
                         .CrossOver(a.data(), a.size(), b.data(), b.size(), out.data(), out.size());
    ASSERT_LE(n, out.size());
  }
}

TEST(FuzzedHostTest, RunsSeedsAndMutantsWithEveryCheck) {
  FuzzedHost host;
  const uint64_t sent_at_start = host.frames_transmitted();
  EXPECT_GT(sent_at_start, 0u);  // gratuitous ARP, the probe's echo reply
  std::vector<std::vector<uint8_t>> corpus;
  for (const SeedInput& s : SeedInputs()) {
    corpus.push_back(EncodeFrameList(s.frames));
    host.RunInput(corpus.back());
  }
  const size_t max_size = 4096;
  for (uint32_t seed = 1; seed <= 1500; ++seed) {
    std::vector<uint8_t> in = corpus[seed % corpus.size()];
    const size_t size = in.size();
    in.resize(max_size);
    in.resize(FrameMutator(seed, SimpleByteMutator()).Mutate(in.data(), size, max_size));
    host.RunInput(in);
    if (seed % 3 == 0) corpus.push_back(std::move(in));
  }
  EXPECT_EQ(host.inputs_run(), SeedInputs().size() + 1500);
  EXPECT_GT(host.frames_transmitted(), sent_at_start + host.inputs_run());
}

}  // namespace
}  // namespace rump::inet_fuzz
