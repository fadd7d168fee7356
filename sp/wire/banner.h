// The banner a server sends right after accept, and the extension
// announcement it carries.
//
// Format (NetBSD): "RUMPSP-<maj>.<min>-<ostype>-<osrelease>/<machine>\n",
// at most kMaxBannerLen (95) bytes including the LF. NetBSD clients do not
// parse it; they only require that the last byte of their one read() is LF.
//
// Our extension announcement: space-separated tokens between <machine> and
// the LF. The one defined today is
//
//     x-batch=<n>     the server accepts the one-round-trip syscall frames
//                     (protocol.h, kTypeXSyscall) at extension version n >= 1
//     x-intr=<n>      the server accepts X_INTERRUPT (protocol.h,
//                     kTypeXInterrupt) at extension version n >= 1
//
// so our server's banner is
// "RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1 x-intr=1\n". A NetBSD client
// ignores them; a client of ours sends extension frames only if the banner
// announced them, so against a NetBSD server (plain banner) it falls back to
// NetBSD behaviour. Unknown tokens are kept and ignored.
#ifndef RUMP_SP_WIRE_BANNER_H_
#define RUMP_SP_WIRE_BANNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sp/wire/protocol.h"

namespace sp::wire {

// NetBSD 7.99.34's banner on amd64, byte for byte (32 bytes).
inline constexpr char kNetbsdBanner[] = "RUMPSP-0.4-NetBSD-7.99.34/amd64\n";
// The token that announces the one-round-trip extension (followed by "=<n>").
inline constexpr char kBatchToken[] = "x-batch";
inline constexpr int kBatchVersion = 1;
// The token that announces X_INTERRUPT (followed by "=<n>").
inline constexpr char kInterruptToken[] = "x-intr";
inline constexpr int kInterruptVersion = 1;

// The fields of a banner. Default-constructed, it is NetBSD's banner; our
// server sets `batch_version = kBatchVersion` (see OurBanner()).
struct BannerInfo {
  int major = kVersionMajor;
  int minor = kVersionMinor;
  std::string ostype = "NetBSD";
  std::string osrelease = "7.99.34";
  std::string machine = "amd64";
  // Version of the x-batch extension offered; 0 = not offered.
  int batch_version = 0;
  // Version of the x-intr extension offered; 0 = not offered.
  int interrupt_version = 0;
  // Tokens after <machine> other than ours, in order (kept, not acted on).
  std::vector<std::string> other_tokens;

  // Parses one whole banner, LF included. Accepts NetBSD's plain banner and
  // ours. Errors: longer than 95 bytes, no trailing LF, a NUL or a second LF,
  // no "RUMPSP-<digits>.<digits>-" prefix, missing '-' or '/' separators,
  // empty fields. A malformed x-batch or x-intr value is kept in
  // other_tokens.
  static absl::StatusOr<BannerInfo> Parse(absl::string_view banner);

  // The banner text, LF included. Error if a field is empty or contains a
  // character that would not parse back (space, LF, NUL; '-' in ostype;
  // '/' in osrelease), or the result would exceed 95 bytes.
  absl::StatusOr<std::string> Format() const;

  bool operator==(const BannerInfo&) const = default;
};

// Our server's banner fields: NetBSD's, plus x-batch=kBatchVersion and
// x-intr=kInterruptVersion.
BannerInfo OurBanner();

}  // namespace sp::wire

#endif  // RUMP_SP_WIRE_BANNER_H_
