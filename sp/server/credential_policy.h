// CredentialPolicy: which kernel credentials a remote client's process gets,
// decided from who the client is (sp/transport's PeerIdentity), or whether
// it is refused before it sees anything (not even the banner).
//
// Without a policy every client is root, as on NetBSD. A policy is a list of
// rules, one per line; the first rule whose left side matches the client
// decides, and a client that no rule matches is refused:
//
//   # who            what it gets
//   unix uid=0       root
//   unix uid=1000    uid=1000 gid=100
//   unix uid=1001    uid=1001 gid=100 groups=10,20
//   unix gid=50      uid=5000 gid=50
//   unix *           peer           # its own uid, gid and groups
//   curve rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  uid=1000 gid=1000
//   curve *          uid=32766 gid=32766
//   anonymous        uid=32767 gid=32767
//   *                deny
//
// Who:  `unix uid=N` / `unix gid=N` (the ids of the process that connected a
//       unix:// socket, SO_PEERCRED), `unix *` (any unix:// client),
//       `curve KEY` (a zmq+tcp:// or zmq+ipc:// client of a server with
//       CURVE, authenticated with the public key KEY: 40 Z85 characters,
//       as in rump.keygen's NAME.pub), `curve *` (any CURVE client),
//       `anonymous` (tcp://, and ZeroMQ without CURVE: clients the
//       transport cannot identify; not CURVE clients), `*` (everyone).
// What: `root` (uid 0, gid 0, no supplementary groups), `peer` (a unix
//       client's own uid, gid and supplementary groups, SO_PEERGROUPS, the
//       first 16 of them; other clients are refused by it; not allowed
//       after `anonymous` or `curve`), `uid=N gid=M [groups=G1,G2,...]`
//       (uid and gid needed; groups: 1 to 16 (NGROUPS_MAX) decimal gids,
//       comma-separated, duplicates allowed as setgroups(2) allows them),
//       or `deny`.
// `#` starts a comment (except within the key of a `curve KEY` rule: Z85
// keys may contain '#'); blank lines are ignored. Errors name the line.
//
// Thread-safe once built (const).
#ifndef RUMP_SP_SERVER_CREDENTIAL_POLICY_H_
#define RUMP_SP_SERVER_CREDENTIAL_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rump/kern/credentials.h"
#include "sp/transport/connection.h"

namespace sp::server {

class CredentialPolicy {
 public:
  // Parses policy text (the file's contents). `origin` names it in errors:
  // "<origin>:<line>: <what is wrong>".
  static absl::StatusOr<CredentialPolicy> Parse(absl::string_view text,
                                                absl::string_view origin = "policy");
  // Reads and parses the file at `path`.
  static absl::StatusOr<CredentialPolicy> Load(const std::string& path);

  // The credentials for a client, or nullopt: refuse it.
  std::optional<rump::Credentials> CredentialsFor(const transport::PeerIdentity& peer) const;

  // The rules, one per line, as they would be written (for log lines).
  std::string ToString() const;
  size_t rules() const { return rules_.size(); }

 private:
  struct Rule {
    enum class Who { kUnixUid, kUnixGid, kUnixAny, kCurveKey, kCurveAny, kAnonymous, kEveryone };
    enum class What { kRoot, kPeer, kIds, kDeny };
    Who who = Who::kEveryone;
    uint32_t who_id = 0;  // kUnixUid, kUnixGid
    std::string who_key;  // kCurveKey (Z85)
    What what = What::kDeny;
    uint32_t uid = 0, gid = 0;     // kIds
    std::vector<uint32_t> groups;  // kIds: the supplementary groups (<= kNgroupsMax)
  };
  std::vector<Rule> rules_;
};

}  // namespace sp::server

#endif  // RUMP_SP_SERVER_CREDENTIAL_POLICY_H_
