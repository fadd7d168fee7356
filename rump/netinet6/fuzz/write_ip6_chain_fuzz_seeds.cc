// write_ip6_chain_fuzz_seeds DIR: writes the seed corpus of
// ip6_chain_fuzz_test (ip6_chain_fuzz.h's seeds) into DIR.
#include <cstdio>
#include <string>

#include "rump/netinet6/fuzz/ip6_chain_fuzz.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_ip6_chain_fuzz_seeds DIR\n");
    return 2;
  }
  int n = 0;
  for (const rump::inet6_fuzz::Ip6ChainSeed& s : rump::inet6_fuzz::Ip6ChainSeeds()) {
    const std::string path = std::string(argv[1]) + "/" + s.name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    const bool ok = f != nullptr && std::fwrite(s.input.data(), 1, s.input.size(), f) == s.input.size();
    if (f == nullptr || std::fclose(f) != 0 || !ok) {
      std::perror(path.c_str());
      return 1;
    }
    ++n;
  }
  std::printf("wrote %d seeds to %s\n", n, argv[1]);
  return 0;
}
