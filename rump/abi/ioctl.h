// NetBSD ioctl command encoding (sys/sys/ioccom.h) and the generic commands
// the descriptor layer handles itself. Interface ioctls live in rump/abi/if.h.
#ifndef RUMP_ABI_IOCTL_H_
#define RUMP_ABI_IOCTL_H_

#include <cstdint>

namespace rump::abi {

inline constexpr uint32_t kIocParmMask = 0x1fff;
inline constexpr uint32_t kIocVoid = 0x20000000;
inline constexpr uint32_t kIocOut = 0x40000000;  // kernel -> user
inline constexpr uint32_t kIocIn = 0x80000000;   // user -> kernel
inline constexpr uint32_t kIocParmMax = 4096;    // larger lengths: ENOTTY

constexpr uint32_t IoctlLength(uint64_t cmd) { return (cmd >> 16) & kIocParmMask; }
constexpr bool IoctlIn(uint64_t cmd) { return (cmd & kIocIn) != 0; }
constexpr bool IoctlOut(uint64_t cmd) { return (cmd & kIocOut) != 0; }

constexpr uint64_t Ioc(uint32_t inout, char group, uint32_t num, uint32_t len) {
  return inout | ((len & kIocParmMask) << 16) | (uint32_t(uint8_t(group)) << 8) | num;
}
constexpr uint64_t Io(char g, uint32_t n) { return Ioc(kIocVoid, g, n, 0); }
constexpr uint64_t Ior(char g, uint32_t n, uint32_t len) { return Ioc(kIocOut, g, n, len); }
constexpr uint64_t Iow(char g, uint32_t n, uint32_t len) { return Ioc(kIocIn, g, n, len); }
constexpr uint64_t Iowr(char g, uint32_t n, uint32_t len) {
  return Ioc(kIocIn | kIocOut, g, n, len);
}

inline constexpr uint64_t kFIOCLEX = Io('f', 1);
inline constexpr uint64_t kFIONCLEX = Io('f', 2);
inline constexpr uint64_t kFIONBIO = Iow('f', 126, 4);
inline constexpr uint64_t kFIONREAD = Ior('f', 127, 4);
static_assert(kFIONBIO == 0x8004667e && kFIONREAD == 0x4004667f);
inline constexpr uint64_t kFIOASYNC = Iow('f', 125, 4);
inline constexpr uint64_t kFIONWRITE = Ior('f', 121, 4);  // bytes in the send queue
inline constexpr uint64_t kFIONSPACE = Ior('f', 120, 4);  // free space in the send queue
static_assert(kFIOASYNC == 0x8004667d && kFIONWRITE == 0x40046679);
inline constexpr uint64_t kSIOCATMARK = Ior('s', 7, 4);
static_assert(kSIOCATMARK == 0x40047307);
// The ioctl group letter ('i' interface, 'f' file, 's' socket, 'r' route).
constexpr char IoctlGroup(uint64_t cmd) { return char((cmd >> 8) & 0xff); }
static_assert(kFIOCLEX == 0x20006601 && kFIONCLEX == 0x20006602);

// fcntl(2) commands and flags.
inline constexpr int kF_DUPFD = 0;
inline constexpr int kF_GETFD = 1;
inline constexpr int kF_SETFD = 2;
inline constexpr int kF_GETFL = 3;
inline constexpr int kF_SETFL = 4;
inline constexpr int kF_CLOSEM = 10;
inline constexpr int kF_MAXFD = 11;
inline constexpr int kF_DUPFD_CLOEXEC = 12;
inline constexpr int kFD_CLOEXEC = 1;

// open(2) flags that descriptors carry.
inline constexpr int kO_RDONLY = 0x0;
inline constexpr int kO_WRONLY = 0x1;
inline constexpr int kO_RDWR = 0x2;
inline constexpr int kO_ACCMODE = 0x3;
inline constexpr int kO_NONBLOCK = 0x4;
inline constexpr int kO_APPEND = 0x8;
inline constexpr int kO_CLOEXEC = 0x400000;
inline constexpr int kO_NOSIGPIPE = 0x1000000;

}  // namespace rump::abi

#endif  // RUMP_ABI_IOCTL_H_
