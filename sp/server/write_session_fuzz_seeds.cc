// Writes seed inputs for session_fuzzer.cc into the directory argv[1]: the
// chunk format described there ([client][len lo][len hi][bytes]..., then
// the clients' memory).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rump/abi/syscalls.h"
#include "sp/wire/encode.h"
#include "sp/wire/xsyscall.h"

namespace {

using namespace sp::wire;  // NOLINT

std::string Chunk(int client, const std::string& bytes) {
  std::string out;
  out.push_back(char(client));
  out.push_back(char(bytes.size() & 0xff));
  out.push_back(char(bytes.size() >> 8));
  return out + bytes;
}

std::string U64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string U32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

std::string Sys(uint64_t reqno, int num, std::vector<uint64_t> slots) {
  return *SyscallRequest(reqno, uint32_t(num), slots);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  constexpr uint64_t kA = 0x10000;  // some client addresses
  constexpr uint64_t kB = 0x20000;
  constexpr uint64_t kC = 0x30000;
  std::vector<std::pair<std::string, std::string>> seeds;
  // Handshake, getpid, __sysctl(kern.ostype): the memory answers oldlen
  // (64), then the name {1, 1}.
  seeds.push_back({"sysctl", Chunk(0, HandshakeGuestRequest(0, "ping")) +
                                 Chunk(0, Sys(1, rump::abi::kSysGetpid, {})) +
                                 Chunk(0, Sys(2, rump::abi::kSysSysctl, {kA, 2, kB, kC, 0, 0})) +
                                 std::string(1, '\0') + U64(64).substr(1) + U32(1) + U32(1)});
  // PREFORK on client 0, FORK (cookie placeholder 0xcc...) on client 1.
  seeds.push_back({"fork", Chunk(0, HandshakeGuestRequest(0, "parent")) +
                               Chunk(0, PreforkRequest(1)) +
                               Chunk(1, HandshakeForkRequest(0, Cookie{0xcc})) +
                               Chunk(1, Sys(1, rump::abi::kSysGetpid, {})) +
                               Chunk(2, HandshakeForkRequest(0, Cookie{0xcc}, 1))});
  // EXEC, dup, close, fcntl.
  seeds.push_back({"exec", Chunk(0, HandshakeGuestRequest(0, "sh")) +
                               Chunk(0, Sys(1, rump::abi::kSysDup, {1})) +
                               Chunk(0, Sys(2, rump::abi::kSysFcntl, {3, 2, 1})) +
                               Chunk(0, HandshakeExecRequest(3, "ls")) +
                               Chunk(0, Sys(4, rump::abi::kSysClose, {3}))});
  // write(1, buf, 5), readv, nanosleep, reboot.
  seeds.push_back({"io", Chunk(0, HandshakeGuestRequest(0, "io")) +
                             Chunk(0, Sys(1, rump::abi::kSysWrite, {1, kA, 5})) +
                             Chunk(0, Sys(2, rump::abi::kSysNanosleep, {kA, 0})) +
                             Chunk(0, Sys(3, rump::abi::kSysReboot, {0, 0})) +
                             std::string(1, '\0') + "hello" + std::string(16, '\0')});
  // Hostile: answers never asked for, wrong classes, bad handshakes.
  seeds.push_back({"hostile", Chunk(0, HandshakeGuestRequest(0, "x")) +
                                  Chunk(0, CopyinResponse(7, "abc")) +
                                  Chunk(1, EncodeFrame(0, 0, 1, 20, {})) +
                                  Chunk(2, HandshakeGuestRequest(0, "y")) +
                                  Chunk(2, EncodeFrame(1, 2, 0, 7, {})) +
                                  Chunk(2, EncodeFrame(2, 0, 77, 0, {})) +
                                  Chunk(2, HandshakeGuestRequest(3, "again"))});
  // The one-round-trip extension: sysctl(kern.ostype) with its name and
  // *oldlenp sent along and oldp named as output; a write with its buffer;
  // nanosleep with its timespec; an ioctl whose buffer is only partly
  // sent (COPYIN fallback); then hostile ones (overlapping inputs, a
  // length past the data, too many buffers), each ERROR MALFORMED.
  {
    const std::string name = U32(1) + U32(1);
    const std::string oldlen = U64(64);
    const std::string ts(16, '\0');
    const std::string hello = "hello";
    auto x = [](uint64_t reqno, int num, std::vector<uint64_t> slots,
                std::vector<XBytes> in, std::vector<XRange> out) {
      return *XSyscallRequest(reqno, uint32_t(num), slots, in, out);
    };
    // Payload headers: {u16 nslots, u16 nin, u16 nout, u16 flags}.
    const std::string overlap = std::string("\0\0\x02\0\0\0\0\0", 8) + U64(kA) + U64(4) + U64(kA + 2) + U64(4) +
              "abcdefgh";
    std::string past = std::string("\0\0\x01\0\0\0\0\0", 8) + U64(kA) + U64(100) + "abc";
    std::string many = std::string("\0\0\x11\0\0\0\0\0", 8);
    seeds.push_back(
        {"xsyscall",
         Chunk(0, HandshakeGuestRequest(0, "x")) +
             Chunk(0, x(1, rump::abi::kSysSysctl, {kA, 2, kB, kC, 0, 0}, {{kA, name}, {kC, oldlen}},
                        {{kB, 64}, {kC, 8}})) +
             Chunk(0, x(2, rump::abi::kSysWrite, {1, kA, 5}, {{kA, hello}}, {})) +
             Chunk(0, x(3, rump::abi::kSysNanosleep, {kA, kB}, {{kA, ts}}, {{kB, 16}})) +
             Chunk(0, x(4, rump::abi::kSysIoctl, {0, 0xc0906911, kA}, {{kA + 8, hello}},
                        {{kA, 144}})) +
             Chunk(0, EncodeFrame(5, 0, kTypeXSyscall, 20, {overlap})) +
             Chunk(0, EncodeFrame(6, 0, kTypeXSyscall, 20, {past})) +
             Chunk(0, EncodeFrame(7, 0, kTypeXSyscall, 20, {many})) +
             Chunk(0, EncodeFrame(8, 0, 0x101, 0, {})) +
             std::string(1, '\0') + std::string(200, 'm')});
  }
  for (const auto& [name, bytes] : seeds) {
    const std::string path = std::string(argv[1]) + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return 0;
}
