// The virt driver (NetBSD's if_virt.c, the rumpnet_virtif component):
// Ethernet interfaces virt<N> whose wire is a Linux tap device, so that a
// rump kernel and the Linux host (or a network namespace) exchange frames.
//
// Virtif is the component ("virtif"; NetBSD's rumpnet_virtif). Attach needs
// the NetStack component and registers the "virt" cloner with it. A virt
// interface:
//  * has MAC b2:0a:xx:0b:0e:<unit> (xx random), flags
//    BROADCAST|SIMPLEX|MULTICAST at creation, and the tap's MTU (1500 for a
//    new tap); SIOCSIFMTU takes up to 9000 (jumbo frames; NetBSD's virt
//    stops at 1500). The tap's own MTU is the host's to set;
//  * opens the tap "tun<unit>" when it is created, as NetBSD's driver does
//    on Linux. Without the permission for that (no root, no CAP_NET_ADMIN)
//    the interface is still created, without a tap, and the console says
//    why; it cannot come up until it has one;
//  * takes another tap with SIOCSLINKSTR while it is down (beyond NetBSD
//    7.99.34): "NAME" opens or creates the host tap NAME, "fd:N" adopts
//    descriptor N, already attached to a tap by a privileged process (so
//    the kernel runs unprivileged); -linkstr (IFLINKSTR_UNSET) closes it.
//    SIOCGLINKSTR reports the host interface's name;
//  * reports link state up while it runs and the host side of the tap is
//    up (IFF_UP in Linux), down otherwise; checked when a send fails and at
//    least once a second;
//  * runs one receive thread while it is up, which reads the frames that
//    are waiting in batches and passes up those for its MAC, multicast and
//    broadcast, and everything when promiscuous;
//  * and one transmit thread: a frame sent alone (outside an OutputBurst,
//    or a burst's first) with nothing queued before it is written by the
//    sending thread at once; the rest of a burst is queued (at most 4096
//    frames, then ENOBUFS) and written by the transmit thread, in order,
//    beside the stack's work. A queued frame the tap refuses counts as an
//    output error;
//  * when the host deletes the tap under it: one console line, link state
//    down, sends fail with ENETDOWN, nothing crashes; taking it down and up
//    again opens a new tap;
//  * can be destroyed (NetBSD 7.99.34's answers EBUSY), which closes the
//    tap (Linux removes a tap this process created).
#ifndef RUMP_DEV_VIRT_VIRT_H_
#define RUMP_DEV_VIRT_VIRT_H_

#include <memory>

#include "rump/kern/kernel.h"
#include "rump/net/interface.h"

namespace rump {

class Virtif : public Component {
 public:
  const char* name() const override { return "virtif"; }
  // FailedPrecondition when the kernel has no NetStack.
  absl::Status Attach(Kernel& kernel) override;
};

// The "virt" cloner (what Virtif::Attach registers). Console lines go to
// `kernel`, which must outlive it.
std::unique_ptr<InterfaceCloner> MakeVirtCloner(Kernel& kernel);

}  // namespace rump

#endif  // RUMP_DEV_VIRT_VIRT_H_
