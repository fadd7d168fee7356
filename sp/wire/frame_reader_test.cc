// FrameReader and ParseFrame: reassembly from arbitrary chunks, limits,
// truncation.
#include "sp/wire/frame_reader.h"

#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "sp/wire/encode.h"
#include "sp/wire/spec_examples.h"

namespace sp::wire {
namespace {

std::string Serialize(const Frame& f) {
  std::string out(kHeaderSize, '\0');
  EncodeHeader(f.header, reinterpret_cast<uint8_t*>(out.data()));
  return out + f.payload;
}

// All reference frames (spec_examples.h) back to back, and the list of them.
std::vector<std::string> ExampleFrames() {
  std::vector<std::string> out;
  for (const auto& e : testing::SpecFrames()) out.push_back(e.bytes);
  return out;
}

std::string Concat(const std::vector<std::string>& frames) {
  std::string all;
  for (const auto& f : frames) all += f;
  return all;
}

std::string HeaderWithLen(uint64_t len) {
  std::string h(kHeaderSize, '\0');
  EncodeHeader(Header{len, 1, kClassRequest, kTypeSyscall, 20},
               reinterpret_cast<uint8_t*>(h.data()));
  return h;
}

// Feeds `stream` in chunks whose sizes come from `next_chunk`; returns the
// frames re-serialized.
template <typename ChunkFn>
std::vector<std::string> ReadAll(const std::string& stream, ChunkFn next_chunk) {
  FrameReader reader;
  std::vector<std::string> got;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::min(next_chunk(), stream.size() - pos);
    EXPECT_TRUE(reader.Feed(absl::string_view(stream).substr(pos, n)).ok());
    pos += n;
    while (auto f = reader.Next()) {
      EXPECT_EQ(f->header.len, kHeaderSize + f->payload.size());
      got.push_back(Serialize(*f));
    }
  }
  EXPECT_TRUE(reader.AtFrameBoundary());
  EXPECT_TRUE(reader.Finish().ok());
  return got;
}

TEST(FrameReaderTest, SplitStreamOneByteAtATime) {
  const auto frames = ExampleFrames();
  EXPECT_EQ(ReadAll(Concat(frames), [] { return size_t{1}; }), frames);
}

TEST(FrameReaderTest, SplitStreamAllAtOnce) {
  const auto frames = ExampleFrames();
  const std::string all = Concat(frames);
  EXPECT_EQ(ReadAll(all, [&] { return all.size(); }), frames);
}

TEST(FrameReaderTest, SplitStreamRandomChunks) {
  const auto frames = ExampleFrames();
  const std::string all = Concat(frames);
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> size(1, seed % 2 ? 7 : 100);
    EXPECT_EQ(ReadAll(all, [&] { return size(rng); }), frames) << "seed " << seed;
  }
}

TEST(FrameReaderTest, SplitStreamWithLargeAndEmptyFrames) {
  std::vector<std::string> frames = {CopyoutRequest(0, 0x1000, std::string(300000, 'q')),
                                     PreforkRequest(1), CopyinResponse(2, std::string(1, 'x')),
                                     ErrorFrame(3, 2)};
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> size(1, 70000);
  EXPECT_EQ(ReadAll(Concat(frames), [&] { return size(rng); }), frames);
}

TEST(FrameReaderTest, AcceptsTheDefaultMaximum) {
  // A COPYOUT of kMaxCopyChunk bytes is exactly the default limit.
  std::string big = CopyoutRequest(0, 0x1000, std::string(kMaxCopyChunk, 'b'));
  ASSERT_EQ(big.size(), kDefaultMaxFrameLen);
  FrameReader reader;
  EXPECT_EQ(reader.max_frame_len(), kDefaultMaxFrameLen);
  ASSERT_TRUE(reader.Feed(big).ok());
  auto f = reader.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->payload.size(), kMaxCopyChunk + kCopydataSize);
}

TEST(FrameReaderTest, RejectsLengthBelowHeader) {
  for (uint64_t len : {uint64_t{0}, uint64_t{1}, uint64_t{23}}) {
    FrameReader reader;
    absl::Status s = reader.Feed(HeaderWithLen(len));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("less than the 24-byte header"), std::string::npos) << s;
  }
}

TEST(FrameReaderTest, RejectsLengthAboveMaxBeforeThePayloadArrives) {
  FrameReader reader(1000);
  ASSERT_TRUE(reader.Feed(HeaderWithLen(1000) + std::string(976, 'x')).ok());
  EXPECT_TRUE(reader.Next().has_value());  // exactly the limit is fine
  absl::Status s = reader.Feed(HeaderWithLen(1001));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("1001"), std::string::npos) << s;

  FrameReader huge;
  s = huge.Feed(HeaderWithLen(~uint64_t{0}));
  EXPECT_FALSE(s.ok());
  s = huge.Feed(HeaderWithLen(kDefaultMaxFrameLen + 1));
  EXPECT_FALSE(s.ok());
}

TEST(FrameReaderTest, ErrorIsStickyAndEarlierFramesSurvive) {
  FrameReader reader;
  std::string stream = PreforkRequest(1) + HeaderWithLen(5) + PreforkRequest(2);
  EXPECT_FALSE(reader.Feed(stream).ok());
  auto f = reader.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->header.reqno, 1u);
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_FALSE(reader.Feed(PreforkRequest(3)).ok());
  EXPECT_FALSE(reader.Next().has_value());
  EXPECT_FALSE(reader.status().ok());
  EXPECT_FALSE(reader.Finish().ok());
}

TEST(FrameReaderTest, BadHeaderSplitAcrossFeeds) {
  FrameReader reader;
  std::string h = HeaderWithLen(3);
  for (size_t i = 0; i + 1 < h.size(); ++i) {
    ASSERT_TRUE(reader.Feed(h.substr(i, 1)).ok()) << i;
  }
  EXPECT_FALSE(reader.Feed(h.substr(h.size() - 1)).ok());
}

TEST(FrameReaderTest, TruncatedStreamIsDataLoss) {
  const std::string frame = testing::SpecFrame("sendto.request");
  for (size_t cut = 1; cut < frame.size(); ++cut) {
    FrameReader reader;
    ASSERT_TRUE(reader.Feed(frame.substr(0, cut)).ok());
    EXPECT_FALSE(reader.Next().has_value());
    EXPECT_FALSE(reader.AtFrameBoundary());
    EXPECT_EQ(reader.Finish().code(), absl::StatusCode::kDataLoss) << cut;
  }
  FrameReader empty;
  EXPECT_TRUE(empty.Finish().ok());
  EXPECT_TRUE(empty.Feed("").ok());
  EXPECT_TRUE(empty.AtFrameBoundary());
}

TEST(FrameReaderTest, TinyConfiguredLimitIsClampedToTheHeader) {
  FrameReader reader(3);
  EXPECT_EQ(reader.max_frame_len(), kHeaderSize);
  EXPECT_TRUE(reader.Feed(PreforkRequest(0)).ok());
  EXPECT_FALSE(reader.Feed(HandshakeResponse(0)).ok());
}

TEST(ParseFrameTest, WholeMessages) {
  const std::string& f = testing::SpecFrame("sendto.copyin2.response");
  auto v = ParseFrame(f);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->header.len, 29u);
  EXPECT_EQ(v->payload, "hello");

  EXPECT_FALSE(ParseFrame(f.substr(0, 28)).ok());  // shorter than len
  EXPECT_FALSE(ParseFrame(f + "x").ok());          // longer than len
  EXPECT_FALSE(ParseFrame(f.substr(0, 23)).ok());  // not even a header
  EXPECT_FALSE(ParseFrame("").ok());
  EXPECT_FALSE(ParseFrame(HeaderWithLen(20)).ok());  // len < 24
  EXPECT_FALSE(ParseFrame(f, 28).ok());              // above the limit
  EXPECT_TRUE(ParseFrame(f, 29).ok());
}

}  // namespace
}  // namespace sp::wire
