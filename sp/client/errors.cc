#include "sp/client/errors.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "sp/transport/url.h"

namespace sp::client {
namespace {

// The payload sp/transport/url.cc puts its errno in (read by UrlErrno).
constexpr char kErrnoPayload[] = "rump.sp/host-errno";

}  // namespace

absl::Status HostError(int host_errno, absl::string_view message) {
  absl::Status s;
  switch (host_errno) {
    case ENOTCONN:
    case ECONNRESET:
    case EPIPE:
    case ECONNREFUSED:
    case ETIMEDOUT:
      s = absl::UnavailableError(message);
      break;
    case ENOENT:
      s = absl::NotFoundError(message);
      break;
    case EINVAL:
    case ENAMETOOLONG:
      s = absl::InvalidArgumentError(message);
      break;
    case EPROTO:
      s = absl::DataLossError(message);
      break;
    case EOPNOTSUPP:
      s = absl::UnimplementedError(message);
      break;
    case ENOMEM:
      s = absl::ResourceExhaustedError(message);
      break;
    default:
      s = absl::FailedPreconditionError(message);
      break;
  }
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(host_errno)));
  return s;
}

absl::Status ErrnoError(int host_errno, absl::string_view what) {
  return HostError(host_errno, absl::StrCat(what, ": ", std::strerror(host_errno)));
}

int ErrnoOf(const absl::Status& status) { return transport::UrlErrno(status); }

}  // namespace sp::client
