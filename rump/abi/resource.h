// NetBSD's resource limits (sys/sys/resource.h, NetBSD 7.99.34): the
// RLIMIT_* numbers that getrlimit/setrlimit take, struct rlimit as it
// crosses the ABI, and RLIM_INFINITY.
#ifndef RUMP_ABI_RESOURCE_H_
#define RUMP_ABI_RESOURCE_H_

#include <cstdint>

namespace rump::abi {

inline constexpr int kRlimitCpu = 0;      // cputime
inline constexpr int kRlimitFsize = 1;    // filesize
inline constexpr int kRlimitData = 2;     // datasize
inline constexpr int kRlimitStack = 3;    // stacksize
inline constexpr int kRlimitCore = 4;     // coredumpsize
inline constexpr int kRlimitRss = 5;      // memoryuse
inline constexpr int kRlimitMemlock = 6;  // memorylocked
inline constexpr int kRlimitNproc = 7;    // maxproc
inline constexpr int kRlimitNofile = 8;   // descriptors
inline constexpr int kRlimitSbsize = 9;   // sbsize
inline constexpr int kRlimitAs = 10;      // vmemoryuse
inline constexpr int kRlimitNthr = 11;    // maxlwp
inline constexpr int kRlimNlimits = 12;

// rlim_t is unsigned 64-bit; "unlimited" is the largest signed value.
inline constexpr uint64_t kRlimInfinity = 0x7fffffffffffffffull;

// struct rlimit (16 bytes).
struct Rlimit {
  uint64_t rlim_cur;
  uint64_t rlim_max;
};
static_assert(sizeof(Rlimit) == 16);

}  // namespace rump::abi

#endif  // RUMP_ABI_RESOURCE_H_
