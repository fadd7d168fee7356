// Writes seed inputs for session_fuzzer.cc into the directory argv[1]: the
// chunk format described there ([client][len lo][len hi][bytes]..., then
// the clients' memory).
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "rump/abi/syscalls.h"
#include "sp/wire/encode.h"

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
