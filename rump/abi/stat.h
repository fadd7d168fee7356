// NetBSD's struct stat (the __stat50 layout, amd64) and its file type bits,
// for fstat(2), and struct termios for the console's TIOCGETA.
#ifndef RUMP_ABI_STAT_H_
#define RUMP_ABI_STAT_H_

#include <cstddef>
#include <cstdint>

#include "rump/abi/ioctl.h"

namespace rump::abi {

// --- st_mode file types and permission bits
inline constexpr uint32_t kS_IFIFO = 0010000;
inline constexpr uint32_t kS_IFCHR = 0020000;
inline constexpr uint32_t kS_IFDIR = 0040000;
inline constexpr uint32_t kS_IFREG = 0100000;
inline constexpr uint32_t kS_IFSOCK = 0140000;

// --- struct stat (152 bytes): dev_t st_dev; mode_t st_mode; ino_t st_ino;
// nlink_t st_nlink; uid_t st_uid; gid_t st_gid; dev_t st_rdev; four
// struct timespec (access, modification, change, birth); off_t st_size;
// blkcnt_t st_blocks; blksize_t st_blksize; uint32_t st_flags, st_gen,
// st_spare[2].
inline constexpr size_t kStatSize = 152;
inline constexpr size_t kStDevOff = 0;       // u64
inline constexpr size_t kStModeOff = 8;      // u32
inline constexpr size_t kStInoOff = 16;      // u64
inline constexpr size_t kStNlinkOff = 24;    // u32
inline constexpr size_t kStUidOff = 28;      // u32
inline constexpr size_t kStGidOff = 32;      // u32
inline constexpr size_t kStRdevOff = 40;     // u64
inline constexpr size_t kStAtimeOff = 48;    // struct timespec (i64 sec, i64 nsec)
inline constexpr size_t kStMtimeOff = 64;
inline constexpr size_t kStCtimeOff = 80;
inline constexpr size_t kStBirthtimeOff = 96;
inline constexpr size_t kStSizeOff = 112;    // i64
inline constexpr size_t kStBlocksOff = 120;  // i64
inline constexpr size_t kStBlksizeOff = 128; // i32

// --- struct termios (44 bytes: four tcflag_t, c_cc[20], two speeds)
inline constexpr size_t kTermiosSize = 44;
inline constexpr uint64_t kTIOCGETA = Ior('t', 19, kTermiosSize);
static_assert(kTIOCGETA == 0x402c7413);

}  // namespace rump::abi

#endif  // RUMP_ABI_STAT_H_
