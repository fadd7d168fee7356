#include "sp/transport/curve_keys.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sp/transport/url.h"

namespace sp::transport {
namespace {

// The example key pair of ZeroMQ's CURVE documentation.
constexpr char kPub[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr char kSec[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

class TempDir {
 public:
  TempDir() {
    std::string t = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp",
                                 "/keysXXXXXX");
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(CurveKeysTest, Z85Keys) {
  EXPECT_TRUE(IsZ85Key(kPub));
  EXPECT_TRUE(IsZ85Key(kSec));
  EXPECT_FALSE(IsZ85Key(""));
  EXPECT_FALSE(IsZ85Key(std::string(kPub).substr(1)));
  EXPECT_FALSE(IsZ85Key(std::string(39, 'a') + "~"));  // '~' is not Z85
  EXPECT_EQ(CurvePublicOf(kSec).value_or(""), kPub);
}

TEST(CurveKeysTest, GeneratedPairsAreFreshAndConsistent) {
  auto a = GenerateCurveKeyPair();
  auto b = GenerateCurveKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->secret_key, b->secret_key);
  EXPECT_EQ(CurvePublicOf(a->secret_key).value_or(""), a->public_key);
}

TEST(CurveKeysTest, CertificatesRoundTrip) {
  const CurveKeyPair keys{kPub, kSec};
  const std::string sec = SecretCertificateText(keys, "srv");
  const std::string pub = PublicCertificateText(keys, "srv");
  EXPECT_FALSE(absl::StrContains(pub, kSec));
  auto both = ParseSecretKeyFile(sec, "srv.key");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->public_key, kPub);
  EXPECT_EQ(both->secret_key, kSec);
  EXPECT_EQ(ParsePublicKeyFile(pub, "srv.pub").value_or(""), kPub);
  EXPECT_EQ(ParsePublicKeyFile(sec, "srv.key").value_or(""), kPub);
}

TEST(CurveKeysTest, CzmqCertificatesAndBareKeys) {
  // As CZMQ's zcert_save writes them.
  const std::string czmq = absl::StrCat(
      "#   ****  Generated on 2026-12-07 by CZMQ  ****\n"
      "#   ZeroMQ CURVE **Secret** Certificate\n\n"
      "metadata\n    name = \"x\"\n"
      "curve\n    public-key = \"",
      kPub, "\"\n    secret-key = \"", kSec, "\"\n");
  auto both = ParseSecretKeyFile(czmq, "c");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->public_key, kPub);
  // A bare key: public where a public key is asked for, secret otherwise.
  EXPECT_EQ(ParsePublicKeyFile(absl::StrCat("  ", kPub, "\n"), "b").value_or(""), kPub);
  auto from_secret = ParseSecretKeyFile(absl::StrCat(kSec, "\n"), "b");
  ASSERT_TRUE(from_secret.ok());
  EXPECT_EQ(from_secret->public_key, kPub);
}

TEST(CurveKeysTest, BadFilesNameTheFile) {
  auto expect_bad = [](absl::Status s, const std::string& what) {
    EXPECT_FALSE(s.ok());
    EXPECT_TRUE(absl::StrContains(s.message(), what)) << s.message();
    EXPECT_EQ(UrlErrno(s), EINVAL);
  };
  expect_bad(ParsePublicKeyFile("", "k.pub").status(), "k.pub: empty key file");
  expect_bad(ParsePublicKeyFile("hello world\n", "k.pub").status(), "k.pub: not a key file");
  expect_bad(ParsePublicKeyFile("a = b\n", "k.pub").status(), "k.pub:1: not a key file");
  expect_bad(ParsePublicKeyFile("curve\n    public-key = \"short\"\n", "k.pub").status(),
             "k.pub:2: public-key is not a 40-character Z85 key");
  expect_bad(ParseSecretKeyFile(absl::StrCat("curve\n  public-key = \"", kPub, "\"\n"), "k.pub")
                 .status(),
             "k.pub: no secret-key: this is a public key file");
  auto other = GenerateCurveKeyPair();
  ASSERT_TRUE(other.ok());
  expect_bad(ParseSecretKeyFile(absl::StrCat("curve\n  public-key = \"", other->public_key,
                                             "\"\n  secret-key = \"", kSec, "\"\n"),
                                "k.key")
                 .status(),
             "k.key: public-key does not belong to secret-key");
  absl::Status missing = ReadPublicKeyFile("/no/such/dir/k.pub").status();
  EXPECT_TRUE(absl::StrContains(missing.message(), "cannot read key file /no/such/dir/k.pub"))
      << missing;
  EXPECT_EQ(UrlErrno(missing), ENOENT);
}

TEST(CurveKeysTest, WriteKeyFilesModesAndNoOverwrite) {
  TempDir dir;
  auto keys = GenerateCurveKeyPair();
  ASSERT_TRUE(keys.ok());
  const mode_t old = umask(0);
  absl::Status s = WriteKeyFiles(dir / "alice", *keys, false);
  umask(old);
  ASSERT_TRUE(s.ok()) << s;
  struct stat st;
  ASSERT_EQ(stat((dir / "alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((dir / "alice.pub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  auto sec = ReadSecretKeyFile(dir / "alice.key");
  ASSERT_TRUE(sec.ok()) << sec.status();
  EXPECT_EQ(sec->secret_key, keys->secret_key);
  EXPECT_EQ(ReadPublicKeyFile(dir / "alice.pub").value_or(""), keys->public_key);
  absl::Status again = WriteKeyFiles(dir / "alice", *keys, false);
  EXPECT_EQ(UrlErrno(again), EEXIST);
  EXPECT_TRUE(WriteKeyFiles(dir / "alice", *keys, true).ok());
}

TEST(CurveKeysTest, AllowLists) {
  // A key with '#' in it is still a key; "# ..." and "#KEY" are comments.
  std::string hash_key;
  for (int i = 0; i < 10000 && hash_key.empty(); ++i) {
    auto k = GenerateCurveKeyPair();
    ASSERT_TRUE(k.ok());
    if (k->public_key.find('#') != std::string::npos) hash_key = k->public_key;
  }
  const std::string text = absl::StrCat("# who may connect\n\n", kPub, "   alice's laptop\n",
                                        "  ", kSec, "\n", "#", kPub, "\n",
                                        hash_key.empty() ? "" : hash_key + " # hash\n");
  auto list = ParseAllowList(text, "allow");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), hash_key.empty() ? 2u : 3u);
  EXPECT_EQ(list->at(kPub), "alice's laptop");
  EXPECT_EQ(list->at(kSec), "");
  if (!hash_key.empty()) {
    EXPECT_EQ(list->at(hash_key), "hash");
  }
  auto bad = ParseAllowList(absl::StrCat(kPub, "\nnot-a-key bob\n"), "allow");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "allow:2: \"not-a-key\" is not a client public key"))
      << bad.status();
  EXPECT_TRUE(ParseAllowList("", "allow").ok());
}

}  // namespace
}  // namespace sp::transport
