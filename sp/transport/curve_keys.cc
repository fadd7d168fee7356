#include "sp/transport/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>
#include <zmq.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sp/transport/url.h"

namespace sp::transport {
namespace {

absl::StatusOr<std::string> ReadWhole(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    return HostErrnoStatus(e, absl::StrCat("cannot read ", what, " ", path, ": ",
                                           std::strerror(e)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return HostErrnoStatus(EIO, absl::StrCat("error reading ", what, " ", path));
  return text.str();
}

absl::Status Bad(absl::string_view origin, absl::string_view what) {
  return HostErrnoStatus(EINVAL, absl::StrCat(origin, ": ", what));
}

// The keys of a certificate's "curve" section (either may be empty), or
// an error; a bare key comes back in `bare`.
struct Parsed {
  std::string bare;
  std::string public_key;
  std::string secret_key;
};

absl::StatusOr<Parsed> ParseKeyText(absl::string_view text, absl::string_view origin) {
  Parsed p;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (IsZ85Key(trimmed)) {
    p.bare = std::string(trimmed);
    return p;
  }
  if (trimmed.empty()) return Bad(origin, "empty key file");
  bool in_curve = false;
  bool any_section = false;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    const absl::string_view body = absl::StripLeadingAsciiWhitespace(line);
    if (body.empty() || body[0] == '#') continue;
    auto error = [&](absl::string_view what) {
      return Bad(absl::StrCat(origin, ":", line_no), what);
    };
    const bool indented = body.size() != line.size();
    const size_t eq = body.find('=');
    if (!indented) {
      // A section name (ZPL: a name alone at the left margin).
      if (eq != absl::string_view::npos) {
        return error(
            "not a key file: expected a 40-character Z85 key, or a ZeroMQ certificate "
            "(a \"curve\" section with public-key = \"...\" and secret-key = \"...\")");
      }
      in_curve = body == "curve";
      any_section = true;
      continue;
    }
    if (!in_curve) continue;
    if (eq == absl::string_view::npos) continue;  // a subsection: not ours
    const absl::string_view name = absl::StripAsciiWhitespace(body.substr(0, eq));
    absl::string_view value = absl::StripAsciiWhitespace(body.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (name != "public-key" && name != "secret-key") continue;
    if (!IsZ85Key(value)) {
      return error(absl::StrCat(name, " is not a 40-character Z85 key"));
    }
    (name == "public-key" ? p.public_key : p.secret_key) = std::string(value);
  }
  if (!any_section || (p.public_key.empty() && p.secret_key.empty())) {
    return Bad(origin,
               "not a key file: expected a 40-character Z85 key, or a ZeroMQ certificate "
               "(a \"curve\" section with public-key = \"...\" and secret-key = \"...\")");
  }
  return p;
}

absl::Status WriteFile(const std::string& path, const std::string& text, mode_t mode,
                       bool overwrite) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL),
                      mode);
  if (fd < 0) {
    const int e = errno;
    return HostErrnoStatus(e, absl::StrCat("cannot create ", path, ": ", std::strerror(e),
                                           e == EEXIST ? " (not overwriting a key file)" : ""));
  }
  // The mode exactly, whatever the umask (and for an overwritten file).
  if (fchmod(fd, mode) != 0 ||
      write(fd, text.data(), text.size()) != ssize_t(text.size()) || fsync(fd) != 0) {
    const int e = errno;
    close(fd);
    return HostErrnoStatus(e, absl::StrCat("cannot write ", path, ": ", std::strerror(e)));
  }
  if (close(fd) != 0) {
    const int e = errno;
    return HostErrnoStatus(e, absl::StrCat("cannot write ", path, ": ", std::strerror(e)));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsZ85Key(absl::string_view text) {
  if (text.size() != kZ85KeyLen) return false;
  const std::string s(text);
  uint8_t bin[32];
  return zmq_z85_decode(bin, s.c_str()) != nullptr;
}

absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) {
    const int e = zmq_errno();
    return HostErrnoStatus(e, absl::StrCat("cannot make a CURVE key pair: ", zmq_strerror(e),
                                           e == ENOTSUP ? " (libzmq without CURVE)" : ""));
  }
  return CurveKeyPair{pub, sec};
}

absl::StatusOr<std::string> CurvePublicOf(absl::string_view secret_z85) {
  if (!IsZ85Key(secret_z85)) return HostErrnoStatus(EINVAL, "not a 40-character Z85 key");
  const std::string sec(secret_z85);
  char pub[41];
  if (zmq_curve_public(pub, sec.c_str()) != 0) {
    const int e = zmq_errno();
    return HostErrnoStatus(e, absl::StrCat("cannot derive a CURVE public key: ", zmq_strerror(e)));
  }
  return std::string(pub);
}

std::string SecretCertificateText(const CurveKeyPair& keys, absl::string_view name) {
  return absl::StrCat(
      "#   rump.keygen: the CURVE secret key of \"", name, "\" (ZeroMQ certificate format).\n",
      "#   Keep this file private (mode 0600); give others ", name, ".pub instead.\n",
      "metadata\n",
      "curve\n",
      "    public-key = \"", keys.public_key, "\"\n",
      "    secret-key = \"", keys.secret_key, "\"\n");
}

std::string PublicCertificateText(const CurveKeyPair& keys, absl::string_view name) {
  return absl::StrCat(
      "#   rump.keygen: the CURVE public key of \"", name, "\" (ZeroMQ certificate format).\n",
      "#   Safe to share: a server lists it in --curve-allow, a client names it in\n",
      "#   RUMP_SERVER_KEY.\n",
      "metadata\n",
      "curve\n",
      "    public-key = \"", keys.public_key, "\"\n");
}

absl::StatusOr<std::string> ParsePublicKeyFile(absl::string_view text, absl::string_view origin) {
  absl::StatusOr<Parsed> p = ParseKeyText(text, origin);
  if (!p.ok()) return p.status();
  if (!p->bare.empty()) return p->bare;
  if (!p->public_key.empty()) return p->public_key;
  absl::StatusOr<std::string> pub = CurvePublicOf(p->secret_key);
  if (!pub.ok()) return Bad(origin, pub.status().message());
  return pub;
}

absl::StatusOr<CurveKeyPair> ParseSecretKeyFile(absl::string_view text, absl::string_view origin) {
  absl::StatusOr<Parsed> p = ParseKeyText(text, origin);
  if (!p.ok()) return p.status();
  const std::string secret = !p->bare.empty() ? p->bare : p->secret_key;
  if (secret.empty()) {
    return Bad(origin, "no secret-key: this is a public key file (use NAME.key, not NAME.pub)");
  }
  absl::StatusOr<std::string> pub = CurvePublicOf(secret);
  if (!pub.ok()) return Bad(origin, pub.status().message());
  if (!p->public_key.empty() && p->public_key != *pub) {
    return Bad(origin, "public-key does not belong to secret-key");
  }
  return CurveKeyPair{*pub, secret};
}

absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWhole(path, "key file");
  if (!text.ok()) return text.status();
  return ParsePublicKeyFile(*text, path);
}

absl::StatusOr<CurveKeyPair> ReadSecretKeyFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWhole(path, "key file");
  if (!text.ok()) return text.status();
  return ParseSecretKeyFile(*text, path);
}

absl::Status WriteKeyFiles(const std::string& name, const CurveKeyPair& keys, bool overwrite) {
  std::string base = name;
  if (size_t slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  if (absl::Status s = WriteFile(name + ".key", SecretCertificateText(keys, base), 0600, overwrite);
      !s.ok()) {
    return s;
  }
  return WriteFile(name + ".pub", PublicCertificateText(keys, base), 0644, overwrite);
}

absl::StatusOr<CurveAllowList> ParseAllowList(absl::string_view text, absl::string_view origin) {
  CurveAllowList list;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const size_t end = line.find_first_of(" \t");
    const absl::string_view first = line.substr(0, end);
    if (!IsZ85Key(first)) {
      if (line[0] == '#') continue;  // a comment
      return Bad(absl::StrCat(origin, ":", line_no),
                 absl::StrCat("\"", first,
                              "\" is not a client public key (40 Z85 characters, as in "
                              "NAME.pub's public-key)"));
    }
    absl::string_view name =
        end == absl::string_view::npos ? absl::string_view() : line.substr(end);
    name = absl::StripAsciiWhitespace(name);
    absl::ConsumePrefix(&name, "#");
    list[std::string(first)] = std::string(absl::StripAsciiWhitespace(name));
  }
  return list;
}

absl::StatusOr<CurveAllowList> ReadAllowList(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWhole(path, "allow-list");
  if (!text.ok()) return text.status();
  return ParseAllowList(*text, path);
}

}  // namespace sp::transport
