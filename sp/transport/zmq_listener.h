// The ZeroMQ transport (beyond NetBSD): rump_sp frames carried in ZeroMQ
// messages, for zmq+tcp://host:port and zmq+ipc://path URLs (url.h gives the
// endpoints "tcp://host:port" and "ipc:///abs/path").
//
// Sockets: the server binds one ROUTER; each client process connects one
// DEALER (one DEALER = one connection = one kernel process, exactly as one
// stream socket is). The client may set a routing id; if it does not, the
// ROUTER makes one up.
//
// Messages, as the DEALER sees them (the ROUTER adds and strips the routing
// identity part; every message below is a single part):
//
//   1. C -> S  an empty message: "hello" (a DEALER must speak first; this
//              is the connect).
//   2. S -> C  the banner, one message, exactly the bytes a stream server
//              sends ("RUMPSP-0.4-NetBSD-7.99.34/amd64 x-batch=1 x-intr=1\n").
//              If the server has no free client slot (255 clients) or is
//              shutting down, it answers with an empty message instead:
//              "closed without banner".
//   3. then, both ways: one rump_sp frame per message, header included;
//              the frame's len field must equal the message size. Frames
//              and their meaning are exactly the stream protocol's
//              (handshake first, reqnos, COPYIN...).
//   4. C -> S  an empty message: "goodbye" (the disconnect; the server
//              releases the client's process as on EOF).
//      S -> C  an empty message: "the server closed this connection" (EOF;
//              e.g. after ERROR AUTH, a malformed frame, or shutdown).
//
// Connection loss: the server watches its ROUTER with a socket monitor;
// when a client's underlying tcp/ipc connection breaks (the client process
// died, or its DEALER was closed) the server treats every identity that
// arrived over that connection as disconnected (EOF). A DEALER that
// reconnects after a break gets a new identity and must start again at 1.
// Once a connection is closed (by either side) its identity stays closed:
// what else arrives from it is ignored, and a client that wants a new
// connection uses a new DEALER. A message from an identity the server has
// never seen that is not a hello is answered with an empty message (EOF).
//
// Validation: a message longer than the frame limit is refused by libzmq
// itself (ZMQ_MAXMSGSIZE; the connection is dropped); a message whose size
// is not its header's len, whose len is under 24, or that has more than one
// part closes that client's connection with a log line. A client that
// leaves more than 10000 messages unread is disconnected (ZMQ_SNDHWM with
// ZMQ_ROUTER_MANDATORY: the server never silently drops a frame).
//
// CURVE (ListenerOptions::curve_secret_key): the ROUTER is a CURVE server
// (CurveZMQ: the traffic is encrypted and each client proves it holds the
// secret key of the public key it presents). Before the ROUTER binds, a ZAP
// handler (RFC 27: a REP socket on inproc://zeromq.zap.01 in the listener's
// own context, served by the listener's thread in its zmq_poll loop) is
// bound, so that no handshake completes unjudged. For each client it asks
// ListenerOptions::curve_authorize with the client's public key (Z85) and
// address; an admitted client gets its key as ZAP user id, which libzmq
// puts on every message of the connection ("User-Id", zmq_msg_gets): the
// hello's becomes the connection's PeerIdentity (kind kCurve). A refused
// key (ZAP status 400), a client without CURVE, or one with a wrong server
// public key never completes the handshake: it gets nothing, not even the
// banner, and the client's monitor sees HANDSHAKE_FAILED_*. The listener
// logs handshake failures other than ZAP refusals once per peer address and
// reason (its monitor's HANDSHAKE_FAILED_* events, attributed through the
// DISCONNECTED that follows to the address read at ACCEPTED); ZAP refusals
// are the authorize callback's to log.
//
// Threads: all ZeroMQ calls happen on the listener's own thread; Send from
// other threads queues the frame and wakes that thread (an eventfd polled
// with zmq_poll).
#ifndef RUMP_SP_TRANSPORT_ZMQ_LISTENER_H_
#define RUMP_SP_TRANSPORT_ZMQ_LISTENER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "sp/transport/listener.h"
#include "sp/transport/url.h"

namespace sp::transport {

// Messages a client may leave unread before it is disconnected.
inline constexpr int kZmqMaxUnreadMessages = 10000;

// `url` must be a kZmqTcp or kZmqIpc URL.
absl::StatusOr<std::unique_ptr<Listener>> OpenZmqListener(const Url& url,
                                                          ListenerOptions options);

}  // namespace sp::transport

#endif  // RUMP_SP_TRANSPORT_ZMQ_LISTENER_H_
