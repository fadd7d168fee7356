#include "sp/wire/spec_examples.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"

namespace sp::wire::testing {

std::string FromHex(absl::string_view hex) {
  std::string out;
  int nibbles = 0;
  int acc = 0;
  for (char c : hex) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      std::fprintf(stderr, "FromHex: bad character '%c'\n", c);
      std::abort();
    }
    acc = acc * 16 + v;
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(acc));
      nibbles = 0;
      acc = 0;
    }
  }
  if (nibbles != 0) {
    std::fprintf(stderr, "FromHex: odd number of digits\n");
    std::abort();
  }
  return out;
}

const std::vector<SpecExample>& SpecFrames() {
  static const auto* frames = new std::vector<SpecExample>{
      {"handshake.guest", FromHex("1d 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                                  "00 00 00 00 00 00 00 00 70 69 6e 67 00")},
      {"handshake.response", FromHex("1c 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                                     "01 00 00 00 00 00 00 00 00 00 00 00")},
      {"getpid.request", FromHex("18 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
                                 "00 00 01 00 14 00 00 00")},
      {"getpid.response", FromHex("30 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
                                  "01 00 01 00 00 00 00 00 00 00 00 00 aa aa aa aa"
                                  "02 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00")},
      {"sendto.request", FromHex("48 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00"
                                 "00 00 01 00 85 00 00 00 03 00 00 00 00 00 00 00"
                                 "00 a0 00 00 fc 7f 00 00 05 00 00 00 00 00 00 00"
                                 "00 00 00 00 00 00 00 00 00 b0 00 00 fc 7f 00 00"
                                 "10 00 00 00 00 00 00 00")},
      {"sendto.copyin1", FromHex("28 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                                 "00 00 02 00 00 00 00 00 10 00 00 00 00 00 00 00"
                                 "00 b0 00 00 fc 7f 00 00")},
      {"sendto.copyin1.response", FromHex("28 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                                          "01 00 02 00 00 00 00 00 10 02 00 07 0a 00 00 02"
                                          "00 00 00 00 00 00 00 00")},
      {"sendto.copyin2", FromHex("28 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
                                 "00 00 02 00 00 00 00 00 05 00 00 00 00 00 00 00"
                                 "00 a0 00 00 fc 7f 00 00")},
      {"sendto.copyin2.response", FromHex("1d 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
                                          "01 00 02 00 00 00 00 00 68 65 6c 6c 6f")},
      {"sendto.response", FromHex("30 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00"
                                  "01 00 01 00 00 00 00 00 00 00 00 00 aa aa aa aa"
                                  "05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")},
      {"socket.request", FromHex("30 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00"
                                 "00 00 01 00 8a 01 00 00 63 00 00 00 00 00 00 00"
                                 "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")},
      {"socket.response", FromHex("30 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00"
                                  "01 00 01 00 00 00 00 00 2f 00 00 00 aa aa aa aa"
                                  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")},
      {"copyout", FromHex("2c 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00"
                          "00 00 04 00 00 00 00 00 04 00 00 00 00 00 00 00"
                          "00 c0 00 00 fc 7f 00 00 2a 00 00 00")},
      {"prefork.request", FromHex("18 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00"
                                  "00 00 07 00 00 00 00 00")},
      {"prefork.response", FromHex("28 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00"
                                   "01 00 07 00 00 00 00 00 10 11 12 13 14 15 16 17"
                                   "18 19 1a 1b 1c 1d 1e 1f")},
      {"handshake.fork", FromHex("2c 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                                 "00 00 00 00 02 00 00 00 10 11 12 13 14 15 16 17"
                                 "18 19 1a 1b 1c 1d 1e 1f 00 00 00 00")},
      {"error.malformed", FromHex("18 00 00 00 00 00 00 00 07 00 00 00 00 00 00 00"
                                  "02 00 00 00 07 00 00 00")},
      {"raise.sigpipe", FromHex("18 00 00 00 00 00 00 00 ef be ad de 00 00 00 00"
                                "00 00 08 00 0d 00 00 00")},
  };
  return *frames;
}

const std::string& SpecFrame(absl::string_view name) {
  for (const SpecExample& e : SpecFrames()) {
    if (e.name == name) return e.bytes;
  }
  std::fprintf(stderr, "SpecFrame: no example named %.*s\n", static_cast<int>(name.size()),
               name.data());
  std::abort();
}

std::string SpecBanner() {
  return FromHex(
      "52 55 4d 50 53 50 2d 30 2e 34 2d 4e 65 74 42 53"
      "44 2d 37 2e 39 39 2e 33 34 2f 61 6d 64 36 34 0a");
}

}  // namespace sp::wire::testing
