// NetBSD poll(2) / select(2) numbers and the layouts of the structures they
// take (sys/sys/poll.h, sys/sys/fd_set.h, sys/sys/time.h; amd64, time_t is
// 64 bits since NetBSD 6).
#ifndef RUMP_ABI_POLL_H_
#define RUMP_ABI_POLL_H_

#include <cstddef>
#include <cstdint>

namespace rump::abi {

// --- poll events (short)
inline constexpr int16_t kPOLLIN = 0x0001;
inline constexpr int16_t kPOLLPRI = 0x0002;
inline constexpr int16_t kPOLLOUT = 0x0004;
inline constexpr int16_t kPOLLRDNORM = 0x0040;
inline constexpr int16_t kPOLLWRNORM = kPOLLOUT;
inline constexpr int16_t kPOLLRDBAND = 0x0080;
inline constexpr int16_t kPOLLWRBAND = 0x0100;
// Always reported, whatever was asked for.
inline constexpr int16_t kPOLLERR = 0x0008;
inline constexpr int16_t kPOLLHUP = 0x0010;
inline constexpr int16_t kPOLLNVAL = 0x0020;
inline constexpr int kINFTIM = -1;

// --- struct pollfd (8 bytes): fd @0 (int), events @4, revents @6 (short)
inline constexpr size_t kPollfdSize = 8;
inline constexpr size_t kPollfdFdOff = 0;
inline constexpr size_t kPollfdEventsOff = 4;
inline constexpr size_t kPollfdReventsOff = 6;

// --- fd_set: a bitmap of 32-bit words, bit (fd % 32) of word (fd / 32);
// FD_SETSIZE is 256 by default but select(2) takes any nfds up to the
// process's descriptor limit and reads howmany(nfds, 32) words.
inline constexpr int kFD_SETSIZE = 256;
inline constexpr int kNFDBITS = 32;

// --- struct timeval (16 bytes): tv_sec @0 (int64), tv_usec @8 (int32), pad
inline constexpr size_t kTimevalSize = 16;
inline constexpr size_t kTvSecOff = 0;
inline constexpr size_t kTvUsecOff = 8;
// --- struct timespec (16 bytes): tv_sec @0 (int64), tv_nsec @8 (long)
inline constexpr size_t kTimespecSize = 16;
inline constexpr size_t kTsSecOff = 0;
inline constexpr size_t kTsNsecOff = 8;

}  // namespace rump::abi

#endif  // RUMP_ABI_POLL_H_
