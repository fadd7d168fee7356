#include "sp/server/credential_policy.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sp/transport/curve_keys.h"

namespace sp::server {
namespace {

using ::testing::HasSubstr;
using transport::PeerIdentity;

PeerIdentity Unix(uint32_t uid, uint32_t gid, std::vector<gid_t> groups = {}) {
  PeerIdentity id;
  id.kind = PeerIdentity::Kind::kUnix;
  id.pid = 42;
  id.uid = uid;
  id.gid = gid;
  id.groups = std::move(groups);
  return id;
}

const PeerIdentity kAnonymous{};

// ZeroMQ's documentation example keys (two valid Z85 keys).
constexpr char kKeyA[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr char kKeyB[] = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

PeerIdentity Curve(const std::string& key) {
  PeerIdentity id;
  id.kind = PeerIdentity::Kind::kCurve;
  id.curve_key = key;
  return id;
}

// Credentials as "uid/euid/gid/egid", or "refused".
std::string Decide(const CredentialPolicy& p, const PeerIdentity& id) {
  std::optional<rump::Credentials> c = p.CredentialsFor(id);
  if (!c) return "refused";
  return std::to_string(c->uid) + "/" + std::to_string(c->euid) + "/" + std::to_string(c->gid) +
         "/" + std::to_string(c->egid);
}

TEST(CredentialPolicyTest, FirstMatchingRuleDecides) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(R"(
# who           what
unix uid=0      root
unix uid=1000   uid=1000 gid=100   # a comment after a rule
unix gid=50     uid=5000 gid=50
unix uid=1000   deny               # never reached: the rule above wins
unix *          peer
anonymous       uid=32767 gid=32767
)");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rules(), 6u);
  EXPECT_EQ(Decide(*p, Unix(0, 0)), "0/0/0/0");
  EXPECT_EQ(Decide(*p, Unix(1000, 1000)), "1000/1000/100/100");
  EXPECT_EQ(Decide(*p, Unix(7, 50)), "5000/5000/50/50");
  EXPECT_EQ(Decide(*p, Unix(1234, 99)), "1234/1234/99/99");  // peer: its own ids
  EXPECT_EQ(Decide(*p, kAnonymous), "32767/32767/32767/32767");
}

TEST(CredentialPolicyTest, NoMatchingRuleRefuses) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse("unix uid=1000 peer\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, Unix(1000, 1000)), "1000/1000/1000/1000");
  EXPECT_EQ(Decide(*p, Unix(0, 0)), "refused");
  EXPECT_EQ(Decide(*p, kAnonymous), "refused");
  // An empty policy (only comments) refuses everyone.
  absl::StatusOr<CredentialPolicy> empty = CredentialPolicy::Parse("# nothing\n\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Decide(*empty, Unix(0, 0)), "refused");
}

TEST(CredentialPolicyTest, DenyAndEveryone) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(
      "anonymous deny\n"
      "*         root\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, kAnonymous), "refused");
  EXPECT_EQ(Decide(*p, Unix(1000, 1000)), "0/0/0/0");
}

TEST(CredentialPolicyTest, PeerForAnAnonymousClientRefusesIt) {
  // `* peer` matches an anonymous client too, which has no ids to give.
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse("* peer\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, kAnonymous), "refused");
  EXPECT_EQ(Decide(*p, Unix(3, 4)), "3/3/4/4");
}

TEST(CredentialPolicyTest, CurveClientsByKey) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(
      std::string("curve ") + kKeyA + "  uid=1000 gid=1000  # alice\n" +
      "curve *          uid=32766 gid=32766\n" +
      "anonymous        deny\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, Curve(kKeyA)), "1000/1000/1000/1000");
  EXPECT_EQ(Decide(*p, Curve(kKeyB)), "32766/32766/32766/32766");
  EXPECT_EQ(Decide(*p, kAnonymous), "refused");
  EXPECT_EQ(Decide(*p, Unix(0, 0)), "refused");
  // A key with '#' in it is a key, not a comment.
  std::vector<std::string> hashed;
  for (int i = 0; i < 10000 && hashed.size() < 2; ++i) {
    absl::StatusOr<transport::CurveKeyPair> k = transport::GenerateCurveKeyPair();
    ASSERT_TRUE(k.ok());
    if (k->public_key.find('#') != std::string::npos) hashed.push_back(k->public_key);
  }
  ASSERT_EQ(hashed.size(), 2u);
  absl::StatusOr<CredentialPolicy> h = CredentialPolicy::Parse(
      "curve " + hashed[0] + " uid=1 gid=2 # one\ncurve " + hashed[1] + " uid=3 gid=4#two\n");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(Decide(*h, Curve(hashed[0])), "1/1/2/2");
  EXPECT_EQ(Decide(*h, Curve(hashed[1])), "3/3/4/4");
  // `anonymous` is not a CURVE client; `*` is.
  absl::StatusOr<CredentialPolicy> q =
      CredentialPolicy::Parse("anonymous root\nunix * root\n* uid=7 gid=8\n");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Decide(*q, Curve(kKeyA)), "7/7/8/8");
  EXPECT_EQ(Decide(*q, kAnonymous), "0/0/0/0");
  // `* peer` refuses a CURVE client (it has no ids to give).
  absl::StatusOr<CredentialPolicy> r = CredentialPolicy::Parse("* peer\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Decide(*r, Curve(kKeyA)), "refused");
}

// The supplementary groups as "g1,g2,...", or "refused".
std::string Groups(const CredentialPolicy& p, const PeerIdentity& id) {
  std::optional<rump::Credentials> c = p.CredentialsFor(id);
  if (!c) return "refused";
  std::string out;
  for (uint32_t g : c->group_list()) out += (out.empty() ? "" : ",") + std::to_string(g);
  return out;
}

TEST(CredentialPolicyTest, GivenGroups) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(
      "unix uid=1000 uid=1000 gid=100 groups=10,20   # two groups\n"
      "unix uid=1001 uid=1001 gid=100 groups=7,7,3\n"  // duplicates, in the given order
      "unix uid=1002 uid=1002 gid=100 groups=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,4294967295\n"
      "unix uid=1003 uid=1003 gid=100\n"
      "anonymous uid=32767 gid=39 groups=39\n"
      "curve * uid=5 gid=6 groups=6\n"
      "unix * root\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rules(), 7u);
  EXPECT_EQ(Decide(*p, Unix(1000, 5, {1, 2})), "1000/1000/100/100");
  EXPECT_EQ(Groups(*p, Unix(1000, 5, {1, 2})), "10,20");  // the rule's, not the peer's
  EXPECT_EQ(Groups(*p, Unix(1001, 5)), "7,7,3");
  EXPECT_EQ(Groups(*p, Unix(1002, 5)), "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,4294967295");
  EXPECT_EQ(Groups(*p, Unix(1003, 5, {1, 2})), "");  // no groups= : none
  EXPECT_EQ(Groups(*p, kAnonymous), "39");
  EXPECT_EQ(Groups(*p, Curve(kKeyB)), "6");
  EXPECT_EQ(Groups(*p, Unix(0, 0, {1, 2})), "");  // root: none
  std::optional<rump::Credentials> c = p->CredentialsFor(Unix(1000, 5));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->InGroup(20));
  EXPECT_FALSE(c->InGroup(5));
}

TEST(CredentialPolicyTest, PeerGivesThePeersOwnGroups) {
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse("unix * peer\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, Unix(1000, 1000, {2000, 2001})), "1000/1000/1000/1000");
  EXPECT_EQ(Groups(*p, Unix(1000, 1000, {2000, 2001})), "2000,2001");
  EXPECT_EQ(Groups(*p, Unix(1000, 1000)), "");
  // More than the kernel's 16: the first 16.
  std::vector<gid_t> many;
  std::string first16;
  for (gid_t g = 100; g < 120; ++g) {
    many.push_back(g);
    if (g < 116) first16 += (first16.empty() ? "" : ",") + std::to_string(g);
  }
  EXPECT_EQ(Groups(*p, Unix(1000, 1000, many)), first16);
}

TEST(CredentialPolicyTest, ToStringWritesTheRulesBack) {
  const std::string text = std::string(
      "unix uid=0 root\nunix gid=7 uid=1 gid=2\nunix uid=3 uid=3 gid=3 groups=3,1,1\n"
      "unix * peer\ncurve ") + kKeyA +
      " uid=5 gid=6 groups=4294967295\ncurve * deny\nanonymous deny\n* root\n";
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(text);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ToString(), text);
  absl::StatusOr<CredentialPolicy> again = CredentialPolicy::Parse(p->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToString(), text);
}

TEST(CredentialPolicyTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"unix uid=0 root\nroot everyone\n", "p:2: unknown client \"root\""},
      {"unix\n", "p:1: \"unix\" needs uid=N, gid=N or *"},
      {"unix pid=3 root\n", "p:1: \"unix pid=3\": expected uid=N, gid=N or *"},
      {"unix uid=-1 root\n", "p:1: \"unix uid=-1\""},
      {"unix uid=4294967296 root\n", "p:1: \"unix uid=4294967296\""},
      {"\n\nanonymous\n", "p:3: missing credentials"},
      {"anonymous peer\n", "p:1: \"peer\" needs a unix client"},
      {"* uid=5\n", "p:1: \"uid=5\": expected root, peer, uid=N gid=M [groups=G1,...] or deny"},
      {"* uid=5 gid=x\n", "p:1: \"uid=5 gid=x\": expected uid=N gid=M"},
      {"* gid=5 uid=5\n", "p:1: \"gid=5 uid=5\": expected uid=N gid=M"},
      {"* root please\n", "p:1: \"root please\""},
      {"* uid=1 gid=2 groups=\n",
       "p:1: \"groups=\": expected groups=G1,G2,... (1 to 16 decimal gids, no spaces)"},
      {"\n* uid=1 gid=2 groups=1,,2\n", "p:2: \"groups=1,,2\": expected groups=G1,G2,..."},
      {"* uid=1 gid=2 groups=x\n", "p:1: \"groups=x\": expected groups=G1,G2,..."},
      {"* uid=1 gid=2 groups=1,\n", "p:1: \"groups=1,\": expected groups=G1,G2,..."},
      {"* uid=1 gid=2 groups=-1\n", "p:1: \"groups=-1\": expected groups=G1,G2,..."},
      {"* uid=1 gid=2 groups=+1\n", "p:1: \"groups=+1\": expected groups=G1,G2,..."},
      {"* uid=1 gid=2 groups=4294967296\n", "p:1: \"groups=4294967296\": expected groups="},
      {"* uid=1 gid=2 groups=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
       "p:1: \"groups=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\": 17 groups, more than 16 "
       "(NGROUPS_MAX)"},
      {"* uid=1 gid=2 groups=1 2\n", "p:1: \"uid=1 gid=2 groups=1 2\": expected root, peer"},
      {"* uid=1 gid=2 gruops=1\n",
       "p:1: \"uid=1 gid=2 gruops=1\": expected uid=N gid=M [groups=G1,G2,...] (decimal ids)"},
      {"* groups=1 uid=1 gid=2\n", "p:1: \"groups=1 uid=1 gid=2\": expected uid=N gid=M"},
      {"unix * peer groups=1\n", "p:1: \"peer groups=1\": expected uid=N gid=M"},
      {"* root groups=1\n", "p:1: \"root groups=1\": expected uid=N gid=M"},
      {"curve\n", "p:1: \"curve\" needs a client public key"},
      {"curve abc root\n", "p:1: \"curve abc\": expected a client public key"},
      {"curve * peer\n", "p:1: \"peer\" needs a unix client (CURVE clients have no ids)"},
      {"ldap * root\n", "p:1: unknown client \"ldap\" (expected unix, curve, anonymous or *)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Parse(c.text, "p");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_TRUE(absl::IsInvalidArgument(p.status())) << c.text;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.message)) << c.text;
  }
}

TEST(CredentialPolicyTest, LoadReadsAFile) {
  char path[] = "/tmp/policyXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    out << "unix * peer\n* deny\n";
  }
  absl::StatusOr<CredentialPolicy> p = CredentialPolicy::Load(path);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Decide(*p, Unix(5, 6)), "5/5/6/6");
  {
    std::ofstream out(path);
    out << "bogus\n";
  }
  p = CredentialPolicy::Load(path);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr(std::string(path) + ":1: "));
  std::remove(path);
  p = CredentialPolicy::Load(path);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("cannot read policy"));
}

}  // namespace
}  // namespace sp::server
