#include "shmif/bus_ring.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace shmif {
namespace {

// A walk over the ring never needs more steps than there are minimal frames.
constexpr uint32_t kMaxWalkSteps = kDataSize / kFrameHeaderSize + 2;

absl::Status Corrupt(absl::string_view what, uint64_t value) {
  return absl::DataLossError(absl::StrCat("shmif bus is corrupt: ", what, " ", value));
}

}  // namespace

uint32_t BusRing::Load32(uint32_t offset) const {
  uint32_t v;
  std::memcpy(&v, mem_ + offset, sizeof(v));
  return v;
}

void BusRing::Store32(uint32_t offset, uint32_t v) {
  if (offset < kBusHeaderSize) {
    // Header words are aligned, and receivers peek at `last` without the
    // lock (Bus::RingStamp): store them whole.
    __atomic_store_n(reinterpret_cast<uint32_t*>(mem_ + offset), v, __ATOMIC_RELEASE);
    return;
  }
  std::memcpy(mem_ + offset, &v, sizeof(v));
}

uint64_t BusRing::gen() const {
  uint64_t v;
  std::memcpy(&v, mem_ + kGenOffset, sizeof(v));
  return v;
}

void BusRing::StoreGen(uint64_t v) {
  __atomic_store_n(reinterpret_cast<uint64_t*>(mem_ + kGenOffset), v, __ATOMIC_RELEASE);
}

void BusRing::InitializeIfNew() {
  if (magic() != 0) return;
  Store32(kMagicOffset, kBusMagic);
  Store32(kFirstOffset, kDataSize);
}

void BusRing::Reset() {
  std::memset(data(), 0, kFrameHeaderSize);
  Store32(kMagicOffset, kBusMagic);
  Store32(kFirstOffset, kDataSize);
  Store32(kLastOffset, 0);
  StoreGen(gen() + 2);
}

std::optional<uint32_t> BusRing::NextFrameOffset(uint32_t off) const {
  if (off > kDataSize) return std::nullopt;
  uint8_t raw[kFrameHeaderSize];
  bool wrapped = false;
  RingRead(data(), off, raw, sizeof(raw), &wrapped);
  const FrameHeader h = DecodeFrameHeader(raw, kBusVersion, false);
  if (h.len > kMaxFrameLen) return std::nullopt;
  return RingAdvance(off, kFrameHeaderSize + h.len);
}

absl::Status BusRing::AdvanceFirst(uint32_t off, uint32_t len) {
  uint32_t first = this->first();
  for (uint32_t step = 0; step < kMaxWalkSteps; ++step) {
    if (!(off <= uint64_t{first} + kFrameHeaderSize &&
          uint64_t{off} + len > first)) {
      Store32(kFirstOffset, first);
      return absl::OkStatus();
    }
    std::optional<uint32_t> next = NextFrameOffset(first);
    if (!next) return Corrupt("bad frame at first offset", first);
    first = *next;
  }
  return Corrupt("first offset does not move past", off);
}

absl::StatusOr<uint32_t> BusRing::WriteBytes(uint32_t off, const uint8_t* src,
                                             uint32_t n, bool* wrapped) {
  const uint32_t chunk = std::min(n, kDataSize - off);
  const bool fills = off + chunk == kDataSize;
  // A piece ending exactly at the end also pushes a `first` parked there.
  if (absl::Status s = AdvanceFirst(off, chunk + (fills ? 1 : 0)); !s.ok()) {
    return s;
  }
  std::memcpy(data() + off, src, chunk);
  if (fills) *wrapped = true;
  if (chunk == n) return (off + chunk) % kDataSize;
  if (absl::Status s = AdvanceFirst(0, n - chunk); !s.ok()) return s;
  std::memcpy(data(), src + chunk, n - chunk);
  return n - chunk;
}

absl::Status BusRing::Append(const FrameHeader& h,
                             absl::Span<const uint8_t> payload) {
  if (h.len != payload.size() || h.len > kMaxFrameLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame length ", payload.size(), " is not 0..", kMaxFrameLen));
  }
  if (magic() != kBusMagic) return Corrupt("magic", magic());
  const uint32_t first = this->first(), last = this->last();
  if (first > kDataSize) return Corrupt("first offset", first);
  std::optional<uint32_t> at = NextFrameOffset(last);
  if (!at) return Corrupt("last offset", last);
  Store32(kLastOffset, *at);

  uint8_t raw[kFrameHeaderSize];
  EncodeFrameHeader(h, raw);
  bool wrapped = false;
  absl::StatusOr<uint32_t> end = WriteBytes(*at, raw, sizeof(raw), &wrapped);
  if (end.ok() && !payload.empty()) {
    end = WriteBytes(*end, payload.data(), h.len, &wrapped);
  }
  if (!end.ok()) return end.status();
  if (wrapped) StoreGen(gen() + 1);
  return absl::OkStatus();
}

absl::StatusOr<ReadCursor> BusRing::NewFramesCursor() const {
  std::optional<uint32_t> end = NextFrameOffset(last());
  if (!end) return Corrupt("last offset", last());
  return ReadCursor{*end, gen()};
}

ReadCursor BusRing::OldestCursor() const {
  const uint32_t first = this->first();
  // When the valid window spans the end of the data area, the oldest frame
  // belongs to the previous generation (unsigned wrap intended, as NetBSD).
  // NetBSD decides that with `first > last`, which is wrong when the newest
  // frame itself wraps (its header is before the end, its end after it): a
  // reader resynced then believes itself a generation ahead and re-reads
  // stale frames. Comparing with the newest frame's end is right in all cases.
  const uint32_t last_end = NextFrameOffset(last()).value_or(last());
  return ReadCursor{first, first >= last_end ? gen() - 1 : gen()};
}

absl::StatusOr<BusRing::ReadResult> BusRing::Read(
    ReadCursor& cursor, absl::Span<uint8_t> payload) const {
  ReadResult result;
  const uint64_t gen = this->gen();
  const uint32_t first = this->first(), last = this->last();
  if (magic() != kBusMagic) return Corrupt("magic", magic());
  if (first > kDataSize) return Corrupt("first offset", first);
  std::optional<uint32_t> last_end = NextFrameOffset(last);
  if (!last_end) return Corrupt("last offset", last);
  if (cursor.devgen == gen && cursor.next == *last_end) return result;

  // Is the cursor still inside the valid window [first, last_end]? Lay the
  // window onto a doubled data area so that it never wraps.
  const uint64_t gendiff = gen - cursor.devgen;
  if (gendiff > (uint64_t{1} << 63)) {
    // A reader can never be a generation ahead of the writers.
    return Corrupt("generation went backwards to", gen);
  }
  bool valid = gendiff <= 1 && cursor.next <= kDataSize;
  if (valid) {
    uint64_t window_end = *last_end, pos = cursor.next;
    if (first >= window_end) {
      window_end += kDataSize;
      if (gendiff == 0) pos += kDataSize;
    } else if (gendiff != 0) {
      valid = false;
    }
    valid = valid && pos >= first && pos <= window_end;
  }
  if (!valid) {
    cursor = OldestCursor();
    result.overrun = true;
  }

  uint8_t raw[kFrameHeaderSize];
  bool wrapped = false;
  uint32_t next = RingRead(data(), cursor.next, raw, sizeof(raw), &wrapped);
  result.header = DecodeFrameHeader(raw, kBusVersion, false);
  if (result.header.len > kMaxFrameLen || payload.size() < result.header.len) {
    return Corrupt("frame length", result.header.len);
  }
  result.payload_offset = next;
  next = RingRead(data(), next, payload.data(), result.header.len, &wrapped);
  cursor.next = next;
  if (wrapped) ++cursor.devgen;
  result.frame = true;
  return result;
}

}  // namespace shmif
