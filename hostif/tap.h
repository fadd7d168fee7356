// TapDevice: one Linux tap device (/dev/net/tun, IFF_TAP|IFF_NO_PI) seen
// from the user side, as the virt driver (rump/dev/virt) and the bus bridge
// (shmif/tapbridge) use it: each read() is one Ethernet frame the Linux side
// sent, each write() one frame the Linux side receives.
//
// A TapDevice is either opened by name (creating the tap if it does not
// exist; needs CAP_NET_ADMIN) or adopted from a descriptor that already
// refers to an attached tap (one a privileged helper opened and passed
// down), so the process itself can run without privileges.
//
// Promises:
//  * errors are absl::Status with a message that names the device and, for
//    EPERM/EACCES, the missing permission; HostErrno() recovers the host
//    errno behind one;
//  * the descriptor is non-blocking and close-on-exec; ReadFrames never
//    blocks, Wait blocks until a frame is readable, the timeout passes or
//    Interrupt is called (from any thread);
//  * Write may run concurrently with ReadFrames and Wait.
#ifndef HOSTIF_TAP_H_
#define HOSTIF_TAP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace hostif {

class TapDevice {
 public:
  // Opens (or creates) the tap called `name` (at most 15 bytes).
  static absl::StatusOr<std::unique_ptr<TapDevice>> Open(const std::string& name);
  // Takes over `fd`, which must be attached to a tap (TUNGETIFF says so);
  // the TapDevice closes it. On error the descriptor is left open.
  static absl::StatusOr<std::unique_ptr<TapDevice>> Adopt(int fd);
  // What a link string names: "fd:N" is Adopt(N), anything else Open(name).
  // EINVAL for an N that is not a number.
  static absl::StatusOr<std::unique_ptr<TapDevice>> OpenLink(const std::string& link);

  ~TapDevice();
  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;

  // The host interface's name ("tun0").
  const std::string& name() const { return name_; }

  // Sends one frame to the Linux side. Fails with EIO while the host
  // interface is down, EBADFD once it has been deleted.
  absl::Status Write(absl::Span<const uint8_t> frame);

  // Reads up to `max_frames` frames that are waiting, handing each to
  // `deliver` (the span is valid during the call only). Returns how many
  // it read (0: none waiting). Fails with EBADFD once the host interface
  // has been deleted.
  absl::StatusOr<int> ReadFrames(int max_frames,
                                 const std::function<void(absl::Span<const uint8_t>)>& deliver);

  // Blocks until a frame is readable (true), `timeout` passes or Interrupt
  // is called (false).
  bool Wait(absl::Duration timeout);
  // Wakes the thread in Wait (now or, if none is there, the next Wait).
  void Interrupt();

  // The host interface's state, read with SIOCGIFFLAGS/SIOCGIFMTU. Fails
  // with ENXIO when it no longer exists.
  struct HostState {
    bool up = false;       // IFF_UP on the Linux side
    int mtu = 1500;
  };
  absl::StatusOr<HostState> QueryHost() const;

  // The errno behind a status this class returned (0 if none).
  static int HostErrno(const absl::Status& s);

 private:
  TapDevice(int fd, int wake_fd, std::string name);

  const int fd_;
  const int wake_fd_;  // an eventfd
  const std::string name_;
};

}  // namespace hostif

#endif  // HOSTIF_TAP_H_
