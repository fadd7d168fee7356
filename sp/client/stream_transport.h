// Internal to sp/client: the pieces the transports share.
#ifndef RUMP_SP_CLIENT_STREAM_TRANSPORT_H_
#define RUMP_SP_CLIENT_STREAM_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sp/client/transport.h"
#include "sp/transport/url.h"

namespace sp::client {

// unix:// and tcp:// (stream_transport.cc).
absl::StatusOr<std::unique_ptr<Transport>> ConnectStream(const transport::Url& url,
                                                         std::string* banner,
                                                         const TransportOptions& options);
// zmq+tcp:// and zmq+ipc:// (zmq_transport.cc).
absl::StatusOr<std::unique_ptr<Transport>> ConnectZmq(const transport::Url& url,
                                                      std::string* banner,
                                                      const TransportOptions& options);

// NetBSD's banner rule on a stream: one read() of at most 95 bytes whose
// last byte is '\n', within `timeout_ms`.
absl::Status ReadBanner(int fd, int timeout_ms, std::string* banner);

// Returns `fd` if it is above 2, else a close-on-exec duplicate above 2
// (closing `fd`), so the connection never lands on stdin/stdout/stderr;
// -1 with errno on failure.
int MoveAboveStdio(int fd);

}  // namespace sp::client

#endif  // RUMP_SP_CLIENT_STREAM_TRANSPORT_H_
