// Self-checking Ethernet frames for the bus tests: each carries its sender's
// test id, a sequence number, its own length and a checksum, so a receiver can
// tell a whole frame from a torn one and see order and loss per sender.
#ifndef RUMP_SHMIF_TEST_FRAMES_H_
#define RUMP_SHMIF_TEST_FRAMES_H_

#include <cstdint>
#include <vector>

namespace shmif::testing {

// Smallest frame: Ethernet header + id, seq, len and checksum words.
inline constexpr uint32_t kMinTestFrameLen = 30;

// A broadcast frame of `len` bytes (kMinTestFrameLen..kMaxFrameLen).
std::vector<uint8_t> MakeTestFrame(uint32_t id, uint32_t seq, uint32_t len);

// Whether `frame` is a whole frame made by MakeTestFrame; sets id and seq.
bool CheckTestFrame(const uint8_t* frame, uint32_t len, uint32_t* id,
                    uint32_t* seq);

}  // namespace shmif::testing

#endif  // RUMP_SHMIF_TEST_FRAMES_H_
