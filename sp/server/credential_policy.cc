#include "sp/server/credential_policy.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "rump/abi/syscalls.h"
#include "sp/transport/curve_keys.h"

namespace sp::server {
namespace {

// "uid=1000" → 1000 for `key` "uid"; nullopt if the word is not that key
// or the number is not a 32-bit id.
std::optional<uint32_t> IdWord(absl::string_view word, absl::string_view key) {
  if (!absl::ConsumePrefix(&word, key) || !absl::ConsumePrefix(&word, "=")) return std::nullopt;
  uint32_t id;
  if (word.empty() || !absl::SimpleAtoi(word, &id) || word[0] == '+' || word[0] == '-') {
    return std::nullopt;
  }
  return id;
}

// A `groups=G1,G2,...` word: "groups=10,20" gives gids {10, 20}. `is_groups`
// is false for a word that is not a groups= word at all; `error` (without
// the line number) is set for a groups= word with a bad list.
struct GroupsWord {
  bool is_groups = false;
  std::vector<uint32_t> gids;
  std::string error;
};

GroupsWord ParseGroupsWord(absl::string_view word) {
  GroupsWord out;
  const absl::string_view whole = word;
  if (!absl::ConsumePrefix(&word, "groups=")) return out;
  out.is_groups = true;
  for (absl::string_view g : absl::StrSplit(word, ',')) {
    uint32_t gid;
    if (g.empty() || g[0] == '+' || g[0] == '-' || !absl::SimpleAtoi(g, &gid)) {
      out.error = absl::StrCat("\"", whole, "\": expected groups=G1,G2,... (1 to ",
                               rump::abi::kNgroupsMax, " decimal gids, no spaces)");
      return out;
    }
    out.gids.push_back(gid);
  }
  if (out.gids.size() > static_cast<size_t>(rump::abi::kNgroupsMax)) {
    out.error = absl::StrCat("\"", whole, "\": ", out.gids.size(), " groups, more than ",
                             rump::abi::kNgroupsMax, " (NGROUPS_MAX)");
  }
  return out;
}

}  // namespace

absl::StatusOr<CredentialPolicy> CredentialPolicy::Parse(absl::string_view text,
                                                         absl::string_view origin) {
  CredentialPolicy policy;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    // '#' starts a comment, except inside a CURVE key (Z85 has '#' among
    // its characters): `curve KEY` takes its second word whole when it is a
    // key.
    std::vector<absl::string_view> words;
    for (absl::string_view w : absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty())) {
      if (words.size() == 1 && words[0] == "curve" && transport::IsZ85Key(w)) {
        words.push_back(w);
        continue;
      }
      if (size_t hash = w.find('#'); hash != absl::string_view::npos) {
        if (hash > 0) words.push_back(w.substr(0, hash));
        break;
      }
      words.push_back(w);
    }
    if (words.empty()) continue;
    auto error = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ":", line_no, ": ", what));
    };
    Rule rule;
    size_t i = 0;
    if (words[0] == "unix") {
      if (words.size() < 2) return error("\"unix\" needs uid=N, gid=N or *");
      if (words[1] == "*") {
        rule.who = Rule::Who::kUnixAny;
      } else if (auto uid = IdWord(words[1], "uid")) {
        rule.who = Rule::Who::kUnixUid;
        rule.who_id = *uid;
      } else if (auto gid = IdWord(words[1], "gid")) {
        rule.who = Rule::Who::kUnixGid;
        rule.who_id = *gid;
      } else {
        return error(absl::StrCat("\"unix ", words[1], "\": expected uid=N, gid=N or *"));
      }
      i = 2;
    } else if (words[0] == "curve") {
      if (words.size() < 2) return error("\"curve\" needs a client public key (40 Z85 characters) or *");
      if (words[1] == "*") {
        rule.who = Rule::Who::kCurveAny;
      } else if (transport::IsZ85Key(words[1])) {
        rule.who = Rule::Who::kCurveKey;
        rule.who_key = std::string(words[1]);
      } else {
        return error(absl::StrCat("\"curve ", words[1],
                                  "\": expected a client public key (40 Z85 characters) or *"));
      }
      i = 2;
    } else if (words[0] == "anonymous") {
      rule.who = Rule::Who::kAnonymous;
      i = 1;
    } else if (words[0] == "*") {
      rule.who = Rule::Who::kEveryone;
      i = 1;
    } else {
      return error(absl::StrCat("unknown client \"", words[0],
                                "\" (expected unix, curve, anonymous or *)"));
    }
    std::vector<absl::string_view> what(words.begin() + i, words.end());
    if (what.empty()) {
      return error("missing credentials (root, peer, uid=N gid=M [groups=G1,...] or deny)");
    }
    if (what.size() == 1 && what[0] == "root") {
      rule.what = Rule::What::kRoot;
    } else if (what.size() == 1 && what[0] == "peer") {
      if (rule.who == Rule::Who::kAnonymous) {
        return error("\"peer\" needs a unix client (anonymous clients have no ids)");
      }
      if (rule.who == Rule::Who::kCurveKey || rule.who == Rule::Who::kCurveAny) {
        return error("\"peer\" needs a unix client (CURVE clients have no ids)");
      }
      rule.what = Rule::What::kPeer;
    } else if (what.size() == 1 && what[0] == "deny") {
      rule.what = Rule::What::kDeny;
    } else if (what.size() == 2 || what.size() == 3) {
      auto uid = IdWord(what[0], "uid");
      auto gid = IdWord(what[1], "gid");
      GroupsWord groups;
      if (what.size() == 3) groups = ParseGroupsWord(what[2]);
      if (!uid || !gid || (what.size() == 3 && !groups.is_groups)) {
        return error(absl::StrCat("\"", absl::StrJoin(what, " "),
                                  "\": expected uid=N gid=M [groups=G1,G2,...] (decimal ids)"));
      }
      if (!groups.error.empty()) return error(groups.error);
      rule.what = Rule::What::kIds;
      rule.uid = *uid;
      rule.gid = *gid;
      rule.groups = std::move(groups.gids);
    } else {
      return error(absl::StrCat("\"", absl::StrJoin(what, " "),
                                "\": expected root, peer, uid=N gid=M [groups=G1,...] or deny"));
    }
    policy.rules_.push_back(rule);
  }
  return policy;
}

absl::StatusOr<CredentialPolicy> CredentialPolicy::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read policy ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error reading policy ", path));
  }
  return Parse(text.str(), path);
}

std::optional<rump::Credentials> CredentialPolicy::CredentialsFor(
    const transport::PeerIdentity& peer) const {
  const bool unix_peer = peer.kind == transport::PeerIdentity::Kind::kUnix;
  const bool curve_peer = peer.kind == transport::PeerIdentity::Kind::kCurve;
  for (const Rule& r : rules_) {
    bool match = false;
    switch (r.who) {
      case Rule::Who::kUnixUid:
        match = unix_peer && peer.uid == r.who_id;
        break;
      case Rule::Who::kUnixGid:
        match = unix_peer && peer.gid == r.who_id;
        break;
      case Rule::Who::kUnixAny:
        match = unix_peer;
        break;
      case Rule::Who::kCurveKey:
        match = curve_peer && peer.curve_key == r.who_key;
        break;
      case Rule::Who::kCurveAny:
        match = curve_peer;
        break;
      case Rule::Who::kAnonymous:
        match = peer.kind == transport::PeerIdentity::Kind::kAnonymous;
        break;
      case Rule::Who::kEveryone:
        match = true;
        break;
    }
    if (!match) continue;
    switch (r.what) {
      case Rule::What::kRoot:
        return rump::Credentials{};
      case Rule::What::kPeer: {
        if (!unix_peer) return std::nullopt;
        rump::Credentials c{peer.uid, peer.uid, peer.gid, peer.gid};
        // The kernel keeps at most NGROUPS_MAX; a peer with more gets the
        // first ones (the session's -v line says so).
        c.SetGroups(absl::MakeConstSpan(peer.groups)
                        .first(std::min(peer.groups.size(), c.groups.size())));
        return c;
      }
      case Rule::What::kIds: {
        rump::Credentials c{r.uid, r.uid, r.gid, r.gid};
        c.SetGroups(r.groups);  // at most kNgroupsMax: Parse checks
        return c;
      }
      case Rule::What::kDeny:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string CredentialPolicy::ToString() const {
  std::string out;
  for (const Rule& r : rules_) {
    switch (r.who) {
      case Rule::Who::kUnixUid:
        absl::StrAppend(&out, "unix uid=", r.who_id);
        break;
      case Rule::Who::kUnixGid:
        absl::StrAppend(&out, "unix gid=", r.who_id);
        break;
      case Rule::Who::kUnixAny:
        absl::StrAppend(&out, "unix *");
        break;
      case Rule::Who::kCurveKey:
        absl::StrAppend(&out, "curve ", r.who_key);
        break;
      case Rule::Who::kCurveAny:
        absl::StrAppend(&out, "curve *");
        break;
      case Rule::Who::kAnonymous:
        absl::StrAppend(&out, "anonymous");
        break;
      case Rule::Who::kEveryone:
        absl::StrAppend(&out, "*");
        break;
    }
    switch (r.what) {
      case Rule::What::kRoot:
        absl::StrAppend(&out, " root\n");
        break;
      case Rule::What::kPeer:
        absl::StrAppend(&out, " peer\n");
        break;
      case Rule::What::kIds:
        absl::StrAppend(&out, " uid=", r.uid, " gid=", r.gid);
        if (!r.groups.empty()) absl::StrAppend(&out, " groups=", absl::StrJoin(r.groups, ","));
        absl::StrAppend(&out, "\n");
        break;
      case Rule::What::kDeny:
        absl::StrAppend(&out, " deny\n");
        break;
    }
  }
  return out;
}

}  // namespace sp::server
