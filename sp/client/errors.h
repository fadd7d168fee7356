// Errors of the client core: absl::Status values that carry the *host* errno
// a C caller is given (ENOTCONN, ECONNREFUSED, EAGAIN...). They use the same
// payload as sp/transport's URL errors, so one reader, ErrnoOf(), serves
// both.
#ifndef RUMP_SP_CLIENT_ERRORS_H_
#define RUMP_SP_CLIENT_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sp::client {

// An error carrying `host_errno`; the status code follows the errno
// (Unavailable for lost connections, NotFound for ENOENT, ...).
absl::Status HostError(int host_errno, absl::string_view message);

// The host errno an error carries; 0 for OK; EINVAL for a status that
// carries none (transport::UrlErrno).
int ErrnoOf(const absl::Status& status);

// "<message>: <strerror(e)>" as HostError(e, ...).
absl::Status ErrnoError(int host_errno, absl::string_view what);

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_ERRORS_H_
