// CURVE keys for the ZeroMQ transports (zmq+tcp://, zmq+ipc://): the one
// place that makes, writes and reads key files, and parses a server's
// allow-list of client keys. Server (rump_server --curve-key,
// --curve-allow), client (RUMP_SERVER_KEY, RUMP_CLIENT_KEY) and rump.keygen
// all go through here.
//
// Keys are CurveZMQ (Curve25519) keys, 32 bytes, written as 40 characters of
// ZeroMQ's Z85 text encoding.
//
// Key files: CZMQ's certificate format (ZPL), which ZeroMQ users know from
// zcert, so files made by either tool work with the other:
//
//   #   rump.keygen: CURVE secret key of "server". Keep it private (mode 0600).
//   metadata
//   curve
//       public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//       secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
//
// NAME.key holds both keys (the secret one: mode 0600); NAME.pub only the
// public-key line (hand it to the other side). Lines starting with '#' are
// comments; sections other than "curve" are ignored; values may be quoted
// or bare. A file that holds nothing but one 40-character Z85 key (and
// white space) is accepted too: where a public key is asked for, that key
// is the public key; where a secret key is asked for, it is the secret key
// (the public one is derived from it).
//
// Allow-list (rump_server --curve-allow): one client public key per line
// (40 Z85 characters), optionally followed by a name for log lines;
// blank lines and lines starting with '#' are comments:
//
//   # who may connect
//   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7   alice's laptop
//
// (Z85 has '#' among its characters: a line's first word is a key when it
// is exactly 40 valid Z85 characters, and a comment otherwise.)
//
// Errors name the file (and line): "<path>: ..." / "<path>:<line>: ...".
#ifndef RUMP_SP_TRANSPORT_CURVE_KEYS_H_
#define RUMP_SP_TRANSPORT_CURVE_KEYS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sp::transport {

inline constexpr size_t kZ85KeyLen = 40;

// A key pair in Z85 text (secret empty when only the public key is known).
struct CurveKeyPair {
  std::string public_key;
  std::string secret_key;
};

// True if `text` is exactly 40 Z85 characters (a 32-byte key).
bool IsZ85Key(absl::string_view text);

// A fresh key pair (libzmq's zmq_curve_keypair).
absl::StatusOr<CurveKeyPair> GenerateCurveKeyPair();

// The public key of a secret key (both Z85).
absl::StatusOr<std::string> CurvePublicOf(absl::string_view secret_z85);

// The certificate texts for a key pair: the secret file's (both keys) and
// the public file's. `name` goes into the header comment.
std::string SecretCertificateText(const CurveKeyPair& keys, absl::string_view name);
std::string PublicCertificateText(const CurveKeyPair& keys, absl::string_view name);

// Parses a key file's contents. `origin` names it in errors.
// ParsePublicKeyFile: the public key (a certificate's public-key, or a bare
// key). ParseSecretKeyFile: both keys (a certificate's secret-key, with its
// public-key checked against it or derived; or a bare key taken as secret).
absl::StatusOr<std::string> ParsePublicKeyFile(absl::string_view text, absl::string_view origin);
absl::StatusOr<CurveKeyPair> ParseSecretKeyFile(absl::string_view text, absl::string_view origin);

// The same, reading the file at `path`.
absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path);
absl::StatusOr<CurveKeyPair> ReadSecretKeyFile(const std::string& path);

// Writes NAME.key (mode 0600) and NAME.pub (mode 0644). Existing files are
// not overwritten unless `overwrite` (EEXIST otherwise).
absl::Status WriteKeyFiles(const std::string& name, const CurveKeyPair& keys, bool overwrite);

// The allow-list of client public keys: key (Z85) -> name ("" if none).
using CurveAllowList = std::map<std::string, std::string>;
absl::StatusOr<CurveAllowList> ParseAllowList(absl::string_view text, absl::string_view origin);
absl::StatusOr<CurveAllowList> ReadAllowList(const std::string& path);

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_CURVE_KEYS_H_
