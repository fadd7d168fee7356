// The stream transport: unix:// and tcp:// (IPv4 and IPv6) listeners, as
// NetBSD's rump_sp uses them. One thread runs an epoll loop over the
// listening socket and every connection; sockets are non-blocking, TCP
// connections get TCP_NODELAY, every send uses MSG_NOSIGNAL.
//
// Input: bytes are cut into frames by sp/wire's FrameReader (the frame size
// limit is ListenerOptions::max_frame_len); a bad header (len < 24 or over
// the limit) or a stream that ends inside a frame closes that connection
// (OnClosed gets the error), never the listener.
//
// Output: Connection::Send writes directly from the calling thread when
// nothing is queued (no hand-off for the common case: a syscall's answer is
// written by the worker that ran it); what the socket does not take is
// queued and written by the loop thread when the socket drains. A peer that
// leaves more than max_output_backlog bytes unread is disconnected.
#ifndef RUMP_SP_TRANSPORT_STREAM_LISTENER_H_
#define RUMP_SP_TRANSPORT_STREAM_LISTENER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "sp/transport/listener.h"
#include "sp/transport/url.h"

namespace sp::transport {

// `url` must be a kUnix or kTcp URL.
absl::StatusOr<std::unique_ptr<Listener>> OpenStreamListener(const Url& url,
                                                             ListenerOptions options);

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_STREAM_LISTENER_H_
