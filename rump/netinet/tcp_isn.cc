#include "rump/netinet/tcp_isn.h"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>

namespace rump::inet {
namespace {

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t Load64Le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  // Two compression rounds per 8-byte word (the "2" of SipHash-2-4).
  void Absorb(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

// 16 random bytes. getrandom() with no flags waits for the pool to be
// seeded once and then never fails for so few bytes but by EINTR; if the
// call is missing, std::random_device reads the same pool.
SipHashKey RandomKey() {
  SipHashKey key{};
  size_t got = 0;
  while (got < key.size()) {
    const ssize_t n = getrandom(key.data() + got, key.size() - got, 0);
    if (n > 0) {
      got += size_t(n);
    } else if (n < 0 && errno != EINTR) {
      std::random_device rd;
      for (size_t i = got; i < key.size(); ++i) key[i] = uint8_t(rd());
      got = key.size();
    }
  }
  return key;
}

absl::Duration SteadyNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

}  // namespace

uint64_t SipHash24(const SipHashKey& key, absl::Span<const uint8_t> message) {
  const uint64_t k0 = Load64Le(key.data());
  const uint64_t k1 = Load64Le(key.data() + 8);
  // The initial state: "somepseudorandomlygeneratedbytes" xored with the key.
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const size_t n = message.size();
  const uint8_t* p = message.data();
  size_t at = 0;
  for (; at + 8 <= n; at += 8) s.Absorb(Load64Le(p + at));
  // The last word: the remaining bytes, and the length's low byte on top.
  uint64_t last = uint64_t(n & 0xff) << 56;
  for (size_t i = 0; at + i < n; ++i) last |= uint64_t(p[at + i]) << (8 * i);
  s.Absorb(last);
  // Four finalization rounds (the "4").
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

TcpIsnGenerator::TcpIsnGenerator() : TcpIsnGenerator(RandomKey(), SteadyNow) {}

TcpIsnGenerator::TcpIsnGenerator(const SipHashKey& key, Clock clock)
    : key_(key), clock_(std::move(clock)) {}

TcpSeq TcpIsnGenerator::Next(uint32_t local_addr, uint16_t local_port, uint32_t remote_addr,
                             uint16_t remote_port) const {
  // The identifier as on the wire: addresses as stored, ports big-endian.
  uint8_t id[12];
  std::memcpy(id, &local_addr, 4);
  id[4] = uint8_t(local_port >> 8);
  id[5] = uint8_t(local_port);
  std::memcpy(id + 6, &remote_addr, 4);
  id[10] = uint8_t(remote_port >> 8);
  id[11] = uint8_t(remote_port);
  const uint32_t f = uint32_t(SipHash24(key_, id));
  absl::Duration unused;
  const uint32_t m = uint32_t(absl::IDivDuration(clock_(), absl::Microseconds(4), &unused));
  return TcpSeq(m + f);
}

}  // namespace rump::inet
