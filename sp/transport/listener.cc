#include "sp/transport/listener.h"

#include <cerrno>

#include "absl/strings/cord.h"
#include "sp/transport/stream_listener.h"
#include "sp/transport/zmq_listener.h"

namespace sp::transport {
namespace {

// The payload URL errors use (url.cc), so that one reader serves both.
constexpr char kErrnoPayload[] = "rump.sp/host-errno";

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(const Url& url,
                                                         ListenerOptions options) {
  switch (url.scheme) {
    case Scheme::kUnix:
    case Scheme::kTcp:
      return OpenStreamListener(url, std::move(options));
    case Scheme::kZmqTcp:
    case Scheme::kZmqIpc:
      return OpenZmqListener(url, std::move(options));
  }
  return HostError(EINVAL, "rump_sp: unknown URL scheme");
}

absl::Status HostError(int host_errno, const std::string& message) {
  absl::Status s;
  switch (host_errno) {
    case EADDRINUSE:
      s = absl::AlreadyExistsError(message);
      break;
    case ENOENT:
      s = absl::NotFoundError(message);
      break;
    case EACCES:
    case EPERM:
      s = absl::PermissionDeniedError(message);
      break;
    case EINVAL:
    case ENAMETOOLONG:
      s = absl::InvalidArgumentError(message);
      break;
    default:
      s = absl::FailedPreconditionError(message);
      break;
  }
  s.SetPayload(kErrnoPayload, absl::Cord(std::to_string(host_errno)));
  return s;
}

int HostErrno(const absl::Status& status) { return UrlErrno(status); }

}  // namespace sp::transport
