#include "sp/client/errors.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "sp/transport/url.h"

namespace sp::client {
absl::Status HostError(int host_errno, absl::string_view message) {
  return transport::HostErrnoStatus(host_errno, message);
}

absl::Status ErrnoError(int host_errno, absl::string_view what) {
  return HostError(host_errno, absl::StrCat(what, ": ", std::strerror(host_errno)));
}

int ErrnoOf(const absl::Status& status) { return transport::UrlErrno(status); }

}  // namespace sp::client
