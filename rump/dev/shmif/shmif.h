// The shmif driver (NetBSD's if_shmem.c): Ethernet interfaces shmif<N> whose
// wire is a shmif bus file (//shmif:bus), shared with other kernels in this
// or other processes, and with real NetBSD rump kernels.
//
// Shmif is the component ("shmif"; NetBSD's rumpnet_shmif). Attach needs the
// NetStack component and registers the "shmif" cloner with it. A shmif
// interface:
//  * has MAC b2:a0:xx:xx:xx:xx (4 random bytes), flags
//    BROADCAST|SIMPLEX|MULTICAST at creation, MTU 1500;
//  * gets its bus at creation (NetStack::CreateNextInterface) or with SIOCSLINKSTR,
//    loses it with IFLINKSTR_UNSET, reports it with SIOCGLINKSTR (NetBSD's
//    errno rules), and fails to come up without one (ENXIO);
//  * has media "Ethernet autoselect" (link up while running) and "Ethernet
//    none" (link down: nothing is sent, counted in oerrors, and nothing is
//    received, counted in iqdrops), SIOCGIFMEDIA / SIOCSIFMEDIA;
//  * runs one receive thread while it is up, which passes up frames for its
//    MAC, multicast and broadcast frames, and everything when promiscuous.
//    The thread is joined when the interface goes down, is destroyed, or
//    the kernel halts.
#ifndef RUMP_DEV_SHMIF_SHMIF_H_
#define RUMP_DEV_SHMIF_SHMIF_H_

#include <memory>

#include "rump/kern/kernel.h"
#include "rump/net/interface.h"

namespace rump {

class Shmif : public Component {
 public:
  const char* name() const override { return "shmif"; }
  // FailedPrecondition when the kernel has no NetStack.
  absl::Status Attach(Kernel& kernel) override;
};

// The "shmif" cloner (what Shmif::Attach registers).
std::unique_ptr<InterfaceCloner> MakeShmifCloner();

}  // namespace rump

#endif  // RUMP_DEV_SHMIF_SHMIF_H_
