#include "sp/wire/banner.h"

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sp::wire {
namespace {

constexpr absl::string_view kPrefix = "RUMPSP-";

absl::Status Bad(absl::string_view banner, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("bad rump_sp banner \"", absl::CEscape(banner), "\": ", why));
}

// Consumes a decimal number of 1..9 digits from the front of `s`.
bool ConsumeSmallNumber(absl::string_view* s, int* out) {
  size_t n = 0;
  while (n < s->size() && n < 10 && absl::ascii_isdigit((*s)[n])) ++n;
  if (n == 0 || n > 9) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) v = v * 10 + ((*s)[i] - '0');
  *out = v;
  s->remove_prefix(n);
  return true;
}

bool HasAny(absl::string_view s, absl::string_view chars) {
  return s.find_first_of(chars) != absl::string_view::npos;
}

}  // namespace

absl::StatusOr<BannerInfo> BannerInfo::Parse(absl::string_view banner) {
  if (banner.size() > kMaxBannerLen) {
    return Bad(banner.substr(0, kMaxBannerLen),
               absl::StrCat("longer than ", kMaxBannerLen, " bytes"));
  }
  if (banner.empty() || banner.back() != '\n') {
    return Bad(banner, "does not end with a newline");
  }
  absl::string_view s = banner.substr(0, banner.size() - 1);
  if (HasAny(s, absl::string_view("\n\0", 2))) {
    return Bad(banner, "contains a NUL or a second newline");
  }
  if (!absl::ConsumePrefix(&s, kPrefix)) return Bad(banner, "no RUMPSP- prefix");
  BannerInfo info;
  if (!ConsumeSmallNumber(&s, &info.major) || !absl::ConsumePrefix(&s, ".") ||
      !ConsumeSmallNumber(&s, &info.minor) || !absl::ConsumePrefix(&s, "-")) {
    return Bad(banner, "no <major>.<minor>- version");
  }
  // What follows: <ostype>-<osrelease>/<machine>[ token]*
  size_t space = s.find(' ');
  absl::string_view ident = s.substr(0, space);
  absl::string_view rest =
      space == absl::string_view::npos ? absl::string_view() : s.substr(space + 1);
  size_t dash = ident.find('-');
  if (dash == absl::string_view::npos) return Bad(banner, "no '-' after <ostype>");
  size_t slash = ident.find('/', dash + 1);
  if (slash == absl::string_view::npos) return Bad(banner, "no '/' before <machine>");
  info.ostype = std::string(ident.substr(0, dash));
  info.osrelease = std::string(ident.substr(dash + 1, slash - dash - 1));
  info.machine = std::string(ident.substr(slash + 1));
  if (info.ostype.empty() || info.osrelease.empty() || info.machine.empty()) {
    return Bad(banner, "empty <ostype>, <osrelease> or <machine>");
  }
  for (absl::string_view token : absl::StrSplit(rest, ' ', absl::SkipEmpty())) {
    absl::string_view value = token;
    int version = 0;
    absl::string_view intr_value = token;
    if (absl::ConsumePrefix(&value, kBatchToken) && absl::ConsumePrefix(&value, "=") &&
        ConsumeSmallNumber(&value, &version) && value.empty() && version > 0) {
      info.batch_version = version;
    } else if (absl::ConsumePrefix(&intr_value, kInterruptToken) &&
               absl::ConsumePrefix(&intr_value, "=") &&
               ConsumeSmallNumber(&intr_value, &version) && intr_value.empty() && version > 0) {
      info.interrupt_version = version;
    } else {
      info.other_tokens.emplace_back(token);
    }
  }
  return info;
}

absl::StatusOr<std::string> BannerInfo::Format() const {
  auto field_ok = [](absl::string_view f, absl::string_view forbidden) {
    return !f.empty() && !HasAny(f, forbidden);
  };
  const absl::string_view common(" \n\0", 3);
  if (major < 0 || minor < 0 || !field_ok(ostype, absl::StrCat(common, "-")) ||
      !field_ok(osrelease, absl::StrCat(common, "/")) || !field_ok(machine, common) ||
      batch_version < 0 || interrupt_version < 0) {
    return absl::InvalidArgumentError("banner field empty, negative or with a separator");
  }
  std::string out =
      absl::StrCat(kPrefix, major, ".", minor, "-", ostype, "-", osrelease, "/", machine);
  if (batch_version > 0) absl::StrAppend(&out, " ", kBatchToken, "=", batch_version);
  if (interrupt_version > 0) {
    absl::StrAppend(&out, " ", kInterruptToken, "=", interrupt_version);
  }
  for (const std::string& t : other_tokens) {
    if (!field_ok(t, common)) {
      return absl::InvalidArgumentError("banner token empty or with a separator");
    }
    absl::StrAppend(&out, " ", t);
  }
  out.push_back('\n');
  if (out.size() > kMaxBannerLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("banner is ", out.size(), " bytes, more than ", kMaxBannerLen));
  }
  return out;
}

BannerInfo OurBanner() {
  BannerInfo info;
  info.batch_version = kBatchVersion;
  info.interrupt_version = kInterruptVersion;
  return info;
}

}  // namespace sp::wire
