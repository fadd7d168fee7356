// write_fuzz_seeds DIR: writes the seed corpus of frame_fuzz_test into DIR.
// Each seed is one control byte (see frame_fuzzer.cc) followed by frames: one
// file per reference frame (spec_examples.h), one with all of them back to
// back, and the banner.
#include <cstdio>
#include <string>

#include "sp/wire/spec_examples.h"
#include "sp/wire/xsyscall.h"

namespace {

bool WriteFile(const std::string& path, const std::string& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_fuzz_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::string all(1, '\x80');  // control byte: default limit, chunk seed 0
  int n = 0;
  for (const auto& e : sp::wire::testing::SpecFrames()) {
    if (!WriteFile(dir + "/" + e.name, std::string(1, '\x80') + e.bytes)) {
      std::perror(e.name.c_str());
      return 1;
    }
    all += e.bytes;
    ++n;
  }
  // The one-round-trip extension: a sendto with its two inputs and a
  // recvfrom's answer with two segments.
  const std::string hello = "hello", sin(16, '\x02');
  const std::string xreq =
      *sp::wire::XSyscallRequest(2, 133, {3, 0x7ffc0000a000, 5, 0, 0x7ffc0000b000, 16},
                                 {{0x7ffc0000a000, hello}, {0x7ffc0000b000, sin}},
                                 {{0x7ffc0000c000, 64}});
  const std::string xresp = sp::wire::XSyscallResponse(
      2, 0, 5, 0, {{0x7ffc0000c000, hello}, {0x7ffc0000c010, sin}});
  if (!WriteFile(dir + "/xsyscall", std::string(1, '\x80') + xreq + xresp)) {
    std::perror(dir.c_str());
    return 1;
  }
  all += xreq + xresp;
  ++n;
  if (!WriteFile(dir + "/all", all) ||
      !WriteFile(dir + "/banner", std::string(1, '\x80') + sp::wire::testing::SpecBanner())) {
    std::perror(dir.c_str());
    return 1;
  }
  std::printf("wrote %d seeds to %s\n", n + 2, dir.c_str());
  return 0;
}
