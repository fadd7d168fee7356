// write_frame_fuzz_seeds DIR: writes the seed corpus of frame_fuzz_test into
// DIR, one file per frame_seeds.h input (a frame list, frame_builder.h).
#include <cstdio>
#include <string>

#include "rump/netinet/fuzz/frame_builder.h"
#include "rump/netinet/fuzz/frame_seeds.h"

namespace {

bool WriteFile(const std::string& path, const rump::inet_fuzz::Bytes& data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_frame_fuzz_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  int n = 0;
  for (const rump::inet_fuzz::SeedInput& s : rump::inet_fuzz::SeedInputs()) {
    const std::string path = dir + "/" + s.name;
    if (!WriteFile(path, rump::inet_fuzz::EncodeFrameList(s.frames))) {
      std::perror(path.c_str());
      return 1;
    }
    ++n;
  }
  std::printf("wrote %d seeds to %s\n", n, dir.c_str());
  return 0;
}
