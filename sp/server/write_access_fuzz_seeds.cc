// Writes seed inputs for access_fuzzer.cc into the directory argv[1]: a
// selector byte (0 policy, 1 allow-list, 2 key file), then the text.
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  const std::string secret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
  const std::vector<std::string> seeds = {
      std::string(1, '\0') +
          "# who what\nunix uid=0 root\nunix uid=1000 uid=1000 gid=100\nunix gid=50 uid=5000 "
          "gid=50\nunix * peer\ncurve " + key + " uid=7 gid=8\ncurve * uid=32766 gid=32766\n"
          "anonymous uid=32767 gid=39\n* deny\n",
      std::string(1, '\0') + "unix pid=3 root\n",
      std::string(1, '\0') +
          "unix uid=1000 uid=1000 gid=100 groups=10,20,20\nunix gid=7 uid=7 gid=7 "
          "groups=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,4294967295\n* uid=1 gid=1 groups=1,,2\n",
      std::string(1, '\1') + "# who may connect\n" + key + "   alice's laptop\n\n" + key + "\n",
      std::string(1, '\1') + "#" + key.substr(1) + "\n",
      std::string(1, '\2') + "metadata\ncurve\n    public-key = \"" + key +
          "\"\n    secret-key = \"" + secret + "\"\n",
      std::string(1, '\2') + key + "\n",
      std::string(1, '\2') + "curve\n    public-key = " + key + "\n",
  };
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::string path = std::string(argv[1]) + "/seed" + std::to_string(i);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
      std::perror(path.c_str());
      return 1;
    }
    std::fwrite(seeds[i].data(), 1, seeds[i].size(), f);
    std::fclose(f);
  }
  return 0;
}
