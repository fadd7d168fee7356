// libFuzzer target for the text an access-controlled server reads from its
// operator and its clients' identities: the credential policy
// (sp/server/credential_policy.h), the CURVE allow-list and key files
// (sp/transport/curve_keys.h). The first input byte picks the parser; the
// rest is the text. Checks, besides "no crash, no sanitizer report":
//   - a policy that parses writes itself back (ToString) as text that
//     parses to the same rules, and answers CredentialsFor for unix (with
//     0 to 40 supplementary groups), anonymous and CURVE identities;
//   - an allow-list that parses holds only 40-character Z85 keys;
//   - a key file that parses gives 40-character Z85 keys.
// Built (//bazel:libfuzzer.bzl) and run by //sp/server:access_fuzz_test.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sp/server/credential_policy.h"
#include "sp/transport/curve_keys.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void FuzzPolicy(absl::string_view text) {
  absl::StatusOr<sp::server::CredentialPolicy> p = sp::server::CredentialPolicy::Parse(text);
  if (!p.ok()) return;
  const std::string written = p->ToString();
  absl::StatusOr<sp::server::CredentialPolicy> again =
      sp::server::CredentialPolicy::Parse(written);
  Check(again.ok());
  Check(again->ToString() == written);
  Check(again->rules() == p->rules());
  sp::transport::PeerIdentity id;
  (void)p->CredentialsFor(id);  // anonymous
  id.kind = sp::transport::PeerIdentity::Kind::kUnix;
  const size_t group_counts[] = {0, 1, 16, 40};  // 40: more than a process keeps
  size_t k = 0;
  for (uint32_t u : {0u, 1u, 1000u, 4294967295u}) {
    id.uid = u;
    id.gid = u ^ 1;
    id.groups.assign(group_counts[k++], u);
    const std::optional<rump::Credentials> c = p->CredentialsFor(id);
    if (c.has_value()) Check(c->ngroups <= c->groups.size());
    Check(again->CredentialsFor(id) == c);  // the written rules decide the same
  }
  id.groups.clear();
  id.kind = sp::transport::PeerIdentity::Kind::kCurve;
  id.curve_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  (void)p->CredentialsFor(id);
}

void FuzzAllowList(absl::string_view text) {
  absl::StatusOr<sp::transport::CurveAllowList> list =
      sp::transport::ParseAllowList(text, "fuzz");
  if (!list.ok()) return;
  for (const auto& [key, name] : *list) Check(sp::transport::IsZ85Key(key));
}

void FuzzKeyFiles(absl::string_view text) {
  absl::StatusOr<std::string> pub = sp::transport::ParsePublicKeyFile(text, "fuzz");
  if (pub.ok()) Check(sp::transport::IsZ85Key(*pub));
  absl::StatusOr<sp::transport::CurveKeyPair> pair =
      sp::transport::ParseSecretKeyFile(text, "fuzz");
  if (pair.ok()) {
    Check(sp::transport::IsZ85Key(pair->public_key));
    Check(sp::transport::IsZ85Key(pair->secret_key));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0:
      FuzzPolicy(text);
      break;
    case 1:
      FuzzAllowList(text);
      break;
    default:
      FuzzKeyFiles(text);
      break;
  }
  return 0;
}
