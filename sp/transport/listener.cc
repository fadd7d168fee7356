#include "sp/transport/listener.h"

#include <cerrno>

#include "sp/transport/stream_listener.h"
#include "sp/transport/zmq_listener.h"

namespace sp::transport {
absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(const Url& url,
                                                         ListenerOptions options) {
  if (url.scheme != Scheme::kUnix &&
      (options.socket_mode >= 0 || options.socket_uid >= 0 || options.socket_gid >= 0)) {
    return HostError(EINVAL, "rump_sp: " + url.text +
                                 ": a socket file mode or owner applies to unix:// URLs only");
  }
  if (!options.curve_secret_key.empty() && url.scheme != Scheme::kZmqTcp &&
      url.scheme != Scheme::kZmqIpc) {
    return HostError(EINVAL, "rump_sp: " + url.text +
                                 ": CURVE applies to zmq+tcp:// and zmq+ipc:// URLs only");
  }
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
  return HostErrnoStatus(host_errno, message);
}

int HostErrno(const absl::Status& status) { return UrlErrno(status); }

}  // namespace sp::transport
