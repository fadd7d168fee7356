#include "shmif/vxlan/vxlan_header.h"

#include <vector>

#include "gtest/gtest.h"

namespace shmif_vxlan {
namespace {

std::vector<uint8_t> Datagram(uint32_t vni, size_t inner_len) {
  std::vector<uint8_t> d(kVxlanHeaderLen + inner_len, 0xab);
  VxlanHeader{vni}.Encode(d.data());
  return d;
}

TEST(VxlanHeaderTest, EncodesRfc7348Layout) {
  uint8_t out[kVxlanHeaderLen];
  VxlanHeader{0x123456}.Encode(out);
  const uint8_t want[kVxlanHeaderLen] = {0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0};
  for (size_t i = 0; i < kVxlanHeaderLen; ++i) EXPECT_EQ(out[i], want[i]) << i;
}

TEST(VxlanHeaderTest, EncodeDecodeRoundTripsEveryVniWidth) {
  for (uint32_t vni : {0u, 1u, 0xffu, 0x100u, 0xffffu, 0x10000u, kMaxVni}) {
    std::vector<uint8_t> d = Datagram(vni, 60);
    DecodedDatagram got = DecodeDatagram(d, vni);
    EXPECT_EQ(got.defect, DatagramDefect::kNone) << vni;
    EXPECT_EQ(got.vni, vni);
    EXPECT_EQ(got.inner.size(), 60u);
    EXPECT_EQ(got.inner.data(), d.data() + kVxlanHeaderLen);
  }
}

TEST(VxlanHeaderTest, ShortDatagrams) {
  for (size_t n = 0; n < kVxlanHeaderLen; ++n) {
    std::vector<uint8_t> d(n, 0x08);
    EXPECT_EQ(DecodeDatagram(d, 0).defect, DatagramDefect::kShort) << n;
  }
}

TEST(VxlanHeaderTest, FlagsOtherThanTheIBitAlone) {
  for (uint8_t flags : {0x00, 0x0c, 0x88, 0x09, 0xff}) {
    std::vector<uint8_t> d = Datagram(7, 60);
    d[0] = flags;
    EXPECT_EQ(DecodeDatagram(d, 7).defect, DatagramDefect::kBadFlags) << int(flags);
  }
}

TEST(VxlanHeaderTest, WrongVni) {
  std::vector<uint8_t> d = Datagram(42, 60);
  DecodedDatagram got = DecodeDatagram(d, 43);
  EXPECT_EQ(got.defect, DatagramDefect::kWrongVni);
  EXPECT_EQ(got.vni, 42u);
}

TEST(VxlanHeaderTest, InnerFrameLengthLimits) {
  EXPECT_EQ(DecodeDatagram(Datagram(1, 0), 1).defect, DatagramDefect::kInnerShort);
  EXPECT_EQ(DecodeDatagram(Datagram(1, kMinInnerFrame - 1), 1).defect,
            DatagramDefect::kInnerShort);
  EXPECT_EQ(DecodeDatagram(Datagram(1, kMinInnerFrame), 1).defect, DatagramDefect::kNone);
  EXPECT_EQ(DecodeDatagram(Datagram(1, kMaxInnerFrame), 1).defect, DatagramDefect::kNone);
  EXPECT_EQ(DecodeDatagram(Datagram(1, kMaxInnerFrame + 1), 1).defect,
            DatagramDefect::kInnerLong);
}

TEST(VxlanHeaderTest, DefectNamesAreDistinct) {
  std::vector<std::string> names;
  for (int i = 0; i < static_cast<int>(DatagramDefect::kCount); ++i) {
    std::string name = DefectName(static_cast<DatagramDefect>(i));
    for (const auto& n : names) EXPECT_NE(n, name);
    names.push_back(name);
  }
}

}  // namespace
}  // namespace shmif_vxlan
