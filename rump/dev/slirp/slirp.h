// The slirp driver: Ethernet interfaces slirp<N> whose wire leads to
// libslirp, a user-mode NAT with the host's sockets behind it, so that a
// kernel run by an ordinary user reaches the host's network (beyond
// NetBSD, whose rump kernels need virt(4) and root for that).
//
// Slirpif is the component ("slirpif"; library name rumpnet_slirp). Attach
// needs the NetStack component and registers the "slirp" cloner. A slirp
// interface:
//  * stands on slirp's virtual network, by default 10.0.2.0/24 with the
//    gateway (the host) at 10.0.2.2 and its DNS forwarder at 10.0.2.3; the
//    kernel is configured as without DHCP (slirp's DHCP server is off):
//    `inet 10.0.2.15/24` and a default route to 10.0.2.2. Connections to
//    10.0.2.2 reach the host's loopback (127.0.0.1); others go out through
//    the host's sockets, as the user running the kernel;
//  * takes its settings from the link string, given at creation
//    (rump_pub_shmif_create-style) or with SIOCSLINKSTR while down:
//    comma-separated `net=A.B.C.D/LEN`, `host=ADDR`, `dns=ADDR`,
//    `hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` (any
//    number; HOSTADDR defaults to 127.0.0.1, GUESTADDR to the network's
//    .15). A bad string is EINVAL with a console line saying what is wrong;
//  * starts its NAT when it comes up (binding the forwarded host ports
//    then: EADDRINUSE if one is taken) and stops it when it goes down;
//  * runs one thread while up, the only one that calls libslirp (it is
//    not thread-safe): frames the kernel sends are queued to it (at most
//    kQueueLimit, then ENOBUFS); frames slirp sends are passed up from it
//    outside any libslirp call, so the stack may answer at once;
//  * MAC b2:0c:xx:xx:xx:<unit>, MTU 1500, link up while running.
#ifndef RUMP_DEV_SLIRP_SLIRP_H_
#define RUMP_DEV_SLIRP_SLIRP_H_

#include <memory>

#include "rump/kern/kernel.h"
#include "rump/net/interface.h"

namespace rump {

class Slirpif : public Component {
 public:
  const char* name() const override { return "slirpif"; }
  // FailedPrecondition when the kernel has no NetStack.
  absl::Status Attach(Kernel& kernel) override;
};

// The "slirp" cloner (what Slirpif::Attach registers). Console lines go to
// `kernel`, which must outlive it.
std::unique_ptr<InterfaceCloner> MakeSlirpCloner(Kernel& kernel);

}  // namespace rump

#endif  // RUMP_DEV_SLIRP_SLIRP_H_
